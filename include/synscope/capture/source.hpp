#pragma once
/// Capture sources: the only code that talks to libpcap (with the pcap writer).
/// FileSource reads one or more pcap/pcapng files as one stream merged by timestamp.

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "synscope/core/bytes.hpp"

namespace synscope::capture {

/// One captured record. `bytes` is valid until the next call to next().
struct RawFrame {
  std::int64_t ts_ns = 0;       ///< nanoseconds since the epoch (files with µs resolution are scaled)
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  std::uint32_t dlt = 0;        ///< link type of this record (pcapng: per interface)
  std::uint64_t frame_no = 0;   ///< counts every record read from 1, across all files, before filtering
  std::uint32_t file_index = 0; ///< which input file it came from
  Bytes bytes;
};

/// Opening or reading failed in a way that stops everything (not a pcap file, bad BPF, …).
class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FileOptions {
  std::string filter;            ///< BPF expression ("" = none), compiled with libpcap per link type
  /// Read block of the classic-pcap reader and stdio buffer of each FILE given to libpcap. 256 KiB: as fast
  /// as 512 KiB and 1 MiB here (bench/ab.sh, 10M and 3M packets; 128 KiB too), and 0.25 / 0.95 MiB less
  /// peak memory.
  std::size_t read_buffer = 1U << 18U;
};

class FileSource {
 public:
  /// Opens every file (throws CaptureError / std::system_error with a one-line message on failure).
  FileSource(const std::vector<std::string>& paths, const FileOptions& opts);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  /// Next record passing the filter, in timestamp order across files. False at the end of all input.
  bool next(RawFrame& out);
  /// The next records as next() would give them one by one: at least one unless the input has ended (0),
  /// at most out.size(). All of them stay valid until the next call of next() or next_batch(). (The
  /// classic-pcap reader hands out what its buffer holds; other inputs give one record per call.)
  std::size_t next_batch(std::span<RawFrame> out);

  /// Problems met while reading (truncated last record, read errors), one line each, in order.
  [[nodiscard]] const std::vector<std::string>& problems() const noexcept;
  /// Records read so far from all files, including those the filter rejected.
  [[nodiscard]] std::uint64_t frames_read() const noexcept;
  /// Link type of the first file (for messages).
  [[nodiscard]] std::uint32_t first_dlt() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synscope::capture

#pragma once
/// Live capture (libpcap, immediate mode), the pcap file writer, and interface listing.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synscope/capture/source.hpp"

namespace synscope::capture {

struct LiveOptions {
  std::string device;            ///< "" = the first usable interface, as tcpdump picks it
  std::string filter;            ///< BPF
  int snaplen = 262144;
  bool promisc = true;
  int buffer_bytes = 32 << 20;   ///< kernel ring buffer: immediate mode uses one ring slot per packet, so bursts need room
};

/// What the kernel and libpcap counted (pcap_stats).
struct LiveStats {
  std::uint64_t received = 0;          ///< packets that reached the filter
  std::uint64_t dropped_kernel = 0;    ///< dropped because the buffer was full (we were too slow)
  std::uint64_t dropped_interface = 0; ///< dropped by the interface/driver before capture
};

enum class WaitResult : std::uint8_t { kFrame, kTimeout, kEnd };

class LiveSource {
 public:
  /// Opens and activates the device. Throws CaptureError with a message that says what is missing
  /// (privileges: run as root or `setcap cap_net_raw,cap_net_admin=eip`), or std::system_error.
  explicit LiveSource(const LiveOptions& opts);
  ~LiveSource();
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  /// Waits up to `timeout_ms` for a packet (poll on the selectable fd; EINTR returns kTimeout).
  WaitResult next(RawFrame& out, int timeout_ms);
  [[nodiscard]] LiveStats stats() const;
  [[nodiscard]] std::uint32_t dlt() const noexcept;
  [[nodiscard]] const std::string& device() const noexcept;
  /// The raw libpcap handle, for the writer (pcap_dump_open needs it).
  [[nodiscard]] void* native() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes frames to a pcap file (nanosecond pcap), flushed after every frame so the file is always complete.
class PcapWriter {
 public:
  PcapWriter(const std::string& path, std::uint32_t dlt, int snaplen);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  void write(const RawFrame& frame);
  void flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct InterfaceInfo {
  std::string name;
  std::string description;
  std::vector<std::string> addresses;  ///< text form, with prefix length where known
  bool up = false;
  bool running = false;
  bool loopback = false;
  bool wireless = false;
};

/// pcap_findalldevs, in libpcap's order (the first usable one is the default for `live`).
std::vector<InterfaceInfo> list_interfaces();

/// The name tcpdump would pick: the first interface that is up and not loopback, else the first.
std::string default_interface();

}  // namespace synscope::capture

#pragma once
/// Sinks turn decoded, labelled packets and connection records into output. Formatting only.

#include <cstdint>
#include <string>
#include <vector>

#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/conn.hpp"

namespace synscope::sink {

/// One packet as the sinks see it. `label` is null when tracking is off or the packet is not tracked.
struct PacketEvent {
  const capture::RawFrame& raw;
  const decode::DecodedFrame& frame;
  const track::PacketLabel* label;
};

/// A TCP segment or UDP datagram that decode::summarize_flow() accepted (decode_frame() would find no
/// problem in it), for sinks that print it from the tracker's scalars and the TCP option bytes, without
/// a DecodedFrame.
struct SummaryEvent {
  const capture::RawFrame& raw;
  const track::PacketSummary& pkt;  ///< proto 6 or 17
  Bytes tcp_options;                ///< what decode_frame() sets as TcpInfo::options (empty for UDP)
  const track::PacketLabel* label;
};

/// Totals handed to finish().
struct RunSummary {
  std::uint64_t frames_read = 0;      ///< records read (before the filter)
  std::uint64_t frames_matched = 0;   ///< records that passed the filter and were processed
  std::uint64_t truncated = 0;        ///< frames whose decoding ran past the captured bytes
  std::uint64_t invalid = 0;          ///< frames with a field that contradicts the spec
  std::uint64_t bad_checksums = 0;    ///< frames with a wrong IP/transport checksum
  std::uint64_t evicted = 0;          ///< connections reported early because of --max-conns
  bool interrupted = false;
  std::vector<std::string> problems;  ///< input problems (truncated file…)
};

class Sink {
 public:
  Sink() = default;
  virtual ~Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  virtual void packet(const PacketEvent& ev) = 0;
  /// Whether packet_summary() writes exactly what packet() would for the same frame: the pipeline then
  /// skips decode_frame() for the frames summarize_flow() accepts, when every sink says yes.
  [[nodiscard]] virtual bool prints_summaries() const noexcept { return false; }
  /// Called instead of packet() only when prints_summaries() says yes (otherwise: std::logic_error).
  virtual void packet_summary(const SummaryEvent& ev);
  virtual void conn(const track::ConnRecord& rec) = 0;
  virtual void finish(const RunSummary& summary) = 0;
  /// Pushes buffered output to the fd (per packet in live mode).
  virtual void flush() = 0;
  /// Whether packet() reads the connection uid in ev.label. Formatting it costs about 280 instructions
  /// per packet, so the pipeline asks the tracker for it only when some sink says yes.
  [[nodiscard]] virtual bool wants_packet_uids() const noexcept { return true; }
  /// Whether conn() reads ConnRecord::uid (the tracker leaves it empty when no sink does).
  [[nodiscard]] virtual bool wants_conn_uids() const noexcept { return true; }
};

/// tcpdump's flag letters in tcpdump's order (F S R P . U E W e); "none" for no flags. Returns length.
std::size_t format_tcp_flags(std::uint16_t flags, char* out) noexcept;

/// "SECONDS.NANOSECONDS" (9 digits) into out (at least 32 chars). Returns length.
std::size_t format_epoch_ns(std::int64_t ts_ns, char* out) noexcept;

/// "1.234 ms", "49 µs", "2.1 s": a duration with its unit, for people.
std::string format_duration(std::int64_t ns, bool ascii = false);

/// Room format_duration(ns, ascii, out) needs, the NUL included.
inline constexpr std::size_t kMaxDurationText = 48;
/// The same into `out` (kMaxDurationText chars), without allocating. Returns the length.
std::size_t format_duration(std::int64_t ns, bool ascii, char* out) noexcept;

}  // namespace synscope::sink

#pragma once
/// ConnTracker: Zeek-compatible connection state machine. No I/O; records go to a sink callback.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "synscope/track/conn.hpp"

namespace synscope::track {

struct TrackerOptions {
  std::int64_t attempt_timeout_ns = 5'000'000'000;      ///< Zeek tcp_attempt_delay
  std::int64_t close_timeout_ns = 5'000'000'000;        ///< Zeek tcp_close_delay
  std::int64_t reset_timeout_ns = 5'000'000'000;        ///< Zeek tcp_reset_delay
  std::int64_t partial_close_timeout_ns = 3'000'000'000;  ///< Zeek tcp_partial_close_delay
  std::int64_t inactivity_timeout_ns = 300'000'000'000; ///< Zeek tcp_inactivity_timeout (5 min)
  std::int64_t udp_inactivity_timeout_ns = 60'000'000'000;   ///< Zeek udp_inactivity_timeout (1 min)
  std::int64_t icmp_inactivity_timeout_ns = 60'000'000'000;  ///< Zeek icmp_inactivity_timeout (1 min)
  std::size_t max_conns = 1'000'000;                    ///< cap; the oldest idle connection is evicted
  bool ignore_bad_checksums = true;  ///< false = Zeek's default: skip bad-checksum packets and log C/c
  /// Secret of the connection table's hash. 0: drawn from std::random_device per tracker, so that a
  /// crafted capture cannot steer its flows into one probe chain. The table's layout never shows in the
  /// records (uids come from a fixed hash); tests and fuzzers fix it to replay a run exactly.
  std::uint64_t hash_seed = 0;
  /// update() fills PacketLabel::uid (a hash written in base 62: ~280 instructions per packet). Off when
  /// nobody prints per-packet uids (text output).
  bool label_uids = true;
  /// Records carry their uid (~250 instructions per record); off, ConnRecord::uid is empty (a text
  /// table, which does not print it).
  bool record_uids = true;
  /// A shorter path through the TCP state machine for a pure ACK or data segment between two
  /// ESTABLISHED endpoints (most packets): the same result, fewer instructions. false sends every segment
  /// through the general path (the tests compare the two on every capture).
  bool fast_path = true;
  /// Sharding (read --jobs N): this tracker owns the flows whose table hash maps to `shard` of `shards`
  /// (update_batch with prepared keys skips the others, but every packet still advances its clock and
  /// its packet count, so timers fire and ids are given exactly as in a single tracker). Trackers that
  /// share a stream must share hash_seed.
  std::uint32_t shard = 0;
  std::uint32_t shards = 1;
};

/// Where a record was triggered, for merging the records of sharded trackers into one tracker's order.
/// Valid inside the RecordSink callback (ConnTracker::emit_position()).
struct EmitPosition {
  std::uint64_t packet = 0;  ///< ordinal of the packet being processed (1 = first given to the tracker)
  std::uint8_t phase = 0;    ///< 0: a timer, run before that packet; 1: the packet itself; 2: flush()
  std::int64_t deadline = 0; ///< phase 0: the timer's deadline; timers fire in (deadline, uint32(id)) order
  std::uint64_t id = 0;      ///< the connection's id: the ordinal of the packet that created it
};

using RecordSink = std::function<void(const ConnRecord&)>;

/// A flow's canonical 5-tuple: the two endpoints in sorted order, so both directions give the same key.
/// 40 bytes without padding.
struct FlowKey {
  std::array<std::uint8_t, 16> a{};
  std::array<std::uint8_t, 16> b{};
  std::uint16_t pa = 0;
  std::uint16_t pb = 0;
  std::uint8_t va = 0;
  std::uint8_t vb = 0;
  std::uint8_t proto = 0;
  std::uint8_t one_way = 0;  ///< ICMP without a counterpart type: keyed by direction
};

/// What ConnTracker::prepare() works out for a packet ahead of update_batch(): its key and table hash.
struct PreparedPacket {
  FlowKey key;
  std::uint64_t hash = 0;
  bool ok = false;        ///< the tracker takes the packet (TCP/UDP/ICMP, not a later fragment, …)
  bool src_is_a = true;   ///< the packet's source is the key's side a
};

class ConnTracker {
 public:
  ConnTracker(TrackerOptions opts, RecordSink sink);
  ~ConnTracker();
  ConnTracker(const ConnTracker&) = delete;
  ConnTracker& operator=(const ConnTracker&) = delete;

  /// Feeds one packet (in timestamp order). Expires idle connections first (by the packet's time).
  PacketLabel update(const PacketSummary& pkt);
  /// Feeds packets (in timestamp order) whose labels are not needed: the same result as update() on
  /// each, with the table's memory latency overlapped across up to kBatch packets (group prefetching).
  void update_batch(std::span<const PacketSummary> pkts);
  /// Works out the keys of `pkts` for update_batch(pkts, out). Reads only what is fixed when the tracker is
  /// constructed, so another thread may call it while this one runs update_batch() (the read pipeline's
  /// decoding thread does, taking that work off the tracking thread). Writes min(sizes) entries.
  void prepare(std::span<const PacketSummary> pkts, std::span<PreparedPacket> out) const noexcept;
  /// update_batch() with the keys already worked out by prepare() (min(sizes) packets).
  void update_batch(std::span<const PacketSummary> pkts, std::span<const PreparedPacket> prepared);
  static constexpr std::size_t kBatch = 16;
  /// For callers that need each packet's label (the packet-printing modes) and know up to kBatch packets
  /// ahead: asks the memory system for the table slots of `prepared` (prepare()'s keys) and the
  /// connections those slots name now, so that update(pkt, prepared) on each finds them in the cache.
  /// Only a hint: changes nothing the tracker reports.
  void prefetch(std::span<const PacketSummary> pkts, std::span<const PreparedPacket> prepared) const noexcept;
  /// update() with the packet's key already worked out by prepare(): the same label and records.
  PacketLabel update(const PacketSummary& pkt, const PreparedPacket& prepared);
  /// Reports every remaining connection (end of input / stop), in start order.
  void flush(const char* reason = "end-of-input");
  /// Expires connections idle at `now_ns` (live capture calls this on a timer).
  void expire(std::int64_t now_ns);

  /// Inside the RecordSink callback: where the record being reported was triggered.
  [[nodiscard]] const EmitPosition& emit_position() const noexcept;
  [[nodiscard]] std::size_t active() const noexcept;
  [[nodiscard]] std::uint64_t evicted() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synscope::track

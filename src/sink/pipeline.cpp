// Pipeline: the one place where decode, tracking and the sinks meet.

#include "synscope/sink/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <span>
#include <thread>

#include "synscope/decode/flow.hpp"
#include "synscope/track/summary.hpp"

namespace synscope::sink {

/// A ring of kBlocks blocks between the decoding thread (the producer, which fills the block at
/// `published`) and the tracking threads (one per shard; each works through every block in order). The
/// producer also works out each block's flow keys and hashes (ConnTracker::prepare) before handing it
/// over: tracking is the slower stage. A block is free again when every shard is done with it; the last
/// shard to finish it (an atomic count) first reports the block's connection records, merged from the
/// shards into the order one tracker would have reported them (by EmitPosition). So records reach the
/// sinks block by block, in order, from one thread at a time. One lock per block, not per packet.
struct Pipeline::Handoff {
  static constexpr std::size_t kBlock = 1024;
  static constexpr std::size_t kBlocks = 8;
  struct Tagged {  // a record of a sharded tracker, with where it was triggered
    track::EmitPosition pos;
    track::ConnRecord rec;
  };
  struct Slot {
    std::vector<track::PacketSummary> pkts;
    std::vector<track::PreparedPacket> keys;
    std::atomic<unsigned> pending{0};       // shards not yet done with this block
    std::vector<std::vector<Tagged>> recs;  // per shard (sharded mode)
  };
  struct Shard {
    std::unique_ptr<track::ConnTracker> tracker;  // shard 0's is the Pipeline's tracker_ (not owned here)
    track::ConnTracker* t = nullptr;
    std::vector<Tagged>* out = nullptr;  // where this shard's callback puts records (its own thread only)
    std::thread worker;
  };
  std::array<Slot, kBlocks> slots;
  std::vector<Shard> shards;
  std::vector<Sink*> sinks;
  std::mutex m;
  std::condition_variable cv_filled;  // the shards wait here for work
  std::condition_variable cv_freed;   // the producer waits here for a free block
  std::uint64_t published = 0;        // blocks handed over
  std::uint64_t freed = 0;            // blocks every shard is done with
  bool done = false;    // the producer has handed over its last block
  bool failed = false;  // a shard stopped with `error`
  std::exception_ptr error;

  explicit Handoff(std::size_t n_shards) : shards(n_shards) {
    for (auto& sl : slots) {
      sl.pkts.reserve(kBlock);
      sl.keys.resize(kBlock);
      if (n_shards > 1) sl.recs.resize(n_shards);
    }
  }
  [[nodiscard]] bool sharded() const noexcept { return shards.size() > 1; }
  Slot& current() { return slots[published % kBlocks]; }

  /// Hands the current block over; waits for a free one. False when a shard failed.
  bool push() {
    std::unique_lock<std::mutex> lock(m);
    current().pending.store(static_cast<unsigned>(shards.size()), std::memory_order_relaxed);
    ++published;
    cv_filled.notify_all();
    cv_freed.wait(lock, [this] { return published - freed < kBlocks || failed; });
    return !failed;
  }

  /// Tells the shards that nothing more comes, after handing over the current block if
  /// `hand_over_current` and it holds packets, and waits for them to finish.
  void close_and_join(bool hand_over_current) {
    {
      const std::lock_guard<std::mutex> lock(m);
      if (hand_over_current && !current().pkts.empty() && !failed) {
        current().pending.store(static_cast<unsigned>(shards.size()), std::memory_order_relaxed);
        ++published;
      }
      done = true;
    }
    cv_filled.notify_all();
    for (Shard& sh : shards) {
      if (sh.worker.joinable()) sh.worker.join();
    }
  }

  void fail(std::exception_ptr e) {
    {
      const std::lock_guard<std::mutex> lock(m);
      if (!failed) error = std::move(e);
      failed = true;
    }
    cv_freed.notify_all();
    cv_filled.notify_all();
  }

  /// The records of sharded trackers in the order one tracker reports them: by triggering packet; before
  /// it, the timers in the timer heap's (deadline, low 32 bits of the id) order; then the packet's own
  /// (all from the packet's shard, in the order that shard reported them: the sort is stable over the
  /// shards' lists in shard order).
  static void report_merged(std::vector<std::vector<Tagged>>& lists, const std::vector<Sink*>& sinks,
                            bool flushed) {
    std::vector<const Tagged*> all;
    for (const auto& l : lists) {
      for (const Tagged& t : l) all.push_back(&t);
    }
    if (all.empty()) return;
    std::stable_sort(all.begin(), all.end(), [flushed](const Tagged* x, const Tagged* y) {
      if (flushed) {  // flush(): start order, as ConnTracker::flush
        if (x->rec.ts_ns != y->rec.ts_ns) return x->rec.ts_ns < y->rec.ts_ns;
        return x->pos.id < y->pos.id;
      }
      if (x->pos.packet != y->pos.packet) return x->pos.packet < y->pos.packet;
      if (x->pos.phase != y->pos.phase) return x->pos.phase < y->pos.phase;
      if (x->pos.phase != 0) return false;
      if (x->pos.deadline != y->pos.deadline) return x->pos.deadline < y->pos.deadline;
      // equal deadlines: by the low half of the id, as the timer heap orders them
      return static_cast<std::uint32_t>(x->pos.id) < static_cast<std::uint32_t>(y->pos.id);
    });
    for (const Tagged* t : all) {
      for (Sink* s : sinks) s->conn(t->rec);
    }
    for (auto& l : lists) l.clear();
  }

  void shard_loop(std::size_t k) {
    Shard& sh = shards[k];
    std::uint64_t cursor = 0;
    try {
      for (;;) {
        Slot* slot = nullptr;
        {
          std::unique_lock<std::mutex> lock(m);
          cv_filled.wait(lock, [&] { return published > cursor || done || failed; });
          if (failed || published == cursor) return;  // failed, or done and nothing left
          slot = &slots[cursor % kBlocks];
        }
        if (sharded()) sh.out = &slot->recs[k];
        sh.t->update_batch(slot->pkts, slot->keys);  // split into prefetch groups inside
        if (slot->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          if (sharded()) report_merged(slot->recs, sinks, false);
          slot->pkts.clear();
          {
            const std::lock_guard<std::mutex> lock(m);
            ++freed;
          }
          cv_freed.notify_one();
        }
        ++cursor;
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }
};

Pipeline::Pipeline(const PipelineOptions& opts, std::vector<Sink*> sinks)
    : opts_(opts), sinks_(std::move(sinks)) {
  const bool threads = opts_.jobs >= 2 && opts_.track && !opts_.packet_events;
  constexpr unsigned kMaxShards = 64;  // each shard walks every block: beyond the cores it only costs
  const std::size_t n_shards = threads ? std::min(opts_.jobs - 1U, kMaxShards) : 1U;
  if (opts_.track && n_shards > 1) {
    // Trackers of one stream share the hash secret (prepare() on any of them serves all) and split the
    // connection cap.
    if (opts_.tracker.hash_seed == 0) opts_.tracker.hash_seed = std::random_device{}() | 1U;
    opts_.tracker.shards = static_cast<std::uint32_t>(n_shards);
    opts_.tracker.max_conns = std::max<std::size_t>(1, (opts_.tracker.max_conns + n_shards - 1) / n_shards);
  }
  if (opts_.track) {
    opts_.tracker.label_uids =
        std::any_of(sinks_.begin(), sinks_.end(), [](const Sink* s) { return s->wants_packet_uids(); });
    opts_.tracker.record_uids =
        std::any_of(sinks_.begin(), sinks_.end(), [](const Sink* s) { return s->wants_conn_uids(); });
    // The callback has its own copy of the sink list: with a tracking thread it runs there, and the
    // Pipeline object's cache lines are written by the decoding thread for every packet.
    if (n_shards == 1) {
      tracker_ = std::make_unique<track::ConnTracker>(opts_.tracker, [sinks = sinks_](const track::ConnRecord& rec) {
        for (Sink* s : sinks) s->conn(rec);
      });
    }
  }
  if (!threads) return;
  handoff_ = std::make_unique<Handoff>(n_shards);
  Handoff& h = *handoff_;
  h.sinks = sinks_;
  for (std::size_t k = 0; k < n_shards; ++k) {
    Handoff::Shard& sh = h.shards[k];
    if (n_shards == 1) {
      sh.t = tracker_.get();
      continue;
    }
    track::TrackerOptions to = opts_.tracker;
    to.shard = static_cast<std::uint32_t>(k);
    // Sharded: records are kept with their position and reported merged (Handoff::report_merged).
    sh.tracker = std::make_unique<track::ConnTracker>(to, [&sh](const track::ConnRecord& rec) {
      sh.out->push_back(Handoff::Tagged{sh.t->emit_position(), rec});
    });
    sh.t = sh.tracker.get();
  }
  for (std::size_t k = 0; k < n_shards; ++k) h.shards[k].worker = std::thread([&h, k] { h.shard_loop(k); });
}

Pipeline::~Pipeline() {
  // Without finish() (an exception on the way): the packets not yet handed over are dropped, as with
  // one thread the untracked rest of the input would be.
  if (handoff_) handoff_->close_and_join(false);
}

/// Hands over what is left, waits for the tracking threads to finish it and rethrows their error, if any.
/// Afterwards no thread runs (sharded trackers stay for finish()).
void Pipeline::stop_thread() {
  if (!handoff_ || stopped_) return;
  Handoff& h = *handoff_;
  h.shards.front().t->prepare(h.current().pkts, h.current().keys);
  h.close_and_join(true);
  stopped_ = true;
  const std::exception_ptr error = h.error;
  if (error) {
    for (Sink* s : sinks_) s->flush();  // the records reported before the failure are not lost
    std::rethrow_exception(error);
  }
}

bool Pipeline::decode_raw(const capture::RawFrame& raw, decode::DecodedFrame& out) {
  // decode_frame() resets what the previous frame left in `out` (decode_reuse_test).
  decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, out, opts_.decode);
  ++totals_.frames_matched;
  totals_.frames_read = raw.frame_no;
  if (out.problem.status == decode::Status::kTruncated) ++totals_.truncated;
  if (out.problem.status == decode::Status::kInvalid) ++totals_.invalid;
  if (decode::has(out.anomalies, decode::Anomaly::kL4ChecksumBad) ||
      decode::has(out.anomalies, decode::Anomaly::kIpChecksumBad)) {
    ++totals_.bad_checksums;
  }
  const decode::Transport tr = out.transport;
  const bool trackable = tr == decode::Transport::kTcp || tr == decode::Transport::kUdp ||
                         tr == decode::Transport::kIcmp || tr == decode::Transport::kIcmp6;
  return opts_.track && trackable;
}

// Inlined into process(), its only caller on the per-packet path: one call less per packet.
[[gnu::always_inline]] inline bool Pipeline::summarize_raw(const capture::RawFrame& raw, track::PacketSummary& out) {
  if (!opts_.track) return decode_raw(raw);
  bool bad_checksum = false;
  if (decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, out, bad_checksum, opts_.decode)) {
    // What decode_raw() counts for a frame without a problem.
    ++totals_.frames_matched;
    totals_.frames_read = raw.frame_no;
    totals_.bad_checksums += bad_checksum ? 1U : 0U;
    return true;
  }
  if (!decode_raw(raw)) return false;
  out = track::from_frame(frame_, raw.ts_ns);
  return true;
}

// Inlined into process() and process_batch().
[[gnu::always_inline]] inline void Pipeline::batch_one(const capture::RawFrame& raw) {
  if (summarize_raw(raw, batch_[batched_]) && ++batched_ == batch_.size()) drain();
}

void Pipeline::process(const capture::RawFrame& raw) {
  // The single-thread batch is filled in place (no value-initialised PacketSummary first: an 88-byte
  // clear per packet). The block for the tracking threads is cleared by emplace_back(): the decoding
  // thread is not the slower stage there.
  if (handoff_) {
    Handoff& h = *handoff_;
    auto& block = h.current().pkts;
    block.emplace_back();
    if (!summarize_raw(raw, block.back())) {
      block.pop_back();
      return;
    }
    if (block.size() == Handoff::kBlock) {
      h.shards.front().t->prepare(block, h.current().keys);  // any shard's: they share the hash secret
      if (!h.push()) stop_thread();  // rethrows the tracking thread's error
    }
    return;
  }
  if (!opts_.packet_events) {
    batch_one(raw);
    return;
  }
  track::PacketLabel label;
  const track::PacketLabel* label_ptr = nullptr;
  if (decode_raw(raw)) {
    label = tracker_->update(track::from_frame(frame_, raw.ts_ns));
    if (label.conn_id != 0) label_ptr = &label;
  }
  const PacketEvent ev{raw, frame_, label_ptr};
  for (Sink* s : sinks_) s->packet(ev);
}

void Pipeline::process_batch(std::span<const capture::RawFrame> frames) {
  if (opts_.packet_events && tracker_ && !handoff_) {
    for (std::size_t i = 0; i < frames.size(); i += kGroup) {
      print_group(frames.subspan(i, std::min(kGroup, frames.size() - i)));
    }
    return;
  }
  if (handoff_ || opts_.packet_events) {
    for (const capture::RawFrame& raw : frames) process(raw);
    return;
  }
  for (const capture::RawFrame& raw : frames) batch_one(raw);
}

void Pipeline::print_group(std::span<const capture::RawFrame> frames) {
  if (!ahead_) ahead_ = std::make_unique<Ahead>();
  Ahead& a = *ahead_;
  const std::size_t n = std::min(frames.size(), kGroup);
  for (std::size_t i = 0; i < n; ++i) {
    a.tracked[i] = decode_raw(frames[i], a.frames[i]);
    if (a.tracked[i]) {
      a.pkts[i] = track::from_frame(a.frames[i], frames[i].ts_ns);
      tracker_->prepare(std::span<const track::PacketSummary>(&a.pkts[i], 1), std::span<track::PreparedPacket>(&a.keys[i], 1));
    } else {
      a.keys[i].ok = false;  // what prefetch() reads of an untracked frame
    }
  }
  tracker_->prefetch(std::span<const track::PacketSummary>(a.pkts.data(), n),
                     std::span<const track::PreparedPacket>(a.keys.data(), n));
  for (std::size_t i = 0; i < n; ++i) {
    // Initialised from the call (built in place), not assigned: see ConnTracker::Impl::update().
    const track::PacketLabel label = a.tracked[i] ? tracker_->update(a.pkts[i], a.keys[i]) : track::PacketLabel{};
    const PacketEvent ev{frames[i], a.frames[i], label.conn_id != 0 ? &label : nullptr};
    for (Sink* s : sinks_) s->packet(ev);
  }
}

void Pipeline::drain() {
  if (batched_ == 0 || !tracker_) return;
  tracker_->update_batch(std::span<const track::PacketSummary>(batch_.data(), batched_));
  batched_ = 0;
}

void Pipeline::expire(std::int64_t now_ns) {
  if (!tracker_ || handoff_) return;  // live capture only: never threaded
  drain();
  tracker_->expire(now_ns);
}

void Pipeline::finish(RunSummary summary) {
  stop_thread();
  if (handoff_ && handoff_->sharded()) {
    // Every shard reports what it still holds; merged into start order as one tracker's flush().
    Handoff& h = *handoff_;
    std::vector<std::vector<Handoff::Tagged>> lists(h.shards.size());
    for (std::size_t k = 0; k < h.shards.size(); ++k) {
      h.shards[k].out = &lists[k];
      h.shards[k].t->flush();
      summary.evicted += h.shards[k].t->evicted();
    }
    Handoff::report_merged(lists, sinks_, true);
  } else if (tracker_) {
    drain();
    tracker_->flush();
    summary.evicted = tracker_->evicted();
  }
  summary.frames_matched = totals_.frames_matched;
  summary.truncated = totals_.truncated;
  summary.invalid = totals_.invalid;
  summary.bad_checksums = totals_.bad_checksums;
  if (summary.frames_read == 0) summary.frames_read = totals_.frames_read;
  totals_ = summary;
  for (Sink* s : sinks_) s->finish(summary);
}

void Pipeline::flush() {
  stop_thread();
  for (Sink* s : sinks_) s->flush();
}

}  // namespace synscope::sink

// Pipeline: the one place where decode, tracking and the sinks meet.

#include "synscope/sink/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <random>
#include <pthread.h>
#include <signal.h>
#include <span>
#include <stdexcept>
#include <thread>

#include "synscope/decode/flow.hpp"
#include "synscope/track/summary.hpp"

namespace synscope::sink {

void Sink::packet_summary(const SummaryEvent& /*ev*/) {
  throw std::logic_error("Sink::packet_summary() called on a sink that does not print summaries");
}

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

namespace {

/// A thread named `name` (at most 15 characters: `top -H`, /proc/PID/task/*/comm) that runs `f` with
/// every signal blocked, so that Ctrl-C and SIGTERM reach the thread that reads the input and checks for
/// them (a handler run on another thread would set the stop flag there).
template <class F>
std::thread start_thread(const char* name, F f) {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread t([name, f = std::move(f)]() mutable {
    pthread_setname_np(pthread_self(), name);
    f();
  });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

/// What a decoded frame adds to the run's problem counts (RunSummary's truncated, invalid and
/// bad_checksums): Pipeline::decode_raw() with one thread, the printing thread with two.
void count_problems(const decode::DecodedFrame& f, std::uint64_t& truncated, std::uint64_t& invalid,
                    std::uint64_t& bad_checksums) noexcept {
  if (f.problem.status == decode::Status::kTruncated) ++truncated;
  if (f.problem.status == decode::Status::kInvalid) ++invalid;
  if (decode::has(f.anomalies, decode::Anomaly::kL4ChecksumBad) || decode::has(f.anomalies, decode::Anomaly::kIpChecksumBad)) {
    ++bad_checksums;
  }
}

}  // namespace

/// The packet-printing modes on two threads (PipelineOptions::jobs): the calling thread reads, summarises
/// and tracks each frame and copies it, with its label and the records the tracker reported before it,
/// into the current block of a ring; the printing thread decodes each frame of a block again (decoding is
/// pure: the same DecodedFrame as one thread's) and calls the sinks: records first, then the packet, as
/// print_group() does. Sinks are called from the printing thread only, until it is joined. One lock per
/// block of kBlock frames; a block's vectors keep their capacity, so steady state allocates nothing.
struct Pipeline::PrintHandoff {
  static constexpr std::size_t kBlock = 256;
  static constexpr std::size_t kBlocks = 4;
  /// A block is also handed over once its frames hold this many bytes: 256 frames of 64 KiB (segments
  /// captured before the NIC split them) would otherwise keep 64 MiB in the ring.
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20U;
  struct Rec {
    std::size_t before = 0;  // reported before the block's frame `before` (kBlock: after the last)
    track::ConnRecord rec;
  };
  struct Block {
    std::size_t n = 0;                      // frames
    std::array<capture::RawFrame, kBlock> raws;    // bytes point into `bytes` once handed over
    std::array<std::size_t, kBlock> offsets{};     // of each frame's bytes in `bytes`
    std::array<track::PacketLabel, kBlock> labels;
    std::array<bool, kBlock> labelled{};
    std::vector<std::byte> bytes;
    std::vector<Rec> recs;  // the first n_recs are this block's; the rest keep their strings' capacity
    std::size_t n_recs = 0;
  };
  std::array<Block, kBlocks> blocks;
  std::vector<Sink*> sinks;
  decode::DecodeOptions decode;          // the printing thread's
  bool summaries = false;                // every sink prints summaries (Pipeline::summaries_)
  decode::DecodeOptions summary_decode;  // the calling thread's summaries (checksums only if the tracker needs them)
  // Counted by the printing thread from its decode of every frame, as Pipeline::decode_raw() counts them
  // with one thread (the calling thread counts frames_matched and frames_read).
  std::uint64_t truncated = 0;
  std::uint64_t invalid = 0;
  std::uint64_t bad_checksums = 0;
  std::mutex m;
  std::condition_variable cv_filled;  // the printing thread sleeps here for a block
  std::condition_variable cv_freed;   // the calling thread sleeps here for a free block
  bool printer_sleeps = false;        // under m
  bool caller_sleeps = false;         // under m
  std::atomic<std::uint64_t> published{0};  // blocks handed over (written by the calling thread)
  std::atomic<std::uint64_t> freed{0};      // blocks printed (written by the printing thread)
  std::atomic<bool> done{false};    // nothing more comes
  std::atomic<bool> failed{false};  // the printing thread stopped with `error` (set before `failed`)
  std::exception_ptr error;
  std::thread worker;
  /// The tracker's records go into the current block (before its frame `next`) while the printing
  /// thread runs; afterwards (finish()) straight to the sinks. Calling thread only.
  bool collecting = true;
  std::size_t next = 0;
  bool closed = false;  // close_and_join() ran (calling thread only)

  Block& current() { return blocks[published.load(std::memory_order_relaxed) % kBlocks]; }

  /// Waits until `ready()`: spins first, then sleeps on `cv` with `sleeping` set. The other side hands
  /// over a block every few tens of microseconds; a futex wake for each cost the calling thread ~4 % of
  /// its time (perf), and waking a sleeping thread can make the scheduler move it onto the waker's core.
  template <class Ready>
  void await(Ready ready, std::condition_variable& cv, bool& sleeping) {
    constexpr int kSpins = 4096;  // pause instructions: some tens of microseconds
    for (int k = 0; k < kSpins; ++k) {
      if (ready()) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    std::unique_lock<std::mutex> lock(m);
    sleeping = true;
    cv.wait(lock, ready);
    sleeping = false;
  }
  /// Wakes the other side if it sleeps (after the state it waits for was stored).
  void wake(std::condition_variable& cv, const bool& sleeping) {
    bool sleeps = false;
    {
      const std::lock_guard<std::mutex> lock(m);
      sleeps = sleeping;
    }
    if (sleeps) cv.notify_one();
  }

  /// Copies a frame into the current block (which has room: see room_for()); its label follows later.
  void add_frame(const capture::RawFrame& raw) {
    Block& b = current();
    const std::size_t off = b.bytes.size();
    b.bytes.insert(b.bytes.end(), raw.bytes.begin(), raw.bytes.end());
    b.raws[b.n] = raw;
    b.offsets[b.n] = off;
    b.labelled[b.n] = false;
    ++b.n;
  }
  void add_record(const track::ConnRecord& rec) {
    Block& b = current();
    if (b.n_recs == b.recs.size()) b.recs.emplace_back();
    b.recs[b.n_recs].before = next;
    b.recs[b.n_recs].rec = rec;  // assigned: the element's strings keep their buffers
    ++b.n_recs;
  }
  /// Makes room for `n` more frames: hands the current block over when it would overflow. False when
  /// the printing thread failed.
  bool room_for(std::size_t n) {
    const Block& b = current();
    return (b.n + n <= kBlock && b.bytes.size() < kBlockBytes) || push();
  }

  /// Hands the current block over and waits for the next one to be free. False when the printing thread failed.
  bool push() {
    publish_current();
    const std::uint64_t p = published.load(std::memory_order_relaxed);
    await([&] { return p - freed.load(std::memory_order_acquire) < kBlocks || failed.load(std::memory_order_acquire); },
          cv_freed, caller_sleeps);
    if (failed.load(std::memory_order_acquire)) return false;
    Block& b = current();  // printed and free: start it again
    b.n = 0;
    b.n_recs = 0;
    b.bytes.clear();
    next = 0;
    return true;
  }
  /// Points the current block's frames at their copies and hands it over.
  void publish_current() {
    Block& b = current();
    for (std::size_t i = 0; i < b.n; ++i) b.raws[i].bytes = Bytes(b.bytes.data() + b.offsets[i], b.raws[i].bytes.size());
    published.fetch_add(1, std::memory_order_release);
    wake(cv_filled, printer_sleeps);
  }

  /// Hands over the current block if `hand_over_current` (and it holds anything), lets the printing
  /// thread finish and joins it. Records go to the sinks directly from now on.
  void close_and_join(bool hand_over_current) {
    if (closed) return;
    closed = true;
    if (hand_over_current && !failed.load(std::memory_order_acquire) && (current().n > 0 || current().n_recs > 0)) {
      publish_current();
    }
    done.store(true, std::memory_order_release);
    wake(cv_filled, printer_sleeps);
    if (worker.joinable()) worker.join();
    collecting = false;
  }

  void fail(std::exception_ptr e) {
    error = std::move(e);
    failed.store(true, std::memory_order_release);
    wake(cv_freed, caller_sleeps);
  }

  void print_loop() {
    decode::DecodedFrame frame;
    track::PacketSummary pkt;
    Bytes tcp_options;
    std::uint64_t cursor = 0;
    try {
      for (;;) {
        // `done` is read before `published`: a block handed over before `done` is not missed.
        await([&] { return done.load(std::memory_order_acquire) || published.load(std::memory_order_acquire) > cursor; },
              cv_filled, printer_sleeps);
        if (published.load(std::memory_order_acquire) == cursor) return;  // done and nothing left
        Block* b = &blocks[cursor % kBlocks];
        std::size_t r = 0;
        for (std::size_t i = 0; i < b->n; ++i) {
          for (; r < b->n_recs && b->recs[r].before == i; ++r) {
            for (Sink* s : sinks) s->conn(b->recs[r].rec);
          }
          const capture::RawFrame& raw = b->raws[i];
          const track::PacketLabel* const label = b->labelled[i] ? &b->labels[i] : nullptr;
          bool bad_checksum = false;
          if (summaries &&
              decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, pkt, bad_checksum, decode, &tcp_options)) {
            bad_checksums += bad_checksum ? 1U : 0U;  // what count_problems() counts for it
            const SummaryEvent ev{raw, pkt, tcp_options, label};
            for (Sink* s : sinks) s->packet_summary(ev);
            continue;
          }
          decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, frame, decode);
          count_problems(frame, truncated, invalid, bad_checksums);
          const PacketEvent ev{raw, frame, label};
          for (Sink* s : sinks) s->packet(ev);
        }
        for (; r < b->n_recs; ++r) {
          for (Sink* s : sinks) s->conn(b->recs[r].rec);
        }
        freed.fetch_add(1, std::memory_order_release);
        wake(cv_freed, caller_sleeps);
        ++cursor;
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }
};

Pipeline::Pipeline(const PipelineOptions& opts, std::vector<Sink*> sinks)
    : opts_(opts), sinks_(std::move(sinks)) {
  summaries_ = opts_.print_summaries && !sinks_.empty() &&
               std::all_of(sinks_.begin(), sinks_.end(), [](const Sink* s) { return s->prints_summaries(); });
  if (opts_.jobs >= 2 && opts_.packet_events) {
    print_ = std::make_unique<PrintHandoff>();
    print_->sinks = sinks_;
    print_->decode = opts_.decode;
    print_->summaries = summaries_;
    print_->summary_decode = opts_.decode;
    if (opts_.tracker.ignore_bad_checksums) print_->summary_decode.verify_checksums = false;
  }
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
      // With a printing thread, the records go into its blocks in between the packets until it is joined.
      tracker_ = std::make_unique<track::ConnTracker>(
          opts_.tracker, [sinks = sinks_, print = print_.get()](const track::ConnRecord& rec) {
            if (print != nullptr && print->collecting) {
              print->add_record(rec);
              return;
            }
            for (Sink* s : sinks) s->conn(rec);
          });
    }
  }
  if (print_) {
    PrintHandoff& ph = *print_;
    ph.worker = start_thread("synscope-print", [&ph] { ph.print_loop(); });
    return;
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
  for (std::size_t k = 0; k < n_shards; ++k) h.shards[k].worker = start_thread("synscope-track", [&h, k] { h.shard_loop(k); });
}

Pipeline::~Pipeline() {
  // Without finish() (an exception on the way): the packets not yet handed over are dropped, as with
  // one thread the untracked rest of the input would be.
  if (handoff_) handoff_->close_and_join(false);
  // The current block's frames were tracked: with one thread they would have been printed too.
  if (print_) print_->close_and_join(true);
}

/// Hands over what is left, waits for the tracking threads to finish it and rethrows their error, if any.
/// Afterwards no thread runs (sharded trackers stay for finish()).
void Pipeline::stop_thread() {
  if (print_) {
    PrintHandoff& ph = *print_;
    if (!stopped_) {
      ph.close_and_join(true);
      stopped_ = true;
      if (ph.error) {
        for (Sink* s : sinks_) s->flush();  // what was printed before the failure is not lost
      }
    }
    // After a failure the Pipeline stays stopped: every later call reports it again (the frames tracked
    // after the failing one were not printed, so nothing may carry on from the tracker's state).
    if (ph.error) std::rethrow_exception(ph.error);
    return;
  }
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
  count_problems(out, totals_.truncated, totals_.invalid, totals_.bad_checksums);
  const decode::Transport tr = out.transport;
  const bool trackable = tr == decode::Transport::kTcp || tr == decode::Transport::kUdp ||
                         tr == decode::Transport::kIcmp || tr == decode::Transport::kIcmp6;
  return opts_.track && trackable;
}

[[gnu::always_inline]] inline void Pipeline::count_summarized(const capture::RawFrame& raw, bool bad_checksum) noexcept {
  ++totals_.frames_matched;
  totals_.frames_read = raw.frame_no;
  totals_.bad_checksums += bad_checksum ? 1U : 0U;
}

// Inlined into process(), its only caller on the per-packet path: one call less per packet.
[[gnu::always_inline]] inline bool Pipeline::summarize_raw(const capture::RawFrame& raw, track::PacketSummary& out,
                                                            const decode::DecodeOptions& short_way) {
  if (!opts_.track) return decode_raw(raw);
  bool bad_checksum = false;
  if (decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, out, bad_checksum, short_way)) {
    count_summarized(raw, bad_checksum);
    return true;
  }
  if (!decode_raw(raw)) return false;
  out = track::from_frame(frame_, raw.ts_ns);
  return true;
}

// Inlined into process() and process_batch().
[[gnu::always_inline]] inline void Pipeline::batch_one(const capture::RawFrame& raw) {
  if (summarize_raw(raw, batch_[batched_], opts_.decode) && ++batched_ == batch_.size()) drain();
}

bool Pipeline::to_printing_thread() {
  if (!print_) return false;
  if (stopped_) stop_thread();  // rethrows the printing thread's error, if it failed
  return !stopped_;
}

void Pipeline::process(const capture::RawFrame& raw) {
  if (to_printing_thread()) {
    track_for_printer(std::span<const capture::RawFrame>(&raw, 1));
    return;
  }
  // The single-thread batch is filled in place (no value-initialised PacketSummary first: an 88-byte
  // clear per packet). The block for the tracking threads is cleared by emplace_back(): the decoding
  // thread is not the slower stage there.
  if (handoff_) {
    Handoff& h = *handoff_;
    auto& block = h.current().pkts;
    block.emplace_back();
    if (!summarize_raw(raw, block.back(), opts_.decode)) {
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
  if (to_printing_thread()) {
    for (std::size_t i = 0; i < frames.size(); i += kGroup) {
      track_for_printer(frames.subspan(i, std::min(kGroup, frames.size() - i)));
    }
    return;
  }
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

// The keys of the group's first n frames (their summaries in ahead_->pkts when tracked), as
// prefetch_ahead() reads them: one call for the group (one per frame cost ~15 instructions each). An
// untracked frame's slot holds an older summary, keyed for nothing and marked so.
inline void Pipeline::keys_ahead(std::size_t n) {
  Ahead& a = *ahead_;
  tracker_->prepare(std::span<const track::PacketSummary>(a.pkts.data(), n), std::span<track::PreparedPacket>(a.keys.data(), n));
  for (std::size_t i = 0; i < n; ++i) {
    if (!a.tracked[i]) a.keys[i].ok = false;  // what prefetch() reads of an untracked frame
  }
}

// The table slots and connections the group's first n frames will touch (ConnTracker::prefetch()).
inline void Pipeline::prefetch_ahead(std::size_t n) {
  const Ahead& a = *ahead_;
  tracker_->prefetch(std::span<const track::PacketSummary>(a.pkts.data(), n),
                     std::span<const track::PreparedPacket>(a.keys.data(), n));
}

void Pipeline::print_group(std::span<const capture::RawFrame> frames) {
  if (!ahead_) ahead_ = std::make_unique<Ahead>();
  Ahead& a = *ahead_;
  const std::size_t n = std::min(frames.size(), kGroup);
  for (std::size_t i = 0; i < n; ++i) {
    const capture::RawFrame& raw = frames[i];
    if (summaries_) {
      bool bad_checksum = false;
      a.summarized[i] = decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, a.pkts[i], bad_checksum,
                                               opts_.decode, &a.options[i]);
      if (a.summarized[i]) {
        count_summarized(raw, bad_checksum);
        a.tracked[i] = opts_.track;
        continue;
      }
    }
    a.tracked[i] = decode_raw(raw, a.frames[i]);
    if (a.tracked[i]) a.pkts[i] = track::from_frame(a.frames[i], raw.ts_ns);
  }
  keys_ahead(n);
  prefetch_ahead(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Initialised from the call (built in place), not assigned: see ConnTracker::Impl::update().
    const track::PacketLabel label = a.tracked[i] ? tracker_->update(a.pkts[i], a.keys[i]) : track::PacketLabel{};
    const track::PacketLabel* const l = label.conn_id != 0 ? &label : nullptr;
    if (a.summarized[i]) {
      const SummaryEvent ev{frames[i], a.pkts[i], a.options[i], l};
      for (Sink* s : sinks_) s->packet_summary(ev);
    } else {
      const PacketEvent ev{frames[i], a.frames[i], l};
      for (Sink* s : sinks_) s->packet(ev);
    }
  }
}

void Pipeline::track_for_printer(std::span<const capture::RawFrame> frames) {
  PrintHandoff& ph = *print_;
  const std::size_t n = std::min(frames.size(), kGroup);
  if (n == 0) return;
  if (!ph.room_for(n)) stop_thread();  // rethrows the printing thread's error
  const std::size_t base = ph.current().n;
  for (std::size_t i = 0; i < n; ++i) ph.add_frame(frames[i]);
  if (!tracker_) {  // --no-track: what decode_raw() counts here; the printing thread counts the rest
    totals_.frames_matched += n;
    totals_.frames_read = frames[n - 1].frame_no;
    return;
  }
  if (!ahead_) ahead_ = std::make_unique<Ahead>();
  Ahead& a = *ahead_;
  // As print_group(), from the summaries (the short way where it applies; they count the frames). The
  // checksums are left to the printing thread, which decodes every frame with them anyway and counts the
  // bad ones, unless the tracker needs them (Zeek's checksum handling).
  for (std::size_t i = 0; i < n; ++i) {
    a.tracked[i] = summarize_raw(frames[i], a.pkts[i], ph.summary_decode);
  }
  keys_ahead(n);
  prefetch_ahead(n);
  PrintHandoff::Block& b = ph.current();
  for (std::size_t i = 0; i < n; ++i) {
    if (!a.tracked[i]) continue;
    ph.next = base + i;  // where the records this packet triggers go
    // Built in place (a prvalue, so no copy): a copy read the label's fields, just written byte by byte,
    // as 16-byte loads (failed store forwarding; perf put it at the top of this function).
    ::new (static_cast<void*>(&b.labels[base + i])) track::PacketLabel(tracker_->update(a.pkts[i], a.keys[i]));
    b.labelled[base + i] = b.labels[base + i].conn_id != 0;
  }
  ph.next = base + n;
}

void Pipeline::drain() {
  if (batched_ == 0 || !tracker_) return;
  tracker_->update_batch(std::span<const track::PacketSummary>(batch_.data(), batched_));
  batched_ = 0;
}

void Pipeline::expire(std::int64_t now_ns) {
  if (!tracker_ || handoff_) return;  // live capture: never threaded (with a printing thread: see below)
  if (print_ && !stopped_) print_->next = print_->current().n;  // the records come before the next frame
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
  // With the printing thread these are its counts (this thread's summaries skip the checksums, and
  // without tracking it does not decode at all).
  if (print_) {
    totals_.truncated = print_->truncated;
    totals_.invalid = print_->invalid;
    totals_.bad_checksums = print_->bad_checksums;
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

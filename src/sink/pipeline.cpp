// Pipeline: the one place where decode, tracking and the sinks meet.

#include "synscope/sink/pipeline.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <span>
#include <thread>

#include "synscope/track/summary.hpp"

namespace synscope::sink {

/// A ring of kBlocks blocks between the decoding thread (the producer, which fills blocks[tail]) and the
/// tracking thread (the consumer, which works through blocks[head]). The `filled` blocks from head on
/// belong to the consumer, the one at tail to the producer; they never overlap because the producer waits
/// while all kBlocks are filled. One lock per block of kBlock packets, not per packet. The producer also
/// works out each block's flow keys and hashes (ConnTracker::prepare) before handing it over: the
/// tracking thread is the slower stage.
struct Pipeline::Handoff {
  static constexpr std::size_t kBlock = 1024;
  static constexpr std::size_t kBlocks = 16;
  std::array<std::vector<track::PacketSummary>, kBlocks> blocks;
  std::array<std::vector<track::PreparedPacket>, kBlocks> keys;  // keys[i] goes with blocks[i]
  std::mutex m;
  std::condition_variable cv_filled;  // the consumer waits here for work
  std::condition_variable cv_freed;   // the producer waits here for a free block
  std::size_t head = 0;
  std::size_t tail = 0;
  std::size_t filled = 0;
  bool done = false;      // the producer has handed over its last block
  bool failed = false;    // the consumer stopped with `error`
  std::exception_ptr error;
  std::thread worker;

  Handoff() {
    for (auto& b : blocks) b.reserve(kBlock);
    for (auto& k : keys) k.resize(kBlock);
  }
  std::vector<track::PacketSummary>& current() { return blocks[tail]; }
  std::vector<track::PreparedPacket>& current_keys() { return keys[tail]; }

  /// Tells the consumer that nothing more comes, after handing over blocks[tail] if `hand_over_current`
  /// and it holds packets, and waits for the consumer to finish.
  void close_and_join(bool hand_over_current) {
    {
      const std::lock_guard<std::mutex> lock(m);
      if (hand_over_current && !blocks[tail].empty() && !failed) {
        ++filled;
        tail = (tail + 1) % kBlocks;
      }
      done = true;
    }
    cv_filled.notify_one();
    if (worker.joinable()) worker.join();
  }

  /// Hands blocks[tail] over; waits for a free block. False when the consumer failed.
  bool push() {
    std::unique_lock<std::mutex> lock(m);
    ++filled;
    tail = (tail + 1) % kBlocks;
    cv_filled.notify_one();
    cv_freed.wait(lock, [this] { return filled < kBlocks || failed; });
    return !failed;
  }
};

Pipeline::Pipeline(PipelineOptions opts, std::vector<Sink*> sinks) : opts_(opts), sinks_(std::move(sinks)) {
  if (opts_.track) {
    // The callback has its own copy of the sink list: with a tracking thread it runs there, and the
    // Pipeline object's cache lines are written by the decoding thread for every packet.
    tracker_ = std::make_unique<track::ConnTracker>(opts_.tracker, [sinks = sinks_](const track::ConnRecord& rec) {
      for (Sink* s : sinks) s->conn(rec);
    });
  }
  if (opts_.jobs >= 2 && opts_.track && !opts_.packet_events) {
    handoff_ = std::make_unique<Handoff>();
    handoff_->worker = std::thread([this] { track_thread(); });
  }
}

Pipeline::~Pipeline() {
  // Without finish() (an exception on the way): the packets not yet handed over are dropped, as with
  // one thread the untracked rest of the input would be.
  if (handoff_) handoff_->close_and_join(false);
}

void Pipeline::track_thread() {
  Handoff& h = *handoff_;
  track::ConnTracker& tracker = *tracker_;  // read once: the Pipeline's own lines belong to the decoding thread
  try {
    for (;;) {
      std::vector<track::PacketSummary>* block = nullptr;
      const std::vector<track::PreparedPacket>* keys = nullptr;
      {
        std::unique_lock<std::mutex> lock(h.m);
        h.cv_filled.wait(lock, [&h] { return h.filled > 0 || h.done; });
        if (h.filled == 0) return;  // done and nothing left
        block = &h.blocks[h.head];
        keys = &h.keys[h.head];
      }
      tracker.update_batch(*block, *keys);  // split into prefetch groups inside
      block->clear();
      {
        const std::lock_guard<std::mutex> lock(h.m);
        h.head = (h.head + 1) % Handoff::kBlocks;
        --h.filled;
      }
      h.cv_freed.notify_one();
    }
  } catch (...) {
    {
      const std::lock_guard<std::mutex> lock(h.m);
      h.error = std::current_exception();
      h.failed = true;
    }
    h.cv_freed.notify_one();
  }
}

/// Hands over what is left, waits for the tracking thread to finish it and rethrows its error, if any.
/// Afterwards the pipeline is single-threaded again (handoff_ is gone).
void Pipeline::stop_thread() {
  if (!handoff_) return;
  tracker_->prepare(handoff_->current(), handoff_->current_keys());
  handoff_->close_and_join(true);
  const std::exception_ptr error = handoff_->error;
  handoff_.reset();
  if (error) {
    for (Sink* s : sinks_) s->flush();  // the records reported before the failure are not lost
    std::rethrow_exception(error);
  }
}

bool Pipeline::summarize(const capture::RawFrame& raw, track::PacketSummary& out) {
  frame_ = decode::DecodedFrame{};
  decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, frame_, opts_.decode);
  ++totals_.frames_matched;
  totals_.frames_read = raw.frame_no;
  if (frame_.problem.status == decode::Status::kTruncated) ++totals_.truncated;
  if (frame_.problem.status == decode::Status::kInvalid) ++totals_.invalid;
  if (decode::has(frame_.anomalies, decode::Anomaly::kL4ChecksumBad) ||
      decode::has(frame_.anomalies, decode::Anomaly::kIpChecksumBad)) {
    ++totals_.bad_checksums;
  }
  const decode::Transport tr = frame_.transport;
  const bool trackable = tr == decode::Transport::kTcp || tr == decode::Transport::kUdp ||
                         tr == decode::Transport::kIcmp || tr == decode::Transport::kIcmp6;
  if (!tracker_ || !trackable) return false;
  out = track::from_frame(frame_, raw.ts_ns);
  return true;
}

void Pipeline::process(const capture::RawFrame& raw) {
  if (handoff_) {
    auto& block = handoff_->current();
    block.emplace_back();
    if (!summarize(raw, block.back())) {
      block.pop_back();
    } else if (block.size() == Handoff::kBlock) {
      tracker_->prepare(block, handoff_->current_keys());
      if (!handoff_->push()) stop_thread();  // rethrows the tracking thread's error
    }
    return;
  }
  if (!opts_.packet_events) {
    if (summarize(raw, batch_[batched_])) {
      if (++batched_ == batch_.size()) drain();
    }
    return;
  }
  track::PacketSummary summary;
  track::PacketLabel label;
  const track::PacketLabel* label_ptr = nullptr;
  if (summarize(raw, summary)) {
    label = tracker_->update(summary);
    if (label.conn_id != 0) label_ptr = &label;
  }
  const PacketEvent ev{raw, frame_, label_ptr};
  for (Sink* s : sinks_) s->packet(ev);
}

void Pipeline::drain() {
  if (batched_ == 0) return;
  tracker_->update_batch(std::span<const track::PacketSummary>(batch_.data(), batched_));
  batched_ = 0;
}

void Pipeline::expire(std::int64_t now_ns) {
  if (!tracker_) return;
  stop_thread();
  drain();
  tracker_->expire(now_ns);
}

void Pipeline::finish(RunSummary summary) {
  stop_thread();
  if (tracker_) {
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

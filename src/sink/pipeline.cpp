// Pipeline: the one place where decode, tracking and the sinks meet.

#include "synscope/sink/pipeline.hpp"

#include "synscope/track/summary.hpp"

namespace synscope::sink {

Pipeline::Pipeline(PipelineOptions opts, std::vector<Sink*> sinks) : opts_(opts), sinks_(std::move(sinks)) {
  if (opts_.track) {
    tracker_ = std::make_unique<track::ConnTracker>(opts_.tracker, [this](const track::ConnRecord& rec) {
      for (Sink* s : sinks_) s->conn(rec);
    });
  }
}

Pipeline::~Pipeline() = default;

void Pipeline::process(const capture::RawFrame& raw) {
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
  track::PacketLabel label;
  const track::PacketLabel* label_ptr = nullptr;
  const decode::Transport tr = frame_.transport;
  const bool trackable = tr == decode::Transport::kTcp || tr == decode::Transport::kUdp ||
                         tr == decode::Transport::kIcmp || tr == decode::Transport::kIcmp6;
  if (!opts_.packet_events) {
    if (tracker_ && trackable) {
      batch_[batched_++] = track::from_frame(frame_, raw.ts_ns);
      if (batched_ == batch_.size()) drain();
    }
    return;
  }
  if (tracker_ && trackable) {
    label = tracker_->update(track::from_frame(frame_, raw.ts_ns));
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
  drain();
  tracker_->expire(now_ns);
}

void Pipeline::finish(RunSummary summary) {
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
  for (Sink* s : sinks_) s->flush();
}

}  // namespace synscope::sink

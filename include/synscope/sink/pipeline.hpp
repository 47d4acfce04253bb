#pragma once
/// Pipeline: decode -> track -> sinks for one frame at a time. Shared by `read` and `live`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/sink/sink.hpp"
#include "synscope/track/tracker.hpp"

namespace synscope::sink {

struct PipelineOptions {
  bool track = true;
  /// false: no sink prints packets (connection records and the summary only), so the tracker may take
  /// packets in batches (ConnTracker::update_batch) and the sinks' packet() is not called.
  bool packet_events = true;
  decode::DecodeOptions decode;
  track::TrackerOptions tracker;
};

class Pipeline {
 public:
  /// `sinks` are not owned and must outlive the pipeline.
  Pipeline(PipelineOptions opts, std::vector<Sink*> sinks);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Decodes, tracks and prints one frame.
  void process(const capture::RawFrame& raw);
  /// Expires idle connections at `now_ns` (live capture between packets).
  void expire(std::int64_t now_ns);
  /// Reports every remaining connection, then the summary; flushes every sink.
  void finish(RunSummary summary);
  void flush();

  [[nodiscard]] const RunSummary& totals() const noexcept { return totals_; }

 private:
  PipelineOptions opts_;
  std::vector<Sink*> sinks_;
  std::unique_ptr<track::ConnTracker> tracker_;
  decode::DecodedFrame frame_;
  RunSummary totals_;
  std::array<track::PacketSummary, track::ConnTracker::kBatch> batch_{};
  std::size_t batched_ = 0;
  void drain();
};

}  // namespace synscope::sink

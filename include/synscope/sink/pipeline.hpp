#pragma once
/// Pipeline: decode -> track -> sinks for one frame at a time. Shared by `read` and `live`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
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
  /// 2 or more, with packet_events false and tracking on: decoding stays on the calling thread while
  /// jobs - 1 threads track (flows sharded by a symmetric hash of the 5-tuple; each thread a tracker of its
  /// own, with --max-conns split between them), fed blocks of packet summaries. The same records in the
  /// same order as with 1 (unless the connection cap evicts: which connection goes then depends on the
  /// shard); sinks are called by one tracking thread at a time.
  /// 2 or more with packet_events (the packet-printing modes of `read`): the calling thread reads,
  /// summarises and tracks (the labels and records), one more thread decodes each frame again and calls
  /// the sinks (PrintHandoff: frames copied into blocks with their labels and the records reported before
  /// each). The same output in the same order as with 1; more threads are not used. Never with live
  /// capture (the board and the expiry timer run on the calling thread).
  unsigned jobs = 1;
  /// Printing packets with tracking on (in groups, or on the printing thread): when every sink prints a
  /// packet from its summary (Sink::prints_summaries()), the frames decode::summarize_flow() accepts skip
  /// decode_frame(). The same output either way (tests turn it off to compare).
  bool print_summaries = true;
  decode::DecodeOptions decode;
  track::TrackerOptions tracker;
};

class Pipeline {
 public:
  /// `sinks` are not owned and must outlive the pipeline.
  Pipeline(const PipelineOptions& opts, std::vector<Sink*> sinks);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Decodes, tracks and prints one frame. With a tracking thread (PipelineOptions::jobs), an error that
  /// stopped that thread (out of memory) is rethrown here or from finish().
  void process(const capture::RawFrame& raw);
  /// process() on each frame in order (one call for a reader's batch: FileSource::next_batch()). The same
  /// output; printing packets with tracking on, the frames are decoded a group ahead (print_group()).
  void process_batch(std::span<const capture::RawFrame> frames);
  /// Expires idle connections at `now_ns` (live capture between packets).
  void expire(std::int64_t now_ns);
  /// Reports every remaining connection, then the summary; flushes every sink. Joins the tracking thread
  /// first, if there is one.
  void finish(RunSummary summary);
  /// True while another thread does the tracking or the printing (see PipelineOptions::jobs).
  [[nodiscard]] bool threaded() const noexcept { return (handoff_ != nullptr || print_ != nullptr) && !stopped_; }
  void flush();

  [[nodiscard]] const RunSummary& totals() const noexcept { return totals_; }

 private:
  PipelineOptions opts_;
  std::vector<Sink*> sinks_;
  std::unique_ptr<track::ConnTracker> tracker_;
  // Its own cache lines: written per packet. Holds the last frame decode_raw() decoded: frames that
  // summarize_raw() takes the short way never reach it, so only the packet-event path may read it.
  alignas(64) decode::DecodedFrame frame_;
  RunSummary totals_;
  std::array<track::PacketSummary, track::ConnTracker::kBatch> batch_{};
  std::size_t batched_ = 0;
  /// The packet-printing path with tracking takes a reader's batch in groups: every frame of a group is
  /// decoded and keyed first and the tracker prefetches what the group will touch, then each frame is
  /// tracked and printed in turn (print_group()). Decoding is pure, so the output is the same as frame by
  /// frame; the table's cache misses overlap instead of stalling one packet each.
  static constexpr std::size_t kGroup = track::ConnTracker::kBatch;
  struct Ahead {
    std::array<decode::DecodedFrame, kGroup> frames;
    std::array<track::PacketSummary, kGroup> pkts;
    std::array<track::PreparedPacket, kGroup> keys;
    std::array<bool, kGroup> tracked{};
    std::array<bool, kGroup> summarized{};  // printed by Sink::packet_summary() from pkts[i] and options[i]
    std::array<Bytes, kGroup> options;
  };
  bool summaries_ = false;  // print_summaries and every sink prints summaries
  std::unique_ptr<Ahead> ahead_;  // made on the first group
  void print_group(std::span<const capture::RawFrame> frames);
  void keys_ahead(std::size_t n);
  void prefetch_ahead(std::size_t n);
  struct Handoff;  // blocks of summaries passed to the tracking thread
  std::unique_ptr<Handoff> handoff_;
  struct PrintHandoff;  // blocks of frames, labels and records passed to the printing thread
  std::unique_ptr<PrintHandoff> print_;
  /// With the printing thread: the frames of one reader's batch summarised and tracked on this thread
  /// (a group at a time, prefetched as print_group()), then copied into the current block.
  void track_for_printer(std::span<const capture::RawFrame> frames);
  /// True while the printing thread takes the frames; after it failed, rethrows its error.
  bool to_printing_thread();
  bool stopped_ = false;  // the other threads have been joined (stop_thread())
  /// Decodes `raw` into `out` (frame_ unless told) and counts it in totals_; true if the tracker takes it.
  bool decode_raw(const capture::RawFrame& raw) { return decode_raw(raw, frame_); }
  bool decode_raw(const capture::RawFrame& raw, decode::DecodedFrame& out);
  /// Without packet events: `raw`'s tracker summary into `out`, by decode::summarize_flow() where it
  /// applies and by decode_raw() + from_frame() otherwise; counts it in totals_. True if tracked.
  /// `short_way`: the options for summarize_flow() (decode_raw() uses opts_.decode).
  bool summarize_raw(const capture::RawFrame& raw, track::PacketSummary& out, const decode::DecodeOptions& short_way);
  /// What decode_raw() counts in totals_ for a frame summarize_flow() accepted (it has no problem).
  void count_summarized(const capture::RawFrame& raw, bool bad_checksum) noexcept;
  /// Without packet events and tracking threads: `raw`'s summary into the tracker's batch (drained when full).
  void batch_one(const capture::RawFrame& raw);
  void drain();
  void stop_thread();
};

}  // namespace synscope::sink

#include "support/track_capture.hpp"

#include <vector>

#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace synscope::test {

std::vector<track::ConnRecord> track_capture(const std::string& path, bool ignore_bad_checksums,
                                             std::size_t batch, std::uint64_t hash_seed, bool prepared) {
  std::vector<track::ConnRecord> recs;
  track::TrackerOptions opts;
  opts.hash_seed = hash_seed;
  opts.ignore_bad_checksums = ignore_bad_checksums;
  track::ConnTracker tracker(opts, [&](const track::ConnRecord& r) { recs.push_back(r); });
  capture::FileSource src({path}, capture::FileOptions{});
  capture::RawFrame raw;
  decode::DecodedFrame frame;
  std::vector<track::PacketSummary> pending;
  std::vector<track::PreparedPacket> keys;
  auto feed = [&] {
    if (!prepared) {
      tracker.update_batch(pending);
      return;
    }
    keys.resize(pending.size());
    tracker.prepare(pending, keys);
    tracker.update_batch(pending, keys);
  };
  std::size_t run = 1;
  while (src.next(raw)) {
    frame = decode::DecodedFrame{};
    decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, frame);
    if (batch == 0) {
      tracker.update(track::from_frame(frame, raw.ts_ns));
      continue;
    }
    pending.push_back(track::from_frame(frame, raw.ts_ns));
    if (pending.size() == run) {
      feed();
      pending.clear();
      run = run % batch + 1;
    }
  }
  feed();
  tracker.flush();
  return recs;
}

}  // namespace synscope::test

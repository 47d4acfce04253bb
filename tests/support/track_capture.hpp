#pragma once
// Test helper: read a capture with FileSource, decode, track, and return every connection record.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "synscope/track/conn.hpp"

namespace synscope::test {

/// All records of `path` in the order the tracker reported them (flushed at the end). `batch` > 0 feeds
/// the tracker through update_batch() in runs of 1, 2, … `batch` packets (cycling), as the read pipeline
/// does when nothing prints packets.
/// `hash_seed` as TrackerOptions::hash_seed (0: random). `prepared`: the batches go through
/// ConnTracker::prepare() and update_batch(pkts, prepared), as the two-thread read pipeline does.
std::vector<track::ConnRecord> track_capture(const std::string& path, bool ignore_bad_checksums,
                                             std::size_t batch = 0, std::uint64_t hash_seed = 0,
                                             bool prepared = false);

/// Every field of a record, one line (for comparing records of two runs).
std::string dump(const track::ConnRecord& r);
/// Every field of a packet's label, one line (likewise).
std::string dump(const track::PacketLabel& l);

}  // namespace synscope::test

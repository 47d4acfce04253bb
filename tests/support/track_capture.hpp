#pragma once
// Test helper: read a capture with FileSource, decode, track, and return every connection record.

#include <string>
#include <vector>

#include "synscope/track/conn.hpp"

namespace synscope::test {

/// All records of `path` in the order the tracker reported them (flushed at the end).
std::vector<track::ConnRecord> track_capture(const std::string& path, bool ignore_bad_checksums);

}  // namespace synscope::test

// Zeek's event-print baselines in zeek/tcp/: "history, conn_state" printed at connection_state_remove
// (*.conn_state.out) and the history at removal (*.history.out). Each capture is tracked and its
// connections, in removal order, are compared with the printed lines. Differences must be listed in
// tests/golden/zeek-differences.tsv (field "history-event" / "conn_state-event").

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/track_capture.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace {

using synscope::track::ConnRecord;

std::vector<std::string> split_fields(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t p = s.find(sep, start);
    if (p == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + sep.size();
  }
}

struct Expected {
  std::string history;
  std::string conn_state;  // empty when the baseline does not print it
};

/// Parses the removal lines of an event baseline.
std::vector<Expected> read_events(const std::string& path) {
  std::vector<Expected> out;
  std::ifstream in(path);
  std::string line;
  const bool state_file = path.find(".conn_state.out") != std::string::npos;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("###", 0) == 0) continue;
    const auto f = split_fields(line, ", ");
    if (state_file && f.size() == 2) {
      out.push_back({f[0], f[1]});
    } else if (line.rfind("REMOVE:", 0) == 0) {
      out.push_back({f.back(), ""});
    } else if (line.find("connection_state_remove") != std::string::npos && f.size() >= 2) {
      out.push_back({f[f.size() - 2], ""});
    }
  }
  return out;
}

std::vector<ConnRecord> track(const std::string& path, bool ignore_checksums) {
  return synscope::test::track_capture(path, ignore_checksums);
}

bool listed(const std::string& capture, const std::string& field, const std::string& ours, const std::string& zeek) {
  std::ifstream in(std::string(SYNSCOPE_SOURCE_DIR) + "/tests/golden/zeek-differences.tsv");
  std::string line;
  while (std::getline(in, line)) {
    const auto v = split_fields(line, "\t");
    if (v.size() >= 6 && v[0] == capture && v[2] == field && v[3] == ours && v[4] == zeek) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("conformance: Zeek's history / conn_state event prints for zeek/tcp traces") {
  const std::string dir = std::string(SYNSCOPE_SOURCE_DIR) + "/../shared/captures";
  std::ifstream manifest(dir + "/MANIFEST.tsv");
  if (!manifest.good()) {
    MESSAGE("shared captures not found at " << dir << ": skipped");
    return;
  }
  std::string line;
  std::size_t compared = 0;
  std::size_t equal = 0;
  while (std::getline(manifest, line)) {
    const auto v = split_fields(line, "\t");
    if (v.size() < 13 || v[10] != "zeek-events") continue;
    const std::string& out = v[7];
    if (out.find(".conn_state.out") == std::string::npos && out.find(".history.out") == std::string::npos) continue;
    const bool ignore = v[12].find(" -C ") != std::string::npos;
    const std::vector<Expected> want = read_events(dir + "/" + out);
    const std::vector<ConnRecord> got = track(dir + "/" + v[0], ignore);
    INFO("capture " << v[0]);
    REQUIRE(!want.empty());
    CHECK(got.size() == want.size());
    for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
      ++compared;
      bool same = true;
      if (got[i].history != want[i].history) {
        same = false;
        const std::string msg = "history differs: " + v[0] + " ours " + got[i].history + " zeek " + want[i].history;
        if (!listed(v[0], "history-event", got[i].history, want[i].history)) FAIL_CHECK(msg);
      }
      if (!want[i].conn_state.empty() && got[i].conn_state != want[i].conn_state) {
        same = false;
        const std::string ours(got[i].conn_state);
        const std::string msg = "conn_state differs: " + v[0] + " ours " + ours + " zeek " + want[i].conn_state;
        if (!listed(v[0], "conn_state-event", ours, want[i].conn_state)) FAIL_CHECK(msg);
      }
      if (same) ++equal;
    }
  }
  MESSAGE("zeek event prints: " << compared << " connections compared, " << equal << " equal");
  CHECK(compared > 0);
}

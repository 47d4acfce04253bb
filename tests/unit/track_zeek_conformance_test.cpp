// Conformance against Zeek: every capture in shared/captures with a Zeek conn.log baseline is read with
// FileSource, decoded, tracked, and each connection's conn_state, history, packet/byte counts and
// duration are compared with Zeek's row. Known differences are listed, with a reason, in
// tests/golden/zeek-differences.tsv; the test fails on any difference not listed there and on any
// listed difference that no longer occurs.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/track_capture.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace {

using synscope::track::ConnRecord;

std::string captures_dir() { return std::string(SYNSCOPE_SOURCE_DIR) + "/../shared/captures"; }

bool exists(const std::string& p) {
  std::ifstream f(p);
  return f.good();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (const char ch : s) {
    if (ch == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  out.push_back(cur);
  return out;
}

std::string addr_text(const synscope::net::IpAddress& a) {
  char buf[synscope::net::kMaxAddressText];
  const std::size_t n = synscope::net::format_address(a, buf);
  return std::string(buf, n);
}

const char* proto_text(std::uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    default: return "icmp";
  }
}

/// One conn.log row as strings, by column name.
using Row = std::map<std::string, std::string>;

struct Baseline {
  std::vector<Row> rows;
  bool has_ids = false;
};

Baseline read_baseline(const std::string& path, bool cut) {
  Baseline b;
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> cols;
  bool header_seen = false;
  while (std::getline(in, line)) {
    if (line.rfind("###", 0) == 0) continue;
    if (!cut && line.rfind("#fields\t", 0) == 0) {
      cols = split(line.substr(8), '\t');
      header_seen = true;
      continue;
    }
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) continue;
    if (cut && !header_seen) {
      cols = split(line, '\t');
      header_seen = true;
      continue;
    }
    const auto v = split(line, '\t');
    Row r;
    for (std::size_t i = 0; i < cols.size() && i < v.size(); ++i) r[cols[i]] = v[i];
    b.rows.push_back(std::move(r));
  }
  b.has_ids = std::find(cols.begin(), cols.end(), "id.orig_h") != cols.end();
  return b;
}

std::string canonical_tuple(const std::string& oh, const std::string& op, const std::string& rh, const std::string& rp,
                            const std::string& proto) {
  std::string a = oh + ":" + op;
  std::string b = rh + ":" + rp;
  if (b < a) std::swap(a, b);
  return a + "<>" + b + "/" + proto;
}

struct Difference {
  std::string capture, tuple, field, ours, zeek;
  bool operator<(const Difference& o) const {
    return std::tie(capture, tuple, field, ours, zeek) < std::tie(o.capture, o.tuple, o.field, o.ours, o.zeek);
  }
};

struct Listed {
  Difference d;
  std::string reason;
  bool used = false;
};

std::vector<Listed> read_listed() {
  std::vector<Listed> out;
  std::ifstream in(std::string(SYNSCOPE_SOURCE_DIR) + "/tests/golden/zeek-differences.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto v = split(line, '\t');
    if (v.size() < 6) continue;
    if (v[2].size() > 6 && v[2].compare(v[2].size() - 6, 6, "-event") == 0) continue;  // track_zeek_events_test's
    out.push_back({{v[0], v[1], v[2], v[3], v[4]}, v[5], false});
  }
  return out;
}

std::string fmt_duration(std::int64_t ns) {
  char buf[64];
  // Zeek prints intervals with 6 decimals (microseconds).
  const std::int64_t us = (ns + 500) / 1000;
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1'000'000), static_cast<long long>(us % 1'000'000));
  return buf;
}

/// The value of `field` in our record, spelled as conn.log spells it.
std::string ours_field(const ConnRecord& r, const std::string& field) {
  if (field == "conn_state") return std::string(r.conn_state);
  if (field == "history") return r.history.empty() ? "-" : r.history;
  if (field == "orig_pkts") return std::to_string(r.orig_pkts);
  if (field == "resp_pkts") return std::to_string(r.resp_pkts);
  if (field == "orig_ip_bytes") return std::to_string(r.orig_ip_bytes);
  if (field == "resp_ip_bytes") return std::to_string(r.resp_ip_bytes);
  if (field == "missed_bytes") return std::to_string(r.missed_bytes);
  if (field == "orig_bytes") return r.bytes_known ? std::to_string(r.orig_bytes) : "-";
  if (field == "resp_bytes") return r.bytes_known ? std::to_string(r.resp_bytes) : "-";
  if (field == "duration") return r.last_ns > r.ts_ns ? fmt_duration(r.last_ns - r.ts_ns) : "-";
  if (field == "direction") return addr_text(r.orig_h) + ":" + std::to_string(r.orig_p);
  return "?";
}

const std::vector<std::string> kFields = {"conn_state", "history",      "orig_pkts",     "resp_pkts",
                                          "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes",
                                          "missed_bytes", "duration"};

struct Stats {
  std::size_t compared = 0;
  std::size_t equal = 0;
};

std::vector<ConnRecord> track_capture(const std::string& path, bool ignore_checksums) {
  return synscope::test::track_capture(path, ignore_checksums);
}

void compare_capture(const std::string& capture, const std::string& baseline_path, bool cut, bool ignore_checksums,
                     std::vector<Difference>& diffs, Stats& stats) {
  const Baseline base = read_baseline(baseline_path, cut);
  const std::vector<ConnRecord> recs = track_capture(captures_dir() + "/" + capture, ignore_checksums);

  auto compare_pair = [&](const std::string& tuple, const ConnRecord& ours, const Row& zeek) {
    ++stats.compared;
    bool all_equal = true;
    if (base.has_ids) {
      const std::string zdir = zeek.at("id.orig_h") + ":" + zeek.at("id.orig_p");
      const std::string odir = ours_field(ours, "direction");
      if (zdir != odir) {
        diffs.push_back({capture, tuple, "direction", odir, zdir});
        all_equal = false;
      }
    }
    for (const std::string& f : kFields) {
      const auto it = zeek.find(f);
      if (it == zeek.end()) continue;
      const std::string o = ours_field(ours, f);
      if (o != it->second) {
        diffs.push_back({capture, tuple, f, o, it->second});
        all_equal = false;
      }
    }
    if (all_equal) ++stats.equal;
  };

  if (!base.has_ids) {
    // zeek-cut subsets without the 5-tuple: rows in order against our connections in start order.
    std::vector<ConnRecord> sorted = recs;
    std::stable_sort(sorted.begin(), sorted.end(), [](const ConnRecord& a, const ConnRecord& b) { return a.ts_ns < b.ts_ns; });
    for (std::size_t i = 0; i < base.rows.size(); ++i) {
      const std::string tuple = "#" + std::to_string(i);
      if (i >= sorted.size()) {
        diffs.push_back({capture, tuple, "row", "-", "present"});
        ++stats.compared;
        continue;
      }
      compare_pair(tuple, sorted[i], base.rows[i]);
    }
    return;
  }

  // Group both sides by the unordered 5-tuple; match in order within a group (Zeek logs in removal order).
  std::map<std::string, std::vector<const ConnRecord*>> ours_by;
  for (const ConnRecord& r : recs) {
    ours_by[canonical_tuple(addr_text(r.orig_h), std::to_string(r.orig_p), addr_text(r.resp_h), std::to_string(r.resp_p),
                            proto_text(r.proto))]
        .push_back(&r);
  }
  std::map<std::string, std::size_t> used;
  for (const Row& z : base.rows) {
    const std::string tuple =
        canonical_tuple(z.at("id.orig_h"), z.at("id.orig_p"), z.at("id.resp_h"), z.at("id.resp_p"), z.count("proto") != 0 ? z.at("proto") : "tcp");
    auto& list = ours_by[tuple];
    std::size_t& n = used[tuple];
    if (n >= list.size()) {
      diffs.push_back({capture, tuple, "row", "-", "present"});
      ++stats.compared;
      continue;
    }
    compare_pair(tuple, *list[n], z);
    ++n;
  }
  for (const auto& [tuple, list] : ours_by) {
    for (std::size_t i = used[tuple]; i < list.size(); ++i) diffs.push_back({capture, tuple, "row", "present", "-"});
  }
}

}  // namespace

TEST_CASE("conformance: conn_state, history and counts match Zeek's conn.log baselines") {
  const std::string dir = captures_dir();
  if (!exists(dir + "/MANIFEST.tsv")) {
    MESSAGE("shared captures not found at " << dir << ": skipped");
    return;
  }
  std::ifstream manifest(dir + "/MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  std::vector<Difference> diffs;
  Stats stats;
  std::size_t captures = 0;
  while (std::getline(manifest, line)) {
    const auto v = split(line, '\t');
    if (v.size() < 13) continue;
    const std::string& kind = v[10];
    if (kind != "zeek-conn.log" && kind != "zeek-conn.log-cut") continue;
    const std::string& cmd = v[12];
    // "-C" (or ignore_checksums_nets covering the capture's local side) means Zeek ignored checksums.
    const bool ignore = cmd.find(" -C ") != std::string::npos || cmd.find("-b -C") != std::string::npos ||
                        cmd.find("-C -b") != std::string::npos || cmd.find("ignore_checksums_nets") != std::string::npos;
    INFO("capture " << v[0]);
    compare_capture(v[0], dir + "/" + v[7], kind == "zeek-conn.log-cut", ignore, diffs, stats);
    ++captures;
  }
  std::vector<Listed> listed = read_listed();
  std::size_t unexplained = 0;
  std::size_t explained = 0;
  for (const Difference& d : diffs) {
    bool found = false;
    for (Listed& l : listed) {
      const bool tuple_ok = l.d.tuple == "*" || l.d.tuple == d.tuple;
      const bool field_ok = l.d.field == "*" || l.d.field == d.field;
      const bool values_ok = l.d.tuple == "*" || (l.d.ours == d.ours && l.d.zeek == d.zeek);
      if (l.d.capture == d.capture && tuple_ok && field_ok && values_ok) {
        l.used = true;
        found = true;
      }
    }
    if (found) {
      ++explained;
    } else {
      ++unexplained;
      const std::string msg = "unlisted difference: " + d.capture + "\t" + d.tuple + "\t" + d.field + "\t" + d.ours + "\t" + d.zeek;
      FAIL_CHECK(msg);
    }
  }
  for (const Listed& l : listed) {
    if (!l.used)
    {
      const std::string msg = "listed difference no longer occurs: " + l.d.capture + "\t" + l.d.tuple + "\t" + l.d.field;
      FAIL_CHECK(msg);
    }
  }
  MESSAGE("zeek conformance: " << captures << " baselines, " << stats.compared << " connections compared, " << stats.equal
                               << " equal in every field; " << diffs.size() << " field differences (" << explained
                               << " listed, " << unexplained << " unlisted)");
  CHECK(captures > 0);
  CHECK(stats.compared > 0);
}

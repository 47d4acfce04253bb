// ConnTracker::update_batch must be exactly update() on each packet: every capture of the project and of
// the shared test suites is tracked both ways (batches of 1, 2, … 16 packets, and of 3) and every field
// of every connection record is compared. The capture reader errors of hostile files are caught: such a
// file contributes the records of the packets read before the error, both ways alike.

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/track_capture.hpp"
#include "synscope/net/ip_address.hpp"
#include "synscope/track/conn.hpp"
#include "synscope/track/tracker.hpp"

namespace {

namespace fs = std::filesystem;
using synscope::track::ConnRecord;

std::string addr(const synscope::net::IpAddress& a) {
  char buf[synscope::net::kMaxAddressText];
  return {buf, synscope::net::format_address(a, buf)};
}

std::string side(const ConnRecord::Side& s) {
  std::ostringstream o;
  o << s.has_mss << ':' << s.mss << ':' << s.has_wscale << ':' << int{s.wscale} << ':' << s.sack_ok << ':'
    << s.timestamps;
  return o.str();
}

/// Every field of a record, one line.
std::string dump(const ConnRecord& r) {
  std::ostringstream o;
  o << r.uid << ' ' << r.ts_ns << ' ' << r.last_ns << ' ' << addr(r.orig_h) << ':' << r.orig_p << ' '
    << addr(r.resp_h) << ':' << r.resp_p << ' ' << int{r.proto} << ' ' << r.orig_bytes << ' ' << r.resp_bytes
    << ' ' << r.bytes_known << ' ' << r.conn_state << ' ' << r.missed_bytes << ' ' << r.history << ' '
    << r.orig_pkts << ' ' << r.orig_ip_bytes << ' ' << r.resp_pkts << ' ' << r.resp_ip_bytes << ' '
    << r.handshake_rtt_ns << ' ' << r.synack_delay_ns << ' ' << r.ack_delay_ns << ' ' << r.syn_retransmits << ' '
    << r.teardown << ' ' << r.end_reason << ' ' << side(r.orig_opts) << ' ' << side(r.resp_opts);
  return o.str();
}

std::vector<std::string> dump_all(const std::string& path, bool ignore_bad, std::size_t batch) {
  std::vector<std::string> out;
  try {
    for (const ConnRecord& r : synscope::test::track_capture(path, ignore_bad, batch)) out.push_back(dump(r));
  } catch (const std::exception& e) {
    out.push_back(std::string("error: ") + e.what());
  }
  return out;
}

std::vector<std::string> capture_files() {
  std::vector<std::string> files;
  for (const std::string& dir : {std::string(SYNSCOPE_SOURCE_DIR) + "/captures",
                                std::string(SYNSCOPE_SOURCE_DIR) + "/../shared/captures"}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")) {
        files.push_back(e.path().string());
      }
    }
  }
  return files;
}

}  // namespace

TEST_CASE("update_batch gives the same records as update() on every capture") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);  // the project's own captures at least
  std::size_t records = 0;
  for (const std::string& f : files) {
    for (const bool ignore_bad : {true, false}) {
      const std::vector<std::string> one = dump_all(f, ignore_bad, 0);
      for (const std::size_t batch : {std::size_t{3}, synscope::track::ConnTracker::kBatch}) {
        INFO(f << " ignore_bad_checksums=" << ignore_bad << " batch=" << batch);
        CHECK(dump_all(f, ignore_bad, batch) == one);
      }
      records += one.size();
    }
  }
  MESSAGE(files.size() << " captures, " << records << " records compared");
  CHECK(records > 100);
}

TEST_CASE("update_batch: a batch longer than kBatch and an empty batch") {
  std::vector<ConnRecord> a;
  std::vector<ConnRecord> b;
  synscope::track::ConnTracker ta({}, [&](const ConnRecord& r) { a.push_back(r); });
  synscope::track::ConnTracker tb({}, [&](const ConnRecord& r) { b.push_back(r); });
  std::vector<synscope::track::PacketSummary> pkts;
  for (std::uint16_t i = 0; i < 100; ++i) {  // 100 SYNs from distinct ports, some repeated (retransmits)
    synscope::track::PacketSummary p;
    p.ts_ns = 1'000'000'000LL + i * 1'000'000LL;
    p.src = synscope::net::IpAddress::v4(0xC0000201U);  // 192.0.2.1
    p.dst = synscope::net::IpAddress::v4(0xC6336401U);  // 198.51.100.1
    p.proto = 6;
    p.sport = static_cast<std::uint16_t>(40000 + i % 37);
    p.dport = 80;
    p.tcp_flags = 0x002;
    p.seq = 1000U + i % 37;
    pkts.push_back(p);
  }
  for (const auto& p : pkts) ta.update(p);
  tb.update_batch({});
  tb.update_batch(pkts);  // 100 > kBatch: split inside
  ta.flush();
  tb.flush();
  REQUIRE(a.size() == 37);
  REQUIRE(b.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(dump(a[i]) == dump(b[i]));
}

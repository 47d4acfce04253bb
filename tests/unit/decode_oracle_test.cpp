// Differential test: decode every capture of the shared corpus and compare per-frame fields with the tshark
// oracle (oracle/<path>.tsv). Deliberate differences are listed, with their reason, in
// tests/golden/tshark-differences.tsv (capture, frame, field, reason); frame "*" covers a whole capture
// (used for tunnels we do not decapsulate). Every listed exact-frame difference must still occur, so the list
// stays exact. Also runs every capture (malformed ones included) through the decoder to prove none crashes.

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "synscope/decode/frame.hpp"

namespace fs = std::filesystem;
using namespace synscope;
using namespace synscope::decode;

namespace {

fs::path captures_dir() { return fs::path(SYNSCOPE_SOURCE_DIR) / ".." / "shared" / "captures"; }

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : line) {
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

std::string first_value(const std::string& v) { return v.substr(0, v.find(',')); }

std::string addr(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  net::format_address(a, buf);
  return buf;
}

std::string hex4(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

/// The fields we compare, named as tshark names them.
const std::vector<std::string> kFields = {"ip.src",     "ip.dst",      "ipv6.src",    "ipv6.dst",   "ip.proto",
                                          "ipv6.nxt",   "tcp.srcport", "tcp.dstport", "tcp.flags",  "tcp.seq_raw",
                                          "tcp.ack_raw", "tcp.len",    "icmp.type",   "icmp.code",  "icmpv6.type",
                                          "icmpv6.code"};

/// Our values for one frame, in tshark's spelling ("" = not present).
std::map<std::string, std::string> our_fields(const DecodedFrame& f) {
  std::map<std::string, std::string> m;
  for (const auto& k : kFields) m[k] = "";
  if (f.ip.version == 4) {
    m["ip.src"] = addr(f.ip.src);
    m["ip.dst"] = addr(f.ip.dst);
    m["ip.proto"] = std::to_string(f.ip.proto);
  } else if (f.ip.version == 6) {
    m["ipv6.src"] = addr(f.ip.src);
    m["ipv6.dst"] = addr(f.ip.dst);
    m["ipv6.nxt"] = std::to_string(f.ip.next_header);
  }
  if (f.transport == Transport::kTcp) {
    const bool ports = f.l4_caplen >= 4;
    const bool fixed = f.l4_caplen >= 20;
    if (ports) {
      m["tcp.srcport"] = std::to_string(f.tcp.sport);
      m["tcp.dstport"] = std::to_string(f.tcp.dport);
    }
    if (fixed) {
      m["tcp.flags"] = hex4(f.tcp.flags);
      m["tcp.seq_raw"] = std::to_string(f.tcp.seq);
      m["tcp.ack_raw"] = std::to_string(f.tcp.ack_seq);
      if (!(f.problem.layer == Layer::kTcp && f.problem.status == Status::kInvalid)) m["tcp.len"] = std::to_string(f.tcp.payload_len);
    }
  }
  if (f.transport == Transport::kIcmp || f.transport == Transport::kIcmp6) {
    const bool v6 = f.transport == Transport::kIcmp6;
    if (f.l4_caplen >= 2) {
      m[v6 ? "icmpv6.type" : "icmp.type"] = std::to_string(f.icmp.type);
      m[v6 ? "icmpv6.code" : "icmp.code"] = std::to_string(f.icmp.code);
    }
    const QuotedPacket& q = f.icmp.quoted;
    // tshark dissects the quoted datagram too; where the outer header does not name a field, the quote does.
    if (q.present && q.version == 6 && f.ip.version == 4) {
      m["ipv6.src"] = addr(q.src);
      m["ipv6.dst"] = addr(q.dst);
    }
    if (q.has_ports && q.proto == 6) {
      m["tcp.srcport"] = std::to_string(q.sport);
      m["tcp.dstport"] = std::to_string(q.dport);
    }
    if (q.has_tcp_seq) m["tcp.seq_raw"] = std::to_string(q.tcp_seq);
  }
  return m;
}

struct Allowed {
  std::set<std::tuple<std::string, std::string, std::string>> exact;  // capture, frame, field
  std::set<std::pair<std::string, std::string>> wildcard;               // capture, field ("*" = any)
};

Allowed read_allowed(const fs::path& p) {
  Allowed a;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split(line, '\t');
    if (cols.size() < 4 || cols[0] == "capture") continue;
    if (cols[1] == "*") {
      a.wildcard.emplace(cols[0], cols[2]);
    } else {
      a.exact.emplace(cols[0], cols[1], cols[2]);
    }
  }
  return a;
}

bool is_capture(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".pcap" || ext == ".pcapng" || ext == ".cap" || ext == ".trace";
}

std::vector<fs::path> all_captures(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || !is_capture(e.path())) continue;
    if (e.path().string().find("/oracle/") != std::string::npos) continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("decode: every capture of the shared corpus matches the tshark oracle") {
  const fs::path root = captures_dir();
  if (!fs::exists(root)) {
    MESSAGE("shared captures not found at " << root.string() << ": skipped");
    return;
  }
  const Allowed allowed = read_allowed(fs::path(SYNSCOPE_SOURCE_DIR) / "tests" / "golden" / "tshark-differences.tsv");
  std::set<std::tuple<std::string, std::string, std::string>> seen_allowed;
  std::size_t files = 0;
  std::size_t frames = 0;
  std::size_t compared = 0;
  std::vector<std::string> mismatches;

  for (const auto& path : all_captures(root)) {
    const std::string rel = fs::relative(path, root).generic_string();
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) continue;  // libpcap/ holds files a reader must reject
    ++files;
    const int dlt = pcap_datalink(p);

    std::vector<std::vector<std::string>> oracle_rows;
    std::vector<std::string> header;
    const fs::path oracle = root / "oracle" / (rel + ".tsv");
    if (fs::exists(oracle)) {
      std::ifstream in(oracle);
      std::string line;
      std::getline(in, line);
      header = split(line, '\t');
      while (std::getline(in, line)) oracle_rows.push_back(split(line, '\t'));
    }
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;

    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    std::size_t n = 0;
    DecodedFrame f;
    while (pcap_next_ex(p, &h, &data) == 1) {
      ++n;
      ++frames;
      decode_frame(static_cast<std::uint32_t>(dlt), as_bytes(data, h->caplen), h->len, f);
      if (n > oracle_rows.size()) continue;
      const auto& row = oracle_rows[n - 1];
      const auto ours = our_fields(f);
      ++compared;
      for (const auto& field : kFields) {
        const auto it = col.find(field);
        if (it == col.end()) continue;
        const std::string theirs = it->second < row.size() ? first_value(row[it->second]) : "";
        const std::string& mine = ours.at(field);
        if (theirs == mine) continue;
        const std::string frame = std::to_string(n);
        if (allowed.wildcard.count({rel, field}) != 0 || allowed.wildcard.count({rel, "*"}) != 0) continue;
        if (allowed.exact.count({rel, frame, field}) != 0) {
          seen_allowed.emplace(rel, frame, field);
          continue;
        }
        mismatches.push_back(rel + ":" + frame + " " + field + " tshark=" + theirs + " ours=" + mine);
      }
    }
    pcap_close(p);
  }
  for (const auto& m : mismatches) MESSAGE(m);
  CHECK(mismatches.empty());
  for (const auto& a : allowed.exact) {
    if (seen_allowed.count(a) == 0) {
      MESSAGE("listed difference no longer occurs: " << std::get<0>(a) << ":" << std::get<1>(a) << " "
                                                      << std::get<2>(a));
      CHECK(seen_allowed.count(a) == 1);
    }
  }
  MESSAGE(files << " captures, " << frames << " frames decoded, " << compared << " compared with tshark");
  CHECK(files > 100);
  CHECK(compared > 1000);
}

TEST_CASE("decode: every prefix of every corpus frame (malformed captures included) decodes consistently") {
  const fs::path root = captures_dir();
  if (!fs::exists(root)) {
    MESSAGE("shared captures not found at " << root.string() << ": skipped");
    return;
  }
  std::size_t decodes = 0;
  for (const auto& path : all_captures(root)) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (p == nullptr) continue;
    const auto dlt = static_cast<std::uint32_t>(pcap_datalink(p));
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    DecodedFrame full;
    DecodedFrame cut;
    while (pcap_next_ex(p, &h, &data) == 1) {
      decode_frame(dlt, as_bytes(data, h->caplen), h->len, full);
      // Frames up to 2 KiB are cut at every length, longer ones at a stride (the loop stays fast).
      const std::size_t step = h->caplen > 2048 ? 7 : 1;
      for (std::size_t n = 0; n < h->caplen; n += step) {
        decode_frame(dlt, as_bytes(data, n), h->len, cut);
        ++decodes;
        if (cut.has_ip() && full.has_ip()) {
          if (cut.ip.src != full.ip.src || cut.ip.next_header != full.ip.next_header) {
            FAIL_CHECK(fs::relative(path, root).generic_string() << " prefix " << n << ": ip fields changed");
          }
        }
        if (cut.has_ip() && !full.has_ip()) {
          FAIL_CHECK(fs::relative(path, root).generic_string() << " prefix " << n << ": ip appeared");
        }
        if (cut.l4_caplen >= 20 && cut.transport == Transport::kTcp && full.transport == Transport::kTcp &&
            cut.tcp.seq != full.tcp.seq) {
          FAIL_CHECK(fs::relative(path, root).generic_string() << " prefix " << n << ": tcp seq changed");
        }
      }
    }
    pcap_close(p);
  }
  MESSAGE(decodes << " prefix decodes");
  CHECK(decodes > 100000);
}

// decode::summarize_flow(), the short way to a tracker summary, must give exactly what the long way gives
// (decode_frame() + track::from_frame()) whenever it accepts a frame, and the same bad-checksum verdict;
// declining is always allowed. Held to that on every frame of every capture (fuzz crashers included), on
// every truncation of real frames, and on every single-byte change of their headers.

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/captures.hpp"
#include "support/frame_builder.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/flow.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/summary.hpp"

namespace {

using namespace synscope::decode;
using synscope::Bytes;

void put_addr(std::ostringstream& o, const synscope::net::IpAddress& a) {
  o << int{a.version} << '/';
  for (const auto b : a.bytes) o << int{b} << '.';
  o << ' ';
}

/// Every field of a summary, one line.
std::string dump(const FlowSummary& p, bool bad_checksum) {
  std::ostringstream o;
  o << p.ts_ns << ' ';
  put_addr(o, p.src);
  put_addr(o, p.dst);
  o << int{p.proto} << ' ' << p.sport << ' ' << p.dport << ' ' << p.ip_len << ' ' << p.tcp_flags << ' ' << p.seq << ' '
    << p.ack_seq << ' ' << p.window << ' ' << p.payload_len << ' ' << p.payload_truncated << p.checksum_bad
    << p.ip_checksum_bad << p.is_fragment << ' ' << p.has_mss << ' ' << p.mss << ' ' << p.has_wscale << ' '
    << int{p.wscale} << ' ' << p.sack_ok << p.has_timestamps << ' ' << int{p.icmp_type} << ' ' << int{p.icmp_code}
    << ' ' << p.icmp_one_way << " bad=" << bad_checksum;
  return o.str();
}

/// The long way: what the pipeline does without the short one.
std::string long_way(std::uint32_t dlt, Bytes frame, std::uint32_t wire_len, const DecodeOptions& opts,
                     bool& problem, Bytes* tcp_options = nullptr) {
  DecodedFrame f;
  decode_frame(dlt, frame, wire_len, f, opts);
  problem = !f.ok();
  if (tcp_options != nullptr) *tcp_options = f.tcp.options;
  const bool bad = has(f.anomalies, Anomaly::kL4ChecksumBad) || has(f.anomalies, Anomaly::kIpChecksumBad);
  return dump(synscope::track::from_frame(f, 42), bad);
}

struct Tally {
  std::size_t frames = 0;
  std::size_t accepted = 0;
  std::size_t differing = 0;
};

/// One frame both ways; a difference is reported (the first few in full).
void compare(std::uint32_t dlt, Bytes frame, std::uint32_t wire_len, const DecodeOptions& opts, Tally& t,
             const std::string& where) {
  ++t.frames;
  FlowSummary s;
  bool bad = false;
  Bytes options;
  if (!summarize_flow(dlt, frame, wire_len, 42, s, bad, opts, &options)) return;
  ++t.accepted;
  bool problem = false;
  Bytes decoded_options;
  const std::string want = long_way(dlt, frame, wire_len, opts, problem, &decoded_options);
  const std::string got = dump(s, bad);
  // The TCP option bytes the text sink prints an accepted segment from: decode_frame()'s, exactly.
  const bool same_options = s.proto == 6 ? options.data() == decoded_options.data() && options.size() == decoded_options.size()
                                         : options.empty();
  if ((got != want || problem || !same_options) && t.differing++ < 5) {
    INFO(where << " dlt " << dlt << " caplen " << frame.size() << " wire " << wire_len
               << " verify=" << opts.verify_checksums << " problem=" << problem);
    CHECK(got == want);
    CHECK_FALSE(problem);
    CHECK(same_options);
  }
}

struct Sample {
  std::uint32_t dlt;
  std::uint32_t wire_len;
  synscope::test::Frame bytes;
};

/// The frames of a capture the short way accepts (at most `limit`).
std::vector<Sample> accepted_frames(const std::string& path, std::size_t limit) {
  std::vector<Sample> out;
  synscope::capture::FileSource src({path}, synscope::capture::FileOptions{});
  synscope::capture::RawFrame raw;
  while (out.size() < limit && src.next(raw)) {
    FlowSummary s;
    bool bad = false;
    if (summarize_flow(raw.dlt, raw.bytes, raw.wire_len, 0, s, bad)) {
      out.push_back({raw.dlt, raw.wire_len, synscope::test::Frame(raw.bytes.begin(), raw.bytes.end())});
    }
  }
  return out;
}

std::string project_capture(const char* name) { return std::string(SYNSCOPE_SOURCE_DIR) + "/captures/" + name; }

}  // namespace

TEST_CASE("summarize_flow equals decode_frame + from_frame on every frame of every capture") {
  const std::vector<std::string> files = synscope::test::capture_files(/*with_fuzz=*/true);
  REQUIRE(files.size() >= 10);
  Tally t;
  for (const std::string& path : files) {
    for (const bool verify : {true, false}) {
      DecodeOptions opts;
      opts.verify_checksums = verify;
      try {
        synscope::capture::FileSource src({path}, synscope::capture::FileOptions{});
        synscope::capture::RawFrame raw;
        while (src.next(raw)) compare(raw.dlt, raw.bytes, raw.wire_len, opts, t, path);
      } catch (const std::exception&) {
        // a hostile file: the frames before the reader's error were compared
      }
    }
  }
  MESSAGE(files.size() << " captures, " << t.frames << " frames, " << t.accepted << " taken the short way");
  CHECK(t.differing == 0);
  CHECK(t.accepted * 2 >= t.frames / 2);  // most real traffic is the common case
}

TEST_CASE("summarize_flow takes the common frames: Ethernet, VLAN, SLL2, IPv4, IPv6, TCP, UDP, bad checksums") {
  struct Want {
    const char* file;
    std::size_t at_least;
  };
  for (const Want w : {Want{"handshake.pcap", 5}, Want{"vlan.pcap", 3}, Want{"sll2-any.pcap", 3}, Want{"ipv6.pcap", 3},
                       Want{"udp.pcap", 1}, Want{"offload-bad-csum.pcap", 3}}) {
    CAPTURE(w.file);
    CHECK(accepted_frames(project_capture(w.file), 1000).size() >= w.at_least);
  }
}

TEST_CASE("summarize_flow on every truncation and every one-byte change of real frames") {
  std::vector<Sample> samples;
  for (const char* name : {"handshake.pcap", "vlan.pcap", "sll2-any.pcap", "ipv6.pcap", "udp.pcap",
                           "offload-bad-csum.pcap", "snaplen.pcap", "half-close.pcap"}) {
    for (Sample& s : accepted_frames(project_capture(name), 6)) samples.push_back(std::move(s));
  }
  REQUIRE(samples.size() >= 30);
  Tally t;
  for (const Sample& s : samples) {
    for (const bool verify : {true, false}) {
      DecodeOptions opts;
      opts.verify_checksums = verify;
      // every caplen, the wire length unchanged (a snapshot length) and equal to the cut (a short frame)
      for (std::size_t n = 0; n <= s.bytes.size(); ++n) {
        compare(s.dlt, synscope::test::view(s.bytes, n), s.wire_len, opts, t, "truncated");
        compare(s.dlt, synscope::test::view(s.bytes, n), static_cast<std::uint32_t>(n), opts, t, "short");
      }
      // every byte of the headers (and a little payload) set to values that hit the length, version,
      // flag and type tests
      synscope::test::Frame m = s.bytes;
      const std::size_t span = std::min<std::size_t>(m.size(), 100);
      for (std::size_t i = 0; i < span; ++i) {
        const std::byte orig = m[i];
        for (const unsigned v : {0x00U, 0xFFU, 0x01U, 0x45U, 0x46U, 0x60U, 0x81U, 0x06U, 0x11U, 0x50U, 0x20U, 0x3FU,
                                 std::to_integer<unsigned>(orig) ^ 0x01U, std::to_integer<unsigned>(orig) ^ 0x80U,
                                 std::to_integer<unsigned>(orig) + 1U, std::to_integer<unsigned>(orig) - 1U}) {
          m[i] = static_cast<std::byte>(v & 0xFFU);
          compare(s.dlt, synscope::test::view(m), s.wire_len, opts, t, "mutated");
        }
        m[i] = orig;
      }
    }
  }
  MESSAGE(t.frames << " variants, " << t.accepted << " taken the short way");
  CHECK(t.differing == 0);
  CHECK(t.accepted >= 1000);
}

TEST_CASE("summarize_flow declines what it does not cover") {
  using synscope::test::FrameBuilder;
  // Ethernet + IPv4 with one option word + TCP: the long way handles IP options.
  FrameBuilder b;
  b.zeros(12).be16(0x0800);
  b.u8(0x46).u8(0).be16(0).be32(0).u8(64).u8(6).be16(0).be32(0xC0000201).be32(0xC0000202).be32(0x01010101);
  b.be16(1234).be16(80).be32(1).be32(0).u8(0x50).u8(0x02).be16(1000).be16(0).be16(0);
  synscope::test::finish_ipv4(b.frame(), 14);
  FlowSummary s;
  bool bad = false;
  CHECK_FALSE(summarize_flow(1, synscope::test::view(b.frame()), static_cast<std::uint32_t>(b.size()), 0, s, bad));
  // The same without the option: taken.
  FrameBuilder c;
  c.zeros(12).be16(0x0800);
  c.u8(0x45).u8(0).be16(0).be32(0).u8(64).u8(6).be16(0).be32(0xC0000201).be32(0xC0000202);
  c.be16(1234).be16(80).be32(1).be32(0).u8(0x50).u8(0x02).be16(1000).be16(0).be16(0);
  synscope::test::finish_ipv4(c.frame(), 14);
  synscope::test::finish_l4(c.frame(), 14, 34, 6);
  REQUIRE(summarize_flow(1, synscope::test::view(c.frame()), static_cast<std::uint32_t>(c.size()), 7, s, bad));
  CHECK(s.proto == 6);
  CHECK(s.sport == 1234);
  CHECK(s.tcp_flags == 0x02);
  CHECK(s.ts_ns == 7);
  CHECK_FALSE(bad);
  // A first fragment (MF): declined although its TCP header is whole.
  synscope::test::Frame mf = c.frame();
  synscope::test::put_be16(mf, 20, 0x2000);
  CHECK_FALSE(summarize_flow(1, synscope::test::view(mf), static_cast<std::uint32_t>(mf.size()), 0, s, bad));
  // ICMP: declined (its port mapping is the tracker's).
  synscope::test::Frame icmp = c.frame();
  icmp[23] = std::byte{1};
  CHECK_FALSE(summarize_flow(1, synscope::test::view(icmp), static_cast<std::uint32_t>(icmp.size()), 0, s, bad));
  // Unsupported link types and PPP: declined.
  CHECK_FALSE(summarize_flow(9, synscope::test::view(c.frame()), static_cast<std::uint32_t>(c.size()), 0, s, bad));
  CHECK_FALSE(summarize_flow(147, synscope::test::view(c.frame()), static_cast<std::uint32_t>(c.size()), 0, s, bad));
}

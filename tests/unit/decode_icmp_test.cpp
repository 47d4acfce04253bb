// ICMP and ICMPv6: echo, errors with their quoted datagram (full and cut short), checksums, names,
// and the truncate-at-every-length loop.

#include <doctest/doctest.h>

#include <string>

#include "support/frame_builder.hpp"
#include "synscope/decode/frame.hpp"

using namespace synscope;
using namespace synscope::decode;
using synscope::test::Frame;
using synscope::test::hex;
using synscope::test::view;

namespace {

DecodedFrame run(std::uint32_t dlt, const Frame& f, std::size_t caplen = SIZE_MAX) {
  DecodedFrame d;
  decode_frame(dlt, view(f, caplen), static_cast<std::uint32_t>(f.size()), d);
  return d;
}

std::string text(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  net::format_address(a, buf);
  return buf;
}

// Ethernet, IPv4 id 1 DF ttl 64 proto 1, 192.0.2.1 > 198.51.100.2,
//   ICMP echo request (8/0) cksum 0x2e31 id 0x1234 seq 7, data "pingdata"
const Frame kEcho = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 24 00 01 40 00 40 01 4e a1 c0 00 02 01 c6 33",
    "64 02 08 00 2e 31 12 34 00 07 70 69 6e 67 64 61",
    "74 61",
});

// Ethernet, IPv4 id 2 192.0.2.1 > 198.51.100.2 proto 1,
//   ICMP 3/3 port unreachable cksum 0xbc2c, unused 0, quoting:
//     IPv4 id 0x4242 DF ttl 1 proto 17 len 40, 198.51.100.2 > 192.0.2.1
//     UDP 40000 > 33434 len 20 cksum 0x21e1 (first 8 bytes only)
const Frame kUnreach = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 38 00 02 40 00 40 01 4e 8c c0 00 02 01 c6 33",
    "64 02 03 03 bc 2c 00 00 00 00 45 00 00 28 42 42",
    "40 00 01 11 4b 4c c6 33 64 02 c0 00 02 01 9c 40",
    "82 9a 00 14 21 e1",
});

// ICMP 11/0 time exceeded in-transit, quoting IPv4 id 0x4343 ttl 1 proto 6 and
//   TCP 40001 > 80 seq 0x11223344 (the 8 quoted bytes).
const Frame kTimex = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 38 00 03 40 00 40 01 4e 8b c0 00 02 01 c6 33",
    "64 02 0b 00 14 08 00 00 00 00 45 00 00 28 43 43",
    "40 00 01 06 4a 56 c6 33 64 02 c0 00 02 01 9c 41",
    "00 50 11 22 33 44",
});

// The same error whose sender quoted only 2 bytes of TCP (ports cut in half): the ICMP message is
// complete (checksum 0x58be good) but its quote is truncated.
const Frame kTimexShortQuote = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 32 00 04 40 00 40 01 4e 90 c0 00 02 01 c6 33",
    "64 02 0b 00 58 be 00 00 00 00 45 00 00 28 43 43",
    "40 00 01 06 4a 56 c6 33 64 02 c0 00 02 01 9c 41",
});

// Raw IPv6 2001:db8::1 > 2001:db8::2 nh 58, ICMPv6 echo request (128/0) cksum 0x5edd id 0x0102 seq 3 "abc"
const Frame kEcho6 = hex({
    "60 01 23 45 00 0b 3a 40 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 02 80 00 5e dd 01 02 00 03",
    "61 62 63",
});

// Raw IPv6, ICMPv6 1/4 port unreachable cksum 0x0e9e, quoting the whole IPv6/UDP datagram
//   2001:db8::2 > 2001:db8::1 UDP 5000 > 6000 len 9 "q".
const Frame kUnreach6 = hex({
    "60 01 23 45 00 39 3a 40 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 02 01 04 0e 9e 00 00 00 00",
    "60 01 23 45 00 09 11 40 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 02 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 01 13 88 17 70 00 09 08 6f",
    "71",
});

void check_prefixes(std::uint32_t dlt, const Frame& f) {
  const DecodedFrame full = run(dlt, f);
  REQUIRE(full.ok());
  for (std::size_t n = 0; n < f.size(); ++n) {
    CAPTURE(n);
    const DecodedFrame d = run(dlt, f, n);
    CHECK((d.problem.status == Status::kOk || d.problem.status == Status::kTruncated));
    if (d.has_ip()) CHECK(d.ip.src == full.ip.src);
    if (d.l4_caplen >= 2) {
      CHECK(d.icmp.type == full.icmp.type);
      CHECK(d.icmp.code == full.icmp.code);
    }
    if (d.l4_caplen >= 8) {
      CHECK(d.ok());  // a cut quote or payload never fails the outer packet
      CHECK(d.icmp.rest == full.icmp.rest);
      CHECK(d.icmp.payload_len == full.icmp.payload_len);
      CHECK(d.icmp.checksum_state == ChecksumState::kUnknown);
      const QuotedPacket& q = d.icmp.quoted;
      const QuotedPacket& fq = full.icmp.quoted;
      CHECK(q.present == (fq.present && d.l4_caplen > 8));
      if (q.has_ports) {
        CHECK(q.sport == fq.sport);
        CHECK(q.dport == fq.dport);
      }
      if (q.has_tcp_seq) CHECK(q.tcp_seq == fq.tcp_seq);
      if (q.present && !(q.has_ports || q.has_echo) && (fq.has_ports || fq.has_echo)) CHECK(q.truncated);
      // Addresses only when the quoted IP header is all there; never a made-up 0.0.0.0.
      const std::size_t ip_header = fq.version == 6 ? 40U : 20U;
      CHECK(q.has_ip == (q.present && d.l4_caplen >= 8U + ip_header));
      if (q.has_ip) {
        CHECK(q.src == fq.src);
        CHECK(q.dst == fq.dst);
        CHECK(q.proto == fq.proto);
      } else if (q.present) {
        CHECK(q.truncated);
        CHECK(q.src.version == 0);
      }
    } else if (d.transport == Transport::kIcmp || d.transport == Transport::kIcmp6) {
      CHECK(d.problem.status == Status::kTruncated);
      CHECK((d.problem.layer == Layer::kIcmp || d.problem.layer == Layer::kIcmp6));
    }
  }
}

}  // namespace

TEST_CASE("icmp echo request") {
  const DecodedFrame d = run(1, kEcho);
  REQUIRE(d.ok());
  CHECK(d.transport == Transport::kIcmp);
  CHECK(d.icmp.type == 8);
  CHECK(d.icmp.code == 0);
  CHECK(d.icmp.is_echo);
  CHECK(d.icmp.id == 0x1234);
  CHECK(d.icmp.seq == 7);
  CHECK(d.icmp.payload_len == 8);
  CHECK(d.payload.size() == 8);
  CHECK_FALSE(d.icmp.quoted.present);
  CHECK(d.icmp.checksum_state == ChecksumState::kGood);
  CHECK(std::string(icmp_type_name(d.icmp.type)) == "echo request");
  CHECK_FALSE(icmp_is_error(8));
  check_prefixes(1, kEcho);

  Frame bad = kEcho;
  bad[36] ^= std::byte{0x10};
  const DecodedFrame b = run(1, bad);
  CHECK(b.ok());
  CHECK(b.icmp.checksum_state == ChecksumState::kBad);
  CHECK(b.icmp.checksum_expected == 0x2e31);
  CHECK(has(b.anomalies, Anomaly::kL4ChecksumBad));
}

TEST_CASE("icmp port unreachable quotes the UDP datagram") {
  const DecodedFrame d = run(1, kUnreach);
  REQUIRE(d.ok());
  CHECK(d.icmp.type == 3);
  CHECK(d.icmp.code == 3);
  CHECK_FALSE(d.icmp.is_echo);
  CHECK(d.icmp.checksum_state == ChecksumState::kGood);
  CHECK(icmp_is_error(3));
  CHECK(std::string(icmp_type_name(3)) == "destination unreachable");
  CHECK(std::string(icmp_code_name(3, 3)) == "port unreachable");
  const QuotedPacket& q = d.icmp.quoted;
  CHECK(q.present);
  CHECK_FALSE(q.truncated);
  CHECK(q.version == 4);
  CHECK(text(q.src) == "198.51.100.2");
  CHECK(text(q.dst) == "192.0.2.1");
  CHECK(q.proto == 17);
  CHECK(q.ttl == 1);
  CHECK(q.ip_id == 0x4242);
  CHECK(q.total_len == 40);
  CHECK(q.has_ports);
  CHECK(q.sport == 40000);
  CHECK(q.dport == 33434);
  CHECK_FALSE(q.has_tcp_seq);
  check_prefixes(1, kUnreach);
}

TEST_CASE("icmp time exceeded quotes TCP ports and sequence number - a short quote is flagged, not fatal") {
  const DecodedFrame d = run(1, kTimex);
  REQUIRE(d.ok());
  CHECK(std::string(icmp_type_name(11)) == "time exceeded");
  CHECK(std::string(icmp_code_name(11, 0)) == "in-transit");
  CHECK(d.icmp.quoted.has_ports);
  CHECK(d.icmp.quoted.dport == 80);
  CHECK(d.icmp.quoted.has_tcp_seq);
  CHECK(d.icmp.quoted.tcp_seq == 0x11223344U);
  check_prefixes(1, kTimex);

  const DecodedFrame s = run(1, kTimexShortQuote);
  CHECK(s.ok());
  CHECK(s.icmp.checksum_state == ChecksumState::kGood);
  CHECK(s.icmp.quoted.present);
  CHECK(s.icmp.quoted.truncated);
  CHECK_FALSE(s.icmp.quoted.has_ports);
  CHECK(s.icmp.quoted.proto == 6);
  CHECK(text(s.icmp.quoted.dst) == "192.0.2.1");  // the quoted IP header itself was complete
}

TEST_CASE("icmp: a quote holding only part of the IP header") {
  // Cut kUnreach's quote to 12 bytes by shortening the outer IP length (and fixing its checksum).
  Frame f(kUnreach.begin(), kUnreach.begin() + 14 + 20 + 8 + 12);
  test::finish_ipv4(f, 14);
  test::finish_l4(f, 14, 34, 1);
  const DecodedFrame d = run(1, f);
  REQUIRE(d.ok());
  CHECK(d.icmp.checksum_state == ChecksumState::kGood);
  CHECK(d.icmp.quoted.present);
  CHECK(d.icmp.quoted.truncated);
  CHECK(d.icmp.quoted.version == 4);
  CHECK_FALSE(d.icmp.quoted.has_ports);
}

TEST_CASE("icmp: an IP length shorter than the ICMP header is invalid - a 0-length ICMPv6 too") {
  Frame f(kEcho.begin(), kEcho.begin() + 14 + 20 + 3);
  test::finish_ipv4(f, 14);
  const DecodedFrame d = run(1, f);
  CHECK(d.problem.status == Status::kInvalid);
  CHECK(d.problem.layer == Layer::kIcmp);
  CHECK(d.problem.value == 3);
  CHECK(d.problem.limit == 8);
  CHECK(d.icmp.type == 8);  // what was there is kept (tcpdump prints the type)

  Frame z = kEcho6;
  z[5] = std::byte{0};
  const DecodedFrame e = run(229, z);
  CHECK(e.problem.status == Status::kInvalid);
  CHECK(e.problem.layer == Layer::kIcmp6);
  CHECK(e.l4_caplen == 0);
}

TEST_CASE("icmpv6 echo and port unreachable quoting IPv6/UDP") {
  const DecodedFrame e = run(229, kEcho6);
  REQUIRE(e.ok());
  CHECK(e.transport == Transport::kIcmp6);
  CHECK(e.icmp.type == 128);
  CHECK(e.icmp.is_echo);
  CHECK(e.icmp.id == 0x0102);
  CHECK(e.icmp.seq == 3);
  CHECK(e.icmp.checksum_state == ChecksumState::kGood);  // with the IPv6 pseudo-header
  CHECK(std::string(icmp6_type_name(128)) == "echo request");
  check_prefixes(229, kEcho6);

  const DecodedFrame u = run(229, kUnreach6);
  REQUIRE(u.ok());
  CHECK(u.icmp.type == 1);
  CHECK(u.icmp.code == 4);
  CHECK(icmp6_is_error(1));
  CHECK_FALSE(icmp6_is_error(128));
  CHECK(std::string(icmp6_type_name(1)) == "destination unreachable");
  CHECK(std::string(icmp6_code_name(1, 4)) == "port unreachable");
  CHECK(u.icmp.checksum_state == ChecksumState::kGood);
  const QuotedPacket& q = u.icmp.quoted;
  CHECK(q.present);
  CHECK(q.version == 6);
  CHECK(text(q.src) == "2001:db8::2");
  CHECK(q.proto == 17);
  CHECK(q.has_ports);
  CHECK(q.sport == 5000);
  CHECK(q.dport == 6000);
  CHECK_FALSE(q.truncated);
  check_prefixes(229, kUnreach6);

  Frame bad = kUnreach6;
  bad[41] ^= std::byte{0x01};
  CHECK(run(229, bad).icmp.checksum_state == ChecksumState::kBad);
}

TEST_CASE("icmp names: tcpdump's vocabulary") {
  CHECK(std::string(icmp_type_name(0)) == "echo reply");
  CHECK(std::string(icmp_type_name(4)) == "source quench");
  CHECK(std::string(icmp_type_name(200)) == "unknown");
  CHECK(std::string(icmp_code_name(3, 4)) == "need to frag");
  CHECK(std::string(icmp_code_name(8, 0)).empty());
  CHECK(std::string(icmp6_type_name(2)) == "packet too big");
  CHECK(std::string(icmp6_type_name(135)) == "neighbor solicitation");
  CHECK(std::string(icmp6_type_name(136)) == "neighbor advertisement");
  CHECK(std::string(icmp6_type_name(3)) == "time exceeded");
  for (unsigned t = 0; t < 256; ++t) {
    const auto u = static_cast<std::uint8_t>(t);
    CHECK(icmp_type_name(u) != nullptr);
    CHECK(icmp6_type_name(u) != nullptr);
    CHECK(icmp_code_name(u, 0) != nullptr);
    CHECK(icmp6_code_name(u, 0) != nullptr);
    CHECK(ip_proto_name(u) != nullptr);
  }
}

TEST_CASE("decode_frame reuses its output: nothing of the previous frame survives") {
  // ICMP error with a quote, then ICMPv6 echo, then a non-IP frame, then a TCP-less IPv4 fragment.
  const Frame arp = hex({"ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01"});
  DecodedFrame reused;
  decode_frame(1, view(kUnreach), static_cast<std::uint32_t>(kUnreach.size()), reused);
  REQUIRE(reused.icmp.quoted.present);
  decode_frame(229, view(kEcho6), static_cast<std::uint32_t>(kEcho6.size()), reused);
  CHECK_FALSE(reused.icmp.quoted.present);
  CHECK(reused.icmp.quoted.sport == 0);
  CHECK(reused.icmp.is_echo);
  CHECK(reused.link.ethertype == 0x86DD);
  decode_frame(1, view(arp), static_cast<std::uint32_t>(arp.size()), reused);
  const DecodedFrame fresh = run(1, arp);
  CHECK(reused.transport == Transport::kNone);
  CHECK(reused.icmp.type == 0);
  CHECK(reused.icmp.id == 0);
  CHECK(reused.icmp.checksum_state == ChecksumState::kUnknown);
  CHECK_FALSE(reused.has_ip());
  CHECK(reused.ip.src == fresh.ip.src);
  CHECK(reused.payload.empty());
  CHECK(reused.link.ethertype == 0x0806);
  CHECK(reused.l4_caplen == 0);
  CHECK(reused.ok());
  decode_frame(1, view(kTimex), static_cast<std::uint32_t>(kTimex.size()), reused);
  decode_frame(1, view(kEcho), static_cast<std::uint32_t>(kEcho.size()), reused);
  CHECK_FALSE(reused.icmp.quoted.present);
  CHECK_FALSE(reused.icmp.quoted.has_tcp_seq);
  CHECK(reused.icmp.is_echo);
}

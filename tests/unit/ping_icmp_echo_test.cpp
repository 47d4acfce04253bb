// Echo request building and the parser of what ICMP sockets return: replies (with and without the IPv4
// header), errors quoting our probe, malformed twins, and a truncate-at-every-length loop.

#include <doctest/doctest.h>

#include "support/frame_builder.hpp"
#include "synscope/net/checksum.hpp"
#include "synscope/ping/icmp_echo.hpp"

using namespace synscope;
using namespace synscope::ping;
using synscope::test::Frame;
using synscope::test::hex;

namespace {

Bytes view(const std::vector<std::byte>& v) { return {v.data(), v.size()}; }

// A raw-socket IPv4 echo reply from 198.51.100.2 to 192.0.2.2, TTL 63, id 0x1234, seq 7, 24 data bytes
// (16 bytes of send time, then the pattern 0x10..0x17). Checksums are fixed up by finish_*.
Frame reply_v4() {
  Frame f = hex({
      "45 00 00 00 ab cd 40 00 3f 01 00 00",  // v4 IHL 5, tos 0, len (fixed), id, DF, TTL 63, ICMP, cksum
      "c6 33 64 02 c0 00 02 02",              // 198.51.100.2 -> 192.0.2.2
      "00 00 00 00 12 34 00 07",              // type 0 echo reply, code 0, cksum (fixed), id 0x1234, seq 7
      "00 00 00 00 65 00 00 00",              // send time: seconds 0x65000000
      "00 00 00 00 00 0b eb c2",              //            nanoseconds 781250
      "10 11 12 13 14 15 16 17",              // pattern bytes 16..23
  });
  test::finish_ipv4(f, 0);
  test::finish_l4(f, 0, 20, 1);
  return f;
}

// Time exceeded from the router 192.0.2.1 quoting our echo request (id 0x1234, seq 9) to 198.51.100.2.
Frame ttl_exceeded_v4() {
  Frame f = hex({
      "45 c0 00 00 00 01 00 00 40 01 00 00 c0 00 02 01 c0 00 02 02",  // outer IPv4: 192.0.2.1 -> 192.0.2.2
      "0b 00 00 00 00 00 00 00",                                      // type 11 code 0, unused
      "45 00 00 54 55 55 40 00 01 01 00 00 c0 00 02 02 c6 33 64 02",  // quoted IPv4: TTL 1, to 198.51.100.2
      "08 00 ab cd 12 34 00 09",                                      // quoted echo request id 0x1234 seq 9
  });
  test::finish_ipv4(f, 0);
  test::finish_l4(f, 0, 20, 1);
  return f;
}

}  // namespace

TEST_CASE("ping: an IPv4 echo request is 8 header bytes, the send time and the pattern, with a checksum") {
  std::vector<std::byte> p;
  build_echo_request(Family::kIpv4, 0xBEEF, 0x0102, 56, SendStamp{0x01020304, 999999999}, p);
  REQUIRE(p.size() == 64);
  CHECK(load_u8(view(p), 0) == 8);
  CHECK(load_u8(view(p), 1) == 0);
  CHECK(load_be16(view(p), 4) == 0xBEEF);
  CHECK(load_be16(view(p), 6) == 0x0102);
  CHECK(net::internet_checksum(view(p)) == 0);  // RFC 792: the checksum covers the whole message
  SendStamp s;
  REQUIRE(read_send_stamp(view(p).subspan(8), s));
  CHECK(s.sec == 0x01020304);
  CHECK(s.nsec == 999999999);
  for (std::size_t i = kTimestampSize; i < 56; ++i) CHECK(load_u8(view(p), 8 + i) == (i & 0xFF));
  CHECK(first_wrong_data_byte(view(p).subspan(8), 56) == -1);
}

TEST_CASE("ping: an ICMPv6 echo request is type 128 and leaves the checksum to the kernel") {
  std::vector<std::byte> p;
  build_echo_request(Family::kIpv6, 1, 2, 0, SendStamp{}, p);
  REQUIRE(p.size() == 8);
  CHECK(load_u8(view(p), 0) == 128);
  CHECK(load_be16(view(p), 2) == 0);
  // Short payloads (< 16 bytes) carry only the pattern: no send time, so no RTT (iputils' rule).
  build_echo_request(Family::kIpv4, 1, 2, 8, SendStamp{5, 6}, p);
  SendStamp s;
  CHECK_FALSE(read_send_stamp(view(p).subspan(8), s));
  CHECK(load_u8(view(p), 15) == 7);
}

TEST_CASE("ping: a raw IPv4 echo reply parses with its IP header") {
  const Frame f = reply_v4();
  const auto r = parse_icmp_message(test::view(f), Family::kIpv4, true);
  REQUIRE(r.has_value());
  const IcmpMessage& m = *r;
  CHECK(m.ip.present);
  CHECK(m.ip.ttl == 63);
  CHECK(m.ip.header_len == 20);
  CHECK(m.ip.id == 0xabcd);
  CHECK(m.ip.src == net::IpAddress::v4(0xC6336402U));
  CHECK(m.kind == MessageKind::kEchoReply);
  CHECK(m.id == 0x1234);
  CHECK(m.seq == 7);
  CHECK(m.checksum_checked);
  CHECK(m.checksum_ok);
  CHECK(m.icmp.size() == 32);
  CHECK(m.data.size() == 24);
  SendStamp s;
  REQUIRE(read_send_stamp(m.data, s));
  CHECK(s.sec == 0x65000000);
  CHECK(s.nsec == 781250);
  CHECK(first_wrong_data_byte(m.data, 24) == -1);
}

TEST_CASE("ping: malformed twins of the reply") {
  SUBCASE("a flipped data byte fails the ICMP checksum and is found as wrong data") {
    Frame f = reply_v4();
    f[20 + 8 + 18] = std::byte{0xFF};  // data byte #18 should be 0x12
    const auto r = parse_icmp_message(test::view(f), Family::kIpv4, true);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->checksum_ok);
    CHECK(first_wrong_data_byte(r->data, 24) == 18);
  }
  SUBCASE("version 6 in an IPv4 raw packet") {
    Frame f = reply_v4();
    f[0] = std::byte{0x65};
    CHECK(parse_icmp_message(test::view(f), Family::kIpv4, true).error() == ParseError::kBadIpVersion);
  }
  SUBCASE("IHL below 5") {
    Frame f = reply_v4();
    f[0] = std::byte{0x44};
    CHECK(parse_icmp_message(test::view(f), Family::kIpv4, true).error() == ParseError::kBadIpHeaderLength);
  }
  SUBCASE("IHL past the end") {
    Frame f = reply_v4();
    f[0] = std::byte{0x4F};  // 60-byte header, 56 bytes present
    CHECK(parse_icmp_message(test::view(f), Family::kIpv4, true).error() == ParseError::kTruncated);
  }
  SUBCASE("not ICMP") {
    Frame f = reply_v4();
    f[9] = std::byte{17};
    CHECK(parse_icmp_message(test::view(f), Family::kIpv4, true).error() == ParseError::kNotIcmp);
  }
  SUBCASE("trailing bytes past the IP total length are not ICMP data") {
    Frame f = reply_v4();
    f.push_back(std::byte{0xEE});
    f.push_back(std::byte{0xEE});
    const auto r = parse_icmp_message(test::view(f), Family::kIpv4, true);
    REQUIRE(r.has_value());
    CHECK(r->icmp.size() == 32);
    CHECK(r->checksum_ok);
  }
}

TEST_CASE("ping: truncating a reply at every length never reads past the end") {
  const Frame f = reply_v4();
  for (std::size_t n = 0; n <= f.size(); ++n) {
    CAPTURE(n);
    const auto r = parse_icmp_message(test::view(f, n), Family::kIpv4, true);
    if (n < 28) {
      CHECK(r.error() == ParseError::kTruncated);
    } else {
      REQUIRE(r.has_value());
      CHECK(r->kind == MessageKind::kEchoReply);
      CHECK(r->icmp.size() == n - 20);
      SendStamp s;
      CHECK(read_send_stamp(r->data, s) == (n >= 44));
    }
    // The same bytes as a ping socket returns them (no IP header), and as ICMPv6.
    const auto d = parse_icmp_message(test::view(f, n), Family::kIpv4, false);
    CHECK(d.has_value() == (n >= 8));
    const auto v6 = parse_icmp_message(test::view(f, n), Family::kIpv6, false);
    CHECK(v6.has_value() == (n >= 8));
  }
}

TEST_CASE("ping: a time-exceeded error is matched to our probe through the quoted header") {
  const Frame f = ttl_exceeded_v4();
  const auto r = parse_icmp_message(test::view(f), Family::kIpv4, true);
  REQUIRE(r.has_value());
  CHECK(r->kind == MessageKind::kError);
  CHECK(r->type == 11);
  CHECK(r->code == 0);
  CHECK(r->ip.src == net::IpAddress::v4(0xC0000201U));  // the router
  REQUIRE(r->quoted.present);
  CHECK(r->quoted.dst == net::IpAddress::v4(0xC6336402U));
  CHECK(r->quoted.id == 0x1234);
  CHECK(r->quoted.seq == 9);
  // Every truncation: the quote is only "present" once the quoted echo header is complete.
  for (std::size_t n = 0; n <= f.size(); ++n) {
    CAPTURE(n);
    const auto t = parse_icmp_message(test::view(f, n), Family::kIpv4, true);
    if (n < 28) {
      CHECK_FALSE(t.has_value());
      continue;
    }
    REQUIRE(t.has_value());
    CHECK(t->quoted.present == (n == f.size()));
  }
}

TEST_CASE("ping: an ICMPv6 destination unreachable quotes our echo request") {
  Frame f = hex({
      "01 00 00 00 00 00 00 00",                           // type 1 code 0 (no route), checksum, unused
      "60 00 00 00 00 10 3a 40",                           // quoted IPv6: payload 16, next header 58
      "20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 02",  // src 2001:db8:1::2
      "20 01 0d b8 00 03 00 00 00 00 00 00 00 00 00 01",  // dst 2001:db8:3::1
      "80 00 00 00 ab cd 00 03",                           // echo request id 0xabcd seq 3
  });
  const auto r = parse_icmp_message(test::view(f), Family::kIpv6, false);
  REQUIRE(r.has_value());
  CHECK(r->kind == MessageKind::kError);
  CHECK_FALSE(r->checksum_checked);
  REQUIRE(r->quoted.present);
  CHECK(r->quoted.id == 0xabcd);
  CHECK(r->quoted.seq == 3);
  net::IpAddress dst;
  REQUIRE(net::parse_address("2001:db8:3::1", dst));
  CHECK(r->quoted.dst == dst);
  SUBCASE("a quoted UDP datagram is not ours") {
    f[8 + 6] = std::byte{17};
    CHECK_FALSE(parse_icmp_message(test::view(f), Family::kIpv6, false)->quoted.present);
  }
  for (std::size_t n = 0; n < f.size(); ++n) {
    const auto t = parse_icmp_message(test::view(f, n), Family::kIpv6, false);
    CHECK(t.has_value() == (n >= 8));
    if (t.has_value()) CHECK_FALSE(t->quoted.present);
  }
}

TEST_CASE("ping: iputils' texts for ICMP errors") {
  CHECK(icmp_error_text(Family::kIpv4, 11, 0, 0) == "Time to live exceeded");
  CHECK(icmp_error_text(Family::kIpv4, 3, 1, 0) == "Destination Host Unreachable");
  CHECK(icmp_error_text(Family::kIpv4, 3, 0, 0) == "Destination Net Unreachable");
  CHECK(icmp_error_text(Family::kIpv4, 3, 3, 0) == "Destination Port Unreachable");
  CHECK(icmp_error_text(Family::kIpv4, 3, 13, 0) == "Packet filtered");
  CHECK(icmp_error_text(Family::kIpv4, 3, 4, 1400) == "Frag needed and DF set (mtu = 1400)");
  CHECK(icmp_error_text(Family::kIpv4, 3, 99, 0) == "Dest Unreachable, Bad Code: 99");
  CHECK(icmp_error_text(Family::kIpv6, 3, 0, 0) == "Time exceeded: Hop limit");
  CHECK(icmp_error_text(Family::kIpv6, 1, 0, 0) == "Destination unreachable: No route");
  CHECK(icmp_error_text(Family::kIpv6, 1, 1, 0) == "Destination unreachable: Administratively prohibited");
  CHECK(icmp_error_text(Family::kIpv6, 1, 3, 0) == "Destination unreachable: Address unreachable");
  CHECK(icmp_error_text(Family::kIpv6, 2, 0, 1280) == "Packet too big: mtu=1280");
  CHECK(is_error_type(Family::kIpv4, 11));
  CHECK_FALSE(is_error_type(Family::kIpv4, 0));
  CHECK(is_error_type(Family::kIpv6, 4));
  CHECK_FALSE(is_error_type(Family::kIpv6, 129));
}

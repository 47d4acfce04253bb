// decode_frame(): link layers, IPv4, IPv6 and TCP/UDP on literal frames. Each frame carries its dissection;
// malformed twins sit next to the valid frame they are cut from. ICMP lives in decode_icmp_test.cpp.

#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "support/frame_builder.hpp"
#include "synscope/decode/frame.hpp"

using namespace synscope;
using namespace synscope::decode;
using synscope::test::Frame;
using synscope::test::hex;
using synscope::test::view;

namespace {

std::string text(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  net::format_address(a, buf);
  return buf;
}

DecodedFrame run(std::uint32_t dlt, const Frame& f, std::size_t caplen = SIZE_MAX, DecodeOptions opts = {}) {
  DecodedFrame d;
  decode_frame(dlt, view(f, caplen), static_cast<std::uint32_t>(f.size()), d, opts);
  return d;
}

constexpr std::uint32_t kEn10mb = 1;

// Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 (0x0800)
//   IPv4 ihl 5, tos 0, len 60, id 0x1c46, DF, ttl 64, proto 6, cksum 0x323f, 192.0.2.1 > 198.51.100.2
//   TCP 41138 > 7001, seq 0x01020304, ack 0, doff 10 (40 bytes), flags SYN, win 64240, cksum 0xed61, urg 0
//     options: mss 1460 (02 04 05 b4), sackOK (04 02), TS val 0x00a1b2c3 ecr 0 (08 0a ...), nop, wscale 7
const Frame kSyn = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 3c 1c 46 40 00 40 06 32 3f c0 00 02 01 c6 33",
    "64 02 a0 b2 1b 59 01 02 03 04 00 00 00 00 a0 02",
    "fa f0 ed 61 00 00 02 04 05 b4 04 02 08 0a 00 a1",
    "b2 c3 00 00 00 00 01 03 03 07",
});

// The same ACK segment (flags ACK, doff 5, no payload), IP total length 40, then 6 bytes of Ethernet padding.
const Frame kAckPadded = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 28 1c 46 40 00 40 06 32 53 c0 00 02 01 c6 33",
    "64 02 a0 b2 1b 59 01 02 03 05 0a 0b 0c 0d 50 10",
    "01 f6 eb 7c 00 00 00 00 00 00 00 00",
});

// PSH|ACK with 5 bytes of data "hello"; IP total length 45, TCP cksum 0xa79d.
const Frame kData = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00",
    "00 2d 1c 46 40 00 40 06 32 4e c0 00 02 01 c6 33",
    "64 02 a0 b2 1b 59 01 02 03 05 0a 0b 0c 0d 50 18",
    "01 f6 a7 9d 00 00 68 65 6c 6c 6f",
});

// A bare IPv4/UDP datagram (no link header): id 7, DF, ttl 64, 192.0.2.1 > 198.51.100.2,
//   UDP 5353 > 53, length 12, cksum 0xeb4c, payload 12 34 01 00.
const Frame kUdpIp = hex({
    "45 00 00 20 00 07 40 00 40 11 4e 8f c0 00 02 01",
    "c6 33 64 02 14 e9 00 35 00 0c eb 4c 12 34 01 00",
});

// A bare IPv6/TCP segment: tc 0, flow 0x12345, plen 24, nh 6, hlim 64, 2001:db8::1 > 2001:db8::2,
//   TCP 443 > 50000, seq 100, ack 200, doff 6, SYN|ACK, win 65535, cksum 0x767e, mss 1440.
const Frame kIp6Tcp = hex({
    "60 01 23 45 00 18 06 40 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00",
    "00 00 00 00 00 00 00 02 01 bb c3 50 00 00 00 64",
    "00 00 00 c8 60 12 ff ff 76 7e 00 00 02 04 05 a0",
});

// Ethernet, IPv6 plen 60 nh 0 (hop-by-hop):
//   HBH   nh 60 len 0: PadN(4)
//   DSTOPT nh 43 len 0: PadN(4)
//   SRH   nh 44 len 2 type 4 segleft 0 last-entry 0: segment [0] 2001:db8::2
//   FRAG  nh 17 offset 0 M=1 id 0xdeadbeef (first fragment: transport follows)
//   UDP 1000 > 2000 len 12 cksum 0xd3e2 "abcd"
const Frame kIp6Chain = hex({
    "02 00 00 00 00 02 02 00 00 00 00 01 86 dd 60 01",
    "23 45 00 3c 00 40 20 01 0d b8 00 00 00 00 00 00",
    "00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00",
    "00 00 00 00 00 02 3c 00 01 04 00 00 00 00 2b 00",
    "01 04 00 00 00 00 2c 02 04 00 00 00 00 00 20 01",
    "0d b8 00 00 00 00 00 00 00 00 00 00 00 02 11 00",
    "00 01 de ad be ef 03 e8 07 d0 00 0c d3 e2 61 62",
    "63 64",
});

Frame concat(const Frame& a, const Frame& b) {
  Frame out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Frame with_link(const Frame& link, const Frame& ip) { return concat(link, ip); }

/// Decodes every prefix of `f`: never invalid (the wire length is intact), truncated or ok, and every field
/// decoded before the cut equals the full decode's.
void check_prefixes(std::uint32_t dlt, const Frame& f) {
  const DecodedFrame full = run(dlt, f);
  REQUIRE(full.ok());
  for (std::size_t n = 0; n < f.size(); ++n) {
    CAPTURE(n);
    const DecodedFrame d = run(dlt, f, n);
    CHECK(d.caplen == n);
    CHECK((d.problem.status == Status::kOk || d.problem.status == Status::kTruncated));
    if (d.problem.status == Status::kTruncated) CHECK(std::strlen(d.problem.what) > 0);
    CHECK(d.link.dlt == full.link.dlt);
    if (n >= full.link.header_len && full.link.header_len > 0) {
      CHECK(d.link.src_mac == full.link.src_mac);
      CHECK(d.link.vlan_count == full.link.vlan_count);
    }
    if (d.has_ip()) {
      CHECK(d.ip.version == full.ip.version);
      CHECK(d.ip.src == full.ip.src);
      CHECK(d.ip.dst == full.ip.dst);
      CHECK(d.ip.ttl == full.ip.ttl);
      CHECK(d.ip.total_len == full.ip.total_len);
      CHECK(d.ip.next_header == full.ip.next_header);
      // IP-layer truncation means the header (or its extension chain) was cut.
      if (d.problem.layer != Layer::kIpv4 && d.problem.layer != Layer::kIpv6) {
        CHECK(d.ip.proto == full.ip.proto);
        CHECK(d.ip.payload_len == full.ip.payload_len);
      }
    } else {
      CHECK(n < full.ip_offset + (full.ip.version == 6 ? 40U : 20U));
    }
    if (d.transport != Transport::kNone) CHECK(d.transport == full.transport);
    if (d.transport == Transport::kTcp && d.l4_caplen >= 20) {
      CHECK(d.tcp.sport == full.tcp.sport);
      CHECK(d.tcp.seq == full.tcp.seq);
      CHECK(d.tcp.ack_seq == full.tcp.ack_seq);
      CHECK(d.tcp.flags == full.tcp.flags);
      CHECK(d.tcp.payload_len == full.tcp.payload_len);  // from the IP length, not the capture
    }
    if (d.transport == Transport::kUdp && d.l4_caplen >= 8) {
      CHECK(d.udp.dport == full.udp.dport);
      CHECK(d.udp.payload_len == full.udp.payload_len);
    }
    if (d.transport == Transport::kIcmp || d.transport == Transport::kIcmp6) {
      if (d.l4_caplen >= 8) {
        CHECK(d.icmp.type == full.icmp.type);
        CHECK(d.icmp.rest == full.icmp.rest);
        CHECK(d.icmp.payload_len == full.icmp.payload_len);
        if (d.icmp.quoted.has_ports) CHECK(d.icmp.quoted.dport == full.icmp.quoted.dport);
      }
    }
    // Checksums are only judged over complete data.
    CHECK(d.tcp.checksum_state != ChecksumState::kBad);
    CHECK(d.udp.checksum_state != ChecksumState::kBad);
    CHECK(d.icmp.checksum_state != ChecksumState::kBad);
    if (d.ok() && d.payload.size() < (full.payload.size())) CHECK(d.tcp.checksum_state == ChecksumState::kUnknown);
  }
}

}  // namespace

TEST_CASE("ethernet/ipv4/tcp SYN: every field") {
  const DecodedFrame d = run(kEn10mb, kSyn);
  REQUIRE(d.ok());
  CHECK(d.link.has_mac);
  CHECK(d.link.src_mac == std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1});
  CHECK(d.link.dst_mac == std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 2});
  CHECK(d.link.ethertype == 0x0800);
  CHECK(d.link.header_len == 14);
  CHECK(d.ip.version == 4);
  CHECK(text(d.ip.src) == "192.0.2.1");
  CHECK(text(d.ip.dst) == "198.51.100.2");
  CHECK(d.ip.proto == 6);
  CHECK(d.ip.ttl == 64);
  CHECK(d.ip.id == 0x1c46);
  CHECK(d.ip.dont_fragment);
  CHECK_FALSE(d.ip.is_fragment);
  CHECK(d.ip.header_len == 20);
  CHECK(d.ip.total_len == 60);
  CHECK(d.ip.payload_len == 40);
  CHECK(d.ip.header_checksum == ChecksumState::kGood);
  CHECK(d.ip_offset == 14);
  CHECK(d.l4_offset == 34);
  CHECK(d.transport == Transport::kTcp);
  CHECK(d.tcp.sport == 41138);
  CHECK(d.tcp.dport == 7001);
  CHECK(d.tcp.seq == 0x01020304U);
  CHECK(d.tcp.ack_seq == 0);
  CHECK(d.tcp.flags == tcp_flag::kSyn);
  CHECK(d.tcp.window == 64240);
  CHECK(d.tcp.data_offset == 40);
  CHECK(d.tcp.payload_len == 0);
  CHECK(d.tcp.options.size() == 20);
  CHECK(d.tcp.opt.has_mss);
  CHECK(d.tcp.opt.mss == 1460);
  CHECK(d.tcp.opt.sack_ok);
  CHECK(d.tcp.opt.has_timestamps);
  CHECK(d.tcp.opt.ts_val == 0x00a1b2c3U);
  CHECK(d.tcp.opt.ts_ecr == 0);
  CHECK(d.tcp.opt.has_wscale);
  CHECK(d.tcp.opt.wscale == 7);
  CHECK_FALSE(d.tcp.opt.malformed);
  CHECK(d.tcp.checksum == 0xed61);
  CHECK(d.tcp.checksum_state == ChecksumState::kGood);
  CHECK(d.payload.empty());
  CHECK(d.anomalies == Anomaly::kNone);

  // The option iterator yields them in wire order for printing.
  TcpOptionIterator it(d.tcp.options);
  TcpOption o;
  std::string kinds;
  while (it.next(o)) kinds += std::to_string(o.kind) + ",";
  CHECK(kinds == "2,4,8,1,3,");
  CHECK_FALSE(it.malformed());
}

TEST_CASE("tcp checksum: bad twin is an anomaly, never a problem - verification can be turned off") {
  Frame bad = kSyn;
  bad[14 + 20 + 16] ^= std::byte{0xFF};  // cksum 0xed61 -> 0x1261
  const DecodedFrame d = run(kEn10mb, bad);
  CHECK(d.ok());
  CHECK(d.tcp.checksum_state == ChecksumState::kBad);
  CHECK(d.tcp.checksum_expected == 0xed61);
  CHECK(has(d.anomalies, Anomaly::kL4ChecksumBad));
  const DecodedFrame off = run(kEn10mb, bad, SIZE_MAX, DecodeOptions{false});
  CHECK(off.tcp.checksum_state == ChecksumState::kUnknown);
  CHECK(off.ip.header_checksum == ChecksumState::kUnknown);

  Frame badip = kSyn;
  badip[14 + 10] ^= std::byte{0x01};  // ip cksum 0x323f -> 0x333f
  const DecodedFrame e = run(kEn10mb, badip);
  CHECK(e.ok());
  CHECK(e.ip.header_checksum == ChecksumState::kBad);
  CHECK(e.ip.checksum_expected == 0x323f);
  CHECK(has(e.anomalies, Anomaly::kIpChecksumBad));
}

TEST_CASE("ethernet padding is never payload") {
  const DecodedFrame d = run(kEn10mb, kAckPadded);
  REQUIRE(d.ok());
  CHECK(has(d.anomalies, Anomaly::kIpPadding));
  CHECK(d.tcp.payload_len == 0);
  CHECK(d.payload.empty());
  CHECK(d.tcp.checksum_state == ChecksumState::kGood);  // computed over the 20 TCP bytes, not the padding
  const DecodedFrame e = run(kEn10mb, kData);
  CHECK(e.tcp.payload_len == 5);
  REQUIRE(e.payload.size() == 5);
  CHECK(std::memcmp(e.payload.data(), "hello", 5) == 0);
  CHECK(e.tcp.flags == (tcp_flag::kPsh | tcp_flag::kAck));
  CHECK(e.tcp.checksum_state == ChecksumState::kGood);
}

TEST_CASE("snaplen cut: payload_len follows the IP length, checksum unknown") {
  const DecodedFrame d = run(kEn10mb, kData, kData.size() - 3);
  CHECK(d.ok());
  CHECK(d.tcp.payload_len == 5);
  CHECK(d.payload.size() == 2);
  CHECK(d.tcp.checksum_state == ChecksumState::kUnknown);
  CHECK_FALSE(has(d.anomalies, Anomaly::kIpLengthExceedsCapture));  // the wire had all the bytes
}

TEST_CASE("ipv4 malformed twins") {
  SUBCASE("IHL 4 is invalid: bad ip header length 16 < 20") {
    Frame f = kSyn;
    f[14] = std::byte{0x44};
    const DecodedFrame d = run(kEn10mb, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.layer == Layer::kIpv4);
    CHECK(std::string(d.problem.what) == "bad ip header length");
    CHECK(d.problem.value == 16);
    CHECK(d.problem.limit == 20);
    CHECK_FALSE(d.has_ip());
  }
  SUBCASE("version 6 in an IPv4 ethertype is invalid") {
    Frame f = kSyn;
    f[14] = std::byte{0x65};
    const DecodedFrame d = run(kEn10mb, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.value == 6);
  }
  SUBCASE("total length below the header length is invalid") {
    Frame f = kSyn;
    f[17] = std::byte{19};  // total length 19
    const DecodedFrame d = run(kEn10mb, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(std::string(d.problem.what) == "bad ip total length");
    CHECK(d.problem.value == 19);
    CHECK(d.problem.limit == 20);
  }
  SUBCASE("total length beyond the wire: decode what is there, flag it") {
    Frame f = kData;
    f[16] = std::byte{0x01};  // total length 0x012d = 301 > 45 bytes on the wire
    const DecodedFrame d = run(kEn10mb, f, SIZE_MAX, DecodeOptions{false});
    CHECK(d.ok());
    CHECK(has(d.anomalies, Anomaly::kIpLengthExceedsCapture));
    CHECK(d.ip.total_len == 301);
    CHECK(d.tcp.payload_len == 5);
  }
  SUBCASE("total length 0 (TSO): the wire length is used") {
    Frame f = kData;
    f[16] = std::byte{0};
    f[17] = std::byte{0};
    const DecodedFrame d = run(kEn10mb, f, SIZE_MAX, DecodeOptions{false});
    CHECK(d.ok());
    CHECK(has(d.anomalies, Anomaly::kIpv4ZeroTotalLength));
    CHECK(d.tcp.payload_len == 5);
  }
  SUBCASE("options: IHL 6 with a NOP/EOL word is decoded and flagged") {
    // 46 00 00 30 ... 01 01 01 00 (nop nop nop eol), TCP as in kAckPadded
    test::FrameBuilder b;
    b.bytes(Frame(kAckPadded.begin(), kAckPadded.begin() + 34)).be32(0x01010100U);
    b.bytes(Frame(kAckPadded.begin() + 34, kAckPadded.begin() + 54));
    Frame f = b.frame();
    f[14] = std::byte{0x46};
    test::finish_ipv4(f, 14);
    test::finish_l4(f, 14, 38, 6);
    const DecodedFrame d = run(kEn10mb, f);
    REQUIRE(d.ok());
    CHECK(has(d.anomalies, Anomaly::kIpv4Options));
    CHECK(d.ip.header_len == 24);
    CHECK(d.ip.options.size() == 4);
    CHECK(d.ip.header_checksum == ChecksumState::kGood);
    CHECK(d.tcp.checksum_state == ChecksumState::kGood);
    CHECK(d.l4_offset == 38);
    check_prefixes(kEn10mb, f);
  }
}

TEST_CASE("ipv4 fragments: only offset 0 carries the transport header") {
  Frame first = kData;
  first[20] = std::byte{0x20};  // flags MF, offset 0
  const DecodedFrame d = run(kEn10mb, first, SIZE_MAX, DecodeOptions{false});
  CHECK(d.ok());
  CHECK(d.ip.is_fragment);
  CHECK(d.ip.more_fragments);
  CHECK(d.transport == Transport::kTcp);
  CHECK(d.tcp.sport == 41138);
  CHECK_FALSE(has(d.anomalies, Anomaly::kFragment));

  Frame later = kData;
  later[20] = std::byte{0x00};
  later[21] = std::byte{0xb9};  // offset 185 * 8 = 1480, last fragment
  const DecodedFrame e = run(kEn10mb, later, SIZE_MAX, DecodeOptions{false});
  CHECK(e.ok());
  CHECK(e.ip.is_fragment);
  CHECK(e.ip.frag_offset == 185);
  CHECK(e.transport == Transport::kNone);
  CHECK(e.ip.payload_len == 25);
  CHECK(has(e.anomalies, Anomaly::kFragment));
}

TEST_CASE("tcp malformed twins") {
  SUBCASE("data offset 16 < 20: bad tcp header length, too short") {
    Frame f = kData;
    f[46] = std::byte{0x40};  // doff 4
    const DecodedFrame d = run(kEn10mb, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.layer == Layer::kTcp);
    CHECK(std::string(d.problem.what) == "bad tcp header length");
    CHECK(d.problem.value == 16);
    CHECK(d.problem.limit == 20);
    CHECK(d.tcp.sport == 41138);  // the fixed part was read before the check
  }
  SUBCASE("data offset beyond the IP payload: bad tcp header length, too long") {
    Frame f = kData;
    f[46] = std::byte{0xf0};  // doff 60 > 25
    const DecodedFrame d = run(kEn10mb, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.value == 60);
    CHECK(d.problem.limit == 25);
  }
  SUBCASE("options cut by the snapshot: truncated [|tcp], summary of what was captured") {
    const DecodedFrame d = run(kEn10mb, kSyn, 60);  // 6 option bytes of 20
    CHECK(d.problem.status == Status::kTruncated);
    CHECK(d.problem.layer == Layer::kTcp);
    CHECK(d.problem.value == 40);
    CHECK(d.problem.limit == 26);
    CHECK(d.tcp.options.size() == 6);
    CHECK(d.tcp.opt.has_mss);
    CHECK(d.tcp.opt.sack_ok);
  }
  SUBCASE("IP length too short for a TCP header: invalid, not truncated") {
    Frame f = kAckPadded;
    f[17] = std::byte{30};  // total length 30: 10 bytes of TCP
    const DecodedFrame d = run(kEn10mb, f, SIZE_MAX, DecodeOptions{false});
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.layer == Layer::kTcp);
    CHECK(d.problem.value == 10);
    CHECK(d.tcp.sport == 41138);
  }
  SUBCASE("flags: all 12 bits incl. AE, ECE, CWR and odd combinations") {
    Frame f = kAckPadded;
    f[46] = std::byte{0x51};  // doff 5, AE
    f[47] = std::byte{0xc3};  // CWR ECE SYN FIN
    const DecodedFrame d = run(kEn10mb, f, SIZE_MAX, DecodeOptions{false});
    CHECK(d.tcp.flags == (tcp_flag::kAe | tcp_flag::kCwr | tcp_flag::kEce | tcp_flag::kSyn | tcp_flag::kFin));
    CHECK(has(d.anomalies, Anomaly::kTcpFlagsOdd));
    f[46] = std::byte{0x5e};  // reserved bits 0xe00
    f[47] = std::byte{0x00};
    const DecodedFrame e = run(kEn10mb, f, SIZE_MAX, DecodeOptions{false});
    CHECK(e.tcp.flags == 0xe00);
    CHECK(has(e.anomalies, Anomaly::kTcpFlagsOdd));
  }
}

namespace {
/// kAckPadded's headers with `opts` (padded to 4 bytes with EOL) as TCP options, checksums fixed. The frame
/// travels with its decode because the decoded spans point into it.
struct OptFrame {
  Frame frame;
  DecodedFrame d;
};
OptFrame with_options(const Frame& opts) {
  OptFrame r;
  test::FrameBuilder b;
  b.bytes(Frame(kAckPadded.begin(), kAckPadded.begin() + 54)).bytes(opts);
  while ((b.size() - 34) % 4 != 0) b.u8(0);
  r.frame = b.frame();
  Frame& f = r.frame;
  f[46] = static_cast<std::byte>(((f.size() - 34) / 4) << 4U);
  test::finish_ipv4(f, 14);
  test::finish_l4(f, 14, 34, 6);
  decode_frame(1, view(f), static_cast<std::uint32_t>(f.size()), r.d);
  REQUIRE(r.d.ok());
  REQUIRE(r.d.tcp.checksum_state == ChecksumState::kGood);
  return r;
}
}  // namespace

TEST_CASE("tcp options: every kind the summary knows, and malformed ones") {
  SUBCASE("SACK with 2 blocks") {
    const auto r = with_options(hex({"01 01 05 12 00 00 00 01 00 00 00 02 00 00 00 05 00 00 00 09"}));
    const DecodedFrame& d = r.d;
    CHECK(d.tcp.opt.sack_blocks == 2);
    CHECK_FALSE(d.tcp.opt.malformed);
  }
  SUBCASE("TFO with an 8-byte cookie, and the experimental 254/0xF989 form") {
    CHECK(with_options(hex({"22 0a 01 02 03 04 05 06 07 08"})).d.tcp.opt.tfo);
    CHECK(with_options(hex({"22 02"})).d.tcp.opt.tfo);  // cookie request
    CHECK(with_options(hex({"fe 0c f9 89 01 02 03 04 05 06 07 08"})).d.tcp.opt.tfo);
    const auto ro = with_options(hex({"fe 06 12 34 00 00"}));  // another experiment id
    const DecodedFrame& other = ro.d;
    CHECK_FALSE(other.tcp.opt.tfo);
    CHECK_FALSE(other.tcp.opt.malformed);
  }
  SUBCASE("MPTCP and an unknown kind are kept for printing by number") {
    const auto r = with_options(hex({"1e 0c 00 81 01 02 03 04 05 06 07 08 63 04 aa bb 00"}));
    const DecodedFrame& d = r.d;
    CHECK(d.tcp.opt.mptcp);
    TcpOptionIterator it(d.tcp.options);
    TcpOption o;
    REQUIRE(it.next(o));
    CHECK(o.kind == 30);
    CHECK(o.len == 12);
    CHECK(o.data.size() == 10);
    REQUIRE(it.next(o));
    CHECK(o.kind == 99);
    CHECK(o.len == 4);
    CHECK(load_be16(o.data, 0) == 0xaabb);
    REQUIRE(it.next(o));
    CHECK(o.kind == 0);  // EOL padding
    CHECK_FALSE(it.next(o));
    CHECK_FALSE(it.malformed());
  }
  SUBCASE("timestamps: NOP NOP TS (the shortcut) reads as TS NOP NOP and NOP TS NOP (the walk) do") {
    const auto fast = with_options(hex({"01 01 08 0a 12 34 56 78 9a bc de f0"}));
    CHECK(fast.d.tcp.options.size() == 12);
    for (const auto* other : {"08 0a 12 34 56 78 9a bc de f0 01 01", "01 08 0a 12 34 56 78 9a bc de f0 01"}) {
      const auto walk = with_options(hex({other}));
      INFO(other);
      CHECK(walk.d.tcp.opt.has_timestamps == fast.d.tcp.opt.has_timestamps);
      CHECK(walk.d.tcp.opt.ts_val == fast.d.tcp.opt.ts_val);
      CHECK(walk.d.tcp.opt.ts_ecr == fast.d.tcp.opt.ts_ecr);
    }
    CHECK(fast.d.tcp.opt.has_timestamps);
    CHECK(fast.d.tcp.opt.ts_val == 0x12345678U);
    CHECK(fast.d.tcp.opt.ts_ecr == 0x9abcdef0U);
    CHECK_FALSE(fast.d.tcp.opt.malformed);
    CHECK_FALSE(fast.d.tcp.opt.has_mss);
    // Almost the shortcut's bytes: TS with length 11 runs past the 12 bytes, the walk finds it malformed.
    const auto bad = with_options(hex({"01 01 08 0b 12 34 56 78 9a bc de f0"}));
    CHECK(bad.d.tcp.opt.malformed);
    CHECK_FALSE(bad.d.tcp.opt.has_timestamps);
  }
  SUBCASE("malformed: wrong known lengths, zero length, length past the end") {
    CHECK(with_options(hex({"02 05 05 b4 00"})).d.tcp.opt.malformed);  // MSS len 5
    CHECK(with_options(hex({"03 04 07 00"})).d.tcp.opt.malformed);     // WS len 4
    CHECK(with_options(hex({"08 08 00 00 00 01 00 00"})).d.tcp.opt.malformed);  // TS len 8
    CHECK(with_options(hex({"05 06 00 00 00 01"})).d.tcp.opt.malformed);        // SACK not n*8+2
    const auto rz = with_options(hex({"02 00 05 b4"}));  // len 0 would loop forever
    const DecodedFrame& zero = rz.d;
    CHECK(zero.tcp.opt.malformed);
    CHECK(has(zero.anomalies, Anomaly::kTcpOptionsMalformed));
    const auto rp = with_options(hex({"01 01 08 0a 00 00"}));  // TS claims 10 of the 6 bytes left
    const DecodedFrame& past = rp.d;
    CHECK(past.tcp.opt.malformed);
    TcpOptionIterator it(past.tcp.options);
    TcpOption o;
    CHECK(it.next(o));
    CHECK(it.next(o));
    CHECK_FALSE(it.next(o));
    CHECK(it.malformed());
    // A trailing kind byte with no length byte.
    const Frame lone = hex({"01 02"});
    TcpOptionIterator it2(view(lone));
    CHECK(it2.next(o));
    CHECK_FALSE(it2.next(o));
    CHECK(it2.malformed());
  }
}

TEST_CASE("udp: length, checksum, zero checksum, bad length") {
  const DecodedFrame d = run(228, kUdpIp);  // LINKTYPE_IPV4
  REQUIRE(d.ok());
  CHECK(d.transport == Transport::kUdp);
  CHECK(d.udp.sport == 5353);
  CHECK(d.udp.dport == 53);
  CHECK(d.udp.length == 12);
  CHECK(d.udp.payload_len == 4);
  CHECK(d.payload.size() == 4);
  CHECK(d.udp.checksum_state == ChecksumState::kGood);

  Frame none = kUdpIp;
  none[26] = std::byte{0};
  none[27] = std::byte{0};
  CHECK(run(228, none).udp.checksum_state == ChecksumState::kUnknown);  // RFC 768: no checksum

  Frame bad = kUdpIp;
  bad[27] ^= std::byte{1};
  const DecodedFrame b = run(228, bad);
  CHECK(b.udp.checksum_state == ChecksumState::kBad);
  CHECK(b.udp.checksum_expected == 0xeb4c);

  Frame longer = kUdpIp;
  longer[25] = std::byte{40};  // UDP length 40 > 12 bytes of IP payload
  const DecodedFrame l = run(228, longer);
  CHECK(l.problem.status == Status::kInvalid);
  CHECK(l.problem.layer == Layer::kUdp);
  CHECK(l.problem.value == 40);
  CHECK(l.problem.limit == 12);
  Frame shorter = kUdpIp;
  shorter[25] = std::byte{4};
  CHECK(run(228, shorter).problem.status == Status::kInvalid);
}

TEST_CASE("link types: the same IPv4/UDP datagram behind every supported header") {
  struct Case {
    const char* name;
    std::uint32_t dlt;
    Frame link;
    std::uint16_t pkttype;
  };
  const Case cases[] = {
      // Ethernet dst, src, 0x0800
      {"EN10MB", 1, hex({"02 00 00 00 00 02 02 00 00 00 00 01 08 00"}), 0xFFFF},
      // SLL: pkttype 4 (outgoing), hatype 1, halen 6, addr 02:00:00:00:00:01 + 2 pad, protocol 0x0800
      {"LINUX_SLL", 113, hex({"00 04 00 01 00 06 02 00 00 00 00 01 00 00 08 00"}), 4},
      // SLL2: protocol 0x0800, reserved, ifindex 3, hatype 1, pkttype 0, halen 6, addr + 2 pad
      {"LINUX_SLL2", 276, hex({"08 00 00 00 00 00 00 03 00 01 00 06 02 00 00 00 00 01 00 00"}), 0},
      {"NULL little-endian AF_INET", 0, hex({"02 00 00 00"}), 0xFFFF},
      {"NULL big-endian AF_INET", 0, hex({"00 00 00 02"}), 0xFFFF},
      {"LOOP AF_INET", 108, hex({"00 00 00 02"}), 0xFFFF},
      {"RAW 12", 12, Frame{}, 0xFFFF},
      {"RAW 14", 14, Frame{}, 0xFFFF},
      {"RAW 101", 101, Frame{}, 0xFFFF},
      {"IPV4", 228, Frame{}, 0xFFFF},
      // PPP in HDLC framing: ff 03, protocol 0x0021
      {"PPP", 9, hex({"ff 03 00 21"}), 0xFFFF},
      // 802.1Q vid 100, then 802.1ad outer vid 200 (QinQ) in front: 88a8 00c8 8100 0064 0800
      {"QinQ", 1, hex({"02 00 00 00 00 02 02 00 00 00 00 01 88 a8 00 c8 81 00 00 64 08 00"}), 0xFFFF},
      // MPLS label 16, bottom of stack, then IPv4 guessed from the version nibble
      {"MPLS", 1, hex({"02 00 00 00 00 02 02 00 00 00 00 01 88 47 00 01 01 40"}), 0xFFFF},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const Frame f = with_link(c.link, kUdpIp);
    const DecodedFrame d = run(c.dlt, f);
    REQUIRE(d.ok());
    CHECK(d.link.header_len == c.link.size());
    CHECK(d.ip_offset == c.link.size());
    CHECK(d.link.ethertype == (d.link.mpls_count > 0 ? 0x8847 : 0x0800));  // MPLS keeps its own type
    CHECK(d.link.sll_pkttype == c.pkttype);
    CHECK(text(d.ip.src) == "192.0.2.1");
    CHECK(d.udp.dport == 53);
    CHECK(d.udp.checksum_state == ChecksumState::kGood);
    check_prefixes(c.dlt, f);
  }
  const DecodedFrame q = run(1, with_link(cases[11].link, kUdpIp));
  CHECK(q.link.vlan_count == 2);
  CHECK(q.link.vlan_ids[0] == 200);
  CHECK(q.link.vlan_ids[1] == 100);
  const DecodedFrame m = run(1, with_link(cases[12].link, kUdpIp));
  CHECK(m.link.mpls_count == 1);
  CHECK(m.link.mpls_labels[0] == 16);
  const DecodedFrame s2 = run(276, with_link(cases[2].link, kUdpIp));
  CHECK(s2.link.sll_ifindex == 3);
  CHECK(s2.link.sll_addr_len == 6);
  CHECK(s2.link.src_mac[5] == 1);
  CHECK(run(0, with_link(cases[3].link, kUdpIp)).link.loopback_family == 2);
  CHECK(run(0, with_link(cases[4].link, kUdpIp)).link.loopback_family == 2);
}

TEST_CASE("link types: IPv6 behind NULL (24, 28, 30 in both orders), LOOP, RAW, IPV6") {
  const Frame afs[] = {hex({"18 00 00 00"}), hex({"00 00 00 18"}), hex({"1c 00 00 00"}),
                       hex({"00 00 00 1c"}), hex({"1e 00 00 00"}), hex({"00 00 00 1e"})};
  for (const auto& af : afs) {
    const DecodedFrame d = run(0, with_link(af, kIp6Tcp));
    REQUIRE(d.ok());
    CHECK(d.ip.version == 6);
    CHECK(d.link.ethertype == 0x86DD);
  }
  CHECK(run(108, with_link(hex({"00 00 00 18"}), kIp6Tcp)).ip.version == 6);
  CHECK(run(101, kIp6Tcp).ip.version == 6);
  CHECK(run(229, kIp6Tcp).ip.version == 6);
  // LINKTYPE_IPV6 holding IPv4: tcpdump's "[version 4 != 6] (invalid)".
  const DecodedFrame w = run(229, kUdpIp);
  CHECK(w.problem.status == Status::kInvalid);
  CHECK(w.problem.value == 4);
  // NULL with an unknown family (AF_UNIX = 1): link only, no problem.
  const DecodedFrame u = run(0, with_link(hex({"01 00 00 00"}), kUdpIp));
  CHECK(u.ok());
  CHECK_FALSE(u.has_ip());
  // RAW holding neither version.
  Frame junk = kUdpIp;
  junk[0] = std::byte{0x35};
  CHECK(run(101, junk).problem.status == Status::kInvalid);
  CHECK(run(101, Frame{}).problem.status == Status::kTruncated);
}

TEST_CASE("link: non-IP, unsupported, VLAN stacks deeper than recorded and beyond the bound") {
  // ARP over Ethernet: link only, ok.
  const Frame arp = hex({"ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01"});
  const DecodedFrame a = run(1, arp);
  CHECK(a.ok());
  CHECK(a.link.ethertype == 0x0806);
  CHECK_FALSE(a.has_ip());
  CHECK(a.transport == Transport::kNone);

  const DecodedFrame u = run(147, kUdpIp);  // DLT_USER0
  CHECK(u.problem.status == Status::kUnsupported);
  CHECK(u.problem.layer == Layer::kLink);
  CHECK(std::string(u.problem.what) == "unsupported link type");
  CHECK(u.problem.value == 147);
  CHECK(std::string(link_type_name(147)) == "UNKNOWN");
  CHECK_FALSE(link_type_supported(147));

  auto stack = [](unsigned tags) {
    test::FrameBuilder b;
    b.bytes(hex({"02 00 00 00 00 02 02 00 00 00 00 01"}));
    for (unsigned i = 0; i < tags; ++i) b.be16(i % 2 == 0 ? 0x88a8 : 0x8100).be16(i + 1);
    b.be16(0x0800).bytes(kUdpIp);
    return b.frame();
  };
  const DecodedFrame six = run(1, stack(6));
  REQUIRE(six.ok());
  CHECK(six.link.vlan_count == 6);
  CHECK(six.link.vlan_ids[3] == 4);  // first kMaxVlans recorded
  CHECK(six.udp.dport == 53);
  check_prefixes(1, stack(6));
  const DecodedFrame deep = run(1, stack(40));
  CHECK(deep.problem.status == Status::kInvalid);
  CHECK(std::string(deep.problem.what) == "too many vlan tags");
}

TEST_CASE("names") {
  CHECK(std::string(link_type_name(1)) == "EN10MB");
  CHECK(std::string(link_type_name(113)) == "LINUX_SLL");
  CHECK(std::string(link_type_name(276)) == "LINUX_SLL2");
  CHECK(std::string(link_type_name(12)) == "RAW");
  CHECK(std::string(link_type_name(101)) == "RAW");
  CHECK(std::string(link_type_name(0)) == "NULL");
  CHECK(std::string(link_type_name(108)) == "LOOP");
  CHECK(std::string(link_type_name(228)) == "IPV4");
  CHECK(std::string(link_type_name(229)) == "IPV6");
  CHECK(std::string(ip_proto_name(6)) == "tcp");
  CHECK(std::string(ip_proto_name(17)) == "udp");
  CHECK(std::string(ip_proto_name(58)) == "ipv6-icmp");
  CHECK(std::string(ip_proto_name(253)).empty());
}

TEST_CASE("ipv6: tcp, extension chain with a first fragment, and the truncation loop") {
  const DecodedFrame d = run(229, kIp6Tcp);
  REQUIRE(d.ok());
  CHECK(text(d.ip.src) == "2001:db8::1");
  CHECK(d.ip.flow_label == 0x12345);
  CHECK(d.ip.ttl == 64);
  CHECK(d.ip.total_len == 64);
  CHECK(d.tcp.flags == (tcp_flag::kSyn | tcp_flag::kAck));
  CHECK(d.tcp.opt.mss == 1440);
  CHECK(d.tcp.checksum_state == ChecksumState::kGood);
  check_prefixes(229, kIp6Tcp);
  check_prefixes(1, kSyn);
  check_prefixes(1, kData);
  check_prefixes(228, kUdpIp);

  const DecodedFrame c = run(1, kIp6Chain);
  REQUIRE(c.ok());
  CHECK(c.ip.next_header == 0);
  CHECK(c.ip.proto == 17);
  CHECK(c.ip.ext_count == 4);
  CHECK(c.ip.header_len == 40 + 8 + 8 + 24 + 8);
  CHECK(c.ip.is_fragment);
  CHECK(c.ip.more_fragments);
  CHECK(c.ip.frag_offset == 0);
  CHECK(c.ip.frag_id == 0xdeadbeefU);
  CHECK(c.transport == Transport::kUdp);
  CHECK(c.udp.sport == 1000);
  CHECK(c.udp.checksum_state == ChecksumState::kGood);
  check_prefixes(1, kIp6Chain);
}

TEST_CASE("ipv6: later fragment, no next header, AH, bad and endless chains") {
  SUBCASE("non-first fragment has no transport") {
    Frame f = kIp6Chain;
    f[14 + 40 + 8 + 8 + 24 + 3] = std::byte{0xb9};  // offset 23 * 8, M=1
    const DecodedFrame d = run(1, f);
    CHECK(d.ok());
    CHECK(d.transport == Transport::kNone);
    CHECK(d.ip.frag_offset == 23);
    CHECK(has(d.anomalies, Anomaly::kFragment));
  }
  SUBCASE("no next header (59)") {
    Frame f = kIp6Chain;
    f[14 + 40 + 8 + 8 + 24] = std::byte{59};
    const DecodedFrame d = run(1, f, SIZE_MAX, DecodeOptions{false});
    CHECK(d.ok());
    CHECK(d.ip.proto == 59);
    CHECK(d.transport == Transport::kNone);
  }
  SUBCASE("an extension header longer than the payload length is invalid") {
    Frame f = kIp6Chain;
    f[14 + 40 + 1] = std::byte{20};  // HBH claims 168 bytes
    const DecodedFrame d = run(1, f);
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(d.problem.layer == Layer::kIpv6);
    CHECK(std::string(d.problem.what) == "bad ipv6 extension header length");
  }
  auto chain = [](unsigned n, std::uint8_t last_kind) {
    // n destination-options headers (8 bytes each, PadN 4), then a UDP header; AH as the last one if asked.
    test::FrameBuilder b;
    b.be32(0x60000000U).be16(0).u8(60).u8(64).zeros(15).u8(1).zeros(15).u8(2);
    for (unsigned i = 0; i < n; ++i) {
      const bool last = i + 1 == n;
      if (last && last_kind == 51) {
        b.u8(17).u8(1).be16(0).be32(0x100).be32(1);  // AH: len 1 -> (1+2)*4 = 12 bytes: spi, seq
      } else {
        b.u8(last ? 17 : (i + 2 == n && last_kind == 51 ? 51 : 60)).u8(0).u8(1).u8(4).be32(0);
      }
    }
    b.be16(7).be16(9).be16(8).be16(0);
    Frame f = b.frame();
    test::finish_ipv6(f, 0);
    test::finish_l4(f, 0, f.size() - 8, 17);
    return f;
  };
  SUBCASE("50 extension headers are walked") {
    const Frame f = chain(50, 60);
    const DecodedFrame d = run(229, f);
    REQUIRE(d.ok());
    CHECK(d.ip.ext_count == 50);
    CHECK(d.udp.dport == 9);
    CHECK(d.udp.checksum_state == ChecksumState::kGood);
    check_prefixes(229, f);
  }
  SUBCASE("AH length is counted in 4-byte words") {
    const DecodedFrame d = run(229, chain(3, 51));
    REQUIRE(d.ok());
    CHECK(d.ip.ext_count == 3);
    CHECK(d.ip.header_len == 40 + 8 + 8 + 12);
    CHECK(d.udp.dport == 9);
  }
  SUBCASE("more than the bound is invalid") {
    const DecodedFrame d = run(229, chain(70, 60));
    CHECK(d.problem.status == Status::kInvalid);
    CHECK(std::string(d.problem.what) == "too many ipv6 extension headers");
  }
  SUBCASE("payload length 0 without a jumbo option, not TCP: an empty payload") {
    Frame f = kIp6Tcp;
    f[6] = std::byte{17};
    f[4] = std::byte{0};
    f[5] = std::byte{0};
    const DecodedFrame d = run(229, f);
    CHECK(d.problem.status == Status::kInvalid);  // UDP header longer than the (empty) payload
    CHECK(d.problem.layer == Layer::kUdp);
  }
  SUBCASE("payload length 0 before TCP: BIG TCP, the wire length is used") {
    Frame f = kIp6Tcp;
    f[4] = std::byte{0};
    f[5] = std::byte{0};
    const DecodedFrame d = run(229, f);
    CHECK(d.ok());
    CHECK(d.tcp.checksum_state == ChecksumState::kGood);
    CHECK(has(d.anomalies, Anomaly::kIpv4ZeroTotalLength));
  }
}

// decode_frame(): link layer -> IPv4/IPv6 -> TCP/UDP/ICMP/ICMPv6, pure and allocation-free.
//
// Conventions used throughout:
//  * `b` is the captured bytes from the current header on; `wire` is how many bytes the packet really had
//    from that point (caplen may be smaller than the wire length because of the snapshot length).
//  * Each layer proves its length once, then reads fields with the checked loads of core/bytes.hpp.
//  * A problem stops decoding; everything filled before it stays valid. Odd but decodable things are
//    anomalies and never stop decoding.

#include <algorithm>
#include <cstring>

#include "synscope/decode/frame.hpp"
#include "synscope/net/checksum.hpp"

namespace synscope::decode {

namespace {

// Static texts for Problem::what. A printer maps (status, layer) to tcpdump's "[|tcp]" markers and uses
// these for the long form.
constexpr const char* kTruncLink = "truncated link header";
constexpr const char* kUnsupportedLink = "unsupported link type";
constexpr const char* kTooManyVlans = "too many vlan tags";
constexpr const char* kTooManyMpls = "too many mpls labels";
constexpr const char* kBadIpVersion = "bad ip version";
constexpr const char* kTruncIp = "truncated ip header";
constexpr const char* kBadIpHlen = "bad ip header length";
constexpr const char* kBadIpTotalLen = "bad ip total length";
constexpr const char* kTruncIp6 = "truncated ipv6 header";
constexpr const char* kTruncIp6Ext = "truncated ipv6 extension header";
constexpr const char* kBadIp6ExtLen = "bad ipv6 extension header length";
constexpr const char* kTooManyIp6Ext = "too many ipv6 extension headers";
constexpr const char* kTruncTcp = "truncated tcp header";
constexpr const char* kBadTcpHlen = "bad tcp header length";
constexpr const char* kTruncUdp = "truncated udp header";
constexpr const char* kBadUdpLen = "bad udp length";
constexpr const char* kTruncIcmp = "truncated icmp header";
constexpr const char* kTruncIcmp6 = "truncated icmp6 header";
constexpr const char* kL4LongerThanIp = "ip payload shorter than transport header";

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint16_t kEther8021Q = 0x8100;
constexpr std::uint16_t kEther8021AD = 0x88A8;
constexpr std::uint16_t kEtherQinQ = 0x9100;  // pre-802.1ad QinQ (also 0x9200 on some gear)
constexpr std::uint16_t kEtherQinQ2 = 0x9200;
constexpr std::uint16_t kEtherMpls = 0x8847;
constexpr std::uint16_t kEtherMplsMc = 0x8848;
constexpr std::uint16_t kEtherMacsec = 0x88E5;

// Deeper VLAN / MPLS stacks than this are not real traffic; stop rather than walk a fuzzed frame forever.
constexpr unsigned kMaxVlanWalk = 16;
constexpr unsigned kMaxMplsWalk = 16;
// RFC 8200 sets no limit on the extension-header chain; RFC 7112 asks that the whole chain sit in the first
// fragment. 64 is far beyond anything legitimate.
constexpr unsigned kMaxIpv6ExtHeaders = 64;

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoIcmp6 = 58;

inline void set_problem(DecodedFrame& out, Status s, Layer l, const char* what, std::uint32_t value = 0,
                        std::uint32_t limit = 0) noexcept {
  out.problem = Problem{s, l, what, value, limit};
}

/// Copies an address straight into its place (no temporary: this is on the per-packet hot path).
/// `out` is freshly reset, so the unused bytes of an IPv4 address are already zero.
inline void set_address(net::IpAddress& out, Bytes b, std::size_t off, std::size_t n) noexcept {
  out.version = n == 16 ? 6 : 4;
  std::memcpy(out.bytes.data(), b.data() + off, n);
}

inline void add(DecodedFrame& out, Anomaly a) noexcept { out.anomalies = out.anomalies | a; }

inline std::uint32_t u32(std::size_t v) noexcept { return static_cast<std::uint32_t>(v); }

/// Checksum verdict and the value the field should hold, given the sum over a region that includes the field.
struct Verdict {
  ChecksumState state;
  std::uint16_t expected;
};
inline Verdict verdict(std::uint32_t sum_with_field, std::uint16_t field) noexcept {
  if (net::checksum_fold(sum_with_field) == 0) return {ChecksumState::kGood, field};
  // One's-complement subtraction of the field is the addition of its complement (RFC 1624 §3).
  return {ChecksumState::kBad, net::checksum_fold(sum_with_field + static_cast<std::uint16_t>(~field))};
}

/// verdict() from a host-order sum over a region that includes the field (net::native_sum() and the
/// pseudo-header's words): one fold when the checksum is right, the common case; the network-order sum,
/// the same folded value (RFC 1071 §2(B)), only when it is wrong. (The network-order sum built piece by
/// piece folded three times and byte-swapped twice per segment: ~40 instructions.)
inline Verdict verdict_native(std::uint64_t native, std::uint16_t field) noexcept {
  if (net::checksum_verifies_native(native)) return {ChecksumState::kGood, field};
  return verdict(net::detail::fold_to_network(native), field);
}

/// Host-order sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
inline std::uint64_t native_pseudo_sum(const net::IpAddress& src, const net::IpAddress& dst, std::uint8_t proto,
                                       std::uint32_t l4_len) noexcept {
  const std::size_t alen = src.size();
  return net::detail::sum_words(reinterpret_cast<const std::byte*>(src.bytes.data()), alen) +
         net::detail::sum_words(reinterpret_cast<const std::byte*>(dst.bytes.data()), alen) +
         net::native_pseudo_tail(proto, l4_len);
}

bool tcp_flags_odd(std::uint16_t f) noexcept {
  using namespace tcp_flag;
  const bool syn = (f & kSyn) != 0;
  const bool fin = (f & kFin) != 0;
  const bool rst = (f & kRst) != 0;
  return (syn && fin) || (syn && rst) || (fin && rst) || (f & (kFin | kSyn | kRst | kPsh | kAck | kUrg)) == 0;
}

/// Everything a transport decoder needs to know about the IP layer below it.
struct L4Context {
  Bytes seg;                 ///< captured bytes of the IP payload (clamped to the IP length)
  std::uint32_t seg_len;     ///< IP payload length per the (clamped) IP header
  const net::IpAddress* src;
  const net::IpAddress* dst; ///< final destination for the pseudo-header (IPv6 routing header aware)
  std::uint8_t proto;
  bool v6;
};

/// The transport header does not fit in what we have. If the capture holds the whole IP payload, the IP length
/// itself is too short for the header: invalid ("value" = IP payload length). Otherwise the snapshot cut it.
void short_header(DecodedFrame& out, const L4Context& c, Layer layer, const char* trunc_what,
                  std::uint32_t need) noexcept {
  if (c.seg.size() >= c.seg_len) {
    set_problem(out, Status::kInvalid, layer, kL4LongerThanIp, c.seg_len, need);
  } else {
    set_problem(out, Status::kTruncated, layer, trunc_what, u32(c.seg.size()), need);
  }
}

}  // namespace

void summarize_tcp_options(Bytes options, TcpOptionSummary& s) noexcept {
  // The same walk as TcpOptionIterator, inlined: this runs for every SYN and every timestamped segment.
  const std::size_t n = options.size();
  // What the walk below finds in the commonest layout, without walking.
  if (is_nop_nop_timestamps(options)) {
    s.has_timestamps = true;
    s.ts_val = load_be32(options, 4);
    s.ts_ecr = load_be32(options, 8);
    return;
  }
  std::size_t off = 0;
  while (off < n) {
    const std::uint8_t kind = load_u8(options, off);
    if (kind == 0) break;  // EOL: the rest is padding
    if (kind == 1) {
      ++off;
      continue;
    }
    if (off + 2 > n) {
      s.malformed = true;
      break;
    }
    const std::uint8_t len = load_u8(options, off + 1);
    if (len < 2 || off + len > n) {
      s.malformed = true;
      break;
    }
    const TcpOption o{kind, len, options.subspan(off + 2, len - 2U)};
    off += len;
    switch (o.kind) {
      case 2:  // MSS, RFC 9293 §3.2
        if (o.len == 4) {
          s.has_mss = true;
          s.mss = load_be16(o.data, 0);
        } else {
          s.malformed = true;
        }
        break;
      case 3:  // window scale, RFC 7323 §2.2
        if (o.len == 3) {
          s.has_wscale = true;
          s.wscale = load_u8(o.data, 0);
        } else {
          s.malformed = true;
        }
        break;
      case 4:  // SACK permitted, RFC 2018 §2
        if (o.len == 2) {
          s.sack_ok = true;
        } else {
          s.malformed = true;
        }
        break;
      case 5:  // SACK, RFC 2018 §3: 8 bytes per block
        if (o.len >= 2 && (o.len - 2) % 8 == 0 && o.len > 2) {
          s.sack_blocks = static_cast<std::uint8_t>((o.len - 2) / 8);
        } else {
          s.malformed = true;
        }
        break;
      case 8:  // timestamps, RFC 7323 §3.2
        if (o.len == 10) {
          s.has_timestamps = true;
          s.ts_val = load_be32(o.data, 0);
          s.ts_ecr = load_be32(o.data, 4);
        } else {
          s.malformed = true;
        }
        break;
      case 30:  // MPTCP, RFC 8684 §3: at least subtype
        if (o.len >= 3) {
          s.mptcp = true;
        } else {
          s.malformed = true;
        }
        break;
      case 34:  // TCP Fast Open, RFC 7413 §4.1.1: empty (request) or 4..16-byte cookie
        if (o.len == 2 || (o.len >= 6 && o.len <= 18)) {
          s.tfo = true;
        } else {
          s.malformed = true;
        }
        break;
      case 254:  // RFC 6994 experimental; 0xF989 is the pre-assignment TFO magic (RFC 7413 §4.1.1)
        if (o.len >= 4 && load_be16(o.data, 0) == 0xF989) s.tfo = true;
        break;
      default:
        break;
    }
  }
}

namespace {

void decode_tcp(const L4Context& c, DecodedFrame& out, const DecodeOptions& opts) noexcept {
  out.transport = Transport::kTcp;
  TcpInfo& t = out.tcp;
  const Bytes b = c.seg;
  if (b.size() >= 4) {
    t.sport = load_be16(b, 0);
    t.dport = load_be16(b, 2);
  }
  if (b.size() < 20) {
    short_header(out, c, Layer::kTcp, kTruncTcp, 20);
    return;
  }
  t.seq = load_be32(b, 4);
  t.ack_seq = load_be32(b, 8);
  t.data_offset = static_cast<std::uint8_t>((load_u8(b, 12) >> 4U) * 4U);
  // RFC 9293 §3.1 data offset + the reserved nibble's low bit, AE (RFC 9768), and the flags byte.
  t.flags = static_cast<std::uint16_t>((load_u8(b, 12) & 0x0FU) << 8U | load_u8(b, 13));
  t.window = load_be16(b, 14);
  t.checksum = load_be16(b, 16);
  t.urgent = load_be16(b, 18);
  if (tcp_flags_odd(t.flags)) add(out, Anomaly::kTcpFlagsOdd);

  const std::uint32_t doff = t.data_offset;
  if (doff < 20) {
    // tcpdump: "[bad hdr length N - too short, < 20]"
    set_problem(out, Status::kInvalid, Layer::kTcp, kBadTcpHlen, doff, 20);
    return;
  }
  if (doff > c.seg_len) {
    // tcpdump: "[bad hdr length N - too long, > L]"
    set_problem(out, Status::kInvalid, Layer::kTcp, kBadTcpHlen, doff, c.seg_len);
    return;
  }
  t.payload_len = c.seg_len - doff;
  if (doff > b.size()) {
    t.options = b.subspan(20);
    summarize_tcp_options(t.options, t.opt);
    set_problem(out, Status::kTruncated, Layer::kTcp, kTruncTcp, doff, u32(b.size()));
    return;
  }
  t.options = b.subspan(20, doff - 20);
  if (!t.options.empty()) {
    summarize_tcp_options(t.options, t.opt);
    if (t.opt.malformed) add(out, Anomaly::kTcpOptionsMalformed);
  }
  out.payload = b.subspan(doff);
  if (opts.verify_checksums && b.size() == c.seg_len) {
    const Verdict v = verdict_native(native_pseudo_sum(*c.src, *c.dst, kProtoTcp, c.seg_len) + net::native_sum(b), t.checksum);
    t.checksum_state = v.state;
    t.checksum_expected = v.expected;
    if (v.state == ChecksumState::kBad) add(out, Anomaly::kL4ChecksumBad);
  }
}

void decode_udp(const L4Context& c, DecodedFrame& out, const DecodeOptions& opts) noexcept {
  out.transport = Transport::kUdp;
  UdpInfo& u = out.udp;
  const Bytes b = c.seg;
  if (b.size() >= 4) {
    u.sport = load_be16(b, 0);
    u.dport = load_be16(b, 2);
  }
  if (b.size() < 8) {
    short_header(out, c, Layer::kUdp, kTruncUdp, 8);
    return;
  }
  u.length = load_be16(b, 4);
  u.checksum = load_be16(b, 6);
  // RFC 2675 §4: a jumbogram's UDP length is 0 and the IPv6 length rules.
  std::uint32_t ulen = u.length;
  if (ulen == 0 && c.v6 && c.seg_len > 0xFFFFU) ulen = c.seg_len;
  if (ulen < 8) {
    u.payload_len = c.seg_len - 8;
    out.payload = b.subspan(8);
    set_problem(out, Status::kInvalid, Layer::kUdp, kBadUdpLen, ulen, 8);
    return;
  }
  if (ulen > c.seg_len) {
    u.payload_len = c.seg_len - 8;
    out.payload = b.subspan(8);
    set_problem(out, Status::kInvalid, Layer::kUdp, kBadUdpLen, ulen, c.seg_len);
    return;
  }
  u.payload_len = ulen - 8;
  out.payload = b.subspan(8, std::min<std::size_t>(b.size(), ulen) - 8);
  // RFC 768: a zero checksum means "none" over IPv4. Over IPv6 it is mandatory (RFC 8200 §8.1), so zero is bad.
  if (opts.verify_checksums && b.size() >= ulen && !(u.checksum == 0 && !c.v6)) {
    Verdict v = verdict_native(native_pseudo_sum(*c.src, *c.dst, kProtoUdp, ulen) + net::native_sum(b.first(ulen)), u.checksum);
    if (u.checksum == 0) v.state = ChecksumState::kBad;
    u.checksum_state = v.state;
    u.checksum_expected = v.expected;
    if (v.state == ChecksumState::kBad) add(out, Anomaly::kL4ChecksumBad);
  }
}

bool ipv6_ext_header(std::uint8_t nh) noexcept {
  // Hop-by-hop, routing, fragment, destination options, AH, and the RFC 8200 §4 headers that are still
  // followed by a next header (HIP 139, Shim6 140 are treated as terminal like mobility).
  return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

/// Result of walking an IPv6 extension-header chain.
struct Ipv6Chain {
  std::uint8_t proto = 0;       ///< the header after the chain
  std::size_t offset = 40;      ///< where it starts
  unsigned count = 0;
  bool fragment = false;
  bool later_fragment = false;  ///< fragment header with offset != 0
  bool more_fragments = false;
  std::uint16_t frag_offset = 0;
  std::uint32_t frag_id = 0;
  bool has_final_dst = false;   ///< a routing header names the final destination (pseudo-header)
  std::array<std::uint8_t, 16> final_dst{};
  Status status = Status::kOk;
  const char* what = "";
  std::uint32_t value = 0;
  std::uint32_t limit = 0;
};

/// Walks extension headers from offset 40. `b` is captured bytes, `declared` the IP length (40 + payload).
void walk_ipv6_chain(Bytes b, std::size_t declared, std::uint8_t first, Ipv6Chain& ch) noexcept {
  std::uint8_t nh = first;
  std::size_t off = 40;
  while (ipv6_ext_header(nh)) {
    if (ch.count >= kMaxIpv6ExtHeaders) {
      ch.status = Status::kInvalid;
      ch.what = kTooManyIp6Ext;
      ch.value = ch.count + 1;
      ch.limit = kMaxIpv6ExtHeaders;
      break;
    }
    if (off + 2 > declared) {
      ch.status = Status::kInvalid;
      ch.what = kBadIp6ExtLen;
      ch.value = u32(off + 2);
      ch.limit = u32(declared);
      break;
    }
    if (off + 2 > b.size()) {
      ch.status = Status::kTruncated;
      ch.what = kTruncIp6Ext;
      ch.value = u32(off + 2);
      ch.limit = u32(b.size());
      break;
    }
    std::size_t len = 0;
    if (nh == 44) {
      len = 8;  // RFC 8200 §4.5: fixed size
    } else if (nh == 51) {
      len = (std::size_t{load_u8(b, off + 1)} + 2U) * 4U;  // RFC 4302 §2.2: 32-bit words minus 2
    } else {
      len = (std::size_t{load_u8(b, off + 1)} + 1U) * 8U;  // RFC 8200 §4.3: 8-octet units not counting the first
    }
    if (off + len > declared) {
      ch.status = Status::kInvalid;
      ch.what = kBadIp6ExtLen;
      ch.value = u32(off + len);
      ch.limit = u32(declared);
      break;
    }
    if (off + len > b.size()) {
      ch.status = Status::kTruncated;
      ch.what = kTruncIp6Ext;
      ch.value = u32(off + len);
      ch.limit = u32(b.size());
      break;
    }
    const std::uint8_t next = load_u8(b, off);
    if (nh == 44) {
      ch.fragment = true;
      const std::uint16_t offlg = load_be16(b, off + 2);
      ch.frag_offset = static_cast<std::uint16_t>(offlg >> 3U);
      ch.more_fragments = (offlg & 1U) != 0;
      ch.frag_id = load_be32(b, off + 4);
      if (ch.frag_offset != 0) ch.later_fragment = true;
    } else if (nh == 43 && len >= 8) {
      // RFC 8200 §8.1: with a routing header, the pseudo-header uses the final destination.
      const std::uint8_t type = load_u8(b, off + 2);
      const std::uint8_t segments_left = load_u8(b, off + 3);
      const std::size_t addrs = (len - 8) / 16;
      if (segments_left > 0 && addrs > 0) {
        std::size_t at = 0;
        if (type == 0 || type == 2) {
          at = off + 8 + (addrs - 1) * 16;  // RFC 2460 RH0 / RFC 6275 type 2: the last address
          ch.has_final_dst = true;
        } else if (type == 4) {
          at = off + 8;  // RFC 8754 §2: Segment List[0] is the last segment
          ch.has_final_dst = true;
        }
        if (ch.has_final_dst) {
          for (std::size_t i = 0; i < 16; ++i) ch.final_dst[i] = load_u8(b, at + i);
        }
      }
    }
    ++ch.count;
    off += len;
    nh = next;
    if (ch.later_fragment) break;  // what follows is the middle of another packet
  }
  ch.proto = nh;
  ch.offset = off;
}

void decode_quote(Bytes q, bool v6, QuotedPacket& qp) noexcept {
  if (q.empty()) return;
  qp.present = true;
  const unsigned version = load_u8(q, 0) >> 4U;
  qp.version = static_cast<std::uint8_t>(version);
  Bytes t;
  std::uint8_t proto = 0;
  if (version == 4 && !v6) {
    if (q.size() < 20) {
      qp.truncated = true;
      return;
    }
    const std::size_t hlen = (load_u8(q, 0) & 0x0FU) * 4U;
    qp.src = net::IpAddress::v4(q.subspan(12, 4));
    qp.dst = net::IpAddress::v4(q.subspan(16, 4));
    qp.proto = proto = load_u8(q, 9);
    qp.ttl = load_u8(q, 8);
    qp.ip_id = load_be16(q, 4);
    qp.total_len = load_be16(q, 2);
    qp.has_ip = true;
    if (hlen < 20) return;  // not a header we can follow
    if (hlen > q.size()) {
      qp.truncated = true;
      return;
    }
    if ((load_be16(q, 6) & 0x1FFFU) != 0) return;  // a later fragment quotes no transport header
    t = q.subspan(hlen);
  } else if (version == 6 && v6) {
    if (q.size() < 40) {
      qp.truncated = true;
      return;
    }
    qp.src = net::IpAddress::v6(q.subspan(8, 16));
    qp.dst = net::IpAddress::v6(q.subspan(24, 16));
    qp.ttl = load_u8(q, 7);
    qp.total_len = 40U + load_be16(q, 4);
    qp.has_ip = true;
    Ipv6Chain ch;
    // The quote is cut by the ICMP sender, so bound the walk by what was quoted.
    walk_ipv6_chain(q, q.size(), load_u8(q, 6), ch);
    qp.proto = proto = ch.proto;
    if (ch.status != Status::kOk) {
      qp.proto = load_u8(q, 6);
      qp.truncated = true;
      return;
    }
    if (ch.later_fragment) return;
    t = q.subspan(ch.offset);
  } else {
    return;  // not the IP version the ICMP message belongs to
  }
  if (proto == kProtoTcp || proto == kProtoUdp || proto == 132 /* SCTP */ || proto == 33 /* DCCP */) {
    if (t.size() >= 4) {
      qp.has_ports = true;
      qp.sport = load_be16(t, 0);
      qp.dport = load_be16(t, 2);
    }
    if (proto == kProtoTcp && t.size() >= 8) {
      qp.has_tcp_seq = true;
      qp.tcp_seq = load_be32(t, 4);
    }
    if (t.size() < (proto == kProtoTcp ? 8U : 4U)) qp.truncated = true;
  } else if ((proto == kProtoIcmp && !v6) || (proto == kProtoIcmp6 && v6)) {
    if (t.size() < 8) {
      qp.truncated = true;
      return;
    }
    const std::uint8_t type = load_u8(t, 0);
    if ((!v6 && (type == 0 || type == 8)) || (v6 && (type == 128 || type == 129))) {
      qp.has_echo = true;
      qp.echo_id = load_be16(t, 4);
      qp.echo_seq = load_be16(t, 6);
    }
  }
}

void decode_icmp(const L4Context& c, DecodedFrame& out, const DecodeOptions& opts) noexcept {
  const bool v6 = c.v6;
  out.transport = v6 ? Transport::kIcmp6 : Transport::kIcmp;
  IcmpInfo& m = out.icmp;
  const Bytes b = c.seg;
  if (b.size() >= 2) {
    m.type = load_u8(b, 0);
    m.code = load_u8(b, 1);
  }
  if (b.size() >= 4) m.checksum = load_be16(b, 2);
  // tcpdump needs type/code/checksum and then reads further per type; every message has the 4-byte
  // "rest of header" word (RFC 792, RFC 4443 §2.1), so 8 bytes are the minimum we decode.
  if (b.size() < 8) {
    short_header(out, c, v6 ? Layer::kIcmp6 : Layer::kIcmp, v6 ? kTruncIcmp6 : kTruncIcmp, 8);
    return;
  }
  m.rest = load_be32(b, 4);
  m.id = load_be16(b, 4);
  m.seq = load_be16(b, 6);
  m.is_echo = v6 ? (m.type == 128 || m.type == 129) : (m.type == 0 || m.type == 8);
  m.payload_len = c.seg_len >= 8 ? c.seg_len - 8 : 0;
  out.payload = b.subspan(8);
  if (v6 ? icmp6_is_error(m.type) : icmp_is_error(m.type)) decode_quote(b.subspan(8), v6, m.quoted);
  if (opts.verify_checksums && b.size() == c.seg_len) {
    // ICMPv4 sums the message alone (RFC 792); ICMPv6 adds the pseudo-header (RFC 4443 §2.3).
    const std::uint64_t start = v6 ? native_pseudo_sum(*c.src, *c.dst, kProtoIcmp6, c.seg_len) : 0U;
    const Verdict v = verdict_native(start + net::native_sum(b), m.checksum);
    m.checksum_state = v.state;
    m.checksum_expected = v.expected;
    if (v.state == ChecksumState::kBad) add(out, Anomaly::kL4ChecksumBad);
  }
}

void decode_transport(const L4Context& c, DecodedFrame& out, const DecodeOptions& opts) noexcept {
  out.l4_caplen = u32(c.seg.size());
  switch (c.proto) {
    case kProtoTcp:
      decode_tcp(c, out, opts);
      break;
    case kProtoUdp:
      decode_udp(c, out, opts);
      break;
    case kProtoIcmp:
      if (!c.v6) {
        decode_icmp(c, out, opts);
      } else {
        out.transport = Transport::kOther;
        out.payload = c.seg;
      }
      break;
    case kProtoIcmp6:
      if (c.v6) {
        decode_icmp(c, out, opts);
      } else {
        out.transport = Transport::kOther;
        out.payload = c.seg;
      }
      break;
    case 59:  // RFC 8200 §4.7 no next header
      break;
    default:
      out.transport = Transport::kOther;
      out.payload = c.seg;
      break;
  }
}

/// IPv4 at `b` (captured), `wire` bytes present on the wire from here on. `base` = offset in the frame.
void decode_ipv4(Bytes b, std::size_t wire, std::uint32_t base, DecodedFrame& out,
                 const DecodeOptions& opts) noexcept {
  if (b.empty()) {
    set_problem(out, Status::kTruncated, Layer::kIpv4, kTruncIp, 0, 20);
    return;
  }
  const unsigned version = load_u8(b, 0) >> 4U;
  if (version != 4) {
    set_problem(out, Status::kInvalid, Layer::kIpv4, kBadIpVersion, version, 4);
    return;
  }
  if (b.size() < 20) {
    set_problem(out, Status::kTruncated, Layer::kIpv4, kTruncIp, u32(b.size()), 20);
    return;
  }
  const std::size_t hlen = (load_u8(b, 0) & 0x0FU) * 4U;
  if (hlen < 20) {
    // RFC 791 §3.1: IHL is at least 5. tcpdump: "bad-hlen" / "[|ip]".
    set_problem(out, Status::kInvalid, Layer::kIpv4, kBadIpHlen, u32(hlen), 20);
    return;
  }
  IpInfo& ip = out.ip;
  ip.version = 4;
  out.ip_offset = base;
  ip.tos = load_u8(b, 1);
  ip.total_len = load_be16(b, 2);
  ip.id = load_be16(b, 4);
  ip.frag_id = ip.id;
  const std::uint16_t off = load_be16(b, 6);
  ip.dont_fragment = (off & 0x4000U) != 0;
  ip.more_fragments = (off & 0x2000U) != 0;
  ip.frag_offset = static_cast<std::uint16_t>(off & 0x1FFFU);
  ip.is_fragment = ip.more_fragments || ip.frag_offset != 0;
  ip.ttl = load_u8(b, 8);
  ip.proto = load_u8(b, 9);
  ip.next_header = ip.proto;
  ip.checksum = load_be16(b, 10);
  set_address(ip.src, b, 12, 4);
  set_address(ip.dst, b, 16, 4);
  ip.header_len = static_cast<std::uint16_t>(hlen);
  if (hlen > 20) add(out, Anomaly::kIpv4Options);

  std::size_t len = ip.total_len;
  if (len == 0) {
    // TCP segmentation offload hands the capture a header whose length is not filled in yet.
    add(out, Anomaly::kIpv4ZeroTotalLength);
    len = std::max(wire, b.size());
  } else if (len < hlen) {
    set_problem(out, Status::kInvalid, Layer::kIpv4, kBadIpTotalLen, u32(len), u32(hlen));
    return;
  }
  if (hlen > b.size()) {
    ip.options = b.subspan(20);
    set_problem(out, Status::kTruncated, Layer::kIpv4, kTruncIp, u32(hlen), u32(b.size()));
    return;
  }
  ip.options = b.subspan(20, hlen - 20);
  if (opts.verify_checksums) {
    const Bytes hdr = b.first(hlen);  // hlen is a multiple of 4
    const Verdict v = verdict_native(net::detail::sum_words(hdr.data(), hdr.size()), ip.checksum);
    ip.header_checksum = v.state;
    ip.checksum_expected = v.expected;
    if (v.state == ChecksumState::kBad) add(out, Anomaly::kIpChecksumBad);
  }
  if (len > wire) {
    // tcpdump: "[total length X > length Y] (invalid)". Decode what is there, like tshark does.
    add(out, Anomaly::kIpLengthExceedsCapture);
    len = std::max(wire, hlen);
  } else if (len < wire) {
    add(out, Anomaly::kIpPadding);  // e.g. Ethernet minimum-frame padding: never payload
  }
  ip.payload_len = u32(len - hlen);
  if (ip.frag_offset != 0) {
    // RFC 791: only the fragment at offset 0 carries the transport header.
    add(out, Anomaly::kFragment);
    return;
  }
  const std::size_t cap_end = std::min(len, b.size());
  const L4Context c{b.subspan(hlen, cap_end - hlen), ip.payload_len, &ip.src, &ip.dst, ip.proto, false};
  out.l4_offset = base + u32(hlen);
  decode_transport(c, out, opts);
}

/// RFC 2675 §2: the Jumbo Payload option's value in the hop-by-hop header right after the fixed header; 0 if none.
std::uint32_t jumbo_payload_length(Bytes b) noexcept {
  if (b.size() < 48) return 0;
  const std::size_t end = std::min(b.size(), 40 + (std::size_t{load_u8(b, 41)} + 1U) * 8U);
  std::size_t off = 42;
  while (off < end) {
    const std::uint8_t type = load_u8(b, off);
    if (type == 0) {  // Pad1
      ++off;
      continue;
    }
    if (off + 2 > end) break;
    const std::size_t olen = load_u8(b, off + 1);
    if (type == 0xC2 && olen == 4 && off + 6 <= end) return load_be32(b, off + 2);
    off += 2 + olen;
  }
  return 0;
}

void decode_ipv6(Bytes b, std::size_t wire, std::uint32_t base, DecodedFrame& out,
                 const DecodeOptions& opts) noexcept {
  if (b.empty()) {
    set_problem(out, Status::kTruncated, Layer::kIpv6, kTruncIp6, 0, 40);
    return;
  }
  const unsigned version = load_u8(b, 0) >> 4U;
  if (version != 6) {
    set_problem(out, Status::kInvalid, Layer::kIpv6, kBadIpVersion, version, 6);
    return;
  }
  if (b.size() < 40) {
    set_problem(out, Status::kTruncated, Layer::kIpv6, kTruncIp6, u32(b.size()), 40);
    return;
  }
  IpInfo& ip = out.ip;
  ip.version = 6;
  out.ip_offset = base;
  const std::uint32_t w0 = load_be32(b, 0);
  ip.tos = static_cast<std::uint8_t>(w0 >> 20U);
  ip.flow_label = w0 & 0xFFFFFU;
  const std::uint16_t plen = load_be16(b, 4);
  ip.next_header = load_u8(b, 6);
  ip.proto = ip.next_header;
  ip.ttl = load_u8(b, 7);
  set_address(ip.src, b, 8, 16);
  set_address(ip.dst, b, 24, 16);
  ip.total_len = 40U + plen;

  std::size_t len = ip.total_len;
  if (plen == 0) {
    if (ip.next_header == 0) {
      // RFC 2675 §2: a jumbogram carries its length in a hop-by-hop Jumbo Payload option (type 0xC2).
      const std::uint32_t jumbo = jumbo_payload_length(b);
      if (jumbo != 0) {
        ip.total_len = 40U + jumbo;
        len = std::size_t{40} + jumbo;
      }
    } else if (ip.next_header == kProtoTcp) {
      // Linux BIG TCP (and GSO captures) leave the length 0 with no jumbo option; tcpdump presumes BIG TCP
      // and uses the real length.
      len = std::max(wire, b.size());
      add(out, Anomaly::kIpv4ZeroTotalLength);
    }
  }
  if (len > wire) {
    add(out, Anomaly::kIpLengthExceedsCapture);
    len = std::max<std::size_t>(wire, 40);
  } else if (len < wire) {
    add(out, Anomaly::kIpPadding);
  }
  Ipv6Chain ch;
  walk_ipv6_chain(b, len, ip.next_header, ch);
  ip.ext_count = static_cast<std::uint8_t>(std::min(ch.count, 255U));
  ip.proto = ch.proto;
  ip.header_len = static_cast<std::uint16_t>(ch.offset);
  if (ch.fragment) {
    ip.is_fragment = true;
    ip.more_fragments = ch.more_fragments;
    ip.frag_offset = ch.frag_offset;
    ip.frag_id = ch.frag_id;
  }
  if (ch.status != Status::kOk) {
    set_problem(out, ch.status, Layer::kIpv6, ch.what, ch.value, ch.limit);
    return;
  }
  ip.payload_len = u32(len - ch.offset);
  if (ch.later_fragment) {
    add(out, Anomaly::kFragment);
    return;
  }
  const std::size_t cap_end = std::min(len, b.size());
  net::IpAddress final_dst;
  const net::IpAddress* pseudo_dst = &ip.dst;
  if (ch.has_final_dst) {
    final_dst.version = 6;
    final_dst.bytes = ch.final_dst;
    pseudo_dst = &final_dst;
  }
  const L4Context c{b.subspan(ch.offset, cap_end - ch.offset), ip.payload_len, &ip.src, pseudo_dst, ip.proto, true};
  out.l4_offset = base + u32(ch.offset);
  decode_transport(c, out, opts);
}

/// Dispatch on an ethertype after the link header; walks VLAN tags and MPLS labels first.
void decode_ethertype(std::uint16_t type, Bytes frame, std::size_t off, std::size_t wire, DecodedFrame& out,
                      const DecodeOptions& opts) noexcept {
  LinkInfo& link = out.link;
  unsigned tags = 0;
  while (type == kEther8021Q || type == kEther8021AD || type == kEtherQinQ || type == kEtherQinQ2) {
    if (tags >= kMaxVlanWalk) {
      set_problem(out, Status::kInvalid, Layer::kLink, kTooManyVlans, tags + 1, kMaxVlanWalk);
      return;
    }
    if (off + 4 > frame.size()) {
      link.ethertype = type;
      set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + 4), u32(frame.size()));
      return;
    }
    // IEEE 802.1Q §9.6: TCI = PCP(3) DEI(1) VID(12), then the next type.
    if (tags < LinkInfo::kMaxVlans) link.vlan_ids[tags] = static_cast<std::uint16_t>(load_be16(frame, off) & 0x0FFFU);
    ++tags;
    link.vlan_count = static_cast<std::uint8_t>(std::min<unsigned>(tags, 255));
    type = load_be16(frame, off + 2);
    off += 4;
  }
  if (type == kEtherMacsec) {
    // IEEE 802.1AE §9: SecTAG = TCI/AN(1) SL(1) PN(4) [SCI(8) when SC is set]. Only integrity-protected
    // (E=0, C=0) frames carry readable user data: its ethertype follows, the 16-byte ICV trails the frame.
    if (off + 6 > frame.size()) {
      link.ethertype = type;
      set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + 6), u32(frame.size()));
      return;
    }
    const std::uint8_t tci = load_u8(frame, off);
    const std::size_t sectag = (tci & 0x20U) != 0 ? 14U : 6U;
    if ((tci & 0x0CU) != 0) {
      link.ethertype = type;
      if (off + sectag > frame.size()) {  // the SCI is cut off: header_len never exceeds the frame
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + sectag), u32(frame.size()));
        return;
      }
      link.header_len = static_cast<std::uint8_t>(std::min<std::size_t>(off + sectag, 255));
      return;  // encrypted or modified: nothing to decode
    }
    if (off + sectag + 2 > frame.size()) {
      link.ethertype = type;
      set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + sectag + 2), u32(frame.size()));
      return;
    }
    type = load_be16(frame, off + sectag);
    off += sectag + 2;
    wire = wire >= 16 + off ? wire - 16 : off;
  }
  link.ethertype = type;
  if (type == kEtherMpls || type == kEtherMplsMc) {
    // RFC 3032 §2.1: walk to the bottom of stack; the payload has no type, guess from the IP version nibble.
    unsigned n = 0;
    for (;;) {
      if (n >= kMaxMplsWalk) {
        set_problem(out, Status::kInvalid, Layer::kLink, kTooManyMpls, n + 1, kMaxMplsWalk);
        return;
      }
      if (off + 4 > frame.size()) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + 4), u32(frame.size()));
        return;
      }
      const std::uint32_t entry = load_be32(frame, off);
      if (n < LinkInfo::kMaxMpls) link.mpls_labels[n] = entry >> 12U;
      ++n;
      link.mpls_count = static_cast<std::uint8_t>(n);
      off += 4;
      if ((entry & 0x100U) != 0) break;
    }
    link.header_len = static_cast<std::uint8_t>(std::min<std::size_t>(off, 255));
    if (off >= frame.size()) return;  // nothing after the labels: link only
    const unsigned v = load_u8(frame, off) >> 4U;
    if (v == 4) {
      type = kEtherIpv4;
    } else if (v == 6) {
      type = kEtherIpv6;
    } else {
      return;  // pseudowire / Ethernet-over-MPLS: not decoded
    }
  }
  link.header_len = static_cast<std::uint8_t>(std::min<std::size_t>(off, 255));
  const std::size_t rest_wire = wire > off ? wire - off : 0;
  if (type == kEtherIpv4) {
    decode_ipv4(frame.subspan(std::min(off, frame.size())), rest_wire, u32(off), out, opts);
  } else if (type == kEtherIpv6) {
    decode_ipv6(frame.subspan(std::min(off, frame.size())), rest_wire, u32(off), out, opts);
  }
  // Anything else (ARP, LLDP, 802.3 length field ≤ 1500 …) is link-only: no problem, no IP.
}

/// Raw IP: the version nibble picks the decoder.
void decode_raw(Bytes frame, std::size_t off, std::size_t wire, DecodedFrame& out,
                const DecodeOptions& opts) noexcept {
  if (off >= frame.size()) {
    set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(off + 1), u32(frame.size()));
    return;
  }
  const unsigned v = load_u8(frame, off) >> 4U;
  const std::size_t rest_wire = wire > off ? wire - off : 0;
  if (v == 4) {
    out.link.ethertype = kEtherIpv4;
    decode_ipv4(frame.subspan(off), rest_wire, u32(off), out, opts);
  } else if (v == 6) {
    out.link.ethertype = kEtherIpv6;
    decode_ipv6(frame.subspan(off), rest_wire, u32(off), out, opts);
  } else {
    set_problem(out, Status::kInvalid, Layer::kLink, kBadIpVersion, v, 4);
  }
}

/// BSD AF_ values for IPv6 differ per OS: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
constexpr bool af_is_inet6(std::uint32_t af) noexcept { return af == 24 || af == 28 || af == 30; }
constexpr bool af_known(std::uint32_t af) noexcept { return af == 2 || af_is_inet6(af); }

void decode_loopback(Bytes frame, std::uint32_t family, std::size_t wire, DecodedFrame& out,
                     const DecodeOptions& opts) noexcept {
  LinkInfo& link = out.link;
  link.loopback_family = family;
  link.header_len = 4;
  const std::size_t rest_wire = wire > 4 ? wire - 4 : 0;
  if (family == 2) {
    link.ethertype = kEtherIpv4;
    decode_ipv4(frame.subspan(4), rest_wire, 4, out, opts);
  } else if (af_is_inet6(family)) {
    link.ethertype = kEtherIpv6;
    decode_ipv6(frame.subspan(4), rest_wire, 4, out, opts);
  }
}

/// Returns `out` to its default state. Only the transport section the previous decode used can hold data,
/// so only that one is cleared: a whole-struct assignment is a ~420-byte memset, a fifth of a decode.
void reset(DecodedFrame& out) noexcept {
  switch (out.transport) {
    case Transport::kTcp: out.tcp = TcpInfo{}; break;
    case Transport::kUdp: out.udp = UdpInfo{}; break;
    case Transport::kIcmp:
    case Transport::kIcmp6: out.icmp = IcmpInfo{}; break;
    case Transport::kNone:
    case Transport::kOther: break;
  }
  out.transport = Transport::kNone;
  out.link = LinkInfo{};
  out.ip = IpInfo{};
  out.payload = {};
  out.problem = Problem{};
  out.anomalies = Anomaly::kNone;
  out.ip_offset = 0;
  out.l4_offset = 0;
  out.l4_caplen = 0;
}

}  // namespace

void decode_frame(std::uint32_t dlt, Bytes frame, std::uint32_t wire_len, DecodedFrame& out,
                  DecodeOptions opts) noexcept {
  reset(out);
  out.caplen = u32(frame.size());
  out.wire_len = wire_len;
  out.link.dlt = dlt;
  // A record whose wire length is below its caplen is corrupt; trust the bytes we hold.
  const std::size_t wire = std::max<std::size_t>(wire_len, frame.size());
  LinkInfo& link = out.link;

  switch (static_cast<LinkType>(dlt)) {
    case LinkType::kEthernet: {
      if (frame.size() < 14) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), 14);
        return;
      }
      link.has_mac = true;
      std::memcpy(link.dst_mac.data(), frame.data(), 6);  // frame.size() >= 14
      std::memcpy(link.src_mac.data(), frame.data() + 6, 6);
      link.header_len = 14;
      decode_ethertype(load_be16(frame, 12), frame, 14, wire, out, opts);
      return;
    }
    case LinkType::kLinuxSll: {
      // https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html: pkttype, hatype, halen, addr[8], protocol.
      if (frame.size() < 16) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), 16);
        return;
      }
      link.sll_pkttype = load_be16(frame, 0);
      link.sll_hatype = load_be16(frame, 2);
      const std::uint16_t halen = load_be16(frame, 4);
      link.sll_addr_len = static_cast<std::uint8_t>(std::min<std::uint16_t>(halen, 255));
      for (std::size_t i = 0; i < 6 && i < halen; ++i) link.src_mac[i] = load_u8(frame, 6 + i);
      link.header_len = 16;
      decode_ethertype(load_be16(frame, 14), frame, 16, wire, out, opts);
      return;
    }
    case LinkType::kLinuxSll2: {
      // LINKTYPE_LINUX_SLL2: protocol, reserved, ifindex, hatype, pkttype(1), halen(1), addr[8].
      if (frame.size() < 20) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), 20);
        return;
      }
      link.sll_ifindex = load_be32(frame, 4);
      link.sll_hatype = load_be16(frame, 8);
      link.sll_pkttype = load_u8(frame, 10);
      const std::uint8_t halen = load_u8(frame, 11);
      link.sll_addr_len = halen;
      for (std::size_t i = 0; i < 6 && i < halen; ++i) link.src_mac[i] = load_u8(frame, 12 + i);
      link.header_len = 20;
      decode_ethertype(load_be16(frame, 0), frame, 20, wire, out, opts);
      return;
    }
    case LinkType::kPpp: {
      // RFC 1662 §3.1: optional 0xFF 0x03 address/control; RFC 1661 §6.5: a protocol field with an odd first
      // byte is the compressed 1-byte form.
      std::size_t off = 0;
      if (frame.size() >= 2 && load_u8(frame, 0) == 0xFF && load_u8(frame, 1) == 0x03) off = 2;
      if (off >= frame.size()) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), u32(off + 2));
        return;
      }
      std::uint16_t proto = 0;
      if ((load_u8(frame, off) & 1U) != 0) {
        proto = load_u8(frame, off);
        off += 1;
      } else {
        if (off + 2 > frame.size()) {
          set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), u32(off + 2));
          return;
        }
        proto = load_be16(frame, off);
        off += 2;
      }
      link.ppp_protocol = proto;
      link.header_len = static_cast<std::uint8_t>(off);
      std::uint16_t type = 0;
      switch (proto) {
        case 0x0021: type = kEtherIpv4; break;
        case 0x0057: type = kEtherIpv6; break;
        case 0x0281: type = kEtherMpls; break;
        case 0x0283: type = kEtherMplsMc; break;
        default: return;  // LCP, IPCP, CCP…: link only
      }
      decode_ethertype(type, frame, off, wire, out, opts);
      return;
    }
    case LinkType::kRaw12:
    case LinkType::kRaw14:
    case LinkType::kRaw:
      decode_raw(frame, 0, wire, out, opts);
      return;
    case LinkType::kIpv4:
      link.ethertype = kEtherIpv4;
      decode_ipv4(frame, wire, 0, out, opts);
      return;
    case LinkType::kIpv6:
      link.ethertype = kEtherIpv6;
      decode_ipv6(frame, wire, 0, out, opts);
      return;
    case LinkType::kNull:
    case LinkType::kLoop: {
      if (frame.size() < 4) {
        set_problem(out, Status::kTruncated, Layer::kLink, kTruncLink, u32(frame.size()), 4);
        return;
      }
      std::uint32_t family = load_be32(frame, 0);
      if (dlt == static_cast<std::uint32_t>(LinkType::kNull)) {
        // DLT_NULL stores the AF_ value in the capturing host's byte order, which we do not know: accept
        // either order (libpcap and tcpdump do the same by checking whether the high bytes are zero).
        const std::uint32_t le = load_le32(frame, 0);
        if (!af_known(family) && af_known(le)) family = le;
        if (!af_known(family) && (family & 0xFFFF0000U) != 0) family = le;
      }
      decode_loopback(frame, family, wire, out, opts);
      return;
    }
  }
  set_problem(out, Status::kUnsupported, Layer::kLink, kUnsupportedLink, dlt, 0);
}

bool TcpOptionIterator::next(TcpOption& opt) noexcept {
  if (rest_.empty() || malformed_) return false;
  const std::uint8_t kind = load_u8(rest_, 0);
  if (kind == 0) {
    // RFC 9293 §3.1: End of Option List; what follows is padding.
    opt = TcpOption{0, 1, {}};
    rest_ = {};
    return true;
  }
  if (kind == 1) {
    opt = TcpOption{1, 1, {}};
    rest_ = rest_.subspan(1);
    return true;
  }
  if (rest_.size() < 2) {
    malformed_ = true;
    return false;
  }
  const std::uint8_t len = load_u8(rest_, 1);
  if (len < 2 || len > rest_.size()) {
    malformed_ = true;
    return false;
  }
  opt = TcpOption{kind, len, rest_.subspan(2, len - 2U)};
  rest_ = rest_.subspan(len);
  return true;
}

}  // namespace synscope::decode

// summarize_flow(): the short way from the bytes of a common frame to the scalars flow tracking reads.
//
// Every test here is one decode_frame() makes on the same bytes, narrowed to the case where it would find
// no problem and take no unusual branch; whatever falls outside is declined, never guessed at. The
// acceptance conditions, by layer (decode_frame()'s behaviour they stand in for in brackets):
//  * link: Ethernet, SLL or SLL2 with at most two VLAN tags, or raw IP [decode_ethertype() walks up to
//    16 tags, MACsec and MPLS];
//  * IPv4: version 4, IHL 5, 20 <= total length <= captured bytes, neither MF nor an offset
//    [options, TSO's zero length, lengths beyond the capture, fragments];
//  * IPv6: version 6, a non-zero payload length within the captured bytes, TCP or UDP as the next header
//    [extension headers, jumbograms, BIG TCP];
//  * TCP: 20 <= data offset <= segment length; UDP: 8 <= length field <= datagram length
//    [the invalid and truncated cases].
// So the whole IP packet is captured: the transport checksum is always verifiable (when asked) and the
// payload never truncated.

#include "synscope/decode/flow.hpp"

#include <cstring>

#include "synscope/net/checksum.hpp"

namespace synscope::decode {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr unsigned kMaxTags = 2;

constexpr bool is_vlan(std::uint16_t type) noexcept {
  return type == 0x8100 || type == 0x88A8 || type == 0x9100 || type == 0x9200;
}

void set_address(net::IpAddress& a, const std::byte* p, std::size_t n) noexcept {
  a.version = n == 16 ? 6 : 4;
  a.bytes = {};
  std::memcpy(a.bytes.data(), p, n);
}

/// The transport part: `seg` is the whole IP payload (captured in full); `addr_sum` the host-order sum of
/// both addresses for the pseudo-header. Fills the transport fields of `out`; false to decline. Inlined
/// into both of its callers: a call here cost a prologue and an epilogue of six saved registers per packet.
[[gnu::always_inline]] inline bool summarize_transport(Bytes seg, std::uint8_t proto, bool v6, std::uint64_t addr_sum, FlowSummary& out,
                         bool& l4_bad, const DecodeOptions& opts, Bytes* tcp_options) noexcept {
  const auto seg_len = static_cast<std::uint32_t>(seg.size());
  if (proto == kProtoTcp) {
    if (seg_len < 20) return false;
    const std::uint32_t doff = (load_u8(seg, 12) >> 4U) * 4U;
    if (doff < 20 || doff > seg_len) return false;
    out.sport = load_be16(seg, 0);
    out.dport = load_be16(seg, 2);
    out.seq = load_be32(seg, 4);
    out.ack_seq = load_be32(seg, 8);
    out.tcp_flags = static_cast<std::uint16_t>((load_u8(seg, 12) & 0x0FU) << 8U | load_u8(seg, 13));
    out.window = load_be16(seg, 14);
    out.payload_len = seg_len - doff;
    const Bytes options = seg.subspan(20, doff - 20);
    if (tcp_options != nullptr) *tcp_options = options;
    if (is_nop_nop_timestamps(options)) {
      // The commonest block sets, of the negotiation fields, only has_timestamps: set from a constant.
      // (Read back from the summary summarize_tcp_options() had just written a byte at a time, two of the
      // flags came as one 16-bit load: a failed store-to-load forward on nearly every segment.)
      static constexpr TcpOptionSummary kTimestampsOnly = [] {
        TcpOptionSummary t;
        t.has_timestamps = true;
        return t;
      }();
      set_syn_options(out, kTimestampsOnly);
    } else {
      TcpOptionSummary o;
      if (!options.empty()) summarize_tcp_options(options, o);
      set_syn_options(out, o);
    }
    if (opts.verify_checksums) {
      const std::uint64_t sum = net::native_sum(seg) + addr_sum + net::native_pseudo_tail(kProtoTcp, seg_len);
      l4_bad = !net::checksum_verifies_native(sum);
    }
  } else {
    if (seg_len < 8) return false;
    const std::uint32_t ulen = load_be16(seg, 4);
    if (ulen < 8 || ulen > seg_len) return false;  // (a zero length is a jumbogram's only above 65535)
    const std::uint16_t field = load_be16(seg, 6);
    out.sport = load_be16(seg, 0);
    out.dport = load_be16(seg, 2);
    out.tcp_flags = 0;
    out.seq = 0;
    out.ack_seq = 0;
    out.window = 0;
    out.payload_len = ulen - 8U;
    set_syn_options(out, TcpOptionSummary{});
    if (tcp_options != nullptr) *tcp_options = {};
    // RFC 768: zero means "no checksum" over IPv4; over IPv6 it is mandatory, so zero is bad (RFC 8200 §8.1).
    if (opts.verify_checksums && !(field == 0 && !v6)) {
      const std::uint64_t sum = net::native_sum(seg.first(ulen)) + addr_sum + net::native_pseudo_tail(kProtoUdp, ulen);
      l4_bad = field == 0 || !net::checksum_verifies_native(sum);
    }
  }
  return true;
}

}  // namespace

bool summarize_flow(std::uint32_t dlt, Bytes frame, std::uint32_t /*wire_len*/, std::int64_t ts_ns, FlowSummary& out,
                    bool& bad_checksum, DecodeOptions opts, Bytes* tcp_options) noexcept {
  // The wire length plays no part: every case accepted here has the whole IP packet captured, and
  // decode_frame() consults the wire length only when the IP length reaches beyond the captured bytes.
  std::size_t off = 0;
  std::uint16_t type = 0;
  bool tagged_link = true;  // Ethernet and SLL/SLL2 may carry VLAN tags before the IP header
  switch (dlt) {
    case static_cast<std::uint32_t>(LinkType::kEthernet):
      if (frame.size() < 14) return false;
      type = load_be16(frame, 12);
      off = 14;
      break;
    case static_cast<std::uint32_t>(LinkType::kLinuxSll):
      if (frame.size() < 16) return false;
      type = load_be16(frame, 14);
      off = 16;
      break;
    case static_cast<std::uint32_t>(LinkType::kLinuxSll2):
      if (frame.size() < 20) return false;
      type = load_be16(frame, 0);
      off = 20;
      break;
    case static_cast<std::uint32_t>(LinkType::kRaw12):
    case static_cast<std::uint32_t>(LinkType::kRaw14):
    case static_cast<std::uint32_t>(LinkType::kRaw):
      if (frame.empty()) return false;
      type = (load_u8(frame, 0) >> 4U) == 6 ? kEtherIpv6 : kEtherIpv4;  // anything else fails the version test
      tagged_link = false;
      break;
    case static_cast<std::uint32_t>(LinkType::kIpv4):
      type = kEtherIpv4;
      tagged_link = false;
      break;
    case static_cast<std::uint32_t>(LinkType::kIpv6):
      type = kEtherIpv6;
      tagged_link = false;
      break;
    default:
      return false;
  }
  if (tagged_link) {
    for (unsigned tags = 0; is_vlan(type); ++tags) {
      if (tags == kMaxTags || off + 4 > frame.size()) return false;
      type = load_be16(frame, off + 2);
      off += 4;
    }
  }
  const Bytes b = frame.subspan(off);
  bool l4_bad = false;
  bool ip_bad = false;
  if (type == kEtherIpv4) {
    if (b.size() < 20 || load_u8(b, 0) != 0x45) return false;  // version 4, IHL 5
    const std::uint32_t total = load_be16(b, 2);
    if (total < 20 || total > b.size() || (load_be16(b, 6) & 0x3FFFU) != 0) return false;  // MF or offset
    const std::uint8_t proto = load_u8(b, 9);
    if ((proto != kProtoTcp && proto != kProtoUdp) || total < 28) return false;
    out.proto = proto;
    const std::uint64_t addr_sum = net::detail::sum_words(b.data() + 12, 8);  // source and destination
    if (!summarize_transport(b.subspan(20, total - 20U), proto, false, addr_sum, out, l4_bad, opts, tcp_options)) return false;
    // The header's sum: its first 12 bytes, then the addresses already summed for the pseudo-header.
    if (opts.verify_checksums) ip_bad = !net::checksum_verifies_native(net::detail::sum_words(b.data(), 12) + addr_sum);
    set_address(out.src, b.data() + 12, 4);
    set_address(out.dst, b.data() + 16, 4);
    out.ip_len = total;
  } else if (type == kEtherIpv6) {
    if (b.size() < 48 || (load_u8(b, 0) >> 4U) != 6) return false;
    const std::uint32_t plen = load_be16(b, 4);
    const std::uint8_t proto = load_u8(b, 6);
    if ((proto != kProtoTcp && proto != kProtoUdp) || plen < 8 || 40U + plen > b.size()) return false;
    out.proto = proto;
    const std::uint64_t addr_sum = net::detail::sum_words(b.data() + 8, 32);  // source and destination
    if (!summarize_transport(b.subspan(40, plen), proto, true, addr_sum, out, l4_bad, opts, tcp_options)) return false;
    set_address(out.src, b.data() + 8, 16);
    set_address(out.dst, b.data() + 24, 16);
    out.ip_len = 40U + plen;
  } else {
    return false;
  }
  out.ts_ns = ts_ns;
  out.payload_truncated = false;
  out.checksum_bad = l4_bad;
  out.ip_checksum_bad = ip_bad;
  out.is_fragment = false;
  out.icmp_type = 0;
  out.icmp_code = 0;
  out.icmp_one_way = false;
  bad_checksum = l4_bad || ip_bad;
  return true;
}

}  // namespace synscope::decode

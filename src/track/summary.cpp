// from_frame(): the copy from the decoder's view into the tracker's scalars.

#include "synscope/track/summary.hpp"

namespace synscope::track {

std::uint16_t icmp4_counterpart(std::uint8_t type, std::uint8_t code, bool& is_one_way) noexcept {
  is_one_way = false;
  // Request/response pairs of RFC 792 / RFC 950 / RFC 1256; their code is always 0.
  switch (type) {
    case 8: return 0;     // echo -> echo reply
    case 0: return 8;
    case 13: return 14;   // timestamp
    case 14: return 13;
    case 15: return 16;   // information request
    case 16: return 15;
    case 10: return 9;    // router solicitation -> advertisement
    case 9: return 10;
    case 17: return 18;   // address mask
    case 18: return 17;
    default: is_one_way = true; return code;
  }
}

std::uint16_t icmp6_counterpart(std::uint8_t type, std::uint8_t code, bool& is_one_way) noexcept {
  is_one_way = false;
  switch (type) {
    case 128: return 129;  // echo request / reply (RFC 4443)
    case 129: return 128;
    case 133: return 134;  // router solicitation / advertisement (RFC 4861)
    case 134: return 133;
    case 135: return 136;  // neighbour solicitation / advertisement
    case 136: return 135;
    case 130: return 131;  // MLD query / report (RFC 2710)
    case 131: return 130;
    case 139: return 140;  // node information query / response (RFC 4620)
    case 140: return 139;
    case 144: return 145;  // home agent address discovery (RFC 6275)
    case 145: return 144;
    default: is_one_way = true; return code;
  }
}

PacketSummary from_frame(const decode::DecodedFrame& f, std::int64_t ts_ns) noexcept {
  PacketSummary p;
  p.ts_ns = ts_ns;
  if (!f.has_ip()) return p;  // proto 0: not tracked
  p.src = f.ip.src;
  p.dst = f.ip.dst;
  p.ip_len = f.ip.total_len;
  p.ip_checksum_bad = f.ip.header_checksum == decode::ChecksumState::kBad;
  p.is_fragment = f.ip.is_fragment && f.ip.frag_offset != 0;
  // A transport header that did not decode (truncated / bad length) is not a connection packet: Zeek
  // drops it with a "truncated_header" / "bad_TCP_header_len" weird before any lookup.
  // Deliberate difference: a TCP header whose fixed 20 bytes were captured but whose options were cut by
  // the snap length (tcpdump -s 60) is still tracked: flags, seq, ack and window are all there, and users
  // reading such captures want their handshakes labelled. Zeek drops these ("truncated_header").
  const bool tcp_options_cut = f.transport == decode::Transport::kTcp && f.problem.status == decode::Status::kTruncated &&
                               f.problem.layer == decode::Layer::kTcp && f.l4_caplen >= 20;
  const bool transport_broken = !f.ok() && !tcp_options_cut &&
                                (f.problem.layer == decode::Layer::kTcp || f.problem.layer == decode::Layer::kUdp ||
                                 f.problem.layer == decode::Layer::kIcmp || f.problem.layer == decode::Layer::kIcmp6);
  if (p.is_fragment || transport_broken) {
    p.proto = f.ip.proto;
    p.is_fragment = true;  // the tracker skips it either way
    return p;
  }
  switch (f.transport) {
    case decode::Transport::kTcp:
      p.proto = 6;
      p.sport = f.tcp.sport;
      p.dport = f.tcp.dport;
      p.tcp_flags = f.tcp.flags;
      p.seq = f.tcp.seq;
      p.ack_seq = f.tcp.ack_seq;
      p.window = f.tcp.window;
      p.payload_len = f.tcp.payload_len;
      p.payload_truncated = f.payload.size() < f.tcp.payload_len;
      p.checksum_bad = f.tcp.checksum_state == decode::ChecksumState::kBad;
      decode::set_syn_options(p, f.tcp.opt);
      break;
    case decode::Transport::kUdp:
      p.proto = 17;
      p.sport = f.udp.sport;
      p.dport = f.udp.dport;
      // Zeek counts UDP bytes from the UDP length field (minus its 8-byte header).
      p.payload_len = f.udp.length >= 8 ? static_cast<std::uint32_t>(f.udp.length - 8U) : f.udp.payload_len;
      p.checksum_bad = f.udp.checksum_state == decode::ChecksumState::kBad;
      break;
    case decode::Transport::kIcmp:
    case decode::Transport::kIcmp6: {
      const bool v6 = f.transport == decode::Transport::kIcmp6;
      p.proto = v6 ? 58 : 1;
      p.icmp_type = f.icmp.type;
      p.icmp_code = f.icmp.code;
      bool one_way = false;
      p.sport = f.icmp.type;
      p.dport = v6 ? icmp6_counterpart(f.icmp.type, f.icmp.code, one_way)
                   : icmp4_counterpart(f.icmp.type, f.icmp.code, one_way);
      p.icmp_one_way = one_way;
      p.payload_len = f.icmp.payload_len;
      p.checksum_bad = f.icmp.checksum_state == decode::ChecksumState::kBad;
      break;
    }
    case decode::Transport::kNone:
    case decode::Transport::kOther:
      p.proto = f.ip.proto;
      break;
  }
  return p;
}

}  // namespace synscope::track

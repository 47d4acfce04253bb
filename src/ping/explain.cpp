#include "synscope/ping/explain.hpp"

#include <cstdio>
#include <cstring>

#include "synscope/net/checksum.hpp"

namespace synscope::ping {

namespace {

std::string hex_bytes(Bytes b, std::size_t off, std::size_t n, std::size_t max_shown = 4) {
  std::string s;
  char buf[8];
  for (std::size_t i = 0; i < n && i < max_shown && off + i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", static_cast<unsigned>(load_u8(b, off + i)));
    s += buf;
  }
  if (n > max_shown) s += " …";
  return s;
}

void row(std::string& out, Bytes b, std::size_t base, std::size_t off, std::size_t n, const std::string& what) {
  char range[24];
  if (n == 1) {
    std::snprintf(range, sizeof range, "%zu", base + off);
  } else {
    std::snprintf(range, sizeof range, "%zu-%zu", base + off, base + off + n - 1);
  }
  char line[64];
  std::snprintf(line, sizeof line, "    %-8s %-14s ", range, hex_bytes(b, off, n).c_str());
  out += line;
  out += what;
  out += '\n';
}

std::string addr_text(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  net::format_address(a, buf);
  return buf;
}

std::string num(const char* f, unsigned v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const char* icmp_name(Family fam, std::uint8_t type) {
  if (fam == Family::kIpv4) {
    switch (type) {
      case icmp_type::kEchoReply: return "echo reply";
      case icmp_type::kDestUnreachable: return "destination unreachable";
      case icmp_type::kSourceQuench: return "source quench";
      case icmp_type::kRedirect: return "redirect";
      case icmp_type::kEchoRequest: return "echo request";
      case icmp_type::kTimeExceeded: return "time exceeded";
      case icmp_type::kParameterProblem: return "parameter problem";
      default: return "other";
    }
  }
  switch (type) {
    case icmp6_type::kDestUnreachable: return "destination unreachable";
    case icmp6_type::kPacketTooBig: return "packet too big";
    case icmp6_type::kTimeExceeded: return "time exceeded";
    case icmp6_type::kParameterProblem: return "parameter problem";
    case icmp6_type::kEchoRequest: return "echo request";
    case icmp6_type::kEchoReply: return "echo reply";
    default: return "other";
  }
}

}  // namespace

std::string explain_socket(const SocketExplainInput& in) {
  const bool v4 = in.family == Family::kIpv4;
  std::string s;
  s += "explain: " + in.call + " = fd " + std::to_string(in.fd) + "\n";
  s += v4 ? "  family   AF_INET (2): IPv4\n" : "  family   AF_INET6 (10): IPv6\n";
  s += in.raw ? "  type     SOCK_RAW (3): we write the whole ICMP message ourselves and read whole packets\n"
              : "  type     SOCK_DGRAM (2): the unprivileged \"ping socket\"; the kernel owns the identifier\n";
  s += v4 ? "  protocol IPPROTO_ICMP (1): the IP protocol number the kernel puts in (and filters on)\n"
          : "  protocol IPPROTO_ICMPV6 (58): the next-header number the kernel puts in (and filters on)\n";
  if (in.raw) {
    s += "  why      a raw socket needs CAP_NET_RAW; we have it, so we use it like iputils does\n";
  } else if (in.raw_errno != 0) {
    s += "  why      the raw socket was refused (" + std::string(std::strerror(in.raw_errno)) +
         ": no CAP_NET_RAW), so we fell back to the ping socket (allowed by net.ipv4.ping_group_range)\n";
  } else {
    s += "  why      asked for with --socket dgram: no privileges needed when our group is in "
         "net.ipv4.ping_group_range\n";
  }
  s += "  we send  ICMP type " + std::string(v4 ? "8" : "128") + " (echo request), code 0, identifier, sequence, " +
       std::to_string(in.datalen) + " data bytes (the first 16 carry the send time)\n";
  if (in.raw && v4) {
    s += "  kernel   fills in the IPv4 header (version, IHL, total length, ID, TTL, protocol 1, header checksum,\n"
         "           source " + in.source + "); we compute the ICMP checksum (RFC 792)\n";
    s += "  receive  every ICMP packet reaching the host, IPv4 header included; ICMP_FILTER keeps only\n"
         "           echo replies and errors, and we keep replies carrying our identifier " +
         num("0x%04x", in.ident) + "\n";
  } else if (in.raw) {
    s += "  kernel   builds the IPv6 header (source " + in.source +
         ") and computes the ICMPv6 checksum over the pseudo-header (RFC 4443 §2.3)\n";
    s += "  receive  ICMPv6 messages without the IPv6 header (RFC 3542); ICMP6_FILTER keeps echo replies and\n"
         "           errors; the hop limit comes in an IPV6_HOPLIMIT control message; identifier " +
         num("0x%04x", in.ident) + "\n";
  } else {
    s += "  kernel   builds the IP header (source " + in.source +
         "), overwrites the identifier with the socket's \"port\" and computes the checksum\n";
    s += "  receive  only echo replies carrying that identifier, without the IP header; the TTL comes in a\n"
         "           control message (" +
         std::string(v4 ? "IP_RECVTTL" : "IPV6_RECVHOPLIMIT") + "); ICMP errors arrive on the error queue (" +
         std::string(v4 ? "IP_RECVERR" : "IPV6_RECVERR") + ")\n";
  }
  s += "  options  SO_TIMESTAMPNS (kernel receive time), " + std::string(v4 ? "IP_RECVERR" : "IPV6_RECVERR");
  if (in.ttl >= 0) s += ", " + std::string(v4 ? "IP_TTL=" : "IPV6_UNICAST_HOPS=") + std::to_string(in.ttl);
  s += "\n  target   " + in.target + "\n";
  return s;
}

std::string explain_reply(Bytes packet, const IcmpMessage& m, Family fam, bool raw, int ttl_from_cmsg) {
  const bool v4 = fam == Family::kIpv4;
  std::string s = "explain: first reply, " + std::to_string(packet.size()) + " bytes as recvmsg() returned them\n";
  std::size_t base = 0;
  if (m.ip.present) {
    const Ipv4Header& h = m.ip;
    s += "  IPv4 header (RFC 791 §3.1), " + std::to_string(h.header_len) + " bytes, filled in by the sender's kernel\n";
    row(s, packet, 0, 0, 1, num("version 4, IHL %u", h.header_len / 4U) + " (" + std::to_string(h.header_len) + " bytes)");
    row(s, packet, 0, 1, 1, num("DSCP %u", static_cast<unsigned>(h.tos >> 2U)) + num(", ECN %u", h.tos & 3U));
    row(s, packet, 0, 2, 2, num("total length %u", h.total_len));
    row(s, packet, 0, 4, 2, num("identification 0x%04x", h.id));
    std::string fl = "flags";
    if ((h.flags_frag & 0x4000U) != 0) fl += " DF";
    if ((h.flags_frag & 0x2000U) != 0) fl += " MF";
    if ((h.flags_frag & 0xC000U) == 0) fl += " none";
    row(s, packet, 0, 6, 2, fl + num(", fragment offset %u", h.flags_frag & 0x1FFFU));
    row(s, packet, 0, 8, 1, num("TTL %u", h.ttl));
    row(s, packet, 0, 9, 1, num("protocol %u (ICMP)", h.proto));
    const bool ip_ok = net::internet_checksum(packet.first(h.header_len)) == 0;
    row(s, packet, 0, 10, 2, num("header checksum 0x%04x", h.checksum) + (ip_ok ? " (good)" : " (bad)"));
    row(s, packet, 0, 12, 4, "source " + addr_text(h.src));
    row(s, packet, 0, 16, 4, "destination " + addr_text(h.dst));
    if (h.header_len > 20) row(s, packet, 0, 20, h.header_len - 20U, "options");
    base = h.header_len;
  } else if (v4) {
    s += "  (no IPv4 header: a ping socket gets only the ICMP message; TTL " +
         (ttl_from_cmsg >= 0 ? std::to_string(ttl_from_cmsg) : std::string("?")) + " came in an IP_TTL control message)\n";
  } else {
    s += "  (no IPv6 header: IPv6 " + std::string(raw ? "raw" : "ping") +
         " sockets never deliver it; hop limit " +
         (ttl_from_cmsg >= 0 ? std::to_string(ttl_from_cmsg) : std::string("?")) +
         " came in an IPV6_HOPLIMIT control message)\n";
  }
  const Bytes icmp = m.icmp;
  s += v4 ? "  ICMP header (RFC 792)\n" : "  ICMPv6 header (RFC 4443 §4.2)\n";
  row(s, icmp, base, 0, 1, num("type %u", m.type) + " (" + icmp_name(fam, m.type) + ")");
  row(s, icmp, base, 1, 1, num("code %u", m.code));
  std::string ck = num("checksum 0x%04x", m.checksum);
  if (m.checksum_checked) {
    ck += m.checksum_ok ? " (good)" : " (BAD)";
  } else {
    ck += " (verified by the kernel with the pseudo-header)";
  }
  row(s, icmp, base, 2, 2, ck);
  if (m.kind == MessageKind::kEchoReply) {
    row(s, icmp, base, 4, 2, num("identifier 0x%04x", m.id) + (raw ? "" : " (the ping socket's \"port\")"));
    row(s, icmp, base, 6, 2, num("sequence %u", m.seq));
    if (m.data.size() >= kTimestampSize) {
      row(s, icmp, base, 8, kTimestampSize, "data: our send time (seconds, nanoseconds), echoed back");
      if (m.data.size() > kTimestampSize) {
        row(s, icmp, base, 8 + kTimestampSize, m.data.size() - kTimestampSize,
            "data: pattern bytes 0x10, 0x11, … (" + std::to_string(m.data.size() - kTimestampSize) + " bytes)");
      }
    } else if (!m.data.empty()) {
      row(s, icmp, base, 8, m.data.size(), "data: pattern bytes (too short to carry a send time)");
    }
  } else {
    row(s, icmp, base, 4, 4, num("rest of header 0x%08x", m.rest));
    if (!m.data.empty()) row(s, icmp, base, 8, m.data.size(), "data: the quoted datagram");
  }
  return s;
}

}  // namespace synscope::ping

#include "synscope/ping/icmp_echo.hpp"

#include <cstdio>
#include <iterator>

#include "synscope/net/checksum.hpp"

namespace synscope::ping {

namespace {

void put_be16(std::vector<std::byte>& v, std::size_t off, std::uint16_t x) noexcept {
  v[off] = static_cast<std::byte>(x >> 8U);
  v[off + 1] = static_cast<std::byte>(x & 0xFFU);
}

void put_be64(std::vector<std::byte>& v, std::size_t off, std::uint64_t x) noexcept {
  for (std::size_t i = 0; i < 8; ++i) v[off + i] = static_cast<std::byte>((x >> (56U - 8U * i)) & 0xFFU);
}

std::uint64_t load_be64(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint64_t>(load_be32(b, off)) << 32U | load_be32(b, off + 4);
}

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoIcmpv6 = 58;

// The datagram an ICMP error quotes: RFC 792 (IPv4 header + at least 8 bytes), RFC 4443 §2.4 (as much
// of the invoking packet as fits). We only care whether it was an echo request and whose.
QuotedEcho parse_quoted(Bytes q, Family fam) noexcept {
  QuotedEcho out;
  if (fam == Family::kIpv4) {
    if (q.size() < kIpv4MinHeader) return out;
    if ((load_u8(q, 0) >> 4U) != 4) return out;
    const std::size_t ihl = static_cast<std::size_t>(load_u8(q, 0) & 0x0FU) * 4U;
    if (ihl < kIpv4MinHeader || q.size() < ihl + kIcmpHeaderSize) return out;
    if (load_u8(q, 9) != kProtoIcmp) return out;
    if (load_u8(q, ihl) != icmp_type::kEchoRequest) return out;
    out.src = net::IpAddress::v4(q.subspan(12, 4));
    out.dst = net::IpAddress::v4(q.subspan(16, 4));
    out.id = load_be16(q, ihl + 4);
    out.seq = load_be16(q, ihl + 6);
    out.present = true;
    return out;
  }
  if (q.size() < kIpv6Header + kIcmpHeaderSize) return out;
  if ((load_u8(q, 0) >> 4U) != 6) return out;
  // Our echo requests carry no extension headers, so the ICMPv6 header follows the fixed header.
  if (load_u8(q, 6) != kProtoIcmpv6) return out;
  if (load_u8(q, kIpv6Header) != icmp6_type::kEchoRequest) return out;
  out.src = net::IpAddress::v6(q.subspan(8, 16));
  out.dst = net::IpAddress::v6(q.subspan(24, 16));
  out.id = load_be16(q, kIpv6Header + 4);
  out.seq = load_be16(q, kIpv6Header + 6);
  out.present = true;
  return out;
}

}  // namespace

void build_echo_request(Family fam, std::uint16_t id, std::uint16_t seq, std::size_t datalen, SendStamp stamp,
                        std::vector<std::byte>& out) {
  out.assign(kIcmpHeaderSize + datalen, std::byte{0});
  out[0] = static_cast<std::byte>(fam == Family::kIpv4 ? icmp_type::kEchoRequest : icmp6_type::kEchoRequest);
  out[1] = std::byte{0};
  put_be16(out, 4, id);
  put_be16(out, 6, seq);
  for (std::size_t i = 0; i < datalen; ++i) out[kIcmpHeaderSize + i] = static_cast<std::byte>(expected_data_byte(i));
  if (datalen >= kTimestampSize) {
    put_be64(out, kIcmpHeaderSize, static_cast<std::uint64_t>(stamp.sec));
    put_be64(out, kIcmpHeaderSize + 8, static_cast<std::uint64_t>(stamp.nsec));
  }
  if (fam == Family::kIpv4) {
    // RFC 792: checksum over the whole ICMP message with the checksum field zero.
    put_be16(out, 2, net::internet_checksum(Bytes{out.data(), out.size()}));
  }
}

const char* parse_error_name(ParseError e) noexcept {
  switch (e) {
    case ParseError::kNone: return "ok";
    case ParseError::kTruncated: return "truncated";
    case ParseError::kBadIpVersion: return "bad ip version";
    case ParseError::kBadIpHeaderLength: return "bad ip header length";
    case ParseError::kNotIcmp: return "not icmp";
  }
  return "?";
}

bool is_error_type(Family fam, std::uint8_t type) noexcept {
  if (fam == Family::kIpv4) {
    return type == icmp_type::kDestUnreachable || type == icmp_type::kSourceQuench || type == icmp_type::kRedirect ||
           type == icmp_type::kTimeExceeded || type == icmp_type::kParameterProblem;
  }
  return type >= icmp6_type::kDestUnreachable && type <= icmp6_type::kParameterProblem;
}

Result<IcmpMessage, ParseError> parse_icmp_message(Bytes packet, Family fam, bool with_ip_header) noexcept {
  IcmpMessage m;
  Bytes icmp = packet;
  if (with_ip_header) {
    // RFC 791 §3.1. Only IPv4 raw sockets deliver the header; IPv6 raw sockets never do (RFC 3542 §3).
    if (packet.size() < kIpv4MinHeader) return unexpected(ParseError::kTruncated);
    const std::uint8_t vihl = load_u8(packet, 0);
    if ((vihl >> 4U) != 4) return unexpected(ParseError::kBadIpVersion);
    const std::size_t ihl = static_cast<std::size_t>(vihl & 0x0FU) * 4U;
    if (ihl < kIpv4MinHeader) return unexpected(ParseError::kBadIpHeaderLength);
    if (packet.size() < ihl) return unexpected(ParseError::kTruncated);
    Ipv4Header& h = m.ip;
    h.present = true;
    h.version = 4;
    h.header_len = static_cast<std::uint8_t>(ihl);
    h.tos = load_u8(packet, 1);
    h.total_len = load_be16(packet, 2);
    h.id = load_be16(packet, 4);
    h.flags_frag = load_be16(packet, 6);
    h.ttl = load_u8(packet, 8);
    h.proto = load_u8(packet, 9);
    h.checksum = load_be16(packet, 10);
    h.src = net::IpAddress::v4(packet.subspan(12, 4));
    h.dst = net::IpAddress::v4(packet.subspan(16, 4));
    if (h.proto != kProtoIcmp) return unexpected(ParseError::kNotIcmp);
    std::size_t end = packet.size();
    // Clamp to the total length so trailing bytes never become ICMP data; a total length shorter than
    // the header is ignored (Linux hands raw sockets packets whose length it has already validated).
    if (h.total_len >= ihl && h.total_len < end) end = h.total_len;
    icmp = packet.subspan(ihl, end - ihl);
  }
  if (icmp.size() < kIcmpHeaderSize) return unexpected(ParseError::kTruncated);
  m.icmp = icmp;
  m.data = icmp.subspan(kIcmpHeaderSize);
  m.type = load_u8(icmp, 0);
  m.code = load_u8(icmp, 1);
  m.checksum = load_be16(icmp, 2);
  m.rest = load_be32(icmp, 4);
  if (fam == Family::kIpv4) {
    m.checksum_checked = true;
    m.checksum_ok = net::internet_checksum(icmp) == 0;
  }
  const std::uint8_t reply = fam == Family::kIpv4 ? icmp_type::kEchoReply : icmp6_type::kEchoReply;
  const std::uint8_t request = fam == Family::kIpv4 ? icmp_type::kEchoRequest : icmp6_type::kEchoRequest;
  if (m.type == reply || m.type == request) {
    m.kind = m.type == reply ? MessageKind::kEchoReply : MessageKind::kEchoRequest;
    m.id = load_be16(icmp, 4);
    m.seq = load_be16(icmp, 6);
  } else if (is_error_type(fam, m.type)) {
    m.kind = MessageKind::kError;
    m.quoted = parse_quoted(m.data, fam);
  }
  return m;
}

bool read_send_stamp(Bytes data, SendStamp& out) noexcept {
  if (data.size() < kTimestampSize) return false;
  out.sec = static_cast<std::int64_t>(load_be64(data, 0));
  out.nsec = static_cast<std::int64_t>(load_be64(data, 8));
  return true;
}

long first_wrong_data_byte(Bytes data, std::size_t datalen) noexcept {
  const std::size_t n = data.size() < datalen ? data.size() : datalen;
  for (std::size_t i = kTimestampSize; i < n; ++i) {
    if (load_u8(data, i) != expected_data_byte(i)) return static_cast<long>(i);
  }
  return -1;
}

std::string icmp_error_text(Family fam, std::uint8_t type, std::uint8_t code, std::uint32_t info) {
  char buf[96];
  if (fam == Family::kIpv4) {
    switch (type) {
      case icmp_type::kDestUnreachable: {
        static constexpr const char* kNames[] = {
            "Destination Net Unreachable", "Destination Host Unreachable", "Destination Protocol Unreachable",
            "Destination Port Unreachable", nullptr, "Source Route Failed", "Destination Net Unknown",
            "Destination Host Unknown", "Source Host Isolated", "Destination Net Prohibited",
            "Destination Host Prohibited", "Destination Net Unreachable for Type of Service",
            "Destination Host Unreachable for Type of Service", "Packet filtered", "Precedence Violation",
            "Precedence Cutoff"};
        if (code == 4) {
          std::snprintf(buf, sizeof buf, "Frag needed and DF set (mtu = %u)", static_cast<unsigned>(info));
          return buf;
        }
        if (code < std::size(kNames)) return kNames[code];
        std::snprintf(buf, sizeof buf, "Dest Unreachable, Bad Code: %d", code);
        return buf;
      }
      case icmp_type::kSourceQuench: return "Source Quench";
      case icmp_type::kRedirect: {
        static constexpr const char* kNames[] = {"Redirect Network", "Redirect Host",
                                                 "Redirect Type of Service and Network",
                                                 "Redirect Type of Service and Host"};
        if (code < std::size(kNames)) return kNames[code];
        std::snprintf(buf, sizeof buf, "Redirect, Bad Code: %d", code);
        return buf;
      }
      case icmp_type::kTimeExceeded:
        if (code == 0) return "Time to live exceeded";
        if (code == 1) return "Frag reassembly time exceeded";
        std::snprintf(buf, sizeof buf, "Time exceeded, Bad Code: %d", code);
        return buf;
      case icmp_type::kParameterProblem:
        std::snprintf(buf, sizeof buf, "Parameter problem: pointer = %u", static_cast<unsigned>(info));
        return buf;
      default:
        std::snprintf(buf, sizeof buf, "Bad ICMP type: %d", type);
        return buf;
    }
  }
  switch (type) {
    case icmp6_type::kDestUnreachable: {
      static constexpr const char* kNames[] = {"No route",
                                               "Administratively prohibited",
                                               "Beyond scope of source address",
                                               "Address unreachable",
                                               "Port unreachable",
                                               "Source address failed ingress/egress policy",
                                               "Reject route to destination"};
      if (code < std::size(kNames)) return std::string("Destination unreachable: ") + kNames[code];
      std::snprintf(buf, sizeof buf, "Destination unreachable: Unknown code %d", code);
      return buf;
    }
    case icmp6_type::kPacketTooBig:
      if (code != 0) {
        std::snprintf(buf, sizeof buf, "Packet too big: mtu=%u, code=%d", static_cast<unsigned>(info), code);
      } else {
        std::snprintf(buf, sizeof buf, "Packet too big: mtu=%u", static_cast<unsigned>(info));
      }
      return buf;
    case icmp6_type::kTimeExceeded:
      if (code == 0) return "Time exceeded: Hop limit";
      if (code == 1) return "Time exceeded: Defragmentation failure";
      std::snprintf(buf, sizeof buf, "Time exceeded: code %d", code);
      return buf;
    case icmp6_type::kParameterProblem: {
      const char* what = code == 0 ? "Wrong header field " : code == 1 ? "Unknown header " : code == 2 ? "Unknown option " : nullptr;
      if (what != nullptr) {
        std::snprintf(buf, sizeof buf, "Parameter problem: %sat %u", what, static_cast<unsigned>(info));
      } else {
        std::snprintf(buf, sizeof buf, "Parameter problem: code %d at %u", code, static_cast<unsigned>(info));
      }
      return buf;
    }
    default:
      std::snprintf(buf, sizeof buf, "unknown icmp type: %u", static_cast<unsigned>(type));
      return buf;
  }
}

}  // namespace synscope::ping

// Fuzz target: ping's parse_icmp_message() on what an ICMP socket can hand back (raw IPv4 with the IP
// header, IPv4 ping socket, IPv6 socket), then the helpers the pinger runs on a parsed reply.
// Input: byte 0 picks the socket kind (and the -s size compared against), the rest is the packet.

#include <cstddef>
#include <cstdint>
#include <string>

#include "synscope/net/ip_address.hpp"
#include "synscope/ping/icmp_echo.hpp"
#include "common.hpp"
#include "targets.hpp"

namespace synscope::fuzz {
int icmp_reply_one(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned kind = data[0] % 3U;
  const ping::Family fam = kind == 2 ? ping::Family::kIpv6 : ping::Family::kIpv4;
  const bool with_ip = kind == 0;
  const Bytes packet = as_bytes(data + 1, size - 1);
  const auto parsed = ping::parse_icmp_message(packet, fam, with_ip);
  if (!parsed.has_value()) {
    SYNSCOPE_FUZZ_CHECK(parsed.error() != ping::ParseError::kNone);
    SYNSCOPE_FUZZ_CHECK(ping::parse_error_name(parsed.error()) != nullptr);
    return 0;
  }
  const ping::IcmpMessage& m = *parsed;
  SYNSCOPE_FUZZ_CHECK(within(m.icmp, packet));
  SYNSCOPE_FUZZ_CHECK(within(m.data, m.icmp));
  SYNSCOPE_FUZZ_CHECK(m.icmp.size() >= ping::kIcmpHeaderSize);
  SYNSCOPE_FUZZ_CHECK(m.data.size() + ping::kIcmpHeaderSize == m.icmp.size());
  SYNSCOPE_FUZZ_CHECK(m.ip.present == with_ip);
  if (m.kind == ping::MessageKind::kError) SYNSCOPE_FUZZ_CHECK(ping::is_error_type(fam, m.type));

  ping::SendStamp stamp;
  if (ping::read_send_stamp(m.data, stamp)) SYNSCOPE_FUZZ_CHECK(m.data.size() >= ping::kTimestampSize);
  const std::size_t datalen = (data[0] / 3U) * 7U;
  const long wrong = ping::first_wrong_data_byte(m.data, datalen);
  SYNSCOPE_FUZZ_CHECK(wrong == -1 || (wrong >= static_cast<long>(ping::kTimestampSize) &&
                                      static_cast<std::size_t>(wrong) < m.data.size() && static_cast<std::size_t>(wrong) < datalen));
  const std::string text = ping::icmp_error_text(fam, m.type, m.code, m.rest);
  char addr[net::kMaxAddressText];
  std::size_t n = text.size();
  if (m.quoted.present) {
    n += net::format_address(m.quoted.src, addr);
    n += net::format_address(m.quoted.dst, addr);
  }
  if (m.ip.present) n += net::format_address(m.ip.src, addr);
  keep(n);
  return 0;
}

}  // namespace synscope::fuzz

#pragma once
/// `synscope protocols`: IP protocol numbers (IANA "Assigned Internet Protocol Numbers") and the
/// socket types, each with a line on what it gives a program.

#include <cstdint>
#include <span>
#include <string>

namespace synscope::ping {

struct ProtocolRow {
  std::uint8_t number;
  const char* keyword;     ///< IANA keyword ("ICMP", "IPv6-ICMP")
  const char* constant;    ///< <netinet/in.h> name ("IPPROTO_ICMP"), "" where there is none
  const char* what;
};

struct SocketTypeRow {
  const char* name;        ///< "SOCK_STREAM"
  int value;               ///< its value on Linux
  const char* what;
};

std::span<const ProtocolRow> protocol_table() noexcept;
std::span<const SocketTypeRow> socket_type_table() noexcept;

/// The whole text table printed by `synscope protocols`.
std::string format_protocols();

}  // namespace synscope::ping

#pragma once
/// The teaching view (--explain): which socket call was made and why, what the kernel fills in for each
/// socket type, and a byte-by-byte breakdown of the first reply's IP and ICMP headers.

#include <string>

#include "synscope/ping/icmp_echo.hpp"

namespace synscope::ping {

struct SocketExplainInput {
  Family family = Family::kIpv4;
  bool raw = true;
  int raw_errno = 0;             ///< why raw was refused before the fallback (0 = not tried / worked)
  std::string call;              ///< "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)"
  int fd = -1;
  std::uint16_t ident = 0;       ///< raw: ours; dgram: chosen by the kernel (0 = not known yet)
  std::string source;            ///< source address the kernel will use
  std::string target;
  std::size_t datalen = 0;
  int ttl = -1;
};

/// Several lines (each ending in '\n') describing the socket and what the kernel does for it.
std::string explain_socket(const SocketExplainInput& in);

/// Byte-level breakdown of one received message. `packet` is what recvmsg() returned (with the IPv4
/// header on raw IPv4 sockets); `ttl_from_cmsg` is the TTL/hop limit the kernel reported in a control
/// message (-1 if none).
std::string explain_reply(Bytes packet, const IcmpMessage& m, Family fam, bool raw, int ttl_from_cmsg);

}  // namespace synscope::ping

#pragma once
/// Opening the ICMP socket the way iputils does: a raw socket (needs CAP_NET_RAW) or the unprivileged
/// "ping socket" (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6, allowed by net.ipv4.ping_group_range).

#include <stdexcept>
#include <string>

#include "synscope/ping/icmp_echo.hpp"
#include "synscope/ping/options.hpp"
#include "synscope/ping/unique_fd.hpp"

namespace synscope::ping {

enum class SocketKind : std::uint8_t { kRaw, kDgram };

/// An open ICMP socket and how it was obtained (for --explain).
struct IcmpSocket {
  UniqueFd fd;
  Family family = Family::kIpv4;
  SocketKind kind = SocketKind::kRaw;
  int raw_errno = 0;        ///< errno of a failed raw attempt before falling back (0 = none)
  std::string call;         ///< "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)"
};

/// Raised when no ICMP socket can be had; what() is one line that says why.
class SocketUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Raw first, then the ping socket on EPERM/EACCES (kAuto); or only the one asked for.
/// Throws SocketUnavailable with the reason (CAP_NET_RAW missing, ping_group_range) when none works.
IcmpSocket open_icmp_socket(Family fam, SocketChoice choice);

/// The text of /proc/sys/net/ipv4/ping_group_range with the tab made a space ("1 0"); "" if unreadable.
std::string ping_group_range();

/// Text form of a socket call: "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)".
std::string socket_call_text(Family fam, SocketKind kind);

}  // namespace synscope::ping

#include "synscope/ping/socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace synscope::ping {

std::string ping_group_range() {
  std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
  std::string a;
  std::string b;
  if (!(in >> a >> b)) return "";
  return a + " " + b;
}

std::string socket_call_text(Family fam, SocketKind kind) {
  std::string s = "socket(";
  s += fam == Family::kIpv4 ? "AF_INET, " : "AF_INET6, ";
  s += kind == SocketKind::kRaw ? "SOCK_RAW, " : "SOCK_DGRAM, ";
  s += fam == Family::kIpv4 ? "IPPROTO_ICMP)" : "IPPROTO_ICMPV6)";
  return s;
}

namespace {

int try_socket(Family fam, SocketKind kind) noexcept {
  const int domain = fam == Family::kIpv4 ? AF_INET : AF_INET6;
  const int base = kind == SocketKind::kRaw ? static_cast<int>(SOCK_RAW) : static_cast<int>(SOCK_DGRAM);
  const int type = base | static_cast<int>(SOCK_CLOEXEC);
  const int proto = fam == Family::kIpv4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  return ::socket(domain, type, proto);
}

bool permission_error(int e) noexcept { return e == EPERM || e == EACCES; }

std::string dgram_reason(int e) {
  if (e == EACCES) {
    const std::string range = ping_group_range();
    std::string s = "the ping socket is not allowed for group " + std::to_string(getgid());
    if (!range.empty()) s += " (net.ipv4.ping_group_range is \"" + range + "\")";
    return s;
  }
  return std::string("ping socket: ") + std::strerror(e);
}

std::string raw_reason(int e) {
  if (permission_error(e)) return "the raw socket needs CAP_NET_RAW (" + std::string(std::strerror(e)) + ")";
  return std::string("raw socket: ") + std::strerror(e);
}

}  // namespace

IcmpSocket open_icmp_socket(Family fam, SocketChoice choice) {
  IcmpSocket s;
  s.family = fam;
  if (choice != SocketChoice::kDgram) {
    const int fd = try_socket(fam, SocketKind::kRaw);
    if (fd >= 0) {
      s.fd.reset(fd);
      s.kind = SocketKind::kRaw;
      s.call = socket_call_text(fam, SocketKind::kRaw);
      return s;
    }
    const int e = errno;
    if (choice == SocketChoice::kRaw || !permission_error(e)) {
      throw SocketUnavailable("cannot open " + socket_call_text(fam, SocketKind::kRaw) + ": " + raw_reason(e));
    }
    s.raw_errno = e;
  }
  const int fd = try_socket(fam, SocketKind::kDgram);
  if (fd >= 0) {
    s.fd.reset(fd);
    s.kind = SocketKind::kDgram;
    s.call = socket_call_text(fam, SocketKind::kDgram);
    return s;
  }
  const int e = errno;
  std::string msg = "cannot open an ICMP socket: ";
  if (choice == SocketChoice::kAuto) msg += raw_reason(s.raw_errno) + ", and ";
  msg += dgram_reason(e);
  if (choice == SocketChoice::kAuto && e == EACCES) {
    msg += "; run as root, grant CAP_NET_RAW, or widen net.ipv4.ping_group_range";
  }
  throw SocketUnavailable(msg);
}

}  // namespace synscope::ping

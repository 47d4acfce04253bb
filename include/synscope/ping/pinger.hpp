#pragma once
/// The ping loop: one ICMP socket per host, all hosts driven concurrently by one poll() loop, each with
/// iputils' timing rules (interval, -c, -w deadline, -W linger) and statistics.

#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>
#include <vector>

#include "synscope/net/ip_address.hpp"
#include "synscope/ping/icmp_echo.hpp"
#include "synscope/ping/options.hpp"

namespace synscope::ping {

/// A resolved destination.
struct Target {
  std::string host;              ///< as given
  std::string address;           ///< numeric text
  net::IpAddress ip;
  Family family = Family::kIpv4;
  sockaddr_storage sa{};
  socklen_t salen = 0;
  bool numeric = true;           ///< the user gave an address, not a name
};

/// Resolves `host` (address literal or name) for the family asked; throws std::runtime_error
/// ("NAME: Name or service not known") when it cannot.
Target resolve_target(const std::string& host, FamilyChoice fam);

/// Finds the source address the kernel would use (a UDP connect(), as iputils does); throws
/// std::system_error ("connect: Network is unreachable") when there is no route.
std::string source_address_for(const Target& t);

/// Runs ICMP echo ping for every host in `opts`; prints to `out` (and warnings to `err`).
/// Returns the exit code (0 every host answered, 1 some did not, 2 errors). Throws SocketUnavailable,
/// std::system_error or std::runtime_error on setup failures.
int run_icmp_ping(const PingOptions& opts, std::FILE* out, std::FILE* err);

/// Ctrl-C support: installs a SIGINT/SIGTERM handler for the lifetime of the object that makes the loops
/// stop, print their statistics and exit like iputils.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  /// True once SIGINT/SIGTERM arrived.
  static bool interrupted() noexcept;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// Monotonic and wall clocks in nanoseconds.
std::int64_t mono_ns() noexcept;
std::int64_t wall_ns() noexcept;

}  // namespace synscope::ping

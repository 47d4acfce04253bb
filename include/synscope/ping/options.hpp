#pragma once
/// Options of `synscope ping`, named after iputils' flags, and their validation.

#include <cstdint>
#include <string>
#include <vector>

namespace synscope::ping {

enum class SocketChoice : std::uint8_t { kAuto, kRaw, kDgram };
enum class FamilyChoice : std::uint8_t { kAny, kIpv4, kIpv6 };

struct PingOptions {
  std::vector<std::string> hosts;
  std::int64_t count = 0;            ///< -c; 0 = until interrupted
  bool count_set = false;            ///< -c was given (then it must be at least 1, as in iputils)
  double interval_s = 1.0;           ///< -i
  bool interval_set = false;
  double linger_s = 10.0;            ///< -W: how long to wait for a reply after the last probe (iputils' MAXWAIT)
  bool linger_set = false;
  std::int64_t deadline_s = 0;       ///< -w; 0 = none
  std::int64_t datalen = 56;         ///< -s
  int ttl = -1;                      ///< -t; -1 = kernel default
  bool quiet = false;                ///< -q
  bool timestamps = false;           ///< -D
  bool outstanding = false;          ///< -O
  bool json = false;
  bool explain = false;
  FamilyChoice family = FamilyChoice::kAny;
  SocketChoice socket = SocketChoice::kAuto;
  int tcp_port = -1;                 ///< --tcp PORT; -1 = ICMP echo
};

/// Largest -s: 65535 - 20 (IPv4 header) - 8 (ICMP header).
inline constexpr std::int64_t kMaxDatalen = 65507;
/// Shortest interval for users without privileges (iputils: 200 ms), and for anyone (1 ms).
inline constexpr double kMinUserInterval = 0.2;
inline constexpr double kMinInterval = 0.001;
/// Longest -i / -W: INT_MAX milliseconds, as iputils.
inline constexpr double kMaxSeconds = 2147483.0;

/// Checks every value; returns "" when usable, else a one-line reason ("bad timing interval: -1").
/// `privileged` allows intervals below 0.2 s (root, like iputils).
std::string validate(const PingOptions& o, bool privileged);

/// Parses "raw" / "dgram" / "auto"; false on anything else.
bool parse_socket_choice(const std::string& text, SocketChoice& out) noexcept;

}  // namespace synscope::ping

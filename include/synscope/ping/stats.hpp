#pragma once
/// Ping statistics kept the way iputils keeps them (ping_common.c: gather_statistics, finish), and the
/// text it prints: reply times, the "--- HOST ping statistics ---" block, the exit code.

#include <cstdint>
#include <limits>
#include <string>

namespace synscope::ping {

struct PingStats {
  std::int64_t transmitted = 0;
  std::int64_t received = 0;      ///< distinct sequence numbers answered (duplicates not included)
  std::int64_t duplicates = 0;
  std::int64_t corrupted = 0;     ///< replies with a bad checksum
  std::int64_t errors = 0;        ///< ICMP errors about our probes, plus local send errors
  bool timing = false;            ///< RTTs are measured (payload holds the send time)
  std::int64_t tsum_us = 0;       ///< sums over every timed reply, duplicates included (iputils)
  std::int64_t tsum2_us = 0;
  std::int64_t tmin_us = std::numeric_limits<std::int64_t>::max();
  std::int64_t tmax_us = 0;

  /// Records one reply's round-trip time in microseconds (iputils' integer unit).
  void add_rtt(std::int64_t us) noexcept;
  /// Replies that contributed an RTT: received + duplicates.
  [[nodiscard]] std::int64_t rtt_count() const noexcept { return received + duplicates; }
  [[nodiscard]] std::int64_t avg_us() const noexcept;
  /// iputils' mdev: sqrt(E[t^2] - E[t]^2) in integer microseconds (the population standard deviation,
  /// duplicates included), computed in iputils' order to round the same way.
  [[nodiscard]] std::int64_t mdev_us() const noexcept;
  /// Packet loss in percent as iputils prints it with %g.
  [[nodiscard]] double loss_percent() const noexcept;
};

/// Integer square root by Newton's method, as iputils' llsqrt().
std::int64_t isqrt(std::int64_t a) noexcept;

/// The "time=…" value of a reply line: 3 decimals below 1 ms… 0 decimals from 100 ms (iputils).
std::string format_reply_time(std::int64_t us);

/// The statistics block without the leading blank line:
///   --- HOST ping statistics ---
///   N packets transmitted, M received[, +D duplicates][, +C corrupted][, +E errors], X% packet loss, time Tms
///   rtt min/avg/max/mdev = a/b/c/d ms          (only when something was received and timed)
std::string format_statistics(const std::string& host, const PingStats& s, std::int64_t elapsed_ms);

/// iputils' exit rule: 1 when nothing was received, or when a deadline (-w) was given and fewer than
/// -c replies came; otherwise 0.
int exit_code(const PingStats& s, bool deadline_set, std::int64_t count) noexcept;

/// Microseconds as "1.234" (milliseconds with 3 decimals), for JSON.
std::string us_to_ms_text(std::int64_t us);

}  // namespace synscope::ping

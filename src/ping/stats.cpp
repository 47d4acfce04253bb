#include "synscope/ping/stats.hpp"

#include <cinttypes>
#include <cstdio>

namespace synscope::ping {

void PingStats::add_rtt(std::int64_t us) noexcept {
  timing = true;
  tsum_us += us;
  tsum2_us += us * us;
  if (us < tmin_us) tmin_us = us;
  if (us > tmax_us) tmax_us = us;
}

std::int64_t PingStats::avg_us() const noexcept {
  const std::int64_t total = rtt_count();
  return total > 0 ? tsum_us / total : 0;
}

std::int64_t isqrt(std::int64_t a) noexcept {
  std::int64_t prev = std::numeric_limits<std::int64_t>::max();
  std::int64_t x = a;
  if (x > 0) {
    while (x < prev) {
      prev = x;
      x = (x + (a / x)) / 2;
    }
  }
  return x;
}

std::int64_t PingStats::mdev_us() const noexcept {
  const std::int64_t total = rtt_count();
  if (total <= 0) return 0;
  std::int64_t var = 0;
  // iputils ping_common.c finish(): this order avoids rounding errors for small times.
  if (tsum_us < std::numeric_limits<int>::max()) {
    var = (tsum2_us - (tsum_us * tsum_us) / total) / total;
  } else {
    const std::int64_t avg = tsum_us / total;
    var = tsum2_us / total - avg * avg;
  }
  return isqrt(var);
}

double PingStats::loss_percent() const noexcept {
  if (transmitted <= 0) return 0.0;
  // iputils prints a float, so compute in float precision for identical %g output.
  return static_cast<double>(static_cast<float>(static_cast<double>(transmitted - received) * 100.0 /
                                                static_cast<double>(transmitted)));
}

std::string format_reply_time(std::int64_t t) {
  char buf[64];
  if (t >= 100000 - 50) {
    std::snprintf(buf, sizeof buf, "%" PRId64, (t + 500) / 1000);
  } else if (t >= 10000 - 5) {
    std::snprintf(buf, sizeof buf, "%" PRId64 ".%01" PRId64, (t + 50) / 1000, ((t + 50) % 1000) / 100);
  } else if (t >= 1000) {
    std::snprintf(buf, sizeof buf, "%" PRId64 ".%02" PRId64, (t + 5) / 1000, ((t + 5) % 1000) / 10);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, t / 1000, t % 1000);
  }
  return buf;
}

std::string us_to_ms_text(std::int64_t us) {
  char buf[48];
  const char* sign = us < 0 ? "-" : "";
  const std::int64_t a = us < 0 ? -us : us;
  std::snprintf(buf, sizeof buf, "%s%" PRId64 ".%03" PRId64, sign, a / 1000, a % 1000);
  return buf;
}

std::string format_statistics(const std::string& host, const PingStats& s, std::int64_t elapsed_ms) {
  std::string out = "--- " + host + " ping statistics ---\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%" PRId64 " packets transmitted, %" PRId64 " received", s.transmitted, s.received);
  out += buf;
  if (s.duplicates != 0) {
    std::snprintf(buf, sizeof buf, ", +%" PRId64 " duplicates", s.duplicates);
    out += buf;
  }
  if (s.corrupted != 0) {
    std::snprintf(buf, sizeof buf, ", +%" PRId64 " corrupted", s.corrupted);
    out += buf;
  }
  if (s.errors != 0) {
    std::snprintf(buf, sizeof buf, ", +%" PRId64 " errors", s.errors);
    out += buf;
  }
  if (s.transmitted != 0) {
    std::snprintf(buf, sizeof buf, ", %g%% packet loss, time %" PRId64 "ms", s.loss_percent(), elapsed_ms);
    out += buf;
  }
  out += '\n';
  if (s.received != 0 && s.timing) {
    const std::int64_t avg = s.avg_us();
    const std::int64_t mdev = s.mdev_us();
    std::snprintf(buf, sizeof buf,
                  "rtt min/avg/max/mdev = %" PRId64 ".%03" PRId64 "/%" PRId64 ".%03" PRId64 "/%" PRId64 ".%03" PRId64
                  "/%" PRId64 ".%03" PRId64 " ms\n",
                  s.tmin_us / 1000, s.tmin_us % 1000, avg / 1000, avg % 1000, s.tmax_us / 1000, s.tmax_us % 1000,
                  mdev / 1000, mdev % 1000);
    out += buf;
  }
  return out;
}

int exit_code(const PingStats& s, bool deadline_set, std::int64_t count) noexcept {
  if (s.received == 0) return 1;
  if (deadline_set && count > 0 && s.received < count) return 1;
  return 0;
}

}  // namespace synscope::ping

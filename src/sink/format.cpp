// Small formatting helpers shared by the sinks.

#include <cinttypes>
#include <cstdio>
#include <string>

#include "synscope/sink/sink.hpp"

namespace synscope::sink {

std::size_t format_tcp_flags(std::uint16_t flags, char* out) noexcept {
  // tcpdump's print-tcp.c table order.
  struct Bit {
    std::uint16_t bit;
    char ch;
  };
  static constexpr Bit kBits[] = {{decode::tcp_flag::kFin, 'F'}, {decode::tcp_flag::kSyn, 'S'},
                                  {decode::tcp_flag::kRst, 'R'}, {decode::tcp_flag::kPsh, 'P'},
                                  {decode::tcp_flag::kAck, '.'}, {decode::tcp_flag::kUrg, 'U'},
                                  {decode::tcp_flag::kEce, 'E'}, {decode::tcp_flag::kCwr, 'W'},
                                  {decode::tcp_flag::kAe, 'e'}};
  std::size_t n = 0;
  for (const Bit& b : kBits) {
    if ((flags & b.bit) != 0) out[n++] = b.ch;
  }
  if (n == 0) {
    const char* none = "none";
    for (; none[n] != '\0'; ++n) out[n] = none[n];
  }
  out[n] = '\0';
  return n;
}

std::size_t format_epoch_ns(std::int64_t ts_ns, char* out) noexcept {
  const bool neg = ts_ns < 0;
  const std::uint64_t mag = neg ? static_cast<std::uint64_t>(-(ts_ns + 1)) + 1U : static_cast<std::uint64_t>(ts_ns);
  const int n = std::snprintf(out, 32, "%s%" PRIu64 ".%09" PRIu64, neg ? "-" : "", mag / 1'000'000'000U,
                              mag % 1'000'000'000U);
  return n > 0 ? static_cast<std::size_t>(n) : 0U;
}

std::string format_duration(std::int64_t ns, bool ascii) {
  char buf[48];
  const double v = static_cast<double>(ns);
  if (ns < 0) return "-";
  if (ns < 1'000) {
    std::snprintf(buf, sizeof buf, "%" PRId64 " ns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, ns < 10'000 ? "%.1f %s" : "%.0f %s", v / 1e3, ascii ? "us" : "\xC2\xB5s");
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, ns < 10'000'000 ? "%.2f ms" : "%.1f ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", v / 1e9);
  }
  return buf;
}

}  // namespace synscope::sink

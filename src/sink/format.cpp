// Small formatting helpers shared by the sinks.

#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include "synscope/sink/sink.hpp"
#include "synscope/sink/writer.hpp"

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
  std::size_t n = 0;
  if (neg) out[n++] = '-';
  n += detail::format_u64(mag / 1'000'000'000U, out + n);
  out[n++] = '.';
  detail::format_digits(mag % 1'000'000'000U, 9, out + n);
  n += 9;
  out[n] = '\0';
  return n;
}

namespace {

/// The printf fallback of format_duration (and its definition: the fast path must print the same).
std::size_t format_duration_printf(std::int64_t ns, bool ascii, char* out) noexcept {
  const double v = static_cast<double>(ns);
  int n = 0;
  if (ns < 1'000) {
    n = std::snprintf(out, kMaxDurationText, "%" PRId64 " ns", ns);
  } else if (ns < 1'000'000) {
    n = std::snprintf(out, kMaxDurationText, ns < 10'000 ? "%.1f %s" : "%.0f %s", v / 1e3, ascii ? "us" : "\xC2\xB5s");
  } else if (ns < 1'000'000'000) {
    n = std::snprintf(out, kMaxDurationText, ns < 10'000'000 ? "%.2f ms" : "%.1f ms", v / 1e6);
  } else {
    n = std::snprintf(out, kMaxDurationText, "%.3f s", v / 1e9);
  }
  return n > 0 ? static_cast<std::size_t>(n) : 0U;
}

#ifdef __SIZEOF_INT128__
/// For u < 2^53 (exact as a double) and 10^k: whether the double nearest u / 10^k (what printf is given)
/// lies above (+1), below (-1) or exactly on (0) the true quotient. Exact: with d = M * 2^E (M an integer
/// below 2^53), compare M * 10^k with u * 2^-E in 128 bits. (Without 128-bit integers ties go to printf.)
#define SYNSCOPE_EXACT_TIES 1
int tie_direction(std::uint64_t u, std::uint64_t pow10k) noexcept {
  __extension__ using U128 = unsigned __int128;
  const double d = static_cast<double>(u) / static_cast<double>(pow10k);
  int e = 0;
  const double f = std::frexp(d, &e);  // d = f * 2^e, 0.5 <= f < 1
  const auto m = static_cast<std::uint64_t>(std::ldexp(f, 53));  // exact: d has 53 significant bits
  // d = m * 2^-shift with 9 <= shift <= 52: 1 <= d < 2^44 for u < 2^53 and 10^k >= 1000 (each unit's
  // range starts at 10^k), so u << shift stays below 2^105.
  const auto shift = static_cast<unsigned>(53 - e);
  const U128 lhs = static_cast<U128>(m) * pow10k;
  const U128 rhs = static_cast<U128>(u) << shift;
  return lhs > rhs ? 1 : lhs < rhs ? -1 : 0;
}
#endif

/// format_duration() for one unit and number of decimals: u / 10^k rounded to kDecimals places, where
/// kDivisor = 10^(k - kDecimals). Every division is by a constant (a multiply and a shift; the
/// variable divisors of one shared path cost ~5 hardware divisions per duration, 3 durations per row
/// of the connection table). -1 sends the caller to printf.
template <std::uint64_t kPow10k, std::uint64_t kDivisor, unsigned kDecimals>
std::ptrdiff_t format_scaled(std::uint64_t u, const char* unit, std::size_t unit_len, char* out) noexcept {
  const std::uint64_t rem = u % kDivisor;
  std::uint64_t q = u / kDivisor;
  if (rem * 2 > kDivisor) {
    ++q;
  } else if (rem * 2 == kDivisor) {
    // Halfway (common: µs timestamps make 1.2345 ms): printf sees the double nearest u / 10^k.
#ifdef SYNSCOPE_EXACT_TIES
    const int dir = tie_direction(u, kPow10k);
    q += (dir > 0 || (dir == 0 && (q & 1U) != 0)) ? 1U : 0U;  // an exact tie rounds to even
#else
    return -1;
#endif
  }
  constexpr std::uint64_t kScale = kDecimals == 0 ? 1 : kDecimals == 1 ? 10 : kDecimals == 2 ? 100 : 1000;
  std::size_t n = detail::format_u64(q / kScale, out);
  if constexpr (kDecimals > 0) {
    out[n++] = '.';
    detail::format_digits(q % kScale, kDecimals, out + n);
    n += kDecimals;
  }
  std::memcpy(out + n, unit, unit_len);
  n += unit_len;
  out[n] = '\0';
  return static_cast<std::ptrdiff_t>(n);
}

}  // namespace

std::size_t format_duration(std::int64_t ns, bool ascii, char* out) noexcept {
  if (ns < 0) {
    out[0] = '-';
    out[1] = '\0';
    return 1;
  }
  const auto u = static_cast<std::uint64_t>(ns);
  if (u < 1'000) {
    const std::size_t n = detail::format_u64(u, out);
    std::memcpy(out + n, " ns", 4);
    return n + 3;
  }
  // printf rounds the double ns / 10^k to `decimals` places. Rounding the exact quotient with integers
  // gives the same digits unless the quotient lies exactly halfway (the double's representation error
  // then decides: tie_direction()) or ns is too large for that error to stay below one unit of the last
  // place (2^53): those go to printf itself.
  if (u >= (std::uint64_t{1} << 53U)) return format_duration_printf(ns, ascii, out);
  std::ptrdiff_t n = 0;
  if (u < 1'000'000) {
    const char* unit = ascii ? " us" : " \xC2\xB5s";
    const std::size_t unit_len = ascii ? 3 : 4;
    n = u < 10'000 ? format_scaled<1'000, 100, 1>(u, unit, unit_len, out) : format_scaled<1'000, 1'000, 0>(u, unit, unit_len, out);
  } else if (u < 1'000'000'000) {
    n = u < 10'000'000 ? format_scaled<1'000'000, 10'000, 2>(u, " ms", 3, out)
                       : format_scaled<1'000'000, 100'000, 1>(u, " ms", 3, out);
  } else {
    n = format_scaled<1'000'000'000, 1'000'000, 3>(u, " s", 2, out);
  }
  return n < 0 ? format_duration_printf(ns, ascii, out) : static_cast<std::size_t>(n);
}

std::string format_duration(std::int64_t ns, bool ascii) {
  char buf[kMaxDurationText];
  return {buf, format_duration(ns, ascii, buf)};
}

}  // namespace synscope::sink

#pragma once
/// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4: "all arithmetic dealing with sequence
/// numbers must be performed modulo 2**32"). Never compare sequence numbers with `<`.

#include <cstdint>

namespace synscope::track {

/// Signed distance from `b` to `a` in sequence space (Zeek's seq_delta, libtins' seq_compare).
constexpr std::int32_t seq_delta(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b);
}
/// a comes before b in sequence space.
constexpr bool seq_lt(std::uint32_t a, std::uint32_t b) noexcept { return seq_delta(a, b) < 0; }
constexpr bool seq_le(std::uint32_t a, std::uint32_t b) noexcept { return seq_delta(a, b) <= 0; }
constexpr bool seq_gt(std::uint32_t a, std::uint32_t b) noexcept { return seq_delta(a, b) > 0; }
constexpr bool seq_ge(std::uint32_t a, std::uint32_t b) noexcept { return seq_delta(a, b) >= 0; }
/// lo <= x <= hi in sequence space (Zeek's seq_between).
constexpr bool seq_between(std::uint32_t x, std::uint32_t lo, std::uint32_t hi) noexcept {
  return seq_le(lo, x) && seq_le(x, hi);
}

}  // namespace synscope::track

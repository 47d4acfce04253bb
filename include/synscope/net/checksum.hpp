#pragma once
/// RFC 1071 Internet checksum, shared by the decoder (verification) and the ping module (generation).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "synscope/core/bytes.hpp"

namespace synscope::net {

/// Adds `data` to a running one's-complement sum (not yet folded). Odd lengths pad with a zero byte.
std::uint32_t checksum_add(std::uint32_t sum, Bytes data) noexcept;

/// checksum_add() of `n` bytes at `p` where n is a multiple of 4 (an IPv4 header, addresses of a
/// pseudo-header): inline, one 32-bit load per word. The decoder runs it on every IPv4 packet, where the
/// general function's loop set-up and tail tests cost more than the sum itself.
inline std::uint32_t checksum_add_words(std::uint32_t sum, const std::byte* p, std::size_t n) noexcept {
  // RFC 1071 §2(B): summed in host order, swapped to network order once (see checksum.cpp).
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    std::uint32_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    acc += w;
  }
  acc = (acc & 0xFFFFFFFFU) + (acc >> 32U);
  acc = (acc & 0xFFFFFFFFU) + (acc >> 32U);
  auto part = static_cast<std::uint32_t>(acc);
  part = (part & 0xFFFFU) + (part >> 16U);
  part = (part & 0xFFFFU) + (part >> 16U);
  if constexpr (std::endian::native == std::endian::little) part = ((part & 0xFFU) << 8U) | (part >> 8U);
  const std::uint64_t total = std::uint64_t{sum} + part;
  return static_cast<std::uint32_t>((total & 0xFFFFFFFFU) + (total >> 32U));
}

/// Folds a running sum to 16 bits and complements it: the value to put in a checksum field,
/// or 0 when verifying a region that already contains a correct checksum.
std::uint16_t checksum_fold(std::uint32_t sum) noexcept;

/// Checksum of one buffer.
inline std::uint16_t internet_checksum(Bytes data) noexcept { return checksum_fold(checksum_add(0, data)); }

}  // namespace synscope::net

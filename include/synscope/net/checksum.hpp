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

/// The one's-complement sum of `data` in host byte order, not folded (RFC 1071 §2(B): the sum does not
/// depend on byte order), for a caller that adds more words and folds once: checksum_verifies_native().
/// A big-endian 16-bit value v counts as std::byteswap-ed v here on a little-endian host.
std::uint64_t native_sum(Bytes data) noexcept;

namespace detail {
/// Host-order sum of the 32-bit words of `n` bytes at `p` (n a multiple of 4, at most a few hundred).
inline std::uint64_t sum_words(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    std::uint32_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    acc += w;
  }
  return acc;
}
/// A 64-bit one's-complement sum folded to 16 bits (end-around carries added back).
inline std::uint32_t fold16(std::uint64_t acc) noexcept {
  acc = (acc & 0xFFFFFFFFU) + (acc >> 32U);
  acc = (acc & 0xFFFFFFFFU) + (acc >> 32U);
  auto part = static_cast<std::uint32_t>(acc);
  part = (part & 0xFFFFU) + (part >> 16U);
  part = (part & 0xFFFFU) + (part >> 16U);
  return part;
}
/// A host-order sum folded to 16 bits and put in network order (RFC 1071 §2(B): the one's-complement
/// sum does not depend on the byte order, so only the folded result is swapped).
inline std::uint32_t fold_to_network(std::uint64_t acc) noexcept {
  std::uint32_t part = fold16(acc);
  if constexpr (std::endian::native == std::endian::little) part = ((part & 0xFFU) << 8U) | (part >> 8U);
  return part;
}
/// Adds a 16-bit partial to a running sum, keeping it below 2^32 (callers chain many).
inline std::uint32_t add_partial(std::uint32_t sum, std::uint32_t part) noexcept {
  const std::uint64_t total = std::uint64_t{sum} + part;
  return static_cast<std::uint32_t>((total & 0xFFFFFFFFU) + (total >> 32U));
}
}  // namespace detail

/// checksum_add() of `n` bytes at `p` where n is a multiple of 4 (an IPv4 header): inline, one 32-bit
/// load per word. (The decoder sums headers with detail::sum_words() and folds once: checksum_verifies_native().)
inline std::uint32_t checksum_add_words(std::uint32_t sum, const std::byte* p, std::size_t n) noexcept {
  return detail::add_partial(sum, detail::fold_to_network(detail::sum_words(p, n)));
}

/// The pseudo-header's protocol and upper-layer length (RFC 9293 §3.1, RFC 8200 §8.1) as they count in a
/// host-order sum (native_sum()): each a big-endian 16-bit word. Add the addresses' detail::sum_words().
constexpr std::uint64_t native_pseudo_tail(std::uint8_t proto, std::uint32_t l4_len) noexcept {
  auto word = [](std::uint32_t v) -> std::uint64_t {
    if constexpr (std::endian::native == std::endian::little) return ((v & 0xFFU) << 8U) | ((v >> 8U) & 0xFFU);
    return v & 0xFFFFU;
  };
  return word(proto) + word(l4_len >> 16U) + word(l4_len & 0xFFFFU);
}

/// Folds a running sum to 16 bits and complements it: the value to put in a checksum field,
/// or 0 when verifying a region that already contains a correct checksum.
inline std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
  sum = (sum & 0xFFFFU) + (sum >> 16U);
  sum = (sum & 0xFFFFU) + (sum >> 16U);
  return static_cast<std::uint16_t>(~sum & 0xFFFFU);
}

/// Checksum of one buffer.
inline std::uint16_t internet_checksum(Bytes data) noexcept { return checksum_fold(checksum_add(0, data)); }

/// True when a host-order sum over a region that includes its checksum field (and the pseudo-header, if
/// any) folds to all ones: the checksum is right.
inline bool checksum_verifies_native(std::uint64_t native) noexcept { return detail::fold16(native) == 0xFFFFU; }

}  // namespace synscope::net

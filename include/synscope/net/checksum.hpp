#pragma once
/// RFC 1071 Internet checksum, shared by the decoder (verification) and the ping module (generation).

#include <cstdint>

#include "synscope/core/bytes.hpp"

namespace synscope::net {

/// Adds `data` to a running one's-complement sum (not yet folded). Odd lengths pad with a zero byte.
std::uint32_t checksum_add(std::uint32_t sum, Bytes data) noexcept;

/// Folds a running sum to 16 bits and complements it: the value to put in a checksum field,
/// or 0 when verifying a region that already contains a correct checksum.
std::uint16_t checksum_fold(std::uint32_t sum) noexcept;

/// Checksum of one buffer.
inline std::uint16_t internet_checksum(Bytes data) noexcept { return checksum_fold(checksum_add(0, data)); }

}  // namespace synscope::net

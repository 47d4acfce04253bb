#pragma once
/// Byte views and checked big-endian loads. Wire fields are never read by casting to a struct.

#include <cstddef>
#include <cstdint>
#include <span>

namespace synscope {

using Bytes = std::span<const std::byte>;

/// The byte at `off` as an unsigned integer. Caller has proved `off < b.size()`.
constexpr std::uint8_t load_u8(Bytes b, std::size_t off) noexcept {
  return std::to_integer<std::uint8_t>(b[off]);
}
constexpr std::uint16_t load_be16(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(b[off]) << 8U | std::to_integer<unsigned>(b[off + 1]));
}
constexpr std::uint32_t load_be32(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(load_be16(b, off)) << 16U | load_be16(b, off + 2);
}
constexpr std::uint16_t load_le16(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(b[off]) | std::to_integer<unsigned>(b[off + 1]) << 8U);
}
constexpr std::uint32_t load_le32(Bytes b, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(load_le16(b, off)) | static_cast<std::uint32_t>(load_le16(b, off + 2)) << 16U;
}

/// View a char/uint8 buffer as bytes.
inline Bytes as_bytes(const void* data, std::size_t n) noexcept {
  return {static_cast<const std::byte*>(data), n};
}

}  // namespace synscope

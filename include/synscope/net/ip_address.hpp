#pragma once
/// An IPv4 or IPv6 address held by value (copied out of a frame, so it outlives the capture buffer).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace synscope::net {

struct IpAddress {
  std::uint8_t version = 0;  ///< 4 or 6; 0 = unset
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 uses the first 4

  static IpAddress v4(std::span<const std::byte> b4) noexcept;
  static IpAddress v6(std::span<const std::byte> b16) noexcept;
  static IpAddress v4(std::uint32_t host_order) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return version == 6 ? 16U : 4U; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

/// Longest text form: IPv6 with embedded IPv4, plus NUL.
inline constexpr std::size_t kMaxAddressText = 46;

/// Writes the RFC 5952 text form (IPv6 compressed, lower case) into `out`; returns the length.
/// No allocation; `out` must hold kMaxAddressText chars.
std::size_t format_address(const IpAddress& a, char* out) noexcept;

/// Parses dotted-quad or RFC 4291 text. Returns false on bad input.
bool parse_address(const char* text, IpAddress& out) noexcept;

}  // namespace synscope::net

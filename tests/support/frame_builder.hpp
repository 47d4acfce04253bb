#pragma once
/// Test helpers for literal frames: hex text to bytes, a small appender for frames built in loops, and an
/// independent (deliberately naive, 16 bits at a time) RFC 1071 checksum to fix up generated headers.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "synscope/core/bytes.hpp"

namespace synscope::test {

using Frame = std::vector<std::byte>;

/// Bytes from hex pairs; whitespace between pairs is ignored. Each string is one line of a literal frame.
Frame hex(std::initializer_list<std::string_view> lines);

/// A view of a frame, optionally cut to its first `n` bytes (the caplen of a truncated capture).
inline Bytes view(const Frame& f) noexcept { return {f.data(), f.size()}; }
inline Bytes view(const Frame& f, std::size_t n) noexcept { return {f.data(), n < f.size() ? n : f.size()}; }

/// Appends fields in network byte order.
class FrameBuilder {
 public:
  FrameBuilder& u8(unsigned v);
  FrameBuilder& be16(unsigned v);
  FrameBuilder& be32(std::uint32_t v);
  FrameBuilder& bytes(const Frame& f);
  FrameBuilder& zeros(std::size_t n);
  [[nodiscard]] std::size_t size() const noexcept { return frame_.size(); }
  [[nodiscard]] const Frame& frame() const noexcept { return frame_; }
  Frame& frame() noexcept { return frame_; }

 private:
  Frame frame_;
};

void put_be16(Frame& f, std::size_t off, unsigned v);

/// Naive reference checksum: sum of big-endian 16-bit words, folded and complemented.
std::uint16_t reference_checksum(const Frame& f, std::size_t off, std::size_t len, std::uint32_t start = 0);

/// Sets an IPv4 header's total length (to the end of the frame) and header checksum.
void finish_ipv4(Frame& f, std::size_t ip_off);
/// Sets an IPv6 header's payload length to the end of the frame.
void finish_ipv6(Frame& f, std::size_t ip_off);
/// Sets the TCP (6), UDP (17), ICMP (1) or ICMPv6 (58) checksum of the segment at l4_off (to the end of the
/// frame), with the pseudo-header of the IP header at ip_off (final destination = that header's dst).
void finish_l4(Frame& f, std::size_t ip_off, std::size_t l4_off, std::uint8_t proto);

}  // namespace synscope::test

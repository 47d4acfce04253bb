#include "support/frame_builder.hpp"

#include <stdexcept>
#include <string>

namespace synscope::test {

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Frame hex(std::initializer_list<std::string_view> lines) {
  Frame out;
  for (std::string_view line : lines) {
    int hi = -1;
    for (char c : line) {
      if (c == ' ' || c == '\t' || c == '\n') continue;
      const int v = nibble(c);
      if (v < 0) throw std::invalid_argument("bad hex digit in literal frame: " + std::string(line));
      if (hi < 0) {
        hi = v;
      } else {
        out.push_back(static_cast<std::byte>(hi << 4 | v));
        hi = -1;
      }
    }
    if (hi >= 0) throw std::invalid_argument("odd number of hex digits: " + std::string(line));
  }
  return out;
}

FrameBuilder& FrameBuilder::u8(unsigned v) {
  frame_.push_back(static_cast<std::byte>(v & 0xFFU));
  return *this;
}
FrameBuilder& FrameBuilder::be16(unsigned v) { return u8(v >> 8U).u8(v); }
FrameBuilder& FrameBuilder::be32(std::uint32_t v) { return be16(v >> 16U).be16(v & 0xFFFFU); }
FrameBuilder& FrameBuilder::bytes(const Frame& f) {
  frame_.insert(frame_.end(), f.begin(), f.end());
  return *this;
}
FrameBuilder& FrameBuilder::zeros(std::size_t n) {
  frame_.insert(frame_.end(), n, std::byte{0});
  return *this;
}

void put_be16(Frame& f, std::size_t off, unsigned v) {
  f.at(off) = static_cast<std::byte>((v >> 8U) & 0xFFU);
  f.at(off + 1) = static_cast<std::byte>(v & 0xFFU);
}

std::uint16_t reference_checksum(const Frame& f, std::size_t off, std::size_t len, std::uint32_t start) {
  std::uint64_t sum = start;
  for (std::size_t i = 0; i < len; i += 2) {
    const unsigned hi = std::to_integer<unsigned>(f.at(off + i));
    const unsigned lo = i + 1 < len ? std::to_integer<unsigned>(f.at(off + i + 1)) : 0U;
    sum += hi << 8U | lo;
  }
  while ((sum >> 16U) != 0) sum = (sum & 0xFFFFU) + (sum >> 16U);
  return static_cast<std::uint16_t>(~sum & 0xFFFFU);
}

void finish_ipv4(Frame& f, std::size_t ip_off) {
  const std::size_t hlen = (std::to_integer<std::size_t>(f.at(ip_off)) & 0x0FU) * 4U;
  put_be16(f, ip_off + 2, static_cast<unsigned>(f.size() - ip_off));
  put_be16(f, ip_off + 10, 0);
  put_be16(f, ip_off + 10, reference_checksum(f, ip_off, hlen));
}

void finish_ipv6(Frame& f, std::size_t ip_off) { put_be16(f, ip_off + 4, static_cast<unsigned>(f.size() - ip_off - 40)); }

void finish_l4(Frame& f, std::size_t ip_off, std::size_t l4_off, std::uint8_t proto) {
  const bool v6 = (std::to_integer<unsigned>(f.at(ip_off)) >> 4U) == 6;
  const std::size_t len = f.size() - l4_off;
  const std::size_t field = proto == 6 ? 16U : proto == 17 ? 6U : 2U;
  put_be16(f, l4_off + field, 0);
  if (proto == 17) put_be16(f, l4_off + 4, static_cast<unsigned>(len));
  std::uint32_t start = 0;
  if (proto != 1) {
    const std::size_t alen = v6 ? 16U : 4U;
    const std::size_t src = ip_off + (v6 ? 8U : 12U);
    for (std::size_t i = 0; i < 2 * alen; i += 2) {
      start += std::to_integer<unsigned>(f.at(src + i)) << 8U | std::to_integer<unsigned>(f.at(src + i + 1));
    }
    start += proto;
    start += static_cast<std::uint32_t>(len >> 16U) + static_cast<std::uint32_t>(len & 0xFFFFU);
  }
  std::uint16_t c = reference_checksum(f, l4_off, len, start);
  if (proto == 17 && c == 0) c = 0xFFFF;  // RFC 768: a computed zero is sent as all ones
  put_be16(f, l4_off + field, c);
}

}  // namespace synscope::test

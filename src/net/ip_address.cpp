#include "synscope/net/ip_address.hpp"

#include <cstring>

namespace synscope::net {

IpAddress IpAddress::v4(std::span<const std::byte> b4) noexcept {
  IpAddress a;
  a.version = 4;
  for (std::size_t i = 0; i < 4 && i < b4.size(); ++i) a.bytes[i] = std::to_integer<std::uint8_t>(b4[i]);
  return a;
}

IpAddress IpAddress::v6(std::span<const std::byte> b16) noexcept {
  IpAddress a;
  a.version = 6;
  for (std::size_t i = 0; i < 16 && i < b16.size(); ++i) a.bytes[i] = std::to_integer<std::uint8_t>(b16[i]);
  return a;
}

IpAddress IpAddress::v4(std::uint32_t host_order) noexcept {
  IpAddress a;
  a.version = 4;
  a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24U);
  a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16U);
  a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8U);
  a.bytes[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

/// Decimal text of each byte value followed by a dot ("7.", "42.", "255."), padded to 4 chars, and its
/// length without the dot: a dotted quad is four fixed-size copies (address formatting is per packet).
struct DecOctet {
  char text[4];
  std::uint8_t len;
};
constexpr auto kDecOctets = [] {
  std::array<DecOctet, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    DecOctet& d = t[v];
    std::size_t n = 0;
    if (v >= 100) d.text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) d.text[n++] = static_cast<char>('0' + (v / 10) % 10);
    d.text[n++] = static_cast<char>('0' + v % 10);
    d.len = static_cast<std::uint8_t>(n);
    d.text[n] = '.';
  }
  return t;
}();

/// Writes up to 16 bytes (the text plus scratch); returns the text length.
std::size_t put_dotted(char* out, const std::uint8_t* b) noexcept {
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    const DecOctet& d = kDecOctets[b[i]];
    std::memcpy(out + n, d.text, 4);
    n += d.len + 1U;
  }
  return n - 1;  // without the last dot
}

std::size_t put_hex16(char* out, unsigned v) noexcept {
  // RFC 5952 §4.1: no leading zeros; §4.3: lower case.
  std::size_t n = 0;
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nib = (v >> static_cast<unsigned>(shift)) & 0xFU;
    if (nib != 0 || started || shift == 0) {
      out[n++] = kHex[nib];
      started = true;
    }
  }
  return n;
}

}  // namespace

std::size_t format_address(const IpAddress& a, char* out) noexcept {
  if (a.version != 6) {
    const std::size_t n = put_dotted(out, a.bytes.data());
    out[n] = '\0';
    return n;
  }
  unsigned words[8];
  for (std::size_t i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(a.bytes[2 * i]) << 8U | a.bytes[2 * i + 1];

  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first one on a tie.
  int best_base = -1;
  int best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best_base = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_base = -1;

  std::size_t n = 0;
  for (int i = 0; i < 8; ++i) {
    if (best_base >= 0 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) out[n++] = ':';
      continue;
    }
    if (i != 0) out[n++] = ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms print the last 32 bits dotted,
    // as inet_ntop does (RFC 5952 §5).
    if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xFFFFU))) {
      n += put_dotted(out + n, a.bytes.data() + 12);
      out[n] = '\0';
      return n;
    }
    n += put_hex16(out + n, words[i]);
  }
  if (best_base >= 0 && best_base + best_len == 8) out[n++] = ':';
  out[n] = '\0';
  return n;
}

namespace {

bool parse_v4(const char* s, std::uint8_t* out) noexcept {
  for (int part = 0; part < 4; ++part) {
    if (part != 0) {
      if (*s != '.') return false;
      ++s;
    }
    if (*s < '0' || *s > '9') return false;
    unsigned v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
      v = v * 10 + static_cast<unsigned>(*s - '0');
      ++s;
      if (++digits > 3 || v > 255) return false;
    }
    // Like inet_pton: no leading zeros ("01" is rejected, it looks octal).
    if (digits > 1 && s[-digits] == '0') return false;
    out[part] = static_cast<std::uint8_t>(v);
  }
  return *s == '\0';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_v6(const char* s, std::uint8_t* out) noexcept {
  std::uint8_t buf[16] = {};
  int pos = 0;        // bytes written
  int gap = -1;       // byte position of "::"
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    s += 2;
    gap = 0;
    if (*s == '\0') {
      std::memset(out, 0, 16);
      return true;
    }
  }
  while (*s != '\0') {
    if (pos >= 16) return false;
    // An embedded dotted quad may end the address (RFC 4291 §2.2 form 3).
    const char* dot = s;
    while (*dot != '\0' && *dot != ':' && *dot != '.') ++dot;
    if (*dot == '.') {
      if (pos > 12) return false;
      if (!parse_v4(s, buf + pos)) return false;
      pos += 4;
      break;
    }
    unsigned v = 0;
    int digits = 0;
    while (hex_value(*s) >= 0) {
      v = v << 4U | static_cast<unsigned>(hex_value(*s));
      ++s;
      if (++digits > 4) return false;
    }
    if (digits == 0) return false;
    buf[pos++] = static_cast<std::uint8_t>(v >> 8U);
    buf[pos++] = static_cast<std::uint8_t>(v);
    if (*s == ':') {
      ++s;
      if (*s == ':') {
        if (gap >= 0) return false;
        gap = pos;
        ++s;
        if (*s == '\0') break;
      } else if (*s == '\0') {
        return false;  // trailing single colon
      }
    } else if (*s != '\0') {
      return false;
    }
  }
  if (gap >= 0) {
    if (pos == 16) return false;  // "::" must stand for at least one zero word
    const int tail = pos - gap;
    std::memmove(buf + 16 - tail, buf + gap, static_cast<std::size_t>(tail));
    std::memset(buf + gap, 0, static_cast<std::size_t>(16 - tail - gap));
  } else if (pos != 16) {
    return false;
  }
  std::memcpy(out, buf, 16);
  return true;
}

}  // namespace

bool parse_address(const char* text, IpAddress& out) noexcept {
  if (text == nullptr) return false;
  IpAddress a;
  bool is_v6 = false;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p == ':') {
      is_v6 = true;
      break;
    }
  }
  if (is_v6) {
    if (!parse_v6(text, a.bytes.data())) return false;
    a.version = 6;
  } else {
    if (!parse_v4(text, a.bytes.data())) return false;
    a.version = 4;
  }
  out = a;
  return true;
}

}  // namespace synscope::net

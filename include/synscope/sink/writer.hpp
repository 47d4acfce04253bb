#pragma once
/// Buffered output to a file descriptor: no iostreams, no allocation per write, fast integer formatting.
/// Flushes when the buffer fills, on flush(), and in the destructor.
/// The per-call fast paths are inline: a sink's `put("\",\"src\":")` compiles to a few stores, and the
/// slow paths (buffer full, write(2)) live in writer.cpp.

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace synscope::sink {

namespace detail {
/// "00" "01" … "99": two digits per division by 100.
inline constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/// Two digits of `v` < 100.
inline char* put2(char* p, std::uint32_t v) noexcept {
  std::memcpy(p, kDigitPairs + v * 2, 2);
  return p + 2;
}
/// Exactly four digits of `v` < 10^4.
inline char* put4(char* p, std::uint32_t v) noexcept {
  const std::uint32_t hi = v / 100;
  put2(p, hi);
  return put2(p + 2, v - hi * 100);
}
/// Exactly eight digits of `v` < 10^8.
inline char* put8(char* p, std::uint32_t v) noexcept {
  const std::uint32_t hi = v / 10'000;
  put4(p, hi);
  return put4(p + 4, v - hi * 10'000);
}
/// One to four digits of `v` < 10^4, no leading zeros.
inline char* put1to4(char* p, std::uint32_t v) noexcept {
  if (v < 100) {
    if (v < 10) {
      *p = static_cast<char>('0' + v);
      return p + 1;
    }
    return put2(p, v);
  }
  const std::uint32_t hi = v / 100;
  if (hi < 10) {
    *p++ = static_cast<char>('0' + hi);
  } else {
    p = put2(p, hi);
  }
  return put2(p, v - hi * 100);
}
/// The eight decimal digits of `v` < 10^8 as one byte each (0-9, not ASCII), the most significant in the
/// lowest byte: what an 8-byte little-endian store writes in reading order. SWAR: the two four-digit
/// halves, their two-digit pairs and the digits are split by fixed-point multiplications in parallel
/// lanes of one 64-bit word (x * 10486 >> 20 is x / 100 for x < 10^4, x * 103 >> 10 is x / 10 for
/// x < 100), without a branch on the number's length.
inline std::uint64_t digits8(std::uint32_t v) noexcept {
  static_assert(std::endian::native == std::endian::little, "digits8 lays the digits out for little-endian stores");
  const std::uint32_t hi = v / 10'000;
  const std::uint64_t merged = hi | (std::uint64_t{v - hi * 10'000} << 32U);       // 32-bit lanes
  const std::uint64_t top = ((merged * 10486U) >> 20U) & 0x0000007F0000007FULL;      // lane / 100
  const std::uint64_t pairs = ((merged - 100U * top) << 16U) + top;                 // 16-bit lanes
  const std::uint64_t tens = ((pairs * 103U) >> 10U) & 0x000F000F000F000FULL;        // lane / 10
  return tens + ((pairs - 10U * tens) << 8U);                                        // 8-bit lanes
}

/// Digits of a 32-bit value, in one 8-byte store at `p` below 10^8 (from 10^8 on: one or two digits, then
/// an 8-byte store of the other eight), so up to 7 bytes past the digits are written (at most 10 bytes
/// from `p` in all): the room must extend that far. No branch on the length below 10^8 — the lengths of
/// the numbers of a packet line vary from packet to packet.
inline char* put_u32_wide(char* p, std::uint32_t v) noexcept {
  constexpr std::uint64_t kAscii = 0x3030303030303030ULL;
  if (v >= 100'000'000) {
    const std::uint32_t hi = v / 100'000'000;  // 1 to 42
    p = put1to4(p, hi);
    const std::uint64_t d = digits8(v - hi * 100'000'000) + kAscii;
    std::memcpy(p, &d, 8);
    return p + 8;
  }
  const std::uint64_t d = digits8(v);
  // Leading zero digits are the low zero bytes; the last digit always counts (v = 0 prints "0").
  const auto zeros = static_cast<unsigned>(std::countr_zero(d | (std::uint64_t{1} << 56U))) / 8U;
  const std::uint64_t text = (d + kAscii) >> (zeros * 8U);
  std::memcpy(p, &text, 8);
  return p + (8U - zeros);
}

/// Digits of `v` >= 2^32 and < 2^64 / 10^8: a group of up to four digits, then eight.
inline char* put_above_u32(char* p, std::uint64_t v) noexcept {
  const auto top = static_cast<std::uint32_t>(v / 100'000'000);  // below 1845
  return put8(put1to4(p, top), static_cast<std::uint32_t>(v - std::uint64_t{top} * 100'000'000));
}

/// Decimal digits of `v` into `out` (room for 20: bytes past the digits may be written within it, by
/// put_u32_wide()); returns their number.
inline std::size_t format_u64(std::uint64_t v, char* out) noexcept {
  if (v <= 0xFFFF'FFFFU) return static_cast<std::size_t>(put_u32_wide(out, static_cast<std::uint32_t>(v)) - out);
  // Split into eight-digit groups: at most 4 + 8 + 8 digits.
  const std::uint64_t hi = v / 100'000'000;
  const auto lo = static_cast<std::uint32_t>(v - hi * 100'000'000);
  char* p = hi <= 0xFFFF'FFFFU ? put_u32_wide(out, static_cast<std::uint32_t>(hi)) : put_above_u32(out, hi);
  return static_cast<std::size_t>(put8(p, lo) - out);
}

/// Exactly `width` decimal digits of `v` (v < 10^width) into `out`, zero-padded: fractions of a second.
inline void format_digits(std::uint64_t v, unsigned width, char* out) noexcept {
  char* p = out + width;
  while (width > 9) {  // 64-bit steps only above 10^9
    p -= 2;
    put2(p, static_cast<std::uint32_t>(v % 100));
    v /= 100;
    width -= 2;
  }
  auto v32 = static_cast<std::uint32_t>(v);
  while (width >= 2) {
    p -= 2;
    const std::uint32_t q = v32 / 100;
    put2(p, v32 - q * 100);
    v32 = q;
    width -= 2;
  }
  if (width == 1) p[-1] = static_cast<char>('0' + v32 % 10);
}

/// Blanks copied under padded text in one fixed-size store.
inline constexpr char kSpaces[] = "                                ";
inline constexpr std::size_t kMaxPadWidth = sizeof kSpaces - 1;  // 32

/// Characters in UTF-8 `text`: bytes minus continuation bytes (10xxxxxx), eight bytes at a time (a
/// continuation byte has its top bit set and the next one clear). The marks (one bit per byte) are
/// counted by a multiply that adds the eight bytes into the top one: the baseline x86-64 build has no
/// popcnt instruction, and std::popcount was a call into libgcc.
inline std::size_t utf8_length(std::string_view text) noexcept {
  std::size_t cont = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, text.data() + i, 8);
    const std::uint64_t marks = (x & ~(x << 1U) & 0x8080808080808080ULL) >> 7U;  // 0 or 1 per byte
    cont += static_cast<std::size_t>((marks * 0x0101010101010101ULL) >> 56U);
  }
  for (; i < text.size(); ++i) cont += (static_cast<unsigned char>(text[i]) & 0xC0U) == 0x80U ? 1U : 0U;
  return text.size() - cont;
}
}  // namespace detail

/// Unchecked writes into room reserved once with Writer::room(), for a line whose longest form is known.
/// The position is a local pointer the compiler keeps in a register: through the Writer, every byte
/// stored into its buffer (a char store may alias anything) forces it to reload and store its length.
class Cursor {
 public:
  explicit Cursor(char* p) noexcept : p_(p) {}
  [[nodiscard]] char* pos() const noexcept { return p_; }
  /// Keeps `n` bytes written at pos() directly.
  void advance(std::size_t n) noexcept { p_ += n; }
  void put(char c) noexcept { *p_++ = c; }
  void put(std::string_view s) noexcept {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put_u64(std::uint64_t v) noexcept { p_ += detail::format_u64(v, p_); }
  /// Writes up to 7 bytes past the digits (detail::put_u32_wide()): within the 32 bytes of slack
  /// pad_from() needs anyway.
  void put_u32(std::uint32_t v) noexcept { p_ = detail::put_u32_wide(p_, v); }
  /// Exactly six digits of `v` < 10^6, zero-padded (microseconds): one SWAR conversion and one 8-byte store
  /// (two bytes past the digits are written).
  void put_digits6(std::uint32_t v) noexcept {
    const std::uint64_t text = (detail::digits8(v) + 0x3030303030303030ULL) >> 16U;  // the two leading zeros go
    std::memcpy(p_, &text, 8);
    p_ += 6;
  }
  /// Exactly nine digits of `v` < 10^9, zero-padded (nanoseconds); writes up to 8 bytes from the 2nd digit.
  void put_digits9(std::uint32_t v) noexcept {
    const std::uint32_t top = v / 100'000'000;
    *p_++ = static_cast<char>('0' + top);
    const std::uint64_t text = detail::digits8(v - top * 100'000'000) + 0x3030303030303030ULL;
    std::memcpy(p_, &text, 8);
    p_ += 8;
  }
  /// Pads with blanks to `width` what was written since `from`: one fixed-size store when width <= 32
  /// (the room must extend 32 bytes past the padded text).
  void pad_from(const char* from, std::size_t width) noexcept {
    const auto written = static_cast<std::size_t>(p_ - from);
    if (written >= width) return;
    if (width <= detail::kMaxPadWidth) {
      std::memcpy(p_, detail::kSpaces, detail::kMaxPadWidth);
    } else {
      std::memset(p_, ' ', width - written);
    }
    p_ += width - written;
  }
  /// `text` (at most 32 bytes), left-aligned in a column of `width` (at most 32): two fixed-size stores.
  void put_padded_short(std::string_view text, std::size_t width) noexcept {
    std::memcpy(p_, detail::kSpaces, detail::kMaxPadWidth);
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size() > width ? text.size() : width;
  }
  /// A cell of N bytes (`len` of text, then blanks) in a column of `width` <= N: one fixed-size copy.
  template <std::size_t N = detail::kMaxPadWidth>
  void put_cell(const char* cell, std::size_t len, std::size_t width) noexcept {
    static_assert(N <= detail::kMaxPadWidth, "a cell stays within the room's slack");
    std::memcpy(p_, cell, N);
    p_ += len > width ? len : width;
  }
  void put_spaces(std::size_t n) noexcept {
    std::memset(p_, ' ', n);
    p_ += n;
  }
  /// `n` <= 64 blanks in two fixed-size stores (the room must extend 64 bytes past pos()).
  void put_spaces_short(std::size_t n) noexcept {
    std::memcpy(p_, detail::kSpaces, detail::kMaxPadWidth);
    std::memcpy(p_ + detail::kMaxPadWidth, detail::kSpaces, detail::kMaxPadWidth);
    p_ += n;
  }
  /// The first `len` (<= N) bytes of `src`, moved in one N-byte copy: `src` must hold N readable bytes.
  template <std::size_t N>
  void put_first(const char* src, std::size_t len) noexcept {
    std::memcpy(p_, src, N);
    p_ += len;
  }
  /// `v` right-aligned in a column of `width`: "   49".
  void put_u64_right(std::uint64_t v, std::size_t width) noexcept {
    char tmp[20];
    const std::size_t n = detail::format_u64(v, tmp);
    put_right<sizeof tmp>(tmp, n, width);
  }
  /// The first `len` (<= N) bytes of `src` (N readable) right-aligned in a column of `width`.
  template <std::size_t N>
  void put_right(const char* src, std::size_t len, std::size_t width) noexcept {
    if (len < width) {
      if (width <= detail::kMaxPadWidth) {
        std::memcpy(p_, detail::kSpaces, detail::kMaxPadWidth);
        p_ += width - len;
      } else {
        put_spaces(width - len);
      }
    }
    put_first<N>(src, len);
  }

 private:
  char* p_;
};

/// A number column that mostly counts up by one (the packet number): its decimal text is kept and
/// incremented in place when the next value is the one after the last (a digit, rarely a carry), and
/// formatted anew otherwise (a filter or a skipped frame).
class CountingNumber {
 public:
  void put_right(Cursor& c, std::uint64_t v, std::size_t width) noexcept {
    if (v == last_ + 1 && v != 0 && len_ != 0) {
      increment();
    } else {
      len_ = detail::format_u64(v, digits_);
    }
    last_ = v;
    c.put_right<sizeof digits_>(digits_, len_, width);
  }

 private:
  void increment() noexcept {
    std::size_t i = len_;
    while (i > 0 && digits_[i - 1] == '9') digits_[--i] = '0';
    if (i > 0) {
      ++digits_[i - 1];
    } else {  // 99…9 + 1: one digit more (len_ < 20: last_ + 1 did not wrap)
      std::memmove(digits_ + 1, digits_, len_);
      digits_[0] = '1';
      ++len_;
    }
  }
  char digits_[24] = {};  // format_u64() writes within 20
  std::size_t len_ = 0;
  std::uint64_t last_ = 0;
};

class Writer {
 public:
  /// The smallest buffer: room() may ask for up to this many bytes.
  static constexpr std::size_t kMinCapacity = 4096;
  explicit Writer(int fd, std::size_t capacity = 1U << 16U);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void put(char c) {
    if (len_ == cap_) flush();
    buf_[len_++] = c;
  }
  void put(std::string_view s) {
    if (s.size() <= cap_ - len_) {
      std::memcpy(buf_.get() + len_, s.data(), s.size());
      len_ += s.size();
      return;
    }
    put_slow(s);
  }
  void put_u64(std::uint64_t v) {
    if (cap_ - len_ < 20) flush();
    len_ += detail::format_u64(v, buf_.get() + len_);
  }
  void put_i64(std::int64_t v) {
    if (v < 0) {
      put('-');
      put_u64(static_cast<std::uint64_t>(-(v + 1)) + 1U);
    } else {
      put_u64(static_cast<std::uint64_t>(v));
    }
  }
  /// Exactly `width` digits (at most 20), zero-padded; `v` must be below 10^width.
  void put_digits(std::uint64_t v, unsigned width) {
    if (cap_ - len_ < 20) flush();
    detail::format_digits(v, width, buf_.get() + len_);
    len_ += width;
  }
  /// Column cells: `text` left-aligned and right-padded with spaces to `width` bytes (the text is ASCII).
  /// Longer text is written whole.
  void put_padded(std::string_view text, std::size_t width) {
    if (width <= detail::kMaxPadWidth && text.size() + detail::kMaxPadWidth <= cap_ - len_) {
      char* p = buf_.get() + len_;
      std::memcpy(p, detail::kSpaces, detail::kMaxPadWidth);
      std::memcpy(p, text.data(), text.size());
      len_ += text.size() > width ? text.size() : width;
      return;
    }
    put(text);
    put_spaces(width > text.size() ? width - text.size() : 0);
  }
  /// `v` left-aligned in a column of `width`: "49    ".
  void put_u64_left(std::uint64_t v, std::size_t width) {
    if (width > detail::kMaxPadWidth) {
      const std::size_t m = mark();
      put_u64(v);
      pad_from(m, width);
      return;
    }
    if (cap_ - len_ < 20 + detail::kMaxPadWidth) flush();
    char* p = buf_.get() + len_;
    const std::size_t n = detail::format_u64(v, p);
    std::memcpy(p + n, detail::kSpaces, detail::kMaxPadWidth);
    len_ += n > width ? n : width;
  }
  /// `v` right-aligned in a column of `width`: "   49".
  void put_u64_right(std::uint64_t v, std::size_t width) {
    char tmp[20] = {};
    const std::size_t n = detail::format_u64(v, tmp);
    std::size_t blanks = width > n ? width - n : 0;
    if (blanks > detail::kMaxPadWidth) {
      put_spaces(blanks);
      blanks = 0;
    }
    if (cap_ - len_ < 20 + detail::kMaxPadWidth) flush();
    char* p = buf_.get() + len_;
    std::memcpy(p, detail::kSpaces, detail::kMaxPadWidth);
    std::memcpy(p + blanks, tmp, sizeof tmp);  // the digits and whatever follows them: one fixed-size copy
    len_ += blanks + n;
  }
  void put_spaces(std::size_t n);
  void put_hex(std::uint64_t v, unsigned min_width = 1);
  /// Fixed-point: value / 10^decimals with exactly `decimals` (at most 19) digits after the point
  /// ("0.000049"). Inline so that a constant `decimals` makes the divisions multiplications.
  void put_fixed(std::int64_t value, unsigned decimals) {
    if (decimals > 19) decimals = 19;
    std::uint64_t scale = 1;
    for (unsigned i = 0; i < decimals; ++i) scale *= 10;
    std::uint64_t mag = 0;
    if (value < 0) {
      put('-');
      mag = static_cast<std::uint64_t>(-(value + 1)) + 1U;
    } else {
      mag = static_cast<std::uint64_t>(value);
    }
    put_u64(mag / scale);
    if (decimals > 0) {
      reserve(1 + decimals);
      buf_[len_++] = '.';
      put_digits(mag % scale, decimals);
    }
  }
  /// Right-pads with spaces to `width` the text written since `mark()` (cells built from several pieces).
  [[nodiscard]] std::size_t mark() const noexcept { return total_ + len_; }
  void pad_from(std::size_t mark, std::size_t width) {
    const std::size_t written = total_ + len_ - mark;
    if (written < width) put_spaces(width - written);
  }
  /// Direct access for formatters that write into the buffer: at least `n` (<= kMinCapacity) writable bytes
  /// at the returned pointer, of which advance() then keeps the first `used`.
  [[nodiscard]] char* room(std::size_t n) {
    assert(n <= cap_);  // kMinCapacity bounds every caller's n; the sanitizer build checks
    if (cap_ - len_ < n) flush();
    return buf_.get() + len_;
  }
  void advance(std::size_t used) noexcept { len_ += used; }
  /// A JSON string literal with escaping.
  void put_json_string(std::string_view s);

  void flush();
  /// True once a write failed (EPIPE…); further output is dropped.
  [[nodiscard]] bool failed() const noexcept { return failed_; }

 private:
  void put_slow(std::string_view s);
  /// Makes room for `n` more bytes (n <= capacity) by flushing when needed.
  void reserve(std::size_t n) {
    if (cap_ - len_ < n) flush();
  }

  int fd_;
  std::size_t cap_;
  std::unique_ptr<char[]> buf_;
  std::size_t len_ = 0;
  std::size_t total_ = 0;  // bytes already flushed
  bool failed_ = false;
};

}  // namespace synscope::sink

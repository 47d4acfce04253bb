#pragma once
/// Buffered output to a file descriptor: no iostreams, no allocation per write, fast integer formatting.
/// Flushes when the buffer fills, on flush(), and in the destructor.
/// The per-call fast paths are inline: a sink's `put("\",\"src\":")` compiles to a few stores, and the
/// slow paths (buffer full, write(2)) live in writer.cpp.

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

/// Decimal digits of `v` into `out` (at least 20 bytes). Returns the length.
inline std::size_t format_u64(std::uint64_t v, char* out) noexcept {
  char tmp[20];
  char* p = tmp + sizeof tmp;
  while (v >= 100) {
    const std::uint64_t r = v % 100;
    v /= 100;
    p -= 2;
    std::memcpy(p, kDigitPairs + r * 2, 2);
  }
  if (v >= 10) {
    p -= 2;
    std::memcpy(p, kDigitPairs + v * 2, 2);
  } else {
    *--p = static_cast<char>('0' + v);
  }
  const auto n = static_cast<std::size_t>(tmp + sizeof tmp - p);
  std::memcpy(out, p, n);
  return n;
}
}  // namespace detail

class Writer {
 public:
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
  /// Zero-padded to `width` digits.
  void put_u64_padded(std::uint64_t v, unsigned width);
  void put_hex(std::uint64_t v, unsigned min_width = 1);
  /// Fixed-point: value / 10^decimals with exactly `decimals` digits after the point ("0.000049").
  void put_fixed(std::int64_t value, unsigned decimals);
  /// Right-pads with spaces to `width` the text written since `mark()`.
  [[nodiscard]] std::size_t mark() const noexcept { return total_ + len_; }
  void pad_from(std::size_t mark, std::size_t width);
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

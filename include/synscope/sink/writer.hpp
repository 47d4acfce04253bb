#pragma once
/// Buffered output to a file descriptor: no iostreams, no allocation per write, fast integer formatting.
/// Flushes when the buffer fills, on flush(), and in the destructor.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace synscope::sink {

class Writer {
 public:
  explicit Writer(int fd, std::size_t capacity = 1U << 16U);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void put(char c) {
    if (len_ == buf_.size()) flush();
    buf_[len_++] = c;
  }
  void put(std::string_view s);
  void put_u64(std::uint64_t v);
  void put_i64(std::int64_t v);
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
  int fd_;
  std::vector<char> buf_;
  std::size_t len_ = 0;
  std::size_t total_ = 0;  // bytes already flushed
  bool failed_ = false;
};

}  // namespace synscope::sink

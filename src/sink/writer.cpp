// Writer: a plain buffer over write(2). Output formatting is the hot path of `synscope read`,
// so integers are formatted by hand instead of through stdio or iostreams, and the common calls are
// inline in the header; this file holds the slow paths and the less frequent formats.

#include "synscope/sink/writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace synscope::sink {

// The buffer is at least 256 bytes so that any single formatted number or short token fits after a flush.
Writer::Writer(int fd, std::size_t capacity)
    : fd_(fd), cap_(capacity < 256 ? 256 : capacity), buf_(std::make_unique<char[]>(cap_)) {}

Writer::~Writer() { flush(); }

void Writer::put_slow(std::string_view s) {
  flush();
  if (s.size() <= cap_) {
    std::memcpy(buf_.get(), s.data(), s.size());
    len_ = s.size();
    return;
  }
  // Larger than the buffer: write it through.
  std::size_t off = 0;
  while (off < s.size() && !failed_) {
    const ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  total_ += s.size();
}

void Writer::put_u64_padded(std::uint64_t v, unsigned width) {
  char tmp[20];
  const std::size_t n = detail::format_u64(v, tmp);
  const std::size_t zeros = width > n ? width - n : 0;
  if (zeros + n > cap_ - len_) {
    for (std::size_t i = 0; i < zeros; ++i) put('0');
    put(std::string_view(tmp, n));
    return;
  }
  std::memset(buf_.get() + len_, '0', zeros);
  std::memcpy(buf_.get() + len_ + zeros, tmp, n);
  len_ += zeros + n;
}

void Writer::put_hex(std::uint64_t v, unsigned min_width) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char tmp[16];
  unsigned n = 0;
  do {
    tmp[n++] = kDigits[v & 0xFU];
    v >>= 4U;
  } while (v != 0);
  for (unsigned i = n; i < min_width; ++i) put('0');
  reserve(n);
  while (n > 0) buf_[len_++] = tmp[--n];
}

void Writer::put_fixed(std::int64_t value, unsigned decimals) {
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
    put('.');
    put_u64_padded(mag % scale, decimals);
  }
}

void Writer::pad_from(std::size_t m, std::size_t width) {
  const std::size_t written = mark() - m;
  if (written >= width) return;
  std::size_t spaces = width - written;
  while (spaces > 0) {
    if (len_ == cap_) flush();
    const std::size_t n = spaces < cap_ - len_ ? spaces : cap_ - len_;
    std::memset(buf_.get() + len_, ' ', n);
    len_ += n;
    spaces -= n;
  }
}

void Writer::put_json_string(std::string_view s) {
  put('"');
  // Runs of characters that need no escaping are copied in one piece.
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    put(s.substr(start, i - start));
    start = i + 1;
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\n': put("\\n"); break;
      case '\r': put("\\r"); break;
      case '\t': put("\\t"); break;
      default:
        put("\\u00");
        put_hex(c, 2);
    }
  }
  put(s.substr(start));
  put('"');
}

void Writer::flush() {
  std::size_t off = 0;
  while (off < len_ && !failed_) {
    const ssize_t n = ::write(fd_, buf_.get() + off, len_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  total_ += len_;
  len_ = 0;
}

}  // namespace synscope::sink

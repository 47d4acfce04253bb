// Writer: a plain buffer over write(2). Output formatting is the hot path of `synscope read`,
// so integers are formatted by hand instead of through stdio or iostreams.

#include "synscope/sink/writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace synscope::sink {

Writer::Writer(int fd, std::size_t capacity) : fd_(fd), buf_(capacity < 256 ? 256 : capacity) {}

Writer::~Writer() { flush(); }

void Writer::put(std::string_view s) {
  if (s.size() > buf_.size() - len_) {
    flush();
    if (s.size() > buf_.size()) {
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
      return;
    }
  }
  std::memcpy(buf_.data() + len_, s.data(), s.size());
  len_ += s.size();
}

void Writer::put_u64(std::uint64_t v) {
  char tmp[20];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (buf_.size() - len_ < n) flush();
  while (n > 0) buf_[len_++] = tmp[--n];
}

void Writer::put_i64(std::int64_t v) {
  if (v < 0) {
    put('-');
    put_u64(static_cast<std::uint64_t>(-(v + 1)) + 1U);
  } else {
    put_u64(static_cast<std::uint64_t>(v));
  }
}

void Writer::put_u64_padded(std::uint64_t v, unsigned width) {
  char tmp[20];
  unsigned n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 20);
  for (unsigned i = n; i < width; ++i) put('0');
  while (n > 0) put(tmp[--n]);
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
  while (n > 0) put(tmp[--n]);
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
  for (std::size_t i = written; i < width; ++i) put(' ');
}

void Writer::put_json_string(std::string_view s) {
  put('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\n': put("\\n"); break;
      case '\r': put("\\r"); break;
      case '\t': put("\\t"); break;
      default:
        if (c < 0x20) {
          put("\\u00");
          put_hex(c, 2);
        } else {
          put(ch);
        }
    }
  }
  put('"');
}

void Writer::flush() {
  std::size_t off = 0;
  while (off < len_ && !failed_) {
    const ssize_t n = ::write(fd_, buf_.data() + off, len_ - off);
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

// Writer: a plain buffer over write(2). Output formatting is the hot path of `synscope read`,
// so integers are formatted by hand instead of through stdio or iostreams, and the common calls are
// inline in the header; this file holds the slow paths and the less frequent formats.

#include "synscope/sink/writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace synscope::sink {

// The buffer is at least kMinCapacity bytes so that a formatted line (room()) fits after a flush.
Writer::Writer(int fd, std::size_t capacity)
    : fd_(fd), cap_(capacity < kMinCapacity ? kMinCapacity : capacity), buf_(std::make_unique<char[]>(cap_)) {}

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

void Writer::put_spaces(std::size_t n) {
  while (n > 0) {
    if (len_ == cap_) flush();
    const std::size_t k = n < cap_ - len_ ? n : cap_ - len_;
    std::memset(buf_.get() + len_, ' ', k);
    len_ += k;
    n -= k;
  }
}

namespace {

/// Index of the first character of s[from..] that JSON needs escaped (control characters, '"', '\\'),
/// or s.size(). Eight bytes per step: a word has such a byte when it has a byte below 0x20 or a byte equal
/// to '"' or '\\' (the zero-byte tests of "Bit Twiddling Hacks"); that word is then searched bytewise.
std::size_t find_escape(std::string_view s, std::size_t from) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101U;
  constexpr std::uint64_t kHigh = 0x8080808080808080U;
  auto needs_escape = [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; };
  std::size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, s.data() + i, 8);
    const std::uint64_t quote = x ^ (kOnes * '"');
    const std::uint64_t backslash = x ^ (kOnes * '\\');
    const std::uint64_t hits = ((x - kOnes * 0x20U) & ~x) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash);
    if ((hits & kHigh) != 0) break;
  }
  for (; i < s.size(); ++i) {
    if (needs_escape(static_cast<unsigned char>(s[i]))) return i;
  }
  return s.size();
}

}  // namespace

void Writer::put_json_string(std::string_view s) {
  put('"');
  std::size_t start = 0;
  for (;;) {
    // Runs of characters that need no escaping are copied in one piece.
    const std::size_t i = find_escape(s, start);
    put(s.substr(start, i - start));
    if (i == s.size()) break;
    start = i + 1;
    const auto c = static_cast<unsigned char>(s[i]);
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

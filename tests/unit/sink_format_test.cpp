// Output formatting of the sinks: the integer fast paths must print exactly what printf printed before
// (durations, epoch timestamps), and the Writer's column helpers must pad exactly like mark()/pad_from().

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "synscope/net/ip_address.hpp"
#include "synscope/sink/sink.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"

using namespace synscope;

namespace {

/// format_duration as it was written with snprintf: the definition the fast path must match.
std::string duration_printf(std::int64_t ns, bool ascii) {
  char buf[64];
  const double v = static_cast<double>(ns);
  if (ns < 0) return "-";
  if (ns < 1'000) {
    std::snprintf(buf, sizeof buf, "%" PRId64 " ns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, ns < 10'000 ? "%.1f %s" : "%.0f %s", v / 1e3, ascii ? "us" : "\xC2\xB5s");
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, ns < 10'000'000 ? "%.2f ms" : "%.1f ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", v / 1e9);
  }
  return buf;
}

std::string duration_fast(std::int64_t ns, bool ascii) {
  char buf[sink::kMaxDurationText];
  const std::size_t n = sink::format_duration(ns, ascii, buf);
  CHECK(n == std::strlen(buf));
  return {buf, n};
}

std::string epoch_printf(std::int64_t ts_ns) {
  const bool neg = ts_ns < 0;
  const std::uint64_t mag = neg ? static_cast<std::uint64_t>(-(ts_ns + 1)) + 1U : static_cast<std::uint64_t>(ts_ns);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%09" PRIu64, neg ? "-" : "", mag / 1'000'000'000U, mag % 1'000'000'000U);
  return buf;
}

/// Six bytes short of the smallest buffer: the next cell crosses its end.
constexpr std::size_t kNearFull = sink::Writer::kMinCapacity - 6;

/// Everything a Writer wrote, read back from a temporary file.
template <typename Fn>
std::string written(Fn fn, std::size_t capacity = 1U << 16U) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    sink::Writer w(fileno(f), capacity);
    fn(w);
  }
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  CHECK(std::fclose(f) == 0);
  return out;
}

/// The reference: a cell made with mark() and pad_from().
std::string padded_reference(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

}  // namespace

TEST_CASE("format_duration: the integer path prints what printf printed") {
  for (const bool ascii : {false, true}) {
    // Every value below 200 µs (ns, tenths of µs and whole µs, the ties at .x5 included).
    for (std::int64_t ns = -3; ns < 200'000; ++ns) REQUIRE(duration_fast(ns, ascii) == duration_printf(ns, ascii));
    // The unit and precision boundaries, and every tie in the ms and s ranges near them.
    for (const std::int64_t edge : {std::int64_t{1'000'000}, std::int64_t{10'000'000}, std::int64_t{1'000'000'000}}) {
      for (std::int64_t ns = edge - 100'000; ns < edge + 100'000; ++ns) {
        REQUIRE(duration_fast(ns, ascii) == duration_printf(ns, ascii));
      }
    }
    std::mt19937_64 rng(11);
    for (int i = 0; i < 200'000; ++i) {
      // Log-uniform magnitudes up to 2^62 (past 2^53, where the double is no longer exact), and exact ties.
      const unsigned bits = static_cast<unsigned>(rng() % 62U) + 1U;
      std::int64_t ns = static_cast<std::int64_t>(rng() >> (64U - bits));
      if (i % 4 == 0) ns = ns / 1'000 * 1'000 + 500;
      if (i % 4 == 1) ns = ns / 100'000 * 100'000 + 50'000;
      REQUIRE_MESSAGE(duration_fast(ns, ascii) == duration_printf(ns, ascii), ns);
    }
    CHECK(duration_fast(std::numeric_limits<std::int64_t>::max(), ascii) ==
          duration_printf(std::numeric_limits<std::int64_t>::max(), ascii));
  }
  CHECK(duration_fast(49'000, false) == "49 \xC2\xB5s");
  CHECK(duration_fast(1'250, true) == "1.2 us");  // an exact tie in binary: printf rounds it to even
  CHECK(duration_fast(1'350, true) == "1.4 us");
  CHECK(duration_fast(1'150, true) == "1.1 us");  // 1.15 is 1.14999… as a double
  CHECK(duration_fast(2'100'000'000, true) == "2.100 s");
  CHECK(sink::format_duration(-5) == "-");
}

TEST_CASE("format_epoch_ns: seconds and nine fraction digits") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100'000; ++i) {
    const unsigned bits = static_cast<unsigned>(rng() % 63U) + 1U;
    auto ts = static_cast<std::int64_t>(rng() >> (64U - bits));
    if (i % 2 == 1) ts = -ts;
    char buf[32];
    const std::size_t n = sink::format_epoch_ns(ts, buf);
    REQUIRE(std::string(buf) == epoch_printf(ts));
    REQUIRE(n == std::strlen(buf));
  }
  for (const std::int64_t ts : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{999'999'999}, std::int64_t{1'000'000'000},
                                std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    char buf[32];
    sink::format_epoch_ns(ts, buf);
    CHECK(std::string(buf) == epoch_printf(ts));
  }
}

TEST_CASE("format_u64 and format_digits: every digit count, its boundaries, random values") {
  auto check = [](std::uint64_t v) {
    char buf[24];
    std::memset(buf, '#', sizeof buf);
    const std::size_t n = sink::detail::format_u64(v, buf);
    REQUIRE_MESSAGE(std::string(buf, n) == std::to_string(v), v);
    REQUIRE_MESSAGE(std::string(buf + 20, 4) == "####", v);  // nothing written past its room of 20
  };
  for (std::uint64_t v = 0; v < 200'000; ++v) check(v);
  std::uint64_t p10 = 1;
  for (int k = 0; k < 20; ++k) {
    for (const std::uint64_t d : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{99}}) {
      check(p10 + d);
      check(p10 - d);
      check(p10 * 9 + d);
    }
    if (k < 19) p10 *= 10;
  }
  for (unsigned b = 0; b < 64; ++b) {
    check((std::uint64_t{1} << b) - 1);
    check(std::uint64_t{1} << b);
  }
  check(0xFFFF'FFFFU);
  check(0x1'0000'0000U);
  check(std::numeric_limits<std::uint64_t>::max());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300'000; ++i) check(rng() >> (rng() % 64U));
  for (int i = 0; i < 100'000; ++i) {
    const unsigned width = static_cast<unsigned>(rng() % 19U) + 1U;
    std::uint64_t limit = 1;
    for (unsigned k = 0; k < width; ++k) limit *= 10;
    const std::uint64_t v = (rng() >> (rng() % 64U)) % limit;
    char buf[24];
    sink::detail::format_digits(v, width, buf);
    const std::string s = std::to_string(v);
    REQUIRE(std::string(buf, width) == std::string(width - s.size(), '0') + s);
  }
}

TEST_CASE("put_u32_wide (the Cursor's numbers): the digits of every length, 8 bytes stored past them at most") {
  // A guard byte pattern around the output: the digits must be exact, and nothing may be written more
  // than 8 bytes past their end (the slack the Cursor's rooms keep is 32).
  std::size_t checked = 0;
  auto check = [&checked](std::uint32_t v) {
    ++checked;
    char buf[48];
    std::memset(buf, '#', sizeof buf);
    char* const end = sink::detail::put_u32_wide(buf + 8, v);
    const std::string digits = std::to_string(v);
    bool guards_intact = true;
    for (std::size_t i = 0; i < 8; ++i) guards_intact = guards_intact && buf[i] == '#';
    for (const char* q = end + 8; q < buf + sizeof buf; ++q) guards_intact = guards_intact && *q == '#';
    if (std::string(buf + 8, end) != digits || !guards_intact) {
      REQUIRE_MESSAGE(std::string(buf + 8, end) == digits, v);
      REQUIRE_MESSAGE(guards_intact, v);
    }
  };
  for (std::uint32_t v = 0; v < 1'000'000; ++v) check(v);
  std::uint64_t p10 = 1;
  for (int k = 0; k < 10; ++k) {
    for (const std::uint64_t d : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{99}}) {
      for (const std::uint64_t v : {p10 + d, p10 - d, p10 * 9 + d, p10 * 10 - 1 - d}) {
        if (v <= 0xFFFF'FFFFU) check(static_cast<std::uint32_t>(v));
      }
    }
    p10 *= 10;
  }
  check(0xFFFF'FFFFU);
  check(4'200'000'000U);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1'000'000; ++i) check(static_cast<std::uint32_t>(rng() >> (rng() % 64U)));
  // Every value below 10^8 has its eight digits right: the whole range in steps that cover each lane.
  for (std::uint32_t v = 0; v < 100'000'000; v += 9'973) {
    const std::uint64_t d = sink::detail::digits8(v);
    char text[9];
    std::snprintf(text, sizeof text, "%08u", v);
    std::string got(8, ' ');
    for (unsigned k = 0; k < 8; ++k) got[k] = static_cast<char>('0' + ((d >> (8 * k)) & 0xFFU));
    if (got != text) REQUIRE_MESSAGE(got == text, v);
  }
  CHECK(checked > 2'000'000U);
}

TEST_CASE("Writer: column cells pad like mark()/pad_from()") {
  const std::string texts[] = {"", "a", "tcp", "handshake 1/3", "teardown 2+3/4", "192.0.2.1:41138",
                               "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535", std::string(40, 'x')};
  for (const std::string& t : texts) {
    for (const std::size_t width : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{15}, std::size_t{22},
                                    std::size_t{32}, std::size_t{37}, std::size_t{60}}) {
      CHECK(written([&](sink::Writer& w) { w.put_padded(t, width); }) == padded_reference(t, width));
      CHECK(written([&](sink::Writer& w) {
              const std::size_t m = w.mark();
              w.put(t);
              w.pad_from(m, width);
            }) == padded_reference(t, width));
      // Near the end of a small buffer: the slow paths.
      CHECK(written([&](sink::Writer& w) {
              w.put(std::string(kNearFull, '-'));
              w.put_padded(t, width);
            }, sink::Writer::kMinCapacity) == std::string(kNearFull, '-') + padded_reference(t, width));
    }
  }
  // Characters, not bytes, for text with UTF-8 in it (the table's handshake cell is padded by them).
  CHECK(sink::detail::utf8_length("49 \xC2\xB5s") == 5);  // 5 characters, 6 bytes
  CHECK(sink::detail::utf8_length("abc") == 3);
  // Every length up to 40 (the eight-byte steps and the tail), bytes of every kind at every place.
  std::mt19937 rng(99);
  const unsigned char kinds[] = {'a', ' ', 0x7F, 0xC2, 0xB5, 0x80, 0xBF, 0xC0, 0xE2, 0xFF, 0x40};
  for (std::size_t len = 0; len <= 40; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::string t;
      for (std::size_t i = 0; i < len; ++i) t.push_back(static_cast<char>(kinds[rng() % sizeof kinds]));
      std::size_t chars = 0;
      for (const char ch : t) chars += (static_cast<unsigned char>(ch) & 0xC0U) != 0x80U ? 1U : 0U;
      CHECK(sink::detail::utf8_length(t) == chars);
    }
  }
}

TEST_CASE("Writer: numbers in columns and fixed digits") {
  const std::uint64_t values[] = {0U, 7U, 42U, 1234U, 99'999U, 100'000U, 4'294'967'295U, std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t v : values) {
    const std::string digits = std::to_string(v);
    for (const std::size_t width : {std::size_t{0}, std::size_t{5}, std::size_t{6}, std::size_t{12}, std::size_t{20},
                                    std::size_t{33}, std::size_t{60}}) {
      CHECK(written([&](sink::Writer& w) { w.put_u64_left(v, width); }) == padded_reference(digits, width));
      const std::string right = digits.size() >= width ? digits : std::string(width - digits.size(), ' ') + digits;
      CHECK(written([&](sink::Writer& w) { w.put_u64_right(v, width); }) == right);
      CHECK(written([&](sink::Writer& w) {
              w.put(std::string(kNearFull, '-'));
              w.put_u64_left(v, width);
              w.put_u64_right(v, width);
            }, sink::Writer::kMinCapacity) == std::string(kNearFull, '-') + padded_reference(digits, width) + right);
    }
  }
  CHECK(written([](sink::Writer& w) { w.put_digits(49, 6); }) == "000049");
  CHECK(written([](sink::Writer& w) { w.put_digits(123'456'789, 9); }) == "123456789");
  CHECK(written([](sink::Writer& w) { w.put_digits(5, 1); }) == "5");
  CHECK(written([](sink::Writer& w) { w.put_fixed(1'500'000, 6); }) == "1.500000");
  CHECK(written([](sink::Writer& w) { w.put_fixed(-49, 6); }) == "-0.000049");
  CHECK(written([](sink::Writer& w) { w.put_fixed(123, 0); }) == "123");
  CHECK(written([](sink::Writer& w) { w.put_fixed(std::numeric_limits<std::int64_t>::min(), 9); }) == "-9223372036.854775808");
}

TEST_CASE("Writer: JSON strings escape exactly the characters they must") {
  auto reference = [](const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"') {
        out += "\\\"";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
    return out + "\"";
  };
  std::mt19937 rng(9);
  for (int i = 0; i < 20'000; ++i) {
    std::string s(rng() % 40U, 'a');
    // Mostly plain text (the word-at-a-time path) with a few bytes of every kind at random places.
    for (char& ch : s) ch = static_cast<char>(rng() % 8U == 0 ? rng() % 256U : 0x20U + rng() % 0x5FU);
    REQUIRE(written([&](sink::Writer& w) { w.put_json_string(s); }) == reference(s));
  }
  CHECK(written([](sink::Writer& w) { w.put_json_string("C1a2b3c4d5e6f7g8h9\"\\\x01\x7f\xc2\xb5"); }) ==
        "\"C1a2b3c4d5e6f7g8h9\\\"\\\\\\u0001\x7f\xc2\xb5\"");
}

TEST_CASE("address: every IPv4 octet value in every position equals inet_ntop") {
  for (unsigned v = 0; v < 256; ++v) {
    for (unsigned pos = 0; pos < 4; ++pos) {
      const std::uint32_t addr = (0x01020304U & ~(0xFFU << (8U * pos))) | (v << (8U * pos));
      const auto a = net::IpAddress::v4(addr);
      char ours[net::kMaxAddressText];
      const std::size_t n = net::format_address(a, ours);
      char theirs[INET_ADDRSTRLEN];
      REQUIRE(inet_ntop(AF_INET, a.bytes.data(), theirs, sizeof theirs) != nullptr);
      REQUIRE(std::string(ours) == theirs);
      REQUIRE(n == std::strlen(theirs));
    }
  }
}

TEST_CASE("AddressTextCache: every lookup gives format_address's text, through hits, misses and evictions") {
  sink::AddressTextCache cache;
  std::mt19937_64 rng(21);
  // A pool of 12,000 addresses (three times the cache's 4,096 entries): IPv4, IPv6, IPv4-mapped, and IPv6
  // addresses whose first four bytes equal an IPv4 address of the pool.
  std::vector<net::IpAddress> pool;
  for (int i = 0; i < 4000; ++i) {
    net::IpAddress v4 = net::IpAddress::v4(static_cast<std::uint32_t>(rng()));
    net::IpAddress v6;
    v6.version = 6;
    for (auto& b : v6.bytes) b = static_cast<std::uint8_t>(rng() % 3U == 0 ? 0U : rng());
    if (i % 7 == 0) std::memcpy(v6.bytes.data(), v4.bytes.data(), 4);
    if (i % 11 == 0) {  // ::ffff:a.b.c.d
      v6.bytes.fill(0);
      v6.bytes[10] = v6.bytes[11] = 0xFF;
      std::memcpy(v6.bytes.data() + 12, v4.bytes.data(), 4);
    }
    pool.push_back(v4);
    pool.push_back(v6);
    pool.push_back(net::IpAddress::v4(static_cast<std::uint32_t>(rng() % 64U)));  // many repeats
  }
  for (int i = 0; i < 300'000; ++i) {
    net::IpAddress a = pool[rng() % pool.size()];
    // The bytes an IPv4 address does not use are not part of it: a decoder may leave anything there.
    if (a.version == 4 && i % 2 == 0) {
      for (std::size_t k = 4; k < 16; ++k) a.bytes[k] = static_cast<std::uint8_t>(rng());
    }
    char want[net::kMaxAddressText];
    const std::size_t n = net::format_address(a, want);
    const sink::AddressTextCache::Text got = cache.text(a);
    REQUIRE(std::string(got.data, got.len) == std::string(want, n));
  }
}

TEST_CASE("Cursor::put_digits6 and put_digits9: zero-padded fractions, nothing past their 8-byte stores") {
  auto check = [](std::uint32_t v, unsigned width) {
    char buf[32];
    std::memset(buf, '#', sizeof buf);
    sink::Cursor c(buf + 4);
    if (width == 6) {
      c.put_digits6(v);
    } else {
      c.put_digits9(v);
    }
    const std::string s = std::to_string(v);
    const std::string want = std::string(width - s.size(), '0') + s;
    REQUIRE_MESSAGE(c.pos() == buf + 4 + width, v);
    REQUIRE_MESSAGE(std::string(buf + 4, width) == want, v);
    REQUIRE_MESSAGE(std::string(buf, 4) == "####", v);
    REQUIRE_MESSAGE(std::string(buf + 4 + width + 2, 8) == "########", v);  // at most 2 bytes past
  };
  for (std::uint32_t v = 0; v < 1'000'000; v += 1) check(v, 6);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 200'000; ++i) check(static_cast<std::uint32_t>(rng() % 1'000'000'000U), 9);
  for (const std::uint32_t v : {0U, 1U, 9U, 10U, 99'999'999U, 100'000'000U, 100'000'001U, 999'999'999U}) check(v, 9);
}

TEST_CASE("CountingNumber: the same column as put_u64_right, counting up, jumping and carrying") {
  sink::CountingNumber counter;
  std::mt19937_64 rng(5);
  std::uint64_t v = 0;
  auto check = [&](std::uint64_t value, std::size_t width) {
    char got[96];
    char want[96];
    std::memset(got, '#', sizeof got);
    std::memset(want, '#', sizeof want);
    sink::Cursor g(got);
    sink::Cursor w(want);
    counter.put_right(g, value, width);
    w.put_u64_right(value, width);
    REQUIRE_MESSAGE(std::string(got, g.pos()) == std::string(want, w.pos()), value);
  };
  for (int i = 0; i < 300'000; ++i) {
    const std::uint64_t r = rng();
    if (r % 1000 == 0) {
      v = rng() >> (rng() % 64U);  // a jump anywhere
    } else if (r % 1000 == 1) {
      v = 9;
      for (std::uint64_t k = r % 19; k > 0; --k) v = v * 10 + 9;  // just before a carry into a new digit
    } else {
      v += r % 50 == 0 ? 2 : 1;  // now and then a frame skipped
    }
    check(v, i % 7 == 0 ? 40 : 5);
  }
  for (const std::uint64_t start : {std::uint64_t{0}, std::uint64_t{8}, std::uint64_t{95}, std::uint64_t{99'990},
                                    std::uint64_t{9'999'999'999'999'999'990ULL}, std::numeric_limits<std::uint64_t>::max() - 3}) {
    for (std::uint64_t k = 0; k < 12; ++k) check(start + k, 5);  // wraps to 0 after the largest value
  }
}

TEST_CASE("Cursor: the unchecked cells write what the Writer's checked ones write") {
  const std::uint64_t values[] = {0U, 7U, 42U, 1234U, 99'999U, 100'000U, 4'294'967'295U, std::numeric_limits<std::uint64_t>::max()};
  char buf[256];
  auto text = [&](const sink::Cursor& c) { return std::string(buf, static_cast<std::size_t>(c.pos() - buf)); };
  for (const std::uint64_t v : values) {
    const std::string digits = std::to_string(v);
    for (std::size_t width = 0; width <= 60; ++width) {
      std::memset(buf, '#', sizeof buf);
      sink::Cursor c(buf);
      c.put_u64_right(v, width);
      const std::string right = digits.size() >= width ? digits : std::string(width - digits.size(), ' ') + digits;
      REQUIRE(text(c) == right);
      sink::Cursor l(buf);
      l.put_u64(v);
      l.pad_from(buf, width);
      REQUIRE(text(l) == padded_reference(digits, width));
    }
  }
  for (const std::string& t : std::vector<std::string>{"", "x", "SYN-ACK", "handshake 3/3", std::string(32, 'w')}) {
    for (std::size_t width = 0; width <= 32; ++width) {
      sink::Cursor c(buf);
      c.put_padded_short(t, width);
      REQUIRE(text(c) == padded_reference(t, width));
    }
  }
  sink::Cursor c(buf);
  c.put("ab");
  c.put('c');
  c.put_first<16>("defghijklmnopqrs", 3);
  c.put_digits6(49);
  c.put_spaces(2);
  c.put_u32(4'294'967'295U);
  CHECK(text(c) == "abcdef000049  4294967295");
}

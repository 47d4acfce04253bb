// Address text: RFC 5952 output checked against glibc's inet_ntop, parsing against inet_pton.

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>

#include "synscope/net/ip_address.hpp"

using namespace synscope;

namespace {
std::string ours(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  const std::size_t n = net::format_address(a, buf);
  CHECK(n == std::strlen(buf));
  return buf;
}
std::string theirs(const net::IpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  const char* r = inet_ntop(a.version == 6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  REQUIRE(r != nullptr);
  return buf;
}
net::IpAddress v6_words(std::initializer_list<unsigned> words) {
  net::IpAddress a;
  a.version = 6;
  std::size_t i = 0;
  for (unsigned w : words) {
    a.bytes[i++] = static_cast<std::uint8_t>(w >> 8U);
    a.bytes[i++] = static_cast<std::uint8_t>(w);
  }
  return a;
}
}  // namespace

TEST_CASE("address: IPv4 dotted quad") {
  CHECK(ours(net::IpAddress::v4(0xC0000201U)) == "192.0.2.1");
  CHECK(ours(net::IpAddress::v4(0U)) == "0.0.0.0");
  CHECK(ours(net::IpAddress::v4(0xFFFFFFFFU)) == "255.255.255.255");
}

TEST_CASE("address: RFC 5952 examples") {
  CHECK(ours(v6_words({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})) == "2001:db8::1");       // §4.2.1 longest run
  CHECK(ours(v6_words({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1})) == "2001:db8:0:1:1:1:1:1");  // §4.2.2 one zero
  CHECK(ours(v6_words({0x2001, 0, 0, 1, 0, 0, 0, 1})) == "2001:0:0:1::1");         // §4.2.3 longest wins
  CHECK(ours(v6_words({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1})) == "2001:db8::1:0:0:1");  // tie: first run
  CHECK(ours(v6_words({0, 0, 0, 0, 0, 0, 0, 0})) == "::");
  CHECK(ours(v6_words({0, 0, 0, 0, 0, 0, 0, 1})) == "::1");
  CHECK(ours(v6_words({1, 0, 0, 0, 0, 0, 0, 0})) == "1::");
  CHECK(ours(v6_words({0xfe80, 0, 0, 0, 0x25a, 0x28ff, 0xfe08, 0xf150})) == "fe80::25a:28ff:fe08:f150");
  CHECK(ours(v6_words({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201})) == "::ffff:192.0.2.1");  // §5 mapped
  CHECK(ours(v6_words({0xABCD, 0xEF01, 0, 0, 0, 0, 0, 0})) == "abcd:ef01::");            // §4.3 lower case
}

TEST_CASE("address: IPv6 text equals inet_ntop for random and zero-heavy addresses") {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    net::IpAddress a;
    a.version = 6;
    for (std::size_t w = 0; w < 8; ++w) {
      // Mostly zero words so that every run length and position occurs; some 0xffff for the mapped form.
      const unsigned pick = rng() % 4;
      const unsigned v = pick < 2 ? 0U : pick == 2 ? (rng() % 2 ? 0xFFFFU : 1U) : static_cast<unsigned>(rng() & 0xFFFFU);
      a.bytes[2 * w] = static_cast<std::uint8_t>(v >> 8U);
      a.bytes[2 * w + 1] = static_cast<std::uint8_t>(v);
    }
    const std::string text = ours(a);
    REQUIRE_MESSAGE(text == theirs(a), text);
    net::IpAddress back;
    REQUIRE(net::parse_address(text.c_str(), back));
    CHECK(back == a);
  }
  for (int i = 0; i < 2000; ++i) {
    const auto a = net::IpAddress::v4(static_cast<std::uint32_t>(rng()));
    CHECK(ours(a) == theirs(a));
  }
}

TEST_CASE("address: parsing agrees with inet_pton") {
  const char* texts[] = {"192.0.2.1",   "0.0.0.0",     "255.255.255.255", "256.1.1.1",     "1.2.3",
                         "1.2.3.4.5",   "01.2.3.4",    "1..2.3",          "",              "::",
                         "::1",         "1::",         "2001:db8::1",     "2001:DB8::A",   "::ffff:192.0.2.1",
                         "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1::2::3",
                         ":1::2",       "1:",          "12345::",         "g::1",          "1:2:3:4:5:6:1.2.3.4",
                         "::1.2.3.4",   "1:2:3:4:5:6:7:1.2.3.4", "1::2:3:4:5:6:7:8", ":::", "fe80::1%eth0"};
  for (const char* t : texts) {
    unsigned char buf[16] = {};
    const bool is6 = std::strchr(t, ':') != nullptr;
    const bool want = inet_pton(is6 ? AF_INET6 : AF_INET, t, buf) == 1;
    net::IpAddress a;
    const bool got = net::parse_address(t, a);
    INFO(t);
    CHECK(got == want);
    if (got && want) CHECK(std::memcmp(a.bytes.data(), buf, is6 ? 16 : 4) == 0);
  }
  net::IpAddress untouched = net::IpAddress::v4(1U);
  CHECK_FALSE(net::parse_address(nullptr, untouched));
  CHECK_FALSE(net::parse_address("bad", untouched));
  CHECK(untouched == net::IpAddress::v4(1U));  // unchanged on failure
}

// RFC 1071 checksum: known vectors, odd lengths, chaining, alignment, and agreement with a naive reference.

#include <doctest/doctest.h>

#include <random>

#include "support/frame_builder.hpp"
#include "synscope/net/checksum.hpp"

using namespace synscope;
using synscope::test::Frame;
using synscope::test::hex;
using synscope::test::reference_checksum;

TEST_CASE("checksum: RFC 1071 §3 worked example") {
  // 00 01 f2 03 f4 f5 f6 f7: the one's-complement sum is 0xddf2, so the checksum is its complement 0x220d.
  const Frame f = hex({"00 01 f2 03 f4 f5 f6 f7"});
  CHECK(net::internet_checksum(test::view(f)) == 0x220d);
}

TEST_CASE("checksum: an IPv4 header with its checksum verifies to zero, a flipped bit does not") {
  // 45 00 00 3c 1c 46 40 00 40 06 [b1 e6] ac 10 0a 63 ac 10 0a 0c: the classic Wikipedia example header.
  Frame h = hex({"45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c"});
  CHECK(net::internet_checksum(test::view(h)) == 0);
  h[8] = std::byte{0x41};
  CHECK(net::internet_checksum(test::view(h)) != 0);
}

TEST_CASE("checksum: edge lengths") {
  CHECK(net::internet_checksum({}) == 0xFFFF);
  const Frame one = hex({"ab"});  // padded to ab 00
  CHECK(net::internet_checksum(test::view(one)) == static_cast<std::uint16_t>(~0xab00U & 0xFFFFU));
  const Frame ff = hex({"ff ff ff ff"});  // sum is 0xffff (negative zero) -> checksum 0
  CHECK(net::internet_checksum(test::view(ff)) == 0);
}

TEST_CASE("checksum: agrees with the naive reference for every length, alignment, and chained split") {
  std::mt19937 rng(12345);
  Frame buf(2100);
  for (auto& b : buf) b = static_cast<std::byte>(rng() & 0xFFU);
  for (std::size_t len = 0; len <= 300; ++len) {
    for (std::size_t align = 0; align < 8; ++align) {
      const Bytes region{buf.data() + align, len};
      CHECK(net::internet_checksum(region) == reference_checksum(buf, align, len));
    }
  }
  // Buffers of exactly their length on the heap: a read before the start or past the end (the vector
  // paths read whole 32-byte windows) fails under AddressSanitizer.
  for (std::size_t len = 1; len <= 200; ++len) {
    const Frame exact(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
    CHECK(net::internet_checksum(test::view(exact)) == reference_checksum(buf, 0, len));
  }
  // Long buffers exercise the 32-byte loop and carries out of every lane.
  Frame ones(2048, std::byte{0xFF});
  CHECK(net::internet_checksum(test::view(ones)) == reference_checksum(ones, 0, ones.size()));
  CHECK(net::internet_checksum(test::view(buf)) == reference_checksum(buf, 0, buf.size()));
  // Chaining even-length pieces equals one pass (pseudo-header + segment is exactly this use).
  for (std::size_t cut = 0; cut <= 64; cut += 2) {
    const std::uint32_t s = net::checksum_add(net::checksum_add(0, Bytes{buf.data(), cut}), Bytes{buf.data() + cut, 301});
    CHECK(net::checksum_fold(s) == reference_checksum(buf, 0, cut + 301));
  }
  // A large starting sum (pseudo-header words added by hand) does not overflow.
  const std::uint32_t start = 0xFFFFFFF0U;
  const std::uint32_t s = net::checksum_add(start, Bytes{buf.data(), 100});
  std::uint64_t ref = start;
  while ((ref >> 16U) != 0) ref = (ref & 0xFFFFU) + (ref >> 16U);
  CHECK(net::checksum_fold(s) == reference_checksum(buf, 0, 100, static_cast<std::uint32_t>(ref)));
}

TEST_CASE("checksum: the whole-word variant agrees with checksum_add for every multiple of 4, alignment and start") {
  std::mt19937 rng(777);
  Frame buf(200);
  for (auto& b : buf) b = static_cast<std::byte>(rng() & 0xFFU);
  for (const std::uint32_t start : {0U, 0x1234U, 0xFFFFU, 0x2FFFDU, 0xFFFFFFF0U}) {
    for (std::size_t len = 0; len <= 64; len += 4) {
      for (std::size_t align = 0; align < 4; ++align) {
        const std::uint32_t general = net::checksum_add(start, Bytes{buf.data() + align, len});
        const std::uint32_t words = net::checksum_add_words(start, buf.data() + align, len);
        CHECK(net::checksum_fold(words) == net::checksum_fold(general));
      }
    }
  }
  // All-ones words carry out of every 16-bit half.
  const Frame ones(60, std::byte{0xFF});
  CHECK(net::checksum_fold(net::checksum_add_words(0, ones.data(), ones.size())) ==
        reference_checksum(ones, 0, ones.size()));
}

#include "synscope/net/checksum.hpp"

#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace synscope::net {

namespace {

// RFC 1071 §2(B): the one's-complement sum is independent of byte order, so words are summed in host order
// and the folded result is swapped to network order once at the end. 64-bit loads are split into two 32-bit
// halves added to a 64-bit accumulator: no carry is lost for any buffer shorter than 2^32 words.
#if defined(__x86_64__) && defined(__GNUC__)
#define SYNSCOPE_CHECKSUM_AVX2 1
/// The SSE2 loop below on 256-bit registers: 64 bytes per step instead of 32. Compiled for AVX2 whatever
/// the build's target and called only when the CPU has it (checked once).
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::byte* p, std::size_t n) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  __m256i a = zero;
  __m256i b = zero;
  for (; n >= 64; p += 64, n -= 64) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v, zero));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(w, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(w, zero));
  }
  const __m256i s = _mm256_add_epi64(a, b);
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  std::uint64_t lanes[2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), h);
  return lanes[0] + lanes[1];
}
bool have_avx2() noexcept {
  static const bool yes = __builtin_cpu_supports("avx2") != 0;
  return yes;
}
#endif

std::uint64_t sum_native(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t acc = 0;
#ifdef SYNSCOPE_CHECKSUM_AVX2
  if (n >= 128 && have_avx2()) {
    acc = sum_avx2(p, n);
    p += n & ~std::size_t{63};
    n &= 63U;
  }
#endif
#ifdef __SSE2__
  // Baseline x86-64: each 16-byte load is split into four 32-bit words widened to 64 bits (unpack with
  // zero) in two 2×64-bit accumulators; the same sums as the scalar loop below, twice the bytes per step.
  if (n >= 32) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero;
    __m128i b = zero;
    while (n >= 32) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      a = _mm_add_epi64(a, _mm_unpacklo_epi32(v, zero));
      b = _mm_add_epi64(b, _mm_unpackhi_epi32(v, zero));
      a = _mm_add_epi64(a, _mm_unpacklo_epi32(w, zero));
      b = _mm_add_epi64(b, _mm_unpackhi_epi32(w, zero));
      p += 32;
      n -= 32;
    }
    std::uint64_t lanes[2];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), _mm_add_epi64(a, b));
    acc += lanes[0] + lanes[1];
  }
#endif
  while (n >= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, sizeof w);
    acc += (w[0] & 0xFFFFFFFFU) + (w[0] >> 32U) + (w[1] & 0xFFFFFFFFU) + (w[1] >> 32U);
    acc += (w[2] & 0xFFFFFFFFU) + (w[2] >> 32U) + (w[3] & 0xFFFFFFFFU) + (w[3] >> 32U);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, sizeof w);
    acc += (w & 0xFFFFFFFFU) + (w >> 32U);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    std::uint32_t w = 0;
    std::memcpy(&w, p, sizeof w);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w = 0;
    std::memcpy(&w, p, sizeof w);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // Odd trailing byte: pad with a zero byte after it (RFC 1071 §4.1), in host word order.
    const std::byte pad[2] = {*p, std::byte{0}};
    std::uint16_t w = 0;
    std::memcpy(&w, pad, sizeof w);
    acc += w;
  }
  return acc;
}

}  // namespace

std::uint32_t checksum_add(std::uint32_t sum, Bytes data) noexcept {
  const std::uint32_t part = detail::fold_to_network(sum_native(data.data(), data.size()));
  // Keep the running sum folded so callers can chain many buffers without overflow.
  return detail::fold16(std::uint64_t{sum} + part);
}

}  // namespace synscope::net

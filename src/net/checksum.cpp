#include "synscope/net/checksum.hpp"

#include <bit>
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
/// The whole sum of n >= 32 bytes on 256-bit registers: 64 bytes per step, then one 32-byte step, then
/// the last n % 32 bytes as the 32 that end where the buffer ends, with the bytes already summed masked
/// off. One call and one reduction for the commonest segments (a 32-byte ACK, a few hundred bytes of
/// data), where the SSE2 loop and the scalar tail below spent more on set-up than on summing. Compiled for
/// AVX2 whatever the build's target and called only when the CPU has it (checked once).
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::byte* p, std::size_t n) noexcept {
  // 32 zero bytes then 32 all-ones bytes: the 32 bytes from kTailMask + r keep the last r of 32.
  alignas(64) static constexpr unsigned char kTailMask[64] = {
      0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  // An odd last byte first, padded with a zero after it (RFC 1071 §4.1): the word it starts is the low
  // half of a host-order (little-endian) word. Then the length is even and the tail window below starts
  // at an even offset, so every byte in it keeps its half of its 16-bit word.
  std::uint64_t odd = 0;
  if ((n & 1U) != 0) {
    --n;
    odd = std::to_integer<std::uint8_t>(p[n]);
  }
  const std::byte* const end = p + n;
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
  if (n >= 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v, zero));
    n -= 32;
  }
  // n < 32 bytes left; the buffer holds at least 32 (n was at least 33 if it was odd), so the 32 ending
  // at `end` are all inside it.
  const __m256i last = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(end - 32));
  const __m256i keep = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + n));
  const __m256i t = _mm256_and_si256(last, keep);
  a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(t, zero));
  b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(t, zero));
  const __m256i s = _mm256_add_epi64(a, b);
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return odd + static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) + static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
}
/// Set once before main(): a plain load per call instead of a guarded function-local static.
const bool kHaveAvx2 = []() noexcept {
  __builtin_cpu_init();  // __builtin_cpu_supports() may run before the runtime's own initialiser
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

/// A 64-bit word's two 32-bit halves, added (no carry lost in a 64-bit accumulator).
inline std::uint64_t halves(std::uint64_t w) noexcept { return (w & 0xFFFFFFFFU) + (w >> 32U); }

inline std::uint64_t load64(const std::byte* p) noexcept {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return w;
}

/// Buffers shorter than 16 bytes, piece by piece.
std::uint64_t sum_short(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t acc = 0;
  if (n >= 8) {
    acc += halves(load64(p));
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

/// Inlined into both callers, so that the common case (32 bytes or more with AVX2) is one test and a jump
/// into sum_avx2() from native_sum().
[[gnu::always_inline]] inline std::uint64_t sum_native(const std::byte* p, std::size_t n) noexcept {
  if (n < 16) return sum_short(p, n);
  const std::byte* const end = p + n;
  std::uint64_t acc = 0;
#ifdef SYNSCOPE_CHECKSUM_AVX2
  if (n >= 32 && kHaveAvx2) return sum_avx2(p, n);
#endif
  // 16 bytes per step. Baseline x86-64: each load split into four 32-bit words widened to 64 bits
  // (unpack with zero) in two 2×64-bit accumulators; elsewhere two 64-bit words, each as two halves.
#ifdef __SSE2__
  if (n >= 16) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero;
    __m128i b = zero;
    for (; n >= 16; p += 16, n -= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      a = _mm_add_epi64(a, _mm_unpacklo_epi32(v, zero));
      b = _mm_add_epi64(b, _mm_unpackhi_epi32(v, zero));
    }
    std::uint64_t lanes[2];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), _mm_add_epi64(a, b));
    acc += lanes[0] + lanes[1];
  }
#else
  for (; n >= 16; p += 16, n -= 16) acc += halves(load64(p)) + halves(load64(p + 8));
#endif
  // The last n < 16 bytes without a branch per size: the 16 bytes that end where the buffer ends (the
  // buffer is at least 16 long), shifted down by the bytes already summed. The tail starts a multiple of 16
  // bytes into the buffer, so each byte keeps its place in its 16-bit word, and the zeros shifted in pad an
  // odd last byte as RFC 1071 §4.1 asks. (Little-endian: the first byte is the lowest.)
#ifdef __SIZEOF_INT128__
  if constexpr (std::endian::native == std::endian::little) {
    __extension__ using U128 = unsigned __int128;
    const U128 last = static_cast<U128>(load64(end - 8)) << 64U | load64(end - 16);
    const U128 tail = n == 0 ? U128{0} : last >> ((16U - n) * 8U);  // shifts of 8..120 bits
    acc += halves(static_cast<std::uint64_t>(tail)) + halves(static_cast<std::uint64_t>(tail >> 64U));
    return acc;
  }
#endif
  (void)end;
  return acc + sum_short(p, n);
}

}  // namespace

std::uint64_t native_sum(Bytes data) noexcept { return sum_native(data.data(), data.size()); }

std::uint32_t checksum_add(std::uint32_t sum, Bytes data) noexcept {
  const std::uint32_t part = detail::fold_to_network(sum_native(data.data(), data.size()));
  // Keep the running sum folded so callers can chain many buffers without overflow.
  return detail::fold16(std::uint64_t{sum} + part);
}

}  // namespace synscope::net

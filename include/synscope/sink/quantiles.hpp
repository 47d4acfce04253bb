#pragma once
// Bounded-memory quantiles of non-negative durations (the handshake-RTT summary).
//
// Exact while at most kExactLimit values were added (they are kept and selected from on demand); past that, the
// values move into a log-linear histogram: values below 128 ns have a bucket each, larger ones 128 buckets
// per power of two, so a reported quantile is within 1/256 (0.4 %) of a value that really occurred at
// that rank. Memory stays below 600 KiB whatever the number of values, so the text summary of a capture
// with 100 million connections costs what one with 100 thousand does. count() and max() are always exact.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synscope::sink {

class DurationQuantiles {
 public:
  static constexpr std::size_t kExactLimit = std::size_t{1} << 16;
  static constexpr unsigned kSubBits = 7;                 // 128 sub-buckets per power of two
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;  // up to bit 63

  void add(std::int64_t ns) {
    const std::uint64_t v = ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
    if (count_ == 0 || v > max_) max_ = v;
    ++count_;
    if (buckets_.empty() && values_.size() < kExactLimit) {
      values_.push_back(v);
      return;
    }
    if (buckets_.empty()) spill();
    ++buckets_[bucket_of(v)];
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::int64_t max() const { return static_cast<std::int64_t>(max_); }
  /// True while quantile() returns values that occurred exactly.
  [[nodiscard]] bool exact() const { return buckets_.empty(); }

  /// The value at rank round(p * (count - 1)) in ascending order (0 <= p <= 1); 0 when empty.
  [[nodiscard]] std::int64_t quantile(double p) {
    if (count_ == 0) return 0;
    p = std::clamp(p, 0.0, 1.0);
    const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count_ - 1) + 0.5);
    if (buckets_.empty()) {
      // A selection, not a sort: the summary asks for three quantiles, and each nth_element is linear
      // (sorting 65,536 values cost ~1 % of a `--conns-only` run on a million packets). Later calls see
      // the values partly ordered by earlier ones; the value at each rank is the same.
      const auto nth = values_.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(rank, values_.size() - 1));
      std::nth_element(values_.begin(), nth, values_.end());
      return static_cast<std::int64_t>(*nth);
    }
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      seen += buckets_[b];
      if (seen > rank) return static_cast<std::int64_t>(std::min(representative(b), max_));
    }
    return static_cast<std::int64_t>(max_);
  }

  [[nodiscard]] static std::size_t bucket_of(std::uint64_t v) {
    if (v < (std::uint64_t{1} << kSubBits)) return static_cast<std::size_t>(v);
    const auto e = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= kSubBits
    const std::uint64_t mantissa = (v >> (e - kSubBits)) & ((std::uint64_t{1} << kSubBits) - 1);
    return (static_cast<std::size_t>(e - kSubBits + 1) << kSubBits) + static_cast<std::size_t>(mantissa);
  }
  /// The middle of bucket b's value range.
  [[nodiscard]] static std::uint64_t representative(std::size_t b) {
    if (b < (std::size_t{1} << kSubBits)) return b;
    const auto e = static_cast<unsigned>(b >> kSubBits) + kSubBits - 1;
    const std::uint64_t mantissa = b & ((std::size_t{1} << kSubBits) - 1);
    const unsigned shift = e - kSubBits;
    const std::uint64_t lo = ((std::uint64_t{1} << kSubBits) + mantissa) << shift;
    return lo + ((std::uint64_t{1} << shift) >> 1);
  }

 private:
  void spill() {
    buckets_.assign(kBuckets, 0);
    for (const std::uint64_t v : values_) ++buckets_[bucket_of(v)];
    std::vector<std::uint64_t>().swap(values_);  // give the exact values' memory back
  }

  std::vector<std::uint64_t> values_;
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace synscope::sink

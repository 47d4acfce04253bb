#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "synscope/sink/quantiles.hpp"

using synscope::sink::DurationQuantiles;

namespace {
std::int64_t nearest_rank(std::vector<std::int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}
}  // namespace

TEST_CASE("quantiles: empty, one value, exact up to the limit") {
  DurationQuantiles q;
  CHECK(q.count() == 0);
  CHECK(q.quantile(0.5) == 0);
  q.add(133'000);
  CHECK(q.quantile(0.0) == 133'000);
  CHECK(q.quantile(0.99) == 133'000);
  CHECK(q.max() == 133'000);

  DurationQuantiles e;
  std::vector<std::int64_t> all;
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < DurationQuantiles::kExactLimit; ++i) {
    const auto v = static_cast<std::int64_t>(rng() % 5'000'000'000ULL);
    e.add(v);
    all.push_back(v);
  }
  CHECK(e.exact());
  for (const double p : {0.0, 0.5, 0.9, 0.99, 1.0}) CHECK(e.quantile(p) == nearest_rank(all, p));
  CHECK(e.max() == *std::max_element(all.begin(), all.end()));

  // Queries in any order, and values added between queries: each answer is the value at its rank.
  DurationQuantiles m;
  std::vector<std::int64_t> some;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1001; ++i) {
      const auto v = static_cast<std::int64_t>(rng() % 1'000'000ULL);
      m.add(v);
      some.push_back(v);
    }
    for (const double p : {0.99, 0.5, 0.9, 0.0, 0.5, 1.0, 0.25}) CHECK(m.quantile(p) == nearest_rank(some, p));
  }
}

TEST_CASE("quantiles: past the limit, within 1/256 of the true value at that rank - count and max exact") {
  DurationQuantiles q;
  std::vector<std::int64_t> all;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(11.0, 2.0);  // ~60 µs median, long tail
  for (int i = 0; i < 300'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    q.add(v);
    all.push_back(v);
  }
  q.add(-5);  // a negative (clock went back) counts as 0
  all.push_back(0);
  CHECK_FALSE(q.exact());
  CHECK(q.count() == all.size());
  CHECK(q.max() == *std::max_element(all.begin(), all.end()));
  for (const double p : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double truth = static_cast<double>(nearest_rank(all, p));
    const double got = static_cast<double>(q.quantile(p));
    CAPTURE(p);
    CHECK(got >= truth - truth / 256.0 - 1.0);
    CHECK(got <= truth + truth / 256.0 + 1.0);
  }
}

TEST_CASE("quantiles: buckets cover every 64-bit value in order") {
  std::size_t prev = 0;
  for (unsigned bit = 0; bit < 64; ++bit) {
    for (const std::uint64_t v : {std::uint64_t{1} << bit, (std::uint64_t{1} << bit) + ((std::uint64_t{1} << bit) >> 1)}) {
      const std::size_t b = DurationQuantiles::bucket_of(v);
      CHECK(b < DurationQuantiles::kBuckets);
      CHECK(b >= prev);
      prev = b;
      const double rep = static_cast<double>(DurationQuantiles::representative(b));
      CHECK(rep >= static_cast<double>(v) * (1.0 - 1.0 / 128.0));
      CHECK(rep <= static_cast<double>(v) * (1.0 + 1.0 / 128.0) + 1.0);
    }
  }
  CHECK(DurationQuantiles::bucket_of(~std::uint64_t{0}) == DurationQuantiles::kBuckets - 1);
  for (std::uint64_t v = 0; v < 4096; ++v) {
    const std::size_t b = DurationQuantiles::bucket_of(v);
    CHECK(static_cast<double>(DurationQuantiles::representative(b)) <= static_cast<double>(v) * (1.0 + 1.0 / 128.0) + 0.5);
  }
}

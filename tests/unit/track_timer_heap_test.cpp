// The tracker's 4-ary timer heap against a sorted reference: random pushes and pops with many equal
// deadlines, rebuilding after entries are dropped (the tracker's compaction), and the empty edge cases.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "synscope/track/timer_heap.hpp"

using synscope::track::HeapEntry;
using synscope::track::TimerHeap;

namespace {

/// Pops the reference's earliest entry by (deadline, id) — what the tracker fires next.
HeapEntry pop_reference(std::vector<HeapEntry>& ref) {
  const auto it = std::min_element(ref.begin(), ref.end(), TimerHeap::earlier);
  const HeapEntry e = *it;
  ref.erase(it);
  return e;
}

bool same(const HeapEntry& a, const HeapEntry& b) { return a.deadline == b.deadline && a.id == b.id; }

}  // namespace

TEST_CASE("timer heap: random pushes and pops come out in (deadline, id) order") {
  std::mt19937_64 rng(20261204);
  TimerHeap heap;
  std::vector<HeapEntry> ref;
  std::size_t pops = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool push = heap.empty() || rng() % 5 < 3;
    if (push) {
      // Few distinct deadlines, so ties on the deadline (decided by id) are common.
      const HeapEntry e{static_cast<std::int64_t>(rng() % 50), static_cast<std::uint32_t>(rng() % 1000),
                        static_cast<std::uint32_t>(rng() % 300)};
      heap.push(e);
      ref.push_back(e);
    } else {
      const HeapEntry got = heap.pop();
      const HeapEntry want = pop_reference(ref);
      REQUIRE(same(got, want));
      ++pops;
    }
    REQUIRE(heap.size() == ref.size());
    if (!heap.empty()) CHECK(same(heap.top(), *std::min_element(ref.begin(), ref.end(), TimerHeap::earlier)));
  }
  while (!heap.empty()) REQUIRE(same(heap.pop(), pop_reference(ref)));
  CHECK(ref.empty());
  CHECK(pops > 5000);
}

TEST_CASE("timer heap: make() after dropping entries, and tiny heaps") {
  std::mt19937_64 rng(7);
  for (const std::size_t n : {0U, 1U, 2U, 3U, 4U, 5U, 6U, 17U, 1000U}) {
    TimerHeap heap;
    std::vector<HeapEntry> ref;
    for (std::size_t i = 0; i < n; ++i) {
      const HeapEntry e{static_cast<std::int64_t>(rng() % 100), static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(rng() % 10)};
      heap.push(e);
      if (e.idx % 3 != 1) ref.push_back(e);
    }
    // The tracker's compaction: drop entries anywhere, then rebuild.
    heap.remove_if([](const HeapEntry& e) { return e.idx % 3 == 1; });
    CHECK(heap.size() == ref.size());
    std::sort(ref.begin(), ref.end(), TimerHeap::earlier);
    INFO("n = " << n);
    for (const HeapEntry& want : ref) {
      REQUIRE(!heap.empty());
      CHECK(same(heap.pop(), want));
    }
    CHECK(heap.empty());
  }
}

TEST_CASE("timer heap: the children of every entry share one cache line, and release() empties it") {
  TimerHeap heap;
  for (std::uint32_t i = 0; i < 5000; ++i) heap.push({static_cast<std::int64_t>(i * 7919U % 1000U), i, i});
  for (std::size_t i = 0; TimerHeap::kArity * i + TimerHeap::kArity < heap.size(); i += 97) {
    const auto first = reinterpret_cast<std::uintptr_t>(&heap[TimerHeap::kArity * i + 1]);
    const auto last = reinterpret_cast<std::uintptr_t>(&heap[TimerHeap::kArity * i + TimerHeap::kArity]);
    CHECK(first % 64 == 0);
    CHECK(last / 64 == first / 64);
  }
  // Grown by doubling the entries, not the padded storage: 5000 entries fit in 8192 (the storage's own
  // doubling would have reached 3 * 2^11 = 6144 entries with room for 6141, and 1.5 times the memory
  // at the next step).
  CHECK(heap.capacity() == 8192);
  heap.release();
  CHECK(heap.empty());
  heap.push({5, 1, 1});
  heap.push({3, 2, 2});
  CHECK(heap.pop().deadline == 3);
  CHECK(heap.size() == 1);
}

// The calendar queue in front of the heap, with tiny buckets (8 ns wide, 8 of them: a 64 ns horizon) so
// that every path runs often: pushes into the current bucket, the ring and beyond the horizon, refills
// that walk empty buckets or jump to the earliest far entry, deadlines below the current bucket (capture
// time that went backwards), negative times, and the tracker's compaction.
TEST_CASE("timer queue: the same order as the heap's whatever bucket an entry waits in") {
  using Queue = synscope::track::BasicTimerQueue<3, 8>;
  for (const std::uint64_t seed : {1U, 2U, 3U, 4U}) {
    std::mt19937_64 rng(seed);
    Queue q;
    std::vector<HeapEntry> ref;
    std::int64_t now = seed == 4 ? -500 : 0;  // seed 4: times below zero
    std::size_t pops = 0;
    std::size_t far_pushes = 0;
    for (int step = 0; step < 30000; ++step) {
      const auto r = rng() % 100;
      if (r < 55 || q.empty()) {
        // Mostly near the current time, some far beyond the horizon, some in the past.
        std::int64_t d = now + static_cast<std::int64_t>(rng() % 40);
        if (r % 7 == 0) d = now + 64 + static_cast<std::int64_t>(rng() % 2000);
        if (r % 11 == 0) d = now - static_cast<std::int64_t>(rng() % 100);
        if (d - now >= 64) ++far_pushes;
        // As in the tracker, equal (deadline, id) means the same connection: id is a function of idx.
        const auto idx = static_cast<std::uint32_t>(rng() % 1000);
        const HeapEntry e{d, idx, idx * 7U % 1000U};
        q.push(e);
        ref.push_back(e);
      } else if (r < 97) {
        const HeapEntry got = q.pop();
        const HeapEntry want = pop_reference(ref);
        REQUIRE(same(got, want));
        now = std::max(now, got.deadline);
        ++pops;
      } else {
        const std::uint32_t k = static_cast<std::uint32_t>(rng() % 4);
        auto drop = [k](const HeapEntry& e) { return e.idx % 4 == k; };
        q.remove_if(drop);
        ref.erase(std::remove_if(ref.begin(), ref.end(), drop), ref.end());
      }
      REQUIRE(q.size() == ref.size());
      REQUIRE(q.empty() == ref.empty());
      if (!q.empty()) REQUIRE(same(q.top(), *std::min_element(ref.begin(), ref.end(), TimerHeap::earlier)));
      if (step % 5000 == 4999) now += 10000;  // a gap in capture time: the next pushes land far ahead
    }
    while (!q.empty()) REQUIRE(same(q.pop(), pop_reference(ref)));
    CHECK(ref.empty());
    CHECK(pops > 10000);
    CHECK(far_pushes > 1000);
  }
}

TEST_CASE("timer queue: empty edges, one far entry, clear and release") {
  synscope::track::BasicTimerQueue<3, 8> q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  q.push({1000000, 1, 1});  // alone: it becomes near whatever its time
  CHECK(q.top().deadline == 1000000);
  q.push({5, 2, 2});        // far below the current bucket
  q.push({1000100, 3, 3});  // beyond the horizon
  q.push({1000020, 4, 4});  // in the ring
  CHECK(q.size() == 4);
  CHECK(q.pop().deadline == 5);
  CHECK(q.pop().deadline == 1000000);
  CHECK(q.near_size() == 1);  // the ring's bucket moved into near
  CHECK(q.pop().deadline == 1000020);
  CHECK(q.pop().deadline == 1000100);  // reached by a jump over empty buckets
  CHECK(q.empty());
  for (std::int64_t d = 0; d < 1000; d += 3) q.push({d, 0, 0});
  q.clear();
  CHECK(q.empty());
  CHECK(q.size() == 0);
  q.push({7, 1, 1});
  q.push({900, 2, 2});
  q.release();
  CHECK(q.empty());
  q.push({3, 5, 5});
  q.push({2, 6, 6});
  CHECK(q.pop().idx == 6);
  CHECK(q.pop().idx == 5);
  CHECK(q.empty());
}

// Capture times are clamped to ±2^62 ns, so two deadlines can be further apart than INT64_MAX: the
// horizon test must not compute their signed difference (the review of session 9 found it wrapping an
// entry into a ring bucket, which lost the order and stopped later timers).
template <typename Queue>
void check_extreme_deadlines(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Queue q;
  std::vector<HeapEntry> ref;
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  for (int step = 0; step < 4000; ++step) {
    if (q.empty() || rng() % 3 != 0) {
      std::int64_t d = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 63)) - kLimit;  // [-2^62, 2^62)
      // The extremes, and beyond +2^62 by up to a timeout (the CLI allows a year, ~2^55 ns).
      if (rng() % 4 == 0) d = -kLimit + static_cast<std::int64_t>(rng() % 1000);
      if (rng() % 4 == 0) d = kLimit + static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 55));
      const auto idx = static_cast<std::uint32_t>(rng() % 1000);
      const HeapEntry e{d, idx, idx * 7U % 1000U};
      q.push(e);
      ref.push_back(e);
    } else {
      REQUIRE(same(q.pop(), pop_reference(ref)));
    }
    REQUIRE(q.size() == ref.size());
  }
  while (!q.empty()) REQUIRE(same(q.pop(), pop_reference(ref)));
  CHECK(ref.empty());
}

TEST_CASE("timer queue: deadlines from -2^62 ns to 2^62 ns plus a timeout") {
  for (const std::uint64_t seed : {11U, 12U, 13U}) {
    check_extreme_deadlines<synscope::track::BasicTimerQueue<3, 8>>(seed);
    check_extreme_deadlines<synscope::track::TimerQueue>(seed);
  }
}

TEST_CASE("timer queue: an entry 2^63 ns past the current bucket waits beyond the horizon") {
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  synscope::track::TimerQueue q;
  q.push({-kLimit, 1, 1});                               // the calendar starts at -2^62
  q.push({kLimit + (std::int64_t{1} << 40), 2, 2});      // more than INT64_MAX after it
  q.push({kLimit, 3, 3});
  CHECK(q.pop().idx == 1);
  CHECK(q.pop().idx == 3);
  CHECK(q.pop().idx == 2);
  CHECK(q.empty());
}

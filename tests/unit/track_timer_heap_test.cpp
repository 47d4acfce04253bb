// The tracker's 4-ary timer heap against a sorted reference: random pushes and pops with many equal
// deadlines, rebuilding after entries are dropped (the tracker's compaction), and the empty edge cases.

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "synscope/track/timer_heap.hpp"

using synscope::track::HeapEntry;
namespace timer_heap = synscope::track::timer_heap;

namespace {

/// Pops the reference's earliest entry by (deadline, id) — what the tracker fires next.
HeapEntry pop_reference(std::vector<HeapEntry>& ref) {
  const auto it = std::min_element(ref.begin(), ref.end(), timer_heap::earlier);
  const HeapEntry e = *it;
  ref.erase(it);
  return e;
}

bool same(const HeapEntry& a, const HeapEntry& b) { return a.deadline == b.deadline && a.id == b.id; }

}  // namespace

TEST_CASE("timer heap: random pushes and pops come out in (deadline, id) order") {
  std::mt19937_64 rng(20261204);
  std::vector<HeapEntry> heap;
  std::vector<HeapEntry> ref;
  std::size_t pops = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool push = heap.empty() || rng() % 5 < 3;
    if (push) {
      // Few distinct deadlines, so ties on the deadline (decided by id) are common.
      const HeapEntry e{static_cast<std::int64_t>(rng() % 50), static_cast<std::uint32_t>(rng() % 1000),
                        static_cast<std::uint32_t>(rng() % 300)};
      timer_heap::push(heap, e);
      ref.push_back(e);
    } else {
      const HeapEntry got = timer_heap::pop(heap);
      const HeapEntry want = pop_reference(ref);
      REQUIRE(same(got, want));
      ++pops;
    }
    REQUIRE(heap.size() == ref.size());
    if (!heap.empty()) CHECK(same(heap.front(), *std::min_element(ref.begin(), ref.end(), timer_heap::earlier)));
  }
  while (!heap.empty()) REQUIRE(same(timer_heap::pop(heap), pop_reference(ref)));
  CHECK(ref.empty());
  CHECK(pops > 5000);
}

TEST_CASE("timer heap: make() after dropping entries, and tiny heaps") {
  std::mt19937_64 rng(7);
  for (const std::size_t n : {0U, 1U, 2U, 3U, 4U, 5U, 6U, 17U, 1000U}) {
    std::vector<HeapEntry> heap;
    for (std::size_t i = 0; i < n; ++i) {
      timer_heap::push(heap, {static_cast<std::int64_t>(rng() % 100), static_cast<std::uint32_t>(i),
                              static_cast<std::uint32_t>(rng() % 10)});
    }
    // The tracker's compaction: drop entries anywhere, then rebuild.
    std::erase_if(heap, [](const HeapEntry& e) { return e.idx % 3 == 1; });
    std::vector<HeapEntry> ref = heap;
    timer_heap::make(heap);
    std::sort(ref.begin(), ref.end(), timer_heap::earlier);
    INFO("n = " << n);
    for (const HeapEntry& want : ref) {
      REQUIRE(!heap.empty());
      CHECK(same(timer_heap::pop(heap), want));
    }
    CHECK(heap.empty());
  }
}

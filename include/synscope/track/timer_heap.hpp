#pragma once
/// The connection tracker's timer queue: a 4-ary min-heap of (deadline, connection) entries, kept in a
/// std::vector the tracker also reuses as scratch storage when it flushes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synscope::track {

/// 16 bytes: the heap holds about one entry per open connection. `id` is the low half of the connection's
/// id: equal deadlines fire in that order whatever the heap's history (EmitPosition merging uses the same
/// key), and an entry whose connection is gone or was replaced in its slot no longer matches it.
struct HeapEntry {
  std::int64_t deadline;
  std::uint32_t idx;
  std::uint32_t id;
};
/// The timer heap: a 4-ary min-heap by (deadline, id). Half the levels of a binary heap: with ~80,000
/// entries (1.3 MB) the lower levels are cache misses, one per level on every pop (perf put the binary
/// heap's sift-down at ~5 % of a --conns-only run). Entries equal in (deadline, id) are the same
/// connection's, so the order timers fire in does not depend on the heap's shape.
namespace timer_heap {
constexpr std::size_t kArity = 4;
inline bool earlier(const HeapEntry& x, const HeapEntry& y) noexcept {
  return x.deadline != y.deadline ? x.deadline < y.deadline : x.id < y.id;
}
inline void sift_down(std::vector<HeapEntry>& h, std::size_t i, HeapEntry e) noexcept {
  const std::size_t n = h.size();
  for (;;) {
    const std::size_t first = kArity * i + 1;
    if (first >= n) break;
    const std::size_t end = std::min(first + kArity, n);
    std::size_t best = first;
    for (std::size_t j = first + 1; j < end; ++j) best = earlier(h[j], h[best]) ? j : best;
    if (!earlier(h[best], e)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = e;
}
inline void push(std::vector<HeapEntry>& h, HeapEntry e) {
  std::size_t i = h.size();
  h.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}
/// Removes and returns the earliest entry (h must not be empty).
inline HeapEntry pop(std::vector<HeapEntry>& h) noexcept {
  const HeapEntry top = h.front();
  const HeapEntry last = h.back();
  h.pop_back();
  if (!h.empty()) sift_down(h, 0, last);
  return top;
}
inline void make(std::vector<HeapEntry>& h) noexcept {
  if (h.size() < 2) return;
  for (std::size_t i = (h.size() - 2) / kArity + 1; i-- > 0;) sift_down(h, i, h[i]);
}
}  // namespace timer_heap

}  // namespace synscope::track

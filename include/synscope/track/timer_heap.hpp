#pragma once
/// The connection tracker's timer queue: a 4-ary min-heap of (deadline, connection) entries laid out so
/// that the four children of an entry share one cache line.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
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

/// Storage that starts on a 64-byte boundary (malloc gives 16; a large block is 16 bytes past a page).
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() noexcept = default;
  template <typename U>
  explicit CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t /*n*/) noexcept { ::operator delete(p, std::align_val_t{64}); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

/// A 4-ary min-heap by (deadline, id). Half the levels of a binary heap: with ~80,000 entries (1.3 MB)
/// the lower levels are cache misses, one per level on every pop. Entry i lives at position i + 3 of
/// cache-line-aligned storage, so its children 4i+1 … 4i+4 sit at positions 4i+4 … 4i+7: one 64-byte
/// line per level instead of two (perf put the sift-down's child compares at ~17 % of the tracker's
/// samples when every group of children straddled two lines). Entries equal in (deadline, id) are the
/// same connection's, so the order timers fire in does not depend on the heap's shape.
class TimerHeap {
 public:
  static constexpr std::size_t kArity = 4;

  TimerHeap() { v_.resize(kPad); }

  static bool earlier(const HeapEntry& x, const HeapEntry& y) noexcept {
    return x.deadline != y.deadline ? x.deadline < y.deadline : x.id < y.id;
  }

  [[nodiscard]] bool empty() const noexcept { return v_.size() == kPad; }
  [[nodiscard]] std::size_t size() const noexcept { return v_.size() - kPad; }
  /// The earliest entry (the heap must not be empty).
  [[nodiscard]] const HeapEntry& top() const noexcept { return v_[kPad]; }
  /// Entry i in heap order: 0 is the top, 1 … 4 its children.
  [[nodiscard]] const HeapEntry& operator[](std::size_t i) const noexcept { return v_[i + kPad]; }

  void push(HeapEntry e) {
    std::size_t i = size();
    // Room for a power of two of entries plus the padding: growing the storage itself by doubling
    // (3, 6, …, 3·2^k) would reach 1.5 times the entries' size, and a SYN flood's peak memory with it.
    if (v_.size() == v_.capacity()) v_.reserve(kPad + 2 * std::max<std::size_t>(i, 32));
    v_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / kArity;
      if (!earlier(e, at(parent))) break;
      at(i) = at(parent);
      i = parent;
    }
    at(i) = e;
  }
  /// Removes and returns the earliest entry (the heap must not be empty).
  HeapEntry pop() noexcept {
    const HeapEntry top = at(0);
    const HeapEntry last = v_.back();
    v_.pop_back();
    if (!empty()) sift_down(0, last);
    return top;
  }
  /// Drops the entries `drop` picks, then restores the heap order (the tracker's compaction).
  template <typename Pred>
  void remove_if(Pred drop) {
    v_.erase(std::remove_if(v_.begin() + static_cast<std::ptrdiff_t>(kPad), v_.end(), drop), v_.end());
    make();
  }
  void clear() noexcept { v_.resize(kPad); }
  /// Gives the storage back (the tracker's flush needs the memory for its report order instead).
  void release() {
    Storage().swap(v_);
    v_.resize(kPad);
  }
  /// Entries the storage holds without growing (tests).
  [[nodiscard]] std::size_t capacity() const noexcept { return v_.capacity() - kPad; }

 private:
  static constexpr std::size_t kPad = kArity - 1;
  using Storage = std::vector<HeapEntry, CacheLineAllocator<HeapEntry>>;

  HeapEntry& at(std::size_t i) noexcept { return v_[i + kPad]; }

  void sift_down(std::size_t i, HeapEntry e) noexcept {
    const std::size_t n = size();
    for (;;) {
      const std::size_t first = kArity * i + 1;
      if (first >= n) break;
      const std::size_t end = std::min(first + kArity, n);
      // The next level's line is one of the four children's child groups: ask for all four now, while
      // this level's line is on its way (their addresses do not depend on the entries' contents).
      for (std::size_t j = first; j < end; ++j) {
        const std::size_t grandchild = kArity * j + 1;
        if (grandchild < n) __builtin_prefetch(&at(grandchild));
      }
      std::size_t best = first;
      for (std::size_t j = first + 1; j < end; ++j) best = earlier(at(j), at(best)) ? j : best;
      if (!earlier(at(best), e)) break;
      at(i) = at(best);
      i = best;
    }
    at(i) = e;
  }
  void make() noexcept {
    const std::size_t n = size();
    if (n < 2) return;
    for (std::size_t i = (n - 2) / kArity + 1; i-- > 0;) sift_down(i, at(i));
  }

  Storage v_;
};

}  // namespace synscope::track

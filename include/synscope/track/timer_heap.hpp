#pragma once
/// The connection tracker's timer queue: a calendar of time buckets (TimerQueue) in front of a 4-ary
/// min-heap of (deadline, connection) entries (TimerHeap) laid out so that the four children of an entry
/// share one cache line.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "synscope/core/select.hpp"

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

  /// Without a branch: which child is smallest is as good as random, and the branchy form was
  /// mispredicted about twice per level of a sift-down.
  static bool earlier(const HeapEntry& x, const HeapEntry& y) noexcept {
    return (x.deadline < y.deadline) | ((x.deadline == y.deadline) & (x.id < y.id));
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
      std::size_t best = first;
      if (first + kArity <= n) {
        // A full group (every level but the last): the next level's line is one of the four children's
        // child groups; ask for all four now, while this level's line is on its way (their addresses do
        // not depend on the entries' contents). Then the smallest child by a tournament of selects,
        // the lowest index among equals as the loop below picks it.
        for (std::size_t j = first; j < first + kArity; ++j) {
          const std::size_t grandchild = kArity * j + 1;
          if (grandchild < n) __builtin_prefetch(&at(grandchild));
        }
        const HeapEntry* c = &at(first);
        const std::size_t b01 = select<std::size_t>(earlier(c[1], c[0]), 1, 0);
        const std::size_t b23 = select<std::size_t>(earlier(c[3], c[2]), 3, 2);
        best = first + select(earlier(c[b23], c[b01]), b23, b01);
      } else {
        for (std::size_t j = first + 1; j < n; ++j) best = earlier(at(j), at(best)) ? j : best;
      }
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

/// The tracker's timer queue: a calendar of buckets in front of a small heap. Popping the top of one big
/// heap walked ~8 levels of a 1–2 MB array, one cache miss per level (perf: ~8 % of a `--conns-only`
/// run); here only the timers of the current bucket (2^kShift ns of capture time) are in a heap, which
/// stays in the cache, and later ones wait, unordered, in the bucket of their deadline.
///  * near: a TimerHeap of every entry with deadline < end (the end of the current bucket);
///  * ring: kBuckets buckets for deadlines in [end, end + kSpan), bucket = (deadline >> kShift) mod kBuckets;
///  * far: a TimerHeap of the rest (deadlines beyond the horizon: long timeouts).
/// When near runs dry, the next bucket that holds entries is moved into it (jumping straight to the
/// earliest far entry when the ring is empty), and far entries that come within the horizon move into the
/// ring. So near is empty only when the whole queue is, its top is the earliest entry by (deadline, id),
/// and entries come out in exactly TimerHeap's order. Pushes below `end` (capture time that went
/// backwards) simply go into near. Deadlines may be anywhere in [-2^62, 2^62] plus timeouts (the readers
/// clamp capture times to ±2^62 ns): below INT64_MAX - kSpan, so `end + kWidth` cannot overflow.
template <unsigned kShift = 28, std::size_t kBuckets = 2048>
class BasicTimerQueue {
 public:
  static constexpr std::int64_t kWidth = std::int64_t{1} << kShift;
  static constexpr std::int64_t kSpan = kWidth * static_cast<std::int64_t>(kBuckets);
  static_assert((kBuckets & (kBuckets - 1)) == 0, "kBuckets must be a power of two");

  BasicTimerQueue() : ring_(kBuckets) {}

  [[nodiscard]] bool empty() const noexcept { return near_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return near_.size() + ring_count_ + far_.size(); }
  /// The earliest entry (the queue must not be empty).
  [[nodiscard]] const HeapEntry& top() const noexcept { return near_.top(); }
  /// The near heap in heap order (0 is the top, 1 … 4 its children): the next timers to fire.
  [[nodiscard]] std::size_t near_size() const noexcept { return near_.size(); }
  [[nodiscard]] const HeapEntry& near(std::size_t i) const noexcept { return near_[i]; }

  void push(const HeapEntry& e) {
    if (empty()) end_ = bucket_start(e.deadline) + kWidth;  // nothing queued: the calendar starts here
    place(e);
  }
  /// Removes and returns the earliest entry (the queue must not be empty).
  HeapEntry pop() {
    const HeapEntry e = near_.pop();
    if (near_.empty()) refill();
    return e;
  }
  /// Drops the entries `drop` picks (the tracker's compaction).
  template <typename Pred>
  void remove_if(Pred drop) {
    near_.remove_if(drop);
    far_.remove_if(drop);
    ring_count_ = 0;
    for (Bucket& b : ring_) {
      b.erase(std::remove_if(b.begin(), b.end(), drop), b.end());
      ring_count_ += b.size();
    }
    if (near_.empty()) refill();
  }
  void clear() noexcept {
    near_.clear();
    far_.clear();
    for (Bucket& b : ring_) b.clear();
    ring_count_ = 0;
  }
  /// Gives the storage back (the tracker's flush needs the memory for its report order instead).
  void release() {
    near_.release();
    far_.release();
    for (Bucket& b : ring_) Bucket().swap(b);
    ring_count_ = 0;
  }

 private:
  using Bucket = std::vector<HeapEntry>;
  static constexpr std::size_t kDoubleFrom = 4096;

  static std::int64_t bucket_start(std::int64_t d) noexcept { return d & ~(kWidth - 1); }  // floor, also below 0
  static std::size_t bucket_of(std::int64_t d) noexcept {
    return static_cast<std::size_t>(static_cast<std::uint64_t>(d >> kShift) & (kBuckets - 1));
  }

  /// d < end + kSpan for d >= end, in unsigned arithmetic: deadlines span up to ±2^62 ns (clamped capture
  /// times), so the signed difference of two of them can overflow.
  [[nodiscard]] bool within_horizon(std::int64_t d) const noexcept {
    return static_cast<std::uint64_t>(d) - static_cast<std::uint64_t>(end_) < static_cast<std::uint64_t>(kSpan);
  }
  /// Appends to the bucket of e's deadline (within the horizon).
  void to_ring(const HeapEntry& e) {
    Bucket& b = ring_[bucket_of(e.deadline)];
    // Small buckets grow by a quarter, not doubled: the slack of every partly filled bucket counts in
    // peak memory. Large ones (a SYN flood's) double: fewer copies of megabytes.
    if (b.size() == b.capacity()) b.reserve(b.size() + (b.size() < kDoubleFrom ? b.size() / 4 + 16 : b.size()));
    b.push_back(e);
    ++ring_count_;
  }
  void place(const HeapEntry& e) {
    if (e.deadline < end_) {
      near_.push(e);
    } else if (within_horizon(e.deadline)) {
      to_ring(e);
    } else {
      far_.push(e);
    }
  }
  /// Far entries that the horizon [end, end + kSpan) now covers go into the ring.
  void pull_far() {
    while (!far_.empty() && within_horizon(far_.top().deadline)) {
      to_ring(far_.pop());
    }
  }
  /// near ran dry: the next bucket with entries becomes near. A drained bucket's storage is freed (a bucket
  /// is reused only after kSpan of capture time; keeping every one's capacity would hold memory for all
  /// the timers of the last kSpan).
  void refill() {
    while (near_.empty()) {
      if (ring_count_ == 0) {
        if (far_.empty()) return;
        end_ = bucket_start(far_.top().deadline);  // nothing within the horizon: jump to the earliest
        pull_far();
      }
      Bucket& b = ring_[bucket_of(end_)];
      end_ += kWidth;
      for (const HeapEntry& e : b) near_.push(e);
      ring_count_ -= b.size();
      Bucket().swap(b);
      pull_far();
    }
  }

  TimerHeap near_;
  std::vector<Bucket> ring_;
  TimerHeap far_;
  std::size_t ring_count_ = 0;
  std::int64_t end_ = 0;
};

using TimerQueue = BasicTimerQueue<>;

}  // namespace synscope::track

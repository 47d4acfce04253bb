#pragma once
/// ReadAhead: reads a file descriptor on a thread of its own, a few blocks ahead of its consumer.
///
/// A `read --conns-only` run of a capture in the page cache spends about a fifth of its time in the
/// kernel copying pages into the read buffer (perf: `_copy_to_iter`, `filemap_get_read_batch`). With a
/// second CPU free, that copy overlaps decoding and tracking instead of preceding them. The consumer
/// parses the chunks in place; each chunk has writable room in front of its data so that the
/// unconsumed tail of the previous chunk (a record cut by the block boundary) can be put there and the
/// record read contiguously.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace synscope::capture {

class ReadAhead {
 public:
  /// One block of the file, in file order.
  struct Chunk {
    unsigned char* data = nullptr;  ///< `headroom` writable bytes lie before it
    std::size_t size = 0;           ///< `block` bytes; fewer only in the last chunk
    int error = 0;                  ///< errno of the read that failed after `size` bytes (0: none)
    bool last = false;              ///< nothing follows: end of file (error == 0) or a read error
  };

  /// Starts the thread at the descriptor's current offset (throws std::system_error when no thread can
  /// be started). `chunks` >= 2 blocks of `block` bytes, each with `headroom` bytes in front. Signals are
  /// blocked on the thread, so Ctrl-C always reaches the consumer's thread. The descriptor stays the
  /// caller's and must outlive this object.
  ReadAhead(int fd, std::size_t block, std::size_t headroom, std::size_t chunks = 3);
  /// Stops the thread (after the read under way, if any) and waits for it.
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;
  ReadAhead(ReadAhead&&) = delete;
  ReadAhead& operator=(ReadAhead&&) = delete;

  /// Waits for the next chunk and returns it. The chunks returned before stay valid until release();
  /// hold at most `chunks` - 1 at a time, and do not call next() again after a chunk with `last` set.
  Chunk next();
  /// Gives the oldest chunk the consumer holds back to the thread (call after next() has returned the
  /// chunk that follows it and the tail has been copied over).
  void release();

 private:
  struct Slot {
    std::unique_ptr<unsigned char[]> memory;  // headroom + block, uninitialised (untouched pages cost nothing)
    Chunk chunk;
  };
  void run() noexcept;

  int fd_;
  std::size_t block_;
  std::size_t headroom_;
  std::vector<Slot> slots_;
  // The consumer's side makes no system call while the thread is ahead: it only counts what it gives
  // back, and the thread, finding every slot taken, sleeps a little and looks again (waking it with a
  // futex on every release cost the consumer ~4 % of a run: a cross-CPU wake-up in a VM).
  std::atomic<std::size_t> published_{0};  // chunks filled (the thread's count)
  std::atomic<std::size_t> released_{0};   // chunks given back (the consumer's count)
  std::atomic<bool> stop_{false};
  std::size_t taken_ = 0;                  // chunks the consumer has taken (its own)
  std::mutex mutex_;                       // for the consumer's wait when it has caught up
  std::condition_variable filled_;
  std::thread thread_;                     // last: starts after everything it uses
};

}  // namespace synscope::capture

#include "synscope/capture/read_ahead.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>

namespace synscope::capture {

ReadAhead::ReadAhead(int fd, std::size_t block, std::size_t headroom, std::size_t chunks)
    : fd_(fd), block_(block), headroom_(headroom), slots_(chunks < 2 ? 2 : chunks) {
  for (Slot& s : slots_) s.memory.reset(new unsigned char[headroom_ + block_]);  // NOLINT: uninitialised on purpose
  // The thread inherits the signal mask: block everything while it is created, so that SIGINT and
  // SIGTERM are handled on the consumer's thread (which checks for them between batches).
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

ReadAhead::~ReadAhead() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void ReadAhead::run() noexcept {
  // Sleeps end within ~10 µs of their time, not the default 50 µs later: a block is decoded in ~100 µs.
  (void)::prctl(PR_SET_TIMERSLACK, 10'000UL, 0UL, 0UL, 0UL);
  const std::size_t n = slots_.size();
  for (std::size_t k = 0;; ++k) {
    // Slot k % n is free once the consumer has given back chunk k - n.
    while (k >= released_.load(std::memory_order_acquire) + n) {
      if (stop_.load(std::memory_order_relaxed)) return;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    if (stop_.load(std::memory_order_relaxed)) return;
    Slot& s = slots_[k % n];
    // Fill the whole block (a regular file gives it in one read; the loop covers short reads).
    unsigned char* data = s.memory.get() + headroom_;
    std::size_t size = 0;
    int error = 0;
    bool end = false;
    while (size < block_) {
      const ssize_t got = ::read(fd_, data + size, block_ - size);
      if (got < 0) {
        if (errno == EINTR) continue;
        error = errno;
        end = true;
        break;
      }
      if (got == 0) {
        end = true;
        break;
      }
      size += static_cast<std::size_t>(got);
    }
    s.chunk = Chunk{data, size, error, end};
    {
      // Under the lock: a consumer about to wait either sees the new count or is woken.
      const std::lock_guard<std::mutex> lock(mutex_);
      published_.store(k + 1, std::memory_order_release);
    }
    filled_.notify_one();
    if (end) return;
  }
}

ReadAhead::Chunk ReadAhead::next() {
  if (published_.load(std::memory_order_acquire) <= taken_) {
    std::unique_lock<std::mutex> lock(mutex_);
    filled_.wait(lock, [&] { return published_.load(std::memory_order_acquire) > taken_; });
  }
  return slots_[taken_++ % slots_.size()].chunk;
}

void ReadAhead::release() {
  const std::size_t r = released_.load(std::memory_order_relaxed);
  if (r < taken_) released_.store(r + 1, std::memory_order_release);
}

}  // namespace synscope::capture

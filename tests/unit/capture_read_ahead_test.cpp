// ReadAhead on its own: the bytes of the descriptor in order, whole blocks but the last, short reads of
// a pipe filled up, a read error reported in order, and a stop while the thread waits or reads.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "synscope/capture/read_ahead.hpp"

using synscope::capture::ReadAhead;

namespace {

/// Everything a ReadAhead hands out, chunk by chunk; checks the headroom is writable on the way.
struct Drained {
  std::vector<unsigned char> bytes;
  std::vector<std::size_t> sizes;
  int error = 0;
};

Drained drain(ReadAhead& ra, std::size_t headroom) {
  Drained d;
  bool holding = false;
  for (;;) {
    const ReadAhead::Chunk c = ra.next();
    if (headroom > 0) std::memset(c.data - headroom, 0xAB, headroom);  // ASan: the room exists
    if (holding) ra.release();
    holding = true;
    d.bytes.insert(d.bytes.end(), c.data, c.data + c.size);
    d.sizes.push_back(c.size);
    if (c.last) {
      d.error = c.error;
      return d;
    }
  }
}

std::vector<unsigned char> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (unsigned char& b : v) b = static_cast<unsigned char>(rng());
  return v;
}

}  // namespace

TEST_CASE("ReadAhead: a file's bytes in order, in whole blocks") {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{4097}, std::size_t{100'003}}) {
    CAPTURE(size);
    const std::vector<unsigned char> data = random_bytes(size, static_cast<std::uint32_t>(size));
    char name[] = "/tmp/synscope-ra-XXXXXX";
    const int wfd = ::mkstemp(name);
    REQUIRE(wfd >= 0);
    REQUIRE(::write(wfd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(wfd);
    const int fd = ::open(name, O_RDONLY);
    REQUIRE(fd >= 0);
    for (const std::size_t chunks : {std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
      CAPTURE(chunks);
      REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
      Drained d;
      {
        ReadAhead ra(fd, 4096, 64, chunks);
        d = drain(ra, 64);
      }
      CHECK(d.bytes == data);
      CHECK(d.error == 0);
      REQUIRE_FALSE(d.sizes.empty());
      for (std::size_t i = 0; i + 1 < d.sizes.size(); ++i) CHECK(d.sizes[i] == 4096U);
      CHECK(d.sizes.back() == size % 4096U);  // a last full block is followed by an empty last chunk
    }
    ::close(fd);
    std::remove(name);
  }
}

TEST_CASE("ReadAhead: a pipe's short reads are filled up to whole blocks") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const std::vector<unsigned char> data = random_bytes(300'000, 7);
  std::thread writer([&] {
    std::mt19937 rng(3);
    std::size_t off = 0;
    while (off < data.size()) {
      const std::size_t n = std::min<std::size_t>(data.size() - off, 1 + rng() % 5000);
      const ssize_t w = ::write(p[1], data.data() + off, n);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
    ::close(p[1]);
  });
  Drained d;
  {
    ReadAhead ra(p[0], 65536, 0, 3);
    d = drain(ra, 0);
  }
  writer.join();
  ::close(p[0]);
  CHECK(d.bytes == data);
  for (std::size_t i = 0; i + 1 < d.sizes.size(); ++i) CHECK(d.sizes[i] == 65536U);
}

TEST_CASE("ReadAhead: a read error ends the chunks, with its errno") {
  char name[] = "/tmp/synscope-ra-XXXXXX";
  const int fd = ::mkstemp(name);  // read-write: reopened write-only below, so that read() fails
  REQUIRE(fd >= 0);
  ::close(fd);
  const int wfd = ::open(name, O_WRONLY);
  REQUIRE(wfd >= 0);
  Drained d;
  {
    ReadAhead ra(wfd, 4096, 0, 2);
    d = drain(ra, 0);
  }
  CHECK(d.error == EBADF);
  CHECK(d.bytes.empty());
  ::close(wfd);
  std::remove(name);
}

TEST_CASE("ReadAhead: destroyed while the thread waits for a free block, or before anything is taken") {
  const std::vector<unsigned char> data = random_bytes(1 << 20, 1);
  char name[] = "/tmp/synscope-ra-XXXXXX";
  const int wfd = ::mkstemp(name);
  REQUIRE(wfd >= 0);
  REQUIRE(::write(wfd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(wfd);
  const int fd = ::open(name, O_RDONLY);
  REQUIRE(fd >= 0);
  for (int taken = 0; taken < 4; ++taken) {
    REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
    ReadAhead ra(fd, 4096, 0, 3);
    for (int i = 0; i < taken; ++i) {
      const ReadAhead::Chunk c = ra.next();
      CHECK(std::memcmp(c.data, data.data() + static_cast<std::size_t>(i) * 4096U, 4096) == 0);
      if (i > 0) ra.release();
    }
    if (taken == 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the thread is asleep by now
  }
  ::close(fd);
  std::remove(name);
}

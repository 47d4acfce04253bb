// FileSource::next_batch() against next(): the same records, numbers, problems and counts, whatever the
// batch size and wherever the read buffer's refills fall.

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

#include "support/captures.hpp"
#include "synscope/capture/source.hpp"

namespace {

using synscope::capture::FileOptions;
using synscope::capture::FileSource;
using synscope::capture::RawFrame;

/// A record as the tests compare it (the bytes copied: a frame's view ends with the next call).
struct Seen {
  std::int64_t ts_ns;
  std::uint32_t caplen, wire_len, dlt, file_index;
  std::uint64_t frame_no;
  std::vector<std::byte> bytes;
  bool operator==(const Seen&) const = default;
};

Seen seen(const RawFrame& f) {
  return {f.ts_ns, f.caplen, f.wire_len, f.dlt, f.file_index, f.frame_no, {f.bytes.begin(), f.bytes.end()}};
}

struct Run {
  std::vector<Seen> records;
  std::vector<std::string> problems;
  std::uint64_t frames_read = 0;
  bool operator==(const Run&) const = default;
};

/// All records by next() (batch == 0) or by next_batch() with batches of `batch`.
Run read_all(const std::vector<std::string>& paths, std::size_t batch, std::size_t read_buffer = 1U << 18U) {
  FileOptions o;
  o.read_buffer = read_buffer;
  FileSource src(paths, o);
  Run run;
  if (batch == 0) {
    RawFrame f;
    while (src.next(f)) run.records.push_back(seen(f));
  } else {
    std::vector<RawFrame> frames(batch);
    for (;;) {
      const std::size_t n = src.next_batch(frames);
      REQUIRE(n <= batch);
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i) run.records.push_back(seen(frames[i]));
    }
  }
  run.problems = src.problems();
  run.frames_read = src.frames_read();
  return run;
}

/// A classic pcap of `n` records of random sizes (0 .. max_len bytes, some cut by the snapshot length
/// `snaplen` when longer), random contents; `cut` bytes dropped from the end (a truncated last record).
std::string write_pcap(std::size_t n, std::uint32_t seed, std::size_t cut, std::uint32_t max_len = 2000,
                       std::uint32_t snaplen = 1500) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> out;
  auto put32 = [&](std::uint32_t v) {
    unsigned char b[4];
    std::memcpy(b, &v, 4);
    out.insert(out.end(), b, b + 4);
  };
  put32(0xa1b2c3d4U);
  put32(0x00040002U);  // version 2.4
  put32(0);
  put32(0);
  put32(snaplen);
  put32(1);  // Ethernet
  for (std::size_t i = 0; i < n; ++i) {
    const auto len = static_cast<std::uint32_t>(rng() % (max_len + 1U));
    const std::uint32_t caplen = len > snaplen && (rng() & 1U) != 0 ? snaplen : len;
    put32(1'700'000'000U + static_cast<std::uint32_t>(i / 1000));
    put32(static_cast<std::uint32_t>(i % 1000) * 1000U);
    put32(caplen);
    put32(len);
    for (std::uint32_t k = 0; k < caplen; ++k) out.push_back(static_cast<unsigned char>(rng()));
  }
  out.resize(out.size() - cut);
  char name[] = "/tmp/synscope-batch-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
  ::close(fd);
  return name;
}

}  // namespace

TEST_CASE("FileSource::next_batch: the records of next(), across refills of the read buffer") {
  // ~1,000 records of up to 2,000 bytes: the 64 KiB read buffer refills every ~65 records, at every kind of
  // boundary (inside a header, inside the data); the last file ends inside its last record.
  for (const std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{700}}) {
    CAPTURE(cut);
    const std::string path = write_pcap(1000, 11 + static_cast<std::uint32_t>(cut), cut);
    const Run one = read_all({path}, 0, 1U << 16U);
    CHECK(one.records.size() == (cut == 0 ? 1000U : 999U));
    CHECK(one.problems.size() == (cut == 0 ? 0U : 1U));
    for (const std::size_t batch : {1U, 2U, 3U, 16U, 64U}) {
      CAPTURE(batch);
      CHECK(read_all({path}, batch, 1U << 16U) == one);
    }
    // Two files at once take the merging path (one record per call).
    const Run two = read_all({path, path}, 0, 1U << 16U);
    CHECK(two.records.size() == 2 * one.records.size());
    CHECK(read_all({path, path}, 16, 1U << 16U) == two);
    std::remove(path.c_str());
  }
}

TEST_CASE("FileSource::next_batch: the records of next() on every capture") {
  std::size_t files = 0;
  for (const std::string& path : synscope::test::capture_files(true)) {
    CAPTURE(path);
    Run one;
    try {
      one = read_all({path}, 0);
    } catch (const std::exception&) {
      continue;  // not readable at all (a crasher with a broken file header): no records either way
    }
    CHECK(read_all({path}, 16) == one);
    CHECK(read_all({path}, 5) == one);
    ++files;
  }
  CHECK(files >= 15);
}

TEST_CASE("FileSource::next_batch: records up to the largest snapshot length, longer than the read block") {
  // Records of up to 256 KiB read in 64 KiB blocks: the buffer holds a block plus the longest record, and
  // one record takes several reads to complete; also cut inside such a record.
  for (const std::size_t cut : {std::size_t{0}, std::size_t{100'000}}) {
    CAPTURE(cut);
    const std::string path = write_pcap(40, 5, cut, 262144, 262144);
    const Run one = read_all({path}, 0, 1U << 16U);
    CHECK(one.records.size() == (cut == 0 ? 40U : 39U));
    CHECK(one.problems.size() == (cut == 0 ? 0U : 1U));
    CHECK(read_all({path}, 16, 1U << 16U) == one);
    CHECK(read_all({path}, 16, 1U << 20U) == one);
    std::remove(path.c_str());
  }
}

// PcapngReader: mixed link types and byte orders, time resolutions, every packet block kind, and every
// truncation of a valid file (an error or a clean end, never a crash or a read past the data).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "synscope/capture/pcapng_reader.hpp"

namespace {

using synscope::capture::PcapngReader;

/// Builds pcapng blocks in either byte order.
struct Builder {
  bool big = false;
  std::vector<unsigned char> out;

  void u8(std::vector<unsigned char>& b, std::uint8_t v) { b.push_back(v); }
  void u16(std::vector<unsigned char>& b, std::uint16_t v) {
    for (int i = 0; i < 2; ++i) b.push_back(static_cast<unsigned char>(v >> (big ? 8 * (1 - i) : 8 * i)));
  }
  void u32(std::vector<unsigned char>& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (big ? 8 * (3 - i) : 8 * i)));
  }
  void block(std::uint32_t type, std::vector<unsigned char> body) {
    while (body.size() % 4 != 0) body.push_back(0);
    const auto total = static_cast<std::uint32_t>(body.size() + 12);
    u32(out, type);
    u32(out, total);
    out.insert(out.end(), body.begin(), body.end());
    u32(out, total);
  }
  void shb() {
    std::vector<unsigned char> b;
    u32(b, 0x1A2B3C4DU);
    u16(b, 1);
    u16(b, 0);
    u32(b, 0xFFFFFFFFU);  // section length: unknown
    u32(b, 0xFFFFFFFFU);
    block(0x0A0D0D0AU, b);
  }
  void idb(std::uint16_t dlt, std::uint32_t snaplen, int tsresol = -1) {
    std::vector<unsigned char> b;
    u16(b, dlt);
    u16(b, 0);
    u32(b, snaplen);
    if (tsresol >= 0) {
      u16(b, 9);
      u16(b, 1);
      u8(b, static_cast<std::uint8_t>(tsresol));
      b.insert(b.end(), 3, 0);
      u16(b, 0);
      u16(b, 0);
    }
    block(1, b);
  }
  void epb(std::uint32_t iface, std::uint64_t ts, const std::string& data, std::uint32_t len) {
    std::vector<unsigned char> b;
    u32(b, iface);
    u32(b, static_cast<std::uint32_t>(ts >> 32U));
    u32(b, static_cast<std::uint32_t>(ts));
    u32(b, static_cast<std::uint32_t>(data.size()));
    u32(b, len);
    b.insert(b.end(), data.begin(), data.end());
    block(6, b);
  }
  void spb(const std::string& data) {
    std::vector<unsigned char> b;
    u32(b, static_cast<std::uint32_t>(data.size()));
    b.insert(b.end(), data.begin(), data.end());
    block(3, b);
  }
};

struct Read {
  std::vector<PcapngReader::Record> recs;
  std::vector<std::string> data;
  int last = 0;
  std::string error;
};

Read read_all(const std::vector<unsigned char>& bytes) {
  Read r;
  // fmemopen of a zero-length buffer fails on some libcs: use a one-byte buffer and a zero size then.
  std::vector<unsigned char> copy = bytes;
  if (copy.empty()) copy.push_back(0);
  std::FILE* fp = fmemopen(copy.data(), bytes.size(), "rb");
  if (fp == nullptr) {
    r.last = -2;
    return r;
  }
  PcapngReader reader(fp);
  PcapngReader::Record rec{};
  while ((r.last = reader.next(rec, r.error)) == 1) {
    r.recs.push_back(rec);
    r.data.emplace_back(reinterpret_cast<const char*>(rec.data), rec.caplen);
  }
  (void)std::fclose(fp);
  return r;
}

std::vector<unsigned char> mixed_file() {
  Builder b;
  b.shb();
  b.idb(1, 262144);          // Ethernet, µs
  b.idb(113, 8192, 9);       // Linux SLL, ns: a different link type and snapshot length
  b.epb(0, 1'700'000'000'123456ULL, "eth-frame", 60);
  b.epb(1, 1'700'000'001'000000007ULL, "sll", 3);
  b.block(5, std::vector<unsigned char>(16, 0xAB));  // interface statistics: skipped
  b.spb("simple");
  // A second section in the other byte order with a 2^-10 s interface.
  Builder c;
  c.big = true;
  c.shb();
  c.idb(101, 0, 0x80 | 10);  // raw IP, 1/1024 s
  c.epb(0, (5ULL << 10U) + 512U, "raw", 3);
  b.out.insert(b.out.end(), c.out.begin(), c.out.end());
  return b.out;
}

}  // namespace

TEST_CASE("pcapng: per-interface link types, resolutions, byte orders and block kinds") {
  const Read r = read_all(mixed_file());
  REQUIRE(r.last == 0);
  REQUIRE(r.recs.size() == 4);
  CHECK(r.recs[0].dlt == 1);
  CHECK(r.recs[0].ts_ns == 1'700'000'000'123456'000LL);
  CHECK(r.recs[0].caplen == 9);
  CHECK(r.recs[0].len == 60);
  CHECK(r.data[0] == "eth-frame");
  CHECK(r.recs[1].dlt == 113);
  CHECK(r.recs[1].ts_ns == 1'700'000'001'000000007LL);
  CHECK(r.data[1] == "sll");
  CHECK(r.recs[2].dlt == 1);  // a simple packet block belongs to interface 0
  CHECK(r.recs[2].ts_ns == 0);
  CHECK(r.data[2] == "simple");
  CHECK(r.recs[3].dlt == 101);  // the new section's own interface list
  CHECK(r.recs[3].ts_ns == 5'500'000'000LL);
  CHECK(r.data[3] == "raw");
}

TEST_CASE("pcapng: every truncation is an error or a clean end at a block boundary") {
  const std::vector<unsigned char> full = mixed_file();
  std::vector<std::size_t> boundaries;
  {
    // Block boundaries: walk the lengths (little-endian first section, big-endian second).
    std::size_t at = 0;
    bool big = false;
    while (at + 8 <= full.size()) {
      std::uint32_t type = 0;
      std::memcpy(&type, full.data() + at, 4);
      if (type == 0x0A0D0D0AU) big = full[at + 8] == 0x1A;
      std::uint32_t len = 0;
      for (int i = 0; i < 4; ++i) {
        const std::uint32_t byte = full[at + 4 + static_cast<std::size_t>(i)];
        len |= big ? byte << (8 * (3 - i)) : byte << (8 * i);
      }
      at += len;
      boundaries.push_back(at);
    }
  }
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("cut at " << n);
    const Read r = read_all(std::vector<unsigned char>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
    const bool at_boundary = n == 0 || std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    if (at_boundary) {
      CHECK(r.last == 0);
    } else {
      CHECK(r.last == -1);
      CHECK_FALSE(r.error.empty());
    }
    CHECK(r.recs.size() <= 4);
  }
}

TEST_CASE("pcapng: hostile lengths and references are refused with a message") {
  SUBCASE("packet for an undescribed interface") {
    Builder b;
    b.shb();
    b.idb(1, 65535);
    b.epb(3, 0, "x", 1);
    const Read r = read_all(b.out);
    CHECK(r.last == -1);
    CHECK(r.error.find("interface 3") != std::string::npos);
  }
  SUBCASE("captured length past the block") {
    Builder b;
    b.shb();
    b.idb(1, 65535);
    b.epb(0, 0, "abcd", 4);
    b.out[b.out.size() - 4 - 4 - 4 - 4] = 0xFF;  // caplen's low byte (before len, data, trailer)
    const Read r = read_all(b.out);
    CHECK(r.last == -1);
  }
  SUBCASE("trailing length differs") {
    Builder b;
    b.shb();
    b.idb(1, 65535);
    b.out.back() = 0x01;
    const Read r = read_all(b.out);
    CHECK(r.last == -1);
    CHECK(r.error.find("differ") != std::string::npos);
  }
  SUBCASE("no section header first") {
    Builder b;
    b.idb(1, 65535);
    const Read r = read_all(b.out);
    CHECK(r.last == -1);
    CHECK(r.error.find("section header") != std::string::npos);
  }
  SUBCASE("block length beyond the limit") {
    Builder b;
    b.shb();
    b.u32(b.out, 6);
    b.u32(b.out, PcapngReader::kMaxBlock + 4U);
    const Read r = read_all(b.out);
    CHECK(r.last == -1);
  }
}

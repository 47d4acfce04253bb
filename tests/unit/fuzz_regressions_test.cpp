// Replays every saved fuzz input in fuzz/regressions/<target>/ through the same target function the
// fuzzer ran (compiled here from fuzz/*.cpp with the ordinary compiler and, in the sanitizer build, with
// ASan+UBSan), so a crash once found stays fixed. The target functions abort on a broken invariant.
// Also runs a few hand-made inputs through each target so that the harness itself is exercised.

// The fuzz targets are plain functions in fuzz/; building them into this test keeps one copy of the code.
#include "../../fuzz/fuzz_decode_frame.cpp"  // NOLINT(bugprone-suspicious-include)
#include "../../fuzz/fuzz_file_reader.cpp"   // NOLINT(bugprone-suspicious-include)
#include "../../fuzz/fuzz_icmp_reply.cpp"    // NOLINT(bugprone-suspicious-include)
#include "../../fuzz/fuzz_tracker.cpp"       // NOLINT(bugprone-suspicious-include)
#include "../../fuzz/invariant.cpp"          // NOLINT(bugprone-suspicious-include)

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::uint8_t> out(chars.size());
  std::transform(chars.begin(), chars.end(), out.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  return out;
}

const synscope::fuzz::Target* find_target(const std::string& name) {
  for (const auto& t : synscope::fuzz::kTargets) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("fuzz regressions: every saved input replays without a crash") {
  const fs::path dir = fs::path(SYNSCOPE_SOURCE_DIR) / "fuzz" / "regressions";
  REQUIRE(fs::is_directory(dir));
  std::size_t replayed = 0;
  for (const auto& sub : fs::directory_iterator(dir)) {
    if (!sub.is_directory()) continue;
    const synscope::fuzz::Target* t = find_target(sub.path().filename().string());
    INFO("directory " << sub.path().filename().string());
    REQUIRE_MESSAGE(t != nullptr, "fuzz/regressions/ holds one directory per target name");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(sub.path())) {
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      INFO("input " << f.filename().string());
      // An exact-size heap copy: ASan sees a read one past the end, as under libFuzzer.
      const std::vector<std::uint8_t> data = read_all(f);
      CHECK(t->run(data.data(), data.size()) == 0);
      ++replayed;
    }
  }
  MESSAGE(replayed << " fuzz regression inputs replayed");
}

TEST_CASE("fuzz harness: hand-made inputs reach each target") {
  using synscope::fuzz::decode_frame_one;
  using synscope::fuzz::file_reader_one;
  using synscope::fuzz::icmp_reply_one;
  using synscope::fuzz::tracker_one;
  // decode_frame: selector 5 = LINKTYPE_RAW (101), options 0, an IPv4 TCP SYN 192.0.2.1 -> 198.51.100.2.
  const std::vector<std::uint8_t> syn = {
      5, 0,
      0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2,   // IPv4, checksum left 0
      0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0};  // TCP SYN
  CHECK(decode_frame_one(syn.data(), syn.size()) == 0);
  // Every length, including the empty input and a header cut short.
  for (std::size_t n = 0; n <= syn.size(); ++n) CHECK(decode_frame_one(syn.data(), n) == 0);

  // tracker: max_conns 1 (so the second flow evicts the first), then a handshake on flow 0 and a SYN on flow 1.
  const std::vector<std::uint8_t> seq = {
      0x00, 0x00, 0x00, 0x00,
      0x00, 0x02, 0, 0, 0, 0, 0, 1,       // flow 0 SYN
      0x04, 0x12, 0, 0, 0, 1, 0, 1,       // flow 0 reverse SYN-ACK
      0x00, 0x10, 0, 1, 0, 1, 0, 1,       // flow 0 ACK
      0x01, 0x02, 0, 0, 0, 0, 0, 1,       // flow 1 SYN: evicts flow 0
      0xFE, 0xFD, 0, 5};                   // expire, clock back 5 ms
  for (std::size_t n = 0; n <= seq.size(); ++n) CHECK(tracker_one(seq.data(), n) == 0);

  // file_reader: a pcap header only (DLT_EN10MB), then garbage, then nothing.
  const std::vector<std::uint8_t> hdr = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0xff, 0xff, 0, 0, 1, 0, 0, 0};
  CHECK(file_reader_one(hdr.data(), hdr.size()) == 0);
  CHECK(file_reader_one(hdr.data(), 10) == 0);
  CHECK(file_reader_one(hdr.data(), 0) == 0);

  // icmp_reply: an IPv4 ping-socket echo reply (type 0) with 16 bytes of payload, at every length.
  std::vector<std::uint8_t> reply = {1, 0, 0, 0, 0, 0x12, 0x34, 0, 7};
  reply.resize(reply.size() + 16, 0);
  for (std::size_t n = 0; n <= reply.size(); ++n) CHECK(icmp_reply_one(reply.data(), n) == 0);
}

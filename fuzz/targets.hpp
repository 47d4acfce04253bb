#pragma once
/// The fuzz targets as plain functions, so that the same code runs under libFuzzer (entry.cpp, clang
/// -fsanitize=fuzzer) and in the regression replayer (replay.cpp, any compiler, run by ctest).
/// Each returns 0 (libFuzzer's convention) and aborts on a broken invariant.

#include <cstddef>
#include <cstdint>

namespace synscope::fuzz {

/// decode_frame(): first byte picks the link type, second byte the options, the rest is the frame.
int decode_frame_one(const std::uint8_t* data, std::size_t size);
/// A packet sequence (compact TCP/UDP/ICMP records and raw frames) decoded and fed to ConnTracker.
int tracker_one(const std::uint8_t* data, std::size_t size);
/// A whole pcap/pcapng file read with capture::FileSource and run through the pipeline and every sink.
int file_reader_one(const std::uint8_t* data, std::size_t size);
/// ping's parse_icmp_message(): first byte picks the socket kind, the rest is what recvmsg returned.
int icmp_reply_one(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;
  int (*run)(const std::uint8_t* data, std::size_t size);
};
inline constexpr Target kTargets[] = {
    {"decode_frame", decode_frame_one},
    {"tracker", tracker_one},
    {"file_reader", file_reader_one},
    {"icmp_reply", icmp_reply_one},
};

/// Aborts with a message naming the broken invariant (a crash libFuzzer keeps as an input).
[[noreturn]] void invariant_failed(const char* what, const char* file, int line) noexcept;

/// Consumes a value computed from everything a target read, so that the reads are not optimised away.
void keep(std::size_t value) noexcept;

}  // namespace synscope::fuzz

#define SYNSCOPE_FUZZ_CHECK(cond)                                                   \
  do {                                                                              \
    if (!(cond)) ::synscope::fuzz::invariant_failed(#cond, __FILE__, __LINE__);     \
  } while (false)

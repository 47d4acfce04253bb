#pragma once
/// PcapngReader: a pcapng block reader for what libpcap 1.10 refuses but the format allows and tshark
/// reads: interfaces with different link types or snapshot lengths in one file, and sections with
/// different byte orders. FileSource switches to it when libpcap stops with one of those verdicts;
/// libpcap stays the reader for everything else.
///
/// Blocks: SHB (byte order, new section = new interface list), IDB (link type, if_tsresol,
/// if_tsoffset), EPB, SPB, the obsolete OPB; every other block type is skipped by its length.
/// Every length is checked against the block that holds it; a record's data stays valid until next().

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace synscope::capture {

class PcapngReader {
 public:
  struct Record {
    std::int64_t ts_ns = 0;  ///< clamped to ±2^62 ns like the libpcap path
    std::uint32_t caplen = 0;
    std::uint32_t len = 0;
    std::uint32_t dlt = 0;   ///< the link type of the record's own interface
    const unsigned char* data = nullptr;
  };

  /// Reads from `fp` (not owned), which must be positioned at a Section Header Block.
  explicit PcapngReader(std::FILE* fp) noexcept : fp_(fp) {}

  /// 1: a record; 0: clean end of file; -1: error (`error` says what and where).
  int next(Record& r, std::string& error);

  /// Largest block accepted (a record longer than this is an error, as libpcap's 256 KiB-ish limit).
  static constexpr std::uint32_t kMaxBlock = 16U << 20U;

 private:
  struct Interface {
    std::uint32_t dlt = 0;
    std::uint32_t snaplen = 0;
    bool pow2 = false;        ///< if_tsresol: units of 2^-exp s (else 10^-exp s)
    std::uint8_t exp = 6;     ///< default: microseconds
    std::int64_t offset_s = 0;  ///< if_tsoffset
  };
  bool read_exact(void* dst, std::size_t n);
  [[nodiscard]] std::uint16_t u16(std::size_t at) const noexcept;
  [[nodiscard]] std::uint32_t u32(std::size_t at) const noexcept;
  [[nodiscard]] std::int64_t to_ns(const Interface& ifc, std::uint64_t ts) const noexcept;
  bool parse_idb(std::string& error);

  std::FILE* fp_;
  bool swapped_ = false;
  bool in_section_ = false;
  std::uint64_t offset_ = 0;  ///< file offset of the current block (for messages)
  std::vector<unsigned char> body_;
  std::vector<Interface> ifaces_;
};

}  // namespace synscope::capture

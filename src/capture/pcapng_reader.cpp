// PcapngReader: see the header. Layout per draft-ietf-opsawg-pcapng: a block is
// {type u32, total length u32, body, total length u32}, lengths multiples of 4 and >= 12.

#include "synscope/capture/pcapng_reader.hpp"

#include <algorithm>
#include <cstring>

namespace synscope::capture {

namespace {

__extension__ typedef __int128 i128;  // NOLINT(modernize-use-using): __extension__ needs typedef

constexpr std::uint32_t kShb = 0x0A0D0D0AU;
constexpr std::uint32_t kIdb = 1;
constexpr std::uint32_t kOpb = 2;  // obsolete Packet Block
constexpr std::uint32_t kSpb = 3;
constexpr std::uint32_t kEpb = 6;
constexpr std::uint32_t kMagic = 0x1A2B3C4DU;
constexpr std::int64_t kLimit = std::int64_t{1} << 62U;

std::uint32_t swap32(std::uint32_t v) noexcept { return __builtin_bswap32(v); }

std::int64_t clamp_ns(i128 ns) noexcept {
  if (ns > kLimit) return kLimit;
  if (ns < -kLimit) return -kLimit;
  return static_cast<std::int64_t>(ns);
}

}  // namespace

bool PcapngReader::read_exact(void* dst, std::size_t n) { return std::fread(dst, 1, n, fp_) == n; }

std::uint16_t PcapngReader::u16(std::size_t at) const noexcept {
  std::uint16_t v = 0;
  std::memcpy(&v, body_.data() + at, sizeof v);
  return swapped_ ? static_cast<std::uint16_t>((v >> 8U) | (v << 8U)) : v;
}

std::uint32_t PcapngReader::u32(std::size_t at) const noexcept {
  std::uint32_t v = 0;
  std::memcpy(&v, body_.data() + at, sizeof v);
  return swapped_ ? swap32(v) : v;
}

std::int64_t PcapngReader::to_ns(const Interface& ifc, std::uint64_t ts) const noexcept {
  i128 ns = 0;
  if (ifc.pow2) {
    const unsigned e = ifc.exp;  // <= 127 by construction; beyond 63 every timestamp is below 1 s
    if (e >= 64) {
      ns = 0;
    } else {
      const i128 whole = static_cast<i128>(ts >> e);
      const i128 frac = static_cast<i128>(ts & ((std::uint64_t{1} << e) - 1U));
      ns = whole * 1'000'000'000 + ((frac * 1'000'000'000) >> e);
    }
  } else if (ifc.exp <= 9) {
    i128 mul = 1;
    for (unsigned i = ifc.exp; i < 9; ++i) mul *= 10;
    ns = static_cast<i128>(ts) * mul;
  } else {
    i128 div = 1;
    for (unsigned i = 9; i < ifc.exp && i < 40; ++i) div *= 10;
    ns = static_cast<i128>(ts) / div;
  }
  return clamp_ns(ns + static_cast<i128>(ifc.offset_s) * 1'000'000'000);
}

bool PcapngReader::parse_idb(std::string& error) {
  if (body_.size() < 8) {
    error = "interface description block too short";
    return false;
  }
  Interface ifc;
  ifc.dlt = u16(0);
  ifc.snaplen = u32(4);
  // Options: {code u16, length u16, value padded to 4}, ended by code 0 or the end of the body.
  std::size_t at = 8;
  while (at + 4 <= body_.size()) {
    const std::uint16_t code = u16(at);
    const std::uint16_t len = u16(at + 2);
    if (code == 0) break;
    const std::size_t padded = (static_cast<std::size_t>(len) + 3U) & ~std::size_t{3};
    if (at + 4 + padded > body_.size()) {
      error = "interface option runs past its block";
      return false;
    }
    if (code == 9 && len == 1) {  // if_tsresol
      const std::uint8_t v = body_[at + 4];
      ifc.pow2 = (v & 0x80U) != 0;
      ifc.exp = static_cast<std::uint8_t>(v & 0x7FU);
      if (!ifc.pow2 && ifc.exp > 30) {
        error = "interface time resolution 10^-" + std::to_string(ifc.exp) + " s is not supported";
        return false;
      }
    } else if (code == 14 && len == 8) {  // if_tsoffset, seconds
      std::uint64_t v = 0;
      std::memcpy(&v, body_.data() + at + 4, sizeof v);
      if (swapped_) v = __builtin_bswap64(v);
      ifc.offset_s = std::clamp(static_cast<std::int64_t>(v), -(std::int64_t{1} << 40), std::int64_t{1} << 40);
    }
    at += 4 + padded;
  }
  ifaces_.push_back(ifc);
  return true;
}

int PcapngReader::next(Record& r, std::string& error) {
  for (;;) {
    unsigned char head[8];
    const std::size_t got = std::fread(head, 1, sizeof head, fp_);
    if (got == 0 && std::feof(fp_) != 0) return 0;
    const std::uint64_t block_at = offset_;
    const auto where = [block_at] { return " (block at offset " + std::to_string(block_at) + ")"; };
    if (got != sizeof head) {
      error = "truncated pcapng block header" + where();
      return -1;
    }
    std::uint32_t type = 0;
    std::uint32_t total = 0;
    std::memcpy(&type, head, 4);
    std::memcpy(&total, head + 4, 4);
    if (type == kShb) {
      // The byte order of a section comes from its own magic, read before the length can be trusted.
      std::uint32_t magic = 0;
      if (!read_exact(&magic, 4)) {
        error = "truncated section header block" + where();
        return -1;
      }
      if (magic == kMagic) {
        swapped_ = false;
      } else if (magic == swap32(kMagic)) {
        swapped_ = true;
      } else {
        error = "bad byte-order magic in section header block" + where();
        return -1;
      }
      if (swapped_) total = swap32(total);
      if (total < 28 || total % 4 != 0 || total > kMaxBlock) {
        error = "bad section header block length " + std::to_string(total) + where();
        return -1;
      }
      body_.resize(total - 16);  // after type, length, magic; before the trailing length
      std::uint32_t trailer = 0;
      if (!read_exact(body_.data(), body_.size()) || !read_exact(&trailer, 4)) {
        error = "truncated section header block" + where();
        return -1;
      }
      if (u16(0) != 1) {
        error = "unsupported pcapng major version " + std::to_string(u16(0)) + where();
        return -1;
      }
      ifaces_.clear();  // a new section starts a new interface list
      in_section_ = true;
      offset_ += total;
      continue;
    }
    if (!in_section_) {
      error = "pcapng file does not start with a section header block" + where();
      return -1;
    }
    if (swapped_) {
      type = swap32(type);
      total = swap32(total);
    }
    if (total < 12 || total % 4 != 0 || total > kMaxBlock) {
      error = "bad block length " + std::to_string(total) + where();
      return -1;
    }
    body_.resize(total - 12);
    std::uint32_t trailer = 0;
    if (!read_exact(body_.data(), body_.size()) || !read_exact(&trailer, 4)) {
      error = "truncated block" + where();
      return -1;
    }
    if (swapped_) trailer = swap32(trailer);
    if (trailer != total) {
      error = "block length " + std::to_string(total) + " and trailing length " + std::to_string(trailer) +
              " differ" + where();
      return -1;
    }
    offset_ += total;
    const std::size_t n = body_.size();
    if (type == kIdb) {
      if (!parse_idb(error)) {
        error += where();
        return -1;
      }
      continue;
    }
    std::uint32_t iface = 0;
    std::uint64_t ts = 0;
    std::size_t data_at = 0;
    std::uint32_t caplen = 0;
    std::uint32_t len = 0;
    if (type == kEpb || type == kOpb) {
      if (n < 20) {
        error = "packet block too short" + where();
        return -1;
      }
      iface = type == kEpb ? u32(0) : u16(0);
      ts = (static_cast<std::uint64_t>(u32(4)) << 32U) | u32(8);
      caplen = u32(12);
      len = u32(16);
      data_at = 20;
      if (caplen > n - data_at) {
        error = "packet data (" + std::to_string(caplen) + " bytes) runs past its block" + where();
        return -1;
      }
    } else if (type == kSpb) {
      if (n < 4) {
        error = "simple packet block too short" + where();
        return -1;
      }
      iface = 0;
      len = u32(0);
      data_at = 4;
      caplen = static_cast<std::uint32_t>(std::min<std::size_t>(len, n - data_at));
      if (!ifaces_.empty() && ifaces_[0].snaplen != 0) caplen = std::min(caplen, ifaces_[0].snaplen);
    } else {
      continue;  // name resolution, statistics, custom, decryption secrets, …: not packets
    }
    if (iface >= ifaces_.size()) {
      error = "packet block for interface " + std::to_string(iface) + ", but only " +
              std::to_string(ifaces_.size()) + " described" + where();
      return -1;
    }
    const Interface& ifc = ifaces_[iface];
    r.ts_ns = type == kSpb ? 0 : to_ns(ifc, ts);
    r.caplen = caplen;
    r.len = len;
    r.dlt = ifc.dlt;
    r.data = body_.data() + data_at;
    return 1;
  }
}

}  // namespace synscope::capture

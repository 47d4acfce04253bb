// FileSource: pcap / pcapng files, merged by timestamp.
//
// Two readers behind one interface:
//  * the fast path, for a regular classic-pcap file (either byte order, µs or ns magic, version 2.4) of a
//    common link type: the file is read with read(2) in large blocks and the 16-byte record headers are
//    walked in place, so a record costs no copy and no stdio call. Measured on a 10M-packet file it runs
//    at about twice the speed of libpcap's buffered reader (bench/run.sh: floor_read vs floor_pcap_fopen).
//    It reproduces libpcap's checks and messages (sf-pcap.c pcap_next_packet): "truncated dump file; tried
//    to read N captured bytes, only got M", "invalid packet capture length …", records longer than the
//    snapshot length cut to it.
//  * libpcap (pcap_fopen_offline with a large stdio buffer; libpcap's own pcap_open_offline reads 4 KiB at a
//    time) for pcapng, stdin, FIFOs and anything unusual (old versions, other link types, patched formats).
// Both give nanosecond timestamps (µs files are scaled). BPF is applied with pcap_offline_filter (on a
// pcap_open_dead handle for the fast path) so that every record is still counted in frame numbers, like
// tshark's frame.number under a display filter.

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "synscope/capture/pcap_handle.hpp"
#include "synscope/capture/source.hpp"

#include "synscope/capture/pcapng_reader.hpp"

namespace synscope::capture {
namespace {

// libpcap's MAXIMUM_SNAPLEN: max_snaplen_for_dlt() for every link type the fast path takes.
constexpr std::uint32_t kMaxSnaplen = 262144;
constexpr std::size_t kFileHeaderSize = 24;
constexpr std::size_t kRecordHeaderSize = 16;

/// Owns a file descriptor (the fast path reads it directly; nothing else closes it).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::uint32_t bswap32(std::uint32_t v) noexcept { return __builtin_bswap32(v); }

std::uint32_t load_u32(const unsigned char* p) noexcept {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// What the fast path needs from a classic pcap file header, or nothing when libpcap should read the file.
struct ClassicHeader {
  bool usable = false;
  bool swapped = false;
  bool nano = false;
  std::uint32_t dlt = 0;
  std::uint32_t snapshot = 0;
};

ClassicHeader inspect_header(const unsigned char* h) noexcept {
  ClassicHeader out;
  std::uint32_t magic = load_u32(h);
  if (magic == 0xD4C3B2A1U || magic == 0x4D3CB2A1U) {
    out.swapped = true;
    magic = bswap32(magic);
  }
  if (magic != 0xA1B2C3D4U && magic != 0xA1B23C4DU) return out;  // pcapng, Kuznetzov, not pcap: libpcap
  out.nano = magic == 0xA1B23C4DU;
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  std::memcpy(&major, h + 4, 2);
  std::memcpy(&minor, h + 6, 2);
  if (out.swapped) {
    major = static_cast<std::uint16_t>((major >> 8U) | (major << 8U));
    minor = static_cast<std::uint16_t>((minor >> 8U) | (minor << 8U));
  }
  // 2.4 only: earlier versions may have caplen and len swapped, which libpcap guesses per record.
  if (major != 2 || minor != 4) return out;
  std::uint32_t snaplen = load_u32(h + 16);
  std::uint32_t linktype = load_u32(h + 20);
  if (out.swapped) {
    snaplen = bswap32(snaplen);
    linktype = bswap32(linktype);
  }
  // LINKTYPE_ -> DLT_ as libpcap's linktype_to_dlt() does for the types taken here. SLL and SLL2 only
  // in host byte order: libpcap byte-swaps CAN pseudo-headers inside them for swapped files.
  switch (linktype) {
    case 1: out.dlt = 1; break;       // Ethernet
    case 101: out.dlt = 12; break;    // LINKTYPE_RAW -> DLT_RAW (12 on Linux)
    case 228: out.dlt = 228; break;   // raw IPv4
    case 229: out.dlt = 229; break;   // raw IPv6
    case 113:                          // Linux cooked
    case 276:                          // Linux cooked v2
      if (out.swapped) return out;
      out.dlt = linktype;
      break;
    default: return out;  // everything else (and the FCS bits in the upper 6 bits) through libpcap
  }
  // pcap_adjust_snapshot(): 0 or oversize snaplens mean the maximum.
  out.snapshot = (snaplen == 0 || snaplen > kMaxSnaplen) ? kMaxSnaplen : snaplen;
  out.usable = true;
  return out;
}

/// Reads a classic pcap file with read(2) into a large buffer and hands out records in place.
class BlockReader {
 public:
  // A whole record (header + up to the maximum snapshot length) always fits next to a block's tail. The
  // buffer is not cleared: only bytes read() wrote are ever read, and the room past a block that only a
  // record cut at the block's end reaches (256 KiB) stays untouched and out of the peak RSS.
  BlockReader(int fd, ClassicHeader h, std::size_t block)
      : fd_(fd),
        h_(h),
        block_(block < (1U << 16U) ? 1U << 16U : block),
        size_(block_ + kRecordHeaderSize + kMaxSnaplen),
        buf_(std::make_unique_for_overwrite<unsigned char[]>(size_)) {}

  struct Record {
    std::int64_t ts_ns;
    std::uint32_t caplen;
    std::uint32_t len;
    const unsigned char* data;
  };

  /// 1 = a record, 0 = clean end of file, -1 = error (message in `error`). Always inlined: as a call, the
  /// record's two 32-bit lengths were stored one by one and read back at once by the caller as one 64-bit
  /// load (a failed store-to-load forward on every packet, ~1.5 % of a `--conns-only` run in perf).
  __attribute__((always_inline)) int next(Record& r, std::string& error) {
    if (next_buffered(r)) return 1;
    return next_refill(r, error);
  }
  /// The next record if the buffer holds all of it (and it is valid), without reading: true and `r`
  /// filled, the records handed out before still in place; false and nothing consumed otherwise (then
  /// next() reads, or reports what is wrong).
  __attribute__((always_inline)) bool next_buffered(Record& r) {
    if (end_ - pos_ < kRecordHeaderSize) return false;
    const unsigned char* hp = buf_.get() + pos_;
    std::uint32_t caplen = load_u32(hp + 8);
    if (h_.swapped) caplen = bswap32(caplen);
    if (caplen > kMaxSnaplen || end_ - pos_ - kRecordHeaderSize < caplen) return false;
    header_fields(hp, r);
    r.data = hp + kRecordHeaderSize;
    // Longer than the file's snapshot length: the rest is skipped and the record cut (libpcap does too).
    r.caplen = caplen > h_.snapshot ? h_.snapshot : caplen;
    pos_ += kRecordHeaderSize + caplen;
    return true;
  }

 private:
  /// The time and the wire length of the record header at `hp`.
  __attribute__((always_inline)) void header_fields(const unsigned char* hp, Record& r) const {
    std::uint32_t sec = load_u32(hp);
    std::uint32_t frac = load_u32(hp + 4);
    std::uint32_t len = load_u32(hp + 12);
    if (h_.swapped) {
      sec = bswap32(sec);
      frac = bswap32(frac);
      len = bswap32(len);
    }
    // As libpcap: the fields are signed 32-bit (struct pcap_timeval of bpf_int32), µs scaled up to ns.
    r.ts_ns = static_cast<std::int64_t>(static_cast<std::int32_t>(sec)) * 1'000'000'000LL +
              static_cast<std::int64_t>(static_cast<std::int32_t>(frac)) * (h_.nano ? 1 : 1000);
    r.len = len;
  }
  /// next() when the record is not (wholly) in the buffer: reads on, or reports the end or the error.
  /// Once per block, out of line.
  [[gnu::noinline]] int next_refill(Record& r, std::string& error) {
    if (!ensure(kRecordHeaderSize)) return header_missing(error);
    const unsigned char* hp = buf_.get() + pos_;
    std::uint32_t caplen = load_u32(hp + 8);
    if (h_.swapped) caplen = bswap32(caplen);
    header_fields(hp, r);
    if (caplen > kMaxSnaplen) return bad_caplen(caplen, error);
    if (!ensure(kRecordHeaderSize + caplen)) return record_missing(caplen, error);
    r.data = buf_.get() + pos_ + kRecordHeaderSize;
    r.caplen = caplen > h_.snapshot ? h_.snapshot : caplen;
    pos_ += kRecordHeaderSize + caplen;
    return 1;
  }

  // The end of the file and the errors, out of line: building their messages inside next() made every
  // call save and restore six registers.
  [[gnu::cold, gnu::noinline]] int fail(std::string& error) const {
    error = std::string("error reading dump file: ") + std::strerror(errno_);
    return -1;
  }
  /// No whole record header at the read position: 0 at a clean end of file, else -1 with the message.
  [[gnu::noinline]] int header_missing(std::string& error) const {
    if (failed_) return fail(error);
    const std::size_t got = end_ - pos_;
    if (got == 0) return 0;
    error = "truncated dump file; tried to read 16 header bytes, only got " + std::to_string(got);
    return -1;
  }
  [[gnu::cold, gnu::noinline]] int bad_caplen(std::uint32_t caplen, std::string& error) const {
    error = caplen > h_.snapshot ? "invalid packet capture length " + std::to_string(caplen) +
                                       ", bigger than snaplen of " + std::to_string(h_.snapshot)
                                 : "invalid packet capture length " + std::to_string(caplen) +
                                       ", bigger than maximum of " + std::to_string(kMaxSnaplen);
    return -1;
  }
  [[gnu::cold, gnu::noinline]] int record_missing(std::uint32_t caplen, std::string& error) const {
    if (failed_) return fail(error);
    // libpcap reports the snapshot length first when the record is longer than it.
    const std::size_t got = end_ - pos_ - kRecordHeaderSize;
    const std::uint32_t tried = (caplen > h_.snapshot && got < h_.snapshot) ? h_.snapshot : caplen;
    error = "truncated dump file; tried to read " + std::to_string(tried) + " captured bytes, only got " +
            std::to_string(got);
    return -1;
  }

  // Makes `n` bytes available at pos_ (n <= block + record). False at end of file or on a read error.
  bool ensure(std::size_t n) {
    if (end_ - pos_ >= n) return true;
    return refill(n);
  }
  /// ensure() when the buffer holds fewer than n bytes: once per block, out of line.
  [[gnu::noinline]] bool refill(std::size_t n) {
    if (eof_ || failed_) return false;
    // Keep the unconsumed tail (one partial record at most) and top up with whole blocks.
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ < n) {
      const std::size_t room = size_ - end_;
      const ssize_t got = ::read(fd_, buf_.get() + end_, room < block_ ? room : block_);
      if (got < 0) {
        if (errno == EINTR) continue;
        errno_ = errno;
        failed_ = true;
        return false;
      }
      if (got == 0) {
        eof_ = true;
        return false;
      }
      end_ += static_cast<std::size_t>(got);
    }
    return true;
  }

  int fd_;
  ClassicHeader h_;
  std::size_t block_;
  std::size_t size_;
  std::unique_ptr<unsigned char[]> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  int errno_ = 0;
};

/// A BPF program compiled for one more link type (a pcapng file read by PcapngReader can mix them).
struct ExtraFilter {
  std::uint32_t dlt = 0;
  PcapHandle dead;
  bpf_program program{};
  bool ok = false;
  ExtraFilter() = default;
  ExtraFilter(const ExtraFilter&) = delete;
  ExtraFilter& operator=(const ExtraFilter&) = delete;
  ExtraFilter(ExtraFilter&&) = delete;
  ExtraFilter& operator=(ExtraFilter&&) = delete;
  ~ExtraFilter() {
    if (ok) pcap_freecode(&program);
  }
};

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { (void)std::fclose(f); }  // read-only: nothing to flush
};

struct Input {
  std::string path;
  // Exactly one of these reads: the fast path (fd + reader) or libpcap. `pcap` is also the BPF compiler
  // for the fast path (a pcap_open_dead handle).
  Fd fd;
  std::unique_ptr<BlockReader> fast;
  PcapHandle pcap;
  std::vector<char> buffer;           // stdio buffer for libpcap's FILE; must outlive the FILE, which pcap owns
  bpf_program program{};
  bool has_program = false;
  std::uint32_t dlt = 0;
  // PcapngReader, when libpcap refused a pcapng file part-way (mixed link types, snapshot lengths or
  // byte orders): the file is reopened and the records libpcap already delivered are skipped.
  std::unique_ptr<std::FILE, FileCloser> ng_file;
  std::vector<char> ng_buffer;
  std::unique_ptr<PcapngReader> ng;
  std::vector<std::unique_ptr<ExtraFilter>> extra_filters;
  std::uint64_t delivered = 0;        // records handed out by whichever reader
  std::uint32_t rec_dlt = 0;          // link type of the pending record
  // The pending record (read ahead for the merge). Valid until this input advances again.
  bool pending = false;
  bool done = false;
  pcap_pkthdr hdr{};                  // caplen / len for pcap_offline_filter
  const unsigned char* data = nullptr;
  std::int64_t ts_ns = 0;

  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  Input(Input&&) = delete;  // bpf_program owns memory: never copied or moved
  Input& operator=(Input&&) = delete;
  ~Input() {
    if (has_program) pcap_freecode(&program);
  }
};

/// Opens `path` for the fast path when it is a regular classic-pcap file the fast path handles; otherwise
/// leaves `in` untouched and returns false (libpcap will open the file and give its own verdict).
bool try_open_fast(Input& in, const std::string& path, const struct stat& st, std::size_t block) {
  if (!S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(kFileHeaderSize)) return false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;  // libpcap's open reports the error
  unsigned char header[kFileHeaderSize] = {};
  std::size_t got = 0;
  while (got < sizeof header) {
    const ssize_t n = ::read(fd.get(), header + got, sizeof header - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  const ClassicHeader h = inspect_header(header);
  if (!h.usable) return false;
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // larger kernel read-ahead
  in.fast = std::make_unique<BlockReader>(fd.get(), h, block);
  in.fd.reset(fd.release());
  in.dlt = h.dlt;
  // A handle that only compiles filters, with the file's link type and snapshot length.
  in.pcap.reset(pcap_open_dead_with_tstamp_precision(static_cast<int>(h.dlt), static_cast<int>(h.snapshot),
                                                     PCAP_TSTAMP_PRECISION_NANO));
  if (!in.pcap) throw CaptureError(path + ": out of memory");
  return true;
}

}  // namespace

/// libpcap 1.10's verdicts on pcapng files that the format allows (and tshark reads).
bool pcapng_fallback_applies(const char* msg) noexcept {
  return std::strstr(msg, "different from the type of the first interface") != nullptr ||
         std::strstr(msg, "different from the snapshot length of the first interface") != nullptr ||
         std::strstr(msg, "sections with different byte orders") != nullptr;
}

struct FileSource::Impl {
  std::vector<std::unique_ptr<Input>> inputs;
  std::string filter;
  std::vector<std::string> problems;
  std::uint64_t frame_no = 0;
  std::size_t last_input = std::numeric_limits<std::size_t>::max();  // its pending record was handed out

  // One classic pcap file through the BlockReader without a filter (the common case, and the benchmark's):
  // no merge, no look-ahead, no filter test. After the record read ahead by the constructor has been
  // handed out (last_input == 0), next() reads each record straight into the caller's frame: the same
  // records, numbers and problems as the general path, ~100 instructions per packet fewer.
  bool direct = false;
  std::string read_error;  // the BlockReader's message, kept to spare a string per record
  [[gnu::always_inline]] bool next_direct(RawFrame& out) {
    Input& in = *inputs.front();
    if (in.done) return false;
    BlockReader::Record r{};
    const int rc = in.fast->next(r, read_error);
    if (rc != 1) return direct_end(in, rc);
    fill_direct(in, r, out);
    return true;
  }
  /// A record of the direct path as the next frame.
  void fill_direct(const Input& in, const BlockReader::Record& r, RawFrame& out) noexcept {
    out.ts_ns = r.ts_ns;
    out.caplen = r.caplen;
    out.wire_len = r.len;
    out.dlt = in.dlt;
    out.frame_no = ++frame_no;
    out.file_index = 0;
    out.bytes = Bytes{reinterpret_cast<const std::byte*>(r.data), r.caplen};  // NOLINT: records are raw bytes
  }

  /// Up to out.size() records of the direct path: as next_direct(), but after the first only those
  /// already in the read buffer (reading more would move the records handed out).
  std::size_t next_direct_batch(std::span<RawFrame> out) {
    if (out.empty() || !next_direct(out[0])) return 0;
    Input& in = *inputs.front();
    BlockReader& reader = *in.fast;
    std::size_t n = 1;
    for (; n < out.size(); ++n) {
      BlockReader::Record r{};
      if (!reader.next_buffered(r)) break;
      fill_direct(in, r, out[n]);
    }
    return n;
  }
  [[gnu::noinline]] bool direct_end(Input& in, int rc) {
    in.done = true;
    if (rc < 0) problems.push_back(in.path + ": " + read_error);
    return false;
  }
  bool next_merged(RawFrame& out);

  // Reads the next record of input `i` into its pending slot (records a problem on a read error).
  void advance(std::size_t i) {
    Input& in = *inputs[i];
    in.pending = false;
    if (in.done) return;
    if (in.ng) {
      PcapngReader::Record r{};
      std::string error;
      const int rc = in.ng->next(r, error);
      if (rc == 1) {
        in.pending = true;
        ++in.delivered;
        in.ts_ns = r.ts_ns;
        in.hdr.caplen = r.caplen;
        in.hdr.len = r.len;
        in.data = r.data;
        in.rec_dlt = r.dlt;
        return;
      }
      in.done = true;
      if (rc < 0) problems.push_back(in.path + ": " + error);
      return;
    }
    if (in.fast) {
      BlockReader::Record r{};
      std::string error;
      const int rc = in.fast->next(r, error);
      if (rc == 1) {
        in.pending = true;
        in.ts_ns = r.ts_ns;
        in.hdr.caplen = r.caplen;
        in.hdr.len = r.len;
        in.data = r.data;
        in.rec_dlt = in.dlt;
        return;
      }
      in.done = true;
      if (rc < 0) problems.push_back(in.path + ": " + error);
      return;
    }
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(in.pcap.get(), &hdr, &data);
    if (rc == 1) {
      in.pending = true;
      ++in.delivered;
      in.hdr = *hdr;
      in.data = data;
      in.rec_dlt = in.dlt;
      // With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds.
      // A pcapng timestamp (64 bits of if_tsresol units) can lie far beyond what int64 nanoseconds hold.
      // Clamp to ±2^62 ns (years 1824..2116) so that neither this product nor a consumer adding a timeout
      // (the tracker: up to a year) can overflow. Found by fuzz_file_reader.
      constexpr std::int64_t kLimit = std::int64_t{1} << 62U;
      std::int64_t ns = 0;
      if (__builtin_mul_overflow(static_cast<std::int64_t>(hdr->ts.tv_sec), 1'000'000'000LL, &ns) ||
          __builtin_add_overflow(ns, static_cast<std::int64_t>(hdr->ts.tv_usec), &ns)) {
        ns = hdr->ts.tv_sec < 0 ? -kLimit : kLimit;
      }
      in.ts_ns = std::clamp(ns, -kLimit, kLimit);
      return;
    }
    if (rc == PCAP_ERROR && pcapng_fallback_applies(pcap_geterr(in.pcap.get())) && switch_to_pcapng(in)) {
      advance(i);
      return;
    }
    in.done = true;
    if (rc == PCAP_ERROR) {
      problems.push_back(in.path + ": " + pcap_geterr(in.pcap.get()));
    }
  }

  /// Reopens `in` with PcapngReader and skips the records libpcap delivered. False (libpcap's error
  /// stands) for standard input, which cannot be read twice, or when the reopened file reads differently.
  bool switch_to_pcapng(Input& in) {
    if (in.path == "-") return false;
    std::unique_ptr<std::FILE, FileCloser> fp(std::fopen(in.path.c_str(), "rb"));
    if (!fp) return false;
    in.ng_buffer.resize(in.buffer.empty() ? std::size_t{1} << 20U : in.buffer.size());
    std::setvbuf(fp.get(), in.ng_buffer.data(), _IOFBF, in.ng_buffer.size());
    auto reader = std::make_unique<PcapngReader>(fp.get());
    PcapngReader::Record r{};
    std::string error;
    for (std::uint64_t k = 0; k < in.delivered; ++k) {
      if (reader->next(r, error) != 1) return false;
    }
    in.ng_file = std::move(fp);
    in.ng = std::move(reader);
    return true;
  }

  /// Whether the pending record of `in` passes the filter (compiled per link type on first need).
  bool passes(Input& in) {
    if (!in.has_program) return true;
    if (in.rec_dlt == in.dlt) return pcap_offline_filter(&in.program, &in.hdr, in.data) != 0;
    ExtraFilter* f = nullptr;
    for (const auto& e : in.extra_filters) {
      if (e->dlt == in.rec_dlt) f = e.get();
    }
    if (f == nullptr) {
      auto e = std::make_unique<ExtraFilter>();
      e->dlt = in.rec_dlt;
      e->dead.reset(pcap_open_dead_with_tstamp_precision(static_cast<int>(in.rec_dlt), 262144,
                                                         PCAP_TSTAMP_PRECISION_NANO));
      e->ok = e->dead && pcap_compile(e->dead.get(), &e->program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
      if (!e->ok) {
        problems.push_back(in.path + ": the filter does not apply to link type " + std::to_string(in.rec_dlt) +
                           " (this file mixes link types); those records are skipped");
      }
      f = e.get();
      in.extra_filters.push_back(std::move(e));
    }
    return f->ok && pcap_offline_filter(&f->program, &in.hdr, in.data) != 0;
  }
};

FileSource::FileSource(const std::vector<std::string>& paths, const FileOptions& opts)
    : impl_(std::make_unique<Impl>()) {
  if (paths.empty()) throw CaptureError("no input file given");
  const std::size_t block = opts.read_buffer > 0 ? opts.read_buffer : FileOptions{}.read_buffer;
  impl_->filter = opts.filter;
  impl_->inputs.reserve(paths.size());
  for (const std::string& path : paths) {
    auto owned = std::make_unique<Input>();
    Input& in = *owned;
    in.path = path;
    struct stat st {};
    const bool is_stdin = path == "-";
    if (is_stdin ? ::fstat(0, &st) != 0 : ::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      throw std::system_error(err, std::generic_category(), "cannot open " + path);
    }
    if (S_ISDIR(st.st_mode)) throw CaptureError(path + ": is a directory, not a capture file");
    if (is_stdin || !try_open_fast(in, path, st, block)) {
      std::FILE* fp = is_stdin ? ::fdopen(::dup(0), "rb") : std::fopen(path.c_str(), "rb");
      if (fp == nullptr) {
        const int err = errno;
        throw std::system_error(err, std::generic_category(), "cannot open " + path);
      }
      in.buffer.resize(block);
      std::setvbuf(fp, in.buffer.data(), _IOFBF, in.buffer.size());
      char errbuf[PCAP_ERRBUF_SIZE] = {};
      pcap_t* p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (p == nullptr) {
        (void)std::fclose(fp);  // pcap did not take ownership; a read-only stream has nothing to flush
        std::string msg = errbuf;
        if (S_ISREG(st.st_mode) && st.st_size == 0) msg = "empty file";
        throw CaptureError(path + ": not a readable pcap/pcapng file (" + msg + ")");
      }
      in.pcap.reset(p);
      in.dlt = static_cast<std::uint32_t>(pcap_datalink(p));
    }
    if (!opts.filter.empty()) {
      if (pcap_compile(in.pcap.get(), &in.program, opts.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        throw CaptureError("bad filter expression '" + opts.filter + "': " + pcap_geterr(in.pcap.get()));
      }
      in.has_program = true;
    }
    impl_->inputs.push_back(std::move(owned));
  }
  for (std::size_t i = 0; i < impl_->inputs.size(); ++i) impl_->advance(i);
  const Input& first = *impl_->inputs.front();
  impl_->direct = impl_->inputs.size() == 1 && first.fast && !first.has_program;
}

FileSource::~FileSource() = default;

bool FileSource::next(RawFrame& out) {
  Impl& s = *impl_;
  if (s.direct && s.last_input == 0) return s.next_direct(out);
  return s.next_merged(out);
}

std::size_t FileSource::next_batch(std::span<RawFrame> out) {
  Impl& s = *impl_;
  if (s.direct && s.last_input == 0) return s.next_direct_batch(out);
  return !out.empty() && s.next_merged(out[0]) ? 1U : 0U;
}

/// next() for several files, a filter, pcapng, and the first record (read ahead by the constructor).
[[gnu::noinline]] bool FileSource::Impl::next_merged(RawFrame& out) {
  Impl& s = *this;
  const std::size_t n_inputs = s.inputs.size();
  for (;;) {
    if (s.last_input != std::numeric_limits<std::size_t>::max()) {
      s.advance(s.last_input);
      s.last_input = std::numeric_limits<std::size_t>::max();
    }
    // Pick the earliest pending record; ties go to the earlier file (stable for rotated captures).
    std::size_t best = std::numeric_limits<std::size_t>::max();
    if (n_inputs == 1) {
      if (s.inputs[0]->pending) best = 0;
    } else {
      for (std::size_t i = 0; i < n_inputs; ++i) {
        const Input& in = *s.inputs[i];
        if (in.pending && (best == std::numeric_limits<std::size_t>::max() || in.ts_ns < s.inputs[best]->ts_ns)) best = i;
      }
    }
    if (best == std::numeric_limits<std::size_t>::max()) return false;
    Input& in = *s.inputs[best];
    s.last_input = best;
    ++s.frame_no;
    if (!s.passes(in)) continue;
    out.ts_ns = in.ts_ns;
    out.caplen = in.hdr.caplen;
    out.wire_len = in.hdr.len;
    out.dlt = in.rec_dlt;
    out.frame_no = s.frame_no;
    out.file_index = static_cast<std::uint32_t>(best);
    out.bytes = Bytes{reinterpret_cast<const std::byte*>(in.data), in.hdr.caplen};  // NOLINT: records are raw bytes
    return true;
  }
}

const std::vector<std::string>& FileSource::problems() const noexcept { return impl_->problems; }

std::uint64_t FileSource::frames_read() const noexcept { return impl_->frame_no; }

std::uint32_t FileSource::first_dlt() const noexcept { return impl_->inputs.empty() ? 0U : impl_->inputs.front()->dlt; }

}  // namespace synscope::capture

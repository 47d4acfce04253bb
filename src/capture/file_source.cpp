// FileSource: pcap / pcapng files through libpcap, merged by timestamp.
// Each FILE gets a large stdio buffer (libpcap's own pcap_open_offline reads 4 KiB at a time) and
// nanosecond precision (libpcap scales microsecond files). BPF is applied with pcap_offline_filter so
// that every record is still counted in frame numbers, like tshark's frame.number under a display filter.

#include <pcap/pcap.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "synscope/capture/pcap_handle.hpp"
#include "synscope/capture/source.hpp"

namespace synscope::capture {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

struct Input {
  std::string path;
  PcapHandle pcap;
  std::vector<char> buffer;           // stdio buffer; must outlive the FILE, which pcap owns
  bpf_program program{};
  bool has_program = false;
  std::uint32_t dlt = 0;
  // The pending record (read ahead for the merge). Valid until the next pcap_next_ex on this handle.
  bool pending = false;
  bool done = false;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
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

}  // namespace

struct FileSource::Impl {
  std::vector<std::unique_ptr<Input>> inputs;
  std::vector<std::string> problems;
  std::uint64_t frame_no = 0;
  std::size_t last_input = std::numeric_limits<std::size_t>::max();  // its pending record was handed out

  // Reads the next record of input `i` into its pending slot (records a problem on a read error).
  void advance(std::size_t i) {
    Input& in = *inputs[i];
    in.pending = false;
    if (in.done) return;
    const int rc = pcap_next_ex(in.pcap.get(), &in.hdr, &in.data);
    if (rc == 1) {
      in.pending = true;
      // With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds.
      in.ts_ns = static_cast<std::int64_t>(in.hdr->ts.tv_sec) * 1'000'000'000LL + static_cast<std::int64_t>(in.hdr->ts.tv_usec);
      return;
    }
    in.done = true;
    if (rc == PCAP_ERROR) {
      problems.push_back(in.path + ": " + pcap_geterr(in.pcap.get()));
    }
  }
};

FileSource::FileSource(const std::vector<std::string>& paths, FileOptions opts) : impl_(std::make_unique<Impl>()) {
  if (paths.empty()) throw CaptureError("no input file given");
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
    std::FILE* fp = is_stdin ? ::fdopen(::dup(0), "rb") : std::fopen(path.c_str(), "rb");
    if (fp == nullptr) {
      const int err = errno;
      throw std::system_error(err, std::generic_category(), "cannot open " + path);
    }
    in.buffer.resize(opts.read_buffer > 0 ? opts.read_buffer : 1U << 20U);
    std::setvbuf(fp, in.buffer.data(), _IOFBF, in.buffer.size());
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == nullptr) {
      std::fclose(fp);  // pcap did not take ownership
      std::string msg = errbuf;
      if (S_ISREG(st.st_mode) && st.st_size == 0) msg = "empty file";
      throw CaptureError(path + ": not a readable pcap/pcapng file (" + msg + ")");
    }
    in.pcap.reset(p);
    in.dlt = static_cast<std::uint32_t>(pcap_datalink(p));
    if (!opts.filter.empty()) {
      if (pcap_compile(p, &in.program, opts.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        throw CaptureError("bad filter expression '" + opts.filter + "': " + pcap_geterr(p));
      }
      in.has_program = true;
    }
    impl_->inputs.push_back(std::move(owned));
  }
  for (std::size_t i = 0; i < impl_->inputs.size(); ++i) impl_->advance(i);
}

FileSource::~FileSource() = default;

bool FileSource::next(RawFrame& out) {
  Impl& s = *impl_;
  for (;;) {
    if (s.last_input != std::numeric_limits<std::size_t>::max()) {
      s.advance(s.last_input);
      s.last_input = std::numeric_limits<std::size_t>::max();
    }
    // Pick the earliest pending record; ties go to the earlier file (stable for rotated captures).
    std::size_t best = std::numeric_limits<std::size_t>::max();
    for (std::size_t i = 0; i < s.inputs.size(); ++i) {
      const Input& in = *s.inputs[i];
      if (in.pending && (best == std::numeric_limits<std::size_t>::max() || in.ts_ns < s.inputs[best]->ts_ns)) best = i;
    }
    if (best == std::numeric_limits<std::size_t>::max()) return false;
    Input& in = *s.inputs[best];
    s.last_input = best;
    ++s.frame_no;
    if (in.has_program && pcap_offline_filter(&in.program, in.hdr, in.data) == 0) continue;
    out.ts_ns = in.ts_ns;
    out.caplen = in.hdr->caplen;
    out.wire_len = in.hdr->len;
    out.dlt = in.dlt;
    out.frame_no = s.frame_no;
    out.file_index = static_cast<std::uint32_t>(best);
    out.bytes = Bytes{reinterpret_cast<const std::byte*>(in.data), in.hdr->caplen};  // NOLINT: libpcap hands u_char*
    return true;
  }
}

const std::vector<std::string>& FileSource::problems() const noexcept { return impl_->problems; }

std::uint64_t FileSource::frames_read() const noexcept { return impl_->frame_no; }

std::uint32_t FileSource::first_dlt() const noexcept { return impl_->inputs.empty() ? 0U : impl_->inputs.front()->dlt; }

}  // namespace synscope::capture

// Fuzz target: a whole capture file through the code `synscope read` runs: capture::FileSource
// (libpcap's pcap and pcapng readers behind it), then the pipeline (decode, track) and every sink
// (text with --explain, JSON lines, Zeek TSV). The input is the file, so seeds are real captures.
// Output goes to /dev/null; the sinks still format every byte. A pcapng input also goes through
// capture::PcapngReader directly (the fallback for files libpcap refuses).

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "synscope/capture/pcapng_reader.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/sink/json.hpp"
#include "synscope/sink/pipeline.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"
#include "synscope/sink/zeek.hpp"
#include "targets.hpp"

namespace synscope::fuzz {
namespace {

// One memory file reused for every input: FileSource opens it by path like any capture file.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("synscope-fuzz", 0)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& write(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

int dev_null() {
  static const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

int file_reader_one(const std::uint8_t* data, std::size_t size) {
  static MemFile file;
  const std::string& path = file.write(data, size);
  // Vary the options by the input's length so every sink mode runs on every kind of file.
  const std::size_t mode = size % 4;
  sink::Writer text_out(dev_null(), 1U << 12U);
  sink::Writer json_out(dev_null(), 1U << 12U);
  sink::Writer zeek_out(dev_null(), 1U << 12U);
  sink::TextOptions topts;
  topts.explain = mode != 1;
  topts.stream_conns = mode == 2;
  topts.nano = mode == 3;
  topts.color = mode == 0;
  topts.utc = true;
  topts.max_table_rows = 8;
  sink::TextSink text(text_out, topts);
  sink::JsonSink json(json_out, sink::JsonOptions{});
  sink::ZeekSink zeek(zeek_out);
  sink::PipelineOptions popts;
  popts.decode.verify_checksums = mode != 3;
  popts.tracker.max_conns = 16;  // small enough that eviction runs on real captures
  popts.tracker.ignore_bad_checksums = mode != 2;
  try {
    capture::FileOptions fo;
    fo.read_buffer = 1U << 16U;
    // Mode 1 reads the file twice as two inputs, which exercises the merge by timestamp.
    const std::vector<std::string> paths = mode == 1 ? std::vector<std::string>{path, path} : std::vector<std::string>{path};
    capture::FileSource source(paths, fo);
    sink::Pipeline pipe(popts, {&text, &json, &zeek});
    capture::RawFrame frame;
    std::uint64_t n = 0;
    while (source.next(frame)) {
      SYNSCOPE_FUZZ_CHECK(frame.bytes.size() == frame.caplen);
      SYNSCOPE_FUZZ_CHECK(frame.frame_no == ++n || mode == 1);
      pipe.process(frame);
    }
    sink::RunSummary summary;
    summary.frames_read = source.frames_read();
    summary.problems = source.problems();
    pipe.finish(summary);
    SYNSCOPE_FUZZ_CHECK(pipe.totals().frames_matched <= source.frames_read());
  } catch (const capture::CaptureError&) {
    // Not a capture file: the CLI prints the message and exits 2. Nothing to check here.
  } catch (const std::system_error&) {
  }
  // The pcapng fallback reader on its own (FileSource reaches it only after libpcap's verdicts on
  // mixed interfaces), with a 4 KiB stdio buffer so that blocks straddle refills.
  if (size >= 4 && data[0] == 0x0A && data[1] == 0x0D && data[2] == 0x0D && data[3] == 0x0A) {
    std::FILE* fp = std::fopen(path.c_str(), "rb");
    if (fp != nullptr) {
      char buf[4096];
      std::setvbuf(fp, buf, _IOFBF, sizeof buf);
      capture::PcapngReader reader(fp);
      capture::PcapngReader::Record rec{};
      std::string error;
      std::size_t bytes = 0;
      int rc = 0;
      while ((rc = reader.next(rec, error)) == 1) {
        SYNSCOPE_FUZZ_CHECK(rec.caplen <= size);
        for (std::uint32_t i = 0; i < rec.caplen; ++i) bytes += rec.data[i];
      }
      SYNSCOPE_FUZZ_CHECK(rc == 0 || !error.empty());
      keep(bytes);
      (void)std::fclose(fp);
    }
  }
  return 0;
}

}  // namespace synscope::fuzz

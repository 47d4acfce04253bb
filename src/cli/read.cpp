// `synscope read FILE...`: decode, label and summarise pcap/pcapng files.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"

namespace synscope::cli {
namespace {

struct ReadOptions {
  std::vector<std::string> files;
  std::string filter;
  std::int64_t count = 0;
  bool numeric = true;
  OutputOptions out;
};

int run_read(const ReadOptions& o) {
  if (o.out.zeek && o.out.no_track) throw CLI::ValidationError("--zeek needs connection tracking; drop --no-track");
  if (o.out.zeek && o.out.json) throw CLI::ValidationError("choose one of --zeek and --json");
  install_stop_handlers();
  capture::FileOptions fo;
  fo.filter = o.filter;
  capture::FileSource source(o.files, fo);
  if (!decode::link_type_supported(source.first_dlt())) {
    std::fprintf(stderr, "synscope: warning: %s: link type %u (%s) is not decoded; frames are counted only\n",
                 o.files.front().c_str(), source.first_dlt(), decode::link_type_name(source.first_dlt()));
  }
  Output output(o.out);
  sink::Pipeline& pipe = output.pipeline();
  // Records in batches of what the reader's buffer holds (one call per batch instead of two per packet);
  // with -c, never more than the packets still to show, so the reader stops exactly where it did.
  std::array<capture::RawFrame, 16> frames;
  std::uint64_t shown = 0;
  bool interrupted = false;
  for (;;) {
    std::size_t want = frames.size();
    if (o.count != 0) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, static_cast<std::uint64_t>(o.count) - shown));
    const std::size_t n = source.next_batch(std::span<capture::RawFrame>(frames.data(), want));
    if (n == 0) break;
    pipe.process_batch(std::span<const capture::RawFrame>(frames.data(), n));
    shown += n;
    if (o.count != 0 && shown >= static_cast<std::uint64_t>(o.count)) break;
    if (stop_requested()) {
      interrupted = true;
      break;
    }
  }
  sink::RunSummary summary;
  summary.frames_read = source.frames_read();
  summary.interrupted = interrupted;
  summary.problems = source.problems();
  pipe.finish(summary);
  for (const std::string& p : source.problems()) std::fprintf(stderr, "synscope: warning: %s\n", p.c_str());
  if (interrupted) {
    std::fprintf(stderr, "synscope: interrupted after %llu frames; everything read so far was reported\n",
                 static_cast<unsigned long long>(source.frames_read()));
    return 130;
  }
  return source.problems().empty() ? kExitOk : kExitDataProblem;
}

}  // namespace

void add_read(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<ReadOptions>();
  CLI::App* cmd = app.add_subcommand("read", "decode and label pcap/pcapng files (several files = one stream merged by time)");
  cmd->add_option("FILE", opts->files, "capture files (pcap, nanosecond pcap, pcapng; - for stdin)")
      ->required()
      ->check(non_empty("give a capture file name, or - for stdin"));
  cmd->add_option("-f,--filter", opts->filter, "BPF filter expression (libpcap syntax, e.g. 'tcp port 443')");
  cmd->add_option("-c,--count", opts->count, "stop after N packets (that pass the filter)")
      ->transform(integer_in(1, std::numeric_limits<std::int64_t>::max()));
  cmd->add_option("-j,--jobs", opts->out.jobs,
                  "threads (same output): with --conns-only or --zeek, N >= 2 decode on one thread and track on "
                  "N-1 more, flows sharded by 5-tuple (--max-conns is split between them; at most 65 used); "
                  "printing packets (text, --json), N >= 2 reads and tracks on one thread and decodes and prints "
                  "on a second (more are not used)")
      ->transform(integer_in(1, 1024));
  cmd->add_flag("-n", opts->numeric, "no name resolution (always the case; accepted for tcpdump habits)");
  add_output_options(*cmd, opts->out);
  cmd->callback([opts, &run] { run = [opts] { return run_read(*opts); }; });
}

}  // namespace synscope::cli

// `synscope live`: watch handshakes as they happen; `synscope interfaces`: what can be captured.

#include <CLI/CLI.hpp>

#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "privileges.hpp"
#include "signals.hpp"
#include "synscope/capture/live.hpp"
#include "synscope/sink/board.hpp"

namespace synscope::cli {
namespace {

struct LiveCmdOptions {
  std::string device;
  std::string filter;
  int snaplen = 262144;
  int buffer_kib = 32768;
  bool no_promisc = false;
  std::int64_t count = 0;
  double duration = 0;
  std::string write;
  std::string user = "nobody";
  bool board = false;
  bool quiet_stats = false;
  OutputOptions out;
};

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

void print_stats(const capture::LiveStats& st, std::uint64_t shown, const std::string& dev) {
  std::fprintf(stderr,
               "%llu packets shown from %s\n"
               "%llu packets received by filter   (reached synscope's BPF filter)\n"
               "%llu packets dropped by kernel    (capture buffer full: synscope or the output was too slow)\n"
               "%llu packets dropped by interface (the driver/NIC dropped them before capture)\n",
               static_cast<unsigned long long>(shown), dev.c_str(), static_cast<unsigned long long>(st.received),
               static_cast<unsigned long long>(st.dropped_kernel), static_cast<unsigned long long>(st.dropped_interface));
}

int run_live(const LiveCmdOptions& o) {
  if (o.out.zeek && o.out.json) throw CLI::ValidationError("choose one of --zeek and --json");
  if (o.out.zeek && o.out.no_track) throw CLI::ValidationError("--zeek needs connection tracking; drop --no-track");
  install_stop_handlers();
  capture::LiveOptions lo;
  lo.device = o.device;
  lo.filter = o.filter;
  lo.snaplen = o.snaplen;
  lo.promisc = !o.no_promisc;
  lo.buffer_bytes = o.buffer_kib * 1024;
  capture::LiveSource source(lo);
  std::unique_ptr<capture::PcapWriter> writer;
  if (!o.write.empty()) writer = std::make_unique<capture::PcapWriter>(o.write, source.dlt(), o.snaplen);
  const std::string dropped = drop_privileges(o.user);
  std::fprintf(stderr, "synscope: listening on %s, link-type %s, snapshot length %d bytes%s%s\n", source.device().c_str(),
               decode::link_type_name(source.dlt()), o.snaplen, dropped.empty() ? "" : "; ", dropped.c_str());

  std::unique_ptr<Output> output;
  std::unique_ptr<sink::BoardSink> board;
  std::unique_ptr<sink::Pipeline> board_pipe;
  sink::Writer board_writer(STDOUT_FILENO, 1U << 16U);
  sink::Pipeline* pipe = nullptr;
  if (o.board) {
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    board = std::make_unique<sink::BoardSink>(board_writer, sink::BoardOptions{tty, use_color(o.out.color)});
    sink::PipelineOptions po;
    po.decode.verify_checksums = !o.out.no_checksums;
    po.tracker.max_conns = o.out.max_conns;
    board_pipe = std::make_unique<sink::Pipeline>(po, std::vector<sink::Sink*>{board.get()});
    pipe = board_pipe.get();
  } else {
    output = std::make_unique<Output>(o.out, true);
    pipe = &output->pipeline();
  }

  const std::int64_t start = now_ns(CLOCK_MONOTONIC);
  const std::int64_t deadline = o.duration > 0 ? start + static_cast<std::int64_t>(std::llround(o.duration * 1e9)) : 0;
  std::int64_t next_tick = start + 1'000'000'000;
  std::uint64_t shown = 0;
  capture::RawFrame frame;
  while (!stop_requested()) {
    // Drain what is ready without waiting; flush before blocking so every line appears at once.
    capture::WaitResult r = source.next(frame, 0);
    if (r == capture::WaitResult::kTimeout) {
      pipe->flush();
      r = source.next(frame, 100);
    }
    if (r == capture::WaitResult::kEnd) break;
    if (r == capture::WaitResult::kFrame) {
      pipe->process(frame);
      if (writer) writer->write(frame);
      ++shown;
      if (o.count != 0 && shown >= static_cast<std::uint64_t>(o.count)) break;
    }
    const std::int64_t mono = now_ns(CLOCK_MONOTONIC);
    if (deadline != 0 && mono >= deadline) break;
    if (mono >= next_tick) {
      next_tick = mono + 1'000'000'000;
      pipe->expire(now_ns(CLOCK_REALTIME));
      if (board) board->tick(now_ns(CLOCK_REALTIME));
    }
  }
  sink::RunSummary summary;
  summary.frames_read = shown;
  summary.interrupted = stop_requested();
  pipe->finish(summary);
  if (writer) writer->flush();
  print_stats(source.stats(), shown, source.device());
  return kExitOk;  // Ctrl-C, SIGTERM, -c and --duration are normal ends
}

int run_interfaces() {
  const auto all = capture::list_interfaces();
  const std::string def = capture::default_interface();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& d = all[i];
    std::string flags;
    if (d.up) flags += "Up";
    if (d.running) flags += flags.empty() ? "Running" : ", Running";
    if (d.loopback) flags += flags.empty() ? "Loopback" : ", Loopback";
    if (d.wireless) flags += flags.empty() ? "Wireless" : ", Wireless";
    std::printf("%zu. %s%s [%s]%s%s\n", i + 1, d.name.c_str(), d.name == def ? " (default)" : "", flags.c_str(),
                d.description.empty() ? "" : " ", d.description.c_str());
    for (const auto& a : d.addresses) std::printf("     %s\n", a.c_str());
  }
  if (all.empty()) std::printf("no interfaces visible (capturing needs CAP_NET_RAW; try as root)\n");
  return kExitOk;
}

}  // namespace

void add_live(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<LiveCmdOptions>();
  CLI::App* cmd = app.add_subcommand("live", "capture live and label handshakes as they happen");
  cmd->add_option("-i,--interface", opts->device, "interface (default: the first usable one; see `synscope interfaces`)")
      ->check(non_empty("omit -i for the default interface"));
  cmd->add_option("-f,--filter", opts->filter, "BPF filter expression");
  cmd->add_option("-s,--snaplen", opts->snaplen, "bytes captured per packet")->transform(integer_in(64, 262144));
  cmd->add_option("-B,--buffer-size", opts->buffer_kib, "kernel capture buffer in KiB (default 32768; more absorbs bursts)")
      ->transform(integer_in(64, 1 << 21));
  cmd->add_flag("-p,--no-promiscuous-mode", opts->no_promisc, "do not put the interface in promiscuous mode");
  cmd->add_option("-c,--count", opts->count, "stop after N packets")
      ->transform(integer_in(1, std::numeric_limits<std::int64_t>::max()));
  cmd->add_option("--duration", opts->duration, "stop after SECONDS")
      ->check(finite_number())
      ->check(CLI::Range(0.001, 31'536'000.0));
  cmd->add_option("-w,--write", opts->write, "also write the packets to this pcap file (flushed per packet)")
      ->check(non_empty("give a file name, or omit -w"));
  // Checked here, before any capture is opened, and whoever runs it (the switch itself only happens as root).
  cmd->add_option("--user", opts->user, "user to switch to after opening the capture when run as root (default nobody)")
      ->check(non_empty("--user root keeps root"))
      ->check(CLI::Validator(
          [](const std::string& user) {
            return user == "root" || ::getpwnam(user.c_str()) != nullptr
                       ? std::string()
                       : "no user '" + user + "' (choose an existing one, or root to keep root)";
          },
          "USER"));
  cmd->add_flag("--board", opts->board, "live connection board refreshing in place (plain lines when not a terminal)");
  add_output_options(*cmd, opts->out);
  cmd->callback([opts, &run] { run = [opts] { return run_live(*opts); }; });

  CLI::App* ifs = app.add_subcommand("interfaces", "list capture interfaces with their addresses");
  ifs->callback([&run] { run = [] { return run_interfaces(); }; });
}

}  // namespace synscope::cli

// Builds the sink chosen on the command line and the decode/track pipeline in front of it.

#include "output.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace synscope::cli {
namespace {

std::int64_t seconds_to_ns(double s) { return static_cast<std::int64_t>(std::llround(s * 1e9)); }

}  // namespace

const CLI::Validator& finite_number() {
  // CLI::Range lets NaN through (every comparison with NaN is false); refuse it, and ±inf, here.
  static const CLI::Validator kFinite(
      [](std::string& text) {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        return std::isfinite(v) ? std::string() : std::string("must be a finite number, not ") + text;
      },
      "FINITE");
  return kFinite;
}

void add_output_options(CLI::App& cmd, OutputOptions& o) {
  cmd.add_flag("--json", o.json, "JSON lines: one object per packet and per connection (stable keys)");
  cmd.add_flag("--zeek", o.zeek, "write only a Zeek-format TSV conn.log (zeek-cut reads it)");
  cmd.add_flag("--conns-only", o.conns_only, "print only the connection table and summary");
  cmd.add_flag("--explain", o.explain, "narrate each handshake and teardown step for a learner");
  cmd.add_flag("--nano", o.nano, "print nanosecond timestamps");
  cmd.add_flag("--utc", o.utc, "print times in UTC instead of local time");
  cmd.add_flag("--no-track", o.no_track, "decode only: no connection tracking, steps or records");
  cmd.add_flag("--zeek-checksums", o.zeek_checksums,
               "emulate Zeek's default: packets with bad checksums are ignored and logged as C/c in history");
  cmd.add_flag("--no-checksums", o.no_checksums, "do not verify checksums (faster; nothing is flagged)");
  cmd.add_option("--color", o.color, "colour: auto (terminal only, honours NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd.add_option("--max-conns", o.max_conns, "most connections tracked at once; the oldest is reported early")
      ->check(CLI::Range(static_cast<std::size_t>(1), static_cast<std::size_t>(100'000'000)));
  cmd.add_option("--max-rows", o.max_rows, "rows of the end-of-run connection table in packet mode")
      ->check(CLI::Range(static_cast<std::size_t>(0), static_cast<std::size_t>(100'000'000)));
  const auto secs = CLI::Range(0.0, 31'536'000.0);
  cmd.add_option("--attempt-timeout", o.attempt_timeout, "seconds an unanswered SYN is kept (Zeek: 5)")->check(secs)->check(finite_number());
  cmd.add_option("--close-timeout", o.close_timeout, "seconds kept after both FINs (Zeek: 5)")->check(secs)->check(finite_number());
  cmd.add_option("--reset-timeout", o.reset_timeout, "seconds kept after an RST (Zeek: 5)")->check(secs)->check(finite_number());
  cmd.add_option("--inactivity-timeout", o.inactivity_timeout, "idle seconds before a TCP connection expires (Zeek: 300)")
      ->check(secs)->check(finite_number());
  cmd.add_option("--udp-timeout", o.udp_timeout, "idle seconds before a UDP flow expires (Zeek: 60)")->check(secs)->check(finite_number());
  cmd.add_option("--icmp-timeout", o.icmp_timeout, "idle seconds before an ICMP flow expires (Zeek: 60)")->check(secs)->check(finite_number());
}

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

Output::Output(const OutputOptions& o, bool live) : writer_(STDOUT_FILENO, live ? 1U << 12U : 1U << 16U) {
  if (o.zeek) {
    sink_ = std::make_unique<sink::ZeekSink>(writer_);
  } else if (o.json) {
    sink_ = std::make_unique<sink::JsonSink>(writer_, sink::JsonOptions{!o.conns_only, !o.no_track, true});
  } else {
    sink::TextOptions t;
    t.packets = !o.conns_only;
    t.conns = !o.no_track;
    t.stream_conns = o.conns_only || live;
    t.color = use_color(o.color);
    t.explain = o.explain;
    t.nano = o.nano;
    t.utc = o.utc;
    t.max_table_rows = o.max_rows;
    sink_ = std::make_unique<sink::TextSink>(writer_, t);
  }
  sink::PipelineOptions p;
  p.track = !o.no_track;
  // Nothing prints packets: the tracker may take them in batches (prefetching its table).
  p.packet_events = live || !(o.zeek || o.conns_only);
  p.decode.verify_checksums = !o.no_checksums;
  p.tracker.max_conns = o.max_conns;
  p.tracker.attempt_timeout_ns = seconds_to_ns(o.attempt_timeout);
  p.tracker.close_timeout_ns = seconds_to_ns(o.close_timeout);
  p.tracker.reset_timeout_ns = seconds_to_ns(o.reset_timeout);
  p.tracker.inactivity_timeout_ns = seconds_to_ns(o.inactivity_timeout);
  p.tracker.udp_inactivity_timeout_ns = seconds_to_ns(o.udp_timeout);
  p.tracker.icmp_inactivity_timeout_ns = seconds_to_ns(o.icmp_timeout);
  p.tracker.ignore_bad_checksums = !o.zeek_checksums;
  pipeline_ = std::make_unique<sink::Pipeline>(p, std::vector<sink::Sink*>{sink_.get()});
}

}  // namespace synscope::cli

// Builds the sink chosen on the command line and the decode/track pipeline in front of it.

#include "output.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

namespace synscope::cli {
namespace {

std::int64_t seconds_to_ns(double s) { return static_cast<std::int64_t>(std::llround(s * 1e9)); }

}  // namespace

IntText parse_int64(std::string_view text, std::int64_t& out) noexcept {
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  const char* const last = text.data() + text.size();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), last, value);
  if (end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) return IntText::kNotWhole;
  if (ec == std::errc::result_out_of_range) return IntText::kOutOfRange;
  out = value;
  return IntText::kOk;
}

bool parse_double(const std::string& text, double& out) noexcept {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  out = v;
  return true;
}

const CLI::Validator& finite_number() {
  // CLI::Range lets NaN through (every comparison with NaN is false); refuse it, and ±inf, here. Put it
  // before a Range so that the Range never sees a value that is not a finite number.
  static const CLI::Validator kFinite(
      [](std::string& text) {
        double v = 0;
        if (!parse_double(text, v)) return "Value '" + text + "' is not a number";
        return std::isfinite(v) ? std::string() : std::string("must be a finite number, not ") + text;
      },
      "FINITE");
  return kFinite;
}

CLI::Validator integer_in(std::int64_t lo, std::int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) {
        std::int64_t value = 0;
        const IntText parsed = parse_int64(text, value);
        if (parsed == IntText::kNotWhole) return "Value '" + text + "' is not a whole number";
        if (parsed == IntText::kOutOfRange || value < lo || value > hi) {
          return "Value " + text + " not in range " + std::to_string(lo) + " to " + std::to_string(hi);
        }
        text = std::to_string(value);  // canonical decimal for CLI11's own conversion (base 0: "010" is octal)
        return std::string();
      },
      "INT in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]");
}

CLI::Validator non_empty(const std::string& hint) {
  return CLI::Validator(
      [hint](const std::string& text) { return text.empty() ? "empty value (" + hint + ")" : std::string(); }, "");
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
      ->transform(integer_in(1, 100'000'000));
  cmd.add_option("--max-rows", o.max_rows, "rows of the end-of-run connection table in packet mode")
      ->transform(integer_in(0, 100'000'000));
  const auto secs = CLI::Range(0.0, 31'536'000.0);
  cmd.add_option("--attempt-timeout", o.attempt_timeout, "seconds an unanswered SYN is kept (Zeek: 5)")->check(finite_number())->check(secs);
  cmd.add_option("--close-timeout", o.close_timeout, "seconds kept after both FINs (Zeek: 5)")->check(finite_number())->check(secs);
  cmd.add_option("--reset-timeout", o.reset_timeout, "seconds kept after an RST (Zeek: 5)")->check(finite_number())->check(secs);
  cmd.add_option("--inactivity-timeout", o.inactivity_timeout, "idle seconds before a TCP connection expires (Zeek: 300)")
      ->check(finite_number())->check(secs);
  cmd.add_option("--udp-timeout", o.udp_timeout, "idle seconds before a UDP flow expires (Zeek: 60)")->check(finite_number())->check(secs);
  cmd.add_option("--icmp-timeout", o.icmp_timeout, "idle seconds before an ICMP flow expires (Zeek: 60)")->check(finite_number())->check(secs);
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
  p.jobs = live ? 1U : static_cast<unsigned>(o.jobs);  // never live: the board and expiry run on this thread
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

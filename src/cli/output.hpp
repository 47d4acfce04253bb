#pragma once
// Output options shared by `read` and `live`: which sinks, colour, tracking knobs.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "synscope/sink/json.hpp"
#include "synscope/sink/pipeline.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"
#include "synscope/sink/zeek.hpp"

namespace CLI {
class App;
class Validator;
}

namespace synscope::cli {

struct OutputOptions {
  bool json = false;
  bool zeek = false;
  bool conns_only = false;
  bool explain = false;
  bool nano = false;
  bool utc = false;
  bool no_track = false;
  bool zeek_checksums = false;   // emulate Zeek's default: skip bad-checksum packets, log C/c
  bool no_checksums = false;     // do not verify checksums at all
  std::string color = "auto";
  std::size_t max_conns = 1'000'000;
  double attempt_timeout = 5.0;
  double close_timeout = 5.0;
  double reset_timeout = 5.0;
  double inactivity_timeout = 300.0;
  double udp_timeout = 60.0;
  double icmp_timeout = 60.0;
  std::size_t max_rows = 200;
  std::int64_t jobs = 1;         // read: threads for decoding and tracking (--jobs)
};

/// A CLI11 check that refuses NaN and infinities (CLI::Range does not).
const CLI::Validator& finite_number();

/// Plain decimal integer text, an optional leading '+' (no spaces, hex, octal, exponent or fraction).
enum class IntText : std::uint8_t { kOk, kNotWhole, kOutOfRange /* beyond int64 */ };
IntText parse_int64(std::string_view text, std::int64_t& out) noexcept;

/// A number as strtod reads it, spanning the whole text ("" and "1.5x" are not); NaN/inf pass (callers
/// check ranges). The empty case matters: CLI11 2.1 turns an empty value into 0 without complaint.
bool parse_double(const std::string& text, double& out) noexcept;

/// A CLI11 transform for every integer option: plain decimal (an optional leading '+') within [lo, hi],
/// else "Value V not in range LO to HI" / "Value 'V' is not a whole number". CLI11 2.1's own conversion
/// saturates beyond int64 (strtoll's ERANGE is not checked), wraps "-1" into a huge unsigned and reads
/// "010" as octal; this refuses the first two and rewrites the value to canonical decimal before it.
CLI::Validator integer_in(std::int64_t lo, std::int64_t hi);

/// A CLI11 check that refuses an empty string ("empty value", then `hint`): for options where "" would
/// silently mean "not given" (an interface, a file, a user name, a host).
CLI::Validator non_empty(const std::string& hint);

/// Adds the output/tracking options to a subcommand.
void add_output_options(CLI::App& cmd, OutputOptions& o);

/// The sinks and pipeline built from the options; owns the writer (stdout).
class Output {
 public:
  explicit Output(const OutputOptions& o, bool live = false);
  sink::Pipeline& pipeline() { return *pipeline_; }

 private:
  sink::Writer writer_;
  std::unique_ptr<sink::Sink> sink_;
  std::unique_ptr<sink::Pipeline> pipeline_;
};

/// Colour decision: --color always|never, or auto = stdout is a terminal, NO_COLOR unset, TERM not "dumb".
bool use_color(const std::string& mode);

}  // namespace synscope::cli

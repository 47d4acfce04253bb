#pragma once
// Output options shared by `read` and `live`: which sinks, colour, tracking knobs.

#include <memory>
#include <string>
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
};

/// A CLI11 check that refuses NaN and infinities (CLI::Range does not).
const CLI::Validator& finite_number();

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

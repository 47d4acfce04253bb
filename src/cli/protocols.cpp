// `synscope protocols`: the IP protocol numbers and socket types table (a teaching aid for ping --explain).

#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.hpp"
#include "synscope/ping/protocols.hpp"

namespace synscope::cli {

void add_protocols(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("protocols", "IP protocol numbers (ICMP 1, TCP 6, UDP 17…) and socket types");
  cmd->callback([&run]() {
    run = []() -> int {
      std::fputs(ping::format_protocols().c_str(), stdout);
      return kExitOk;
    };
  });
}

}  // namespace synscope::cli

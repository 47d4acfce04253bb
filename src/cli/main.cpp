// synscope entry point: parse the command line, run the chosen subcommand, map errors to exit codes.
// This is the only place that turns exceptions into messages.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"

int main(int argc, char** argv) {
  // Everything, building the app included, is inside the try: no exception may escape main().
  try {
    CLI::App app{"synscope: watch TCP handshakes, analyse pcap/pcapng files, ping hosts", "synscope"};
    app.set_version_flag("--version", std::string("synscope ") + SYNSCOPE_VERSION);
    app.require_subcommand(1);

    synscope::cli::Runner run;
    synscope::cli::add_read(app, run);
    synscope::cli::add_live(app, run);
    synscope::cli::add_demo(app, run);
    synscope::cli::add_ping(app, run);
    synscope::cli::add_protocols(app, run);

    if (argc < 2) {
      std::fputs(app.help().c_str(), stderr);
      return synscope::cli::kExitError;
    }
    const auto subs = app.get_subcommands([&](const CLI::App* sub) { return sub->get_name() == argv[1]; });
    if (argv[1][0] != '-' && subs.empty()) {
      std::fprintf(stderr, "synscope: unknown subcommand '%s' (read, live, interfaces, demo, ping, protocols)\n", argv[1]);
      return synscope::cli::kExitError;
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help / --version
      std::fprintf(stderr, "synscope: %s\n", e.what());
      std::fprintf(stderr, "Run with --help for usage.\n");
      return synscope::cli::kExitError;
    }
    return run ? run() : synscope::cli::kExitError;
  } catch (const std::exception& e) {  // std::system_error and CLI::ValidationError from a run included
    std::fflush(stdout);
    std::fprintf(stderr, "synscope: %s\n", e.what());
    return synscope::cli::kExitError;
  } catch (...) {
    std::fflush(stdout);
    std::fputs("synscope: unexpected error (not a std::exception)\n", stderr);
    return synscope::cli::kExitError;
  }
}

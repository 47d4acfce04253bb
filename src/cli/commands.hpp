#pragma once
// Subcommand registration. Each src/cli/<name>.cpp adds one subcommand to the app and, when it is
// chosen, stores the function main() runs; that function returns the process exit code.

#include <functional>

namespace CLI {
class App;
}

namespace synscope::cli {

/// Exit codes shared by every subcommand (documented in the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitDataProblem = 1;  ///< input partly unreadable (truncated file…) / ping: no reply
inline constexpr int kExitError = 2;        ///< usage, open, permission or other errors

using Runner = std::function<int()>;

void add_read(CLI::App& app, Runner& run);
void add_live(CLI::App& app, Runner& run);  // live + interfaces
void add_demo(CLI::App& app, Runner& run);
void add_ping(CLI::App& app, Runner& run);
void add_protocols(CLI::App& app, Runner& run);

}  // namespace synscope::cli

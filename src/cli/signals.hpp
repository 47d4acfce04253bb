#pragma once
// SIGINT/SIGTERM set a flag; loops poll it so every record is still reported and flushed on Ctrl-C.

#include <csignal>

namespace synscope::cli {

/// Installs the handlers (without SA_RESTART so blocking calls return EINTR).
void install_stop_handlers();
/// True once SIGINT or SIGTERM arrived.
bool stop_requested() noexcept;
/// The signal that asked to stop (0 if none).
int stop_signal() noexcept;

}  // namespace synscope::cli

#pragma once
// SIGINT/SIGTERM set a flag; loops poll it so every record is still reported and flushed on Ctrl-C.

#include <csignal>

namespace synscope::cli {

/// Installs the handlers (without SA_RESTART so blocking calls return EINTR).
void install_stop_handlers();
namespace detail {
/// The signal that asked to stop (0 if none), set by the handler.
extern volatile std::sig_atomic_t g_stop;
}  // namespace detail

/// True once SIGINT or SIGTERM arrived. Inline: the read loop asks once per packet.
inline bool stop_requested() noexcept { return detail::g_stop != 0; }
/// The signal that asked to stop (0 if none).
int stop_signal() noexcept;

}  // namespace synscope::cli

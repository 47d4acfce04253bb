#include "signals.hpp"

#include <signal.h>

namespace synscope::cli {
namespace detail {
volatile std::sig_atomic_t g_stop = 0;
}  // namespace detail
namespace {
extern "C" void on_stop_signal(int sig) { detail::g_stop = sig; }
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() noexcept { return static_cast<int>(detail::g_stop); }

}  // namespace synscope::cli

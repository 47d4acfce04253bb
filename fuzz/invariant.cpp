#include <cstdio>
#include <cstdlib>

#include "targets.hpp"

namespace synscope::fuzz {

void invariant_failed(const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", what, file, line);
  std::abort();
}

void keep(std::size_t value) noexcept {
  static volatile std::size_t sink = 0;
  sink = sink + value;
}

}  // namespace synscope::fuzz

// synscope_gen: writes large synthetic classic-pcap captures for the benchmarks (model: bench/gen.hpp).

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gen.hpp"

namespace {

using synscope_bench::Options;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "synscope_gen: %s\n"
               "usage: synscope_gen [--packets N] [--seed S] [--open C] [--rate R] [--nano] -o FILE\n"
               "       synscope_gen --syn-flood N [--seed S] -o FILE\n"
               "  --packets N    packets to write (default 1000000)\n"
               "  --open C       concurrently open TCP connections (default 2000)\n"
               "  --rate R       packets per second of capture time (default 100000)\n"
               "  --seed S       PRNG seed (default 1); same seed and options = same bytes\n"
               "  --nano         nanosecond-resolution pcap (magic a1b23c4d)\n"
               "  --syn-flood N  N SYNs with distinct source address/port, 1 µs apart\n",
               why);
  std::exit(2);
}

std::uint64_t number(const char* s) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') usage("not a number");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--packets") o.packets = number(value());
    else if (a == "--seed") o.seed = number(value());
    else if (a == "--open") o.open = static_cast<std::uint32_t>(number(value()));
    else if (a == "--rate") o.rate = static_cast<std::uint32_t>(number(value()));
    else if (a == "--syn-flood") o.syn_flood = number(value());
    else if (a == "--nano") o.nano = true;
    else if (a == "-o") o.out = value();
    else usage("unknown argument");
  }
  if (o.out.empty()) usage("no output file (-o)");
  if (o.open == 0) usage("--open must be at least 1");
  const int fd = o.out == "-" ? 1 : ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror(o.out.c_str());
    return 1;
  }
  {
    synscope_bench::Out out(fd);
    synscope_bench::Generator g(o, out);
    g.file_header();
    if (o.syn_flood > 0) g.run_syn_flood();
    else g.run_mixed();
  }
  if (fd != 1 && ::close(fd) != 0) {
    std::perror(o.out.c_str());
    return 1;
  }
  return 0;
}

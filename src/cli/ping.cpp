// `synscope ping`: ICMP echo (raw socket, or the unprivileged ping socket) and the TCP handshake ping.
// Thin: parse options into ping::PingOptions, validate, run.

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "commands.hpp"
#include "output.hpp"
#include "synscope/ping/options.hpp"
#include "synscope/ping/pinger.hpp"
#include "synscope/ping/socket.hpp"
#include "synscope/ping/tcp_ping.hpp"

namespace synscope::cli {
namespace {

/// The numeric options as typed. CLI11 2.1 would saturate an integer beyond int64, read "010" as octal and
/// turn "" into 0, and -t / --tcp keep -1 for "not given", so the text is converted here, in decimal; the
/// problems are reported in ping's own one-line style, like those of ping::validate().
struct NumberTexts {
  std::string count, interval, linger, deadline, datalen, ttl, tcp;
};

/// Converts the text of a given integer option into `out`; "" or the problem ("invalid ttl: -1 (0 to 255)").
/// -c, -w and -s only need to fit (ping::validate() checks their ranges); -t and --tcp are range-checked
/// here, as they are narrower than the int64 read and -1 must not pass for "not given".
std::string convert_int(const CLI::Option* opt, const std::string& text, const char* what, std::int64_t& out,
                        std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
                        std::int64_t hi = std::numeric_limits<std::int64_t>::max()) {
  if (opt->count() == 0) return "";
  std::int64_t v = 0;
  switch (parse_int64(text, v)) {
    case IntText::kNotWhole:
      return std::string("invalid ") + what + ": '" + text + "' (not a whole number)";
    case IntText::kOutOfRange:
      return std::string("invalid ") + what + ": " + text + " (out of range)";
    case IntText::kOk:
      break;
  }
  if (v < lo || v > hi) {
    return std::string("invalid ") + what + ": " + text + " (" + std::to_string(lo) + " to " + std::to_string(hi) + ")";
  }
  out = v;
  return "";
}

/// Same for -i and -W (NaN, infinities and ranges are ping::validate()'s).
std::string convert_seconds(const CLI::Option* opt, const std::string& text, const char* what, double& out) {
  if (opt->count() == 0 || parse_double(text, out)) return "";
  return std::string(what) + ": '" + text + "' (not a number)";
}

}  // namespace

void add_ping(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<ping::PingOptions>();
  auto socket_text = std::make_shared<std::string>("auto");
  auto v4_only = std::make_shared<bool>(false);
  auto v6_only = std::make_shared<bool>(false);
  auto num = std::make_shared<NumberTexts>();
  auto* cmd = app.add_subcommand("ping", "ICMP echo like iputils ping (raw or ping socket), or --tcp handshake ping");
  cmd->add_option("hosts", opts->hosts, "host names or addresses (several are pinged at once)")
      ->required()
      ->check(non_empty("give a host name or address"));
  auto* copt = cmd->add_option("-c", num->count, "stop after COUNT replies/errors (iputils -c)")->type_name("INT");
  auto* iopt = cmd->add_option("-i", num->interval, "seconds between probes (default 1; below 0.2 only for root)")
                   ->type_name("FLOAT");
  auto* wopt = cmd->add_option("-W", num->linger, "seconds to wait for a reply after the last probe (default 10)")
                   ->type_name("FLOAT");
  auto* dopt = cmd->add_option("-w", num->deadline, "deadline: stop after this many seconds whatever happens")
                   ->type_name("INT");
  auto* sopt = cmd->add_option("-s", num->datalen, "data bytes per probe (default 56)")->type_name("INT");
  auto* ttlopt = cmd->add_option("-t", num->ttl, "IP TTL / IPv6 hop limit of the probes")->type_name("INT");
  cmd->add_flag("-q", opts->quiet, "quiet: only the start line and the statistics");
  cmd->add_flag("-D", opts->timestamps, "print a [UNIX time] before each line");
  cmd->add_flag("-O", opts->outstanding, "report probes still unanswered when the next one goes out");
  auto* f4 = cmd->add_flag("-4", *v4_only, "IPv4 only");
  auto* f6 = cmd->add_flag("-6", *v6_only, "IPv6 only");
  f4->excludes(f6);
  cmd->add_option("--socket", *socket_text, "raw | dgram | auto (raw first, the ping socket on EPERM)");
  cmd->add_flag("--json", opts->json, "JSON lines: start, reply, error, summary");
  cmd->add_flag("--explain", opts->explain, "teaching view: the socket call and a byte-level first reply");
  auto* topt = cmd->add_option("--tcp", num->tcp, "TCP handshake ping: time connect() to PORT")->type_name("PORT");
  cmd->callback([opts, socket_text, num, copt, iopt, wopt, dopt, sopt, ttlopt, v4_only, v6_only, topt, &run]() {
    std::int64_t ttl = opts->ttl;
    std::int64_t tcp_port = -1;  // not given: ICMP echo
    const std::string problems[] = {
        convert_int(copt, num->count, "count", opts->count),
        convert_seconds(iopt, num->interval, "bad timing interval", opts->interval_s),
        convert_seconds(wopt, num->linger, "bad linger time", opts->linger_s),
        convert_int(dopt, num->deadline, "deadline", opts->deadline_s),
        convert_int(sopt, num->datalen, "packet size", opts->datalen),
        convert_int(ttlopt, num->ttl, "ttl", ttl, 0, 255),
        convert_int(topt, num->tcp, "TCP port", tcp_port, 1, 65535),
    };
    std::string number_problem;
    for (const std::string& p : problems) {
      if (number_problem.empty()) number_problem = p;
    }
    opts->ttl = static_cast<int>(ttl);
    opts->tcp_port = static_cast<int>(tcp_port);
    opts->count_set = copt->count() > 0;
    opts->interval_set = iopt->count() > 0;
    opts->linger_set = wopt->count() > 0;
    if (*v4_only) opts->family = ping::FamilyChoice::kIpv4;
    if (*v6_only) opts->family = ping::FamilyChoice::kIpv6;
    const bool socket_ok = ping::parse_socket_choice(*socket_text, opts->socket);
    run = [opts, socket_text, socket_ok, number_problem]() -> int {
      if (!number_problem.empty()) {
        std::fprintf(stderr, "synscope: ping: %s\n", number_problem.c_str());
        return kExitError;
      }
      if (!socket_ok) {
        std::fprintf(stderr, "synscope: ping: invalid --socket value: %s (raw, dgram or auto)\n", socket_text->c_str());
        return kExitError;
      }
      const std::string problem = ping::validate(*opts, ::geteuid() == 0);
      if (!problem.empty()) {
        std::fprintf(stderr, "synscope: ping: %s\n", problem.c_str());
        return kExitError;
      }
      try {
        if (opts->tcp_port != -1) return ping::run_tcp_ping(*opts, stdout, stderr);
        return ping::run_icmp_ping(*opts, stdout, stderr);
      } catch (const ping::SocketUnavailable& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "synscope: ping: %s\n", e.what());
        return kExitError;
      }
    };
  });
}

}  // namespace synscope::cli

// `synscope ping`: ICMP echo (raw socket, or the unprivileged ping socket) and the TCP handshake ping.
// Thin: parse options into ping::PingOptions, validate, run.

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "synscope/ping/options.hpp"
#include "synscope/ping/pinger.hpp"
#include "synscope/ping/socket.hpp"
#include "synscope/ping/tcp_ping.hpp"

namespace synscope::cli {

void add_ping(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<ping::PingOptions>();
  auto socket_text = std::make_shared<std::string>("auto");
  auto v4_only = std::make_shared<bool>(false);
  auto v6_only = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("ping", "ICMP echo like iputils ping (raw or ping socket), or --tcp handshake ping");
  cmd->add_option("hosts", opts->hosts, "host names or addresses (several are pinged at once)")->required();
  auto* copt = cmd->add_option("-c", opts->count, "stop after COUNT replies/errors (iputils -c)");
  auto* iopt = cmd->add_option("-i", opts->interval_s, "seconds between probes (default 1; below 0.2 only for root)");
  auto* wopt = cmd->add_option("-W", opts->linger_s, "seconds to wait for a reply after the last probe (default 10)");
  cmd->add_option("-w", opts->deadline_s, "deadline: stop after this many seconds whatever happens");
  cmd->add_option("-s", opts->datalen, "data bytes per probe (default 56)");
  cmd->add_option("-t", opts->ttl, "IP TTL / IPv6 hop limit of the probes");
  cmd->add_flag("-q", opts->quiet, "quiet: only the start line and the statistics");
  cmd->add_flag("-D", opts->timestamps, "print a [UNIX time] before each line");
  cmd->add_flag("-O", opts->outstanding, "report probes still unanswered when the next one goes out");
  auto* f4 = cmd->add_flag("-4", *v4_only, "IPv4 only");
  auto* f6 = cmd->add_flag("-6", *v6_only, "IPv6 only");
  f4->excludes(f6);
  cmd->add_option("--socket", *socket_text, "raw | dgram | auto (raw first, the ping socket on EPERM)");
  cmd->add_flag("--json", opts->json, "JSON lines: start, reply, error, summary");
  cmd->add_flag("--explain", opts->explain, "teaching view: the socket call and a byte-level first reply");
  auto* topt = cmd->add_option("--tcp", opts->tcp_port, "TCP handshake ping: time connect() to PORT");
  cmd->callback([opts, socket_text, copt, iopt, wopt, v4_only, v6_only, topt, &run]() {
    opts->count_set = copt->count() > 0;
    opts->interval_set = iopt->count() > 0;
    opts->linger_set = wopt->count() > 0;
    if (*v4_only) opts->family = ping::FamilyChoice::kIpv4;
    if (*v6_only) opts->family = ping::FamilyChoice::kIpv6;
    if (topt->count() == 0) opts->tcp_port = -1;
    const bool socket_ok = ping::parse_socket_choice(*socket_text, opts->socket);
    run = [opts, socket_text, socket_ok]() -> int {
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

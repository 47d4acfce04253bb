#include "synscope/ping/tcp_ping.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "synscope/ping/output.hpp"
#include "synscope/ping/pinger.hpp"
#include "synscope/ping/stats.hpp"
#include "synscope/ping/unique_fd.hpp"

namespace synscope::ping {

namespace {

constexpr std::int64_t kNsPerMs = 1000000;
constexpr std::int64_t kNsPerUs = 1000;
constexpr std::int64_t kNsPerSec = 1000000000;
/// Without -W, an attempt is given up after this long.
constexpr double kDefaultTcpTimeout = 2.0;

struct TcpSession {
  Target target;
  PingStats stats;
  UniqueFd fd;                 // the attempt in flight
  std::uint16_t seq = 0;
  std::int64_t attempt_start = 0;
  std::int64_t first_start = 0;
  std::int64_t last_start = 0;
  bool in_flight = false;
};

void set_port(Target& t, int port) {
  if (t.family == Family::kIpv4) {
    reinterpret_cast<sockaddr_in*>(&t.sa)->sin_port = htons(static_cast<std::uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&t.sa)->sin6_port = htons(static_cast<std::uint16_t>(port));
  }
}

}  // namespace

std::string format_tcp_attempt(const std::string& address, int port, std::uint16_t seq, TcpOutcome outcome,
                               std::int64_t rtt_us, int error, std::int64_t timeout_ms) {
  const std::string where = address + " port " + std::to_string(port);
  switch (outcome) {
    case TcpOutcome::kConnected:
      return "connected to " + where + ": seq=" + std::to_string(seq) + " time=" + format_reply_time(rtt_us) + " ms";
    case TcpOutcome::kRefused:
      return "From " + where + ": seq=" + std::to_string(seq) + " Connection refused (RST) time=" +
             format_reply_time(rtt_us) + " ms";
    case TcpOutcome::kTimeout:
      return "no answer from " + where + ": seq=" + std::to_string(seq) + " timeout after " +
             std::to_string(timeout_ms) + " ms";
    case TcpOutcome::kError:
      return "From " + where + ": seq=" + std::to_string(seq) + " " + std::strerror(error);
  }
  return "";
}

int run_tcp_ping(const PingOptions& o, std::FILE* out, std::FILE* /*err*/) {
  InterruptGuard guard;
  const std::int64_t timeout_ns = static_cast<std::int64_t>((o.linger_set ? o.linger_s : kDefaultTcpTimeout) * 1e9);
  const std::int64_t interval = static_cast<std::int64_t>(o.interval_s * 1e9 + 0.5);
  std::vector<std::unique_ptr<TcpSession>> sessions;
  for (const std::string& h : o.hosts) {
    auto s = std::make_unique<TcpSession>();
    s->target = resolve_target(h, o.family);
    set_port(s->target, o.tcp_port);
    sessions.push_back(std::move(s));
  }
  auto emit = [&](const std::string& line) {
    std::fputs(line.c_str(), out);
    std::fputc('\n', out);
    std::fflush(out);
  };
  for (auto& s : sessions) {
    if (o.json) {
      emit("{\"type\":\"start\",\"host\":" + json_string(s->target.host) + ",\"address\":" +
           json_string(s->target.address) + ",\"mode\":\"tcp\",\"port\":" + std::to_string(o.tcp_port) + "}");
    } else {
      emit("TCP PING " + s->target.host + " (" + s->target.address + ") port " + std::to_string(o.tcp_port) +
           ": timing connect(), the SYN / SYN-ACK handshake");
    }
  }
  const std::int64_t t0 = mono_ns();
  const std::int64_t deadline = o.deadline_s > 0 ? t0 + o.deadline_s * kNsPerSec : 0;
  std::int64_t next_round = t0;
  std::int64_t rounds = 0;
  auto finish_attempt = [&](TcpSession& s, TcpOutcome outcome, int error, std::int64_t now) {
    const std::int64_t rtt_us = (now - s.attempt_start) / kNsPerUs;
    s.fd.reset();
    s.in_flight = false;
    if (outcome == TcpOutcome::kConnected) {
      s.stats.received++;
      s.stats.add_rtt(rtt_us);
    } else if (outcome != TcpOutcome::kTimeout) {
      s.stats.errors++;
    }
    if (o.json) {
      if (outcome == TcpOutcome::kConnected) {
        emit("{\"type\":\"reply\",\"host\":" + json_string(s.target.host) + ",\"seq\":" + std::to_string(s.seq) +
             ",\"ttl\":null,\"bytes\":0,\"rtt_ms\":" + us_to_ms_text(rtt_us) + ",\"mode\":\"tcp\",\"port\":" +
             std::to_string(o.tcp_port) + "}");
      } else if (outcome == TcpOutcome::kTimeout) {
        emit("{\"type\":\"timeout\",\"host\":" + json_string(s.target.host) + ",\"seq\":" + std::to_string(s.seq) +
             ",\"mode\":\"tcp\",\"port\":" + std::to_string(o.tcp_port) + "}");
      } else {
        const std::string reason = outcome == TcpOutcome::kRefused ? "Connection refused (RST)" : std::strerror(error);
        emit("{\"type\":\"error\",\"host\":" + json_string(s.target.host) + ",\"seq\":" + std::to_string(s.seq) +
             ",\"icmp_type\":null,\"icmp_code\":null,\"from\":" + json_string(s.target.address) +
             ",\"reason\":" + json_string(reason) + ",\"rtt_ms\":" + us_to_ms_text(rtt_us) +
             ",\"mode\":\"tcp\",\"port\":" + std::to_string(o.tcp_port) + "}");
      }
    } else if (!o.quiet) {
      std::string line = o.timestamps ? format_wall(wall_ns() / kNsPerUs) : std::string();
      emit(line + format_tcp_attempt(s.target.address, o.tcp_port, s.seq, outcome, rtt_us, error, timeout_ns / kNsPerMs));
    }
  };
  for (;;) {
    std::int64_t now = mono_ns();
    const bool stop = InterruptGuard::interrupted() || (deadline != 0 && now >= deadline);
    const bool all_sent = o.count > 0 && rounds >= o.count;
    if (stop) break;
    bool busy = false;
    for (auto& s : sessions) busy = busy || s->in_flight;
    if (all_sent && !busy) break;
    if (!all_sent && !busy && now >= next_round) {
      rounds++;
      for (auto& sp : sessions) {
        TcpSession& s = *sp;
        const int domain = s.target.family == Family::kIpv4 ? AF_INET : AF_INET6;
        s.fd.reset(::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!s.fd) throw std::system_error(errno, std::generic_category(), "socket");
        if (o.ttl >= 0) {
          const int level = domain == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
          const int name = domain == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS;
          ::setsockopt(s.fd.get(), level, name, &o.ttl, sizeof o.ttl);
        }
        s.seq = static_cast<std::uint16_t>(rounds & 0xFFFF);
        s.attempt_start = mono_ns();
        if (s.stats.transmitted == 0) s.first_start = s.attempt_start;
        s.last_start = s.attempt_start;
        s.stats.transmitted++;
        s.in_flight = true;
        const int rc = ::connect(s.fd.get(), reinterpret_cast<const sockaddr*>(&s.target.sa), s.target.salen);
        if (rc == 0) {
          finish_attempt(s, TcpOutcome::kConnected, 0, mono_ns());
        } else if (errno != EINPROGRESS) {
          const int e = errno;
          finish_attempt(s, e == ECONNREFUSED ? TcpOutcome::kRefused : TcpOutcome::kError, e, mono_ns());
        }
      }
      next_round = now + interval;
      continue;
    }
    // Wait for handshakes to finish, an attempt to time out, the next round or the deadline.
    std::int64_t wake = busy ? now + kNsPerSec : next_round;
    std::vector<pollfd> pfds;
    std::vector<TcpSession*> who;
    for (auto& sp : sessions) {
      if (!sp->in_flight) continue;
      pfds.push_back(pollfd{sp->fd.get(), POLLOUT, 0});
      who.push_back(sp.get());
      wake = std::min(wake, sp->attempt_start + timeout_ns);
    }
    if (deadline != 0) wake = std::min(wake, deadline);
    const std::int64_t wait = std::max<std::int64_t>(0, wake - now);
    timespec ts{static_cast<time_t>(wait / kNsPerSec), static_cast<long>(wait % kNsPerSec)};
    const int rc = ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    if (rc < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    now = mono_ns();
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      TcpSession& s = *who[i];
      if (rc > 0 && pfds[i].revents != 0) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        ::getsockopt(s.fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr == 0) {
          finish_attempt(s, TcpOutcome::kConnected, 0, now);
        } else {
          finish_attempt(s, soerr == ECONNREFUSED ? TcpOutcome::kRefused : TcpOutcome::kError, soerr, now);
        }
      } else if (now >= s.attempt_start + timeout_ns) {
        finish_attempt(s, TcpOutcome::kTimeout, ETIMEDOUT, now);
      }
    }
  }
  int worst = 0;
  for (auto& sp : sessions) {
    TcpSession& s = *sp;
    const std::int64_t elapsed_ms = (s.last_start - s.first_start + 500000) / kNsPerMs;
    const int code = exit_code(s.stats, o.deadline_s > 0, o.count);
    worst = std::max(worst, code);
    if (o.json) {
      SummaryEvent ev;
      ev.host = s.target.host;
      ev.address = s.target.address;
      ev.stats = s.stats;
      ev.elapsed_ms = elapsed_ms;
      ev.exit = code;
      ev.mode = "tcp";
      emit(format_summary_json(ev));
    } else {
      std::fputc('\n', out);
      std::fputs(format_statistics(s.target.host, s.stats, elapsed_ms).c_str(), out);
      std::fflush(out);
    }
  }
  return worst;
}

}  // namespace synscope::ping

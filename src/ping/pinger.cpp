#include "synscope/ping/pinger.hpp"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "synscope/ping/explain.hpp"
#include "synscope/ping/output.hpp"
#include "synscope/ping/socket.hpp"
#include "synscope/ping/stats.hpp"

namespace synscope::ping {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int /*sig*/) { g_interrupted = 1; }

constexpr std::int64_t kNsPerMs = 1000000;
constexpr std::int64_t kNsPerUs = 1000;
constexpr std::int64_t kNsPerSec = 1000000000;

std::string errno_text(int e) { return std::strerror(e); }

std::string sockaddr_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

net::IpAddress sockaddr_ip(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return net::IpAddress::v4(as_bytes(&in->sin_addr, 4));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return net::IpAddress::v6(as_bytes(&in6->sin6_addr, 16));
  }
  return {};
}

void set_int_opt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    throw std::system_error(errno, std::generic_category(), std::string("setsockopt(") + what + ")");
  }
}

std::uint16_t random_ident() {
  std::uint16_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    v = static_cast<std::uint16_t>(::getpid() & 0xFFFF);
  }
  return v;
}

/// One host being pinged.
struct Session {
  Target target;
  IcmpSocket sock;
  std::string source;
  std::uint16_t ident = 0;           // raw: ours; dgram: learnt from getsockname()
  PingStats stats;
  std::vector<bool> received = std::vector<bool>(65536, false);
  std::vector<bool> errored = std::vector<bool>(65536, false);
  std::int64_t start_ns = 0;
  std::int64_t last_send_ns = 0;
  std::int64_t next_send_ns = 0;
  std::int64_t deadline_ns = 0;      // 0 = none
  std::int64_t linger_ns = 0;        // 0 = not armed
  bool done = false;
  bool explained_reply = false;
  std::vector<std::byte> sendbuf;
  int exit = 0;
};

class Pinger {
 public:
  Pinger(const PingOptions& o, std::FILE* out, std::FILE* err) : o_(o), out_(out), err_(err) {}

  int run();

 private:
  void setup(Session& s);
  void send_probe(Session& s, std::int64_t now);
  void check_done(Session& s, std::int64_t now);
  void drain(Session& s);
  void drain_error_queue(Session& s);
  void handle_packet(Session& s, Bytes pkt, const sockaddr* from, std::int64_t recv_wall_ns, int cmsg_ttl);
  void report_error(Session& s, std::uint16_t seq, std::uint8_t type, std::uint8_t code, std::uint32_t info,
                    const std::string& from, bool from_queue);
  void print_line(const std::string& line) {
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  [[nodiscard]] bool text() const noexcept { return !o_.json; }
  [[nodiscard]] std::int64_t interval_ns() const noexcept {
    return static_cast<std::int64_t>(o_.interval_s * 1e9 + 0.5);
  }

  const PingOptions& o_;
  std::FILE* out_;
  std::FILE* err_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::array<std::byte, 65536 + 512> rbuf_{};
};

void Pinger::setup(Session& s) {
  s.sock = open_icmp_socket(s.target.family, o_.socket);
  const int fd = s.sock.fd.get();
  const bool v4 = s.target.family == Family::kIpv4;
  const bool raw = s.sock.kind == SocketKind::kRaw;
  set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
  if (v4) {
    set_int_opt(fd, SOL_IP, IP_RECVERR, 1, "IP_RECVERR");
    if (!raw) set_int_opt(fd, SOL_IP, IP_RECVTTL, 1, "IP_RECVTTL");
    if (raw) {
      // Only echo replies and the errors that can quote our probe wake us (iputils ping.c).
      icmp_filter filt{};
      filt.data = ~((1U << icmp_type::kSourceQuench) | (1U << icmp_type::kDestUnreachable) |
                    (1U << icmp_type::kTimeExceeded) | (1U << icmp_type::kParameterProblem) |
                    (1U << icmp_type::kRedirect) | (1U << icmp_type::kEchoReply));
      if (::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof filt) != 0) {
        std::fprintf(err_, "synscope: warning: setsockopt(ICMP_FILTER): %s\n", errno_text(errno).c_str());
      }
    }
    if (o_.ttl >= 0) {
      set_int_opt(fd, IPPROTO_IP, IP_TTL, o_.ttl, "IP_TTL");
      set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, o_.ttl, "IP_MULTICAST_TTL");
    }
  } else {
    set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
    set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
    if (raw) {
      icmp6_filter filt{};
      ICMP6_FILTER_SETBLOCKALL(&filt);
      ICMP6_FILTER_SETPASS(icmp6_type::kEchoReply, &filt);
      ICMP6_FILTER_SETPASS(icmp6_type::kDestUnreachable, &filt);
      ICMP6_FILTER_SETPASS(icmp6_type::kPacketTooBig, &filt);
      ICMP6_FILTER_SETPASS(icmp6_type::kTimeExceeded, &filt);
      ICMP6_FILTER_SETPASS(icmp6_type::kParameterProblem, &filt);
      if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt) != 0) {
        throw std::system_error(errno, std::generic_category(), "setsockopt(ICMP6_FILTER)");
      }
    }
    if (o_.ttl >= 0) {
      set_int_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o_.ttl, "IPV6_UNICAST_HOPS");
      set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, o_.ttl, "IPV6_MULTICAST_HOPS");
    }
  }
  const int rcvbuf = 65536 * 4;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);  // best effort, like iputils
  if (raw) s.ident = random_ident();
}

void Pinger::send_probe(Session& s, std::int64_t now) {
  const auto seq = static_cast<std::uint16_t>((s.stats.transmitted + 1) & 0xFFFF);
  if (o_.outstanding && s.stats.transmitted > 0 && text()) {
    const auto prev = static_cast<std::uint16_t>(s.stats.transmitted & 0xFFFF);
    if (!s.received[prev] && !s.errored[prev] && !o_.quiet) {
      std::string line = o_.timestamps ? format_wall(wall_ns() / kNsPerUs) : std::string();
      print_line(line + "no answer yet for icmp_seq=" + std::to_string(prev));
    }
  }
  s.received[seq] = false;
  s.errored[seq] = false;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  build_echo_request(s.target.family, s.ident, seq, static_cast<std::size_t>(o_.datalen), SendStamp{ts.tv_sec, ts.tv_nsec},
                     s.sendbuf);
  const ssize_t n = ::sendto(s.sock.fd.get(), s.sendbuf.data(), s.sendbuf.size(), 0,
                             reinterpret_cast<const sockaddr*>(&s.target.sa), s.target.salen);
  if (s.stats.transmitted == 0) s.start_ns = now;
  s.stats.transmitted++;
  s.last_send_ns = now;
  s.next_send_ns = now + interval_ns();
  if (n < 0) {
    const int e = errno;
    // iputils: a hard local error counts as sent; an ICMP error behind it is read from the error queue.
    if (e == EAGAIN || e == ENOBUFS || e == ENOMEM) {
      std::fprintf(err_, "synscope: sendmsg: %s\n", errno_text(e).c_str());
    } else {
      drain_error_queue(s);
      if (!o_.quiet) std::fprintf(err_, "synscope: sendmsg: %s\n", errno_text(e).c_str());
    }
  } else if (s.sock.kind == SocketKind::kDgram && s.ident == 0) {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(s.sock.fd.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      // A ping socket's identifier is its local "port" (net/ipv4/ping.c).
      s.ident = s.target.family == Family::kIpv4 ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
  }
  // iputils __schedule_exit(): once the last probe of -c is out (and no -w), wait 2*max RTT (at least one
  // interval) if anything came back, else the linger time (-W, 10 s by default).
  if (o_.count > 0 && s.stats.transmitted >= o_.count && o_.deadline_s == 0 && s.linger_ns == 0) {
    std::int64_t wait_ns = 0;
    if (s.stats.received > 0) {
      wait_ns = std::max(2 * s.stats.tmax_us * kNsPerUs, interval_ns());
    } else {
      wait_ns = static_cast<std::int64_t>(o_.linger_s * 1e9 + 0.5);
    }
    s.linger_ns = now + wait_ns;
  }
}

void Pinger::check_done(Session& s, std::int64_t now) {
  if (s.done) return;
  // iputils main_loop() exit conditions, then the SIGALRM timers (deadline, linger).
  if (InterruptGuard::interrupted() ||
      (o_.count > 0 && s.stats.received + s.stats.errors >= o_.count) ||
      (o_.deadline_s > 0 && s.stats.errors > 0) || (s.deadline_ns != 0 && now >= s.deadline_ns) ||
      (s.linger_ns != 0 && now >= s.linger_ns)) {
    s.done = true;
  }
}

void Pinger::report_error(Session& s, std::uint16_t seq, std::uint8_t type, std::uint8_t code, std::uint32_t info,
                          const std::string& from, bool from_queue) {
  // A raw socket sees an ICMP error twice: as a packet and on the error queue. Count it once.
  if (s.errored[seq]) return;
  s.errored[seq] = true;
  s.stats.errors++;
  ErrorEvent e;
  e.host = s.target.host;
  e.from = from;
  e.seq = seq;
  e.icmp_type = type;
  e.icmp_code = code;
  e.reason = icmp_error_text(s.target.family, type, code, info);
  e.from_error_queue = from_queue;
  e.wall_us = wall_ns() / kNsPerUs;
  if (o_.json) {
    print_line(format_error_json(e));
  } else if (!o_.quiet) {
    print_line(format_error_text(e, o_.timestamps, sessions_.size() > 1));
  }
}

void Pinger::drain_error_queue(Session& s) {
  const bool v4 = s.target.family == Family::kIpv4;
  for (int guard = 0; guard < 64; ++guard) {
    std::array<std::byte, 576> quoted{};
    std::array<char, 512> cbuf{};
    sockaddr_storage name{};
    iovec iov{quoted.data(), quoted.size()};
    msghdr msg{};
    msg.msg_name = &name;
    msg.msg_namelen = sizeof name;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.data();
    msg.msg_controllen = cbuf.size();
    const ssize_t n = ::recvmsg(s.sock.fd.get(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) return;
    const sock_extended_err* ee = nullptr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
        ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
      }
    }
    if (ee == nullptr) continue;
    if (ee->ee_origin == SO_EE_ORIGIN_LOCAL) {
      s.stats.errors++;
      if (!o_.quiet) {
        if (ee->ee_errno == EMSGSIZE) {
          std::fprintf(err_, "synscope: local error: message too long, mtu=%u\n", ee->ee_info);
        } else {
          std::fprintf(err_, "synscope: local error: %s\n", errno_text(static_cast<int>(ee->ee_errno)).c_str());
        }
      }
      continue;
    }
    if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) continue;
    // The queued datagram is the echo request we sent (ICMP header first): match it to this session.
    const Bytes q{quoted.data(), static_cast<std::size_t>(n)};
    if (q.size() < kIcmpHeaderSize) continue;
    const std::uint8_t req = v4 ? icmp_type::kEchoRequest : icmp6_type::kEchoRequest;
    if (load_u8(q, 0) != req) continue;
    if (!(sockaddr_ip(reinterpret_cast<const sockaddr*>(&name)) == s.target.ip)) continue;
    if (s.sock.kind == SocketKind::kRaw && load_be16(q, 4) != s.ident) continue;
    const auto* offender = SO_EE_OFFENDER(ee);
    const std::string from = offender->sa_family == AF_UNSPEC ? s.target.address : sockaddr_text(offender);
    report_error(s, load_be16(q, 6), ee->ee_type, ee->ee_code, ee->ee_info, from, true);
  }
}

void Pinger::handle_packet(Session& s, Bytes pkt, const sockaddr* from, std::int64_t recv_wall_ns, int cmsg_ttl) {
  const bool v4 = s.target.family == Family::kIpv4;
  const bool raw = s.sock.kind == SocketKind::kRaw;
  const auto parsed = parse_icmp_message(pkt, s.target.family, raw && v4);
  if (!parsed) return;
  const IcmpMessage& m = *parsed;
  if (m.kind == MessageKind::kError) {
    // Our probe, quoted by a router: the destination and (raw) our identifier must match.
    if (!m.quoted.present || !(m.quoted.dst == s.target.ip)) return;
    if (raw && m.quoted.id != s.ident) return;
    const std::string router = sockaddr_text(from);
    report_error(s, m.quoted.seq, m.type, m.code, m.rest, router, false);
    return;
  }
  if (m.kind != MessageKind::kEchoReply) return;
  if (raw && m.id != s.ident) return;  // another program's ping (raw sockets see every ICMP packet)
  ReplyEvent e;
  e.host = s.target.host;
  e.from = sockaddr_text(from);
  e.different_address = !(sockaddr_ip(from) == s.target.ip);
  e.seq = m.seq;
  e.ttl = m.ip.present ? m.ip.ttl : cmsg_ttl;
  e.bytes = m.icmp.size();
  e.wall_us = o_.timestamps ? wall_ns() / kNsPerUs : recv_wall_ns / kNsPerUs;
  const auto datalen = static_cast<std::size_t>(o_.datalen);
  SendStamp stamp;
  std::int64_t rtt_us = 0;
  const bool timed = datalen >= kTimestampSize && read_send_stamp(m.data, stamp);
  if (timed) {
    const std::int64_t sent_ns = stamp.sec * kNsPerSec + stamp.nsec;
    rtt_us = (recv_wall_ns - sent_ns) / kNsPerUs;
    if (rtt_us < 0) rtt_us = 0;
  }
  const bool csfailed = m.checksum_checked && !m.checksum_ok;
  // iputils gather_statistics(): every timed reply with a good checksum feeds the RTT sums, duplicates too.
  if (timed && !csfailed) s.stats.add_rtt(rtt_us);
  if (csfailed) {
    s.stats.corrupted++;
    e.bad_checksum = true;
  } else if (s.received[m.seq]) {
    s.stats.duplicates++;
    e.duplicate = true;
  } else {
    s.received[m.seq] = true;
    s.stats.received++;
  }
  e.timed = timed;
  e.rtt_us = rtt_us;
  e.truncated = m.icmp.size() < datalen + kIcmpHeaderSize;
  e.late = o_.linger_set && timed && rtt_us * kNsPerUs > static_cast<std::int64_t>(o_.linger_s * 1e9);
  e.wrong_byte = first_wrong_data_byte(m.data, datalen);
  if (e.wrong_byte >= 0) {
    for (const std::byte b : m.data) e.data.push_back(std::to_integer<std::uint8_t>(b));
  }
  if (o_.explain && !s.explained_reply) {
    s.explained_reply = true;
    std::FILE* where = o_.json ? err_ : out_;
    std::fputs(explain_reply(pkt, m, s.target.family, raw, cmsg_ttl).c_str(), where);
  }
  if (o_.json) {
    print_line(format_reply_json(e));
  } else if (!o_.quiet) {
    print_line(format_reply_text(e, o_.timestamps, datalen));
  }
}

void Pinger::drain(Session& s) {
  for (int guard = 0; guard < 1024; ++guard) {
    std::array<char, 512> cbuf{};
    sockaddr_storage from{};
    iovec iov{rbuf_.data(), rbuf_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.data();
    msg.msg_controllen = cbuf.size();
    const ssize_t n = ::recvmsg(s.sock.fd.get(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      const int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) return;
      // A pending socket error (IP_RECVERR): the details wait on the error queue.
      drain_error_queue(s);
      continue;
    }
    std::int64_t recv_ns = -1;
    int ttl = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        recv_ns = ts.tv_sec * kNsPerSec + ts.tv_nsec;
      } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
                 (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
        int v = 0;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        ttl = v;
      }
    }
    if (recv_ns < 0) recv_ns = wall_ns();
    handle_packet(s, Bytes{rbuf_.data(), static_cast<std::size_t>(n)}, reinterpret_cast<const sockaddr*>(&from),
                  recv_ns, ttl);
    // iputils returns to its exit check as soon as nothing is in flight, so a duplicate queued right
    // behind the last awaited reply is not counted; stop reading at the same point.
    if (o_.count > 0 && s.stats.received + s.stats.errors >= o_.count) return;
  }
}

int Pinger::run() {
  for (const std::string& h : o_.hosts) {
    auto s = std::make_unique<Session>();
    s->target = resolve_target(h, o_.family);
    s->source = source_address_for(s->target);
    setup(*s);
    sessions_.push_back(std::move(s));
  }
  for (auto& sp : sessions_) {
    Session& s = *sp;
    if (o_.json) {
      print_line("{\"type\":\"start\",\"host\":" + json_string(s.target.host) + ",\"address\":" +
                 json_string(s.target.address) + ",\"socket\":" +
                 (s.sock.kind == SocketKind::kRaw ? "\"raw\"" : "\"dgram\"") + ",\"data_bytes\":" +
                 std::to_string(o_.datalen) + "}");
    } else if (s.target.family == Family::kIpv4) {
      print_line("PING " + s.target.host + " (" + s.target.address + ") " + std::to_string(o_.datalen) + "(" +
                 std::to_string(o_.datalen + 28) + ") bytes of data.");
    } else {
      print_line("PING " + s.target.host + "(" + s.target.address + ") " + std::to_string(o_.datalen) +
                 " data bytes");
    }
    if (o_.explain) {
      SocketExplainInput in;
      in.family = s.target.family;
      in.raw = s.sock.kind == SocketKind::kRaw;
      in.raw_errno = s.sock.raw_errno;
      in.call = s.sock.call;
      in.fd = s.sock.fd.get();
      in.ident = s.ident;
      in.source = s.source;
      in.target = s.target.address;
      in.datalen = static_cast<std::size_t>(o_.datalen);
      in.ttl = o_.ttl;
      std::fputs(explain_socket(in).c_str(), o_.json ? err_ : out_);
    }
  }
  const std::int64_t t0 = mono_ns();
  for (auto& sp : sessions_) {
    sp->next_send_ns = t0;
    if (o_.deadline_s > 0) sp->deadline_ns = t0 + o_.deadline_s * kNsPerSec;
  }
  std::vector<pollfd> pfds;
  std::vector<Session*> polled;
  for (;;) {
    std::int64_t now = mono_ns();
    bool any = false;
    std::int64_t wake = now + 10 * kNsPerSec;
    for (auto& sp : sessions_) {
      Session& s = *sp;
      check_done(s, now);
      if (s.done) continue;
      const bool may_send = !(o_.count > 0 && s.stats.transmitted >= o_.count && o_.deadline_s == 0);
      if (may_send && now >= s.next_send_ns) {
        send_probe(s, now);
        check_done(s, now);
        if (s.done) continue;
      }
      any = true;
      if (!(o_.count > 0 && s.stats.transmitted >= o_.count && o_.deadline_s == 0)) {
        wake = std::min(wake, s.next_send_ns);
      }
      if (s.deadline_ns != 0) wake = std::min(wake, s.deadline_ns);
      if (s.linger_ns != 0) wake = std::min(wake, s.linger_ns);
    }
    if (!any) break;
    pfds.clear();
    polled.clear();
    for (auto& sp : sessions_) {
      if (sp->done) continue;
      pfds.push_back(pollfd{sp->sock.fd.get(), POLLIN, 0});
      polled.push_back(sp.get());
    }
    const std::int64_t wait = std::max<std::int64_t>(0, wake - now);
    timespec ts{static_cast<time_t>(wait / kNsPerSec), static_cast<long>(wait % kNsPerSec)};
    const int rc = ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      if ((pfds[i].revents & POLLERR) != 0) drain_error_queue(*polled[i]);
      if ((pfds[i].revents & POLLIN) != 0) drain(*polled[i]);
    }
  }
  // Statistics, one block per host, like iputils finish().
  int worst = 0;
  for (auto& sp : sessions_) {
    Session& s = *sp;
    const std::int64_t elapsed_ms = (s.last_send_ns - s.start_ns + 500000) / kNsPerMs;
    s.exit = exit_code(s.stats, o_.deadline_s > 0, o_.count);
    worst = std::max(worst, s.exit);
    if (o_.json) {
      SummaryEvent ev;
      ev.host = s.target.host;
      ev.address = s.target.address;
      ev.stats = s.stats;
      ev.elapsed_ms = elapsed_ms;
      ev.exit = s.exit;
      print_line(format_summary_json(ev));
    } else {
      std::fputc('\n', out_);
      std::fputs(format_statistics(s.target.host, s.stats, elapsed_ms).c_str(), out_);
      std::fflush(out_);
    }
  }
  return worst;
}

}  // namespace

std::int64_t mono_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * kNsPerSec + ts.tv_nsec;
}

std::int64_t wall_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * kNsPerSec + ts.tv_nsec;
}

InterruptGuard::InterruptGuard() {
  g_interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() must return EINTR
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
}

bool InterruptGuard::interrupted() noexcept { return g_interrupted != 0; }

Target resolve_target(const std::string& host, FamilyChoice fam) {
  Target t;
  t.host = host;
  addrinfo hints{};
  hints.ai_family = fam == FamilyChoice::kIpv4 ? AF_INET : fam == FamilyChoice::kIpv6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) throw std::runtime_error(host + ": " + ::gai_strerror(rc));
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  std::memcpy(&t.sa, res->ai_addr, res->ai_addrlen);
  t.salen = res->ai_addrlen;
  t.family = res->ai_family == AF_INET6 ? Family::kIpv6 : Family::kIpv4;
  t.ip = sockaddr_ip(res->ai_addr);
  t.address = sockaddr_text(res->ai_addr);
  net::IpAddress lit;
  t.numeric = net::parse_address(host.c_str(), lit);
  return t;
}

std::string source_address_for(const Target& t) {
  const int domain = t.family == Family::kIpv4 ? AF_INET : AF_INET6;
  UniqueFd probe(::socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_storage dst = t.sa;
  if (t.family == Family::kIpv4) {
    reinterpret_cast<sockaddr_in*>(&dst)->sin_port = htons(1025);
  } else {
    reinterpret_cast<sockaddr_in6*>(&dst)->sin6_port = htons(1025);
  }
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&dst), t.salen) != 0) {
    throw std::system_error(errno, std::generic_category(), "connect");
  }
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  return sockaddr_text(reinterpret_cast<const sockaddr*>(&local));
}

int run_icmp_ping(const PingOptions& opts, std::FILE* out, std::FILE* err) {
  InterruptGuard guard;
  Pinger p(opts, out, err);
  return p.run();
}

}  // namespace synscope::ping

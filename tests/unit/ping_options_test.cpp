// Option validation: absurd values are refused with a one-line reason; the CLI turns that into exit 2.
// Also the socket-choice parser, UniqueFd ownership, the protocols table and the --explain texts.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "support/frame_builder.hpp"
#include "synscope/ping/explain.hpp"
#include "synscope/ping/options.hpp"
#include "synscope/ping/protocols.hpp"
#include "synscope/ping/unique_fd.hpp"

using namespace synscope;
using namespace synscope::ping;

namespace {
PingOptions ok() {
  PingOptions o;
  o.hosts = {"192.0.2.1"};
  return o;
}
}  // namespace

TEST_CASE("ping options: defaults are valid, absurd values are not") {
  CHECK(validate(ok(), false).empty());
  PingOptions o = ok();
  o.hosts.clear();
  CHECK(validate(o, true).find("no host") != std::string::npos);
  o = ok();
  o.count = -1;
  CHECK(validate(o, true) == "invalid count: -1 (must be 1 or more)");
  o.count = 0;
  CHECK(validate(o, true).empty());  // no -c: ping until interrupted
  o.count_set = true;
  CHECK(validate(o, true) == "invalid count: 0 (must be 1 or more)");
  o = ok();
  o.interval_s = -1;
  CHECK(validate(o, true) == "bad timing interval: -1");
  o.interval_s = std::nan("");
  CHECK(validate(o, true).rfind("bad timing interval", 0) == 0);
  o.interval_s = 1e12;
  CHECK(validate(o, true).rfind("bad timing interval", 0) == 0);
  o = ok();
  o.interval_s = 0.1;
  CHECK(validate(o, false) == "cannot flood; minimal interval allowed for user is 200ms");
  CHECK(validate(o, true).empty());
  o.interval_s = 0.0001;
  CHECK(validate(o, true).rfind("bad timing interval", 0) == 0);
  o = ok();
  o.linger_s = 0;
  CHECK(validate(o, true) == "bad linger time: 0");
  o = ok();
  o.deadline_s = -3;
  CHECK(validate(o, true) == "invalid deadline: -3");
  o = ok();
  o.datalen = 65508;
  CHECK(validate(o, true) == "invalid packet size: 65508 (0 to 65507 bytes of data)");
  o.datalen = 65507;
  CHECK(validate(o, true).empty());
  o = ok();
  o.ttl = 256;
  CHECK(validate(o, true) == "invalid ttl: 256 (0 to 255)");
  o.ttl = 0;
  CHECK(validate(o, true).empty());
  o = ok();
  o.tcp_port = 0;
  CHECK(validate(o, true) == "invalid TCP port: 0 (1 to 65535)");
  o.tcp_port = 65536;
  CHECK(!validate(o, true).empty());
  o.tcp_port = 80;
  CHECK(validate(o, true).empty());
  o.socket = SocketChoice::kRaw;
  CHECK(validate(o, true) == "--socket applies to ICMP ping, not to --tcp");
}

TEST_CASE("ping options: --socket values") {
  SocketChoice c = SocketChoice::kAuto;
  CHECK(parse_socket_choice("raw", c));
  CHECK(c == SocketChoice::kRaw);
  CHECK(parse_socket_choice("dgram", c));
  CHECK(c == SocketChoice::kDgram);
  CHECK(parse_socket_choice("auto", c));
  CHECK(c == SocketChoice::kAuto);
  CHECK_FALSE(parse_socket_choice("RAW", c));
  CHECK_FALSE(parse_socket_choice("", c));
}

namespace {
// Runs the synscope binary; returns the exit status and stderr.
int run_cli(const std::string& args, std::string& err) {
  const std::string cmd = std::string(SYNSCOPE_BINARY) + " " + args + " 2>&1 >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  err.clear();
  while (std::fgets(buf, sizeof buf, p) != nullptr) err += buf;
  const int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
}  // namespace

TEST_CASE("ping CLI: bad values exit 2 with one line, before any socket is opened") {
  const char* cases[] = {"ping -c -1 192.0.2.1",     "ping -s 70000 192.0.2.1", "ping -t 300 192.0.2.1",
                         "ping -W 0 192.0.2.1",      "ping -i -2 192.0.2.1",    "ping -w -1 192.0.2.1",
                         "ping --tcp 0 192.0.2.1",   "ping --socket tcp 192.0.2.1", "ping -c abc 192.0.2.1",
                         "ping -4 -6 192.0.2.1",     "ping -c 0 192.0.2.1"};
  for (const char* c : cases) {
    CAPTURE(c);
    std::string err;
    CHECK(run_cli(c, err) == 2);
    CHECK(!err.empty());
    CHECK(err.find("synscope") == 0);
  }
  std::string err;
  CHECK(run_cli("ping -c -1 192.0.2.1", err) == 2);
  CHECK(err == "synscope: ping: invalid count: -1 (must be 1 or more)\n");
  CHECK(run_cli("ping -c 1 no-such-host.invalid", err) == 2);
}

TEST_CASE("ping CLI: protocols prints the table") {
  const std::string cmd = std::string(SYNSCOPE_BINARY) + " protocols";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  CHECK(::pclose(p) == 0);
  CHECK(out == format_protocols());
}

TEST_CASE("protocols: the numbers users look up") {
  auto find = [](std::uint8_t n) -> const ProtocolRow* {
    for (const ProtocolRow& r : protocol_table()) {
      if (r.number == n) return &r;
    }
    return nullptr;
  };
  REQUIRE(find(1) != nullptr);
  CHECK(std::string(find(1)->keyword) == "ICMP");
  CHECK(std::string(find(2)->keyword) == "IGMP");
  CHECK(std::string(find(6)->keyword) == "TCP");
  CHECK(std::string(find(17)->keyword) == "UDP");
  CHECK(std::string(find(58)->keyword) == "IPv6-ICMP");
  CHECK(std::string(find(132)->keyword) == "SCTP");
  CHECK(socket_type_table().size() == 4);
  const std::string t = format_protocols();
  CHECK(t.find("SOCK_SEQPACKET") != std::string::npos);
  CHECK(t.find("    1  ICMP        IPPROTO_ICMP") != std::string::npos);
}

TEST_CASE("UniqueFd: one owner, closed exactly once, moves transfer ownership") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    UniqueFd a(fds[0]);
    UniqueFd b(std::move(a));
    CHECK_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    CHECK(b.get() == fds[0]);
    UniqueFd c;
    c = std::move(b);
    CHECK(c.get() == fds[0]);
    CHECK(::fcntl(fds[0], F_GETFD) != -1);
  }
  CHECK(::fcntl(fds[0], F_GETFD) == -1);  // closed when c died
  UniqueFd w(fds[1]);
  const int raw = w.release();
  CHECK_FALSE(w.valid());
  CHECK(::fcntl(raw, F_GETFD) != -1);  // release() does not close
  ::close(raw);
}

TEST_CASE("explain: the first raw IPv4 reply, field by field") {
  test::Frame f = test::hex({
      "45 00 00 00 12 34 40 00 3f 01 00 00 c6 33 64 02 c0 00 02 02",
      "00 00 00 00 56 78 00 01",
      "00 00 00 00 65 00 00 00 00 00 00 00 00 00 00 01 10 11 12 13",
  });
  test::finish_ipv4(f, 0);
  test::finish_l4(f, 0, 20, 1);
  const auto m = parse_icmp_message(test::view(f), Family::kIpv4, true);
  REQUIRE(m.has_value());
  const std::string s = explain_reply(test::view(f), *m, Family::kIpv4, true, -1);
  CHECK(s.find("first reply, 48 bytes") != std::string::npos);
  CHECK(s.find("0        45             version 4, IHL 5 (20 bytes)") != std::string::npos);
  CHECK(s.find("6-7      40 00          flags DF, fragment offset 0") != std::string::npos);
  CHECK(s.find("8        3f             TTL 63") != std::string::npos);
  CHECK(s.find("12-15    c6 33 64 02    source 198.51.100.2") != std::string::npos);
  CHECK(s.find("16-19    c0 00 02 02    destination 192.0.2.2") != std::string::npos);
  CHECK(s.find("header checksum 0x") != std::string::npos);
  CHECK(s.find("20       00             type 0 (echo reply)") != std::string::npos);
  CHECK(s.find("24-25    56 78          identifier 0x5678") != std::string::npos);
  CHECK(s.find("26-27    00 01          sequence 1") != std::string::npos);
  CHECK(s.find("(good)") != std::string::npos);

  SocketExplainInput in;
  in.family = Family::kIpv6;
  in.raw = false;
  in.raw_errno = 1;
  in.call = "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)";
  const std::string e = explain_socket(in);
  CHECK(e.find("IPPROTO_ICMPV6 (58)") != std::string::npos);
  CHECK(e.find("fell back to the ping socket") != std::string::npos);
  CHECK(e.find("IPV6_RECVERR") != std::string::npos);
}

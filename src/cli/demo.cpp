// `synscope demo`: the socket tutorial made visible. A TCP server and client on 127.0.0.1 exchange
// "hello" while synscope captures the loopback interface, then a UDP exchange for contrast. Without
// capture rights it replays the same exchange from the bundled captures.

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "commands.hpp"
#include "output.hpp"
#include "synscope/capture/live.hpp"
#include "synscope/capture/source.hpp"

namespace synscope::cli {
namespace {

/// Owns one socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  }
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void check(int rc, const char* what) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), what);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

const sockaddr* as_sa(const sockaddr_in& sa) { return reinterpret_cast<const sockaddr*>(&sa); }  // NOLINT: sockets API

struct DemoOptions {
  bool replay = false;
  std::string captures_dir;
  OutputOptions out;
};

/// The replay's input: "" when `dir` holds readable handshake.pcap and udp.pcap, else what is missing.
std::string captures_problem(const std::string& dir) {
  if (dir.empty()) return "empty folder name";
  for (const char* name : {"handshake.pcap", "udp.pcap"}) {
    const std::string path = dir + "/" + name;
    if (::access(path.c_str(), R_OK) != 0) {
      return path + ": " + std::strerror(errno) + " (the folder with the bundled handshake.pcap and udp.pcap)";
    }
  }
  return "";
}

/// The exchange itself, run on a second thread while the main thread captures.
void exchange(int tcp_listener, int udp_server, std::uint16_t port, std::atomic<bool>& done, std::string& error) {
  try {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the capture start
    Fd client(::socket(AF_INET, SOCK_STREAM, 0));
    const sockaddr_in dst = loopback(port);
    check(::connect(client.get(), as_sa(dst), sizeof dst), "connect");  // the kernel runs the 3-way handshake here
    Fd conn(::accept(tcp_listener, nullptr, nullptr));
    char buf[64];
    check(static_cast<int>(::send(client.get(), "hello", 5, 0)), "send");
    check(static_cast<int>(::recv(conn.get(), buf, sizeof buf, 0)), "recv");
    check(static_cast<int>(::send(conn.get(), "hello", 5, 0)), "send");
    check(static_cast<int>(::recv(client.get(), buf, sizeof buf, 0)), "recv");
    client.reset();                                  // client closes first: FIN
    (void)::recv(conn.get(), buf, sizeof buf, 0);    // server reads end-of-stream (0)
    conn.reset();                                    // server closes: FIN
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Fd uclient(::socket(AF_INET, SOCK_DGRAM, 0));
    check(static_cast<int>(::sendto(uclient.get(), "hello", 5, 0, as_sa(dst), sizeof dst)), "sendto");
    sockaddr_in from{};
    socklen_t fromlen = sizeof from;
    const ssize_t n = ::recvfrom(udp_server, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromlen);  // NOLINT
    check(static_cast<int>(n), "recvfrom");
    check(static_cast<int>(::sendto(udp_server, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fromlen)), "sendto");  // NOLINT
    check(static_cast<int>(::recv(uclient.get(), buf, sizeof buf, 0)), "recv");
  } catch (const std::exception& e) {
    error = e.what();
  }
  done = true;
}

int replay(const DemoOptions& o, const std::string& why) {
  // Checked before the banner: a missing folder is one line on stderr, nothing on stdout.
  if (const std::string problem = captures_problem(o.captures_dir); !problem.empty()) {
    std::fprintf(stderr, "synscope: demo cannot replay (%s): %s\n", why.c_str(), problem.c_str());
    return kExitError;
  }
  std::printf("synscope demo: cannot capture here (%s)\n", why.c_str());
  std::printf("replaying the same exchange from the bundled captures instead\n\n");
  std::fflush(stdout);
  OutputOptions out = o.out;
  out.explain = true;
  for (const char* name : {"handshake.pcap", "udp.pcap"}) {
    const std::string path = o.captures_dir + "/" + name;
    capture::FileSource src({path}, capture::FileOptions{});
    Output output(out);
    capture::RawFrame f;
    while (src.next(f)) output.pipeline().process(f);
    output.pipeline().finish(sink::RunSummary{});
    std::printf("\n");
  }
  return kExitOk;
}

int run_demo(const DemoOptions& o) {
  if (o.replay) return replay(o, "--replay given");
  // Server side: socket -> bind -> listen(5); UDP server on the same port number.
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int one = 1;
  check(::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), "setsockopt");
  sockaddr_in any = loopback(0);
  check(::bind(listener.get(), as_sa(any), sizeof any), "bind");
  check(::listen(listener.get(), 5), "listen");
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  check(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &len), "getsockname");  // NOLINT
  const std::uint16_t port = ntohs(bound.sin_port);
  Fd udp(::socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in uaddr = loopback(port);
  check(::bind(udp.get(), as_sa(uaddr), sizeof uaddr), "bind udp");

  std::unique_ptr<capture::LiveSource> source;
  try {
    capture::LiveOptions lo;
    lo.device = "lo";
    lo.filter = "port " + std::to_string(port);
    source = std::make_unique<capture::LiveSource>(lo);
  } catch (const capture::CaptureError& e) {
    return replay(o, e.what());
  }
  std::printf("server: fd = socket(AF_INET, SOCK_STREAM, 0)   # TCP: a reliable byte stream\n"
              "server: bind(fd, 127.0.0.1:%u); listen(fd, 5)      # backlog 5: the kernel answers SYNs for us\n"
              "client: connect(127.0.0.1:%u)                      # the kernel sends the SYN; watch the 3 steps\n"
              "client: send(\"hello\"); server: recv, send(\"hello\") back; client: close(); server: close()\n"
              "then UDP on the same port number: sendto/recvfrom, no handshake, no teardown\n\n",
              port, port);
  std::fflush(stdout);
  std::atomic<bool> done{false};
  std::string error;
  std::thread worker(exchange, listener.get(), udp.get(), port, std::ref(done), std::ref(error));
  OutputOptions out = o.out;
  out.explain = true;
  Output output(out, false);
  capture::RawFrame f;
  auto quiet_since = std::chrono::steady_clock::now();
  for (;;) {
    const capture::WaitResult r = source->next(f, 50);
    if (r == capture::WaitResult::kFrame) {
      output.pipeline().process(f);
      output.pipeline().flush();
      quiet_since = std::chrono::steady_clock::now();
    } else if (done && std::chrono::steady_clock::now() - quiet_since > std::chrono::milliseconds(300)) {
      break;
    }
  }
  worker.join();
  output.pipeline().finish(sink::RunSummary{});
  if (!error.empty()) {
    std::fprintf(stderr, "synscope: demo exchange failed: %s\n", error.c_str());
    return kExitError;
  }
  return kExitOk;
}

std::string default_captures_dir() {
  // Next to the binary (build/ or an install prefix), else the source tree this binary was built from.
  char self[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    if (const std::size_t slash = dir.rfind('/'); slash != std::string::npos) dir.resize(slash);
    for (const std::string& cand : {dir + "/../captures", dir + "/../share/synscope/captures"}) {
      if (::access((cand + "/handshake.pcap").c_str(), R_OK) == 0) return cand;
    }
  }
  return std::string(SYNSCOPE_SOURCE_DIR) + "/captures";
}

}  // namespace

void add_demo(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<DemoOptions>();
  opts->captures_dir = default_captures_dir();
  CLI::App* cmd = app.add_subcommand("demo", "a TCP handshake, data and teardown on 127.0.0.1, captured and explained");
  cmd->add_flag("--replay", opts->replay, "do not capture: replay the bundled captures");
  cmd->add_option("--captures", opts->captures_dir, "folder with handshake.pcap and udp.pcap for --replay")
      ->check(CLI::Validator([](const std::string& dir) { return captures_problem(dir); }, "DIR"));
  cmd->add_option("--color", opts->out.color, "colour: auto, always, never")->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--utc", opts->out.utc, "print times in UTC");
  cmd->callback([opts, &run] { run = [opts] { return run_demo(*opts); }; });
}

}  // namespace synscope::cli

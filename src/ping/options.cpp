#include "synscope/ping/options.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace synscope::ping {

namespace {
std::string fmt(const char* f, double v) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string fmt_i(const char* f, std::int64_t v) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

std::string validate(const PingOptions& o, bool privileged) {
  if (o.hosts.empty()) return "no host given (usage: synscope ping [options] HOST...)";
  if (o.count < 0 || (o.count_set && o.count < 1)) return fmt_i("invalid count: %" PRId64 " (must be 1 or more)", o.count);
  if (!std::isfinite(o.interval_s) || o.interval_s < 0.0 || o.interval_s > kMaxSeconds) {
    return fmt("bad timing interval: %g", o.interval_s);
  }
  if (o.interval_s < kMinUserInterval && !privileged) {
    return "cannot flood; minimal interval allowed for user is 200ms";
  }
  if (o.interval_s < kMinInterval) return fmt("bad timing interval: %g (the shortest is 0.001 s)", o.interval_s);
  if (!std::isfinite(o.linger_s) || o.linger_s < 0.001 || o.linger_s > kMaxSeconds) {
    return fmt("bad linger time: %g", o.linger_s);
  }
  if (o.deadline_s < 0 || o.deadline_s > 2147483647) return fmt_i("invalid deadline: %" PRId64, o.deadline_s);
  if (o.datalen < 0 || o.datalen > kMaxDatalen) {
    return fmt_i("invalid packet size: %" PRId64 " (0 to 65507 bytes of data)", o.datalen);
  }
  if (o.ttl != -1 && (o.ttl < 0 || o.ttl > 255)) return fmt_i("invalid ttl: %" PRId64 " (0 to 255)", o.ttl);
  if (o.tcp_port != -1 && (o.tcp_port < 1 || o.tcp_port > 65535)) return fmt_i("invalid TCP port: %" PRId64 " (1 to 65535)", o.tcp_port);
  if (o.tcp_port != -1 && o.socket != SocketChoice::kAuto) return "--socket applies to ICMP ping, not to --tcp";
  return "";
}

bool parse_socket_choice(const std::string& text, SocketChoice& out) noexcept {
  if (text == "raw") {
    out = SocketChoice::kRaw;
  } else if (text == "dgram") {
    out = SocketChoice::kDgram;
  } else if (text == "auto") {
    out = SocketChoice::kAuto;
  } else {
    return false;
  }
  return true;
}

}  // namespace synscope::ping

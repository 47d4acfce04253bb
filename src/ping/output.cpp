#include "synscope/ping/output.hpp"

#include <cinttypes>
#include <cstdio>

namespace synscope::ping {

std::string format_wall(std::int64_t wall_us) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%" PRId64 ".%06" PRId64 "] ", wall_us / 1000000, wall_us % 1000000);
  return buf;
}

std::string format_reply_text(const ReplyEvent& e, bool with_wall, std::size_t datalen) {
  std::string s;
  if (with_wall) s += format_wall(e.wall_us);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%zu bytes from %s: icmp_seq=%u", e.bytes, e.from.c_str(), static_cast<unsigned>(e.seq));
  s += buf;
  if (e.ttl >= 0) s += " ttl=" + std::to_string(e.ttl);
  // iputils ping_common.c gather_statistics(): a short reply stops the line here.
  if (e.truncated) return s + " (truncated)";
  if (e.timed) s += " time=" + format_reply_time(e.rtt_us) + " ms";
  if (e.duplicate) s += " (DUP!)";
  if (e.bad_checksum) s += " (BAD CHECKSUM!)";
  if (e.different_address) s += " (DIFFERENT ADDRESS!)";
  if (e.late) s += " (late)";
  if (e.wrong_byte >= 0 && static_cast<std::size_t>(e.wrong_byte) < e.data.size()) {
    const auto i = static_cast<std::size_t>(e.wrong_byte);
    std::snprintf(buf, sizeof buf, "\nwrong data byte #%zu should be 0x%x but was 0x%x", i,
                  static_cast<unsigned>(i & 0xFFU), static_cast<unsigned>(e.data[i]));
    s += buf;
    const std::size_t n = e.data.size() < datalen ? e.data.size() : datalen;
    for (std::size_t k = 16; k < n; ++k) {
      if (k % 32 == 16) {
        std::snprintf(buf, sizeof buf, "\n#%zu\t", k);
        s += buf;
      }
      std::snprintf(buf, sizeof buf, "%x ", static_cast<unsigned>(e.data[k]));
      s += buf;
    }
  }
  return s;
}

std::string format_error_text(const ErrorEvent& e, bool with_wall, bool name_host) {
  std::string s;
  if (with_wall) s += format_wall(e.wall_us);
  s += "From " + e.from + " icmp_seq=" + std::to_string(e.seq) + " " + e.reason;
  if (name_host) s += " (to " + e.host + ")";
  return s;
}

std::string json_string(const std::string& in) {
  std::string s = "\"";
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          s += buf;
        } else {
          s += c;
        }
    }
  }
  return s + "\"";
}

namespace {
const char* jbool(bool b) { return b ? "true" : "false"; }
}  // namespace

std::string format_reply_json(const ReplyEvent& e) {
  std::string s = "{\"type\":\"reply\",\"host\":" + json_string(e.host) + ",\"seq\":" + std::to_string(e.seq);
  s += ",\"ttl\":" + (e.ttl >= 0 ? std::to_string(e.ttl) : std::string("null"));
  s += ",\"bytes\":" + std::to_string(e.bytes);
  s += ",\"rtt_ms\":" + (e.timed && !e.truncated ? us_to_ms_text(e.rtt_us) : std::string("null"));
  s += ",\"from\":" + json_string(e.from);
  s += ",\"dup\":" + std::string(jbool(e.duplicate));
  s += ",\"bad_checksum\":" + std::string(jbool(e.bad_checksum));
  s += ",\"truncated\":" + std::string(jbool(e.truncated));
  s += ",\"wrong_data\":" + std::string(jbool(e.wrong_byte >= 0));
  s += ",\"late\":" + std::string(jbool(e.late));
  s += "}";
  return s;
}

std::string format_error_json(const ErrorEvent& e) {
  std::string s = "{\"type\":\"error\",\"host\":" + json_string(e.host) + ",\"seq\":" + std::to_string(e.seq);
  s += ",\"icmp_type\":" + std::to_string(e.icmp_type) + ",\"icmp_code\":" + std::to_string(e.icmp_code);
  s += ",\"from\":" + json_string(e.from) + ",\"reason\":" + json_string(e.reason);
  s += ",\"source\":" + std::string(e.from_error_queue ? "\"error_queue\"" : "\"socket\"") + "}";
  return s;
}

std::string format_summary_json(const SummaryEvent& e) {
  const PingStats& st = e.stats;
  std::string s = "{\"type\":\"summary\",\"host\":" + json_string(e.host) + ",\"address\":" + json_string(e.address);
  s += ",\"mode\":" + json_string(e.mode);
  s += ",\"transmitted\":" + std::to_string(st.transmitted) + ",\"received\":" + std::to_string(st.received);
  s += ",\"duplicates\":" + std::to_string(st.duplicates) + ",\"corrupted\":" + std::to_string(st.corrupted);
  s += ",\"errors\":" + std::to_string(st.errors);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", st.loss_percent());
  s += ",\"loss_pct\":" + std::string(buf) + ",\"time_ms\":" + std::to_string(e.elapsed_ms);
  if (st.received != 0 && st.timing) {
    s += ",\"rtt_min_ms\":" + us_to_ms_text(st.tmin_us) + ",\"rtt_avg_ms\":" + us_to_ms_text(st.avg_us()) +
         ",\"rtt_max_ms\":" + us_to_ms_text(st.tmax_us) + ",\"rtt_mdev_ms\":" + us_to_ms_text(st.mdev_us());
  } else {
    s += ",\"rtt_min_ms\":null,\"rtt_avg_ms\":null,\"rtt_max_ms\":null,\"rtt_mdev_ms\":null";
  }
  s += ",\"exit\":" + std::to_string(e.exit) + "}";
  return s;
}

}  // namespace synscope::ping

// The live board. Bounded: at most kMaxTracked in-progress entries and a short failure list.

#include "synscope/sink/board.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "synscope/net/ip_address.hpp"

namespace synscope::sink {
namespace {

constexpr std::size_t kMaxTracked = 10'000;
constexpr std::size_t kRecentFailures = 8;

std::string endpoint(const net::IpAddress& a, unsigned port) {
  char addr[net::kMaxAddressText];
  const std::size_t n = net::format_address(a, addr);
  char buf[80];
  std::snprintf(buf, sizeof buf, a.version == 6 ? "[%.*s]:%u" : "%.*s:%u", static_cast<int>(n), addr, port);
  return buf;
}

}  // namespace

void BoardSink::packet(const PacketEvent& ev) {
  last_ts_ns_ = ev.raw.ts_ns;
  if (ev.label == nullptr || ev.frame.transport != decode::Transport::kTcp) return;
  const track::PacketLabel& l = *ev.label;
  const auto& f = ev.frame;
  auto it = open_.find(l.uid);
  if (it == open_.end()) {
    if (open_.size() >= kMaxTracked) return;
    Entry e;
    e.who = l.is_orig ? endpoint(f.ip.src, f.tcp.sport) + " > " + endpoint(f.ip.dst, f.tcp.dport)
                      : endpoint(f.ip.dst, f.tcp.dport) + " > " + endpoint(f.ip.src, f.tcp.sport);
    e.start_ns = ev.raw.ts_ns;
    e.state = "seen";
    it = open_.emplace(l.uid, std::move(e)).first;
  }
  Entry& e = it->second;
  e.last_ns = ev.raw.ts_ns;
  switch (l.step) {
    case track::Step::kHandshake1:
      if (!l.retransmission) ++syns_, ++total_syns_;
      e.state = l.retransmission ? "SYN again" : "SYN sent";
      break;
    case track::Step::kHandshake2:
      e.state = "SYN-ACK";
      break;
    case track::Step::kHandshake3:
      ++established_, ++total_established_;
      e.state = "established";
      e.rtt_ns = l.since_syn_ns;
      break;
    case track::Step::kReset:
      ++resets_, ++total_resets_;
      e.state = "reset";
      break;
    case track::Step::kNone:
      break;
    default:
      e.state = "closing";
  }
}

void BoardSink::conn(const track::ConnRecord& r) {
  ++total_closed_;
  open_.erase(r.uid);
  if (r.proto != 6) return;
  const bool failed = r.conn_state == "REJ" || r.conn_state == "S0" || r.conn_state.rfind("RST", 0) == 0;
  if (!failed) return;
  const std::string who = endpoint(r.orig_h, r.orig_p) + " > " + endpoint(r.resp_h, r.resp_p);
  const char* what = r.conn_state == "REJ" ? "refused" : r.conn_state == "S0" ? "unanswered" : "reset";
  recent_failures_.push_front(std::string(what) + "  " + who + "  " + std::string(r.conn_state) + " " + r.history);
  if (recent_failures_.size() > kRecentFailures) recent_failures_.pop_back();
  if (!opts_.tty) {
    out_.put("conn ");
    out_.put(recent_failures_.front());
    out_.put('\n');
  }
}

void BoardSink::tick(std::int64_t now_ns) {
  syn_rate_ = static_cast<double>(syns_);
  est_rate_ = static_cast<double>(established_);
  rst_rate_ = static_cast<double>(resets_);
  syns_ = established_ = resets_ = 0;
  draw(now_ns);
}

void BoardSink::draw(std::int64_t now_ns) {
  char line[256];
  if (!opts_.tty) {
    std::snprintf(line, sizeof line, "rates/s: syn %.0f  established %.0f  rst %.0f   in progress %zu\n", syn_rate_,
                  est_rate_, rst_rate_, open_.size());
    out_.put(line);
    out_.flush();
    return;
  }
  out_.put("\x1b[H\x1b[2J");
  if (opts_.color) out_.put("\x1b[1m");
  std::snprintf(line, sizeof line,
                "synscope live board   SYN/s %-6.0f established/s %-6.0f RST/s %-6.0f   totals: %llu SYN, %llu "
                "established, %llu RST\n",
                syn_rate_, est_rate_, rst_rate_, static_cast<unsigned long long>(total_syns_),
                static_cast<unsigned long long>(total_established_), static_cast<unsigned long long>(total_resets_));
  out_.put(line);
  if (opts_.color) out_.put("\x1b[0m");
  out_.put("\nin progress (newest first)                                 state         age        handshake\n");
  std::vector<const Entry*> rows;
  rows.reserve(open_.size());
  for (const auto& kv : open_) rows.push_back(&kv.second);
  std::sort(rows.begin(), rows.end(), [](const Entry* a, const Entry* b) { return a->last_ns > b->last_ns; });
  const std::int64_t ref = now_ns > last_ts_ns_ ? now_ns : last_ts_ns_;
  for (std::size_t i = 0; i < rows.size() && i < opts_.max_rows; ++i) {
    const Entry& e = *rows[i];
    std::snprintf(line, sizeof line, "  %-56s %-13s %-10s %s\n", e.who.c_str(), e.state.c_str(),
                  format_duration(ref - e.start_ns, true).c_str(), e.rtt_ns >= 0 ? format_duration(e.rtt_ns, true).c_str() : "-");
    out_.put(line);
  }
  if (rows.size() > opts_.max_rows) {
    std::snprintf(line, sizeof line, "  ... %zu more\n", rows.size() - opts_.max_rows);
    out_.put(line);
  }
  out_.put("\nrecent refusals and resets\n");
  for (const std::string& s : recent_failures_) {
    out_.put("  ");
    out_.put(s);
    out_.put('\n');
  }
  out_.flush();
}

void BoardSink::finish(const RunSummary& /*summary*/) {
  draw(last_ts_ns_);
  char line[160];
  std::snprintf(line, sizeof line, "board: %llu SYN, %llu established, %llu RST, %llu connections ended\n",
                static_cast<unsigned long long>(total_syns_), static_cast<unsigned long long>(total_established_),
                static_cast<unsigned long long>(total_resets_), static_cast<unsigned long long>(total_closed_));
  out_.put(line);
  out_.flush();
}

}  // namespace synscope::sink

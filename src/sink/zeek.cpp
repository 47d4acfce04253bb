// Zeek TSV conn.log writer. Column set and header lines follow Zeek's ASCII writer
// (base/frameworks/logging/writers/ascii.zeek) so zeek-cut and Zeek log readers accept the file.

#include "synscope/sink/zeek.hpp"

#include <ctime>

#include "synscope/net/ip_address.hpp"

namespace synscope::sink {
namespace {

void put_time_header(Writer& w, const char* tag) {
  char buf[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", &tm);
  w.put(tag);
  w.put('\t');
  w.put(std::string_view(buf, n));
  w.put('\n');
}

void put_address(Writer& w, const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  w.put(std::string_view(buf, net::format_address(a, buf)));
}

void put_seconds6(Writer& w, std::int64_t ns) { w.put_fixed(ns / 1000, 6); }

void put_string_field(Writer& w, std::string_view s) {
  if (s.empty()) {
    w.put("(empty)");
    return;
  }
  // Zeek escapes the separator (tab, a control character) and non-printables as \xNN.
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      w.put("\\x");
      w.put_hex(c, 2);
    } else {
      w.put(ch);
    }
  }
}

}  // namespace

void ZeekSink::header() {
  if (header_done_) return;
  header_done_ = true;
  Writer& w = out_;
  w.put("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n");
  put_time_header(w, "#open");
  w.put("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\t"
        "resp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\t"
        "resp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n");
  w.put("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\t"
        "count\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n");
}

void ZeekSink::conn(const track::ConnRecord& r) {
  header();
  Writer& w = out_;
  put_seconds6(w, r.ts_ns);
  w.put('\t');
  put_string_field(w, r.uid);
  w.put('\t');
  put_address(w, r.orig_h);
  w.put('\t');
  w.put_u64(r.orig_p);
  w.put('\t');
  put_address(w, r.resp_h);
  w.put('\t');
  w.put_u64(r.resp_p);
  w.put('\t');
  w.put(r.proto == 6 ? "tcp" : r.proto == 17 ? "udp" : (r.proto == 1 || r.proto == 58) ? "icmp" : "unknown_transport");
  w.put("\t-\t");  // service: synscope does no protocol detection
  if (r.last_ns > r.ts_ns) {
    put_seconds6(w, r.last_ns - r.ts_ns);
    w.put('\t');
    w.put_u64(r.orig_bytes);
    w.put('\t');
    w.put_u64(r.resp_bytes);
  } else {
    w.put("-\t-\t-");
  }
  w.put('\t');
  put_string_field(w, r.conn_state);
  w.put("\t-\t-\t");  // local_orig, local_resp: no Site::local_nets here
  w.put_u64(r.missed_bytes);
  w.put('\t');
  if (r.history.empty()) {
    w.put('-');  // Zeek leaves history unset when no letter was recorded
  } else {
    put_string_field(w, r.history);
  }
  w.put('\t');
  w.put_u64(r.orig_pkts);
  w.put('\t');
  w.put_u64(r.orig_ip_bytes);
  w.put('\t');
  w.put_u64(r.resp_pkts);
  w.put('\t');
  w.put_u64(r.resp_ip_bytes);
  w.put("\t-\t");
  w.put_u64(r.proto);
  w.put('\n');
}

void ZeekSink::finish(const RunSummary& /*summary*/) {
  header();
  put_time_header(out_, "#close");
  out_.flush();
}

}  // namespace synscope::sink

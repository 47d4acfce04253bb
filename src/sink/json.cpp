// JSON lines sink. Keys follow the public contract in the README; keys that do not apply are absent.

#include "synscope/sink/json.hpp"

#include <cstring>

#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::sink {
namespace {

using decode::DecodedFrame;
using decode::Transport;

/// `,"key":` as one constant: the key's length is known at compile time, so writing it is a fixed-size
/// copy instead of strlen + memcpy per key.
template <std::size_t N>
struct Key {
  char text[N + 3] = {};  // N counts the literal's NUL: ,"key": is N - 1 + 4 chars
  consteval Key(const char (&key)[N]) {  // NOLINT(google-explicit-constructor): used as put_key<"ts">
    text[0] = ',';
    text[1] = '"';
    for (std::size_t i = 0; i + 1 < N; ++i) text[i + 2] = key[i];
    text[N + 1] = '"';
    text[N + 2] = ':';
  }
  [[nodiscard]] constexpr std::string_view view() const { return {text, N + 3}; }
};

template <Key K>
void put_key(Writer& w) {
  w.put(K.view());
}

/// `"key":` for the first member of an object, `,"key":` for the others.
template <Key K>
void put_member(Writer& w, bool& first) {
  w.put(first ? K.view().substr(1) : K.view());
  first = false;
}

/// A quoted address, formatted straight into the buffer.
void put_address(Writer& w, const net::IpAddress& a) {
  char* p = w.room(net::kMaxAddressText + 2);
  p[0] = '"';
  const std::size_t n = net::format_address(a, p + 1);
  p[n + 1] = '"';
  w.advance(n + 2);
}

/// Seconds as a JSON number with nanosecond precision, or microsecond precision (Zeek's) for `micro`.
void put_seconds(Writer& w, std::int64_t ns, bool micro = false) {
  if (micro) {
    w.put_fixed(ns / 1000, 6);  // truncated toward zero, like Zeek's
  } else {
    w.put_fixed(ns, 9);
  }
}

/// The negotiated options of one side of a connection record.
template <Key Mss, Key Wscale, Key SackOk, Key Timestamps>
void put_side(Writer& w, const track::ConnRecord::Side& s) {
  if (s.has_mss) {
    put_key<Mss>(w);
    w.put_u64(s.mss);
  }
  if (s.has_wscale) {
    put_key<Wscale>(w);
    w.put_u64(s.wscale);
  }
  put_key<SackOk>(w);
  w.put(s.sack_ok ? std::string_view("true") : std::string_view("false"));
  put_key<Timestamps>(w);
  w.put(s.timestamps ? std::string_view("true") : std::string_view("false"));
}

const char* problem_text(const decode::Problem& p) {
  return p.what != nullptr && p.what[0] != '\0' ? p.what : "undecodable";
}

void put_tcp_options(Writer& w, const decode::TcpInfo& tcp) {
  const auto& o = tcp.opt;
  if (tcp.options.empty() && !o.malformed) return;  // keys that do not apply are absent
  put_key<"options">(w);
  w.put('{');
  bool first = true;
  if (o.has_mss) {
    put_member<"mss">(w, first);
    w.put_u64(o.mss);
  }
  if (o.has_wscale) {
    put_member<"wscale">(w, first);
    w.put_u64(o.wscale);
  }
  if (o.sack_ok) {
    put_member<"sack_ok">(w, first);
    w.put("true");
  }
  if (o.has_timestamps) {
    put_member<"ts_val">(w, first);
    w.put_u64(o.ts_val);
    put_member<"ts_ecr">(w, first);
    w.put_u64(o.ts_ecr);
  }
  if (o.sack_blocks > 0) {
    put_member<"sack">(w, first);
    w.put('[');
    decode::TcpOptionIterator it(tcp.options);
    decode::TcpOption opt;
    bool first_block = true;
    while (it.next(opt)) {
      if (opt.kind != 5) continue;
      for (std::size_t off = 0; off + 8 <= opt.data.size(); off += 8) {
        if (!first_block) w.put(',');
        first_block = false;
        w.put('[');
        w.put_u64(load_be32(opt.data, off));
        w.put(',');
        w.put_u64(load_be32(opt.data, off + 4));
        w.put(']');
      }
    }
    w.put(']');
  }
  if (o.tfo) {
    put_member<"tfo">(w, first);
    w.put("true");
  }
  if (o.mptcp) {
    put_member<"mptcp">(w, first);
    w.put("true");
  }
  if (o.malformed) {
    put_member<"malformed">(w, first);
    w.put("true");
  }
  w.put('}');
}

}  // namespace

void JsonSink::put_ts(std::int64_t ts_ns) {
  Writer& w = out_;
  if (ts_ns < 0) {
    char buf[32];
    const std::size_t n = format_epoch_ns(ts_ns, buf);
    put_key<"ts">(w);
    w.put('"');
    w.put(std::string_view(buf, n));
    w.put('"');
    return;
  }
  const std::int64_t sec = ts_ns / 1'000'000'000;
  if (sec != ts_second_) {
    ts_second_ = sec;
    constexpr std::string_view kKey = ",\"ts\":\"";
    std::memcpy(ts_prefix_, kKey.data(), kKey.size());
    std::size_t n = kKey.size();
    n += detail::format_u64(static_cast<std::uint64_t>(sec), ts_prefix_ + n);
    ts_prefix_[n++] = '.';
    ts_prefix_len_ = n;
  }
  char* p = w.room(sizeof ts_prefix_ + 10);
  std::memcpy(p, ts_prefix_, sizeof ts_prefix_);
  p += ts_prefix_len_;
  detail::format_digits(static_cast<std::uint64_t>(ts_ns - sec * 1'000'000'000), 9, p);
  p[9] = '"';
  w.advance(ts_prefix_len_ + 10);
}

void JsonSink::packet(const PacketEvent& ev) {
  if (!opts_.packets) return;
  Writer& w = out_;
  const DecodedFrame& f = ev.frame;
  w.put("{\"type\":\"packet\",\"frame\":");
  w.put_u64(ev.raw.frame_no);
  put_ts(ev.raw.ts_ns);
  put_key<"caplen">(w);
  w.put_u64(ev.raw.caplen);
  put_key<"len">(w);
  w.put_u64(ev.raw.wire_len);
  put_key<"link">(w);
  w.put('"');
  w.put(decode::link_type_name(ev.raw.dlt));
  w.put('"');
  if (f.link.vlan_count > 0) {
    put_key<"vlan">(w);
    w.put('[');
    const std::size_t n = f.link.vlan_count < decode::LinkInfo::kMaxVlans ? f.link.vlan_count : decode::LinkInfo::kMaxVlans;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) w.put(',');
      w.put_u64(f.link.vlan_ids[i]);
    }
    w.put(']');
  }
  if (!f.has_ip() && f.link.ethertype != 0) {
    put_key<"ethertype">(w);
    w.put_u64(f.link.ethertype);
  }
  if (f.has_ip()) {
    put_key<"ip_version">(w);
    w.put_u64(f.ip.version);
    put_key<"src">(w);
    put_address(w, f.ip.src);
    put_key<"dst">(w);
    put_address(w, f.ip.dst);
    put_key<"proto">(w);
    w.put_u64(f.ip.proto);
    put_key<"ttl">(w);
    w.put_u64(f.ip.ttl);
    if (f.ip.is_fragment) {
      put_key<"fragment">(w);
      w.put('{');
      w.put("\"offset\":");
      w.put_u64(static_cast<std::uint64_t>(f.ip.frag_offset) * 8U);
      w.put(",\"more\":");
      w.put(f.ip.more_fragments ? "true" : "false");
      w.put('}');
    }
  }
  switch (f.transport) {
    case Transport::kTcp: {
      const auto& t = f.tcp;
      put_key<"sport">(w);
      w.put_u64(t.sport);
      put_key<"dport">(w);
      w.put_u64(t.dport);
      put_key<"flags">(w);
      {
        char* p = w.room(16);
        p[0] = '"';
        const std::size_t n = format_tcp_flags(t.flags, p + 1);  // at most 9 letters and a NUL
        p[n + 1] = '"';
        w.advance(n + 2);
      }
      put_key<"tcp_flags">(w);
      w.put_u64(t.flags);
      put_key<"seq">(w);
      w.put_u64(t.seq);
      put_key<"ack">(w);
      w.put_u64(t.ack_seq);
      put_key<"win">(w);
      w.put_u64(t.window);
      put_key<"payload_len">(w);
      w.put_u64(t.payload_len);
      put_tcp_options(w, t);
      if (ev.label != nullptr) {
        if (ev.label->rel_seq >= 0) {
          put_key<"rel_seq">(w);
          w.put_i64(ev.label->rel_seq);
        }
        if (ev.label->rel_ack >= 0) {
          put_key<"rel_ack">(w);
          w.put_i64(ev.label->rel_ack);
        }
      }
      put_key<"label">(w);
      w.put('"');
      w.put(track::flags_label(t.flags, t.payload_len));
      w.put('"');
      if (t.checksum_state == decode::ChecksumState::kBad) {
        put_key<"checksum">(w);
        w.put("\"bad\"");
      }
      break;
    }
    case Transport::kUdp:
      put_key<"sport">(w);
      w.put_u64(f.udp.sport);
      put_key<"dport">(w);
      w.put_u64(f.udp.dport);
      put_key<"payload_len">(w);
      w.put_u64(f.udp.payload_len);
      if (f.udp.checksum_state == decode::ChecksumState::kBad) {
        put_key<"checksum">(w);
        w.put("\"bad\"");
      }
      break;
    case Transport::kIcmp:
    case Transport::kIcmp6: {
      const auto& i = f.icmp;
      put_key<"icmp_type">(w);
      w.put_u64(i.type);
      put_key<"icmp_code">(w);
      w.put_u64(i.code);
      put_key<"icmp_name">(w);
      w.put_json_string(f.transport == Transport::kIcmp ? decode::icmp_type_name(i.type) : decode::icmp6_type_name(i.type));
      if (i.is_echo) {
        put_key<"icmp_id">(w);
        w.put_u64(i.id);
        put_key<"icmp_seq">(w);
        w.put_u64(i.seq);
      }
      put_key<"payload_len">(w);
      w.put_u64(i.payload_len);
      if (i.quoted.present && !i.quoted.has_ip) {
        // No IP header in the quote: no addresses (never 0.0.0.0 for what was not quoted).
        put_key<"quoted">(w);
        w.put(i.quoted.truncated ? std::string_view("{\"truncated\":true}") : std::string_view("{\"version\":"));
        if (!i.quoted.truncated) {
          w.put_u64(i.quoted.version);
          w.put('}');
        }
      } else if (i.quoted.present) {
        const auto& q = i.quoted;
        put_key<"quoted">(w);
        w.put("{\"src\":");
        put_address(w, q.src);
        w.put(",\"dst\":");
        put_address(w, q.dst);
        w.put(",\"proto\":");
        w.put_u64(q.proto);
        if (q.has_ports) {
          w.put(",\"sport\":");
          w.put_u64(q.sport);
          w.put(",\"dport\":");
          w.put_u64(q.dport);
        }
        if (q.has_echo) {
          w.put(",\"icmp_id\":");
          w.put_u64(q.echo_id);
          w.put(",\"icmp_seq\":");
          w.put_u64(q.echo_seq);
        }
        if (q.truncated) w.put(",\"truncated\":true");
        w.put('}');
      }
      if (i.checksum_state == decode::ChecksumState::kBad) {
        put_key<"checksum">(w);
        w.put("\"bad\"");
      }
      break;
    }
    case Transport::kNone:
    case Transport::kOther:
      break;
  }
  if (ev.label != nullptr && ev.label->conn_id != 0) {
    put_key<"conn">(w);
    w.put('"');
    w.put(ev.label->uid);
    w.put('"');
    if (ev.label->step != track::Step::kNone) {
      put_key<"step">(w);
      w.put('"');
      w.put(track::step_name(ev.label->step));
      w.put('"');
    }
    if (ev.label->retransmission) {
      put_key<"retransmission">(w);
      w.put("true");
    }
    put_key<"dir">(w);
    w.put(ev.label->is_orig ? "\"orig\"" : "\"resp\"");
  }
  if (f.ip.header_checksum == decode::ChecksumState::kBad) {
    put_key<"ip_checksum">(w);
    w.put("\"bad\"");
  }
  if (!f.ok()) {
    put_key<"error">(w);
    w.put_json_string(problem_text(f.problem));
    put_key<"error_kind">(w);
    w.put(f.problem.status == decode::Status::kTruncated   ? "\"truncated\""
          : f.problem.status == decode::Status::kInvalid   ? "\"invalid\""
                                                            : "\"unsupported\"");
  }
  w.put("}\n");
}

void JsonSink::conn(const track::ConnRecord& r) {
  if (!opts_.conns) return;
  Writer& w = out_;
  w.put("{\"type\":\"conn\",\"ts\":");
  put_seconds(w, r.ts_ns, true);
  put_key<"uid">(w);
  w.put_json_string(r.uid);
  put_key<"id.orig_h">(w);
  put_address(w, r.orig_h);
  put_key<"id.orig_p">(w);
  w.put_u64(r.orig_p);
  put_key<"id.resp_h">(w);
  put_address(w, r.resp_h);
  put_key<"id.resp_p">(w);
  w.put_u64(r.resp_p);
  put_key<"proto">(w);
  w.put(r.proto == 6 ? "\"tcp\"" : r.proto == 17 ? "\"udp\"" : (r.proto == 1 || r.proto == 58) ? "\"icmp\"" : "\"unknown_transport\"");
  // Zeek sets duration and the byte counts only when the connection lasted longer than 0 s.
  if (r.last_ns > r.ts_ns) {
    put_key<"duration">(w);
    put_seconds(w, r.last_ns - r.ts_ns, true);
    put_key<"orig_bytes">(w);
    w.put_u64(r.orig_bytes);
    put_key<"resp_bytes">(w);
    w.put_u64(r.resp_bytes);
  }
  put_key<"conn_state">(w);
  w.put_json_string(r.conn_state);
  put_key<"missed_bytes">(w);
  w.put_u64(r.missed_bytes);
  put_key<"history">(w);
  w.put_json_string(r.history);
  put_key<"orig_pkts">(w);
  w.put_u64(r.orig_pkts);
  put_key<"orig_ip_bytes">(w);
  w.put_u64(r.orig_ip_bytes);
  put_key<"resp_pkts">(w);
  w.put_u64(r.resp_pkts);
  put_key<"resp_ip_bytes">(w);
  w.put_u64(r.resp_ip_bytes);
  if (r.proto == 6) {
    if (r.handshake_rtt_ns >= 0) {
      put_key<"handshake_rtt">(w);
      put_seconds(w, r.handshake_rtt_ns);
    }
    if (r.synack_delay_ns >= 0) {
      put_key<"synack_delay">(w);
      put_seconds(w, r.synack_delay_ns);
    }
    if (r.ack_delay_ns >= 0) {
      put_key<"ack_delay">(w);
      put_seconds(w, r.ack_delay_ns);
    }
    put_key<"syn_retransmits">(w);
    w.put_u64(r.syn_retransmits);
    put_key<"teardown">(w);
    w.put_json_string(r.teardown);
    put_side<"orig_mss", "orig_wscale", "orig_sack_ok", "orig_timestamps">(w, r.orig_opts);
    put_side<"resp_mss", "resp_wscale", "resp_sack_ok", "resp_timestamps">(w, r.resp_opts);
  }
  if (!r.end_reason.empty()) {
    put_key<"end">(w);
    w.put_json_string(r.end_reason);
  }
  w.put("}\n");
}

void JsonSink::finish(const RunSummary& s) {
  if (!opts_.summary) return;
  Writer& w = out_;
  w.put("{\"type\":\"summary\",\"frames\":");
  w.put_u64(s.frames_read);
  put_key<"matched">(w);
  w.put_u64(s.frames_matched);
  put_key<"truncated">(w);
  w.put_u64(s.truncated);
  put_key<"invalid">(w);
  w.put_u64(s.invalid);
  put_key<"bad_checksums">(w);
  w.put_u64(s.bad_checksums);
  put_key<"evicted">(w);
  w.put_u64(s.evicted);
  put_key<"interrupted">(w);
  w.put(s.interrupted ? "true" : "false");
  if (!s.problems.empty()) {
    put_key<"problems">(w);
    w.put('[');
    for (std::size_t i = 0; i < s.problems.size(); ++i) {
      if (i > 0) w.put(',');
      w.put_json_string(s.problems[i]);
    }
    w.put(']');
  }
  w.put("}\n");
  w.flush();
}

}  // namespace synscope::sink

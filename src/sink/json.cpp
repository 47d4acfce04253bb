// JSON lines sink. Keys follow the public contract in the README; keys that do not apply are absent.

#include "synscope/sink/json.hpp"

#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::sink {
namespace {

using decode::DecodedFrame;
using decode::Transport;

void put_key(Writer& w, const char* key) {
  w.put(",\"");
  w.put(key);
  w.put("\":");
}

void put_address(Writer& w, const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  const std::size_t n = net::format_address(a, buf);
  w.put('"');
  w.put(std::string_view(buf, n));
  w.put('"');
}

void put_ts(Writer& w, std::int64_t ts_ns) {
  char buf[32];
  const std::size_t n = format_epoch_ns(ts_ns, buf);
  w.put('"');
  w.put(std::string_view(buf, n));
  w.put('"');
}

/// Seconds as a JSON number with microsecond (Zeek) or nanosecond precision.
void put_seconds(Writer& w, std::int64_t ns, unsigned decimals = 9) {
  std::int64_t v = ns;
  for (unsigned i = decimals; i < 9; ++i) v /= 10;
  w.put_fixed(v, decimals);
}

const char* problem_text(const decode::Problem& p) {
  return p.what != nullptr && p.what[0] != '\0' ? p.what : "undecodable";
}

void put_tcp_options(Writer& w, const decode::TcpInfo& tcp) {
  const auto& o = tcp.opt;
  if (tcp.options.empty() && !o.malformed) return;  // keys that do not apply are absent
  put_key(w, "options");
  w.put('{');
  bool first = true;
  auto sep = [&](const char* key) {
    if (!first) w.put(',');
    first = false;
    w.put('"');
    w.put(key);
    w.put("\":");
  };
  if (o.has_mss) {
    sep("mss");
    w.put_u64(o.mss);
  }
  if (o.has_wscale) {
    sep("wscale");
    w.put_u64(o.wscale);
  }
  if (o.sack_ok) {
    sep("sack_ok");
    w.put("true");
  }
  if (o.has_timestamps) {
    sep("ts_val");
    w.put_u64(o.ts_val);
    sep("ts_ecr");
    w.put_u64(o.ts_ecr);
  }
  if (o.sack_blocks > 0) {
    sep("sack");
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
    sep("tfo");
    w.put("true");
  }
  if (o.mptcp) {
    sep("mptcp");
    w.put("true");
  }
  if (o.malformed) {
    sep("malformed");
    w.put("true");
  }
  w.put('}');
}

}  // namespace

void JsonSink::packet(const PacketEvent& ev) {
  if (!opts_.packets) return;
  Writer& w = out_;
  const DecodedFrame& f = ev.frame;
  w.put("{\"type\":\"packet\",\"frame\":");
  w.put_u64(ev.raw.frame_no);
  put_key(w, "ts");
  put_ts(w, ev.raw.ts_ns);
  put_key(w, "caplen");
  w.put_u64(ev.raw.caplen);
  put_key(w, "len");
  w.put_u64(ev.raw.wire_len);
  put_key(w, "link");
  w.put('"');
  w.put(decode::link_type_name(ev.raw.dlt));
  w.put('"');
  if (f.link.vlan_count > 0) {
    put_key(w, "vlan");
    w.put('[');
    const std::size_t n = f.link.vlan_count < decode::LinkInfo::kMaxVlans ? f.link.vlan_count : decode::LinkInfo::kMaxVlans;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) w.put(',');
      w.put_u64(f.link.vlan_ids[i]);
    }
    w.put(']');
  }
  if (!f.has_ip() && f.link.ethertype != 0) {
    put_key(w, "ethertype");
    w.put_u64(f.link.ethertype);
  }
  if (f.has_ip()) {
    put_key(w, "ip_version");
    w.put_u64(f.ip.version);
    put_key(w, "src");
    put_address(w, f.ip.src);
    put_key(w, "dst");
    put_address(w, f.ip.dst);
    put_key(w, "proto");
    w.put_u64(f.ip.proto);
    put_key(w, "ttl");
    w.put_u64(f.ip.ttl);
    if (f.ip.is_fragment) {
      put_key(w, "fragment");
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
      char flags[16];
      format_tcp_flags(t.flags, flags);
      put_key(w, "sport");
      w.put_u64(t.sport);
      put_key(w, "dport");
      w.put_u64(t.dport);
      put_key(w, "flags");
      w.put('"');
      w.put(flags);
      w.put('"');
      put_key(w, "tcp_flags");
      w.put_u64(t.flags);
      put_key(w, "seq");
      w.put_u64(t.seq);
      put_key(w, "ack");
      w.put_u64(t.ack_seq);
      put_key(w, "win");
      w.put_u64(t.window);
      put_key(w, "payload_len");
      w.put_u64(t.payload_len);
      put_tcp_options(w, t);
      if (ev.label != nullptr) {
        if (ev.label->rel_seq >= 0) {
          put_key(w, "rel_seq");
          w.put_i64(ev.label->rel_seq);
        }
        if (ev.label->rel_ack >= 0) {
          put_key(w, "rel_ack");
          w.put_i64(ev.label->rel_ack);
        }
      }
      put_key(w, "label");
      w.put('"');
      w.put(track::flags_label(t.flags, t.payload_len));
      w.put('"');
      if (t.checksum_state == decode::ChecksumState::kBad) {
        put_key(w, "checksum");
        w.put("\"bad\"");
      }
      break;
    }
    case Transport::kUdp:
      put_key(w, "sport");
      w.put_u64(f.udp.sport);
      put_key(w, "dport");
      w.put_u64(f.udp.dport);
      put_key(w, "payload_len");
      w.put_u64(f.udp.payload_len);
      if (f.udp.checksum_state == decode::ChecksumState::kBad) {
        put_key(w, "checksum");
        w.put("\"bad\"");
      }
      break;
    case Transport::kIcmp:
    case Transport::kIcmp6: {
      const auto& i = f.icmp;
      put_key(w, "icmp_type");
      w.put_u64(i.type);
      put_key(w, "icmp_code");
      w.put_u64(i.code);
      put_key(w, "icmp_name");
      w.put_json_string(f.transport == Transport::kIcmp ? decode::icmp_type_name(i.type) : decode::icmp6_type_name(i.type));
      if (i.is_echo) {
        put_key(w, "icmp_id");
        w.put_u64(i.id);
        put_key(w, "icmp_seq");
        w.put_u64(i.seq);
      }
      put_key(w, "payload_len");
      w.put_u64(i.payload_len);
      if (i.quoted.present) {
        const auto& q = i.quoted;
        put_key(w, "quoted");
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
        put_key(w, "checksum");
        w.put("\"bad\"");
      }
      break;
    }
    case Transport::kNone:
    case Transport::kOther:
      break;
  }
  if (ev.label != nullptr && ev.label->conn_id != 0) {
    put_key(w, "conn");
    w.put('"');
    w.put(ev.label->uid);
    w.put('"');
    if (ev.label->step != track::Step::kNone) {
      put_key(w, "step");
      w.put('"');
      w.put(track::step_name(ev.label->step));
      w.put('"');
    }
    if (ev.label->retransmission) {
      put_key(w, "retransmission");
      w.put("true");
    }
    put_key(w, "dir");
    w.put(ev.label->is_orig ? "\"orig\"" : "\"resp\"");
  }
  if (f.ip.header_checksum == decode::ChecksumState::kBad) {
    put_key(w, "ip_checksum");
    w.put("\"bad\"");
  }
  if (!f.ok()) {
    put_key(w, "error");
    w.put_json_string(problem_text(f.problem));
    put_key(w, "error_kind");
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
  put_seconds(w, r.ts_ns, 6);
  put_key(w, "uid");
  w.put_json_string(r.uid);
  put_key(w, "id.orig_h");
  put_address(w, r.orig_h);
  put_key(w, "id.orig_p");
  w.put_u64(r.orig_p);
  put_key(w, "id.resp_h");
  put_address(w, r.resp_h);
  put_key(w, "id.resp_p");
  w.put_u64(r.resp_p);
  put_key(w, "proto");
  w.put(r.proto == 6 ? "\"tcp\"" : r.proto == 17 ? "\"udp\"" : (r.proto == 1 || r.proto == 58) ? "\"icmp\"" : "\"unknown_transport\"");
  // Zeek sets duration and the byte counts only when the connection lasted longer than 0 s.
  if (r.last_ns > r.ts_ns) {
    put_key(w, "duration");
    put_seconds(w, r.last_ns - r.ts_ns, 6);
    put_key(w, "orig_bytes");
    w.put_u64(r.orig_bytes);
    put_key(w, "resp_bytes");
    w.put_u64(r.resp_bytes);
  }
  put_key(w, "conn_state");
  w.put_json_string(r.conn_state);
  put_key(w, "missed_bytes");
  w.put_u64(r.missed_bytes);
  put_key(w, "history");
  w.put_json_string(r.history);
  put_key(w, "orig_pkts");
  w.put_u64(r.orig_pkts);
  put_key(w, "orig_ip_bytes");
  w.put_u64(r.orig_ip_bytes);
  put_key(w, "resp_pkts");
  w.put_u64(r.resp_pkts);
  put_key(w, "resp_ip_bytes");
  w.put_u64(r.resp_ip_bytes);
  if (r.proto == 6) {
    if (r.handshake_rtt_ns >= 0) {
      put_key(w, "handshake_rtt");
      put_seconds(w, r.handshake_rtt_ns);
    }
    if (r.synack_delay_ns >= 0) {
      put_key(w, "synack_delay");
      put_seconds(w, r.synack_delay_ns);
    }
    if (r.ack_delay_ns >= 0) {
      put_key(w, "ack_delay");
      put_seconds(w, r.ack_delay_ns);
    }
    put_key(w, "syn_retransmits");
    w.put_u64(r.syn_retransmits);
    put_key(w, "teardown");
    w.put_json_string(r.teardown);
    auto side = [&](const char* prefix, const track::ConnRecord::Side& s) {
      std::string key;
      if (s.has_mss) {
        key = std::string(prefix) + "mss";
        put_key(w, key.c_str());
        w.put_u64(s.mss);
      }
      if (s.has_wscale) {
        key = std::string(prefix) + "wscale";
        put_key(w, key.c_str());
        w.put_u64(s.wscale);
      }
      key = std::string(prefix) + "sack_ok";
      put_key(w, key.c_str());
      w.put(s.sack_ok ? "true" : "false");
      key = std::string(prefix) + "timestamps";
      put_key(w, key.c_str());
      w.put(s.timestamps ? "true" : "false");
    };
    side("orig_", r.orig_opts);
    side("resp_", r.resp_opts);
  }
  if (!r.end_reason.empty()) {
    put_key(w, "end");
    w.put_json_string(r.end_reason);
  }
  w.put("}\n");
}

void JsonSink::finish(const RunSummary& s) {
  if (!opts_.summary) return;
  Writer& w = out_;
  w.put("{\"type\":\"summary\",\"frames\":");
  w.put_u64(s.frames_read);
  put_key(w, "matched");
  w.put_u64(s.frames_matched);
  put_key(w, "truncated");
  w.put_u64(s.truncated);
  put_key(w, "invalid");
  w.put_u64(s.invalid);
  put_key(w, "bad_checksums");
  w.put_u64(s.bad_checksums);
  put_key(w, "evicted");
  w.put_u64(s.evicted);
  put_key(w, "interrupted");
  w.put(s.interrupted ? "true" : "false");
  if (!s.problems.empty()) {
    put_key(w, "problems");
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

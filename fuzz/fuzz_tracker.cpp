// Fuzz target: ConnTracker fed a packet sequence. Every packet is a real frame that goes through
// decode_frame() and from_frame() like in `synscope read`; most are built from compact records so that
// the fuzzer can drive a handful of connections through their state machines (handshakes, FIN/RST
// orders, retransmissions, sequence wrap-around, zero windows, bad checksums, ICMP pairs), and some are
// raw frames. Timeouts are short and max_conns tiny, so expiry, eviction and port reuse all run.
// A second tracker with TrackerOptions::fast_path = false runs in lockstep: the established-segment fast
// path must give the general path's labels and records exactly.
//
// Input: 4 config bytes, then records until the input ends:
//   0xFF dlt len bytes[len]     raw frame (dlt picks a link type as in fuzz_decode_frame)
//   0xFE                        expire() at the current time
//   0xFD hi lo                  the clock steps back (hi<<8|lo) ms (merged, unsorted captures)
//   op flags seq_hi seq_lo ack_hi ack_lo len dt   compact packet (below)
// Compact op bits: 0-1 flow, 2 reverse direction, 3 IPv6, 4-5 protocol (TCP, TCP, UDP, ICMP),
//   6 bad transport checksum, 7 zero window. dt < 200: dt ms later; otherwise (dt - 200) s later.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "synscope/decode/frame.hpp"
#include "synscope/net/checksum.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"
#include "common.hpp"
#include "targets.hpp"

namespace synscope::fuzz {
namespace {

constexpr std::int64_t kMs = 1'000'000;

class Reader {
 public:
  Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  [[nodiscard]] bool left(std::size_t k) const noexcept { return n_ - pos_ >= k; }
  std::uint8_t u8() noexcept { return d_[pos_++]; }
  std::uint16_t u16() noexcept {
    const auto hi = static_cast<unsigned>(u8());
    return static_cast<std::uint16_t>(hi << 8U | u8());
  }
  const std::uint8_t* take(std::size_t k) noexcept {
    const std::uint8_t* p = d_ + pos_;
    pos_ += k;
    return p;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

void put16(std::vector<std::uint8_t>& v, std::size_t off, std::uint32_t x) {
  v[off] = static_cast<std::uint8_t>(x >> 8U);
  v[off + 1] = static_cast<std::uint8_t>(x);
}
void put32(std::vector<std::uint8_t>& v, std::size_t off, std::uint32_t x) {
  put16(v, off, x >> 16U);
  put16(v, off + 2, x & 0xFFFFU);
}
Bytes view(const std::vector<std::uint8_t>& v, std::size_t off, std::size_t n) { return as_bytes(v.data() + off, n); }

struct Compact {
  unsigned flow;
  bool reverse, v6, bad_checksum, zero_window;
  unsigned proto;  // 6, 17, 1/58
  std::uint8_t flags;
  std::uint16_t seq_delta, ack_delta;
  std::uint8_t payload;
};

// Builds a raw IP frame (LINKTYPE_RAW) with correct checksums unless asked otherwise.
void build(const Compact& c, std::vector<std::uint8_t>& f) {
  // Hosts 192.0.2.1-2 / 198.51.100.1-2 and 2001:db8::1-2 / 2001:db8:1::1-2; ports by flow.
  const unsigned host = c.flow & 1U;
  std::array<std::uint8_t, 16> a{};
  std::array<std::uint8_t, 16> b{};
  if (c.v6) {
    a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(1 + host)};
    b = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(1 + host)};
  } else {
    a = {192, 0, 2, static_cast<std::uint8_t>(1 + host)};
    b = {198, 51, 100, static_cast<std::uint8_t>(1 + host)};
  }
  std::uint16_t sport = static_cast<std::uint16_t>(40000 + c.flow);
  std::uint16_t dport = static_cast<std::uint16_t>(80 + (c.flow >> 1U));
  if (c.reverse) {
    std::swap(a, b);
    std::swap(sport, dport);
  }
  const bool syn = c.proto == 6 && (c.flags & 0x02U) != 0;
  const std::size_t l4_hdr = c.proto == 6 ? (syn ? 40U : 20U) : 8U;
  const std::size_t l4_len = l4_hdr + c.payload;
  const std::size_t ip_hdr = c.v6 ? 40U : 20U;
  f.assign(ip_hdr + l4_len, 0);
  const std::uint8_t proto = c.proto == 1 && c.v6 ? 58 : static_cast<std::uint8_t>(c.proto);
  if (c.v6) {
    f[0] = 0x60;
    put16(f, 4, static_cast<std::uint32_t>(l4_len));
    f[6] = proto;
    f[7] = 64;
    std::copy(a.begin(), a.end(), f.begin() + 8);
    std::copy(b.begin(), b.end(), f.begin() + 24);
  } else {
    f[0] = 0x45;
    put16(f, 2, static_cast<std::uint32_t>(ip_hdr + l4_len));
    f[8] = 64;
    f[9] = proto;
    std::copy_n(a.begin(), 4, f.begin() + 12);
    std::copy_n(b.begin(), 4, f.begin() + 16);
    put16(f, 10, net::internet_checksum(view(f, 0, 20)));
  }
  const std::size_t l4 = ip_hdr;
  std::size_t csum_off = 0;
  if (c.proto == 6) {
    // Sequence numbers start near the wrap-around point so that seq_lt() matters (RFC 9293 §3.4).
    const std::uint32_t isn = c.reverse ? 0x7FFFFFF0U : 0xFFFFFF00U;
    const std::uint32_t peer_isn = c.reverse ? 0xFFFFFF00U : 0x7FFFFFF0U;
    put16(f, l4, sport);
    put16(f, l4 + 2, dport);
    put32(f, l4 + 4, isn + c.seq_delta);
    put32(f, l4 + 8, peer_isn + c.ack_delta);
    f[l4 + 12] = static_cast<std::uint8_t>((l4_hdr / 4) << 4U);
    f[l4 + 13] = c.flags;
    put16(f, l4 + 14, c.zero_window ? 0U : 64240U);
    if (syn) {  // MSS 1460, SACK permitted, timestamps, NOP, window scale 7
      constexpr std::array<std::uint8_t, 20> kOpts = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
      std::copy(kOpts.begin(), kOpts.end(), f.begin() + static_cast<std::ptrdiff_t>(l4 + 20));
    }
    csum_off = l4 + 16;
  } else if (c.proto == 17) {
    put16(f, l4, sport);
    put16(f, l4 + 2, dport);
    put16(f, l4 + 4, static_cast<std::uint32_t>(l4_len));
    csum_off = l4 + 6;
  } else {
    f[l4] = c.flags;                                  // type
    f[l4 + 1] = static_cast<std::uint8_t>(c.seq_delta);  // code
    put16(f, l4 + 4, c.ack_delta);                    // echo id (or rest of header)
    put16(f, l4 + 6, c.seq_delta);                    // echo seq
    csum_off = l4 + 2;
  }
  for (std::size_t i = 0; i < c.payload; ++i) f[l4 + l4_hdr + i] = static_cast<std::uint8_t>(i);
  // Pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1); ICMPv4 has none (RFC 792).
  std::uint32_t sum = 0;
  if (proto != 1) {
    const std::size_t alen = c.v6 ? 16U : 4U;
    sum = net::checksum_add(sum, view(f, c.v6 ? 8U : 12U, 2 * alen));
    std::vector<std::uint8_t> tail(4, 0);
    put16(tail, 0, proto);
    put16(tail, 2, static_cast<std::uint32_t>(l4_len));
    sum = net::checksum_add(sum, view(tail, 0, 4));
  }
  sum = net::checksum_add(sum, view(f, l4, l4_len));
  std::uint16_t csum = net::checksum_fold(sum);
  if (proto == 17 && csum == 0) csum = 0xFFFF;  // RFC 768: 0 means "no checksum"
  if (c.bad_checksum) csum = static_cast<std::uint16_t>(csum ^ 0x5A5AU);
  put16(f, csum_off, csum);
}

void check_record(const track::ConnRecord& r) {
  static constexpr std::array<std::string_view, 13> kStates = {"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR",
                                                                "RSTOS0", "RSTRH", "SH", "SHR", "OTH"};
  bool known = false;
  for (std::string_view s : kStates) known = known || r.conn_state == s;
  if (!known || r.history.find_first_not_of("SsHhAaDdFfRrCcGgTtWwIiQq^") != std::string::npos) {
    std::fprintf(stderr, "record: proto %u state '%.*s' history '%s'\n", r.proto, static_cast<int>(r.conn_state.size()),
                 r.conn_state.data(), r.history.c_str());
  }
  SYNSCOPE_FUZZ_CHECK(known);
  SYNSCOPE_FUZZ_CHECK(!r.uid.empty());
  SYNSCOPE_FUZZ_CHECK(r.history.find_first_not_of("SsHhAaDdFfRrCcGgTtWwIiQq^") == std::string::npos);
  // No packet counted happens (Zeek: a bad-checksum TCP segment stops before ConnSize), but then the
  // history says why.
  if (r.orig_pkts + r.resp_pkts == 0) SYNSCOPE_FUZZ_CHECK(r.proto != 6 || r.history.find_first_of("Cc") != std::string::npos);
  SYNSCOPE_FUZZ_CHECK(r.proto == 6 || r.proto == 17 || r.proto == 1 || r.proto == 58);
}

/// The fields of a record that output shows (all but the IP addresses, which come from the same key).
bool same_record(const track::ConnRecord& a, const track::ConnRecord& b) {
  return a.uid == b.uid && a.ts_ns == b.ts_ns && a.last_ns == b.last_ns && a.orig_p == b.orig_p &&
         a.resp_p == b.resp_p && a.proto == b.proto && a.orig_bytes == b.orig_bytes && a.resp_bytes == b.resp_bytes &&
         a.bytes_known == b.bytes_known && a.conn_state == b.conn_state && a.missed_bytes == b.missed_bytes &&
         a.history == b.history && a.orig_pkts == b.orig_pkts && a.orig_ip_bytes == b.orig_ip_bytes &&
         a.resp_pkts == b.resp_pkts && a.resp_ip_bytes == b.resp_ip_bytes && a.handshake_rtt_ns == b.handshake_rtt_ns &&
         a.synack_delay_ns == b.synack_delay_ns && a.ack_delay_ns == b.ack_delay_ns &&
         a.syn_retransmits == b.syn_retransmits && a.teardown == b.teardown && a.end_reason == b.end_reason;
}

bool same_label(const track::PacketLabel& a, const track::PacketLabel& b) {
  return a.conn_id == b.conn_id && std::string_view(a.uid) == std::string_view(b.uid) && a.is_orig == b.is_orig &&
         a.step == b.step && a.retransmission == b.retransmission && a.rel_seq == b.rel_seq && a.rel_ack == b.rel_ack &&
         a.since_syn_ns == b.since_syn_ns;
}

}  // namespace

int tracker_one(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  if (!in.left(4)) return 0;
  const std::uint8_t c0 = in.u8();
  const std::uint8_t c1 = in.u8();
  const std::uint8_t c2 = in.u8();
  const std::uint8_t c3 = in.u8();
  track::TrackerOptions opts;
  opts.max_conns = 1U + (c0 & 15U);
  opts.hash_seed = 1;  // a crash replays with the same table layout
  opts.ignore_bad_checksums = (c0 & 0x80U) != 0;
  opts.attempt_timeout_ns = (1 + (c1 & 15)) * 100 * kMs;
  opts.close_timeout_ns = (1 + (c1 >> 4U)) * 100 * kMs;
  opts.reset_timeout_ns = (1 + (c2 & 15)) * 100 * kMs;
  opts.partial_close_timeout_ns = (1 + (c2 >> 4U)) * 100 * kMs;
  opts.inactivity_timeout_ns = (1 + (c3 & 15)) * 1000 * kMs;
  opts.udp_inactivity_timeout_ns = (1 + (c3 >> 4U)) * 500 * kMs;
  opts.icmp_inactivity_timeout_ns = opts.udp_inactivity_timeout_ns;

  std::uint64_t records = 0;
  std::vector<track::ConnRecord> fast_records;
  std::vector<track::ConnRecord> general_records;
  track::ConnTracker tracker(opts, [&](const track::ConnRecord& r) {
    check_record(r);
    ++records;
    fast_records.push_back(r);
  });
  track::TrackerOptions general_opts = opts;
  general_opts.fast_path = false;
  track::ConnTracker general(general_opts, [&](const track::ConnRecord& r) { general_records.push_back(r); });
  auto same_so_far = [&] {
    SYNSCOPE_FUZZ_CHECK(fast_records.size() == general_records.size());
    for (std::size_t i = 0; i < fast_records.size(); ++i) SYNSCOPE_FUZZ_CHECK(same_record(fast_records[i], general_records[i]));
    fast_records.clear();
    general_records.clear();
  };
  std::int64_t now = 1'700'000'000LL * 1000 * kMs;
  std::vector<std::uint8_t> frame;
  decode::DecodedFrame decoded;
  std::uint64_t packets = 0;
  while (in.left(1)) {
    const std::uint8_t op = in.u8();
    std::uint32_t dlt = 101;
    if (op == 0xFF) {
      if (!in.left(2)) break;
      dlt = kFuzzDlts[in.u8() % kFuzzDlts.size()];
      const std::size_t len = in.u8();
      if (!in.left(len)) break;
      const std::uint8_t* p = in.take(len);
      frame.assign(p, p + len);
      now += kMs;
    } else if (op == 0xFE) {
      tracker.expire(now);
      general.expire(now);
      same_so_far();
      SYNSCOPE_FUZZ_CHECK(tracker.active() <= opts.max_conns);
      continue;
    } else if (op == 0xFD) {
      if (!in.left(2)) break;
      now -= in.u16() * kMs;
      continue;
    } else {
      if (!in.left(7)) break;
      Compact c{};
      c.flow = op & 3U;
      c.reverse = (op & 4U) != 0;
      c.v6 = (op & 8U) != 0;
      static constexpr std::array<unsigned, 4> kProtos = {6, 6, 17, 1};
      c.proto = kProtos[(op >> 4U) & 3U];
      c.bad_checksum = (op & 0x40U) != 0;
      c.zero_window = (op & 0x80U) != 0;
      c.flags = in.u8();
      c.seq_delta = in.u16();
      c.ack_delta = in.u16();
      c.payload = in.u8();
      const std::uint8_t dt = in.u8();
      now += dt < 200 ? dt * kMs : (dt - 200) * 1000 * kMs;
      build(c, frame);
    }
    decode::decode_frame(dlt, as_bytes(frame.data(), frame.size()), static_cast<std::uint32_t>(frame.size()), decoded);
    const track::PacketSummary s = track::from_frame(decoded, now);
    const track::PacketLabel label = tracker.update(s);
    SYNSCOPE_FUZZ_CHECK(same_label(label, general.update(s)));
    same_so_far();
    ++packets;
    SYNSCOPE_FUZZ_CHECK(tracker.active() <= opts.max_conns);
    SYNSCOPE_FUZZ_CHECK(label.uid[sizeof label.uid - 1] == '\0');
    if (label.conn_id != 0) SYNSCOPE_FUZZ_CHECK(label.uid[0] == 'C');
    SYNSCOPE_FUZZ_CHECK(track::step_name(label.step).size() < 40);
    SYNSCOPE_FUZZ_CHECK(!track::flags_label(s.tcp_flags, s.payload_len).empty());
  }
  const std::size_t open = tracker.active();
  const std::uint64_t before = records;
  tracker.flush();
  general.flush();
  same_so_far();
  SYNSCOPE_FUZZ_CHECK(records - before == open);
  SYNSCOPE_FUZZ_CHECK(tracker.active() == 0);
  SYNSCOPE_FUZZ_CHECK(records <= packets);  // every record was created by some packet
  return 0;
}

}  // namespace synscope::fuzz

// ConnTracker unit tests: every conn_state, the history rules, timeouts, the cap and the step labels.
// Packets are PacketSummary literals; each conversation says what it sends in a comment.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/track_capture.hpp"
#include "synscope/track/seq.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace {

using synscope::net::IpAddress;
using synscope::track::ConnRecord;
using synscope::track::ConnTracker;
using synscope::track::PacketLabel;
using synscope::track::PacketSummary;
using synscope::track::Step;
using synscope::track::TrackerOptions;

constexpr std::uint16_t F = 0x01;
constexpr std::uint16_t S = 0x02;
constexpr std::uint16_t R = 0x04;
constexpr std::uint16_t P = 0x08;
constexpr std::uint16_t A = 0x10;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSec;

IpAddress addr(const char* text) {
  IpAddress a;
  REQUIRE(synscope::net::parse_address(text, a));
  return a;
}

struct Ep {
  const char* ip;
  std::uint16_t port;
};

// Client and server of most conversations (documentation ranges; 7001 is no likely server port).
constexpr Ep kC{"192.0.2.1", 41138};
constexpr Ep kS{"198.51.100.2", 7001};

PacketSummary tcp(std::int64_t ts, Ep src, Ep dst, std::uint16_t flags, std::uint32_t seq, std::uint32_t ack,
                  std::uint32_t len = 0, std::uint16_t window = 1000) {
  PacketSummary p;
  p.ts_ns = ts;
  p.src = addr(src.ip);
  p.dst = addr(dst.ip);
  p.proto = 6;
  p.sport = src.port;
  p.dport = dst.port;
  p.ip_len = 40 + len;
  p.tcp_flags = flags;
  p.seq = seq;
  p.ack_seq = ack;
  p.window = window;
  p.payload_len = len;
  return p;
}

PacketSummary udp(std::int64_t ts, Ep src, Ep dst, std::uint32_t len) {
  PacketSummary p;
  p.ts_ns = ts;
  p.src = addr(src.ip);
  p.dst = addr(dst.ip);
  p.proto = 17;
  p.sport = src.port;
  p.dport = dst.port;
  p.ip_len = 28 + len;
  p.payload_len = len;
  return p;
}

struct Harness {
  std::vector<ConnRecord> recs;
  ConnTracker tr;
  std::int64_t now = kT0;
  explicit Harness(TrackerOptions o = {}) : tr(o, [this](const ConnRecord& r) { recs.push_back(r); }) {}
  /// Feeds a packet `dt_ms` after the previous one.
  PacketLabel operator()(std::int64_t dt_ms, PacketSummary p) {
    now += dt_ms * kMs;
    p.ts_ns = now;
    return tr.update(p);
  }
  const ConnRecord& only() {
    tr.flush();
    REQUIRE(recs.size() == 1);
    return recs.front();
  }
};

// Client ISN 1000, server ISN 5000.
void handshake(Harness& h) {
  h(0, tcp(0, kC, kS, S, 1000, 0));
  h(1, tcp(0, kS, kC, S | A, 5000, 1001));
  h(1, tcp(0, kC, kS, A, 1001, 5001));
}
// Client sends 5 bytes, server acks and answers 10 bytes, client acks.
void exchange(Harness& h) {
  h(1, tcp(0, kC, kS, P | A, 1001, 5001, 5));
  h(1, tcp(0, kS, kC, A, 5001, 1006));
  h(1, tcp(0, kS, kC, P | A, 5001, 1006, 10));
  h(1, tcp(0, kC, kS, A, 1006, 5011));
}

}  // namespace

TEST_CASE("seq arithmetic wraps modulo 2^32") {
  using namespace synscope::track;
  CHECK(seq_lt(0xFFFFFFF0U, 0x10U));
  CHECK(seq_gt(0x10U, 0xFFFFFFF0U));
  CHECK(seq_le(5U, 5U));
  CHECK(seq_ge(5U, 5U));
  CHECK_FALSE(seq_lt(5U, 5U));
  CHECK(seq_delta(3U, 0xFFFFFFFFU) == 4);
  CHECK(seq_between(1U, 0xFFFFFFFEU, 3U));
  CHECK_FALSE(seq_between(4U, 0xFFFFFFFEU, 3U));
}

TEST_CASE("step_name and flags_label spell the labels") {
  using synscope::track::flags_label;
  using synscope::track::step_name;
  CHECK(std::string(step_name(Step::kHandshake1)) == "handshake 1/3");
  CHECK(std::string(step_name(Step::kTeardown23)) == "teardown 2+3/4");
  CHECK(std::string(step_name(Step::kNone)).empty());
  CHECK(std::string(flags_label(S, 0)) == "SYN");
  CHECK(std::string(flags_label(S | A, 0)) == "SYN-ACK");
  CHECK(std::string(flags_label(A, 0)) == "ACK");
  CHECK(std::string(flags_label(P | A, 3)) == "DATA");
  CHECK(std::string(flags_label(F | A, 0)) == "FIN-ACK");
  CHECK(std::string(flags_label(R | A, 0)) == "RST-ACK");
  CHECK(std::string(flags_label(R, 0)) == "RST");
  CHECK(std::string(flags_label(F | R, 0)) == "FIN-RST");
}

TEST_CASE("SF: 4-way close, steps, bytes, handshake timing") {
  Harness h;
  const PacketLabel l1 = h(0, tcp(0, kC, kS, S, 1000, 0));
  const PacketLabel l2 = h(37, tcp(0, kS, kC, S | A, 5000, 1001));
  const PacketLabel l3 = h(12, tcp(0, kC, kS, A, 1001, 5001));
  CHECK(l1.step == Step::kHandshake1);
  CHECK(l1.is_orig);
  CHECK(l1.rel_seq == 0);
  CHECK(l2.step == Step::kHandshake2);
  CHECK_FALSE(l2.is_orig);
  CHECK(l2.rel_seq == 0);
  CHECK(l2.rel_ack == 1);
  CHECK(l2.since_syn_ns == 37 * kMs);
  CHECK(l3.step == Step::kHandshake3);
  CHECK(l3.since_syn_ns == 49 * kMs);
  CHECK(l3.rel_seq == 1);
  CHECK(l3.rel_ack == 1);
  CHECK(l1.conn_id == l3.conn_id);
  CHECK(std::string(l1.uid) == std::string(l3.uid));
  CHECK(l1.uid[0] == 'C');
  exchange(h);
  const PacketLabel f1 = h(1, tcp(0, kC, kS, F | A, 1006, 5011));
  const PacketLabel f2 = h(1, tcp(0, kS, kC, A, 5011, 1007));
  const PacketLabel f3 = h(1, tcp(0, kS, kC, F | A, 5011, 1007));
  const PacketLabel f4 = h(1, tcp(0, kC, kS, A, 1007, 5012));
  CHECK(f1.step == Step::kTeardown1);
  CHECK(f1.rel_seq == 6);
  CHECK(f2.step == Step::kTeardown2);
  CHECK(f3.step == Step::kTeardown3);
  CHECK(f4.step == Step::kTeardown4);
  CHECK(f4.rel_seq == 7);
  CHECK(f4.rel_ack == 12);
  CHECK(h.recs.empty());
  // Zeek deletes a closed connection tcp_close_delay (5 s) after its last time.
  h.tr.expire(h.now + 4 * kSec);
  CHECK(h.recs.empty());
  h.tr.expire(h.now + 6 * kSec);
  REQUIRE(h.recs.size() == 1);
  const ConnRecord& r = h.recs[0];
  CHECK(r.conn_state == "SF");
  CHECK(r.history == "ShADadFf");
  CHECK(r.orig_bytes == 5);
  CHECK(r.resp_bytes == 10);
  CHECK(r.orig_pkts == 6);
  CHECK(r.resp_pkts == 5);
  CHECK(r.orig_ip_bytes == 6 * 40 + 5);
  CHECK(r.resp_ip_bytes == 5 * 40 + 10);
  CHECK(r.teardown == "fin-4way");
  CHECK(r.end_reason == "closed");
  CHECK(r.handshake_rtt_ns == 49 * kMs);
  CHECK(r.synack_delay_ns == 37 * kMs);
  CHECK(r.ack_delay_ns == 12 * kMs);
  CHECK(r.uid == std::string(l1.uid));
  CHECK(r.orig_p == kC.port);
  CHECK(r.resp_p == kS.port);
  // Duration stops at the second FIN (the last ACK comes after both sides closed).
  CHECK(r.last_ns - r.ts_ns == (37 + 12 + 4 + 3) * kMs);
  CHECK(h.tr.active() == 0);
}

TEST_CASE("SF: 3-way close labels the FIN-ACK teardown 2+3/4") {
  Harness h;
  handshake(h);
  exchange(h);
  CHECK(h(1, tcp(0, kS, kC, F | A, 5011, 1006)).step == Step::kTeardown1);
  CHECK(h(1, tcp(0, kC, kS, F | A, 1006, 5012)).step == Step::kTeardown23);
  CHECK(h(1, tcp(0, kS, kC, A, 5012, 1007)).step == Step::kTeardown4);
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "SF");
  CHECK(r.history == "ShADadfF");
  CHECK(r.teardown == "fin-3way");
}

TEST_CASE("simultaneous close: crossing FINs") {
  Harness h;
  handshake(h);
  CHECK(h(1, tcp(0, kC, kS, F | A, 1001, 5001)).step == Step::kTeardown1);
  CHECK(h(0, tcp(0, kS, kC, F | A, 5001, 1001)).step == Step::kSimultaneousFin);
  CHECK(h(1, tcp(0, kC, kS, A, 1002, 5002)).step == Step::kTeardown4);
  CHECK(h(0, tcp(0, kS, kC, A, 5002, 1002)).step == Step::kTeardown4);
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "SF");
  CHECK(r.teardown == "simultaneous");
}

TEST_CASE("half close: the server keeps sending after the client's FIN") {
  Harness h;
  handshake(h);
  CHECK(h(1, tcp(0, kC, kS, F | A, 1001, 5001)).step == Step::kTeardown1);
  // The server acknowledges the FIN while sending data: 2/4.
  CHECK(h(1, tcp(0, kS, kC, P | A, 5001, 1002, 100)).step == Step::kTeardown2);
  CHECK(h(1, tcp(0, kC, kS, A, 1002, 5101)).step == Step::kNone);
  CHECK(h(1, tcp(0, kS, kC, P | A, 5101, 1002, 100)).step == Step::kNone);
  CHECK(h(1, tcp(0, kS, kC, F | A, 5201, 1002)).step == Step::kTeardown3);
  CHECK(h(1, tcp(0, kC, kS, A, 1002, 5202)).step == Step::kTeardown4);
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "SF");
  CHECK(r.history == "ShAFdf");  // the server never sent a pure ACK
  CHECK(r.resp_bytes == 200);
  CHECK(r.teardown == "half-close");  // data flowed after the first FIN
}

TEST_CASE("half close that never finishes: S2 / S3 and teardown half-close") {
  SUBCASE("S2: only the originator closes") {
    Harness h;
    handshake(h);
    h(1, tcp(0, kC, kS, F | A, 1001, 5001));
    h(1, tcp(0, kS, kC, A, 5001, 1002));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "S2");
    CHECK(r.history == "ShAFa");
    CHECK(r.teardown == "half-close");
  }
  SUBCASE("S3: only the responder closes") {
    Harness h;
    handshake(h);
    h(1, tcp(0, kS, kC, F | A, 5001, 1001));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "S3");
    CHECK(r.history == "ShAf");
  }
}

TEST_CASE("FIN then RST is labelled reset and stays SF when both FINs were seen") {
  Harness h;
  handshake(h);
  h(1, tcp(0, kC, kS, F | A, 1001, 5001));
  h(1, tcp(0, kS, kC, F | A, 5001, 1002));
  const PacketLabel l = h(1, tcp(0, kC, kS, R, 1002, 0));
  CHECK(l.step == Step::kReset);
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "SF");  // UpdateClosedState: RST after a FIN exchange changes nothing
  CHECK(r.history == "ShAFfR");
  CHECK(r.teardown == "fin-3way");
}

TEST_CASE("FIN then RST before the peer's FIN: RSTO") {
  Harness h;
  handshake(h);
  h(1, tcp(0, kC, kS, F | A, 1001, 5001));
  h(1, tcp(0, kC, kS, R | A, 1002, 5001));
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "RSTO");
  CHECK(r.history == "ShAFR");
  CHECK(r.teardown == "reset-orig");
}

TEST_CASE("every conn_state") {
  SUBCASE("S0: SYN, no reply") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "S0");
    CHECK(r.history == "S");
    CHECK(r.teardown == "unanswered");
    CHECK_FALSE(r.bytes_known);
    CHECK(r.end_reason == "end-of-input");
  }
  SUBCASE("S1: established, not closed") {
    Harness h;
    handshake(h);
    exchange(h);
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "S1");
    CHECK(r.history == "ShADad");
    CHECK(r.teardown == "open");
    CHECK(r.bytes_known);
  }
  SUBCASE("REJ: SYN answered by RST") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    h(1, tcp(0, kS, kC, R | A, 0, 1001));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "REJ");
    CHECK(r.history == "Sr");
    CHECK(r.teardown == "rejected");
    CHECK(r.orig_bytes == 0);
    CHECK(r.resp_bytes == 0);
  }
  SUBCASE("RSTO: originator aborts") {
    Harness h;
    handshake(h);
    exchange(h);
    h(1, tcp(0, kC, kS, R | A, 1006, 5011));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "RSTO");
    CHECK(r.history == "ShADadR");
    CHECK(r.teardown == "reset-orig");
  }
  SUBCASE("RSTR: responder aborts") {
    Harness h;
    handshake(h);
    exchange(h);
    h(1, tcp(0, kS, kC, R | A, 5011, 1006));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "RSTR");
    CHECK(r.history == "ShADadr");
    CHECK(r.teardown == "reset-resp");
  }
  SUBCASE("RSTOS0: SYN then the originator's RST") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    h(1, tcp(0, kC, kS, R, 1001, 0));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "RSTOS0");
    CHECK(r.history == "SR");
  }
  SUBCASE("RSTRH: SYN-ACK from a likely server port (flipped) then the responder's RST") {
    Harness h;
    const Ep web{"198.51.100.80", 80};
    h(0, tcp(0, web, kC, S | A, 5000, 1001));
    h(1, tcp(0, web, kC, R, 5001, 0));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "RSTRH");
    CHECK(r.history == "^hr");
    CHECK(r.orig_p == kC.port);
  }
  SUBCASE("SH: SYN then FIN, no reply") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    h(1, tcp(0, kC, kS, F, 1001, 0));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "SH");
    CHECK(r.history == "SF");
  }
  SUBCASE("SHR: SYN-ACK then FIN from the responder") {
    Harness h;
    h(0, tcp(0, kS, kC, S | A, 5000, 1001));
    h(1, tcp(0, kS, kC, F | A, 5001, 1001));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "SHR");
    CHECK(r.history == "^hf");
  }
  SUBCASE("OTH: midstream traffic") {
    Harness h;
    h(0, tcp(0, kC, kS, P | A, 70000, 90000, 100));
    h(1, tcp(0, kS, kC, P | A, 90000, 70100, 50));
    h(1, tcp(0, kC, kS, A, 70100, 90050));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "OTH");
    CHECK(r.history == "DdA");
    CHECK(r.orig_bytes == 100);
    CHECK(r.resp_bytes == 50);
  }
}

TEST_CASE("midstream start: tshark-style relative numbers start at 1") {
  Harness h;
  const PacketLabel a = h(0, tcp(0, kC, kS, P | A, 70000, 90000, 100));
  const PacketLabel b = h(1, tcp(0, kS, kC, P | A, 90000, 70100, 50));
  CHECK(a.rel_seq == 1);
  CHECK(a.rel_ack == 1);
  CHECK(b.rel_seq == 1);
  CHECK(b.rel_ack == 101);
  CHECK(a.step == Step::kNone);
}

TEST_CASE("history: A and D once per direction, S/F/R again only for a new sequence number") {
  Harness h;
  handshake(h);
  for (int i = 0; i < 3; ++i) {
    h(1, tcp(0, kC, kS, P | A, 1001U + 10U * static_cast<std::uint32_t>(i), 5001, 10));
    h(1, tcp(0, kS, kC, A, 5001, 1011U + 10U * static_cast<std::uint32_t>(i)));
  }
  h(1, tcp(0, kC, kS, F | A, 1031, 5001));
  h(1, tcp(0, kC, kS, F | A, 1031, 5001));  // retransmitted FIN: same sequence number, no second F
  const ConnRecord& r = h.only();
  CHECK(r.history == "ShADaF");
  CHECK(r.orig_bytes == 30);
}

TEST_CASE("retransmitted SYN does not start a new connection") {
  Harness h;
  const PacketLabel a = h(0, tcp(0, kC, kS, S, 1000, 0));
  const PacketLabel b = h(1000, tcp(0, kC, kS, S, 1000, 0));
  CHECK(b.retransmission);
  CHECK(b.step == Step::kHandshake1);
  CHECK(a.conn_id == b.conn_id);
  h(1, tcp(0, kS, kC, S | A, 5000, 1001));
  h(1, tcp(0, kC, kS, A, 1001, 5001));
  const ConnRecord& r = h.only();
  CHECK(r.history == "ShA");
  CHECK(r.syn_retransmits == 1);
  CHECK(r.conn_state == "S1");
  CHECK(r.synack_delay_ns == 1001 * kMs);
}

TEST_CASE("retransmitted data: T on a logarithmic scale (1st, 10th)") {
  Harness h;
  handshake(h);
  h(1, tcp(0, kC, kS, P | A, 1001, 5001, 10));
  const PacketLabel first = h(1, tcp(0, kC, kS, P | A, 1001, 5001, 10));
  CHECK(first.retransmission);
  for (int i = 0; i < 8; ++i) h(1, tcp(0, kC, kS, P | A, 1001, 5001, 10));
  h.tr.flush();
  REQUIRE(h.recs.size() == 1);
  CHECK(h.recs[0].history == "ShADT");  // 9 retransmissions: one T
  Harness g;
  handshake(g);
  g(1, tcp(0, kC, kS, P | A, 1001, 5001, 10));
  for (int i = 0; i < 10; ++i) g(1, tcp(0, kC, kS, P | A, 1001, 5001, 10));
  CHECK(g.only().history == "ShADTT");  // the 10th adds the second T
}

TEST_CASE("zero window, FIN+RST and SYN+FIN letters") {
  Harness h;
  handshake(h);
  h(1, tcp(0, kS, kC, A, 5001, 1001, 0, 0));    // zero window from the responder
  h(1, tcp(0, kC, kS, S | F, 1000, 0));          // SYN+FIN: Q
  h(1, tcp(0, kC, kS, F | R | A, 1001, 5001));   // FIN+RST: I
  const ConnRecord& r = h.only();
  CHECK(r.history == "ShAawQI");
}

TEST_CASE("bad checksums: processed when ignored, C/c and skipped otherwise") {
  SUBCASE("ignore_bad_checksums = true (like zeek -C)") {
    Harness h;
    PacketSummary p = tcp(0, kC, kS, S, 1000, 0);
    p.checksum_bad = true;
    h(0, p);
    const ConnRecord& r = h.only();
    CHECK(r.history == "S");
    CHECK(r.orig_pkts == 1);
  }
  SUBCASE("ignore_bad_checksums = false (Zeek's default)") {
    TrackerOptions o;
    o.ignore_bad_checksums = false;
    Harness h(o);
    PacketSummary p = tcp(0, kC, kS, S, 1000, 0);
    p.checksum_bad = true;
    h(0, p);
    const ConnRecord& r = h.only();
    CHECK(r.history == "C");
    CHECK(r.conn_state == "OTH");
    CHECK(r.orig_pkts == 0);
  }
  SUBCASE("a bad IPv4 header checksum drops the packet before tracking") {
    TrackerOptions o;
    o.ignore_bad_checksums = false;
    Harness h(o);
    PacketSummary p = tcp(0, kC, kS, S, 1000, 0);
    p.ip_checksum_bad = true;
    CHECK(h(0, p).conn_id == 0);
    h.tr.flush();
    CHECK(h.recs.empty());
  }
}

TEST_CASE("port reuse: a new SYN with another ISN on a closed 4-tuple starts a new connection") {
  Harness h;
  handshake(h);
  h(1, tcp(0, kC, kS, F | A, 1001, 5001));
  h(1, tcp(0, kS, kC, F | A, 5001, 1002));
  const PacketLabel old_last = h(1, tcp(0, kC, kS, A, 1002, 5002));
  const PacketLabel fresh = h(100, tcp(0, kC, kS, S, 777777, 0));
  CHECK(fresh.conn_id != old_last.conn_id);
  CHECK(std::string(fresh.uid) != std::string(old_last.uid));
  REQUIRE(h.recs.size() == 1);
  CHECK(h.recs[0].conn_state == "SF");
  CHECK(h.recs[0].end_reason == "reused");
  h.tr.flush();
  REQUIRE(h.recs.size() == 2);
  CHECK(h.recs[1].history == "S");
  CHECK(h.recs[1].conn_state == "S0");
}

TEST_CASE("SYN-ACK first: flipped, and the missing SYN does not make it partial") {
  Harness h;
  const PacketLabel a = h(0, tcp(0, kS, kC, S | A, 5000, 1001));
  CHECK(a.is_orig);  // 7001 is no likely server port: the flip waits for the next packet
  const PacketLabel b = h(1, tcp(0, kC, kS, A, 1001, 5001));
  CHECK(b.is_orig);
  h(1, tcp(0, kC, kS, P | A, 1001, 5001, 20));
  h(1, tcp(0, kS, kC, P | A, 5001, 1021, 30));
  const ConnRecord& r = h.only();
  CHECK(r.history == "^hADd");
  CHECK(r.conn_state == "S1");
  CHECK(r.orig_h == addr(kC.ip));
  CHECK(r.orig_bytes == 20);
  CHECK(r.resp_bytes == 30);
}

TEST_CASE("SYN and SYN-ACK in reverse order are flipped back (Zeek's SYN/SYN-ACK reversal)") {
  Harness h;
  h(0, tcp(0, kS, kC, S | A, 5000, 1001));
  h(0, tcp(0, kC, kS, S, 1000, 0));
  h(1, tcp(0, kC, kS, A, 1001, 5001));
  const ConnRecord& r = h.only();
  CHECK(r.orig_h == addr(kC.ip));
  CHECK(r.conn_state == "S1");
  CHECK(r.history == "Hs^A");  // as in Zeek's tcp/handshake-reorder event baseline ("Hs^ADadFf")
}

TEST_CASE("a SYN-ACK followed by an ACK from the same side is flipped (Zeek PR 2191)") {
  Harness h;
  h(0, tcp(0, kS, kC, S | A, 5000, 1001));
  h(1, tcp(0, kS, kC, A, 5001, 1001));
  h(1, tcp(0, kS, kC, F | A, 5001, 1001));
  const ConnRecord& r = h.only();
  CHECK(r.history == "^haf");  // Zeek's tcp/one-sided-2745 baseline
  CHECK(r.orig_h == addr(kC.ip));
  CHECK(r.resp_pkts == 3);
  CHECK(r.orig_pkts == 0);
  CHECK(r.conn_state == "SHR");
}

TEST_CASE("a SYN-ACK followed by a RST is not flipped (a stealth scan)") {
  Harness h;
  h(0, tcp(0, kS, kC, S | A, 5000, 1001));
  h(1, tcp(0, kC, kS, R, 1001, 0));
  const ConnRecord& r = h.only();
  CHECK(r.history == "Hr");
  CHECK(r.orig_h == addr(kS.ip));
}

TEST_CASE("midstream traffic from a likely server port is flipped") {
  Harness h;
  const Ep web{"198.51.100.80", 80};
  h(0, tcp(0, web, kC, P | A, 9000, 1000, 100));
  const ConnRecord& r = h.only();
  CHECK(r.history == "^d");
  CHECK(r.resp_p == 80);
  CHECK(r.conn_state == "OTH");
}

TEST_CASE("sequence numbers wrapping around 2^32") {
  Harness h;
  const std::uint32_t isn = 0xFFFFFF00U;
  h(0, tcp(0, kC, kS, S, isn, 0));
  h(1, tcp(0, kS, kC, S | A, 5000, isn + 1));
  h(1, tcp(0, kC, kS, A, isn + 1, 5001));
  std::uint32_t seq = isn + 1;
  for (int i = 0; i < 4; ++i) {  // 4 x 100 bytes cross the wrap after 255 bytes
    const PacketLabel l = h(1, tcp(0, kC, kS, P | A, seq, 5001, 100));
    CHECK(l.rel_seq == 1 + 100 * i);
    CHECK_FALSE(l.retransmission);
    seq += 100;
    h(1, tcp(0, kS, kC, A, 5001, seq));
  }
  h(1, tcp(0, kC, kS, F | A, seq, 5001));
  h(1, tcp(0, kS, kC, F | A, 5001, seq + 1));
  h(1, tcp(0, kC, kS, A, seq + 1, 5002));
  const ConnRecord& r = h.only();
  CHECK(r.conn_state == "SF");
  CHECK(r.history == "ShADaFf");
  CHECK(r.orig_bytes == 400);
}

TEST_CASE("timeouts") {
  SUBCASE("attempt: an unanswered SYN is removed 5 s later") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    h.tr.expire(h.now + 4900 * kMs);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 5 * kSec);
    REQUIRE(h.recs.size() == 1);
    CHECK(h.recs[0].conn_state == "S0");
    CHECK(h.recs[0].end_reason == "timeout");
  }
  SUBCASE("attempt timer removes the attempt even with data in it (Zeek's ssh half-duplex baseline)") {
    Harness h;
    h(0, tcp(0, kC, kS, S, 1000, 0));
    h(1000, tcp(0, kC, kS, P | A, 1001, 5001, 10));
    h(5000, tcp(0, kC, kS, P | A, 1011, 5001, 10));  // after the attempt timer: a new, partial connection
    REQUIRE(h.recs.size() == 1);
    CHECK(h.recs[0].history == "SD");
    CHECK(h.recs[0].conn_state == "S0");
    h.tr.flush();
    REQUIRE(h.recs.size() == 2);
    CHECK(h.recs[1].history == "D");
    CHECK(h.recs[1].conn_state == "OTH");
  }
  SUBCASE("inactivity: an established connection lives 5 minutes after its last packet") {
    Harness h;
    handshake(h);
    h.tr.expire(h.now + 299 * kSec);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 300 * kSec);
    REQUIRE(h.recs.size() == 1);
    CHECK(h.recs[0].conn_state == "S1");
    CHECK(h.recs[0].end_reason == "timeout");
  }
  SUBCASE("inactivity: a packet resets the clock") {
    Harness h;
    handshake(h);
    h(200'000, tcp(0, kC, kS, A, 1001, 5001));
    h.tr.expire(h.now + 299 * kSec);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 301 * kSec);
    CHECK(h.recs.size() == 1);
  }
  SUBCASE("reset: a reset connection is deleted 5 s after its last packet") {
    Harness h;
    handshake(h);
    h(1, tcp(0, kC, kS, R, 1001, 0));
    h.tr.expire(h.now + 4 * kSec);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 5 * kSec);
    REQUIRE(h.recs.size() == 1);
    CHECK(h.recs[0].conn_state == "RSTO");
    CHECK(h.recs[0].end_reason == "closed");
  }
  SUBCASE("UDP: 1 minute of inactivity") {
    Harness h;
    h(0, udp(0, kC, kS, 10));
    h.tr.expire(h.now + 59 * kSec);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 60 * kSec);
    REQUIRE(h.recs.size() == 1);
    CHECK(h.recs[0].proto == 17);
    CHECK(h.recs[0].end_reason == "timeout");
  }
  SUBCASE("ICMP: 1 minute of inactivity") {
    Harness h;
    PacketSummary p;
    p.src = addr(kC.ip);
    p.dst = addr(kS.ip);
    p.proto = 1;
    p.sport = 8;
    p.dport = 0;
    p.ip_len = 84;
    p.payload_len = 56;
    h(0, p);
    h.tr.expire(h.now + 59 * kSec);
    CHECK(h.recs.empty());
    h.tr.expire(h.now + 61 * kSec);
    CHECK(h.recs.size() == 1);
  }
  SUBCASE("a later packet expires idle connections first") {
    Harness h;
    h(0, udp(0, kC, kS, 10));
    h(61'000, udp(0, kC, Ep{"198.51.100.9", 9999}, 10));
    CHECK(h.recs.size() == 1);
    CHECK(h.tr.active() == 1);
  }
}

TEST_CASE("max_conns: the least recently active connection is evicted and still reported") {
  TrackerOptions o;
  o.max_conns = 3;
  Harness h(o);
  for (std::uint16_t i = 0; i < 5; ++i) h(1, tcp(0, Ep{"192.0.2.1", static_cast<std::uint16_t>(40000 + i)}, kS, S, 1000, 0));
  CHECK(h.tr.active() == 3);
  CHECK(h.tr.evicted() == 2);
  REQUIRE(h.recs.size() == 2);
  CHECK(h.recs[0].orig_p == 40000);
  CHECK(h.recs[1].orig_p == 40001);
  CHECK(h.recs[0].end_reason == "evicted");
  CHECK(h.recs[0].conn_state == "S0");
  h.tr.flush();
  CHECK(h.recs.size() == 5);
}

TEST_CASE("a SYN flood stays within max_conns and reports every connection") {
  TrackerOptions o;
  o.max_conns = 1000;
  std::size_t reported = 0;
  ConnTracker tr(o, [&](const ConnRecord&) { ++reported; });
  PacketSummary p = tcp(kT0, kC, kS, S, 1, 0);
  for (std::uint32_t i = 0; i < 20000; ++i) {
    p.ts_ns = kT0 + static_cast<std::int64_t>(i) * 1000;  // 1 µs apart: no timeout helps
    p.src.bytes[2] = static_cast<std::uint8_t>(i >> 8U);
    p.src.bytes[3] = static_cast<std::uint8_t>(i);
    p.sport = static_cast<std::uint16_t>(1024 + i % 50000);
    tr.update(p);
    REQUIRE(tr.active() <= 1000);
  }
  tr.flush();
  CHECK(reported == 20000);
  CHECK(tr.evicted() == 19000);
}

TEST_CASE("many connections: lookups stay correct across table growth and deletions") {
  Harness h;
  for (std::uint16_t i = 0; i < 3000; ++i) {
    const Ep c{"192.0.2.7", static_cast<std::uint16_t>(10000 + i)};
    h(0, tcp(0, c, kS, S, 100, 0));
    h(0, tcp(0, kS, c, S | A, 200, 101));
    if (i % 2 == 0) h(0, tcp(0, kS, c, R | A, 201, 101));  // every other one is reset
  }
  // Every connection is still found from both directions.
  for (std::uint16_t i = 1; i < 3000; i += 2) {
    const Ep c{"192.0.2.7", static_cast<std::uint16_t>(10000 + i)};
    h(0, tcp(0, c, kS, A, 101, 201));
  }
  h.tr.flush();
  REQUIRE(h.recs.size() == 3000);
  std::size_t s1 = 0;
  std::size_t rstr = 0;
  for (const ConnRecord& r : h.recs) {
    if (r.conn_state == "S1" && r.history == "ShA") ++s1;
    if (r.conn_state == "RSTR" && r.history == "Shr") ++rstr;
  }
  CHECK(s1 == 1500);
  CHECK(rstr == 1500);
}

TEST_CASE("UDP and ICMP flows") {
  SUBCASE("UDP request/response: SF Dd") {
    Harness h;
    h(0, udp(0, kC, kS, 38));
    h(1, udp(0, kS, kC, 89));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "SF");
    CHECK(r.history == "Dd");
    CHECK(r.orig_bytes == 38);
    CHECK(r.resp_bytes == 89);
    CHECK(r.teardown.empty());
  }
  SUBCASE("UDP one way: S0 D") {
    Harness h;
    h(0, udp(0, kC, kS, 10));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "S0");
    CHECK(r.history == "D");
  }
  SUBCASE("UDP answer from a likely server port only: flipped SHR ^d") {
    Harness h;
    h(0, udp(0, Ep{"198.51.100.53", 53}, kC, 100));
    const ConnRecord& r = h.only();
    CHECK(r.conn_state == "SHR");
    CHECK(r.history == "^d");
    CHECK(r.resp_p == 53);
  }
  SUBCASE("ICMP echo request and reply are one flow (type 8 -> counterpart 0)") {
    Harness h;
    PacketSummary req;
    req.src = addr(kC.ip);
    req.dst = addr(kS.ip);
    req.proto = 1;
    req.sport = 8;
    req.dport = 0;
    req.ip_len = 84;
    req.payload_len = 56;
    PacketSummary rep = req;
    rep.src = req.dst;
    rep.dst = req.src;
    rep.sport = 0;
    rep.dport = 8;
    const PacketLabel a = h(0, req);
    const PacketLabel b = h(1, rep);
    CHECK(a.conn_id == b.conn_id);
    CHECK_FALSE(b.is_orig);
    const ConnRecord& r = h.only();
    CHECK(r.proto == 1);
    CHECK(r.orig_p == 8);
    CHECK(r.resp_p == 0);
    CHECK(r.conn_state == "OTH");
    CHECK(r.history.empty());
    CHECK(r.orig_bytes == 56);
    CHECK(r.resp_bytes == 56);
    CHECK(r.orig_pkts == 1);
    CHECK(r.resp_pkts == 1);
  }
}

TEST_CASE("uids are deterministic and distinct") {
  auto run = [] {
    Harness h;
    handshake(h);
    h(1, tcp(0, Ep{"192.0.2.9", 1234}, kS, S, 1, 0));
    h.tr.flush();
    return h.recs;
  };
  const auto a = run();
  const auto b = run();
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  CHECK(a[0].uid == b[0].uid);
  CHECK(a[1].uid == b[1].uid);
  CHECK(a[0].uid != a[1].uid);
  CHECK(a[0].uid.size() >= 12);
  CHECK(a[0].uid[0] == 'C');
}

TEST_CASE("flush reports in start order - SYN options are kept per side") {
  Harness h;
  PacketSummary syn = tcp(0, kC, kS, S, 1000, 0);
  syn.has_mss = true;
  syn.mss = 1460;
  syn.has_wscale = true;
  syn.wscale = 7;
  syn.sack_ok = true;
  syn.has_timestamps = true;
  h(0, syn);
  PacketSummary synack = tcp(0, kS, kC, S | A, 5000, 1001);
  synack.has_mss = true;
  synack.mss = 1400;
  h(1, synack);
  h(1, tcp(0, Ep{"192.0.2.50", 5555}, kS, S, 1, 0));
  h.tr.flush();
  REQUIRE(h.recs.size() == 2);
  CHECK(h.recs[0].orig_p == kC.port);
  CHECK(h.recs[0].orig_opts.mss == 1460);
  CHECK(h.recs[0].orig_opts.wscale == 7);
  CHECK(h.recs[0].orig_opts.sack_ok);
  CHECK(h.recs[0].orig_opts.timestamps);
  CHECK(h.recs[0].resp_opts.mss == 1400);
  CHECK_FALSE(h.recs[0].resp_opts.has_wscale);
  CHECK(h.recs[1].orig_p == 5555);
}

TEST_CASE("from_frame copies scalars and maps ICMP types to Zeek's ports") {
  using synscope::decode::DecodedFrame;
  using synscope::decode::Transport;
  DecodedFrame f;
  f.ip.version = 4;
  f.ip.src = addr("192.0.2.1");
  f.ip.dst = addr("192.0.2.2");
  f.ip.proto = 1;
  f.ip.total_len = 84;
  f.transport = Transport::kIcmp;
  f.icmp.type = 0;  // echo reply
  f.icmp.payload_len = 56;
  PacketSummary p = synscope::track::from_frame(f, 42);
  CHECK(p.ts_ns == 42);
  CHECK(p.proto == 1);
  CHECK(p.sport == 0);
  CHECK(p.dport == 8);
  CHECK_FALSE(p.icmp_one_way);
  CHECK(p.payload_len == 56);
  f.icmp.type = 3;  // unreachable, code 3: one way, "port" = code
  f.icmp.code = 3;
  p = synscope::track::from_frame(f, 42);
  CHECK(p.sport == 3);
  CHECK(p.dport == 3);
  CHECK(p.icmp_one_way);
  f.transport = Transport::kIcmp6;
  f.ip.proto = 58;
  f.icmp.type = 135;  // neighbour solicitation -> advertisement
  f.icmp.code = 0;
  p = synscope::track::from_frame(f, 42);
  CHECK(p.proto == 58);
  CHECK(p.dport == 136);
  f.transport = Transport::kTcp;
  f.ip.proto = 6;
  f.tcp.sport = 1;
  f.tcp.dport = 2;
  f.tcp.flags = 0x12;
  f.tcp.seq = 7;
  f.tcp.checksum_state = synscope::decode::ChecksumState::kBad;
  f.tcp.opt.has_mss = true;
  f.tcp.opt.mss = 1460;
  p = synscope::track::from_frame(f, 1);
  CHECK(p.proto == 6);
  CHECK(p.tcp_flags == 0x12);
  CHECK(p.seq == 7);
  CHECK(p.checksum_bad);
  CHECK(p.mss == 1460);
  DecodedFrame none;
  CHECK(synscope::track::from_frame(none, 1).proto == 0);
}

TEST_CASE("after flush the table is empty: the same flows start new connections") {
  // flush() reports every open connection and empties the hash table at once (not slot by slot): a
  // later packet of a flushed flow must open a new connection, found again by its next packet, and
  // many flows (the table grown, probe chains long) must all come back.
  Harness h;
  h(0, tcp(0, kC, kS, S, 1000, 0));
  h(1, tcp(0, kS, kC, S | A, 5000, 1001));
  for (std::uint16_t i = 0; i < 3000; ++i) h(0, tcp(0, Ep{"192.0.2.9", static_cast<std::uint16_t>(1024 + i)}, kS, S, i, 0));
  CHECK(h.tr.active() == 3001);
  h.tr.flush();
  CHECK(h.tr.active() == 0);
  REQUIRE(h.recs.size() == 3001);
  CHECK(h.recs[0].history == "Sh");
  h.recs.clear();
  h(1, tcp(0, kC, kS, S, 2000, 0));
  h(1, tcp(0, kS, kC, S | A, 7000, 2001));
  h(1, tcp(0, kC, kS, A, 2001, 7001));
  for (std::uint16_t i = 0; i < 3000; ++i) h(0, tcp(0, Ep{"192.0.2.9", static_cast<std::uint16_t>(1024 + i)}, kS, S, i, 0));
  CHECK(h.tr.active() == 3001);
  h.tr.flush();
  REQUIRE(h.recs.size() == 3001);
  CHECK(h.recs[0].history == "ShA");
  CHECK(h.recs[0].orig_pkts == 2);
  for (std::size_t i = 1; i < h.recs.size(); ++i) CHECK(h.recs[i].orig_pkts == 1);
}

namespace {

/// Records (every field) and labels of a conversation tracked with the fast path for plain ACK segments
/// on or off (the general path is the reference), as comparable lines; `history` gets the last record's.
std::vector<std::string> tracked(const std::vector<std::pair<std::int64_t, PacketSummary>>& packets, bool fast_path,
                                 std::string* history = nullptr) {
  TrackerOptions o;
  o.fast_path = fast_path;
  o.hash_seed = 1;  // the same table layout in both runs (uids do not depend on it)
  std::vector<std::string> out;
  ConnTracker tr(o, [&](const ConnRecord& r) {
    out.push_back("rec " + synscope::test::dump(r));
    if (history != nullptr) *history = r.history;
  });
  std::int64_t now = kT0;
  for (const auto& [dt_ms, p] : packets) {
    now += dt_ms * kMs;
    PacketSummary q = p;
    q.ts_ns = now;
    out.push_back("lbl " + synscope::test::dump(tr.update(q)));
  }
  tr.flush();
  return out;
}

}  // namespace

TEST_CASE("fast path after FINs: teardown ACKs, half-close data, zero windows give the general path's results") {
  // Each endpoint in ESTABLISHED or CLOSED: plain ACK segments then take the fast path. Windows of 0
  // after the peer's FIN are not logged ('W'), before it they are; data after a FIN (either side),
  // retransmissions, duplicate ACKs and keep-alives in between.
  using Pkt = std::pair<std::int64_t, PacketSummary>;
  const std::vector<Pkt> handshake = {
      {0, tcp(0, kC, kS, S, 1000, 0)}, {1, tcp(0, kS, kC, S | A, 5000, 1001)}, {1, tcp(0, kC, kS, A, 1001, 5001)},
      {1, tcp(0, kC, kS, A | P, 1001, 5001, 100)}, {1, tcp(0, kS, kC, A, 5001, 1101)}};
  std::vector<std::vector<Pkt>> cases;
  {  // 4-way, with a half-close: the server keeps sending after the client's FIN
    std::vector<Pkt> v = handshake;
    v.push_back({1, tcp(0, kC, kS, F | A, 1101, 5001)});
    v.push_back({1, tcp(0, kS, kC, A, 5001, 1102)});
    v.push_back({1, tcp(0, kS, kC, A | P, 5001, 1102, 300)});
    v.push_back({1, tcp(0, kC, kS, A, 1102, 5301, 0, 0)});   // zero window from the closed side
    v.push_back({1, tcp(0, kS, kC, A, 5301, 1102, 0, 0)});   // zero window, the peer closed: no 'W'
    v.push_back({1, tcp(0, kS, kC, A | P, 5001, 1102, 300)});  // retransmitted
    v.push_back({1, tcp(0, kC, kS, A, 1102, 5301)});         // duplicate ACK
    v.push_back({1, tcp(0, kS, kC, A | P, 5301, 1102, 50)});
    v.push_back({1, tcp(0, kC, kS, A, 1102, 5351)});
    v.push_back({1, tcp(0, kS, kC, F | A, 5351, 1102)});
    v.push_back({1, tcp(0, kC, kS, A, 1102, 5352)});
    v.push_back({1, tcp(0, kC, kS, A, 1101, 5352, 1)});      // keep-alive after both FINs
    v.push_back({1, tcp(0, kS, kC, A, 5352, 1102)});
    cases.push_back(v);
  }
  {  // 3-way, then stray segments with both sides closed, data from the side that closed, a gap
    std::vector<Pkt> v = handshake;
    v.push_back({1, tcp(0, kS, kC, F | A, 5001, 1101)});
    v.push_back({1, tcp(0, kC, kS, F | A, 1101, 5002)});
    v.push_back({1, tcp(0, kS, kC, A, 5002, 1102)});
    v.push_back({1, tcp(0, kS, kC, A | P, 5002, 1102, 20)});  // data after its own FIN
    v.push_back({1, tcp(0, kC, kS, A, 1102, 5022, 0, 0)});
    v.push_back({1, tcp(0, kC, kS, A | P, 1500, 5022, 10)});  // beyond a gap
    v.push_back({1, tcp(0, kS, kC, A, 5022, 1510)});
    v.push_back({6000, tcp(0, kC, kS, A, 1102, 5022)});       // after the close delay: a new connection
    cases.push_back(v);
  }
  {  // only one side has closed when the trace ends; zero windows on both sides before any FIN
    std::vector<Pkt> v = handshake;
    v.push_back({1, tcp(0, kC, kS, A, 1101, 5001, 0, 0)});
    v.push_back({1, tcp(0, kS, kC, A, 5001, 1101, 0, 0)});
    v.push_back({1, tcp(0, kS, kC, F | A, 5001, 1101)});
    v.push_back({1, tcp(0, kC, kS, A | P, 1101, 5002, 700)});
    v.push_back({1, tcp(0, kS, kC, A, 5002, 1801, 0, 0)});
    v.push_back({1, tcp(0, kC, kS, A, 1801, 5002, 0, 0)});
    cases.push_back(v);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    const std::vector<std::string> general = tracked(cases[i], false);
    CHECK(tracked(cases[i], true) == general);
    CHECK(general.size() > cases[i].size());
  }
  // The zero-window rule itself: the client's zero window after its own FIN is logged ('W'), the
  // server's after the client's FIN is not (no 'w'); in the third case both come before any FIN.
  std::string first;
  (void)tracked(cases[0], true, &first);
  CHECK(first.find("ShADaFdW") == 0);
  CHECK(first.find('w') == std::string::npos);
  std::string third;
  (void)tracked(cases[2], true, &third);
  CHECK(third.find("ShADaWwf") == 0);
}

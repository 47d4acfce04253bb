// TextSink's connection output: a table under one header when only connections are printed, one
// self-describing "conn" line each when connections end between packet lines (live capture).

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"
#include "synscope/sink/sink.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"
#include "synscope/track/conn.hpp"

namespace {

using synscope::track::ConnRecord;

ConnRecord handshake_record() {
  ConnRecord r;
  r.uid = "Ctest";
  r.ts_ns = 1'700'000'000'000'000'000LL;
  r.last_ns = r.ts_ns + 7'062'000;  // 7.062 ms later
  r.orig_h = synscope::net::IpAddress::v4(0xC0000201U);  // 192.0.2.1
  r.orig_p = 44940;
  r.resp_h = synscope::net::IpAddress::v4(0xC0000202U);  // 192.0.2.2
  r.resp_p = 8080;
  r.proto = 6;
  r.orig_bytes = 2;
  r.resp_bytes = 5;
  r.conn_state = "SF";
  r.history = "ShADadfF";
  r.handshake_rtt_ns = 41'000;
  r.synack_delay_ns = 24'000;
  r.ack_delay_ns = 17'000;
  r.teardown = "fin-3way";
  r.end_reason = "closed";
  return r;
}

ConnRecord refused_record() {
  ConnRecord r = handshake_record();
  r.orig_p = 33268;
  r.resp_p = 8081;
  r.orig_bytes = 0;
  r.resp_bytes = 0;
  r.conn_state = "REJ";
  r.history = "Sr";
  r.handshake_rtt_ns = r.synack_delay_ns = r.ack_delay_ns = -1;
  r.teardown = "rejected";
  r.end_reason = "timeout";
  return r;
}

/// What a TextSink with `opts` prints when `feed` drives it (through a temporary file).
template <typename Feed>
std::string printed(synscope::sink::TextOptions opts, Feed feed) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    synscope::sink::Writer w(::fileno(f));
    synscope::sink::TextSink sink(w, opts);
    feed(sink);
    w.flush();
  }
  std::string out;
  std::rewind(f);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

/// What a TextSink with `opts` prints for the two records and the summary.
std::string render(synscope::sink::TextOptions opts) {
  return printed(opts, [](synscope::sink::TextSink& sink) {
    sink.conn(handshake_record());
    sink.conn(refused_record());
    sink.finish(synscope::sink::RunSummary{});
  });
}

}  // namespace

TEST_CASE("TextSink between packet lines: one self-describing conn line per connection, no table header") {
  synscope::sink::TextOptions opts;
  opts.packets = true;
  opts.stream_conns = true;
  opts.utc = true;
  opts.ascii = true;
  const std::string out = render(opts);
  INFO(out);
  CHECK(out.find(" orig ") == std::string::npos);  // no table header
  CHECK(out.find(" conn  22:13:20.007062  192.0.2.1:44940 > 192.0.2.2:8080  tcp SF ShADadfF  handshake 41 us "
                 "(syn>synack 24 us, synack>ack 17 us)  bytes 2 > / 5 <  fin-3way\n") != std::string::npos);
  CHECK(out.find(" conn  22:13:20.007062  192.0.2.1:33268 > 192.0.2.2:8081  tcp REJ Sr  bytes 0 > / 0 <  "
                 "rejected (timeout)\n") != std::string::npos);
  CHECK(out.find("connections: 2   REJ 1   SF 1\n") != std::string::npos);
}

TEST_CASE("TextSink with connections only: table rows under one header, as they end") {
  synscope::sink::TextOptions opts;
  opts.packets = false;
  opts.stream_conns = true;
  opts.utc = true;
  opts.ascii = true;
  const std::string out = render(opts);
  INFO(out);
  CHECK(out.rfind(" orig ", 0) == 0);  // the header comes first, once
  CHECK(out.find(" orig ", 1) == std::string::npos);
  CHECK(out.find(" conn ") == std::string::npos);
  CHECK(out.find(" 192.0.2.1:44940         192.0.2.2:8080          tcp   SF      ShADadfF       41 us (24 us / 17 us)") !=
        std::string::npos);
}

TEST_CASE("TextSink table rows: the longest cells the tracker makes, and longer ones, keep every byte") {
  synscope::sink::TextOptions opts;
  opts.packets = false;
  opts.stream_conns = true;
  opts.ascii = false;  // "µs": two bytes, one column
  // The widest row the tracker can make: IPv6 endpoints, 40 history letters, three durations in seconds,
  // 20-digit byte counts; then cells no tracker record has (a 100-letter history, long state and
  // teardown texts). Each row's columns are checked by position.
  auto widest = [] {
    ConnRecord r = handshake_record();
    std::array<std::byte, 16> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::byte{0xff};
    a[0] = std::byte{0x20};
    a[1] = std::byte{0x01};
    a[2] = std::byte{0x0d};
    a[3] = std::byte{0xb8};
    a[15] = std::byte{0xfe};
    r.orig_h = synscope::net::IpAddress::v6(a);
    r.resp_h = r.orig_h;
    r.orig_p = 65535;
    r.resp_p = 65534;
    r.history = std::string(40, 'D');
    r.handshake_rtt_ns = 123'456'789'012;
    r.synack_delay_ns = 23'456'789'012;
    r.ack_delay_ns = 100'000'000'000;
    r.orig_bytes = std::numeric_limits<std::uint64_t>::max();
    r.resp_bytes = std::numeric_limits<std::uint64_t>::max() - 1;
    r.conn_state = "RSTOS0";
    r.teardown = "simultaneous";
    return r;
  };
  const std::string long_history(100, 'd');
  const std::string long_state(40, 'S');
  const std::string long_teardown(50, 't');
  const std::string out = printed(opts, [&](synscope::sink::TextSink& sink) {
    sink.conn(widest());
    ConnRecord odd = widest();
    odd.history = long_history;
    odd.conn_state = long_state;
    odd.teardown = long_teardown;
    sink.conn(odd);
    sink.conn(handshake_record());  // and back to an ordinary row
  });
  INFO(out);
  std::vector<std::string> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  REQUIRE(rows.size() >= 4);
  // A cell left-aligned in a column of `width` characters (`chars` of them in `text`).
  auto col = [](const std::string& text, std::size_t width, std::size_t chars) {
    return text + std::string(chars < width ? width - chars : 0, ' ');
  };
  const std::string ep = "[2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]";
  const std::string cell = "123.457 s (23.457 s / 100.000 s)";
  const std::string bytes = "18446744073709551615 / 18446744073709551614";
  CHECK(rows[1] == " " + ep + ":65535 " + ep + ":65534 tcp   RSTOS0  " + std::string(40, 'D') + " " +
                       col(cell, 37, cell.size()) + " " + bytes + " simultaneous");
  CHECK(rows[2] == " " + ep + ":65535 " + ep + ":65534 tcp   " + long_state + " " + long_history + " " +
                       col(cell, 37, cell.size()) + " " + bytes + " " + long_teardown);
  const std::string micro = "41 \xC2\xB5s (24 \xC2\xB5s / 17 \xC2\xB5s)";  // 21 characters, 24 bytes
  CHECK(rows[3] == " " + col("192.0.2.1:44940", 23, 15) + " " + col("192.0.2.2:8080", 23, 14) + " tcp   " +
                       col("SF", 7, 2) + " " + col("ShADadfF", 14, 8) + " " + col(micro, 37, 21) + " " +
                       col("2 / 5", 17, 5) + " fin-3way");
}

TEST_CASE("TextSink: the longest TCP packet line fits the room packet() reserves for it") {
  // Every field at its widest: 20-digit frame number, IPv6 addresses with the longest text and 5-digit
  // ports, all twelve flag bits, 63-bit relative seq and ack, every note, 40 bytes of options.
  std::vector<std::byte> opt_bytes;
  for (int variant = 0; variant < 3; ++variant) {
    opt_bytes.clear();
    if (variant == 0) {  // twenty two-byte unknown options: the most text per option byte
      for (int i = 0; i < 20; ++i) opt_bytes.insert(opt_bytes.end(), {std::byte{200}, std::byte{2}});
    } else if (variant == 1) {  // nineteen, then a malformed one: ",bad-opts"
      for (int i = 0; i < 19; ++i) opt_bytes.insert(opt_bytes.end(), {std::byte{200}, std::byte{2}});
      opt_bytes.insert(opt_bytes.end(), {std::byte{200}, std::byte{1}});
    } else {  // four timestamps with the largest values
      for (int i = 0; i < 4; ++i) {
        opt_bytes.insert(opt_bytes.end(), {std::byte{8}, std::byte{10}});
        for (int k = 0; k < 8; ++k) opt_bytes.push_back(std::byte{0xFF});
      }
    }
    synscope::decode::DecodedFrame f;
    f.ip.version = 6;
    f.ip.src.version = 6;
    f.ip.src.bytes.fill(0xFF);  // ffff:…:ffff, the longest IPv6 text
    f.ip.dst = f.ip.src;
    f.ip.header_checksum = synscope::decode::ChecksumState::kBad;
    f.transport = synscope::decode::Transport::kTcp;
    f.tcp.sport = 65535;
    f.tcp.dport = 65535;
    f.tcp.flags = 0xFFF;
    f.tcp.window = 65535;
    f.tcp.payload_len = std::numeric_limits<std::uint32_t>::max();
    f.tcp.options = synscope::Bytes(opt_bytes.data(), opt_bytes.size());
    f.tcp.checksum_state = synscope::decode::ChecksumState::kBad;
    REQUIRE(f.has_ip());
    synscope::capture::RawFrame raw;
    raw.frame_no = std::numeric_limits<std::uint64_t>::max();
    raw.ts_ns = 1'700'000'000'123'456'789LL;
    synscope::track::PacketLabel label;
    label.step = synscope::track::Step::kSimultaneousFin;
    label.retransmission = true;
    label.rel_seq = std::numeric_limits<std::int64_t>::max();
    label.rel_ack = std::numeric_limits<std::int64_t>::max();
    label.since_syn_ns = std::numeric_limits<std::int64_t>::max();

    synscope::sink::TextOptions opts;
    opts.color = true;
    opts.nano = true;
    opts.conns = false;
    const std::string out =
        printed(opts, [&](synscope::sink::TextSink& sink) { sink.packet(synscope::sink::PacketEvent{raw, f, &label}); });
    std::istringstream lines(out);
    std::string header;
    std::string line;
    std::getline(lines, header);
    std::getline(lines, line);
    CAPTURE(line);
    CHECK(line.find("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535") != std::string::npos);
    CHECK(line.find(" bad-ip-csum") != std::string::npos);
    CHECK(line.find("retransmission") != std::string::npos);
    CHECK(line.find(variant == 2 ? "TS val 4294967295 ecr 4294967295" : "opt-200") != std::string::npos);
    CHECK(line.size() <= synscope::sink::TextSink::kMaxLinePrefix + synscope::sink::TextSink::kMaxTcpText);
    // The bound is not loose by much: the longest line built here is within 100 bytes of it (IPv6 text is
    // at most 39 characters where 45 are allowed, the step 12 of 32, the duration 16 of 48, and " +" and
    // " established, RTT " are both counted).
    if (variant == 1) CHECK(line.size() + 100 >= synscope::sink::TextSink::kMaxLinePrefix + synscope::sink::TextSink::kMaxTcpText);
  }
}

TEST_CASE("TextSink summary: evicted connections get a note, and only then") {
  synscope::sink::TextOptions opts;
  opts.packets = false;
  opts.stream_conns = true;
  for (const std::uint64_t evicted : {std::uint64_t{0}, std::uint64_t{1234}}) {
    CAPTURE(evicted);
    const std::string out = printed(opts, [&](synscope::sink::TextSink& sink) {
      sink.conn(handshake_record());
      synscope::sink::RunSummary s;
      s.evicted = evicted;
      sink.finish(s);
    });
    INFO(out);
    const bool noted = out.find("note: 1234 connections were reported before they ended (evicted)") != std::string::npos;
    CHECK(noted == (evicted > 0));
    if (evicted == 0) CHECK(out.find("evicted") == std::string::npos);
  }
}

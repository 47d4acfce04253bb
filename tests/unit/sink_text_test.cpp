// TextSink's connection output: a table under one header when only connections are printed, one
// self-describing "conn" line each when connections end between packet lines (live capture).

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

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

/// What a TextSink with `opts` prints for the two records and the summary.
std::string render(synscope::sink::TextOptions opts) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    synscope::sink::Writer w(::fileno(f));
    synscope::sink::TextSink sink(w, opts);
    sink.conn(handshake_record());
    sink.conn(refused_record());
    sink.finish(synscope::sink::RunSummary{});
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

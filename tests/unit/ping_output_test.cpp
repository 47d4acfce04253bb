// Reply/error lines as iputils prints them, and the JSON lines with their documented keys first.

#include <doctest/doctest.h>

#include "synscope/ping/output.hpp"

using namespace synscope::ping;

namespace {
ReplyEvent reply() {
  ReplyEvent e;
  e.host = "198.51.100.2";
  e.from = "198.51.100.2";
  e.seq = 1;
  e.ttl = 63;
  e.bytes = 64;
  e.timed = true;
  e.rtt_us = 123;
  return e;
}
}  // namespace

TEST_CASE("ping output: reply lines") {
  ReplyEvent e = reply();
  CHECK(format_reply_text(e, false, 56) == "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms");
  e.duplicate = true;
  CHECK(format_reply_text(e, false, 56) == "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms (DUP!)");
  e.duplicate = false;
  e.bad_checksum = true;
  CHECK(format_reply_text(e, false, 56) ==
        "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms (BAD CHECKSUM!)");
  e.bad_checksum = false;
  e.truncated = true;  // iputils stops the line there
  CHECK(format_reply_text(e, false, 56) == "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 (truncated)");
  e.truncated = false;
  e.late = true;  // only with an explicit -W: the reply came after the wait time
  CHECK(format_reply_text(e, false, 56) == "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms (late)");
  e = reply();
  e.timed = false;
  e.ttl = -1;
  e.bytes = 16;
  CHECK(format_reply_text(e, false, 8) == "16 bytes from 198.51.100.2: icmp_seq=1");
  e = reply();
  e.wall_us = 1700000000123456;
  CHECK(format_reply_text(e, true, 56) ==
        "[1700000000.123456] 64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms");
}

TEST_CASE("ping output: wrong data is shown like iputils") {
  ReplyEvent e = reply();
  e.bytes = 8 + 20;
  for (unsigned i = 0; i < 20; ++i) e.data.push_back(static_cast<std::uint8_t>(i));
  e.data[17] = 0xAA;
  e.wrong_byte = 17;
  CHECK(format_reply_text(e, false, 20) ==
        "28 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms\n"
        "wrong data byte #17 should be 0x11 but was 0xaa\n"
        "#16\t10 aa 12 13 ");
}

TEST_CASE("ping output: error lines") {
  ErrorEvent e;
  e.host = "198.51.100.2";
  e.from = "192.0.2.1";
  e.seq = 2;
  e.icmp_type = 11;
  e.reason = "Time to live exceeded";
  CHECK(format_error_text(e, false) == "From 192.0.2.1 icmp_seq=2 Time to live exceeded");
  CHECK(format_error_text(e, false, true) == "From 192.0.2.1 icmp_seq=2 Time to live exceeded (to 198.51.100.2)");
  CHECK(format_error_json(e) ==
        R"({"type":"error","host":"198.51.100.2","seq":2,"icmp_type":11,"icmp_code":0,"from":"192.0.2.1",)"
        R"("reason":"Time to live exceeded","source":"socket"})");
}

TEST_CASE("ping output: JSON reply and summary keys") {
  ReplyEvent e = reply();
  CHECK(format_reply_json(e) ==
        R"({"type":"reply","host":"198.51.100.2","seq":1,"ttl":63,"bytes":64,"rtt_ms":0.123,"from":"198.51.100.2",)"
        R"("dup":false,"bad_checksum":false,"truncated":false,"wrong_data":false,"late":false})");
  e.timed = false;
  e.ttl = -1;
  const std::string j = format_reply_json(e);
  CHECK(j.find(R"("ttl":null)") != std::string::npos);
  CHECK(j.find(R"("rtt_ms":null)") != std::string::npos);
  SummaryEvent s;
  s.host = "h\"x";
  s.address = "192.0.2.9";
  s.stats.transmitted = 4;
  s.stats.received = 3;
  s.stats.add_rtt(1000);
  s.elapsed_ms = 600;
  s.exit = 0;
  CHECK(format_summary_json(s) ==
        R"({"type":"summary","host":"h\"x","address":"192.0.2.9","mode":"icmp","transmitted":4,"received":3,)"
        R"("duplicates":0,"corrupted":0,"errors":0,"loss_pct":25,"time_ms":600,"rtt_min_ms":1.000,)"
        R"("rtt_avg_ms":0.333,"rtt_max_ms":1.000,"rtt_mdev_ms":0.471,"exit":0})");
}

TEST_CASE("ping output: JSON strings are escaped") {
  CHECK(json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}

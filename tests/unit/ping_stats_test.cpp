// Statistics as iputils computes and prints them: mdev in integer microseconds, loss with %g, the
// reply-time rounding steps and the exit-code rule.

#include <doctest/doctest.h>

#include "synscope/ping/stats.hpp"

using namespace synscope::ping;

TEST_CASE("ping stats: mdev is the population standard deviation in integer microseconds") {
  PingStats s;
  s.received = 3;
  for (const std::int64_t us : {100, 200, 300}) s.add_rtt(us);
  CHECK(s.avg_us() == 200);
  // (140000 - 600*600/3) / 3 = 6666 -> isqrt = 81
  CHECK(s.mdev_us() == 81);
  CHECK(s.tmin_us == 100);
  CHECK(s.tmax_us == 300);
}

TEST_CASE("ping stats: the numbers of a real iputils run (0.088 and 0.099 ms -> avg 0.093, mdev 0.005)") {
  PingStats s;
  s.transmitted = 2;
  s.received = 2;
  s.add_rtt(99);
  s.add_rtt(88);
  CHECK(format_statistics("::1", s, 201) ==
        "--- ::1 ping statistics ---\n"
        "2 packets transmitted, 2 received, 0% packet loss, time 201ms\n"
        "rtt min/avg/max/mdev = 0.088/0.093/0.099/0.005 ms\n");
}

TEST_CASE("ping stats: duplicates count in the RTT figures, not in received") {
  PingStats s;
  s.transmitted = 1;
  s.received = 1;
  s.duplicates = 1;
  s.add_rtt(1000);
  s.add_rtt(3000);
  CHECK(s.rtt_count() == 2);
  CHECK(s.avg_us() == 2000);
  CHECK(s.mdev_us() == 1000);
  CHECK(format_statistics("h", s, 0) ==
        "--- h ping statistics ---\n"
        "1 packets transmitted, 1 received, +1 duplicates, 0% packet loss, time 0ms\n"
        "rtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms\n");
}

TEST_CASE("ping stats: loss, errors and corrupted in iputils' order - no rtt line without replies") {
  PingStats s;
  s.transmitted = 3;
  s.received = 1;
  s.corrupted = 1;
  s.errors = 2;
  s.add_rtt(500);
  CHECK(format_statistics("192.0.2.9", s, 2003) ==
        "--- 192.0.2.9 ping statistics ---\n"
        "3 packets transmitted, 1 received, +1 corrupted, +2 errors, 66.6667% packet loss, time 2003ms\n"
        "rtt min/avg/max/mdev = 0.500/0.500/0.500/0.000 ms\n");
  PingStats none;
  none.transmitted = 2;
  none.errors = 2;
  CHECK(format_statistics("x", none, 200) ==
        "--- x ping statistics ---\n"
        "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 200ms\n");
  PingStats untimed;  // -s 8: replies but no timing
  untimed.transmitted = 1;
  untimed.received = 1;
  CHECK(format_statistics("y", untimed, 0) ==
        "--- y ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n");
  PingStats nothing;
  CHECK(format_statistics("z", nothing, 0) == "--- z ping statistics ---\n0 packets transmitted, 0 received\n");
}

TEST_CASE("ping stats: large sums take iputils' second formula") {
  PingStats s;
  s.received = 2;
  s.add_rtt(2000000000);  // 2000 s: tsum beyond INT_MAX
  s.add_rtt(2000000000);
  CHECK(s.mdev_us() == 0);
  CHECK(s.avg_us() == 2000000000);
}

TEST_CASE("ping stats: isqrt") {
  CHECK(isqrt(0) == 0);
  CHECK(isqrt(1) == 1);
  // iputils' llsqrt() returns the last Newton step, which can overshoot by one: 15 -> 8, 4, 3, 4.
  CHECK(isqrt(15) == 4);
  CHECK(isqrt(30) == 5);
  CHECK(isqrt(16) == 4);
  CHECK(isqrt(1000000000000LL) == 1000000);
  CHECK(isqrt(-5) == -5);  // iputils returns its input for x <= 0; variance is never negative here
}

TEST_CASE("ping stats: reply times switch precision like iputils") {
  CHECK(format_reply_time(0) == "0.000");
  CHECK(format_reply_time(87) == "0.087");
  CHECK(format_reply_time(999) == "0.999");
  CHECK(format_reply_time(1000) == "1.00");
  CHECK(format_reply_time(1234) == "1.23");
  CHECK(format_reply_time(9994) == "9.99");
  CHECK(format_reply_time(9995) == "10.0");
  CHECK(format_reply_time(99949) == "99.9");
  CHECK(format_reply_time(99950) == "100");
  CHECK(format_reply_time(1234567) == "1235");
  CHECK(us_to_ms_text(1234) == "1.234");
  CHECK(us_to_ms_text(5) == "0.005");
}

TEST_CASE("ping stats: exit codes follow iputils") {
  PingStats s;
  s.transmitted = 3;
  CHECK(exit_code(s, false, 3) == 1);  // nothing received
  s.received = 1;
  CHECK(exit_code(s, false, 3) == 0);  // something came back
  CHECK(exit_code(s, true, 3) == 1);   // -w: fewer than -c replies by the deadline
  s.received = 3;
  CHECK(exit_code(s, true, 3) == 0);
  CHECK(exit_code(s, true, 0) == 0);   // -w without -c
}

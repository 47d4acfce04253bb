#pragma once
/// What ping prints: events (reply, error, summary…) and their text (iputils' format) and JSON lines.
/// Pure formatting, so every line is unit-tested.

#include <cstdint>
#include <string>
#include <vector>

#include "synscope/ping/stats.hpp"

namespace synscope::ping {

struct ReplyEvent {
  std::string host;              ///< as the user wrote it
  std::string from;              ///< address the reply came from
  std::uint16_t seq = 0;
  int ttl = -1;                  ///< -1 when the kernel did not say
  std::size_t bytes = 0;         ///< ICMP bytes (header + data), as iputils counts
  bool timed = false;
  std::int64_t rtt_us = 0;
  bool duplicate = false;
  bool bad_checksum = false;
  bool truncated = false;        ///< fewer data bytes than we sent
  bool late = false;             ///< arrived after -W
  bool different_address = false;  ///< not from the address we pinged
  long wrong_byte = -1;          ///< index of the first wrong data byte, -1 if none
  std::vector<std::uint8_t> data;  ///< the data bytes, kept only when wrong_byte >= 0 (for the dump)
  std::int64_t wall_us = 0;      ///< CLOCK_REALTIME at receipt, for -D
};

struct ErrorEvent {
  std::string host;
  std::string from;              ///< the router (or host) that sent the ICMP error
  std::uint16_t seq = 0;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::string reason;            ///< iputils' text ("Time to live exceeded")
  bool from_error_queue = false; ///< IP_RECVERR / IPV6_RECVERR rather than the socket's data path
  std::int64_t wall_us = 0;
};

struct SummaryEvent {
  std::string host;
  std::string address;
  PingStats stats;
  std::int64_t elapsed_ms = 0;
  int exit = 0;
  const char* mode = "icmp";     ///< "icmp" or "tcp"
};

/// "[1700000000.123456] " prefix for -D.
std::string format_wall(std::int64_t wall_us);

/// iputils' reply line (without the trailing newline):
/// "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.123 ms" plus " (DUP!)", " (BAD CHECKSUM!)",
/// " (truncated)", wrong-data dump.
std::string format_reply_text(const ReplyEvent& e, bool with_wall, std::size_t datalen);
/// "From 192.0.2.1 icmp_seq=1 Time to live exceeded"; with several hosts `name_host` appends
/// " (to HOST)" so the line says whose probe it was.
std::string format_error_text(const ErrorEvent& e, bool with_wall, bool name_host = false);

/// JSON lines. Keys in a stable order; the first keys are the documented ones.
std::string format_reply_json(const ReplyEvent& e);
std::string format_error_json(const ErrorEvent& e);
std::string format_summary_json(const SummaryEvent& e);

/// JSON string literal with escapes.
std::string json_string(const std::string& s);

}  // namespace synscope::ping

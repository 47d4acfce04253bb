#pragma once
/// `synscope ping --tcp PORT`: times connect() (the three-way handshake: SYN out, SYN-ACK back) without
/// any privilege, reports refused (RST) and timed-out attempts, and prints the same statistics block.

#include <cstdio>
#include <string>

#include "synscope/ping/options.hpp"

namespace synscope::ping {

/// How one connect() attempt ended.
enum class TcpOutcome : std::uint8_t { kConnected, kRefused, kTimeout, kError };

/// One line of text for an attempt (iputils-like), e.g.
/// "connected to 198.51.100.2 port 8000: seq=1 time=0.321 ms".
std::string format_tcp_attempt(const std::string& address, int port, std::uint16_t seq, TcpOutcome outcome,
                               std::int64_t rtt_us, int error, std::int64_t timeout_ms);

/// Runs the TCP handshake ping for every host in `opts`; returns the exit code (iputils' rules: 0 some
/// handshake completed for every host, 1 otherwise).
int run_tcp_ping(const PingOptions& opts, std::FILE* out, std::FILE* err);

}  // namespace synscope::ping

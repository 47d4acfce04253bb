#pragma once
/// Bridges decode and track: copies the scalars the tracker needs out of a decoded frame.

#include <cstdint>

#include "synscope/decode/frame.hpp"
#include "synscope/track/conn.hpp"

namespace synscope::track {

/// Zeek's ICMP "port" mapping: the counterpart type of a request/response pair (echo request <->
/// reply, …), or the code for one-way messages (`is_one_way` set). From Zeek's ICMP4_counterpart.
std::uint16_t icmp4_counterpart(std::uint8_t type, std::uint8_t code, bool& is_one_way) noexcept;
/// Same for ICMPv6 (Zeek's ICMP6_counterpart).
std::uint16_t icmp6_counterpart(std::uint8_t type, std::uint8_t code, bool& is_one_way) noexcept;

/// Copies the scalars out of `frame` (decoded with checksum verification for the checksum flags).
/// ICMP: sport = type, dport = counterpart type (or code), like Zeek's conn.log. Frames without an IP
/// header give proto 0 (the tracker ignores them).
PacketSummary from_frame(const decode::DecodedFrame& frame, std::int64_t ts_ns) noexcept;

}  // namespace synscope::track

#pragma once
/// The scalars of one packet that flow tracking reads, and a short way to them for the commonest frames.
/// Scalars only: nothing here points into a capture buffer.

#include <cstdint>

#include "synscope/core/bytes.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::decode {

/// What connection tracking needs from one packet (track::PacketSummary). Filled either from a whole
/// DecodedFrame (track::from_frame()) or straight from the bytes by summarize_flow().
struct FlowSummary {
  std::int64_t ts_ns = 0;
  net::IpAddress src;
  net::IpAddress dst;
  std::uint8_t proto = 0;        ///< 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, others
  std::uint16_t sport = 0;       ///< for ICMP: Zeek's "port" mapping (type / counterpart type)
  std::uint16_t dport = 0;
  std::uint32_t ip_len = 0;      ///< IP total length (Zeek's *_ip_bytes)
  // TCP only
  std::uint16_t tcp_flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack_seq = 0;
  std::uint16_t window = 0;
  std::uint32_t payload_len = 0; ///< TCP/UDP/ICMP payload length from the IP length
  bool payload_truncated = false; ///< fewer payload bytes captured than payload_len (snaplen)
  bool checksum_bad = false;     ///< transport checksum verified wrong
  bool ip_checksum_bad = false;  ///< IPv4 header checksum verified wrong (Zeek drops such packets)
  bool is_fragment = false;      ///< non-first fragment (no transport header)
  // SYN options (negotiation)
  bool has_mss = false;
  std::uint16_t mss = 0;
  bool has_wscale = false;
  std::uint8_t wscale = 0;
  bool sack_ok = false;
  bool has_timestamps = false;
  // ICMP
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  bool icmp_one_way = false;     ///< no counterpart type: the flow is keyed by direction (Zeek's is_one_way)
};

/// The negotiation options the tracker keeps, from a TCP header's option summary (a default summary, as
/// for a packet without options or not TCP, clears them).
inline void set_syn_options(FlowSummary& s, const TcpOptionSummary& o) noexcept {
  s.has_mss = o.has_mss;
  s.mss = o.mss;
  s.has_wscale = o.has_wscale;
  s.wscale = o.wscale;
  s.sack_ok = o.sack_ok;
  s.has_timestamps = o.has_timestamps;
}

/// The short way for the frames that make up nearly all traffic: Ethernet (up to two VLAN tags), Linux
/// SLL/SLL2 or raw IP; IPv4 without options and not a fragment, or IPv6 without extension headers; a
/// whole TCP segment or UDP datagram, every byte of the IP packet captured and its lengths consistent.
/// For such a frame it fills every field of `out` exactly as track::from_frame() would from
/// decode_frame()'s result (with the same options), sets `bad_checksum` as decode_frame() would set
/// Anomaly::kIpChecksumBad or kL4ChecksumBad, and returns true; decode_frame() would report no problem.
/// Anything else returns false and leaves `out` unspecified: decode the frame in full then. Pure: no I/O,
/// no allocation. (flow_summary_test and the decode fuzz target hold it to from_frame().)
/// With `tcp_options`, an accepted frame also leaves there what decode_frame() sets as TcpInfo::options
/// (the option bytes of a TCP header, inside `frame`; empty for UDP): the text sink prints a segment
/// from the summary and these.
bool summarize_flow(std::uint32_t dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_ns, FlowSummary& out,
                    bool& bad_checksum, DecodeOptions opts = {}, Bytes* tcp_options = nullptr) noexcept;

}  // namespace synscope::decode

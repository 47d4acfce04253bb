#pragma once
/// Building ICMP/ICMPv6 echo requests and parsing what an ICMP socket hands back (echo replies and
/// errors that quote one of our requests). Pure: no I/O, no allocation in the parser, fuzzable.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "synscope/core/bytes.hpp"
#include "synscope/core/result.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::ping {

enum class Family : std::uint8_t { kIpv4, kIpv6 };

/// ICMP type numbers used here (RFC 792, RFC 4443). Named kX: <netinet/ip_icmp.h> #defines ICMP_ECHO.
namespace icmp_type {
inline constexpr std::uint8_t kEchoReply = 0;
inline constexpr std::uint8_t kDestUnreachable = 3;
inline constexpr std::uint8_t kSourceQuench = 4;
inline constexpr std::uint8_t kRedirect = 5;
inline constexpr std::uint8_t kEchoRequest = 8;
inline constexpr std::uint8_t kTimeExceeded = 11;
inline constexpr std::uint8_t kParameterProblem = 12;
}  // namespace icmp_type
namespace icmp6_type {
inline constexpr std::uint8_t kDestUnreachable = 1;
inline constexpr std::uint8_t kPacketTooBig = 2;
inline constexpr std::uint8_t kTimeExceeded = 3;
inline constexpr std::uint8_t kParameterProblem = 4;
inline constexpr std::uint8_t kEchoRequest = 128;
inline constexpr std::uint8_t kEchoReply = 129;
}  // namespace icmp6_type

/// Bytes of the echo payload that carry the send time (two big-endian 64-bit numbers: seconds and
/// nanoseconds of CLOCK_REALTIME). Same size as iputils' struct timeval, so the "-s 16" threshold for
/// timing is the same.
inline constexpr std::size_t kTimestampSize = 16;
inline constexpr std::size_t kIcmpHeaderSize = 8;

/// Send time carried in the payload.
struct SendStamp {
  std::int64_t sec = 0;
  std::int64_t nsec = 0;
};

/// Builds an echo request: type 8 (IPv4) or 128 (IPv6), code 0, `id`, `seq`, then `datalen` data bytes.
/// Data byte i is (i & 0xff) like iputils; when datalen >= 16 the first 16 bytes hold `stamp`.
/// The IPv4 checksum is filled in (RFC 792); for ICMPv6 it is left 0: the kernel computes it over the
/// pseudo-header (RFC 4443 §2.3), which user space cannot see for the source address.
void build_echo_request(Family fam, std::uint16_t id, std::uint16_t seq, std::size_t datalen, SendStamp stamp,
                        std::vector<std::byte>& out);

/// The expected data byte at offset i (after the timestamp area) of our payload.
constexpr std::uint8_t expected_data_byte(std::size_t i) noexcept { return static_cast<std::uint8_t>(i & 0xFFU); }

enum class ParseError : std::uint8_t {
  kNone,
  kTruncated,         ///< shorter than the headers it claims
  kBadIpVersion,      ///< raw IPv4 packet whose version nibble is not 4
  kBadIpHeaderLength, ///< IHL < 5
  kNotIcmp,           ///< IP protocol is not ICMP
};
const char* parse_error_name(ParseError e) noexcept;

/// The IPv4 header of a packet read from a raw IPv4 socket (the only socket that delivers it).
struct Ipv4Header {
  bool present = false;
  std::uint8_t version = 0;
  std::uint8_t header_len = 0;   ///< IHL * 4
  std::uint8_t tos = 0;
  std::uint16_t total_len = 0;
  std::uint16_t id = 0;
  std::uint16_t flags_frag = 0;  ///< 3 flag bits + 13-bit fragment offset
  std::uint8_t ttl = 0;
  std::uint8_t proto = 0;
  std::uint16_t checksum = 0;
  net::IpAddress src;
  net::IpAddress dst;
};

/// What an ICMP error quotes of the datagram that caused it, as far as we need it to find our probe.
struct QuotedEcho {
  bool present = false;          ///< an IP header and 8 bytes of ICMP echo request were quoted
  net::IpAddress src;
  net::IpAddress dst;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
};

enum class MessageKind : std::uint8_t { kEchoReply, kEchoRequest, kError, kOther };

struct IcmpMessage {
  Ipv4Header ip;                 ///< raw IPv4 only
  MessageKind kind = MessageKind::kOther;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  bool checksum_checked = false; ///< IPv4 only: ICMPv6 needs the pseudo-header (the kernel checked it)
  bool checksum_ok = true;
  std::uint16_t id = 0;          ///< echo messages
  std::uint16_t seq = 0;
  std::uint32_t rest = 0;        ///< bytes 4..7 for errors (MTU, pointer, gateway)
  Bytes icmp;                    ///< the whole ICMP message (header + data)
  Bytes data;                    ///< after the 8-byte header
  QuotedEcho quoted;             ///< errors: the echo request they quote
};

/// Parses one message read from an ICMP socket. `with_ip_header` is true only for raw IPv4 sockets.
/// The IPv4 total length clamps the message (trailing bytes are ignored).
Result<IcmpMessage, ParseError> parse_icmp_message(Bytes packet, Family fam, bool with_ip_header) noexcept;

/// True for ICMP/ICMPv6 types that report an error about a datagram we sent.
bool is_error_type(Family fam, std::uint8_t type) noexcept;

/// Reads the send time from an echo payload (data after the ICMP header); false when too short.
bool read_send_stamp(Bytes data, SendStamp& out) noexcept;

/// The first data byte (index into data, >= kTimestampSize) that differs from what we sent, or -1.
/// `datalen` is what we sent; bytes past data.size() are not compared (truncation is reported apart).
long first_wrong_data_byte(Bytes data, std::size_t datalen) noexcept;

/// iputils' text for an ICMP error ("Time to live exceeded", "Destination Host Unreachable",
/// "Destination unreachable: Address unreachable"…). `info` is the MTU / pointer where one applies.
std::string icmp_error_text(Family fam, std::uint8_t type, std::uint8_t code, std::uint32_t info);

}  // namespace synscope::ping

#pragma once
/// The decoded view of one captured frame. Pure data: filled by decode_frame(), read by tracking and sinks.
/// Byte spans point into the capture buffer and die at the next CaptureSource::next().

#include <array>
#include <cstdint>

#include "synscope/core/bytes.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::decode {

/// DLT / LINKTYPE numbers the decoder understands (values as libpcap's DLT_* on Linux).
enum class LinkType : std::uint32_t {
  kNull = 0,          ///< BSD loopback, host-endian AF_ value
  kEthernet = 1,
  kPpp = 9,           ///< PPP, optionally in HDLC-like framing (RFC 1662)
  kRaw12 = 12,        ///< DLT_RAW on most platforms
  kRaw14 = 14,        ///< DLT_RAW on OpenBSD
  kLoop = 108,        ///< OpenBSD loopback, network-endian AF_ value
  kLinuxSll = 113,
  kRaw = 101,         ///< LINKTYPE_RAW
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxSll2 = 276,
};

/// Short libpcap-style name for a link type ("EN10MB", "LINUX_SLL2", …); "UNKNOWN" if not handled.
const char* link_type_name(std::uint32_t dlt) noexcept;
/// True when decode_frame() understands this link type.
bool link_type_supported(std::uint32_t dlt) noexcept;

/// How far decoding got. Truncated = ran past the captured bytes; invalid = a field contradicts the spec.
enum class Status : std::uint8_t { kOk, kTruncated, kInvalid, kUnsupported };

/// The layer a problem belongs to (used for tcpdump-style "[|tcp]" markers).
enum class Layer : std::uint8_t { kNone, kLink, kIpv4, kIpv6, kTcp, kUdp, kIcmp, kIcmp6 };

/// The first problem met while decoding; decoding stops there and everything before it stays valid.
/// `what` texts and their numbers (a printer maps status+layer to tcpdump's "[|tcp]", "[|ip6]"…):
///   truncated "truncated link/ip/ipv6/ipv6 extension/tcp/udp/icmp/icmp6 header": value = bytes needed or
///     the header length, limit = bytes captured;
///   invalid "bad ip version" (value = version, limit = expected), "bad ip header length" (value = IHL*4,
///     limit 20), "bad ip total length" (value = total length < limit = header length),
///     "bad ipv6 extension header length" (value = end of the header > limit = IP length),
///     "too many ipv6 extension headers" / "too many vlan tags" / "too many mpls labels" (value > limit = bound),
///     "bad tcp header length" (value < limit 20: tcpdump's "too short, < 20"; value > limit = IP payload
///     length: "too long, > N"), "bad udp length" (value = UDP length, limit = 8 or the IP payload length),
///     "ip payload shorter than transport header" (value = IP payload length, limit = header size);
///   unsupported "unsupported link type" (value = DLT).
struct Problem {
  Status status = Status::kOk;
  Layer layer = Layer::kNone;
  const char* what = "";      ///< static text, e.g. "truncated tcp header", "bad tcp header length"
  std::uint32_t value = 0;    ///< the offending number where one applies (header length, total length…)
  std::uint32_t limit = 0;    ///< what it was compared with (20, captured length…)
};

/// Anomalies: odd but decodable things (Zeek's "weirds"). A bit set, passed by value.
enum class Anomaly : std::uint32_t {
  kNone = 0,
  kIpChecksumBad = 1U << 0U,
  kL4ChecksumBad = 1U << 1U,      ///< TCP/UDP/ICMP checksum wrong (often checksum offload on the sender)
  kIpPadding = 1U << 2U,          ///< link payload longer than the IP total length (trailer ignored)
  kIpLengthExceedsCapture = 1U << 3U,  ///< IP total length > bytes on the wire (tcpdump's "[total length X > length Y]")
  kTcpOptionsMalformed = 1U << 4U,
  kIpv4Options = 1U << 5U,
  kFragment = 1U << 6U,           ///< a non-first fragment: no transport header
  kTcpFlagsOdd = 1U << 7U,        ///< SYN+FIN, SYN+RST, FIN+RST or no flags at all
  kIpv4ZeroTotalLength = 1U << 8U,   ///< IPv4 total length 0 (TSO) or IPv6 payload length 0 before TCP (BIG TCP): the wire length is used
};
constexpr Anomaly operator|(Anomaly a, Anomaly b) noexcept {
  return static_cast<Anomaly>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr bool has(Anomaly set, Anomaly a) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(a)) != 0;
}

/// Checksum verdict: unknown when the checksummed bytes were not all captured (or verification is off).
enum class ChecksumState : std::uint8_t { kUnknown, kGood, kBad };

struct LinkInfo {
  std::uint32_t dlt = 0;
  std::uint16_t ethertype = 0;           ///< final ethertype after VLAN tags (0 if none; ≤ 1500 = 802.3 length);
                                         ///< NULL/LOOP/PPP/raw links set the equivalent ethertype
  std::uint8_t vlan_count = 0;           ///< number of 802.1Q/802.1ad tags (up to kMaxVlans recorded)
  static constexpr std::size_t kMaxVlans = 4;
  std::array<std::uint16_t, kMaxVlans> vlan_ids{};  ///< outermost first
  bool has_mac = false;
  std::array<std::uint8_t, 6> src_mac{};
  std::array<std::uint8_t, 6> dst_mac{};
  std::uint16_t sll_pkttype = 0xFFFF;    ///< SLL/SLL2 packet type (0 host, 4 outgoing…); 0xFFFF if none
  std::uint32_t sll_ifindex = 0;         ///< SLL2 interface index
  std::uint8_t header_len = 0;           ///< bytes of link header consumed
  std::uint16_t sll_hatype = 0;          ///< SLL/SLL2 ARPHRD_ type of the link-layer address
  std::uint8_t sll_addr_len = 0;         ///< SLL/SLL2 link-layer address length (first 6 bytes in src_mac)
  std::uint32_t loopback_family = 0;     ///< NULL/LOOP: the AF_ value as read (already byte-order corrected)
  std::uint16_t ppp_protocol = 0;        ///< PPP protocol field (0x0021 IPv4, 0x0057 IPv6, 0x0281 MPLS…)
  std::uint8_t mpls_count = 0;           ///< MPLS label stack entries walked (up to kMaxMpls recorded)
  static constexpr std::size_t kMaxMpls = 4;
  std::array<std::uint32_t, kMaxMpls> mpls_labels{};  ///< 20-bit labels, outermost first
};

struct IpInfo {
  std::uint8_t version = 0;              ///< 0 = no IP header decoded
  net::IpAddress src;
  net::IpAddress dst;
  std::uint8_t proto = 0;                ///< IPv4 protocol / last IPv6 next-header (the transport)
  std::uint8_t ttl = 0;                  ///< TTL or hop limit
  std::uint8_t tos = 0;                  ///< IPv4 TOS / IPv6 traffic class
  std::uint16_t id = 0;                  ///< IPv4 identification
  std::uint32_t flow_label = 0;          ///< IPv6
  std::uint16_t header_len = 0;          ///< IPv4 IHL*4, or IPv6 40 + extension headers
  std::uint32_t total_len = 0;           ///< IP header + payload as the header states it (IPv6: 40 + payload length)
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t frag_offset = 0;         ///< in 8-byte units
  bool is_fragment = false;              ///< MF set or offset != 0 (IPv4) / fragment header present (IPv6)
  std::uint8_t ext_count = 0;            ///< IPv6 extension headers walked
  ChecksumState header_checksum = ChecksumState::kUnknown;  ///< IPv4 only
  std::uint16_t checksum = 0;            ///< IPv4 header checksum field
  std::uint16_t checksum_expected = 0;   ///< what the field should hold (valid when header_checksum != kUnknown)
  std::uint8_t next_header = 0;          ///< IPv6: the fixed header's next-header field (IPv4: = proto)
  std::uint32_t payload_len = 0;         ///< bytes after the IP header(s) per the (clamped) IP length
  std::uint32_t frag_id = 0;             ///< IPv4 id / IPv6 fragment header identification
  Bytes options;                         ///< IPv4 options bytes (captured part)
};

/// A summary of the TCP options; the raw bytes stay in TcpInfo::options for printing them all in order.
struct TcpOptionSummary {
  bool has_mss = false;
  std::uint16_t mss = 0;
  bool has_wscale = false;
  std::uint8_t wscale = 0;
  bool sack_ok = false;
  bool has_timestamps = false;
  std::uint32_t ts_val = 0;
  std::uint32_t ts_ecr = 0;
  std::uint8_t sack_blocks = 0;
  bool tfo = false;
  bool mptcp = false;
  bool malformed = false;               ///< an option ran past the header or had an impossible length
};

/// TCP flag bits as in the 12-bit field of tshark's tcp.flags (RFC 9293 + RFC 3168 + AccECN's AE).
namespace tcp_flag {
inline constexpr std::uint16_t kFin = 0x001;
inline constexpr std::uint16_t kSyn = 0x002;
inline constexpr std::uint16_t kRst = 0x004;
inline constexpr std::uint16_t kPsh = 0x008;
inline constexpr std::uint16_t kAck = 0x010;
inline constexpr std::uint16_t kUrg = 0x020;
inline constexpr std::uint16_t kEce = 0x040;
inline constexpr std::uint16_t kCwr = 0x080;
inline constexpr std::uint16_t kAe = 0x100;
}  // namespace tcp_flag

struct TcpInfo {
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack_seq = 0;
  std::uint16_t flags = 0;               ///< 12-bit field (reserved bits included)
  std::uint16_t window = 0;
  std::uint16_t urgent = 0;
  std::uint16_t checksum = 0;
  std::uint8_t data_offset = 0;          ///< header length in bytes
  std::uint32_t payload_len = 0;         ///< from the IP length (not the captured length)
  Bytes options;                         ///< raw option bytes (may be shorter than declared if truncated)
  TcpOptionSummary opt;
  ChecksumState checksum_state = ChecksumState::kUnknown;
  std::uint16_t checksum_expected = 0;   ///< valid when checksum_state != kUnknown
};

struct UdpInfo {
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint16_t length = 0;              ///< UDP length field
  std::uint32_t payload_len = 0;
  ChecksumState checksum_state = ChecksumState::kUnknown;
  std::uint16_t checksum = 0;
  std::uint16_t checksum_expected = 0;   ///< valid when checksum_state != kUnknown
};

/// What an ICMP error quotes: the start of the datagram that caused it.
struct QuotedPacket {
  bool present = false;
  std::uint8_t version = 0;
  /// The quoted IP header was there (src, dst, proto, ttl… are set); false when the quote is shorter
  /// than an IP header or of the other IP version: then only `version` and `truncated` say anything.
  bool has_ip = false;
  net::IpAddress src;
  net::IpAddress dst;
  std::uint8_t proto = 0;
  std::uint8_t ttl = 0;
  std::uint16_t ip_id = 0;
  std::uint32_t total_len = 0;
  bool has_ports = false;                ///< TCP/UDP ports were quoted
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  bool has_tcp_seq = false;
  std::uint32_t tcp_seq = 0;
  bool has_echo = false;                 ///< the quoted datagram was an ICMP echo
  std::uint16_t echo_id = 0;
  std::uint16_t echo_seq = 0;
  bool truncated = false;                ///< the quote stops before the part named above
};

struct IcmpInfo {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  bool is_echo = false;                  ///< echo request or reply: id/seq valid
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  std::uint32_t rest = 0;                ///< bytes 4..7 (gateway, MTU, pointer…)
  std::uint32_t payload_len = 0;         ///< bytes after the 8-byte ICMP header
  QuotedPacket quoted;                   ///< for error messages
  ChecksumState checksum_state = ChecksumState::kUnknown;
  std::uint16_t checksum_expected = 0;   ///< valid when checksum_state != kUnknown
};

enum class Transport : std::uint8_t { kNone, kTcp, kUdp, kIcmp, kIcmp6, kOther };

struct DecodedFrame {
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  LinkInfo link;
  IpInfo ip;
  Transport transport = Transport::kNone;
  TcpInfo tcp;
  UdpInfo udp;
  IcmpInfo icmp;
  Bytes payload;                         ///< transport payload bytes actually captured
  Problem problem;
  Anomaly anomalies = Anomaly::kNone;
  std::uint32_t ip_offset = 0;           ///< offset of the IP header in the frame (valid when has_ip())
  std::uint32_t l4_offset = 0;           ///< offset of the transport header (valid when transport != kNone)
  std::uint32_t l4_caplen = 0;           ///< transport bytes captured (from l4_offset, clamped to the IP length)

  [[nodiscard]] bool ok() const noexcept { return problem.status == Status::kOk; }
  [[nodiscard]] bool has_ip() const noexcept { return ip.version != 0; }
};

struct DecodeOptions {
  bool verify_checksums = true;          ///< compute IPv4/TCP/UDP/ICMP checksums when all bytes are captured
};

/// Decodes one frame. Pure: no I/O, no allocation, no exceptions. Always fills `out` as far as it can;
/// `out.problem` says where and why it stopped.
void decode_frame(std::uint32_t dlt, Bytes frame, std::uint32_t wire_len, DecodedFrame& out,
                  DecodeOptions opts = {}) noexcept;

/// Iterates TCP options in wire order for printing. Stops on a malformed option (kind/len past the end).
struct TcpOption {
  std::uint8_t kind = 0;
  std::uint8_t len = 0;   ///< total length incl. kind and len bytes (1 for EOL/NOP)
  Bytes data;             ///< option body (len - 2 bytes)
};
/// By far the commonest TCP option block (every segment of a timestamped connection from Linux, BSD,
/// macOS): NOP, NOP, timestamps (RFC 7323 Appendix A), the values at bytes 4 and 8. Decoders and printers
/// take it without walking the options.
inline bool is_nop_nop_timestamps(Bytes options) noexcept {
  return options.size() == 12 && load_be32(options, 0) == 0x0101080AU;
}

/// What the options of a TCP header say (MSS, window scale, SACK, timestamps, TFO, MPTCP) and whether
/// one ran past the block or had an impossible length.
void summarize_tcp_options(Bytes options, TcpOptionSummary& s) noexcept;

class TcpOptionIterator {
 public:
  explicit TcpOptionIterator(Bytes options) noexcept : rest_(options) {}
  /// Next option, or false at the end / on a malformed option (then malformed() is true).
  bool next(TcpOption& opt) noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  Bytes rest_;
  bool malformed_ = false;
};

/// Names for printing (static strings; never null).
const char* icmp_type_name(std::uint8_t type) noexcept;
const char* icmp_code_name(std::uint8_t type, std::uint8_t code) noexcept;   ///< "" where none applies
const char* icmp6_type_name(std::uint8_t type) noexcept;
const char* icmp6_code_name(std::uint8_t type, std::uint8_t code) noexcept;
const char* ip_proto_name(std::uint8_t proto) noexcept;                     ///< "tcp", "udp", "ipv6-icmp", …; "" unknown
bool icmp_is_error(std::uint8_t type) noexcept;
bool icmp6_is_error(std::uint8_t type) noexcept;

}  // namespace synscope::decode

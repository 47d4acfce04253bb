#pragma once
/// Connection tracking types: what the tracker reads per packet, what it says back, and the record it
/// emits when a connection ends. Scalars only: nothing here points into a capture buffer.

#include <cstdint>
#include <string>
#include <string_view>

#include "synscope/decode/flow.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::track {

/// The scalars of one packet the tracker needs (decode/flow.hpp).
using PacketSummary = decode::FlowSummary;

/// Step of the handshake / teardown a TCP packet plays, if any.
enum class Step : std::uint8_t {
  kNone,
  kHandshake1,      ///< "handshake 1/3" SYN
  kHandshake2,      ///< "handshake 2/3" SYN-ACK
  kHandshake3,      ///< "handshake 3/3" the ACK completing it
  kTeardown1,       ///< "teardown 1/4" first FIN
  kTeardown2,       ///< "teardown 2/4" the ACK of the first FIN
  kTeardown3,       ///< "teardown 3/4" the other side's FIN
  kTeardown23,      ///< "teardown 2+3/4" ACKs the first FIN and sends the second
  kTeardown4,       ///< "teardown 4/4" last ACK
  kSimultaneousFin, ///< both FINs crossed: "teardown 1/4 (simultaneous)"
  kReset,           ///< "reset" an RST ends the connection
};
/// JSON/text spelling: "handshake 1/3", …; "" for kNone.
std::string_view step_name(Step s) noexcept;

/// Label by flags alone ("SYN", "SYN-ACK", "ACK", "DATA", "FIN", "FIN-ACK", "RST", "RST-ACK", …).
std::string_view flags_label(std::uint16_t tcp_flags, std::uint32_t payload_len) noexcept;

/// What the tracker says about one packet.
struct PacketLabel {
  std::uint64_t conn_id = 0;     ///< internal id; 0 = not tracked
  char uid[20] = {};             ///< Zeek-style uid ("C…"), NUL-terminated
  bool is_orig = true;           ///< sent by the originator
  Step step = Step::kNone;
  bool retransmission = false;
  std::int64_t rel_seq = -1;     ///< seq relative to the sender's ISN (tshark: SYN = 0); -1 unknown
  std::int64_t rel_ack = -1;     ///< ack relative to the receiver's ISN; -1 unknown / no ACK flag
  std::int64_t since_syn_ns = -1;  ///< for handshake 2/3 and 3/3: time since the first SYN
};

/// One finished (or expired / evicted / still-open-at-end) connection, Zeek conn.log compatible.
struct ConnRecord {
  std::string uid;
  std::int64_t ts_ns = 0;         ///< first packet
  std::int64_t last_ns = 0;       ///< last packet
  net::IpAddress orig_h;
  std::uint16_t orig_p = 0;
  net::IpAddress resp_h;
  std::uint16_t resp_p = 0;
  std::uint8_t proto = 0;         ///< 6, 17, 1, 58
  std::uint64_t orig_bytes = 0;   ///< payload bytes by sequence-space (Zeek: TCP from seq range; UDP: payload)
  std::uint64_t resp_bytes = 0;
  bool bytes_known = true;        ///< Zeek leaves orig/resp_bytes unset for some OTH cases
  std::string_view conn_state;    ///< S0, S1, SF, REJ, … (static text: the view stays valid)
  std::uint64_t missed_bytes = 0;
  std::string history;
  std::uint64_t orig_pkts = 0;
  std::uint64_t orig_ip_bytes = 0;
  std::uint64_t resp_pkts = 0;
  std::uint64_t resp_ip_bytes = 0;
  // synscope's own
  std::int64_t handshake_rtt_ns = -1;  ///< first SYN to completing ACK; -1 unset
  std::int64_t synack_delay_ns = -1;   ///< first SYN to first SYN-ACK
  std::int64_t ack_delay_ns = -1;      ///< SYN-ACK to completing ACK
  std::uint32_t syn_retransmits = 0;
  std::string_view teardown;      ///< (static text) fin-4way, fin-3way, simultaneous, half-close, reset-orig, reset-resp, rejected, unanswered, open; "" for non-TCP
  std::string_view end_reason;    ///< (static text) "closed", "timeout", "evicted", "reused" (port reuse), "end-of-input"
  struct Side {
    bool has_mss = false;
    std::uint16_t mss = 0;
    bool has_wscale = false;
    std::uint8_t wscale = 0;
    bool sack_ok = false;
    bool timestamps = false;
  } orig_opts, resp_opts;
};

}  // namespace synscope::track

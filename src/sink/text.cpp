// Text sink: aligned packet lines (tcpdump's vocabulary, tshark's relative sequence numbers), the step
// each packet plays, then a connection table and a summary that answers "did it connect, how long did
// the handshake take, who closed, what failed".

#include "synscope/sink/text.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"

namespace synscope::sink {
namespace {

using decode::DecodedFrame;
using decode::Transport;

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kMagenta = "\x1b[35m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kBold = "\x1b[1m";

constexpr std::size_t kEndpointWidth = 22;
constexpr std::size_t kStepWidth = 15;
// Handshake-RTT decade edges of the summary histogram: <10µs, <100µs, <1ms, <10ms, <100ms, <1s, >=1s.
constexpr std::int64_t kRttDecadeEdges[] = {10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000};
constexpr const char* kRttDecadeNames[] = {"   < 10us", "  < 100us", "    < 1ms", "   < 10ms", "  < 100ms", "     < 1s", "    >= 1s"};
constexpr std::size_t kSlowestKept = 5;

/// Room an endpoint needs: "[" IPv6 "]:" and a port, and the fixed-size copy of the address text.
constexpr std::size_t kMaxEndpointText = 1 + AddressTextCache::kTextRoom + 2 + 5;

/// The step column: the tracker's step name, except that the second of two crossing FINs, "teardown 1/4
/// (simultaneous)", is shown as "teardown 1/4" with a "simultaneous close" note so that it fits the column.
std::string_view step_text(track::Step s) {
  if (s == track::Step::kSimultaneousFin) return "teardown 1/4";
  return track::step_name(s);
}

/// A column's text in a cell of N bytes, blank after the text: written with one fixed-size copy (a copy
/// of the text's own length was a call into the C library per column).
template <std::size_t N>
struct PaddedText {
  std::array<char, N> bytes;
  std::uint8_t len;
};
template <std::size_t N = detail::kMaxPadWidth>
PaddedText<N> padded(std::string_view s) noexcept {
  PaddedText<N> p{};
  p.bytes.fill(' ');
  p.len = static_cast<std::uint8_t>(std::min(s.size(), N));
  std::memcpy(p.bytes.data(), s.data(), p.len);
  return p;
}
/// The step column's cells, by track::Step (kNone: blanks).
constexpr std::size_t kSteps = static_cast<std::size_t>(track::Step::kReset) + 1;
std::array<PaddedText<32>, kSteps> make_step_cells() noexcept {
  std::array<PaddedText<32>, kSteps> a{};
  for (std::size_t i = 0; i < kSteps; ++i) a[i] = padded(step_text(static_cast<track::Step>(i)));
  return a;
}
const std::array<PaddedText<32>, kSteps> kStepCells = make_step_cells();
/// The label column's cells: track::flags_label() reads FIN, SYN, RST, ACK and whether there is payload.
std::size_t flags_cell(std::uint16_t f, std::uint32_t payload_len) noexcept {
  return (f & 0x7U) | ((f >> 1U) & 0x8U) | (payload_len != 0 ? 0x10U : 0U);
}
std::array<PaddedText<32>, 32> make_flags_cells() noexcept {
  std::array<PaddedText<32>, 32> a{};
  for (std::size_t k = 0; k < a.size(); ++k) {
    const auto f = static_cast<std::uint16_t>((k & 0x7U) | ((k & 0x8U) << 1U));
    a[k] = padded(track::flags_label(f, (k & 0x10U) != 0 ? 1U : 0U));
  }
  return a;
}
const std::array<PaddedText<32>, 32> kFlagsCells = make_flags_cells();
/// The flags column's cells, "[S.]", by the nine flag bits format_tcp_flags() names (one fixed-size copy
/// per line instead of a walk over the bits).
std::array<PaddedText<16>, 512> make_flags_text() noexcept {
  std::array<PaddedText<16>, 512> a{};
  for (std::size_t f = 0; f < a.size(); ++f) {
    char text[16];
    text[0] = '[';
    const std::size_t n = format_tcp_flags(static_cast<std::uint16_t>(f), text + 1);  // at most 9 letters
    text[n + 1] = ']';
    a[f] = padded<16>(std::string_view(text, n + 2));
  }
  return a;
}
const std::array<PaddedText<16>, 512> kFlagsText = make_flags_text();

std::string_view step_color(track::Step s) {
  switch (s) {
    case track::Step::kHandshake1:
    case track::Step::kHandshake2:
    case track::Step::kHandshake3:
      return kGreen;
    case track::Step::kReset:
      return kRed;
    case track::Step::kNone:
      return "";
    default:
      return kYellow;
  }
}

/// tcpdump-style marker for a decode problem: "[|tcp]" for truncation, "[bad …]" for invalid fields.
void put_problem(Writer& w, const decode::Problem& p) {
  static constexpr const char* kLayer[] = {"", "link", "ip", "ip6", "tcp", "udp", "icmp", "icmp6"};
  const auto layer = static_cast<std::size_t>(p.layer);
  const char* name = layer < sizeof kLayer / sizeof kLayer[0] ? kLayer[layer] : "";
  if (p.status == decode::Status::kTruncated) {
    w.put("[|");
    w.put(name);
    w.put(']');
  } else {
    w.put('[');
    w.put(p.what != nullptr ? p.what : "invalid");
    if (p.value != 0 || p.limit != 0) {
      w.put(' ');
      w.put_u64(p.value);
      if (p.limit != 0) {
        w.put(" vs ");
        w.put_u64(p.limit);
      }
    }
    w.put(']');
  }
}

/// `cut`: the snap length ended the header inside the options; the "[|tcp]" marker says so already.
Cursor put_tcp_options(Cursor c, Bytes options, bool cut) noexcept {
  // What the walk below prints for the commonest option block, without walking.
  if (decode::is_nop_nop_timestamps(options)) {
    c.put("TS val ");
    c.put_u32(load_be32(options, 4));
    c.put(" ecr ");
    c.put_u32(load_be32(options, 8));
    return c;
  }
  decode::TcpOptionIterator it(options);
  decode::TcpOption o;
  bool first = true;
  while (it.next(o)) {
    if (o.kind == 0 || o.kind == 1) continue;  // EOL/NOP: padding, not worth a column
    if (!first) c.put(',');
    first = false;
    switch (o.kind) {
      case 2:
        c.put("mss ");
        if (o.data.size() >= 2) c.put_u32(load_be16(o.data, 0));
        break;
      case 3:
        c.put("ws ");
        if (!o.data.empty()) c.put_u32(load_u8(o.data, 0));
        break;
      case 4:
        c.put("sackOK");
        break;
      case 5:
        c.put("sack ");
        c.put_u32(static_cast<std::uint32_t>(o.data.size() / 8));
        break;
      case 8:
        c.put("TS");
        if (o.data.size() >= 8) {
          c.put(" val ");
          c.put_u32(load_be32(o.data, 0));
          c.put(" ecr ");
          c.put_u32(load_be32(o.data, 4));
        }
        break;
      case 30:
        c.put("mptcp");
        break;
      case 34:
        c.put("tfo");
        break;
      default:
        c.put("opt-");
        c.put_u32(o.kind);
    }
  }
  if (it.malformed() && !cut) c.put(first ? std::string_view("bad-opts") : std::string_view(",bad-opts"));
  return c;
}

/// Room asked of the Writer: the longest line and the 32 blanks a padded cell may store past its end.
constexpr std::size_t kLineRoom = TextSink::kMaxLinePrefix + TextSink::kMaxTcpText + detail::kMaxPadWidth;
static_assert(kLineRoom <= Writer::kMinCapacity);

}  // namespace

AddressTextCache::AddressTextCache() : entries_(std::make_unique<Entry[]>(kEntries)) {}

AddressTextCache::Text AddressTextCache::text(const net::IpAddress& a) noexcept {
  std::uint64_t h = 0;
  if (a.version == 6) {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    h = (lo ^ (hi * 0x9E3779B97F4A7C15ULL)) * 0xC2B2AE3D27D4EB4FULL;
  } else {
    std::uint32_t v = 0;
    std::memcpy(&v, a.bytes.data(), 4);
    h = v * 0x9E3779B97F4A7C15ULL;
  }
  Entry& e = entries_[h >> 52U];  // the top 12 bits: kEntries
  static_assert(kEntries == std::size_t{1} << 12U);
  const bool hit = e.len != 0 && e.addr.version == a.version &&
                   std::memcmp(e.addr.bytes.data(), a.bytes.data(), a.version == 6 ? 16 : 4) == 0;
  if (!hit) {
    e.addr = a;
    e.len = static_cast<std::uint8_t>(net::format_address(a, e.text));
  }
  return {e.text, e.len};
}

TextSink::TextSink(Writer& out, TextOptions opts) : out_(out), opts_(opts) {}

void TextSink::color(std::string_view code) {
  if (opts_.color) out_.put(code);
}
void TextSink::color_reset() {
  if (opts_.color) out_.put("\x1b[0m");
}

void TextSink::end_line(const decode::DecodedFrame& f) {
  if (!f.ok()) {
    out_.put(' ');
    color(kRed);
    put_problem(out_, f.problem);
    color_reset();
  }
  out_.put('\n');
}

void TextSink::packet_header() {
  packet_header_done_ = true;
  color(kDim);
  out_.put(opts_.nano ? "    #  time                " : "    #  time             ");
  const std::size_t m = out_.mark();
  out_.put("src");
  out_.pad_from(m, kEndpointWidth + 3);
  const std::size_t m2 = out_.mark();
  out_.put("dst");
  out_.pad_from(m2, kEndpointWidth);
  out_.put(" flags  seq:ack      len    step            label    notes");
  color_reset();
  out_.put('\n');
}

void TextSink::refresh_second(std::int64_t sec) {
  cached_second_ = sec;
  const auto t = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (opts_.utc) {
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  std::size_t n = std::strftime(cached_hms_, sizeof cached_hms_ - 1, "%H:%M:%S", &tm);
  cached_hms_[n++] = '.';
  cached_hms_len_ = n;
}

[[gnu::always_inline]] inline Cursor TextSink::put_time_of_day(Cursor c, std::int64_t ts_ns) {
  // Local time like tcpdump; the "H:M:S." part is cached per second.
  const std::int64_t sec = ts_ns >= 0 ? ts_ns / 1'000'000'000 : (ts_ns + 1) / 1'000'000'000 - 1;
  const std::int64_t frac = ts_ns - sec * 1'000'000'000;
  if (sec != cached_second_ || cached_hms_len_ == 0) refresh_second(sec);
  c.put_first<sizeof cached_hms_>(cached_hms_, cached_hms_len_);
  if (opts_.nano) {
    c.put_digits9(static_cast<std::uint32_t>(frac));
  } else {
    c.put_digits6(static_cast<std::uint32_t>(frac / 1000));
  }
  return c;
}

void TextSink::put_time_of_day(std::int64_t ts_ns) {
  char* const start = out_.room(sizeof cached_hms_ + 9);
  const Cursor c = put_time_of_day(Cursor(start), ts_ns);
  out_.advance(static_cast<std::size_t>(c.pos() - start));
}

Cursor TextSink::put_endpoint(Cursor c, const net::IpAddress& a, int port, std::size_t width) noexcept {
  const char* const start = c.pos();
  const AddressTextCache::Text t = addresses_.text(a);
  if (a.version == 6 && port >= 0) {  // brackets only around an address with a port
    c.put('[');
    c.put_first<AddressTextCache::kTextRoom>(t.data, t.len);
    c.put(']');
  } else {
    c.put_first<AddressTextCache::kTextRoom>(t.data, t.len);
  }
  if (port >= 0) {
    c.put(':');
    c.put_u32(static_cast<std::uint32_t>(port));
  }
  c.pad_from(start, width);
  return c;
}

Cursor TextSink::put_tcp(Cursor c, const TcpLine& t, const track::PacketLabel* label) {
  {  // "[S.]" in a column of 6
    static_assert(decode::tcp_flag::kAe == 0x100U, "kFlagsText covers the nine flag bits");
    const PaddedText<16>& flags = kFlagsText[t.flags & 0x1FFU];
    c.put_cell<16>(flags.bytes.data(), flags.len, 6);
  }
  c.put(' ');
  const bool rel = label != nullptr && label->rel_seq >= 0;
  const std::uint64_t seq = rel ? static_cast<std::uint64_t>(label->rel_seq) : t.seq;
  const char* const seq_start = c.pos();
  c.put_u64(seq);
  if ((t.flags & decode::tcp_flag::kAck) != 0) {
    c.put(':');
    const bool rel_ack = label != nullptr && label->rel_ack >= 0;
    c.put_u64(rel_ack ? static_cast<std::uint64_t>(label->rel_ack) : t.ack_seq);
  }
  c.pad_from(seq_start, 12);
  c.put(' ');
  const char* const len_start = c.pos();
  c.put_u32(t.payload_len);
  c.pad_from(len_start, 6);
  c.put(' ');
  const track::Step step = label != nullptr ? label->step : track::Step::kNone;
  if (step == track::Step::kNone || !opts_.color) {
    const PaddedText<32>& cell = kStepCells[std::min(static_cast<std::size_t>(step), kSteps - 1)];
    c.put_cell(cell.bytes.data(), cell.len, kStepWidth);
  } else {
    const std::string_view text = step_text(step);
    const std::string_view code = step_color(step);
    c.put(code);
    c.put(text);
    c.put("\x1b[0m");
    c.put_spaces(text.size() < kStepWidth ? kStepWidth - text.size() : 0);
  }
  c.put(' ');
  const PaddedText<32>& flags_text = kFlagsCells[flags_cell(t.flags, t.payload_len)];
  c.put_cell(flags_text.bytes.data(), flags_text.len, 8);
  // Notes: options, timing, retransmission, checksum.
  if (label != nullptr && label->retransmission) {
    c.put(' ');
    if (opts_.color) c.put(kMagenta);
    c.put("retransmission");
    if (opts_.color) c.put("\x1b[0m");
  }
  if (step == track::Step::kSimultaneousFin) c.put(" simultaneous close");
  if (label != nullptr && label->since_syn_ns >= 0) {
    if (label->step == track::Step::kHandshake3) {
      c.put(" established, RTT ");
    } else {
      c.put(" +");
    }
    char buf[kMaxDurationText];
    c.put_first<kMaxDurationText>(buf, format_duration(label->since_syn_ns, opts_.ascii, buf));
  }
  if (!t.options.empty()) {
    c.put(' ');
    c = put_tcp_options(c, t.options, t.options_cut);
  }
  if ((t.flags & (decode::tcp_flag::kSyn | decode::tcp_flag::kFin | decode::tcp_flag::kRst)) == 0 ||
      (t.flags & decode::tcp_flag::kSyn) != 0) {
    c.put(" win ");
    c.put_u32(t.window);
  }
  if (t.bad_checksum) c.put(" bad-csum");
  return c;
}

std::string TextSink::endpoint_string(const net::IpAddress& a, int port) {
  char buf[kMaxEndpointText + detail::kMaxPadWidth];
  const Cursor c = put_endpoint(Cursor(buf), a, port, 0);
  return {buf, static_cast<std::size_t>(c.pos() - buf)};
}

void TextSink::put_endpoint(Writer& w, const net::IpAddress& a, int port, std::size_t width) {
  char* const start = w.room(kMaxEndpointText + detail::kMaxPadWidth);
  const Cursor c = put_endpoint(Cursor(start), a, port, width);
  w.advance(static_cast<std::size_t>(c.pos() - start));
}

[[gnu::always_inline]] inline Cursor TextSink::put_line_start(Cursor c, const capture::RawFrame& raw) {
  frame_number_.put_right(c, raw.frame_no, 5);
  c.put("  ");
  c = put_time_of_day(c, raw.ts_ns);
  c.put("  ");
  return c;
}

Cursor TextSink::put_udp(Cursor c, std::uint32_t payload_len, bool bad_checksum) noexcept {
  c.put("udp    ");
  c.put_spaces(12 + 1);  // no seq:ack
  const char* const len_start = c.pos();
  c.put_u32(payload_len);
  c.pad_from(len_start, 6);
  c.put("                 UDP");
  if (bad_checksum) c.put(" bad-csum");
  return c;
}

void TextSink::packet_summary(const SummaryEvent& ev) {
  // packet()'s TCP or UDP line for a frame decode_frame() finds no problem in, from the same values: the
  // summary's fields are from_frame()'s (decode_flow_test, the decode fuzz target), ev.tcp_options the
  // TcpInfo::options (the same), and the frame has no problem marker.
  if (!packet_header_done_) packet_header();
  Writer& w = out_;
  const track::PacketSummary& p = ev.pkt;
  char* const line = w.room(kLineRoom);
  Cursor c = put_line_start(Cursor(line), ev.raw);
  c = put_endpoint(c, p.src, p.sport, kEndpointWidth);
  c.put(" > ");
  c = put_endpoint(c, p.dst, p.dport, kEndpointWidth);
  c.put(' ');
  if (p.proto == 6) {
    c = put_tcp(c, TcpLine{p.tcp_flags, p.seq, p.ack_seq, p.payload_len, p.window, p.checksum_bad, false, ev.tcp_options},
                ev.label);
  } else {
    c = put_udp(c, p.payload_len, p.checksum_bad);  // from_frame(): the length field's, as decode_frame()'s
  }
  if (p.ip_checksum_bad) c.put(" bad-ip-csum");
  c.put('\n');  // within kLineRoom: the 32 bytes of padding slack are beyond the longest line
  assert(c.pos() - line <= static_cast<std::ptrdiff_t>(kMaxLinePrefix + kMaxTcpText + 1));  // the sanitizer build checks
  w.advance(static_cast<std::size_t>(c.pos() - line));
}

void TextSink::packet(const PacketEvent& ev) {
  if (!opts_.packets) return;
  if (!packet_header_done_) packet_header();
  Writer& w = out_;
  const DecodedFrame& f = ev.frame;

  // The line up to the problem marker is written through a cursor into room for its longest form.
  char* const line = w.room(kLineRoom);
  Cursor c = put_line_start(Cursor(line), ev.raw);

  if (!f.has_ip()) {
    w.advance(static_cast<std::size_t>(c.pos() - line));
    if (f.link.ethertype != 0) {
      w.put("ethertype 0x");
      w.put_hex(f.link.ethertype, 4);
      if (f.link.ethertype == 0x0806) w.put(" (ARP)");
      if (f.link.ethertype == 0x8847 || f.link.ethertype == 0x8848) w.put(" (MPLS)");
    } else {
      w.put(decode::link_type_name(ev.raw.dlt));
    }
    w.put(", length ");
    w.put_u64(ev.raw.wire_len);
    end_line(f);
    return;
  }

  // Endpoints.
  int sport = -1;
  int dport = -1;
  if (f.transport == Transport::kTcp) {
    sport = f.tcp.sport;
    dport = f.tcp.dport;
  } else if (f.transport == Transport::kUdp) {
    sport = f.udp.sport;
    dport = f.udp.dport;
  }
  c = put_endpoint(c, f.ip.src, sport, kEndpointWidth);
  c.put(" > ");
  c = put_endpoint(c, f.ip.dst, dport, kEndpointWidth);
  c.put(' ');
  if (f.transport == Transport::kTcp || f.transport == Transport::kUdp) {
    if (f.transport == Transport::kTcp) {
      const decode::TcpInfo& t = f.tcp;
      const bool cut = f.problem.status == decode::Status::kTruncated && f.problem.layer == decode::Layer::kTcp;
      c = put_tcp(c,
                  TcpLine{t.flags, t.seq, t.ack_seq, t.payload_len, t.window,
                          t.checksum_state == decode::ChecksumState::kBad, cut, t.options},
                  ev.label);
    } else {
      c = put_udp(c, f.udp.payload_len, f.udp.checksum_state == decode::ChecksumState::kBad);
    }
    if (f.ip.header_checksum == decode::ChecksumState::kBad) c.put(" bad-ip-csum");
    assert(c.pos() - line <= static_cast<std::ptrdiff_t>(kMaxLinePrefix + kMaxTcpText));  // the sanitizer build checks
    w.advance(static_cast<std::size_t>(c.pos() - line));
    end_line(f);
    if (opts_.explain && ev.label != nullptr) explain(ev);
    return;
  }
  w.advance(static_cast<std::size_t>(c.pos() - line));

  switch (f.transport) {
    case Transport::kTcp:  // both above
    case Transport::kUdp:
      break;
    case Transport::kIcmp:
    case Transport::kIcmp6: {
      const auto& i = f.icmp;
      const bool v6 = f.transport == Transport::kIcmp6;
      w.put(v6 ? "icmp6  " : "icmp   ");
      w.put_spaces(12 + 1);  // no seq:ack
      w.put_u64_left(i.payload_len, 6);
      w.put("                 ");
      w.put(v6 ? decode::icmp6_type_name(i.type) : decode::icmp_type_name(i.type));
      const char* code = v6 ? decode::icmp6_code_name(i.type, i.code) : decode::icmp_code_name(i.type, i.code);
      if (code[0] != '\0') {
        w.put(" (");
        w.put(code);
        w.put(')');
      }
      if (i.is_echo) {
        w.put(", id ");
        w.put_u64(i.id);
        w.put(", seq ");
        w.put_u64(i.seq);
      }
      if (i.quoted.present && !i.quoted.has_ip) {
        // Shorter than an IP header, or another IP version: no addresses to show (tcpdump: "[|icmp]").
        if (i.quoted.truncated) {
          w.put(" [|quoted]");
        } else {
          w.put(" [quoted IP version ");
          w.put_u64(i.quoted.version);
          w.put(']');
        }
      } else if (i.quoted.present) {
        const auto& q = i.quoted;
        w.put(" for ");
        w.put(decode::ip_proto_name(q.proto)[0] != '\0' ? decode::ip_proto_name(q.proto) : "proto");
        w.put(' ');
        put_endpoint(w, q.src, q.has_ports ? q.sport : -1, 0);
        w.put(" > ");
        put_endpoint(w, q.dst, q.has_ports ? q.dport : -1, 0);
        if (q.has_echo) {
          w.put(" echo id ");
          w.put_u64(q.echo_id);
          w.put(" seq ");
          w.put_u64(q.echo_seq);
        }
        if (q.truncated) w.put(" [|quoted]");
      }
      if (i.checksum_state == decode::ChecksumState::kBad) w.put(" bad-csum");
      break;
    }
    case Transport::kOther:
    case Transport::kNone: {
      w.put("ip-");
      const char* pname = decode::ip_proto_name(f.ip.proto);
      if (pname[0] != '\0') {
        w.put(pname);
      } else {
        w.put_u64(f.ip.proto);
      }
      if (f.ip.is_fragment && f.ip.frag_offset != 0) {
        w.put(" fragment offset ");
        w.put_u64(static_cast<std::uint64_t>(f.ip.frag_offset) * 8U);
      }
      break;
    }
  }
  if (f.ip.header_checksum == decode::ChecksumState::kBad) w.put(" bad-ip-csum");
  end_line(f);
  if (opts_.explain && ev.label != nullptr) explain(ev);
}

void TextSink::explain(const PacketEvent& ev) {
  const track::PacketLabel& l = *ev.label;
  const DecodedFrame& f = ev.frame;
  if (f.transport != Transport::kTcp) return;
  const auto& t = f.tcp;
  const char* who = l.is_orig ? "client" : "server";
  const char* other = l.is_orig ? "server" : "client";
  char buf[512];
  buf[0] = '\0';
  switch (l.step) {
    case track::Step::kHandshake1:
      std::snprintf(buf, sizeof buf,
                    "client asks to connect to port %u: SYN with its initial sequence number (ISN) %" PRIu32
                    ", shown as relative seq 0%s%s",
                    t.dport, t.seq, t.opt.has_mss ? "; it offers options (MSS = largest segment it accepts)" : "",
                    l.retransmission ? "; this SYN is a retransmission: no SYN-ACK came back in time" : "");
      break;
    case track::Step::kHandshake2:
      std::snprintf(buf, sizeof buf,
                    "server agrees: SYN-ACK carries its own ISN %" PRIu32 " and acknowledges the client's ISN + 1; it "
                    "answered %s after the SYN",
                    t.seq, format_duration(l.since_syn_ns, opts_.ascii).c_str());
      break;
    case track::Step::kHandshake3:
      std::snprintf(buf, sizeof buf,
                    "client acknowledges the server's ISN + 1: the connection is established; the handshake took %s "
                    "(one round trip as seen from here)",
                    format_duration(l.since_syn_ns, opts_.ascii).c_str());
      break;
    case track::Step::kTeardown1:
      std::snprintf(buf, sizeof buf, "%s closes its side (FIN): it has no more data to send; a FIN uses one sequence number", who);
      break;
    case track::Step::kTeardown2:
      std::snprintf(buf, sizeof buf, "%s acknowledges the FIN; it may still send data of its own (half-close)", who);
      break;
    case track::Step::kTeardown3:
      std::snprintf(buf, sizeof buf, "%s closes its side too (FIN)", who);
      break;
    case track::Step::kTeardown23:
      std::snprintf(buf, sizeof buf,
                    "%s acknowledges the FIN and closes its own side in the same segment (FIN+ACK): a 3-way teardown", who);
      break;
    case track::Step::kTeardown4:
      std::snprintf(buf, sizeof buf,
                    "%s acknowledges the last FIN: the connection is closed (the side that closed first waits in "
                    "TIME-WAIT for 2 x MSL)",
                    who);
      break;
    case track::Step::kSimultaneousFin:
      std::snprintf(buf, sizeof buf, "%s sends its FIN while the %s's FIN is still in flight: a simultaneous close", who, other);
      break;
    case track::Step::kReset:
      if ((t.flags & decode::tcp_flag::kAck) != 0 && l.rel_seq == 0 && !l.is_orig) {
        std::snprintf(buf, sizeof buf, "server answers the SYN with RST: nothing listens on port %u (connection refused)", t.sport);
      } else {
        std::snprintf(buf, sizeof buf, "%s aborts the connection (RST): no FIN exchange, unsent and unread data is discarded", who);
      }
      break;
    case track::Step::kNone:
      if (l.retransmission) {
        std::snprintf(buf, sizeof buf, "%s sends the same bytes again (retransmission): the first copy or its ACK was lost or late", who);
      } else if (t.payload_len > 0) {
        std::snprintf(buf, sizeof buf, "%s sends %" PRIu32 " bytes of data; the %s acknowledges them with ack = seq + len", who,
                      t.payload_len, other);
      }
      break;
  }
  if (buf[0] == '\0') return;
  color(kDim);
  out_.put("         ~ ");
  out_.put(buf);
  color_reset();
  out_.put('\n');
}

void TextSink::table_header() {
  table_header_done_ = true;
  Writer& w = out_;
  color(kBold);
  w.put(" orig                    resp                    proto state   history        handshake (syn>synack / synack>ack)   bytes >/<         teardown\n");
  color_reset();
}

void TextSink::table_row(const RowView& r) {
  // The cells of bounded width go through a cursor into room reserved for their longest form (a padded
  // cell stores 32 blanks past its text, the handshake cell's padding 64); the three texts of any length
  // (state, history, teardown) through the Writer's checked calls.
  Writer& w = out_;
  {
    static constexpr std::size_t kRoom = 1 + 2 * (kMaxEndpointText + 1) + detail::kMaxPadWidth + 1;
    char* const start = w.room(kRoom);
    Cursor c(start);
    c.put(' ');
    c = put_endpoint(c, r.orig_h, r.orig_p, 23);
    c.put(' ');
    c = put_endpoint(c, r.resp_h, r.resp_p, 23);
    c.put(' ');
    c.put_padded_short(r.proto == 6 ? "tcp" : r.proto == 17 ? "udp" : "icmp", 5);
    c.put(' ');
    w.advance(static_cast<std::size_t>(c.pos() - start));
  }
  w.put_padded(r.state, 7);
  w.put(' ');
  w.put_padded(r.history.empty() ? std::string_view("-") : r.history, 14);
  w.put(' ');
  {
    static constexpr std::size_t kRoom = (3 * kMaxDurationText + 8) + 2 * detail::kMaxPadWidth + 1 + 20 + 3 + 20 +
                                         detail::kMaxPadWidth + 1;
    char* const start = w.room(kRoom);
    Cursor c(start);
    // "49 µs (12 µs / 37 µs)": padded by characters, not bytes ("µ" is two bytes in UTF-8).
    const std::size_t n = handshake_cell(r, c.pos());
    const std::size_t chars = detail::utf8_length(std::string_view(c.pos(), n));
    c.advance(n);
    if (chars < 37) c.put_spaces_short(37 - chars);
    c.put(' ');
    const char* const m = c.pos();
    c.put_u64(r.orig_bytes);
    c.put(" / ");
    c.put_u64(r.resp_bytes);
    c.pad_from(m, 17);
    c.put(' ');
    w.advance(static_cast<std::size_t>(c.pos() - start));
  }
  w.put(r.teardown.empty() ? std::string_view("-") : r.teardown);
  w.put('\n');
}

std::size_t TextSink::handshake_cell(const RowView& r, char* cell) const noexcept {
  std::size_t n = 0;
  auto text = [&](std::string_view t) {
    std::memcpy(cell + n, t.data(), t.size());
    n += t.size();
  };
  auto duration = [&](std::int64_t ns) { n += format_duration(ns, opts_.ascii, cell + n); };
  if (r.rtt_ns >= 0) {
    duration(r.rtt_ns);
    text(" (");
    duration(r.synack_ns);
    text(" / ");
    duration(r.ack_ns);
    text(")");
  } else if (r.synack_ns >= 0) {
    text("- (");
    duration(r.synack_ns);
    text(" / -)");
  } else {
    text("-");
  }
  return n;
}

void TextSink::conn_line(const Row& r, std::int64_t last_ns, std::string_view end_reason) {
  // Between packet lines (live capture), so self-describing instead of a table row under a header that
  // has long scrolled away: " conn  TIME  orig > resp  proto state history  handshake …  bytes …  teardown".
  Writer& w = out_;
  color(kBold);
  w.put(" conn");
  color_reset();
  w.put("  ");
  put_time_of_day(last_ns);
  w.put("  ");
  put_endpoint(w, r.orig_h, r.orig_p, 0);
  w.put(" > ");
  put_endpoint(w, r.resp_h, r.resp_p, 0);
  w.put(r.proto == 6 ? "  tcp " : r.proto == 17 ? "  udp " : "  icmp ");
  w.put(r.state);
  w.put(' ');
  w.put(r.history.empty() ? std::string_view("-") : std::string_view(r.history));
  char d[kMaxDurationText];
  if (r.rtt_ns >= 0) {
    w.put("  handshake ");
    w.put(std::string_view(d, format_duration(r.rtt_ns, opts_.ascii, d)));
    w.put(" (syn>synack ");
    w.put(std::string_view(d, format_duration(r.synack_ns, opts_.ascii, d)));
    w.put(", synack>ack ");
    w.put(std::string_view(d, format_duration(r.ack_ns, opts_.ascii, d)));
    w.put(")");
  } else if (r.synack_ns >= 0) {
    w.put("  syn>synack ");
    w.put(std::string_view(d, format_duration(r.synack_ns, opts_.ascii, d)));
  }
  w.put("  bytes ");
  w.put_u64(r.orig_bytes);
  w.put(" > / ");
  w.put_u64(r.resp_bytes);
  w.put(" <");
  if (!r.teardown.empty()) {
    w.put("  ");
    w.put(r.teardown);
  }
  if (!end_reason.empty() && end_reason != "closed") {
    w.put(" (");
    w.put(end_reason);
    w.put(')');
  }
  w.put('\n');
}

void TextSink::conn(const track::ConnRecord& r) {
  ++conns_;
  {
    auto it = std::find_if(states_.begin(), states_.end(), [&](const auto& e) { return e.first == r.conn_state; });
    if (it == states_.end()) it = states_.emplace(states_.end(), r.conn_state, 0);
    ++it->second;
  }
  if (r.proto == 6) {
    if (r.handshake_rtt_ns >= 0) {
      rtts_.add(r.handshake_rtt_ns);
      std::size_t decade = 0;
      while (decade < 6 && r.handshake_rtt_ns >= kRttDecadeEdges[decade]) ++decade;
      ++rtt_decades_[decade];
      // Keep the kSlowestKept largest, in descending order, earlier ones first among equals.
      if (slowest_.size() < kSlowestKept || r.handshake_rtt_ns > slowest_.back().first) {
        const auto pos = std::upper_bound(slowest_.begin(), slowest_.end(), r.handshake_rtt_ns,
                                          [](std::int64_t v, const auto& e) { return v > e.first; });
        slowest_.emplace(pos, r.handshake_rtt_ns,
                         endpoint_string(r.orig_h, r.orig_p) + " > " + endpoint_string(r.resp_h, r.resp_p));
        if (slowest_.size() > kSlowestKept) slowest_.pop_back();
      }
    }
    if (r.conn_state == "REJ") ++refused_by_port_[r.resp_p];
    if (r.conn_state == "S0") ++unanswered_by_port_[r.resp_p];
  }
  if (!opts_.conns) return;
  const bool ports = r.proto == 6 || r.proto == 17;
  if (opts_.stream_conns && !opts_.packets) {  // a table row as it ends: nothing kept
    if (!table_header_done_) table_header();
    table_row(RowView{r.orig_h, ports ? r.orig_p : -1, r.resp_h, ports ? r.resp_p : -1, r.conn_state, r.history,
                      r.teardown, r.handshake_rtt_ns, r.synack_delay_ns, r.ack_delay_ns, r.orig_bytes,
                      r.resp_bytes, r.proto});
    return;
  }
  Row row{r.ts_ns,        r.orig_h,     ports ? r.orig_p : -1, r.resp_h,           ports ? r.resp_p : -1,
          r.conn_state,   r.history,    r.teardown,            r.handshake_rtt_ns, r.synack_delay_ns,
          r.ack_delay_ns, r.orig_bytes, r.resp_bytes,          r.proto};
  if (opts_.stream_conns && opts_.packets) {
    conn_line(row, r.last_ns, r.end_reason);
    return;
  }
  if (rows_.size() < opts_.max_table_rows) {
    rows_.push_back(std::move(row));
  } else {
    ++rows_dropped_;
  }
}

void TextSink::finish(const RunSummary& s) {
  Writer& w = out_;
  if (opts_.conns) {
    if (!opts_.stream_conns) {
      std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) { return a.ts_ns < b.ts_ns; });
      if (opts_.packets) w.put('\n');
    } else {
      w.put('\n');
    }
    color(kBold);
    w.put("connections: ");
    w.put_u64(conns_);
    color_reset();
    std::sort(states_.begin(), states_.end());  // by name, as the map it replaced
    for (const auto& [state, n] : states_) {
      w.put("   ");
      w.put(state);
      w.put(' ');
      w.put_u64(n);
    }
    w.put('\n');
    if (!opts_.stream_conns) {
      if (!rows_.empty()) table_header();
      for (const Row& r : rows_) table_row(view(r));
      if (rows_dropped_ > 0) {
        w.put(" ... ");
        w.put_u64(rows_dropped_);
        w.put(" more connections not shown (use --conns-only, --json or --zeek for all)\n");
      }
    }
    // Handshake RTT distribution.
    if (rtts_.count() > 0) {
      w.put("\nhandshake RTT (");
      w.put_u64(rtts_.count());
      w.put(" completed): p50 ");
      w.put(format_duration(rtts_.quantile(0.50), opts_.ascii));
      w.put("  p90 ");
      w.put(format_duration(rtts_.quantile(0.90), opts_.ascii));
      w.put("  p99 ");
      w.put(format_duration(rtts_.quantile(0.99), opts_.ascii));
      w.put("  max ");
      w.put(format_duration(rtts_.max(), opts_.ascii));
      if (!rtts_.exact()) w.put("  (percentiles within 0.4 %)");
      w.put('\n');
      const auto& counts = rtt_decades_;
      std::uint64_t maxc = 1;
      for (const std::uint64_t c : counts) maxc = std::max(maxc, c);
      for (std::size_t b = 0; b < 7; ++b) {
        if (counts[b] == 0) continue;
        w.put(kRttDecadeNames[b]);
        w.put(" | ");
        const std::uint64_t bar = (counts[b] * 40 + maxc - 1) / maxc;
        for (std::uint64_t i = 0; i < bar; ++i) w.put('#');
        w.put(' ');
        w.put_u64(counts[b]);
        w.put('\n');
      }
      if (slowest_.size() > 1) {
        w.put("slowest handshakes:\n");
        for (const auto& [ns, who] : slowest_) {
          w.put("  ");
          w.put(format_duration(ns, opts_.ascii));
          w.put("  ");
          w.put(who);
          w.put('\n');
        }
      }
    }
    auto by_port = [&](const char* title, const std::map<std::uint16_t, std::uint64_t>& m) {
      if (m.empty()) return;
      w.put(title);
      bool first = true;
      for (const auto& [port, n] : m) {
        w.put(first ? " " : ", ");
        first = false;
        w.put("port ");
        w.put_u64(port);
        w.put(" x");
        w.put_u64(n);
      }
      w.put('\n');
    };
    by_port("refused (REJ) by destination:", refused_by_port_);
    by_port("unanswered (S0) by destination:", unanswered_by_port_);
  }
  if (s.bad_checksums > 0) {
    w.put("note: ");
    w.put_u64(s.bad_checksums);
    w.put(" packets have wrong checksums; captures taken on the sending host (or on veth) usually show this "
          "because of checksum offload. They were analysed anyway.\n");
  }
  if (s.evicted > 0) {
    w.put("note: ");
    w.put_u64(s.evicted);
    w.put(" connections were reported before they ended (evicted): more were open at once than --max-conns "
          "allows, or than an address-space limit (ulimit -v) leaves room for.\n");
  }
  if (s.truncated > 0 || s.invalid > 0) {
    w.put("note: ");
    w.put_u64(s.truncated);
    w.put(" packets truncated (snaplen or cut short), ");
    w.put_u64(s.invalid);
    w.put(" with invalid header fields; their decodable part is shown.\n");
  }
  w.flush();
}

}  // namespace synscope::sink

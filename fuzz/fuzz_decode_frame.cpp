// Fuzz target: decode_frame() on every supported link type (and one it does not support).
// Input: byte 0 picks the link type, byte 1 the options (checksum verification, wire length), the rest
// is the captured frame. Besides "no crash, no sanitizer report" it checks what the header promises:
// every span points into the frame, offsets stay inside the captured bytes, a DecodedFrame reused
// across frames (as the pipeline does) gives the same answer as a fresh one, and summarize_flow() agrees
// with from_frame() wherever it accepts a frame (and points at the same TCP option bytes).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "synscope/decode/flow.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"
#include "synscope/track/summary.hpp"
#include "common.hpp"
#include "targets.hpp"

namespace synscope::fuzz {
namespace {

void check_frame(const decode::DecodedFrame& f, Bytes frame) {
  SYNSCOPE_FUZZ_CHECK(f.problem.what != nullptr);
  SYNSCOPE_FUZZ_CHECK(f.caplen == frame.size());
  SYNSCOPE_FUZZ_CHECK(within(f.payload, frame));
  SYNSCOPE_FUZZ_CHECK(within(f.ip.options, frame));
  SYNSCOPE_FUZZ_CHECK(within(f.tcp.options, frame));
  SYNSCOPE_FUZZ_CHECK(f.link.header_len <= frame.size());
  if (f.has_ip()) {
    SYNSCOPE_FUZZ_CHECK(f.ip.version == 4 || f.ip.version == 6);
    SYNSCOPE_FUZZ_CHECK(f.ip_offset <= frame.size());
  }
  if (f.transport != decode::Transport::kNone) {
    SYNSCOPE_FUZZ_CHECK(f.has_ip());
    SYNSCOPE_FUZZ_CHECK(f.l4_offset <= frame.size());
    SYNSCOPE_FUZZ_CHECK(f.l4_caplen <= frame.size() - f.l4_offset);
  }
}

void same(const decode::DecodedFrame& a, const decode::DecodedFrame& b) {
  SYNSCOPE_FUZZ_CHECK(a.problem.status == b.problem.status);
  SYNSCOPE_FUZZ_CHECK(a.problem.layer == b.problem.layer);
  SYNSCOPE_FUZZ_CHECK(a.anomalies == b.anomalies);
  SYNSCOPE_FUZZ_CHECK(a.transport == b.transport);
  SYNSCOPE_FUZZ_CHECK(a.ip.version == b.ip.version);
  SYNSCOPE_FUZZ_CHECK(a.ip.src == b.ip.src && a.ip.dst == b.ip.dst);
  SYNSCOPE_FUZZ_CHECK(a.ip.proto == b.ip.proto && a.ip.ext_count == b.ip.ext_count);
  SYNSCOPE_FUZZ_CHECK(a.ip.payload_len == b.ip.payload_len);
  SYNSCOPE_FUZZ_CHECK(a.link.ethertype == b.link.ethertype && a.link.vlan_count == b.link.vlan_count);
  SYNSCOPE_FUZZ_CHECK(a.l4_offset == b.l4_offset && a.l4_caplen == b.l4_caplen);
  SYNSCOPE_FUZZ_CHECK(a.payload.data() == b.payload.data() && a.payload.size() == b.payload.size());
  SYNSCOPE_FUZZ_CHECK(a.tcp.seq == b.tcp.seq && a.tcp.flags == b.tcp.flags && a.tcp.payload_len == b.tcp.payload_len);
  SYNSCOPE_FUZZ_CHECK(a.tcp.opt.has_mss == b.tcp.opt.has_mss && a.tcp.opt.malformed == b.tcp.opt.malformed);
  SYNSCOPE_FUZZ_CHECK(a.udp.length == b.udp.length && a.udp.payload_len == b.udp.payload_len);
  SYNSCOPE_FUZZ_CHECK(a.icmp.type == b.icmp.type && a.icmp.quoted.present == b.icmp.quoted.present);
  SYNSCOPE_FUZZ_CHECK(a.icmp.quoted.truncated == b.icmp.quoted.truncated);
}

bool same_summary(const decode::FlowSummary& a, const decode::FlowSummary& b) {
  return a.ts_ns == b.ts_ns && a.src == b.src && a.dst == b.dst && a.proto == b.proto && a.sport == b.sport &&
         a.dport == b.dport && a.ip_len == b.ip_len && a.tcp_flags == b.tcp_flags && a.seq == b.seq &&
         a.ack_seq == b.ack_seq && a.window == b.window && a.payload_len == b.payload_len &&
         a.payload_truncated == b.payload_truncated && a.checksum_bad == b.checksum_bad &&
         a.ip_checksum_bad == b.ip_checksum_bad && a.is_fragment == b.is_fragment && a.has_mss == b.has_mss &&
         a.mss == b.mss && a.has_wscale == b.has_wscale && a.wscale == b.wscale && a.sack_ok == b.sack_ok &&
         a.has_timestamps == b.has_timestamps && a.icmp_type == b.icmp_type && a.icmp_code == b.icmp_code &&
         a.icmp_one_way == b.icmp_one_way;
}

// Touches what sinks print, so that the sanitizers see every byte they would read.
std::size_t exercise_printing(const decode::DecodedFrame& f) {
  std::size_t n = 0;
  std::array<char, net::kMaxAddressText> text{};
  if (f.has_ip()) {
    n += net::format_address(f.ip.src, text.data());
    n += net::format_address(f.ip.dst, text.data());
    SYNSCOPE_FUZZ_CHECK(n < 2 * net::kMaxAddressText);
  }
  if (f.icmp.quoted.present && f.icmp.quoted.version != 0) {
    n += net::format_address(f.icmp.quoted.src, text.data());
    n += net::format_address(f.icmp.quoted.dst, text.data());
  }
  decode::TcpOptionIterator it(f.tcp.options);
  decode::TcpOption opt;
  while (it.next(opt)) {
    SYNSCOPE_FUZZ_CHECK(within(opt.data, f.tcp.options));
    for (std::byte b : opt.data) n += std::to_integer<std::size_t>(b);
  }
  n += std::strlen(decode::icmp_type_name(f.icmp.type)) + std::strlen(decode::icmp_code_name(f.icmp.type, f.icmp.code));
  n += std::strlen(decode::icmp6_type_name(f.icmp.type)) + std::strlen(decode::icmp6_code_name(f.icmp.type, f.icmp.code));
  n += std::strlen(decode::ip_proto_name(f.ip.proto)) + std::strlen(decode::link_type_name(f.link.dlt));
  for (std::byte b : f.payload) n += std::to_integer<std::size_t>(b);
  const track::PacketSummary s = track::from_frame(f, 1'700'000'000'000'000'000);
  n += static_cast<std::size_t>(s.proto) + s.sport + s.dport;
  return n;
}

}  // namespace

int decode_frame_one(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint32_t dlt = kFuzzDlts[data[0] % kFuzzDlts.size()];
  const std::uint8_t opts = data[1];
  const Bytes frame = as_bytes(data + 2, size - 2);
  const auto caplen = static_cast<std::uint32_t>(frame.size());
  // Wire length: usually >= caplen (a snaplen cut), sometimes smaller (libpcap passes caplen > len through).
  std::uint32_t wire_len = caplen + static_cast<std::uint32_t>((opts >> 1U) & 0x3FU) * 61U;
  if ((opts & 0x80U) != 0) wire_len = caplen / 2;
  decode::DecodeOptions dopts;
  dopts.verify_checksums = (opts & 1U) == 0;

  decode::DecodedFrame fresh;
  decode::decode_frame(dlt, frame, wire_len, fresh, dopts);
  SYNSCOPE_FUZZ_CHECK(fresh.link.dlt == dlt);
  check_frame(fresh, frame);
  if (!decode::link_type_supported(dlt)) SYNSCOPE_FUZZ_CHECK(!fresh.has_ip());

  // The pipeline reuses one DecodedFrame: nothing of the previous frame may leak into the next.
  static decode::DecodedFrame reused;
  decode::decode_frame(dlt, frame, wire_len, reused, dopts);
  same(fresh, reused);

  // The pipeline's short way to a tracker summary: where it accepts the frame, exactly the long way's.
  decode::FlowSummary quick;
  bool quick_bad = false;
  Bytes quick_options;
  if (decode::summarize_flow(dlt, frame, wire_len, 7, quick, quick_bad, dopts, &quick_options)) {
    SYNSCOPE_FUZZ_CHECK(fresh.ok());
    // The text sink prints an accepted segment from these: the very bytes decode_frame() points at.
    if (quick.proto == 6) {
      SYNSCOPE_FUZZ_CHECK(quick_options.data() == fresh.tcp.options.data() &&
                          quick_options.size() == fresh.tcp.options.size());
    } else {
      SYNSCOPE_FUZZ_CHECK(quick_options.empty());
    }
    const track::PacketSummary slow = track::from_frame(fresh, 7);
    SYNSCOPE_FUZZ_CHECK(same_summary(quick, slow));
    SYNSCOPE_FUZZ_CHECK(quick_bad == (decode::has(fresh.anomalies, decode::Anomaly::kL4ChecksumBad) ||
                                      decode::has(fresh.anomalies, decode::Anomaly::kIpChecksumBad)));
  }

  keep(exercise_printing(fresh));
  return 0;
}

}  // namespace synscope::fuzz

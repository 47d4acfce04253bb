// decode_frame() into a DecodedFrame that still holds the previous frame must give exactly what it gives
// into a fresh one: the pipeline reuses one frame for the whole run and relies on decode_frame()'s own
// reset instead of clearing the ~500-byte struct per packet. Every frame of every capture of the project
// and of the shared suites (fuzz crashers included) is decoded both ways and every field compared.

#include <doctest/doctest.h>

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/captures.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"

namespace {

using namespace synscope::decode;

void put_addr(std::ostringstream& o, const synscope::net::IpAddress& a) {
  o << int{a.version} << '/';
  for (const auto b : a.bytes) o << int{b} << '.';
  o << ' ';
}

/// Where a span points, relative to the frame's bytes (the same frame is decoded both ways).
void put_span(std::ostringstream& o, synscope::Bytes s, synscope::Bytes frame) {
  if (s.empty()) {
    o << "[] ";
    return;
  }
  o << '[' << (s.data() - frame.data()) << '+' << s.size() << "] ";
}

void put_quote(std::ostringstream& o, const QuotedPacket& q) {
  o << q.present << int{q.version} << q.has_ip << ' ';
  put_addr(o, q.src);
  put_addr(o, q.dst);
  o << int{q.proto} << ' ' << int{q.ttl} << ' ' << q.ip_id << ' ' << q.total_len << ' ' << q.has_ports << ' '
    << q.sport << ' ' << q.dport << ' ' << q.has_tcp_seq << ' ' << q.tcp_seq << ' ' << q.has_echo << ' '
    << q.echo_id << ' ' << q.echo_seq << ' ' << q.truncated << ' ';
}

/// Every field of a decoded frame, one line.
std::string dump(const DecodedFrame& f, synscope::Bytes frame) {
  std::ostringstream o;
  o << f.caplen << ' ' << f.wire_len << " |L ";
  const LinkInfo& l = f.link;
  o << l.dlt << ' ' << l.ethertype << ' ' << int{l.vlan_count} << ' ';
  for (const auto v : l.vlan_ids) o << v << ',';
  o << ' ' << l.has_mac << ' ';
  for (const auto b : l.src_mac) o << int{b} << ':';
  for (const auto b : l.dst_mac) o << int{b} << ':';
  o << ' ' << l.sll_pkttype << ' ' << l.sll_ifindex << ' ' << int{l.header_len} << ' ' << l.sll_hatype << ' '
    << int{l.sll_addr_len} << ' ' << l.loopback_family << ' ' << l.ppp_protocol << ' ' << int{l.mpls_count} << ' ';
  for (const auto m : l.mpls_labels) o << m << ',';
  o << " |I ";
  const IpInfo& i = f.ip;
  o << int{i.version} << ' ';
  put_addr(o, i.src);
  put_addr(o, i.dst);
  o << int{i.proto} << ' ' << int{i.ttl} << ' ' << int{i.tos} << ' ' << i.id << ' ' << i.flow_label << ' '
    << i.header_len << ' ' << i.total_len << ' ' << i.dont_fragment << i.more_fragments << ' ' << i.frag_offset << ' '
    << i.is_fragment << ' ' << int{i.ext_count} << ' ' << int(i.header_checksum) << ' ' << i.checksum << ' '
    << i.checksum_expected << ' ' << int{i.next_header} << ' ' << i.payload_len << ' ' << i.frag_id << ' ';
  put_span(o, i.options, frame);
  o << "|T " << int(f.transport) << ' ';
  const TcpInfo& t = f.tcp;
  o << t.sport << ' ' << t.dport << ' ' << t.seq << ' ' << t.ack_seq << ' ' << t.flags << ' ' << t.window << ' '
    << t.urgent << ' ' << t.checksum << ' ' << int{t.data_offset} << ' ' << t.payload_len << ' ';
  put_span(o, t.options, frame);
  const TcpOptionSummary& s = t.opt;
  o << s.has_mss << ' ' << s.mss << ' ' << s.has_wscale << ' ' << int{s.wscale} << ' ' << s.sack_ok << ' '
    << s.has_timestamps << ' ' << s.ts_val << ' ' << s.ts_ecr << ' ' << int{s.sack_blocks} << ' ' << s.tfo << ' '
    << s.mptcp << ' ' << s.malformed << ' ' << int(t.checksum_state) << ' ' << t.checksum_expected << " |U ";
  const UdpInfo& u = f.udp;
  o << u.sport << ' ' << u.dport << ' ' << u.length << ' ' << u.payload_len << ' ' << int(u.checksum_state) << ' '
    << u.checksum << ' ' << u.checksum_expected << " |C ";
  const IcmpInfo& c = f.icmp;
  o << int{c.type} << ' ' << int{c.code} << ' ' << c.checksum << ' ' << c.is_echo << ' ' << c.id << ' ' << c.seq << ' '
    << c.rest << ' ' << c.payload_len << ' ';
  put_quote(o, c.quoted);
  o << int(c.checksum_state) << ' ' << c.checksum_expected << " |P ";
  put_span(o, f.payload, frame);
  o << int(f.problem.status) << ' ' << int(f.problem.layer) << ' ' << f.problem.what << ' ' << f.problem.value << ' '
    << f.problem.limit << ' ' << static_cast<std::uint32_t>(f.anomalies) << ' ' << f.ip_offset << ' ' << f.l4_offset
    << ' ' << f.l4_caplen;
  return o.str();
}


}  // namespace

TEST_CASE("decode_frame into a reused frame equals decode_frame into a fresh one, on every capture") {
  const std::vector<std::string> files = synscope::test::capture_files(/*with_fuzz=*/true);
  REQUIRE(files.size() >= 10);
  std::size_t frames = 0;
  std::size_t differing = 0;
  for (const std::string& path : files) {
    for (const bool verify : {true, false}) {
      DecodeOptions opts;
      opts.verify_checksums = verify;
      DecodedFrame reused;
      try {
        synscope::capture::FileSource src({path}, synscope::capture::FileOptions{});
        synscope::capture::RawFrame raw;
        while (src.next(raw)) {
          DecodedFrame fresh;
          decode_frame(raw.dlt, raw.bytes, raw.wire_len, fresh, opts);
          decode_frame(raw.dlt, raw.bytes, raw.wire_len, reused, opts);
          const std::string want = dump(fresh, raw.bytes);
          const std::string got = dump(reused, raw.bytes);
          if (got != want && differing++ < 5) {
            INFO(path << " frame " << raw.frame_no << " verify_checksums=" << verify);
            CHECK(got == want);
          }
          ++frames;
        }
      } catch (const std::exception&) {
        // a hostile file: the frames before the reader's error were compared
      }
    }
  }
  CHECK(differing == 0);
  MESSAGE(files.size() << " captures, " << frames << " frames compared");
  CHECK(frames >= 100);
}

TEST_CASE("dump() sees a field left over from the previous frame") {
  // The comparison above can fail: a TCP frame's port left in a frame that then holds a UDP frame.
  DecodedFrame a;
  DecodedFrame b;
  a.udp.sport = 7;
  const synscope::Bytes none;
  CHECK(dump(a, none) != dump(b, none));
}

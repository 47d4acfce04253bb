#include "support/track_capture.hpp"

#include <sstream>
#include <vector>

#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/net/ip_address.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace synscope::test {
namespace {

std::string addr(const net::IpAddress& a) {
  char buf[net::kMaxAddressText];
  return {buf, net::format_address(a, buf)};
}

std::string side(const track::ConnRecord::Side& s) {
  std::ostringstream o;
  o << s.has_mss << ':' << s.mss << ':' << s.has_wscale << ':' << int{s.wscale} << ':' << s.sack_ok << ':'
    << s.timestamps;
  return o.str();
}

}  // namespace

std::string dump(const track::ConnRecord& r) {
  std::ostringstream o;
  o << r.uid << ' ' << r.ts_ns << ' ' << r.last_ns << ' ' << addr(r.orig_h) << ':' << r.orig_p << ' '
    << addr(r.resp_h) << ':' << r.resp_p << ' ' << int{r.proto} << ' ' << r.orig_bytes << ' ' << r.resp_bytes
    << ' ' << r.bytes_known << ' ' << r.conn_state << ' ' << r.missed_bytes << ' ' << r.history << ' '
    << r.orig_pkts << ' ' << r.orig_ip_bytes << ' ' << r.resp_pkts << ' ' << r.resp_ip_bytes << ' '
    << r.handshake_rtt_ns << ' ' << r.synack_delay_ns << ' ' << r.ack_delay_ns << ' ' << r.syn_retransmits << ' '
    << r.teardown << ' ' << r.end_reason << ' ' << side(r.orig_opts) << ' ' << side(r.resp_opts);
  return o.str();
}

std::string dump(const track::PacketLabel& l) {
  std::ostringstream o;
  o << l.conn_id << ' ' << l.uid << ' ' << l.is_orig << ' ' << static_cast<int>(l.step) << ' ' << l.retransmission
    << ' ' << l.rel_seq << ' ' << l.rel_ack << ' ' << l.since_syn_ns;
  return o.str();
}

std::vector<track::ConnRecord> track_capture(const std::string& path, bool ignore_bad_checksums,
                                             std::size_t batch, std::uint64_t hash_seed, bool prepared) {
  std::vector<track::ConnRecord> recs;
  track::TrackerOptions opts;
  opts.hash_seed = hash_seed;
  opts.ignore_bad_checksums = ignore_bad_checksums;
  track::ConnTracker tracker(opts, [&](const track::ConnRecord& r) { recs.push_back(r); });
  capture::FileSource src({path}, capture::FileOptions{});
  capture::RawFrame raw;
  decode::DecodedFrame frame;
  std::vector<track::PacketSummary> pending;
  std::vector<track::PreparedPacket> keys;
  auto feed = [&] {
    if (!prepared) {
      tracker.update_batch(pending);
      return;
    }
    keys.resize(pending.size());
    tracker.prepare(pending, keys);
    tracker.update_batch(pending, keys);
  };
  std::size_t run = 1;
  while (src.next(raw)) {
    frame = decode::DecodedFrame{};
    decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, frame);
    if (batch == 0) {
      tracker.update(track::from_frame(frame, raw.ts_ns));
      continue;
    }
    pending.push_back(track::from_frame(frame, raw.ts_ns));
    if (pending.size() == run) {
      feed();
      pending.clear();
      run = run % batch + 1;
    }
  }
  feed();
  tracker.flush();
  return recs;
}

}  // namespace synscope::test

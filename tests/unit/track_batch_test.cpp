// ConnTracker::update_batch must be exactly update() on each packet: every capture of the project and of
// the shared test suites is tracked both ways (batches of 1, 2, … 16 packets, and of 3; keys prepared
// ahead in runs of up to 1000; another table hash secret) and every field of every connection record is
// compared. The capture reader errors of hostile files are caught: such a
// file contributes the records of the packets read before the error, both ways alike.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/captures.hpp"
#include "support/frame_builder.hpp"
#include "support/track_capture.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/sink/json.hpp"
#include "synscope/sink/pipeline.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"
#include "synscope/net/ip_address.hpp"
#include "synscope/track/conn.hpp"
#include "synscope/track/tracker.hpp"

namespace {

namespace fs = std::filesystem;
using synscope::track::ConnRecord;

using synscope::test::dump;

std::vector<std::string> dump_all(const std::string& path, bool ignore_bad, std::size_t batch,
                                  std::uint64_t seed = 1, bool prepared = false) {
  std::vector<std::string> out;
  try {
    for (const ConnRecord& r : synscope::test::track_capture(path, ignore_bad, batch, seed, prepared)) {
      out.push_back(dump(r));
    }
  } catch (const std::exception& e) {
    out.push_back(std::string("error: ") + e.what());
  }
  return out;
}

using synscope::test::capture_files;

}  // namespace

TEST_CASE("update_batch gives the same records as update() on every capture") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);  // the project's own captures at least
  std::size_t records = 0;
  for (const std::string& f : files) {
    for (const bool ignore_bad : {true, false}) {
      const std::vector<std::string> one = dump_all(f, ignore_bad, 0);
      for (const std::size_t batch : {std::size_t{3}, synscope::track::ConnTracker::kBatch}) {
        INFO(f << " ignore_bad_checksums=" << ignore_bad << " batch=" << batch);
        CHECK(dump_all(f, ignore_bad, batch) == one);
      }
      // Keys worked out ahead by prepare() (the two-thread pipeline's path), in runs of up to 1000.
      INFO(f << " ignore_bad_checksums=" << ignore_bad << " prepared, batch=1000");
      CHECK(dump_all(f, ignore_bad, 1000, 1, true) == one);
      // The table's hash secret changes where connections sit, never what is reported.
      INFO(f << " ignore_bad_checksums=" << ignore_bad << " hash_seed=0x5eed");
      CHECK(dump_all(f, ignore_bad, 0, 0x5eed) == one);
      records += one.size();
    }
  }
  MESSAGE(files.size() << " captures, " << records << " records compared");
  // The project's captures alone give 73 records; with the shared suites there are hundreds.
  CHECK(records >= (fs::is_directory(std::string(SYNSCOPE_SOURCE_DIR) + "/../shared/captures") ? 500U : 70U));
}

namespace {

/// Every packet's label and every record of `path` tracked by update(), one line each, in order.
/// `grouped`: as the packet-printing pipeline does, groups of up to kBatch packets are keyed by prepare()
/// and prefetch()ed first, then each goes to update(pkt, prepared).
std::vector<std::string> labels_and_records(const std::string& path, bool ignore_bad, bool fast_path,
                                            bool grouped = false) {
  std::vector<std::string> out;
  synscope::track::TrackerOptions opts;
  opts.hash_seed = 1;
  opts.ignore_bad_checksums = ignore_bad;
  opts.fast_path = fast_path;
  synscope::track::ConnTracker tracker(opts, [&](const ConnRecord& r) { out.push_back(dump(r)); });
  std::vector<synscope::track::PacketSummary> group;
  std::vector<synscope::track::PreparedPacket> keys;
  std::size_t run = 1;  // group sizes 1, 2, … kBatch, cycling
  auto feed_group = [&] {
    keys.resize(group.size());
    tracker.prepare(group, keys);
    tracker.prefetch(group, keys);
    for (std::size_t i = 0; i < group.size(); ++i) out.push_back(dump(tracker.update(group[i], keys[i])));
    group.clear();
    run = run % synscope::track::ConnTracker::kBatch + 1;
  };
  try {
    synscope::capture::FileSource src({path}, {});
    synscope::capture::RawFrame raw;
    synscope::decode::DecodedFrame frame;
    while (src.next(raw)) {
      synscope::decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, frame);
      if (!grouped) {
        out.push_back(dump(tracker.update(synscope::track::from_frame(frame, raw.ts_ns))));
        continue;
      }
      group.push_back(synscope::track::from_frame(frame, raw.ts_ns));
      if (group.size() == run) feed_group();
    }
  } catch (const std::exception& e) {
    out.push_back(std::string("error: ") + e.what());
  }
  if (!group.empty()) feed_group();
  tracker.flush();
  return out;
}

}  // namespace

TEST_CASE("the established-segment fast path, and update(pkt, prepared) after prefetching, give the general path's labels and records on every capture") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);
  std::size_t lines = 0;
  for (const std::string& f : files) {
    for (const bool ignore_bad : {true, false}) {
      INFO(f << " ignore_bad_checksums=" << ignore_bad);
      const std::vector<std::string> general = labels_and_records(f, ignore_bad, false);
      CHECK(labels_and_records(f, ignore_bad, true) == general);
      // As the packet-printing pipeline feeds it: keyed and prefetched in groups of 1 .. kBatch.
      CHECK(labels_and_records(f, ignore_bad, true, true) == general);
      lines += general.size();
    }
  }
  MESSAGE(files.size() << " captures, " << lines << " labels and records compared (three ways)");
}

TEST_CASE("the fast path on a generated capture: retransmissions, reordering, window probes, wraps") {
  // Hand-made segments that reach the fast path in the less common ways: data behind a hole (reassembly
  // blocks), a retransmission, a keep-alive, a zero window, sequence numbers wrapping past 2^32.
  std::vector<synscope::track::PacketSummary> pkts;
  auto seg = [&](bool from_client, std::uint16_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len,
                 std::uint16_t win = 1000) {
    synscope::track::PacketSummary p;
    p.ts_ns = 1'000'000'000LL + static_cast<std::int64_t>(pkts.size()) * 1'000'000LL;
    const auto client = synscope::net::IpAddress::v4(0xC0000201U);  // 192.0.2.1
    const auto server = synscope::net::IpAddress::v4(0xC6336401U);  // 198.51.100.1
    p.src = from_client ? client : server;
    p.dst = from_client ? server : client;
    p.sport = from_client ? 40000 : 80;
    p.dport = from_client ? 80 : 40000;
    p.proto = 6;
    p.tcp_flags = flags;
    p.seq = seq;
    p.ack_seq = ack;
    p.payload_len = len;
    p.window = win;
    p.ip_len = 40 + len;
    pkts.push_back(p);
  };
  const std::uint32_t c0 = 0xFFFFF000U;  // the client's data wraps past 2^32
  const std::uint32_t s0 = 5000U;
  seg(true, 0x002, c0, 0, 0);
  seg(false, 0x012, s0, c0 + 1, 0);
  seg(true, 0x010, c0 + 1, s0 + 1, 0);
  seg(true, 0x018, c0 + 1, s0 + 1, 1000);
  seg(true, 0x018, c0 + 3001, s0 + 1, 1000);  // a hole of 2000 bytes
  seg(false, 0x010, s0 + 1, c0 + 1001, 0);
  seg(true, 0x018, c0 + 1001, s0 + 1, 2000);  // fills it
  seg(true, 0x018, c0 + 1001, s0 + 1, 1000);  // retransmission
  seg(false, 0x010, s0 + 1, c0 + 4001, 0, 0);  // zero window
  seg(true, 0x010, c0 + 4000, s0 + 1, 1);      // keep-alive / window probe
  seg(false, 0x018, s0 + 1, c0 + 4001, 500);
  seg(true, 0x018, c0 + 4001, s0 + 501, 8000);  // past 2^32
  seg(false, 0x010, s0 + 501, c0 + 12001, 0);
  seg(false, 0x010, s0 + 501, c0 + 20001, 0);   // acknowledges data never seen: a gap
  seg(true, 0x011, c0 + 20001, s0 + 501, 0);    // FIN
  seg(false, 0x011, s0 + 501, c0 + 20002, 0);
  seg(true, 0x010, c0 + 20002, s0 + 502, 0);
  auto run = [&](bool fast) {
    std::vector<std::string> out;
    synscope::track::TrackerOptions opts;
    opts.fast_path = fast;
    synscope::track::ConnTracker t(opts, [&](const ConnRecord& r) { out.push_back(dump(r)); });
    for (const auto& p : pkts) out.push_back(dump(t.update(p)));
    t.flush();
    return out;
  };
  const std::vector<std::string> general = run(false);
  CHECK(run(true) == general);
  REQUIRE(!general.empty());
  // The record shows the retransmission (T), the zero window (w) and the 8000-byte gap (G, missed_bytes)
  // the segments were built to produce.
  INFO(general.back());
  CHECK(general.back().find(" SF 8000 ShADaTwdGFf ") != std::string::npos);
}

TEST_CASE("update_batch: a batch longer than kBatch and an empty batch") {
  std::vector<ConnRecord> a;
  std::vector<ConnRecord> b;
  synscope::track::ConnTracker ta({}, [&](const ConnRecord& r) { a.push_back(r); });
  synscope::track::ConnTracker tb({}, [&](const ConnRecord& r) { b.push_back(r); });
  std::vector<synscope::track::PacketSummary> pkts;
  for (std::uint16_t i = 0; i < 100; ++i) {  // 100 SYNs from distinct ports, some repeated (retransmits)
    synscope::track::PacketSummary p;
    p.ts_ns = 1'000'000'000LL + i * 1'000'000LL;
    p.src = synscope::net::IpAddress::v4(0xC0000201U);  // 192.0.2.1
    p.dst = synscope::net::IpAddress::v4(0xC6336401U);  // 198.51.100.1
    p.proto = 6;
    p.sport = static_cast<std::uint16_t>(40000 + i % 37);
    p.dport = 80;
    p.tcp_flags = 0x002;
    p.seq = 1000U + i % 37;
    pkts.push_back(p);
  }
  for (const auto& p : pkts) ta.update(p);
  tb.update_batch({});
  tb.update_batch(pkts);  // 100 > kBatch: split inside
  ta.flush();
  tb.flush();
  REQUIRE(a.size() == 37);
  REQUIRE(b.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(dump(a[i]) == dump(b[i]));
}

namespace {

/// A run summary's counters on one line.
std::string summary_line(const synscope::sink::RunSummary& s) {
  std::ostringstream o;
  o << "summary " << s.frames_read << ' ' << s.frames_matched << ' ' << s.truncated << ' ' << s.invalid << ' '
    << s.bad_checksums << ' ' << s.evicted;
  return o.str();
}

/// Keeps what a Pipeline reports: every record (dumped) and the summary's counters.
class RecordingSink final : public synscope::sink::Sink {
 public:
  std::vector<std::string> lines;
  int throw_at = -1;  // conn() throws on this record (0-based); -1 never
  void packet(const synscope::sink::PacketEvent&) override {}
  void conn(const ConnRecord& r) override {
    if (static_cast<int>(lines.size()) == throw_at) throw std::runtime_error("sink failed on purpose");
    lines.push_back(dump(r));
  }
  void finish(const synscope::sink::RunSummary& s) override { lines.push_back(summary_line(s)); }
  void flush() override { ++flushes; }
  int flushes = 0;
};

/// `path` through FileSource and a Pipeline that prints no packets, on `jobs` threads.
std::vector<std::string> pipeline_lines(const std::string& path, unsigned jobs, std::size_t max_conns) {
  RecordingSink sink;
  synscope::sink::PipelineOptions o;
  o.packet_events = false;
  o.jobs = jobs;
  o.tracker.max_conns = max_conns;
  synscope::sink::Pipeline pipe(o, {&sink});
  CHECK(pipe.threaded() == (jobs >= 2));
  try {
    synscope::capture::FileSource src({path}, {});
    synscope::capture::RawFrame raw;
    while (src.next(raw)) pipe.process(raw);
    synscope::sink::RunSummary s;
    s.frames_read = src.frames_read();
    pipe.finish(s);
  } catch (const std::exception& e) {
    sink.lines.push_back(std::string("error: ") + e.what());
  }
  return sink.lines;
}

}  // namespace

TEST_CASE("Pipeline with tracking threads (jobs 2, 3) reports what one thread does, in the same order") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);
  std::size_t records = 0;
  for (const std::string& f : files) {
    for (const std::size_t max_conns : {std::size_t{1'000'000}, std::size_t{3}}) {
      INFO(f << " max_conns=" << max_conns);
      const std::vector<std::string> one = pipeline_lines(f, 1, max_conns);
      CHECK(pipeline_lines(f, 2, max_conns) == one);
      // Two shards: the same unless the cap evicts (it is split between the shards).
      if (max_conns > 3) CHECK(pipeline_lines(f, 3, max_conns) == one);
      records += one.size();
    }
  }
  MESSAGE(files.size() << " captures, " << records << " records and summaries compared");
}

namespace {

synscope::test::Frame tcp_frame(std::uint32_t src, std::uint32_t dst, unsigned sport, unsigned dport, unsigned flags,
                                std::uint32_t seq, std::uint32_t ack) {
  synscope::test::FrameBuilder b;
  b.zeros(12).be16(0x0800);                                                               // Ethernet
  b.u8(0x45).u8(0).be16(0).be16(0).be16(0x4000).u8(64).u8(6).be16(0).be32(src).be32(dst);  // IPv4
  b.be16(sport).be16(dport).be32(seq).be32(ack).u8(0x50).u8(flags).be16(65535).be16(0).be16(0);
  synscope::test::Frame f = b.frame();
  synscope::test::finish_ipv4(f, 14);
  synscope::test::finish_l4(f, 14, 34, 6);
  return f;
}

/// 15,000 connections, 4 packets each, 0.4 ms apart: a third left open, a third reset (expired while the
/// stream goes on: the reset timeout is 5 s of capture time, the stream lasts 6 s), a third closed by FINs.
std::vector<synscope::test::Frame> many_connections() {
  std::vector<synscope::test::Frame> frames;
  for (std::uint32_t c = 0; c < 15'000; ++c) {
    const std::uint32_t cli = 0xC0000200U | (c % 200U);  // 192.0.2.x
    const std::uint32_t srv = 0xC6336400U | (c % 7U);    // 198.51.100.x
    const unsigned sport = 10'000U + c % 50'000U;
    frames.push_back(tcp_frame(cli, srv, sport, 80, 0x02, 1000, 0));
    frames.push_back(tcp_frame(srv, cli, 80, sport, 0x12, 5000, 1001));
    frames.push_back(tcp_frame(cli, srv, sport, 80, 0x10, 1001, 5001));
    if (c % 3 == 1) frames.push_back(tcp_frame(cli, srv, sport, 80, 0x04, 1001, 0));
    if (c % 3 == 2) frames.push_back(tcp_frame(cli, srv, sport, 80, 0x11, 1001, 5001));
    if (c % 3 == 0) frames.push_back(tcp_frame(cli, srv, sport, 80, 0x10, 1001, 5001));
  }
  return frames;
}

/// Frame `i` of `frames` as the reader hands it out: Ethernet, whole, 0.1 ms after the one before.
synscope::capture::RawFrame raw_frame(const std::vector<synscope::test::Frame>& frames, std::size_t i) {
  synscope::capture::RawFrame raw;
  raw.ts_ns = 1'700'000'000'000'000'000LL + static_cast<std::int64_t>(i) * 100'000;
  raw.bytes = synscope::test::view(frames[i]);
  raw.caplen = raw.wire_len = static_cast<std::uint32_t>(frames[i].size());
  raw.dlt = 1;
  raw.frame_no = i + 1;
  return raw;
}

std::vector<std::string> pipeline_lines(const std::vector<synscope::test::Frame>& frames, unsigned jobs,
                                        std::size_t max_conns, int throw_at = -1) {
  RecordingSink sink;
  sink.throw_at = throw_at;
  synscope::sink::PipelineOptions o;
  o.packet_events = false;
  o.jobs = jobs;
  o.tracker.max_conns = max_conns;
  try {
    synscope::sink::Pipeline pipe(o, {&sink});
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const synscope::capture::RawFrame raw = raw_frame(frames, i);
      pipe.process(raw);
    }
    pipe.finish({});
  } catch (const std::runtime_error& e) {
    sink.lines.push_back(std::string("error: ") + e.what());
  }
  return sink.lines;
}

}  // namespace

TEST_CASE("Pipeline with tracking threads: 60,000 packets through the block ring, records in order") {
  const std::vector<synscope::test::Frame> frames = many_connections();
  for (const std::size_t max_conns : {std::size_t{1'000'000}, std::size_t{100}}) {
    INFO("max_conns=" << max_conns);
    const std::vector<std::string> one = pipeline_lines(frames, 1, max_conns);
    CHECK(one.size() == 15'000 + 1);  // every connection and the summary
    CHECK(pipeline_lines(frames, 2, max_conns) == one);
    if (max_conns == 100) {
      // Sharded, the cap is split: every connection is still reported once, with evictions.
      const std::vector<std::string> sharded = pipeline_lines(frames, 4, max_conns);
      CHECK(sharded.size() == one.size());
      continue;
    }
    CHECK(pipeline_lines(frames, 3, max_conns) == one);  // two shards
    CHECK(pipeline_lines(frames, 8, max_conns) == one);  // seven shards
  }
  // An error on the tracking thread (a sink throwing in the middle of the stream) reaches the caller as it
  // does with one thread; the records reported before it were flushed.
  // Record 1000 comes from the expiry of a reset connection in the middle of the stream.
  const std::vector<std::string> one = pipeline_lines(frames, 1, 1'000'000, 1000);
  REQUIRE(one.size() == 1000 + 1);
  CHECK(one[1000] == "error: sink failed on purpose");
  CHECK(pipeline_lines(frames, 2, 1'000'000, 1000) == one);
  CHECK(pipeline_lines(frames, 3, 1'000'000, 1000) == one);
}

TEST_CASE("Pipeline with tracking threads: an error there reaches the caller, earlier records stay") {
  const std::string f = std::string(SYNSCOPE_SOURCE_DIR) + "/captures/icmp.pcap";
  REQUIRE(fs::exists(f));
  for (const unsigned jobs : {2U, 3U}) {
    INFO("jobs=" << jobs);
    RecordingSink sink;
    sink.throw_at = 2;
    synscope::sink::PipelineOptions o;
    o.packet_events = false;
    o.jobs = jobs;
    o.tracker.max_conns = 1;  // every new flow evicts the last: records come out on a tracking thread
    std::string error;
    {
      synscope::sink::Pipeline pipe(o, {&sink});
      try {
        synscope::capture::FileSource src({f}, {});
        synscope::capture::RawFrame raw;
        while (src.next(raw)) pipe.process(raw);
        pipe.finish({});
      } catch (const std::runtime_error& e) {
        error = e.what();
      }
    }  // the destructor joins whatever is left: no hang, no std::terminate
    CHECK(error == "sink failed on purpose");
    CHECK(sink.lines.size() == 2);
    CHECK(sink.flushes >= 1);
  }
}

namespace {

/// Notes the uid of every labelled packet and of every record; says whether it wants them.
class UidSink final : public synscope::sink::Sink {
 public:
  explicit UidSink(bool wants, bool wants_conn = true) : wants_(wants), wants_conn_(wants_conn) {}
  std::vector<std::string> uids;
  std::vector<std::string> conn_uids;
  void packet(const synscope::sink::PacketEvent& ev) override {
    if (ev.label != nullptr) uids.emplace_back(ev.label->uid);
  }
  void conn(const ConnRecord& r) override { conn_uids.push_back(r.uid); }
  void finish(const synscope::sink::RunSummary&) override {}
  void flush() override {}
  [[nodiscard]] bool wants_packet_uids() const noexcept override { return wants_; }
  [[nodiscard]] bool wants_conn_uids() const noexcept override { return wants_conn_; }

 private:
  bool wants_;
  bool wants_conn_;
};

std::vector<std::string> packet_uids(std::vector<UidSink*> sinks, bool conns_only = false) {
  synscope::sink::PipelineOptions o;
  o.packet_events = !conns_only;
  synscope::sink::Pipeline pipe(o, {sinks.begin(), sinks.end()});
  synscope::capture::FileSource src({std::string(SYNSCOPE_SOURCE_DIR) + "/captures/handshake.pcap"}, {});
  synscope::capture::RawFrame raw;
  while (src.next(raw)) pipe.process(raw);
  pipe.finish({});
  return sinks.front()->uids;
}

}  // namespace

TEST_CASE("Pipeline: packet labels carry uids only when a sink wants them") {
  UidSink wants(true);
  const std::vector<std::string> with = packet_uids({&wants});
  REQUIRE(with.size() >= 3);
  for (const std::string& u : with) CHECK((u.size() >= 2 && u[0] == 'C'));
  UidSink text_like(false);
  const std::vector<std::string> without = packet_uids({&text_like});
  REQUIRE(without.size() == with.size());
  for (const std::string& u : without) CHECK(u.empty());
  // One sink that wants them is enough, and all sinks see the same labels.
  UidSink a(false);
  UidSink b(true);
  CHECK(packet_uids({&a, &b}) == with);
  CHECK(b.uids == with);
}

TEST_CASE("Pipeline: records carry uids only when a sink wants them") {
  for (const bool conns_only : {false, true}) {
    CAPTURE(conns_only);
    UidSink wants(false, true);
    (void)packet_uids({&wants}, conns_only);
    REQUIRE(!wants.conn_uids.empty());
    for (const std::string& u : wants.conn_uids) CHECK((u.size() >= 12 && u[0] == 'C'));
    UidSink table_like(false, false);
    (void)packet_uids({&table_like}, conns_only);
    REQUIRE(table_like.conn_uids.size() == wants.conn_uids.size());
    for (const std::string& u : table_like.conn_uids) CHECK(u.empty());
    // One sink that wants them is enough, and all sinks see the same records.
    UidSink a(false, false);
    UidSink b(false, true);
    (void)packet_uids({&a, &b}, conns_only);
    CHECK(a.conn_uids == wants.conn_uids);
    CHECK(b.conn_uids == wants.conn_uids);
  }
}

namespace {

/// What a file holds (a temporary one, from the start).
std::string contents(std::FILE* f) {
  std::string out;
  std::rewind(f);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

/// The text and JSON output of a packet-printing Pipeline over `path`: frame by frame through process()
/// (`batch` 0) or through process_batch() on the reader's batches of 1, 2, … `batch` frames, cycling.
/// Without `json`, the text sink alone (which prints the frames summarize_flow() accepts from their
/// summaries in process_batch(), unless `summaries` is false).
std::string printed_both_ways(const std::string& path, std::size_t batch, unsigned jobs = 1, bool json = true,
                              bool summaries = true) {
  std::FILE* text_file = std::tmpfile();
  std::FILE* json_file = std::tmpfile();
  REQUIRE(text_file != nullptr);
  REQUIRE(json_file != nullptr);
  std::string error;
  {
    synscope::sink::Writer text_out(::fileno(text_file));
    synscope::sink::Writer json_out(::fileno(json_file));
    synscope::sink::TextOptions to;
    to.utc = true;
    synscope::sink::TextSink text(text_out, to);
    synscope::sink::JsonSink json_sink(json_out, synscope::sink::JsonOptions{});
    synscope::sink::PipelineOptions o;
    o.tracker.hash_seed = 1;
    o.jobs = jobs;
    o.print_summaries = summaries;
    synscope::sink::Pipeline pipe(o, json ? std::vector<synscope::sink::Sink*>{&text, &json_sink}
                                          : std::vector<synscope::sink::Sink*>{&text});
    CHECK(pipe.threaded() == (jobs >= 2));
    synscope::sink::RunSummary s;
    try {
      synscope::capture::FileSource src({path}, {});
      if (batch == 0) {
        synscope::capture::RawFrame raw;
        while (src.next(raw)) pipe.process(raw);
      } else {
        std::vector<synscope::capture::RawFrame> frames(batch);
        for (std::size_t want = 1;; want = want % batch + 1) {
          const std::size_t n = src.next_batch(std::span<synscope::capture::RawFrame>(frames.data(), want));
          if (n == 0) break;
          pipe.process_batch(std::span<const synscope::capture::RawFrame>(frames.data(), n));
        }
      }
      s.frames_read = src.frames_read();
    } catch (const std::exception& e) {
      error = std::string("error: ") + e.what();
    }
    pipe.finish(s);
    text_out.flush();
    json_out.flush();
  }
  std::string out = contents(text_file);
  out += contents(json_file);
  out += error;
  std::fclose(text_file);
  std::fclose(json_file);
  return out;
}

}  // namespace

TEST_CASE("Pipeline printing packets: process_batch (decoded and prefetched in groups) and two threads print what process() does") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);
  std::size_t bytes = 0;
  for (const std::string& f : files) {
    INFO(f);
    const std::string one = printed_both_ways(f, 0);
    CHECK(printed_both_ways(f, 40) == one);     // groups of up to kBatch, a batch split across groups
    CHECK(printed_both_ways(f, 40, 2) == one);  // jobs 2: reader batches of 1..40 into blocks of frames
    CHECK(printed_both_ways(f, 0, 2) == one);   // jobs 2, frame by frame (process())
    bytes += one.size();
  }
  MESSAGE(files.size() << " captures, " << bytes << " bytes of text and JSON compared");
  CHECK(bytes > 10'000U);
}

TEST_CASE("Pipeline printing text: packets printed from their summaries read as decoded frames do") {
  const std::vector<std::string> files = capture_files();
  REQUIRE(files.size() >= 10);
  std::size_t bytes = 0;
  for (const std::string& f : files) {
    INFO(f);
    const std::string decoded = printed_both_ways(f, 0, 1, false);  // process(): decode_frame() for every frame
    CHECK(printed_both_ways(f, 40, 1, false) == decoded);
    CHECK(printed_both_ways(f, 40, 1, false, false) == decoded);
    CHECK(printed_both_ways(f, 40, 2, false) == decoded);  // the printing thread takes the short way too
    bytes += decoded.size();
  }
  MESSAGE(files.size() << " captures, " << bytes << " bytes of text compared");
  CHECK(bytes > 10'000U);
}

namespace {

/// Keeps each packet (its frame number, addresses, ports, decoded lengths, problem and label) and each
/// record, in the order the Pipeline reports them; packet() throws on the packet numbered `throw_at`
/// (-1: never) and sleeps 2 ms on every `slow_every`-th packet (0: never), so that the calling thread
/// finds the ring full and has to wait.
class PacketRecordingSink final : public synscope::sink::Sink {
 public:
  std::vector<std::string> lines;
  std::int64_t throw_at = -1;
  std::uint64_t slow_every = 0;
  int flushes = 0;
  void packet(const synscope::sink::PacketEvent& ev) override {
    if (static_cast<std::int64_t>(ev.raw.frame_no) == throw_at) throw std::runtime_error("sink failed on purpose");
    if (slow_every != 0 && ev.raw.frame_no % slow_every == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const synscope::decode::DecodedFrame& f = ev.frame;
    char src[64] = {};
    char dst[64] = {};
    synscope::net::format_address(f.ip.src, src);
    synscope::net::format_address(f.ip.dst, dst);
    std::ostringstream o;
    o << "packet " << ev.raw.frame_no << ' ' << ev.raw.bytes.size() << ' ' << ev.raw.ts_ns << ' '
      << src << ':' << f.tcp.sport << " > " << dst << ':'
      << f.tcp.dport << " seq " << f.tcp.seq << " flags " << f.tcp.flags << " payload " << f.payload.size() << " status "
      << static_cast<int>(f.problem.status) << " anomalies " << static_cast<unsigned>(f.anomalies) << ' '
      << (ev.label != nullptr ? dump(*ev.label) : std::string("-"));
    lines.push_back(o.str());
  }
  void conn(const ConnRecord& r) override { lines.push_back(dump(r)); }
  void finish(const synscope::sink::RunSummary& s) override { lines.push_back(summary_line(s)); }
  void flush() override { ++flushes; }
};

struct PrintRun {
  unsigned jobs = 1;
  std::int64_t throw_at = -1;
  std::size_t max_conns = 1'000'000;
  bool track = true;
  std::uint64_t slow_sink_every = 0;  // the sink sleeps 2 ms every N packets
  std::size_t slow_feed_every = 0;    // the caller sleeps 1 ms every N batches (the printing thread waits)
};

/// `frames` (0.1 ms apart) through a packet-printing Pipeline, in reader batches of 16 (as `synscope
/// read`), and what reached the sink.
std::vector<std::string> printed_lines(const std::vector<synscope::test::Frame>& frames, const PrintRun& run) {
  PacketRecordingSink sink;
  sink.throw_at = run.throw_at;
  sink.slow_every = run.slow_sink_every;
  synscope::sink::PipelineOptions o;
  o.jobs = run.jobs;
  o.track = run.track;
  o.tracker.max_conns = run.max_conns;
  o.tracker.hash_seed = 1;
  try {
    synscope::sink::Pipeline pipe(o, {&sink});
    std::vector<synscope::capture::RawFrame> batch;
    std::size_t batches = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const synscope::capture::RawFrame raw = raw_frame(frames, i);
      batch.push_back(raw);
      if (batch.size() == 16 || i + 1 == frames.size()) {
        pipe.process_batch(batch);
        batch.clear();
        if (run.slow_feed_every != 0 && ++batches % run.slow_feed_every == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
    pipe.finish({});
  } catch (const std::runtime_error& e) {
    sink.lines.push_back(std::string("error: ") + e.what());
  }
  // On the printing thread's failure the Pipeline flushes what was printed before it (one thread: the
  // error comes straight from the sink, and its owner flushes).
  if (run.throw_at >= 0 && run.jobs >= 2) CHECK(sink.flushes >= 1);
  return sink.lines;
}

/// many_connections() with a wrong TCP checksum on every 97th frame and every 101st cut after 40 bytes
/// (the IP header's length past the frame's end), so that the summary's counters are not all zero.
std::vector<synscope::test::Frame> flawed_connections() {
  std::vector<synscope::test::Frame> frames = many_connections();
  for (std::size_t i = 0; i < frames.size(); i += 97) frames[i][50] ^= std::byte{0x01};  // TCP checksum
  for (std::size_t i = 5; i < frames.size(); i += 101) frames[i].resize(40);
  return frames;
}

}  // namespace

TEST_CASE("Pipeline printing packets on two threads: 60,000 packets through the block ring, errors reach the caller") {
  const std::vector<synscope::test::Frame> frames = flawed_connections();
  for (const std::size_t max_conns : {std::size_t{1'000'000}, std::size_t{100}}) {
    INFO("max_conns=" << max_conns);
    const std::vector<std::string> one = printed_lines(frames, {.jobs = 1, .max_conns = max_conns});
    CHECK(one.size() == frames.size() + 15'000 + 1);  // every packet, every connection, the summary
    CHECK(printed_lines(frames, {.jobs = 2, .max_conns = max_conns}) == one);
    CHECK(printed_lines(frames, {.jobs = 5, .max_conns = max_conns}) == one);  // more than 2: the same two threads
  }
  const std::vector<std::string> one = printed_lines(frames, {});
  REQUIRE(!one.empty());
  // The counters are not all zero: the 595 cut frames are invalid (the IP length runs past the frame),
  // and 613 of the 619 frames with a flipped checksum byte are whole enough to verify (6 were also cut).
  CHECK(one.back() == "summary 60000 60000 0 595 613 0");
  // Each side made to wait for the other: the ring full (a slow sink), the ring empty (a slow caller).
  CHECK(printed_lines(frames, {.jobs = 2, .slow_sink_every = 2'000}) == one);
  CHECK(printed_lines(frames, {.jobs = 2, .slow_feed_every = 40}) == one);
  // Without tracking: the printing thread decodes and counts, the calling thread only copies.
  const std::vector<std::string> untracked = printed_lines(frames, {.track = false});
  CHECK(untracked.size() == frames.size() + 1);
  CHECK(printed_lines(frames, {.jobs = 2, .track = false}) == untracked);
  {
    // Large frames (an Ethernet trailer of 20,000 bytes on 4,000 of them): blocks are handed over by
    // their bytes before they are full of frames.
    std::vector<synscope::test::Frame> big(frames.begin(), frames.begin() + 8'000);
    for (std::size_t i = 0; i < big.size(); i += 2) big[i].resize(big[i].size() + 20'000, std::byte{0x5A});
    const std::vector<std::string> one_big = printed_lines(big, {});
    CHECK(one_big.size() > big.size());
    CHECK(printed_lines(big, {.jobs = 2}) == one_big);
  }
  // A sink failing on the printing thread, in the middle of the stream and in the last block: the
  // caller gets the error (from a later process_batch() or from finish()), and the sink has everything
  // one thread would have given it before the failure.
  for (const std::int64_t at : {std::int64_t{1}, std::int64_t{30'001}, static_cast<std::int64_t>(frames.size())}) {
    INFO("throw_at=" << at);
    const std::vector<std::string> failed = printed_lines(frames, {.throw_at = at});
    REQUIRE(!failed.empty());
    CHECK(failed.back() == "error: sink failed on purpose");
    CHECK(printed_lines(frames, {.jobs = 2, .throw_at = at}) == failed);
  }
}

TEST_CASE("Pipeline printing packets on two threads: after a failure there, every later call reports it") {
  const std::vector<synscope::test::Frame> frames = many_connections();
  PacketRecordingSink sink;
  sink.throw_at = 100;
  synscope::sink::PipelineOptions o;
  o.jobs = 2;
  synscope::sink::Pipeline pipe(o, {&sink});
  std::vector<synscope::capture::RawFrame> raws;
  for (std::size_t i = 0; i < frames.size(); ++i) raws.push_back(raw_frame(frames, i));
  std::size_t fed = 0;
  int errors = 0;
  while (fed < raws.size() && errors == 0) {
    try {
      pipe.process_batch(std::span<const synscope::capture::RawFrame>(raws.data() + fed, 16));
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "sink failed on purpose");
      ++errors;
    }
    fed += 16;
  }
  REQUIRE(errors == 1);
  CHECK(sink.lines.size() == 99);  // the packets before the failing one (no record ends that early)
  CHECK_THROWS_WITH_AS(pipe.process_batch(std::span<const synscope::capture::RawFrame>(raws.data() + fed, 16)),
                       "sink failed on purpose", std::runtime_error);
  CHECK_THROWS_WITH_AS(pipe.process(raws[fed + 16]), "sink failed on purpose", std::runtime_error);
  CHECK_THROWS_WITH_AS(pipe.finish({}), "sink failed on purpose", std::runtime_error);
  CHECK(sink.lines.size() == 99);  // nothing printed after the failure, no summary
}

namespace {

/// Counts how the pipeline hands packets over: as decoded frames or as summaries.
class SummaryCountingSink final : public synscope::sink::Sink {
 public:
  explicit SummaryCountingSink(bool prints) : prints_(prints) {}
  std::size_t packets = 0;
  std::size_t summaries = 0;
  std::size_t with_options = 0;
  std::size_t udp = 0;
  void packet(const synscope::sink::PacketEvent& /*ev*/) override { ++packets; }
  void packet_summary(const synscope::sink::SummaryEvent& ev) override {
    CHECK(prints_);
    CHECK((ev.pkt.proto == 6 || ev.pkt.proto == 17));
    ++summaries;
    if (!ev.tcp_options.empty()) ++with_options;
    if (ev.pkt.proto == 17) {
      ++udp;
      CHECK(ev.tcp_options.empty());
    }
  }
  void conn(const ConnRecord& /*r*/) override {}
  void finish(const synscope::sink::RunSummary& /*s*/) override {}
  void flush() override {}
  [[nodiscard]] bool prints_summaries() const noexcept override { return prints_; }

 private:
  bool prints_;
};

void feed_batches(synscope::sink::Pipeline& pipe, const std::string& path) {
  synscope::capture::FileSource src({path}, {});
  std::vector<synscope::capture::RawFrame> frames(64);
  for (;;) {
    const std::size_t n = src.next_batch(std::span<synscope::capture::RawFrame>(frames.data(), frames.size()));
    if (n == 0) break;
    pipe.process_batch(std::span<const synscope::capture::RawFrame>(frames.data(), n));
  }
  pipe.finish({});
}

}  // namespace

TEST_CASE("Pipeline: summaries go to sink.packet_summary() only when every sink prints them") {
  // handshake.pcap: TCP segments with options; udp.pcap: UDP datagrams; icmp.pcap: ICMP, which always
  // takes decode_frame(), and two UDP probes.
  const std::string handshake = std::string(SYNSCOPE_SOURCE_DIR) + "/captures/handshake.pcap";
  SUBCASE("one sink that prints summaries") {
    SummaryCountingSink s(true);
    synscope::sink::Pipeline pipe(synscope::sink::PipelineOptions{}, {&s});
    feed_batches(pipe, handshake);
    CHECK(s.summaries > 0);
    CHECK(s.with_options > 0);
    CHECK(s.summaries + s.packets == pipe.totals().frames_matched);
  }
  SUBCASE("UDP datagrams") {
    SummaryCountingSink s(true);
    synscope::sink::Pipeline pipe(synscope::sink::PipelineOptions{}, {&s});
    feed_batches(pipe, std::string(SYNSCOPE_SOURCE_DIR) + "/captures/udp.pcap");
    CHECK(s.udp > 0);
    CHECK(s.summaries + s.packets == pipe.totals().frames_matched);
  }
  SUBCASE("not every sink prints them: decoded frames for all") {
    SummaryCountingSink a(true);
    SummaryCountingSink b(false);
    synscope::sink::Pipeline pipe(synscope::sink::PipelineOptions{}, {&a, &b});
    feed_batches(pipe, handshake);
    CHECK(a.summaries == 0);
    CHECK(b.summaries == 0);
    CHECK(a.packets == pipe.totals().frames_matched);
    CHECK(a.packets > 0);
  }
  SUBCASE("turned off") {
    SummaryCountingSink s(true);
    synscope::sink::PipelineOptions o;
    o.print_summaries = false;
    synscope::sink::Pipeline pipe(o, {&s});
    feed_batches(pipe, handshake);
    CHECK(s.summaries == 0);
    CHECK(s.packets == pipe.totals().frames_matched);
  }
  SUBCASE("ICMP: decoded frames") {
    SummaryCountingSink s(true);
    synscope::sink::Pipeline pipe(synscope::sink::PipelineOptions{}, {&s});
    feed_batches(pipe, std::string(SYNSCOPE_SOURCE_DIR) + "/captures/icmp.pcap");
    CHECK(s.summaries == s.udp);  // the two UDP probes that drew port unreachables
    CHECK(s.udp == 2);
    CHECK(s.packets + s.summaries == pipe.totals().frames_matched);
    CHECK(s.packets > 0);
  }
}

TEST_CASE("Sink::packet_summary() on a sink that does not print summaries is an error, not a silent drop") {
  SummaryCountingSink s(false);
  synscope::sink::Sink& base = s;
  // SummaryCountingSink overrides packet_summary(); the base class's own is what a sink without it gets.
  const synscope::capture::RawFrame raw{};
  const synscope::track::PacketSummary pkt{};
  CHECK_THROWS_AS(base.synscope::sink::Sink::packet_summary(synscope::sink::SummaryEvent{raw, pkt, {}, nullptr}), std::logic_error);
}

// synscope_micro: Google Benchmark micro-benchmarks, time per packet of each stage.
//
// The packets come from the benchmark generator (bench/gen.hpp: the same traffic as synscope_gen),
// written to an in-memory file (memfd) and read back with FileSource, so every stage sees realistic
// frames. Stages:
//   BM_file_source      FileSource::next over the in-memory classic pcap (the fast reader)
//   BM_decode/<kind>    decode_frame on one typical frame (TCP SYN with options, IPv6 TCP data,
//                       VLAN-tagged TCP, UDP DNS), with and without checksum verification
//   BM_decode_stream    decode_frame over the whole stream (cache behaviour of a real file)
//   BM_summarize_stream what the pipeline does per frame without packet output: summarize_flow, and
//                       decode_frame + from_frame for the frames it declines
//   BM_track            ConnTracker::update over the stream's packet summaries
//   BM_format_json / BM_format_text   the sinks' per-packet formatting into a Writer on /dev/null
//   BM_format_json_conn / BM_format_text_conn   one connection record each (JSON object / streamed
//                       table row, as `read --conns-only`) over the stream's records
// Each reports items_per_second = packets per second; the per-packet time is 1 / that.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gen.hpp"
#include "synscope/capture/source.hpp"
#include "synscope/decode/flow.hpp"
#include "synscope/decode/frame.hpp"
#include "synscope/sink/json.hpp"
#include "synscope/sink/text.hpp"
#include "synscope/sink/writer.hpp"
#include "synscope/track/summary.hpp"
#include "synscope/track/tracker.hpp"

namespace {

using synscope::Bytes;
namespace capture = synscope::capture;
namespace decode = synscope::decode;
namespace sink = synscope::sink;
namespace track = synscope::track;

constexpr std::uint64_t kStreamPackets = 200'000;

/// The generated capture in memory, its frames copied out, decoded and labelled once.
struct Stream {
  int fd = -1;
  std::string path;
  std::vector<std::byte> arena;                 // all frame bytes
  std::vector<capture::RawFrame> raws;          // `bytes` point into the arena
  std::vector<decode::DecodedFrame> frames;
  std::vector<track::PacketSummary> summaries;  // tracked packets only
  std::vector<track::PacketLabel> labels;       // per frame (conn_id 0 = untracked)
  std::vector<track::ConnRecord> records;       // every connection the tracker reported

  Stream() {
    fd = ::memfd_create("synscope-micro", 0);
    if (fd < 0) {
      std::perror("memfd_create");
      std::exit(1);
    }
    {
      synscope_bench::Options o;
      o.packets = kStreamPackets;
      o.seed = 7;
      synscope_bench::Out out(fd);
      synscope_bench::Generator g(o, out);
      g.file_header();
      g.run_mixed();
    }
    path = "/proc/self/fd/" + std::to_string(fd);
    capture::FileSource src({path}, {});
    capture::RawFrame raw;
    std::vector<std::size_t> offsets;
    while (src.next(raw)) {
      offsets.push_back(arena.size());
      arena.insert(arena.end(), raw.bytes.begin(), raw.bytes.end());
      raws.push_back(raw);
    }
    frames.resize(raws.size());
    labels.resize(raws.size());
    track::ConnTracker tracker({}, [this](const track::ConnRecord& r) { records.push_back(r); });
    for (std::size_t i = 0; i < raws.size(); ++i) {
      raws[i].bytes = Bytes{arena.data() + offsets[i], raws[i].caplen};
      decode::decode_frame(raws[i].dlt, raws[i].bytes, raws[i].wire_len, frames[i]);
      const decode::Transport t = frames[i].transport;
      if (t == decode::Transport::kTcp || t == decode::Transport::kUdp || t == decode::Transport::kIcmp ||
          t == decode::Transport::kIcmp6) {
        summaries.push_back(track::from_frame(frames[i], raws[i].ts_ns));
        labels[i] = tracker.update(summaries.back());
      }
    }
    tracker.flush();
  }
  ~Stream() { ::close(fd); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// Index of the first frame matching `pred`.
  template <typename Pred>
  std::size_t find(Pred pred) const {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (pred(frames[i])) return i;
    }
    std::fprintf(stderr, "synscope_micro: no frame of the wanted kind in the stream\n");
    std::exit(1);
  }
};

Stream& stream() {
  static Stream s;
  return s;
}

void BM_file_source(benchmark::State& state) {
  const Stream& s = stream();
  std::uint64_t packets = 0;
  for (auto _ : state) {
    capture::FileSource src({s.path}, {});
    capture::RawFrame raw;
    while (src.next(raw)) {
      benchmark::DoNotOptimize(raw.bytes.data());
      ++packets;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
}
BENCHMARK(BM_file_source)->Unit(benchmark::kMillisecond);

enum Kind : int { kTcpSynOptions, kIpv6TcpData, kVlanTcp, kUdp };

void BM_decode(benchmark::State& state) {
  const Stream& s = stream();
  const auto kind = static_cast<Kind>(state.range(0));
  const bool verify = state.range(1) != 0;
  std::size_t i = 0;
  switch (kind) {
    case kTcpSynOptions:
      i = s.find([](const decode::DecodedFrame& f) {
        return f.ip.version == 4 && f.transport == decode::Transport::kTcp && f.link.vlan_count == 0 &&
               f.tcp.flags == decode::tcp_flag::kSyn && f.tcp.opt.has_timestamps;
      });
      state.SetLabel("IPv4 TCP SYN, mss/sack/ts/ws");
      break;
    case kIpv6TcpData:
      i = s.find([](const decode::DecodedFrame& f) {
        return f.ip.version == 6 && f.transport == decode::Transport::kTcp && f.tcp.payload_len > 100;
      });
      state.SetLabel("IPv6 TCP data");
      break;
    case kVlanTcp:
      i = s.find([](const decode::DecodedFrame& f) {
        return f.link.vlan_count == 1 && f.transport == decode::Transport::kTcp && f.tcp.payload_len > 100;
      });
      state.SetLabel("802.1Q IPv4 TCP data");
      break;
    case kUdp:
      i = s.find([](const decode::DecodedFrame& f) { return f.ip.version == 4 && f.transport == decode::Transport::kUdp; });
      state.SetLabel("IPv4 UDP DNS");
      break;
  }
  const capture::RawFrame& raw = s.raws[i];
  decode::DecodedFrame out;
  decode::DecodeOptions opts;
  opts.verify_checksums = verify;
  for (auto _ : state) {
    out = decode::DecodedFrame{};
    decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, out, opts);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes"] = raw.caplen;
}
BENCHMARK(BM_decode)->ArgsProduct({{kTcpSynOptions, kIpv6TcpData, kVlanTcp, kUdp}, {1, 0}})->ArgNames({"kind", "checksums"});

void BM_decode_stream(benchmark::State& state) {
  const Stream& s = stream();
  decode::DecodedFrame out;
  decode::DecodeOptions opts;
  opts.verify_checksums = state.range(0) != 0;
  for (auto _ : state) {
    for (const capture::RawFrame& raw : s.raws) {
      out = decode::DecodedFrame{};
      decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, out, opts);
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.raws.size()));
}
BENCHMARK(BM_decode_stream)->Arg(1)->Arg(0)->ArgName("checksums")->Unit(benchmark::kMillisecond);

void BM_summarize_stream(benchmark::State& state) {
  const Stream& s = stream();
  decode::DecodedFrame full;
  decode::DecodeOptions opts;
  opts.verify_checksums = state.range(0) != 0;
  std::uint64_t declined = 0;
  for (auto _ : state) {
    for (const capture::RawFrame& raw : s.raws) {
      track::PacketSummary out;
      bool bad = false;
      if (!decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, out, bad, opts)) {
        ++declined;
        decode::decode_frame(raw.dlt, raw.bytes, raw.wire_len, full, opts);
        out = track::from_frame(full, raw.ts_ns);
      }
      benchmark::DoNotOptimize(out);
      benchmark::DoNotOptimize(bad);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.raws.size()));
  state.counters["declined"] = static_cast<double>(declined) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_summarize_stream)->Arg(1)->Arg(0)->ArgName("checksums")->Unit(benchmark::kMillisecond);

void BM_track(benchmark::State& state) {
  const Stream& s = stream();
  std::vector<track::PacketSummary> pkts = s.summaries;
  const std::int64_t span = pkts.back().ts_ns - pkts.front().ts_ns + 1'000'000'000;
  std::uint64_t records = 0;
  track::ConnTracker tracker({}, [&records](const track::ConnRecord&) { ++records; });
  std::uint16_t pass = 0;
  for (auto _ : state) {
    // Each pass replays the stream later in time with other source ports: new connections, as in a
    // longer capture, while the earlier ones expire.
    for (track::PacketSummary& p : pkts) {
      track::PacketSummary q = p;
      q.ts_ns += static_cast<std::int64_t>(pass) * span;
      q.sport = static_cast<std::uint16_t>(q.sport ^ pass);
      q.dport = static_cast<std::uint16_t>(q.dport ^ pass);
      benchmark::DoNotOptimize(tracker.update(q));
    }
    ++pass;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pkts.size()));
  state.counters["open_at_end"] = static_cast<double>(tracker.active());
}
BENCHMARK(BM_track)->Unit(benchmark::kMillisecond);

/// Formats every packet of the stream (with its tracker label) into a Writer on /dev/null.
template <typename MakeSink>
void format_stream(benchmark::State& state, MakeSink make) {
  const Stream& s = stream();
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  {
    sink::Writer w(devnull);
    std::unique_ptr<sink::Sink> out = make(w);
    for (auto _ : state) {
      for (std::size_t i = 0; i < s.raws.size(); ++i) {
        const sink::PacketEvent ev{s.raws[i], s.frames[i], s.labels[i].conn_id != 0 ? &s.labels[i] : nullptr};
        out->packet(ev);
      }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.raws.size()));
  }
  ::close(devnull);
}

void BM_format_json(benchmark::State& state) {
  format_stream(state, [](sink::Writer& w) { return std::make_unique<sink::JsonSink>(w, sink::JsonOptions{true, false, false}); });
}
BENCHMARK(BM_format_json)->Unit(benchmark::kMillisecond);

void BM_format_text(benchmark::State& state) {
  format_stream(state, [](sink::Writer& w) {
    sink::TextOptions t;
    t.conns = false;
    t.utc = true;
    return std::make_unique<sink::TextSink>(w, t);
  });
}
BENCHMARK(BM_format_text)->Unit(benchmark::kMillisecond);

/// The text line the way the pipeline prints a frame summarize_flow() accepts (from the summary and the
/// option bytes: TextSink::packet_summary()); the others from their DecodedFrame. The short way itself
/// is timed with it, as the pipeline pays it in place of decode_frame().
void BM_format_text_summaries(benchmark::State& state) {
  const Stream& s = stream();
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::uint64_t summarized = 0;
  {
    sink::Writer w(devnull);
    sink::TextOptions t;
    t.conns = false;
    t.utc = true;
    sink::TextSink out(w, t);
    for (auto _ : state) {
      for (std::size_t i = 0; i < s.raws.size(); ++i) {
        const capture::RawFrame& raw = s.raws[i];
        const track::PacketLabel* label = s.labels[i].conn_id != 0 ? &s.labels[i] : nullptr;
        track::PacketSummary pkt;
        bool bad = false;
        Bytes options;
        if (decode::summarize_flow(raw.dlt, raw.bytes, raw.wire_len, raw.ts_ns, pkt, bad, {}, &options)) {
          ++summarized;
          out.packet_summary(sink::SummaryEvent{raw, pkt, options, label});
        } else {
          out.packet(sink::PacketEvent{raw, s.frames[i], label});
        }
      }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.raws.size()));
  }
  state.counters["summarized"] = static_cast<double>(summarized) / static_cast<double>(state.iterations());
  ::close(devnull);
}
BENCHMARK(BM_format_text_summaries)->Unit(benchmark::kMillisecond);

/// Formats every connection record of the stream into a Writer on /dev/null; items = records.
template <typename MakeSink>
void format_conns(benchmark::State& state, MakeSink make) {
  const Stream& s = stream();
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  {
    sink::Writer w(devnull);
    std::unique_ptr<sink::Sink> out = make(w);
    for (auto _ : state) {
      for (const track::ConnRecord& r : s.records) out->conn(r);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.records.size()));
  }
  ::close(devnull);
}

void BM_format_json_conn(benchmark::State& state) {
  format_conns(state, [](sink::Writer& w) { return std::make_unique<sink::JsonSink>(w, sink::JsonOptions{false, true, false}); });
}
BENCHMARK(BM_format_json_conn)->Unit(benchmark::kMillisecond);

void BM_format_text_conn(benchmark::State& state) {
  format_conns(state, [](sink::Writer& w) {
    sink::TextOptions t;
    t.packets = false;
    t.stream_conns = true;  // --conns-only: one table row per record, nothing kept
    t.utc = true;
    return std::make_unique<sink::TextSink>(w, t);
  });
}
BENCHMARK(BM_format_text_conn)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

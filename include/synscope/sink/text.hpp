#pragma once
/// Human-readable output: one aligned line per packet, then a connection table and a summary.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "synscope/sink/quantiles.hpp"
#include "synscope/sink/sink.hpp"
#include "synscope/sink/writer.hpp"

namespace synscope::sink {

struct TextOptions {
  bool packets = true;        ///< per-packet lines
  bool conns = true;          ///< connection table (+ summary) at the end
  /// Report connections as they end instead of in a table at the end: table rows under one header when
  /// no packets are printed (--conns-only), else one self-describing "conn" line each between the packet
  /// lines (live capture).
  bool stream_conns = false;
  bool color = false;
  bool explain = false;       ///< narrate each handshake/teardown step for a learner
  bool nano = false;          ///< nanosecond timestamps
  bool utc = false;           ///< UTC instead of local time (tests)
  bool ascii = false;         ///< "us" instead of "µs"
  std::size_t max_table_rows = 200;  ///< rows kept for the end-of-run table (all rows are counted)
};

class TextSink final : public Sink {
 public:
  [[nodiscard]] bool wants_packet_uids() const noexcept override { return false; }
  TextSink(Writer& out, TextOptions opts);
  void packet(const PacketEvent& ev) override;
  void conn(const track::ConnRecord& rec) override;
  void finish(const RunSummary& summary) override;
  void flush() override { out_.flush(); }

 private:
  struct Row {  // the table columns of one connection, kept compact
    std::int64_t ts_ns;
    net::IpAddress orig_h;
    int orig_p;  // -1: no port column (ICMP)
    net::IpAddress resp_h;
    int resp_p;
    std::string state, history, teardown;
    std::int64_t rtt_ns, synack_ns, ack_ns;
    std::uint64_t orig_bytes, resp_bytes;
    std::uint8_t proto;
  };
  void packet_header();
  /// The decode problem marker (if any) and the newline that end every packet line.
  void end_line(const decode::DecodedFrame& f);
  void table_header();
  void table_row(const Row& row);
  void conn_line(const Row& row, std::int64_t last_ns, std::string_view end_reason);
  void put_time_of_day(std::int64_t ts_ns);
  void explain(const PacketEvent& ev);
  void color(const char* code);
  void color_reset();

  Writer& out_;
  TextOptions opts_;
  bool packet_header_done_ = false;
  bool table_header_done_ = false;
  std::int64_t cached_second_ = 0;
  char cached_hms_[16] = {};     // "HH:MM:SS." of cached_second_
  std::size_t cached_hms_len_ = 0;  // 0 until the first packet
  std::vector<Row> rows_;
  std::uint64_t rows_dropped_ = 0;
  std::uint64_t conns_ = 0;
  std::map<std::string, std::uint64_t> states_;
  DurationQuantiles rtts_;            // handshake RTTs: bounded memory, exact up to 65,536
  std::uint64_t rtt_decades_[7] = {};  // <10µs, <100µs, ... >=1s, counted as they come
  std::vector<std::pair<std::int64_t, std::string>> slowest_;  // top handshakes by RTT
  std::map<std::uint16_t, std::uint64_t> refused_by_port_;
  std::map<std::uint16_t, std::uint64_t> unanswered_by_port_;
};

}  // namespace synscope::sink

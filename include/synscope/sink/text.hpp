#pragma once
/// Human-readable output: one aligned line per packet, then a connection table and a summary.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "synscope/net/ip_address.hpp"
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

/// Text forms of recently printed addresses, direct-mapped: a capture names the same hosts over and over
/// (tcpdump keeps such a table too). A hit costs a hash, one compare and a fixed-size copy instead of
/// formatting the address again.
class AddressTextCache {
 public:
  /// Bytes text() may be copied with in one fixed-size copy (the text is shorter; see len).
  static constexpr std::size_t kTextRoom = net::kMaxAddressText;

  AddressTextCache();
  struct Text {
    const char* data;  ///< kTextRoom readable bytes; the first `len` are the address
    std::size_t len;
  };
  /// The text of `a` (version 4 or 6), formatted on a miss.
  Text text(const net::IpAddress& a) noexcept;

 private:
  struct Entry {
    net::IpAddress addr;  // version 0: empty
    std::uint8_t len;
    char text[kTextRoom];
  };
  // 4,096 entries: the bench's 1M capture has ~800 addresses in use at a time (2,000 open connections,
  // 15 % of them from IPv6 clients), and 1,024 direct-mapped entries missed on 17 % of the lookups
  // (4,096: 3 %; text ~3 % faster). The JSON sink formats each address instead: with this cache it ran
  // 2–3 % slower in spite of 1 % fewer instructions.
  static constexpr std::size_t kEntries = 4096;  // 256 KiB
  std::unique_ptr<Entry[]> entries_;
};

class TextSink final : public Sink {
 public:
  /// Longest text of the TCP options: a header holds at most 40 bytes of them, and the wordiest per byte
  /// are two-byte unknown options ("opt-255," for 2 bytes: 160 for 40) and the timestamp (33 for 10).
  static constexpr std::size_t kMaxOptionsText = 40 / 2 * 8 + sizeof ",bad-opts";
  /// Longest start of a packet line: frame number (20 digits), time ("HH:MM:SS." and 9 digits), two
  /// endpoints ("[" 45 "]:" 5 each) and the separators.
  static constexpr std::size_t kMaxLinePrefix = 20 + 2 + 9 + 9 + 2 + 2 * (1 + net::kMaxAddressText + 2 + 5) + 3 + 1;
  /// Longest rest of a TCP line up to the problem marker: flags, seq:ack, length, step (with colour),
  /// label, the notes (retransmission with colour, simultaneous close, time, options, window, checksums).
  /// packet() reserves room for the longest line once and writes it without checks.
  static constexpr std::size_t kMaxTcpText = 11 + 1 + 20 + 1 + 20 + 1 + 10 + 1 + (5 + 32 + 4) + 1 + 8 +
                                             (1 + 5 + 14 + 4) + 19 + 18 + kMaxDurationText + 1 + kMaxOptionsText +
                                             5 + 10 + 9 + 12;

  [[nodiscard]] bool wants_packet_uids() const noexcept override { return false; }
  [[nodiscard]] bool wants_conn_uids() const noexcept override { return false; }
  TextSink(Writer& out, TextOptions opts);
  void packet(const PacketEvent& ev) override;
  /// The per-packet lines only, and no --explain (it reads the DecodedFrame).
  [[nodiscard]] bool prints_summaries() const noexcept override { return opts_.packets && !opts_.explain; }
  void packet_summary(const SummaryEvent& ev) override;
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
    std::string_view state;  // static text (ConnRecord::conn_state)
    std::string history;
    std::string_view teardown;  // static text
    std::int64_t rtt_ns, synack_ns, ack_ns;
    std::uint64_t orig_bytes, resp_bytes;
    std::uint8_t proto;
  };
  /// A table row's cells, borrowed from a record as it ends or from a kept Row.
  struct RowView {
    const net::IpAddress& orig_h;
    int orig_p;
    const net::IpAddress& resp_h;
    int resp_p;
    std::string_view state, history, teardown;
    std::int64_t rtt_ns, synack_ns, ack_ns;
    std::uint64_t orig_bytes, resp_bytes;
    std::uint8_t proto;
  };
  static RowView view(const Row& r) noexcept {
    return {r.orig_h, r.orig_p, r.resp_h, r.resp_p, r.state, r.history, r.teardown,
            r.rtt_ns, r.synack_ns, r.ack_ns, r.orig_bytes, r.resp_bytes, r.proto};
  }
  void packet_header();
  /// The decode problem marker (if any) and the newline that end every packet line.
  void end_line(const decode::DecodedFrame& f);
  void table_header();
  void table_row(const RowView& row);
  /// "49 µs (12 µs / 37 µs)" into `cell` (3 * kMaxDurationText + 8 bytes); returns its length in bytes.
  std::size_t handshake_cell(const RowView& r, char* cell) const noexcept;
  void conn_line(const Row& row, std::int64_t last_ns, std::string_view end_reason);
  void put_time_of_day(std::int64_t ts_ns);
  // The Cursor helpers take and return the cursor by value: a cursor behind a reference lives in memory,
  // and every byte stored through it would make the compiler reload and store its position.
  [[nodiscard]] Cursor put_time_of_day(Cursor c, std::int64_t ts_ns);
  void refresh_second(std::int64_t sec);
  /// "192.0.2.1:41138" or "[2001:db8::1]:443" (no port when port < 0), left-aligned in `width` (<= 32).
  [[nodiscard]] Cursor put_endpoint(Cursor c, const net::IpAddress& a, int port, std::size_t width) noexcept;
  void put_endpoint(Writer& w, const net::IpAddress& a, int port, std::size_t width);
  /// The same as a string (the summary's slowest handshakes).
  std::string endpoint_string(const net::IpAddress& a, int port);
  /// What a TCP line shows of a segment, from a DecodedFrame (packet()) or a summary (packet_summary()).
  struct TcpLine {
    std::uint16_t flags;
    std::uint32_t seq;
    std::uint32_t ack_seq;
    std::uint32_t payload_len;
    std::uint16_t window;
    bool bad_checksum;
    bool options_cut;  // the snap length cut the options: no "bad-opts" for what is missing
    Bytes options;
  };
  [[nodiscard]] Cursor put_tcp(Cursor c, const TcpLine& t, const track::PacketLabel* label);
  /// The rest of a UDP line up to the IP checksum note.
  [[nodiscard]] static Cursor put_udp(Cursor c, std::uint32_t payload_len, bool bad_checksum) noexcept;
  /// The "#" and time columns.
  [[nodiscard]] Cursor put_line_start(Cursor c, const capture::RawFrame& raw);
  void explain(const PacketEvent& ev);
  void color(std::string_view code);
  void color_reset();

  Writer& out_;
  TextOptions opts_;
  bool packet_header_done_ = false;
  bool table_header_done_ = false;
  std::int64_t cached_second_ = 0;
  char cached_hms_[16] = {};     // "HH:MM:SS." of cached_second_
  std::size_t cached_hms_len_ = 0;  // 0 until the first packet
  AddressTextCache addresses_;
  CountingNumber frame_number_;  // the "#" column
  std::vector<Row> rows_;
  std::uint64_t rows_dropped_ = 0;
  std::uint64_t conns_ = 0;
  std::vector<std::pair<std::string, std::uint64_t>> states_;  // few distinct: searched, sorted at the end
  DurationQuantiles rtts_;            // handshake RTTs: bounded memory, exact up to 65,536
  std::uint64_t rtt_decades_[7] = {};  // <10µs, <100µs, ... >=1s, counted as they come
  std::vector<std::pair<std::int64_t, std::string>> slowest_;  // top handshakes by RTT
  std::map<std::uint16_t, std::uint64_t> refused_by_port_;
  std::map<std::uint16_t, std::uint64_t> unanswered_by_port_;
};

}  // namespace synscope::sink

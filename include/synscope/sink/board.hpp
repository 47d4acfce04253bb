#pragma once
/// Live connection board: connections in progress, recent refusals/resets and per-second rates,
/// redrawn in place on a terminal once a second; one plain status line per second otherwise.

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "synscope/sink/sink.hpp"
#include "synscope/sink/writer.hpp"

namespace synscope::sink {

struct BoardOptions {
  bool tty = false;
  bool color = false;
  std::size_t max_rows = 15;
};

class BoardSink final : public Sink {
 public:
  BoardSink(Writer& out, BoardOptions opts) : out_(out), opts_(opts) {}
  void packet(const PacketEvent& ev) override;
  void conn(const track::ConnRecord& rec) override;
  void finish(const RunSummary& summary) override;
  void flush() override { out_.flush(); }
  /// Once a second: roll the rate window and redraw.
  void tick(std::int64_t now_ns);

 private:
  struct Entry {
    std::string who;
    std::string state;
    std::int64_t start_ns = 0;
    std::int64_t last_ns = 0;
    std::int64_t rtt_ns = -1;
  };
  void draw(std::int64_t now_ns);

  Writer& out_;
  BoardOptions opts_;
  std::unordered_map<std::string, Entry> open_;
  std::deque<std::string> recent_failures_;
  std::uint64_t syns_ = 0, established_ = 0, resets_ = 0;       // this second
  double syn_rate_ = 0, est_rate_ = 0, rst_rate_ = 0;            // last full second
  std::uint64_t total_syns_ = 0, total_established_ = 0, total_resets_ = 0, total_closed_ = 0;
  std::int64_t last_ts_ns_ = 0;
};

}  // namespace synscope::sink

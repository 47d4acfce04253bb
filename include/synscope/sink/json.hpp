#pragma once
/// JSON lines: one object per packet ("type":"packet") and per connection ("type":"conn").
/// The keys are a public contract (README "JSON schema"); add keys, never rename them.

#include <cstddef>
#include <cstdint>

#include "synscope/sink/sink.hpp"
#include "synscope/sink/writer.hpp"

namespace synscope::sink {

struct JsonOptions {
  bool packets = true;
  bool conns = true;
  bool summary = true;   ///< a final {"type":"summary"} object
};

class JsonSink final : public Sink {
 public:
  JsonSink(Writer& out, JsonOptions opts) : out_(out), opts_(opts) {}
  [[nodiscard]] bool wants_packet_uids() const noexcept override { return opts_.packets; }
  void packet(const PacketEvent& ev) override;
  void conn(const track::ConnRecord& rec) override;
  void finish(const RunSummary& summary) override;
  void flush() override { out_.flush(); }

 private:
  /// `,"ts":"SECONDS.NANOSECONDS"`. The text up to the point is kept for the last second seen
  /// (timestamps mostly come in order), so per packet only the nine fraction digits are formatted.
  void put_ts(std::int64_t ts_ns);

  Writer& out_;
  JsonOptions opts_;
  std::int64_t ts_second_ = -1;
  char ts_prefix_[32] = {};  // `,"ts":"` + at most 19 digits + `.`
  std::size_t ts_prefix_len_ = 0;
};

}  // namespace synscope::sink

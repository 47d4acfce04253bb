#pragma once
/// Zeek-format TSV conn.log (#separator, #fields, #types; "-" unset, "(empty)" empty) that zeek-cut reads.

#include "synscope/sink/sink.hpp"
#include "synscope/sink/writer.hpp"

namespace synscope::sink {

class ZeekSink final : public Sink {
 public:
  [[nodiscard]] bool wants_packet_uids() const noexcept override { return false; }
  explicit ZeekSink(Writer& out) : out_(out) {}
  void packet(const PacketEvent&) override {}
  void conn(const track::ConnRecord& rec) override;
  void finish(const RunSummary& summary) override;
  void flush() override { out_.flush(); }

 private:
  void header();
  Writer& out_;
  bool header_done_ = false;
};

}  // namespace synscope::sink

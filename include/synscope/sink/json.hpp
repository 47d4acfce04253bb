#pragma once
/// JSON lines: one object per packet ("type":"packet") and per connection ("type":"conn").
/// The keys are a public contract (README "JSON schema"); add keys, never rename them.

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
  void packet(const PacketEvent& ev) override;
  void conn(const track::ConnRecord& rec) override;
  void finish(const RunSummary& summary) override;
  void flush() override { out_.flush(); }

 private:
  Writer& out_;
  JsonOptions opts_;
};

}  // namespace synscope::sink

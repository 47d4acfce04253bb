#pragma once
/// RAII owners for libpcap handles: nothing else calls pcap_close / pcap_dump_close.

#include <pcap/pcap.h>

#include <memory>

namespace synscope::capture {

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

struct PcapDumperCloser {
  void operator()(pcap_dumper_t* d) const noexcept { pcap_dump_close(d); }
};
using PcapDumper = std::unique_ptr<pcap_dumper_t, PcapDumperCloser>;

}  // namespace synscope::capture

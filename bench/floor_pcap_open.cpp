// Floor 1: libpcap's own reader as most programs use it: pcap_open_offline + a pcap_next_ex loop that
// only counts packets (libpcap's FILE keeps the default stdio buffer, 4 KiB reads).

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "%s\n", errbuf);
    return 1;
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
    ++packets;
    bytes += hdr->caplen;
  }
  if (rc == PCAP_ERROR) std::fprintf(stderr, "%s\n", pcap_geterr(p));
  pcap_close(p);
  std::printf("packets %llu bytes %llu\n", static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes));
  return rc == PCAP_ERROR ? 1 : 0;
}

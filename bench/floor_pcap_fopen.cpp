// Floor 2: the same pcap_next_ex loop over pcap_fopen_offline on a FILE given a 1 MiB stdio buffer
// (what synscope's libpcap path does; the default 4 KiB buffer costs about 3x).

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  std::FILE* fp = std::fopen(argv[1], "rb");
  if (fp == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<char> buffer(1U << 20U);
  std::setvbuf(fp, buffer.data(), _IOFBF, buffer.size());
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "%s\n", errbuf);
    std::fclose(fp);
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
  pcap_close(p);  // closes fp; the buffer outlives it
  std::printf("packets %llu bytes %llu\n", static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes));
  return rc == PCAP_ERROR ? 1 : 0;
}

// Floor 3, the physical limit: read() the file in 1 MiB blocks and walk the classic-pcap record headers
// (16 bytes: ts_sec, ts_frac, caplen, len), counting packets. Only the page-cache copy and the walk.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  const int fd = ::open(argv[1], O_RDONLY);
  if (fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  constexpr std::size_t kBlock = 1U << 20U;
  std::vector<unsigned char> buf(2 * kBlock + 16);
  std::size_t have = 0;  // bytes in buf
  std::size_t pos = 24;  // skip the file header
  bool swapped = false;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  bool first = true;
  for (;;) {
    // Move the unconsumed tail to the front and top up to a block.
    if (pos > 0) {
      const std::size_t keep = pos < have ? have - pos : 0;
      std::memmove(buf.data(), buf.data() + (pos < have ? pos : have), keep);
      pos = pos > have ? pos - have : 0;
      have = keep;
    }
    const ssize_t n = ::read(fd, buf.data() + have, kBlock);
    if (n < 0) {
      std::perror("read");
      return 1;
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
    if (first) {
      std::uint32_t magic = 0;
      std::memcpy(&magic, buf.data(), 4);
      swapped = magic == 0xD4C3B2A1U || magic == 0x4D3CB2A1U;
      first = false;
    }
    while (pos + 16 <= have) {
      std::uint32_t caplen = 0;
      std::memcpy(&caplen, buf.data() + pos + 8, 4);
      if (swapped) caplen = __builtin_bswap32(caplen);
      if (pos + 16 + caplen > have) break;
      ++packets;
      bytes += caplen;
      pos += 16 + caplen;
    }
  }
  ::close(fd);
  std::printf("packets %llu bytes %llu\n", static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes));
  return 0;
}

#pragma once
// The synthetic traffic generator behind synscope_gen (and the micro-benchmarks' packet stream): writes large synthetic classic-pcap captures for the benchmarks, deterministic by seed.
//
// Traffic model: a pool of `--open` concurrently open TCP connections; each packet comes from a random
// member of the pool, and a finished connection is replaced by a new one, so the number of live flows
// (and therefore the tracker's table) is governed by --open, not by the length of the file. Connections:
// full handshakes with options (MSS, SACK-permitted, timestamps, window scale; RFC 9293 §3.1, RFC 7323,
// RFC 2018), request/response data both ways, occasional retransmissions, and teardowns by 4-way FIN,
// 3-way FIN (FIN / FIN-ACK / ACK), or RST; refused SYNs (RST-ACK) and unanswered SYNs (retried once).
// Mixed in: IPv6 and 802.1Q-tagged connections, UDP (DNS-like) and ICMP echo noise. Every IPv4 header,
// TCP, UDP and ICMP checksum is correct. Timestamps increase monotonically. Every address is from the
// documentation ranges: 192.0.2.0/24 and 198.51.100.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849).
//
// --syn-flood N writes N SYNs with distinct (source address, source port) to one server instead, 1 µs
// apart (the memory benchmark: a table that would grow without the --max-conns cap).
//
// Output is built in a large buffer and written with write(2) in multi-MiB chunks.

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace synscope_bench {

// ---- deterministic PRNG (splitmix64 seeding xoshiro256**) ------------------------------------------
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
      w = z ^ (z >> 31U);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17U;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, n).
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(((next() >> 32U) * n) >> 32U); }
  /// True with probability `percent` / 100.
  bool chance(std::uint32_t per_mille) { return below(1000) < per_mille; }
  std::uint32_t u32() { return static_cast<std::uint32_t>(next() >> 32U); }

 private:
  static std::uint64_t rotl(std::uint64_t x, unsigned k) { return (x << k) | (x >> (64U - k)); }
  std::array<std::uint64_t, 4> s_{};
};

// ---- output -------------------------------------------------------------------------------------------
class Out {
 public:
  explicit Out(int fd) : fd_(fd), buf_(kCapacity) {}
  ~Out() { flush(); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  /// Room for one record; commit(n) after filling.
  std::uint8_t* reserve(std::size_t n) {
    if (len_ + n > buf_.size()) flush();
    return buf_.data() + len_;
  }
  void commit(std::size_t n) { len_ += n; }
  void flush() {
    std::size_t off = 0;
    while (off < len_) {
      const ssize_t w = ::write(fd_, buf_.data() + off, len_ - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        std::perror("synscope_gen: write");
        std::exit(1);
      }
      off += static_cast<std::size_t>(w);
    }
    len_ = 0;
  }

 private:
  static constexpr std::size_t kCapacity = 8U << 20U;
  int fd_;
  std::vector<std::uint8_t> buf_;
  std::size_t len_ = 0;
};

inline void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8U);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24U);
  p[1] = static_cast<std::uint8_t>(v >> 16U);
  p[2] = static_cast<std::uint8_t>(v >> 8U);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void put32le(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }  // pcap headers: host order (LE)

/// RFC 1071 one's-complement sum of big-endian 16-bit words, not yet folded or inverted.
inline std::uint64_t sum16(const std::uint8_t* p, std::size_t n, std::uint64_t acc = 0) {
  while (n >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    // Sum 32-bit halves in host (little-endian) order; byte order is fixed once at fold time (RFC 1071 §2(B)).
    acc += (w & 0xFFFFFFFFULL) + (w >> 32U);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    std::uint16_t w = 0;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) acc += p[0];  // little-endian: the odd byte is the high byte of a BE word padded with 0
  return acc;
}
/// Folds a host-order accumulator (from sum16) and returns the checksum in network byte order value.
inline std::uint16_t fold(std::uint64_t acc) {
  while ((acc >> 16U) != 0) acc = (acc & 0xFFFFU) + (acc >> 16U);
  const auto le = static_cast<std::uint16_t>(~acc & 0xFFFFU);
  return static_cast<std::uint16_t>((le >> 8U) | (le << 8U));  // byte-swap to a big-endian value
}

// ---- traffic model ----------------------------------------------------------------------------------
struct Endpoint {
  std::array<std::uint8_t, 16> ip{};  // v4 in the first 4 bytes
  std::uint16_t port = 0;
  std::array<std::uint8_t, 6> mac{};
};

enum class Dir : std::uint8_t { kC2S, kS2C };

enum OptSet : std::uint8_t { kOptNone, kOptSyn, kOptTs };

struct Seg {
  Dir dir;
  std::uint8_t flags;
  std::uint32_t seq;
  std::uint32_t ack;
  std::uint16_t len;
  OptSet opts;
};

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct Conn {
  bool v6 = false;
  std::uint16_t vlan = 0;  // 0 = untagged
  Endpoint c, s;
  bool ts = false;         // timestamps negotiated
  std::uint32_t ts_base_c = 0, ts_base_s = 0;
  std::uint16_t ip_id_c = 0, ip_id_s = 0;
  std::vector<Seg> script;
  std::size_t pos = 0;
};

struct Options {
  std::uint64_t packets = 1'000'000;
  std::uint64_t seed = 1;
  std::uint32_t open = 2000;
  std::uint32_t rate = 100'000;   ///< packets per second of capture time (mean gap 1e9/rate ns)
  std::uint64_t syn_flood = 0;
  bool nano = false;
  std::string out;
};

class Generator {
 public:
  Generator(const Options& o, Out& out) : o_(o), out_(out), rng_(o.seed), pool_(o.open) {
    payload_.resize(1U << 16U);
    for (auto& b : payload_) b = static_cast<std::uint8_t>(rng_.next());
    ts_ns_ = 1'700'000'000LL * 1'000'000'000LL;
    gap_ns_ = 1'000'000'000U / (o.rate == 0 ? 1U : o.rate);
    if (gap_ns_ == 0) gap_ns_ = 1;
  }

  void file_header() {
    std::uint8_t* p = out_.reserve(24);
    put32le(p, o_.nano ? 0xA1B23C4DU : 0xA1B2C3D4U);
    const std::uint16_t major = 2, minor = 4;
    std::memcpy(p + 4, &major, 2);
    std::memcpy(p + 6, &minor, 2);
    put32le(p + 8, 0);
    put32le(p + 12, 0);
    put32le(p + 16, 262144);
    put32le(p + 20, 1);  // LINKTYPE_ETHERNET
    out_.commit(24);
  }

  void run_mixed() {
    for (auto& c : pool_) new_conn(c);
    for (std::uint64_t n = 0; n < o_.packets; ++n) {
      ts_ns_ += 1 + rng_.below(gap_ns_ * 2);  // uniform gaps with the mean 1e9 / rate
      const std::uint32_t r = rng_.below(1000);
      if (r < 40) {
        udp_noise();
        continue;
      }
      if (r < 50) {
        icmp_noise();
        continue;
      }
      Conn& c = pool_[rng_.below(static_cast<std::uint32_t>(pool_.size()))];
      emit(c, c.script[c.pos++]);
      if (c.pos == c.script.size()) new_conn(c);
    }
  }

  void run_syn_flood() {
    Endpoint srv = server(0);
    for (std::uint64_t n = 0; n < o_.syn_flood; ++n) {
      ts_ns_ += 1000;
      Conn c;
      c.s = srv;
      c.s.port = 80;
      // Distinct (address, port) per SYN: address from the counter's high bits, port from the low ones.
      c.c.ip = client_v4(static_cast<std::uint32_t>(n / 28000U));
      c.c.port = static_cast<std::uint16_t>(32768U + n % 28000U);
      c.c.mac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
      emit(c, Seg{Dir::kC2S, kSyn, rng_.u32(), 0, 0, kOptSyn});
    }
  }

 private:
  /// Client i of the IPv4 documentation ranges (RFC 5737) the servers (.1 to .32) leave free:
  /// 192.0.2.64-255 and 198.51.100.64-255, 384 addresses (wrapping beyond). Random source ports make
  /// the 5-tuples distinct; a SYN flood takes 28,000 ports per address (10.7 million SYNs before a tuple repeats).
  static std::array<std::uint8_t, 16> client_v4(std::uint32_t i) {
    i %= 384U;
    std::array<std::uint8_t, 16> ip{};
    const bool first = i < 192U;
    ip[0] = first ? 192 : 198;
    ip[1] = first ? 0 : 51;
    ip[2] = first ? 2 : 100;
    ip[3] = static_cast<std::uint8_t>(64U + i % 192U);
    return ip;
  }

  Endpoint server(std::uint32_t i) {
    Endpoint e;
    e.ip[0] = i % 2 == 0 ? 192 : 198;
    e.ip[1] = i % 2 == 0 ? 0 : 51;
    e.ip[2] = i % 2 == 0 ? 2 : 100;
    e.ip[3] = static_cast<std::uint8_t>(1 + i / 2);
    e.mac = {0x02, 0x00, 0x5e, 0x00, 0x53, static_cast<std::uint8_t>(i)};
    return e;
  }

  void new_conn(Conn& c) {
    c.script.clear();
    c.pos = 0;
    c.v6 = rng_.chance(150);
    c.vlan = rng_.chance(100) ? static_cast<std::uint16_t>(1 + rng_.below(4094)) : 0;
    const std::uint32_t srv = rng_.below(64);
    c.s = server(srv);
    static constexpr std::array<std::uint16_t, 8> kPorts = {443, 443, 443, 80, 80, 22, 8080, 5432};
    c.s.port = kPorts[rng_.below(kPorts.size())];
    c.c.ip = {};
    const std::uint32_t host = rng_.u32();
    if (c.v6) {
      // 2001:db8::/32 (RFC 3849)
      c.c.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
      put32(c.c.ip.data() + 12, host);
      c.s.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(1 + srv)};
    } else {
      c.c.ip = client_v4(host);
    }
    c.c.port = static_cast<std::uint16_t>(32768U + rng_.below(28232));
    c.c.mac = {0x02, 0x00, 0x5e, static_cast<std::uint8_t>(host >> 16U), static_cast<std::uint8_t>(host >> 8U),
               static_cast<std::uint8_t>(host)};
    c.ts = rng_.chance(850);
    c.ts_base_c = rng_.u32();
    c.ts_base_s = rng_.u32();
    c.ip_id_c = static_cast<std::uint16_t>(rng_.u32());
    c.ip_id_s = static_cast<std::uint16_t>(rng_.u32());

    std::uint32_t cs = rng_.u32();  // client ISN
    std::uint32_t ss = rng_.u32();  // server ISN
    const OptSet data_opts = c.ts ? kOptTs : kOptNone;
    auto& s = c.script;
    const std::uint32_t kind = rng_.below(1000);
    if (kind < 60) {  // refused: SYN, RST-ACK (RFC 9293 §3.10.7.1: closed port answers RST)
      s.push_back({Dir::kC2S, kSyn, cs, 0, 0, kOptSyn});
      s.push_back({Dir::kS2C, kRst | kAck, 0, cs + 1, 0, kOptNone});
      return;
    }
    if (kind < 100) {  // unanswered: SYN and one retransmission of it
      s.push_back({Dir::kC2S, kSyn, cs, 0, 0, kOptSyn});
      s.push_back({Dir::kC2S, kSyn, cs, 0, 0, kOptSyn});
      return;
    }
    s.push_back({Dir::kC2S, kSyn, cs, 0, 0, kOptSyn});
    ++cs;
    s.push_back({Dir::kS2C, kSyn | kAck, ss, cs, 0, kOptSyn});
    ++ss;
    s.push_back({Dir::kC2S, kAck, cs, ss, 0, data_opts});
    const std::uint32_t rounds = 1 + rng_.below(5);
    for (std::uint32_t r = 0; r < rounds; ++r) {
      const auto q = static_cast<std::uint16_t>(20 + rng_.below(300));
      s.push_back({Dir::kC2S, kPsh | kAck, cs, ss, q, data_opts});
      cs += q;
      if (rng_.chance(20)) s.push_back({Dir::kC2S, kPsh | kAck, cs - q, ss, q, data_opts});  // retransmission
      // Mostly short answers; one in ten spans several full-sized segments.
      const std::uint32_t sz = rng_.below(100);
      const std::uint32_t segs = sz < 75 ? 1 : sz < 90 ? 2 : 3 + rng_.below(4);
      for (std::uint32_t i = 0; i < segs; ++i) {
        const bool last = i + 1 == segs;
        const auto len = static_cast<std::uint16_t>(last ? 1 + rng_.below(500) : 1448 - (c.ts ? 12 : 0));
        s.push_back({Dir::kS2C, static_cast<std::uint8_t>(last ? kPsh | kAck : kAck), ss, cs, len, data_opts});
        if (rng_.chance(15)) s.push_back({Dir::kS2C, kAck, ss, cs, len, data_opts});  // retransmission
        ss += len;
        if (i % 2 == 1 || last) s.push_back({Dir::kC2S, kAck, cs, ss, 0, data_opts});
      }
    }
    const std::uint32_t end = rng_.below(100);
    if (end < 50) {  // 4-way: FIN, ACK, FIN, ACK (RFC 9293 §3.6)
      s.push_back({Dir::kC2S, kFin | kAck, cs, ss, 0, data_opts});
      s.push_back({Dir::kS2C, kAck, ss, cs + 1, 0, data_opts});
      s.push_back({Dir::kS2C, kFin | kAck, ss, cs + 1, 0, data_opts});
      s.push_back({Dir::kC2S, kAck, cs + 1, ss + 1, 0, data_opts});
    } else if (end < 75) {  // 3-way: FIN, FIN-ACK, ACK
      s.push_back({Dir::kC2S, kFin | kAck, cs, ss, 0, data_opts});
      s.push_back({Dir::kS2C, kFin | kAck, ss, cs + 1, 0, data_opts});
      s.push_back({Dir::kC2S, kAck, cs + 1, ss + 1, 0, data_opts});
    } else if (end < 85) {  // the server closes first
      s.push_back({Dir::kS2C, kFin | kAck, ss, cs, 0, data_opts});
      s.push_back({Dir::kC2S, kFin | kAck, cs, ss + 1, 0, data_opts});
      s.push_back({Dir::kS2C, kAck, ss + 1, cs + 1, 0, data_opts});
    } else if (end < 95) {  // the client aborts
      s.push_back({Dir::kC2S, kRst | kAck, cs, ss, 0, kOptNone});
    } else {  // the server aborts
      s.push_back({Dir::kS2C, kRst | kAck, ss, cs, 0, kOptNone});
    }
  }

  void udp_noise() {
    Conn c;
    c.v6 = rng_.chance(150);
    const std::uint32_t host = rng_.below(4096);
    c.c.ip = {};
    if (c.v6) {
      c.c.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
      put32(c.c.ip.data() + 12, host);
      c.s.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
    } else {
      c.c.ip = client_v4(host);
      c.s.ip = {198, 51, 100, 53};
    }
    c.c.port = static_cast<std::uint16_t>(32768U + (host * 7U) % 28000U);
    c.s.port = 53;
    const bool reply = rng_.chance(500);
    // A DNS query for "www.example.com" A (RFC 1035 §4.1), or its answer with one A record.
    static constexpr std::uint8_t kQuery[] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                              3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                                              0, 1, 0, 1};
    static constexpr std::uint8_t kAnswer[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 80};
    std::uint8_t msg[sizeof kQuery + sizeof kAnswer];
    std::memcpy(msg, kQuery, sizeof kQuery);
    std::size_t n = sizeof kQuery;
    const std::uint32_t id = rng_.below(65536);
    msg[0] = static_cast<std::uint8_t>(id >> 8U);
    msg[1] = static_cast<std::uint8_t>(id);
    if (reply) {
      msg[2] = 0x81;  // QR, RD
      msg[3] = 0x80;  // RA
      msg[7] = 1;     // ANCOUNT
      std::memcpy(msg + n, kAnswer, sizeof kAnswer);
      n += sizeof kAnswer;
    }
    write_frame(c, reply ? Dir::kS2C : Dir::kC2S, 17, nullptr, static_cast<std::uint16_t>(n), msg);
  }

  void icmp_noise() {
    Conn c;
    c.v6 = false;
    const std::uint32_t host = rng_.below(256);
    c.c.ip = client_v4(host);
    c.s.ip = {192, 0, 2, 200};
    const bool reply = rng_.chance(500);
    // ICMP echo (RFC 792): type 8 request / 0 reply; "ports" carry id and seq.
    c.c.port = static_cast<std::uint16_t>(host);
    c.s.port = static_cast<std::uint16_t>(rng_.below(64));
    write_frame(c, reply ? Dir::kS2C : Dir::kC2S, 1, nullptr, 56, nullptr);
  }

  void emit(Conn& c, const Seg& seg) { write_frame(c, seg.dir, 6, &seg, seg.len, nullptr); }

  // Writes one Ethernet frame (record header included). proto 6 uses `seg`; 17 UDP and 1 ICMP use `len`.
  // The payload is `body` when given, else bytes from the random pool.
  void write_frame(Conn& c, Dir dir, std::uint8_t proto, const Seg* seg, std::uint16_t len, const std::uint8_t* body) {
    const bool c2s = dir == Dir::kC2S;
    const Endpoint& src = c2s ? c.c : c.s;
    const Endpoint& dst = c2s ? c.s : c.c;
    std::size_t l4_hdr = 8;
    std::size_t opt_len = 0;
    if (proto == 6) {
      opt_len = seg->opts == kOptSyn ? (c.ts || seg->flags == kSyn ? 20 : 8) : seg->opts == kOptTs ? 12 : 0;
      l4_hdr = 20 + opt_len;
    }
    const std::size_t l2 = 14 + (c.vlan != 0 ? 4 : 0);
    const std::size_t l3 = c.v6 ? 40 : 20;
    const std::size_t frame = l2 + l3 + l4_hdr + len;
    std::uint8_t* rec = out_.reserve(16 + frame);
    const std::int64_t sec = ts_ns_ / 1'000'000'000LL;
    const std::int64_t frac = ts_ns_ % 1'000'000'000LL;
    put32le(rec, static_cast<std::uint32_t>(sec));
    put32le(rec + 4, static_cast<std::uint32_t>(o_.nano ? frac : frac / 1000));
    put32le(rec + 8, static_cast<std::uint32_t>(frame));
    put32le(rec + 12, static_cast<std::uint32_t>(frame));
    std::uint8_t* p = rec + 16;
    std::memcpy(p, dst.mac.data(), 6);
    std::memcpy(p + 6, src.mac.data(), 6);
    std::size_t off = 12;
    if (c.vlan != 0) {
      put16(p + off, 0x8100);
      put16(p + off + 2, c.vlan);
      off += 4;
    }
    put16(p + off, c.v6 ? 0x86DD : 0x0800);
    off += 2;
    std::uint8_t* ip = p + off;
    const std::size_t l4_len = l4_hdr + len;
    std::uint64_t pseudo = 0;  // pseudo-header sum (RFC 9293 §3.1, RFC 8200 §8.1)
    if (c.v6) {
      put32(ip, 0x60000000U | (static_cast<std::uint32_t>(src.port) & 0xFFFFFU));
      put16(ip + 4, static_cast<std::uint32_t>(l4_len));
      ip[6] = proto == 1 ? 58 : proto;
      ip[7] = 64;
      std::memcpy(ip + 8, src.ip.data(), 16);
      std::memcpy(ip + 24, dst.ip.data(), 16);
      pseudo = sum16(ip + 8, 32);
    } else {
      std::uint16_t& id = c2s ? c.ip_id_c : c.ip_id_s;
      ip[0] = 0x45;
      ip[1] = 0;
      put16(ip + 2, static_cast<std::uint32_t>(20 + l4_len));
      put16(ip + 4, id++);
      put16(ip + 6, proto == 6 ? 0x4000 : 0);  // DF on TCP
      ip[8] = c2s ? 64 : 57;
      ip[9] = proto;
      put16(ip + 10, 0);
      std::memcpy(ip + 12, src.ip.data(), 4);
      std::memcpy(ip + 16, dst.ip.data(), 4);
      const std::uint16_t hc = fold(sum16(ip, 20));
      put16(ip + 10, hc);
      pseudo = sum16(ip + 12, 8);
    }
    std::uint8_t* l4 = ip + l3;
    std::uint8_t* data = l4 + l4_hdr;
    if (body != nullptr) {
      std::memcpy(data, body, len);
    } else if (len > 0) {
      const std::uint32_t at = rng_.below(static_cast<std::uint32_t>(payload_.size() - len));
      std::memcpy(data, payload_.data() + at, len);
    }
    std::size_t ck_off = 0;
    std::uint8_t pseudo_proto = proto;
    if (proto == 6) {
      put16(l4, src.port);
      put16(l4 + 2, dst.port);
      put32(l4 + 4, seg->seq);
      put32(l4 + 8, seg->ack);
      l4[12] = static_cast<std::uint8_t>((l4_hdr / 4) << 4U);
      l4[13] = seg->flags;
      put16(l4 + 14, (seg->flags & kSyn) != 0 ? 64240 : 501 + rng_.below(2000));
      put16(l4 + 16, 0);
      put16(l4 + 18, 0);
      std::uint8_t* o = l4 + 20;
      const std::uint32_t now_ms = static_cast<std::uint32_t>(ts_ns_ / 1'000'000);
      const std::uint32_t tsval = (c2s ? c.ts_base_c : c.ts_base_s) + now_ms;
      const std::uint32_t tsecr = (seg->flags & kAck) != 0 ? (c2s ? c.ts_base_s : c.ts_base_c) + now_ms : 0;
      if (opt_len == 20) {  // Linux's SYN layout: MSS, SACK-permitted, TS, NOP, WS
        o[0] = 2; o[1] = 4; put16(o + 2, c.v6 ? 1440 : 1460);
        o[4] = 4; o[5] = 2;
        o[6] = 8; o[7] = 10; put32(o + 8, tsval); put32(o + 12, tsecr);
        o[16] = 1; o[17] = 3; o[18] = 3; o[19] = 7;
      } else if (opt_len == 8) {  // no timestamps: MSS, NOP, NOP, SACK-permitted
        o[0] = 2; o[1] = 4; put16(o + 2, 1460);
        o[4] = 1; o[5] = 1; o[6] = 4; o[7] = 2;
      } else if (opt_len == 12) {  // NOP, NOP, TS
        o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10; put32(o + 4, tsval); put32(o + 8, tsecr);
      }
      ck_off = 16;
    } else if (proto == 17) {
      put16(l4, src.port);
      put16(l4 + 2, dst.port);
      put16(l4 + 4, static_cast<std::uint32_t>(l4_len));
      put16(l4 + 6, 0);
      ck_off = 6;
    } else {  // ICMP / ICMPv6 echo
      pseudo_proto = c.v6 ? 58 : 1;
      l4[0] = c2s ? (c.v6 ? 128 : 8) : (c.v6 ? 129 : 0);
      l4[1] = 0;
      put16(l4 + 2, 0);
      put16(l4 + 4, c.c.port);
      put16(l4 + 6, c.s.port);
      ck_off = 2;
    }
    std::uint64_t acc = sum16(l4, l4_len);
    if (proto != 1 || c.v6) {
      // Pseudo-header: addresses (summed above), protocol and length, added in host (LE) word order.
      std::uint8_t tail[4] = {0, 0, 0, 0};
      put16(tail, static_cast<std::uint32_t>(l4_len));
      tail[3] = pseudo_proto;
      acc += sum16(tail, 4) + pseudo;
    }
    std::uint16_t ck = fold(acc);
    if (proto == 17 && ck == 0) ck = 0xFFFF;  // RFC 768: a computed 0 is sent as all ones
    put16(l4 + ck_off, ck);
    out_.commit(16 + frame);
  }

  const Options& o_;
  Out& out_;
  Rng rng_;
  std::vector<Conn> pool_;
  std::vector<std::uint8_t> payload_;
  std::int64_t ts_ns_ = 0;
  std::uint32_t gap_ns_ = 10'000;
};

}  // namespace synscope_bench

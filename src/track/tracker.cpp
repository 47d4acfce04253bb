// ConnTracker: Zeek's connection model (TCPSessionAdapter / TCP_Endpoint / Conn / conn main.zeek) ported
// to a flat, allocation-free-per-packet table.
//
// Design
//  * Connections live in a slab (ConnSlab: one reserved address range, opened as it fills; indices
//    recycled through a free list); a Conn is trivially copyable (history is an inline buffer), so
//    creating one never allocates once the slab has reached the peak number of simultaneously open
//    connections.
//  * Lookup: open addressing with linear probing over 64-bit slots {hash tag:32 | index+1:32}, load
//    factor <= 1/2, backward-shift deletion (no tombstones), keyed by the canonical 5-tuple (the two
//    endpoints in sorted order, so both directions find the same slot).
//  * Expiry: a timer queue of (deadline, index, low half of the connection id) — a calendar of 268 ms
//    buckets in front of a small 4-ary min-heap (timer_heap.hpp) — with lazy re-arming: a packet only
//    pushes when it moves a connection's next deadline *earlier* (a close / attempt timer); an
//    idle-timeout entry that pops early is re-pushed at the connection's real deadline. So the common
//    data packet costs no queue operation, and each connection costs a bucket append and a pop from a
//    heap that stays in the cache about once per timeout period.
//  * Eviction: CLOCK (second chance) over the slab approximates least-recently-active without touching
//    other connections per packet; at max_conns the victim is reported with end_reason "evicted".
//
// Zeek behaviour is followed function by function; the comments name the Zeek function each part mirrors.

#include "synscope/track/tracker.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <random>
#include <type_traits>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "synscope/core/select.hpp"
#include "synscope/track/seq.hpp"
#include "synscope/track/timer_heap.hpp"

namespace synscope::track {

std::string_view step_name(Step s) noexcept {
  switch (s) {
    case Step::kNone: return "";
    case Step::kHandshake1: return "handshake 1/3";
    case Step::kHandshake2: return "handshake 2/3";
    case Step::kHandshake3: return "handshake 3/3";
    case Step::kTeardown1: return "teardown 1/4";
    case Step::kTeardown2: return "teardown 2/4";
    case Step::kTeardown3: return "teardown 3/4";
    case Step::kTeardown23: return "teardown 2+3/4";
    case Step::kTeardown4: return "teardown 4/4";
    case Step::kSimultaneousFin: return "teardown 1/4 (simultaneous)";
    case Step::kReset: return "reset";
  }
  return "";
}

std::string_view flags_label(std::uint16_t f, std::uint32_t payload_len) noexcept {
  const bool syn = (f & 0x002U) != 0;
  const bool fin = (f & 0x001U) != 0;
  const bool rst = (f & 0x004U) != 0;
  const bool ack = (f & 0x010U) != 0;
  if (syn && fin) return "SYN-FIN";
  if (syn && rst) return "SYN-RST";
  if (fin && rst) return "FIN-RST";
  if (syn) return ack ? "SYN-ACK" : "SYN";
  if (rst) return ack ? "RST-ACK" : "RST";
  if (fin) return ack ? "FIN-ACK" : "FIN";
  if (payload_len > 0) return "DATA";
  if (ack) return "ACK";
  return "NONE";
}

namespace {

constexpr std::uint16_t kFin = 0x001;
constexpr std::uint16_t kSyn = 0x002;
constexpr std::uint16_t kRst = 0x004;
constexpr std::uint16_t kAck = 0x010;

/// A segment's control flags as booleans: `const auto [syn, fin, rst, ack] = Flags(f);`.
struct Flags {
  bool syn, fin, rst, ack;
  explicit constexpr Flags(std::uint16_t f) noexcept
      : syn((f & kSyn) != 0), fin((f & kFin) != 0), rst((f & kRst) != 0), ack((f & kAck) != 0) {}
};

// Zeek constants that are not options in TrackerOptions (init-bare.zeek defaults).
constexpr std::int64_t kTcpSynTimeout = 5'000'000'000;          // tcp_SYN_timeout
constexpr std::int64_t kTcpSessionTimer = 360'000'000'000;      // tcp_session_timer (6 min)
constexpr std::int64_t kTcpConnectionLinger = 5'000'000'000;    // tcp_connection_linger
constexpr std::int32_t kTooLargeSeqDelta = 1048576;             // TCPSessionAdapter.cc
constexpr std::int64_t kDnsSessionTimeout = 10'000'000'000;     // dns_session_timeout

// History bits (Zeek's Session.h); the responder's are shifted left by 16.
constexpr std::uint32_t kHistSyn = 0x1;
constexpr std::uint32_t kHistFin = 0x2;
constexpr std::uint32_t kHistRst = 0x4;
constexpr std::uint32_t kHistFinRst = 0x8;
constexpr std::uint32_t kHistData = 0x10;
constexpr std::uint32_t kHistAck = 0x20;
constexpr std::uint32_t kHistMulti = 0x40;

enum class EpState : std::uint8_t { kInactive, kSynSent, kSynAckSent, kPartial, kEstablished, kClosed, kReset };

bool is_handshake(EpState s) noexcept {
  return s == EpState::kInactive || s == EpState::kSynSent || s == EpState::kSynAckSent;
}

/// Zeek's likely_server_ports as the default (non-bare) scripts build it: the ports of the protocol
/// analyzers that add themselves (http, ssh, ftp, dns, smtp, ssl, …) and the tunnel ports.
bool likely_server_port(std::uint8_t proto, std::uint16_t port) noexcept {
  if (proto == 6) {
    switch (port) {
      case 21: case 22: case 25: case 53: case 80: case 81: case 88: case 102: case 110: case 135: case 139:
      case 143: case 389: case 443: case 445: case 502: case 563: case 585: case 587: case 614: case 631:
      case 636: case 989: case 990: case 992: case 993: case 995: case 1080: case 1434: case 1883: case 2811:
      case 3128: case 3268: case 3306: case 3389: case 5222: case 5223: case 5269: case 5432: case 6666:
      case 6667: case 6668: case 6669: case 8000: case 8080: case 8888: case 20000:
        return true;
      default: return false;
    }
  }
  if (proto == 17) {
    switch (port) {
      case 53: case 67: case 88: case 123: case 137: case 161: case 162: case 389: case 443: case 514:
      case 1812: case 2123: case 2152: case 3544: case 4789: case 5060: case 5072: case 5353: case 5355:
      case 6081: case 20000:
        return true;
      default: return false;
    }
  }
  return false;
}

bool is_broadcast(const net::IpAddress& a) noexcept {
  return a.version == 4 && a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255;
}

/// Out-of-order data blocks of one endpoint [lo, hi), sorted and disjoint (TCP_Reassembler's block list,
/// bounded). Kept out of line: a Conn stays small, and only connections with holes hold one.
struct Blocks {
  std::uint8_t n = 0;
  std::array<std::uint64_t, 8> lo{};
  std::array<std::uint64_t, 8> hi{};
};

/// Zeek's logarithmic history counters (Connection::ScaledHistoryEntry, base 10): a count and the
/// power of ten it next logs a letter at. Five bytes, byte-aligned (an Endpoint holds four).
struct Scaled {
  std::array<std::uint8_t, 4> count_bytes{};
  std::uint8_t exp = 0;  ///< threshold = kPow10[exp]
  /// Zeek's uint32 threshold *= 10, wrapping as it does: 10^10 mod 2^32, and no further.
  static constexpr std::array<std::uint32_t, 11> kPow10{1U, 10U, 100U, 1000U, 10000U, 100000U, 1000000U,
                                                        10000000U, 100000000U, 1000000000U, 1410065408U};
  [[nodiscard]] std::uint32_t count() const noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, count_bytes.data(), sizeof v);
    return v;
  }
  void set_count(std::uint32_t v) noexcept { std::memcpy(count_bytes.data(), &v, sizeof v); }
};

struct Endpoint {
  // Fields in two groups: first the ~88 bytes a pure ACK or data segment reads and writes (the fast
  // path: two cache lines), then those only SYN/FIN/RST handling, timers and records touch. No padding
  // inside either group: a Conn holds two of these.
  // --- hot: Zeek's TCP_Endpoint sequence bookkeeping ---
  EpState state = EpState::kInactive;
  EpState prev_state = EpState::kInactive;
  bool is_orig = true;
  bool did_close = false;
  std::uint32_t start_seq = 0;
  std::uint32_t last_seq = 0;
  std::uint32_t ack_seq = 0;
  std::uint32_t seq_wraps = 0;
  std::uint32_t ack_wraps = 0;
  std::uint32_t fin_cnt = 0;
  // --- hot: synscope labels (raw sequence numbers, independent of Zeek's bookkeeping) ---
  std::uint32_t lbl_base = 0;
  std::uint32_t max_end = 0;
  std::uint32_t fin_seq = 0;  // sequence number of the FIN itself
  bool lbl_base_set = false;
  bool syn_seen = false;
  bool synack_seen = false;
  bool max_end_set = false;
  bool fin_sent = false;
  bool fin_acked = false;
  // --- port of this side (the address is in the Conn's key) ---
  std::uint16_t port = 0;
  // --- hot: reassembly emulation (TCP_Reassembler): contiguous data up to last_reassem, buffered blocks
  // above (out of line: only a connection with out-of-order data holds a Blocks from the tracker's pool)
  std::uint64_t last_reassem = 1;
  std::uint64_t trim_seq = 1;
  Blocks* blk = nullptr;
  // --- hot: ConnSize ---
  std::uint64_t pkts = 0;
  std::uint64_t ip_bytes = 0;
  // --- cold ---
  std::uint32_t rst_cnt = 0;
  std::uint32_t syn_seq = 0;
  std::uint64_t hist_last_syn = 0;
  std::uint64_t hist_last_fin = 0;
  std::uint64_t hist_last_rst = 0;
  std::uint64_t fin_seq_rel = 0;  // Zeek's FIN_seq (relative)
  // --- UDP / ICMP adapters: request_len / reply_len ---
  std::int64_t len_stat = -1;
  ConnRecord::Side opts;
  Scaled chk, rxmt, win0, gap;

  [[nodiscard]] std::uint64_t full_seq(std::uint32_t seq, std::uint32_t wraps) const noexcept {
    return (static_cast<std::uint64_t>(wraps) << 32U) | seq;
  }
  [[nodiscard]] std::uint64_t to_relative(std::uint32_t seq, std::uint32_t wraps) const noexcept {
    return full_seq(seq, wraps) - start_seq;
  }
  /// TCP_Endpoint::UpdateLastSeq / UpdateAckSeq, done only when `advance`: by selects, not a branch,
  /// because whether a segment advances them is data-dependent (a pure ACK after data repeats last_seq).
  void update_last_seq(std::uint32_t seq, bool advance = true) noexcept {
    seq_wraps += static_cast<std::uint32_t>(advance & (seq < last_seq));
    last_seq = select(advance, seq, last_seq);
  }
  void update_ack_seq(std::uint32_t seq, bool advance) noexcept {
    ack_wraps += static_cast<std::uint32_t>(advance & (seq < ack_seq));
    ack_seq = select(advance, seq, ack_seq);
  }
  [[nodiscard]] bool no_data_acked() const noexcept {
    const std::uint64_t ack = full_seq(ack_seq, ack_wraps);
    return ack == start_seq || ack == static_cast<std::uint64_t>(start_seq) + 1U;
  }
};

constexpr std::size_t kMaxHistory = 40;
constexpr std::uint32_t kNone = 0xFFFFFFFFU;

using Key = FlowKey;
std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Five 64-bit compares (the key is 40 bytes without padding) instead of a memcmp call. Each word is
/// loaded from both keys directly: copies into local arrays were kept on the stack, stored 16 bytes at a
/// time and read back 8 at a time (perf put ~5 % of update_prepared()'s samples on those reloads).
bool same_key(const Key& x, const Key& y) noexcept {
  const auto* a = reinterpret_cast<const std::uint8_t*>(&x);
  const auto* b = reinterpret_cast<const std::uint8_t*>(&y);
  return ((load64(a) ^ load64(b)) | (load64(a + 8) ^ load64(b + 8)) | (load64(a + 16) ^ load64(b + 16)) |
          (load64(a + 24) ^ load64(b + 24)) | (load64(a + 32) ^ load64(b + 32))) == 0;
}
static_assert(sizeof(Key) == 40, "FlowKey must have no padding: same_key() compares its bytes");

std::uint64_t mix64(std::uint64_t x) noexcept {  // splitmix64 finaliser
  x ^= x >> 30U;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27U;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31U;
  return x;
}

/// The key's hash that seeds its uid (splitmix64 over the five words): fixed, so that uids are the same
/// in every run. Computed once per connection record, not per packet.
std::uint64_t uid_hash(const Key& k) noexcept {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  h = mix64(h ^ load64(k.a.data()));
  h = mix64(h ^ load64(k.a.data() + 8));
  h = mix64(h ^ load64(k.b.data()));
  h = mix64(h ^ load64(k.b.data() + 8));
  h = mix64(h ^ (static_cast<std::uint64_t>(k.pa) | static_cast<std::uint64_t>(k.pb) << 16U |
                 static_cast<std::uint64_t>(k.proto) << 32U | static_cast<std::uint64_t>(k.one_way) << 40U |
                 static_cast<std::uint64_t>(k.va) << 48U | static_cast<std::uint64_t>(k.vb) << 56U));
  return h;
}

/// 64 x 64 -> 128-bit multiply folded to 64 bits (wyhash's "mum").
#ifdef __SIZEOF_INT128__
__extension__ using U128 = unsigned __int128;
std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64U);
}
#else
std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept { return mix64(a ^ mix64(b)); }
#endif

/// A key as its five 64-bit words (the bytes of a FlowKey, which has no padding): what the hash and the
/// key compare work on, built in registers.
struct KeyWords {
  std::uint64_t w0, w1, w2, w3, w4;
};
static_assert(sizeof(KeyWords) == sizeof(Key));

/// The table's hash of a key, keyed by a per-tracker random seed: four independent multiplies (a third of
/// uid_hash's instructions, and no serial chain), and a crafted capture cannot aim its flows at one probe
/// chain because the seed is not known in advance. The table's layout never shows in the output.
std::uint64_t hash_words(const KeyWords& w, const std::array<std::uint64_t, 4>& seed) noexcept {
  const std::uint64_t x = mum(w.w0 ^ seed[0], w.w1 ^ seed[1]);
  const std::uint64_t y = mum(w.w2 ^ seed[2], w.w3 ^ seed[3]);
  return mum(x ^ w.w4 ^ 0xa0761d6478bd642fULL, y ^ seed[0] ^ 0xe7037ed1a0b428dbULL);
}

/// The canonical key of a packet's flow as words; `src_is_a` tells whether the packet's source is side a.
/// (Built in registers and hashed from them: the key assembled in memory and read back at once for the hash
/// cost two failed store-to-load forwards per packet — 8-byte stores under a 16-byte load — ~5 % of a
/// `--conns-only` run in perf.)
KeyWords make_key_words(const PacketSummary& p, bool& src_is_a) noexcept {
  const bool one_way = (p.proto == 1 || p.proto == 58) && p.icmp_one_way;
  bool swap = false;
  if (!one_way) {
    // Canonical order: the smaller (address, port) first, so both directions share a key.
    if (p.src.version != p.dst.version) {
      swap = p.src.version > p.dst.version;
    } else {
      // memcmp order of the 16 address bytes, as two big-endian 64-bit compares (no call).
      const std::uint64_t s0 = __builtin_bswap64(load64(p.src.bytes.data()));
      const std::uint64_t d0 = __builtin_bswap64(load64(p.dst.bytes.data()));
      if (s0 != d0) {
        swap = s0 > d0;
      } else {
        const std::uint64_t s1 = __builtin_bswap64(load64(p.src.bytes.data() + 8));
        const std::uint64_t d1 = __builtin_bswap64(load64(p.dst.bytes.data() + 8));
        swap = s1 > d1 || (s1 == d1 && p.sport > p.dport);
      }
    }
  }
  // The sides are picked without a branch: `swap` is the packet's direction, which is as often one way
  // as the other (a branch on it was mispredicted about every second packet). Side a's address is read
  // at an offset into the summary picked with a mask (side b's is the other one), and the ports and the
  // versions are each one word rotated by half its width when swapped: fewer instructions than a mask
  // per word.
  static_assert(std::is_standard_layout_v<PacketSummary> && std::is_standard_layout_v<net::IpAddress>);
  constexpr std::size_t kSrc = offsetof(PacketSummary, src) + offsetof(net::IpAddress, bytes);
  constexpr std::size_t kDst = offsetof(PacketSummary, dst) + offsetof(net::IpAddress, bytes);
  const std::size_t a_at = select(swap, kDst, kSrc);
  const auto* const summary = reinterpret_cast<const std::uint8_t*>(&p);
  const std::uint8_t* const a_bytes = summary + a_at;
  const std::uint8_t* const b_bytes = summary + (a_at ^ kSrc ^ kDst);
  const unsigned turn = swap ? 16U : 0U;
  const std::uint32_t ports = std::rotr(static_cast<std::uint32_t>(p.sport | static_cast<std::uint32_t>(p.dport) << 16U), static_cast<int>(turn));
  const auto versions = static_cast<std::uint16_t>(std::rotr(static_cast<std::uint16_t>(p.src.version | p.dst.version << 8U), static_cast<int>(turn / 2U)));
  // The last word as FlowKey lays it out (pa, pb, va, vb, proto, one_way), in host byte order.
  static_assert(std::endian::native == std::endian::little, "FlowKey's last word is assembled little-endian");
  static_assert(offsetof(Key, pa) == 32 && offsetof(Key, pb) == 34 && offsetof(Key, va) == 36 &&
                offsetof(Key, vb) == 37 && offsetof(Key, proto) == 38 && offsetof(Key, one_way) == 39);
  const std::uint64_t w4 = std::uint64_t{ports} | std::uint64_t{versions} << 32U | std::uint64_t{p.proto} << 48U |
                           std::uint64_t{one_way ? 1U : 0U} << 56U;
  src_is_a = !swap;
  return KeyWords{load64(a_bytes), load64(a_bytes + 8), load64(b_bytes), load64(b_bytes + 8), w4};
}

/// Stores the words into a key one by one: a single copy of the whole struct is compiled to 16-byte
/// loads of the words just spilled 8 bytes at a time (a failed store-to-load forward again).
void store_key(Key& k, const KeyWords& w) noexcept {
  static_assert(std::is_trivially_copyable_v<Key>);
  auto* out = reinterpret_cast<unsigned char*>(&k);
  std::memcpy(out, &w.w0, 8);
  std::memcpy(out + 8, &w.w1, 8);
  std::memcpy(out + 16, &w.w2, 8);
  std::memcpy(out + 24, &w.w3, 8);
  std::memcpy(out + 32, &w.w4, 8);
}

constexpr std::uint8_t kNoSide = 0xFF;

/// Which of the tracker's inactivity timeouts applies to a connection.
enum class Idle : std::uint8_t { kOff, kTcp, kUdp, kIcmp };

struct alignas(64) Conn {
  // The key and the flags a lookup reads first (one cache line), then what every packet of an open
  // connection reads or writes, then each endpoint (its hot part first), then what only handshakes,
  // timers and records touch. A fast-path segment touches lines 0, 1, 2, 4 and 5 of the 9 (kHotBytes).
  Key key;
  std::uint64_t hash = 0;  // hash_words() of the key; its upper half is the slot tag (and home slot)
  bool live = false;
  bool ep0_is_a = true;   // ep[0] (the first packet's sender) is the key's side a
  std::uint8_t proto = 0;
  std::uint8_t hist_len = 0;
  bool is_active = true;
  bool referenced = false;  // CLOCK bit: set by every packet, cleared by the eviction hand
  bool is_partial = false;          // TCPSessionAdapter::is_partial
  std::uint8_t first_packet_seen = 0;  // 1 orig, 2 resp (TCPSessionAdapter::first_packet_seen)
  Idle idle = Idle::kOff;          // Zeek's per-connection inactivity timeout, by kind
  std::uint8_t first_rst_side = kNoSide;  // index into ep of the first RST's sender
  bool fin_23 = false;          // the second FIN acknowledged the first in the same packet
  bool fin_simultaneous = false;
  bool data_after_fin = false;  // the other side sent data after the first FIN: a half-close was used
  std::uint8_t fast_sides = 0;  // bit s: a pure ACK/data segment from ep[s] may take the fast path
  std::uint64_t id = 0;
  std::int64_t last_ns = 0;       // Zeek's Connection::last_time
  std::int64_t armed_at = 0;  // deadline of the heap entry that stands for this conn (0 = none)
  std::int64_t established_ns = -1;
  std::uint32_t hist_seen = 0;
  std::uint32_t syn_retransmits = 0;
  std::array<Endpoint, 2> ep{};  // ep[0] sent the first packet (before any flip)
  std::int64_t start_ns = 0;
  // Zeek's timers (0 = not armed)
  std::int64_t t_attempt = 0;
  std::array<std::int64_t, 2> t_expire{};
  std::int64_t t_partial = 0;
  std::int64_t t_reset = 0;
  std::int64_t t_delete = 0;
  std::int64_t t_dns = 0;           // DNS analyzer's session timer (UDP DNS flows)
  // synscope extras
  std::int64_t first_syn_ns = -1;
  std::int64_t synack_ns = -1;
  std::uint64_t missed_bytes = 0;   // content_gap bytes
  std::array<char, kMaxHistory> history{};

  [[nodiscard]] std::uint32_t tag() const noexcept { return static_cast<std::uint32_t>(hash >> 32U); }
  /// The address of ep[s], from the key.
  [[nodiscard]] net::IpAddress addr(std::size_t s) const noexcept {
    net::IpAddress a;
    const bool is_a = (s == 0) == ep0_is_a;
    a.version = is_a ? key.va : key.vb;
    a.bytes = is_a ? key.a : key.b;
    return a;
  }
  [[nodiscard]] std::size_t orig_index() const noexcept { return ep[0].is_orig ? 0U : 1U; }

  Endpoint& orig() noexcept { return ep[0].is_orig ? ep[0] : ep[1]; }
  Endpoint& resp() noexcept { return ep[0].is_orig ? ep[1] : ep[0]; }
  [[nodiscard]] const Endpoint& orig() const noexcept { return ep[0].is_orig ? ep[0] : ep[1]; }
  [[nodiscard]] const Endpoint& resp() const noexcept { return ep[0].is_orig ? ep[1] : ep[0]; }

  void add_history(char code) noexcept {
    if (hist_len < kMaxHistory) history[hist_len++] = code;
  }
  /// Zeek's Connection::CheckHistory: records `code` the first time `mask` is seen; true if seen before.
  bool check_history(std::uint32_t mask, char code) noexcept {
    if ((hist_seen & mask) == 0) {
      hist_seen |= mask;
      add_history(code);
      return false;
    }
    return true;
  }
  /// Connection::ScaledHistoryEntry: letters at the 1st, 10th, 100th, … occurrence.
  void scaled(Scaled& s, char code) noexcept {
    const std::uint32_t n = s.count() + 1U;
    s.set_count(n);
    if (n == Scaled::kPow10[s.exp]) {
      add_history(code);
      if (s.exp + 1U == Scaled::kPow10.size()) {
        s.set_count(0);  // the next threshold would wrap below this one: Zeek restarts the count
      } else {
        ++s.exp;
      }
    }
  }
};

/// The part of a Conn the fast path works on (Conn's layout comment): what the table prefetches.
constexpr std::size_t kHotBytes = 384;
static_assert(sizeof(Conn) % 64 == 0 && offsetof(Conn, ep) + sizeof(Endpoint) + offsetof(Endpoint, rst_cnt) <= kHotBytes,
              "the hot parts of a Conn and of both endpoints lie in its first kHotBytes");

char side_code(const Endpoint& e, char upper) noexcept {
  return e.is_orig ? upper : static_cast<char>(upper - 'A' + 'a');
}

bool ep_check_history(Conn& c, const Endpoint& e, std::uint32_t mask, char code) noexcept {
  mask <<= select(e.is_orig, 0U, 16U);  // the responder's bits are the upper half
  return c.check_history(mask, side_code(e, code));
}

/// Zeek's TCP_Endpoint::Size(): payload bytes from the sequence space.
std::uint64_t endpoint_size(const Endpoint& e, const Endpoint& peer) noexcept {
  if (e.prev_state == EpState::kSynSent && e.state == EpState::kReset && peer.state == EpState::kInactive &&
      !e.no_data_acked())
    return 0;  // a half-open connection discovered and aborted
  const std::uint64_t last = e.full_seq(e.last_seq, e.seq_wraps);
  const std::uint64_t ack = e.full_seq(e.ack_seq, e.ack_wraps);
  std::uint64_t size = (last > ack ? last : ack) - e.start_seq;
  if (size != 0) --size;                      // the SYN octet
  if (e.fin_cnt > 0 && size != 0) --size;     // the FIN octet
  return size;
}

std::uint32_t heap_id(std::uint64_t id) noexcept { return static_cast<std::uint32_t>(id); }

/// Five base-62 digits of r (< 62^5), least significant first: 32-bit divisions only.
void base62_5(std::uint32_t r, char* out) noexcept {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 5; ++i) {
    out[i] = kDigits[r % 62U];
    r /= 62U;
  }
}

/// "C" + 11 base-62 digits of mix64(seed_a) + 6 of the low half of mix64(seed_b ^ that), least
/// significant digit first. The 64-bit value is split at 62^5 twice so that the digit loop runs on 32-bit
/// values (the same digits as dividing the 64-bit value by 62 eleven times, several times faster).
void write_uid(std::array<char, 20>& out, std::uint64_t seed_a, std::uint64_t seed_b) noexcept {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr std::uint64_t k5 = 62ULL * 62 * 62 * 62 * 62;  // 916132832 < 2^32
  const std::uint64_t a = mix64(seed_a);
  const std::uint64_t b = mix64(seed_b ^ a) & 0xFFFFFFFFULL;
  const std::uint64_t a1 = a / k5;
  const std::uint64_t a2 = a1 / k5;  // < 62: 62^11 > 2^64
  out[0] = 'C';
  base62_5(static_cast<std::uint32_t>(a - a1 * k5), out.data() + 1);
  base62_5(static_cast<std::uint32_t>(a1 - a2 * k5), out.data() + 6);
  out[11] = kDigits[a2];
  base62_5(static_cast<std::uint32_t>(b % k5), out.data() + 12);
  out[17] = kDigits[b / k5];  // < 5: b < 2^32
  out[18] = '\0';
}

/// A connection's uid, from what it was created with (its key's hash, its first packet's time, its id):
/// computed when needed rather than kept, 20 bytes less per connection.
void write_uid(std::array<char, 20>& out, const Conn& c) noexcept {
  write_uid(out, uid_hash(c.key) ^ static_cast<std::uint64_t>(c.start_ns), c.id * 0x9e3779b97f4a7c15ULL);
}

/// The connections' memory: one range of address space for the most connections a tracker may hold,
/// reserved without access (no memory, no commit charge) and opened for reading and writing in steps as
/// connections are first needed. Connections never move (no copy while the table grows, no page faulted
/// twice), and connection i is at base + i: one multiply-add, where a table of chunks cost a load, a
/// shift, a mask and a test for the first small chunk (~25 instructions per packet, several lookups).
/// Past the first 2 MiB (a small capture, each test and fuzz input, touches a few small pages) the range is
/// opened in whole 2 MiB steps and the kernel asked for transparent huge pages: one fault and one TLB entry
/// per 2 MiB. Steps are whole pages of the running kernel (4, 16 or 64 KiB).
/// The reservation counts against an address-space limit (ulimit -v) even without access: under one it
/// takes at most a quarter of the limit (the rest of the process needs room too), and the tracker then
/// holds at most max_conns() connections, evicting the oldest beyond, as with a smaller --max-conns.
class ConnSlab {
 public:
  static_assert(std::is_trivially_destructible_v<Conn>);
  static constexpr std::size_t kHugePage = std::size_t{2} << 20U;

  explicit ConnSlab(std::size_t max_conns) {
    const long page = ::sysconf(_SC_PAGESIZE);
    page_ = page > 0 ? static_cast<std::size_t>(page) : 4096U;
    std::size_t bytes = round_up(std::max<std::size_t>(max_conns, 1) * sizeof(Conn), kHugePage) + kHugePage;
    rlimit as{};
    if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
      bytes = std::min(bytes, std::max(round_up(static_cast<std::size_t>(as.rlim_cur / 4), kHugePage), 2 * kHugePage));
    }
    // Ask for less until it is granted.
    for (;;) {
      void* p = ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p != MAP_FAILED) {
        map_ = static_cast<char*>(p);
        map_bytes_ = bytes;
        break;
      }
      if (bytes <= 2 * kHugePage) throw std::bad_alloc();
      bytes = round_up(bytes / 2, kHugePage);
    }
    // The connections start at the first 2 MiB boundary of the mapping.
    const auto addr = reinterpret_cast<std::uintptr_t>(map_);
    base_ = map_ + (round_up(addr, kHugePage) - addr);
    limit_ = static_cast<std::size_t>(map_ + map_bytes_ - base_);
  }
  ~ConnSlab() { ::munmap(map_, map_bytes_); }
  ConnSlab(const ConnSlab&) = delete;
  ConnSlab& operator=(const ConnSlab&) = delete;

  [[nodiscard]] Conn* at(std::uint32_t idx) const noexcept { return reinterpret_cast<Conn*>(base_) + idx; }
  /// Connections that fit in the part opened so far.
  [[nodiscard]] std::uint32_t usable() const noexcept { return static_cast<std::uint32_t>(open_ / sizeof(Conn)); }
  /// Connections that fit in the whole reservation.
  [[nodiscard]] std::size_t max_conns() const noexcept { return round_down(limit_, page_) / sizeof(Conn); }
  /// Opens the next step (128 connections, then up to 2 MiB, then 2 MiB at a time; in whole pages, and
  /// the last one to the end of the reservation). Throws bad_alloc when the reservation is used up or the
  /// kernel refuses (a commit limit).
  void grow() {
    const std::size_t step_end = open_ == 0 ? 128 * sizeof(Conn) : open_ < kHugePage ? kHugePage : open_ + kHugePage;
    const std::size_t want = std::min(round_up(step_end, page_), round_down(limit_, page_));
    if (want <= open_) throw std::bad_alloc();
    if (::mprotect(base_ + open_, want - open_, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (open_ >= kHugePage) (void)::madvise(base_ + open_, want - open_, MADV_HUGEPAGE);  // a hint
#endif
    open_ = want;
  }

 private:
  static std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }
  static std::size_t round_down(std::size_t n, std::size_t to) noexcept { return n / to * to; }
  std::size_t page_ = 4096;
  char* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  char* base_ = nullptr;
  std::size_t limit_ = 0;  // bytes from base_ to the end of the mapping
  std::size_t open_ = 0;   // bytes from base_ opened for reading and writing
};

}  // namespace

struct ConnTracker::Impl {
  TrackerOptions opts;
  RecordSink sink;
  std::uint32_t capacity = 0;  // connections constructed so far (indices below it are valid)
  std::vector<std::uint32_t> free_list;
  std::vector<std::unique_ptr<Blocks>> blocks_store;  // out-of-order block lists, recycled
  std::vector<Blocks*> blocks_free;
  std::vector<std::uint64_t> slots;
  std::uint64_t mask = 0;
  std::size_t count = 0;
  TimerQueue heap;
  std::uint32_t clock_hand = 0;
  std::uint64_t ordinal = 0;  // of the packet being processed (1 = the first given to the tracker)
  EmitPosition pos;           // where the record being reported was triggered (emit_position())
  std::uint64_t evicted_count = 0;
  ConnRecord rec;  // reused so that reporting does not allocate in steady state
  std::array<std::uint64_t, 4> seed{};  // hash_words()'s secret: random per tracker
  std::uint32_t shard = 0;   // opts.shard / opts.shards, checked
  std::uint32_t shards = 1;

  Impl(TrackerOptions o, RecordSink s) : opts(o), sink(std::move(s)) {
    std::uint64_t s0 = opts.hash_seed;
    if (s0 == 0) {
      std::random_device rd;
      s0 = (static_cast<std::uint64_t>(rd()) << 32U) ^ rd();
    }
    for (std::uint64_t& x : seed) x = s0 = mix64(s0 + 0x9e3779b97f4a7c15ULL);
    if (opts.max_conns == 0) opts.max_conns = 1;
    opts.max_conns = std::min(opts.max_conns, slab.max_conns());  // smaller only under ulimit -v
    pos.phase = 1;  // between packets' timers: the packet's own phase (begin_packet())
    shards = opts.shards == 0 ? 1 : opts.shards;
    shard = opts.shard < shards ? opts.shard : 0;
    slots.assign(1024, 0);
    mask = slots.size() - 1;
  }

  // Connections: constructed one at a time as they are first needed (new_index()), so memory is touched
  // as connections appear; an index names a connection for its whole life, recycled through free_list.
  ConnSlab slab{opts.max_conns};

  [[nodiscard]] Conn* slot_of(std::uint32_t idx) const noexcept { return slab.at(idx); }
  Conn& at(std::uint32_t idx) noexcept { return *slot_of(idx); }
  [[nodiscard]] const Conn& at(std::uint32_t idx) const noexcept { return *slot_of(idx); }

  /// A free connection index: the most recently released one, else the next never used (in index order).
  std::uint32_t new_index() {
    if (!free_list.empty()) {
      const std::uint32_t idx = free_list.back();
      free_list.pop_back();
      return idx;
    }
    if (capacity == slab.usable()) {
      if (capacity == 0xFFFFFFFFU) std::abort();  // 4 billion open connections: not reachable
      slab.grow();
    }
    std::construct_at(&at(capacity));
    return capacity++;
  }

  // ------------------------------------------------------------------ out-of-order blocks
  Blocks* take_blocks() {
    if (blocks_free.empty()) {
      blocks_store.push_back(std::make_unique<Blocks>());
      return blocks_store.back().get();
    }
    Blocks* b = blocks_free.back();
    blocks_free.pop_back();
    *b = Blocks{};
    return b;
  }
  void release_blocks(Endpoint& e) {
    if (e.blk == nullptr) return;
    blocks_free.push_back(e.blk);
    e.blk = nullptr;
  }

  // ------------------------------------------------------------------ hash table
  // A slot is {tag:32 | index+1:32}; the tag is the upper half of the key's hash and also gives the home
  // slot (tag & mask), so growing and backward-shift deletion never touch a Conn.
  /// The index of the connection with key `k` (kNone if there is none); `found` points at it.
  std::uint32_t find(const Key& k, std::uint32_t tag, Conn*& found) noexcept {
    for (std::uint64_t i = tag & mask;; i = (i + 1) & mask) {
      const std::uint64_t s = slots[i];
      if (s == 0) return kNone;
      if (static_cast<std::uint32_t>(s >> 32U) == tag) {
        const auto idx = static_cast<std::uint32_t>(s & 0xFFFFFFFFULL) - 1U;
        Conn* c = slot_of(idx);
        if (same_key(c->key, k)) {
          found = c;
          return idx;
        }
      }
    }
  }

  void slot_insert(std::uint32_t tag, std::uint32_t idx) noexcept {
    std::uint64_t i = tag & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = (static_cast<std::uint64_t>(tag) << 32U) | (static_cast<std::uint64_t>(idx) + 1U);
  }

  void grow_if_needed() {
    if ((count + 1) * 2 <= slots.size()) return;
    std::vector<std::uint64_t> old;
    old.swap(slots);
    slots.assign(old.size() * 2, 0);
    mask = slots.size() - 1;
    for (const std::uint64_t s : old) {
      if (s == 0) continue;
      std::uint64_t i = (s >> 32U) & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = s;
    }
  }

  void slot_erase(std::uint32_t idx) noexcept {
    const std::uint32_t tag = at(idx).tag();
    std::uint64_t i = tag & mask;
    while (static_cast<std::uint32_t>(slots[i] & 0xFFFFFFFFULL) != idx + 1U) i = (i + 1) & mask;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    std::uint64_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[j] == 0) break;
      const std::uint64_t home = (slots[j] >> 32U) & mask;
      // Move slots[j] into the hole at i unless its home lies cyclically in (i, j].
      const bool home_in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
      if (!home_in_range) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = 0;
  }

  // ------------------------------------------------------------------ timers
  [[nodiscard]] std::int64_t idle_timeout(const Conn& c) const noexcept {
    switch (c.idle) {
      case Idle::kTcp: return opts.inactivity_timeout_ns;
      case Idle::kUdp: return opts.udp_inactivity_timeout_ns;
      case Idle::kIcmp: return opts.icmp_inactivity_timeout_ns;
      case Idle::kOff: break;
    }
    return 0;
  }
  /// The earliest armed timer (0 = none). Runs for every packet: a timer of 0 (not armed) counts as the
  /// largest time, so the minimum is taken without data-dependent branches (no real timer reaches it:
  /// record times are below 2^32 seconds, about 4.3e18 ns, and the timeouts are far below the rest).
  [[nodiscard]] std::int64_t next_deadline(const Conn& c) const noexcept {
    constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
    auto armed = [](std::int64_t t) noexcept { return t == 0 ? kNever : t; };
    std::int64_t best = std::min({armed(c.t_attempt), armed(c.t_expire[0]), armed(c.t_expire[1]),
                                  armed(c.t_partial), armed(c.t_reset), armed(c.t_delete), armed(c.t_dns)});
    const std::int64_t idle = idle_timeout(c);
    if (idle > 0) best = std::min(best, armed(c.last_ns + idle));
    return best == kNever ? 0 : best;
  }
  /// Drops stale heap entries (connections gone or re-armed) once they outnumber the live ones, so the
  /// heap stays within twice the open connections even under a SYN flood. Amortized O(1) per push.
  void compact_heap() {
    if (heap.size() < 1024 || heap.size() < 2 * count) return;
    heap.remove_if([this](const HeapEntry& e) {
      const Conn& c = at(e.idx);
      return !c.live || heap_id(c.id) != e.id || c.armed_at != e.deadline;
    });
  }

  void arm(std::uint32_t idx) { arm(idx, at(idx)); }
  void arm(std::uint32_t idx, Conn& c) {
    compact_heap();
    const std::int64_t d = next_deadline(c);
    if (d == 0) return;
    if (c.armed_at != 0 && c.armed_at <= d) return;  // an earlier entry will re-arm lazily
    c.armed_at = d;
    heap.push({d, idx, heap_id(c.id)});
    next_due = std::min(next_due, d);
  }
  void add_expire_timer(Conn& c, std::int64_t t) noexcept {
    if (c.t_expire[0] == 0) {
      c.t_expire[0] = t;
    } else if (c.t_expire[1] == 0) {
      c.t_expire[1] = t;
    }
  }

  /// Runs the timers of `c` due at `now` in time order, as Zeek's timer manager would when network time
  /// reaches `now`. Returns true when the connection was removed.
  bool run_timers(std::uint32_t idx, std::int64_t now) {
    for (;;) {
      Conn& c = at(idx);
      std::int64_t* slot = nullptr;
      int which = -1;
      std::int64_t best = 0;
      auto pick = [&](std::int64_t& t, int w) {
        if (t != 0 && t <= now && (best == 0 || t < best)) {
          best = t;
          slot = &t;
          which = w;
        }
      };
      pick(c.t_attempt, 0);
      pick(c.t_expire[0], 1);
      pick(c.t_expire[1], 1);
      pick(c.t_partial, 2);
      pick(c.t_reset, 3);
      pick(c.t_delete, 4);
      pick(c.t_dns, 5);
      std::int64_t inact = 0;
      const std::int64_t idle = idle_timeout(c);
      if (idle > 0) inact = c.last_ns + idle;
      if (inact != 0 && inact <= now && (best == 0 || inact < best)) {
        // Connection::InactivityTimer
        finish(idx, "timeout");
        return true;
      }
      if (slot == nullptr) return false;
      *slot = 0;
      Endpoint& o = c.orig();
      Endpoint& r = c.resp();
      switch (which) {
        case 0:  // TCPSessionAdapter::AttemptTimer
          if (!c.is_active) break;
          if ((o.state == EpState::kSynSent || o.state == EpState::kSynAckSent) && r.state == EpState::kInactive) {
            c.is_active = false;
            finish(idx, "timeout");
            return true;
          }
          break;
        case 1:  // TCPSessionAdapter::ExpireTimer
          if (!c.is_active) break;
          if (c.last_ns + kTcpConnectionLinger < now) {
            if (o.did_close || r.did_close) {
              if ((o.did_close && r.did_close) || o.state == EpState::kReset || r.state == EpState::kReset ||
                  o.state == EpState::kInactive || r.state == EpState::kInactive) {
                c.is_active = false;
                finish(idx, "timeout");
                return true;
              }
            }
            if (r.state == EpState::kInactive && o.state == EpState::kInactive) {
              finish(idx, "timeout");
              return true;
            }
          }
          add_expire_timer(c, now + kTcpSessionTimer);
          break;
        case 2:  // TCPSessionAdapter::PartialCloseTimer
          if (!c.is_active) break;
          if (o.state != EpState::kInactive && r.state != EpState::kInactive && (!o.did_close || !r.did_close)) {
            if (o.state == EpState::kReset || r.state == EpState::kReset) break;
            finish(idx, "timeout");
            return true;
          }
          break;
        case 3:  // TCPSessionAdapter::ResetTimer
          if (!c.is_active) break;
          finish(idx, "closed");
          return true;
        case 4:  // ConnDeleteTimer after a complete close
          finish(idx, "closed");
          return true;
        default:  // DNS_Analyzer::ExpireTimer (with its one second of slack)
          if (now >= c.last_ns + (kDnsSessionTimeout - 1'000'000'000)) {  // (no now - last: times span ±2^62)
            finish(idx, "timeout");
            return true;
          }
          c.t_dns = now + kDnsSessionTimeout;
          break;
      }
    }
  }

  /// At most the earliest deadline in the heap (INT64_MAX when it is empty): a packet before it has no
  /// timer to run, and begin_packet() skips expire() for it (two tests of the heap's top per packet). A
  /// push lowers it; expire() sets it exactly; removals only make the real minimum later.
  std::int64_t next_due = std::numeric_limits<std::int64_t>::max();
  /// Runs the timers due at `now`; their records are phase 0 of emit_position(), with the timer's
  /// deadline. Outside it pos is phase 1 (the packet) with no deadline, except during flush().
  void expire(std::int64_t now) {
    pos.phase = 0;
    while (!heap.empty() && heap.top().deadline <= now) {
      const HeapEntry e = heap.pop();
      Conn& c = at(e.idx);
      if (!c.live || heap_id(c.id) != e.id || c.armed_at != e.deadline) continue;  // stale entry
      c.armed_at = 0;
      pos.deadline = e.deadline;
      if (!run_timers(e.idx, now)) arm(e.idx);
    }
    pos.phase = 1;
    pos.deadline = 0;
    next_due = heap.empty() ? std::numeric_limits<std::int64_t>::max() : heap.top().deadline;
    prefetch_next_timers();
  }

  /// A connection whose timer fires has usually not been touched for seconds of capture time (closed
  /// 5 s ago, or idle), so the stale-entry test, the timer and the record would each wait for memory.
  /// Whenever the heap's top changes, the connections of the top and of its children (the next ones
  /// to fire) are prefetched: by the time their deadline comes they are in the cache.
  HeapEntry prefetched_top{0, 0, 0};
  void prefetch_next_timers() noexcept {
    if (heap.empty()) return;
    const HeapEntry& top = heap.top();
    if (top.deadline == prefetched_top.deadline && top.idx == prefetched_top.idx && top.id == prefetched_top.id) return;
    prefetched_top = top;
    // The new top's connection was asked for while it was a child of the old top: its hash names the
    // table slot that the record's removal will write (perf put over half of finish() on that miss).
    __builtin_prefetch(&slots[(slot_of(top.idx)->hash >> 32U) & mask]);
    const std::size_t n = std::min<std::size_t>(heap.near_size(), 1 + TimerHeap::kArity);
    for (std::size_t i = 0; i < n; ++i) prefetch_whole(heap.near(i).idx);
  }
  /// Asks for every line of connection `idx` (one about to be reported: finish() reads most of them).
  void prefetch_whole(std::uint32_t idx) const noexcept {
    const auto* bytes = reinterpret_cast<const char*>(slot_of(idx));
    for (std::size_t off = 0; off < sizeof(Conn); off += 64) __builtin_prefetch(bytes + off);
  }

  // ------------------------------------------------------------------ records
  static const char* tcp_state(const Conn& c) noexcept {
    // conn_state() of base/protocols/conn/main.zeek, TCP branch.
    const Endpoint& o = c.orig();
    const Endpoint& r = c.resp();
    const EpState os = o.state;
    const EpState rs = r.state;
    const bool o_inactive = os == EpState::kInactive || os == EpState::kPartial;
    const bool r_inactive = rs == EpState::kInactive || rs == EpState::kPartial;
    if (rs == EpState::kReset) {
      if (os == EpState::kSynSent || os == EpState::kSynAckSent ||
          (os == EpState::kReset && endpoint_size(o, r) == 0 && endpoint_size(r, o) == 0))
        return "REJ";
      return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == EpState::kReset) {
      if (r_inactive) {
        // history =~ /^\^?S[^HAFGIQ]*R.*$/
        std::size_t i = 0;
        if (i < c.hist_len && c.history[i] == '^') ++i;
        if (i < c.hist_len && c.history[i] == 'S') {
          for (++i; i < c.hist_len; ++i) {
            const char h = c.history[i];
            if (h == 'R') return "RSTOS0";
            if (h == 'H' || h == 'A' || h == 'F' || h == 'G' || h == 'I' || h == 'Q') break;
          }
        }
        return "OTH";
      }
      return "RSTO";
    }
    if (rs == EpState::kClosed && os == EpState::kClosed) return "SF";
    if (os == EpState::kClosed) return r_inactive ? "SH" : "S2";
    if (rs == EpState::kClosed) return o_inactive ? "SHR" : "S3";
    if (os == EpState::kSynSent && rs == EpState::kInactive) return "S0";
    if (os == EpState::kEstablished && rs == EpState::kEstablished) return "S1";
    return "OTH";
  }

  static const char* teardown(const Conn& c, const char* state) noexcept {
    const bool both_fin = c.ep[0].fin_sent && c.ep[1].fin_sent;
    if (both_fin) {
      if (c.fin_simultaneous) return "simultaneous";
      if (c.data_after_fin) return "half-close";  // closed by both in the end, but data flowed one way after the first FIN
      return c.fin_23 ? "fin-3way" : "fin-4way";
    }
    if (std::strcmp(state, "REJ") == 0) return "rejected";
    if (c.first_rst_side != kNoSide) return c.ep[c.first_rst_side].is_orig ? "reset-orig" : "reset-resp";
    if (c.ep[0].fin_sent || c.ep[1].fin_sent) return "half-close";
    if (std::strcmp(state, "S0") == 0) return "unanswered";
    return "open";
  }

  /// Reports connection `idx` and frees it. `unlink` = false (flush(), which empties the whole table
  /// afterwards) leaves its slot in the hash table.
  void finish(std::uint32_t idx, const char* reason, bool unlink = true) {
    Conn& c = at(idx);
    pos.id = c.id;
    const Endpoint& o = c.orig();
    const Endpoint& r = c.resp();
    if (opts.record_uids) {
      std::array<char, 20> uid{};
      write_uid(uid, c);
      rec.uid.assign(uid.data());
    }
    rec.ts_ns = c.start_ns;
    rec.last_ns = c.last_ns;
    rec.orig_h = c.addr(c.orig_index());
    rec.orig_p = o.port;
    rec.resp_h = c.addr(1U - c.orig_index());
    rec.resp_p = r.port;
    rec.proto = c.proto;
    rec.history.assign(c.history.data(), c.hist_len);
    rec.missed_bytes = 0;
    rec.orig_pkts = o.pkts;
    rec.orig_ip_bytes = o.ip_bytes;
    rec.resp_pkts = r.pkts;
    rec.resp_ip_bytes = r.ip_bytes;
    // set_conn(): sizes are logged only when the duration is positive.
    rec.bytes_known = c.last_ns > c.start_ns;
    rec.handshake_rtt_ns = -1;
    rec.synack_delay_ns = -1;
    rec.ack_delay_ns = -1;
    rec.syn_retransmits = c.syn_retransmits;
    rec.end_reason = reason;
    rec.orig_opts = o.opts;
    rec.resp_opts = r.opts;
    if (c.proto == 6) {
      rec.missed_bytes = c.missed_bytes;
      rec.orig_bytes = endpoint_size(o, r);
      rec.resp_bytes = endpoint_size(r, o);
      const char* st = tcp_state(c);
      rec.conn_state = st;
      rec.teardown = teardown(c, st);
      if (c.first_syn_ns >= 0 && c.synack_ns >= 0) rec.synack_delay_ns = c.synack_ns - c.first_syn_ns;
      if (c.first_syn_ns >= 0 && c.established_ns >= 0) rec.handshake_rtt_ns = c.established_ns - c.first_syn_ns;
      if (c.synack_ns >= 0 && c.established_ns >= 0) rec.ack_delay_ns = c.established_ns - c.synack_ns;
    } else {
      rec.orig_bytes = o.len_stat < 0 ? 0 : static_cast<std::uint64_t>(o.len_stat);
      rec.resp_bytes = r.len_stat < 0 ? 0 : static_cast<std::uint64_t>(r.len_stat);
      if (c.proto == 17) {
        const bool oa = o.len_stat >= 0;
        const bool ra = r.len_stat >= 0;
        rec.conn_state = oa ? (ra ? "SF" : "S0") : (ra ? "SHR" : "OTH");
      } else {
        rec.conn_state = "OTH";
      }
      rec.teardown = {};
    }
    c.live = false;
    release_blocks(c.ep[0]);
    release_blocks(c.ep[1]);
    if (unlink) slot_erase(idx);
    --count;
    free_list.push_back(idx);
    if (sink) sink(rec);
  }

  // ------------------------------------------------------------------ eviction
  /// CLOCK (second chance): an approximation of least-recently-used that costs nothing per packet (one
  /// bit in a line the packet touches anyway) and touches no other connection; the hand sweeps the slab
  /// only when a connection must be evicted, clearing bits until it meets an unreferenced one.
  std::uint32_t pick_victim() noexcept {
    const std::uint32_t n = capacity;
    for (;;) {
      const std::uint32_t idx = clock_hand;
      clock_hand = clock_hand + 1 == n ? 0 : clock_hand + 1;
      Conn& c = at(idx);
      if (!c.live) continue;
      if (c.referenced) {
        c.referenced = false;
        continue;
      }
      return idx;
    }
  }

  // ------------------------------------------------------------------ creation
  std::uint32_t create(const PacketSummary& p, const Key& k, std::uint64_t h, bool src_is_a) {
    if (count >= opts.max_conns && count > 0) {
      ++evicted_count;
      finish(pick_victim(), "evicted");
    }
    const std::uint32_t idx = new_index();
    Conn& c = at(idx);
    // Reset in place (value-initialisation constructs into the slot: no temporary, no copy).
    std::destroy_at(&c);
    std::construct_at(&c);
    c.live = true;
    c.key = k;
    c.hash = h;
    c.ep0_is_a = src_is_a;
    c.id = ordinal;  // one connection per packet at most: unique, and the same however flows are sharded
    c.proto = p.proto;
    c.start_ns = c.last_ns = p.ts_ns;
    c.ep[0].port = p.sport;
    c.ep[0].is_orig = true;
    c.ep[1].port = p.dport;
    c.ep[1].is_orig = false;
    // IPBasedAnalyzer::NewConn + WantConnection: decide whether the first packet came from the responder.
    bool flip = false;
    if (p.proto == 6) {
      const bool syn = (p.tcp_flags & kSyn) != 0;
      const bool ack = (p.tcp_flags & kAck) != 0;
      // WantConnection(): a connection starting without a SYN, or with a SYN-ACK, is flipped when its
      // source port is a likely server port (both likely: only non-SYN packets to a higher port).
      if (!syn || ack) {
        if (likely_server_port(6, p.sport)) {
          flip = likely_server_port(6, p.dport) ? (!syn && p.sport < p.dport) : true;
        }
      }
    } else if (p.proto == 17) {
      flip = likely_server_port(17, p.sport) && !likely_server_port(17, p.dport);
    }
    if (flip && !is_broadcast(p.dst)) {
      c.ep[0].is_orig = false;
      c.ep[1].is_orig = true;
      c.add_history('^');
    }
    if (p.proto == 6) {
      // TCPAnalyzer::MakeSessionAdapter: UDP's inactivity timeout until the handshake completes, and the
      // first ExpireTimer tcp_SYN_timeout after creation.
      c.idle = Idle::kUdp;
      c.t_expire[0] = p.ts_ns + kTcpSynTimeout;
    } else if (p.proto == 17) {
      c.idle = Idle::kUdp;
      // Zeek's DNS analyzer (attached by the responder port) ends a DNS flow after dns_session_timeout
      // of silence, checked every 10 s: the inactivity timeout alone would merge separate lookups.
      const std::uint16_t rp = c.resp().port;
      if (rp == 53 || rp == 137 || rp == 5353 || rp == 5355) c.t_dns = p.ts_ns + kDnsSessionTimeout;
    } else {
      c.idle = Idle::kIcmp;
    }
    grow_if_needed();
    slot_insert(c.tag(), idx);
    ++count;
    return idx;
  }

  // ------------------------------------------------------------------ TCP (TCPSessionAdapter::Process)
  /// TCPSessionAdapter::IsReuse.
  static bool is_reuse(Conn& c, const PacketSummary& p) noexcept {
    if ((p.tcp_flags & kSyn) == 0) return false;
    Endpoint* conn_orig = &c.orig();
    if ((p.tcp_flags & kAck) != 0) {
      if (c.orig().state != EpState::kInactive) return false;  // not a half connection
      conn_orig = &c.resp();
    }
    const bool is_closed = c.orig().did_close || c.resp().did_close;
    if (!is_closed) {
      if (p.seq == conn_orig->start_seq) return false;
      if ((p.tcp_flags & kAck) == 0 && conn_orig->state == EpState::kSynAckSent &&
          c.resp().state == EpState::kInactive && p.seq == c.resp().start_seq)
        return false;  // SYN and SYN-ACK seen in reverse order: NextPacket flips
    }
    return true;
  }

  void set_state(Conn& c, Endpoint& e, const Endpoint& peer, EpState s) noexcept {
    if (s == e.state) return;
    // TCP_Endpoint::SetState: leaving the handshake switches to the TCP inactivity timeout.
    if (!is_handshake(s) && is_handshake(e.state) && is_handshake(peer.state))
      c.idle = Idle::kTcp;
    e.prev_state = e.state;
    e.state = s;
  }

  static void init_endpoint(Endpoint& e, bool syn, std::uint32_t first_seq, std::uint32_t last_seq) noexcept {
    switch (e.state) {
      case EpState::kInactive:
        if (syn) {
          e.ack_seq = first_seq;
          e.start_seq = first_seq;
        } else {
          // A partial connection: number as though a SYN had been seen.
          e.ack_seq = first_seq - 1;
          e.start_seq = first_seq - 1;
          last_seq = first_seq;
        }
        e.last_seq = last_seq;
        break;
      case EpState::kSynSent:
      case EpState::kSynAckSent:
        if (syn && first_seq != e.start_seq) {
          e.start_seq = e.ack_seq = first_seq;
          e.last_seq = last_seq;
        }
        break;
      case EpState::kEstablished:
      case EpState::kPartial:
        if (syn) {
          e.start_seq = e.ack_seq = first_seq;
          e.last_seq = last_seq;
        }
        break;
      case EpState::kReset:
        if (syn && e.prev_state == EpState::kInactive) {
          e.start_seq = e.ack_seq = first_seq;
          e.last_seq = last_seq;
        }
        break;
      case EpState::kClosed: break;
    }
  }

  static std::uint64_t relative_seq(const Endpoint& e, std::uint32_t cur, std::uint32_t last, std::uint32_t wraps,
                                    bool* underflow) noexcept {
    // Bitwise, not branches: whether a segment advances, repeats or goes back is data-dependent (a data
    // segment's ACK repeats the last one, the next segment's advances it).
    const std::int32_t delta = seq_delta(cur, last);
    const bool back = (delta < 0) & (wraps != 0) & (cur > last);  // part of a previous 32-bit sequence space
    const bool wrapped = (delta > 0) & (cur < last);                // the sequence space wrapped around
    wraps = wraps + static_cast<std::uint32_t>(wrapped) - static_cast<std::uint32_t>(back);
    if (wraps == 0) {
      const std::int32_t from_start = seq_delta(cur, e.start_seq);
      if (underflow != nullptr) *underflow = *underflow | (from_start < 0);
      return static_cast<std::uint64_t>(static_cast<std::int64_t>(from_start));
    }
    return e.to_relative(cur, wraps);
  }

  static void update_history(Conn& c, std::uint16_t f, Endpoint& e, std::uint64_t rel_seq, std::uint32_t len) noexcept {
    const auto [syn, fin, rst, ack] = Flags(f);
    const int bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) {
        ep_check_history(c, e, kHistFinRst, 'I');
      } else {
        ep_check_history(c, e, kHistMulti, 'Q');
      }
    } else if (bits == 1) {
      if (syn) {
        const char code = (f & kAck) != 0 ? 'H' : 'S';
        if (ep_check_history(c, e, kHistSyn, code) && rel_seq != e.hist_last_syn) c.add_history(side_code(e, code));
        e.hist_last_syn = rel_seq;
      }
      if (fin) {
        // A FIN's sequence number is at the end of the data it carries.
        if (ep_check_history(c, e, kHistFin, 'F') && rel_seq + len != e.hist_last_fin) c.add_history(side_code(e, 'F'));
        e.hist_last_fin = rel_seq + len;
      }
      if (rst) {
        if (ep_check_history(c, e, kHistRst, 'R') && rel_seq != e.hist_last_rst) c.add_history(side_code(e, 'R'));
        e.hist_last_rst = rel_seq;
      }
    } else if ((len | (f & kAck)) != 0) {
      const bool data = len != 0;  // selected, not branched on: data or pure ACK is data-dependent
      const auto code = static_cast<char>(select<std::uint32_t>(data, 'D', 'A'));
      ep_check_history(c, e, select(data, kHistData, kHistAck), code);
    }
  }

  static std::int32_t update_last_seq(Conn& c, Endpoint& e, std::uint32_t last_seq, std::uint16_t f, std::uint32_t len) noexcept {
    const std::int32_t delta_last = seq_delta(last_seq, e.last_seq);
    if (((f & (kSyn | kRst)) != 0) && (delta_last > kTooLargeSeqDelta || delta_last < -kTooLargeSeqDelta)) {
      // implausible SYN/RST sequence numbers are not trusted
    } else if ((f & kFin) != 0 && e.last_seq == e.start_seq + 1) {
      e.update_last_seq(last_seq);  // > 2 GB connections where only SYN and FIN were seen
    } else if (e.state == EpState::kReset) {
      // no subsequent sequence numbers are trusted
    } else if (delta_last > 0 || len == 0) {
      e.update_last_seq(last_seq, delta_last > 0);
    } else {
      c.scaled(e.rxmt, side_code(e, 'T'));  // TCP_Endpoint::DidRxmit
    }
    return delta_last;
  }

  void connection_reset(Conn& c) noexcept { c.is_active = false; }

  void update_state_machine(Conn& c, std::size_t s, std::uint32_t base_seq, std::uint32_t len,
                            std::int32_t delta_last, std::uint16_t f, std::int64_t t, bool& do_close, bool& gen_event) {
    Endpoint& e = c.ep[s];
    Endpoint& peer = c.ep[1 - s];
    const auto [syn, fin, rst, ack] = Flags(f);
    do_close = gen_event = false;
    switch (e.state) {
      case EpState::kInactive: {  // UpdateInactiveState
        const bool is_orig = e.is_orig;
        if (syn) {
          if (is_orig) {
            set_state(c, e, peer, ack ? EpState::kSynAckSent : EpState::kSynSent);
            if (opts.attempt_timeout_ns > 0) c.t_attempt = t + opts.attempt_timeout_ns;
          } else {
            if (!ack && peer.state == EpState::kSynAckSent && base_seq == e.start_seq) {
              // SYN/SYN-ACK reversal: flip the endpoints and establish the connection.
              flip_roles(c);
              set_state(c, peer, e, EpState::kEstablished);
              c.first_packet_seen |= 1U;
            }
            if (peer.state == EpState::kSynSent) set_state(c, peer, e, EpState::kEstablished);
            set_state(c, e, peer, EpState::kEstablished);
          }
        }
        if (fin) {
          set_state(c, e, peer, EpState::kClosed);
          do_close = gen_event = true;
        }
        if (rst) {
          set_state(c, e, peer, EpState::kReset);
          bool is_reject = false;
          if (is_orig) {
            // The peer is established: a SYN-ACK without a SYN, a reverse scan.
            if (peer.state == EpState::kEstablished) is_reject = true;
          } else if (peer.state == EpState::kSynSent || peer.state == EpState::kSynAckSent) {
            is_reject = true;  // rejecting an initial SYN
          }
          do_close = true;
          gen_event = !is_reject;
        }
        if (e.state == EpState::kInactive) {  // no control flag changed the state
          if (!is_orig && len == 0 && c.orig().state == EpState::kSynSent) {
            // An ACK of the SYN before the SYN-ACK: not a partial connection.
          } else if (ack && peer.state == EpState::kEstablished) {
            // SYN-ACK seen, SYN missed, now the ACK: establish instead of going partial.
            set_state(c, e, peer, EpState::kEstablished);
            c.is_partial = false;
            c.first_packet_seen = static_cast<std::uint8_t>(c.first_packet_seen | (is_orig ? 1U : 2U));
          } else {
            set_state(c, e, peer, EpState::kPartial);
          }
        }
        break;
      }
      case EpState::kSynSent:
      case EpState::kSynAckSent:  // UpdateSYN_SentState
        if (fin) {
          set_state(c, e, peer, EpState::kClosed);
          do_close = gen_event = true;
        }
        if (rst) {
          set_state(c, e, peer, EpState::kReset);
          connection_reset(c);
          do_close = true;
        }
        break;
      case EpState::kEstablished:
      case EpState::kPartial:  // UpdateEstablishedState
        if (syn && e.state == EpState::kPartial && peer.state == EpState::kInactive && !ack)
          set_state(c, e, peer, EpState::kSynSent);  // SYN_after_partial
        if (fin && !rst) {
          set_state(c, e, peer, EpState::kClosed);
          // A FIN after the peer's FIN+RST: that was a normal termination after all.
          if (peer.state == EpState::kReset && peer.prev_state == EpState::kClosed)
            set_state(c, peer, e, EpState::kClosed);
          do_close = gen_event = true;
        }
        if (rst) {
          set_state(c, e, peer, EpState::kReset);
          do_close = true;
          if (peer.state != EpState::kReset || peer.prev_state != EpState::kEstablished) connection_reset(c);
        }
        break;
      case EpState::kClosed:  // UpdateClosedState
        (void)delta_last;
        // After a FIN exchange a RST does not change the state.
        if (rst && peer.state != EpState::kClosed) {
          set_state(c, e, peer, EpState::kReset);
          if (!e.did_close) do_close = true;  // RST after FIN
          if (opts.reset_timeout_ns > 0) c.t_reset = t + opts.reset_timeout_ns;
        }
        break;
      case EpState::kReset:  // UpdateResetState: weirds only
        break;
    }
  }

  static void flip_with_history(Conn& c) noexcept {
    std::array<char, kMaxHistory> old = c.history;
    const std::uint8_t n = c.hist_len;
    c.hist_len = 0;
    c.add_history('^');
    for (std::uint8_t i = 0; i < n; ++i) {
      const char h = old[i];
      if (h >= 'a' && h <= 'z') {
        c.add_history(static_cast<char>(h - 'a' + 'A'));
      } else if (h >= 'A' && h <= 'Z') {
        c.add_history(static_cast<char>(h - 'A' + 'a'));
      } else if (h != '^') {
        c.add_history(h);
      }
    }
    c.hist_seen = (c.hist_seen >> 16U) | (c.hist_seen << 16U);
    c.ep[0].is_orig = !c.ep[0].is_orig;
    c.ep[1].is_orig = !c.ep[1].is_orig;
    c.first_packet_seen = static_cast<std::uint8_t>(((c.first_packet_seen & 1U) << 1U) | ((c.first_packet_seen & 2U) >> 1U));
  }

  static void flip_roles(Conn& c) noexcept {
    // Connection::FlipRoles: swap originator and responder and log '^'.
    c.ep[0].is_orig = !c.ep[0].is_orig;
    c.ep[1].is_orig = !c.ep[1].is_orig;
    c.first_packet_seen = static_cast<std::uint8_t>(((c.first_packet_seen & 1U) << 1U) | ((c.first_packet_seen & 2U) >> 1U));
    c.is_partial = false;
    c.add_history('^');
  }

  /// TCPSessionAdapter::SetPartialStatus.
  static void set_partial_status(Conn& c, bool is_orig, bool syn, bool ack) noexcept {
    if ((c.first_packet_seen & select(is_orig, 1U, 2U)) != 0) return;  // the usual case, either direction
    if (is_orig) {
      c.is_partial = !syn || ack;
    } else if (!c.is_partial) {
      c.is_partial = !syn;
    }
  }

  // --- TCP_Reassembler emulation: only what decides content gaps (history G/g, missed_bytes) ---
  static bool is_clean(const Endpoint& e) noexcept {
    return e.state == EpState::kEstablished || (e.state == EpState::kClosed && e.prev_state == EpState::kEstablished);
  }
  static void drop_block(Blocks& b, std::size_t i) noexcept {
    for (std::size_t j = i + 1; j < b.n; ++j) {
      b.lo[j - 1] = b.lo[j];
      b.hi[j - 1] = b.hi[j];
    }
    --b.n;
  }
  /// Delivers buffered blocks that became contiguous with last_reassem.
  static void absorb_blocks(Endpoint& e) noexcept {
    if (e.blk == nullptr) return;
    Blocks& b = *e.blk;
    while (b.n > 0 && b.lo[0] <= e.last_reassem) {
      if (b.hi[0] > e.last_reassem) e.last_reassem = b.hi[0];
      drop_block(b, 0);
    }
  }
  /// TCP_Reassembler::DataSent + Reassembler::NewBlock.
  void data_sent(Endpoint& e, std::uint64_t seq, std::uint64_t len) {
    const std::uint64_t ack = e.to_relative(e.ack_seq, e.ack_wraps);
    std::uint64_t upper = seq + len;
    if (seq < ack) {
      if (upper <= ack) return;  // already acknowledged
      seq = ack;
    }
    if (upper <= e.trim_seq) return;
    if (seq < e.trim_seq) seq = e.trim_seq;
    if (seq <= e.last_reassem) {
      if (upper > e.last_reassem) e.last_reassem = upper;
      absorb_blocks(e);
      return;
    }
    // Out of order: keep [seq, upper) in the sorted block list, merging overlaps.
    if (e.blk == nullptr) e.blk = take_blocks();
    Blocks& b = *e.blk;
    std::size_t i = 0;
    while (i < b.n && b.hi[i] < seq) ++i;
    if (i < b.n && b.lo[i] <= upper) {
      b.lo[i] = std::min(b.lo[i], seq);
      b.hi[i] = std::max(b.hi[i], upper);
      while (i + 1 < b.n && b.lo[i + 1] <= b.hi[i]) {
        b.hi[i] = std::max(b.hi[i], b.hi[i + 1]);
        drop_block(b, i + 1);
      }
      return;
    }
    if (b.n == b.lo.size()) {
      if (i == b.n) return;  // full: the highest block is dropped (a bounded approximation)
      --b.n;
    }
    for (std::size_t j = b.n; j > i; --j) {
      b.lo[j] = b.lo[j - 1];
      b.hi[j] = b.hi[j - 1];
    }
    b.lo[i] = seq;
    b.hi[i] = upper;
    ++b.n;
  }
  /// TCP_Reassembler::Gap: history G/g and content_gap (missed_bytes) when both sides are clean.
  static void gap(Conn& c, Endpoint& e, const Endpoint& peer, std::uint64_t len) noexcept {
    if (is_clean(e) && is_clean(peer)) {
      c.scaled(e.gap, side_code(e, 'G'));
      c.missed_bytes += len;
    }
  }
  /// TCP_Reassembler::AckReceived -> Reassembler::TrimToSeq -> TCP_Reassembler::Undelivered.
  static void ack_received(Conn& c, Endpoint& e, const Endpoint& peer, std::uint64_t seq) noexcept {
    if (e.fin_cnt > 0 && seq >= e.fin_seq_rel) seq = e.fin_seq_rel - 1;
    // Whether an ACK advances is data-dependent (a duplicate does not): one flag, selected below, and
    // the rare work (data never seen, buffered blocks) behind tests that are nearly always false.
    const bool advance = seq > e.trim_seq;
    if (advance & (seq > e.last_reassem) & !((seq <= 2) & c.is_partial)) {
      // Undelivered(seq): a gap before each buffered block below seq, then up to seq.
      while (e.blk != nullptr && e.blk->n > 0 && e.blk->lo[0] < seq) {
        if (e.blk->lo[0] > e.last_reassem) gap(c, e, peer, e.blk->lo[0] - e.last_reassem);
        e.last_reassem = std::max(e.last_reassem, e.blk->hi[0]);
        drop_block(*e.blk, 0);
        absorb_blocks(e);
      }
      if (seq > e.last_reassem) {
        gap(c, e, peer, seq - e.last_reassem);
        e.last_reassem = seq;
      }
    }
    if (advance & (e.blk != nullptr)) {
      while (e.blk->n > 0 && e.blk->hi[0] <= seq) drop_block(*e.blk, 0);
    }
    e.trim_seq = select(advance, seq, e.trim_seq);
  }

  /// TCPSessionAdapter::ConnectionClosed (no reassembly data pending in this model).
  void connection_closed(Conn& c, Endpoint& e, Endpoint& peer, bool gen_event) noexcept {
    if (e.did_close) return;
    e.did_close = true;
    const bool close_complete = e.state == EpState::kReset || peer.did_close || peer.state == EpState::kInactive;
    if (close_complete) {
      if ((e.prev_state != EpState::kInactive || peer.state != EpState::kInactive) && gen_event)
        c.is_active = false;  // ConnectionFinished
      // CancelTimers(): the analyzer's timers go; the connection is deleted close_delay after its last time.
      c.t_attempt = 0;
      c.t_expire = {};
      c.t_partial = 0;
      c.t_reset = 0;
      c.t_delete = c.last_ns + std::max<std::int64_t>(opts.close_timeout_ns, 1);
    } else if (e.prev_state == EpState::kInactive) {
      if (opts.partial_close_timeout_ns > 0) c.t_partial = c.last_ns + opts.partial_close_timeout_ns;
    } else {
      add_expire_timer(c, c.last_ns + kTcpSessionTimer);
    }
  }

  void process_tcp(Conn& c, std::size_t s, const PacketSummary& p, PacketLabel& lbl) {
    Endpoint& e = c.ep[s];
    Endpoint& peer = c.ep[1 - s];
    const std::uint16_t f = p.tcp_flags;
    const auto [syn, fin, rst, ack] = Flags(f);
    const std::uint32_t len = p.payload_len;
    const std::int64_t t = p.ts_ns;

    label_tcp(c, s, p, lbl);

    if (!opts.ignore_bad_checksums && p.checksum_bad) {
      // TCPAnalyzer::ValidateChecksum failed: TCP_Endpoint::ChecksumError, and the packet goes no further
      // (not even to the ConnSize analyzer).
      c.scaled(e.chk, side_code(e, 'C'));
      return;
    }

    // Zeek PR #2191: a connection that began with a SYN-ACK is flipped when an ACK or a data segment
    // follows right after it (either direction): a stealth scan never continues like that. The baselines
    // show the flip ahead of the whole history ("^haf", "^hADdFaf"; a bad-checksum packet in between,
    // "Hc…", prevents it), so the history so far is rewritten from the other side's point of view.
    if (c.hist_len == 1 && c.history[0] == 'H' && !syn && !rst && (ack || len > 0) &&
        c.orig().state == EpState::kSynAckSent && c.resp().state == EpState::kInactive) {
      flip_with_history(c);
      // The SYN-ACK's sender is now the responder, in the state a responder's SYN-ACK leaves it in, so
      // the ACK that follows establishes the connection instead of making it partial (Zeek PR #2552).
      set_state(c, c.resp(), c.orig(), EpState::kEstablished);
      c.is_partial = false;
    }
    set_partial_status(c, e.is_orig, syn, ack);

    const std::uint32_t seg_len = len + (syn ? 1U : 0U) + (fin ? 1U : 0U) - (rst ? len : 0U);
    const std::uint32_t seq_one_past = p.seq + seg_len;
    init_endpoint(e, syn, p.seq, seq_one_past);
    bool underflow = false;
    const std::uint64_t rel_seq = relative_seq(e, p.seq, e.last_seq, e.seq_wraps, &underflow);
    update_history(c, f, e, rel_seq, len);
    // update_window(): a zero window is logged unless it comes with or after a RST or after the peer's FIN.
    if (p.window == 0 && !rst && peer.state != EpState::kClosed && e.state != EpState::kReset)
      c.scaled(e.win0, side_code(e, 'W'));
    if (!c.orig().did_close || !c.resp().did_close) c.last_ns = t;
    if (fin) {
      ++e.fin_cnt;
      e.fin_seq_rel = rel_seq + seg_len;
    }
    if (rst) ++e.rst_cnt;
    std::uint64_t rel_ack = 0;
    if (ack) {
      if (peer.state == EpState::kInactive) {
        rel_ack = 1;
        // init_peer(): number the peer as if its SYN had been seen.
        peer.start_seq = peer.ack_seq = peer.last_seq = p.ack_seq - 1;
      } else {
        bool ack_underflow = false;
        rel_ack = relative_seq(peer, p.ack_seq, peer.ack_seq, peer.ack_wraps, &ack_underflow);
        if (ack_underflow) {
          rel_ack = 0;
        } else if (!rst) {
          // update_ack_seq() (bitwise, not short-circuit: whether an ACK advances is data-dependent)
          const std::int32_t delta_ack = seq_delta(p.ack_seq, peer.ack_seq);
          peer.update_ack_seq(p.ack_seq, (delta_ack > 0) & !((p.ack_seq == 0) & (delta_ack > kTooLargeSeqDelta)));
        }
      }
    }
    const std::int32_t delta_last = update_last_seq(c, e, seq_one_past, f, len);
    bool do_close = false;
    bool gen_event = false;
    update_state_machine(c, s, p.seq, len, delta_last, f, t, do_close, gen_event);
    if (ack) ack_received(c, peer, e, rel_ack);
    c.first_packet_seen = static_cast<std::uint8_t>(c.first_packet_seen | (e.is_orig ? 1U : 2U));
    if (len > 0 && !rst && !underflow && !p.payload_truncated) data_sent(e, syn ? rel_seq + 1 : rel_seq, len);
    if (do_close) connection_closed(c, e, peer, gen_event);
    // ConnSize_Analyzer
    ++e.pkts;
    e.ip_bytes += p.ip_len;
  }

  /// Whether process_tcp_fast() may take a segment: ACK without SYN, FIN or RST, both endpoints
  /// ESTABLISHED or CLOSED, from a side already seen (so both label bases are set), checksum not in the way. The
  /// connection's part is Conn::fast_sides, worked out by fast_sides_of() whenever it may change.
  [[nodiscard]] bool fast_tcp_ok(const Conn& c, std::size_t s, const PacketSummary& p) const noexcept {
    return (p.tcp_flags & (kSyn | kFin | kRst | kAck)) == kAck && ((c.fast_sides >> s) & 1U) != 0 &&
           (opts.ignore_bad_checksums || !p.checksum_bad) && opts.fast_path;
  }
  /// Conn::fast_sides: bit s when both endpoints are ESTABLISHED or CLOSED (after their FIN), ep[s]'s
  /// side has been seen and both label bases are set. For a segment with ACK and without SYN, FIN or
  /// RST those states change nothing (UpdateEstablishedState, UpdateClosedState; init_endpoint() leaves
  /// them alone) and close nothing; the one difference a CLOSED peer makes, no zero-window 'W', is in
  /// the fast path. (The ACKs of a teardown, ~7 % of the bench's packets, took the general path before.)
  /// Only the general path and create() change what it depends on (states, roles, first_packet_seen,
  /// label bases; the fast path leaves them as they are, and timers only end a connection or move its
  /// deadlines), so it is worked out after each general-path segment.
  static std::uint8_t fast_sides_of(const Conn& c) noexcept {
    auto open_or_closed = [](EpState st) noexcept { return st == EpState::kEstablished || st == EpState::kClosed; };
    if (!open_or_closed(c.ep[0].state) || !open_or_closed(c.ep[1].state) || !c.ep[0].lbl_base_set ||
        !c.ep[1].lbl_base_set)
      return 0;
    unsigned bits = 0;
    for (unsigned s = 0; s < 2; ++s) {
      if ((c.first_packet_seen & (c.ep[s].is_orig ? 1U : 2U)) != 0) bits |= 1U << s;
    }
    return static_cast<std::uint8_t>(bits);
  }

  /// label_tcp() + process_tcp() for what fast_tcp_ok() admits, with every test those facts decide left
  /// out (no SYN/FIN/RST branches, no role flip, no partial status, no state change, no close); the
  /// statements that remain are the general path's, in its order. track_batch_test compares the two paths'
  /// labels and records on every capture.
  /// kLabel = false (the batch path): the label fields written for every segment (relative numbers,
  /// retransmission) are not; the rare handshake and teardown steps still are. The connection's state is
  /// updated exactly as with them.
  template <bool kLabel>
  [[gnu::always_inline]] void process_tcp_fast(Conn& c, std::size_t s, const PacketSummary& p, PacketLabel& lbl) {
    Endpoint& e = c.ep[s];
    Endpoint& peer = c.ep[1 - s];
    const std::uint32_t len = p.payload_len;
    const std::int64_t t = p.ts_ns;

    // --- label_tcp(): no SYN, no RST, ACK set, both bases known
    if constexpr (kLabel) {
      lbl.rel_seq = static_cast<std::int64_t>(static_cast<std::uint32_t>(p.seq - e.lbl_base));
      lbl.rel_ack = static_cast<std::int64_t>(static_cast<std::uint32_t>(p.ack_seq - peer.lbl_base));
    }
    const std::uint32_t seg_end = p.seq + len;
    const bool data_retx = (len > 0) & e.max_end_set & seq_lt(p.seq, e.max_end) &
                           !((len == 1) & (p.seq + 1 == e.max_end));
    if constexpr (kLabel) lbl.retransmission = lbl.retransmission | data_retx;
    c.data_after_fin = c.data_after_fin | ((len > 0) & !data_retx & peer.fin_sent & !e.fin_sent);
    if (c.established_ns < 0 && peer.synack_seen && e.syn_seen && p.ack_seq == peer.syn_seq + 1) {
      lbl.step = Step::kHandshake3;
      c.established_ns = t;
      if (c.first_syn_ns >= 0) lbl.since_syn_ns = t - c.first_syn_ns;
    }
    if (peer.fin_sent && !peer.fin_acked && seq_ge(p.ack_seq, peer.fin_seq + 1)) {
      peer.fin_acked = true;
      lbl.step = e.fin_sent ? Step::kTeardown4 : Step::kTeardown2;
    }
    e.max_end = select(!e.max_end_set || seq_gt(seg_end, e.max_end), seg_end, e.max_end);
    e.max_end_set = true;

    // --- process_tcp(): no flip (the originator is not in SYN_ACK_SENT), partial status already decided,
    // init_endpoint() leaves an ESTABLISHED or CLOSED endpoint alone without a SYN
    const std::uint32_t seq_one_past = p.seq + len;
    bool underflow = false;
    const std::uint64_t rel_seq = relative_seq(e, p.seq, e.last_seq, e.seq_wraps, &underflow);
    // update_history(): neither SYN, FIN nor RST, and ACK is set
    const bool data = len != 0;
    ep_check_history(c, e, select(data, kHistData, kHistAck), static_cast<char>(select<std::uint32_t>(data, 'D', 'A')));
    // update_window(): this side is not RESET; a zero window after the peer's FIN is not logged
    if (p.window == 0 && peer.state != EpState::kClosed) c.scaled(e.win0, side_code(e, 'W'));
    if (!c.orig().did_close || !c.resp().did_close) c.last_ns = t;
    // ACK of an ESTABLISHED or CLOSED peer (never INACTIVE)
    bool ack_underflow = false;
    std::uint64_t rel_ack = relative_seq(peer, p.ack_seq, peer.ack_seq, peer.ack_wraps, &ack_underflow);
    if (ack_underflow) {
      rel_ack = 0;
    } else {
      const std::int32_t delta_ack = seq_delta(p.ack_seq, peer.ack_seq);
      peer.update_ack_seq(p.ack_seq, (delta_ack > 0) & !((p.ack_seq == 0) & (delta_ack > kTooLargeSeqDelta)));
    }
    // update_last_seq(): no SYN, RST or FIN, and this side is not RESET
    const std::int32_t delta_last = seq_delta(seq_one_past, e.last_seq);
    if (delta_last > 0 || len == 0) {
      e.update_last_seq(seq_one_past, delta_last > 0);
    } else {
      c.scaled(e.rxmt, side_code(e, 'T'));
    }
    // update_state_machine(): ESTABLISHED or CLOSED without SYN, FIN or RST changes nothing
    ack_received(c, peer, e, rel_ack);
    if (len > 0 && !underflow && !p.payload_truncated) data_sent(e, rel_seq, len);
    ++e.pkts;
    e.ip_bytes += p.ip_len;
  }

  /// synscope's per-packet label: handshake / teardown step, retransmission, tshark-style relative numbers.
  /// Choices where TCP allows several readings:
  ///  * simultaneous open: each side's SYN is "handshake 1/3", each SYN-ACK "handshake 2/3"; the first
  ///    pure ACK of the SYN-ACK from the SYN's sender completes it (3/3).
  ///  * FIN of side B that does not acknowledge A's FIN while A's FIN is outstanding: the FINs crossed,
  ///    "teardown 1/4 (simultaneous)"; each side's ACK of the other's FIN is then "teardown 4/4".
  ///  * half close: A's FIN 1/4, B's ACK 2/4 (even when it carries data), B keeps sending, B's FIN 3/4,
  ///    A's ACK 4/4.
  ///  * FIN then RST, or any RST: "reset" (the record's teardown says who reset).
  ///  * a retransmitted SYN keeps "handshake 1/3" (and SYN-ACK 2/3) with retransmission set; a
  ///    retransmitted FIN or data segment has no step, only retransmission.
  static void label_tcp(Conn& c, std::size_t s, const PacketSummary& p, PacketLabel& lbl) noexcept {
    Endpoint& e = c.ep[s];
    Endpoint& peer = c.ep[1 - s];
    const std::uint16_t f = p.tcp_flags;
    const auto [syn, fin, rst, ack] = Flags(f);
    const std::uint32_t len = p.payload_len;
    const std::int64_t t = p.ts_ns;

    // Relative numbers the way tshark shows them: SYN = 0; without a SYN the first segment is 1; the
    // peer's base is inferred from an ACK (ack - 1) when the peer has not been seen yet.
    if (syn) {
      e.lbl_base = p.seq;
      e.lbl_base_set = true;
    } else if (!e.lbl_base_set) {
      e.lbl_base = p.seq - 1;
      e.lbl_base_set = true;
    }
    lbl.rel_seq = static_cast<std::int64_t>(static_cast<std::uint32_t>(p.seq - e.lbl_base));
    if (ack) {
      if (!peer.lbl_base_set) {
        peer.lbl_base = p.ack_seq - 1;
        peer.lbl_base_set = true;
      }
      lbl.rel_ack = static_cast<std::int64_t>(static_cast<std::uint32_t>(p.ack_seq - peer.lbl_base));
    }

    const std::uint32_t seg_end = p.seq + len + (syn ? 1U : 0U) + (fin ? 1U : 0U);
    if (rst) {
      lbl.step = Step::kReset;
      if (c.first_rst_side == kNoSide) c.first_rst_side = static_cast<std::uint8_t>(s);
    } else if (syn && !ack) {
      lbl.step = Step::kHandshake1;
      if (e.syn_seen && p.seq == e.syn_seq) {
        lbl.retransmission = true;
        ++c.syn_retransmits;
      } else {
        e.syn_seen = true;
        e.syn_seq = p.seq;
      }
      if (c.first_syn_ns < 0) c.first_syn_ns = t;
    } else if (syn && ack) {
      lbl.step = Step::kHandshake2;
      if (e.synack_seen && e.syn_seq == p.seq) {
        lbl.retransmission = true;
      } else {
        e.synack_seen = true;
        e.syn_seq = p.seq;
        if (c.synack_ns < 0) c.synack_ns = t;
      }
      if (c.first_syn_ns >= 0) lbl.since_syn_ns = t - c.first_syn_ns;
    } else {
      // (bitwise: data or not, retransmitted or not, are data-dependent; no branches on them)
      const bool data_retx = (len > 0) & e.max_end_set & seq_lt(p.seq, e.max_end) &
                             !((len == 1) & (p.seq + 1 == e.max_end));  // not a keep-alive
      lbl.retransmission = lbl.retransmission | data_retx;
      // RFC 9293 §3.6: after a FIN the other side may keep sending (half-close).
      c.data_after_fin = c.data_after_fin | ((len > 0) & !data_retx & peer.fin_sent & !e.fin_sent);
      if (ack && c.established_ns < 0 && peer.synack_seen && e.syn_seen && p.ack_seq == peer.syn_seq + 1) {
        lbl.step = Step::kHandshake3;
        c.established_ns = t;
        if (c.first_syn_ns >= 0) lbl.since_syn_ns = t - c.first_syn_ns;
      }
      const bool acks_peer_fin = ack && peer.fin_sent && !peer.fin_acked && seq_ge(p.ack_seq, peer.fin_seq + 1);
      if (fin) {
        if (e.fin_sent && p.seq + len == e.fin_seq) {
          lbl.retransmission = true;
        } else if (!e.fin_sent) {
          if (!peer.fin_sent) {
            lbl.step = Step::kTeardown1;
          } else if (peer.fin_acked) {
            lbl.step = Step::kTeardown3;
          } else if (acks_peer_fin) {
            lbl.step = Step::kTeardown23;
            c.fin_23 = true;
          } else {
            lbl.step = Step::kSimultaneousFin;
            c.fin_simultaneous = true;
          }
          e.fin_sent = true;
          e.fin_seq = p.seq + len;
        }
        if (acks_peer_fin) peer.fin_acked = true;
      } else if (acks_peer_fin) {
        peer.fin_acked = true;
        lbl.step = e.fin_sent ? Step::kTeardown4 : Step::kTeardown2;
      }
    }
    if (!rst) {
      e.max_end = select(!e.max_end_set || seq_gt(seg_end, e.max_end), seg_end, e.max_end);
      e.max_end_set = true;
    }
    if (syn) {
      e.opts.has_mss = p.has_mss;
      e.opts.mss = p.mss;
      e.opts.has_wscale = p.has_wscale;
      e.opts.wscale = p.wscale;
      e.opts.sack_ok = p.sack_ok;
      e.opts.timestamps = p.has_timestamps;
    }
  }

  // ------------------------------------------------------------------ UDP / ICMP
  void process_udp(Conn& c, std::size_t s, const PacketSummary& p) noexcept {
    Endpoint& e = c.ep[s];
    // UDPAnalyzer::DeliverPacket hands the packet to the session adapter (ConnSize) before the checksum.
    ++e.pkts;
    e.ip_bytes += p.ip_len;
    if (!opts.ignore_bad_checksums && p.checksum_bad) {
      c.scaled(e.chk, side_code(e, 'C'));  // UDPSessionAdapter::HandleBadChecksum
      return;
    }
    c.last_ns = p.ts_ns;
    c.check_history(e.is_orig ? kHistData : (kHistData << 16U), e.is_orig ? 'D' : 'd');
    e.len_stat = (e.len_stat < 0 ? 0 : e.len_stat) + static_cast<std::int64_t>(p.payload_len);
  }

  void process_icmp(Conn& c, std::size_t s, const PacketSummary& p) noexcept {
    Endpoint& e = c.ep[s];
    if (!opts.ignore_bad_checksums && p.checksum_bad) return;  // bad_ICMP_checksum: skipped entirely
    c.last_ns = p.ts_ns;
    e.len_stat = (e.len_stat < 0 ? 0 : e.len_stat) + static_cast<std::int64_t>(p.payload_len);
    ++e.pkts;
    e.ip_bytes += p.ip_len;
  }

  // ------------------------------------------------------------------ entry points
  [[nodiscard]] bool trackable(const PacketSummary& p) const noexcept {
    if (p.proto != 6 && p.proto != 17 && p.proto != 1 && p.proto != 58) return false;
    if (p.is_fragment) return false;
    return opts.ignore_bad_checksums || !p.ip_checksum_bad;  // Zeek drops a bad IP checksum at the IP layer
  }

  /// Counts the next packet and runs the timers due by its time (phase 0 of emit_position()). Only the
  /// packet number is stored per packet: expire() sets and restores the rest.
  void begin_packet(std::int64_t ts_ns) {
    pos.packet = ++ordinal;
    if (ts_ns >= next_due) expire(ts_ns);
  }

  PacketLabel update(const PacketSummary& p) {
    PreparedPacket r;
    prepare(p, r);
    return update(p, r);
  }

  /// A packet's key and hash (pure: reads only the seed, fixed at construction).
  void prepare(const PacketSummary& p, PreparedPacket& r) const noexcept {
    r.ok = trackable(p);
    if (!r.ok) return;
    const KeyWords w = make_key_words(p, r.src_is_a);
    store_key(r.key, w);
    r.hash = hash_words(w, seed);
  }

  /// Which of `shards` trackers owns a flow: from the low half of the hash (the table uses the upper).
  [[nodiscard]] std::uint32_t shard_of(std::uint64_t hash) const noexcept {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(hash)) * shards) >> 32U);
  }
  /// update() with the key from prepare() (the packet-printing path prefetches with it first).
  /// One label object on every path, so it is built in the caller's (named return value): a copy of it
  /// on return read its fields, just written byte by byte, as 16-byte loads (failed store forwarding,
  /// perf: 13 % of update()'s samples in the text run).
  PacketLabel update(const PacketSummary& p, const PreparedPacket& r) {
    begin_packet(p.ts_ns);
    PacketLabel lbl;
    if (r.ok) update_keyed(lbl, p, r.key, r.hash, r.src_is_a);
    return lbl;
  }

  /// The slots of a group's packets, then the connections they name (the first two steps of
  /// update_prepared()). Always inlined: as a call GCC finds it pure (prefetches count as no effect)
  /// and drops it.
  [[gnu::always_inline]] void prefetch_group(const PacketSummary* p, const PreparedPacket* r, std::size_t n) const noexcept {
    n = std::min(n, ConnTracker::kBatch);
    for (std::size_t i = 0; i < n; ++i) {
      if (r[i].ok) __builtin_prefetch(&slots[(r[i].hash >> 32U) & mask]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!r[i].ok || (shards != 1 && shard_of(r[i].hash) != shard)) continue;
      const std::uint64_t slot = slots[(r[i].hash >> 32U) & mask];
      const auto idx = static_cast<std::uint32_t>(slot & 0xFFFFFFFFULL);
      if (idx == 0 || idx > capacity) continue;
      const auto* bytes = reinterpret_cast<const char*>(&at(idx - 1U));
      // Constant trip counts (unrolled): a loop to a variable extent cost ~28 instructions per packet.
      for (std::size_t off = 0; off < kHotBytes; off += 64) __builtin_prefetch(bytes + off);
      // A segment with SYN, FIN or RST (or without ACK) takes the general path, whose timers (set there,
      // then read by arm()) lie beyond the hot part: perf put half of arm()'s samples on that miss.
      if (p[i].proto == 6 && (p[i].tcp_flags & (kSyn | kFin | kRst | kAck)) != kAck) {
        for (std::size_t off = kHotBytes; off < sizeof(Conn); off += 64) __builtin_prefetch(bytes + off);
      }
    }
  }

  /// Batched update for callers that need no per-packet label: group prefetching. The keys of the whole
  /// batch are hashed first (by the caller: prepare()) and their home slots prefetched, then the
  /// connections those slots name, then the packets are applied in order exactly as update() would. The
  /// prefetches are hints only (a slot may change while earlier packets of the batch are applied), so the
  /// result is the same as n update() calls; the memory latency of the table is paid once per batch
  /// instead of once per packet.
  void update_prepared(const PacketSummary* p, const PreparedPacket* r, std::size_t n) {
    n = std::min(n, ConnTracker::kBatch);
    prefetch_group(p, r, n);
    for (std::size_t i = 0; i < n; ++i) {
      begin_packet(p[i].ts_ns);
      if (r[i].ok && (shards == 1 || shard_of(r[i].hash) == shard)) {
        update_keyed<false>(batch_label, p[i], r[i].key, r[i].hash, r[i].src_is_a);
      }
    }
  }
  // update_batch()'s keys: a member, so that a batch does not clear 900 bytes first (prepare() writes
  // every field that update_prepared() reads).
  std::array<PreparedPacket, ConnTracker::kBatch> batch_keys;
  void update_batch(const PacketSummary* p, std::size_t n) {
    n = std::min(n, ConnTracker::kBatch);
    for (std::size_t i = 0; i < n; ++i) prepare(p[i], batch_keys[i]);
    update_prepared(p, batch_keys.data(), n);
  }

  // The batch path's labels, which nobody reads: written packet after packet without being cleared
  // (a fresh label cost 8 instructions per packet). What process_tcp() reads of it before writing
  // (retransmission) only decides what it writes back.
  PacketLabel batch_label;
  /// kLabel = false (the batch path, whose labels nobody reads) skips formatting the uid for every packet
  /// and the fast path's label fields.
  template <bool kLabel = true>
  [[gnu::always_inline]] void update_keyed(PacketLabel& lbl, const PacketSummary& p, const Key& k, std::uint64_t h, bool src_is_a) {
    Conn* found = nullptr;
    std::uint32_t idx = find(k, static_cast<std::uint32_t>(h >> 32U), found);
    if (idx != kNone && p.proto == 6 && is_reuse(*found, p)) {
      finish(idx, "reused");
      idx = kNone;
    }
    if (idx == kNone) {
      idx = create(p, k, h, src_is_a);
      found = slot_of(idx);
    }
    Conn& c = *found;
    const std::size_t s = src_is_a == c.ep0_is_a ? 0U : 1U;
    // Only the general TCP path sets timers or changes a timeout. The TCP fast path, UDP and ICMP move
    // last_ns alone (the DNS timer is set when the flow is created and by the timer itself), and when it
    // moves forward no deadline comes earlier: the heap entry that stands for this connection (armed_at,
    // never later than its earliest deadline) still does, and arm() would return at once.
    const std::int64_t last_before = c.last_ns;
    bool sets_timers = false;
    switch (p.proto) {
      case 6:
        if (fast_tcp_ok(c, s, p)) {
          process_tcp_fast<kLabel>(c, s, p, lbl);
        } else {
          process_tcp(c, s, p, lbl);
          c.fast_sides = fast_sides_of(c);
          sets_timers = true;
        }
        break;
      case 17: process_udp(c, s, p); break;
      default: process_icmp(c, s, p); break;
    }
    const bool rearm = sets_timers || c.armed_at == 0 || c.last_ns < last_before;
    if constexpr (kLabel) {
      lbl.conn_id = c.id;
      if (opts.label_uids) {
        std::array<char, 20> uid{};
        write_uid(uid, c);
        std::memcpy(lbl.uid, uid.data(), sizeof lbl.uid);
      }
      lbl.is_orig = c.ep[s].is_orig;
    }
    c.referenced = true;
    if (rearm) arm(idx, c);
  }

  void flush(const char* reason) {
    pos = EmitPosition{ordinal, 2, 0, 0};
    // The timer heap is no longer needed: its memory goes back before the report order is built, so the
    // peak does not rise. The order holds (start, id) per open connection with the start time in the
    // entry, so the sort compares in place instead of loading two connections per comparison (that took
    // ~80 instructions per packet of a 1M-packet capture).
    heap.release();
    std::vector<HeapEntry> order;
    order.reserve(count);
    for (std::uint32_t i = 0; i < capacity; ++i) {
      const Conn& c = at(i);
      if (c.live) order.push_back({c.start_ns, i, 0});
    }
    std::sort(order.begin(), order.end(), [this](const HeapEntry& x, const HeapEntry& y) {
      return x.deadline != y.deadline ? x.deadline < y.deadline : at(x.idx).id < at(y.idx).id;
    });
    // The connections are reported in start order, scattered over the slab, most of them untouched for
    // seconds of capture time: each is asked for a few records ahead (all of its lines) so that its
    // misses overlap the records before it. Their hash-table slots are not unlinked one by one (a
    // random access each, and the backward shift): the table is emptied at the end.
    constexpr std::size_t kAhead = 6;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i + kAhead < order.size()) prefetch_whole(order[i + kAhead].idx);
      finish(order[i].idx, reason, false);
    }
    std::fill(slots.begin(), slots.end(), 0);
    heap.clear();
  }
};

ConnTracker::ConnTracker(TrackerOptions opts, RecordSink sink) : impl_(std::make_unique<Impl>(opts, std::move(sink))) {}
ConnTracker::~ConnTracker() = default;

PacketLabel ConnTracker::update(const PacketSummary& pkt) { return impl_->update(pkt); }
void ConnTracker::update_batch(std::span<const PacketSummary> pkts) {
  for (std::size_t i = 0; i < pkts.size(); i += kBatch) {
    impl_->update_batch(pkts.data() + i, std::min(kBatch, pkts.size() - i));
  }
}
void ConnTracker::prepare(std::span<const PacketSummary> pkts, std::span<PreparedPacket> out) const noexcept {
  const std::size_t n = std::min(pkts.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) impl_->prepare(pkts[i], out[i]);
}
void ConnTracker::update_batch(std::span<const PacketSummary> pkts, std::span<const PreparedPacket> prepared) {
  const std::size_t n = std::min(pkts.size(), prepared.size());
  for (std::size_t i = 0; i < n; i += kBatch) {
    impl_->update_prepared(pkts.data() + i, prepared.data() + i, std::min(kBatch, n - i));
  }
}
void ConnTracker::prefetch(std::span<const PacketSummary> pkts, std::span<const PreparedPacket> prepared) const noexcept {
  impl_->prefetch_group(pkts.data(), prepared.data(), std::min(pkts.size(), prepared.size()));
}
PacketLabel ConnTracker::update(const PacketSummary& pkt, const PreparedPacket& prepared) {
  return impl_->update(pkt, prepared);
}
void ConnTracker::flush(const char* reason) { impl_->flush(reason); }
void ConnTracker::expire(std::int64_t now_ns) { impl_->expire(now_ns); }
std::size_t ConnTracker::active() const noexcept { return impl_->count; }
const EmitPosition& ConnTracker::emit_position() const noexcept { return impl_->pos; }
std::uint64_t ConnTracker::evicted() const noexcept { return impl_->evicted_count; }

}  // namespace synscope::track

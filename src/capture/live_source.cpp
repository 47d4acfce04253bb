// Live capture with libpcap in immediate mode (a packet is delivered as soon as it arrives instead of
// in ~1 s blocks), polled through the selectable fd so a stop request is seen within the timeout.

#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "synscope/capture/live.hpp"
#include "synscope/capture/pcap_handle.hpp"

namespace synscope::capture {
namespace {

std::string privilege_hint() {
  return "capturing needs CAP_NET_RAW and CAP_NET_ADMIN: run as root (sudo), or grant them to the binary once with "
         "`sudo setcap cap_net_raw,cap_net_admin=eip $(command -v synscope)`";
}

std::string activate_error(pcap_t* p, int rc, const std::string& dev) {
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return "no such interface '" + dev + "' (list them with `synscope interfaces`)";
    case PCAP_ERROR_PERM_DENIED:
      return "permission denied opening '" + dev + "': " + privilege_hint();
    case PCAP_ERROR_IFACE_NOT_UP:
      return "interface '" + dev + "' is down (`ip link set " + dev + " up`)";
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "no permission for promiscuous mode on '" + dev + "': retry with -p, or " + privilege_hint();
    default:
      return "cannot capture on '" + dev + "': " + pcap_geterr(p);
  }
}

}  // namespace

struct LiveSource::Impl {
  PcapHandle pcap;
  std::string device;
  std::uint32_t dlt = 0;
  int fd = -1;
  std::uint64_t frame_no = 0;
};

LiveSource::LiveSource(const LiveOptions& opts) : impl_(std::make_unique<Impl>()) {
  impl_->device = opts.device.empty() ? default_interface() : opts.device;
  if (impl_->device.empty()) throw CaptureError("no capture interface found: " + privilege_hint());
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(impl_->device.c_str(), errbuf);
  if (p == nullptr) throw CaptureError("cannot open '" + impl_->device + "': " + errbuf);
  impl_->pcap.reset(p);
  pcap_set_snaplen(p, opts.snaplen);
  pcap_set_promisc(p, opts.promisc ? 1 : 0);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, opts.buffer_bytes);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int rc = pcap_activate(p);
  if (rc < 0) throw CaptureError(activate_error(p, rc, impl_->device));
  if (pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0) {
    // Not fatal: microsecond times are scaled below.
  }
  impl_->dlt = static_cast<std::uint32_t>(pcap_datalink(p));
  if (!opts.filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(p, &prog, opts.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw CaptureError("bad filter expression '" + opts.filter + "': " + pcap_geterr(p));
    }
    const int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) throw CaptureError("cannot set filter: " + std::string(pcap_geterr(p)));
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) throw CaptureError(std::string("cannot set non-blocking mode: ") + errbuf);
  impl_->fd = pcap_get_selectable_fd(p);
}

LiveSource::~LiveSource() = default;

WaitResult LiveSource::next(RawFrame& out, int timeout_ms) {
  pcap_t* p = impl_->pcap.get();
  for (int attempt = 0; attempt < 2; ++attempt) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == 1) {
      const bool nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
      out.ts_ns = static_cast<std::int64_t>(hdr->ts.tv_sec) * 1'000'000'000LL +
                  static_cast<std::int64_t>(hdr->ts.tv_usec) * (nano ? 1 : 1000);
      out.caplen = hdr->caplen;
      out.wire_len = hdr->len;
      out.dlt = impl_->dlt;
      out.frame_no = ++impl_->frame_no;
      out.file_index = 0;
      out.bytes = Bytes{reinterpret_cast<const std::byte*>(data), hdr->caplen};  // NOLINT: libpcap hands u_char*
      return WaitResult::kFrame;
    }
    if (rc == PCAP_ERROR_BREAK) return WaitResult::kEnd;
    if (rc < 0) throw CaptureError("capture on '" + impl_->device + "' failed: " + pcap_geterr(p));
    if (attempt == 1 || impl_->fd < 0) break;
    pollfd pfd{impl_->fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, timeout_ms);
    if (n <= 0) return WaitResult::kTimeout;  // timeout, or EINTR from a stop signal
    if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (pfd.revents & POLLIN) == 0) {
      throw CaptureError("capture on '" + impl_->device + "' stopped: the interface went away");
    }
  }
  return WaitResult::kTimeout;
}

LiveStats LiveSource::stats() const {
  pcap_stat st{};
  LiveStats out;
  if (pcap_stats(impl_->pcap.get(), &st) == 0) {
    out.received = st.ps_recv;
    out.dropped_kernel = st.ps_drop;
    out.dropped_interface = st.ps_ifdrop;
  }
  return out;
}

std::uint32_t LiveSource::dlt() const noexcept { return impl_->dlt; }
const std::string& LiveSource::device() const noexcept { return impl_->device; }
void* LiveSource::native() const noexcept { return impl_->pcap.get(); }

struct PcapWriter::Impl {
  PcapHandle dead;
  PcapDumper dumper;
};

PcapWriter::PcapWriter(const std::string& path, std::uint32_t dlt, int snaplen) : impl_(std::make_unique<Impl>()) {
  impl_->dead.reset(pcap_open_dead_with_tstamp_precision(static_cast<int>(dlt), snaplen, PCAP_TSTAMP_PRECISION_NANO));
  if (!impl_->dead) throw CaptureError("cannot prepare pcap writer");
  pcap_dumper_t* d = pcap_dump_open(impl_->dead.get(), path.c_str());
  if (d == nullptr) throw CaptureError("cannot write " + path + ": " + pcap_geterr(impl_->dead.get()));
  impl_->dumper.reset(d);
}

PcapWriter::~PcapWriter() = default;

void PcapWriter::write(const RawFrame& f) {
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(f.ts_ns / 1'000'000'000);
  hdr.ts.tv_usec = static_cast<suseconds_t>(f.ts_ns % 1'000'000'000);  // nanoseconds in a nano dumper
  hdr.caplen = f.caplen;
  hdr.len = f.wire_len;
  pcap_dump(reinterpret_cast<u_char*>(impl_->dumper.get()), &hdr,  // NOLINT: libpcap's callback signature
            reinterpret_cast<const u_char*>(f.bytes.data()));      // NOLINT
  pcap_dump_flush(impl_->dumper.get());
}

void PcapWriter::flush() { pcap_dump_flush(impl_->dumper.get()); }

std::vector<InterfaceInfo> list_interfaces() {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) != 0) throw CaptureError(std::string("cannot list interfaces: ") + errbuf);
  std::vector<InterfaceInfo> out;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    InterfaceInfo info;
    info.name = d->name;
    if (d->description != nullptr) info.description = d->description;
    info.up = (d->flags & PCAP_IF_UP) != 0;
    info.running = (d->flags & PCAP_IF_RUNNING) != 0;
    info.loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
    info.wireless = (d->flags & PCAP_IF_WIRELESS) != 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr) continue;
      char buf[INET6_ADDRSTRLEN] = {};
      int prefix = -1;
      if (a->addr->sa_family == AF_INET) {
        sockaddr_in sin{};
        std::memcpy(&sin, a->addr, sizeof sin);
        inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf);
        if (a->netmask != nullptr) {
          sockaddr_in mask{};
          std::memcpy(&mask, a->netmask, sizeof mask);
          prefix = __builtin_popcount(mask.sin_addr.s_addr);
        }
      } else if (a->addr->sa_family == AF_INET6) {
        sockaddr_in6 sin6{};
        std::memcpy(&sin6, a->addr, sizeof sin6);
        inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof buf);
        if (a->netmask != nullptr) {
          sockaddr_in6 mask{};
          std::memcpy(&mask, a->netmask, sizeof mask);
          prefix = 0;
          for (const unsigned char b : mask.sin6_addr.s6_addr) prefix += __builtin_popcount(b);
        }
      } else {
        continue;
      }
      std::string text = buf;
      if (prefix >= 0) {
        // Two appends, not `"/" + to_string(…)`: g++ 12 -O2 gives a false -Wrestrict on the latter.
        text.push_back('/');
        text.append(std::to_string(prefix));
      }
      info.addresses.push_back(std::move(text));
    }
    out.push_back(std::move(info));
  }
  pcap_freealldevs(all);
  return out;
}

std::string default_interface() {
  // pcap_lookupdev is deprecated; tcpdump takes the first device of pcap_findalldevs that is up and
  // not a loopback (libpcap sorts those first).
  const std::vector<InterfaceInfo> all = list_interfaces();
  for (const InterfaceInfo& i : all) {
    if (i.up && i.running && !i.loopback && i.name != "any") return i.name;
  }
  for (const InterfaceInfo& i : all) {
    if (i.up && i.name != "any") return i.name;
  }
  return all.empty() ? std::string() : all.front().name;
}

}  // namespace synscope::capture

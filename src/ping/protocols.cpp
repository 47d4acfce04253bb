#include "synscope/ping/protocols.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdio>

namespace synscope::ping {

namespace {

// IANA protocol-numbers registry (RFC 5237); constants as in <netinet/in.h>.
constexpr std::array<ProtocolRow, 16> kProtocols{{
    {0, "HOPOPT", "IPPROTO_HOPOPTS", "IPv6 hop-by-hop options header (RFC 8200 §4.3)"},
    {1, "ICMP", "IPPROTO_ICMP", "Internet Control Message Protocol: echo (ping), unreachable, time exceeded (RFC 792)"},
    {2, "IGMP", "IPPROTO_IGMP", "IPv4 multicast group membership (RFC 3376)"},
    {4, "IPv4", "IPPROTO_IPIP", "IPv4 inside IPv4, a tunnel (RFC 2003)"},
    {6, "TCP", "IPPROTO_TCP", "reliable ordered byte stream with a handshake (RFC 9293)"},
    {17, "UDP", "IPPROTO_UDP", "datagrams with ports and a checksum, nothing more (RFC 768)"},
    {41, "IPv6", "IPPROTO_IPV6", "IPv6 inside IPv4 or IPv6 (6in4, RFC 4213)"},
    {43, "IPv6-Route", "IPPROTO_ROUTING", "IPv6 routing header (RFC 8200 §4.4)"},
    {44, "IPv6-Frag", "IPPROTO_FRAGMENT", "IPv6 fragment header (RFC 8200 §4.5)"},
    {47, "GRE", "IPPROTO_GRE", "Generic Routing Encapsulation tunnels (RFC 2784)"},
    {50, "ESP", "IPPROTO_ESP", "IPsec Encapsulating Security Payload (RFC 4303)"},
    {51, "AH", "IPPROTO_AH", "IPsec Authentication Header (RFC 4302)"},
    {58, "IPv6-ICMP", "IPPROTO_ICMPV6", "ICMP for IPv6: echo, errors, neighbour discovery (RFC 4443, RFC 4861)"},
    {89, "OSPF", "", "OSPF routing protocol, straight over IP (RFC 2328)"},
    {132, "SCTP", "IPPROTO_SCTP", "message-oriented reliable transport with multi-homing (RFC 9260)"},
    {255, "Reserved", "IPPROTO_RAW", "reserved; as a raw-socket protocol it means \"I write the IP header\" (IP_HDRINCL)"},
}};

constexpr std::array<SocketTypeRow, 4> kSocketTypes{{
    {"SOCK_STREAM", SOCK_STREAM, "a connected, reliable byte stream (TCP): connect() does the handshake, no message boundaries"},
    {"SOCK_DGRAM", SOCK_DGRAM, "separate datagrams (UDP; with IPPROTO_ICMP the unprivileged ping socket): the kernel writes the headers"},
    {"SOCK_RAW", SOCK_RAW, "whole packets of one IP protocol, IPv4 header included on receive; needs CAP_NET_RAW"},
    {"SOCK_SEQPACKET", SOCK_SEQPACKET, "a connected, reliable stream of messages that keeps boundaries (SCTP, AF_UNIX)"},
}};

}  // namespace

std::span<const ProtocolRow> protocol_table() noexcept { return kProtocols; }
std::span<const SocketTypeRow> socket_type_table() noexcept { return kSocketTypes; }

std::string format_protocols() {
  std::string s = "IP protocol numbers (IPv4 \"protocol\" / IPv6 \"next header\" field, IANA registry)\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %3s  %-10s  %-16s  %s\n", "num", "keyword", "constant", "what it carries");
  s += buf;
  for (const ProtocolRow& r : kProtocols) {
    std::snprintf(buf, sizeof buf, "  %3u  %-10s  %-16s  %s\n", static_cast<unsigned>(r.number), r.keyword,
                  r.constant[0] != '\0' ? r.constant : "-", r.what);
    s += buf;
  }
  s += "\nSocket types (second argument of socket(2))\n";
  for (const SocketTypeRow& r : kSocketTypes) {
    std::snprintf(buf, sizeof buf, "  %-14s  %d  %s\n", r.name, r.value, r.what);
    s += buf;
  }
  s += "\nExample: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) = raw ICMP (synscope ping as root);\n"
       "         socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) = the ping socket (no privileges).\n";
  return s;
}

}  // namespace synscope::ping

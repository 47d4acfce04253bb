// Static names for printing: libpcap's link-type names, netbase protocol names, tcpdump's ICMP vocabulary.

#include "synscope/decode/frame.hpp"

namespace synscope::decode {

const char* link_type_name(std::uint32_t dlt) noexcept {
  // pcap_datalink_val_to_name() spellings. LINKTYPE_RAW (101) and OpenBSD's DLT_RAW (14) are the same
  // encapsulation as Linux's DLT_RAW (12), which libpcap reports as "RAW".
  switch (dlt) {
    case 0: return "NULL";
    case 1: return "EN10MB";
    case 9: return "PPP";
    case 12:
    case 14:
    case 101: return "RAW";
    case 108: return "LOOP";
    case 113: return "LINUX_SLL";
    case 228: return "IPV4";
    case 229: return "IPV6";
    case 276: return "LINUX_SLL2";
    default: return "UNKNOWN";
  }
}

bool link_type_supported(std::uint32_t dlt) noexcept {
  switch (dlt) {
    case 0:
    case 1:
    case 9:
    case 12:
    case 14:
    case 101:
    case 108:
    case 113:
    case 228:
    case 229:
    case 276: return true;
    default: return false;
  }
}

const char* ip_proto_name(std::uint8_t proto) noexcept {
  // The keyword column of IANA's protocol-numbers registry as netbase's /etc/protocols spells it.
  switch (proto) {
    case 0: return "hopopt";
    case 1: return "icmp";
    case 2: return "igmp";
    case 4: return "ipencap";
    case 6: return "tcp";
    case 8: return "egp";
    case 17: return "udp";
    case 33: return "dccp";
    case 41: return "ipv6";
    case 43: return "ipv6-route";
    case 44: return "ipv6-frag";
    case 46: return "rsvp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 59: return "ipv6-nonxt";
    case 60: return "ipv6-opts";
    case 88: return "eigrp";
    case 89: return "ospf";
    case 94: return "ipip";
    case 97: return "etherip";
    case 103: return "pim";
    case 108: return "ipcomp";
    case 112: return "vrrp";
    case 115: return "l2tp";
    case 124: return "isis";
    case 132: return "sctp";
    case 135: return "mobility-header";
    case 136: return "udplite";
    case 137: return "mpls-in-ip";
    case 139: return "hip";
    case 140: return "shim6";
    default: return "";
  }
}

bool icmp_is_error(std::uint8_t type) noexcept {
  // RFC 792 / RFC 1122 §3.2.2: unreachable, source quench, redirect, time exceeded, parameter problem.
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool icmp6_is_error(std::uint8_t type) noexcept {
  // RFC 4443 §2.1: error messages have types 0..127; 1..4 are defined.
  return type >= 1 && type <= 4;
}

const char* icmp_type_name(std::uint8_t type) noexcept {
  // tcpdump's print-icmp.c wording.
  switch (type) {
    case 0: return "echo reply";
    case 3: return "destination unreachable";
    case 4: return "source quench";
    case 5: return "redirect";
    case 8: return "echo request";
    case 9: return "router advertisement";
    case 10: return "router solicitation";
    case 11: return "time exceeded";
    case 12: return "parameter problem";
    case 13: return "time stamp request";
    case 14: return "time stamp reply";
    case 15: return "information request";
    case 16: return "information reply";
    case 17: return "address mask request";
    case 18: return "address mask reply";
    case 42: return "extended echo request";
    case 43: return "extended echo reply";
    default: return "unknown";
  }
}

const char* icmp_code_name(std::uint8_t type, std::uint8_t code) noexcept {
  switch (type) {
    case 3:  // RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1
      switch (code) {
        case 0: return "net unreachable";
        case 1: return "host unreachable";
        case 2: return "protocol unreachable";
        case 3: return "port unreachable";
        case 4: return "need to frag";
        case 5: return "source route failed";
        case 6: return "net unreachable - unknown";
        case 7: return "host unreachable - unknown";
        case 8: return "source host isolated";
        case 9: return "net unreachable - admin prohibited";
        case 10: return "host unreachable - admin prohibited";
        case 11: return "net unreachable - tos prohibited";
        case 12: return "host unreachable - tos prohibited";
        case 13: return "admin prohibited filter";
        case 14: return "host precedence violation";
        case 15: return "precedence cutoff";
        default: return "";
      }
    case 5:
      switch (code) {
        case 0: return "redirect net";
        case 1: return "redirect host";
        case 2: return "redirect-tos net";
        case 3: return "redirect-tos host";
        default: return "";
      }
    case 11:
      switch (code) {
        case 0: return "in-transit";
        case 1: return "reassembly";
        default: return "";
      }
    case 12:
      switch (code) {
        case 0: return "octet";
        case 1: return "option absent";
        case 2: return "bad length";
        default: return "";
      }
    default: return "";
  }
}

const char* icmp6_type_name(std::uint8_t type) noexcept {
  // tcpdump's print-icmp6.c icmp6_type_values.
  switch (type) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 137: return "redirect";
    case 138: return "router renumbering";
    case 139: return "node information query";
    case 140: return "node information reply";
    case 141: return "inverse neighbor solicitation";
    case 142: return "inverse neighbor advertisement";
    case 143: return "multicast listener report v2";
    case 144: return "ha discovery request";
    case 145: return "ha discovery reply";
    case 146: return "mobile router solicitation";
    case 147: return "mobile router advertisement";
    case 155: return "RPL";
    case 160: return "extended echo request";
    case 161: return "extended echo reply";
    case 200: return "mtrace response";
    case 201: return "mtrace message";
    default: return "unknown";
  }
}

const char* icmp6_code_name(std::uint8_t type, std::uint8_t code) noexcept {
  switch (type) {
    case 1:  // RFC 4443 §3.1
      switch (code) {
        case 0: return "no route to destination";
        case 1: return "administratively prohibited";
        case 2: return "beyond scope of source address";
        case 3: return "address unreachable";
        case 4: return "port unreachable";
        case 5: return "source address failed ingress/egress policy";
        case 6: return "reject route to destination";
        case 7: return "error in source routing header";
        default: return "";
      }
    case 3:  // RFC 4443 §3.3
      switch (code) {
        case 0: return "in-transit";
        case 1: return "reassembly";
        default: return "";
      }
    case 4:  // RFC 4443 §3.4
      switch (code) {
        case 0: return "erroneous header field";
        case 1: return "unrecognized next header";
        case 2: return "unrecognized ipv6 option";
        case 3: return "first fragment has incomplete header chain";
        default: return "";
      }
    default: return "";
  }
}

}  // namespace synscope::decode

// scripts/vlan-tag.bpf.c — 802.1Q tagging for make-captures.sh on kernels built without 8021q.
//
// When `ip link add link eth1 name eth1.100 type vlan id 100` fails (CONFIG_VLAN_8021Q unset, as on
// some VM kernels), make-captures.sh puts these two tc (clsact) programs on both ends of a veth pair:
// egress pushes VLAN 100 (IEEE 802.1Q, TPID 0x8100), ingress pops it. The tag travels in the skb's
// VLAN metadata exactly as with a VLAN device on a NIC with tx-vlan offload, and libpcap re-inserts
// it into the captured frame, so a capture on the veth shows tagged frames.
//
// Build: clang -O2 -target bpf -c vlan-tag.bpf.c -o vlan-tag.bpf.o
// Load:  tc qdisc add dev eth1 clsact
//        tc filter add dev eth1 egress  bpf da obj vlan-tag.bpf.o sec tc/egress
//        tc filter add dev eth1 ingress bpf da obj vlan-tag.bpf.o sec tc/ingress
// No headers on purpose: the helper numbers are stable kernel ABI (include/uapi/linux/bpf.h).

#define SEC(name) __attribute__((section(name), used))

struct __sk_buff;

enum {
  kBpfFuncSkbVlanPush = 18,  // BPF_FUNC_skb_vlan_push
  kBpfFuncSkbVlanPop = 19,   // BPF_FUNC_skb_vlan_pop
  kTcActOk = 0,              // TC_ACT_OK
  kVlanId = 100,
};

// htons(ETH_P_8021Q): the helper takes the TPID in network byte order.
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TPID_8021Q_BE 0x0081
#else
#define TPID_8021Q_BE 0x8100
#endif

static long (*bpf_skb_vlan_push)(struct __sk_buff *skb, unsigned short proto,
                                 unsigned short tci) = (void *)kBpfFuncSkbVlanPush;
static long (*bpf_skb_vlan_pop)(struct __sk_buff *skb) = (void *)kBpfFuncSkbVlanPop;

SEC("tc/egress")
int vlan_push(struct __sk_buff *skb) {
  bpf_skb_vlan_push(skb, TPID_8021Q_BE, kVlanId);  // priority 0, DEI 0, VID 100
  return kTcActOk;
}

SEC("tc/ingress")
int vlan_pop(struct __sk_buff *skb) {
  bpf_skb_vlan_pop(skb);  // a no-op for untagged frames
  return kTcActOk;
}

char _license[] SEC("license") = "GPL";

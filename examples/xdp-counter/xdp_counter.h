// Shared between xdp_counter.bpf.c and main.cpp.
#ifndef XDP_COUNTER_H
#define XDP_COUNTER_H

enum xdp_counter_slot {
  XDP_COUNTER_ICMP = 0,
  XDP_COUNTER_ICMPV6 = 1, // includes IPv6 neighbour discovery
  XDP_COUNTER_TCP = 2,
  XDP_COUNTER_UDP = 3,
  XDP_COUNTER_OTHER = 4, // ARP, and anything not IP
  XDP_COUNTER_SLOTS = 5,
};

struct packet_count {
  unsigned long long packets;
  unsigned long long bytes;
};

#endif

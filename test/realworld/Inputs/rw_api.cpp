// The C++ API on a real-world object (rw_xdp_lb): open, verify + load, attach
// with a target, send traffic, read maps through Object::mapFd (including the
// internal ".bss" and a custom ".data.tunables" by section suffix), detach on
// destruction. Run in a private netns: rw_api SEALED CERT
#include "bpfseal/bpfseal.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cstdio>
#include <cstdlib>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what, const bpfseal::Error &e) {
  std::printf("api: %s failed: %s\n", what, e.str().c_str());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  if (std::system("ip link set lo up") != 0)
    return 2;
  int ifindex = if_nametoindex("lo");
  {
    auto obj = bpfseal::Object::openFile(argv[1]);
    if (!obj)
      return fail("open", obj.error());
    bpfseal::LoadOptions lo;
    lo.trusted_certs = {argv[2]};
    auto report = obj->load(lo);
    if (!report)
      return fail("load", report.error());
    std::printf("api: level %s\n",
                std::string(bpfseal::verificationLevelName(report->level)).c_str());
    bpfseal::AttachOptions ao;
    ao.targets = {{"xdp_lb", "lo"}};
    auto attached = obj->attachAll(ao);
    if (!attached)
      return fail("attach", attached.error());
    for (const auto &a : *attached)
      std::printf("api: %s attached=%d %s\n", a.program.c_str(), a.attached, a.description.c_str());

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(4260);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 6; ++i)
      sendto(s, "x", 1, 0, reinterpret_cast<sockaddr *>(&to), sizeof(to));
    close(s);

    __u32 slot = 3;
    __u64 v = 0;
    int b = obj->mapFd("backends_b");
    if (b < 0 || bpf_map_lookup_elem(b, &slot, &v))
      return std::printf("api: backends_b lookup failed\n"), 1;
    std::printf("api: backends_b[3]=%llu\n", static_cast<unsigned long long>(v));
    std::printf("api: .bss fd %s, .data.tunables fd %s, .rodata fd %s\n",
                obj->mapFd(".bss") >= 0 ? "found" : "missing",
                obj->mapFd(".data.tunables") >= 0 ? "found" : "missing",
                obj->mapFd(".rodata") >= 0 ? "found" : "missing");
  }
  // The Object is gone: the XDP link must be gone with it.
  __u32 prog_id = 0;
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (bpf_xdp_query(ifindex, 0, &q) == 0)
    prog_id = q.prog_id;
  std::printf("api: xdp on lo after destruction: %s\n", prog_id ? "still attached" : "none");
  return 0;
}

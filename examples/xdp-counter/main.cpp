// xdp-counter: builds a throw-away network (a veth pair, one end in its own
// network namespace), attaches the signed XDP counter to the host end, pings
// it from the namespace, and prints what the program counted. Everything it
// created is removed on exit, also on Ctrl-C or an error.
#include "xdp_counter.h"
#include "xdp_counter.skel.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int run(const std::string &command, bool quiet = false) {
  std::string line = quiet ? command + " >/dev/null 2>&1" : command;
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// SIGINT/SIGTERM only set a flag (no SA_RESTART, so a wait returns EINTR);
// the next check returns through TestNetwork's destructor.
volatile sig_atomic_t interrupted = 0;
void onSignal(int) { interrupted = 1; }

// Runs argv; if a signal arrives meanwhile, stops the child and returns.
int runChild(const std::vector<std::string> &args) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    std::vector<char *> argv;
    for (const auto &a : args)
      argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (interrupted)
    kill(pid, SIGTERM);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
    if (interrupted)
      kill(pid, SIGTERM);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The namespace and the veth pair; the destructor tears both down, so every
// exit path of main (success, error, interrupt) cleans up.
class TestNetwork {
public:
  // The /24 is picked by id too, so concurrent runs do not share a subnet
  // (which would route one run's replies into the other's veth).
  explicit TestNetwork(int id)
      : netns_("bpfseal-xdp-" + std::to_string(id)), host_if_("bsxdp" + std::to_string(id)),
        peer_if_("bsxdp" + std::to_string(id) + "p"),
        host_addr_("10.213." + std::to_string(id % 254 + 1) + ".1"),
        peer_addr_("10.213." + std::to_string(id % 254 + 1) + ".2") {}
  ~TestNetwork() { teardown(); }
  TestNetwork(const TestNetwork &) = delete;
  TestNetwork &operator=(const TestNetwork &) = delete;

  bool setup() {
    created_ = true;
    const std::vector<std::string> steps = {
        "ip netns add " + netns_,
        "ip link add " + host_if_ + " type veth peer name " + peer_if_,
        "ip link set " + peer_if_ + " netns " + netns_,
        "ip addr add " + host_addr_ + "/24 dev " + host_if_,
        "ip link set " + host_if_ + " up",
        "ip -n " + netns_ + " addr add " + peer_addr_ + "/24 dev " + peer_if_,
        "ip -n " + netns_ + " link set " + peer_if_ + " up",
        "ip -n " + netns_ + " link set lo up",
    };
    for (const auto &step : steps)
      if (run(step) != 0) {
        std::fprintf(stderr, "xdp-counter: '%s' failed (hint: needs root and iproute2)\n",
                     step.c_str());
        return false;
      }
    return true;
  }
  void teardown() {
    if (!created_)
      return;
    created_ = false;
    // Deleting the namespace destroys the peer and with it the whole pair.
    run("ip link del " + host_if_, true);
    run("ip netns del " + netns_, true);
  }
  // Pings the host end from the namespace; a signal stops ping too.
  bool ping(int count) {
    std::vector<std::string> args = {"ip",      "netns", "exec", netns_,
                                     "ping",    "-q",    "-c",   std::to_string(count),
                                     "-i",      "0.2",   "-W",   "2",
                                     host_addr_};
    std::string line;
    for (const auto &a : args)
      line += (line.empty() ? "" : " ") + a;
    std::printf("$ %s\n", line.c_str());
    std::fflush(stdout);
    return runChild(args) == 0;
  }
  const std::string &hostInterface() const { return host_if_; }
  const std::string &netns() const { return netns_; }

  const std::string &hostAddr() const { return host_addr_; }
  const std::string &peerAddr() const { return peer_addr_; }

private:
  std::string netns_, host_if_, peer_if_, host_addr_, peer_addr_;
  bool created_ = false;
};

} // namespace

int main(int argc, char **argv) {
  int pings = 5;
  bpfseal::LoadOptions opts;
  std::string cert = TRUSTED_CERT;
  for (int c; (c = getopt(argc, argv, "n:m:c:h")) != -1;) {
    switch (c) {
    case 'n': pings = std::atoi(optarg); break;
    case 'm': {
      auto mode = bpfseal::parseLoadMode(optarg);
      if (!mode)
        return std::fprintf(stderr, "xdp-counter: %s\n", mode.error().str().c_str()), 2;
      opts.mode = *mode;
      break;
    }
    case 'c': cert = optarg; break;
    default:
      std::fprintf(stderr, "usage: %s [-n PINGS] [-m auto|kernel|userspace] [-c CERT]\n", argv[0]);
      return c == 'h' ? 0 : 2;
    }
  }
  opts.trusted_certs = {cert};

  auto skel = xdp_counter_bpf::open();
  if (!skel)
    return std::fprintf(stderr, "xdp-counter: %s\n", skel.error().str().c_str()), 1;
  auto report = skel->load(opts);
  if (!report)
    return std::fprintf(stderr, "xdp-counter: load: %s\n", report.error().str().c_str()), 1;
  std::printf("loaded: %s [%s]\n", report->description.c_str(),
              std::string(bpfseal::verificationLevelName(report->level)).c_str());
  if (!report->fallback.empty())
    std::printf("%s\n", report->fallback.c_str());

  TestNetwork network(getpid());
  struct sigaction sa = {};
  sa.sa_handler = onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (!network.setup() || interrupted)
    return 1;
  std::printf("network: %s (%s) <-> %s in netns %s\n", network.hostInterface().c_str(),
              network.hostAddr().c_str(), network.peerAddr().c_str(), network.netns().c_str());

  auto attached = skel->progs().count_packets().attach(network.hostInterface());
  if (!attached)
    return std::fprintf(stderr, "xdp-counter: attach: %s\n", attached.error().str().c_str()), 1;
  std::printf("attached: %s\n", attached->description.c_str());

  bool ping_ok = network.ping(pings);
  if (interrupted) {
    std::printf("interrupted: removing the netns and veth pair\n");
    return 130; // ~TestNetwork and the skeleton clean up
  }

  // Per-CPU map: one value per possible CPU, summed here.
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0)
    return std::fprintf(stderr, "xdp-counter: cannot count CPUs\n"), 1;
  static const char *const kSlotNames[XDP_COUNTER_SLOTS] = {"icmp", "icmpv6", "tcp", "udp",
                                                            "other"};
  std::printf("%-8s %8s %8s\n", "PROTO", "PACKETS", "BYTES");
  for (__u32 slot = 0; slot < XDP_COUNTER_SLOTS; slot++) {
    std::vector<packet_count> per_cpu(ncpus);
    if (bpf_map_lookup_elem(skel->maps().rx_counts().fd(), &slot, per_cpu.data()))
      return std::fprintf(stderr, "xdp-counter: map lookup failed\n"), 1;
    unsigned long long packets = 0, bytes = 0;
    for (const auto &v : per_cpu) {
      packets += v.packets;
      bytes += v.bytes;
    }
    std::printf("%-8s %8llu %8llu\n", kSlotNames[slot], packets, bytes);
  }
  skel->detach();
  network.teardown();
  std::printf("cleaned up: netns and veth pair removed\n");
  return ping_ok ? 0 : 1;
}

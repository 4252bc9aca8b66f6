// bpfseal enforce: start bpfseal's signed BPF LSM policy (only verified BPF
// loads), show its status, or build a site policy. bpfseal audit: print the
// policy's decisions. The work is libbpfseal's (bpfseal/enforce.hpp).
#include "commands.h"

#include "bpfseal/bpfseal.hpp"
#include "bpfseal/enforce.hpp"

#include "bpfseal/enforce_event.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#ifndef BPFSEAL_POLICY_OBJECT
#define BPFSEAL_POLICY_OBJECT "/usr/local/share/bpfseal/enforce.bpf.o"
#endif

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "enforce";

void printHelp() {
  std::printf(
      "usage: bpfseal enforce --policy SEALED.o --keyring ID [--allow-keyring SERIAL]... [--json]\n"
      "       bpfseal enforce --status [--json]\n"
      "       bpfseal enforce build --key KEY --cert CERT [--set NAME=VALUE]... [--object POLICY.bpf.o]\n"
      "                             -o OUT.sealed.o\n\n"
      "Starts bpfseal's BPF LSM policy: from then on, until reboot, only BPF programs whose\n"
      "signature the kernel verified against an allowed keyring (and the programs such a\n"
      "verified loader creates) can be loaded; everything else gets EPERM and is audited\n"
      "(bpfseal audit). The policy itself is loaded only kernel-verified, with --keyring.\n"
      "It cannot be detached, unpinned or changed afterwards (docs/SECURITY.md).\n\n"
      "  --policy FILE       the sealed, signed policy (bpfseal enforce build)\n"
      "  --keyring ID        keyring that verifies the policy: a serial (locked with\n"
      "                      KEYCTL_RESTRICT_KEYRING and allow-listed) or builtin/secondary/platform\n"
      "  --allow-keyring S   another keyring serial to lock and allow-list (repeatable)\n"
      "  --pin-dir DIR       where the policy's own bpffs is mounted (default %s)\n"
      "  --status            is a policy active, its mode, signed configuration, keyrings\n"
      "  build               seal and sign the policy object with --set configuration:\n"
      "                      mode=enforce|audit, allow_builtin|allow_secondary|allow_platform=true,\n"
      "                      allow_runtime_keyrings=false, exempt_prog_types=MASK exempt_cgroup_id=ID\n",
      enforce::kDefaultPinDir);
}

// Artifact and user strings never reach the terminal raw.
std::string escaped(const char *s, size_t max) {
  std::string out;
  for (size_t i = 0; i < max && s[i]; i++) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
      out += char(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    }
  }
  return out;
}

// prog->tag as bpftool prints it (16 lowercase hex digits).
std::string tagHex(const uint8_t (&tag)[8]) {
  std::string out;
  char buf[3];
  for (uint8_t b : tag) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

std::string keyringsText(const std::vector<int32_t> &ks) {
  std::string s;
  for (int32_t k : ks)
    s += (s.empty() ? "" : ",") + std::to_string(k);
  return s.empty() ? "none" : s;
}

nlohmann::ordered_json statusJson(const enforce::PolicyStatus &s) {
  nlohmann::ordered_json j = {{"active", s.active}};
  if (!s.active) {
    j["reason"] = s.reason;
    return j;
  }
  j["mode"] = s.mode;
  j["self_protected"] = s.self_protected;
  j["config"] = s.config;
  j["keyrings"] = s.keyrings;
  j["policy_keyring"] = keyringName(s.policy_keyring);
  // The kernel verified the policy against that keyring with this key.
  j["signer"] = escaped(s.signer.c_str(), s.signer.size());
  if (s.signer_key)
    j["signer_key"] = s.signer_key;
  j["prog_ids"] = s.prog_ids;
  j["link_ids"] = s.link_ids;
  j["map_ids"] = s.map_ids;
  j["pin_dir"] = s.pin_dir;
  j["dropped_events"] = s.dropped_events;
  return j;
}

void printStatus(const enforce::PolicyStatus &s) {
  if (!s.active) {
    std::printf("enforcement: not active (%s)\n", s.reason.c_str());
    return;
  }
  std::printf("enforcement: active, mode %s%s\n", s.mode.c_str(),
              !s.self_protected   ? ", NOT self-protected (start did not finish)"
              : s.mode == "audit" ? ", self-protection logged only (audit mode)"
                                  : ", self-protected");
  std::string key = s.signer_key ? " (key " + std::to_string(s.signer_key) + ")" : "";
  std::printf("signer: %s%s; the kernel verified the policy against keyring %s\n",
              s.signer.empty() ? "unknown" : escaped(s.signer.c_str(), s.signer.size()).c_str(),
              key.c_str(), keyringName(s.policy_keyring).c_str());
  std::printf("allowed keyring serials (locked): %s\n", keyringsText(s.keyrings).c_str());
  std::printf("signed configuration:");
  for (const auto &[k, v] : s.config)
    std::printf(" %s=%s", k.c_str(), v.c_str());
  std::printf("\nprograms:");
  for (uint32_t id : s.prog_ids)
    std::printf(" %u", id);
  std::printf("  links:");
  for (uint32_t id : s.link_ids)
    std::printf(" %u", id);
  std::printf("  pins: %s\n", s.pin_dir.c_str());
  std::printf("audit events dropped (ring buffer full): %llu\n",
              static_cast<unsigned long long>(s.dropped_events));
}

// `bpfseal enforce build`: the ordinary seal and sign commands, so a site
// policy is sealed and signed exactly like any other object.
int runBuild(int argc, char **argv) {
  static const option kOptions[] = {{"key", required_argument, nullptr, 'k'},
                                    {"cert", required_argument, nullptr, 'c'},
                                    {"set", required_argument, nullptr, 's'},
                                    {"object", required_argument, nullptr, 'O'},
                                    {"output", required_argument, nullptr, 'o'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  std::string key, cert, object = BPFSEAL_POLICY_OBJECT, out;
  std::vector<std::string> sets;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "o:h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'k': key = optarg; break;
    case 'c': cert = optarg; break;
    case 's': sets.push_back(optarg); break;
    case 'O': object = optarg; break;
    case 'o': out = optarg; break;
    case 'h': printHelp(); return 0;
    default: return usageError("enforce build", "unknown option");
    }
  }
  if (key.empty() || cert.empty() || out.empty() || optind != argc)
    return usageError("enforce build", "needs --key, --cert and -o (and nothing else)");
  std::vector<std::string> seal = {"seal", object, "-o", out};
  for (const auto &s : sets) {
    seal.push_back("--set");
    seal.push_back(s);
  }
  std::vector<char *> sargv;
  for (auto &s : seal)
    sargv.push_back(s.data());
  sargv.push_back(nullptr);
  optind = 0;
  if (int rc = runSeal(int(sargv.size() - 1), sargv.data()))
    return rc;
  std::vector<std::string> sign = {"sign", out, "--key", key, "--cert", cert};
  std::vector<char *> gargv;
  for (auto &s : sign)
    gargv.push_back(s.data());
  gargv.push_back(nullptr);
  optind = 0;
  if (int rc = runSign(int(gargv.size() - 1), gargv.data())) {
    std::remove(out.c_str()); // an unsigned policy is of no use: leave nothing behind
    return rc;
  }
  return 0;
}

} // namespace

int runEnforce(int argc, char **argv) {
  if (argc >= 2 && std::strcmp(argv[1], "build") == 0)
    return runBuild(argc - 1, argv + 1);
  enum { kStatus = 256, kAllow, kPinDir };
  static const option kOptions[] = {{"policy", required_argument, nullptr, 'p'},
                                    {"keyring", required_argument, nullptr, 'k'},
                                    {"allow-keyring", required_argument, nullptr, kAllow},
                                    {"pin-dir", required_argument, nullptr, kPinDir},
                                    {"status", no_argument, nullptr, kStatus},
                                    {"json", no_argument, nullptr, 'j'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  enforce::StartOptions so;
  bool status = false, json = false, have_keyring = false;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'p': so.policy_path = optarg; break;
    case 'k': {
      auto id = parseKeyring(optarg);
      if (!id)
        return usageError(kCmd, id.error().msg);
      so.keyring_id = *id;
      have_keyring = true;
      break;
    }
    case kAllow: {
      auto id = parseKeyring(optarg);
      if (!id)
        return usageError(kCmd, id.error().msg);
      so.allow_keyrings.push_back(*id);
      break;
    }
    case kPinDir: so.pin_dir = optarg; break;
    case kStatus: status = true; break;
    case 'j': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (optind != argc)
    return usageError(kCmd, std::string("unexpected argument '") + argv[optind] + "'");
  if (status) {
    auto s = enforce::status();
    if (!s)
      return reportError(kCmd, s.error());
    if (json)
      std::printf("%s\n", statusJson(*s).dump(2).c_str());
    else
      printStatus(*s);
    return 0;
  }
  if (so.policy_path.empty() || !have_keyring)
    return usageError(kCmd, "needs --policy SEALED.o and --keyring ID (or --status)");
  auto r = enforce::start(so);
  if (!r) {
    if (json)
      std::printf("%s\n", nlohmann::ordered_json{{"ok", false},
                                                 {"error", r.error().str()},
                                                 {"errno", errnoName(r.error().err)}}
                              .dump(2)
                              .c_str());
    return reportError(kCmd, r.error());
  }
  if (json) {
    nlohmann::ordered_json j = statusJson(r->status);
    j["ok"] = true;
    j["verification"] = r->verification;
    j["preexisting_syscall_progs"] = r->preexisting_syscall_progs;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("enforcement started: %s\n", r->verification.c_str());
    printStatus(r->status);
    if (!r->preexisting_syscall_progs.empty())
      std::printf(
          "note: %zu syscall program(s) from before enforcement still exist; what they load is "
          "refused (rule unadmitted-loader, docs/SECURITY.md)\n",
          r->preexisting_syscall_progs.size());
  }
  return 0;
}

namespace {
volatile sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }
} // namespace

int runAudit(int argc, char **argv) {
  static const option kOptions[] = {{"json", no_argument, nullptr, 'j'},
                                    {"follow", no_argument, nullptr, 'f'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  bool json = false, follow = false;
  int c;
  while ((c = getopt_long(argc, argv, "fh", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'j': json = true; break;
    case 'f': follow = true; break;
    case 'h':
      std::printf(
          "usage: bpfseal audit [--json] [--follow]\n\n"
          "Prints the decisions of the active enforcement policy (bpfseal enforce), one per\n"
          "line (JSON lines with --json), and consumes them; --follow waits for more.\n"
          "When the policy lost events to a full ring buffer, a last line says how many\n"
          "since it started (JSON: {\"event\":\"dropped\",\"dropped_events\":N}).\n");
      return 0;
    default: return usageError("audit", "unknown option");
    }
  }
  if (optind != argc)
    return usageError("audit", "no arguments expected");
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  Status s = enforce::readAudit(
      follow,
      [&](const bpfseal_enforce_event &e) {
        std::string comm = escaped(e.comm, sizeof e.comm), name = escaped(e.name, sizeof e.name);
        std::string verdict =
            e.sig_verdict == BPFSEAL_VERDICT_NONE ? "none" : std::to_string(e.sig_verdict);
        if (json) {
          nlohmann::ordered_json j = {{"ts_ns", e.ts_ns},
                                      {"event", enforce::eventKindName(e.kind)},
                                      {"decision", enforce::decisionName(e.decision)},
                                      {"rule", enforce::ruleName(e.rule)},
                                      {"mode", e.mode ? "audit" : "enforce"},
                                      {"pid", e.pid},
                                      {"uid", e.uid},
                                      {"comm", comm},
                                      {"cgroup_id", e.cgroup_id}};
          if (e.kind == BPFSEAL_EV_PROG_LOAD) {
            j["prog_type"] = enforce::progTypeName(e.prog_type);
            j["name"] = name;
            j["insn_cnt"] = e.insn_cnt;
            j["kernel"] = bool(e.kernel);
            j["signature"] = bool(e.signature);
            j["keyring"] = e.keyring;
            j["sig_verdict"] = verdict;
            if (e.sig_verdict != BPFSEAL_VERDICT_NONE) {
              j["sig_keyring_type"] = e.sig_keyring_type;
              j["sig_keyring_serial"] = e.sig_keyring_serial;
            }
          } else if (e.kind == BPFSEAL_EV_PROG_LOADED) {
            j["prog_type"] = enforce::progTypeName(e.prog_type);
            j["name"] = name;
            j["insn_cnt"] = e.insn_cnt;
            j["prog_id"] = e.prog_id;
            j["tag"] = tagHex(e.tag);
          } else if (e.kind == BPFSEAL_EV_BPF_CMD) {
            j["cmd"] = e.cmd;
          } else if (e.kind == BPFSEAL_EV_MAP_WRITE) {
            j["name"] = name;
          }
          std::printf("%s\n", j.dump().c_str());
        } else if (e.kind == BPFSEAL_EV_PROG_LOAD) {
          std::printf(
              "%s %s rule=%s pid=%u uid=%u comm=%s cgroup=%llu prog_type=%s name=%s insns=%u "
              "kernel=%d signature=%d keyring=%d verdict=%s verdict_keyring=%d/%d\n",
              enforce::decisionName(e.decision).c_str(), enforce::eventKindName(e.kind).c_str(),
              enforce::ruleName(e.rule).c_str(), e.pid, e.uid, comm.c_str(),
              (unsigned long long)e.cgroup_id, enforce::progTypeName(e.prog_type).c_str(),
              name.c_str(), e.insn_cnt, e.kernel, e.signature, e.keyring, verdict.c_str(),
              e.sig_keyring_type, e.sig_keyring_serial);
        } else if (e.kind == BPFSEAL_EV_PROG_LOADED) {
          std::printf(
              "%s %s rule=%s pid=%u uid=%u comm=%s cgroup=%llu prog_type=%s name=%s insns=%u "
              "id=%u tag=%s\n",
              enforce::decisionName(e.decision).c_str(), enforce::eventKindName(e.kind).c_str(),
              enforce::ruleName(e.rule).c_str(), e.pid, e.uid, comm.c_str(),
              (unsigned long long)e.cgroup_id, enforce::progTypeName(e.prog_type).c_str(),
              name.c_str(), e.insn_cnt, e.prog_id, tagHex(e.tag).c_str());
        } else {
          std::printf("%s %s rule=%s pid=%u uid=%u comm=%s cgroup=%llu cmd=%u name=%s\n",
                      enforce::decisionName(e.decision).c_str(),
                      enforce::eventKindName(e.kind).c_str(), enforce::ruleName(e.rule).c_str(),
                      e.pid, e.uid, comm.c_str(), (unsigned long long)e.cgroup_id, e.cmd,
                      name.c_str());
        }
        std::fflush(stdout);
        return !g_stop;
      },
      [&](uint64_t dropped) {
        if (json)
          std::printf("%s\n",
                      nlohmann::ordered_json{{"event", "dropped"}, {"dropped_events", dropped}}
                          .dump()
                          .c_str());
        else
          std::printf(
              "dropped %llu event(s) since enforcement started: the audit ring buffer was full "
              "(read it more often: bpfseal audit --follow)\n",
              static_cast<unsigned long long>(dropped));
        std::fflush(stdout);
      });
  if (!s)
    return reportError("audit", s.error());
  return 0;
}

} // namespace bpfseal::cli

// What the running kernel offers for signed loading, measured by behaviour
// and BTF, never by version strings.
#include "bpfseal/bpfseal.hpp"
#include "bpfseal/btf_layout.h"
#include "sys.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <mutex>
#include <optional>
#include <sys/utsname.h>
#include <unistd.h>

namespace bpfseal {
namespace {

// Loads "r0 = 0; exit" as an fentry program on a function every kernel has.
int probeTrampoline(const struct btf *btf) {
  int id = btf__find_by_name_kind(btf, "do_nanosleep", BTF_KIND_FUNC);
  if (id < 0)
    id = btf__find_by_name_kind(btf, "__x64_sys_getpid", BTF_KIND_FUNC);
  if (id < 0)
    return ENOENT;
  const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<uint32_t>(id));
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bpfseal_probe", "GPL", insns, 2, &opts);
  if (fd < 0)
    return errno;
  ::close(fd);
  return 0;
}

void probeBtf(KernelSupport &ks) {
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf) {
    ks.layout_error = "kernel BTF (/sys/kernel/btf/vmlinux) is not readable: " +
                      std::string(std::strerror(errno));
    return;
  }
  using btf_layout::memberOffset;
  ks.signing_uapi = memberOffset(btf, "bpf_attr", BTF_KIND_UNION, "keyring_id").has_value();
  ks.map_hash = memberOffset(btf, "bpf_map_info", BTF_KIND_STRUCT, "hash").has_value();
  ks.tcx = btf_layout::enumHas(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
  ks.trampoline_errno = probeTrampoline(btf);
  if (auto layout = btf_layout::mapLayout(btf))
    ks.layout = *layout;
  else
    ks.layout_error = layout.error().msg;
  btf__free(btf);
}

} // namespace

const KernelSupport &kernelSupport() {
  static KernelSupport support;
  static std::once_flag once;
  std::call_once(once, [] {
    struct utsname u{};
    if (::uname(&u) == 0)
      support.release = u.release;
    probeBtf(support);
    support.signed_load_errno = sys::probeSignedLoadErrno();
    support.verifies_signatures = support.signed_load_errno == EBADMSG;
    support.exclusive_maps = sys::probeExclusiveMaps();
    support.syscall_prog_errno = sys::probeSyscallProgErrno();
    support.core_at_load = sys::probeCoreAtLoad();
    support.kprobe_pmu = ::access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
    support.uprobe_pmu = ::access("/sys/bus/event_source/devices/uprobe/type", R_OK) == 0;
  });
  return support;
}

const format::LoaderImage *matchingLoaderCheck(const format::SealedObject &sealed,
                                               const KernelSupport &kernel) {
  if (!kernel.layout)
    return nullptr;
  for (const format::LoaderImage &loader : sealed.loaders)
    if (loader.info.kind == format::LoaderKind::LoaderCheck && loader.info.layout == *kernel.layout)
      return &loader;
  return nullptr;
}

} // namespace bpfseal

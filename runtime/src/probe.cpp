// What the running kernel offers for signed loading, measured by behaviour
// and BTF, never by version strings.
#include "probe.h"
#include "bpfseal/bpfseal.hpp"
#include "bpfseal/btf_layout.h"
#include "btf_view.h"
#include "sys.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/utsname.h>
#include <unistd.h>

namespace bpfseal {
namespace {

// Loads "r0 = 0; exit" as an fentry program on a function every kernel has
// (`func_id`: its BTF id, 0 if the kernel has neither candidate).
int probeTrampoline(uint32_t func_id) {
  if (!func_id)
    return ENOENT;
  const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = func_id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bpfseal_probe", "GPL", insns, 2, &opts);
  if (fd < 0)
    return errno;
  ::close(fd);
  return 0;
}

constexpr const char *kVmlinuxBtf = "/sys/kernel/btf/vmlinux";

// The mapped vmlinux BTF, kept for the process: loadSupport() walks it as
// far as the load's four names, kernelSupport() on to the fentry probe's
// target function (btf_view.h says why not btf__load_vmlinux_btf()).
std::unique_ptr<btf::View> vmlinux_view;

// The BTF facts a load decides with, from the view.
Status probeBtfView(KernelSupport &ks) {
  auto view = btf::View::open(kVmlinuxBtf);
  if (!view)
    return view.takeError();
  vmlinux_view = view.take();
  btf::View &v = *vmlinux_view;
  enum { kAttr, kMapInfo, kAttachType, kMap };
  auto found = v.find({{"bpf_attr", BTF_KIND_UNION},
                       {"bpf_map_info", BTF_KIND_STRUCT},
                       {"bpf_attach_type", BTF_KIND_ENUM},
                       {"bpf_map", BTF_KIND_STRUCT}});
  if (!found)
    return found.takeError();
  const std::vector<uint32_t> &ids = *found;
  ks.signing_uapi = ids[kAttr] && v.memberOffset(ids[kAttr], "keyring_id").has_value();
  ks.map_hash = ids[kMapInfo] && v.memberOffset(ids[kMapInfo], "hash").has_value();
  ks.tcx = ids[kAttachType] && v.enumHas(ids[kAttachType], "BPF_TCX_INGRESS");
  auto layout = btf_layout::mapLayout([&](const char *member) -> std::optional<uint32_t> {
    return ids[kMap] ? v.memberOffset(ids[kMap], member) : std::nullopt;
  });
  if (layout)
    ks.layout = *layout;
  else
    ks.layout_error = layout.error().msg;
  return ok();
}

// BTF id of the fentry probe's target function (0: none): do_nanosleep, else
// __x64_sys_getpid; from the view where loadSupport() made one, else libbpf.
uint32_t trampolineTarget() {
  if (vmlinux_view) {
    if (auto ids = vmlinux_view->find(
            {{"do_nanosleep", BTF_KIND_FUNC}, {"__x64_sys_getpid", BTF_KIND_FUNC}}))
      return (*ids)[0] ? (*ids)[0] : (*ids)[1];
  }
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf)
    return 0;
  int id = btf__find_by_name_kind(btf, "do_nanosleep", BTF_KIND_FUNC);
  if (id < 0)
    id = btf__find_by_name_kind(btf, "__x64_sys_getpid", BTF_KIND_FUNC);
  btf__free(btf);
  return id > 0 ? uint32_t(id) : 0;
}

// The same facts through libbpf's full parse: only where the view cannot
// walk this BTF (a BTF kind newer than this reader knows), so a new kernel
// is probed slowly rather than wrongly.
void probeBtfLibbpf(KernelSupport &ks) {
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf) {
    ks.layout_error =
        std::string("kernel BTF (") + kVmlinuxBtf + ") is not readable: " + std::strerror(errno);
    return;
  }
  using btf_layout::memberOffset;
  ks.signing_uapi = memberOffset(btf, "bpf_attr", BTF_KIND_UNION, "keyring_id").has_value();
  ks.map_hash = memberOffset(btf, "bpf_map_info", BTF_KIND_STRUCT, "hash").has_value();
  ks.tcx = btf_layout::enumHas(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
  if (auto layout = btf_layout::mapLayout(btf))
    ks.layout = *layout;
  else
    ks.layout_error = layout.error().msg;
  btf__free(btf);
}

KernelSupport support;

} // namespace

// The facts a load decides with (probe.h); the rest of KernelSupport is
// probed by kernelSupport() on first use, so a load does not pay for the
// signed-load, fentry and PMU probes it never reads.
const KernelSupport &loadSupport() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct utsname u{};
    if (::uname(&u) == 0)
      support.release = u.release;
    if (!probeBtfView(support)) {
      vmlinux_view.reset();
      if (::access(kVmlinuxBtf, R_OK) != 0) {
        support.layout_error = std::string("kernel BTF (") + kVmlinuxBtf +
                               ") is not readable: " + std::strerror(errno);
      } else {
        support = KernelSupport{};
        support.release = u.release;
        probeBtfLibbpf(support);
      }
    }
    support.exclusive_maps = sys::probeExclusiveMaps();
    support.syscall_prog_errno = sys::probeSyscallProgErrno();
    support.core_at_load = sys::probeCoreAtLoad();
  });
  return support;
}

const KernelSupport &kernelSupport() {
  static std::once_flag once;
  std::call_once(once, [] {
    loadSupport();
    support.signed_load_errno = sys::probeSignedLoadErrno();
    support.verifies_signatures = support.signed_load_errno == EBADMSG;
    support.trampoline_errno = probeTrampoline(trampolineTarget());
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

// Object internals shared by the runtime's translation units.
#pragma once

#include "bpfseal/bpfseal.hpp"
#include "sys.h"

#include <functional>
#include <linux/perf_event.h>
#include <optional>

namespace bpfseal {

// Fds produced by one successful loader run, in manifest order.
struct LoadedFds {
  std::vector<sys::UniqueFd> maps;
  std::vector<sys::UniqueFd> progs; // invalid for programs of alternative groups not kept
  std::string alternative;          // the alternative group kept ("" without groups)
  std::string alternative_note;     // why each group before it was not kept
};

// Verifies according to the mode and creates the programs and maps by the
// right path (load.cpp). `file` is the whole sealed file `sealed` was read
// from (the libbpf path loads its ELF).
Result<LoadReport> loadSealed(std::span<const uint8_t> file, const format::SealedObject &sealed,
                              const LoadOptions &options, LoadedFds &out);

// What keeps one attachment alive; destroying it detaches.
struct LinkResources {
  sys::UniqueFd link;           // bpf link (or raw tracepoint) fd
  sys::UniqueFd perf_event;     // tracepoint/kprobe/uprobe perf event under the link
  std::function<void()> detach; // attachments without a link fd (legacy tc)
  LinkResources() = default;
  LinkResources(LinkResources &&) noexcept = default;
  LinkResources &operator=(LinkResources &&other) noexcept {
    if (this != &other) {
      release();
      link = std::move(other.link);
      perf_event = std::move(other.perf_event);
      detach = std::exchange(other.detach, nullptr);
    }
    return *this;
  }
  ~LinkResources() { release(); }
  void release() {
    if (detach)
      std::exchange(detach, nullptr)();
    link.reset();
    perf_event.reset();
  }
};

struct AttachOutcome {
  bool attached = false;
  std::string description;
  LinkResources resources;
  // Further attachments of the same program (a USDT probe with several
  // sites: one uprobe link each), kept and pinned like `resources`.
  std::vector<LinkResources> more;
};

// The object's __bpf_usdt_specs map (usdt.bpf.h) and the next free spec id.
struct UsdtSpecs {
  int map_fd = -1;
  uint32_t max_entries = 0;
  uint32_t *next_id = nullptr;
};

// Helpers of attach.cpp shared with usdt.cpp.
int perfEventOpen(perf_event_attr *attr, int pid, int cpu); // fd or -errno
// The perf PMU's type and the bit of `config` that makes a return probe.
Result<std::pair<uint32_t, int>> probePmu(const char *pmu);
// A binary named without '/' looked up in PATH and the library directories.
std::string findInPath(const std::string &binary);

// Attaches `program` by its section; `target` may be empty (attach.cpp).
Result<AttachOutcome> attachProgram(const Program &program, std::string_view target,
                                    const AttachOptions &options, const UsdtSpecs &usdt = {});

// USDT: the probe from the section ("usdt/BINARY:PROVIDER:NAME") or the
// target ("BINARY:PROVIDER:NAME[@PID]") (usdt.cpp).
Result<AttachOutcome> attachUsdt(const Program &p, std::string_view section_rest,
                                 std::string_view target, const UsdtSpecs &specs);

// The map or program whose refusal made a loader fail with -err, named from
// the kernel's answers for each alone (diagnose.cpp); nullopt: not found.
std::optional<Error> diagnoseLoaderFailure(const format::Manifest &manifest, int err);

// Trims a verifier log to its last `lines` meaningful lines, one line joined by " | ".
std::string trimVerifierLog(std::string_view log, size_t lines = 6);

} // namespace bpfseal

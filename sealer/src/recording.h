// Edits of a gen_loader recording (loader instructions + data blob) for what
// libbpf 1.1 decides on the sealing machine but the target must decide:
// kconfig extern values and fentry/fexit attach targets. Each edit first
// finds the exact instruction pattern libbpf's gen_loader.c emits for it and
// refuses (never guesses) when the pattern is not there exactly as expected.
#pragma once

#include "bpfseal/error.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bpfseal::sealer {

struct Recording {
  std::vector<uint8_t> insns; // struct bpf_insn[] of the gen_loader body
  std::vector<uint8_t> blob;  // its data blob
};

// Blob offset of the initial value the loader writes into map `map_idx`
// (bpf_gen__map_update_elem: "if (map_desc[idx].initial_value) copy_from_user
// (value, ...)" then BPF_MAP_UPDATE_ELEM). Exactly one such site must exist.
Result<uint32_t> mapInitialValueOffset(const Recording &rec, uint32_t map_idx, uint32_t value_size);

// A BPF_FUNC_btf_find_by_name_kind call that resolves a program's attach
// target at load (emit_find_attach_target), in loader order: one per program
// with a BTF attach target, in the order the programs load.
struct AttachSite {
  size_t name_insn = 0; // index of the ld_imm64 loading the name's blob address
  size_t len_insn = 0;  // index of "r2 = strlen(name) + 1"
  std::string name;     // the name as recorded (with libbpf's prefix, e.g. "bpf_lsm_")
};
Result<std::vector<AttachSite>> attachSites(const Recording &rec);

// Makes `site` look up `name` instead: appends it to the blob (8-aligned, as
// gen_loader's add_data) and points the site at it.
Status retargetAttachSite(Recording &rec, const AttachSite &site, const std::string &name);

// Makes the load of program #prog_idx (gen_loader order) optional, for
// alternative program groups (`bpfseal seal --alternative`): a refusal of
// that program no longer fails the loader; its -errno is left as its prog_fd
// in the loader context and the loader goes on with the next command.
//
// In libbpf's loader a program's part is: attr set-up, the attach-target
// lookup (btf_find_by_name_kind) and typeless ksym lookups
// (kallsyms_lookup_name), each followed by "if (r7 < 0) goto cleanup";
// BPF_PROG_LOAD; "r7 = r0"; closes of the BTF fds those lookups opened; the
// check; "prog_fd[idx] = r7". The edit points each check before BPF_PROG_LOAD
// at the instruction after "r7 = r0" (so what the lookups opened is closed as
// on success, and r7 keeps the error) and the check after it at the store.
// Nothing else changes. Refused (never guessed) unless that exact shape is
// there: in particular a program with typed __ksym or kfunc lookups (whose
// BTF fds live in slots shared with other programs) cannot be made optional.
Status makeProgramOptional(Recording &rec, uint32_t prog_idx);

// Gives libbpf's loader room for every program fd it stores. gen_loader keeps
// them in a fixed struct on the loader's stack ({ btf_fd; inner_map_fd;
// prog_fd[32]; }, 136 bytes below r10) but does not stop at 32: slot i >= 32
// lies at or above r10, which the verifier refuses. Its cleanup code reads a
// slot for every program of the object (subprograms and disabled ones too).
// The edit finds the slot count from that cleanup code, moves the struct down
// so that all slots fit (8 + 4 * slots bytes, at most the kernel's 512-byte
// stack: 126 slots) and shifts every r10-relative access by the same amount.
// A recording whose slots fit in 136 bytes is left byte for byte as it is.
// Refused (never guessed) unless every use of r10 in the body is gen_loader's
// stack set-up or a 4-byte access to one of the struct's slots. Run it after
// every other edit: they find program slots at libbpf's own offsets.
// Returns the number of program slots.
Result<uint32_t> fitProgramSlots(Recording &rec);

// The most program slots the loader stack can hold (see fitProgramSlots).
inline constexpr uint32_t kMaxLoaderProgramSlots = (512 - 8) / 4;

} // namespace bpfseal::sealer

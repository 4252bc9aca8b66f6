#include "recording.h"

#include <linux/bpf.h>

#include <cstddef>
#include <cstring>

namespace bpfseal::sealer {
namespace {

struct Insn {
  uint8_t code;
  uint8_t dst;
  uint8_t src;
  int16_t off;
  int32_t imm;
};

constexpr size_t kInsnSize = 8;
// struct bpf_loader_ctx and struct bpf_map_desc of libbpf's skel_internal.h.
constexpr uint32_t kCtxHeaderSize = 24;
constexpr uint32_t kMapDescSize = 16;
constexpr uint32_t kMapDescInitialValue = 8;

size_t count(const Recording &rec) { return rec.insns.size() / kInsnSize; }

Insn at(const Recording &rec, size_t i) {
  const uint8_t *p = rec.insns.data() + i * kInsnSize;
  Insn in;
  in.code = p[0];
  in.dst = p[1] & 0xf;
  in.src = p[1] >> 4;
  std::memcpy(&in.off, p + 2, 2);
  std::memcpy(&in.imm, p + 4, 4);
  return in;
}

void setImm(Recording &rec, size_t i, int32_t imm) {
  std::memcpy(rec.insns.data() + i * kInsnSize + 4, &imm, 4);
}

constexpr uint8_t kLdImm64 = BPF_LD | BPF_IMM | BPF_DW;
constexpr uint8_t kMovImm = BPF_ALU64 | BPF_MOV | BPF_K;
constexpr uint8_t kCall = BPF_JMP | BPF_CALL;

// "rDST = blob + off" (BPF_PSEUDO_MAP_IDX_VALUE of the metadata map) at i.
bool isBlobAddress(const Recording &rec, size_t i, uint8_t dst, uint32_t *off) {
  if (i + 1 >= count(rec))
    return false;
  Insn a = at(rec, i), b = at(rec, i + 1);
  if (a.code != kLdImm64 || a.dst != dst || a.src != BPF_PSEUDO_MAP_IDX_VALUE || a.imm != 0 ||
      b.code != 0 || b.imm < 0)
    return false;
  *off = uint32_t(b.imm);
  return true;
}

bool isMovImm(const Insn &in, uint8_t dst) { return in.code == kMovImm && in.dst == dst; }

} // namespace

Result<uint32_t> mapInitialValueOffset(const Recording &rec, uint32_t map_idx,
                                       uint32_t value_size) {
  const int16_t ctx_off = int16_t(kCtxHeaderSize + kMapDescSize * map_idx + kMapDescInitialValue);
  std::vector<uint32_t> found;
  for (size_t i = 0; i + 5 < count(rec); ++i) {
    Insn ldx = at(rec, i), jeq = at(rec, i + 1);
    uint32_t off = 0;
    if (ldx.code == (BPF_LDX | BPF_MEM | BPF_DW) && ldx.dst == BPF_REG_3 && ldx.src == BPF_REG_6 &&
        ldx.off == ctx_off && jeq.code == (BPF_JMP | BPF_JEQ | BPF_K) && jeq.dst == BPF_REG_3 &&
        jeq.imm == 0 && isBlobAddress(rec, i + 2, BPF_REG_1, &off) &&
        isMovImm(at(rec, i + 4), BPF_REG_2) && uint32_t(at(rec, i + 4).imm) == value_size)
      found.push_back(off);
  }
  if (found.size() != 1)
    return makeError(EPROTO,
                     "libbpf's loader writes map #" + std::to_string(map_idx) + " at " +
                         std::to_string(found.size()) + " places, not exactly one",
                     "this libbpf's gen_loader output is not what bpfseal knows; report it");
  if (uint64_t(found[0]) + value_size > rec.blob.size())
    return makeError(EPROTO,
                     "map #" + std::to_string(map_idx) + "'s initial value lies outside the blob");
  return found[0];
}

Result<std::vector<AttachSite>> attachSites(const Recording &rec) {
  std::vector<AttachSite> sites;
  for (size_t i = 0; i + 6 < count(rec); ++i) {
    uint32_t off = 0;
    if (!isBlobAddress(rec, i, BPF_REG_1, &off))
      continue;
    Insn len = at(rec, i + 2), kind = at(rec, i + 3), flags = at(rec, i + 4), call = at(rec, i + 5);
    if (!isMovImm(len, BPF_REG_2) || !isMovImm(kind, BPF_REG_3) || !isMovImm(flags, BPF_REG_4) ||
        call.code != kCall || call.imm != BPF_FUNC_btf_find_by_name_kind)
      continue;
    // An attach target (not a ksym or kfunc, which use the same helper) is
    // stored into the BPF_PROG_LOAD attr's attach_btf_id right after:
    // "*(u32 *)(r0 + offsetof(attach_btf_id)) = r7".
    bool attach = false;
    for (size_t j = i + 6; j < count(rec) && j < i + 24 && !attach; ++j) {
      Insn st = at(rec, j);
      attach = st.code == (BPF_STX | BPF_MEM | BPF_W) && st.dst == BPF_REG_0 &&
               st.src == BPF_REG_7 && st.off == int16_t(offsetof(union bpf_attr, attach_btf_id));
      if (at(rec, j).code == kCall) // the next helper call: no store in between
        break;
    }
    if (!attach)
      continue;
    if (len.imm <= 1 || uint64_t(off) + uint32_t(len.imm) > rec.blob.size() ||
        rec.blob[off + uint32_t(len.imm) - 1] != 0)
      return makeError(EPROTO, "an attach-target lookup of the loader names no string of the blob");
    AttachSite s;
    s.name_insn = i;
    s.len_insn = i + 2;
    s.name.assign(reinterpret_cast<const char *>(rec.blob.data() + off), size_t(len.imm) - 1);
    sites.push_back(std::move(s));
  }
  return sites;
}

Status retargetAttachSite(Recording &rec, const AttachSite &site, const std::string &name) {
  if (name.empty() || name.size() > 127 || name.find('\0') != std::string::npos)
    return makeError(EINVAL, "attach target '" + name + "' is not a kernel function name");
  size_t off = rec.blob.size();
  if (off > uint64_t(INT32_MAX) - 256)
    return makeError(E2BIG, "the loader's data blob is too large to extend");
  rec.blob.insert(rec.blob.end(), name.begin(), name.end());
  rec.blob.resize((rec.blob.size() + 1 + 7) / 8 * 8, 0);
  setImm(rec, site.name_insn + 1, int32_t(off));
  setImm(rec, site.len_insn, int32_t(name.size() + 1));
  return ok();
}

namespace {

constexpr uint8_t kJsltImm = BPF_JMP | BPF_JSLT | BPF_K;
constexpr uint8_t kMovReg = BPF_ALU64 | BPF_MOV | BPF_X;
constexpr uint8_t kStxW = BPF_STX | BPF_MEM | BPF_W;
// struct loader_stack of libbpf 1.1's gen_loader.c: u32 btf_fd, inner_map_fd,
// prog_fd[32] at r10 - 136: prog_fd[i] is at r10 - 128 + 4 * i (as recorded,
// for any i: see fitProgramSlots).
constexpr int kRecordedStackSize = 136;
constexpr int kProgFdStackOff = -kRecordedStackSize + 8;

// Target of the conditional jump at i (i + 1 + off).
long jumpTarget(const Recording &rec, size_t i) { return long(i) + 1 + at(rec, i).off; }

// "if (r7 < 0) goto ..." (emit_check_err) at i.
bool isErrCheck(const Insn &in) {
  return in.code == kJsltImm && in.dst == BPF_REG_7 && in.src == 0 && in.imm == 0;
}

bool isCall(const Insn &in, int32_t helper) {
  return in.code == kCall && in.src == 0 && in.imm == helper;
}

void setOff(Recording &rec, size_t i, int16_t off) {
  std::memcpy(rec.insns.data() + i * kInsnSize + 2, &off, 2);
}

// emit_sys_close_blob: "r0 = blob + off; r1 = *(u32 *)r0; if (r1 s<= 0) goto +2;
// r9 = r1; call sys_close" (6 instructions) at i.
bool isCloseBlob(const Recording &rec, size_t i) {
  uint32_t off = 0;
  if (i + 6 > count(rec) || !isBlobAddress(rec, i, BPF_REG_0, &off))
    return false;
  Insn ldx = at(rec, i + 2), jsle = at(rec, i + 3), mov = at(rec, i + 4), call = at(rec, i + 5);
  return ldx.code == (BPF_LDX | BPF_MEM | BPF_W) && ldx.dst == BPF_REG_1 && ldx.src == BPF_REG_0 &&
         ldx.off == 0 && jsle.code == (BPF_JMP | BPF_JSLE | BPF_K) && jsle.dst == BPF_REG_1 &&
         jsle.imm == 0 && jsle.off == 2 && mov.code == kMovReg && mov.dst == BPF_REG_9 &&
         mov.src == BPF_REG_1 && isCall(call, BPF_FUNC_sys_close);
}

// Index of the one "*(u32 *)(r10 + prog_fd[idx]) = r7", or n.
size_t progFdStore(const Recording &rec, uint32_t idx, size_t *found) {
  const int16_t slot = int16_t(kProgFdStackOff + 4 * int(idx));
  size_t store = count(rec);
  *found = 0;
  for (size_t i = 0; i < count(rec); ++i) {
    Insn in = at(rec, i);
    if (in.code == kStxW && in.dst == BPF_REG_10 && in.src == BPF_REG_7 && in.off == slot) {
      store = i;
      ++*found;
    }
  }
  return store;
}

} // namespace

Status makeProgramOptional(Recording &rec, uint32_t prog_idx) {
  auto unknown = [&](const std::string &what) {
    return makeError(EPROTO,
                     "cannot make program #" + std::to_string(prog_idx) +
                         " of libbpf's loader optional: " + what,
                     "this libbpf's gen_loader output is not what bpfseal knows; report it");
  };
  const size_t n = count(rec);
  if (prog_idx >= kMaxLoaderProgramSlots)
    return unknown("no such program slot");
  // The cleanup label: the target of the first check (the BTF or first map
  // command's); every check of the loader jumps there.
  long cleanup = -1;
  for (size_t i = 0; i < n && cleanup < 0; ++i)
    if (isErrCheck(at(rec, i)))
      cleanup = jumpTarget(rec, i);
  if (cleanup < 0)
    return unknown("it has no error check");
  size_t stores = 0;
  const size_t store = progFdStore(rec, prog_idx, &stores);
  if (stores != 1)
    return unknown(std::to_string(stores) + " stores of its prog_fd, not one");
  const size_t check = store - 1;
  if (store == 0 || !isErrCheck(at(rec, check)) || jumpTarget(rec, check) != cleanup)
    return unknown("no error check right before the store of its prog_fd");
  // Its BPF_PROG_LOAD (emit_sys_bpf: "r1 = cmd; r2 = attr; r3 = size; call
  // sys_bpf; r7 = r0"): the last sys_bpf call before the check.
  size_t load = check;
  while (load > 0 && !isCall(at(rec, load), BPF_FUNC_sys_bpf))
    --load;
  if (load < 4 || !isMovImm(at(rec, load - 4), BPF_REG_1) || at(rec, load - 4).imm != BPF_PROG_LOAD)
    return unknown("no BPF_PROG_LOAD before the store of its prog_fd");
  Insn r7 = at(rec, load + 1);
  if (r7.code != kMovReg || r7.dst != BPF_REG_7 || r7.src != BPF_REG_0)
    return unknown("BPF_PROG_LOAD's result is not moved to r7");
  // Between "r7 = r0" and the check only closes of blob fds (cleanup_relos
  // and the attach target's BTF object): r7 survives them.
  const size_t landing = load + 2;
  if (landing > check || (check - landing) % 6 != 0)
    return unknown("something other than fd closes after its BPF_PROG_LOAD");
  for (size_t i = landing; i < check; i += 6)
    if (!isCloseBlob(rec, i))
      return unknown("something other than fd closes after its BPF_PROG_LOAD");
  // Where its part begins: after the previous program's prog_fd store, or
  // for the first program after the check of the last command before it.
  size_t start = 0;
  if (prog_idx > 0) {
    size_t prev_stores = 0;
    size_t prev = progFdStore(rec, prog_idx - 1, &prev_stores);
    if (prev_stores != 1 || prev >= load)
      return unknown("the previous program's prog_fd store is not before it");
    start = prev + 1;
  } else {
    size_t cmd = load;
    while (cmd > 0 && !isCall(at(rec, --cmd), BPF_FUNC_sys_bpf)) {
    }
    if (!isCall(at(rec, cmd), BPF_FUNC_sys_bpf))
      return unknown("no bpf() command before it");
    for (start = cmd + 1; start < load && !isErrCheck(at(rec, start)); ++start) {
    }
    if (start == load)
      return unknown("no check of the bpf() command before it");
    ++start;
  }
  // Its part before BPF_PROG_LOAD may call only the attach-target lookup and
  // kallsyms_lookup_name (typeless ksyms open no fd); each check there goes
  // to the landing. Every other jump must stay inside the part.
  std::vector<AttachSite> own;
  if (auto sites = attachSites(rec); !sites)
    return sites.takeError();
  else
    for (const AttachSite &s : *sites)
      if (s.name_insn >= start && s.name_insn < load)
        own.push_back(s);
  if (own.size() > 1)
    return unknown("more than one attach-target lookup");
  std::vector<size_t> retarget;
  for (size_t i = start; i < load; ++i) {
    Insn in = at(rec, i);
    if (in.code == kCall) {
      bool attach_lookup =
          isCall(in, BPF_FUNC_btf_find_by_name_kind) && !own.empty() && i == own[0].name_insn + 5;
      if (isCall(in, BPF_FUNC_btf_find_by_name_kind) && !attach_lookup)
        return makeError(EOPNOTSUPP,
                         "program #" + std::to_string(prog_idx) +
                             " uses a typed __ksym or a kfunc, which a program of an alternative "
                             "group cannot: libbpf's loader keeps their BTF fds in slots shared "
                             "with other programs, so a refusal could not be undone exactly",
                         "keep kfuncs and typed __ksym variables out of alternative groups");
      if (!attach_lookup && !isCall(in, BPF_FUNC_kallsyms_lookup_name))
        return unknown("an unexpected helper call (" + std::to_string(in.imm) +
                       ") before its load");
      continue;
    }
    if (in.code == kLdImm64) {
      ++i;
      continue;
    }
    if (BPF_CLASS(in.code) != BPF_JMP && BPF_CLASS(in.code) != BPF_JMP32)
      continue;
    if (BPF_OP(in.code) == BPF_EXIT)
      return unknown("an exit in its part");
    long target = jumpTarget(rec, i);
    if (isErrCheck(in) && target == cleanup)
      retarget.push_back(i);
    else if (target < long(start) || target > long(load))
      return unknown("a jump out of its part");
  }
  for (size_t i : retarget) {
    long off = long(landing) - long(i) - 1;
    if (off > INT16_MAX)
      return unknown("its part is too long for a jump");
    setOff(rec, i, int16_t(off));
  }
  setOff(rec, check, 0); // "if (r7 < 0) goto next": the store keeps the -errno
  return ok();
}

namespace {

bool usesR10AsBase(const Insn &in) {
  switch (BPF_CLASS(in.code)) {
  case BPF_LDX: return in.src == BPF_REG_10;
  case BPF_ST:
  case BPF_STX: return in.dst == BPF_REG_10;
  default: return false;
  }
}

bool mentionsR10(const Insn &in) { return in.dst == BPF_REG_10 || in.src == BPF_REG_10; }

} // namespace

Result<uint32_t> fitProgramSlots(Recording &rec) {
  auto unknown = [](const std::string &what) {
    return makeError(EPROTO, "cannot give libbpf's loader room for its program fds: " + what,
                     "this libbpf's gen_loader output is not what bpfseal knows; report it");
  };
  const size_t n = count(rec);
  // bpf_gen__init: "r6 = r1; r1 = r10; r1 += -136; r2 = 136; r3 = 0;
  // call probe_read_kernel; goto +cleanup_size", then the cleanup code, which
  // begins with "r1 = *(u32 *)(r10 + off); if (r1 s<= 0) goto +1; call
  // sys_close" for every u32 of the struct up to the last program slot.
  if (n < 7)
    return unknown("it is too short");
  Insn mov_ctx = at(rec, 0), base = at(rec, 1), add = at(rec, 2), size = at(rec, 3),
       zero = at(rec, 4), call = at(rec, 5);
  if (mov_ctx.code != (BPF_ALU64 | BPF_MOV | BPF_X) || mov_ctx.dst != BPF_REG_6 ||
      mov_ctx.src != BPF_REG_1 || base.code != (BPF_ALU64 | BPF_MOV | BPF_X) ||
      base.dst != BPF_REG_1 || base.src != BPF_REG_10 ||
      add.code != (BPF_ALU64 | BPF_ADD | BPF_K) || add.dst != BPF_REG_1 ||
      add.imm != -kRecordedStackSize || !isMovImm(size, BPF_REG_2) ||
      size.imm != kRecordedStackSize || !isMovImm(zero, BPF_REG_3) || zero.imm != 0 ||
      !isCall(call, BPF_FUNC_probe_read_kernel))
    return unknown("it does not begin with gen_loader's stack set-up");
  uint32_t words = 0;
  for (size_t i = 7; i + 2 < n; i += 3) {
    Insn ldx = at(rec, i), jsle = at(rec, i + 1), close = at(rec, i + 2);
    if (ldx.code != (BPF_LDX | BPF_MEM | BPF_W) || ldx.dst != BPF_REG_1 || ldx.src != BPF_REG_10 ||
        ldx.off != int16_t(-kRecordedStackSize + 4 * int(words)) ||
        jsle.code != (BPF_JMP | BPF_JSLE | BPF_K) || jsle.dst != BPF_REG_1 || jsle.imm != 0 ||
        jsle.off != 1 || !isCall(close, BPF_FUNC_sys_close))
      break;
    ++words;
  }
  if (words < 2)
    return unknown("its cleanup code closes no program fd slots");
  const uint32_t slots = words - 2;
  // Every r10 use: the set-up's "r1 = r10" or a u32 access inside the struct.
  const int extent = 4 * int(words);
  for (size_t i = 0; i < n; ++i) {
    Insn in = at(rec, i);
    if (in.code == kLdImm64) {
      ++i;
      continue;
    }
    if (i == 1 || !mentionsR10(in))
      continue;
    const int field = int(in.off) + kRecordedStackSize;
    if (!usesR10AsBase(in) || BPF_MODE(in.code) != BPF_MEM || BPF_SIZE(in.code) != BPF_W ||
        field < 0 || field % 4 != 0 || field >= extent)
      return unknown("instruction " + std::to_string(i) +
                     " uses r10 other than for a slot of its stack struct");
  }
  if (extent <= kRecordedStackSize)
    return slots;
  if (slots > kMaxLoaderProgramSlots)
    return makeError(E2BIG,
                     "the loader needs a stack slot for each of the object's " +
                         std::to_string(slots) +
                         " programs (subprograms and disabled programs included), but the "
                         "kernel's 512-byte BPF stack holds at most " +
                         std::to_string(kMaxLoaderProgramSlots),
                     "split the programs over several objects");
  const int stack_size = (extent + 7) / 8 * 8;
  const int shift = stack_size - kRecordedStackSize;
  setImm(rec, 2, -stack_size);
  setImm(rec, 3, stack_size);
  for (size_t i = 0; i < n; ++i) {
    Insn in = at(rec, i);
    if (in.code == kLdImm64) {
      ++i;
      continue;
    }
    if (i != 1 && mentionsR10(in))
      setOff(rec, i, int16_t(in.off - shift));
  }
  return slots;
}

} // namespace bpfseal::sealer

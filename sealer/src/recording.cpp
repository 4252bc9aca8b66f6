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

Result<uint32_t> mapInitialValueOffset(const Recording &rec, uint32_t map_idx, uint32_t value_size) {
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
    return makeError(EPROTO, "map #" + std::to_string(map_idx) + "'s initial value lies outside the blob");
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
      attach = st.code == (BPF_STX | BPF_MEM | BPF_W) && st.dst == BPF_REG_0 && st.src == BPF_REG_7 &&
               st.off == int16_t(offsetof(union bpf_attr, attach_btf_id));
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

} // namespace bpfseal::sealer

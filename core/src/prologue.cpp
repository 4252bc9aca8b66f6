#include "bpfseal/prologue.h"

#include <linux/bpf.h>

#include <cstring>

namespace bpfseal::format {
namespace {

// struct bpf_loader_ctx is 24 bytes, then struct bpf_map_desc[] of 16 bytes:
// { s32 map_fd; u32 max_entries; u64 initial_value; } (libbpf skel_internal.h).
constexpr int kCtxHeader = 24;
constexpr int kMapDescSize = 16;
constexpr int kMaxEntriesOff = 4;
constexpr int kInitialValueOff = 8;

enum Reg : uint8_t { R0 = 0, R1, R2, R3, R4, R5 };

class Emitter {
public:
  void insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    struct bpf_insn i;
    std::memset(&i, 0, sizeof i);
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    const uint8_t *p = reinterpret_cast<const uint8_t *>(&i);
    out.insert(out.end(), p, p + sizeof i);
  }
  void movImm(uint8_t dst, int32_t imm) { insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
  void orReg(uint8_t dst, uint8_t src) { insn(BPF_ALU64 | BPF_OR | BPF_X, dst, src, 0, 0); }
  void stx(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    insn(BPF_STX | size | BPF_MEM, dst, src, off, 0);
  }
  void ldx(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
  }
  void ldImm64(uint8_t dst, uint8_t pseudo, uint64_t value) {
    insn(BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, int32_t(uint32_t(value)));
    insn(0, 0, 0, 0, int32_t(uint32_t(value >> 32)));
  }
  // Conditional jumps to a label resolved later (forward only).
  enum Label { kWrongLayout, kHashMismatch, kNotExclusive, kBody, kLabels };
  void jmpImm(uint8_t op, uint8_t dst, int32_t imm, Label to) {
    fixups.push_back({count(), to});
    insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
  }
  void jmpReg(uint8_t op, uint8_t dst, uint8_t src, Label to) {
    fixups.push_back({count(), to});
    insn(BPF_JMP | op | BPF_X, dst, src, 0, 0);
  }
  void ja(Label to) {
    fixups.push_back({count(), to});
    insn(BPF_JMP | BPF_JA, 0, 0, 0, 0);
  }
  void bind(Label l) { labels[l] = count(); }
  void exit() { insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
  size_t count() const { return out.size() / sizeof(struct bpf_insn); }

  std::vector<uint8_t> finish() {
    for (const Fixup &f : fixups) {
      int16_t rel = int16_t(labels[f.to] - int(f.at) - 1);
      std::memcpy(out.data() + f.at * sizeof(struct bpf_insn) + offsetof(struct bpf_insn, off),
                  &rel, sizeof rel);
    }
    return std::move(out);
  }

private:
  struct Fixup {
    size_t at;
    Label to;
  };
  std::vector<uint8_t> out;
  std::vector<Fixup> fixups;
  int labels[kLabels] = {};
};

} // namespace

std::vector<uint8_t> buildPrologue(const PrologueSpec &spec) {
  Emitter e;
  // (0) The caller controls these context fields and no signature covers
  // them: libbpf 1.1's loader would resize maps by max_entries and copy
  // .data/.rodata from user memory at initial_value. Zero means "use the
  // values in the signed blob". STX of a zero register: the verifier refuses
  // BPF_ST into a context.
  e.movImm(R0, 0);
  for (uint32_t i = 0; i < spec.nr_maps; ++i) {
    int off = kCtxHeader + kMapDescSize * int(i);
    e.stx(BPF_W, R1, R0, int16_t(off + kMaxEntriesOff));
    e.stx(BPF_DW, R1, R0, int16_t(off + kInitialValueOff));
  }
  if (spec.kind != LoaderKind::LoaderCheck)
    return e.finish();

  const MapLayout &l = spec.layout;
  // r2 = the struct bpf_map of fd_array[0], the metadata map.
  e.ldImm64(R2, BPF_PSEUDO_MAP_IDX, 0);

  // (a) Cheap fields at this layout's offsets: on a kernel with another
  // layout they hold something else, so a wrongly chosen variant stops here
  // (or is refused by the verifier when an offset is out of bounds).
  e.ldx(BPF_W, R3, R2, int16_t(l.map_type_off));
  e.jmpImm(BPF_JNE, R3, BPF_MAP_TYPE_ARRAY, Emitter::kWrongLayout);
  e.ldx(BPF_W, R3, R2, int16_t(l.key_size_off));
  e.jmpImm(BPF_JNE, R3, 4, Emitter::kWrongLayout);
  e.ldx(BPF_W, R3, R2, int16_t(l.value_size_off));
  e.jmpImm(BPF_JNE, R3, int32_t(spec.metadata_size), Emitter::kWrongLayout);
  e.ldx(BPF_W, R3, R2, int16_t(l.max_entries_off));
  e.jmpImm(BPF_JNE, R3, 1, Emitter::kWrongLayout);
  // `frozen` is 1 for every metadata map (the kernel hashes only frozen
  // maps) and sits past the members whose size changes between kernels
  // (freeze_mutex, the work/rcu union): where those changed, so did the
  // excl_prog_sha offset, and this read finds another member's bytes. It
  // tells apart the measured layouts that differ only in excl_prog_sha
  // (6.18.15: 280, 7.3: 272), whatever the verifier would allow below.
  e.ldx(BPF_B, R3, R2, int16_t(l.frozen_off));
  e.jmpImm(BPF_JNE, R3, 1, Emitter::kWrongLayout);

  // (b) map->sha (offset 0 in every layout) == SHA-256(metadata), as four
  // 64-bit constants whose imm halves are the hash's 32-bit words 0..7.
  for (int k = 0; k < 4; ++k) {
    uint64_t word;
    std::memcpy(&word, spec.metadata_sha.data() + 8 * k, 8);
    e.ldx(BPF_DW, R3, R2, int16_t(8 * k));
    e.ldImm64(R4, 0, word);
    e.jmpReg(BPF_JNE, R3, R4, Emitter::kHashMismatch);
  }

  // (c) Exclusivity. `excl` where the kernel has it; and always a non-NULL,
  // non-zero excl_prog_sha: a map made exclusive to the all-zero digest or a
  // plain map (the two bypasses of the 6.18 scheme) fails here.
  if (l.excl_off >= 0) {
    e.ldx(BPF_W, R3, R2, int16_t(l.excl_off));
    e.jmpImm(BPF_JEQ, R3, 0, Emitter::kNotExclusive);
  }
  e.ldx(BPF_DW, R3, R2, int16_t(l.excl_prog_sha_off));
  e.jmpImm(BPF_JEQ, R3, 0, Emitter::kNotExclusive);
  e.ldx(BPF_DW, R4, R3, 0);
  for (int16_t k = 8; k < 32; k += 8) {
    e.ldx(BPF_DW, R5, R3, k);
    e.orReg(R4, R5);
  }
  e.jmpImm(BPF_JEQ, R4, 0, Emitter::kNotExclusive);
  e.ja(Emitter::kBody);

  // Positive verdicts: the gen_loader body returns only 0 or -errno, so the
  // runtime can tell a prologue refusal from a kernel refusal.

  e.bind(Emitter::kWrongLayout);
  e.movImm(R0, int32_t(PrologueVerdict::WrongLayout));
  e.exit();
  e.bind(Emitter::kHashMismatch);
  e.movImm(R0, int32_t(PrologueVerdict::HashMismatch));
  e.exit();
  e.bind(Emitter::kNotExclusive);
  e.movImm(R0, int32_t(PrologueVerdict::NotExclusive));
  e.exit();
  e.bind(Emitter::kBody);
  return e.finish();
}

PrologueSpec prologueSpecFor(const Manifest &manifest, const LoaderInfo &loader,
                             uint32_t metadata_size, const Sha256 &metadata_sha) {
  PrologueSpec spec;
  spec.kind = loader.kind;
  spec.layout = loader.layout;
  spec.nr_maps = uint32_t(manifest.maps.size());
  spec.metadata_size = metadata_size;
  spec.metadata_sha = metadata_sha;
  return spec;
}

} // namespace bpfseal::format

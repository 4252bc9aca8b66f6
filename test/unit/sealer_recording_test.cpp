// Edits of a gen_loader recording, on recordings shaped like libbpf 1.1's:
// fitProgramSlots widens the loader's stack struct for more than 32 program
// fds, leaves smaller recordings byte for byte alone and refuses a body whose
// r10 uses it does not recognise. (Real recordings: test/realworld/hundred.test
// loads 100 programs; test/seal/refuse.test checks the limit.)
#include "recording.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>

namespace bpfseal::sealer {
namespace {

struct Asm {
  Recording rec;
  void insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    const struct bpf_insn i = {.code = code,
                               .dst_reg = uint8_t(dst & 0xf),
                               .src_reg = uint8_t(src & 0xf),
                               .off = off,
                               .imm = imm};
    const auto *p = reinterpret_cast<const uint8_t *>(&i);
    rec.insns.insert(rec.insns.end(), p, p + sizeof i);
  }
  struct bpf_insn at(size_t i) const {
    struct bpf_insn in;
    std::memcpy(&in, rec.insns.data() + i * sizeof in, sizeof in);
    return in;
  }
};

// bpf_gen__init for `slots` program slots, then a prog_fd store per slot.
Asm genLoaderShape(uint32_t slots) {
  Asm a;
  a.insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
  a.insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0);
  a.insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, -136);
  a.insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 136);
  a.insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0);
  a.insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel);
  a.insn(BPF_JMP | BPF_JA, 0, 0, int16_t(3 * (slots + 2) + 2), 0);
  for (uint32_t w = 0; w < slots + 2; ++w) {
    a.insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_10, int16_t(-136 + 4 * int(w)), 0);
    a.insn(BPF_JMP | BPF_JSLE | BPF_K, BPF_REG_1, 0, 1, 0);
    a.insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sys_close);
  }
  a.insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
  a.insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  a.insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, -136, 0); // btf_fd
  for (uint32_t p = 0; p < slots; ++p)
    a.insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, int16_t(-128 + 4 * int(p)), 0);
  return a;
}

TEST(SealerRecording, ThirtyTwoSlotsStayByteForByte) {
  Asm a = genLoaderShape(32);
  const std::vector<uint8_t> before = a.rec.insns;
  auto slots = fitProgramSlots(a.rec);
  ASSERT_TRUE(slots) << slots.error().msg;
  EXPECT_EQ(*slots, 32u);
  EXPECT_EQ(a.rec.insns, before);
}

TEST(SealerRecording, HundredSlotsMoveTheStructBelowR10) {
  Asm a = genLoaderShape(100);
  auto slots = fitProgramSlots(a.rec);
  ASSERT_TRUE(slots) << slots.error().msg;
  EXPECT_EQ(*slots, 100u);
  const int size = 8 + 4 * 100; // 408, already a multiple of 8
  EXPECT_EQ(a.at(2).imm, -size);
  EXPECT_EQ(a.at(3).imm, size);
  // Every r10 access lies inside [r10 - size, r10), in the same order.
  int16_t prev = INT16_MIN;
  size_t accesses = 0;
  for (size_t i = 0; i < a.rec.insns.size() / 8; ++i) {
    struct bpf_insn in = a.at(i);
    bool base = (BPF_CLASS(in.code) == BPF_LDX && in.src_reg == BPF_REG_10) ||
                (BPF_CLASS(in.code) == BPF_STX && in.dst_reg == BPF_REG_10);
    if (!base)
      continue;
    ++accesses;
    EXPECT_GE(in.off, -size) << "insn " << i;
    EXPECT_LT(in.off, 0) << "insn " << i;
    if (i > 7 && i < 7 + 3 * 102) { // the cleanup reads go up word by word
      EXPECT_GT(in.off, prev);
      prev = in.off;
    }
  }
  EXPECT_EQ(accesses, 102u + 1u + 100u);
  // The last program's slot: the struct's last word.
  EXPECT_EQ(a.at(a.rec.insns.size() / 8 - 1).off, -4);
}

TEST(SealerRecording, MoreSlotsThanTheStackHoldsAreRefused) {
  Asm a = genLoaderShape(127);
  auto slots = fitProgramSlots(a.rec);
  ASSERT_FALSE(slots);
  EXPECT_EQ(slots.error().err, E2BIG);
  EXPECT_NE(slots.error().msg.find("127 programs"), std::string::npos) << slots.error().msg;
}

TEST(SealerRecording, UnknownR10UsesAreRefused) {
  { // a copy of r10 that could reach the stack unshifted
    Asm a = genLoaderShape(40);
    a.insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
    auto slots = fitProgramSlots(a.rec);
    ASSERT_FALSE(slots);
    EXPECT_EQ(slots.error().err, EPROTO);
  }
  { // an access outside the struct
    Asm a = genLoaderShape(40);
    a.insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, -140, 0);
    EXPECT_FALSE(fitProgramSlots(a.rec));
  }
  { // an 8-byte access
    Asm a = genLoaderShape(40);
    a.insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_7, -128, 0);
    EXPECT_FALSE(fitProgramSlots(a.rec));
  }
  { // not gen_loader's set-up
    Asm a = genLoaderShape(40);
    std::memset(a.rec.insns.data() + 3 * 8 + 4, 0, 4); // r2 = 0
    EXPECT_FALSE(fitProgramSlots(a.rec));
  }
}

} // namespace
} // namespace bpfseal::sealer

// The kernel probe's reader of the mapped vmlinux BTF (runtime/src/btf_view)
// against libbpf's full parse (core/btf_layout) on the running kernel's BTF:
// the same facts both ways. And hostile BTF files are errors, never guesses.
#include "bpfseal/btf_layout.h"
#include "btf_view.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <linux/btf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace bpfseal {
namespace {

constexpr const char *kVmlinux = "/sys/kernel/btf/vmlinux";

std::string writeTemp(const std::vector<uint8_t> &bytes) {
  char path[] = "/tmp/bpfseal-btfview-XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
  ::close(fd);
  return path;
}

TEST(BtfView, SameFactsAsLibbpf) {
  if (::access(kVmlinux, R_OK) != 0)
    GTEST_SKIP() << kVmlinux << " is not readable";
  auto view = btf::View::open(kVmlinux);
  ASSERT_TRUE(view) << view.error().str();
  btf::View &v = **view;
  struct btf *lib = btf__load_vmlinux_btf();
  ASSERT_NE(lib, nullptr);

  auto found = v.find({{"bpf_attr", BTF_KIND_UNION},
                       {"bpf_map_info", BTF_KIND_STRUCT},
                       {"bpf_attach_type", BTF_KIND_ENUM},
                       {"bpf_map", BTF_KIND_STRUCT},
                       {"do_nanosleep", BTF_KIND_FUNC}});
  ASSERT_TRUE(found) << found.error().str();
  const std::vector<uint32_t> &ids = *found;
  EXPECT_EQ(int(ids[0]), btf__find_by_name_kind(lib, "bpf_attr", BTF_KIND_UNION));
  EXPECT_EQ(int(ids[1]), btf__find_by_name_kind(lib, "bpf_map_info", BTF_KIND_STRUCT));
  EXPECT_EQ(int(ids[2]), btf__find_by_name_kind(lib, "bpf_attach_type", BTF_KIND_ENUM));
  EXPECT_EQ(int(ids[3]), btf__find_by_name_kind(lib, "bpf_map", BTF_KIND_STRUCT));
  int nanosleep = btf__find_by_name_kind(lib, "do_nanosleep", BTF_KIND_FUNC);
  EXPECT_EQ(int(ids[4]), nanosleep > 0 ? nanosleep : 0);

  // Members, anonymous ones included (bpf_attr's are all in anonymous structs).
  for (const char *m : {"keyring_id", "prog_type", "map_type", "insns", "fd_array"})
    EXPECT_EQ(v.memberOffset(ids[0], m),
              btf_layout::memberOffset(lib, "bpf_attr", BTF_KIND_UNION, m))
        << m;
  for (const char *m : {"hash", "hash_size", "id", "name"})
    EXPECT_EQ(v.memberOffset(ids[1], m),
              btf_layout::memberOffset(lib, "bpf_map_info", BTF_KIND_STRUCT, m))
        << m;
  EXPECT_EQ(v.enumHas(ids[2], "BPF_TCX_INGRESS"),
            btf_layout::enumHas(lib, "bpf_attach_type", "BPF_TCX_INGRESS"));
  EXPECT_TRUE(v.enumHas(ids[2], "BPF_TRACE_FENTRY"));
  EXPECT_FALSE(v.enumHas(ids[2], "BPF_NO_SUCH_ATTACH_TYPE"));

  auto mine =
      btf_layout::mapLayout([&](const char *member) { return v.memberOffset(ids[3], member); });
  auto theirs = btf_layout::mapLayout(lib);
  ASSERT_EQ(bool(mine), bool(theirs));
  if (mine)
    EXPECT_TRUE(*mine == *theirs);
  else
    EXPECT_EQ(mine.error().msg, theirs.error().msg);
  btf__free(lib);
}

TEST(BtfView, HostileFilesAreErrors) {
  // Not BTF, a header pointing outside the file, an unterminated string
  // section: refused at open. A type section that ends inside a type, an
  // unknown kind: the walk is lazy, so these are errors of the find() that
  // reaches them.
  std::vector<uint8_t> hdr = {0x9f, 0xeb, 1, 0, 24, 0, 0, 0, // magic, version, flags, hdr_len
                              0,    0,    0, 0, 12, 0, 0, 0,       // type_off 0, type_len 12
                              12,   0,    0, 0, 2,  0, 0, 0};      // str_off 12, str_len 2
  auto withTypes = [&](std::vector<uint8_t> types, std::vector<uint8_t> strs) {
    std::vector<uint8_t> f = hdr;
    uint32_t tl = uint32_t(types.size()), so = tl, sl = uint32_t(strs.size());
    std::memcpy(&f[12], &tl, 4);
    std::memcpy(&f[16], &so, 4);
    std::memcpy(&f[20], &sl, 4);
    f.insert(f.end(), types.begin(), types.end());
    f.insert(f.end(), strs.begin(), strs.end());
    return f;
  };
  // One INT type "a": name_off 1, info kind 1, size 4, then its u32.
  std::vector<uint8_t> int_type = {1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0x20, 0, 0, 0};
  struct Case {
    const char *what;
    std::vector<uint8_t> bytes;
  } at_open[] =
      {
          {"not BTF", {'E', 'L', 'F', 0,  1,  2,  3,  4,  5,  6,  7,  8,
                       9,   10,  11,  12, 13, 14, 15, 16, 17, 18, 19, 20}},
          {"header outside", hdr},
          {"unterminated strings", withTypes(int_type, {0, 'a'})},
      },
    at_find[] = {
        {"type ends inside", withTypes({1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0}, {0, 'a', 0})},
        {"unknown kind", withTypes({1, 0, 0, 0, 0, 0, 0, 31, 4, 0, 0, 0}, {0, 'a', 0})},
    };
  for (const Case &c : at_open) {
    std::string path = writeTemp(c.bytes);
    auto view = btf::View::open(path);
    EXPECT_FALSE(view) << c.what;
    std::remove(path.c_str());
  }
  for (const Case &c : at_find) {
    std::string path = writeTemp(c.bytes);
    auto view = btf::View::open(path);
    ASSERT_TRUE(view) << c.what;
    EXPECT_FALSE((*view)->find({{"a", BTF_KIND_INT}})) << c.what;
    EXPECT_EQ((*view)->memberOffset(1, "x"), std::nullopt) << c.what;
    std::remove(path.c_str());
  }
  // The well-formed one opens and finds its type.
  std::string path = writeTemp(withTypes(int_type, {0, 'a', 0}));
  auto view = btf::View::open(path);
  ASSERT_TRUE(view) << view.error().str();
  auto ids = (*view)->find({{"a", BTF_KIND_INT}, {"b", BTF_KIND_INT}});
  ASSERT_TRUE(ids) << ids.error().str();
  EXPECT_EQ(*ids, (std::vector<uint32_t>{1, 0}));
  std::remove(path.c_str());
  // The walk stops where the names asked for are found: an unknown kind
  // after them is not read; asking for a name past it is an error.
  std::vector<uint8_t> two = int_type;
  for (uint8_t b : {3, 0, 0, 0, 0, 0, 0, 31, 4, 0, 0, 0})
    two.push_back(b);
  path = writeTemp(withTypes(two, {0, 'a', 0, 'b', 0}));
  view = btf::View::open(path);
  ASSERT_TRUE(view) << view.error().str();
  ids = (*view)->find({{"a", BTF_KIND_INT}});
  ASSERT_TRUE(ids) << ids.error().str();
  EXPECT_EQ(*ids, (std::vector<uint32_t>{1}));
  auto past = (*view)->find({{"b", BTF_KIND_INT}});
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().msg.find("unknown kind 31"), std::string::npos) << past.error().msg;
  std::remove(path.c_str());
}

} // namespace
} // namespace bpfseal

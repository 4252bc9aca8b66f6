// A read-only view of raw BTF (the kernel's /sys/kernel/btf/vmlinux) for the
// handful of facts the kernel probe needs. libbpf's btf__load_vmlinux_btf()
// validates and indexes every one of the ~150k types (tens of milliseconds
// in a fresh process, as long as a whole light-skeleton load); the probe
// asks for a handful of names. This maps the file and walks the type
// section only as far as the names asked for (the ones a load needs are
// among the first ~15k of ~150k types: most of the 5 MB is never touched),
// resolving member types by id on demand, walking further when needed.
// Nothing here trusts the bytes: every read is bounds-checked, and a BTF it
// cannot walk is an error, never a guess.
#pragma once

#include "bpfseal/error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfseal::btf {

class View {
public:
  // Maps (or, where the file cannot be mapped, reads) a raw BTF file.
  static Result<std::unique_ptr<View>> open(const std::string &path);
  View(const View &) = delete;
  View &operator=(const View &) = delete;
  ~View();

  struct Query {
    std::string_view name;
    int kind; // BTF_KIND_*
  };
  // Type ids of the first type of each (name, kind), 0 where there is none.
  // One walk for all of them, which stops when all are found; an error when
  // the walk meets a type it cannot size (a BTF kind newer than this reader).
  Result<std::vector<uint32_t>> find(const std::vector<Query> &queries);

  // Byte offset of `member` in struct/union `type_id`, looking into
  // anonymous members as C does.
  std::optional<uint32_t> memberOffset(uint32_t type_id, std::string_view member) const;
  // Whether enum `type_id` has an enumerator named `value`.
  bool enumHas(uint32_t type_id, std::string_view value) const;

private:
  View() = default;
  std::string_view name(uint32_t off) const;
  const uint8_t *type(uint32_t id) const; // nullptr if unknown or past a walk error
  uint32_t resolve(uint32_t id) const;    // through typedefs and modifiers
  // Extends offsets_ until it holds `id` (or the walk ends or fails).
  void indexTo(uint32_t id) const;

  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> copy_;
  const uint8_t *types_ = nullptr;
  size_t types_len_ = 0;
  const char *strs_ = nullptr;
  size_t strs_len_ = 0;
  // offsets_[id - 1]: type id's offset in types_, for the ids walked so far;
  // walked_ is where the walk goes on, walk_error_ why it stopped early.
  mutable std::vector<uint32_t> offsets_;
  mutable size_t walked_ = 0;
  mutable std::optional<Error> walk_error_;
};

} // namespace bpfseal::btf

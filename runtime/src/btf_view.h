// A read-only view of raw BTF (the kernel's /sys/kernel/btf/vmlinux) for the
// handful of facts the kernel probe needs. libbpf's btf__load_vmlinux_btf()
// validates and indexes every one of the ~150k types (tens of milliseconds
// in a fresh process, as long as a whole light-skeleton load); the probe
// asks for five names. This maps the file, walks the type section once to
// find the names asked for, and resolves member types by id on demand.
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
  // One walk over the type section for all of them.
  std::vector<uint32_t> find(const std::vector<Query> &queries);

  // Byte offset of `member` in struct/union `type_id`, looking into
  // anonymous members as C does.
  std::optional<uint32_t> memberOffset(uint32_t type_id, std::string_view member) const;
  // Whether enum `type_id` has an enumerator named `value`.
  bool enumHas(uint32_t type_id, std::string_view value) const;

private:
  View() = default;
  std::string_view name(uint32_t off) const;
  const uint8_t *type(uint32_t id) const; // nullptr if unknown
  uint32_t resolve(uint32_t id) const;    // through typedefs and modifiers
  Status index();                         // fills offsets_

  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> copy_;
  const uint8_t *types_ = nullptr;
  size_t types_len_ = 0;
  const char *strs_ = nullptr;
  size_t strs_len_ = 0;
  std::vector<uint32_t> offsets_; // offsets_[id - 1]: type id's offset in types_
};

} // namespace bpfseal::btf

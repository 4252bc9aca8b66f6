#include "btf_view.h"

#include <linux/btf.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfseal::btf {
namespace {

constexpr size_t kTypeHeader = 12; // struct btf_type: name_off, info, size/type

uint32_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

int kindOf(uint32_t info) { return (info >> 24) & 0x1f; }
uint32_t vlenOf(uint32_t info) { return info & 0xffff; }
bool kindFlag(uint32_t info) { return info >> 31; }

// Bytes that follow struct btf_type for this kind, or nullopt for a kind
// this reader does not know (then the walk stops with an error).
std::optional<size_t> extraSize(uint32_t info) {
  uint32_t vlen = vlenOf(info);
  switch (kindOf(info)) {
  case BTF_KIND_INT: return 4;
  case BTF_KIND_PTR:
  case BTF_KIND_FWD:
  case BTF_KIND_TYPEDEF:
  case BTF_KIND_VOLATILE:
  case BTF_KIND_CONST:
  case BTF_KIND_RESTRICT:
  case BTF_KIND_FUNC:
  case BTF_KIND_FLOAT:
  case 18: // BTF_KIND_TYPE_TAG
    return 0;
  case BTF_KIND_ARRAY: return 12;
  case BTF_KIND_STRUCT:
  case BTF_KIND_UNION: return size_t(vlen) * 12;
  case BTF_KIND_ENUM: return size_t(vlen) * 8;
  case BTF_KIND_FUNC_PROTO: return size_t(vlen) * 8;
  case BTF_KIND_VAR: return 4;
  case BTF_KIND_DATASEC: return size_t(vlen) * 12;
  case 17: return 4;                // BTF_KIND_DECL_TAG
  case 19: return size_t(vlen) * 12; // BTF_KIND_ENUM64
  default: return std::nullopt;
  }
}

} // namespace

View::~View() {
  if (mapped_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}

Result<std::unique_ptr<View>> View::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot open BTF '" + path + "'");
  std::unique_ptr<View> owned(new View());
  View &v = *owned;
  struct stat st{};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void *p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      v.data_ = static_cast<const uint8_t *>(p);
      v.size_ = size_t(st.st_size);
      v.mapped_ = true;
    }
  }
  if (!v.mapped_) { // sysfs files that cannot be mapped (kernels before 6.16)
    std::vector<uint8_t> buf(st.st_size > 0 ? size_t(st.st_size) : (8u << 20));
    size_t got = 0;
    for (;;) {
      if (got == buf.size())
        buf.resize(buf.size() * 2);
      ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return makeError(err, "cannot read BTF '" + path + "'");
      }
      if (n == 0)
        break;
      got += size_t(n);
    }
    buf.resize(got);
    v.copy_ = std::move(buf);
    v.data_ = v.copy_.data();
    v.size_ = v.copy_.size();
  }
  ::close(fd);

  // struct btf_header: magic u16, version u8, flags u8, hdr_len, type_off,
  // type_len, str_off, str_len (u32, after the header).
  if (v.size_ < 24 || v.data_[0] != 0x9f || v.data_[1] != 0xeb)
    return makeError(EINVAL, "'" + path + "' is not raw little-endian BTF");
  uint32_t hdr_len = load32(v.data_ + 4), type_off = load32(v.data_ + 8),
           type_len = load32(v.data_ + 12), str_off = load32(v.data_ + 16),
           str_len = load32(v.data_ + 20);
  auto inside = [&](uint64_t off, uint64_t len) { return hdr_len + off + len <= v.size_; };
  if (hdr_len < 24 || !inside(type_off, type_len) || !inside(str_off, str_len) || str_len == 0)
    return makeError(EINVAL, "'" + path + "': BTF header points outside the file");
  v.types_ = v.data_ + hdr_len + type_off;
  v.types_len_ = type_len;
  v.strs_ = reinterpret_cast<const char *>(v.data_ + hdr_len + str_off);
  v.strs_len_ = str_len;
  if (v.strs_[str_len - 1] != '\0')
    return makeError(EINVAL, "'" + path + "': BTF string section is not terminated");
  return owned;
}

void View::indexTo(uint32_t id) const {
  while (offsets_.size() < id && walked_ < types_len_ && !walk_error_) {
    size_t off = walked_;
    if (types_len_ - off < kTypeHeader) {
      walk_error_ = makeError(EINVAL, "BTF type section ends inside a type");
      return;
    }
    auto extra = extraSize(load32(types_ + off + 4));
    if (!extra) {
      walk_error_ = makeError(EINVAL, "BTF type " + std::to_string(offsets_.size() + 1) +
                                          " has an unknown kind " +
                                          std::to_string(kindOf(load32(types_ + off + 4))));
      return;
    }
    if (types_len_ - off - kTypeHeader < *extra) {
      walk_error_ = makeError(EINVAL, "BTF type section ends inside a type");
      return;
    }
    offsets_.push_back(static_cast<uint32_t>(off));
    walked_ = off + kTypeHeader + *extra;
  }
}

std::string_view View::name(uint32_t off) const {
  if (off >= strs_len_)
    return {};
  return std::string_view(strs_ + off); // terminated: checked in open()
}

const uint8_t *View::type(uint32_t id) const {
  if (id == 0)
    return nullptr;
  indexTo(id);
  if (id > offsets_.size())
    return nullptr;
  return types_ + offsets_[id - 1];
}

uint32_t View::resolve(uint32_t id) const {
  for (int depth = 0; depth < 32; ++depth) {
    const uint8_t *t = type(id);
    if (!t)
      return 0;
    switch (kindOf(load32(t + 4))) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case 18: // BTF_KIND_TYPE_TAG
      id = load32(t + 8);
      continue;
    default: return id;
    }
  }
  return 0;
}

Result<std::vector<uint32_t>> View::find(const std::vector<Query> &queries) {
  std::vector<uint32_t> ids(queries.size(), 0);
  size_t left = queries.size();
  uint32_t kinds = 0; // bit per BTF kind asked for: most types are skipped on it
  for (const Query &q : queries)
    kinds |= 1u << (q.kind & 0x1f);
  for (uint32_t id = 1; left; ++id) {
    indexTo(id);
    if (id > offsets_.size()) {
      if (walk_error_)
        return *walk_error_;
      break; // the whole section walked
    }
    const uint8_t *t = types_ + offsets_[id - 1];
    uint32_t info = load32(t + 4);
    int kind = kindOf(info);
    if (!(kinds & (1u << kind)))
      continue;
    uint32_t name_off = load32(t);
    if (!name_off || name_off >= strs_len_)
      continue;
    // Compared in place (name plus its terminator, bounded by the string
    // section): no strlen over the ~100k names of these kinds.
    const char *n = strs_ + name_off;
    size_t room = strs_len_ - name_off;
    for (size_t q = 0; q < queries.size(); ++q) {
      const std::string_view want = queries[q].name;
      if (ids[q] || queries[q].kind != kind || want.empty() || n[0] != want[0] ||
          want.size() >= room || n[want.size()] != '\0' ||
          std::memcmp(n, want.data(), want.size()) != 0)
        continue;
      ids[q] = id;
      --left;
    }
  }
  return ids;
}

std::optional<uint32_t> View::memberOffset(uint32_t type_id, std::string_view member) const {
  // Anonymous members nest a few levels at most; the depth bound keeps a
  // hostile self-referencing BTF from recursing forever.
  struct Walk {
    const View &v;
    std::optional<uint32_t> in(uint32_t id, std::string_view want, uint32_t base, int depth) const {
      const uint8_t *t = v.type(id);
      if (!t || depth > 8)
        return std::nullopt;
      uint32_t info = load32(t + 4);
      if (kindOf(info) != BTF_KIND_STRUCT && kindOf(info) != BTF_KIND_UNION)
        return std::nullopt;
      const uint8_t *m = t + kTypeHeader;
      for (uint32_t i = 0; i < vlenOf(info); ++i, m += 12) {
        uint32_t bits = load32(m + 8);
        if (kindFlag(info))
          bits &= 0xffffff; // bitfield size in the top 8 bits
        uint32_t off = base + bits / 8;
        std::string_view n = v.name(load32(m));
        if (!n.empty() && n == want)
          return off;
        if (n.empty())
          if (auto found = in(v.resolve(load32(m + 4)), want, off, depth + 1))
            return found;
      }
      return std::nullopt;
    }
  };
  return Walk{*this}.in(type_id, member, 0, 0);
}

bool View::enumHas(uint32_t type_id, std::string_view value) const {
  const uint8_t *t = type(type_id);
  if (!t || kindOf(load32(t + 4)) != BTF_KIND_ENUM)
    return false;
  const uint8_t *e = t + kTypeHeader;
  for (uint32_t i = 0; i < vlenOf(load32(t + 4)); ++i, e += 8)
    if (name(load32(e)) == value)
      return true;
  return false;
}

} // namespace bpfseal::btf

// struct bpf_map layouts the loader-check variants are built for.
#include "bpfseal/btf_layout.h"
#include "bpfseal/sealer.h"

#include <sys/utsname.h>

#include <cctype>
#include <cstring>
#include <tuple>

namespace bpfseal::sealer {
namespace {

// "6.18.15+deb13-cloud-amd64" -> "6_18_15": the numeric version, dots made
// underscores, so "lc-<name>" fits loader-name rules ([a-z0-9_-], <= 31).
std::string shortName(const std::string &release) {
  std::string out;
  for (char c : release) {
    if (std::isdigit(static_cast<unsigned char>(c)))
      out += c;
    else if (c == '.')
      out += '_';
    else
      break;
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out.empty() ? "kernel" : out;
}

// Any text to a loader-name-safe suffix of at most `max` characters.
std::string sanitize(const std::string &text, size_t max) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out += char(std::tolower(u));
    else if (c == '-' || c == '_')
      out += c;
    else
      out += '_';
  }
  if (out.size() > max)
    out.resize(max);
  return out;
}

std::string hashSuffix(const format::MapLayout &l) {
  std::string key = std::to_string(l.excl_off) + "," + std::to_string(l.excl_prog_sha_off) + "," +
                    std::to_string(l.map_type_off) + "," + std::to_string(l.key_size_off) + "," +
                    std::to_string(l.value_size_off) + "," + std::to_string(l.max_entries_off) +
                    "," + std::to_string(l.frozen_off);
  format::Sha256 h = format::sha256({reinterpret_cast<const uint8_t *>(key.data()), key.size()});
  return format::hex(std::span<const uint8_t>(h.data(), 4));
}

// The release in a vmlinux image's "Linux version 6.18.15+deb13-cloud-amd64
// (...)" banner, or "" (raw BTF files have none).
std::string bannerRelease(const std::string &path) {
  auto bytes = format::readFile(path);
  if (!bytes || bytes->size() < 4 ||
      std::memcmp(bytes->data(),
                  "\x7f"
                  "ELF",
                  4) != 0)
    return "";
  static const char kBanner[] = "Linux version ";
  const uint8_t *hit = static_cast<const uint8_t *>(
      memmem(bytes->data(), bytes->size(), kBanner, sizeof kBanner - 1));
  if (!hit)
    return "";
  std::string release;
  for (const uint8_t *p = hit + sizeof kBanner - 1;
       p < bytes->data() + bytes->size() && *p > ' ' && *p < 0x7f && release.size() < 64; ++p)
    release += char(*p);
  return release;
}

} // namespace

const std::vector<KernelLayout> &builtinLayouts() {
  static const std::vector<KernelLayout> layouts = [] {
    std::vector<KernelLayout> v;
    auto add = [&](const char *release, int32_t excl, uint32_t excl_prog_sha, uint32_t map_type,
                   uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t frozen) {
      format::MapLayout l{excl, excl_prog_sha, map_type, key_size, value_size, max_entries, frozen};
      for (KernelLayout &k : v)
        if (k.layout == l) {
          k.kernels += std::string(", ") + release;
          return;
        }
      v.push_back({shortName(release), l, release});
    };
#define BPFSEAL_LAYOUT(release, ...) add(#release, __VA_ARGS__);
#include "measured_layouts.inc"
#undef BPFSEAL_LAYOUT
    return v;
  }();
  return layouts;
}

Status checkDistinguishable(const std::vector<KernelLayout> &layouts) {
  auto checkedByValue = [](const format::MapLayout &l) {
    return std::make_tuple(l.map_type_off, l.key_size_off, l.value_size_off, l.max_entries_off,
                           l.frozen_off);
  };
  for (size_t i = 0; i < layouts.size(); ++i)
    for (size_t j = i + 1; j < layouts.size(); ++j) {
      const format::MapLayout &a = layouts[i].layout, &b = layouts[j].layout;
      bool exclusivity_differs =
          a.excl_off != b.excl_off || a.excl_prog_sha_off != b.excl_prog_sha_off;
      if (exclusivity_differs && checkedByValue(a) == checkedByValue(b))
        return makeError(EINVAL,
                         "struct bpf_map layouts of '" + format::escapeText(layouts[i].kernels) +
                             "' and '" + format::escapeText(layouts[j].kernels) +
                             "' differ only in where excl/excl_prog_sha are: a loader-check "
                             "prologue could not tell them apart",
                         "seal for one of them (drop a --kernel-btf, or --no-builtin-layouts); "
                         "the kernel-check loader needs no layout");
    }
  return ok();
}

Result<KernelLayout> layoutFromBtfFile(const std::string &path) {
  auto layout = btf_layout::mapLayoutFromFile(path);
  if (!layout)
    return layout.takeError();
  KernelLayout k;
  k.layout = *layout;
  // The running kernel's BTF is named after the running kernel; any other
  // file after itself (e.g. vmlinux-6.18.15+deb13-cloud-amd64).
  std::string label;
  struct utsname u;
  if (path.rfind("/sys/kernel/btf/", 0) == 0 && uname(&u) == 0) {
    label = u.release;
    k.name = shortName(label);
  } else if (std::string release = bannerRelease(path); !release.empty()) {
    label = release;
    k.name = shortName(release);
  } else {
    size_t slash = path.find_last_of('/');
    label = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string stem = label;
    if (stem.rfind("vmlinux-", 0) == 0)
      stem = shortName(stem.substr(8));
    k.name = sanitize(stem, 18) + "-" + hashSuffix(k.layout);
  }
  k.kernels = label;
  return k;
}

} // namespace bpfseal::sealer

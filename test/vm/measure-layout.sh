#!/bin/sh
# measure-layout.sh BTF_OR_VMLINUX [LABEL]
#
# Prints the byte offsets of the struct bpf_map fields a loader-check prologue
# reads, taken from a kernel's BTF (an ELF vmlinux with .BTF, or a raw BTF file
# such as /sys/kernel/btf/vmlinux), in two forms:
#   layout LABEL sha=0 excl=32 excl_prog_sha=288 map_type=64 key_size=68 value_size=72 max_entries=76 frozen=257 size=296
#   row    BPFSEAL_LAYOUT(...)   (sealer/CMakeLists.txt turns these rows into the
#                                 sealer's built-in layouts, sealer/src/layouts.cpp)
# A field the kernel lacks prints as "absent" (-1 in the row). Exit 1 when the
# file has no BTF or no struct bpf_map.
set -eu
file=${1:?usage: measure-layout.sh BTF_OR_VMLINUX [LABEL]}
label=${2:-$(basename "$file")}
bpftool=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}

raw=$("$bpftool" btf dump file "$file" format raw) || { echo "measure-layout: no BTF in $file" >&2; exit 1; }
echo "$raw" | awk -v label="$label" '
  /^\[[0-9]+\] STRUCT / {
    in_map = ($3 == "\x27bpf_map\x27")
    if (in_map) { found = 1; split($4, s, "="); size = s[2] }
    next
  }
  /^\[/ { in_map = 0; next }
  in_map && /^\t\x27/ {
    name = $1; gsub("\x27", "", name)
    for (i = 2; i <= NF; i++) if ($i ~ /^bits_offset=/) { split($i, b, "="); bits = b[2] }
    if (bits % 8) { printf "measure-layout: %s is a bitfield\n", name > "/dev/stderr"; exit 2 }
    off[name] = bits / 8
  }
  END {
    if (!found) { print "measure-layout: no struct bpf_map in BTF" > "/dev/stderr"; exit 1 }
    n = split("sha excl excl_prog_sha map_type key_size value_size max_entries frozen", f, " ")
    line = "layout " label
    for (i = 1; i <= n; i++) line = line " " f[i] "=" ((f[i] in off) ? off[f[i]] : "absent")
    print line " size=" size
    if (!("sha" in off) || !("excl_prog_sha" in off)) {
      print "row    (none: this kernel has no map->sha/excl_prog_sha, no loader-check variant possible)"
      exit 0
    }
    printf "row    BPFSEAL_LAYOUT(%s, %d, %d, %d, %d, %d, %d, %d)\n", label,
           ("excl" in off) ? off["excl"] : -1, off["excl_prog_sha"], off["map_type"],
           off["key_size"], off["value_size"], off["max_entries"], off["frozen"]
  }'

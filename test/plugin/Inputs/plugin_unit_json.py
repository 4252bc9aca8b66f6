#!/usr/bin/env python3
"""Prints the .bpfseal.unit manifests of a BPF ELF object for FileCheck.

usage: plugin_unit_json.py [--count] OBJECT

The section holds one NUL-terminated JSON object per translation unit
(bpf_linker concatenates the sections of linked inputs). Each object is
printed with sorted keys, one key per line, so CHECK lines stay readable.
--count prints only "units: N". A missing section prints "units: 0".
A malformed section (not NUL-terminated, not JSON) fails the test.
"""
import json
import struct
import sys


def section(path, wanted):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"{path}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
               for i in range(shnum)]
    strtab = headers[shstrndx]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    for name_off, sh_type, flags, _, offset, size, *_ in headers:
        name = names[name_off:names.index(b"\0", name_off)].decode()
        if name == wanted:
            return data[offset:offset + size], flags
    return None, 0


def main():
    paths = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    if len(paths) != 1:
        sys.exit(__doc__)
    path = paths[0]
    raw, flags = section(path, ".bpfseal.unit")
    units = []
    if raw is not None:
        if not raw.endswith(b"\0"):
            sys.exit(f"{path}: .bpfseal.unit is not NUL-terminated")
        SHF_ALLOC = 0x2
        if flags & SHF_ALLOC:
            sys.exit(f"{path}: .bpfseal.unit is SHF_ALLOC; libbpf would map it")
        # Alignment padding between linked units is NUL bytes too.
        units = [json.loads(chunk) for chunk in raw.split(b"\0") if chunk]
    if "--count" in sys.argv:
        print(f"units: {len(units)}")
        return
    for unit in units:
        print(json.dumps(unit, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()

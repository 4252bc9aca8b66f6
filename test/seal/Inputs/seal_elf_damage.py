#!/usr/bin/env python3
"""Damages an ELF64 little-endian object for the test/seal malformed-input tests.

usage: seal_elf_damage.py IN OUT grow SECTION   # section size runs past EOF
       seal_elf_damage.py IN OUT machine N      # set e_machine to N
"""
import struct
import sys


def section_headers(d):
    shoff = struct.unpack_from('<Q', d, 0x28)[0]
    shnum = struct.unpack_from('<H', d, 0x3c)[0]
    shstrndx = struct.unpack_from('<H', d, 0x3e)[0]
    str_off = struct.unpack_from('<Q', d, shoff + 64 * shstrndx + 24)[0]
    for i in range(shnum):
        sh = shoff + 64 * i
        name_off = struct.unpack_from('<I', d, sh)[0]
        end = d.index(b'\0', str_off + name_off)
        yield d[str_off + name_off:end].decode(), sh


def main():
    src, dst, what, arg = sys.argv[1:5]
    d = bytearray(open(src, 'rb').read())
    if what == 'grow':
        for name, sh in section_headers(d):
            if name == arg:
                size = struct.unpack_from('<Q', d, sh + 32)[0]
                struct.pack_into('<Q', d, sh + 32, size + len(d))
                break
        else:
            sys.exit('no section ' + arg)
    elif what == 'machine':
        struct.pack_into('<H', d, 0x12, int(arg))
    else:
        sys.exit(__doc__)
    open(dst, 'wb').write(d)


main()

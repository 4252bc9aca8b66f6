#!/usr/bin/env python3
"""Attack review of format 2 (test/sign/attack-phdr.test): gives a BPF
relocatable object a program header table that clang never writes.

  attack_phdr.py IN OUT OFFSET COUNT    e_phoff = OFFSET, e_phnum = COUNT,
                                        e_phentsize = 56
"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<Q", data, 0x20, int(sys.argv[3], 0))
struct.pack_into("<HH", data, 0x36, 56, int(sys.argv[4], 0))
open(sys.argv[2], "wb").write(data)

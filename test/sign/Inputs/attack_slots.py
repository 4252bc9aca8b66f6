#!/usr/bin/env python3
"""Attack review of format 2 (test/sign/attack-defended.test): edits of a
signed sealed object that need no key and that the readers must refuse.

  attack_slots.py trailing IN OUT            every signature: 4 zero bytes appended
                                             inside the slot's length
  attack_slots.py swap IN OUT                exchange the first two signature slots
  attack_slots.py transplant IN FROM OUT     every signature slot copied from FROM
                                             (another object signed by the same key)
  attack_slots.py index-version IN OUT N     .bpfseal.index format version set to N
"""
import os
import struct
import sys

# the shared section walker, test/Inputs/sign_tamper.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Inputs"))
from sign_tamper import sections  # noqa: E402


def main():
    mode, src, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = bytearray(open(src, "rb").read())
    secs = sections(data)
    slots = {n[len(".bpfseal.sig."):]: v for n, v in secs.items() if n.startswith(".bpfseal.sig.")}
    if mode == "trailing":
        for off, _size in slots.values():
            length, = struct.unpack_from("<I", data, off)
            struct.pack_into("<I", data, off, length + 4)
    elif mode == "swap":
        (o1, s1), (o2, s2) = sorted(slots.values())[:2]
        a, b = bytes(data[o1:o1 + s1]), bytes(data[o2:o2 + s2])
        data[o1:o1 + s1], data[o2:o2 + s2] = b, a
    elif mode == "transplant":
        other = open(args[0], "rb").read()
        for name, (off, size) in sections(other).items():
            if name.startswith(".bpfseal.sig."):
                o, s = secs[name]
                data[o:o + s] = other[off:off + size]
        args = args[1:]
    elif mode == "index-version":
        off, _size = secs[".bpfseal.index"]
        struct.pack_into("<I", data, off + 8, int(args[1]))
    else:
        sys.exit("unknown mode " + mode)
    open(args[0], "wb").write(data)


if __name__ == "__main__":
    main()

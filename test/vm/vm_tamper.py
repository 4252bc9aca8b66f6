#!/usr/bin/env python3
"""vm_tamper.py IN OUT MODE: damage a sealed object for the kernel matrix.

  loaders   flip one bit in the middle of every .bpfseal.loader.* section
  metadata  flip one bit in the middle of the gen_loader blob in .bpfseal.meta
  junk-sig  replace every .bpfseal.sig.* with junk bytes of the same size
The index hashes are always fixed up (as an attacker would), so the parser
accepts the file and only the signature chain can catch the change. Reuses
the section walker of test/Inputs/sign_tamper.py.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Inputs"))
from sign_tamper import fix_index, sections  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, mode = sys.argv[1:]
    data = bytearray(open(src, "rb").read())
    secs = sections(data)
    touched = 0
    if mode == "loaders":
        for name, (off, size) in secs.items():
            if name.startswith(".bpfseal.loader.") and size:
                # A bit of an instruction's immediate in the middle: the signature must catch it.
                at = (size // 2) & ~7
                data[off + at + 4] ^= 0x01
                touched += 1
    elif mode == "metadata":
        off, size = secs[".bpfseal.meta"]
        _, blob_size, _ = struct.unpack_from("<8sII", data, off + size - 16)
        data[off + blob_size // 2] ^= 0x01
        touched = 1
    elif mode == "junk-sig":
        for name, (off, size) in secs.items():
            if name.startswith(".bpfseal.sig.") and size:
                data[off:off + size] = bytes((i * 37 + 11) & 0xFF for i in range(size))
                touched += 1
    else:
        sys.exit("unknown mode " + mode)
    if not touched:
        sys.exit(f"vm_tamper: nothing to tamper for {mode} in {src}")
    fix_index(data)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""vm_tamper.py IN OUT MODE: damage a sealed object for the kernel matrix.

  loaders   flip one bit in the middle of every .bpfseal.loader.* section
  metadata  flip one bit in the middle of the gen_loader blob in .bpfseal.meta
  junk-sig  replace the signature in every .bpfseal.sig.* slot with junk bytes
            of the same length (the slot's length word kept)
Format 2 has no unsigned hash to fix up: bpfseal's reader refuses the first two
before any bpf() call (the loaders are regenerated and compared, and the
metadata hash is in their instructions); the kernel's own refusal of the same
damage is shown by `bpfseal-vmtest raw-load`, which skips the reader. Reuses
the section walker of test/Inputs/sign_tamper.py.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Inputs"))
from sign_tamper import sections  # noqa: E402


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
                length, = struct.unpack_from("<I", data, off)
                if length:
                    data[off + 4:off + 4 + length] = bytes((i * 37 + 11) & 0xFF for i in range(length))
                    touched += 1
    else:
        sys.exit("unknown mode " + mode)
    if not touched:
        sys.exit(f"vm_tamper: nothing to tamper for {mode} in {src}")
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()

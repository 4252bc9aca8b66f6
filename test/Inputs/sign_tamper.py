#!/usr/bin/env python3
"""Damages a sealed object the way an attacker or a broken copy would, for the
test/sign lit tests.

  sign_tamper.py IN OUT section NAME [OFFSET]  flip one bit of section NAME
                                               (at OFFSET, default its middle)
  sign_tamper.py IN OUT manifest               change one character of a program's
                                               section name in the manifest JSON
  sign_tamper.py IN OUT truncate N             keep only the first N bytes
  sign_tamper.py IN OUT byte OFFSET            flip one bit of the file at OFFSET
Format 2 has no unsigned hashes to fix up: every byte but the signatures is
bound to the signed manifest (docs/FORMAT.md), so each damage here must be
refused by verify and load as it is.
"""
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = []
    for i in range(shnum):
        name, _typ, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        hdrs.append([name, off, size])
    stroff = hdrs[shstrndx][1]
    out = {}
    for name, off, size in hdrs:
        end = data.index(b"\0", stroff + name)
        out[data[stroff + name:end].decode()] = (off, size)
    return out


def main():
    args = sys.argv[1:]
    src, dst, mode = args[0], args[1], args[2]
    data = bytearray(open(src, "rb").read())
    if mode == "section":
        off, size = sections(data)[args[3]]
        if size == 0:
            sys.exit(f"section {args[3]} is empty")
        at = int(args[4]) if len(args) > 4 else size // 2
        data[off + at] ^= 0x01
    elif mode == "manifest":
        off, size = sections(data)[".bpfseal.meta"]
        meta = data[off:off + size]
        magic, blob_size, manifest_size = struct.unpack_from("<8sII", meta, size - 16)
        assert magic == b"BPFSMETA", magic
        manifest = meta[blob_size:blob_size + manifest_size]
        key = b'"section":"'
        at = manifest.index(key) + len(key)
        # Keep valid JSON: change a letter of the first program's section.
        while not chr(manifest[at]).isalpha():
            at += 1
        data[off + blob_size + at] ^= 0x01
    elif mode == "byte":
        data[int(args[3], 0)] ^= 0x01
    elif mode == "truncate":
        data = data[:int(args[3])]
    else:
        sys.exit("unknown mode " + mode)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()

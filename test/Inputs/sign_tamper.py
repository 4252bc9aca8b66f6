#!/usr/bin/env python3
"""Damages a sealed object the way an attacker or a broken copy would, for the
test/sign lit tests.

  sign_tamper.py IN OUT section NAME [OFFSET]  flip one bit of section NAME
                                               (at OFFSET, default its middle)
  sign_tamper.py IN OUT manifest               change one character of a program's
                                               section name in the manifest JSON
  sign_tamper.py IN OUT truncate N             keep only the first N bytes
Add --fix-index to also rewrite the (unsigned) index hashes to match, as an
attacker would, so only the signatures can catch the change.
"""
import hashlib
import struct
import sys

INDEX_HEADER = 56
INDEX_ENTRY = 96


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


def fix_index(data):
    secs = sections(data)
    ioff, isize = secs[".bpfseal.index"]
    moff, msize = secs[".bpfseal.meta"]
    data[ioff + 24:ioff + 56] = hashlib.sha256(data[moff:moff + msize]).digest()
    count, = struct.unpack_from("<I", data, ioff + 12)
    for i in range(count):
        e = ioff + INDEX_HEADER + i * INDEX_ENTRY
        name = bytes(data[e:e + 32]).rstrip(b"\0").decode()
        loff, lsize = secs[".bpfseal.loader." + name]
        data[e + 64:e + 96] = hashlib.sha256(data[loff:loff + lsize]).digest()


def main():
    args = [a for a in sys.argv[1:] if a != "--fix-index"]
    fix = "--fix-index" in sys.argv
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
    elif mode == "truncate":
        data = data[:int(args[3])]
    else:
        sys.exit("unknown mode " + mode)
    if fix:
        fix_index(data)
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()

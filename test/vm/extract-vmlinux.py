#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT

Decompresses the kernel payload of an x86 bzImage into the ELF vmlinux (which
carries the .BTF section). The boot protocol header (>= 2.08) says where the
compressed payload is; its leading magic says which compressor made it.
"""
import bz2
import gzip
import lzma
import shutil
import struct
import subprocess
import sys

MAGICS = [
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b", "gzip"),
    (b"\x5d\x00\x00", "lzma"),
    (b"BZh", "bzip2"),
    (b"\x02\x21\x4c\x18", "lz4"),
]


def decompress_with_tool(tool, data):
    if not shutil.which(tool):
        sys.exit(f"extract-vmlinux: payload is {tool}-compressed but '{tool}' is not installed")
    # The payload carries trailing bytes (the decompressed size); tools stop at frame end.
    proc = subprocess.run([tool, "-d", "-c", "-q"], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if not proc.stdout.startswith(b"\x7fELF"):
        sys.exit(f"extract-vmlinux: {tool} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def decompress(kind, payload):
    if kind == "zstd":
        return decompress_with_tool("zstd", payload)
    if kind == "lz4":
        return decompress_with_tool("lz4", payload)
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(payload)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=__import__("io").BytesIO(payload)).read1(1 << 30)
    if kind == "bzip2":
        return bz2.BZ2Decompressor().decompress(payload)
    raise AssertionError(kind)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py BZIMAGE OUT")
    image = open(sys.argv[1], "rb").read()
    if image[:4] == b"\x7fELF":
        open(sys.argv[2], "wb").write(image)
        return
    if image[0x202:0x206] != b"HdrS":
        sys.exit(f"extract-vmlinux: {sys.argv[1]} is not a bzImage (no HdrS header)")
    version = struct.unpack_from("<H", image, 0x206)[0]
    if version < 0x208:
        sys.exit(f"extract-vmlinux: boot protocol {version:#x} < 2.08 has no payload offset")
    setup_sects = image[0x1F1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + payload_offset
    payload = image[start:start + payload_length]
    for magic, kind in MAGICS:
        if payload.startswith(magic):
            break
    else:
        sys.exit(f"extract-vmlinux: unknown payload magic {payload[:6].hex()}")
    elf = decompress(kind, payload)
    if not elf.startswith(b"\x7fELF"):
        sys.exit(f"extract-vmlinux: {kind} payload did not decompress to an ELF")
    with open(sys.argv[2], "wb") as out:
        out.write(elf)
    print(f"extract-vmlinux: {kind} payload, {len(elf)} bytes of ELF", file=sys.stderr)


if __name__ == "__main__":
    main()

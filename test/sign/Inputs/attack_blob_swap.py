#!/usr/bin/env python3
"""Attack review of format 2 (test/sign/attack-blob-swap.test): what someone
who can write a sealed object between `bpfseal seal` and `bpfseal sign`
(a CI artifact, the machine that exports payloads for a remote signer) can
do without any key.

  attack_blob_swap.py swap A.sealed.o B.sealed.o OUT
      A's file with B's gen_loader blob in its metadata (blob sizes must be
      equal), A's ELF sections and manifest kept, and the SHA-256 of the
      metadata that every loader-check prologue embeds rewritten. No reader
      ties the blob (what the loader path runs) to the ELF sections (what
      llvm-objdump shows and the libbpf path loads), so the result reads back.
  attack_blob_swap.py section-digest IN OUT
      IN with one hex digit of the first per-section SHA-256 its manifest
      records changed (the section's bytes, and the file digest, untouched),
      and every loader-check prologue's metadata hash rewritten: a manifest
      that states a false digest, which no reader may accept for signing.
  attack_blob_swap.py payloads IN DIR
      writes DIR/<loader>.payload, the bytes each loader's signature covers
      (insns, plus the metadata for kernel-check), as an external signer
      would receive them.
  attack_blob_swap.py attach IN DIR OUT
      fills each signature slot from DIR/<loader>.p7s (u32 length, DER, zeros).
  attack_blob_swap.py body IN OUT
      the gen_loader body that all loaders share (their common suffix) made
      to return 0 at once ("r0 = 0; exit" over its first two instructions),
      in every loader alike: the prologues and all sizes stay as they are.
"""
import hashlib
import os
import re
import struct
import sys

# the shared section walker, test/Inputs/sign_tamper.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Inputs"))
from sign_tamper import sections  # noqa: E402


def blob_size(meta):
    magic, blob, _json = struct.unpack_from("<8sII", meta, len(meta) - 16)
    assert magic == b"BPFSMETA", magic
    return blob


def replace_metadata(a, new_meta):
    """Puts new_meta (same size) into file a (bytearray) and rewrites the
    metadata SHA-256 that every loader-check prologue embeds."""
    moff, msize = sections(a)[".bpfseal.meta"]
    assert len(new_meta) == msize
    old_sha = hashlib.sha256(bytes(a[moff:moff + msize])).digest()
    a[moff:moff + msize] = new_meta
    new_sha = hashlib.sha256(new_meta).digest()
    patched = 0
    for name, (off, size) in sections(a).items():
        if not name.startswith(".bpfseal.loader."):
            continue
        for k in range(4):
            lo_o, hi_o = old_sha[8 * k:8 * k + 4], old_sha[8 * k + 4:8 * k + 8]
            for i in range(off, off + size - 15, 8):
                # ld_imm64: imm of the first half is the low word, of the second the high.
                if a[i] == 0x18 and a[i + 4:i + 8] == lo_o and a[i + 12:i + 16] == hi_o:
                    a[i + 4:i + 8] = new_sha[8 * k:8 * k + 4]
                    a[i + 12:i + 16] = new_sha[8 * k + 4:8 * k + 8]
                    patched += 1
    if not patched:
        sys.exit("no metadata hash found in the loaders")


def swap(a_path, b_path, out_path):
    a = bytearray(open(a_path, "rb").read())
    b = open(b_path, "rb").read()
    moff, msize = sections(a)[".bpfseal.meta"]
    boff, bsize = sections(b)[".bpfseal.meta"]
    meta = bytearray(a[moff:moff + msize])
    n = blob_size(meta)
    if n != blob_size(b[boff:boff + bsize]):
        sys.exit("blob sizes differ")
    meta[:n] = b[boff:boff + n]
    replace_metadata(a, bytes(meta))
    open(out_path, "wb").write(a)


def section_digest(in_path, out_path):
    a = bytearray(open(in_path, "rb").read())
    moff, msize = sections(a)[".bpfseal.meta"]
    meta = bytearray(a[moff:moff + msize])
    m = re.search(rb'"sections":\s*\[\s*\{[^}]*?"sha256":"([0-9a-f])', meta)
    if not m:
        sys.exit("no section digest in the manifest")
    meta[m.start(1)] = ord("0") if meta[m.start(1)] != ord("0") else ord("1")
    replace_metadata(a, bytes(meta))
    open(out_path, "wb").write(a)


def payloads(path, out_dir):
    data = open(path, "rb").read()
    secs = sections(data)
    moff, msize = secs[".bpfseal.meta"]
    os.makedirs(out_dir, exist_ok=True)
    for name, (off, size) in secs.items():
        if name.startswith(".bpfseal.loader."):
            loader = name[len(".bpfseal.loader."):]
            payload = data[off:off + size]
            if loader == "kernel-check":
                payload += data[moff:moff + msize]
            open(os.path.join(out_dir, loader + ".payload"), "wb").write(payload)


def attach(path, sig_dir, out_path):
    data = bytearray(open(path, "rb").read())
    for name, (off, size) in sections(data).items():
        if name.startswith(".bpfseal.sig."):
            der = open(os.path.join(sig_dir, name[len(".bpfseal.sig."):] + ".p7s"), "rb").read()
            data[off:off + size] = struct.pack("<I", len(der)) + der + bytes(size - 4 - len(der))
    open(out_path, "wb").write(data)


def body(path, out_path):
    data = bytearray(open(path, "rb").read())
    loaders = [(off, size) for name, (off, size) in sections(data).items()
               if name.startswith(".bpfseal.loader.")]
    blobs = [bytes(data[off:off + size]) for off, size in loaders]
    common = 0
    while common < min(map(len, blobs)) and len({b[len(b) - common - 8:len(b) - common] for b in blobs}) == 1:
        common += 8
    if common < 16:
        sys.exit("no shared loader body")
    for off, size in loaders:
        start = off + size - common
        data[start:start + 16] = bytes([0xB7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])
    open(out_path, "wb").write(data)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"swap": swap, "section-digest": section_digest, "payloads": payloads, "attach": attach,
     "body": body}[mode](*args)

#!/usr/bin/env python3
"""Attack review of format 2 (test/sign/attack-signature-smuggle.test): puts
attacker bytes into every signature of a signed sealed object, without the
key, in CMS fields that no signature covers (RFC 5652):

  attack_sig_smuggle.py IN OUT unsigned-attrs N   SignerInfo unsignedAttrs [1]:
                                                  one attribute, an N-byte OCTET STRING
  attack_sig_smuggle.py IN OUT crls N             SignedData crls [1]: one
                                                  OtherRevocationInfoFormat with N bytes
The slots stay well formed (u32 length, DER, zeros), so only the CMS parser
can refuse them.
"""
import os
import struct
import sys

# the shared section walker, test/Inputs/sign_tamper.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Inputs"))
from sign_tamper import sections  # noqa: E402


def tlv(b, i=0):
    tag, length, hdr = b[i], b[i + 1], 2
    if length & 0x80:
        n = length & 0x7F
        length, hdr = int.from_bytes(b[i + 2:i + 2 + n], "big"), 2 + n
    return tag, hdr, length


def enc(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        bs = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(bs)]) + bs
    return bytes([tag]) + ln + body


def kids(b):
    out, i = [], 0
    while i < len(b):
        t, h, l = tlv(b, i)
        out.append((t, b[i + h:i + h + l]))
        i += h + l
    return out


def join(parts):
    return b"".join(enc(t, v) for t, v in parts)


def smuggle(der, mode, payload):
    _t, h, l = tlv(der)
    ci = kids(der[h:h + l])                                 # ContentInfo
    _t, sh, sl = tlv(ci[1][1])
    sd = kids(ci[1][1][sh:sh + sl])                         # SignedData
    oid = enc(0x06, bytes([0x2A, 0x03, 0x04]))              # 1.2.3.4
    if mode == "unsigned-attrs":
        si = kids(kids(sd[-1][1])[0][1])                    # the one SignerInfo
        si.append((0xA1, enc(0x30, oid + enc(0x31, enc(0x04, payload)))))
        sd[-1] = (0x31, enc(0x30, join(si)))
    elif mode == "crls":
        sd.insert(len(sd) - 1, (0xA1, enc(0xA1, oid + enc(0x04, payload))))
    else:
        sys.exit("unknown mode " + mode)
    return enc(0x30, enc(0x06, ci[0][1]) + enc(0xA0, enc(0x30, join(sd))))


def main():
    src, dst, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    data = bytearray(open(src, "rb").read())
    payload = (b"SMUGGLED " * (n // 9 + 1))[:n]
    done = 0
    for name, (off, size) in sections(data).items():
        if not name.startswith(".bpfseal.sig."):
            continue
        length, = struct.unpack_from("<I", data, off)
        if length == 0:
            continue
        new = smuggle(bytes(data[off + 4:off + 4 + length]), mode, payload)
        if len(new) > size - 4:
            sys.exit(f"{len(new)} bytes do not fit the {size}-byte slot")
        data[off:off + size] = struct.pack("<I", len(new)) + new + bytes(size - 4 - len(new))
        done += 1
    if not done:
        sys.exit("no signature to extend")
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()

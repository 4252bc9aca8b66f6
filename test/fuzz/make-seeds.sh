#!/usr/bin/env bash
# Builds seed corpora for the fuzzers from the test inputs: BPF objects,
# sealed objects (unsigned and signed), their manifests and signatures.
# usage: test/fuzz/make-seeds.sh BPFSEAL_TOOL OUT_DIR
set -euo pipefail
tool=$1 out=$2
src=$(cd "$(dirname "$0")/../Inputs" && pwd)
cc=/usr/lib/llvm-19/bin/clang
mkdir -p "$out"/{sealed,manifest,cms,bpf_elf,cli}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tool" keygen --key "$tmp/k.pem" --cert "$tmp/c.pem" --subject "CN=seed" > /dev/null
for f in sign_counter seal_many_maps seal_types seal_progarray core_minimal; do
  "$cc" -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c "$src/$f.bpf.c" -o "$tmp/$f.o"
  cp "$tmp/$f.o" "$out/bpf_elf/$f.o"
  "$tool" seal "$tmp/$f.o" -o "$tmp/$f.sealed.o" > /dev/null || continue
  cp "$tmp/$f.sealed.o" "$out/sealed/$f.unsigned.o"
  "$tool" sign "$tmp/$f.sealed.o" --key "$tmp/k.pem" --cert "$tmp/c.pem" > /dev/null
  cp "$tmp/$f.sealed.o" "$out/sealed/$f.signed.o"
  python3 - "$tmp/$f.sealed.o" "$out" "$f" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
out, name = sys.argv[2], sys.argv[3]
shoff, = struct.unpack_from('<Q', data, 0x28)
shnum, shstrndx = struct.unpack_from('<HH', data, 0x3c)
secs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * 64) for i in range(shnum)]
strtab = secs[shstrndx]
def name_of(s):
    o = strtab[4] + s[0]
    return data[o:data.index(b'\0', o)].decode()
for s in secs:
    n, body = name_of(s), data[s[4]:s[4] + s[5]]
    if n == '.bpfseal.meta':
        blob, js = struct.unpack_from('<II', body, len(body) - 8)
        open(f'{out}/manifest/{name}.json', 'wb').write(body[blob:blob + js])
    elif n.startswith('.bpfseal.sig.') and body:
        open(f'{out}/cms/{name}.{n[13:]}.der', 'wb').write(body)
PY
done
cp "$out"/sealed/* "$out/cli/"

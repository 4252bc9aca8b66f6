#!/bin/sh
# prepare.sh BUILD_DIR OUT_DIR
#
# Host side of the kernel matrix: everything a guest needs, made once per run
# of run-matrix.sh (the guests only run it). OUT_DIR/art goes into every
# initramfs (and is what the host run uses); OUT_DIR/keys holds the private
# keys and never leaves the host.
#   art/bin/      bpfseal (the static CLI), bpfseal-vmtest
#   art/certs/    signer.{crt,der,skid}, other.{crt,der} (a certificate that did not sign)
#   art/objs/     good.sealed.o (sealed + signed vm_counter.bpf.o), set.sealed.o (--set
#                 increment=1000000007) and three damaged copies of good; plain.bpf.o
#                 (unsigned, for `bpftool prog load` under the enforcement policy);
#                 alt.sealed.o (vm_alt.bpf.o with alternative groups "fentry" and "tp")
#   art/upstream/ the upstream-style hash-only loader for the bypass tests, signed
#   art/guest-suite.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: prepare.sh BUILD_DIR OUT_DIR}
out=${2:?usage: prepare.sh BUILD_DIR OUT_DIR}
bpfseal=$build/tools/bpfseal/bpfseal-static
vmtest=$build/test/vm/bpfseal-vmtest
obj=$build/test/vm/vm_counter.bpf.o
plain=$build/test/vm/vm_plain.bpf.o
policy=$build/policy/enforce.bpf.o
for f in "$bpfseal" "$vmtest" "$obj" "$plain" "$build/test/vm/vm_alt.bpf.o"; do
  [ -e "$f" ] || { echo "prepare: $f missing: build the target vm_test_objects first" >&2; exit 1; }
done

art=$out/art
keys=$out/keys
rm -rf "$art" "$keys"
mkdir -p "$art/bin" "$art/certs" "$art/objs" "$art/upstream" "$keys"
# Without debug info: the initramfs is smaller and boots faster.
strip --strip-debug -o "$art/bin/bpfseal" "$bpfseal"
strip --strip-debug -o "$art/bin/bpfseal-vmtest" "$vmtest"
cp "$here/guest-suite.sh" "$art/guest-suite.sh"

for who in signer other; do
  "$bpfseal" keygen --key "$keys/$who.key" --cert "$art/certs/$who.crt" --der "$art/certs/$who.der" \
    --subject "CN=bpfseal vm test $who" --bits 2048 >/dev/null
done

cp "$plain" "$art/objs/plain.bpf.o"
# The signer's key id as the kernel prints it in key descriptions (lowercase
# hex, no colons), for the enforce --status signer row.
openssl x509 -in "$art/certs/signer.crt" -noout -ext subjectKeyIdentifier |
  sed -n '2s/[ :]//gp' | tr 'A-F' 'a-f' >"$art/certs/signer.skid"
good=$art/objs/good.sealed.o
"$bpfseal" seal "$obj" -o "$good"
"$bpfseal" sign "$good" --key "$keys/signer.key" --cert "$art/certs/signer.crt" >/dev/null
# Build-time configuration: every event adds 1000000007 instead of 1 (no count of
# single increments can be a multiple of it within a test).
"$bpfseal" seal "$obj" -o "$art/objs/set.sealed.o" --set increment=1000000007
"$bpfseal" sign "$art/objs/set.sealed.o" --key "$keys/signer.key" --cert "$art/certs/signer.crt" >/dev/null
# The enforcement policy (policy/), built like a site builds it, in both modes,
# signed with the same test key.
# One narrow exemption, as a site would give systemd's device filters: unsigned
# cgroup_device programs (type 15: bit 0x8000) from cgroup id 1 (the guests'
# only cgroup).
# Without the plugin there is no policy object: the suite SKIPs the enforce rows.
[ -e "$policy" ] || { echo "prepare: no $policy (built only with the plugin): enforce rows will skip" >&2; }
for m in enforce audit; do
  [ -e "$policy" ] || break
  "$bpfseal" enforce build --object "$policy" --key "$keys/signer.key" --cert "$art/certs/signer.crt" \
    --set mode=$m --set exempt_prog_types=0x8000 --set exempt_cgroup_id=1 \
    -o "$art/objs/policy-$m.sealed.o" >/dev/null
done
# Alternative program groups: "fentry" where trampolines work, else "tp" (row alternatives).
"$bpfseal" seal "$build/test/vm/vm_alt.bpf.o" -o "$art/objs/alt.sealed.o" \
  --alternative fentry=vm_alt_fentry --alternative tp=vm_alt_tp
"$bpfseal" sign "$art/objs/alt.sealed.o" --key "$keys/signer.key" --cert "$art/certs/signer.crt" >/dev/null
# 100 programs: the loader's widened stack struct (row hundred-programs).
"$bpfseal" seal "$build/test/vm/vm_hundred.bpf.o" -o "$art/objs/hundred.sealed.o"
"$bpfseal" sign "$art/objs/hundred.sealed.o" --key "$keys/signer.key" --cert "$art/certs/signer.crt" >/dev/null
python3 "$here/vm_tamper.py" "$good" "$art/objs/tampered-loader.sealed.o" loaders
python3 "$here/vm_tamper.py" "$good" "$art/objs/tampered-metadata.sealed.o" metadata
python3 "$here/vm_tamper.py" "$good" "$art/objs/junk-sig.sealed.o" junk-sig

# The loader a bpfseal-less project would ship on 6.18/7.2: gen_loader with a
# map->sha check and nothing else, signed like bpftool signs (detached CMS,
# SHA-256, no certs, no signed attributes, key id).
"$vmtest" gen-upstream "$obj" "$art/upstream" >/dev/null
openssl cms -sign -binary -noattr -nocerts -keyid -md sha256 -outform DER \
  -in "$art/upstream/loader.bin" -signer "$art/certs/signer.crt" -inkey "$keys/signer.key" \
  -out "$art/upstream/loader.sig"
echo "prepare: artifacts in $art ($(du -sh "$art" | cut -f1))"

#!/usr/bin/env bash
# The bpfseal demo, end to end on the running kernel (needs root):
#   compile demo/counter.bpf.c with the Clang plugin, seal it with a process
#   filter baked in, sign it with a fresh RSA key, verify and inspect it, load
#   it through the signed loader, attach it and count a known workload exactly,
#   then show a tampered copy and a foreign signer rejected with nothing loaded.
# Usage: demo/run.sh [BUILD_DIR]   (default: ./build, made by scripts/build.sh)
# Exits non-zero if any step does not behave as shown.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${BPFSEAL_BUILD_DIR:-$here/build}}" && pwd)
bpfseal=$build/tools/bpfseal/bpfseal
plugin=$build/llvm-plugin/BpfSealPlugin.so
clang=/usr/lib/llvm-19/bin/clang
out=$build/demo
pin=/sys/fs/bpf/bpfseal-demo
workload_opens=100

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "loading BPF programs needs root (run: sudo $0)"
for f in "$bpfseal" "$plugin" "$clang"; do
  [ -x "$f" ] || [ -f "$f" ] || fail "$f is missing (build first: scripts/build.sh)"
done
command -v bpftool >/dev/null || fail "bpftool is missing (scripts/install-deps.sh installs it)"

workload_pid=
cleanup() {
  [ -n "$workload_pid" ] && kill "$workload_pid" 2>/dev/null || true
  rm -rf "$pin" 2>/dev/null || true
  rm -f "$out/go"
}
trap cleanup EXIT
rm -rf "$out" "$pin"
mkdir -p "$out"
cd "$out"

step "1. A development signing key (RSA-3072, X.509 with subjectKeyIdentifier)"
run "$bpfseal" keygen --key dev.key --cert dev.crt --subject "CN=bpfseal demo key"

step "2. Compile with the Clang plugin: manifest + signing hazards reported at compile time"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
run "$clang" -target bpf -O2 -g -D__TARGET_ARCH_x86 -I. -fplugin="$plugin" \
  -c "$here/demo/counter.bpf.c" -o counter.bpf.o
run llvm-readelf-19 -p .bpfseal.unit counter.bpf.o | cut -c1-160 | head -4

# The workload whose openat() calls the program will count: it waits for a
# line on a FIFO, opens /etc/hostname $workload_opens times and exits.
mkfifo go
/usr/bin/python3 -I -S -c '
import sys
sys.stdin.readline()
for _ in range('"$workload_opens"'):
    open("/etc/hostname").close()
' < go &
workload_pid=$!
exec 3> go # opening the FIFO for writing lets the workload start and block in readline()

step "3. Seal: loaders for every kernel scheme, the workload's pid baked into .rodata"
run "$bpfseal" seal counter.bpf.o -o counter.sealed.o --set target_tgid=$workload_pid

step "4. Sign every loader (detached CMS, the form the kernel verifies)"
run "$bpfseal" sign counter.sealed.o --key dev.key --cert dev.crt

step "5. Verify offline and inspect"
run "$bpfseal" verify counter.sealed.o --cert dev.crt
run "$bpfseal" inspect counter.sealed.o

step "6. Load through the signed loader and attach (this kernel cannot verify signatures itself)"
# Programs of this object in the kernel (freeing is asynchronous: wait a little).
demo_progs() {
  local n i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    n=$(bpftool prog list | grep -c ' name count_openat ' || true)
    [ "$n" -eq "${1:-$n}" ] && break
    sleep 0.2
  done
  echo "$n"
}
progs_before=$(demo_progs)
echo "# kernel mode fails closed here, naming the cause:"
if "$bpfseal" load counter.sealed.o --mode kernel --exit-after-load; then
  echo "# (this kernel verified the signature itself)"
  kernel_verified=1
else
  kernel_verified=0
fi
run "$bpfseal" load counter.sealed.o --cert dev.crt --pin "$pin" --exit-after-load

step "7. Run the workload: $workload_opens openat() calls, counted in the kernel"
echo go >&3
exec 3>&-
wait "$workload_pid"
workload_pid=
run bpftool map dump pinned "$pin/maps/openat_calls"
count=$(bpftool -j map dump pinned "$pin/maps/openat_calls" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"])')
echo "counted $count openat() calls of pid-filtered workload (expected $workload_opens)"
[ "$count" -eq "$workload_opens" ] || fail "expected $workload_opens, counted $count"
rm -rf "$pin"

step "8. A tampered copy (one bit of the metadata flipped) is rejected"
python3 "$here/test/Inputs/sign_tamper.py" counter.sealed.o tampered.sealed.o \
  section .bpfseal.meta
if "$bpfseal" verify tampered.sealed.o --cert dev.crt; then fail "verify accepted a tampered object"; fi
if "$bpfseal" load tampered.sealed.o --cert dev.crt --exit-after-load; then
  fail "load accepted a tampered object"
fi

step "9. A copy re-signed by a key nobody trusts is rejected"
run "$bpfseal" keygen --key other.key --cert other.crt --subject "CN=someone else" >/dev/null
cp counter.sealed.o foreign.sealed.o
"$bpfseal" sign foreign.sealed.o --key other.key --cert other.crt >/dev/null
if "$bpfseal" load foreign.sealed.o --cert dev.crt --exit-after-load; then
  fail "load accepted an object signed by an untrusted key"
fi

progs_after=$(demo_progs "$progs_before")
[ "$progs_after" -eq "$progs_before" ] || fail "programs left behind: $progs_before before, $progs_after after"
step "Demo OK: signed object loaded and counted exactly; tampered and foreign copies rejected; nothing left behind ($progs_after count_openat programs before and after)"
[ "$kernel_verified" -eq 1 ] || echo "(kernel-verified loading is shown in the guest-kernel matrix: test/vm)"

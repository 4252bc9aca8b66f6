#!/bin/sh
# Runs inside a fresh network namespace (unshare -n): loads the sealed
# rt_kinds object with targets for every kind that needs one, pins it, makes
# each attached program fire once or more, and prints the hit counters.
# usage: rt_attach_kinds.sh BPFSEAL BPFTOOL SEALED CERT PIN CGROUP
set -eu
bpfseal=$1 bpftool=$2 sealed=$3 cert=$4 pin=$5 cgroup=$6
ip link set lo up
rm -rf "$pin"
mkdir -p "$cgroup"
out=$(mktemp)
"$bpfseal" load "$sealed" --mode userspace --cert "$cert" --pin "$pin" \
  --target k_xdp=lo --target k_tc=lo:egress \
  --target k_uprobe=/usr/lib/x86_64-linux-gnu/libc.so.6:getpid \
  --target k_cgroup="$cgroup" > "$out" 2>&1 &
load=$!
# Whatever fails below, never leave the loader holding its links.
trap 'set +e; kill -TERM $load 2>/dev/null; wait $load 2>/dev/null; rm -rf "$pin" "$out"; rmdir "$cgroup" 2>/dev/null; true' EXIT
for i in $(seq 200); do grep -q '^holding' "$out" && break; sleep 0.05; done
cat "$out"
# ping from inside the cgroup, so its egress program sees the packets too
sh -c 'echo $$ > "$1/cgroup.procs" && exec ping -c 3 -i 0.2 -q 127.0.0.1' sh "$cgroup" > /dev/null
python3 -c 'import ctypes; libc = ctypes.CDLL("libc.so.6"); [libc.getpid() for _ in range(5)]'
sleep 0.1
"$bpftool" -j map dump pinned "$pin/maps/kind_hits" | python3 -c '
import json, sys
names = ["raw_tp", "tp_btf", "-", "-", "uprobe", "xdp", "tc", "cgroup"]
for e in json.load(sys.stdin):
    slot = int(e["key"][0], 16)
    hits = int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little")
    if names[slot] != "-":
        print("hits", names[slot], "yes" if hits else "no")
'
kill -TERM $load
wait $load || true
tail -n 2 "$out"

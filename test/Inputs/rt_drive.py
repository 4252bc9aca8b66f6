#!/usr/bin/env python3
"""Drives an exact-count test of libbpfseal on the running kernel.

A helper process (rt_syscalls, or the C API test program) prints "pid N" and
waits. This script seals rt_count.bpf.o with target_tgid=N baked in, signs
it, and then either
  --cli:  runs `bpfseal load SEALED --pin DIR ...`, waits until it holds,
          lets the helper make its getppid() calls, reads the pinned maps
          with bpftool, stops bpfseal with SIGTERM, removes the pins and
          checks that the program is gone from the kernel;
  --exec: writes the sealed path to the helper's stdin; the helper loads,
          attaches and counts by itself (C API test) and prints its verdict.
Prints key=value lines for FileCheck and exits non-zero on any failure.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time


def die(msg):
    print("rt_drive: error: " + msg, flush=True)
    sys.exit(1)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def map_values(bpftool, path):
    """[(key bytes, value bytes)] of a pinned map, via bpftool's JSON."""
    out = run([bpftool, "-j", "map", "dump", "pinned", path])
    rows = []
    for e in json.loads(out):
        rows.append((bytes(int(x, 16) for x in e["key"]),
                     bytes(int(x, 16) for x in e["value"])))
    return rows


def u(b, off, size):
    return int.from_bytes(b[off:off + size], "little")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfseal", required=True)
    ap.add_argument("--bpftool", default="bpftool")
    ap.add_argument("--obj", required=True, help="rt_count.bpf.o")
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--work", required=True, help="directory for the sealed object")
    ap.add_argument("--seal-arg", action="append", default=[])
    ap.add_argument("--load-arg", action="append", default=[])
    ap.add_argument("--pin", help="bpffs directory (--cli)")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--helper", help="rt_syscalls binary (--cli; default WORK/rt_syscalls)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--cli", action="store_true")
    mode.add_argument("--exec", dest="exec_cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()

    os.makedirs(a.work, exist_ok=True)
    a.helper = a.helper or os.path.join(a.work, "rt_syscalls")
    helper_cmd = a.exec_cmd if a.exec_cmd else [a.helper, str(a.calls)]
    helper = subprocess.Popen(helper_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    first = helper.stdout.readline().split()
    if len(first) != 2 or first[0] != "pid":
        die(f"helper did not print its pid (got {first})")
    pid = int(first[1])
    sealed = os.path.join(a.work, "rt_count.sealed.o")
    run([a.bpfseal, "seal", "--set", f"target_tgid={pid}", *a.seal_arg, a.obj, "-o", sealed])
    run([a.bpfseal, "sign", "--key", a.key, "--cert", a.cert, sealed])

    if a.exec_cmd:
        helper.stdin.write(sealed + "\n")
        helper.stdin.flush()
        out, _ = helper.communicate(timeout=120)
        sys.stdout.write(out)
        sys.exit(helper.returncode)

    if not a.pin:
        die("--cli needs --pin")
    shutil.rmtree(a.pin, ignore_errors=True)
    load = None
    try:
        load = drive_cli(a, helper, pid, sealed)
    finally:
        # Whatever failed, leave no loader holding, no pins, no helper.
        if load and load.poll() is None:
            load.kill()
            load.wait()
        if helper.poll() is None:
            helper.kill()
            helper.wait()
        shutil.rmtree(a.pin, ignore_errors=True)


def drive_cli(a, helper, pid, sealed):
    load = subprocess.Popen([a.bpfseal, "load", sealed, "--cert", a.cert, "--pin", a.pin,
                             *a.load_arg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    for line in load.stdout:
        lines.append(line)
        if line.startswith("holding"):
            break
    else:
        load.wait()
        helper.kill()
        die("bpfseal load exited early: " + "".join(lines).strip().replace("\n", " | "))
    sys.stdout.write("".join("load: " + l for l in lines))

    helper.stdin.write("go\n")
    helper.stdin.flush()
    done = helper.stdout.readline().strip()
    print(f"helper: {done}")
    maps = os.path.join(a.pin, "maps")
    counts = map_values(a.bpftool, os.path.join(maps, "counts"))
    per_thread = map_values(a.bpftool, os.path.join(maps, "per_thread"))
    bss = map_values(a.bpftool, os.path.join(maps, "rt_count_bss"))[0][1]
    data = map_values(a.bpftool, os.path.join(maps, "rt_count_data"))[0][1]
    print(f"counts={u(counts[0][1], 0, 8)} expected={a.calls}")
    print(f"per_thread_entries={len(per_thread)} per_thread_sum={sum(u(v, 0, 8) for _, v in per_thread)}")
    # .bss: u64 total, u32 seen_tgid (declaration order); .data: u32 parent
    print(f"total={u(bss, 0, 8)}")
    print(f"seen_tgid_is_helper={int(u(bss, 8, 4) == pid)}")
    print(f"parent_is_driver={int(u(data, 0, 4) == os.getpid())}")

    prog_id = json.loads(run([a.bpftool, "-j", "prog", "show", "pinned",
                              os.path.join(a.pin, "progs", "count_getppid")]))["id"]
    load.send_signal(signal.SIGTERM)
    rest, _ = load.communicate(timeout=30)
    sys.stdout.write("".join("load: " + l + "\n" for l in rest.splitlines()))
    print(f"load_exit={load.returncode}")
    helper.stdin.close()
    helper.wait()
    shutil.rmtree(a.pin)
    # The kernel frees programs from deferred work: give it a moment.
    gone = False
    for _ in range(100):
        gone = subprocess.run([a.bpftool, "prog", "show", "id", str(prog_id)],
                              capture_output=True).returncode != 0
        if gone:
            break
        time.sleep(0.05)
    print(f"program_gone_after_unpin={int(gone)}")
    return load


if __name__ == "__main__":
    main()

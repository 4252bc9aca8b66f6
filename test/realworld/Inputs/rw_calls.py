#!/usr/bin/env python3
"""`rw_calls.py N [--many]`: N rounds of getppid+getpgid (with --many: the 11
syscalls rw_many.bpf.c counts in slots 0-7, 10, 11, 14-17)."""
import os, sys

n = int(sys.argv[1])
many = "--many" in sys.argv
for _ in range(n):
    os.getppid(); os.getpgid(0)
    if many:
        os.getuid(); os.geteuid(); os.getgid(); os.getegid()
        os.sched_yield(); os.getcwd(); os.umask(0o22); os.uname(); os.times()
print("calls", n)

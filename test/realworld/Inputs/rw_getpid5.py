#!/usr/bin/env python3
# Exactly 5 getpid(2) calls (glibc does not cache getpid since 2.25).
import ctypes
libc = ctypes.CDLL(None)
for _ in range(5):
    libc.getpid()

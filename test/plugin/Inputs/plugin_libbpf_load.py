#!/usr/bin/env python3
"""Opens and loads a BPF object with the system's libbpf (test/plugin).

usage: plugin_libbpf_load.py [--open-only] OBJECT

Prints each program's name and, once loaded into the running kernel, that
it got a file descriptor. Exits non-zero with libbpf's errno on failure.
"""
import ctypes
import os
import sys

libbpf = ctypes.CDLL("libbpf.so.1", use_errno=True)
libbpf.bpf_object__open_file.restype = ctypes.c_void_p
libbpf.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
libbpf.bpf_object__load.argtypes = [ctypes.c_void_p]
libbpf.bpf_object__next_program.restype = ctypes.c_void_p
libbpf.bpf_object__next_program.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
libbpf.bpf_program__name.restype = ctypes.c_char_p
libbpf.bpf_program__name.argtypes = [ctypes.c_void_p]
libbpf.bpf_program__fd.argtypes = [ctypes.c_void_p]
libbpf.bpf_object__close.argtypes = [ctypes.c_void_p]


def main():
    paths = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    if len(paths) != 1:
        sys.exit(__doc__)
    path = paths[0]
    obj = libbpf.bpf_object__open_file(path.encode(), None)
    if not obj:
        err = ctypes.get_errno()
        sys.exit(f"open {path}: {os.strerror(err)}")
    print(f"opened {os.path.basename(path)}")
    if "--open-only" not in sys.argv:
        err = libbpf.bpf_object__load(obj)
        if err:
            libbpf.bpf_object__close(obj)
            sys.exit(f"load {path}: {os.strerror(-err)}")
    prog = libbpf.bpf_object__next_program(obj, None)
    while prog:
        name = libbpf.bpf_program__name(prog).decode()
        fd = libbpf.bpf_program__fd(prog)
        print(f"program {name} loaded={'yes' if fd >= 0 else 'no'}")
        prog = libbpf.bpf_object__next_program(obj, prog)
    libbpf.bpf_object__close(obj)


if __name__ == "__main__":
    main()

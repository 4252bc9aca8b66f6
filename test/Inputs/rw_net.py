#!/usr/bin/env python3
"""Traffic for test/realworld: `rw_net.py N PORT [CGROUP_DIR]` sends N UDP
datagrams over a connected socket to a bound 127.0.0.1:PORT receiver (after
moving itself into CGROUP_DIR if given) and receives them all."""
import os, socket, sys

n, port = int(sys.argv[1]), int(sys.argv[2])
if len(sys.argv) > 3:
    with open(os.path.join(sys.argv[3], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", port))
r.settimeout(5)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
for _ in range(n):
    s.send(b"x")
got = sum(len(r.recv(16)) for _ in range(n))
print(f"net: sent {n}, received {got}")
sys.exit(0 if got == n else 1)

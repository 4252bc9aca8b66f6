#!/usr/bin/env python3
"""Traffic for test/realworld: `rw_net.py N PORT [CGROUP_DIR] [--tcp]` sends N UDP
datagrams over a connected socket to a bound 127.0.0.1:PORT receiver (after
moving itself into CGROUP_DIR if given) and receives them all; with --tcp it
then makes one TCP connection to a listener on PORT."""
import os, socket, sys

tcp = "--tcp" in sys.argv
args = [a for a in sys.argv[1:] if a != "--tcp"]
n, port = int(args[0]), int(args[1])
if len(args) > 2:
    with open(os.path.join(args[2], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", port))
r.settimeout(5)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
for _ in range(n):
    s.send(b"x")
got = sum(len(r.recv(16)) for _ in range(n))
if tcp:
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", port))
    lst.listen(1)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    peer, _ = lst.accept()
    c.sendall(b"hello")
    got_tcp = peer.recv(16)
    print(f"net: tcp exchanged {len(got_tcp)} bytes")
print(f"net: sent {n}, received {got}")
sys.exit(0 if got == n else 1)

#!/usr/bin/env python3
"""Opens N keep-alive connections, sends one GET /ping on each, keeps them
open for a few seconds while the caller reads the server's RSS."""
import socket, sys, time
host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n")
    socks.append(s)
ok = sum(1 for s in socks if s.recv(4096).startswith(b"HTTP/1.1 200"))
print(f"{ok}/{n} connections open and answered", flush=True)
time.sleep(hold)

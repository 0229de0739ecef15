#!/usr/bin/env python3
"""Memory of `baas serve` under held connections: prints figures, asserts nothing.

    python3 benches/serve/held.py BAAS_BINARY [PORT] [-- SERVE_FLAGS...]

Starts `BAAS_BINARY serve --example` on PORT (default 18080), opens 5,000
connections that each send a half request header (2 KB) and hold it, and
prints the server's resident memory before, while they are held, and 3 s
after they are all closed, as one JSON line. Raise the open-files limit
first (`ulimit -n 20000`). Compare two builds by running it on each.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HELD = 5000


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return None


def main():
    args = sys.argv[1:]
    flags = []
    if "--" in args:
        flags = args[args.index("--") + 1:]
        args = args[: args.index("--")]
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    port = int(args[1]) if len(args) > 1 else 18080
    folder = tempfile.mkdtemp(prefix="baas-held-")
    server = subprocess.Popen(
        [binary, "serve", "--example", "--port", str(port), *flags],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "BAAS_LOG": "error"},
    )
    try:
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        before = rss_mb(server.pid)
        held = []
        for _ in range(HELD):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"GET /api/_health HTTP/1.1\r\nhost: localhost\r\nx-slow: " + b"a" * 2000)
            held.append(connection)
        time.sleep(2)
        during = rss_mb(server.pid)
        for connection in held:
            connection.close()
        time.sleep(3)
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(json.dumps({
        "binary": binary,
        "held": HELD,
        "rss_mb_before": before,
        "rss_mb_held": during,
        "rss_mb_after_close": after,
    }))


if __name__ == "__main__":
    main()

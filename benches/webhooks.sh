#!/usr/bin/env bash
# Webhook delivery throughput (issue "Speed": >= 1,000 deliveries/s to a
# local receiver): prints figures, asserts nothing.
#
#   bash benches/webhooks.sh
#
# 1. `baas serve` on the embedded SQLite database, with one webhook
#    (`on = ["post.create"]`, signed, `max_attempts = 1`) whose receiver is
#    not running yet: N posts are created through the API (their
#    deliveries fail once and go dead), and the write rate is printed.
# 2. The receiver starts (Python asyncio, keep-alive HTTP/1.1, checks every
#    signature and counts distinct event ids), then `baas webhooks retry
#    --all-dead` makes the N deliveries due at once: deliveries/s is N over
#    the time from the retry to the N-th distinct delivery.
#
# Environment: BAAS_BENCH_DELIVERIES (N, 5000), BAAS_BENCH_WRITERS
# (concurrent writers, 8), BAAS_BIN (the baas to run; default: a release
# build), BAAS_BENCH_KEEP (keep the work folder and its logs).
set -euo pipefail
cd "$(dirname "$0")/.."

n="${BAAS_BENCH_DELIVERIES:-5000}"
writers="${BAAS_BENCH_WRITERS:-8}"
if [ -n "${BAAS_BIN:-}" ]; then
    bin="$BAAS_BIN"
else
    cargo build --release -q
    bin="${CARGO_TARGET_DIR:-target}/release/baas"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d)"
cleanup() {
    if [ -n "${serve_pid:-}" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    if [ -n "${receiver_pid:-}" ]; then kill "$receiver_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    if [ -n "${BAAS_BENCH_KEEP:-}" ]; then
        echo "work folder kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
receiver_port="$(free_port)"
serve_port="$(free_port)"
secret="bench-webhook-secret"

cat >"$work/baas.toml" <<EOF
[manifest]
format = 1
version = 1

[entities.post]
table = "post"
primary_key = ["id"]
[entities.post.fields]
id = { type = "int64" }
title = { type = "string" }

[[webhooks]]
name = "bench"
on = ["post.create"]
url = "http://127.0.0.1:$receiver_port/hook"
secret = "\${HOOK_SECRET}"
max_attempts = 1
timeout_seconds = 5
EOF

cat >"$work/receiver.py" <<'EOF'
"""A keep-alive HTTP/1.1 webhook receiver: checks each signature, counts
distinct event ids, and writes `count first last bad` (Unix seconds) to
the file given once `target` distinct ids arrived."""
import asyncio, hashlib, hmac, sys, time

port, secret, target, out = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
seen, bad, first, done = set(), 0, None, False

async def handle(reader, writer):
    global bad, first, done
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            stamp = headers.get("x-baas-timestamp", "")
            expected = "sha256=" + hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-baas-signature", "")):
                bad += 1
            if first is None:
                first = time.time()
            seen.add(headers.get("x-baas-event-id"))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            if len(seen) >= target and not done:
                done = True
                with open(out, "w") as f:
                    f.write(f"{len(seen)} {first} {time.time()} {bad}\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
EOF

cat >"$work/write.py" <<'EOF'
"""Creates posts 1..n through the API with `writers` keep-alive connections;
prints the elapsed seconds."""
import http.client, json, sys, threading, time

port, n, writers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
failures = []

def write(start):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(start, n + 1, writers):
        body = json.dumps({"id": i, "title": f"post {i}"})
        connection.request("POST", "/api/post", body, {"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            failures.append(response.status)

started = time.time()
threads = [threading.Thread(target=write, args=(w + 1,)) for w in range(writers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit(f"{len(failures)} writes failed: {failures[:5]}")
print(f"{time.time() - started:.3f}")
EOF

cd "$work"
export HOOK_SECRET="$secret" BAAS_LOG=error NO_COLOR=1
"$bin" serve --port "$serve_port" >serve.out 2>serve.log &
serve_pid=$!
for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$serve_port/api/_health" >/dev/null 2>&1 && break
    sleep 0.1
done

echo "baas: $bin"
echo "deliveries: $n (one webhook, signed, SQLite outbox)"
elapsed="$(python3 write.py "$serve_port" "$n" "$writers")"
python3 -c "import sys; n, s = int(sys.argv[1]), float(sys.argv[2]); print(f'writes:     {n} POST in {s:.2f} s = {n / s:,.0f}/s ({sys.argv[3]} writers; each records its delivery in the same transaction)')" "$n" "$elapsed" "$writers"

# Every delivery fails once (nothing listens yet) and goes dead.
for _ in $(seq 1 600); do
    dead="$("$bin" --json webhooks list --state dead --limit 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["counts"].get("dead", 0))')"
    [ "$dead" -ge "$n" ] && break
    sleep 0.2
done

python3 receiver.py "$receiver_port" "$secret" "$n" result.txt &
receiver_pid=$!
sleep 0.5
retried_at="$(python3 -c 'import time; print(time.time())')"
"$bin" --json webhooks retry --all-dead >/dev/null
for _ in $(seq 1 1200); do
    [ -s result.txt ] && break
    sleep 0.05
done
if [ ! -s result.txt ]; then
    echo "the receiver did not get $n deliveries within 60 s" >&2
    exit 1
fi
python3 - "$retried_at" <<'EOF'
import sys
count, first, last, bad = open("result.txt").read().split()
count, first, last, bad = int(count), float(first), float(last), int(bad)
start = float(sys.argv[1])
print(f"delivery:   {count} deliveries in {last - start:.2f} s after the retry = {count / (last - start):,.0f}/s "
      f"(first after {1000 * (first - start):.0f} ms; {bad} bad signatures)")
EOF

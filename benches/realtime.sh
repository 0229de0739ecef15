#!/usr/bin/env bash
# Benchmark of realtime (issue "Speed"): prints figures, asserts nothing.
#
#   bash benches/realtime.sh
#
# One `baas serve` on the embedded SQLite database; SUBSCRIBERS clients
# hold `GET /api/_realtime?subscribe=tick` open while a writer POSTs
# RATE rows a second for DURATION seconds, each carrying its send time.
# Write-to-delivery latency is measured on SAMPLED subscribers (every
# event they receive is parsed: now - the row's send time); the others read
# and drop their bytes, so the server does the whole fan-out. Printed: the
# events delivered, p50/p90/p99/max latency, the writes' own p99, and the
# server's resident memory (VmRSS) before, with the subscribers connected,
# and at the end (VmHWM: its peak).
#
# Environment: BAAS_BENCH_SUBSCRIBERS (1000), BAAS_BENCH_RATE (200),
# BAAS_BENCH_DURATION (10), BAAS_BENCH_SAMPLED (50), BAAS_BIN (the baas to
# run; default: a release build), BAAS_BENCH_KEEP (keep the work folder).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

subscribers=${BAAS_BENCH_SUBSCRIBERS:-1000}
rate=${BAAS_BENCH_RATE:-200}
duration=${BAAS_BENCH_DURATION:-10}
sampled=${BAAS_BENCH_SAMPLED:-50}

if [[ -z "${BAAS_BIN:-}" ]]; then
  cargo build --release --quiet --bin baas
  target=${CARGO_TARGET_DIR:-$repo/target}
  BAAS_BIN=$target/release/baas
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "${BAAS_BENCH_KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

cat > "$work/baas.toml" <<'TOML'
[manifest]
format = 1
version = 1

[entities.tick]
table = "tick"
primary_key = ["id"]
[entities.tick.fields]
id = { type = "int64", generated = "autoincrement" }
sent_ns = { type = "int64" }
note = { type = "string" }
TOML

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
  cd "$work"
  # Subscribers and the writer share the machine: allow more connections
  # than the default cap, and enough open files for them.
  ulimit -n 8192 2>/dev/null || true
  BAAS_LOG=warn exec "$BAAS_BIN" serve --port "$port" --max-connections $((subscribers + 64)) > "$work/serve.log" 2>&1
) &
server_pid=$!
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$port/api/_health" > /dev/null; then break; fi
  sleep 0.1
done
# The subshell execs baas: its pid is the server's.
echo "baas serve on :$port (pid $server_pid), $("$BAAS_BIN" --version 2>/dev/null || echo baas)"

python3 - "$port" "$subscribers" "$rate" "$duration" "$sampled" "$server_pid" <<'PY'
import asyncio, json, os, sys, time

port, subscribers, rate, duration, sampled, pid = (int(a) for a in sys.argv[1:])

def rss(field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")

latencies = []
delivered = 0
ready = 0

async def subscriber(index, started):
    global delivered, ready
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write(
        f"GET /api/_realtime?subscribe=tick HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise SystemExit(f"subscriber {index}: {head!r}")
    ready += 1
    if ready == subscribers:
        started.set()
    if index >= sampled:
        # Read and drop: the server still writes every event to it.
        while await reader.read(1 << 16):
            pass
        return
    buffer = b""
    while True:
        chunk = await reader.read(1 << 16)
        if not chunk:
            return
        now = time.time_ns()
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            at = line.find(b'"sent_ns":')
            if line.startswith(b"data:") and at >= 0:
                end = at + 10
                while end < len(line) and line[end:end + 1].isdigit():
                    end += 1
                latencies.append((now - int(line[at + 10:end])) / 1e6)
                delivered += 1

async def writer_loop(write_latencies):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    interval = 1 / rate
    start = time.monotonic()
    for n in range(rate * duration):
        target = start + n * interval
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.time_ns()
        body = json.dumps({"sent_ns": sent, "note": "x" * 64}).encode()
        writer.write(
            b"POST /api/tick HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        write_latencies.append((time.time_ns() - sent) / 1e6)
    writer.close()

def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]

async def main():
    before = rss()
    started = asyncio.Event()
    tasks = [asyncio.create_task(subscriber(i, started)) for i in range(subscribers)]
    await asyncio.wait_for(started.wait(), 120)
    connected = rss()
    write_latencies = []
    t0 = time.monotonic()
    await writer_loop(write_latencies)
    took = time.monotonic() - t0
    await asyncio.sleep(2)
    expected = rate * duration * min(sampled, subscribers)
    print(f"subscribers        {subscribers} (latency sampled on {min(sampled, subscribers)})")
    print(f"writes             {len(write_latencies)} in {took:.1f} s ({len(write_latencies) / took:.0f}/s), POST p50 {pct(write_latencies, 50):.1f} ms, p99 {pct(write_latencies, 99):.1f} ms")
    print(f"events (sampled)   {delivered} of {expected} expected")
    print(f"write-to-delivery  p50 {pct(latencies, 50):.1f} ms  p90 {pct(latencies, 90):.1f} ms  p99 {pct(latencies, 99):.1f} ms  max {max(latencies or [float('nan')]):.1f} ms  (target p99 < 50 ms)")
    print(f"server RSS         {before:.0f} MiB idle, {connected:.0f} MiB with the subscribers, {rss():.0f} MiB at the end, peak {rss('VmHWM'):.0f} MiB")
    for task in tasks:
        task.cancel()

asyncio.run(main())
PY

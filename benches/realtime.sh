#!/usr/bin/env bash
# Benchmark of realtime (issue "Speed"): prints figures with their floors,
# asserts nothing.
#
#   BAAS_BIN=target/release/baas bash benches/realtime.sh
#
# One `baas serve` on the embedded SQLite database; SUBSCRIBERS clients
# hold `GET /api/_realtime?subscribe=tick` open while a writer POSTs RATE
# rows a second for DURATION seconds on a fixed schedule, each carrying its
# send time. Subscribers and writer are ONE Node process
# (benches/realtime_load.mjs: raw sockets, no parsing on the unsampled
# subscribers), so the generator stays cheap next to the server on a
# 2-core machine. Write-to-delivery latency is measured on SAMPLED
# subscribers (every event they receive: now - the row's send time); the
# others count bytes (a subscriber short of a sampled one's is short of
# events). Printed: the achieved write rate, the
# events delivered, p50/p90/p99/max latency, the writes' own latency, the
# CPU seconds of the server and of the generator, and the server's
# resident memory (VmRSS) idle, with the subscribers connected, and its
# peak (VmHWM).
#
# Environment: BAAS_BENCH_SUBSCRIBERS (1000), BAAS_BENCH_RATE (200),
# BAAS_BENCH_DURATION (10), BAAS_BENCH_SAMPLED (50), BAAS_BIN (the baas to
# run; default: a release build), BAAS_BENCH_KEEP (keep the work folder);
# the server's BAAS_REALTIME_BATCH_MS (its batch window, 20 ms) passes
# through.
# A smoke run with a debug build:
#   BAAS_BIN=target/debug/baas BAAS_BENCH_SUBSCRIBERS=100 BAAS_BENCH_RATE=50 bash benches/realtime.sh
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
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
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
sent_us = { type = "int64" }
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

# Resident memory (MiB) of the server: VmRSS, or VmHWM (its peak).
memory() {
  awk -v field="$1:" '$1 == field { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status"
}
# CPU seconds (user + system) the server has used.
cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

idle=$(memory VmRSS)
ulimit -n 8192 2>/dev/null || true
node "$repo/benches/realtime_load.mjs" "$port" "$subscribers" "$rate" "$duration" "$sampled" > "$work/load.jsonl" &
load_pid=$!
until grep -q '"connected"' "$work/load.jsonl" 2>/dev/null; do
  if ! kill -0 "$load_pid" 2>/dev/null; then
    echo "the load generator failed" >&2
    wait "$load_pid" || true
    exit 1
  fi
  sleep 0.1
done
connected=$(memory VmRSS)
cpu_before=$(cpu)
wait "$load_pid"
cpu_after=$(cpu)
peak=$(memory VmHWM)

python3 - "$work/load.jsonl" "$idle" "$connected" "$peak" "$cpu_before" "$cpu_after" <<'PY'
import json, sys

lines = [json.loads(line) for line in open(sys.argv[1])]
connected, done = lines[0], lines[-1]
idle, with_subscribers, peak = (float(a) for a in sys.argv[2:5])
server_cpu = float(sys.argv[6]) - float(sys.argv[5])
d = done
print(f"subscribers        {d['subscribers']} connected in {connected['seconds']:.1f} s (latency sampled on {d['sampled']})")
print(f"writes             {d['writes']} in {d['write_seconds']:.1f} s ({d['write_rate']:.0f}/s, schedule late p99 {d['schedule_late_p99_ms']:.1f} ms), {d['failed']} failed; POST p50 {d['post_p50_ms']:.1f} ms, p99 {d['post_p99_ms']:.1f} ms")
print(f"events             {d['events']} of {d['events_expected']} on the sampled subscribers; {d['short_subscribers']} subscribers short of events, {d['closes']} sampled ones closed as slow; {d['megabytes']:.0f} MB received in all")
print(f"write-to-delivery  p50 {d['p50_ms']:.1f} ms  p90 {d['p90_ms']:.1f} ms  p99 {d['p99_ms']:.1f} ms  max {d['max_ms']:.1f} ms  (floor: p99 < 50 ms)")
deliveries = d['writes'] * d['subscribers']
print(f"CPU                server {server_cpu:.1f} s ({server_cpu / deliveries * 1e6:.1f} us per delivery of {deliveries}), generator {d['generator_cpu_s']:.1f} s over the writes and 2 s after")
print(f"server RSS         {idle:.0f} MiB idle, {with_subscribers:.0f} MiB with the subscribers, peak {peak:.0f} MiB")
PY

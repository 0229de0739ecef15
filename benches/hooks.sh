#!/usr/bin/env bash
# Benchmark of `[[hooks]]` (issue "Speed": a no-op before-hook adds < 1 ms
# p99 to a POST): prints figures, asserts nothing.
#
#   bash benches/hooks.sh
#
# Two `baas serve` on the embedded SQLite, one project each, the same
# entity: one with no hook, one with a no-op `post.create.before` hook (a
# `function hook(event) {}` that leaves the body as it is). One client
# (Python, one keep-alive connection per server) sends POSTs one at a time,
# alternating between the servers in rounds so both see the same machine
# load; latency is measured from the request's first byte to the response's
# last. Printed side by side: p50, p90, p99 and max of each, and what the
# hook adds (difference of the percentiles).
#
# Environment: BAAS_BENCH_REQUESTS (POSTs per server, default 3000),
# BAAS_BENCH_WARMUP (200), BAAS_BIN (the baas to run; default: a release
# build), BAAS_BENCH_KEEP (keep the work folder and its logs).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

requests="${BAAS_BENCH_REQUESTS:-3000}"
warmup="${BAAS_BENCH_WARMUP:-200}"
say() { echo "== $*" >&2; }

if [ -n "${BAAS_BIN:-}" ]; then
    baas="$BAAS_BIN"
else
    say "building baas (release)"
    cargo build --release --locked --quiet --bin baas
    target="${CARGO_TARGET_DIR:-target}"
    case "$target" in
        /*) ;;
        *) target="$repo/$target" ;;
    esac
    baas="$target/release/baas"
fi

work=$(mktemp -d /tmp/baas-bench-hooks.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${BAAS_BENCH_KEEP:-}" ]; then
        say "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# project NAME HOOKS: a folder with baas.toml (and the hook when asked).
project() {
    local dir="$work/$1"
    mkdir -p "$dir/hooks"
    cat >"$dir/baas.toml" <<'EOF'
[manifest]
format = 1
version = 1

[entities.post]
table = "post"
primary_key = ["id"]

[entities.post.fields]
id = { type = "int64", generated = "identity" }
title = { type = "string" }
body = { type = "string", nullable = true }
EOF
    if [ "$2" = hook ]; then
        cat >>"$dir/baas.toml" <<'EOF'

[[hooks]]
on = "post.create.before"
run = "hooks/noop.js"
EOF
        echo 'function hook(event) {}' >"$dir/hooks/noop.js"
    fi
    echo "$dir"
}

# serve DIR: starts baas serve there; prints its base URL once it answers.
serve() {
    local dir="$1" port
    port=$(free_port)
    (cd "$dir" && exec "$baas" serve --port "$port" >"$dir/serve.log" 2>&1) &
    pids+=($!)
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$port/api/_health" >/dev/null 2>&1; then
            echo "http://127.0.0.1:$port"
            return
        fi
        sleep 0.1
    done
    echo "benches/hooks.sh: baas serve in $dir did not answer; its log:" >&2
    cat "$dir/serve.log" >&2
    exit 1
}

plain=$(serve "$(project plain none)")
hooked=$(serve "$(project hooked hook)")
say "POST /api/post, $requests per server after $warmup warm-up, one at a time, alternating"

python3 - "$plain" "$hooked" "$requests" "$warmup" <<'EOF'
import http.client, json, sys, time, urllib.parse

plain, hooked, requests, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def connect(base):
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port)

connections = {"none": connect(plain), "no-op hook": connect(hooked)}
body = json.dumps({"title": "A title of some length", "body": "x" * 200})
headers = {"content-type": "application/json"}

def post(connection):
    started = time.perf_counter()
    connection.request("POST", "/api/post", body, headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        sys.exit(f"benches/hooks.sh: POST answered {response.status}")
    return elapsed

for _ in range(warmup):
    for connection in connections.values():
        post(connection)
samples = {name: [] for name in connections}
round_size = 50
done = 0
while done < requests:
    for name, connection in connections.items():
        for _ in range(min(round_size, requests - done)):
            samples[name].append(post(connection))
    done += round_size

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

rows = [("p50", 50), ("p90", 90), ("p99", 99), ("max", 100)]
print(f"{'POST latency (ms)':<20}{'no hook':>12}{'no-op hook':>14}{'added':>10}")
for label, p in rows:
    a = percentile(samples["none"], p) * 1000
    b = percentile(samples["no-op hook"], p) * 1000
    print(f"{label:<20}{a:>12.3f}{b:>14.3f}{b - a:>10.3f}")
print(f"{'requests':<20}{len(samples['none']):>12}{len(samples['no-op hook']):>14}")
EOF

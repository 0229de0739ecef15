#!/usr/bin/env bash
# Benchmark of the upstream-API store (issue "Existing APIs as a source",
# Speed): what `baas serve --upstream` adds over calling the upstream
# directly. Prints figures, asserts nothing.
#
#   bash benches/upstream.sh
#
# The upstream is `baas serve --example` (the bookshop, embedded SQLite);
# a second `baas serve --upstream URL` serves the manifest imported from
# its /api/_openapi.json. wrk runs GET by id and GET list (limit 20) at
# CONNECTIONS connections for DURATION, RUNS times after a 2 s warm-up,
# against (a) the upstream directly, the floor, and (b) the same request
# through baas. The median run's p50, p99 and req/s are printed, with the
# p50 added by the upstream store beside the target (< 1 ms), and the CPU
# time per request of the server wrk calls (for (b), baas's own: on a
# shared machine the added latency is mostly that CPU waiting its turn).
#
# The two servers and wrk share the machine's cores: on a small machine
# the figures of (b) include the upstream's own work under the same load.
#
# Then, when valgrind is installed, the same two requests are counted in
# instructions: baas is started again under callgrind, and the user-space
# instructions it runs per request (over BAAS_BENCH_COUNTED, 10s, of wrk
# after a warm-up) are printed. That figure hardly moves with the
# machine's load, so two builds compare by it where wall-clock figures
# straddle a target; it leaves out the kernel's share (the sockets'
# system calls), which /proc's CPU time above includes.
#
# Environment: BAAS_BIN (the baas to run; default: a release build),
# BAAS_BENCH_DURATION (10s), BAAS_BENCH_RUNS (3), BAAS_BENCH_CONNECTIONS
# (32), BAAS_BENCH_COUNTED (10s; 0 skips the instruction count),
# BAAS_BENCH_KEEP (keep the work folder and the servers' logs).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

duration="${BAAS_BENCH_DURATION:-10s}"
runs="${BAAS_BENCH_RUNS:-3}"
counted="${BAAS_BENCH_COUNTED:-10s}"
connections="${BAAS_BENCH_CONNECTIONS:-32}"
say() { echo "== $*" >&2; }

work=$(mktemp -d /tmp/baas-bench-upstream.XXXXXX)
servers=()

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local pid
    for pid in "${servers[@]}"; do
        stop "$pid"
    done
    if [ -n "${BAAS_BENCH_KEEP:-}" ]; then
        echo "benches/upstream.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop PID: stops a server `start` started.
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# start NAME DIR BASE COMMAND...: runs COMMAND in DIR in the background
# (log in $work/NAME.log) and waits until BASE/api/_health answers.
start() {
    local name="$1" dir="$2" base="$3" tries=0
    shift 3
    (cd "$dir" && exec "$@") >"$work/$name.log" 2>&1 &
    servers+=($!)
    until curl -fsS -o /dev/null "$base/api/_health" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 1200 ]; then
            echo "benches/upstream.sh: $name did not answer; its log:" >&2
            tail -n 30 "$work/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

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
if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (apt-get)"
    apt-get install -y -qq wrk >/dev/null
fi

# --- the upstream and baas in front of it -----------------------------------

mkdir -p "$work/upstream" "$work/served"
upstream_port=$(free_port)
upstream="http://127.0.0.1:$upstream_port"
say "upstream: baas serve --example on $upstream"
start upstream "$work/upstream" "$upstream" \
    env BAAS_LOG=warn "$baas" serve --example --no-studio --port "$upstream_port"

say "importing $upstream/api/_openapi.json"
(cd "$work/served" && "$baas" introspect "$upstream/api/_openapi.json" --yes >/dev/null 2>&1)
# The imported name of the `book` entity (the entity of `GET /api/book`).
entity=$(python3 - "$work/served/baas.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    manifest = tomllib.load(f)
for operation in manifest.get("api", {}).get("operations", []):
    if operation.get("method") == "GET" and operation.get("path") == "/api/book":
        print(operation["entity"])
        break
PY
)
if [ -z "$entity" ]; then
    echo "benches/upstream.sh: the import mapped no list of /api/book" >&2
    exit 1
fi
served_port=$(free_port)
served="http://127.0.0.1:$served_port"
say "served: baas serve --upstream $upstream on $served (entity \`$entity\`)"
start served "$work/served" "$served" \
    env BAAS_LOG=warn "$baas" serve --upstream "$upstream" --no-studio --port "$served_port"

for url in "$upstream/api/book/1" "$served/api/$entity/1"; do
    if ! curl -fsS -o /dev/null "$url"; then
        echo "benches/upstream.sh: $url does not answer 200" >&2
        exit 1
    fi
done

# --- load --------------------------------------------------------------------

# cpu_ticks PID: the CPU time (user + system, in clock ticks) PID used so far.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# measure LABEL URL PID OTHER: prints `p50_ms p99_ms req_per_s cpu_us
# other_us` of the median run (by req/s) of RUNS wrk runs after a warm-up;
# cpu_us is the CPU time PID (the server that answers wrk) spent per
# request over all the runs, a figure less at the mercy of the machine's
# other load, and other_us the same of OTHER (the upstream behind baas;
# 0 when there is none).
measure() {
    local label="$1" url="$2" pid="$3" other="$4" run before after other_before other_after
    say "$label: $url"
    wrk -t 2 -c "$connections" -d 2s --timeout 30s "$url" >/dev/null
    before=$(cpu_ticks "$pid")
    other_before=0
    if [ "$other" != 0 ]; then other_before=$(cpu_ticks "$other"); fi
    for run in $(seq "$runs"); do
        wrk -t 2 -c "$connections" -d "$duration" --timeout 30s --latency "$url" >"$work/wrk.$run.out"
    done
    after=$(cpu_ticks "$pid")
    other_after=0
    if [ "$other" != 0 ]; then other_after=$(cpu_ticks "$other"); fi
    python3 - "$((after - before))" "$((other_after - other_before))" "$(getconf CLK_TCK)" "$work"/wrk.*.out <<'PY'
import re, sys
def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
ticks, other, hz = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
total = 0
runs = []
for path in sys.argv[4:]:
    text = open(path).read()
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors:
        sys.exit(f"benches/upstream.sh: {errors.group(1)} failed responses in {path}")
    total += int(re.search(r"(\d+) requests in", text).group(1))
    runs.append((rate, p50, p99))
runs.sort()
rate, p50, p99 = runs[len(runs) // 2]
per = lambda t: t / hz / max(total, 1) * 1e6
print(f"{p50:.3f} {p99:.3f} {rate:.0f} {per(ticks):.1f} {per(other):.1f}")
PY
    rm -f "$work"/wrk.*.out
}

declare -A figures
upstream_pid="${servers[0]}"
served_pid="${servers[1]}"
figures[direct_one]=$(measure "GET by id, upstream directly" "$upstream/api/book/1" "$upstream_pid" 0)
figures[served_one]=$(measure "GET by id, through baas" "$served/api/$entity/1" "$served_pid" "$upstream_pid")
figures[direct_list]=$(measure "GET list, upstream directly" "$upstream/api/book?limit=20" "$upstream_pid" 0)
figures[served_list]=$(measure "GET list, through baas" "$served/api/$entity?limit=20" "$served_pid" "$upstream_pid")

# --- figures -----------------------------------------------------------------

echo
echo "Upstream store overhead: $connections connections, $duration per run, median of $runs runs after a 2 s warm-up"
python3 - "${figures[direct_one]}" "${figures[served_one]}" "${figures[direct_list]}" "${figures[served_list]}" <<'PY'
import sys
rows = [tuple(map(float, arg.split())) for arg in sys.argv[1:]]
print(f"{'scenario':<12} {'path':<24} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>9} {'CPU us/req':>11} {'added p50':>10}  target")
cpu = []
for index, scenario in enumerate(["GET by id", "GET list"]):
    direct, served = rows[2 * index], rows[2 * index + 1]
    print(f"{scenario:<12} {'(a) upstream directly':<24} {direct[0]:>9.3f} {direct[1]:>9.3f} {direct[2]:>9.0f} {direct[3]:>11.1f}")
    added = served[0] - direct[0]
    print(f"{scenario:<12} {'(b) through baas':<24} {served[0]:>9.3f} {served[1]:>9.3f} {served[2]:>9.0f} {served[3]:>11.1f} {added:>+9.3f}ms  < 1 ms")
    cpu.append((scenario, served[3], served[4]))
print("CPU us/req: of the server wrk calls (a: the upstream; b: baas in front of it, without the upstream's own)")
print()
print(f"{'scenario':<12} {'baas CPU us/req':>16} {'upstream CPU us/req':>20} {'baas/upstream':>14}  (during (b))")
for scenario, baas, upstream in cpu:
    ratio = baas / upstream if upstream else float("nan")
    print(f"{scenario:<12} {baas:>16.1f} {upstream:>20.1f} {ratio:>14.2f}")
PY
echo "($(nproc) cores; load $(cut -d" " -f1-3 /proc/loadavg); wrk; $("$baas" --version 2>/dev/null || echo baas))"

# --- instructions per request (callgrind) ------------------------------------

if [ "$counted" = 0 ] || ! command -v valgrind >/dev/null 2>&1; then
    exit 0
fi
stop "$served_pid"
say "served again under callgrind on $served"
start counted "$work/served" "$served" \
    env BAAS_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" \
    "$baas" serve --upstream "$upstream" --no-studio --port "$served_port"
counted_pid="${servers[2]}"
# count URL: prints `instructions requests` of wrk's COUNTED run at URL.
count() {
    local out file
    wrk -t 1 -c "$connections" -d 3s --timeout 30s "$1" >/dev/null
    callgrind_control --zero "$counted_pid" >/dev/null
    out=$(wrk -t 1 -c "$connections" -d "$counted" --timeout 30s "$1")
    callgrind_control --dump "$counted_pid" >/dev/null
    # The newest dump of the counted server.
    file=$(find "$work" -maxdepth 1 -name "callgrind.$counted_pid.*" -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
    echo "$(awk '/^(summary|totals):/ {print $2; exit}' "$file") $(echo "$out" | awk '/ requests in / {print $1}')"
}
say "counting instructions: GET by id"
one=$(count "$served/api/$entity/1")
say "counting instructions: GET list"
list=$(count "$served/api/$entity?limit=20")
echo
echo "baas's user-space instructions per request (callgrind, $connections connections, $counted after a warm-up)"
python3 - "$one" "$list" <<'PY'
import sys
for scenario, arg in zip(["GET by id", "GET list"], sys.argv[1:]):
    instructions, requests = map(int, arg.split())
    print(f"{scenario:<12} {instructions / max(requests, 1):>10.0f} instructions/request ({requests} requests)")
PY

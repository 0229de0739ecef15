#!/usr/bin/env bash
# Benchmark of the studio in a real headless Chromium: prints figures,
# asserts nothing.
#
#   bash benches/studio.sh
#
# A synthetic SQLite schema of 1,000 tables (10 fields each, ~1,500 foreign
# keys; 150 rows in t0) is served with `baas serve --db`; tests/studio/bench.mjs
# loads the studio RUNS times in a fresh browser profile and prints the median
# first contentful paint (Performance API), the time to the rendered entity
# list, and the render time of a 100-row grid page (fetched rows to DOM).
# Targets: first paint < 1 s, grid < 200 ms.
#
# Environment: BAAS_BIN (the baas to run; default: a release build),
# BAAS_BENCH_RUNS (5). Needs tests/tools/setup.sh (node packages, chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d /tmp/baas-studio-bench.XXXXXX)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${BAAS_BIN:-}" ]; then
    cargo build --release --locked --quiet --bin baas
    BAAS_BIN="${CARGO_TARGET_DIR:-target}/release/baas"
fi
tools=$(bash tests/tools/setup.sh)
node_modules=$(sed -n 's/^NODE_MODULES=//p' <<<"$tools")
chromium=$(sed -n 's/^CHROMIUM=//p' <<<"$tools")

python3 - "$work/synthetic.db" <<'PY'
import random, sqlite3, sys
random.seed(7)
types = ["INTEGER", "TEXT", "VARCHAR(80)", "NUMERIC(10,2)", "REAL", "BOOLEAN", "DATETIME", "DATE"]
db = sqlite3.connect(sys.argv[1])
statements = []
for t in range(1000):
    cols = ["id INTEGER PRIMARY KEY"]
    for c in range(8):
        cols.append(f"c{c} {types[(t + c) % len(types)]}")
    for r in range(1 if t % 2 else 2):
        if t > 0:
            cols.append(f"ref{r} INTEGER REFERENCES t{random.randrange(0, t)}(id)")
    statements.append(f"CREATE TABLE t{t} ({', '.join(cols)});")
db.executescript("\n".join(statements))
db.executemany("INSERT INTO t0 (c0, c1, c2, c3, c4, c5, c6, c7) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [(i, f"row {i}", f"text {i}", i * 1.25, i / 3, i % 2, "2024-01-02 03:04:05", "2024-01-02") for i in range(150)])
db.commit()
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && BAAS_LOG=warn exec "$BAAS_BIN" serve --port "$port" --db "sqlite://$work/synthetic.db") >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$port/api/_health" >/dev/null 2>&1 && break
    sleep 0.1
done
echo "studio on 1,000 tables ($BAAS_BIN):"
BAAS_URL="http://127.0.0.1:$port" NODE_MODULES="$node_modules" CHROMIUM="$chromium" \
    ARTEFACTS="$work/shots" RUNS="${BAAS_BENCH_RUNS:-5}" node "$repo/tests/studio/bench.mjs"

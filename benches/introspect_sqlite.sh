#!/usr/bin/env bash
# Benchmark: wall time of `baas introspect` (whole process) on SQLite databases:
# Chinook and Northwind from the shared corpus, and a synthetic schema of
# 1,000 tables (~12,000 columns, ~1,500 foreign keys, ~1,400 indexes incl.
# partial and expression ones, ~1,600 CHECKs, 20 views).
# Prints the median of RUNS runs for each. Not a test: nothing is asserted.
#
#   bash benches/introspect_sqlite.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-7}"
fixtures="${BAAS_FIXTURES:-../shared/fixtures}"
work=$(mktemp -d /tmp/baas-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet --bin baas
baas="${CARGO_TARGET_DIR:-target}/release/baas"

python3 - "$work" "$fixtures" <<'PY'
import random, sqlite3, sys
work, fixtures = sys.argv[1], sys.argv[2]
for name, script in [("chinook", "sql/sqlite/Chinook_Sqlite.sql"), ("northwind", "sql/sqlite/northwind-sqlite-create.sql")]:
    db = sqlite3.connect(f"{work}/{name}.db")
    db.executescript(open(f"{fixtures}/{script}", encoding="utf-8").read())
    db.close()

random.seed(7)
types = ["INTEGER", "TEXT", "VARCHAR(80)", "NUMERIC(10,2)", "REAL", "BOOLEAN", "DATETIME", "BLOB", "DATE", "JSON"]
db = sqlite3.connect(f"{work}/synthetic.db")
statements = []
fks = checks = indexes = 0
for t in range(1000):
    cols = ["id INTEGER PRIMARY KEY"]
    for c in range(10):
        ty = types[(t + c) % len(types)]
        null = " NOT NULL" if c % 3 == 0 else ""
        default = " DEFAULT 0" if ty == "INTEGER" and c % 2 else ""
        cols.append(f"c{c} {ty}{null}{default}")
    refs = []
    for r in range(1 if t % 2 else 2):
        if t > 0:
            target = random.randrange(0, t)
            cols.append(f"ref{r} INTEGER REFERENCES t{target}(id) ON DELETE CASCADE")
            fks += 1
    cols.append("CHECK (c0 IS NOT NULL)")
    checks += 1
    if t % 5 < 3:
        cols.append("CHECK (length(c1) < 1000)")
        checks += 1
    statements.append(f"CREATE TABLE t{t} ({', '.join(cols)});")
    statements.append(f"CREATE INDEX t{t}_c0 ON t{t}(c0);")
    indexes += 1
    if t % 5 == 0:
        statements.append(f"CREATE INDEX t{t}_partial ON t{t}(c2) WHERE c2 IS NOT NULL;")
        indexes += 1
    if t % 5 == 1:
        statements.append(f"CREATE INDEX t{t}_expr ON t{t}(lower(c1), c0 DESC);")
        indexes += 1
for v in range(20):
    statements.append(f"CREATE VIEW v{v} AS SELECT id, c0, c1 FROM t{v} WHERE c0 IS NOT NULL;")
db.executescript("\n".join(statements))
db.close()
print(f"synthetic: 1000 tables, {1000 * 11 + fks} columns, {fks} foreign keys, {indexes} indexes, {checks} checks, 20 views", file=sys.stderr)
PY

median_ms() {
    local db="$1" times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$baas" --quiet introspect "sqlite://$work/$db" --out "$work/$db.toml" --force >/dev/null
        end=$(date +%s%N)
        times+=($(((end - start) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-12s %8s %10s %12s\n' database entities relations "median (ms)"
for db in chinook.db northwind.db synthetic.db; do
    ms=$(median_ms "$db")
    counts=$("$baas" --json introspect "sqlite://$work/$db" --dry-run | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["entities"], c["relations"])')
    read -r entities relations <<<"$counts"
    printf '%-12s %8s %10s %12s\n' "${db%.db}" "$entities" "$relations" "$ms"
done
echo "($runs runs each, whole process: start, read catalog, write baas.toml; $(nproc) cores)"

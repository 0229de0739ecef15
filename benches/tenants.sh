#!/usr/bin/env bash
# Benchmark of multi-tenancy on PostgreSQL, schema per tenant (issue
# "Multi-tenancy", Speed): prints figures with their target and floor
# beside them, asserts nothing.
#
#   bash benches/tenants.sh [PART...]
#
# PARTs (default: all three, in this order):
#   provision  `baas tenants create` of one tenant of the bookshop example
#              (its schema and every migration), BAAS_BENCH_PROVISIONS times;
#              target < 200 ms. Floor: `baas migrate apply --db` of the same
#              migration into a schema made beforehand (no registry).
#   fanout     BAAS_BENCH_TENANTS (1000) tenants made with batched
#              `baas tenants create`, then one new migration applied to all
#              with `baas migrate apply --tenants all --concurrency 8`;
#              target < 60 s. Floor: the same statements run by one psql
#              session over as many fresh schemas.
#   serve      GET by id on random tenants (a header per request) at
#              BAAS_BENCH_CONNECTIONS (32) connections for BAAS_BENCH_DURATION
#              (10s) with `max_pools = 100`, with wrk and a Lua script;
#              target p99 < 15 ms, the server's RSS reported. Floors: the
#              same GET on one tenant on the same server, and on a server
#              without [tenancy] on that tenant's schema.
#              Needs the tenants of `fanout` (run it first, or alone: it
#              makes them).
#
# BAAS_BENCH_REGISTRY chooses where the registry is: `sqlite` (default,
# the embedded .baas/registry.sqlite3) or `postgres` (a database of its
# own on the same server, `[tenancy] registry = "${REGISTRY_URL}"`).
#
# Environment: BAAS_BIN (the baas to run; default: the release build of
# this checkout, built when missing), BAAS_BENCH_TENANTS (1000),
# BAAS_BENCH_PROVISIONS (10), BAAS_BENCH_ROWS (rows per tenant, 20),
# BAAS_BENCH_CONNECTIONS (32), BAAS_BENCH_DURATION (10s), BAAS_BENCH_KEEP
# (keep the work folder and the database). PostgreSQL: $BAAS_TEST_POSTGRES_URL,
# or a server started with tests/servers/start.sh (and stopped at the end).
# Smoke run with a debug build: BAAS_BIN=target/debug/baas BAAS_BENCH_TENANTS=20
# BAAS_BENCH_DURATION=2s bash benches/tenants.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

tenants="${BAAS_BENCH_TENANTS:-1000}"
provisions="${BAAS_BENCH_PROVISIONS:-10}"
rows="${BAAS_BENCH_ROWS:-20}"
connections="${BAAS_BENCH_CONNECTIONS:-32}"
duration="${BAAS_BENCH_DURATION:-10s}"
registry="${BAAS_BENCH_REGISTRY:-sqlite}"
case "$registry" in
    sqlite | postgres) ;;
    *)
        echo "benches/tenants.sh: BAAS_BENCH_REGISTRY is \`$registry\`: sqlite or postgres" >&2
        exit 2
        ;;
esac

parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
    parts=(provision fanout serve)
fi
for part in "${parts[@]}"; do
    case "$part" in
        provision | fanout | serve) ;;
        *)
            echo "benches/tenants.sh: unknown part \`$part\` (provision, fanout, serve)" >&2
            exit 2
            ;;
    esac
done
wants() {
    local part
    for part in "${parts[@]}"; do
        [ "$part" = "$1" ] && return 0
    done
    return 1
}
say() { echo "== $*" >&2; }

work=$(mktemp -d /tmp/baas-bench-tenants.XXXXXX)
server=""
started=""
database="baas_bench_tenants_$$"
admin_url=""

stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    stop_server
    if [ -n "${BAAS_BENCH_KEEP:-}" ]; then
        echo "benches/tenants.sh: kept $work and database $database" >&2
    else
        if [ -n "$admin_url" ]; then
            psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
            psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS ${database}_registry WITH (FORCE)" >/dev/null 2>&1 || true
        fi
        rm -rf "$work"
    fi
    if [ -n "$started" ]; then
        bash tests/servers/stop.sh >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ms() { date +%s%3N; }

# --- tools and database -------------------------------------------------------

if [ -n "${BAAS_BIN:-}" ]; then
    baas="$BAAS_BIN"
else
    target="${CARGO_TARGET_DIR:-target}"
    case "$target" in
        /*) ;;
        *) target="$repo/$target" ;;
    esac
    baas="$target/release/baas"
    if [ ! -x "$baas" ]; then
        say "building baas (release)"
        cargo build --release --locked --quiet --bin baas
    fi
fi
case "$baas" in
    /*) ;;
    *) baas="$repo/$baas" ;;
esac
if wants serve && ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (apt-get)"
    apt-get install -y -qq wrk >/dev/null
fi
if [ -z "${BAAS_TEST_POSTGRES_URL:-}" ]; then
    servers=$(bash tests/servers/start.sh postgres)
    eval "$servers"
    started=1
fi
admin_url="$BAAS_TEST_POSTGRES_URL"
# No NOTICEs (DROP ... CASCADE says what it drops) on the terminal.
export PGOPTIONS="-c client_min_messages=warning"
psql -X -q -d "$admin_url" -c "CREATE DATABASE $database" >/dev/null
# database_url NAME: the admin URL naming database NAME instead.
database_url() {
    python3 - "$admin_url" "$1" <<'PY'
import sys, urllib.parse as u
parts = u.urlsplit(sys.argv[1])
print(u.urlunsplit(parts._replace(path="/" + sys.argv[2])))
PY
}
url=$(database_url "$database")
export TENANTS_DB="$url"
registry_line=""
if [ "$registry" = postgres ]; then
    psql -X -q -d "$admin_url" -c "CREATE DATABASE ${database}_registry" >/dev/null
    REGISTRY_URL=$(database_url "${database}_registry")
    export REGISTRY_URL
    # shellcheck disable=SC2016 # the reference is for baas, not the shell
    registry_line='registry = "${REGISTRY_URL}"\n'
fi

# The bookshop example with schema-per-tenant tenancy, its first migration
# planned; `dir` is the deployment every part uses.
dir="$work/shop"
mkdir -p "$dir"
{
    cat templates/init/bookshop.toml
    # shellcheck disable=SC2016 # the reference is for baas, not the shell
    printf '\n[source]\nengine = "postgres"\nurl = "${TENANTS_DB}"\n'
    printf '\n[tenancy]\nstrategy = "schema"\nresolve = ["header:x-tenant"]\nmax_pools = 100\n%b' "$registry_line"
} >"$dir/baas.toml"
(cd "$dir" && "$baas" --quiet migrate plan --name init)

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else print v[int((NR + 1) / 2)] }'; }

# --- provision: one tenant, schema + all migrations ---------------------------

if wants provision; then
    say "provision: $provisions tenant(s) of the bookshop example, one CLI call each"
    : >"$work/provision.ms"
    : >"$work/provision.wall"
    : >"$work/floor.wall"
    for i in $(seq "$provisions"); do
        slug=$(printf 'p%04d' "$i")
        start=$(now_ms)
        (cd "$dir" && "$baas" --json tenants create "$slug") >"$work/create.json"
        end=$(now_ms)
        echo $((end - start)) >>"$work/provision.wall"
        python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["provision_ms"], 1))' \
            "$work/create.json" >>"$work/provision.ms"
        # The floor: the same migration into a schema made beforehand, without
        # the registry (`migrate apply --db`).
        psql -X -q -d "$url" -c "CREATE SCHEMA floor_$slug" >/dev/null
        start=$(now_ms)
        (cd "$dir" && "$baas" --quiet migrate apply --db "$url?options%5Bsearch_path%5D=floor_$slug")
        end=$(now_ms)
        echo $((end - start)) >>"$work/floor.wall"
        psql -X -q -d "$url" -c "DROP SCHEMA floor_$slug CASCADE" >/dev/null
    done
    printf '%-46s %12s %12s %14s\n' "provision one tenant (median of $provisions)" "figure" "target" "floor" >&2
    printf '%-46s %9s ms %9s ms %11s ms\n' "  in the command (provision_ms)" "$(median <"$work/provision.ms")" "< 200" "-"
    printf '%-46s %9s ms %9s ms %11s ms\n' "  the whole CLI call (wall)" "$(median <"$work/provision.wall")" "< 200" "$(median <"$work/floor.wall")"
    (cd "$dir" && "$baas" --quiet tenants list --json) |
        python3 -c 'import json, sys; [print(t["slug"]) for t in json.load(sys.stdin)["tenants"] if t["slug"].startswith("p")]' |
        while read -r slug; do
            (cd "$dir" && "$baas" --quiet tenants drop "$slug" --yes)
        done
fi

# --- fanout: one migration over all tenants -----------------------------------

made_tenants() {
    say "fanout: making $tenants tenants (tenants create, 100 slugs a call)"
    local start end
    start=$(now_ms)
    seq -f 't%05g' 1 "$tenants" | (cd "$dir" && xargs -n 100 "$baas" --quiet tenants create)
    end=$(now_ms)
    say "fanout: $tenants tenants made in $(((end - start) / 1000)) s"
}

if wants fanout || wants serve; then
    made_tenants
fi

if wants fanout; then
    migration="$dir/migrations/0002_shelf"
    mkdir -p "$migration"
    up="CREATE TABLE shelf (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label varchar(100) NOT NULL, book_id bigint REFERENCES book (id));
CREATE INDEX shelf_book_idx ON shelf (book_id);
ALTER TABLE book ADD COLUMN shelf_note text;"
    printf '%s\n' "$up" >"$migration/up.sql"
    printf 'ALTER TABLE book DROP COLUMN shelf_note;\nDROP TABLE shelf;\n' >"$migration/down.sql"
    say "fanout: migrate apply --tenants all --concurrency 8 over $tenants tenants"
    start=$(now_ms)
    (cd "$dir" && "$baas" --json migrate apply --tenants all --concurrency 8) >"$work/fanout.json"
    end=$(now_ms)
    fanout_ms=$((end - start))
    applied=$(python3 -c 'import json, sys; rows = json.load(open(sys.argv[1])); print(sum(1 for r in rows if r["ok"] and r["done"] == ["0002_shelf"]))' "$work/fanout.json")
    # The floor: one psql session running the same statements (and a
    # CREATE SCHEMA and the bookshop's book table they need) over as many
    # schemas, without locks, history or registry.
    python3 - "$tenants" "$up" >"$work/floor.sql" <<'PY'
import sys
count, up = int(sys.argv[1]), sys.argv[2]
print("\\set ON_ERROR_STOP 1")
for i in range(1, count + 1):
    print(f"CREATE SCHEMA floor_{i}; SET search_path = floor_{i};")
    print("CREATE TABLE book (id bigint PRIMARY KEY);")
print("SELECT now();")
for i in range(1, count + 1):
    print(f"SET search_path = floor_{i}; BEGIN; {up} COMMIT;")
PY
    start=$(now_ms)
    psql -X -q -d "$url" -f "$work/floor.sql" >/dev/null
    end=$(now_ms)
    floor_ms=$((end - start))
    printf '%-46s %12s %12s %14s\n' "migrate apply --tenants all --concurrency 8" "figure" "target" "floor" >&2
    printf '%-46s %10s s %10s s %12s s\n' "  $applied of $tenants tenants applied" \
        "$(awk -v v="$fanout_ms" 'BEGIN { printf "%.1f", v / 1000 }')" "< 60" \
        "$(awk -v v="$floor_ms" 'BEGIN { printf "%.1f", v / 1000 }')"
    echo "  (the floor also makes the schemas and a book table: an upper bound of the statements' cost)" >&2
    psql -X -q -d "$url" -c "DO \$\$ DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'floor\\_%' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END \$\$" >/dev/null
fi

# --- serve: GET by id on random tenants ---------------------------------------

# rss_kb PID: the resident set of a process, in kB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# start_server NAME DIR PORT COMMAND...: COMMAND in DIR in the background
# (log in $work/NAME.log) until /api/_health answers.
start_server() {
    local name="$1" where="$2" port="$3" tries=0
    shift 3
    (cd "$where" && exec "$@") >"$work/$name.log" 2>&1 &
    server=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/api/_health"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 600 ]; then
            echo "benches/tenants.sh: $name did not start; its log:" >&2
            tail -n 40 "$work/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# load LABEL PORT SLUG_COUNT: wrk with a Lua script that asks for a random
# book (1..rows) of a random tenant among the first SLUG_COUNT (0: no
# tenant header); prints `p50_us p99_us rps errors`.
load() {
    local label="$1" port="$2" count="$3"
    cat >"$work/load.lua" <<LUA
local count = $count
local rows = $rows
math.randomseed(os.time())
request = function()
    local headers = {}
    if count > 0 then
        headers["x-tenant"] = string.format("t%05d", math.random(1, count))
    end
    return wrk.format("GET", "/api/book/" .. math.random(1, rows), headers)
end
done = function(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout
    io.write(string.format("RESULT %d %d %.0f %d\n", latency:percentile(50), latency:percentile(99),
        summary.requests / (summary.duration / 1e6), errors))
end
LUA
    wrk -t 2 -c "$connections" -d 2s --timeout 10s -s "$work/load.lua" "http://127.0.0.1:$port" >/dev/null
    wrk -t 2 -c "$connections" -d "$duration" --timeout 10s -s "$work/load.lua" "http://127.0.0.1:$port" >"$work/$label.wrk"
    awk '/^RESULT/ { print $2, $3, $4, $5 }' "$work/$label.wrk"
}

if wants serve; then
    say "serve: $rows books per tenant in $tenants schemas"
    psql -X -q -d "$url" >/dev/null <<SQL
DO \$\$
DECLARE s text;
BEGIN
    FOR s IN SELECT slug FROM (SELECT format('t%s', lpad(i::text, 5, '0')) AS slug FROM generate_series(1, $tenants) AS i) AS t LOOP
        EXECUTE format('INSERT INTO %I.author (name) VALUES (%L)', s, 'Author of ' || s);
        EXECUTE format('INSERT INTO %I.book (title, isbn, author_id) SELECT %L || n, %L || n, 1 FROM generate_series(1, $rows) AS n', s, 'Book ', s || '-');
    END LOOP;
END
\$\$;
SQL
    port=$(free_port)
    start_server tenants "$dir" "$port" "$baas" serve --port "$port"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "x-tenant: t00001" "http://127.0.0.1:$port/api/book/1")
    if [ "$status" != 200 ]; then
        echo "benches/tenants.sh: GET /api/book/1 of t00001 answered $status; the log:" >&2
        tail -n 20 "$work/tenants.log" >&2
        exit 1
    fi
    say "serve: GET by id, random tenant of $tenants, $connections connections, $duration"
    read -r t_p50 t_p99 t_rps t_errors < <(load random "$port" "$tenants")
    rss=$(rss_kb "$server")
    hwm=$(hwm_kb "$server")
    say "serve: the same GET on one tenant (same server)"
    read -r o_p50 o_p99 o_rps o_errors < <(load one "$port" 1)
    stop_server

    # Without [tenancy]: a manifest without it, serving t00001's schema.
    plain="$work/plain"
    mkdir -p "$plain"
    sed '/^\[tenancy\]/,$d' "$dir/baas.toml" >"$plain/baas.toml"
    start_server plain "$plain" "$port" "$baas" serve --port "$port" --db "$url?options%5Bsearch_path%5D=t00001"
    say "serve: the same GET without tenancy"
    read -r n_p50 n_p99 n_rps n_errors < <(load none "$port" 0)
    n_rss=$(rss_kb "$server")
    stop_server

    ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
    printf '%-38s %10s %10s %10s %8s %10s\n' "GET /api/book/{id}, $connections conn" "p50 ms" "p99 ms" "req/s" "errors" "RSS MB" >&2
    echo "  (registry: $registry)" >&2
    printf '%-38s %10s %10s %10s %8s %10s\n' "random tenant of $tenants (pool cap 100)" "$(ms "$t_p50")" "$(ms "$t_p99")" "$t_rps" "$t_errors" \
        "$(awk -v v="$rss" 'BEGIN { printf "%.1f", v / 1024 }')"
    printf '%-38s %10s %10s %10s %8s %10s\n' "  target" "" "< 15" "" "0" ""
    printf '%-38s %10s %10s %10s %8s %10s\n' "  floor: one tenant, same server" "$(ms "$o_p50")" "$(ms "$o_p99")" "$o_rps" "$o_errors" ""
    printf '%-38s %10s %10s %10s %8s %10s\n' "  floor: no [tenancy]" "$(ms "$n_p50")" "$(ms "$n_p99")" "$n_rps" "$n_errors" \
        "$(awk -v v="$n_rss" 'BEGIN { printf "%.1f", v / 1024 }')"
    echo "  server RSS after the random-tenant run: $((rss / 1024)) MB (peak $((hwm / 1024)) MB)" >&2
fi

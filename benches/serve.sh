#!/usr/bin/env bash
# Benchmark of `baas serve` (issue "Speed"): prints figures, asserts nothing.
#
#   bash benches/serve.sh [PART...]
#
# PARTs (default: all of them, in this order):
#   sqlite       100,000 rows in the embedded default (.baas/dev.sqlite3);
#                throughput (and the GET list again through the PostgREST
#                profile at /rest/v1), then hot-reload latency on the same server
#   auth         the same rows and the same GET list, with `[auth]`, a row
#                rule on the list (`in_stock = true || category =
#                @auth.category`) and a verified HS256 JWT on every
#                request, beside the open API's figures (oha only)
#   postgres     the same rows in the test Postgres, `baas serve --db URL`
#   json-server  the same rows in a db.json served by json-server 0.17.4
#   startup      `baas serve --db URL` on the 1,000-table schema of
#                benches/introspect_postgres.sh: time to the first
#                /api/_health and to the first list answer
#   cores        (not in the default set) core scaling on the embedded
#                SQLite rows: the server pinned with taskset to 1, 2, 4 …
#                cores (BAAS_BENCH_CORES, default powers of two up to
#                nproc, and nproc), the load generator on the other cores
#                when there are any; every run starts from the same copy
#                of the database. With BAAS_BENCH_BASELINE=/path/to/baas
#                that binary runs too, side by side (columns `base Nc` and
#                `new Nc`).
# Throughput: oha (`cargo install oha`, cached; wrk from Debian when oha
# does not install, or with BAAS_BENCH_WRK=1) runs GET list with a filter
# and limit 20, GET by (random) id, and POST, at CONNECTIONS connections
# for DURATION each, RUNS times after a warm-up; the median req/s and p99
# are printed side by side.
#
# Environment: BAAS_BENCH_ROWS (100000), BAAS_BENCH_DURATION (10s),
# BAAS_BENCH_RUNS (3), BAAS_BENCH_CONNECTIONS (32), BAAS_BENCH_RELOADS (10),
# BAAS_BENCH_STARTS (5), BAAS_BIN (the baas to run; default: a release
# build), BAAS_BENCH_KEEP (keep the work folder and its logs), BAAS_BENCH_CACHE (where oha and json-server are
# installed; default ~/.cache/baas-bench). Postgres: $BAAS_TEST_POSTGRES_URL,
# or a server started with tests/servers/start.sh (and stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

rows="${BAAS_BENCH_ROWS:-100000}"
duration="${BAAS_BENCH_DURATION:-10s}"
runs="${BAAS_BENCH_RUNS:-3}"
connections="${BAAS_BENCH_CONNECTIONS:-32}"
reloads="${BAAS_BENCH_RELOADS:-10}"
starts="${BAAS_BENCH_STARTS:-5}"
cache="${BAAS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baas-bench}"
oha_version="1.16.0"
json_server_version="0.17.4"

parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
    parts=(sqlite auth postgres json-server startup)
fi
for part in "${parts[@]}"; do
    case "$part" in
        sqlite | auth | postgres | json-server | startup | cores) ;;
        *)
            echo "benches/serve.sh: unknown part \`$part\` (sqlite, auth, postgres, json-server, startup, cores)" >&2
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

work=$(mktemp -d /tmp/baas-bench-serve.XXXXXX)
results="$work/results.jsonl"
notes="$work/notes.txt"
: >"$results"
: >"$notes"
server=""
databases=()
started=""
admin_url=""
# A prefix for the load generator's command (`taskset -c …` in `cores`).
loadgen_prefix=()
# Extra load-generator arguments for every request (`-H 'authorization: …'`
# in `auth`; oha and wrk both take `-H`).
loadgen_headers=()

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
    local database
    for database in "${databases[@]}"; do
        psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [ -n "$started" ]; then
        bash tests/servers/stop.sh >/dev/null 2>&1 || true
    fi
    if [ -n "${BAAS_BENCH_KEEP:-}" ]; then
        echo "benches/serve.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME DIR URL_TO_WAIT_FOR COMMAND...: runs COMMAND in DIR in the
# background (log in $work/NAME.log) and waits until URL answers 200.
start_server() {
    local name="$1" dir="$2" url="$3"
    shift 3
    (cd "$dir" && exec "$@") >"$work/$name.log" 2>&1 &
    server=$!
    if ! python3 benches/serve/measure.py wait "$url" 120; then
        echo "benches/serve.sh: $name did not answer $url; its log:" >&2
        tail -n 50 "$work/$name.log" >&2
        exit 1
    fi
}

# The random ids of `GET by id`: every id of one number of digits that the
# loaded rows all have (10000-99999 for 100,000 rows, 10-99 for 500, 1-9
# below 10), so none is missing (a 404 would be measured as a failure).
id_digits=$((${#rows} - 1))
if [ "$id_digits" -eq 0 ]; then
    id_regex="[1-$rows]" id_low=1 id_high="$rows"
else
    id_regex="[1-9][0-9]{$((id_digits - 1))}"
    id_low=$((10 ** (id_digits - 1))) id_high=$((10 ** id_digits - 1))
fi

# throughput LABEL SCENARIO KIND URL: a warm-up, then RUNS measured runs of
# one scenario; KIND is `get` (URL as is), `random` (URL + a random id of
# the loaded rows, as above) or `post` (URL with the body in $work/post.json).
throughput() {
    local label="$1" scenario="$2" kind="$3" url="$4" run files=() args=()
    if [ "$loadgen" = oha ]; then
        case "$kind" in
            get) args=("${loadgen_headers[@]}" "$url") ;;
            # oha reads a dot in --rand-regex-url as itself (escaped, it
            # made random bytes of the host and sent the load elsewhere).
            random) args=("${loadgen_headers[@]}" --rand-regex-url "$url$id_regex") ;;
            post) args=(-m POST -T application/json -D "$work/post.json" "$url") ;;
        esac
        "${loadgen_prefix[@]}" "$oha" --no-tui --wait-ongoing-requests-after-deadline -z 2s -c "$connections" "${args[@]}" >/dev/null
        for run in $(seq "$runs"); do
            "${loadgen_prefix[@]}" "$oha" --no-tui --wait-ongoing-requests-after-deadline --output-format json -z "$duration" -c "$connections" "${args[@]}" >"$work/load.$run.out"
            files+=("$work/load.$run.out")
        done
    else
        local path="/${url#http://*/}" origin="${url%%/"${url#http://*/}"}"
        python3 benches/serve/measure.py wrk-script "$kind" "$path" "$work/post.json" "$id_low" "$id_high" >"$work/load.lua"
        "${loadgen_prefix[@]}" wrk -t 2 -c "$connections" --timeout 30s -d 2s "${loadgen_headers[@]}" -s "$work/load.lua" "$origin" >/dev/null
        for run in $(seq "$runs"); do
            "${loadgen_prefix[@]}" wrk -t 2 -c "$connections" --timeout 30s -d "$duration" --latency "${loadgen_headers[@]}" -s "$work/load.lua" "$origin" >"$work/load.$run.out"
            files+=("$work/load.$run.out")
        done
    fi
    python3 benches/serve/measure.py "$loadgen" "$results" "$label" "$scenario" "${files[@]}"
}

# The three scenarios against one server: BASE, then the list, one-row and
# insert paths (json-server's differ from baas's).
scenarios() {
    local label="$1" base="$2" list="$3" one="$4" insert="$5" also="${6:-}"
    throughput "$label" "GET list (filter, limit 20)" get "$base$list"
    # ALSO: the same list on another path, measured before any write.
    if [ -n "$also" ]; then
        throughput "$label" "GET list via ${also%%\?*}" get "$base$also"
    fi
    throughput "$label" "GET by id (random)" random "$base$one"
    throughput "$label" "POST" post "$base$insert"
}

check_count() {
    local label="$1" url="$2" expected="$3" count
    count=$(curl -fsS "$url" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')
    if [ "$count" != "$expected" ]; then
        echo "benches/serve.sh: $label serves $count rows, expected $expected" >&2
        exit 1
    fi
}

# --- tools -------------------------------------------------------------------

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

# oha, or wrk (Debian) when oha cannot be installed.
oha="$cache/oha/bin/oha"
loadgen=oha
if [ -n "${BAAS_BENCH_WRK:-}" ]; then
    loadgen=wrk
elif [ ! -x "$oha" ]; then
    say "installing oha $oha_version into $cache/oha (cargo install, once)"
    if ! cargo install --quiet --locked --version "$oha_version" --root "$cache/oha" oha; then
        say "oha did not install; using wrk"
        loadgen=wrk
    fi
fi
if [ "$loadgen" = wrk ] && ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (apt-get)"
    apt-get install -y -qq wrk >/dev/null
fi

json_server="$cache/json-server/node_modules/.bin/json-server"
if wants json-server && [ ! -x "$json_server" ]; then
    say "installing json-server $json_server_version into $cache/json-server (npm, once)"
    mkdir -p "$cache/json-server"
    npm install --prefix "$cache/json-server" --no-audit --no-fund --loglevel=error \
        "json-server@$json_server_version" >&2
fi

if wants postgres || wants startup; then
    if [ -z "${BAAS_TEST_POSTGRES_URL:-}" ]; then
        servers=$(bash tests/servers/start.sh postgres)
        eval "$servers"
        started=1
    fi
    admin_url="$BAAS_TEST_POSTGRES_URL"
fi

python3 benches/serve/data.py post "$work/post.json"

# --- baas on the embedded SQLite default ------------------------------------

if wants sqlite; then
    say "baas serve (embedded SQLite): loading $rows rows"
    dir="$work/sqlite"
    mkdir -p "$dir"
    cp benches/serve/baas.toml "$dir/baas.toml"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    # A first start creates .baas/dev.sqlite3 from the manifest; row 1 goes
    # through the API, so that the others can be stored the same way.
    start_server baas-sqlite "$dir" "$base/api/_health" "$baas" serve --port "$port"
    python3 benches/serve/data.py body |
        curl -fsS -o /dev/null -X POST -H 'content-type: application/json' --data-binary @- "$base/api/item"
    stop_server
    python3 benches/serve/data.py sqlite "$dir/.baas/dev.sqlite3" "$rows"
    start_server baas-sqlite "$dir" "$base/api/_health" "$baas" serve --port "$port" --postgrest
    check_count baas-sqlite "$base/api/item?count=exact&limit=1" "$rows"

    say "baas serve (embedded SQLite): throughput"
    # The list also through the PostgREST profile (docs/postgrest.md): a
    # bare array and Content-Range instead of the envelope, same kernel.
    scenarios baas-sqlite "$base" "/api/item?category=eq.toys&limit=20" "/api/item/" "/api/item" \
        "/rest/v1/item?category=eq.toys&limit=20"

    say "baas serve (embedded SQLite): hot reload (on a fresh start)"
    stop_server
    start_server baas-sqlite "$dir" "$base/api/_health" "$baas" serve --port "$port"
    python3 benches/serve/measure.py hot-reload "$base" "$dir/baas.toml" "$reloads" | tee -a "$notes"
    if ! grep -q "reloaded" "$work/baas-sqlite.log"; then
        echo "benches/serve.sh: the server never reloaded; its log, without requests:" >&2
        grep -v "request method" "$work/baas-sqlite.log" | tail -n 20 >&2
    fi
    stop_server
fi

# --- baas with [auth] and a row rule (embedded SQLite) -----------------------

if wants auth; then
    say "baas serve with [auth] and a list rule (embedded SQLite): loading $rows rows"
    dir="$work/auth"
    mkdir -p "$dir"
    secret="bench-secret-bench-secret-bench-secret-0123456789"
    {
        cat benches/serve/baas.toml
        printf '\n[entities.item.rules]\nlist = "in_stock = true || category = @auth.category"\n'
        printf 'view = "true"\ncreate = "true"\n'
        # shellcheck disable=SC2016 # the reference is for baas, not the shell
        printf '\n[auth]\njwt_secret = "${BAAS_BENCH_JWT_SECRET}"\n'
    } >"$dir/baas.toml"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    start_server baas-auth "$dir" "$base/api/_health" env BAAS_BENCH_JWT_SECRET="$secret" "$baas" serve --port "$port"
    python3 benches/serve/data.py body |
        curl -fsS -o /dev/null -X POST -H 'content-type: application/json' --data-binary @- "$base/api/item"
    stop_server
    python3 benches/serve/data.py sqlite "$dir/.baas/dev.sqlite3" "$rows"
    start_server baas-auth "$dir" "$base/api/_health" env BAAS_BENCH_JWT_SECRET="$secret" "$baas" serve --port "$port"
    # An HS256 token (claims: sub, category, exp in an hour), made here.
    token=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"sub": "1", "category": "toys", "exp": int(time.time()) + 3600}).encode())
signature = hmac.new(sys.argv[1].encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
print(f"{header}.{claims}.{b64(signature)}")
PY
    )
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $token" "$base/api/item?limit=1")
    if [ "$status" != 200 ]; then
        echo "benches/serve.sh: the token was refused ($status)" >&2
        exit 1
    fi
    say "baas serve with [auth]: throughput (GET list, verified JWT, row rule)"
    loadgen_headers=(-H "authorization: Bearer $token")
    throughput baas-auth "GET list (filter, limit 20)" get "$base/api/item?category=eq.toys&limit=20"
    loadgen_headers=()
    stop_server
fi

# --- core scaling (embedded SQLite) ------------------------------------------

if wants cores; then
    if ! command -v taskset >/dev/null 2>&1; then
        echo "benches/serve.sh: the cores part needs taskset (util-linux)" >&2
        exit 2
    fi
    total=$(nproc)
    core_counts="${BAAS_BENCH_CORES:-}"
    if [ -z "$core_counts" ]; then
        n=1
        while [ "$n" -lt "$total" ]; do
            core_counts="$core_counts $n"
            n=$((n * 2))
        done
        core_counts="$core_counts $total"
    fi
    binaries=("new=$baas")
    if [ -n "${BAAS_BENCH_BASELINE:-}" ]; then
        binaries=("base=$BAAS_BENCH_BASELINE" "${binaries[@]}")
    fi
    say "core scaling: loading $rows rows"
    dir="$work/cores"
    mkdir -p "$dir"
    cp benches/serve/baas.toml "$dir/baas.toml"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    start_server baas-cores "$dir" "$base/api/_health" "$baas" serve --port "$port"
    python3 benches/serve/data.py body |
        curl -fsS -o /dev/null -X POST -H 'content-type: application/json' --data-binary @- "$base/api/item"
    stop_server
    python3 benches/serve/data.py sqlite "$dir/.baas/dev.sqlite3" "$rows"
    # POST runs add rows: every server starts from this copy.
    cp -a "$dir/.baas" "$work/cores.baas"
    for cores in $core_counts; do
        if [ "$cores" -gt "$total" ]; then
            say "core scaling: skipping $cores cores (this machine has $total)"
            continue
        fi
        server_cpus="0-$((cores - 1))"
        if [ "$cores" -lt "$total" ]; then
            loadgen_cpus="$cores-$((total - 1))"
        else
            loadgen_cpus="0-$((total - 1))"
        fi
        loadgen_prefix=(taskset -c "$loadgen_cpus")
        for entry in "${binaries[@]}"; do
            name="${entry%%=*}"
            rm -rf "$dir/.baas"
            cp -a "$work/cores.baas" "$dir/.baas"
            start_server baas-cores "$dir" "$base/api/_health" \
                taskset -c "$server_cpus" "${entry#*=}" serve --port "$port"
            check_count baas-cores "$base/api/item?count=exact&limit=1" "$rows"
            say "core scaling: $name on $cores core(s) (server on CPUs $server_cpus, load on $loadgen_cpus)"
            scenarios "$name ${cores}c" "$base" "/api/item?category=eq.toys&limit=20" "/api/item/" "/api/item"
            stop_server
        done
        echo "core scaling: server on CPUs $server_cpus, load generator on CPUs $loadgen_cpus for ${cores}c" >>"$notes"
    done
    loadgen_prefix=()
fi

# --- baas on Postgres --------------------------------------------------------

if wants postgres; then
    say "baas serve --db postgres: loading $rows rows"
    database="baas_bench_serve_$$"
    databases+=("$database")
    url="${admin_url%/*}/$database"
    psql -X -q -d "$admin_url" -c "CREATE DATABASE $database" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f benches/serve/postgres.sql >/dev/null
    python3 benches/serve/data.py csv "$work/rows.csv" "$rows"
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" \
        -c "\\copy item (id, sku, name, category, price, quantity, in_stock, rating, description, created_at) FROM '$work/rows.csv' WITH (FORMAT csv)" \
        -c "SELECT setval(pg_get_serial_sequence('item', 'id'), (SELECT max(id) FROM item))" \
        -c "VACUUM ANALYZE item" >/dev/null
    dir="$work/postgres"
    mkdir -p "$dir"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    start_server baas-postgres "$dir" "$base/api/_health" "$baas" serve --db "$url" --port "$port"
    check_count baas-postgres "$base/api/item?count=exact&limit=1" "$rows"

    say "baas serve --db postgres: throughput"
    scenarios baas-postgres "$base" "/api/item?category=eq.toys&limit=20" "/api/item/" "/api/item"
    stop_server
fi

# --- json-server -------------------------------------------------------------

if wants json-server; then
    say "json-server $json_server_version: $rows rows in db.json"
    dir="$work/json-server"
    mkdir -p "$dir"
    python3 benches/serve/data.py json "$dir/db.json" "$rows"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    start_server json-server "$dir" "$base/item/1" \
        "$json_server" --quiet --host 127.0.0.1 --port "$port" db.json

    say "json-server: throughput"
    scenarios json-server "$base" "/item?category=toys&_limit=20" "/item/" "/item"
    stop_server
fi

# --- start-up at scale -------------------------------------------------------

if wants startup; then
    say "start-up at scale: creating the 1,000-table schema"
    database="baas_bench_serve_startup_$$"
    databases+=("$database")
    url="${admin_url%/*}/$database"
    psql -X -q -d "$admin_url" -c "CREATE DATABASE $database" >/dev/null
    # The schema generator of the live-introspection benchmark, run as is.
    sed -n "/<<'PY'\$/,/^PY\$/p" benches/introspect_postgres.sh | sed '1d;$d' >"$work/schema.py"
    if [ ! -s "$work/schema.py" ]; then
        echo "benches/serve.sh: no schema generator found in benches/introspect_postgres.sh" >&2
        exit 1
    fi
    python3 "$work/schema.py" "$work/schema.sql"
    psql -X -q -1 -v ON_ERROR_STOP=1 -d "$url" -f "$work/schema.sql" >/dev/null
    psql -X -q -d "$url" -c "VACUUM ANALYZE" >/dev/null
    dir="$work/startup"
    mkdir -p "$dir"
    port=$(free_port)
    say "start-up at scale: baas serve --db URL, $starts starts"
    python3 benches/serve/measure.py startup "$dir" "http://127.0.0.1:$port" "/api/t500?limit=1" "$starts" \
        "$baas" serve --db "$url" --port "$port" | tee -a "$notes"
fi

# --- figures -----------------------------------------------------------------

echo
if [ -s "$results" ]; then
    echo "Throughput: $connections connections, $duration per run, median of $runs runs after a 2 s warm-up; $rows rows"
    python3 benches/serve/measure.py table "$results"
    echo
fi
cat "$notes"
echo "($(nproc) cores; load $(cut -d" " -f1-3 /proc/loadavg); $loadgen; json-server $json_server_version$(
    if [ -n "$admin_url" ]; then printf '; %s' "$(psql -X -A -t -d "$admin_url" -c 'SHOW server_version')"; fi
))"

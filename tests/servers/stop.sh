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

# Signal every server first and then wait for all of them, so the shutdowns
# overlap. A pid only counts if its command line names our dir (pids recycle).
pids=() texts=() names=()
signal() { # PID TEXT NAME SIGNAL
    pid_matches "$1" "$2" || return 0
    log "stopping $3 (pid $1)"
    kill -"$4" "$1" 2>/dev/null || true
    pids+=("$1") texts+=("$2") names+=("$3")
}
first_line() { head -n 1 "$1" 2>/dev/null || true; }

# PostgreSQL: SIGINT to the postmaster is pg_ctl's "fast" shutdown (it does
# not wait for clients to disconnect, unlike SIGTERM's "smart" one).
for pg in postgres postgres18; do
    if [ -f "$dir/$pg/data/postmaster.pid" ]; then
        signal "$(first_line "$dir/$pg/data/postmaster.pid")" "$dir/$pg/data" "PostgreSQL ($pg)" INT
    fi
done
if [ -f "$dir/mysql.pid" ]; then
    signal "$(first_line "$dir/mysql.pid")" "$dir/mysql/" MariaDB TERM
fi
if [ -f "$dir/mongodb.pid" ]; then
    signal "$(first_line "$dir/mongodb.pid")" "$dir/mongodb/" secantusdb TERM
fi

# Up to 15 s for a clean exit, then SIGKILL.
for ((tick = 0; tick < 150 && ${#pids[@]} > 0; tick++)); do
    alive=0
    for i in "${!pids[@]}"; do
        if pid_matches "${pids[$i]}" "${texts[$i]}"; then alive=1; fi
    done
    [ "$alive" = 1 ] || break
    sleep 0.1
done
for i in "${!pids[@]}"; do
    if pid_matches "${pids[$i]}" "${texts[$i]}"; then
        log "${names[$i]} (pid ${pids[$i]}) did not exit within 15 s; sending SIGKILL"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
done
rm -f "$dir/mysql.pid" "$dir/mongodb.pid"

if [ "${BAAS_TEST_SERVERS_KEEP:-0}" = 1 ]; then
    log "servers stopped; kept $dir"
else
    rm -rf "$dir"
    log "servers stopped; removed $dir"
fi

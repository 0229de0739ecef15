# tests/servers/lib.sh: helpers shared by start.sh and stop.sh (sourced, never run).
# shellcheck shell=bash

# Where Debian's postgresql-15 puts its server binaries.
# shellcheck disable=SC2034 # used by start.sh and stop.sh
PG_BIN=${BAAS_PG_BIN:-/usr/lib/postgresql/15/bin}
# A file every run dir holds, so stop.sh never deletes a directory it did not make.
# shellcheck disable=SC2034 # used by start.sh and stop.sh
MARKER=.baas-test-servers

log() { printf 'servers: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# as_pg CMD...: runs CMD as the postgres OS user when we are root (initdb and
# postgres refuse to run as root), else as ourselves.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# log_tail FILE [LINES]: shows the end of a server log on stderr.
log_tail() {
    local file=$1 lines=${2:-30}
    if [ -s "$file" ]; then
        log "--- last $lines lines of $file ---"
        tail -n "$lines" "$file" | sed 's/^/servers:   /' >&2
        log "--- end of $file ---"
    else
        log "($file is empty or missing)"
    fi
}

# pid_matches PID TEXT: true if PID is a live (non-zombie) process whose
# command line contains TEXT; guards against killing a recycled pid.
pid_matches() {
    local pid=$1 text=$2 cmd
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [ -n "$cmd" ] && [[ $cmd == *"$text"* ]]
}

# stop_pid PID TEXT NAME: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
    local pid=$1 text=$2 name=$3 i
    pid_matches "$pid" "$text" || return 0
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        pid_matches "$pid" "$text" || return 0
        sleep 0.1
    done
    log "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pid_matches "$pid" "$text" || return 0
        sleep 0.1
    done
    log "warning: $name (pid $pid) is still running"
}

# stop_pidfile FILE TEXT NAME: stops the process named in FILE (if it is still
# ours) and removes FILE. Missing or stale files are fine.
stop_pidfile() {
    local file=$1 text=$2 name=$3 pid
    [ -f "$file" ] || return 0
    pid=$(head -n 1 "$file" 2>/dev/null || true)
    stop_pid "$pid" "$text" "$name"
    rm -f "$file"
}

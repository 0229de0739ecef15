#!/usr/bin/env bash
# Fuzzes the API of `baas serve --example` through its own OpenAPI document
# (and the reads of its PostgREST-compatible profile through the profile's
# document at /rest/v1/) with schemathesis (pinned in tests/tools/requirements.txt): every operation
# gets schema-valid and schema-invalid requests, and every answer must be no
# 5xx, a documented status code, the documented content type and headers, and
# a body that matches the documented schema.
#
#   bash tests/schemathesis.sh
#
# Environment:
#   BAAS_SCHEMATHESIS_EXAMPLES  test cases per operation and phase (default 10)
#   BAAS_SCHEMATHESIS_SEED      random seed (default 1; `random` for a new one)
#   BAAS_BIN                    the baas binary to run (default: a debug build)
# Exits non-zero on any failure; the server's log is printed then.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

examples="${BAAS_SCHEMATHESIS_EXAMPLES:-10}"
seed="${BAAS_SCHEMATHESIS_SEED:-1}"
checks="not_a_server_error,status_code_conformance,content_type_conformance"
checks="$checks,response_headers_conformance,response_schema_conformance"

say() { echo "tests/schemathesis.sh: $*" >&2; }

# schemathesis, in the venv the test tools share.
if [ -f tests/tools/setup.sh ]; then
    bash tests/tools/setup.sh >/dev/null
elif ! cmp -s tests/tools/requirements.txt tests/tools/.venv/requirements.installed 2>/dev/null; then
    say "installing Python tools into tests/tools/.venv (pip)"
    [ -x tests/tools/.venv/bin/python ] || python3 -m venv tests/tools/.venv
    tests/tools/.venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -r tests/tools/requirements.txt >&2
    cp tests/tools/requirements.txt tests/tools/.venv/requirements.installed
fi
schemathesis="$repo/tests/tools/.venv/bin/schemathesis"
if [ ! -x "$schemathesis" ]; then
    say "schemathesis is not installed in tests/tools/.venv (is it in tests/tools/requirements.txt?)"
    exit 1
fi

if [ -n "${BAAS_BIN:-}" ]; then
    baas="$BAAS_BIN"
else
    cargo build --locked --quiet --bin baas
    target="${CARGO_TARGET_DIR:-target}"
    case "$target" in
        /*) ;;
        *) target="$repo/$target" ;;
    esac
    baas="$target/debug/baas"
fi

work=$(mktemp -d /tmp/baas-schemathesis.XXXXXX)
server=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

# The example server, in a directory of its own (it creates its files there).
(cd "$work" && exec "$baas" serve --example --postgrest --port "$port") >"$work/server.log" 2>&1 &
server=$!

for _ in $(seq 300); do
    if curl -fsS -o /dev/null "$base/api/_health" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        say "baas serve --example exited before answering:"
        cat "$work/server.log" >&2
        server=""
        exit 1
    fi
    sleep 0.1
done
if ! curl -fsS -o /dev/null "$base/api/_health"; then
    say "baas serve --example did not answer $base/api/_health within 30 s:"
    cat "$work/server.log" >&2
    exit 1
fi

seed_args=(--seed "$seed")
if [ "$seed" = random ]; then
    seed_args=()
fi

# One worker: with two, hypothesis hit an internal CPython 3.11 error
# (`AST constructor recursion depth mismatch`) on the recursive `where` schema.
fuzz() {
    local document=$1
    shift
    (
        cd "$work"
        "$schemathesis" run "$document" \
            --checks "$checks" \
            --phases examples,coverage,fuzzing \
            --max-examples "$examples" \
            "${seed_args[@]}" \
            --workers 1 \
            --request-timeout 10 \
            --no-color \
            "$@"
    )
}

status=0
fuzz "$base/api/_openapi.json" || status=$?
# The PostgREST profile's reads (its writes answer a body or none as
# `Prefer: return=` asks, which OpenAPI cannot tie to one status).
if [ "$status" -eq 0 ]; then
    fuzz "$base/rest/v1/" --include-method GET || status=$?
fi

if ! kill -0 "$server" 2>/dev/null; then
    say "the server died during the run"
    status=1
fi
if [ "$status" -ne 0 ]; then
    say "failed (exit $status); the server's log:"
    tail -n 200 "$work/server.log" >&2
fi
exit "$status"

#!/usr/bin/env bash
# The whole test suite, as the README tells users to run it:
#   bash tests/run.sh
# Starts throwaway PostgreSQL, MariaDB and MongoDB-wire servers on 127.0.0.1
# (tests/servers/, installing them when missing), runs every test against
# them, and stops them again. Reads the shared fixture corpus from
# ../shared/fixtures (or $BAAS_FIXTURES).
set -euo pipefail
cd "$(dirname "$0")/.."

# Snapshots are compared, never written, here (review changes with `cargo insta review`).
export INSTA_UPDATE=no
# Tests that need a server fail, rather than skip, when it is missing.
export CI="${CI:-true}"

# One line per finished step, with the time since the start, so a long
# build is never silent.
step() {
    echo "tests/run.sh: [${SECONDS}s] $*" >&2
}

# Compile and install the pinned test tools (TypeScript, openapi-spec-validator,
# schemathesis: tests/tools/) while the servers start: none depends on another.
# The build's own progress lines (`Compiling ...`) stream to stderr as they come.
step "building the tests (cargo test --no-run) while the servers start"
cargo test --locked --all-targets --no-run 2> >(sed -u 's/^/  build: /' >&2) &
build=$!
bash tests/tools/setup.sh >/dev/null 2>/tmp/baas-test-tools.$$.log &
tools=$!

if ! servers=$(bash tests/servers/start.sh); then
    echo "tests/run.sh: the test servers did not start (see above)" >&2
    wait "$build" || true
    exit 1
fi
eval "$servers"
trap 'bash tests/servers/stop.sh' EXIT
step "test servers started"

if ! wait "$build"; then
    echo "tests/run.sh: the test build failed (see the build lines above)" >&2
    exit 1
fi
step "tests built"
if ! wait "$tools"; then
    cat /tmp/baas-test-tools.$$.log >&2
    rm -f /tmp/baas-test-tools.$$.log
    echo "tests/run.sh: the test tools did not install (tests/tools/setup.sh)" >&2
    exit 1
fi
rm -f /tmp/baas-test-tools.$$.log
step "test tools installed; running the tests"

cargo test --locked --all-targets
step "tests passed; fuzzing the example server's OpenAPI document (schemathesis)"
# The example server's OpenAPI document, fuzzed by schemathesis.
bash tests/schemathesis.sh
step "schemathesis passed"
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck install.sh tests/run.sh .ci/run benches/*.sh tests/servers/*.sh tests/tools/setup.sh tests/schemathesis.sh
else
    echo "tests/run.sh: shellcheck not installed; skipping the shell lint (CI installs it)" >&2
fi

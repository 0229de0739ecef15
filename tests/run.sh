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

# Compile and install the pinned test tools (TypeScript, openapi-spec-validator,
# schemathesis: tests/tools/) while the servers start: none depends on another.
cargo test --locked --all-targets --no-run 2>/tmp/baas-test-build.$$.log &
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

if ! wait "$build"; then
    cat /tmp/baas-test-build.$$.log >&2
    rm -f /tmp/baas-test-build.$$.log
    exit 1
fi
rm -f /tmp/baas-test-build.$$.log
if ! wait "$tools"; then
    cat /tmp/baas-test-tools.$$.log >&2
    rm -f /tmp/baas-test-tools.$$.log
    echo "tests/run.sh: the test tools did not install (tests/tools/setup.sh)" >&2
    exit 1
fi
rm -f /tmp/baas-test-tools.$$.log

cargo test --locked --all-targets
# The example server's OpenAPI document, fuzzed by schemathesis.
bash tests/schemathesis.sh
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck install.sh tests/run.sh .ci/run benches/*.sh tests/servers/*.sh tests/tools/setup.sh tests/schemathesis.sh
else
    echo "tests/run.sh: shellcheck not installed; skipping the shell lint (CI installs it)" >&2
fi

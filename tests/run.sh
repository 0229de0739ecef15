#!/usr/bin/env bash
# The whole test suite, as the README tells users to run it:
#   bash tests/run.sh
# Needs only the Rust toolchain and a C compiler; reads the shared fixture
# corpus from ../shared/fixtures (or $BAAS_FIXTURES).
set -euo pipefail
cd "$(dirname "$0")/.."

# Snapshots are compared, never written, here (review changes with `cargo insta review`).
export INSTA_UPDATE=no
export CI="${CI:-true}"

cargo test --locked --all-targets
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck install.sh tests/run.sh .ci/run
else
    echo "tests/run.sh: shellcheck not installed; skipping the shell lint (CI installs it)" >&2
fi

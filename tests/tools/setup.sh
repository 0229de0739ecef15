#!/usr/bin/env bash
# Installs the tools the tests run on generated code, pinned:
#   - TypeScript, the studio's browser tools and the PostgREST clients
#     (package.json, package-lock.json) into tests/tools/node_modules
#   - openapi-spec-validator (requirements.txt) into tests/tools/.venv
#   - playwright-core and axe-core (package.json) for the studio's browser
#     tests, which drive Debian's `chromium` (installed with apt-get when
#     missing and running as root)
# Idempotent: does nothing when both are installed at the pinned versions.
# Prints the tool paths, one `NAME=path` per line, on stdout.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

say() { echo "tests/tools/setup.sh: $*" >&2; }

# One install at a time (test threads and processes may call this together):
# the lock is on this script itself.
if command -v flock >/dev/null 2>&1; then
    exec 9<setup.sh
    flock 9
fi

# TypeScript: `npm ci` when node_modules was not installed from this lock file.
if ! cmp -s package-lock.json node_modules/.baas-installed 2>/dev/null; then
    say "installing TypeScript (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
    cp package-lock.json node_modules/.baas-installed
fi

# openapi-spec-validator and friends: a venv, refreshed when requirements.txt changes.
if ! cmp -s requirements.txt .venv/requirements.installed 2>/dev/null; then
    say "installing Python tools into .venv (pip)"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2
    cp requirements.txt .venv/requirements.installed
fi

# Chromium for the studio's tests (tests/studio/): Debian's package, no download.
CHROMIUM=${BAAS_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing chromium (apt-get)"
        apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
        if ! "${apt[@]}" install chromium >&2; then
            apt-get -q -o DPkg::Lock::Timeout=300 update >&2
            "${apt[@]}" install chromium >&2
        fi
    else
        say "chromium is missing: install it (apt-get install chromium) to run the studio's tests"
    fi
fi

echo "TSC=$here/node_modules/.bin/tsc"
echo "NODE_MODULES=$here/node_modules"
echo "CHROMIUM=$CHROMIUM"
echo "OPENAPI_SPEC_VALIDATOR=$here/.venv/bin/openapi-spec-validator"

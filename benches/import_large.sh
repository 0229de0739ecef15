#!/usr/bin/env bash
# Benchmark: `baas introspect FILE --dry-run` (whole process) on large
# schema files, against the floor of only parsing the same file:
#
#   - an OpenAPI 3.0 document in YAML and the same in JSON, in the shape
#     of GitHub's and Stripe's (benches/openapi_large.py: 340 resources,
#     about 4 MB of YAML);
#   - a FHIR-like JSON Schema (benches/jsonschema_fhir_like.py: 1,900
#     mutually referencing definitions, about 4 MB);
#
# each also at twice the size, so that the ratio of the two says how the
# import scales (2.0 is linear). The floor is PyYAML's C loader
# (`yaml.load(..., Loader=CSafeLoader)`) for YAML and `jq .` for JSON.
# Prints, per file, the median wall time and CPU time (user + system) of
# RUNS runs, and the largest resident set of any run. On a machine shared
# with other work, the CPU time is the figure to compare. Not a test:
# nothing is asserted.
#
#   bash benches/import_large.sh [RUNS]
#
# BAAS_BIN=path/to/baas measures that binary instead of building a release
# one (a debug build, to check that the script still works).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

runs="${1:-5}"
work=$(mktemp -d /tmp/baas-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ -n "${BAAS_BIN:-}" ]; then
    baas="$BAAS_BIN"
else
    cargo build --release --locked --quiet --bin baas
    target="${CARGO_TARGET_DIR:-target}"
    case "$target" in
        /*) ;;
        *) target="$repo/$target" ;;
    esac
    baas="$target/release/baas"
fi
if [ ! -x /usr/bin/time ]; then
    echo "benches/import_large.sh: GNU time (/usr/bin/time) is needed for CPU time and memory" >&2
    exit 1
fi

python3 benches/openapi_large.py 340 >"$work/openapi.yaml"
python3 benches/openapi_large.py 340 --json >"$work/openapi.json"
python3 benches/openapi_large.py 680 >"$work/openapi-x2.yaml"
python3 benches/openapi_large.py 680 --json >"$work/openapi-x2.json"
python3 benches/jsonschema_fhir_like.py 1900 >"$work/fhir.schema.json"
python3 benches/jsonschema_fhir_like.py 3800 >"$work/fhir-x2.schema.json"

# measure COMMAND...: `wall_ms cpu_ms max_rss_mb` of the median run (by
# wall time) of RUNS runs of COMMAND, its output thrown away; the memory
# is the largest of all runs.
measure() {
    local run
    for run in $(seq "$runs"); do
        /usr/bin/time -o "$work/time.$run" -f '%e %U %S %M' "$@" >/dev/null 2>&1
    done
    python3 - "$work"/time.* <<'PY'
import sys
runs = []
for path in sys.argv[1:]:
    wall, user, system, rss = open(path).read().split()[-4:]
    runs.append((float(wall) * 1000, (float(user) + float(system)) * 1000, int(rss) / 1024))
runs.sort()
wall, cpu, _ = runs[len(runs) // 2]
print(f"{wall:.0f} {cpu:.0f} {max(r[2] for r in runs):.0f}")
PY
    rm -f "$work"/time.*
}

load_yaml='import sys, yaml; yaml.load(open(sys.argv[1], "rb"), Loader=yaml.CSafeLoader)'
has_floor_yaml=1
python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null || has_floor_yaml=""
has_floor_json=1
command -v jq >/dev/null 2>&1 || has_floor_json=""

printf '%-24s %7s | %9s %9s %8s | %-10s %9s %9s | %6s\n' \
    "file" "MB" "wall ms" "CPU ms" "RSS MB" "floor" "wall ms" "CPU ms" "ratio"
declare -A cpu_of
for name in openapi.yaml openapi-x2.yaml openapi.json openapi-x2.json fhir.schema.json fhir-x2.schema.json; do
    file="$work/$name"
    # Fails here (with baas's own message) when the file does not import.
    "$baas" --quiet introspect "$file" --dry-run >/dev/null
    read -r wall cpu rss <<<"$(measure "$baas" --quiet introspect "$file" --dry-run)"
    cpu_of[$name]=$cpu
    case "$name" in
        *.yaml) floor=(python3 -c "$load_yaml" "$file") label="PyYAML C" available=$has_floor_yaml ;;
        *) floor=(jq . "$file") label="jq ." available=$has_floor_json ;;
    esac
    if [ -n "$available" ]; then
        read -r floor_wall floor_cpu _ <<<"$(measure "${floor[@]}")"
        ratio=$(python3 -c "print(f'{$cpu / max($floor_cpu, 1):.2f}')")
    else
        floor_wall="-" floor_cpu="-" ratio="-" label="(none)"
    fi
    size=$(python3 -c "import os; print(f'{os.path.getsize(\"$file\") / 1e6:.1f}')")
    printf '%-24s %7s | %9s %9s %8s | %-10s %9s %9s | %6s\n' \
        "$name" "$size" "$wall" "$cpu" "$rss" "$label" "$floor_wall" "$floor_cpu" "$ratio"
done
scaling() {
    python3 -c "print(f'{${cpu_of[$2]} / max(${cpu_of[$1]}, 1):.2f}')"
}
echo "CPU time at twice the size (2.00 is linear): OpenAPI YAML $(scaling openapi.yaml openapi-x2.yaml)," \
    "OpenAPI JSON $(scaling openapi.json openapi-x2.json), JSON Schema $(scaling fhir.schema.json fhir-x2.schema.json)"
echo "(ratio: baas's CPU time over the floor's; median of $runs runs each; $(nproc) cores)"

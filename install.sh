#!/bin/sh
# Build baas from this checkout with the Rust toolchain and install it, with
# its shell completions. Safe to run again: it replaces what it installed.
#
#   ./install.sh                 install to ~/.local/bin
#   ./install.sh --to /usr/local/bin
#   ./install.sh --no-completions
set -eu

say() {
    printf 'install: %s\n' "$1" >&2
}

err() {
    printf 'install: error: %s\n' "$1" >&2
    exit 1
}

need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        err "need '$1' (command not found); $2"
    fi
}

help() {
    cat <<'HELP'
Usage: ./install.sh [--to DIR] [--no-completions] [--help]

Builds a release binary of baas with cargo and installs it.

Options:
  --to DIR           install the binary into DIR [default: ~/.local/bin]
  --no-completions   do not install shell completion scripts
  --help             show this help
HELP
}

dest="${HOME}/.local/bin"
completions=yes

while [ $# -gt 0 ]; do
    case "$1" in
        --to)
            [ $# -ge 2 ] || err "--to needs a directory"
            dest="$2"
            shift 2
            ;;
        --to=*)
            dest="${1#--to=}"
            shift
            ;;
        --no-completions)
            completions=no
            shift
            ;;
        -h | --help)
            help
            exit 0
            ;;
        *)
            err "unknown option '$1' (see --help)"
            ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/Cargo.toml" ] || err "run this script from a baas checkout (no Cargo.toml beside it)"

need cargo "install the Rust toolchain from https://rustup.rs"
need cc "install a C compiler (Debian: apt-get install gcc) to build the bundled SQLite"

say "building baas (release) in $here"
(cd "$here" && cargo build --release --locked --bin baas) || err "cargo build failed"

target_dir="${CARGO_TARGET_DIR:-$here/target}"
binary="$target_dir/release/baas"
[ -x "$binary" ] || err "the build produced no binary at $binary"

mkdir -p "$dest" || err "cannot create $dest"
# Copy beside, then rename, so a running baas is never half-overwritten.
cp "$binary" "$dest/.baas.new" || err "cannot write to $dest"
chmod 755 "$dest/.baas.new"
mv -f "$dest/.baas.new" "$dest/baas"
say "installed $dest/baas ($("$dest/baas" --version))"

if [ "$completions" = yes ]; then
    data="${XDG_DATA_HOME:-$HOME/.local/share}"
    config="${XDG_CONFIG_HOME:-$HOME/.config}"
    mkdir -p "$data/bash-completion/completions" "$data/zsh/site-functions" "$config/fish/completions"
    cp "$here/completions/baas.bash" "$data/bash-completion/completions/baas"
    cp "$here/completions/_baas" "$data/zsh/site-functions/_baas"
    cp "$here/completions/baas.fish" "$config/fish/completions/baas.fish"
    say "installed completions for bash, zsh and fish under $data and $config"
    say "zsh: add '$data/zsh/site-functions' to your fpath if it is not there yet"
fi

case ":${PATH}:" in
    *":$dest:"*) ;;
    *) say "note: $dest is not on your PATH; add it, e.g. export PATH=\"$dest:\$PATH\"" ;;
esac
say "done: try 'baas --help'"

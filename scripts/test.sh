#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, docs, and every test.
# Needs a Rust toolchain (cargo, rustfmt, clippy); it installs the rustup
# components if they are missing, and through apt-get the X server and GL
# libraries the editor's screenshot test runs on (Xvfb, Mesa) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_component() {
    if ! cargo "$1" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            rustup component add "$2"
        else
            echo "error: cargo $1 is missing and rustup is not available to install $2" >&2
            exit 1
        fi
    fi
}
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 1
fi
need_component fmt rustfmt
need_component clippy clippy

# The editor needs ALSA and JACK headers to build, and its tests run the app
# on Xvfb with Mesa's software GL and play a graph through jackd's dummy backend.
gui_packages=(xvfb libgl1-mesa-dri libegl1 libgl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1
    pkg-config libasound2-dev libjack-jackd2-dev jackd2)
missing=()
for p in "${gui_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: missing system packages ${missing[*]} and no apt-get to install them" >&2
        exit 1
    fi
    echo "== installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== cargo test"
cargo test --workspace --locked

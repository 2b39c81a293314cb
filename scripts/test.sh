#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, docs, and every test.
# Needs only a Rust toolchain (cargo, rustfmt, clippy); it installs the
# rustup components if they are missing and has no system-package needs yet.
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

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== cargo test"
cargo test --workspace --locked

#!/usr/bin/env bash
# Builds the mixgraph plugins and lays them out as bundles a DAW loads
# (through `cargo xtask bundle`, nice-plug's bundler), then optionally
# installs them:
#   target/bundled/mixgraph.clap                                   (CLAP: the shared library)
#   target/bundled/mixgraph.vst3/Contents/<arch>-linux/mixgraph.so (VST3 bundle layout)
#
# Usage: scripts/bundle-plugins.sh [--debug] [--install]
#   --debug    build the dev profile (faster to build, slower to run)
#   --install  also copy the bundles into ~/.clap and ~/.vst3
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
install=false
for arg in "$@"; do
    case "$arg" in
        --debug) profile=debug ;;
        --install) install=true ;;
        *) echo "usage: $0 [--debug] [--install]" >&2; exit 2 ;;
    esac
done
if [ "$install" = true ] && [ "$(uname -s)" != Linux ]; then
    echo "error: --install knows Linux's plugin folders only; on $(uname -s) copy target/bundled/* by hand" >&2
    exit 1
fi

# nice-plug's bundler (the workspace's xtask, nice-plug-xtask) builds the
# crate and lays out both bundles, named by bundler.toml.
if [ "$profile" = release ]; then
    cargo xtask bundle mixgraph-plugins --release --locked
else
    cargo xtask bundle mixgraph-plugins --locked
fi
out="${CARGO_TARGET_DIR:-target}/bundled"
echo "bundled   $out/mixgraph.clap"
echo "bundled   $out/mixgraph.vst3"

if [ "$install" = true ]; then
    mkdir -p "$HOME/.clap" "$HOME/.vst3"
    rm -rf "$HOME/.clap/mixgraph.clap" "$HOME/.vst3/mixgraph.vst3"
    cp "$out/mixgraph.clap" "$HOME/.clap/mixgraph.clap"
    cp -r "$out/mixgraph.vst3" "$HOME/.vst3/mixgraph.vst3"
    echo "installed $HOME/.clap/mixgraph.clap"
    echo "installed $HOME/.vst3/mixgraph.vst3"
fi

#!/usr/bin/env bash
# Builds the mixgraph plugins and lays them out as bundles a DAW loads:
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
if [ "$(uname -s)" != Linux ]; then
    echo "error: this script lays out Linux bundles; on $(uname -s) build with cargo and bundle by hand" >&2
    exit 1
fi

if [ "$profile" = release ]; then
    cargo build -p mixgraph-plugins --release --locked
else
    cargo build -p mixgraph-plugins --locked
fi
target_dir="${CARGO_TARGET_DIR:-target}"
library="$target_dir/$profile/libmixgraph_plugins.so"
out="$target_dir/bundled"
arch="$(uname -m)-linux"
mkdir -p "$out"

# Each bundle is assembled beside its final name and renamed into place,
# so a DAW scanning the folder never sees half a bundle.
rm -rf "$out/.mixgraph.clap.tmp" "$out/.mixgraph.vst3.tmp"
cp "$library" "$out/.mixgraph.clap.tmp"
mkdir -p "$out/.mixgraph.vst3.tmp/Contents/$arch"
cp "$library" "$out/.mixgraph.vst3.tmp/Contents/$arch/mixgraph.so"
rm -rf "$out/mixgraph.clap" "$out/mixgraph.vst3"
mv "$out/.mixgraph.clap.tmp" "$out/mixgraph.clap"
mv "$out/.mixgraph.vst3.tmp" "$out/mixgraph.vst3"
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

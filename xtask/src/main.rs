//! `cargo xtask`: nice-plug's bundler (`nice-plug-xtask`), which builds a
//! plugin crate and lays it out as `.clap` and `.vst3` bundles under
//! `target/bundled/`, named by `bundler.toml`.

fn main() -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::main()
}

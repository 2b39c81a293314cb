//! Embeds the repository's presets (`presets/**/*.json`) in the editor, so
//! that "Open preset" works in an installed plugin far from the sources.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

fn main() {
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../presets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut found = Vec::new();
    collect(&root, &mut found);
    found.sort();
    let mut code =
        String::from("/// Built-in presets: name (path under `presets/`, no extension) and graph-file text.\n");
    code.push_str("pub const PRESETS: &[(&str, &str)] = &[\n");
    for path in &found {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.strip_prefix(&root).unwrap().with_extension("");
        let name = name.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        code.push_str(&format!("    ({name:?}, include_str!({:?})),\n", path.canonicalize().unwrap()));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("presets.rs");
    std::fs::write(out, code).unwrap();
}

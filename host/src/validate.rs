//! `mixgraph validate`: loads, compiles and prepares graph files at 48 kHz /
//! 512 frames and reports each one.

use crate::cli::ValidateArgs;
use anyhow::{Result, anyhow};
use mixgraph_graph::{Engine, NodeRegistry, StreamInfo, file};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The stream every file is checked against.
const STREAM: StreamInfo = StreamInfo { sample_rate: 48_000.0, max_block_frames: 512 };

/// Runs `mixgraph validate`: `ok  FILE (N nodes, latency L frames)` on stdout
/// per good file, `error: ...` on stderr per bad one.
///
/// # Errors
/// Only when stdout cannot be written; bad files give exit code 1 instead.
pub fn run(args: ValidateArgs) -> Result<ExitCode> {
    let registry = mixgraph_nodes::registry();
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for path in &args.files {
        match check_file(path, &registry) {
            Ok(checked) => {
                writeln!(
                    out,
                    "ok  {} ({} nodes, latency {} frames)",
                    path.display(),
                    checked.nodes,
                    checked.latency_frames
                )?;
            }
            Err(e) => {
                out.flush()?;
                crate::print_error(&e);
                failed += 1;
            }
        }
    }
    if failed > 0 && args.files.len() > 1 {
        out.flush()?;
        eprintln!("{failed} of {} files failed", args.files.len());
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// What a successful check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Nodes in the graph.
    pub nodes: usize,
    /// Graph latency at 48 kHz, frames.
    pub latency_frames: u32,
}

/// Loads `path`, checks that it compiles, and prepares every node (which finds
/// missing media files and latencies, as a render would).
///
/// # Errors
/// A message naming the file, and the node and field where known.
pub fn check_file(path: &Path, registry: &NodeRegistry) -> Result<Checked> {
    let name = path.display().to_string();
    let graph = file::load_file(path, registry)?;
    file::check(&graph, &name, &STREAM)?;
    let nodes = graph.node_count();
    // `check` compiles with zero latencies; only prepared nodes report theirs.
    let (engine, _executor) = Engine::new(graph, STREAM).map_err(|e| anyhow!("{name}: {e}"))?;
    Ok(Checked { nodes, latency_frames: engine.report().latency_frames })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_reports_nodes_and_a_bad_one_names_node_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.json");
        std::fs::write(
            &good,
            r#"{"format": "mixgraph/1", "nodes": [
                {"id": "in", "type": "io.input"}, {"id": "g", "type": "util.gain"}, {"id": "out", "type": "io.output"}],
                "edges": [{"from": "in", "to": "g"}, {"from": "g", "to": "out"}]}"#,
        )
        .unwrap();
        let registry = mixgraph_nodes::registry();
        assert_eq!(check_file(&good, &registry).unwrap(), Checked { nodes: 3, latency_frames: 0 });
        let bad = dir.path().join("bad.json");
        std::fs::write(
            &bad,
            r#"{"format": "mixgraph/1", "nodes": [{"id": "g", "type": "util.gain", "params": {"gain_db": 99}}]}"#,
        )
        .unwrap();
        let e = check_file(&bad, &registry).unwrap_err().to_string();
        assert!(e.contains("bad.json") && e.contains("node 'g'") && e.contains("params.gain_db"), "{e}");
    }
}

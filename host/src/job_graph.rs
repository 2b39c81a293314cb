//! The graph a job runs: its preset (or built mix) with the reference
//! matching nodes if asked, the loop's trim before the final limiter,
//! written into the job's work directory, and the targets the loop aims at.

use crate::cli::{InputSpec, JobArgs};
use crate::qc::{QcJob, TRIM_NODE, final_limiter};
use crate::reference::{self, Match};
use crate::render::GraphSource;
use anyhow::{Context, Result, anyhow};
use mixgraph_analysis::Analysis;
use mixgraph_graph::{NodeRegistry, Targets, file};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

/// A job ready for the loop.
pub struct PreparedJob<'a> {
    /// What the loop renders and aims at.
    pub qc: QcJob<'a>,
    /// The reference match and the reference's analysis, with `--reference`.
    pub matched: Option<(Match, Analysis)>,
}

/// Prepares `graph` (named `name` in messages) for the loop: with
/// `--reference`, matching nodes go in after the port `after`; the trim
/// goes before the final limiter; the graph is written into `work`. The
/// loudness target is `--target-lufs`, else the reference's loudness, else
/// the graph's own; the ceiling `--ceiling`, else the graph's, else −1 dBTP.
///
/// # Errors
/// When the reference cannot be matched, the graph does not load or has
/// no final limiter or no loudness target, or `work` cannot be written.
pub fn prepare_job<'a>(
    mut graph: Value,
    after: &str,
    name: &str,
    job: &'a JobArgs,
    inputs: Vec<InputSpec>,
    work: &Path,
    stdout: &mut dyn Write,
) -> Result<PreparedJob<'a>> {
    let matched = match &job.reference {
        Some(file) => {
            let matched = reference::match_reference(&mut graph, after, file, &inputs, work)?;
            reference::describe(&matched.0, file, stdout)?;
            Some(matched)
        }
        None => None,
    };
    let (limiter, targets) = prepare_graph(&mut graph, &mixgraph_nodes::registry(), name)?;
    let path = work.join("graph.json");
    std::fs::write(&path, serde_json::to_string_pretty(&graph)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let target_lufs = job
        .target_lufs
        .or(matched.as_ref().map(|m| m.0.reference_lufs))
        .or(targets.and_then(|t| t.integrated_lufs))
        .ok_or_else(|| anyhow!("{name} has no loudness target: give --target-lufs"))?;
    let ceiling_dbtp = job.ceiling.or(targets.and_then(|t| t.true_peak_dbtp)).unwrap_or(-1.0);
    let qc = QcJob {
        source: GraphSource::File(path),
        inputs,
        limiter,
        target_lufs,
        ceiling_dbtp,
        passes: job.passes,
        format: job.format,
        out: &job.out,
    };
    Ok(PreparedJob { qc, matched })
}

/// Gets the graph file `graph` ready for the loop: finds its final limiter
/// and its targets (returned) and puts [`TRIM_NODE`] right before the
/// limiter, unless the graph already has one (a graph saved by a job).
///
/// # Errors
/// When the graph does not load, or no `dynamics.limiter` feeds `out`.
fn prepare_graph(graph: &mut Value, registry: &NodeRegistry, name: &str) -> Result<(String, Option<Targets>)> {
    let loaded = file::load_str(&serde_json::to_string(graph)?, name, registry)?;
    let limiter = final_limiter(&loaded).with_context(|| name.to_string())?;
    if loaded.nodes().any(|n| n.id() == TRIM_NODE) {
        return Ok((limiter, loaded.targets));
    }
    let into = format!("{limiter}.in");
    if let Some(edges) = graph["edges"].as_array_mut() {
        for e in edges.iter_mut().filter(|e| e["to"] == into.as_str()) {
            e["to"] = json!(format!("{TRIM_NODE}.in"));
        }
        edges.push(json!({"from": format!("{TRIM_NODE}.out"), "to": into}));
    }
    if let Some(nodes) = graph["nodes"].as_array_mut() {
        nodes.push(json!({"id": TRIM_NODE, "type": "util.gain"}));
    }
    Ok((limiter, loaded.targets))
}

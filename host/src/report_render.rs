//! The report's own render: the job's final graph once more, with taps on
//! chosen ports (each stem after its chain, the mix bus before mastering)
//! written to files in the work directory, and every gain-reduction meter
//! recorded over time. The taps are analysed like the output, so the
//! report's "after" figures per stem are measured, not predicted.

use crate::cli::ParamSet;
use crate::qc::{self, QcJob};
use crate::render::{self, GraphSource, ReductionTrack, RenderRequest, Tap};
use anyhow::{Context, Result, anyhow};
use mixgraph_analysis::Analysis;
use serde_json::{Value, json};
use std::path::Path;

/// Frames per processing block, as in the loop's passes.
const BLOCK_SIZE: usize = 512;
/// Longest tail rendered past the input, seconds.
const TAIL_SECONDS: f64 = 5.0;

/// What the report render measured.
pub struct ReportRender {
    /// Each tap's name and the analysis of what passed its port.
    pub taps: Vec<(String, Analysis)>,
    /// Every gain-reduction meter over time.
    pub reduction: Vec<ReductionTrack>,
    /// Length of the render, seconds.
    pub duration_s: f64,
}

/// Renders `job`'s graph with `sets` into `work`, tapping each
/// `(name, node.port)` of `taps` (stereo ports), and analyses the taps.
///
/// # Errors
/// When the graph cannot be read or extended, the render fails, or a tap
/// cannot be analysed.
pub fn report_render(
    job: &QcJob<'_>,
    sets: &[ParamSet],
    taps: &[(String, String)],
    work: &Path,
) -> Result<ReportRender> {
    let GraphSource::File(graph_path) = &job.source else {
        return Err(anyhow!("the job's graph is not a file"));
    };
    let text = std::fs::read_to_string(graph_path).with_context(|| format!("cannot read {}", graph_path.display()))?;
    let mut graph: Value = serde_json::from_str(&text).with_context(|| format!("{}", graph_path.display()))?;
    let mut files = Vec::new();
    for (name, port) in taps {
        let output = format!("tap_{name}");
        if let Some(nodes) = graph["nodes"].as_array_mut() {
            nodes.push(json!({"id": output, "type": "io.output", "config": {"channels": 2}}));
        }
        if let Some(edges) = graph["edges"].as_array_mut() {
            edges.push(json!({"from": port, "to": format!("{output}.in")}));
        }
        files.push(Tap { output, path: work.join(format!("tap_{name}.wav")) });
    }
    let tapped = work.join("report_graph.json");
    std::fs::write(&tapped, serde_json::to_string(&graph)?)
        .with_context(|| format!("cannot write {}", tapped.display()))?;
    let summary = render::render(&RenderRequest {
        graph: GraphSource::File(tapped),
        inputs: job.inputs.clone(),
        sets: sets.to_vec(),
        output: Some("out".into()),
        out_path: work.join("report_pass.wav"),
        sample_rate: None,
        block_size: BLOCK_SIZE,
        format: job.format,
        tail_seconds: TAIL_SECONDS,
        duration_seconds: None,
        taps: files.clone(),
        record_reduction: true,
    })?;
    let mut measured = Vec::new();
    for ((name, _), file) in taps.iter().zip(&files) {
        measured.push((name.clone(), qc::measure(&file.path)?));
    }
    let duration_s = summary.duration_seconds();
    Ok(ReportRender { taps: measured, reduction: summary.reduction, duration_s })
}

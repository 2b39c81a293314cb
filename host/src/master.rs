//! `mixgraph master`: a finished track through a mastering preset and the
//! quality-control loop (see [`crate::qc`]), then the output, optionally
//! the graph that made it and a report.

use crate::cli::{InputSpec, MAIN_INPUT, MasterArgs};
use crate::job_graph;
use crate::qc::{self, LOUDNESS_TOLERANCE_LU};
use crate::render::GraphSource;
use crate::report_page::{self, ReportPage, Version};
use crate::report_reduction;
use crate::report_render::report_render;
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Built-in mastering presets: name, file (for messages), graph JSON.
const PRESETS: [(&str, &str, &str); 5] = [
    ("pop", "presets/master/pop.json", include_str!("../../presets/master/pop.json")),
    ("hiphop", "presets/master/hiphop.json", include_str!("../../presets/master/hiphop.json")),
    ("rock", "presets/master/rock.json", include_str!("../../presets/master/rock.json")),
    ("electro_house", "presets/master/electro_house.json", include_str!("../../presets/master/electro_house.json")),
    ("streaming", "presets/master/streaming.json", include_str!("../../presets/master/streaming.json")),
];
/// Runs `mixgraph master`.
///
/// # Errors
/// For an unreadable input, an unknown preset or a bad graph file, a graph
/// without a final limiter, or an unwritable output, graph or report.
pub fn run(args: MasterArgs) -> Result<()> {
    let (preset, preset_name) = preset_source(&args.job.preset)?;
    let inputs = vec![InputSpec { name: MAIN_INPUT.to_string(), path: args.file.clone() }];
    let work = qc::work_dir(&args.job.out)?;
    let mut stdout = std::io::stdout().lock();
    let graph: serde_json::Value =
        serde_json::from_str(&preset_text(&preset)?).with_context(|| format!("preset {preset_name}"))?;
    let prepared = job_graph::prepare_job(
        graph,
        "in.out",
        &format!("preset {preset_name}"),
        &args.job,
        inputs,
        work.path(),
        &mut stdout,
    )?;
    let (job, matched) = (prepared.qc, prepared.matched);
    let (source, target_lufs, ceiling) = (job.source.clone(), job.target_lufs, job.ceiling_dbtp);
    let registry = mixgraph_nodes::registry();
    let before = qc::measure(&args.file)?;
    writeln!(
        stdout,
        "input     {}: {:.1} LUFS, {:.2} dBTP; target {target_lufs:.1} LUFS, ceiling {ceiling:.1} dBTP ({preset_name})",
        args.file.display(),
        before.loudness.integrated_lufs,
        before.loudness.true_peak_dbtp
    )?;
    let outcome = qc::run_qc(&job, &mut stdout)?;
    writeln!(stdout, "wrote     {}", args.job.out.display())?;
    if let Some(path) = &args.job.save_graph {
        qc::save_graph(&source, &registry, &outcome.final_sets, path)?;
        writeln!(
            stdout,
            "wrote     {} (render it with: mixgraph render --graph {} --in {} --out FILE)",
            path.display(),
            path.display(),
            args.file.display()
        )?;
    }
    if let Some(dir) = &args.job.report {
        let measured = report_render(&job, &outcome.final_sets, &[], work.path())?;
        let report = json!({
            "input": args.file.display().to_string(),
            "output": args.job.out.display().to_string(),
            "preset": preset_name,
            "target_lufs": target_lufs,
            "tolerance_lu": LOUDNESS_TOLERANCE_LU,
            "ceiling_dbtp": ceiling,
            "met": outcome.missed.is_empty(),
            "missed": outcome.missed,
            "passes": outcome.passes,
            "reference": matched.as_ref().map(|m| json!({"file": args.job.reference, "match": m.0})),
            "before": qc::metrics(&before),
            "after": qc::metrics(&outcome.after),
        });
        let path = dir.join("report.json");
        qc::write_atomically(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
        let page = ReportPage {
            title: format!("mixgraph master: {}", args.file.display()),
            facts: qc::facts(&preset_name, target_lufs, ceiling, Some(("input", &before)), &outcome),
            extra_table: None,
            versions: vec![
                Version { label: "input", analysis: &before },
                Version { label: "master", analysis: &outcome.after },
            ],
            target_lufs,
            masking: None,
            reduction: report_reduction::by_node(&measured.reduction),
            stems: Vec::new(),
            duration_s: measured.duration_s,
        };
        report_page::write(dir, &page, &outcome)?;
        writeln!(stdout, "wrote     {} (and report.html with its pictures)", path.display())?;
    }
    qc::print_verdict(&outcome, &mut stdout)
}

/// The graph source for `--preset`: a built-in name or a graph file.
pub fn preset_source(preset: &str) -> Result<(GraphSource, String)> {
    if let Some((name, file, text)) = PRESETS.iter().find(|(n, _, _)| *n == preset) {
        return Ok((GraphSource::Embedded { name: file, text }, (*name).to_string()));
    }
    let path = PathBuf::from(preset);
    if path.exists() {
        return Ok((GraphSource::File(path), preset.to_string()));
    }
    let names: Vec<&str> = PRESETS.iter().map(|(n, _, _)| *n).collect();
    bail!("--preset {preset}: no such preset or file (presets: {})", names.join(", "))
}

/// The graph file text of a preset source.
///
/// # Errors
/// When a preset file cannot be read.
pub fn preset_text(source: &GraphSource) -> Result<String> {
    match source {
        GraphSource::Embedded { text, .. } => Ok((*text).to_string()),
        GraphSource::File(path) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        }
    }
}

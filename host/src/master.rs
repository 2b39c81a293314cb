//! `mixgraph master`: a finished track through a mastering preset, with a
//! quality-control loop: render, measure independently, adjust, until the
//! integrated loudness is within [`LOUDNESS_TOLERANCE_LU`] of the target,
//! the true peak is at or under the ceiling, no sample clips and the
//! stereo image is mono-safe; then the output, optionally the graph that
//! made it and a report.
//!
//! The adjustment is the final limiter's input gain (the gain into the last
//! stage sets the loudness; a limiter's output loudness grows less than
//! dB for dB once it limits, so passes after the first use the slope
//! measured between passes) and, if the measured true peak is over, its
//! ceiling.

use crate::cli::{InputSpec, MAIN_INPUT, MasterArgs, ParamSet};
use crate::render::{self, GraphSource, RenderRequest};
use anyhow::{Context, Result, anyhow, bail};
use mixgraph_analysis::{Analysis, AnalysisOptions};
use mixgraph_graph::{Graph, file};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Built-in mastering presets: name, file (for messages), graph JSON.
const PRESETS: [(&str, &str, &str); 5] = [
    ("pop", "presets/master/pop.json", include_str!("../../presets/master/pop.json")),
    ("hiphop", "presets/master/hiphop.json", include_str!("../../presets/master/hiphop.json")),
    ("rock", "presets/master/rock.json", include_str!("../../presets/master/rock.json")),
    ("electro_house", "presets/master/electro_house.json", include_str!("../../presets/master/electro_house.json")),
    ("streaming", "presets/master/streaming.json", include_str!("../../presets/master/streaming.json")),
];
/// Largest distance from the loudness target that meets it, LU.
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.5;
/// Passes stop early once the loudness is this close, LU.
const AIM_LU: f64 = 0.15;
/// Largest trim the loop applies either way, dB.
const MAX_TRIM_DB: f64 = 12.0;
/// Lowest ceiling the loop lowers the limiter to, dBTP.
const LOWEST_CEILING_DBTP: f64 = -12.0;
/// Frames per processing block.
const BLOCK_SIZE: usize = 512;
/// Longest tail rendered past the input, seconds.
const TAIL_SECONDS: f64 = 5.0;

/// One render and its measurement.
#[derive(Clone, Debug, serde::Serialize)]
struct Pass {
    /// The final limiter's input gain, dB.
    trim_db: f64,
    /// The final limiter's ceiling, dBTP.
    ceiling_dbtp: f64,
    /// Measured integrated loudness, LUFS.
    integrated_lufs: f64,
    /// Measured true peak (4× oversampled), dBTP.
    true_peak_dbtp: f64,
    /// Samples at or beyond full scale, all channels.
    clipped_samples: u64,
    /// Stereo correlation (1 for mono).
    correlation: f64,
}

/// Runs `mixgraph master`.
///
/// # Errors
/// For an unreadable input, an unknown preset or a bad graph file, a graph
/// without a final limiter, or an unwritable output, graph or report.
pub fn run(args: MasterArgs) -> Result<()> {
    let (source, preset_name) = preset_source(&args.preset)?;
    let registry = mixgraph_nodes::registry();
    let graph = load(&source, &registry)?;
    let limiter = final_limiter(&graph).with_context(|| format!("preset {preset_name}"))?;
    let targets = graph.targets;
    let target_lufs = args
        .target_lufs
        .or(targets.and_then(|t| t.integrated_lufs))
        .ok_or_else(|| anyhow!("preset {preset_name} has no loudness target: give --target-lufs"))?;
    let wanted_ceiling = args.ceiling.or(targets.and_then(|t| t.true_peak_dbtp)).unwrap_or(-1.0);

    let mut stdout = std::io::stdout().lock();
    let before = measure(&args.file)?;
    writeln!(
        stdout,
        "input     {}: {:.1} LUFS, {:.2} dBTP; target {target_lufs:.1} LUFS, ceiling {wanted_ceiling:.1} dBTP ({preset_name})",
        args.file.display(),
        before.loudness.integrated_lufs,
        before.loudness.true_peak_dbtp
    )?;

    let dir = args.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let work = tempfile::Builder::new()
        .prefix(".mixgraph-master-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let pass_path = work.path().join("pass.wav");
    let (mut trim, mut ceiling) = (0.0f64, wanted_ceiling);
    let mut previous: Option<(f64, f64)> = None;
    let mut passes: Vec<Pass> = Vec::new();
    let mut after = before.clone();
    for number in 1..=args.passes {
        let sets = settings(&limiter, trim, ceiling);
        render::render(&RenderRequest {
            graph: source.clone(),
            inputs: vec![InputSpec { name: MAIN_INPUT.to_string(), path: args.file.clone() }],
            sets: sets.clone(),
            output: None,
            out_path: pass_path.clone(),
            sample_rate: None,
            block_size: BLOCK_SIZE,
            format: args.format,
            tail_seconds: TAIL_SECONDS,
            duration_seconds: None,
        })?;
        after = measure(&pass_path)?;
        let pass = Pass {
            trim_db: trim,
            ceiling_dbtp: ceiling,
            integrated_lufs: after.loudness.integrated_lufs,
            true_peak_dbtp: after.loudness.true_peak_dbtp,
            clipped_samples: after.levels.iter().map(|l| l.clipped_samples).sum(),
            correlation: after.stereo.as_ref().map_or(1.0, |s| s.correlation),
        };
        writeln!(
            stdout,
            "pass {number}    trim {:+.2} dB, ceiling {:.2} dBTP -> {:.2} LUFS, {:.2} dBTP, {} clipped, correlation {:.2}",
            pass.trim_db,
            pass.ceiling_dbtp,
            pass.integrated_lufs,
            pass.true_peak_dbtp,
            pass.clipped_samples,
            pass.correlation
        )?;
        let error = target_lufs - pass.integrated_lufs;
        let peak_over = pass.true_peak_dbtp - wanted_ceiling;
        passes.push(pass);
        if error.abs() <= AIM_LU && peak_over <= 0.0 {
            break;
        }
        if peak_over > 0.0 {
            ceiling = (ceiling - peak_over - 0.05).max(LOWEST_CEILING_DBTP);
        }
        let slope = match previous {
            Some((t, l)) if (trim - t).abs() > 1e-3 => {
                ((after.loudness.integrated_lufs - l) / (trim - t)).clamp(0.2, 1.5)
            }
            _ => 1.0,
        };
        previous = Some((trim, after.loudness.integrated_lufs));
        trim = (trim + error / slope).clamp(-MAX_TRIM_DB, MAX_TRIM_DB);
    }
    let last = passes.last().cloned().ok_or_else(|| anyhow!("no pass was rendered"))?;
    let missed = missed_targets(&last, target_lufs, wanted_ceiling);
    std::fs::rename(&pass_path, &args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    writeln!(stdout, "wrote     {}", args.out.display())?;
    let final_sets = settings(&limiter, last.trim_db, last.ceiling_dbtp);
    if let Some(path) = &args.save_graph {
        save_graph(&source, &registry, &final_sets, path)?;
        writeln!(
            stdout,
            "wrote     {} (render it with: mixgraph render --graph {} --in {} --out FILE)",
            path.display(),
            path.display(),
            args.file.display()
        )?;
    }
    if let Some(dir) = &args.report {
        let report = json!({
            "input": args.file.display().to_string(),
            "output": args.out.display().to_string(),
            "preset": preset_name,
            "target_lufs": target_lufs,
            "tolerance_lu": LOUDNESS_TOLERANCE_LU,
            "ceiling_dbtp": wanted_ceiling,
            "met": missed.is_empty(),
            "missed": missed,
            "passes": passes,
            "before": metrics(&before),
            "after": metrics(&after),
        });
        let path = dir.join("report.json");
        write_atomically(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
        writeln!(stdout, "wrote     {}", path.display())?;
    }
    if missed.is_empty() {
        writeln!(stdout, "targets   met in {} pass(es)", passes.len())?;
    } else {
        for m in &missed {
            eprintln!("warning: target missed after {} pass(es): {m}", passes.len());
        }
    }
    Ok(())
}

/// The graph source for `--preset`: a built-in name or a graph file.
fn preset_source(preset: &str) -> Result<(GraphSource, String)> {
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

/// The graph of `source`.
fn load(source: &GraphSource, registry: &mixgraph_graph::NodeRegistry) -> Result<Graph> {
    Ok(match source {
        GraphSource::File(path) => file::load_file(path, registry)?,
        GraphSource::Embedded { name, text } => file::load_str(text, name, registry)?,
    })
}

/// The id of the `dynamics.limiter` that feeds the output `out`.
fn final_limiter(graph: &Graph) -> Result<String> {
    graph
        .edges()
        .into_iter()
        .filter(|(_, to)| to.split('.').next() == Some("out"))
        .filter_map(|(from, _)| from.split('.').next().map(str::to_string))
        .find(|id| graph.nodes().any(|n| n.id() == id && n.info().type_id == "dynamics.limiter"))
        .ok_or_else(|| {
            anyhow!("no dynamics.limiter feeds the output 'out': the job needs one to set loudness and peaks")
        })
}

/// The job's adjustments as `--set`s.
fn settings(limiter: &str, trim_db: f64, ceiling_dbtp: f64) -> Vec<ParamSet> {
    vec![
        ParamSet { address: format!("{limiter}.input_gain_db"), value: format!("{trim_db:.3}") },
        ParamSet { address: format!("{limiter}.ceiling_dbtp"), value: format!("{ceiling_dbtp:.3}") },
    ]
}

/// Decodes and analyses `path`.
fn measure(path: &Path) -> Result<Analysis> {
    let audio = mixgraph_nodes::io::decode::decode_file(path)?;
    mixgraph_analysis::analyze(&audio.channels, audio.sample_rate, &AnalysisOptions::default(), &mut |_| {})
        .with_context(|| format!("cannot analyse '{}'", path.display()))
}

/// What the last pass missed, in words.
fn missed_targets(last: &Pass, target_lufs: f64, ceiling: f64) -> Vec<String> {
    let mut missed = Vec::new();
    if (last.integrated_lufs - target_lufs).abs() > LOUDNESS_TOLERANCE_LU {
        missed.push(format!(
            "loudness {:.2} LUFS is more than {LOUDNESS_TOLERANCE_LU} LU from {target_lufs:.1} LUFS",
            last.integrated_lufs
        ));
    }
    if last.true_peak_dbtp > ceiling {
        missed.push(format!("true peak {:.2} dBTP is over the {ceiling:.1} dBTP ceiling", last.true_peak_dbtp));
    }
    if last.clipped_samples > 0 {
        missed.push(format!("{} samples clip", last.clipped_samples));
    }
    if last.correlation <= 0.0 {
        missed.push(format!("stereo correlation {:.2} is not above 0 (not mono-safe)", last.correlation));
    }
    missed
}

/// The measurements the report keeps of an analysis.
fn metrics(a: &Analysis) -> serde_json::Value {
    json!({
        "integrated_lufs": a.loudness.integrated_lufs,
        "loudness_range_lu": a.loudness.lra_lu,
        "true_peak_dbtp": a.loudness.true_peak_dbtp,
        "short_term_lufs": a.loudness.short_term_lufs,
        "levels": a.levels,
        "stereo": a.stereo,
        "spectrum": a.spectrum,
        "tempo_bpm": a.tempo.as_ref().map(|t| t.bpm),
        "key": a.key.as_ref().map(|k| k.name.clone()),
    })
}

/// Writes the graph with `sets` applied to `path` as a graph file.
fn save_graph(
    source: &GraphSource,
    registry: &mixgraph_graph::NodeRegistry,
    sets: &[ParamSet],
    path: &Path,
) -> Result<()> {
    let mut graph = load(source, registry)?;
    for set in sets {
        let (_, value) = graph.parse_param(&set.address, &set.value).map_err(|e| anyhow!("{}: {e}", set.address))?;
        graph.set_param(&set.address, value).map_err(|e| anyhow!("{}: {e}", set.address))?;
    }
    let text = serde_json::to_string_pretty(&file::to_file(&graph))?;
    write_atomically(path, text.as_bytes())
}

/// Writes `bytes` to `path` through a temporary file beside it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mixgraph-part");
    // The usual permissions of a new file (0666 minus the umask), not
    // tempfile's owner-only default.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    temp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

//! The quality-control loop of the mastering and mixing jobs: render,
//! measure independently, adjust, until the integrated loudness is within
//! [`LOUDNESS_TOLERANCE_LU`] of the target, the true peak is at or under the
//! ceiling, no sample clips and the stereo image is mono-safe.
//!
//! The adjustment is a gain node, [`TRIM_NODE`], that the job puts right
//! before the final limiter (the gain into the last stage sets the
//! loudness; a limiter's output loudness grows less than dB for dB once it
//! limits, so passes after the first use the slope measured between
//! passes), and, if the measured true peak is over, the limiter's ceiling.
//! Passes render into a temporary directory beside the output; the last one
//! is renamed into place, so a failed job leaves nothing half-written.

use crate::cli::InputSpec;
use crate::cli::ParamSet;
use crate::render::{self, GraphSource, RenderRequest};
use crate::wav_out::SampleFormat;
use anyhow::{Context, Result, anyhow};
use mixgraph_analysis::{Analysis, AnalysisOptions};
use mixgraph_graph::{Graph, NodeRegistry, file};
use serde_json::json;
use std::io::Write;
use std::path::Path;

/// Id of the `util.gain` the loop sets, right before the final limiter.
pub const TRIM_NODE: &str = "qc_trim";
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
pub struct Pass {
    /// The gain into the final limiter, dB.
    pub trim_db: f64,
    /// The final limiter's ceiling, dBTP.
    pub ceiling_dbtp: f64,
    /// Measured integrated loudness, LUFS.
    pub integrated_lufs: f64,
    /// Measured true peak (4× oversampled), dBTP.
    pub true_peak_dbtp: f64,
    /// Samples at or beyond full scale, all channels.
    pub clipped_samples: u64,
    /// Stereo correlation (1 for mono).
    pub correlation: f64,
}

/// What the loop renders and aims for.
pub struct QcJob<'a> {
    /// The graph.
    pub source: GraphSource,
    /// Files for its inputs.
    pub inputs: Vec<InputSpec>,
    /// Id of the final `dynamics.limiter`.
    pub limiter: String,
    /// Integrated loudness to reach, LUFS.
    pub target_lufs: f64,
    /// Highest true peak, dBTP.
    pub ceiling_dbtp: f64,
    /// Most passes.
    pub passes: u32,
    /// Output sample format.
    pub format: SampleFormat,
    /// The file to write.
    pub out: &'a Path,
}

/// What the loop did.
pub struct QcOutcome {
    /// Every pass, in order.
    pub passes: Vec<Pass>,
    /// The analysis of the file written.
    pub after: Analysis,
    /// The limiter settings of the file written.
    pub final_sets: Vec<ParamSet>,
    /// The targets missed, in words (empty when all are met).
    pub missed: Vec<String>,
}

/// Runs the loop, printing one line per pass, and writes `job.out`.
///
/// # Errors
/// When a render or a measurement fails, or the output cannot be written.
pub fn run_qc(job: &QcJob<'_>, stdout: &mut dyn Write) -> Result<QcOutcome> {
    let dir = job.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let work = tempfile::Builder::new()
        .prefix(".mixgraph-job-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let pass_path = work.path().join("pass.wav");
    let (mut trim, mut ceiling) = (0.0f64, job.ceiling_dbtp);
    let mut previous: Option<(f64, f64)> = None;
    let mut passes: Vec<Pass> = Vec::new();
    let mut after = None;
    for number in 1..=job.passes {
        let sets = settings(&job.limiter, trim, ceiling);
        render::render(&RenderRequest {
            graph: job.source.clone(),
            inputs: job.inputs.clone(),
            sets: sets.clone(),
            output: None,
            out_path: pass_path.clone(),
            sample_rate: None,
            block_size: BLOCK_SIZE,
            format: job.format,
            tail_seconds: TAIL_SECONDS,
            duration_seconds: None,
            taps: Vec::new(),
            record_reduction: false,
        })?;
        let measured = measure(&pass_path)?;
        let pass = Pass {
            trim_db: trim,
            ceiling_dbtp: ceiling,
            integrated_lufs: measured.loudness.integrated_lufs,
            true_peak_dbtp: measured.loudness.true_peak_dbtp,
            clipped_samples: measured.levels.iter().map(|l| l.clipped_samples).sum(),
            correlation: measured.stereo.as_ref().map_or(1.0, |s| s.correlation),
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
        after = Some(measured);
        let pass_lufs = pass.integrated_lufs;
        let error = job.target_lufs - pass_lufs;
        let peak_over = pass.true_peak_dbtp - job.ceiling_dbtp;
        passes.push(pass);
        if error.abs() <= AIM_LU && peak_over <= 0.0 {
            break;
        }
        if peak_over > 0.0 {
            ceiling = (ceiling - peak_over - 0.05).max(LOWEST_CEILING_DBTP);
        }
        let slope = match previous {
            Some((t, l)) if (trim - t).abs() > 1e-3 => ((pass_lufs - l) / (trim - t)).clamp(0.2, 1.5),
            _ => 1.0,
        };
        previous = Some((trim, pass_lufs));
        trim = (trim + error / slope).clamp(-MAX_TRIM_DB, MAX_TRIM_DB);
    }
    let last = passes.last().cloned().ok_or_else(|| anyhow!("no pass was rendered"))?;
    let after = after.ok_or_else(|| anyhow!("no pass was measured"))?;
    let missed = missed_targets(&last, job.target_lufs, job.ceiling_dbtp);
    std::fs::rename(&pass_path, job.out).with_context(|| format!("cannot write {}", job.out.display()))?;
    Ok(QcOutcome { final_sets: settings(&job.limiter, last.trim_db, last.ceiling_dbtp), passes, after, missed })
}

/// The graph of `source`.
fn load(source: &GraphSource, registry: &NodeRegistry) -> Result<Graph> {
    Ok(match source {
        GraphSource::File(path) => file::load_file(path, registry)?,
        GraphSource::Embedded { name, text } => file::load_str(text, name, registry)?,
    })
}

/// The id of the `dynamics.limiter` that feeds the output `out`.
pub fn final_limiter(graph: &Graph) -> Result<String> {
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
        ParamSet { address: format!("{TRIM_NODE}.gain_db"), value: format!("{trim_db:.3}") },
        ParamSet { address: format!("{limiter}.ceiling_dbtp"), value: format!("{ceiling_dbtp:.3}") },
    ]
}

/// Decodes and analyses `path`.
pub fn measure(path: &Path) -> Result<Analysis> {
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
pub fn metrics(a: &Analysis) -> serde_json::Value {
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
pub fn save_graph(source: &GraphSource, registry: &NodeRegistry, sets: &[ParamSet], path: &Path) -> Result<()> {
    let mut graph = load(source, registry)?;
    for set in sets {
        let (_, value) = graph.parse_param(&set.address, &set.value).map_err(|e| anyhow!("{}: {e}", set.address))?;
        graph.set_param(&set.address, value).map_err(|e| anyhow!("{}: {e}", set.address))?;
    }
    let text = serde_json::to_string_pretty(&file::to_file(&graph))?;
    write_atomically(path, text.as_bytes())
}

/// Writes `bytes` to `path` through a temporary file beside it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
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

/// "targets met in N pass(es)" on `stdout`, or a warning per missed target
/// on stderr.
///
/// # Errors
/// When `stdout` cannot be written.
pub fn print_verdict(outcome: &QcOutcome, stdout: &mut dyn Write) -> Result<()> {
    if outcome.missed.is_empty() {
        writeln!(stdout, "targets   met in {} pass(es)", outcome.passes.len())?;
    } else {
        for m in &outcome.missed {
            eprintln!("warning: target missed after {} pass(es): {m}", outcome.passes.len());
        }
    }
    Ok(())
}

/// The headline rows of a job's report page.
pub fn facts(
    preset: &str,
    target_lufs: f64,
    ceiling: f64,
    before: Option<(&str, &Analysis)>,
    outcome: &QcOutcome,
) -> Vec<(String, String)> {
    let a = &outcome.after;
    let verdict = if outcome.missed.is_empty() {
        "all met".to_string()
    } else {
        format!("missed: {}", outcome.missed.join("; "))
    };
    let mut rows = vec![
        ("preset".into(), preset.to_string()),
        (
            "targets".into(),
            format!(
                "{target_lufs:.1} LUFS ±{LOUDNESS_TOLERANCE_LU} LU, true peak ≤ {ceiling:.1} dBTP, no clipping, correlation > 0"
            ),
        ),
    ];
    if let Some((label, b)) = before {
        rows.push((
            format!("before ({label})"),
            format!(
                "{:.1} LUFS, {:.2} dBTP, LRA {:.1} LU",
                b.loudness.integrated_lufs, b.loudness.true_peak_dbtp, b.loudness.lra_lu
            ),
        ));
    }
    rows.extend([
        (
            "after".into(),
            format!(
                "{:.2} LUFS, {:.2} dBTP, LRA {:.1} LU, correlation {:.2}",
                a.loudness.integrated_lufs,
                a.loudness.true_peak_dbtp,
                a.loudness.lra_lu,
                a.stereo.as_ref().map_or(1.0, |s| s.correlation)
            ),
        ),
        ("passes".into(), format!("{} ({verdict})", outcome.passes.len())),
    ]);
    rows
}

/// A temporary directory beside `out` for a job's intermediate files,
/// removed when dropped.
///
/// # Errors
/// When the directory cannot be written.
pub fn work_dir(out: &Path) -> Result<tempfile::TempDir> {
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".mixgraph-job-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))
}

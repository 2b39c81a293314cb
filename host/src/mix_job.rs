//! `mixgraph mix`: stems in, a mixed and mastered file out, with the graph
//! that made it and a report.
//!
//! 1. Every stem is decoded and analysed; silent ones are reported and
//!    left out. Roles come from the file names, else the sound.
//! 2. The spectral masking between every pair of stems is measured.
//! 3. A graph is built (see [`build`]): per stem a low cut and a tonal move
//!    by role, complementary cuts where it masks a more important stem,
//!    compression relative to its level, ducking under the kick (bass) or
//!    the lead (music), and a trim to its role's place in the balance; a
//!    bus with glue compression; the mastering preset.
//! 4. The quality-control loop renders and adjusts the final limiter until
//!    the loudness and peak targets are met (see [`crate::qc`]).
//! 5. With `--report`, one more render taps every stem after its chain and
//!    the bus before mastering, and records the gain reduction over time;
//!    the report shows each stem and the bus before and after.

mod build;
mod roles;

use crate::cli::{InputSpec, MixArgs};
use crate::job_graph;
use crate::master::{preset_source, preset_text};
use crate::qc::{self, LOUDNESS_TOLERANCE_LU};
use crate::report_page::{self, MaskingMap, ReportPage, Version, esc};
use crate::report_reduction;
use crate::report_render::report_render;
use anyhow::{Context, Result, bail};
use build::StemPlan;
use mixgraph_analysis::masking::{MaskingPair, band_levels, masking};
use mixgraph_analysis::{Analysis, AnalysisOptions, detect_role};
use serde_json::json;
use std::io::Write;

/// Stems quieter than this are silent, LUFS.
const SILENT_LUFS: f64 = -70.0;

/// Runs `mixgraph mix`.
///
/// # Errors
/// For an unreadable stem, no audible stem, an unknown preset or a bad
/// graph file, or an unwritable output, graph or report.
pub fn run(args: MixArgs) -> Result<()> {
    let job = &args.job;
    let (preset, preset_name) = preset_source(&job.preset)?;
    let preset_text = preset_text(&preset)?;
    let mut stdout = std::io::stdout().lock();
    let mut stems: Vec<StemPlan> = Vec::new();
    let mut levels = Vec::new();
    let mut before = Vec::new();
    let mut silent = Vec::new();
    for file in &args.stems {
        let audio = mixgraph_nodes::io::decode::decode_file(file)?;
        let analysis =
            mixgraph_analysis::analyze(&audio.channels, audio.sample_rate, &AnalysisOptions::default(), &mut |_| {})
                .with_context(|| format!("cannot analyse '{}'", file.display()))?;
        let loudness = analysis.loudness.integrated_lufs;
        if loudness.is_nan() || loudness <= SILENT_LUFS {
            writeln!(stdout, "skipped   {}: silent", file.display())?;
            silent.push(file.display().to_string());
            continue;
        }
        let role = detect_role(&file.display().to_string(), &analysis);
        let taken: Vec<String> = stems.iter().map(|s| s.id.clone()).collect();
        let id = build::stem_id(file, &taken);
        let target = roles::setup(role.role).target_lufs;
        let rms_dbfs = analysis.levels.iter().map(|l| l.rms_dbfs).fold(f64::MIN, f64::max);
        let mono = mixgraph_analysis::mean_of_channels(&audio.channels);
        levels.push(band_levels(&mono, f64::from(audio.sample_rate)));
        stems.push(StemPlan {
            file: file.clone(),
            id,
            role,
            loudness_lufs: loudness,
            rms_dbfs,
            trim_db: target - loudness,
            cuts: Vec::new(),
            ducked_by: None,
        });
        before.push(analysis);
    }
    if stems.is_empty() {
        bail!("no stem has any sound: nothing to mix");
    }
    let pairs = masking(&levels.iter().collect::<Vec<_>>());
    build::plan_cuts(&mut stems, &pairs);
    build::plan_ducking(&mut stems);
    for s in &stems {
        let role = serde_json::to_string(&s.role.role).unwrap_or_default();
        let ducks = s.ducked_by.as_ref().map(|k| format!(", ducks under {k}")).unwrap_or_default();
        let cuts: Vec<String> =
            s.cuts.iter().map(|c| format!("{:.1} dB at {:.0} Hz for {}", c.gain_db, c.hz, c.for_stem)).collect();
        let cuts = if cuts.is_empty() { String::new() } else { format!(", cuts {}", cuts.join("; ")) };
        writeln!(
            stdout,
            "stem      {} as '{}': {}, {:.1} LUFS, trim {:+.1} dB{cuts}{ducks}",
            s.file.display(),
            s.id,
            role.trim_matches('"'),
            s.loudness_lufs,
            s.trim_db
        )?;
    }

    let graph = build::build_graph(&stems, &preset_text, &preset_name)?;
    let work = qc::work_dir(&job.out)?;
    let inputs: Vec<InputSpec> = stems.iter().map(|s| InputSpec { name: s.id.clone(), path: s.file.clone() }).collect();
    let name = format!("the mix graph with preset {preset_name}");
    let prepared = job_graph::prepare_job(graph, "bus_glue.out", &name, job, inputs, work.path(), &mut stdout)?;
    let (qc_job, matched) = (prepared.qc, prepared.matched);
    let (source, target_lufs, ceiling) = (qc_job.source.clone(), qc_job.target_lufs, qc_job.ceiling_dbtp);
    let registry = mixgraph_nodes::registry();
    writeln!(
        stdout,
        "mixing    {} stems; target {target_lufs:.1} LUFS, ceiling {ceiling:.1} dBTP ({preset_name})",
        stems.len()
    )?;
    let outcome = qc::run_qc(&qc_job, &mut stdout)?;
    writeln!(stdout, "wrote     {}", job.out.display())?;
    if let Some(path) = &job.save_graph {
        qc::save_graph(&source, &registry, &outcome.final_sets, path)?;
        let ins: Vec<String> = stems.iter().map(|s| format!("--in {}={}", s.id, s.file.display())).collect();
        writeln!(
            stdout,
            "wrote     {} (render it with: mixgraph render --graph {} {} --out FILE)",
            path.display(),
            path.display(),
            ins.join(" ")
        )?;
    }
    if let Some(dir) = &job.report {
        let mut taps: Vec<(String, String)> =
            stems.iter().map(|s| (format!("stem_{}", s.id), format!("{}_trim.out", s.id))).collect();
        taps.push(("mix_bus".into(), "bus_glue.out".into()));
        let measured = report_render(&qc_job, &outcome.final_sets, &taps, work.path())?;
        let (after_stems, bus) = measured.taps.split_at(stems.len());
        let bus = &bus[0].1;
        let stems_json: Vec<serde_json::Value> = stems
            .iter()
            .zip(before.iter().zip(after_stems))
            .map(|(s, (b, (_, a)))| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["before"] = qc::metrics(b);
                v["after"] = qc::metrics(a);
                v
            })
            .collect();
        let named = |p: &MaskingPair| json!({"a": stems[p.a].id, "b": stems[p.b].id, "overall": p.overall, "worst_band_hz": p.worst_band_hz, "bands": p.bands});
        let report = json!({
            "stems": stems_json,
            "silent": silent,
            "mix_bus": qc::metrics(bus),
            "masking": pairs.iter().map(named).collect::<Vec<_>>(),
            "masking_band_edges_hz": mixgraph_analysis::masking::BARK_EDGES_HZ,
            "output": job.out.display().to_string(),
            "preset": preset_name,
            "target_lufs": target_lufs,
            "tolerance_lu": LOUDNESS_TOLERANCE_LU,
            "ceiling_dbtp": ceiling,
            "met": outcome.missed.is_empty(),
            "missed": outcome.missed,
            "passes": outcome.passes,
            "reference": matched.as_ref().map(|m| json!({"file": job.reference, "match": m.0})),
            "after": qc::metrics(&outcome.after),
        });
        let path = dir.join("report.json");
        qc::write_atomically(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
        let page = ReportPage {
            title: format!("mixgraph mix: {} stems", stems.len()),
            facts: qc::facts(&preset_name, target_lufs, ceiling, Some(("mix bus", bus)), &outcome),
            extra_table: Some(stems_table(&stems, &before, after_stems)),
            versions: [
                Some(Version { label: "mix bus", analysis: bus }),
                Some(Version { label: "master", analysis: &outcome.after }),
            ]
            .into_iter()
            .chain([matched.as_ref().map(|m| Version { label: "reference", analysis: &m.1 })])
            .flatten()
            .collect(),
            target_lufs,
            masking: Some(MaskingMap { ids: stems.iter().map(|s| s.id.clone()).collect(), pairs: &pairs }),
            reduction: report_reduction::by_node(&measured.reduction),
            stems: stems
                .iter()
                .map(|s| (s.id.clone(), vec![format!("{}_comp", s.id), format!("{}_duck", s.id)]))
                .collect(),
            duration_s: measured.duration_s,
        };
        report_page::write(dir, &page, &outcome)?;
        writeln!(stdout, "wrote     {} (and report.html with its pictures)", path.display())?;
    }
    qc::print_verdict(&outcome, &mut stdout)
}

/// The stems as an HTML table: role, loudness and true peak before and
/// after their chains, trim, cuts, ducking.
fn stems_table(stems: &[StemPlan], before: &[Analysis], after: &[(String, Analysis)]) -> String {
    let mut html = String::from(
        "<table><tr><th>stem</th><th>role</th><th>before</th><th>after its chain</th><th>trim</th><th>cuts</th><th>ducks under</th></tr>\n",
    );
    let level = |a: &Analysis| format!("{:.1} LUFS, {:.1} dBTP", a.loudness.integrated_lufs, a.loudness.true_peak_dbtp);
    for (s, (b, (_, a))) in stems.iter().zip(before.iter().zip(after)) {
        let role = serde_json::to_string(&s.role.role).unwrap_or_default();
        let source = serde_json::to_string(&s.role.source).unwrap_or_default();
        let cuts: Vec<String> =
            s.cuts.iter().map(|c| format!("{:.1} dB at {:.0} Hz for {}", c.gain_db, c.hz, c.for_stem)).collect();
        html.push_str(&format!(
            "<tr><td>{}</td><td>{} (from {})</td><td>{}</td><td>{}</td><td>{:+.1} dB</td><td>{}</td><td>{}</td></tr>\n",
            esc(&s.id),
            role.trim_matches('"'),
            source.trim_matches('"'),
            level(b),
            level(a),
            s.trim_db,
            esc(&cuts.join("; ")),
            esc(s.ducked_by.as_deref().unwrap_or(""))
        ));
    }
    html.push_str("</table>\n");
    html
}

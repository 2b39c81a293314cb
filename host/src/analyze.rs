//! `mixgraph analyze`: measures audio files and prints a table or JSON.

use crate::analyze_cache::{AnalysisCache, content_key};
use crate::analyze_stems;
use crate::cli::AnalyzeArgs;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use mixgraph_analysis::{Analysis, AnalysisOptions, OCTAVE_CENTRES_HZ};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

/// One file's result as printed by `--json`.
#[derive(serde::Serialize)]
struct FileAnalysis<'a> {
    file: String,
    sha256: String,
    cached: bool,
    analysis: &'a Analysis,
}

/// The `--json --stems` output.
#[derive(serde::Serialize)]
struct StemsJson<'a> {
    files: Vec<FileAnalysis<'a>>,
    between: &'a analyze_stems::StemsReport,
}

/// Runs `mixgraph analyze`.
pub fn run(args: AnalyzeArgs) -> Result<()> {
    let cache = AnalysisCache::locate(args.cache_dir, args.no_cache);
    let options = AnalysisOptions { min_bpm: args.min_bpm };
    let mut results = Vec::new();
    for path in &args.files {
        let key = content_key(path)?;
        // Options change the results, so they are part of the cache entry's name.
        let entry = format!("{key}-bpm{}", options.min_bpm);
        let started = Instant::now();
        let (analysis, cached) = match cache.load(&entry) {
            Some(a) => (a, true),
            None => {
                let a = analyze_file(path, &options)?;
                if let Err(e) = cache.store(&entry, &a) {
                    eprintln!("warning: analysis of '{}' not cached: {e:#}", path.display());
                }
                (a, false)
            }
        };
        let how = if cached { "from cache" } else { "analysed" };
        eprintln!("'{}': {how} in {:.2} s", path.display(), started.elapsed().as_secs_f64());
        results.push((path, key, analysis, cached));
    }
    let stems = if args.stems {
        let analyses: Vec<&Analysis> = results.iter().map(|r| &r.2).collect();
        Some(analyze_stems::between(&args.files, &analyses)?)
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<FileAnalysis<'_>> = results
            .iter()
            .map(|(p, key, a, cached)| FileAnalysis {
                file: p.display().to_string(),
                sha256: key.clone(),
                cached: *cached,
                analysis: a,
            })
            .collect();
        match &stems {
            Some(between) => serde_json::to_writer_pretty(&mut out, &StemsJson { files: list, between })?,
            None => serde_json::to_writer_pretty(&mut out, &list)?,
        }
        writeln!(out)?;
    } else {
        for (path, _, a, _) in &results {
            write!(out, "{}", table(path, a))?;
        }
        if let Some(between) = &stems {
            write!(out, "{}", analyze_stems::table(&args.files, between))?;
        }
    }
    Ok(())
}

/// Decodes and analyses one file, with a progress bar on a terminal.
fn analyze_file(path: &Path, options: &AnalysisOptions) -> Result<Analysis> {
    let audio = mixgraph_nodes::io::decode::decode_file(path)?;
    let bar = progress_bar(path, audio.frames() as f64 / f64::from(audio.sample_rate));
    let analysis = mixgraph_analysis::analyze(&audio.channels, audio.sample_rate, options, &mut |f| {
        bar.set_position((f * 1000.0) as u64);
    })
    .with_context(|| format!("cannot analyse '{}'", path.display()))?;
    bar.finish_and_clear();
    Ok(analysis)
}

/// Seconds as m:ss.s.
fn clock(seconds: f64) -> String {
    let minutes = (seconds / 60.0).floor();
    format!("{minutes}:{:04.1}", seconds - 60.0 * minutes)
}

/// A bar for files long enough to wait for (over a minute of audio).
fn progress_bar(path: &Path, seconds: f64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || seconds < 60.0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(1000);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Ok(style) = ProgressStyle::with_template("analysing {msg} [{bar:40}] {percent:>3}% eta {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name);
    bar
}

/// The human-readable summary of one file.
fn table(path: &Path, a: &Analysis) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}  ({} Hz, {} ch, {})", path.display(), a.sample_rate, a.channels, clock(a.duration_s));
    let l = &a.loudness;
    let _ = writeln!(
        s,
        "  loudness   {:.1} LUFS integrated, LRA {:.1} LU, max short-term {:.1} LUFS, max momentary {:.1} LUFS",
        l.integrated_lufs, l.lra_lu, l.max_short_term_lufs, l.max_momentary_lufs
    );
    let per_channel = |f: &dyn Fn(&mixgraph_analysis::ChannelLevels) -> String| {
        a.levels.iter().map(f).collect::<Vec<_>>().join(" / ")
    };
    let _ = writeln!(s, "  true peak  {:.2} dBTP", l.true_peak_dbtp);
    let _ = writeln!(
        s,
        "  peak       {} dBFS (sample, per channel)",
        per_channel(&|c| format!("{:.2}", c.sample_peak_dbfs))
    );
    let _ = writeln!(s, "  rms        {} dBFS", per_channel(&|c| format!("{:.2}", c.rms_dbfs)));
    let _ = writeln!(s, "  crest      {} dB", per_channel(&|c| format!("{:.1}", c.crest_db)));
    let _ = writeln!(s, "  dc offset  {}", per_channel(&|c| format!("{:+.5}", c.dc_offset)));
    let clipped: u64 = a.levels.iter().map(|c| c.clipped_samples).sum();
    if clipped > 0 {
        let _ = writeln!(s, "  clipping   {clipped} samples at or above full scale");
    }
    if let Some(st) = &a.stereo {
        let _ = writeln!(
            s,
            "  stereo     correlation {:.2} (lowest 0.4 s window {:.2}), side/mid {:.1} dB, balance {:+.1} dB",
            st.correlation, st.min_window_correlation, st.side_to_mid_db, st.balance_db
        );
    }
    let sp = &a.spectrum;
    let _ = writeln!(s, "  spectrum   centroid {:.0} Hz, 85 % roll-off {:.0} Hz", sp.centroid_hz, sp.rolloff_hz);
    let octaves: Vec<String> = OCTAVE_CENTRES_HZ
        .iter()
        .zip(&sp.octave_db)
        .map(|(c, v)| if *c >= 1000.0 { format!("{}k {v:.1}", c / 1000.0) } else { format!("{c} {v:.1}") })
        .collect();
    let _ = writeln!(s, "  octaves    dB of total: {}", octaves.join(" | "));
    match &a.tempo {
        Some(t) => {
            let _ = writeln!(
                s,
                "  tempo      {:.2} BPM (confidence {:.2}), {} beats, first downbeat at {:.3} s",
                t.bpm,
                t.confidence,
                t.beats_s.len(),
                t.downbeats_s.first().copied().unwrap_or(0.0)
            );
        }
        None => {
            let _ = writeln!(s, "  tempo      none found (under 4 s, or no steady pulse)");
        }
    }
    match &a.key {
        Some(k) => {
            let _ = writeln!(
                s,
                "  key        {} ({}), correlation {:.2}, margin {:.2}",
                k.name, k.camelot, k.correlation, k.margin
            );
        }
        None => {
            let _ = writeln!(s, "  key        none found (no pitched sound)");
        }
    }
    if a.structure.is_empty() {
        let _ = writeln!(s, "  sections   one (no section changes found)");
    } else {
        let sections: Vec<String> = a
            .structure
            .iter()
            .map(|seg| {
                format!(
                    "{} {} {}",
                    clock(seg.start_s),
                    serde_json::to_string(&seg.label).unwrap_or_default().trim_matches('"'),
                    seg.group
                )
            })
            .collect();
        let _ = writeln!(s, "  sections   {}", sections.join(" | "));
    }
    let e = &a.energy;
    let quietest = e.rms_dbfs.iter().copied().fold(f64::INFINITY, f64::min);
    let loudest = e.rms_dbfs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !e.rms_dbfs.is_empty() {
        let _ = writeln!(
            s,
            "  energy     {} windows of {} s, RMS {:.1} to {:.1} dBFS",
            e.rms_dbfs.len(),
            e.step_s,
            quietest,
            loudest
        );
    }
    s
}

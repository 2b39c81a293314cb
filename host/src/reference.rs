//! `--reference`: match a reference track's loudness, tonal balance (mid
//! and side separately) and stereo width, as matchering does, but with
//! nodes the user can see and edit in the saved graph.
//!
//! The job renders its graph once as it is (a probe), and compares the
//! probe's long-term spectrum with the reference's, for the mid `(L + R)/2`
//! and the side `(L − R)/2` each: the power density smoothed over a third
//! of an octave around each ISO third octave from 25 Hz to 20 kHz, relative
//! to the signal's own mean density, so level does not count. The
//! difference, at [`MATCH_AMOUNT`], smoothed once more across neighbouring
//! bands, centred on the midrange and limited to ±[`MAX_MATCH_DB`], becomes
//! the band gains of one `eq.match` node (a linear-phase FIR by FFT through
//! a smooth curve, mid and side separately), followed by a width stage for
//! the ratio of side to mid. The reference's integrated loudness becomes the
//! target unless `--target-lufs` is given. Comparing the rendered probe, not
//! the input, makes the match end to end: what the chain already does to
//! the balance is not corrected twice.

use crate::cli::InputSpec;
use crate::render::{self, GraphSource, RenderRequest};
use crate::wav_out::SampleFormat;
use anyhow::{Context, Result};
use mixgraph_analysis::Analysis;
use mixgraph_nodes::eq::match_curve::{self, BANDS};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

/// Share of the measured difference each band corrects.
pub const MATCH_AMOUNT: f64 = 0.75;
/// Largest correction per band, dB.
pub const MAX_MATCH_DB: f64 = 6.0;
/// Bands whose mean difference is taken out (200 Hz … 5 kHz): the match
/// shapes the balance around the midrange and leaves level to the QC loop.
const CENTRE_BANDS: std::ops::RangeInclusive<usize> = 9..=23;
/// Band levels below this count as this, dB (empty bands).
const SHARE_FLOOR_DB: f64 = -60.0;
/// Side this far under the mid is no stereo image to match, dB.
const NO_SIDE_DB: f64 = -30.0;

/// A long-term balance: third-octave levels of the mid and the side, and
/// how loud the side is against the mid.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Balance {
    /// Mid levels per band of [`match_curve`], dB re the mean density.
    pub mid_db: Vec<f64>,
    /// Side levels, likewise.
    pub side_db: Vec<f64>,
    /// Side power over mid power, dB.
    pub side_to_mid_db: f64,
}

/// The balance of planar `channels` (mono has no side).
pub fn balance(channels: &[Vec<f32>], sample_rate: u32) -> Balance {
    let sr = f64::from(sample_rate);
    let (mid, side): (Vec<f32>, Vec<f32>) = match channels {
        [l, r, ..] => l.iter().zip(r).map(|(a, b)| (0.5 * (a + b), 0.5 * (a - b))).unzip(),
        [m] => (m.clone(), vec![0.0; m.len()]),
        [] => (Vec::new(), Vec::new()),
    };
    let power = |x: &[f32]| x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>();
    let side_to_mid_db = 10.0 * ((power(&side) + 1e-20) / (power(&mid) + 1e-20)).log10();
    let centres: Vec<f64> = (0..BANDS).map(match_curve::centre_hz).collect();
    let levels = |x: &[f32]| {
        mixgraph_analysis::smoothed_levels_db(x, sr, &centres, 1.0 / 3.0)
            .into_iter()
            .map(|d| d.max(SHARE_FLOOR_DB))
            .collect()
    };
    Balance { mid_db: levels(&mid), side_db: levels(&side), side_to_mid_db }
}

/// What matching changes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Match {
    /// The reference's integrated loudness, LUFS.
    pub reference_lufs: f64,
    /// Mid EQ gains per band of [`match_curve`], dB.
    pub mid_db: [f64; BANDS],
    /// Side EQ gains, likewise (zeros when either has no side).
    pub side_db: [f64; BANDS],
    /// Width factor for `space.stereo`.
    pub width: f64,
}

/// The band gains taking `from` toward `to` (band levels, dB).
fn gains(to: &[f64], from: &[f64]) -> [f64; BANDS] {
    let d: [f64; BANDS] =
        std::array::from_fn(|i| to.get(i).copied().unwrap_or(0.0) - from.get(i).copied().unwrap_or(0.0));
    // One more [1 2 1]/4 pass across bands: no single-band spikes.
    let smooth: [f64; BANDS] = std::array::from_fn(|i| {
        let at = |j: usize| d[j.min(BANDS - 1)];
        0.25 * at(i.saturating_sub(1)) + 0.5 * at(i) + 0.25 * at(i + 1)
    });
    let centre = smooth[CENTRE_BANDS].iter().sum::<f64>() / CENTRE_BANDS.count() as f64;
    let mut g = smooth.map(|v| ((v - centre) * MATCH_AMOUNT).clamp(-MAX_MATCH_DB, MAX_MATCH_DB));
    // The outer bands boost no more than their inner neighbour: a reference
    // encoded with a low-pass or without sub would otherwise ask for a boost
    // of nothing but noise.
    for (edge, inner) in [(0, 1), (BANDS - 2, BANDS - 3), (BANDS - 1, BANDS - 2)] {
        if g[edge] > g[inner].max(0.0) {
            g[edge] = g[inner].max(0.0);
        }
    }
    g.map(|v| (v * 100.0).round() / 100.0)
}

/// The match from the probe's balance to the reference's.
pub fn plan(reference: &Balance, probe: &Balance, reference_lufs: f64) -> Match {
    let stereo = reference.side_to_mid_db > NO_SIDE_DB && probe.side_to_mid_db > NO_SIDE_DB;
    let width =
        if stereo { 10f64.powf((reference.side_to_mid_db - probe.side_to_mid_db) / 20.0).clamp(0.6, 1.5) } else { 1.0 };
    Match {
        reference_lufs,
        mid_db: gains(&reference.mid_db, &probe.mid_db),
        side_db: if stereo { gains(&reference.side_db, &probe.side_db) } else { [0.0; BANDS] },
        width: (width * 1000.0).round() / 1000.0,
    }
}

/// Adds the matching nodes (`ref_eq`, an `eq.match`, and `ref_width`) to
/// the graph file `graph` right after the output port `after` ("in.out").
pub fn insert(graph: &mut Value, after: &str, m: &Match) {
    let mut params = Map::new();
    for (part, gains) in [("mid", &m.mid_db), ("side", &m.side_db)] {
        for (b, g) in gains.iter().enumerate() {
            params.insert(match_curve::param_id(part, b), Value::from(*g));
        }
    }
    if let Some(edges) = graph["edges"].as_array_mut() {
        for e in edges.iter_mut() {
            if e["from"] == after {
                e["from"] = Value::from("ref_width.out");
            }
        }
        for (from, to) in [(after, "ref_eq.in"), ("ref_eq.out", "ref_width.in")] {
            edges.push(json!({"from": from, "to": to}));
        }
    }
    if let Some(nodes) = graph["nodes"].as_array_mut() {
        nodes.push(json!({"id": "ref_eq", "type": "eq.match", "params": params}));
        nodes.push(json!({"id": "ref_width", "type": "space.stereo", "params": {"width": m.width}}));
    }
}

/// Renders `graph` once into `work` as it is and plans the match of its
/// output to `reference`; then inserts the matching nodes after `after`.
/// Returns the match and the reference's analysis.
///
/// # Errors
/// When the reference cannot be read, or the probe cannot be rendered.
pub fn match_reference(
    graph: &mut Value,
    after: &str,
    reference: &Path,
    inputs: &[InputSpec],
    work: &Path,
) -> Result<(Match, Analysis)> {
    let audio = mixgraph_nodes::io::decode::decode_file(reference)?;
    let analysis = mixgraph_analysis::analyze(&audio.channels, audio.sample_rate, &Default::default(), &mut |_| {})
        .with_context(|| format!("cannot analyse the reference '{}'", reference.display()))?;
    let wanted = balance(&audio.channels, audio.sample_rate);
    let probe_graph = work.join("probe.json");
    std::fs::write(&probe_graph, serde_json::to_string_pretty(graph)?)?;
    let probe = work.join("probe.wav");
    render::render(&RenderRequest {
        graph: GraphSource::File(probe_graph),
        inputs: inputs.to_vec(),
        sets: Vec::new(),
        output: None,
        out_path: probe.clone(),
        sample_rate: None,
        block_size: 512,
        format: SampleFormat::Wav32F,
        tail_seconds: 5.0,
        duration_seconds: None,
        taps: Vec::new(),
        record_reduction: false,
    })?;
    let rendered = mixgraph_nodes::io::decode::decode_file(&probe)?;
    let m = plan(&wanted, &balance(&rendered.channels, rendered.sample_rate), analysis.loudness.integrated_lufs);
    insert(graph, after, &m);
    Ok((m, analysis))
}

/// Prints what matching `reference` will do.
///
/// # Errors
/// When `out` cannot be written.
pub fn describe(m: &Match, reference: &Path, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "reference {}: {:.1} LUFS", reference.display(), m.reference_lufs)?;
    for (part, gains) in [("mid", &m.mid_db), ("side", &m.side_db)] {
        let list: Vec<String> = gains.iter().map(|v| format!("{v:+.1}")).collect();
        writeln!(out, "matching  {part} EQ, third octaves 25 Hz-20 kHz: {} dB", list.join(" "))?;
    }
    writeln!(out, "matching  width x{:.2}", m.width)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_follow_the_difference_partly_smoothly_and_within_limits() {
        let flat = vec![-10.0; BANDS];
        let mut bright = flat.clone();
        // +8 dB from 5 kHz up, a deep hole at 500 Hz, nothing at 20 kHz.
        for v in &mut bright[23..29] {
            *v = -2.0;
        }
        bright[29] = -60.0;
        bright[13] = -40.0;
        let g = gains(&bright, &flat);
        // The hole is spread over its neighbours (−15 at the band, −7.5 beside it),
        // centred (the mean over 200 Hz-5 kHz is −1.47) and scaled by 0.75:
        // clamped at the band, (−7.5 + 1.47) × 0.75 beside it.
        assert_eq!((g[13], g[12], g[14]), (-6.0, -4.53, -4.53));
        assert!(g[25] > 5.0 && g[25] <= MAX_MATCH_DB, "{g:?}");
        assert!(g[28] <= g[27] && g[29] <= 0.0, "no boost of what the reference lacks: {g:?}");
        // The midrange is centred: the mean over 200 Hz-5 kHz before limits is 0.
        let unclamped = gains(&flat.iter().map(|v| v + 1.0).collect::<Vec<_>>(), &flat);
        assert!(unclamped.iter().all(|v| v.abs() < 1e-9), "a level difference is no EQ: {unclamped:?}");
    }

    #[test]
    fn mono_has_no_side_to_match_and_width_follows_the_side() {
        let n = 48_000;
        let tone: Vec<f32> = (0..n).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let other: Vec<f32> = (0..n).map(|i| (i as f32 * 0.031).sin() * 0.5).collect();
        let mono = balance(&[tone.clone(), tone.clone()], 48_000);
        let wide = balance(&[tone, other], 48_000);
        assert!(mono.side_to_mid_db < -100.0 && wide.side_to_mid_db > -3.0);
        let m = plan(&wide, &mono, -14.0);
        assert_eq!((m.width, m.side_db), (1.0, [0.0; BANDS]), "a mono probe cannot be widened");
        let mut narrower = wide.clone();
        narrower.side_to_mid_db -= 6.0;
        assert!((plan(&wide, &narrower, -14.0).width - 1.5).abs() < 1e-9, "6 dB less side: widened, at most 1.5");
    }

    #[test]
    fn the_nodes_go_in_after_the_named_port() {
        let mut graph =
            json!({"nodes": [], "edges": [{"from": "in.out", "to": "eq.in"}, {"from": "in.out", "to": "meter.in"}]});
        let m = Match { reference_lufs: -12.0, mid_db: [1.0; BANDS], side_db: [0.0; BANDS], width: 1.2 };
        insert(&mut graph, "in.out", &m);
        let edges: Vec<(String, String)> = graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["from"].as_str().unwrap().to_string(), e["to"].as_str().unwrap().to_string()))
            .collect();
        assert!(edges.contains(&("ref_width.out".into(), "eq.in".into())));
        assert!(edges.contains(&("ref_width.out".into(), "meter.in".into())));
        assert!(edges.contains(&("in.out".into(), "ref_eq.in".into())));
        assert!(edges.contains(&("ref_eq.out".into(), "ref_width.in".into())));
        assert_eq!(graph["nodes"][0]["type"], "eq.match");
        assert_eq!(graph["nodes"][0]["params"]["mid_31_5hz_db"], 1.0);
        assert_eq!(graph["nodes"][0]["params"]["side_20000hz_db"], 0.0);
    }
}

//! `--reference`: match a reference track's loudness, tonal balance (mid
//! and side separately) and stereo width, as matchering does, but with
//! nodes the user can see and edit in the saved graph.
//!
//! The job renders its graph once as it is (a probe), and compares the
//! probe's long-term octave balance with the reference's, for the mid
//! `(L + R)/2` and the side `(L − R)/2` each (shares of their own total
//! power, so level does not count). Three nodes go in before the mastering
//! chain: a linear-phase EQ on the mid and one on the side (a low shelf for
//! the 31.5 and 63 Hz octaves, one-octave bells from 125 Hz to 4 kHz, a
//! high shelf for 8 and 16 kHz, each at [`MATCH_AMOUNT`] of the measured
//! difference, within ±[`MAX_MATCH_DB`]), and a width stage for the ratio
//! of side to mid. The reference's integrated loudness becomes the target
//! unless `--target-lufs` is given. Comparing the rendered probe, not the
//! input, makes the match end to end: what the chain already does to the
//! balance is not corrected twice.

use crate::cli::InputSpec;
use crate::render::{self, GraphSource, RenderRequest};
use crate::wav_out::SampleFormat;
use anyhow::{Context, Result};
use mixgraph_analysis::{Analysis, SpectralBalance};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

/// Share of the measured difference each band corrects.
pub const MATCH_AMOUNT: f64 = 0.75;
/// Largest correction per band, dB.
pub const MAX_MATCH_DB: f64 = 6.0;
/// Centres of the bells (the octaves between the shelves), Hz.
const BELLS_HZ: [f64; 6] = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0];
/// Octave shares below this count as this, dB (empty octaves).
const SHARE_FLOOR_DB: f64 = -60.0;
/// Side this far under the mid is no stereo image to match, dB.
const NO_SIDE_DB: f64 = -30.0;

/// A long-term balance: octave shares of the mid and the side, and how
/// loud the side is against the mid.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Balance {
    /// Mid octave shares, dB.
    pub mid_db: Vec<f64>,
    /// Side octave shares, dB.
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
    let shares = |x: &[f32]| SpectralBalance::measure(x, sr).octave_db.iter().map(|d| d.max(SHARE_FLOOR_DB)).collect();
    Balance { mid_db: shares(&mid), side_db: shares(&side), side_to_mid_db }
}

/// What matching changes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Match {
    /// The reference's integrated loudness, LUFS.
    pub reference_lufs: f64,
    /// Mid EQ gains: low shelf, six bells, high shelf, dB.
    pub mid_db: [f64; 8],
    /// Side EQ gains, likewise (zeros when either has no side).
    pub side_db: [f64; 8],
    /// Width factor for `space.stereo`.
    pub width: f64,
}

/// The eight band gains taking `from` toward `to` (octave shares, dB).
fn gains(to: &[f64], from: &[f64]) -> [f64; 8] {
    let d: Vec<f64> = to.iter().zip(from).map(|(t, f)| t - f).collect();
    let at = |i: usize| d.get(i).copied().unwrap_or(0.0);
    let raw = [0.5 * (at(0) + at(1)), at(2), at(3), at(4), at(5), at(6), at(7), 0.5 * (at(8) + at(9))];
    raw.map(|g| ((g * MATCH_AMOUNT).clamp(-MAX_MATCH_DB, MAX_MATCH_DB) * 100.0).round() / 100.0)
}

/// The match from the probe's balance to the reference's.
pub fn plan(reference: &Balance, probe: &Balance, reference_lufs: f64) -> Match {
    let stereo = reference.side_to_mid_db > NO_SIDE_DB && probe.side_to_mid_db > NO_SIDE_DB;
    let width =
        if stereo { 10f64.powf((reference.side_to_mid_db - probe.side_to_mid_db) / 20.0).clamp(0.6, 1.5) } else { 1.0 };
    Match {
        reference_lufs,
        mid_db: gains(&reference.mid_db, &probe.mid_db),
        side_db: if stereo { gains(&reference.side_db, &probe.side_db) } else { [0.0; 8] },
        width: (width * 1000.0).round() / 1000.0,
    }
}

/// Adds the matching nodes (`ref_mid`, `ref_side`, `ref_width`) to the
/// graph file `graph` right after the output port `after` ("in.out").
pub fn insert(graph: &mut Value, after: &str, m: &Match) {
    let eq = |id: &str, placement: &str, g: &[f64; 8]| {
        let mut p = Map::new();
        let shapes: [(&str, f64, f64); 8] = [
            ("low_shelf", 90.0, 0.7),
            ("bell", BELLS_HZ[0], 1.41),
            ("bell", BELLS_HZ[1], 1.41),
            ("bell", BELLS_HZ[2], 1.41),
            ("bell", BELLS_HZ[3], 1.41),
            ("bell", BELLS_HZ[4], 1.41),
            ("bell", BELLS_HZ[5], 1.41),
            ("high_shelf", 6000.0, 0.7),
        ];
        for (i, ((kind, hz, q), gain)) in shapes.iter().zip(g).enumerate() {
            let n = i + 1;
            p.insert(format!("band{n}_on"), Value::Bool(gain.abs() >= 0.05));
            p.insert(format!("band{n}_type"), Value::from(*kind));
            p.insert(format!("band{n}_freq_hz"), Value::from(*hz));
            p.insert(format!("band{n}_gain_db"), Value::from(*gain));
            p.insert(format!("band{n}_q"), Value::from(*q));
            p.insert(format!("band{n}_placement"), Value::from(placement));
        }
        json!({"id": id, "type": "eq.linear_phase", "params": p})
    };
    if let Some(edges) = graph["edges"].as_array_mut() {
        for e in edges.iter_mut() {
            if e["from"] == after {
                e["from"] = Value::from("ref_width.out");
            }
        }
        for (from, to) in [(after, "ref_mid.in"), ("ref_mid.out", "ref_side.in"), ("ref_side.out", "ref_width.in")] {
            edges.push(json!({"from": from, "to": to}));
        }
    }
    if let Some(nodes) = graph["nodes"].as_array_mut() {
        nodes.push(eq("ref_mid", "mid", &m.mid_db));
        nodes.push(eq("ref_side", "side", &m.side_db));
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
    let list = |g: &[f64; 8]| g.iter().map(|v| format!("{v:+.1}")).collect::<Vec<_>>().join(" ");
    writeln!(out, "reference {}: {:.1} LUFS", reference.display(), m.reference_lufs)?;
    writeln!(
        out,
        "matching  mid EQ [{}] dB, side EQ [{}] dB (shelf 90 Hz, bells 125 Hz-4 kHz, shelf 6 kHz), width x{:.2}",
        list(&m.mid_db),
        list(&m.side_db),
        m.width
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_follow_the_difference_partly_and_within_limits() {
        let flat = vec![-10.0; 10];
        let mut bright = flat.clone();
        bright[8] = -4.0;
        bright[9] = -2.0;
        bright[4] = -30.0;
        let g = gains(&bright, &flat);
        assert_eq!(g[7], 5.25, "high shelf: 0.75 × mean(6, 8)");
        assert_eq!(g[3], -6.0, "bell at 500 Hz: 0.75 × −20, clamped");
        assert_eq!(g[0], 0.0);
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
        assert_eq!((m.width, m.side_db), (1.0, [0.0; 8]), "a mono probe cannot be widened");
        let mut narrower = wide.clone();
        narrower.side_to_mid_db -= 6.0;
        assert!((plan(&wide, &narrower, -14.0).width - 1.5).abs() < 1e-9, "6 dB less side: widened, at most 1.5");
    }

    #[test]
    fn the_nodes_go_in_after_the_named_port() {
        let mut graph =
            json!({"nodes": [], "edges": [{"from": "in.out", "to": "eq.in"}, {"from": "in.out", "to": "meter.in"}]});
        let m = Match { reference_lufs: -12.0, mid_db: [1.0; 8], side_db: [0.0; 8], width: 1.2 };
        insert(&mut graph, "in.out", &m);
        let edges: Vec<(String, String)> = graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["from"].as_str().unwrap().to_string(), e["to"].as_str().unwrap().to_string()))
            .collect();
        assert!(edges.contains(&("ref_width.out".into(), "eq.in".into())));
        assert!(edges.contains(&("ref_width.out".into(), "meter.in".into())));
        assert!(edges.contains(&("in.out".into(), "ref_mid.in".into())));
        assert_eq!(graph["nodes"][1]["params"]["band1_on"], false, "flat side bands stay off");
        assert_eq!(graph["nodes"][0]["params"]["band8_placement"], "mid");
    }
}

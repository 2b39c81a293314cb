//! Tests of the `dynamics.compressor` node, run through the shared harness.

use crate::dynamics::compressor::{GainComputer, design_highpass};
use crate::testing::{NodeHarness, SR, noise, run, sine};
use mixgraph_graph::MeterData;
use serde_json::json;

const TYPE: &str = "dynamics.compressor";

fn mono(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new(TYPE, json!({"channels": 1}), params)
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// Output/input level in dB of a settled 1 kHz sine at `level_db` peak.
fn settled_gain_db(h: &NodeHarness, level_db: f64) -> f64 {
    let n = 24_000;
    let x = sine(1000.0, 10f64.powf(level_db / 20.0) as f32, n);
    let out = h.render(&[x.clone(), vec![0.0; n]], &[512]);
    // 12 000 frames = 250 whole periods.
    db(rms(&out[0][n / 2..]) / rms(&x[n / 2..]))
}

#[test]
fn static_curve_matches_the_gain_computer() {
    // Peak detector: the sine's peak level goes into the formula; RMS detector:
    // its RMS level (peak − 3.0103 dB).
    for (detector, offset_db) in [(0.0, 0.0), (1.0, -3.0103)] {
        for knee in [0.0, 12.0] {
            let curve = GainComputer { threshold_db: -20.0, ratio: 4.0, knee_db: knee };
            let h = mono(&[
                ("threshold_db", -20.0),
                ("ratio", 4.0),
                ("knee_db", knee as f32),
                ("attack_ms", 0.1),
                ("release_ms", 5.0),
                ("detector", detector),
            ]);
            let mut worst = 0.0f64;
            for step in 0..=20 {
                let level = -60.0 + 3.0 * step as f64;
                let measured = settled_gain_db(&h, level);
                let expected = -curve.reduction_db(level + offset_db);
                worst = worst.max((measured - expected).abs());
                assert!(
                    (measured - expected).abs() <= 0.2,
                    "detector {detector} knee {knee} at {level} dB: {measured:.3} vs {expected:.3}"
                );
            }
            println!("static curve, detector {detector}, knee {knee}: worst error {worst:.3} dB");
        }
    }
}

/// A Nyquist-rate square: constant |x|, untouched by the detector high-pass.
fn alternating(levels: &[(f32, usize)]) -> Vec<f32> {
    let mut x = Vec::new();
    for &(amp, frames) in levels {
        for _ in 0..frames {
            x.push(if x.len().is_multiple_of(2) { amp } else { -amp });
        }
    }
    x
}

#[test]
fn attack_and_release_reach_63_percent_in_their_time() {
    for (attack, release) in [(10.0, 100.0), (1.0, 50.0), (50.0, 500.0)] {
        let h = mono(&[
            ("threshold_db", -20.0),
            ("ratio", 10.0),
            ("knee_db", 0.0),
            ("attack_ms", attack),
            ("release_ms", release),
        ]);
        let (quiet, step) = (0.01f32, 4800);
        let loud_frames = 96_000;
        let x = alternating(&[(quiet, step), (1.0, loud_frames), (quiet, 96_000)]);
        let out = h.render(&[x.clone(), vec![0.0; x.len()]], &[512]);
        let gr: Vec<f64> = x.iter().zip(&out[0]).map(|(a, b)| db(f64::from(a.abs()) / f64::from(b.abs()))).collect();
        let fall = step + loud_frames;
        let full = gr[fall - 1];
        assert!((full - 18.0).abs() < 1e-3, "final reduction {full}");
        let target = full * (1.0 - (-1.0f64).exp());
        let n = gr[step..].iter().position(|g| *g >= target).unwrap_or(usize::MAX);
        let attack_measured = (n + 1) as f64 / SR * 1000.0;
        let n = gr[fall..].iter().position(|g| *g <= full - target).unwrap_or(usize::MAX);
        let release_measured = (n + 1) as f64 / SR * 1000.0;
        println!("attack {attack} ms → {attack_measured:.3} ms; release {release} ms → {release_measured:.3} ms");
        assert!((attack_measured / f64::from(attack) - 1.0).abs() < 0.1, "attack {attack_measured}");
        assert!((release_measured / f64::from(release) - 1.0).abs() < 0.1, "release {release_measured}");
    }
}

#[test]
fn the_sidechain_drives_gain_reduction() {
    let n = 48_000;
    let main = sine(1000.0, 10f32.powf(-30.0 / 20.0), n);
    let mut burst = vec![0.0f32; n];
    for (i, v) in burst.iter_mut().enumerate().take(36_000).skip(12_000) {
        *v = (std::f64::consts::TAU * 1000.0 * i as f64 / SR).sin() as f32;
    }
    let h = mono(&[("sidechain", 1.0), ("attack_ms", 0.1), ("release_ms", 200.0)]);
    let out = h.render(&[main.clone(), burst], &[512]);
    assert_eq!(out[0][..12_000], main[..12_000], "no sidechain signal yet: unity");
    // Default curve (−18 dB, 4:1, 6 dB knee) at a 0 dBFS peak: 13.5 dB.
    let expected = -GainComputer { threshold_db: -18.0, ratio: 4.0, knee_db: 6.0 }.reduction_db(0.0);
    let measured = db(rms(&out[0][24_000..36_000]) / rms(&main[24_000..36_000]));
    println!("sidechain burst: {measured:.3} dB (expected {expected:.3})");
    assert!((measured - expected).abs() < 0.2, "{measured} vs {expected}");

    let silent_sc = h.render(&[main.clone(), vec![0.0; n]], &[512]);
    assert_eq!(silent_sc[0], main, "silent sidechain must leave the signal untouched");
    // The detector listens to the main input by default: −30 dB is under the knee.
    assert_eq!(mono(&[]).render(&[main.clone(), vec![1.0; n]], &[512])[0], main);
}

#[test]
fn lookahead_latency_is_declared_and_invariants_hold() {
    for ms in [0.0, 5.0] {
        let h = NodeHarness::new(TYPE, json!({"channels": 2}), &[("lookahead_ms", ms)]);
        let (engine, _) = h.engine();
        assert_eq!(engine.report().latency_frames, (ms as f64 * 48.0).round() as u32);
        let input = vec![noise(4800, 1), noise(4800, 2), noise(4800, 3), noise(4800, 4)];
        h.check_invariants(&input);
    }
    let h = NodeHarness::new(TYPE, json!({"channels": 2}), &[("detector", 1.0), ("sidechain", 1.0), ("mix", 0.5)]);
    h.check_invariants(&[noise(4800, 5), noise(4800, 6), noise(4800, 7), noise(4800, 8)]);
    mono(&[("lookahead_ms", 10.0), ("auto_makeup", 1.0), ("knee_db", 24.0)])
        .check_invariants(&[sine(440.0, 1.0, 4800), vec![0.0; 4800]]);
}

/// Gain reduction reported by the meter after a 50 Hz 0 dBFS sine (faded in).
fn gain_reduction_at_50_hz(sc_highpass_hz: f32) -> (f64, u64) {
    let h = mono(&[
        ("threshold_db", -60.0),
        ("ratio", 4.0),
        ("knee_db", 0.0),
        ("attack_ms", 0.1),
        ("release_ms", 2000.0),
        ("sc_highpass_hz", sc_highpass_hz),
    ]);
    let n = 48_000;
    let fade = 9600.0;
    let x: Vec<f32> = sine(50.0, 1.0, n)
        .iter()
        .enumerate()
        .map(|(i, v)| v * (0.5 - 0.5 * (std::f64::consts::PI * (i as f64 / fade).min(1.0)).cos()) as f32)
        .collect();
    let (engine, mut ex) = h.engine();
    run(&mut ex, &[x, vec![0.0; n]], &[512]);
    let frame = engine.telemetry().latest("node.gain_reduction").expect("published");
    let MeterData::GainReduction { db } = frame.data else { panic!("meter kind") };
    (f64::from(db), frame.seq)
}

#[test]
fn sidechain_high_pass_spares_the_bass() {
    let (low, seq) = gain_reduction_at_50_hz(20.0);
    let (high, _) = gain_reduction_at_50_hz(500.0);
    assert_eq!(seq, 30, "30 meter frames per second");
    let expected = |hz: f64| 0.75 * (design_highpass(hz, SR).magnitude_db(SR, 50.0) + 60.0);
    println!(
        "50 Hz: {low:.3} dB reduction at 20 Hz high-pass (expected {:.3}), {high:.3} dB at 500 Hz ({:.3})",
        expected(20.0),
        expected(500.0)
    );
    assert!(high < low - 25.0, "500 Hz high-pass must cut the reduction: {high} vs {low}");
    assert!((low - expected(20.0)).abs() < 0.2, "{low}");
    assert!((high - expected(500.0)).abs() < 0.2, "{high}");
}

#[test]
fn mix_zero_is_the_input_delayed_by_the_lookahead() {
    let h = NodeHarness::new(TYPE, json!({"channels": 2}), &[("lookahead_ms", 5.0), ("mix", 0.0), ("makeup_db", 6.0)]);
    let input = vec![noise(9600, 11), noise(9600, 12), vec![0.0; 9600], vec![0.0; 9600]];
    let out = h.render(&input, &[7, 512, 64]);
    for c in 0..2 {
        assert!(out[c][..240].iter().all(|v| *v == 0.0));
        assert_eq!(out[c][240..], input[c][..9600 - 240], "channel {c}");
    }
}

#[test]
fn stereo_link_applies_one_gain_to_both_channels() {
    let n = 24_000;
    let (left, right) = (sine(1000.0, 1.0, n), sine(700.0, 10f32.powf(-30.0 / 20.0), n));
    let input = vec![left.clone(), right.clone(), vec![0.0; n], vec![0.0; n]];
    let linked = NodeHarness::new(TYPE, json!({"channels": 2}), &[("stereo_link", 1.0)]).render(&input, &[512]);
    let mut worst = 0.0f64;
    for i in n / 2..n {
        if left[i].abs() > 1e-2 && right[i].abs() > 1e-2 {
            let (gl, gr) = (f64::from(linked[0][i] / left[i]), f64::from(linked[1][i] / right[i]));
            assert!(gl < 0.5, "left is compressed: {gl}");
            worst = worst.max((gl / gr - 1.0).abs());
        }
    }
    println!("stereo link 1: worst relative gain difference {worst:.2e}");
    assert!(worst < 1e-4);
    let free = NodeHarness::new(TYPE, json!({"channels": 2}), &[("stereo_link", 0.0)]).render(&input, &[512]);
    assert_eq!(free[1], right, "unlinked quiet channel is untouched");
}

#[test]
fn makeup_gains_add_up() {
    let x = vec![0.01f32; 4800];
    let alt: Vec<f32> = x.iter().enumerate().map(|(i, v)| if i.is_multiple_of(2) { *v } else { -v }).collect();
    // −40 dB is below the curve: only make-up applies; auto make-up of the
    // default curve = 13.5 / 2 = 6.75 dB.
    let out = mono(&[("makeup_db", 3.0), ("auto_makeup", 1.0)]).render(&[alt.clone(), vec![0.0; 4800]], &[512]);
    let measured = db(f64::from(out[0][4000] / alt[4000]));
    assert!((measured - 9.75).abs() < 1e-3, "{measured}");
}

/// Largest sample-to-sample change of the gain (dB) when `param` jumps from
/// `from` to `to` while a constant-level signal is being compressed hard with
/// a 0.1 ms attack (the envelope then follows the static curve almost at
/// once, so an unsmoothed parameter would step the gain).
fn largest_gain_step_db(param: &str, from: f32, to: f32) -> f64 {
    let h = mono(&[("threshold_db", -20.0), ("ratio", 8.0), ("knee_db", 0.0), ("attack_ms", 0.1), (param, from)]);
    let (mut engine, mut ex) = h.engine();
    let x = alternating(&[(0.5, 48_000)]);
    let first = run(&mut ex, &[x[..24_000].to_vec(), vec![0.0; 24_000]], &[512]);
    engine.set_param(&format!("node.{param}"), to).unwrap();
    let second = run(&mut ex, &[x[24_000..].to_vec(), vec![0.0; 24_000]], &[512]);
    let out: Vec<f32> = first[0].iter().chain(&second[0]).copied().collect();
    let gain_db: Vec<f64> = x.iter().zip(&out).map(|(a, b)| db(f64::from(b.abs()) / f64::from(a.abs()))).collect();
    let total = (gain_db[47_999] - gain_db[23_999]).abs();
    assert!(total > 5.0, "{param} {from} → {to} moves the gain by {total:.2} dB");
    gain_db[20_000..].windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max)
}

#[test]
fn threshold_ratio_and_knee_glide_instead_of_stepping() {
    // At a −6 dBFS level, threshold −20 → −40 dB moves the gain by 17.5 dB and
    // ratio 8 → 1.5 by 7.6 dB; unsmoothed, the 0.1 ms attack would take a
    // fifth of that in the first sample. Smoothed, it spreads over 20 ms.
    for (param, from, to) in [("threshold_db", -20.0, -40.0), ("ratio", 8.0, 1.5), ("threshold_db", -40.0, -12.0)] {
        let step = largest_gain_step_db(param, from, to);
        println!("{param} {from} → {to}: largest per-sample gain step {step:.4} dB");
        assert!(step < 0.5, "{param}: gain stepped by {step} dB");
    }
}

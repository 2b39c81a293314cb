//! Tests of the `dynamics.deesser` node, run through the shared harness.

use crate::testing::{NodeHarness, SR, noise, run, sine};
use mixgraph_graph::MeterData;
use serde_json::json;

const TYPE: &str = "dynamics.deesser";

fn mono(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new(TYPE, json!({"channels": 1}), params)
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

fn amp(level_db: f64) -> f32 {
    10f64.powf(level_db / 20.0) as f32
}

/// Amplitude of the `hz` component of `x` (a single-bin DFT; exact for whole periods).
fn tone_amplitude(x: &[f32], hz: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let (s, c) = (std::f64::consts::TAU * hz * i as f64 / SR).sin_cos();
        re += f64::from(*v) * c;
        im += f64::from(*v) * s;
    }
    2.0 * re.hypot(im) / x.len() as f64
}

const FREQS: [f64; 11] = [100.0, 250.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 12_000.0, 16_000.0];

/// Worst settled |gain| in dB over [`FREQS`] for sines at `level_db`.
fn worst_deviation_db(h: &NodeHarness, level_db: f64) -> f64 {
    let n = 24_000;
    let mut worst = 0.0f64;
    for hz in FREQS {
        let x = sine(hz, amp(level_db), n);
        let out = h.render(std::slice::from_ref(&x), &[512]);
        let g = db(rms(&out[0][n / 2..]) / rms(&x[n / 2..]));
        worst = worst.max(g.abs());
    }
    worst
}

#[test]
fn split_is_flat_with_zero_range_or_below_threshold() {
    for freq in [2000.0, 6000.0, 16_000.0] {
        let zero_range = worst_deviation_db(&mono(&[("freq_hz", freq), ("range_db", 0.0)]), -3.0);
        let below = worst_deviation_db(&mono(&[("freq_hz", freq), ("threshold_db", -20.0)]), -30.0);
        println!("split at {freq} Hz, 100 Hz–16 kHz: range 0 worst {zero_range:.5} dB, below threshold {below:.5} dB");
        assert!(zero_range <= 0.05, "{zero_range}");
        assert!(below <= 0.05, "{below}");
    }
}

/// A continuous 500 Hz tone at −20 dB plus an 8 kHz burst at −10 dB
/// (20 dB above the −30 dB threshold) in frames 12 000..36 000; returns the
/// 8 kHz and 500 Hz gains in dB over the settled part of the burst.
fn burst_gains(params: &[(&str, f32)]) -> (f64, f64) {
    let n = 48_000;
    let low = sine(500.0, amp(-20.0), n);
    let high = sine(8000.0, amp(-10.0), n);
    let x: Vec<f32> = (0..n).map(|i| low[i] + if (12_000..36_000).contains(&i) { high[i] } else { 0.0 }).collect();
    let out = mono(params).render(std::slice::from_ref(&x), &[512]);
    // 12 000 frames: 125 periods of 500 Hz, 2000 of 8 kHz.
    let (w_in, w_out) = (&x[24_000..36_000], &out[0][24_000..36_000]);
    let hi = db(tone_amplitude(w_out, 8000.0) / tone_amplitude(w_in, 8000.0));
    let lo = db(tone_amplitude(w_out, 500.0) / tone_amplitude(w_in, 500.0));
    (hi, lo)
}

#[test]
fn sibilant_burst_is_reduced_by_the_range_and_the_low_tone_is_spared() {
    // An octave and more above the split the LR4 high band is whole, so the
    // 8 kHz burst gets the full range with the split at 3 kHz.
    let (hi, lo) = burst_gains(&[("freq_hz", 3000.0)]);
    println!("split 3 kHz: 8 kHz burst {hi:.3} dB, 500 Hz tone {lo:.4} dB");
    assert!((hi + 8.0).abs() <= 0.5, "{hi}");
    assert!(lo.abs() <= 0.2, "{lo}");
    let (hi, lo) = burst_gains(&[("range_db", 16.0), ("freq_hz", 3000.0)]);
    println!("split 3 kHz, range 16: 8 kHz burst {hi:.3} dB, 500 Hz tone {lo:.4} dB");
    assert!((hi + 16.0).abs() <= 1.0, "{hi}");
    assert!(lo.abs() <= 0.2, "{lo}");
    // At the default 6 kHz split, 8 kHz is inside the crossover's transition band.
    let (hi, lo) = burst_gains(&[]);
    println!("split 6 kHz (default): 8 kHz burst {hi:.3} dB, 500 Hz tone {lo:.4} dB");
    assert!(hi < -4.0 && lo.abs() <= 0.2, "{hi} {lo}");
    let (hi, lo) = burst_gains(&[("mode", 1.0)]);
    println!("wide: 8 kHz burst {hi:.3} dB, 500 Hz tone {lo:.3} dB");
    assert!((hi + 8.0).abs() <= 0.5 && (lo + 8.0).abs() <= 0.5, "{hi} {lo}");
}

#[test]
fn listen_outputs_the_detection_band() {
    let n = 24_000;
    let h = mono(&[("listen", 1.0)]);
    let level = |hz: f64| {
        let x = sine(hz, 0.5, n);
        let out = h.render(std::slice::from_ref(&x), &[512]);
        db(rms(&out[0][n / 2..]) / rms(&x[n / 2..]))
    };
    let (low, high) = (level(500.0), level(16_000.0));
    println!("listen: 500 Hz {low:.1} dB, 16 kHz {high:.3} dB");
    assert!(low <= -20.0, "{low}");
    assert!(high.abs() < 0.5, "{high}");
}

#[test]
fn meter_reports_the_gain_reduction() {
    let (engine, mut ex) = mono(&[]).engine();
    let n = 24_000;
    run(&mut ex, &[sine(12_000.0, 0.5, n)], &[512]);
    let frame = engine.telemetry().latest("node.gain_reduction").expect("published");
    let MeterData::GainReduction { db } = frame.data else { panic!("meter kind") };
    println!("meter: {db:.3} dB");
    assert_eq!(frame.seq, 15);
    assert!((db - 8.0).abs() < 1e-3, "{db}");
}

#[test]
fn stereo_link_and_invariants() {
    // A sibilant left channel reduces the quiet right channel too.
    let n = 24_000;
    let (left, right) = (sine(12_000.0, 0.5, n), sine(10_000.0, 0.01, n));
    let out = NodeHarness::new(TYPE, json!({"channels": 2}), &[("mode", 1.0)]).render(&[left, right.clone()], &[512]);
    let right_gain = db(rms(&out[1][n / 2..]) / rms(&right[n / 2..]));
    println!("stereo link: quiet right channel {right_gain:.3} dB");
    assert!((right_gain + 8.0).abs() < 0.1, "{right_gain}");

    let stereo = |params: &[(&str, f32)]| NodeHarness::new(TYPE, json!({"channels": 2}), params);
    let input = vec![noise(4800, 1), noise(4800, 2)];
    stereo(&[]).check_invariants(&input);
    stereo(&[("mode", 1.0), ("threshold_db", -60.0), ("range_db", 24.0), ("attack_ms", 0.1)]).check_invariants(&input);
    stereo(&[("listen", 1.0), ("freq_hz", 16_000.0)]).check_invariants(&input);
    mono(&[("freq_hz", 2000.0), ("release_ms", 10.0), ("threshold_db", 0.0)])
        .check_invariants(&[sine(440.0, 1.0, 4800)]);
}

//! Tests of the `dynamics.multiband` node, run through the shared harness.

use crate::dynamics::compressor::GainComputer;
use crate::testing::{NodeHarness, SR, noise, run, sine};
use mixgraph_graph::MeterData;
use serde_json::json;

const TYPE: &str = "dynamics.multiband";

fn harness(channels: usize, bands: usize, params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new(TYPE, json!({"channels": channels, "bands": bands}), params)
}

/// Every band at ratio 1 (unity gain whatever the level).
fn unity_params() -> Vec<(String, f32)> {
    (1..=4).map(|b| (format!("band{b}_ratio"), 1.0)).collect()
}

fn as_refs(p: &[(String, f32)]) -> Vec<(&str, f32)> {
    p.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// Amplitude of the `hz` component of `x` (single-bin DFT; exact for whole periods).
fn amplitude(x: &[f32], hz: f64, sample_rate: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, v) in x.iter().enumerate() {
        let ph = std::f64::consts::TAU * hz * n as f64 / sample_rate;
        re += f64::from(*v) * ph.cos();
        im -= f64::from(*v) * ph.sin();
    }
    2.0 * re.hypot(im) / x.len() as f64
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

#[test]
fn multiband_unity_sum_is_flat() {
    let n = 1 << 15;
    let mut impulse = vec![0.0f32; n];
    impulse[0] = 1.0;
    let params = unity_params();
    for sr in [48_000.0, 44_100.0] {
        for bands in [3, 4] {
            let h = harness(1, bands, &as_refs(&params));
            let (engine, mut ex) = h.engine_at(sr);
            let ir = run(&mut ex, std::slice::from_ref(&impulse), &[512]);
            drop(engine);
            let mut worst = 0.0f64;
            for k in 0..=400 {
                let hz = 20.0 * 1000f64.powf(k as f64 / 400.0);
                let w = std::f64::consts::TAU * hz / sr;
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (i, v) in ir[0].iter().enumerate() {
                    let (s, c) = (w * i as f64).sin_cos();
                    re += f64::from(*v) * c;
                    im -= f64::from(*v) * s;
                }
                worst = worst.max(db(re.hypot(im)).abs());
            }
            println!("flat sum: {bands} bands at {sr} Hz: worst deviation {worst:.2e} dB (20 Hz–20 kHz)");
            assert!(worst < 0.1, "{bands} bands at {sr}: {worst} dB");
        }
    }
}

#[test]
fn multiband_solo_isolates_band_2() {
    let n = 48_000;
    // Band centres (geometric) for crossovers 120 / 1000 / 6000 Hz and 20 Hz–20 kHz.
    let centres = [
        (20.0f64 * 120.0).sqrt(),
        (120.0f64 * 1000.0).sqrt(),
        (1000.0f64 * 6000.0).sqrt(),
        (6000.0f64 * 20_000.0).sqrt(),
    ];
    let mut params = unity_params();
    params.push(("band2_solo".into(), 1.0));
    let h = harness(1, 4, &as_refs(&params));
    for (b, hz) in centres.iter().enumerate() {
        let x = sine(*hz, 0.5, n);
        let out = h.render(std::slice::from_ref(&x), &[512]);
        let gain = db(amplitude(&out[0][n / 2..], *hz, SR) / amplitude(&x[n / 2..], *hz, SR));
        println!("solo band 2: tone at {hz:.0} Hz (band {}) → {gain:.3} dB", b + 1);
        if b == 1 {
            assert!(gain.abs() <= 0.5, "band 2 centre: {gain} dB");
        } else {
            assert!(gain <= -24.0, "band {} centre: {gain} dB", b + 1);
        }
    }
}

#[test]
fn multiband_compresses_only_the_loud_band() {
    let n = 48_000;
    let (threshold, ratio, knee) = (-20.0f32, 4.0f32, 6.0f32);
    let h = harness(
        1,
        4,
        &[
            ("crossover1_hz", 400.0),
            ("band1_threshold_db", threshold),
            ("band1_ratio", ratio),
            ("band1_release_ms", 2000.0),
            ("knee_db", knee),
        ],
    );
    let (loud_hz, loud_amp, quiet_hz, quiet_amp) = (50.0, 0.5f32, 2400.0, 0.01f32);
    let loud = sine(loud_hz, loud_amp, n);
    let quiet = sine(quiet_hz, quiet_amp, n);
    let x: Vec<f32> = loud.iter().zip(&quiet).map(|(a, b)| a + b).collect();
    let out = h.render(&[x], &[512]);
    let tail = &out[0][n / 2..];
    let curve = GainComputer { threshold_db: f64::from(threshold), ratio: f64::from(ratio), knee_db: f64::from(knee) };
    let level = db(f64::from(loud_amp));
    let expected = -curve.reduction_db(level);
    let loud_gain = db(amplitude(tail, loud_hz, SR) / f64::from(loud_amp));
    let quiet_gain = db(amplitude(tail, quiet_hz, SR) / f64::from(quiet_amp));
    println!("band 1 tone: {loud_gain:.3} dB (static curve {expected:.3} dB); band 3 tone: {quiet_gain:.4} dB");
    assert!((loud_gain - expected).abs() <= 0.3, "{loud_gain} vs {expected}");
    assert!(quiet_gain.abs() <= 0.1, "{quiet_gain}");
}

#[test]
fn multiband_mix_half_does_not_comb() {
    let n = 48_000;
    let h = harness(1, 4, &[("mix", 0.5), ("band2_threshold_db", -60.0), ("band2_ratio", 20.0)]);
    // At the crossover the band-2 reduction halves in dB-ish but the sum never notches.
    for hz in [120.0, 1000.0, 6000.0] {
        let x = sine(hz, 0.1, n);
        let out = h.render(std::slice::from_ref(&x), &[512]);
        let gain = db(amplitude(&out[0][n / 2..], hz, SR) / amplitude(&x[n / 2..], hz, SR));
        println!("mix 0.5, band 2 squashed: {hz} Hz → {gain:.3} dB");
        // Bands 1|2 and 2|3 are in phase and −6 dB each at 120 and 1000 Hz, and band 2 is
        // ≈ 0.5 + 0.5·g (g ≈ −38 dB): |0.5 + 0.5·0.506| = −2.46 dB, no notch. Band 2 does not
        // reach 6000 Hz.
        let expected = if hz < 5000.0 { -2.46 } else { 0.0 };
        assert!((gain - expected).abs() < 0.2, "{hz} Hz: {gain} dB");
    }
}

#[test]
fn multiband_invariants_3_and_4_bands() {
    let n = 9600;
    for bands in [3, 4] {
        let h = harness(2, bands, &[("band1_threshold_db", -40.0), ("band3_ratio", 8.0), ("band2_bypass", 1.0)]);
        let input = vec![noise(n, 7), noise(n, 11)];
        h.check_invariants(&input);
        let mono = harness(1, bands, &[("band2_solo", 1.0), ("mix", 0.3)]);
        mono.check_invariants(&[noise(n, 3)]);
    }
}

#[test]
fn multiband_non_finite_input_does_not_latch() {
    let h = harness(1, 4, &[]);
    let mut x = noise(4800, 5);
    x[10] = f32::NAN;
    x[20] = f32::INFINITY;
    x.extend(std::iter::repeat_n(0.0, 48_000));
    let out = h.render(&[x], &[512]);
    assert!(out[0].iter().all(|v| v.is_finite()));
    assert!(out[0][48_000..].iter().all(|v| *v == 0.0));
}

#[test]
fn multiband_meters_report_per_band_and_max() {
    let n = 48_000;
    let h = harness(1, 3, &[("band1_threshold_db", -30.0), ("band1_ratio", 4.0)]);
    let (engine, mut ex) = h.engine();
    run(&mut ex, &[sine(50.0, 0.5, n)], &[512]);
    let read = |name: &str| {
        let frame = engine.telemetry().latest(&format!("node.{name}")).expect("published");
        let MeterData::GainReduction { db } = frame.data else { panic!("meter kind") };
        (f64::from(db), frame.seq)
    };
    let (total, seq) = read("gain_reduction");
    let (b1, _) = read("band1_gain_reduction");
    let (b3, _) = read("band3_gain_reduction");
    println!("meters: max {total:.2} dB, band 1 {b1:.2} dB, band 3 {b3:.2} dB");
    assert_eq!(seq, 30, "30 meter frames per second");
    assert_eq!(total, b1);
    assert!(b1 > 10.0 && b3 == 0.0);
    assert!(engine.telemetry().latest("node.band4_gain_reduction").is_none());
}

#[test]
fn multiband_solo_with_3_bands() {
    let n = 48_000;
    let mut params = unity_params();
    params.push(("band3_solo".into(), 1.0));
    params.push(("band1_solo".into(), 1.0));
    let h = harness(1, 3, &as_refs(&params));
    // Band 1 and 3 soloed: band 2's centre is muted, the others pass.
    for (hz, heard) in [(49.0, true), (346.0, false), (4472.0, true)] {
        let x = sine(hz, 0.5, n);
        let out = h.render(std::slice::from_ref(&x), &[512]);
        let gain = db(amplitude(&out[0][n / 2..], hz, SR) / amplitude(&x[n / 2..], hz, SR));
        println!("3 bands, solo 1+3: {hz} Hz → {gain:.3} dB");
        assert!(if heard { gain.abs() <= 0.5 } else { gain <= -24.0 }, "{hz} Hz: {gain} dB");
    }
}

#[test]
fn band_threshold_glides_instead_of_stepping() {
    // A Nyquist-rate square lives wholly in band 4 (its high-pass and the
    // all-passes have unit magnitude at Nyquist), so |out|/|in| is band 4's
    // gain sample by sample. A 0.1 ms attack makes the envelope follow the
    // curve almost at once: an unsmoothed threshold would step the gain.
    let h = harness(1, 4, &[("band4_threshold_db", -20.0), ("band4_ratio", 8.0), ("band4_attack_ms", 0.1)]);
    let (mut engine, mut ex) = h.engine();
    let x: Vec<f32> = (0..48_000).map(|i| if i % 2 == 0 { 0.5 } else { -0.5 }).collect();
    let first = run(&mut ex, &[x[..24_000].to_vec()], &[512]);
    engine.set_param("node.band4_threshold_db", -40.0).unwrap();
    let second = run(&mut ex, &[x[24_000..].to_vec()], &[512]);
    let out: Vec<f32> = first[0].iter().chain(&second[0]).copied().collect();
    let gain_db: Vec<f64> = out.iter().map(|y| 20.0 * (f64::from(y.abs()) / 0.5).log10()).collect();
    let moved = gain_db[23_999] - gain_db[47_999];
    let step = gain_db[20_000..].windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
    println!("band 4 threshold −20 → −40 dB: gain moves {moved:.2} dB, largest per-sample step {step:.4} dB");
    assert!(moved > 10.0, "the threshold change compresses harder: {moved} dB");
    assert!(step < 0.5, "gain stepped by {step} dB");
}

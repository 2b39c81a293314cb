//! Tests of the `dynamics.gate` node, run through the shared harness.

use crate::testing::{NodeHarness, SR, noise, run, sine};
use mixgraph_graph::MeterData;
use serde_json::json;

const TYPE: &str = "dynamics.gate";

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

/// A 1 kHz sine whose peak level steps through `(level_db, frames)` segments.
fn stepped_sine(segments: &[(f64, usize)]) -> Vec<f32> {
    let total = segments.iter().map(|s| s.1).sum();
    let unit = sine(1000.0, 1.0, total);
    let mut out = Vec::with_capacity(total);
    for &(level, frames) in segments {
        let a = amp(level);
        out.extend(unit[out.len()..out.len() + frames].iter().map(|v| v * a));
    }
    out
}

/// Output/input level in dB over `range` of the rendered first channel.
fn gain_db(h: &NodeHarness, x: &[f32], sidechain: &[f32], range: std::ops::Range<usize>) -> f64 {
    let out = h.render(&[x.to_vec(), sidechain.to_vec()], &[512]);
    db(rms(&out[0][range.clone()]) / rms(&x[range]))
}

#[test]
fn opens_at_unity_above_the_threshold_and_attenuates_by_the_range_below() {
    let n = 24_000;
    let h = mono(&[]);
    let above = gain_db(&h, &sine(1000.0, amp(-30.0), n), &vec![0.0; n], n / 2..n);
    let below = gain_db(&h, &sine(1000.0, amp(-50.0), n), &vec![0.0; n], n / 2..n);
    println!("gate: −30 dB tone → {above:.4} dB, −50 dB tone → {below:.3} dB");
    assert!(above.abs() <= 0.01, "{above}");
    assert!((below + 80.0).abs() <= 0.5, "{below}");
    let range_40 = gain_db(&mono(&[("range_db", -40.0)]), &sine(1000.0, amp(-50.0), n), &vec![0.0; n], n / 2..n);
    println!("gate: range −40 → {range_40:.3} dB");
    assert!((range_40 + 40.0).abs() <= 0.5, "{range_40}");
}

#[test]
fn hysteresis_keeps_the_current_state_between_the_thresholds() {
    // Threshold −40, hysteresis 4: opens above −40, closes below −44; −42 is between.
    let h = mono(&[("hold_ms", 0.0)]);
    let n = 24_000;
    let zeros = vec![0.0; 2 * n];
    let from_open = gain_db(&h, &stepped_sine(&[(-30.0, n), (-42.0, n)]), &zeros, n + n / 2..2 * n);
    let from_closed = gain_db(&h, &stepped_sine(&[(-60.0, n), (-42.0, n)]), &zeros, n + n / 2..2 * n);
    let crossing = gain_db(&h, &stepped_sine(&[(-60.0, n), (-38.0, n)]), &zeros, n + n / 2..2 * n);
    let fast = mono(&[("hold_ms", 0.0), ("release_ms", 10.0)]);
    let dropping = gain_db(&fast, &stepped_sine(&[(-30.0, n), (-46.0, n)]), &zeros, n + n / 2..2 * n);
    println!(
        "hysteresis: open→−42 {from_open:.4} dB, closed→−42 {from_closed:.3} dB, \
         closed→−38 {crossing:.4} dB, open→−46 {dropping:.3} dB"
    );
    assert!(from_open.abs() <= 0.01, "stays open: {from_open}");
    assert!((from_closed + 80.0).abs() <= 0.5, "stays closed: {from_closed}");
    assert!(crossing.abs() <= 0.01, "opens above the threshold: {crossing}");
    assert!((dropping + 80.0).abs() <= 0.5, "closes below threshold − hysteresis: {dropping}");
}

/// A Nyquist-rate square: constant |x|, untouched by the detector high-pass.
fn alternating(levels: &[(f32, usize)]) -> Vec<f32> {
    let mut x = Vec::new();
    for &(a, frames) in levels {
        for _ in 0..frames {
            x.push(if x.len().is_multiple_of(2) { a } else { -a });
        }
    }
    x
}

#[test]
fn hold_keeps_the_gate_open_then_it_releases() {
    for (hold, release) in [(20.0f32, 100.0f32), (100.0, 50.0), (5.0, 200.0)] {
        let h = mono(&[("hold_ms", hold), ("release_ms", release)]);
        let drop = 9600;
        let x = alternating(&[(amp(-30.0), drop), (amp(-60.0), 48_000)]);
        let out = h.render(&[x.clone(), vec![0.0; x.len()]], &[512]);
        let gain: Vec<f64> = x.iter().zip(&out[0]).map(|(a, b)| db(f64::from(b.abs() / a.abs()))).collect();
        assert!(gain[drop - 100..drop].iter().all(|g| g.abs() < 1e-6), "open before the drop");
        let n = gain[drop..].iter().position(|g| *g < -0.1).unwrap_or(usize::MAX);
        let measured_ms = n as f64 / SR * 1000.0;
        // After the hold, the reduction rises toward 80 dB with the release time constant.
        let at = drop + ((f64::from(hold + release)) * SR / 1000.0) as usize;
        let expected = -80.0 * (1.0 - (-1.0f64).exp());
        println!(
            "hold {hold} ms: open for {measured_ms:.3} ms; {:.2} dB one release ({release} ms) later (expected {expected:.2})",
            gain[at]
        );
        assert!((measured_ms - f64::from(hold)).abs() <= 1.0, "hold {measured_ms} ms");
        assert!((gain[at] - expected).abs() <= 1.0, "release: {}", gain[at]);
    }
}

#[test]
fn ratio_two_expands_along_the_static_curve() {
    let h = mono(&[("ratio", 2.0)]);
    let n = 24_000;
    for level in [-50.0, -60.0, -70.0] {
        let measured = gain_db(&h, &sine(1000.0, amp(level), n), &vec![0.0; n], n / 2..n);
        let expected = level + 40.0;
        println!("ratio 2 at {level} dB: {measured:.3} dB (expected {expected:.1})");
        assert!((measured - expected).abs() <= 0.3, "{level}: {measured}");
    }
}

#[test]
fn the_sidechain_drives_the_gate() {
    let n = 48_000;
    let main = sine(1000.0, amp(-30.0), n);
    let mut key = vec![0.0f32; n];
    key[12_000..36_000].copy_from_slice(&sine(500.0, 0.5, 24_000));
    let h = mono(&[("sidechain", 1.0)]);
    let closed = gain_db(&h, &main, &key, 0..12_000);
    let open = gain_db(&h, &main, &key, 18_000..36_000);
    let after = gain_db(&h, &main, &key, 43_200..n);
    println!("sidechain: before key {closed:.3} dB, during {open:.4} dB, after {after:.3} dB");
    assert!((closed + 80.0).abs() <= 0.5, "{closed}");
    assert!(open.abs() <= 0.01, "{open}");
    assert!(after < -50.0, "{after}");
    // Without the sidechain switch the key is ignored: a −60 dB main stays shut.
    let ignored = gain_db(&mono(&[]), &sine(1000.0, amp(-60.0), n), &key, 18_000..36_000);
    assert!((ignored + 80.0).abs() <= 0.5, "{ignored}");
}

#[test]
fn sidechain_high_pass_keeps_bass_from_opening_the_gate() {
    // A −30 dB 50 Hz tone opens the gate with a 20 Hz high-pass; a 2 kHz one
    // takes it down by about 64 dB, far under the threshold.
    let n = 48_000;
    let x = sine(50.0, amp(-30.0), n);
    let open = gain_db(&mono(&[]), &x, &vec![0.0; n], n / 2..n);
    let shut = gain_db(&mono(&[("sc_highpass_hz", 2000.0)]), &x, &vec![0.0; n], n / 2..n);
    println!("50 Hz tone: {open:.4} dB with 20 Hz sidechain high-pass, {shut:.3} dB with 2 kHz");
    assert!(open.abs() < 0.05, "{open}");
    assert!((shut + 80.0).abs() < 0.5, "{shut}");
}

#[test]
fn meter_reports_the_gain_reduction() {
    let h = mono(&[("range_db", -30.0)]);
    let (engine, mut ex) = h.engine();
    let n = 24_000;
    run(&mut ex, &[sine(1000.0, amp(-60.0), n), vec![0.0; n]], &[512]);
    let frame = engine.telemetry().latest("node.gain_reduction").expect("published");
    let MeterData::GainReduction { db } = frame.data else { panic!("meter kind") };
    println!("meter: {db:.3} dB after {} frames", frame.seq);
    assert_eq!(frame.seq, 15, "30 meter frames per second");
    assert!((db - 30.0).abs() < 1e-3, "{db}");
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
    // Lookahead: the gate is open when the delayed burst arrives.
    let h = mono(&[("lookahead_ms", 5.0), ("attack_ms", 0.5)]);
    let x = stepped_sine(&[(-90.0, 4800), (-20.0, 4800)]);
    let out = h.render(&[x.clone(), vec![0.0; x.len()]], &[512]);
    let first = db(rms(&out[0][4800 + 240..4800 + 288]) / rms(&x[4800..4848]));
    println!("lookahead 5 ms: first millisecond of a burst at {first:.3} dB");
    assert!(first > -0.5, "{first}");
    let h = NodeHarness::new(
        TYPE,
        json!({"channels": 2}),
        &[("ratio", 2.0), ("hold_ms", 0.0), ("sidechain", 1.0), ("sc_highpass_hz", 1000.0)],
    );
    h.check_invariants(&[noise(4800, 5), noise(4800, 6), noise(4800, 7), noise(4800, 8)]);
    mono(&[("lookahead_ms", 10.0), ("range_db", -90.0), ("attack_ms", 50.0), ("threshold_db", -90.0)])
        .check_invariants(&[sine(440.0, 1.0, 4800), vec![0.0; 4800]]);
    mono(&[("threshold_db", 0.0), ("hysteresis_db", 20.0), ("attack_ms", 0.05), ("release_ms", 5.0), ("ratio", 1.0)])
        .check_invariants(&[noise(4800, 9), vec![0.0; 4800]]);
}

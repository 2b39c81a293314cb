//! Tests of the `eq.linear_phase` node.
use crate::testing::{MAX_BLOCK, NodeHarness, SR, noise, response_db};
use serde_json::json;

const BELL: &[(&str, f32)] =
    &[("band1_on", 1.0), ("band1_type", 0.0), ("band1_freq_hz", 1000.0), ("band1_gain_db", 6.0), ("band1_q", 1.0)];
const BELL_SHELF: &[(&str, f32)] = &[
    ("band1_on", 1.0),
    ("band1_type", 0.0),
    ("band1_freq_hz", 1000.0),
    ("band1_gain_db", 6.0),
    ("band1_q", 1.0),
    ("band2_on", 1.0),
    ("band2_type", 1.0),
    ("band2_freq_hz", 200.0),
    ("band2_gain_db", 4.0),
    ("band2_q", std::f32::consts::FRAC_1_SQRT_2),
];

fn harness(fir: usize, params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("eq.linear_phase", json!({ "channels": 1, "fir_length": fir }), params)
}

fn impulse_response(h: &NodeHarness, frames: usize, blocks: &[usize]) -> Vec<f32> {
    let mut x = vec![0.0f32; frames];
    x[0] = 1.0;
    h.render(&[x], blocks).remove(0)
}

fn peak_index(y: &[f32]) -> usize {
    y.iter().enumerate().fold((0, 0.0f32), |a, (i, v)| if v.abs() > a.1 { (i, v.abs()) } else { a }).0
}

#[test]
fn linear_phase_impulse_response_is_symmetric_about_latency() {
    for fir in [1024, 8192] {
        let h = harness(fir, BELL_SHELF);
        let latency = h.engine().0.report().latency_frames as usize;
        assert_eq!(latency, fir * 3 / 2);
        let y = impulse_response(&h, 3 * fir, &[MAX_BLOCK]);
        let peak = y[latency].abs();
        let asym = (1..fir / 2).map(|k| (y[latency + k] - y[latency - k]).abs()).fold(0.0f32, f32::max) / peak;
        println!("fir {fir}: latency {latency}, peak {peak}, max asymmetry {asym:.2e} of peak");
        assert!(asym < 1e-5);
        assert_eq!(peak_index(&y), latency);
    }
}

#[test]
fn linear_phase_magnitude_matches_parametric() {
    let registry = crate::registry();
    let reference = registry.create("eq.parametric", &json!({ "channels": 1 })).unwrap();
    for (name, params) in
        [("bell +6 dB 1 kHz Q1", BELL), ("low shelf +4 dB 200 Hz", &BELL_SHELF[5..]), ("bell + low shelf", BELL_SHELF)]
    {
        let h = harness(8192, params);
        let (engine, _) = h.engine();
        let latency = engine.report().latency_frames as usize;
        let y = impulse_response(&h, 4 * 8192, &[MAX_BLOCK]);
        let info = reference.info();
        let mut values: Vec<f32> = info.params.iter().map(|p| p.default).collect();
        for (id, v) in params {
            values[info.param_index(id).unwrap().0 as usize] = *v;
        }
        let measured_db = |hz: f64| response_db(&y, latency, hz);
        let want_db = |hz: f64| {
            let (re, im) = reference.response(&values, SR, hz).unwrap();
            20.0 * re.hypot(im).log10()
        };
        for hz in [100.0, 1000.0, 5000.0] {
            let err = measured_db(hz) - want_db(hz);
            println!("{name}: {hz} Hz: want {:.3} dB, error {err:+.4} dB", want_db(hz));
            assert!(err.abs() < 0.1);
        }
        let mut worst = (0.0f64, 0.0f64);
        let mut hz = 50.0;
        while hz <= 20_000.0 {
            let err = (measured_db(hz) - want_db(hz)).abs();
            if err > worst.0 {
                worst = (err, hz);
            }
            hz *= 2f64.powf(1.0 / 12.0);
        }
        println!("{name}: worst error 50 Hz-20 kHz (1/12 oct) {:.4} dB at {:.0} Hz", worst.0, worst.1);
        assert!(worst.0 < 0.1);
    }
}

#[test]
fn linear_phase_steep_cut_error_away_from_the_corner() {
    // 48 dB/oct low cut at 100 Hz plus the bell; error is reported from
    // 200 Hz up (one octave above the corner excluded) and, for
    // information, near the corner.
    let mut params = BELL.to_vec();
    params.extend_from_slice(&[("band2_on", 1.0), ("band2_type", 3.0), ("band2_freq_hz", 100.0), ("band2_slope", 3.0)]);
    let registry = crate::registry();
    let reference = registry.create("eq.parametric", &json!({ "channels": 1 })).unwrap();
    let info = reference.info();
    let mut values: Vec<f32> = info.params.iter().map(|p| p.default).collect();
    for (id, v) in &params {
        values[info.param_index(id).unwrap().0 as usize] = *v;
    }
    let h = harness(8192, &params);
    let latency = h.engine().0.report().latency_frames as usize;
    let y = impulse_response(&h, 4 * 8192, &[MAX_BLOCK]);
    let err_db = |hz: f64| {
        let (wr, wi) = reference.response(&values, SR, hz).unwrap();
        response_db(&y, latency, hz) - 20.0 * wr.hypot(wi).log10()
    };
    let (mut far, mut near) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
    let mut hz = 50.0;
    while hz <= 20_000.0 {
        let e = err_db(hz).abs();
        let slot = if hz >= 200.0 { &mut far } else { &mut near };
        if e > slot.0 {
            *slot = (e, hz);
        }
        hz *= 2f64.powf(1.0 / 12.0);
    }
    println!("48 dB/oct cut at 100 Hz: worst error 200 Hz-20 kHz {:.4} dB at {:.0} Hz", far.0, far.1);
    println!("48 dB/oct cut at 100 Hz: worst error 50-200 Hz {:.3} dB at {:.0} Hz", near.0, near.1);
    assert!(far.0 < 0.1);
}

#[test]
fn linear_phase_latency_is_measured_delay_at_any_block_size() {
    let h = harness(1024, BELL);
    let latency = h.engine().0.report().latency_frames as usize;
    for blocks in [1, 64, 512] {
        let y = impulse_response(&h, 4096, &[blocks]);
        let peak = peak_index(&y);
        println!("block {blocks}: declared {latency}, measured peak {peak}");
        assert_eq!(peak, latency);
    }
}

#[test]
fn linear_phase_is_block_size_invariant_and_clean() {
    let h = NodeHarness::new("eq.linear_phase", json!({ "channels": 2, "fir_length": 1024 }), BELL_SHELF);
    let input = vec![noise(6000, 3), noise(6000, 9)];
    let reference = h.render(&input, &[512]);
    let mut worst = 0.0f32;
    for blocks in [&[1][..], &[7, 64, 3, 300]] {
        let out = h.render(&input, blocks);
        for (a, b) in out.iter().zip(&reference) {
            worst = worst.max(a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max));
        }
    }
    println!("block-size invariance: worst difference {worst:.2e}");
    assert!(worst < 1e-5);
    // Reset determinism.
    let (_engine, mut ex) = h.engine();
    let first = crate::testing::run(&mut ex, &input, &[MAX_BLOCK]);
    ex.reset();
    assert_eq!(crate::testing::run(&mut ex, &input, &[MAX_BLOCK]), first);
    // Hygiene: silence, subnormal, NaN / infinity.
    let n = 6000;
    let silent = h.render(&[vec![0.0; n], vec![0.0; n]], &[MAX_BLOCK]);
    assert!(silent.iter().flatten().all(|v| *v == 0.0));
    let tiny = h.render(&[vec![1e-39; n], vec![1e-39; n]], &[MAX_BLOCK]);
    assert!(tiny.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()));
    let mut poisoned = noise(n, 77);
    poisoned[100] = f32::NAN;
    poisoned[200] = f32::INFINITY;
    let out = h.render(&[poisoned.clone(), poisoned], &[MAX_BLOCK]);
    assert!(out.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()));
}

#[test]
fn linear_phase_param_change_crossfades_without_blowing_up() {
    let h = harness(1024, BELL);
    let (mut engine, mut ex) = h.engine();
    let input = vec![crate::testing::sine(1000.0, 0.5, 8192)];
    let a = crate::testing::run(&mut ex, &input, &[256]);
    engine.set_param("node.band1_gain_db", -6.0).unwrap();
    let b = crate::testing::run(&mut ex, &input, &[256]);
    let peak_a = a[0][4096..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let peak_b = b[0][4096..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!("1 kHz sine peak: +6 dB {peak_a:.3}, after change to -6 dB {peak_b:.3}");
    assert!((peak_a / peak_b - 3.98).abs() < 0.1);
}

#[test]
fn linear_phase_mid_and_side_placement() {
    // A +6 dB bell at 1 kHz placed on stereo, mid or side; 1 kHz fed as
    // pure mid (L = R) and as pure side (L = −R).
    for (placement, mid_db, side_db) in [(0.0, 6.0, 6.0), (1.0, 6.0, 0.0), (2.0, 0.0, 6.0)] {
        let mut params = BELL.to_vec();
        params.push(("band1_placement", placement));
        let h = NodeHarness::new("eq.linear_phase", json!({ "channels": 2, "fir_length": 1024 }), &params);
        for (side, want_db) in [(false, mid_db), (true, side_db)] {
            let x = crate::testing::sine(1000.0, 0.25, 8192);
            let r: Vec<f32> = x.iter().map(|v| if side { -v } else { *v }).collect();
            let out = h.render(&[x, r], &[256]);
            let settled = 1536 + 2048..8192;
            let peak = out[0][settled.clone()].iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let got_db = 20.0 * f64::from(peak / 0.25).log10();
            println!("placement {placement}, {}: {got_db:.3} dB", if side { "side" } else { "mid" });
            assert!((got_db - want_db).abs() < 0.1, "placement {placement} side {side}: {got_db} dB");
            let sign = if side { -1.0 } else { 1.0 };
            for i in settled {
                assert!((out[1][i] - sign * out[0][i]).abs() < 1e-5, "the image stays pure at {i}");
            }
        }
    }
}

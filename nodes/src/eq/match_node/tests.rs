//! Tests of the `eq.match` node.
use super::super::match_curve::{self, BANDS};
use crate::testing::{MAX_BLOCK, NodeHarness, noise, response_db};
use serde_json::json;

const FIR: usize = 16384;

fn stereo(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("eq.match", json!({ "channels": 2, "fir_length": FIR }), params)
}

/// The mid and side impulse responses of a stereo harness (impulse in L
/// only, so mid and side both see 0.5; scaled back to unity).
fn mid_side_responses(h: &NodeHarness) -> (Vec<f32>, Vec<f32>, usize) {
    let latency = h.engine().0.report().latency_frames as usize;
    let frames = latency + FIR;
    let mut left = vec![0.0f32; frames];
    left[0] = 1.0;
    let out = h.render(&[left, vec![0.0; frames]], &[MAX_BLOCK]);
    let mid = out[0].iter().zip(&out[1]).map(|(l, r)| l + r).collect();
    let side = out[0].iter().zip(&out[1]).map(|(l, r)| l - r).collect();
    (mid, side, latency)
}

/// The worst error against the curve from `from_hz` to 20 kHz (1/12 oct).
fn worst_error(y: &[f32], latency: usize, gains: &[f64; BANDS], from_hz: f64) -> (f64, f64) {
    let mut worst = (0.0f64, 0.0f64);
    let mut hz = from_hz;
    while hz <= 20_000.0 {
        let err = (response_db(y, latency, hz) - match_curve::gain_db_at(gains, hz)).abs();
        if err > worst.0 {
            worst = (err, hz);
        }
        hz *= 2f64.powf(1.0 / 12.0);
    }
    worst
}

#[test]
fn mid_and_side_follow_their_own_curves() {
    let mut mid = [0.0; BANDS];
    let mut side = [0.0; BANDS];
    mid[6] = -4.0; // 100 Hz
    mid[16] = 6.0; // 1 kHz
    mid[17] = 6.0; // 1.25 kHz
    side[24] = 5.0; // 6.3 kHz
    side[10] = -3.0; // 250 Hz
    let ids: Vec<(String, f32)> = (0..BANDS)
        .flat_map(|b| {
            [(match_curve::param_id("mid", b), mid[b] as f32), (match_curve::param_id("side", b), side[b] as f32)]
        })
        .collect();
    let params: Vec<(&str, f32)> = ids.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let h = stereo(&params);
    let (m, s, latency) = mid_side_responses(&h);
    assert_eq!(latency, FIR * 3 / 2);
    for (name, y, gains) in [("mid", &m, &mid), ("side", &s, &side)] {
        for b in [6, 10, 16, 17, 24] {
            let hz = match_curve::centre_hz(b);
            let err = response_db(y, latency, hz) - gains[b];
            println!("{name} {hz:.0} Hz: want {:+.1} dB, error {err:+.4} dB", gains[b]);
            // The window's ±3 bins (±8.8 Hz) soften a single third-octave
            // band at 100 Hz, which is only 23 Hz wide.
            assert!(err.abs() < if hz < 200.0 { 0.2 } else { 0.1 });
        }
        let (err, at) = worst_error(y, latency, gains, 200.0);
        println!("{name}: worst error against the curve 200 Hz-20 kHz (1/12 oct) {err:.4} dB at {at:.0} Hz");
        assert!(err < 0.1);
        let (err, at) = worst_error(y, latency, gains, 40.0);
        println!("{name}: worst error against the curve 40 Hz-20 kHz (1/12 oct) {err:.4} dB at {at:.0} Hz");
        assert!(err < 0.3);
        // Linear phase: the response is symmetric about the latency.
        let peak = y[latency].abs();
        let asym = (1..FIR / 2).map(|k| (y[latency + k] - y[latency - k]).abs()).fold(0.0f32, f32::max) / peak;
        assert!(asym < 1e-5, "{name}: asymmetry {asym}");
    }
}

#[test]
fn amount_scales_the_curve_in_db_and_output_gain_adds() {
    let h = stereo(&[("mid_1000hz_db", 8.0), ("amount", 0.5), ("output_gain_db", -2.0)]);
    let (m, _, latency) = mid_side_responses(&h);
    let at_1k = response_db(&m, latency, 1000.0);
    let at_10k = response_db(&m, latency, 10_000.0);
    println!("amount 0.5 of +8 dB at 1 kHz, output -2 dB: {at_1k:+.3} dB at 1 kHz, {at_10k:+.3} dB at 10 kHz");
    assert!((at_1k - 2.0).abs() < 0.05 && (at_10k + 2.0).abs() < 0.05);
}

#[test]
fn mono_applies_the_mid_curve_and_a_change_is_heard_after_one_block() {
    let h = NodeHarness::new("eq.match", json!({ "channels": 1, "fir_length": 1024 }), &[]);
    h.check_invariants(&[noise(9600, 1)]);
    NodeHarness::new("eq.match", json!({ "channels": 2, "fir_length": 1024 }), &[])
        .check_invariants(&[noise(9600, 2), noise(9600, 3)]);
    let shaped = NodeHarness::new("eq.match", json!({ "channels": 1, "fir_length": 4096 }), &[("mid_2000hz_db", 6.0)]);
    let latency = shaped.engine().0.report().latency_frames as usize;
    let mut x = vec![0.0f32; latency + 4096];
    x[0] = 1.0;
    let y = shaped.render(&[x], &[MAX_BLOCK]).remove(0);
    let peak = y.iter().enumerate().fold((0, 0.0f32), |a, (i, v)| if v.abs() > a.1 { (i, v.abs()) } else { a }).0;
    assert_eq!(peak, latency, "the impulse's centre is at the declared latency");
    assert!((response_db(&y, latency, 2000.0) - 6.0).abs() < 0.1);
}

#[test]
fn bad_config_names_the_field() {
    let err = crate::registry().create("eq.match", &json!({ "fir_length": 5000 })).err().unwrap().to_string();
    assert!(err.contains("fir_length"), "{err}");
}

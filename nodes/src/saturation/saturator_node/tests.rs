use crate::testing::{NodeHarness, SR, noise, sine};
use serde_json::json;

const SOFT_CLIP: f32 = 0.0;
const TANH: f32 = 1.0;
const TAPE: f32 = 2.0;
const HARD_CLIP: f32 = 3.0;

/// Power of `x` at `hz` (DFT bin, amplitude-normalised), in dB.
fn tone_db(x: &[f32], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / SR;
    let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, v)| {
        (re + *v as f64 * (w * n as f64).cos(), im - *v as f64 * (w * n as f64).sin())
    });
    let scale = 2.0 / x.len() as f64;
    20.0 * ((re * scale).hypot(im * scale)).log10()
}

fn harness(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("saturation.saturator", json!({"channels": 1}), params)
}

fn latency(h: &NodeHarness) -> usize {
    h.engine().0.report().latency_frames as usize
}

#[test]
fn oversampling_cuts_hard_clip_aliasing() {
    // 15 kHz at 48 kHz, −6 dBFS, +24 dB drive, hard clip. Odd harmonics k·15 kHz
    // fold to 3, 9 and 21 kHz (3·15 − 48 = −3, 5·15 − 48 = 27 → 21, 7·15 − 96 = 9, ...).
    // 4800 frames hold a whole number of periods of all of them (16-frame grid).
    let x = sine(15_000.0, 0.5, 9600);
    let mut alias = Vec::new();
    for os in [0.0, 1.0, 2.0] {
        let h = harness(&[("curve", HARD_CLIP), ("drive_db", 24.0), ("oversampling", os)]);
        let y = h.render(std::slice::from_ref(&x), &[512]).remove(0);
        let window = &y[4800..];
        let bins: Vec<f64> = [3000.0, 9000.0, 21_000.0].iter().map(|f| tone_db(window, *f)).collect();
        let total = 10.0 * bins.iter().map(|d| 10f64.powf(d / 10.0)).sum::<f64>().log10();
        eprintln!(
            "oversampling {os}: fundamental {:.1} dB, alias 3k {:.1} / 9k {:.1} / 21k {:.1} dB, total {total:.1} dB",
            tone_db(window, 15_000.0),
            bins[0],
            bins[1],
            bins[2]
        );
        alias.push(total);
    }
    // Measured with first-order ADAA: 1x −18.9 dB, 2x −25.4 dB, 4x −53.5 dB in
    // total, 55 dB under the fundamental at 4x (without ADAA 4x reached only
    // −24.8 dB: the 13th harmonic, 195 kHz, folds at 192 kHz straight to 3 kHz,
    // inside the passband, where no oversampling filter can act; ADAA's zero
    // at the oversampled rate removes it).
    assert!(alias[2] <= -50.0, "4x aliasing at {:.1} dB", alias[2]);
    assert!(alias[0] - alias[2] >= 30.0, "4x only {:.1} dB below 1x", alias[0] - alias[2]);
    assert!(alias[1] < alias[0] && alias[2] < alias[1]);
}

#[test]
fn resampler_is_transparent_at_low_level() {
    for os in [1.0, 2.0] {
        let h = harness(&[("curve", SOFT_CLIP), ("oversampling", os)]);
        let l = latency(&h);
        let x = sine(1000.0, 0.01, 9600);
        let y = h.render(std::slice::from_ref(&x), &[512]).remove(0);
        let (mut err, mut sig) = (0.0f64, 0.0f64);
        for n in 1000..9600 {
            err += (y[n] as f64 - x[n - l] as f64).powi(2);
            sig += (x[n - l] as f64).powi(2);
        }
        let db = 10.0 * (err / sig).log10();
        eprintln!("transparency {os}: latency {l}, error {db:.1} dB");
        assert!(db < -80.0, "{db}");
    }
}

#[test]
fn latency_matches_the_impulse_delay() {
    for (os, expected) in [(0.0, 0), (1.0, 37), (2.0, 43)] {
        let h = harness(&[("curve", SOFT_CLIP), ("oversampling", os)]);
        let l = latency(&h);
        assert_eq!(l, expected);
        let mut impulse = vec![0.0; 2000];
        impulse[0] = 0.01;
        let y = h.render(&[impulse], &[512]).remove(0);
        let peak = y.iter().enumerate().fold(0, |b, (i, v)| if v.abs() > y[b].abs() { i } else { b });
        eprintln!("oversampling {os}: latency {l}, impulse peak at {peak}, peak {:.5}", y[peak] / 0.01);
        assert_eq!(peak, l);
        for k in 1..l {
            assert!((y[l - k] - y[l + k]).abs() < 1e-7, "asymmetric at {k}");
        }
        // The harness checks that the first sample above 1e-6 is at the latency.
        // The wet path of a linear-phase FIR rings before its centre, so for 2x
        // and 4x the harness runs on the dry path (mix 0), which the compiler's
        // alignment relies on; 1x runs fully wet.
        let mix = if os == 0.0 { 1.0 } else { 0.0 };
        let h = harness(&[("curve", TANH), ("drive_db", 12.0), ("oversampling", os), ("mix", mix)]);
        h.check_invariants(&[noise(4800, 7)]);
        let stereo = NodeHarness::new(
            "saturation.saturator",
            json!({"channels": 2}),
            &[("curve", TAPE), ("drive_db", 6.0), ("oversampling", os), ("mix", mix)],
        );
        stereo.check_invariants(&[noise(4800, 8), noise(4800, 9)]);
    }
}

#[test]
fn wet_path_invariants_except_first_sample_rule() {
    // Fully wet at 4x: block-size invariance, reset determinism, no NaN or
    // subnormal, silence in gives silence out (the parts of check_invariants
    // that do not assume a causal-looking impulse).
    let h = harness(&[("curve", HARD_CLIP), ("drive_db", 18.0), ("ceiling_db", -6.0)]);
    let x = noise(4800, 3);
    let reference = h.render(std::slice::from_ref(&x), &[512]);
    for blocks in [&[1][..], &[7, 64, 3, 300, 512, 1]] {
        let out = h.render(std::slice::from_ref(&x), blocks);
        let worst = out[0].iter().zip(&reference[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst <= 1e-6, "{worst}");
    }
    let silent = h.render(&[vec![0.0; 4800]], &[512]);
    assert!(silent[0].iter().all(|v| *v == 0.0));
    let tiny = h.render(&[vec![1e-39; 4800]], &[512]);
    assert!(tiny[0].iter().all(|v| *v == 0.0));
    let mut bad = noise(4800, 4);
    bad[100] = f32::NAN;
    bad[200] = f32::INFINITY;
    let out = h.render(&[bad], &[512]);
    assert!(out[0].iter().all(|v| v.is_finite() && !v.is_subnormal()));
    let peak = out[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    eprintln!("hard clip at −6 dB ceiling (0.501): output peak {peak:.3} after the 4x filters");
    assert!(peak <= 0.8, "ceiling −6 dB roughly holds (the band-limited result overshoots): {peak}");
}

#[test]
fn tanh_of_a_full_scale_sine_has_the_analytic_rms() {
    // RMS of tanh(sin θ) over a period, by a 1e6-point midpoint rule.
    let points = 1_000_000;
    let mean_sq: f64 = (0..points)
        .map(|k| (std::f64::consts::TAU * (k as f64 + 0.5) / points as f64).sin().tanh().powi(2))
        .sum::<f64>()
        / points as f64;
    let analytic_db = 10.0 * mean_sq.log10();
    for os in [0.0, 1.0, 2.0] {
        let h = harness(&[("curve", TANH), ("oversampling", os)]);
        let y = h.render(&[sine(1000.0, 1.0, 9600)], &[512]).remove(0);
        let window = &y[4800..];
        let measured_db =
            10.0 * (window.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / window.len() as f64).log10();
        eprintln!("tanh RMS {os}: measured {measured_db:.4} dB, analytic {analytic_db:.4} dB");
        assert!((measured_db - analytic_db).abs() <= 0.1);
    }
}

#[test]
fn mix_zero_is_the_delayed_input_exactly() {
    for os in [0.0, 1.0, 2.0] {
        let h = harness(&[("curve", HARD_CLIP), ("drive_db", 30.0), ("mix", 0.0), ("oversampling", os)]);
        let l = latency(&h);
        let x = noise(4800, 11);
        let y = h.render(std::slice::from_ref(&x), &[300]).remove(0);
        assert!(y[..l].iter().all(|v| *v == 0.0));
        assert!(y[l..].iter().zip(&x).all(|(a, b)| a.to_bits() == b.to_bits()), "oversampling {os}");
    }
}

#[test]
fn tape_leaves_no_dc() {
    let h = harness(&[("curve", TAPE), ("drive_db", 12.0)]);
    let y = h.render(&[sine(100.0, 0.5, 96_000)], &[512]).remove(0);
    // After 1 s the blocker has settled; 480 frames = 1 period of 100 Hz.
    let tail = &y[48_000..];
    let mean = tail.iter().map(|v| *v as f64).sum::<f64>() / tail.len() as f64;
    let early = y[..4800].iter().map(|v| *v as f64).sum::<f64>() / 4800.0;
    let second = tone_db(tail, 200.0) - tone_db(tail, 100.0);
    eprintln!("tape: mean {mean:.2e} (first 0.1 s {early:.2e}), 2nd harmonic {second:.1} dB");
    assert!(mean.abs() < 1e-4, "{mean}");
    assert!(second > -60.0, "tape makes even harmonics");
}

#[test]
fn parameter_glides_are_smooth_and_finite() {
    let h = harness(&[("curve", TANH), ("drive_db", 0.0), ("mix", 1.0)]);
    let (mut engine, mut ex) = h.engine();
    let x = sine(440.0, 0.5, 24_000);
    crate::testing::run(&mut ex, &[x[..4800].to_vec()], &[256]);
    engine.set_param("node.drive_db", 36.0).unwrap();
    engine.set_param("node.output_db", -24.0).unwrap();
    engine.set_param("node.mix", 0.3).unwrap();
    engine.set_param("node.curve", HARD_CLIP).unwrap();
    engine.set_param("node.ceiling_db", -12.0).unwrap();
    let rest = crate::testing::run(&mut ex, &[x[4800..].to_vec()], &[256]);
    assert!(rest[0].iter().all(|v| v.is_finite()));
    // Largest step between neighbours stays that of a 440 Hz tone (no zipper jumps).
    let jump = rest[0].windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    assert!(jump < 0.1, "{jump}");
}

use crate::space::test_util::render_with_changes;
use crate::testing::{NodeHarness, SR, noise};
use serde_json::json;

fn harness(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("space.reverb", json!(null), params)
}

fn impulse(n: usize) -> Vec<f32> {
    let mut x = vec![0.0; n];
    x[0] = 1.0;
    x
}

/// RT60 from Schroeder backward integration: T20 (−5 … −25 dB) × 3, by a
/// least-squares line through the energy decay curve.
fn rt60_t20(l: &[f32], r: &[f32], sample_rate: f64) -> f64 {
    let e: Vec<f64> = l.iter().zip(r).map(|(a, b)| f64::from(*a).powi(2) + f64::from(*b).powi(2)).collect();
    let mut edc = vec![0.0; e.len()];
    let mut acc = 0.0;
    for i in (0..e.len()).rev() {
        acc += e[i];
        edc[i] = acc;
    }
    let total = edc[0];
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, v) in edc.iter().enumerate() {
        let db = 10.0 * (v / total).log10();
        if (-25.0..=-5.0).contains(&db) {
            let t = i as f64 / sample_rate;
            n += 1.0;
            sx += t;
            sy += db;
            sxx += t * t;
            sxy += t * db;
        }
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    -60.0 / slope
}

#[test]
fn measured_rt60_matches_decay() {
    for decay in [0.5f32, 2.0, 5.0] {
        let n = (f64::from(decay) * 1.6 * SR) as usize;
        let h = harness(&[("decay_s", decay), ("damping", 0.0), ("mix", 1.0), ("size", 0.6)]);
        let out = h.render(&[impulse(n), impulse(n)], &[512]);
        let rt = rt60_t20(&out[0], &out[1], SR);
        eprintln!("decay_s {decay}: measured RT60 (T20×3) {rt:.3} s ({:+.1} %)", (rt / f64::from(decay) - 1.0) * 100.0);
        assert!((rt / f64::from(decay) - 1.0).abs() <= 0.15);
    }
}

#[test]
fn damping_shortens_broadband_decay() {
    let n = (2.0 * 1.6 * SR) as usize;
    let h = harness(&[("decay_s", 2.0), ("damping", 1.0), ("mix", 1.0)]);
    let out = h.render(&[impulse(n), impulse(n)], &[512]);
    let rt = rt60_t20(&out[0], &out[1], SR);
    eprintln!("decay_s 2, damping 1: broadband RT60 {rt:.3} s");
    assert!(rt < 2.0 && rt > 0.1);
}

#[test]
fn predelay_sets_first_output() {
    for ms in [0.0f32, 50.0, 250.0] {
        let n = 24_000;
        let h = harness(&[("predelay_ms", ms), ("mix", 1.0)]);
        let out = h.render(&[impulse(n), impulse(n)], &[512]);
        let first = out[0].iter().chain(&out[1]).position(|v| *v != 0.0).map(|i| i % n);
        let first_l = out[0].iter().position(|v| *v != 0.0);
        eprintln!("predelay {ms} ms: first nonzero frame {first_l:?} (expected {})", ms as f64 * 48.0);
        let expect = (f64::from(ms) * 0.001 * SR) as usize;
        let got = first_l.unwrap_or(usize::MAX);
        assert!(got.abs_diff(expect) <= 48, "{first:?}");
    }
}

#[test]
fn mix_zero_is_dry_and_width_zero_is_mono() {
    let input = vec![noise(9600, 1), noise(9600, 2)];
    let out = harness(&[("mix", 0.0)]).render(&input, &[512]);
    assert_eq!(out, input);
    let out = harness(&[("mix", 1.0), ("width", 0.0)]).render(&input, &[512]);
    assert_eq!(out[0], out[1]);
    let out = harness(&[("mix", 1.0), ("width", 1.0)]).render(&input, &[512]);
    assert_ne!(out[0], out[1]);
}

/// The reported tail is 2 × RT60 (+ predelay), a 120 dB decay: after it every
/// sample is under −120 dBFS.
#[test]
fn tail_decays_to_silence() {
    for decay in [0.1f32, 0.5, 2.0] {
        let h = harness(&[("decay_s", decay), ("mix", 1.0), ("damping", 0.0), ("predelay_ms", 20.0)]);
        let (engine, _ex) = h.engine();
        let tail = engine.report().tail_frames as usize;
        drop(engine);
        let two_rt = ((2.0 * f64::from(decay) + 0.02) * SR) as usize;
        let n = two_rt + 4800;
        let out = h.render(&[impulse(n), impulse(n)], &[512]);
        let max_from = |from: usize| out.iter().flat_map(|c| &c[from..]).fold(0.0f32, |m, v| m.max(v.abs()));
        let db = |v: f32| 20.0 * v.log10();
        assert!(tail.abs_diff(two_rt) <= 2, "tail {tail} is 2 × RT60 + predelay ({two_rt})");
        let (peak, after, late) = (max_from(0), max_from(tail), max_from(two_rt));
        eprintln!(
            "decay_s {decay}: tail {tail} frames, peak {:.1} dBFS, max after tail {:.1} dBFS ({:.1} dB re peak), \
             after 2×RT60 {:.1} dBFS",
            db(peak),
            db(after),
            db(after / peak),
            db(late)
        );
        assert!(after < 1e-6 && late < 1e-6);
    }
    // Long silence after an impulse ends in exact zeros.
    let h = harness(&[("decay_s", 0.1), ("mix", 1.0)]);
    let out = h.render(&[impulse(96_000), impulse(96_000)], &[512]);
    let first_zero = out[0].iter().rposition(|v| *v != 0.0).map_or(0, |i| i + 1);
    eprintln!("decay_s 0.1: exact zeros from frame {first_zero}");
    assert!(out.iter().all(|c| c[90_000..].iter().all(|v| *v == 0.0)));
}

#[test]
fn invariants_and_nan() {
    let input = vec![noise(9600, 3), noise(9600, 4)];
    harness(&[("decay_s", 1.0), ("predelay_ms", 10.0)]).check_invariants(&input);
    harness(&[("decay_s", 20.0), ("size", 1.0), ("damping", 0.0)]).check_invariants(&input);
    let mut x = input[0].clone();
    x[5] = f32::NAN;
    x[6] = f32::INFINITY;
    let out = harness(&[("mix", 1.0)]).render(&[x.clone(), x], &[512]);
    assert!(out.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn param_moves_are_block_size_independent() {
    let input = vec![noise(24_000, 31), noise(24_000, 32)];
    let h = harness(&[("decay_s", 1.0)]);
    let changes = [
        (4800, "decay_s", 3.0),
        (4800, "damping", 0.9),
        (9600, "predelay_ms", 40.0),
        (14_400, "width", 0.3),
        (19_200, "mix", 0.9),
    ];
    let a = render_with_changes(&h, &input, 480, &changes);
    let b = render_with_changes(&h, &input, 60, &changes);
    let worst = a.iter().zip(&b).flat_map(|(x, y)| x.iter().zip(y)).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    eprintln!("reverb param moves: blocks 480 vs 60 differ by {worst:e}");
    assert!(worst <= 1e-6);
}

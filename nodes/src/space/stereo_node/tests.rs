use crate::space::test_util::render_with_changes;
use crate::testing::{NodeHarness, SR, noise, sine};
use serde_json::json;

fn harness(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("space.stereo", json!(null), params)
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn side(l: &[f32], r: &[f32]) -> Vec<f32> {
    l.iter().zip(r).map(|(a, b)| (a - b) * 0.5).collect()
}

fn correlation(l: &[f32], r: &[f32]) -> f64 {
    let (mut lr, mut ll, mut rr) = (0.0, 0.0, 0.0);
    for (a, b) in l.iter().zip(r) {
        let (a, b) = (f64::from(*a), f64::from(*b));
        lr += a * b;
        ll += a * a;
        rr += b * b;
    }
    lr / (ll * rr).sqrt()
}

/// L = c + u1, R = c + u2 with equal powers: correlation 0.5.
fn half_correlated(n: usize) -> Vec<Vec<f32>> {
    let (c, u1, u2) = (noise(n, 1), noise(n, 2), noise(n, 3));
    let l = c.iter().zip(&u1).map(|(a, b)| 0.5 * (a + b)).collect();
    let r = c.iter().zip(&u2).map(|(a, b)| 0.5 * (a + b)).collect();
    vec![l, r]
}

#[test]
fn width_zero_is_mono() {
    let input = half_correlated(9600);
    let out = harness(&[("width", 0.0)]).render(&input, &[512]);
    assert!(out[0].iter().zip(&out[1]).all(|(a, b)| a == b));
    harness(&[("width", 0.0)]).check_invariants(&input);
}

#[test]
fn width_one_is_identity() {
    let input = half_correlated(9600);
    let out = harness(&[]).render(&input, &[512]);
    assert_eq!(out, input, "width 1 must be bit-exact");
    harness(&[]).check_invariants(&input);
}

#[test]
fn width_two_raises_side_6db() {
    let input = half_correlated(48_000);
    assert!((correlation(&input[0], &input[1]) - 0.5).abs() < 0.02);
    let out = harness(&[("width", 2.0)]).render(&input, &[512]);
    let gain = 20.0 * (rms(&side(&out[0], &out[1])) / rms(&side(&input[0], &input[1]))).log10();
    eprintln!("width 2: side gain {gain:.4} dB");
    assert!((gain - 6.0206).abs() < 0.01);
    let mid = |c: &[Vec<f32>]| rms(&c[0].iter().zip(&c[1]).map(|(a, b)| (a + b) * 0.5).collect::<Vec<_>>());
    assert!((mid(&out) / mid(&input) - 1.0).abs() < 1e-6);
    harness(&[("width", 2.0), ("balance", 0.3)]).check_invariants(&input);
}

#[test]
fn balance_attenuates_one_side() {
    let input = half_correlated(4800);
    let out = harness(&[("balance", 0.5)]).render(&input, &[512]);
    assert_eq!(out[1], input[1]);
    assert!(out[0].iter().zip(&input[0]).all(|(a, b)| (a - 0.5 * b).abs() < 1e-6));
}

#[test]
fn mono_below_removes_low_side_only() {
    let n = 48_000;
    let settle = 24_000;
    for (hz, check) in [(40.0, 0), (1000.0, 1)] {
        let s = sine(hz, 0.5, n);
        let neg: Vec<f32> = s.iter().map(|v| -v).collect();
        let input = vec![s, neg];
        let h = harness(&[("mono_below_hz", 120.0)]);
        let out = h.render(&input, &[512]);
        let gain = 20.0
            * (rms(&side(&out[0][settle..], &out[1][settle..])) / rms(&side(&input[0][settle..], &input[1][settle..])))
                .log10();
        eprintln!("mono_below 120 Hz: side at {hz} Hz: {gain:.4} dB");
        if check == 0 {
            assert!(gain <= -20.0, "{gain}");
        } else {
            assert!(gain.abs() <= 0.1, "{gain}");
        }
        // Mid passes untouched.
        let mono = vec![input[0].clone(), input[0].clone()];
        let out = h.render(&mono, &[512]);
        assert!(out[0].iter().zip(&mono[0]).all(|(a, b)| (a - b).abs() < 1e-6));
        h.check_invariants(&input);
    }
}

#[test]
fn correlation_floor_limits_widening() {
    let n = (SR * 3.0) as usize;
    let input = vec![noise(n, 11), noise(n, 12)];
    let warm = (SR * 1.0) as usize;
    let rho_in = correlation(&input[0][warm..], &input[1][warm..]);
    let free = harness(&[("width", 2.0)]).render(&input, &[512]);
    let rho_free = correlation(&free[0][warm..], &free[1][warm..]);
    let h = harness(&[("width", 2.0), ("correlation_floor", 0.0)]);
    let safe = h.render(&input, &[512]);
    let rho_safe = correlation(&safe[0][warm..], &safe[1][warm..]);
    // Worst 300 ms window.
    let win = (SR * 0.3) as usize;
    let worst = (warm..n - win)
        .step_by(win / 2)
        .map(|i| correlation(&safe[0][i..i + win], &safe[1][i..i + win]))
        .fold(1.0, f64::min);
    eprintln!("corr in {rho_in:.4}, width 2 free {rho_free:.4}, floor 0: {rho_safe:.4} (worst 300 ms {worst:.4})");
    assert!(rho_free < -0.5);
    assert!(rho_safe >= -0.05 && worst >= -0.05);
    h.check_invariants(&input);
}

#[test]
fn non_finite_input_does_not_latch() {
    let mut l = noise(4800, 5);
    l[100] = f32::NAN;
    l[200] = f32::INFINITY;
    let input = vec![l, noise(4800, 6)];
    let out = harness(&[("width", 1.5), ("mono_below_hz", 100.0), ("correlation_floor", 0.2)]).render(&input, &[64]);
    assert!(out.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn param_moves_are_smooth_and_block_size_independent() {
    let input = half_correlated(19_200);
    let h = harness(&[("mono_below_hz", 100.0), ("correlation_floor", 0.3)]);
    let changes =
        [(4800, "mono_below_hz", 400.0), (4800, "width", 1.8), (9600, "balance", -0.5), (14_400, "width", 0.2)];
    let a = render_with_changes(&h, &input, 480, &changes);
    let b = render_with_changes(&h, &input, 60, &changes);
    let worst = a.iter().zip(&b).flat_map(|(x, y)| x.iter().zip(y)).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    eprintln!("stereo param moves: blocks 480 vs 60 differ by {worst:e}");
    assert!(worst <= 1e-6);
}

use super::delay_time_ms;
use crate::space::test_util::render_with_changes;
use crate::testing::{NodeHarness, SR, noise, run, sine};
use serde_json::json;

fn harness(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new("space.delay", json!(null), params)
}

fn impulse(n: usize) -> Vec<f32> {
    let mut x = vec![0.0; n];
    x[0] = 1.0;
    x
}

/// Positions and values of samples with |v| > 1e-6.
fn peaks(x: &[f32]) -> Vec<(usize, f32)> {
    x.iter().enumerate().filter(|(_, v)| v.abs() > 1e-6).map(|(i, v)| (i, *v)).collect()
}

#[test]
fn echo_at_time_and_decays_by_feedback() {
    let n = 48_000;
    let h = harness(&[("time_ms", 100.0), ("feedback", 0.5), ("mix", 1.0)]);
    let out = h.render(&[impulse(n), impulse(n)], &[512]);
    let p = peaks(&out[0]);
    eprintln!("delay 100 ms, fb 0.5: first echoes {:?}", &p[..4]);
    assert_eq!(p[0].0, 4800, "first echo at exactly 100 ms");
    for (k, pair) in p.windows(2).take(8).enumerate() {
        assert_eq!(pair[1].0 - pair[0].0, 4800);
        let db = 20.0 * (pair[1].1 / pair[0].1).log10();
        assert!((db - 20.0 * 0.5f32.log10()).abs() < 0.1, "repeat {k}: {db} dB");
    }
    assert_eq!(out[0], out[1]);
    harness(&[("time_ms", 30.0), ("feedback", 0.7), ("lowcut_hz", 200.0), ("highcut_hz", 5000.0)])
        .check_invariants(&[noise(9600, 1), noise(9600, 2)]);
}

#[test]
fn ping_pong_alternates() {
    let n = 30_000;
    let h = harness(&[("time_ms", 100.0), ("feedback", 0.5), ("mix", 1.0), ("ping_pong", 1.0)]);
    let out = h.render(&[impulse(n), impulse(n)], &[512]);
    let (l, r) = (peaks(&out[0]), peaks(&out[1]));
    eprintln!("ping-pong: L {l:?} R {r:?}");
    assert_eq!(l.iter().map(|p| p.0).collect::<Vec<_>>(), vec![4800, 14_400, 24_000]);
    assert_eq!(r.iter().map(|p| p.0).collect::<Vec<_>>(), vec![9600, 19_200, 28_800]);
    assert!((r[0].1 / l[0].1 - 0.5).abs() < 1e-6 && (l[1].1 / r[0].1 - 0.5).abs() < 1e-6);
    harness(&[("ping_pong", 1.0), ("time_ms", 20.0)]).check_invariants(&[noise(9600, 3), noise(9600, 4)]);
}

#[test]
fn tempo_sync_times() {
    assert_eq!(delay_time_ms(1.0, true, 120.0, 3), 250.0);
    assert_eq!(delay_time_ms(1.0, true, 120.0, 5), 750.0);
    assert!((delay_time_ms(1.0, true, 120.0, 7) - 1000.0 / 3.0).abs() < 1e-9);
    assert_eq!(delay_time_ms(1.0, true, 20.0, 0), 4000.0, "clamped to the buffer");
    let n = 40_000;
    for (note, frames) in [(3.0, 12_000), (5.0, 36_000)] {
        let h = harness(&[("sync", 1.0), ("bpm", 120.0), ("note", note), ("feedback", 0.0), ("mix", 1.0)]);
        let out = h.render(&[impulse(n), impulse(n)], &[512]);
        assert_eq!(peaks(&out[0])[0].0, frames);
    }
}

#[test]
fn time_sweep_has_no_clicks() {
    let n = (SR * 4.0) as usize;
    let s = sine(440.0, 0.5, n);
    let own = s.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    let h = harness(&[("time_ms", 100.0), ("feedback", 0.0), ("mix", 1.0)]);
    let (mut engine, mut ex) = h.engine();
    let input = [s.clone(), s];
    let mut out = [Vec::new(), Vec::new()];
    let block = 480;
    for (k, start) in (0..n).step_by(block).enumerate() {
        // Jump the time every 0.3 s: 100 → 700 → 20 → 1500 ms ...
        if k % 30 == 0 && k > 0 {
            let t = [700.0, 20.0, 1500.0, 300.0, 5.0][(k / 30) % 5];
            engine.set_param("node.time_ms", t).unwrap();
        }
        let chunk: Vec<Vec<f32>> = input.iter().map(|c| c[start..start + block].to_vec()).collect();
        let o = run(&mut ex, &chunk, &[block]);
        out[0].extend_from_slice(&o[0]);
        out[1].extend_from_slice(&o[1]);
    }
    let settle = 4800 + 10;
    let worst = out[0][settle..].windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    eprintln!("sweep: largest step {worst:.5} vs sine's own {own:.5} (ratio {:.3})", worst / own);
    assert!(worst <= 1.5 * own);
}

#[test]
fn mix_zero_is_dry_and_nan_does_not_latch() {
    let x = noise(9600, 8);
    let out = harness(&[("mix", 0.0), ("feedback", 0.9)]).render(&[x.clone(), x.clone()], &[512]);
    assert_eq!(out[0], x);
    let mut y = x.clone();
    y[10] = f32::NAN;
    let out = harness(&[("feedback", 0.9), ("time_ms", 10.0)]).render(&[y.clone(), y], &[512]);
    assert!(out.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn param_moves_are_block_size_independent() {
    let input = vec![noise(24_000, 21), noise(24_000, 22)];
    let h = harness(&[("time_ms", 50.0), ("feedback", 0.6), ("lowcut_hz", 100.0)]);
    let changes = [
        (4800, "time_ms", 80.0),
        (4800, "highcut_hz", 3000.0),
        (9600, "lowcut_hz", 20.0),
        (9600, "feedback", 0.3),
        (14_400, "ping_pong", 1.0),
        (19_200, "mix", 0.8),
    ];
    let a = render_with_changes(&h, &input, 480, &changes);
    let b = render_with_changes(&h, &input, 60, &changes);
    let worst = a.iter().zip(&b).flat_map(|(x, y)| x.iter().zip(y)).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    eprintln!("delay param moves: blocks 480 vs 60 differ by {worst:e}");
    assert!(worst <= 1e-6);
    assert!(a.iter().flatten().all(|v| v.is_finite()));
}

use super::*;

/// |H(e^{jω})| in dB of a tap set (ω in radians per sample).
fn magnitude_db(taps: &[f64], w: f64) -> f64 {
    let (re, im) = taps
        .iter()
        .enumerate()
        .fold((0.0, 0.0), |(re, im), (n, h)| (re + h * (w * n as f64).cos(), im - h * (w * n as f64).sin()));
    10.0 * (re * re + im * im).log10()
}

#[test]
fn half_bands_reach_90_db_in_their_stopbands() {
    let (s1, s2) = Oversampler::design_taps();
    for (name, taps, edge) in
        [("stage 1", &s1, PI * 2.0 * PASSBAND_EDGE / 2.0), ("stage 2", &s2, PI * PASSBAND_EDGE / 2.0)]
    {
        let m = taps.len() / 2;
        assert_eq!(m % 2, 1);
        assert_eq!(taps[m], 0.5);
        let stop_start = PI - edge;
        let worst_stop = (0..=2000)
            .map(|k| stop_start + (PI - stop_start) * k as f64 / 2000.0)
            .map(|w| magnitude_db(taps, w))
            .fold(f64::NEG_INFINITY, f64::max);
        let worst_pass =
            (0..=2000).map(|k| edge * k as f64 / 2000.0).map(|w| magnitude_db(taps, w).abs()).fold(0.0, f64::max);
        eprintln!("{name}: {} taps, stopband max {worst_stop:.1} dB, passband ripple {worst_pass:.6} dB", taps.len());
        assert!(worst_stop <= -90.0, "{name}: {worst_stop}");
        assert!(worst_pass < 0.001, "{name}: {worst_pass}");
    }
}

/// Runs `x` through `os` (identity shape) in uneven blocks: 37, 27, then 64s.
fn run(os: &mut Oversampler, x: &[f32]) -> Vec<f32> {
    let mut y = x.to_vec();
    let (first, rest) = y.split_at_mut(37.min(x.len()));
    os.process(first, &mut |_, _| {});
    let (second, rest) = rest.split_at_mut(27.min(rest.len()));
    os.process(second, &mut |_, _| {});
    for block in rest.chunks_mut(64) {
        os.process(block, &mut |_, _| {});
    }
    y
}

#[test]
fn oversized_blocks_equal_small_ones() {
    let x: Vec<f32> = (0..1000).map(|n| ((n * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
    let (mut small, mut big) = (Oversampler::new(Factor::X4, 64), Oversampler::new(Factor::X4, 64));
    let a = run(&mut small, &x);
    let mut b = x.clone();
    big.process(&mut b, &mut |_, v| v.iter_mut().for_each(|s| *s *= 1.0));
    assert_eq!(a, b, "a 1000-frame block through a 64-frame oversampler is split, not truncated");
}

#[test]
fn round_trip_is_a_pure_delay_of_the_reported_latency() {
    for factor in [Factor::X1, Factor::X2, Factor::X4] {
        // Blocks of 64 fed as 37 + 27 + 64 ...: results must not depend on block edges.
        let mut os = Oversampler::new(factor, 64);
        let latency = os.latency_frames();
        let x: Vec<f32> =
            (0..4000).map(|n| (std::f64::consts::TAU * 1000.0 * n as f64 / 48_000.0).sin() as f32).collect();
        let y = run(&mut os, &x);
        let worst = (latency + 200..4000).map(|n| f64::from(y[n] - x[n - latency]).abs()).fold(0.0, f64::max);
        eprintln!("{factor:?}: latency {latency} frames, 1 kHz round-trip error {:.1} dB", 20.0 * worst.log10());
        assert!(worst < 1e-4, "{factor:?}: {worst}");
        os.reset();
        let impulse: Vec<f32> = (0..200).map(|n| if n == 0 { 1.0 } else { 0.0 }).collect();
        let ir: Vec<f64> = run(&mut os, &impulse).into_iter().map(f64::from).collect();
        let peak = ir.iter().enumerate().fold(0, |best, (i, v)| if v.abs() > ir[best].abs() { i } else { best });
        assert_eq!(peak, latency, "{factor:?}");
        // Linear phase rings before the centre: why the harness's "first sample
        // above 1e-6" rule cannot hold for the wet path at 2x and 4x.
        let first = ir.iter().position(|v| v.abs() > 1e-6);
        let pre = ir[..latency].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        eprintln!("{factor:?}: first |h| > 1e-6 at {first:?}, largest pre-ring {pre:.2e}");
        for k in 1..latency {
            assert!((ir[latency - k] - ir[latency + k]).abs() < 1e-7, "{factor:?}: not symmetric at {k}");
        }
    }
}

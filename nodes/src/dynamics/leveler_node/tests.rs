//! Tests of the `dynamics.leveler` node, run through the shared harness and
//! measured with the `ebur128` crate (independent of the node's own meter).

use super::super::leveler::FILL_SPEED_DB_PER_S;
use crate::testing::{NodeHarness, SR, noise, run, sine};
use ebur128::{EbuR128, Mode};
use mixgraph_graph::MeterData;
use serde_json::json;

const TYPE: &str = "dynamics.leveler";

fn stereo(params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new(TYPE, json!({"channels": 2}), params)
}

/// Integrated loudness (LUFS) of `channels[..][range]`, measured with ebur128.
fn loudness(channels: &[Vec<f32>], range: std::ops::Range<usize>) -> f64 {
    let mut m = EbuR128::new(channels.len() as u32, SR as u32, Mode::I).unwrap();
    let planar: Vec<&[f32]> = channels.iter().map(|c| &c[range.clone()]).collect();
    m.add_frames_planar_f32(&planar).unwrap();
    m.loudness_global().unwrap()
}

/// `signal` on both channels, scaled so that it reads `lufs` LUFS as stereo.
fn at_lufs(signal: &[f32], lufs: f64) -> Vec<Vec<f32>> {
    let both = vec![signal.to_vec(), signal.to_vec()];
    let gain = 10f64.powf((lufs - loudness(&both, 0..signal.len())) / 20.0) as f32;
    both.iter().map(|c| c.iter().map(|v| v * gain).collect()).collect()
}

/// Per-sample gain in dB (output / input of channel 0) where the input is not tiny.
fn gains_db(input: &[Vec<f32>], output: &[Vec<f32>]) -> Vec<(usize, f64)> {
    input[0]
        .iter()
        .zip(&output[0])
        .enumerate()
        .filter(|(_, (x, _))| x.abs() > 1e-3)
        .map(|(i, (x, y))| (i, 20.0 * f64::from(y / x).log10()))
        .collect()
}

/// Fastest gain change (dB per frame) in `range`, measured between samples at
/// least 10 ms apart so that the f32 rounding of single samples averages out.
fn max_slew_db(gains: &[(usize, f64)], range: std::ops::Range<usize>) -> f64 {
    let mut picked: Vec<(usize, f64)> = Vec::new();
    for &(i, g) in gains.iter().filter(|(i, _)| range.contains(i)) {
        if picked.last().is_none_or(|(last, _)| i - last >= 480) {
            picked.push((i, g));
        }
    }
    picked.windows(2).map(|w| (w[1].1 - w[0].1).abs() / (w[1].0 - w[0].0) as f64).fold(0.0, f64::max)
}

#[test]
fn stationary_tone_and_noise_at_minus_30_settle_at_minus_18() {
    let n = 8 * 48_000;
    for (name, signal) in [("1 kHz tone", sine(1000.0, 1.0, n)), ("noise", noise(n, 3))] {
        let x = at_lufs(&signal, -30.0);
        let out = stereo(&[]).render(&x, &[512]);
        let settled = loudness(&out, 48_000..n);
        let first_second = loudness(&out, 0..48_000);
        let gains = gains_db(&x, &out);
        let settle_frame = gains.iter().rev().find(|(_, g)| (g - 12.0).abs() > 0.2).map_or(0, |(i, _)| i + 1);
        println!(
            "{name} at -30 LUFS, target -18: {settled:.3} LUFS from 1 s on (first second {first_second:.2}), \
             gain within 0.2 dB of +12 after {:.3} s",
            settle_frame as f64 / SR
        );
        assert!((settled + 18.0).abs() <= 0.2, "{name}: {settled}");
        assert!(settle_frame as f64 / SR <= 1.0, "{name}: settles within 1 s, took {settle_frame} frames");
    }
}

#[test]
fn gain_stays_within_max_boost_and_max_cut() {
    let n = 6 * 48_000;
    let quiet = at_lufs(&noise(n, 5), -45.0);
    let loud = at_lufs(&noise(n, 6), -2.0);
    for (x, params, bound) in [
        (&quiet, vec![], 12.0f64),
        (&loud, vec![], -12.0),
        (&quiet, vec![("max_boost_db", 24.0)], 24.0),
        (&quiet, vec![("max_boost_db", 6.0), ("target_lufs", -10.0)], 6.0),
        (&loud, vec![("max_cut_db", 3.0), ("target_lufs", -30.0)], -3.0),
    ] {
        let out = stereo(&params).render(x, &[512]);
        let gains = gains_db(x, &out);
        let (lo, hi) = gains.iter().fold((f64::MAX, f64::MIN), |(lo, hi), (_, g)| (lo.min(*g), hi.max(*g)));
        let last = gains.last().map_or(0.0, |g| g.1);
        println!("{params:?}: gain {lo:+.3} .. {hi:+.3} dB, ends at {last:+.3} (limit {bound:+})");
        assert!(lo >= bound.min(0.0) - 1e-3 && hi <= bound.max(0.0) + 1e-3, "{params:?}: {lo}..{hi}");
        assert!((last - bound).abs() < 1e-3, "{params:?}: ends at the limit, {last}");
    }
    // -45 LUFS wants +27 dB: with max_boost 24 the output reads -21 LUFS.
    let out = stereo(&[("max_boost_db", 24.0)]).render(&quiet, &[512]);
    let read = loudness(&out, 2 * 48_000..n);
    assert!((read + 21.0).abs() < 0.2, "{read}");
}

#[test]
fn gain_holds_through_silence_and_below_the_gate() {
    // 5 s of noise at -30 LUFS, 4 s of silence with a -60 LUFS hiss (below the
    // -50 gate: room noise, breaths), then the noise again.
    let seg = 5 * 48_000;
    let hiss = 4 * 48_000;
    let loud = at_lufs(&noise(seg, 7), -30.0);
    let soft = at_lufs(&noise(hiss, 8), -60.0);
    let x: Vec<Vec<f32>> =
        (0..2).map(|c| [loud[c].as_slice(), soft[c].as_slice(), loud[c].as_slice()].concat()).collect();
    let out = stereo(&[]).render(&x, &[512]);
    let gains = gains_db(&x, &out);
    let at = |frame: usize| gains.iter().find(|(i, _)| *i >= frame).map_or(f64::NAN, |g| g.1);
    let before = at(seg - 1);
    let in_hiss = gains.iter().filter(|(i, _)| (seg..seg + hiss).contains(i)).map(|g| g.1);
    let (lo, hi) = in_hiss.fold((f64::MAX, f64::MIN), |(lo, hi), g| (lo.min(g), hi.max(g)));
    let after = at(seg + hiss);
    let resumed = loudness(&out, seg + hiss..seg + hiss + 48_000);
    println!(
        "hold: gain {before:+.3} dB before the pause, {lo:+.3} .. {hi:+.3} during it, {after:+.3} after; \
         first second after reads {resumed:.3} LUFS"
    );
    // At most one 100 ms block of movement at 3 dB/s before the gate closes.
    assert!((before - 12.0).abs() < 0.05, "{before}");
    assert!(lo >= before - 0.31 && hi <= before + 0.31, "held: {lo}..{hi}");
    assert!((resumed + 18.0).abs() < 0.4, "no surge after the pause: {resumed}");
}

#[test]
fn slew_never_exceeds_the_speed() {
    // Settle at -30 LUFS, then step to -20 LUFS: the gain falls 10 dB at 3 dB/s.
    let seg = 6 * 48_000;
    let a = at_lufs(&noise(seg, 9), -30.0);
    let b = at_lufs(&noise(seg, 10), -20.0);
    let x: Vec<Vec<f32>> = (0..2).map(|c| [a[c].as_slice(), b[c].as_slice()].concat()).collect();
    for speed in [3.0f32, 1.0, 10.0] {
        let out = stereo(&[("speed_db_per_s", speed)]).render(&x, &[512]);
        let gains = gains_db(&x, &out);
        let fill = max_slew_db(&gains, 0..3 * 48_000) * SR;
        let steady = max_slew_db(&gains, 3 * 48_000..2 * seg) * SR;
        let at = |frame: usize| gains.iter().find(|(i, _)| *i >= frame).map_or(f64::NAN, |g| g.1);
        let one_second_after = at(seg) - at(seg + 48_000);
        println!(
            "speed {speed} dB/s: fastest {fill:.3} dB/s while filling, {steady:.3} dB/s after; \
             moved {one_second_after:.3} dB in the second after the step"
        );
        let fill_limit = f64::from(speed).max(FILL_SPEED_DB_PER_S);
        assert!(fill <= fill_limit * 1.001, "{fill}");
        assert!(steady <= f64::from(speed) * 1.001, "{steady}");
        assert!(one_second_after <= f64::from(speed) + 0.05, "{one_second_after}");
        if speed <= 3.0 {
            // Slow speeds are the limit: the wanted gain runs ahead of them.
            assert!(one_second_after >= 0.85 * f64::from(speed), "moves at its speed: {one_second_after}");
        }
    }
}

#[test]
fn meter_publishes_the_gain_with_its_sign() {
    let n = 4 * 48_000;
    for (lufs, want) in [(-30.0, 12.0), (-10.0, -8.0)] {
        let x = at_lufs(&noise(n, 11), lufs);
        let h = stereo(&[]);
        let (engine, mut ex) = h.engine();
        run(&mut ex, &x, &[512]);
        let frame = engine.telemetry().latest("node.gain").expect("published");
        let MeterData::Gain { db } = frame.data else { panic!("meter kind") };
        println!("meter at {lufs} LUFS: gain {db:+.3} dB after {} frames", frame.seq);
        assert_eq!(frame.seq, 120, "30 meter frames per second");
        assert!((f64::from(db) - want).abs() < 0.1, "{db}");
    }
}

#[test]
fn latency_is_zero_and_invariants_hold() {
    let h = stereo(&[]);
    let (engine, _) = h.engine();
    assert_eq!(engine.report().latency_frames, 0);
    h.check_invariants(&[noise(9600, 1), noise(9600, 2)]);
    let mono = NodeHarness::new(TYPE, json!({"channels": 1}), &[("speed_db_per_s", 24.0), ("max_boost_db", 24.0)]);
    mono.check_invariants(&[sine(440.0, 0.01, 24_000)]);
    stereo(&[("gate_lufs", -20.0), ("target_lufs", 0.0), ("max_cut_db", 0.0)])
        .check_invariants(&[sine(100.0, 1.0, 9600), noise(9600, 3)]);
}

use crate::eq::biquad::{BiquadCoefs, FilterKind};
use crate::eq::parametric::butterworth_q;
use crate::testing::{NodeHarness, SR, noise, run};
use mixgraph_graph::Node;
use serde_json::json;
use std::f32::consts::FRAC_1_SQRT_2;

const TYPE_ID: &str = "eq.parametric";
/// Below this a level is too close to the f32 rendering's noise floor
/// (about −140 dB) to be measured to 0.1 dB by a DFT.
const MEASURABLE_DB: f64 = -90.0;

fn node(channels: usize) -> Box<dyn Node> {
    crate::registry().create(TYPE_ID, &json!({ "channels": channels })).unwrap()
}

fn harness(channels: usize, params: &[(&str, f32)]) -> NodeHarness {
    NodeHarness::new(TYPE_ID, json!({ "channels": channels }), params)
}

/// The full parameter array: defaults with `params` applied.
fn values(params: &[(&str, f32)]) -> Vec<f32> {
    let info = node(1).info();
    let mut v: Vec<f32> = info.params.iter().map(|p| p.default).collect();
    for (id, value) in params {
        v[info.param_index(id).unwrap().0 as usize] = *value;
    }
    v
}

/// |DFT| of `x` at `hz`, in dB.
fn dft_db(x: &[f32], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / SR;
    let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, v)| {
        (re + *v as f64 * (w * n as f64).cos(), im - *v as f64 * (w * n as f64).sin())
    });
    10.0 * (re * re + im * im).log10()
}

/// One second of impulse response of a mono EQ, rendered through the harness.
fn impulse_response(params: &[(&str, f32)]) -> Vec<f32> {
    let mut impulse = vec![0.0; 48_000];
    impulse[0] = 1.0;
    harness(1, params).render(&[impulse], &[512]).remove(0)
}

fn response_db(params: &[(&str, f32)], hz: f64) -> f64 {
    let (re, im) = node(1).response(&values(params), SR, hz).unwrap();
    20.0 * re.hypot(im).log10()
}

/// Checks measured (DFT of the impulse response) against `response()` and
/// `response()` against `expected(hz)`, at `freqs`; returns the worst
/// measured-vs-response and response-vs-expected errors in dB.
fn check_band(label: &str, params: &[(&str, f32)], freqs: &[f64], expected: impl Fn(f64) -> f64) -> (f64, f64) {
    let ir = impulse_response(params);
    let (mut worst_measured, mut worst_expected) = (0.0f64, 0.0f64);
    for &hz in freqs {
        let want = expected(hz);
        let curve = response_db(params, hz);
        let measured = dft_db(&ir, hz);
        if want < MEASURABLE_DB {
            assert!(curve < MEASURABLE_DB && measured < -80.0, "{label} at {hz}: {measured:.2} / {curve:.2} dB");
            continue;
        }
        let (em, ee) = ((measured - curve).abs(), (curve - want).abs());
        assert!(em <= 0.1, "{label} at {hz} Hz: measured {measured:.3} dB, response() {curve:.3} dB");
        assert!(ee <= 0.1, "{label} at {hz} Hz: response() {curve:.3} dB, expected {want:.3} dB");
        worst_measured = worst_measured.max(em);
        worst_expected = worst_expected.max(ee);
    }
    println!("{label}: measured vs response() {worst_measured:.2e} dB, response() vs expected {worst_expected:.2e} dB");
    (worst_measured, worst_expected)
}

const FREQS: [f64; 11] = [31.0, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16_000.0, 20_000.0];

#[test]
fn single_section_bands_match_the_cookbook() {
    // (label, type index, freq, gain, q, cookbook kind, output gain)
    let cases = [
        ("bell +6 dB 1 kHz Q1", 0.0, 1000.0, 6.0, 1.0, FilterKind::Peak, 0.0),
        ("low shelf +6 dB 200 Hz", 1.0, 200.0, 6.0, FRAC_1_SQRT_2, FilterKind::LowShelf, 0.0),
        ("high shelf -6 dB 5 kHz", 2.0, 5000.0, -6.0, FRAC_1_SQRT_2, FilterKind::HighShelf, 0.0),
        ("notch 1 kHz Q2", 5.0, 1000.0, 0.0, 2.0, FilterKind::Notch, 0.0),
        ("band pass 1 kHz Q2", 6.0, 1000.0, 0.0, 2.0, FilterKind::BandPass, 0.0),
        ("bell -9 dB 3 kHz Q4, output +3 dB", 0.0, 3000.0, -9.0, 4.0, FilterKind::Peak, 3.0),
    ];
    for (label, kind, f, g, q, filter, out_db) in cases {
        let params = [
            ("band1_on", 1.0),
            ("band1_type", kind),
            ("band1_freq_hz", f),
            ("band1_gain_db", g),
            ("band1_q", q),
            ("output_gain_db", out_db),
        ];
        let section = BiquadCoefs::design(filter, SR, f as f64, q as f64, g as f64);
        check_band(label, &params, &FREQS, |hz| section.magnitude_db(SR, hz) + out_db as f64);
    }
    let bell =
        response_db(&[("band1_on", 1.0), ("band1_gain_db", 6.0), ("band1_freq_hz", 1000.0), ("band1_q", 1.0)], 1000.0);
    println!("bell at its centre: {bell:.4} dB");
    assert!((bell - 6.0).abs() < 0.01);
    let notch = response_db(&[("band1_on", 1.0), ("band1_type", 5.0), ("band1_freq_hz", 1000.0)], 1000.0);
    assert!(notch < -100.0, "notch centre {notch} dB");
}

#[test]
fn cut_slopes_are_butterworth() {
    for (s, slope_db) in [12.0, 24.0, 36.0, 48.0].into_iter().enumerate() {
        let order = (s + 1) * 2;
        // Low cut at 1 kHz, measured below; high cut at 100 Hz, measured above
        // (far from Nyquist, where the bilinear transform would steepen it).
        for (type_index, corner, octave_sign, filter) in
            [(3.0, 1000.0, -1.0, FilterKind::HighPass), (4.0, 100.0, 1.0, FilterKind::LowPass)]
        {
            let label =
                format!("{} {slope_db} dB/oct at {corner} Hz", if type_index == 3.0 { "low cut" } else { "high cut" });
            let params = [
                ("band1_on", 1.0),
                ("band1_type", type_index),
                ("band1_freq_hz", corner as f32),
                ("band1_slope", s as f32),
                ("band1_q", 5.0), // ignored by cuts
            ];
            let sections: Vec<BiquadCoefs> = (1..=order / 2)
                .map(|k| BiquadCoefs::design(filter, SR, corner, butterworth_q(order, k), 0.0))
                .collect();
            let expected = |hz: f64| sections.iter().map(|c| c.magnitude_db(SR, hz)).sum::<f64>();
            let freqs: Vec<f64> = (-4..=4).map(|k| corner * 2f64.powi(k)).collect();
            check_band(&label, &params, &freqs, expected);

            let at_corner = response_db(&params, corner);
            let measured_corner = dft_db(&impulse_response(&params), corner);
            let two = corner * 4f64.powf(octave_sign);
            let four = corner * 16f64.powf(octave_sign);
            let slope = (response_db(&params, two) - response_db(&params, four)) / 2.0;
            println!("{label}: corner {at_corner:.4} dB (measured {measured_corner:.4}), slope {slope:.3} dB/oct");
            assert!((at_corner + 3.0103).abs() < 0.01 && (measured_corner + 3.0103).abs() < 0.1, "{label}");
            assert!((slope - slope_db).abs() < 0.5, "{label}: slope {slope}");
        }
    }
}

#[test]
fn mid_and_side_bands_leave_the_other_signal_alone() {
    let x = noise(9600, 7);
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    let band = |placement: f32| {
        vec![
            ("band1_on", 1.0),
            ("band1_freq_hz", 1000.0),
            ("band1_gain_db", 12.0),
            ("band1_q", 1.0),
            ("band1_placement", placement),
            ("band2_on", 1.0),
            ("band2_type", 4.0),
            ("band2_freq_hz", 3000.0),
            ("band2_slope", 1.0),
            ("band2_placement", placement),
        ]
    };
    let filtered = harness(1, &band(0.0)).render(std::slice::from_ref(&x), &[512]).remove(0);
    let diff = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
    let mut worst = 0.0f32;
    for (placement, name) in [(1.0, "mid"), (2.0, "side")] {
        let h = harness(2, &band(placement));
        let same = h.render(&[x.clone(), x.clone()], &[512]);
        let opposite = h.render(&[x.clone(), neg.clone()], &[512]);
        // L = R is pure mid, L = -R pure side.
        let (touched, untouched, untouched_in) =
            if name == "mid" { (&same, &opposite, [&x, &neg]) } else { (&opposite, &same, [&x, &x]) };
        for (out, input) in untouched.iter().zip(untouched_in) {
            let d = diff(out, input);
            worst = worst.max(d);
            assert!(d <= 1e-6, "{name} band changed the other signal by {d}");
        }
        let d = diff(&touched[0], &filtered);
        assert!(d <= 1e-5, "{name} band on its own signal differs from the stereo band by {d}");
        assert!(diff(&touched[0], &x) > 0.1, "{name} band did nothing");
        h.check_invariants(&[x.clone(), noise(9600, 8)]);
    }
    // Mono input treats mid/side as stereo.
    let mono = harness(1, &band(1.0)).render(std::slice::from_ref(&x), &[512]).remove(0);
    assert_eq!(mono, filtered);
    println!("mid/side: untouched signal changed by at most {worst:e}");
}

/// Renders `x` while automating `band1_freq_hz` geometrically from 100 Hz to
/// 5 kHz over 0.5 s (one change per 256-frame block), after 0.1 s at 100 Hz.
fn sweep(params: &[(&str, f32)], x: &[f32]) -> Vec<f32> {
    let h = harness(1, params);
    let (mut engine, mut ex) = h.engine();
    let mut out = Vec::with_capacity(x.len());
    let steps = 94; // 94 × 256 ≈ 0.5 s
    for (i, block) in x.chunks(256).enumerate() {
        if (19..19 + steps).contains(&i) {
            let t = (i - 19 + 1) as f32 / steps as f32;
            engine.set_param("node.band1_freq_hz", 100.0 * 50f32.powf(t)).unwrap();
        }
        out.extend(run(&mut ex, &[block.to_vec()], &[256]).remove(0));
    }
    out
}

#[test]
fn a_frequency_sweep_does_not_zipper_and_lands_on_target() {
    let x = noise(48_000, 11);
    // Zipper shows as spikes in the second difference of a smooth tone; a 200 Hz
    // sine at 0.5 has a largest second difference of 0.5·(2π·200/48000)² ≈ 3.4e-4.
    let tone: Vec<f32> =
        (0..48_000).map(|i| 0.5 * (std::f32::consts::TAU * 200.0 * i as f32 / 48_000.0).sin()).collect();
    let curvature = |v: &[f32]| v.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()).fold(0.0f32, f32::max);
    let tone_curvature = curvature(&tone);
    let bands: [(&str, Vec<(&str, f32)>); 2] = [
        ("high cut 24 dB/oct", vec![("band1_on", 1.0), ("band1_type", 4.0), ("band1_slope", 1.0)]),
        ("bell -12 dB Q2", vec![("band1_on", 1.0), ("band1_gain_db", -12.0), ("band1_q", 2.0)]),
    ];
    for (label, mut params) in bands {
        params.push(("band1_freq_hz", 100.0));
        let swept_tone = sweep(&params, &tone);
        // Skip the filter's start-up transient before the sweep begins.
        let step = curvature(&swept_tone[4_800..]);
        let out = sweep(&params, &x);
        let last = params.len() - 1;
        params[last] = ("band1_freq_hz", 5000.0);
        let reference = harness(1, &params).render(std::slice::from_ref(&x), &[256]).remove(0);
        // The last change is at frame 113 × 256 ≈ 28_900; settled after +20 ms and the ring-down.
        let worst = out[36_000..].iter().zip(&reference[36_000..]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        println!(
            "{label}: largest second difference {step:.2e} (tone {tone_curvature:.2e}), settled difference {worst:e}"
        );
        assert!(out.iter().all(|v| v.is_finite()));
        // Coefficients glide sample by sample: the swept tone is as smooth as
        // the tone itself (the 16-frame staircase this replaced reached 3×).
        assert!(step <= tone_curvature * 1.1, "{label}: second difference {step} vs the tone's {tone_curvature}");
        assert!(worst < 1e-4, "{label}: settled sweep differs by {worst}");
    }
}

fn all_bands_on() -> Vec<(&'static str, f32)> {
    vec![
        ("band1_on", 1.0),
        ("band1_type", 3.0), // low cut 48 dB/oct
        ("band1_slope", 3.0),
        ("band2_on", 1.0),
        ("band2_type", 1.0), // low shelf +4
        ("band2_gain_db", 4.0),
        ("band2_placement", 1.0),
        ("band3_on", 1.0), // bell -6, Q 3, side
        ("band3_gain_db", -6.0),
        ("band3_q", 3.0),
        ("band3_placement", 2.0),
        ("band4_on", 1.0),
        ("band4_type", 5.0), // notch
        ("band4_q", 8.0),
        ("band5_on", 1.0), // bell +9
        ("band5_gain_db", 9.0),
        ("band6_on", 1.0),
        ("band6_type", 6.0), // band pass, wide
        ("band6_q", 0.3),
        ("band7_on", 1.0),
        ("band7_type", 2.0), // high shelf -3, mid
        ("band7_gain_db", -3.0),
        ("band7_placement", 1.0),
        ("band8_on", 1.0),
        ("band8_type", 4.0), // high cut 36 dB/oct
        ("band8_slope", 2.0),
        ("output_gain_db", -2.0),
    ]
}

#[test]
fn invariants_hold_for_several_configurations() {
    let params = all_bands_on();
    harness(2, &params).check_invariants(&[noise(4800, 1), noise(4800, 2)]);
    harness(1, &params).check_invariants(&[noise(4800, 3)]);
    harness(2, &[]).check_invariants(&[noise(4800, 4), noise(4800, 5)]);
    harness(1, &[("band1_on", 1.0), ("band1_gain_db", 24.0), ("band1_q", 24.0), ("band1_freq_hz", 24_000.0)])
        .check_invariants(&[noise(4800, 6)]);
    // The whole-EQ curve is the product of the bands: check it against the measurement too.
    let ir = impulse_response(&params);
    let worst = FREQS
        .iter()
        .filter(|hz| response_db(&params, **hz) > MEASURABLE_DB)
        .map(|hz| (dft_db(&ir, *hz) - response_db(&params, *hz)).abs())
        .fold(0.0f64, f64::max);
    println!("all bands on: measured vs response() {worst:.2e} dB");
    assert!(worst < 0.1);
}

#[test]
fn switching_bands_and_extreme_values_stay_finite() {
    let h = harness(2, &all_bands_on());
    let (mut engine, mut ex) = h.engine();
    let x = [noise(512, 9), noise(512, 10)];
    for (i, (id, value)) in [
        ("band1_type", 4.0),
        ("band1_slope", 0.0),
        ("band3_on", 0.0),
        ("band3_freq_hz", 10.0),
        ("band3_on", 1.0),
        ("band5_q", 0.1),
        ("band5_freq_hz", 24_000.0),
        ("band7_placement", 2.0),
        ("output_gain_db", 24.0),
    ]
    .into_iter()
    .enumerate()
    {
        engine.set_param(&format!("node.{id}"), value).unwrap();
        let out = run(&mut ex, &x, &[64 + i]);
        assert!(out.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()), "after {id} = {value}");
    }
}

#[test]
fn bands_run_together_equal_the_bands_one_after_another() {
    // Stereo, mid and side bands interleaved: the stereo ones run as shared
    // cascades (up to four sections), the others alone, in band order.
    let all = all_bands_on();
    let input = [noise(24_000, 11), noise(24_000, 12)];
    let together = harness(2, &all).render(&input, &[512, 100]);
    let mut one_by_one = input.to_vec();
    for band in 1..=8 {
        let prefix = format!("band{band}_");
        let params: Vec<(&str, f32)> = all
            .iter()
            .filter(|(id, _)| id.starts_with(&prefix) || (band == 8 && *id == "output_gain_db"))
            .copied()
            .collect();
        one_by_one = harness(2, &params).render(&one_by_one, &[512, 100]);
    }
    let peak = one_by_one.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst =
        together.iter().flatten().zip(one_by_one.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    // They differ only by f32 rounding between bands, far below the signal.
    assert!(peak > 0.1, "peak {peak}");
    assert!(worst < 1e-5 * peak, "worst difference {worst} (peak {peak})");
}

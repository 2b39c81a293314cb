//! Split-band de-esser kernel. Plain math with no engine types; the
//! `dynamics.deesser` node wraps it.
//!
//! **Split.** A 4th-order Linkwitz–Riley crossover at `freq_hz`: each band is
//! two cascaded RBJ-cookbook Butterworth sections (Q = 1/√2) of the same kind
//! (S. Linkwitz, "Active Crossover Networks for Noncoincident Drivers", *J.
//! Audio Eng. Soc.* 24(1), 1976; R. Bristow-Johnson, "Audio EQ Cookbook"). With
//! `B(s) = s² + √2 s + 1` the bands are `L = 1/B²` and `H = s⁴/B²`, so
//!
//! ```text
//! L + H = (1 + s⁴) / B(s)² = (s² − √2 s + 1)(s² + √2 s + 1) / B(s)² = B(−s) / B(s)
//! ```
//!
//! an all-pass: the recombined bands have a flat magnitude (the phase turns by
//! 360° around `freq_hz`). The bilinear transform maps an all-pass to an
//! all-pass, so the digital sum is flat too; [`Crossover::sum_response`] shows
//! it to rounding error and the node tests measure it. LR4 is chosen over the
//! `x − highpass(x)` complement because the complement's high band keeps the
//! high-pass's phase far above the corner (67° at 1.33 × `freq_hz`), so a gain
//! on it reduces sibilance much less than `range_db`; the LR4 bands are in
//! phase and the reduction reaches the full range an octave above the split.
//!
//! **Detection.** The high band (the same LR4 high-pass) of every channel;
//! stereo-linked peak level held 1–2 ms ([`PeakHold`], shared with the gate);
//! the compressor's gain computer ([`GainComputer`], Giannoulis, Massberg and
//! Reiss, *JAES* 60(6), 2012) with ratio ∞ and a hard knee, so the reduction is
//! the overshoot above `threshold_db`, limited to `range_db`; then the
//! compressor's branching attack/release envelope on the reduction in dB.
//!
//! **Output.** `split`: `low + g·high`; `wide`: `g·x`; `listen`: `high` alone.

use super::block_passes::{CHUNK, branch_block, levels_to_db, reductions_to_gains, sanitize_into};
use super::compressor::{GainComputer, MAX_CHANNELS, time_coef};
use super::gate::PeakHold;
use crate::eq::biquad::{BiquadCoefs, FilterKind, PairSection, QuadCoefs, QuadSection};
use crate::fast_math::larger;
use crate::mul_add::target_mul_add;
use std::f64::consts::FRAC_1_SQRT_2;

/// Where the reduction applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the band above `freq_hz` (LR4 split) is reduced.
    Split,
    /// The whole signal is reduced while sibilance is detected.
    Wide,
}

impl Mode {
    /// Stable names, in parameter-value order.
    pub const NAMES: [&'static str; 2] = ["split", "wide"];

    /// The mode for a parameter value (0 = split, 1 = wide).
    pub fn from_index(value: f32) -> Self {
        if value >= 0.5 { Mode::Wide } else { Mode::Split }
    }
}

/// 4th-order Linkwitz–Riley crossover coefficients (two identical Butterworth
/// sections per band).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossover {
    /// Low-band section (applied twice).
    pub low: BiquadCoefs,
    /// High-band section (applied twice).
    pub high: BiquadCoefs,
}

impl Crossover {
    /// The crossover at `freq_hz`.
    pub fn new(freq_hz: f64, sample_rate: f64) -> Self {
        Crossover {
            low: BiquadCoefs::design(FilterKind::LowPass, sample_rate, freq_hz, FRAC_1_SQRT_2, 0.0),
            high: BiquadCoefs::design(FilterKind::HighPass, sample_rate, freq_hz, FRAC_1_SQRT_2, 0.0),
        }
    }

    /// Complex response `(re, im)` of `low + gain·high` at `hz`.
    pub fn sum_response(&self, sample_rate: f64, hz: f64, gain: f64) -> (f64, f64) {
        let sq = |(re, im): (f64, f64)| (re * re - im * im, 2.0 * re * im);
        let (l, h) = (sq(self.low.response(sample_rate, hz)), sq(self.high.response(sample_rate, hz)));
        (l.0 + gain * h.0, l.1 + gain * h.1)
    }
}

/// The de-esser's settings, all plain values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeesserSettings {
    /// Split frequency, Hz (2000..16000, default 6000).
    pub freq_hz: f64,
    /// Split or wide-band reduction.
    pub mode: Mode,
    /// Detector threshold on the high band, dBFS (−60..0, default −30).
    pub threshold_db: f64,
    /// Maximum reduction, dB (0..24, default 8).
    pub range_db: f64,
    /// Attack time constant, ms (0.1..20, default 1).
    pub attack_ms: f64,
    /// Release time constant, ms (10..500, default 60).
    pub release_ms: f64,
    /// Output the detection band only.
    pub listen: bool,
}

impl Default for DeesserSettings {
    fn default() -> Self {
        DeesserSettings {
            freq_hz: 6000.0,
            mode: Mode::Split,
            threshold_db: -30.0,
            range_db: 8.0,
            attack_ms: 1.0,
            release_ms: 60.0,
            listen: false,
        }
    }
}

impl DeesserSettings {
    /// Static reduction (dB, ≥ 0) for a high-band level in dB: the overshoot
    /// above the threshold (ratio ∞), at most `range_db`.
    pub fn reduction_db(&self, level_db: f64) -> f64 {
        let curve = GainComputer { threshold_db: self.threshold_db, ratio: f64::INFINITY, knee_db: 0.0 };
        curve.reduction_db(level_db).min(self.range_db.max(0.0))
    }
}

/// Filter, detector and envelope state of a 1- or 2-channel linked de-esser.
#[derive(Clone, Debug)]
pub struct Deesser {
    settings: DeesserSettings,
    sample_rate: f64,
    channels: usize,
    attack: f64,
    release: f64,
    crossover: Crossover,
    /// The two cascaded sections of each band, both channels per section.
    low: [PairSection; 2],
    high: [PairSection; 2],
    peak: PeakHold,
    envelope: f64,
}

impl Deesser {
    /// A de-esser for `channels` (clamped to 1..=[`MAX_CHANNELS`]) at `sample_rate`.
    pub fn new(settings: DeesserSettings, sample_rate: f64, channels: usize) -> Self {
        let mut d = Deesser {
            settings,
            sample_rate,
            channels: channels.clamp(1, MAX_CHANNELS),
            attack: 0.0,
            release: 0.0,
            crossover: Crossover::new(settings.freq_hz, sample_rate),
            low: Default::default(),
            high: Default::default(),
            peak: PeakHold::new(sample_rate),
            envelope: 0.0,
        };
        d.set_settings(settings);
        d
    }

    /// Current settings.
    pub fn settings(&self) -> &DeesserSettings {
        &self.settings
    }

    /// Changes settings, keeping the state (a new split frequency keeps the
    /// filter memory, as the EQ nodes do). Real-time safe.
    pub fn set_settings(&mut self, settings: DeesserSettings) {
        if settings.freq_hz != self.settings.freq_hz {
            self.crossover = Crossover::new(settings.freq_hz, self.sample_rate);
        }
        self.settings = settings;
        self.attack = time_coef(settings.attack_ms, self.sample_rate);
        self.release = time_coef(settings.release_ms, self.sample_rate);
    }

    /// Clears filters, detector and envelope.
    pub fn reset(&mut self) {
        self.low = Default::default();
        self.high = Default::default();
        self.peak.reset();
        self.envelope = 0.0;
    }

    /// Processes one frame (missing channels read as silence); returns the
    /// output frame and the smoothed gain reduction in dB (≥ 0). The same
    /// computation as [`Deesser::process_block`] on a one-frame block.
    pub fn tick(&mut self, x: [f32; MAX_CHANNELS]) -> ([f32; MAX_CHANNELS], f64) {
        let (mut y0, mut y1, mut reduction) = ([0.0f32], [0.0f32], [0.0f32]);
        self.process_block([&[x[0]], &[x[1]]], [&mut y0, &mut y1], &mut reduction);
        ([y0[0], y1[0]], f64::from(reduction[0]))
    }

    /// Processes a block: `output[ch][i]` for `input[ch][i]` (a missing or
    /// short channel reads as silence), and the smoothed gain reduction of
    /// each frame in dB (≥ 0) into `reduction[i]`. Runs in chunks of
    /// `CHUNK` frames as block passes (see `block_passes`). Real-time safe.
    pub fn process_block(
        &mut self,
        input: [&[f32]; MAX_CHANNELS],
        output: [&mut [f32]; MAX_CHANNELS],
        reduction: &mut [f32],
    ) {
        let [out0, out1] = output;
        let frames = reduction.len().min(out0.len());
        let mut start = 0;
        while start < frames {
            let end = (start + CHUNK).min(frames);
            let out = [&mut out0[start..end], out1.get_mut(start..end).unwrap_or(&mut [])];
            let input = [window(input[0], start, end), window(input[1], start, end)];
            self.process_chunk(input, out, &mut reduction[start..end]);
            start = end;
        }
    }

    /// [`Deesser::process_block`] on at most `CHUNK` frames: the crossover
    /// (both channels as paired f64 sections) into stack buffers, then peak
    /// hold, dB, curve, envelope and gain as separate passes.
    fn process_chunk(
        &mut self,
        input: [&[f32]; MAX_CHANNELS],
        output: [&mut [f32]; MAX_CHANNELS],
        reduction: &mut [f32],
    ) {
        let n = reduction.len().min(CHUNK);
        let stereo = self.channels > 1;
        let mut x = [[0.0f32; CHUNK]; MAX_CHANNELS];
        sanitize_into(input[0], &mut x[0][..n]);
        if stereo {
            sanitize_into(input[1], &mut x[1][..n]);
        }
        let mut lo = [[0.0f32; CHUNK]; MAX_CHANNELS];
        let mut hi = [[0.0f32; CHUNK]; MAX_CHANNELS];
        let coefs = QuadCoefs::pair(&self.crossover.low, &self.crossover.high);
        let ([l0, l1], [h0, h1]) = (&mut self.low, &mut self.high);
        let mut sections = [QuadSection::gather(l0, h0), QuadSection::gather(l1, h1)];
        split_chunk(&mut sections, &coefs, &x, &mut lo, &mut hi, n);
        for section in &mut sections {
            section.flush();
        }
        sections[0].scatter(l0, h0);
        sections[1].scatter(l1, h1);

        let reduction = &mut reduction[..n];
        for (i, r) in reduction.iter_mut().enumerate() {
            // The mono kernel's second lane filters silence, so it never wins.
            *r = larger(hi[0][i].abs(), hi[1][i].abs());
        }
        self.peak.hold_block(reduction);
        levels_to_db(reduction);
        // The de-esser's curve: ratio ∞ above the threshold, limited to the range.
        let (threshold, range) = (self.settings.threshold_db as f32, self.settings.range_db.max(0.0) as f32);
        for r in reduction.iter_mut() {
            *r = (*r - threshold).clamp(0.0, range);
        }
        branch_block(&mut self.envelope, reduction, self.attack, self.release);
        let mut gain = [0.0f32; CHUNK];
        gain[..n].copy_from_slice(reduction);
        reductions_to_gains(&mut gain[..n]);

        let (listen, mode) = (self.settings.listen, self.settings.mode);
        for (ch, out) in output.into_iter().enumerate() {
            let len = n.min(out.len());
            let out = &mut out[..len];
            let (lo, hi, x) = (&lo[ch][..out.len()], &hi[ch][..out.len()], &x[ch][..out.len()]);
            match (listen, mode) {
                (true, _) => out.copy_from_slice(hi),
                (false, Mode::Split) => {
                    for (((y, l), h), g) in out.iter_mut().zip(lo).zip(hi).zip(&gain) {
                        *y = l + g * h;
                    }
                }
                (false, Mode::Wide) => {
                    for ((y, x), g) in out.iter_mut().zip(x).zip(&gain) {
                        *y = g * x;
                    }
                }
            }
        }
    }
}

/// `d[start..end]`, cut short (or empty) where `d` is shorter.
fn window(d: &[f32], start: usize, end: usize) -> &[f32] {
    d.get(start..end.min(d.len())).unwrap_or(&[])
}

/// The de-esser's LR4 split of one chunk: low and high halves of both
/// channels as one four-lane cascade (`[low L, low R, high L, high R]`),
/// compiled for AVX2/FMA and AVX as well as the baseline and picked at run
/// time.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn split_chunk(
    sections: &mut [QuadSection; 2],
    coefs: &QuadCoefs,
    x: &[[f32; CHUNK]; MAX_CHANNELS],
    lo: &mut [[f32; CHUNK]; MAX_CHANNELS],
    hi: &mut [[f32; CHUNK]; MAX_CHANNELS],
    n: usize,
) {
    let m = target_mul_add!();
    let mut local = *sections;
    for i in 0..n.min(CHUNK) {
        let (a, b) = (f64::from(x[0][i]), f64::from(x[1][i]));
        let y = QuadSection::twice(&mut local, m, coefs, [a, b, a, b]);
        (lo[0][i], lo[1][i]) = (y[0] as f32, y[1] as f32);
        (hi[0][i], hi[1][i]) = (y[2] as f32, y[3] as f32);
    }
    *sections = local;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn lr4_bands_sum_to_a_flat_magnitude() {
        for freq in [2000.0, 6000.0, 16_000.0] {
            let c = Crossover::new(freq, SR);
            let mut worst = 0.0f64;
            for k in 0..=200 {
                let hz = 20.0 * 1000f64.powf(k as f64 / 200.0);
                let (re, im) = c.sum_response(SR, hz, 1.0);
                worst = worst.max((20.0 * re.hypot(im).log10()).abs());
            }
            println!("LR4 at {freq} Hz: |low + high| worst deviation {worst:.2e} dB over 20 Hz–20 kHz");
            assert!(worst < 1e-9, "{freq} Hz: {worst} dB");
        }
    }

    #[test]
    fn full_range_is_reached_an_octave_above_the_split() {
        let c = Crossover::new(3000.0, SR);
        let g = 10f64.powf(-8.0 / 20.0);
        let (re, im) = c.sum_response(SR, 8000.0, g);
        let db = 20.0 * re.hypot(im).log10();
        assert!((db + 8.0).abs() < 0.5, "{db}");
    }

    #[test]
    fn reduction_is_the_overshoot_up_to_the_range() {
        let s = DeesserSettings::default();
        assert_eq!(s.reduction_db(-40.0), 0.0);
        assert!((s.reduction_db(-25.0) - 5.0).abs() < 1e-12);
        assert!((s.reduction_db(-10.0) - 8.0).abs() < 1e-12);
    }
}

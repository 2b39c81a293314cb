//! Feed-forward compressor kernel: sidechain high-pass, level detector, gain
//! computer and gain-reduction envelope, plus the lookahead delay line. Plain
//! math with no engine types; the `dynamics.compressor` node wraps it.
//!
//! The structure follows D. Giannoulis, M. Massberg and J. D. Reiss, "Digital
//! Dynamic Range Compressor Design — A Tutorial and Analysis", *J. Audio Eng.
//! Soc.* 60(6), 2012, in the log-domain form the paper recommends (gain
//! computer first, then the detector smoothing the gain reduction in dB): per
//! sample and channel
//!
//! 1. the detector signal goes through a 2nd-order RBJ high-pass
//!    ([`FilterKind::HighPass`], Q = 1/√2), so bass does not pump the gain;
//! 2. its level is taken, either the sample peak `|x|` held over the last
//!    1–2 ms ([`PEAK_HOLD_MS`], see [`Detector::Peak`]) or the RMS from a
//!    one-pole average of `x²` with a [`RMS_WINDOW_MS`] time constant;
//! 3. stereo link blends each channel's linear level with the loudest one;
//! 4. the static gain computer (Giannoulis et al.'s curve with its quadratic soft knee)
//!    turns the level in dB into a gain reduction in dB;
//! 5. the gain reduction is smoothed by the *smooth branching peak detector*
//!    of Giannoulis et al.: attack coefficient while it rises, release while it
//!    falls. We use branching rather than their "smooth decoupled" detector because
//!    each branch is then a plain one-pole whose step response reaches 1 − 1/e
//!    in exactly `attack_ms` / `release_ms`; in the decoupled form the release
//!    stage also slows the attack.
//!
//! Recursive states (RMS average, envelopes, high-pass) flush to exact zero
//! below tiny magnitudes, so silence settles to true zeros and nothing goes
//! subnormal.

use super::block_passes::{CHUNK, EnvelopeLane, branch_blocks, sanitize_into};
use super::gate::PeakHold;
use crate::eq::biquad::{BiquadCoefs, FilterKind, PairSection, process_pair};
use crate::fast_math::{self, larger, smaller};
use crate::mul_add::target_mul_add;
use arrayvec::ArrayVec;
use std::f64::consts::FRAC_1_SQRT_2;

/// Most channels the kernel handles (one gain per channel, fixed arrays).
pub const MAX_CHANNELS: usize = 2;

/// Time constant of the RMS detector's one-pole average of `x²`, in ms.
pub const RMS_WINDOW_MS: f64 = 10.0;

/// Hold of the peak detector, ms: the level is the largest `|x|` of the last
/// 1–2 ms (see [`Detector::Peak`]).
pub const PEAK_HOLD_MS: f64 = 1.0;

/// Level floor for the dB conversion (−200 dBFS), so silence is finite.
const LEVEL_FLOOR: f32 = 1e-10;

/// Values below this become exact zeros in recursive state.
const FLUSH: f64 = 1e-30;

#[inline]
fn flush(x: f64) -> f64 {
    if x.abs() < FLUSH { 0.0 } else { x }
}

/// How the detector measures level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detector {
    /// Sample peak: the largest `|x|` over the last 1–2 ms ([`PEAK_HOLD_MS`],
    /// two alternating buckets, so O(1) per sample without allocation).
    ///
    /// Without the hold, the per-sample reduction falls toward zero at every
    /// zero crossing and the release branch sags between peaks: with a 5 ms
    /// release a 1 kHz sine came out 0.46 dB less compressed than the static
    /// curve at its peak level. The hold removes that ripple for fundamentals
    /// above 500 Hz (lower ones keep the usual peak-detector ripple, smaller
    /// with longer releases) at the cost of starting the release 1–2 ms late.
    Peak,
    /// Root of a one-pole ([`RMS_WINDOW_MS`]) average of `x²`.
    Rms,
}

impl Detector {
    /// Stable names, in parameter-value order.
    pub const NAMES: [&'static str; 2] = ["peak", "rms"];

    /// The detector for a parameter value (0 = peak, 1 = rms).
    pub fn from_index(value: f32) -> Self {
        if value >= 0.5 { Detector::Rms } else { Detector::Peak }
    }
}

/// Static curve of Giannoulis et al. (2012), soft-knee form: threshold `T`, ratio `R`,
/// knee width `W`, all in dB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GainComputer {
    /// Threshold `T`, dBFS.
    pub threshold_db: f64,
    /// Ratio `R` (≥ 1).
    pub ratio: f64,
    /// Knee width `W`, dB (0 = hard knee).
    pub knee_db: f64,
}

impl GainComputer {
    /// Output level `y_G` for input level `x_G`, both in dB:
    ///
    /// ```text
    /// y = x                                     if 2(x − T) < −W
    /// y = x + (1/R − 1)(x − T + W/2)² / (2W)    if 2|x − T| ≤ W
    /// y = T + (x − T)/R                         if 2(x − T) > W
    /// ```
    pub fn output_db(&self, x: f64) -> f64 {
        let (t, w) = (self.threshold_db, self.knee_db.max(0.0));
        let slope = 1.0 / self.ratio.max(1.0) - 1.0;
        let over = x - t;
        if 2.0 * over < -w {
            x
        } else if w > 0.0 && 2.0 * over.abs() <= w {
            let d = over + w * 0.5;
            x + slope * d * d / (2.0 * w)
        } else {
            x + slope * over
        }
    }

    /// Gain reduction `x − y_G` in dB (≥ 0) for input level `x` in dB.
    pub fn reduction_db(&self, x: f64) -> f64 {
        (x - self.output_db(x)).max(0.0)
    }

    /// Automatic make-up gain in dB: `−(y_G(0) − 0) / 2`, half the reduction the
    /// curve applies to a 0 dBFS input.
    ///
    /// Giannoulis et al. give the full `−y_G(0)`, which lifts a signal
    /// at 0 dBFS back to 0 dBFS; since program material mostly sits well below
    /// full scale, that full amount makes quiet passages louder than bypass by
    /// up to the whole reduction. Half of it is the usual compromise (the
    /// perceived level is then roughly kept for material peaking midway between
    /// threshold and full scale) and it never pushes a 0 dBFS peak above
    /// `−y_G(0)/2` dB.
    pub fn auto_makeup_db(&self) -> f64 {
        self.reduction_db(0.0) * 0.5
    }
}

/// One-pole coefficient whose step response reaches 1 − 1/e in `ms`
/// (Giannoulis et al.'s definition of the time constant: `α = exp(−1 / (τ·fs))`).
pub fn time_coef(ms: f64, sample_rate: f64) -> f64 {
    let frames = ms * 0.001 * sample_rate;
    if frames > 0.0 && frames.is_finite() { (-1.0 / frames).exp() } else { 0.0 }
}

/// The detector's Butterworth high-pass (RBJ cookbook, Q = 1/√2) at `hz`.
pub fn design_highpass(hz: f64, sample_rate: f64) -> BiquadCoefs {
    if hz <= 0.0 {
        return BiquadCoefs::identity();
    }
    BiquadCoefs::design(FilterKind::HighPass, sample_rate, hz, FRAC_1_SQRT_2, 0.0)
}

/// The compressor's settings, all plain values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The static curve.
    pub curve: GainComputer,
    /// Attack time, ms (0.1..200).
    pub attack_ms: f64,
    /// Release time, ms (5..2000).
    pub release_ms: f64,
    /// Level detector.
    pub detector: Detector,
    /// Corner of the detector's high-pass, Hz (20..500); 0 or below turns
    /// the high-pass off (for detectors fed an already band-limited signal).
    pub sc_highpass_hz: f64,
    /// 0 = independent channels, 1 = one gain from the loudest channel.
    pub stereo_link: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            curve: GainComputer { threshold_db: -18.0, ratio: 4.0, knee_db: 6.0 },
            attack_ms: 10.0,
            release_ms: 100.0,
            detector: Detector::Peak,
            sc_highpass_hz: 20.0,
            stereo_link: 1.0,
        }
    }
}

/// Detector and envelope state of a 1- or 2-channel compressor.
#[derive(Clone, Debug)]
pub struct Compressor {
    settings: Settings,
    sample_rate: f64,
    channels: usize,
    attack: f64,
    release: f64,
    rms_coef: f64,
    highpass: BiquadCoefs,
    hp_state: PairSection,
    mean_square: [f64; MAX_CHANNELS],
    envelope: [f64; MAX_CHANNELS],
    peak: [PeakHold; MAX_CHANNELS],
}

impl Compressor {
    /// A compressor for `channels` (clamped to 1..=[`MAX_CHANNELS`]) at `sample_rate`.
    pub fn new(settings: Settings, sample_rate: f64, channels: usize) -> Self {
        let mut c = Compressor {
            settings,
            sample_rate,
            channels: channels.clamp(1, MAX_CHANNELS),
            attack: 0.0,
            release: 0.0,
            rms_coef: time_coef(RMS_WINDOW_MS, sample_rate),
            highpass: BiquadCoefs::identity(),
            hp_state: PairSection::default(),
            mean_square: [0.0; MAX_CHANNELS],
            envelope: [0.0; MAX_CHANNELS],
            peak: [PeakHold::new(sample_rate), PeakHold::new(sample_rate)],
        };
        c.set_settings(settings);
        c.highpass = design_highpass(settings.sc_highpass_hz, sample_rate);
        c
    }

    /// Current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Changes settings, keeping the state. Real-time safe.
    pub fn set_settings(&mut self, settings: Settings) {
        let hp_changed = settings.sc_highpass_hz != self.settings.sc_highpass_hz;
        // Only the active detector runs; the other starts from the level the
        // active one has reached, so a switch never jumps to stale state.
        if settings.detector != self.settings.detector {
            for (peak, mean_square) in self.peak.iter_mut().zip(&mut self.mean_square) {
                match settings.detector {
                    Detector::Rms => *mean_square = peak.level() * peak.level(),
                    Detector::Peak => peak.seed(mean_square.sqrt()),
                }
            }
        }
        self.settings = settings;
        self.attack = time_coef(settings.attack_ms, self.sample_rate);
        self.release = time_coef(settings.release_ms, self.sample_rate);
        if hp_changed {
            self.highpass = design_highpass(settings.sc_highpass_hz, self.sample_rate);
        }
    }

    /// Changes only the static curve (threshold, ratio, knee), for
    /// per-sub-block parameter smoothing. Real-time safe.
    pub fn set_curve(&mut self, curve: GainComputer) {
        self.settings.curve = curve;
    }

    /// Clears the high-pass, RMS and envelope state.
    pub fn reset(&mut self) {
        self.hp_state = PairSection::default();
        self.mean_square = [0.0; MAX_CHANNELS];
        self.envelope = [0.0; MAX_CHANNELS];
        for p in &mut self.peak {
            p.reset();
        }
    }

    /// Feeds one frame of detector input (one sample per channel; missing
    /// channels read as silence) and returns the smoothed gain reduction per
    /// channel in dB (≥ 0). The same computation as [`Compressor::reduce_block`]
    /// on a one-frame block.
    pub fn tick(&mut self, detect: [f32; MAX_CHANNELS]) -> [f64; MAX_CHANNELS] {
        let [d0, d1] = detect;
        let (mut r0, mut r1) = ([0.0f32], [0.0f32]);
        self.reduce_block([&[d0], &[d1]], [&mut r0, &mut r1]);
        [f64::from(r0[0]), f64::from(r1[0])]
    }

    /// Gain reduction in dB (≥ 0) per frame and channel for a block of
    /// detector input: `reduction[ch][i]` for `detect[ch][i]` (missing or short
    /// detector channels read as silence). Real-time safe.
    ///
    /// Runs as three tight passes over the block instead of one long per-frame
    /// body, so the out-of-order core overlaps consecutive frames: the
    /// detector (recursive: high-pass, hold, RMS), the level → dB → static
    /// curve (independent per frame, vectorised), and the attack/release
    /// envelope (recursive, a few operations per frame). With full link the
    /// two channels see the same level, and once their envelopes agree the
    /// curve and envelope run once for both.
    pub fn reduce_block(&mut self, detect: [&[f32]; MAX_CHANNELS], reduction: [&mut [f32]; MAX_CHANNELS]) {
        let [out0, out1] = reduction;
        let shared = self.static_block(detect, [&mut *out0, &mut *out1]);
        self.envelope_block([out0, out1], shared);
    }

    /// The envelope passes of [`Compressor::reduce_block`] for a block
    /// prepared by [`Compressor::static_block`]: this compressor's followers
    /// through [`branch_blocks`], then [`Compressor::finish_block`].
    pub fn envelope_block(&mut self, reduction: [&mut [f32]; MAX_CHANNELS], shared: bool) {
        let [out0, out1] = reduction;
        let mut lanes = ArrayVec::<EnvelopeLane<'_>, MAX_CHANNELS>::new();
        self.envelope_lanes([&mut *out0, &mut *out1], shared, |lane| {
            // Capacity covers every lane; `try_push` keeps the audio thread panic-free regardless.
            let _ = lanes.try_push(lane);
        });
        branch_blocks(&mut lanes);
        drop(lanes);
        self.finish_block([out0, out1], shared);
    }

    /// The first passes of [`Compressor::reduce_block`]: detector and static
    /// curve, leaving each frame's target reduction in `reduction`. Returns
    /// whether the channels share one envelope this block (then only channel
    /// 0 holds targets). Callers that run several compressors follow with
    /// [`Compressor::envelope_lanes`] for all of them, one
    /// [`branch_blocks`] over every lane, and [`Compressor::finish_block`].
    pub fn static_block(&mut self, detect: [&[f32]; MAX_CHANNELS], reduction: [&mut [f32]; MAX_CHANNELS]) -> bool {
        let n_ch = self.channels;
        let [out0, out1] = reduction;
        let frames = if n_ch > 1 { out0.len().min(out1.len()) } else { out0.len() };
        self.detect_levels(detect, out0, out1, frames);
        let shared = n_ch > 1 && self.settings.stereo_link >= 1.0 && self.envelope[0] == self.envelope[1];
        let curve = StaticCurve::new(&self.settings.curve);
        for out in [&mut *out0, &mut *out1].into_iter().take(if shared { 1 } else { n_ch }) {
            if let Some(out) = out.get_mut(..frames) {
                curve_pass(&curve, out);
            }
        }
        shared
    }

    /// Hands `push` the envelope followers of a block prepared by
    /// [`Compressor::static_block`] (one when `shared`, else one per channel).
    pub fn envelope_lanes<'a>(
        &'a mut self,
        reduction: [&'a mut [f32]; MAX_CHANNELS],
        shared: bool,
        mut push: impl FnMut(EnvelopeLane<'a>),
    ) {
        let n_ch = self.channels;
        let [out0, out1] = reduction;
        let frames = if n_ch > 1 { out0.len().min(out1.len()) } else { out0.len() };
        let (rise, fall) = (self.attack, self.release);
        let lanes = self.envelope.iter_mut().zip([out0, out1]).take(if shared { 1 } else { n_ch });
        for (env, out) in lanes {
            if let Some(values) = out.get_mut(..frames) {
                push(EnvelopeLane { env, values, rise, fall });
            }
        }
    }

    /// Ends a block after its envelopes ran: a shared envelope is copied to
    /// channel 1.
    pub fn finish_block(&mut self, reduction: [&mut [f32]; MAX_CHANNELS], shared: bool) {
        if !shared {
            return;
        }
        let [out0, out1] = reduction;
        let frames = out0.len().min(out1.len());
        self.envelope[1] = self.envelope[0];
        if let (Some(src), Some(dst)) = (out0.get(..frames), out1.get_mut(..frames)) {
            dst.copy_from_slice(src);
        }
    }

    /// Detector passes: high-pass, peak hold or RMS, stereo link; writes the
    /// linked linear level of each frame into `level0` / `level1`. Runs in
    /// chunks of `CHUNK` frames: the high-pass filters both channels as one
    /// paired f64 section into stack buffers, then each channel's level
    /// detector and the link run as their own passes.
    fn detect_levels(&mut self, detect: [&[f32]; MAX_CHANNELS], level0: &mut [f32], level1: &mut [f32], frames: usize) {
        let stereo = self.channels > 1;
        let link = self.settings.stereo_link.clamp(0.0, 1.0) as f32;
        let frames = frames.min(level0.len());
        let mut start = 0;
        while start < frames {
            let end = (start + CHUNK).min(frames);
            let n = end - start;
            let mut x = [[0.0f32; CHUNK]; MAX_CHANNELS];
            sanitize_into(detect[0].get(start..end.min(detect[0].len())).unwrap_or(&[]), &mut x[0][..n]);
            if stereo {
                sanitize_into(detect[1].get(start..end.min(detect[1].len())).unwrap_or(&[]), &mut x[1][..n]);
            }
            if self.settings.sc_highpass_hz > 0.0 {
                let [x0, x1] = &mut x;
                process_pair(&mut self.hp_state, &self.highpass, &mut x0[..n], &mut x1[..n]);
                self.hp_state.flush();
            }
            // Fully linked peak detection: the louder channel's held peak is
            // the hold of the louder magnitude (both holds share their bucket
            // timing), so one hold serves both channels.
            if stereo && link >= 1.0 && self.settings.detector == Detector::Peak {
                let [x0, x1] = &mut x;
                for (a, b) in x0[..n].iter_mut().zip(&x1[..n]) {
                    *a = larger(a.abs(), b.abs());
                }
                let [p0, p1] = &mut self.peak;
                p0.hold_block(&mut x0[..n]);
                p1.clone_from(p0);
                let (Some(l0), Some(l1)) = (level0.get_mut(start..end), level1.get_mut(start..end)) else { break };
                l0.copy_from_slice(&x0[..n]);
                l1.copy_from_slice(&x0[..n]);
                start = end;
                continue;
            }
            for (ch, x) in x.iter_mut().enumerate().take(self.channels) {
                let x = &mut x[..n];
                match self.settings.detector {
                    Detector::Rms => {
                        let (c, a) = (self.rms_coef, 1.0 - self.rms_coef);
                        let mut mean_square = self.mean_square[ch];
                        for v in x.iter_mut() {
                            let s = f64::from(*v);
                            mean_square = flush(c * mean_square + a * s * s);
                            *v = mean_square as f32;
                        }
                        self.mean_square[ch] = mean_square;
                        for v in x.iter_mut() {
                            *v = v.sqrt();
                        }
                    }
                    Detector::Peak => {
                        for v in x.iter_mut() {
                            *v = v.abs();
                        }
                        self.peak[ch].hold_block(x);
                    }
                }
            }
            let (Some(l0), Some(l1)) = (level0.get_mut(start..end), level1.get_mut(start..end).or(Some(&mut [])))
            else {
                break;
            };
            if stereo {
                for (((o0, o1), a), b) in l0.iter_mut().zip(l1.iter_mut()).zip(&x[0][..n]).zip(&x[1][..n]) {
                    let loudest = larger(*a, *b);
                    *o0 = link * loudest + (1.0 - link) * a;
                    *o1 = link * loudest + (1.0 - link) * b;
                }
            } else {
                l0.copy_from_slice(&x[0][..n]);
                for v in l1.iter_mut() {
                    *v = 0.0;
                }
            }
            start = end;
        }
    }
}

/// Linear levels to static-curve reductions in dB, in place: independent per
/// frame, so it vectorises (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn curve_pass(curve: &StaticCurve, levels: &mut [f32]) {
    let m = target_mul_add!();
    for v in levels {
        *v = curve.reduction_db(fast_math::gain_to_db(m, larger(*v, LEVEL_FLOOR)));
    }
}

/// [`GainComputer`] prepared for per-sample use in f32, without branches:
/// reduction `= s · (clamp(x − T + W/2, 0, W)² / 2W + max(x − T − W/2, 0))`
/// with `s = 1 − 1/R`, which is Giannoulis et al.'s three-piece curve written
/// as one expression (below the knee both terms are 0; inside it only the
/// quadratic; above it the quadratic's W/2 plus the rest give `s·(x − T)`).
/// A hard knee uses W = 1e-6 dB, which moves the curve by under 1e-6 dB.
#[derive(Clone, Copy, Debug)]
struct StaticCurve {
    threshold: f32,
    half_knee: f32,
    knee: f32,
    /// `1 / (2·knee)`, so the per-frame curve has no division.
    inv_two_knee: f32,
    slope: f32,
}

impl StaticCurve {
    fn new(c: &GainComputer) -> Self {
        let knee = c.knee_db.max(1e-6) as f32;
        StaticCurve {
            threshold: c.threshold_db as f32,
            half_knee: 0.5 * knee,
            knee,
            inv_two_knee: 0.5 / knee,
            slope: (1.0 - 1.0 / c.ratio.max(1.0)) as f32,
        }
    }

    #[inline(always)]
    fn reduction_db(&self, x_db: f32) -> f32 {
        // Levels come from `gain_to_db` of floored magnitudes: never NaN.
        let over = x_db - self.threshold;
        let d = smaller(larger(over + self.half_knee, 0.0), self.knee);
        self.slope * (d * d * self.inv_two_knee + larger(over - self.half_knee, 0.0))
    }
}

/// A fixed delay of whole frames for one channel (the lookahead), allocated once.
#[derive(Clone, Debug)]
pub struct DelayLine {
    buffer: Vec<f32>,
    pos: usize,
}

impl DelayLine {
    /// A delay of `frames` frames (0 = pass-through). Allocates.
    pub fn new(frames: usize) -> Self {
        DelayLine { buffer: vec![0.0; frames], pos: 0 }
    }

    /// Pushes `x`, returning the sample from `frames` frames ago.
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        match self.buffer.get_mut(self.pos) {
            Some(slot) => {
                let y = std::mem::replace(slot, x);
                self.pos += 1;
                if self.pos >= self.buffer.len() {
                    self.pos = 0;
                }
                y
            }
            None => x,
        }
    }

    /// Delays `input` into `output` (the shorter length of the two). A
    /// zero-length line copies.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        if self.buffer.is_empty() {
            let n = input.len().min(output.len());
            if let (Some(o), Some(i)) = (output.get_mut(..n), input.get(..n)) {
                o.copy_from_slice(i);
            }
            return;
        }
        // In runs up to the ring's wrap: each run swaps the input into the
        // ring and the delayed samples out, a loop that vectorises.
        let len = self.buffer.len();
        let n = input.len().min(output.len());
        let mut i = 0;
        while i < n {
            let run = (len - self.pos).min(n - i);
            let (Some(ring), Some(x), Some(y)) =
                (self.buffer.get_mut(self.pos..self.pos + run), input.get(i..i + run), output.get_mut(i..i + run))
            else {
                return;
            };
            for ((slot, x), y) in ring.iter_mut().zip(x).zip(y) {
                *y = std::mem::replace(slot, *x);
            }
            self.pos = if self.pos + run >= len { 0 } else { self.pos + run };
            i += run;
        }
    }

    /// Fills the line with silence.
    pub fn clear(&mut self) {
        self.buffer.fill(0.0);
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn hard_knee_curve_is_piecewise_linear() {
        let c = GainComputer { threshold_db: -20.0, ratio: 4.0, knee_db: 0.0 };
        assert_eq!(c.output_db(-30.0), -30.0);
        assert!((c.output_db(0.0) - -15.0).abs() < 1e-12);
        assert!((c.reduction_db(-8.0) - 9.0).abs() < 1e-12);
        assert!((c.auto_makeup_db() - 7.5).abs() < 1e-12);
    }

    #[test]
    fn soft_knee_is_continuous_and_smooth() {
        let c = GainComputer { threshold_db: -20.0, ratio: 4.0, knee_db: 12.0 };
        // Knee edges at −26 and −14 dB: value and slope match the straight parts.
        for (edge, outside_slope) in [(-26.0, 1.0), (-14.0, 0.25)] {
            let e = 1e-6;
            let (lo, hi) = (c.output_db(edge - e), c.output_db(edge + e));
            assert!((hi - lo).abs() < 1e-5, "jump at {edge}");
            let slope = (c.output_db(edge + 1e-3) - c.output_db(edge - 1e-3)) / 2e-3;
            assert!((slope - outside_slope).abs() < 1e-3, "slope {slope} at {edge}");
        }
        // At the threshold the knee sits (1 − 1/R)·W/8 = 1.125 dB under the input.
        assert!((c.reduction_db(-20.0) - 1.125).abs() < 1e-12);
    }

    #[test]
    fn envelope_reaches_63_percent_in_the_time_constant() {
        let settings = Settings {
            curve: GainComputer { threshold_db: -20.0, ratio: 10.0, knee_db: 0.0 },
            attack_ms: 10.0,
            release_ms: 100.0,
            ..Settings::default()
        };
        let mut c = Compressor::new(settings, SR, 1);
        // A Nyquist-rate square has a constant |x| and passes the high-pass untouched.
        let alt = |i: usize, a: f32| if i.is_multiple_of(2) { a } else { -a };
        let final_gr = 18.0;
        let mut n = 0;
        while c.tick([alt(n, 1.0), 0.0])[0] < final_gr * (1.0 - (-1.0f64).exp()) {
            n += 1;
        }
        let attack_ms = (n + 1) as f64 / SR * 1000.0;
        assert!((attack_ms - 10.0).abs() < 0.1, "attack {attack_ms} ms");
        for i in 0..48_000 {
            c.tick([alt(i, 1.0), 0.0]);
        }
        let mut n = 0;
        while c.tick([alt(n, 0.01), 0.0])[0] > final_gr * (-1.0f64).exp() {
            n += 1;
        }
        let release_ms = (n + 1) as f64 / SR * 1000.0;
        // The peak hold starts the release 1–2 ms late.
        assert!(release_ms > 100.9 && release_ms < 102.1, "release {release_ms} ms");
    }

    #[test]
    fn silence_settles_to_exact_zero() {
        let mut c = Compressor::new(Settings { detector: Detector::Rms, ..Settings::default() }, SR, 2);
        for _ in 0..100 {
            c.tick([1.0, -1.0]);
        }
        for _ in 0..48_000 * 20 {
            c.tick([0.0, 0.0]);
        }
        assert_eq!(c.envelope, [0.0; 2]);
        assert_eq!(c.mean_square, [0.0; 2]);
        assert_eq!(c.tick([0.0, 0.0]), [0.0; 2]);
    }

    #[test]
    fn branchless_curve_matches_the_gain_computer() {
        for (t, r, w) in
            [(-20.0, 4.0, 0.0), (-20.0, 4.0, 12.0), (-6.0, 1.5, 3.0), (-40.0, 20.0, 24.0), (-10.0, 1.0, 6.0)]
        {
            let exact = GainComputer { threshold_db: t, ratio: r, knee_db: w };
            let fast = StaticCurve::new(&exact);
            for i in 0..=1200 {
                let x = -100.0 + i as f64 * 0.1;
                let err = (f64::from(fast.reduction_db(x as f32)) - exact.reduction_db(x)).abs();
                assert!(err < 2e-5, "T {t} R {r} W {w} at {x} dB: error {err}");
            }
        }
    }

    #[test]
    fn blocks_equal_frame_by_frame_ticks() {
        for link in [1.0, 0.5, 0.0] {
            let settings = Settings { stereo_link: link, detector: Detector::Rms, ..Settings::default() };
            let (mut by_frame, mut by_block) = (Compressor::new(settings, SR, 2), Compressor::new(settings, SR, 2));
            let x: Vec<[f32; 2]> = (0..3000)
                .map(|i| {
                    let a = if (i / 500) % 2 == 0 { 0.9 } else { 0.05 };
                    [a * (i as f32 * 0.05).sin(), 0.5 * a * (i as f32 * 0.031).sin()]
                })
                .collect();
            let ticks: Vec<[f64; 2]> = x.iter().map(|f| by_frame.tick(*f)).collect();
            let (l, r): (Vec<f32>, Vec<f32>) = x.iter().map(|f| (f[0], f[1])).unzip();
            let (mut o0, mut o1) = (vec![0.0f32; 3000], vec![0.0f32; 3000]);
            for start in (0..3000).step_by(512) {
                let end = (start + 512).min(3000);
                let (a, b) = (&mut o0[start..end], &mut o1[start..end]);
                by_block.reduce_block([&l[start..end], &r[start..end]], [a, b]);
            }
            for (i, t) in ticks.iter().enumerate() {
                assert_eq!([f64::from(o0[i]), f64::from(o1[i])], *t, "link {link}, frame {i}");
            }
            assert!(ticks.iter().any(|t| t[0] > 3.0), "the test signal is compressed");
        }
    }

    #[test]
    fn link_takes_the_loudest_channel() {
        let mut linked = Compressor::new(Settings { attack_ms: 0.1, ..Settings::default() }, SR, 2);
        let mut free = Compressor::new(Settings { attack_ms: 0.1, stereo_link: 0.0, ..Settings::default() }, SR, 2);
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        for i in 0..4800usize {
            let s = if i.is_multiple_of(2) { 1.0 } else { -1.0 };
            a = linked.tick([s, 0.0]);
            b = free.tick([s, 0.0]);
        }
        assert_eq!(a[0], a[1]);
        assert!(a[0] > 13.0);
        assert_eq!(b[1], 0.0);
    }

    #[test]
    fn switching_detector_starts_from_the_level_reached() {
        // A steady 1 kHz sine at 0.5: peak −6.0 dBFS, RMS −9.0 dBFS.
        let sine: Vec<f32> =
            (0..24_000).map(|n| 0.5 * (std::f32::consts::TAU * 1000.0 * n as f32 / SR as f32).sin()).collect();
        for (from, to) in [(Detector::Peak, Detector::Rms), (Detector::Rms, Detector::Peak)] {
            let mut c = Compressor::new(Settings { detector: from, ..Settings::default() }, SR, 1);
            let mut level = vec![0.0f32; sine.len()];
            let mut unused = vec![0.0f32; sine.len()];
            c.detect_levels([&sine, &[]], &mut level, &mut unused, sine.len());
            let before = 20.0 * level[sine.len() - 1].log10();
            c.set_settings(Settings { detector: to, ..Settings::default() });
            c.detect_levels([&sine[..1], &[]], &mut level[..1], &mut unused[..1], 1);
            let after = 20.0 * level[0].log10();
            println!("{from:?} -> {to:?}: {before:.2} dB before, {after:.2} dB on the first frame after");
            assert!((after - before).abs() < 0.5, "{from:?} -> {to:?}: {before} dB then {after} dB");
        }
    }

    #[test]
    fn delay_line_delays_by_whole_frames() {
        let mut d = DelayLine::new(3);
        let out: Vec<f32> = (1..=6).map(|i| d.push(i as f32)).collect();
        assert_eq!(out, [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
        d.clear();
        assert_eq!(d.push(9.0), 0.0);
        let mut none = DelayLine::new(0);
        assert_eq!(none.push(5.0), 5.0);
    }
}

//! Noise gate / downward expander kernel with hysteresis and hold. Plain math
//! with no engine types; the `dynamics.gate` node wraps it.
//!
//! It reuses the compressor's pieces ([`super::compressor`]): the RBJ
//! Butterworth detector high-pass ([`design_highpass`]), the one-pole time
//! constant of Giannoulis, Massberg and Reiss, "Digital Dynamic Range
//! Compressor Design — A Tutorial and Analysis", *J. Audio Eng. Soc.* 60(6),
//! 2012 ([`time_coef`]) and its smooth *branching* envelope applied to the gain
//! reduction in dB. Per sample:
//!
//! 1. each detector channel goes through the high-pass (`sc_highpass_hz`);
//! 2. the stereo-linked level is the largest `|x|` of all channels over the last
//!    1–2 ms ([`PeakHold`], the compressor's two-bucket peak hold), so a tone
//!    does not read as silence at its zero crossings;
//! 3. a Schmitt trigger (hysteresis, as in analog gates, e.g. the Drawmer DS201
//!    or the "hysteresis" control of common DAW gates) opens above
//!    `threshold_db` and arms the hold once the level falls below
//!    `threshold_db − hysteresis_db`; it closes when the hold has run out;
//! 4. open, the target reduction is 0 dB; closed, it is the downward-expander
//!    curve `min(−range_db, (ratio − 1)·(threshold_db − level_db))` (Zölzer,
//!    *DAFX*, 2nd ed., §4.2.2, expander/noise gate static curve), so `ratio`
//!    100 is a gate and 2 a gentle expander;
//! 5. the reduction is smoothed by a branching one-pole: `attack_ms` while it
//!    falls (the gate opens), `release_ms` while it rises (the gate closes).
//!
//! The hold counts from when the *input* fell, not from when the peak hold let
//! go: the detector's average lag (1.5 × [`PEAK_HOLD_MS`]) is taken off the
//! hold counter, so the gate stays open `hold_ms` ± 0.5 ms after the signal
//! drops.

use super::block_passes::{CHUNK, LEVEL_FLOOR, branch_block, levels_to_db, sanitize_into};
use super::compressor::{MAX_CHANNELS, PEAK_HOLD_MS, design_highpass, time_coef};
use crate::eq::biquad::{BiquadCoefs, PairSection, process_pair};
use crate::fast_math::larger;
use crate::mul_add::MulAdd;

/// Sample-peak detector holding the largest `|x|` of the last 1–2 ×
/// [`PEAK_HOLD_MS`] with two alternating buckets (O(1), no allocation), the
/// same scheme as the compressor's peak detector.
#[derive(Clone, Debug)]
pub struct PeakHold {
    frames: usize,
    count: usize,
    current: f64,
    previous: f64,
}

impl PeakHold {
    /// A detector at `sample_rate`.
    pub fn new(sample_rate: f64) -> Self {
        let frames = ((PEAK_HOLD_MS * 0.001 * sample_rate).round() as usize).max(1);
        PeakHold { frames, count: 0, current: 0.0, previous: 0.0 }
    }

    /// Frames per bucket (the level lags a drop by 1–2 times this).
    pub fn bucket_frames(&self) -> usize {
        self.frames
    }

    /// Feeds `|x|` and returns the held peak.
    #[inline]
    pub fn tick(&mut self, magnitude: f64) -> f64 {
        self.current = self.current.max(magnitude);
        let level = self.current.max(self.previous);
        self.count += 1;
        if self.count >= self.frames {
            self.count = 0;
            self.previous = self.current;
            self.current = 0.0;
        }
        level
    }

    /// [`PeakHold::tick`] over a block of magnitudes (≥ 0, never NaN), in
    /// place. Runs bucket by bucket, so the inner loop has no branch and its
    /// frame-to-frame chain is a single f32 max.
    pub fn hold_block(&mut self, values: &mut [f32]) {
        let (mut current, mut previous) = (self.current as f32, self.previous as f32);
        let mut start = 0;
        while start < values.len() {
            let run = (self.frames - self.count.min(self.frames)).min(values.len() - start).max(1);
            let Some(bucket) = values.get_mut(start..start + run) else { break };
            let mut groups = bucket.chunks_exact_mut(8);
            for group in groups.by_ref() {
                let Ok(group) = <&mut [f32; 8]>::try_from(group) else { break };
                let scan = prefix_max(*group);
                for (v, s) in group.iter_mut().zip(scan) {
                    *v = larger(larger(s, current), previous);
                }
                current = larger(current, scan[7]);
            }
            for v in groups.into_remainder() {
                current = if *v > current { *v } else { current };
                *v = if current > previous { current } else { previous };
            }
            self.count += run;
            if self.count >= self.frames {
                self.count = 0;
                previous = current;
                current = 0.0;
            }
            start += run;
        }
        (self.current, self.previous) = (f64::from(current), f64::from(previous));
    }

    /// The held peak now (what the next silent frame would return).
    pub fn level(&self) -> f64 {
        self.current.max(self.previous)
    }

    /// Starts the hold at `level`, as if the last frames had peaked there.
    pub fn seed(&mut self, level: f64) {
        (self.current, self.previous) = (level, level);
    }

    /// Forgets every peak.
    pub fn reset(&mut self) {
        self.count = 0;
        self.current = 0.0;
        self.previous = 0.0;
    }
}

/// Running maximum of eight values (`out[k] = max(v[0..=k])`) in three
/// log steps, so the frame-to-frame chain of [`PeakHold::hold_block`] is one
/// max per eight frames instead of one per frame; the steps are shuffles and
/// maxes the compiler can keep in vector registers.
#[inline(always)]
fn prefix_max(v: [f32; 8]) -> [f32; 8] {
    let step = |v: [f32; 8], by: usize| std::array::from_fn(|k| if k >= by { larger(v[k], v[k - by]) } else { v[k] });
    step(step(step(v, 1), 2), 4)
}

/// The gate's settings, all plain values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateSettings {
    /// Opens above this level, dBFS (−90..0, default −40).
    pub threshold_db: f64,
    /// Closes below `threshold_db − hysteresis_db`, dB (0..20, default 4).
    pub hysteresis_db: f64,
    /// Gain when fully closed, dB (−90..0, default −80).
    pub range_db: f64,
    /// Expansion ratio below the threshold (1..100, default 100 ≈ gate).
    pub ratio: f64,
    /// Opening time constant, ms (0.05..50, default 0.5).
    pub attack_ms: f64,
    /// Time the gate stays open after the level falls below the close threshold,
    /// ms (0..500, default 20).
    pub hold_ms: f64,
    /// Closing time constant, ms (5..2000, default 100).
    pub release_ms: f64,
    /// Corner of the detector's high-pass, Hz (20..2000, default 20).
    pub sc_highpass_hz: f64,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            threshold_db: -40.0,
            hysteresis_db: 4.0,
            range_db: -80.0,
            ratio: 100.0,
            attack_ms: 0.5,
            hold_ms: 20.0,
            release_ms: 100.0,
            sc_highpass_hz: 20.0,
        }
    }
}

impl GateSettings {
    /// Reduction (dB, ≥ 0) of the closed gate for a detector level in dB: the
    /// expander curve `(ratio − 1)(threshold − level)`, limited to `−range_db`.
    pub fn closed_reduction_db(&self, level_db: f64) -> f64 {
        let below = (self.threshold_db - level_db).max(0.0);
        ((self.ratio.max(1.0) - 1.0) * below).min(-self.range_db.min(0.0))
    }
}

/// Detector, trigger and envelope state of a 1- or 2-channel gate (one linked gain).
#[derive(Clone, Debug)]
pub struct Gate {
    settings: GateSettings,
    sample_rate: f64,
    channels: usize,
    attack: f64,
    release: f64,
    hold_frames: usize,
    highpass: BiquadCoefs,
    hp_state: PairSection,
    peak: PeakHold,
    open: bool,
    hold_left: usize,
    envelope: f64,
}

impl Gate {
    /// A closed gate for `channels` (clamped to 1..=[`MAX_CHANNELS`]) at `sample_rate`.
    pub fn new(settings: GateSettings, sample_rate: f64, channels: usize) -> Self {
        let mut g = Gate {
            settings,
            sample_rate,
            channels: channels.clamp(1, MAX_CHANNELS),
            attack: 0.0,
            release: 0.0,
            hold_frames: 0,
            highpass: design_highpass(settings.sc_highpass_hz, sample_rate),
            hp_state: PairSection::default(),
            peak: PeakHold::new(sample_rate),
            open: false,
            hold_left: 0,
            envelope: 0.0,
        };
        g.set_settings(settings);
        g.reset();
        g
    }

    /// Current settings.
    pub fn settings(&self) -> &GateSettings {
        &self.settings
    }

    /// Changes settings, keeping the state. Real-time safe.
    pub fn set_settings(&mut self, settings: GateSettings) {
        if settings.sc_highpass_hz != self.settings.sc_highpass_hz {
            self.highpass = design_highpass(settings.sc_highpass_hz, self.sample_rate);
        }
        self.settings = settings;
        self.attack = time_coef(settings.attack_ms, self.sample_rate);
        self.release = time_coef(settings.release_ms, self.sample_rate);
        // Take the detector's average lag (1.5 buckets) off the hold; see module docs.
        let hold = (settings.hold_ms.max(0.0) * 0.001 * self.sample_rate).round() as usize;
        self.hold_frames = hold.saturating_sub(self.peak.bucket_frames() * 3 / 2);
    }

    /// Closes the gate fully and clears the detector.
    pub fn reset(&mut self) {
        self.hp_state = PairSection::default();
        self.peak.reset();
        self.open = false;
        self.hold_left = 0;
        self.envelope =
            self.settings.closed_reduction_db(f64::from(crate::fast_math::gain_to_db(MulAdd::PLAIN, LEVEL_FLOOR)));
    }

    /// Whether the trigger is open (including the hold).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Feeds one frame of detector input (missing channels read as silence) and
    /// returns the smoothed gain reduction in dB (≥ 0), shared by all channels.
    /// The same computation as [`Gate::reduce_block`] on a one-frame block.
    pub fn tick(&mut self, detect: [f32; MAX_CHANNELS]) -> f64 {
        let mut reduction = [0.0f32];
        self.reduce_block([&detect[..1], &detect[1..]], &mut reduction);
        f64::from(reduction[0])
    }

    /// Gain reduction in dB (≥ 0) per frame for a block of detector input
    /// (missing or short channels read as silence), shared by all channels.
    /// Runs in chunks of `CHUNK` frames as block passes: high-pass (both
    /// channels as one paired section) and peak, hold, dB, the trigger with
    /// its hysteresis and hold, then the envelope. Real-time safe.
    pub fn reduce_block(&mut self, detect: [&[f32]; MAX_CHANNELS], reduction: &mut [f32]) {
        let frames = reduction.len();
        let mut start = 0;
        while start < frames {
            let end = (start + CHUNK).min(frames);
            let mut x = [[0.0f32; CHUNK]; MAX_CHANNELS];
            for (ch, x) in x.iter_mut().enumerate().take(self.channels) {
                sanitize_into(detect[ch].get(start..end.min(detect[ch].len())).unwrap_or(&[]), &mut x[..end - start]);
            }
            self.reduce_chunk(&mut x, &mut reduction[start..end]);
            start = end;
        }
    }

    fn reduce_chunk(&mut self, x: &mut [[f32; CHUNK]; MAX_CHANNELS], reduction: &mut [f32]) {
        // The detector's high-pass, then the louder filtered magnitude of each
        // frame (a mono gate's second lane filters silence, so it never wins).
        let n = reduction.len().min(CHUNK);
        let [a, b] = x;
        process_pair(&mut self.hp_state, &self.highpass, &mut a[..n], &mut b[..n]);
        self.hp_state.flush();
        for ((r, a), b) in reduction.iter_mut().zip(&a[..n]).zip(&b[..n]) {
            *r = larger(a.abs(), b.abs());
        }
        self.peak.hold_block(reduction);
        levels_to_db(reduction);
        let s = self.settings;
        let close_below = s.threshold_db - s.hysteresis_db.max(0.0);
        let (mut open, mut hold_left) = (self.open, self.hold_left);
        for r in reduction.iter_mut() {
            let level = f64::from(*r);
            if level > s.threshold_db {
                open = true;
                hold_left = self.hold_frames;
            } else if open {
                if level >= close_below {
                    hold_left = self.hold_frames;
                } else if hold_left > 0 {
                    hold_left -= 1;
                } else {
                    open = false;
                }
            }
            *r = if open { 0.0 } else { s.closed_reduction_db(level) as f32 };
        }
        (self.open, self.hold_left) = (open, hold_left);
        // The reduction rising means the gate closing: release; falling: attack.
        branch_block(&mut self.envelope, reduction, self.release, self.attack);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn expander_curve_is_limited_by_the_range() {
        let s = GateSettings { ratio: 2.0, ..GateSettings::default() };
        assert_eq!(s.closed_reduction_db(-30.0), 0.0);
        assert!((s.closed_reduction_db(-50.0) - 10.0).abs() < 1e-12);
        assert!((s.closed_reduction_db(-200.0) - 80.0).abs() < 1e-12);
        let gate = GateSettings::default();
        assert!((gate.closed_reduction_db(-41.0) - 80.0).abs() < 1e-12, "ratio 100 is a gate");
    }

    #[test]
    fn hold_block_equals_tick_by_tick() {
        let mut seed = 7u32;
        let values: Vec<f32> = (0..1000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32
            })
            .collect();
        let (mut by_block, mut by_tick) = (PeakHold::new(SR), PeakHold::new(SR));
        let mut held = values.clone();
        // Blocks that cut buckets (48 frames) and groups of 8 anywhere.
        let mut start = 0;
        for len in [5, 64, 3, 100, 47, 781] {
            by_block.hold_block(&mut held[start..start + len]);
            start += len;
        }
        for (i, (v, h)) in values.iter().zip(&held).enumerate() {
            assert_eq!(by_tick.tick(f64::from(*v)) as f32, *h, "frame {i}");
        }
    }

    #[test]
    fn peak_hold_lags_a_drop_by_one_to_two_buckets() {
        let mut p = PeakHold::new(SR);
        let b = p.bucket_frames();
        assert_eq!(b, 48);
        for offset in [0, 17, 47] {
            p.reset();
            for _ in 0..(b * 3 + offset) {
                p.tick(1.0);
            }
            let lag = (0..4 * b).position(|_| p.tick(0.0) == 0.0).unwrap_or(usize::MAX);
            assert!(lag >= b - 1 && lag < 2 * b, "lag {lag}");
        }
    }

    #[test]
    fn silence_settles_to_the_closed_state_and_exact_zero_envelope_when_open() {
        let mut g = Gate::new(GateSettings::default(), SR, 2);
        assert!((g.tick([0.0; 2]) - 80.0).abs() < 1e-9);
        // A Nyquist-rate square: constant |x|, untouched by the high-pass.
        let alt = |i: usize| if i.is_multiple_of(2) { 0.5 } else { -0.5 };
        for i in 0..4800 {
            g.tick([alt(i), 0.0]);
        }
        assert!(g.is_open());
        assert_eq!(g.tick([alt(4800), 0.0]), 0.0);
        for _ in 0..48_000 {
            g.tick([0.0; 2]);
        }
        assert!(!g.is_open());
    }
}

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

use super::compressor::{MAX_CHANNELS, PEAK_HOLD_MS, design_highpass, time_coef};
use crate::eq::biquad::{BiquadCoefs, BiquadState};

/// Level floor for the dB conversion (−200 dBFS), so silence is finite.
const LEVEL_FLOOR: f64 = 1e-10;

/// Values below this become exact zeros in the envelope.
const FLUSH: f64 = 1e-30;

/// Level of a linear amplitude in dB, floored at −200 dB.
#[inline]
pub fn level_db(x: f64) -> f64 {
    // f32 fast log (2.5e-5 dB error): a libm log10 per sample was a hot spot.
    f64::from(crate::fast_math::gain_to_db(x.max(LEVEL_FLOOR) as f32))
}

/// One step of the branching one-pole of Giannoulis et al. (2012): coefficient
/// `rise` while `target` is above `env`, `fall` otherwise. Tiny results flush
/// to zero.
#[inline]
pub fn branch(env: f64, target: f64, rise: f64, fall: f64) -> f64 {
    let coef = if target > env { rise } else { fall };
    let y = coef * env + (1.0 - coef) * target;
    if y.abs() < FLUSH { 0.0 } else { y }
}

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

    /// Forgets every peak.
    pub fn reset(&mut self) {
        self.count = 0;
        self.current = 0.0;
        self.previous = 0.0;
    }
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
    hp_state: [BiquadState; MAX_CHANNELS],
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
            hp_state: [BiquadState::default(); MAX_CHANNELS],
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
        for s in &mut self.hp_state {
            s.reset();
        }
        self.peak.reset();
        self.open = false;
        self.hold_left = 0;
        self.envelope = self.settings.closed_reduction_db(level_db(0.0));
    }

    /// Whether the trigger is open (including the hold).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Feeds one frame of detector input (missing channels read as silence) and
    /// returns the smoothed gain reduction in dB (≥ 0), shared by all channels.
    pub fn tick(&mut self, detect: [f32; MAX_CHANNELS]) -> f64 {
        let mut peak = 0.0f64;
        for (state, x) in self.hp_state.iter_mut().zip(detect).take(self.channels) {
            // A non-finite sample would latch the detector filter at NaN for good.
            let x = if x.is_finite() { x } else { 0.0 };
            peak = peak.max(f64::from(state.tick(&self.highpass, x)).abs());
        }
        let level = level_db(self.peak.tick(peak));
        let s = &self.settings;
        if level > s.threshold_db {
            self.open = true;
            self.hold_left = self.hold_frames;
        } else if self.open {
            if level >= s.threshold_db - s.hysteresis_db.max(0.0) {
                self.hold_left = self.hold_frames;
            } else if self.hold_left > 0 {
                self.hold_left -= 1;
            } else {
                self.open = false;
            }
        }
        let target = if self.open { 0.0 } else { s.closed_reduction_db(level) };
        // The reduction rising means the gate closing: release; falling: attack.
        self.envelope = branch(self.envelope, target, self.release, self.attack);
        self.envelope
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

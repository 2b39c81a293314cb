//! Loudness leveler kernel: a slow automatic gain control that moves the
//! short-term loudness of its input toward a target, as a vocal rider or a
//! broadcast loudness AGC does. Plain math with no engine types; the
//! `dynamics.leveler` node wraps it.
//!
//! **Measurement** follows ITU-R BS.1770-4: each channel is K-weighted (the
//! pre-filter, a +4 dB high shelf modelling the head, then the RLB high-pass),
//! the squares of the channels are summed with weight 1 (L and R; a mono input
//! is its one channel), and loudness is `−0.691 + 10·log10(mean square)`.
//! The K-weighting coefficients are computed for any sample rate from the
//! analog prototypes, as libebur128 does (`ebur128_init_filter`); at 48 kHz
//! they equal the table of BS.1770 within 1e-8. The filters run on the
//! biquad kernel of [`crate::eq::biquad`].
//!
//! The mean square of every 100 ms block goes into a preallocated ring of
//! [`WINDOW_BLOCKS`] blocks, and the short-term loudness is read from the
//! exact sum of that ring (recomputed from the ring at each block, so no
//! rounding drifts in): 30 blocks of 100 ms are EBU R128's 3 s short-term
//! window, updated 10 times a second.
//!
//! **Gate.** A block whose own loudness is below `gate_lufs` (silence, room
//! noise, most breaths) is left out of the window and the gain holds where it
//! is until a block above the gate arrives; the gain also holds if the
//! short-term loudness itself is below the gate (after `gate_lufs` is raised).
//! Leaving gated blocks out, as BS.1770's absolute gate does for integrated
//! loudness, keeps pauses from reading as "too quiet": with them inside the
//! window, a 1 s pause in 3 s would read 1.8 LU low and the leveler would
//! push up the next phrase.
//!
//! **Gain.** The wanted gain is `target_lufs − short-term loudness`, limited
//! to `−max_cut_db ..= +max_boost_db`. The applied gain (dB) moves toward it
//! by at most `speed_db_per_s / sample_rate` per sample, so it changes
//! smoothly every sample (no zipper) and never faster than the speed. While
//! the first window fills, the gain starts moving once [`MIN_BLOCKS`] (400 ms,
//! EBU R128's momentary window) are measured, reads the mean of the blocks so
//! far, and may move at up to [`FILL_SPEED_DB_PER_S`], so the level is caught
//! within about a second instead of a slow fade-in.
//!
//! The leveler is feed-forward (it measures its own input), so there is no
//! loop to go unstable, and its latency is zero.

use crate::eq::biquad::{BiquadCoefs, BiquadState};

/// Channels the kernel measures (mono or stereo).
pub const MAX_CHANNELS: usize = 2;
/// Length of one measurement block, seconds.
pub const BLOCK_SECONDS: f64 = 0.1;
/// Blocks in the short-term window (30 × 100 ms = 3 s).
pub const WINDOW_BLOCKS: usize = 30;
/// Blocks measured before the gain first moves (400 ms).
pub const MIN_BLOCKS: usize = 4;
/// Slew limit while the first window fills, dB/s (or `speed_db_per_s` if that is faster).
pub const FILL_SPEED_DB_PER_S: f64 = 24.0;

/// Largest detector input magnitude (+120 dBFS); larger samples are clamped.
const DETECTOR_LIMIT: f32 = 1e6;

/// The leveler's settings, all plain values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelerSettings {
    /// Short-term loudness to reach, LUFS (−40..0, default −18).
    pub target_lufs: f64,
    /// Largest gain change per second, dB/s (0.1..24, default 3).
    pub speed_db_per_s: f64,
    /// Largest boost, dB (0..24, default 12).
    pub max_boost_db: f64,
    /// Largest cut, dB, as a positive number (0..24, default 12).
    pub max_cut_db: f64,
    /// Blocks below this loudness are ignored and the gain holds, LUFS (−70..−20, default −50).
    pub gate_lufs: f64,
}

impl Default for LevelerSettings {
    fn default() -> Self {
        LevelerSettings {
            target_lufs: -18.0,
            speed_db_per_s: 3.0,
            max_boost_db: 12.0,
            max_cut_db: 12.0,
            gate_lufs: -50.0,
        }
    }
}

/// BS.1770 loudness of a channel-summed mean square (`-inf` for 0).
#[inline]
pub fn lufs(mean_square: f64) -> f64 {
    -0.691 + 10.0 * mean_square.log10()
}

/// The two K-weighting stages of BS.1770 at `sample_rate`: the pre-filter
/// (high shelf) and the RLB high-pass, from the analog prototypes used by
/// libebur128 (Brecht De Man's derivation of the BS.1770 48 kHz table).
pub fn k_weighting(sample_rate: f64) -> [BiquadCoefs; 2] {
    use std::f64::consts::PI;
    // Stage 1: high shelf.
    let f0 = 1_681.974_450_955_533;
    let gain_db = 3.999_843_853_973_347;
    let q = 0.707_175_236_955_419_6;
    let k = (PI * f0 / sample_rate).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = BiquadCoefs {
        b0: (vh + vb * k / q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    // Stage 2: RLB high-pass (numerator 1, −2, 1 as in BS.1770).
    let f0 = 38.135_470_876_024_44;
    let q = 0.500_327_037_323_877_3;
    let k = (PI * f0 / sample_rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let highpass =
        BiquadCoefs { b0: 1.0, b1: -2.0, b2: 1.0, a1: 2.0 * (k * k - 1.0) / a0, a2: (1.0 - k / q + k * k) / a0 };
    [shelf, highpass]
}

/// Measurement and gain state of a 1- or 2-channel leveler (one linked gain).
#[derive(Clone, Debug)]
pub struct Leveler {
    settings: LevelerSettings,
    channels: usize,
    k: [BiquadCoefs; 2],
    filters: [[BiquadState; 2]; MAX_CHANNELS],
    block_frames: usize,
    block_count: usize,
    block_sum: f64,
    ring: [f64; WINDOW_BLOCKS],
    ring_pos: usize,
    filled: usize,
    /// Short-term loudness of the window, LUFS (`-inf` until [`MIN_BLOCKS`]).
    short_term: f64,
    /// Whether the last complete block was below the gate.
    gated: bool,
    holding: bool,
    wanted_db: f64,
    gain_db: f64,
    step_db: f64,
    fill_step_db: f64,
    sample_rate: f64,
}

impl Leveler {
    /// A leveler at unity gain for `channels` (clamped to 1..=[`MAX_CHANNELS`]) at `sample_rate`.
    pub fn new(settings: LevelerSettings, sample_rate: f64, channels: usize) -> Self {
        let mut l = Leveler {
            settings,
            channels: channels.clamp(1, MAX_CHANNELS),
            k: k_weighting(sample_rate),
            filters: [[BiquadState::default(); 2]; MAX_CHANNELS],
            block_frames: ((BLOCK_SECONDS * sample_rate).round() as usize).max(1),
            block_count: 0,
            block_sum: 0.0,
            ring: [0.0; WINDOW_BLOCKS],
            ring_pos: 0,
            filled: 0,
            short_term: f64::NEG_INFINITY,
            gated: false,
            holding: true,
            wanted_db: 0.0,
            gain_db: 0.0,
            step_db: 0.0,
            fill_step_db: 0.0,
            sample_rate,
        };
        l.set_settings(settings);
        l
    }

    /// Current settings.
    pub fn settings(&self) -> &LevelerSettings {
        &self.settings
    }

    /// Changes settings, keeping the measurement and the gain. Real-time safe.
    pub fn set_settings(&mut self, settings: LevelerSettings) {
        self.settings = settings;
        let speed = settings.speed_db_per_s.max(1e-3);
        self.step_db = speed / self.sample_rate;
        self.fill_step_db = speed.max(FILL_SPEED_DB_PER_S) / self.sample_rate;
        self.update_wanted();
    }

    /// Back to unity gain with an empty window.
    pub fn reset(&mut self) {
        self.filters = [[BiquadState::default(); 2]; MAX_CHANNELS];
        self.block_count = 0;
        self.block_sum = 0.0;
        self.ring = [0.0; WINDOW_BLOCKS];
        self.ring_pos = 0;
        self.filled = 0;
        self.short_term = f64::NEG_INFINITY;
        self.gated = false;
        self.holding = true;
        self.wanted_db = 0.0;
        self.gain_db = 0.0;
    }

    /// Short-term loudness of the gated window, LUFS (`-inf` before the first
    /// [`MIN_BLOCKS`] blocks above the gate).
    pub fn short_term_lufs(&self) -> f64 {
        self.short_term
    }

    /// The gain currently applied, dB.
    pub fn gain_db(&self) -> f64 {
        self.gain_db
    }

    /// Whether the gain is holding (nothing measured yet, or the input is below the gate).
    pub fn is_holding(&self) -> bool {
        self.holding
    }

    /// Feeds one input frame (missing channels read as silence) and returns
    /// the gain in dB to apply to that frame.
    #[inline]
    pub fn tick(&mut self, frame: [f32; MAX_CHANNELS]) -> f64 {
        let mut energy = 0.0;
        for (stages, x) in self.filters.iter_mut().zip(frame).take(self.channels) {
            // A non-finite sample would latch the K-weighting filters at NaN for
            // good, and one near f32::MAX would overflow them; the detector has
            // no use for levels above +120 dBFS.
            let x = if x.is_finite() { x.clamp(-DETECTOR_LIMIT, DETECTOR_LIMIT) } else { 0.0 };
            let shelved = stages[0].tick(&self.k[0], x);
            let y = stages[1].tick(&self.k[1], shelved);
            energy += f64::from(y) * f64::from(y);
        }
        self.block_sum += energy;
        self.block_count += 1;
        if self.block_count >= self.block_frames {
            self.end_block();
        }
        let step = if self.filled < WINDOW_BLOCKS { self.fill_step_db } else { self.step_db };
        self.gain_db += (self.wanted_db - self.gain_db).clamp(-step, step);
        self.gain_db
    }

    fn end_block(&mut self) {
        let mean_square = self.block_sum / self.block_frames as f64;
        self.block_sum = 0.0;
        self.block_count = 0;
        self.gated = lufs(mean_square) < self.settings.gate_lufs;
        if !self.gated {
            if let Some(slot) = self.ring.get_mut(self.ring_pos) {
                *slot = mean_square;
            }
            self.ring_pos = (self.ring_pos + 1) % WINDOW_BLOCKS;
            self.filled = (self.filled + 1).min(WINDOW_BLOCKS);
            if self.filled >= MIN_BLOCKS {
                // Unfilled slots hold 0, so the sum covers exactly the blocks seen.
                let sum: f64 = self.ring.iter().sum();
                self.short_term = lufs(sum / self.filled as f64);
            }
        }
        self.update_wanted();
    }

    /// Recomputes the wanted gain from the short-term loudness, or holds the
    /// present gain (nothing measured yet, last block gated, or short-term
    /// loudness below the gate).
    fn update_wanted(&mut self) {
        let s = &self.settings;
        // `-inf` (nothing measured) is below any gate.
        self.holding =
            self.gated || self.filled < MIN_BLOCKS || self.short_term.is_nan() || self.short_term < s.gate_lufs;
        self.wanted_db = if self.holding {
            self.gain_db
        } else {
            (s.target_lufs - self.short_term).clamp(-s.max_cut_db.max(0.0), s.max_boost_db.max(0.0))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn k_weighting_matches_the_bs1770_table_at_48k() {
        // ITU-R BS.1770-4, Tables 1 and 2.
        let [shelf, hp] = k_weighting(SR);
        let expect = [
            (shelf.b0, 1.535_124_859_586_97),
            (shelf.b1, -2.691_696_189_406_38),
            (shelf.b2, 1.198_392_810_852_85),
            (shelf.a1, -1.690_659_293_182_41),
            (shelf.a2, 0.732_480_774_215_85),
            (hp.a1, -1.990_047_454_833_98),
            (hp.a2, 0.990_072_250_366_21),
        ];
        for (got, want) in expect {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
        // The shelf's +4 dB lift and the high-pass's cut, at 10 kHz and 20 Hz.
        assert!((shelf.magnitude_db(SR, 10_000.0) - 4.0).abs() < 0.1);
        assert!(hp.magnitude_db(SR, 20.0) < -5.0);
    }

    #[test]
    fn gated_blocks_leave_the_window_and_hold_the_gain() {
        let mut l = Leveler::new(LevelerSettings::default(), SR, 1);
        for _ in 0..48_000 {
            assert_eq!(l.tick([0.0; 2]), 0.0);
        }
        assert!(l.is_holding());
        assert_eq!(l.short_term_lufs(), f64::NEG_INFINITY);
    }

    #[test]
    fn settings_change_moves_the_wanted_gain_within_the_limits() {
        let mut l = Leveler::new(LevelerSettings::default(), SR, 1);
        // A 1 kHz sine of amplitude 0.1 on one channel: mean square -23.0 dB,
        // K-weighting +0.69 dB at 1 kHz, minus BS.1770's 0.691: -23.0 LUFS.
        let mut phase = 0.0f64;
        for _ in 0..(4 * 48_000) {
            phase += std::f64::consts::TAU * 1000.0 / SR;
            l.tick([(0.1 * phase.sin()) as f32, 0.0]);
        }
        let st = l.short_term_lufs();
        assert!((st + 23.0).abs() < 0.05, "short-term {st}");
        assert!((l.gain_db() - (-18.0 - st)).abs() < 1e-6, "settled at target - measured");
        l.set_settings(LevelerSettings { target_lufs: -5.0, max_boost_db: 6.0, ..LevelerSettings::default() });
        for _ in 0..48_000 {
            l.tick([(0.1 * phase.sin()) as f32, 0.0]);
            phase += std::f64::consts::TAU * 1000.0 / SR;
        }
        assert!((l.gain_db() - 6.0).abs() < 1e-9, "boost limited to max_boost_db: {}", l.gain_db());
        l.set_settings(LevelerSettings { target_lufs: -40.0, ..LevelerSettings::default() });
        for _ in 0..(5 * 48_000) {
            l.tick([0.0, 0.0]);
        }
        assert!(l.is_holding(), "silence holds");
        // At most one block (100 ms at 3 dB/s) of movement before the gate closes.
        assert!(l.gain_db() >= 6.0 - 0.31, "held instead of moving on to the new target: {}", l.gain_db());
    }

    #[test]
    fn huge_and_non_finite_input_does_not_latch_the_detector() {
        let mut l = Leveler::new(LevelerSettings::default(), SR, 2);
        for i in 0..48_000 {
            let x = match i % 3 {
                0 => f32::MAX,
                1 => f32::NAN,
                _ => -f32::INFINITY,
            };
            assert!(l.tick([x, -x]).is_finite());
        }
        // The huge blocks read as far too loud, so the gain went to the full
        // cut. Then a -33 LUFS tone: within 3 s the window holds only the tone,
        // and the gain climbs the 24 dB to the full boost at 3 dB/s.
        assert!((l.gain_db() + 12.0).abs() < 1e-6, "{}", l.gain_db());
        let mut phase = 0.0f64;
        for _ in 0..(12 * 48_000) {
            phase += std::f64::consts::TAU * 1000.0 / SR;
            l.tick([(0.0316 * phase.sin()) as f32, 0.0]);
        }
        assert!((l.short_term_lufs() + 33.0).abs() < 0.1, "{}", l.short_term_lufs());
        assert!((l.gain_db() - 12.0).abs() < 1e-6, "{}", l.gain_db());
    }
}

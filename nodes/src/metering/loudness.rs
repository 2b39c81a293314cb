//! EBU R 128 / ITU-R BS.1770 loudness metering for the meter nodes.
//!
//! A thin wrapper over the `ebur128` crate (0.1.x) that fixes the measurement
//! mode, sets the channel map explicitly and turns results into one
//! [`LoudnessReading`] in LUFS / LU / dB, with `-inf` standing for "nothing
//! measurable yet" (silence).
//!
//! # Real-time safety
//!
//! [`LoudnessMeter::add_planar`], [`LoudnessMeter::reading`] and
//! [`LoudnessMeter::reset`] do not allocate, so a meter node may call them from
//! the audio thread; all memory is taken in [`LoudnessMeter::new`].
//!
//! That holds only because the analyser runs with `Mode::HISTOGRAM`. Reading
//! the ebur128 0.1.11 source: in its default (non-histogram) mode the gating
//! history is a `VecDeque<f64>` created with capacity 5000 and an effectively
//! unlimited maximum length, so `add_frames_*` pushes one entry per 100 ms
//! gating block and *reallocates* once a programme passes 500 s (short-term
//! history: 5000 s), and `loudness_range` copies and sorts the whole history
//! into a fresh `Vec` on every call. In histogram mode both histories are
//! fixed 1000-bin arrays allocated in `new`: `add_frames_*` then only touches
//! preallocated buffers (the 3 s filtered-audio ring, per-channel filter and
//! true-peak interpolator state), `loudness_range` works on an 8 KiB stack
//! array and `reset` just zero-fills. No maximum block size is needed: the
//! library walks any block in 100 ms steps inside its fixed ring buffer.
//!
//! The price of histogram mode is resolution: each gating block is counted
//! in a 0.1 LU wide bin (bins cover -70 to +30 LUFS), so integrated loudness
//! and LRA are quantised to within 0.05 LU, well inside the +/-0.1 LU that
//! EBU Tech 3341 and +/-1 LU that Tech 3342 allow.
//!
//! True peak uses the library's 4x (below 96 kHz) or 2x (below 192 kHz)
//! polyphase interpolator; at 192 kHz and above the library does not
//! oversample and true peak equals sample peak.

use ebur128::{Channel, EbuR128, Mode};
use thiserror::Error;

/// Lowest sample rate the `ebur128` crate accepts.
pub const MIN_SAMPLE_RATE: u32 = 16;
/// Highest sample rate the `ebur128` crate accepts.
pub const MAX_SAMPLE_RATE: u32 = 2_822_400;

/// Why a meter could not be built or fed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoudnessError {
    /// Only mono, stereo and 5.0 (L R C Ls Rs) have a defined channel map.
    #[error("unsupported channel count {0} (expected 1, 2 or 5)")]
    UnsupportedChannels(u32),
    /// The sample rate is outside what the analyser supports.
    #[error("unsupported sample rate {0} (expected {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE})")]
    UnsupportedSampleRate(u32),
    /// `add_planar` got a different number of channel buffers than `new`.
    #[error("expected {expected} channel buffers, got {got}")]
    ChannelCountMismatch {
        /// Channels the meter was created with.
        expected: u32,
        /// Buffers passed in.
        got: usize,
    },
    /// The channel buffers of one call must all have the same length.
    #[error("channel buffers have different lengths")]
    LengthMismatch,
    /// The analyser itself reported a failure.
    #[error("loudness analyser error: {}", describe(.0))]
    Analyser(ebur128::Error),
}

/// Lowercase wording for the library's errors (its own Display is CamelCase).
fn describe(e: &ebur128::Error) -> &'static str {
    match e {
        ebur128::Error::NoMem => "out of memory or invalid parameters",
        ebur128::Error::InvalidMode => "invalid mode",
        ebur128::Error::InvalidChannelIndex => "invalid channel index",
    }
}

impl From<ebur128::Error> for LoudnessError {
    fn from(e: ebur128::Error) -> Self {
        LoudnessError::Analyser(e)
    }
}

/// One snapshot of every loudness figure.
///
/// A field is `f64::NEG_INFINITY` while undefined: momentary and short-term
/// over pure digital silence, integrated and range while no gating block has
/// passed the -70 LUFS absolute gate, peaks before any non-zero sample.
/// (The derived `Default` is all zeros; it is only a placeholder value.)
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct LoudnessReading {
    /// Momentary loudness (last 400 ms), LUFS. Reads low during the first
    /// 400 ms because the window is still partly empty.
    pub momentary_lufs: f64,
    /// Short-term loudness (last 3 s), LUFS. Reads low during the first 3 s.
    pub short_term_lufs: f64,
    /// Gated integrated loudness since start (or the last reset), LUFS.
    pub integrated_lufs: f64,
    /// Loudness range (EBU Tech 3342) since start, LU. `0.0` while there is
    /// sound but fewer short-term blocks than a range needs.
    pub range_lu: f64,
    /// Highest true peak over all channels since start, dBTP.
    pub true_peak_dbtp: f64,
    /// Highest sample peak over all channels since start, dBFS.
    pub sample_peak_dbfs: f64,
}

/// A streaming EBU R 128 meter for one multichannel signal.
pub struct LoudnessMeter {
    /// The analyser, configured once in `new` (histogram mode, all figures).
    inner: EbuR128,
    /// Channel count, cached to validate `add_planar` without a call.
    channels: u32,
}

impl std::fmt::Debug for LoudnessMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoudnessMeter")
            .field("channels", &self.channels)
            .field("sample_rate", &self.inner.rate())
            .finish()
    }
}

/// The BS.1770 channel map for a supported channel count.
///
/// Set explicitly rather than relying on the library's defaults so the
/// weighting cannot change under us: surrounds get the +1.5 dB (x1.41 power)
/// weight, mono is counted once (not as dual mono).
fn channel_map(channels: u32) -> Option<&'static [Channel]> {
    match channels {
        1 => Some(&[Channel::Left]),
        2 => Some(&[Channel::Left, Channel::Right]),
        5 => Some(&[Channel::Left, Channel::Right, Channel::Center, Channel::LeftSurround, Channel::RightSurround]),
        _ => None,
    }
}

/// Linear amplitude to dB, `-inf` for zero.
fn amplitude_db(linear: f64) -> f64 {
    20.0 * linear.log10()
}

impl LoudnessMeter {
    /// Creates a meter; this is the only place that allocates.
    ///
    /// `channels` must be 1 (mono), 2 (L R) or 5 (L R C Ls Rs, ITU order).
    pub fn new(channels: u32, sample_rate: u32) -> Result<Self, LoudnessError> {
        let map = channel_map(channels).ok_or(LoudnessError::UnsupportedChannels(channels))?;
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
            return Err(LoudnessError::UnsupportedSampleRate(sample_rate));
        }
        // HISTOGRAM keeps add_frames/loudness_range allocation-free (see the
        // module docs); the others enable every figure in LoudnessReading.
        let mode = Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK | Mode::HISTOGRAM;
        let mut inner = EbuR128::new(channels, sample_rate, mode)?;
        inner.set_channel_map(map)?;
        Ok(Self { inner, channels })
    }

    /// Number of channels the meter expects.
    pub fn channels(&self) -> u32 {
        self.channels
    }

    /// Sample rate the meter was built for, in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.inner.rate()
    }

    /// Feeds one block: one slice per channel, all of the same length.
    ///
    /// Any block length works (including 0); nothing is allocated.
    pub fn add_planar(&mut self, channels: &[&[f32]]) -> Result<(), LoudnessError> {
        if channels.len() != self.channels as usize {
            return Err(LoudnessError::ChannelCountMismatch { expected: self.channels, got: channels.len() });
        }
        // Checked here (the library would also refuse) to give a clear error.
        let len = channels.first().map_or(0, |c| c.len());
        if channels.iter().any(|c| c.len() != len) {
            return Err(LoudnessError::LengthMismatch);
        }
        self.inner.add_frames_planar_f32(channels)?;
        Ok(())
    }

    /// Current values of every figure. Allocation-free.
    pub fn reading(&self) -> LoudnessReading {
        // The getters fail only for a mode we did not enable, and we enable
        // them all; "undefined" is the honest fallback regardless.
        // Far below anything audible a level is float residue, not a loudness
        // (a decayed filter tail otherwise reads as −2000 LUFS): report it undefined.
        let or_undefined = |r: Result<f64, ebur128::Error>| match r {
            Ok(v) if v >= -150.0 => v,
            _ => f64::NEG_INFINITY,
        };

        let integrated_lufs = or_undefined(self.inner.loudness_global());
        // The library reports LRA 0 both for "steady programme" and "nothing
        // above the gate yet"; only the former is a real measurement.
        let range_lu = if integrated_lufs == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            or_undefined(self.inner.loudness_range())
        };

        let mut true_peak = 0.0f64;
        let mut sample_peak = 0.0f64;
        for ch in 0..self.channels {
            true_peak = true_peak.max(self.inner.true_peak(ch).unwrap_or(0.0));
            sample_peak = sample_peak.max(self.inner.sample_peak(ch).unwrap_or(0.0));
        }

        LoudnessReading {
            momentary_lufs: or_undefined(self.inner.loudness_momentary()),
            short_term_lufs: or_undefined(self.inner.loudness_shortterm()),
            integrated_lufs,
            range_lu,
            true_peak_dbtp: amplitude_db(true_peak),
            sample_peak_dbfs: amplitude_db(sample_peak),
        }
    }

    /// Forgets everything measured so far (e.g. on transport restart).
    /// Allocation-free.
    pub fn reset(&mut self) {
        self.inner.reset();
    }
}

/// Offline helper: measures a whole planar signal in one go.
///
/// The channel count is `channels.len()` and must be 1, 2 or 5.
pub fn measure(channels: &[&[f32]], sample_rate: u32) -> Result<LoudnessReading, LoudnessError> {
    let count = u32::try_from(channels.len()).map_err(|_| LoudnessError::UnsupportedChannels(u32::MAX))?;
    let mut meter = LoudnessMeter::new(count, sample_rate)?;
    meter.add_planar(channels)?;
    Ok(meter.reading())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    const SR: u32 = 48_000;

    /// Generates a stereo 1 kHz sine whose level steps through `segments`
    /// of (dBFS peak, seconds), in blocks, feeding them to `meter` as it goes
    /// so no test holds more than one block of audio.
    fn feed_sine_segments(meter: &mut LoudnessMeter, freq: f64, segments: &[(f64, f64)]) {
        const BLOCK: usize = 4_800;
        let mut phase_index: u64 = 0;
        let mut left = vec![0.0f32; BLOCK];
        for &(dbfs, seconds) in segments {
            let amp = 10f64.powf(dbfs / 20.0);
            let mut remaining = (seconds * f64::from(SR)).round() as usize;
            while remaining > 0 {
                let n = remaining.min(BLOCK);
                for s in left.iter_mut().take(n) {
                    let t = phase_index as f64 / f64::from(SR);
                    *s = (amp * (2.0 * PI * freq * t).sin()) as f32;
                    phase_index += 1;
                }
                let block = &left[..n];
                meter.add_planar(&[block, block]).expect("add_planar");
                remaining -= n;
            }
        }
    }

    fn integrated_of(segments: &[(f64, f64)]) -> LoudnessReading {
        let mut m = LoudnessMeter::new(2, SR).expect("meter");
        feed_sine_segments(&mut m, 1_000.0, segments);
        m.reading()
    }

    fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
        println!("{what}: {got:.3} (expected {want} +/-{tol})");
        assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} +/-{tol}");
    }

    // EBU Tech 3341 (V4, 2016), minimum requirements, stereo 1 kHz sine.

    #[test]
    fn tech3341_case1_minus23_dbfs() {
        let r = integrated_of(&[(-23.0, 20.0)]);
        assert_close("3341 case 1 I", r.integrated_lufs, -23.0, 0.1);
    }

    #[test]
    fn tech3341_case2_minus33_dbfs() {
        let r = integrated_of(&[(-33.0, 20.0)]);
        assert_close("3341 case 2 I", r.integrated_lufs, -33.0, 0.1);
    }

    #[test]
    fn tech3341_case3_relative_gate() {
        let r = integrated_of(&[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
        assert_close("3341 case 3 I", r.integrated_lufs, -23.0, 0.1);
    }

    #[test]
    fn tech3341_case4_absolute_and_relative_gate() {
        let segs = [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)];
        let r = integrated_of(&segs);
        assert_close("3341 case 4 I", r.integrated_lufs, -23.0, 0.1);
    }

    #[test]
    fn tech3341_case5_level_steps() {
        let r = integrated_of(&[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]);
        assert_close("3341 case 5 I", r.integrated_lufs, -23.0, 0.1);
    }

    // EBU Tech 3342 loudness range, cases 1 and 2.

    #[test]
    fn tech3342_case1_lra_10() {
        let r = integrated_of(&[(-20.0, 20.0), (-30.0, 20.0)]);
        assert_close("3342 case 1 LRA", r.range_lu, 10.0, 1.0);
    }

    #[test]
    fn tech3342_case2_lra_5() {
        let r = integrated_of(&[(-20.0, 20.0), (-15.0, 20.0)]);
        assert_close("3342 case 2 LRA", r.range_lu, 5.0, 1.0);
    }

    #[test]
    fn momentary_and_short_term_on_steady_sine() {
        let mut m = LoudnessMeter::new(2, SR).expect("meter");
        feed_sine_segments(&mut m, 1_000.0, &[(-23.0, 1.0)]);
        assert_close("momentary after 1 s", m.reading().momentary_lufs, -23.0, 0.1);
        feed_sine_segments(&mut m, 1_000.0, &[(-23.0, 2.0)]);
        assert_close("short-term after 3 s", m.reading().short_term_lufs, -23.0, 0.1);
    }

    /// Stereo sine at fs/4 with the given peak level and phase, 1 s long.
    fn quarter_rate_sine(dbfs_peak: f64, phase_deg: f64) -> Vec<f32> {
        let amp = 10f64.powf(dbfs_peak / 20.0);
        let phase = phase_deg.to_radians();
        (0..SR as usize).map(|i| (amp * (PI / 2.0 * i as f64 + phase).sin()) as f32).collect()
    }

    /// Tech 3341 true-peak tolerance: +0.2 / -0.4 dB.
    fn assert_true_peak(what: &str, got: f64, want: f64) {
        println!("{what}: {got:.3} dBTP (expected {want} +0.2/-0.4)");
        assert!(got <= want + 0.2 && got >= want - 0.4, "{what}: {got} dBTP, want {want}");
    }

    #[test]
    fn tech3341_true_peak_quarter_rate_sines() {
        // Cases 15-18 style: -6 dBFS-peak fs/4 sine at phases where the
        // samples land on or off the peak; all read -6 dBTP.
        for phase in [0.0, 45.0, 60.0, 67.5] {
            let s = quarter_rate_sine(-6.0, phase);
            let r = measure(&[&s, &s], SR).expect("measure");
            assert_true_peak(&format!("-6 dBFS fs/4 at {phase} deg"), r.true_peak_dbtp, -6.0);
        }
        // 0 dBFS-peak sine offset by 45 degrees: samples miss the peak by
        // 3.01 dB, the true peak is at 0 dBTP.
        let s = quarter_rate_sine(0.0, 45.0);
        let r = measure(&[&s, &s], SR).expect("measure");
        assert_close("sample peak, 0 dB sine at 45 deg", r.sample_peak_dbfs, -3.01, 0.01);
        assert_true_peak("true peak, 0 dB sine at 45 deg", r.true_peak_dbtp, 0.0);
        // Case 19 style: samples at 0 dBFS, waveform peaks at +3 dBTP.
        let s = quarter_rate_sine(3.01, 45.0);
        let r = measure(&[&s, &s], SR).expect("measure");
        assert_close("sample peak, +3 dB sine at 45 deg", r.sample_peak_dbfs, 0.0, 0.01);
        assert_true_peak("true peak, +3 dB sine at 45 deg", r.true_peak_dbtp, 3.01);
    }

    #[test]
    fn silence_reads_negative_infinity() {
        let z = vec![0.0f32; SR as usize * 4];
        let r = measure(&[&z, &z], SR).expect("measure");
        let inf = f64::NEG_INFINITY;
        assert_eq!(
            r,
            LoudnessReading {
                momentary_lufs: inf,
                short_term_lufs: inf,
                integrated_lufs: inf,
                range_lu: inf,
                true_peak_dbtp: inf,
                sample_peak_dbfs: inf,
            }
        );
    }

    #[test]
    fn five_channel_map_weights_surrounds() {
        // A -23 dBFS sine on one channel; the rest silent. Front channels
        // are weighted 1.0, surrounds 1.41 (+1.49 dB).
        let tone: Vec<f32> = (0..SR as usize * 2)
            .map(|i| (10f64.powf(-23.0 / 20.0) * (2.0 * PI * 1e3 * i as f64 / 48e3).sin()) as f32)
            .collect();
        let silence = vec![0.0f32; tone.len()];
        let mut levels = Vec::new();
        for active in 0..5 {
            let chans: Vec<&[f32]> = (0..5).map(|c| if c == active { &tone[..] } else { &silence[..] }).collect();
            levels.push(measure(&chans, SR).expect("measure").integrated_lufs);
        }
        println!("5.0 per-channel integrated: {levels:?}");
        for front in &levels[..3] {
            assert_close("front vs L", *front, levels[0], 0.01);
        }
        for surround in &levels[3..] {
            let weight_db = 10.0 * 1.41f64.log10();
            assert_close("surround - front", surround - levels[0], weight_db, 0.1);
        }
    }

    #[test]
    fn reset_forgets_history() {
        let mut m = LoudnessMeter::new(1, SR).expect("meter");
        feed_mono(&mut m, -20.0, 2.0);
        assert!(m.reading().integrated_lufs.is_finite());
        m.reset();
        assert_eq!(m.reading().integrated_lufs, f64::NEG_INFINITY);
        assert_eq!(m.reading().true_peak_dbtp, f64::NEG_INFINITY);
        feed_mono(&mut m, -30.0, 2.0);
        let r = m.reading();
        // Mono, L weight 1.0: a sine at -30 dBFS peak is about -33 LUFS.
        assert_close("mono after reset", r.integrated_lufs, -33.0, 0.1);
    }

    fn feed_mono(m: &mut LoudnessMeter, dbfs: f64, seconds: f64) {
        let amp = 10f64.powf(dbfs / 20.0);
        let s: Vec<f32> =
            (0..(seconds * 48e3) as usize).map(|i| (amp * (2.0 * PI * 1e3 * i as f64 / 48e3).sin()) as f32).collect();
        m.add_planar(&[&s]).expect("add_planar");
    }

    #[test]
    fn errors_are_reported() {
        assert_eq!(LoudnessMeter::new(3, SR).err(), Some(LoudnessError::UnsupportedChannels(3)));
        assert_eq!(LoudnessMeter::new(2, 0).err(), Some(LoudnessError::UnsupportedSampleRate(0)));
        let mut m = LoudnessMeter::new(2, SR).expect("meter");
        let a = [0.0f32; 10];
        let b = [0.0f32; 9];
        assert_eq!(m.add_planar(&[&a]), Err(LoudnessError::ChannelCountMismatch { expected: 2, got: 1 }));
        assert_eq!(m.add_planar(&[&a, &b]), Err(LoudnessError::LengthMismatch));
        assert_eq!(m.add_planar(&[&a[..0], &a[..0]]), Ok(()));
        assert_eq!(measure(&[], SR).err(), Some(LoudnessError::UnsupportedChannels(0)));
        let msg = LoudnessError::LengthMismatch.to_string();
        assert_eq!(msg, msg.to_lowercase());
    }
}

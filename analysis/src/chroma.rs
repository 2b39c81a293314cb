//! Chroma: how much of each of the twelve pitch classes sounds in each
//! short frame, the input of key detection and of chord-change downbeats;
//! with it, from the same spectra, octave-band levels for structure.
//!
//! A Hann-windowed STFT of about 170 ms (fine enough to tell semitones
//! apart from [`LOWEST_HZ`] up); every spectral peak between [`LOWEST_HZ`]
//! and [`HIGHEST_HZ`] counts for the pitch class of its nearest
//! equal-tempered pitch (A4 = 440 Hz; its frequency interpolated between
//! bins), with its magnitude log-compressed (`ln(1 + γ·a)`, so a loud bass
//! note does not drown the chord above it). Peaks rather than every bin,
//! so a note's window main lobe does not leak into its neighbours.

use crate::stft;

/// Pitch-class names with sharps, C first.
pub const PITCH_CLASSES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
/// Lowest frequency counted, Hz: below it the STFT's bins are wider than
/// a semitone.
pub const LOWEST_HZ: f64 = 100.0;
/// Highest frequency counted, Hz: above it overtones and cymbals blur the
/// pitch classes more than they add.
pub const HIGHEST_HZ: f64 = 5_000.0;
/// Log compression factor γ of the magnitudes (as sine amplitudes).
const GAMMA: f32 = 10.0;

/// Chroma vectors at a fixed frame rate.
#[derive(Clone, Debug)]
pub struct Chromagram {
    /// Frames per second.
    pub rate: f64,
    /// Time of frame 0's centre, seconds (later frames every `1/rate`).
    pub offset_s: f64,
    /// Per frame, the weight of each pitch class (index 0 = C), ≥ 0.
    pub frames: Vec<[f32; 12]>,
    /// Per frame, the power in each octave band around
    /// [`crate::OCTAVE_CENTRES_HZ`], dB (the timbre that structure
    /// analysis compares along with the harmony).
    pub octave_db: Vec<[f32; OCTAVES]>,
}

/// Number of octave bands in [`Chromagram::octave_db`].
pub const OCTAVES: usize = crate::OCTAVE_CENTRES_HZ.len();

impl Chromagram {
    /// The frames whose centres lie in `[from_s, to_s)`.
    pub fn frames_between(&self, from_s: f64, to_s: f64) -> std::ops::Range<usize> {
        let first = ((from_s - self.offset_s) * self.rate).ceil().max(0.0) as usize;
        let end = (((to_s - self.offset_s) * self.rate).ceil().max(0.0) as usize).min(self.frames.len());
        first.min(end)..end
    }

    /// The sum of the frames whose centres lie in `[from_s, to_s)`.
    pub fn sum_between(&self, from_s: f64, to_s: f64) -> [f32; 12] {
        let mut sum = [0.0f32; 12];
        for frame in &self.frames[self.frames_between(from_s, to_s)] {
            for (s, v) in sum.iter_mut().zip(frame) {
                *s += v;
            }
        }
        sum
    }
}

/// The chromagram of `mono` at `sample_rate`: frames of about 170 ms (a
/// power of two, 8192 at 44.1/48 kHz) every half frame.
pub fn chromagram(mono: &[f32], sample_rate: f64) -> Chromagram {
    let len = stft::frame_len(sample_rate, 0.17, 256);
    let hop = len / 2;
    let bin_hz = sample_rate / len as f64;
    let first = ((LOWEST_HZ / bin_hz).floor() as usize).max(1);
    let last = ((HIGHEST_HZ.min(0.45 * sample_rate) / bin_hz).ceil() as usize).min(len / 2 - 1);
    // A bin-centred sine of amplitude a reads a·len/4 through the Hann window.
    let to_amplitude = 4.0 / len as f32;
    let mut magnitude = vec![0.0f32; len / 2 + 1];
    // Octave band of each bin (band edges at the centres / √2).
    let octave_of: Vec<Option<usize>> = (0..=len / 2)
        .map(|k| {
            let octave =
                ((k as f64 * bin_hz) / (crate::OCTAVE_CENTRES_HZ[0] / std::f64::consts::SQRT_2)).log2().floor();
            (k > 0 && octave >= 0.0 && (octave as usize) < OCTAVES).then_some(octave as usize)
        })
        .collect();
    let mut frames = Vec::new();
    let mut octave_db = Vec::new();
    stft::for_each_frame(mono, len, hop, |spectrum| {
        for (m, c) in magnitude.iter_mut().zip(spectrum).skip(first - 1).take(last - first + 3) {
            *m = c.norm() * to_amplitude;
        }
        let mut chroma = [0.0f32; 12];
        for k in first..=last {
            let (a, b, c) = (magnitude[k - 1], magnitude[k], magnitude[k + 1]);
            if b <= a || b < c || b < 1e-5 {
                continue;
            }
            // A spectral peak: its frequency from a parabola through the
            // log magnitudes, its whole weight to the nearest pitch class.
            let (la, lb, lc) = (a.max(1e-9).ln(), b.ln(), c.max(1e-9).ln());
            let d = la - 2.0 * lb + lc;
            let offset = if d.abs() > 1e-9 { 0.5 * (la - lc) / d } else { 0.0 };
            let hz = (k as f64 + f64::from(offset)) * bin_hz;
            let pitch = (69.0 + 12.0 * (hz / 440.0).log2()).round() as i64;
            chroma[pitch.rem_euclid(12) as usize] += (1.0 + GAMMA * b).ln();
        }
        frames.push(chroma);
        let mut power = [0.0f32; OCTAVES];
        for (c, band) in spectrum.iter().zip(&octave_of) {
            if let Some(b) = band {
                power[*b] += c.norm_sqr() * to_amplitude * to_amplitude;
            }
        }
        octave_db.push(power.map(|p| 10.0 * (p + 1e-12).log10()));
    });
    Chromagram { rate: sample_rate / hop as f64, offset_s: len as f64 / 2.0 / sample_rate, frames, octave_db }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::sine;

    #[test]
    fn a_c_major_triad_lights_c_e_and_g() {
        let sr = 44_100.0;
        let n = 44_100 * 2;
        let mut x = vec![0.0f32; n];
        // C4, E4, G4.
        for f in [261.63, 329.63, 392.0] {
            for (v, s) in x.iter_mut().zip(sine(f, 0.2, sr, n)) {
                *v += s;
            }
        }
        let c = chromagram(&x, sr);
        let total = c.sum_between(0.0, 2.0);
        let sum: f32 = total.iter().sum();
        let share = |pc: usize| total[pc] / sum;
        let triad = share(0) + share(4) + share(7);
        assert!(triad > 0.8, "C, E and G hold {:.2} of the chroma: {total:?}", triad);
        for pc in [1, 2, 3, 5, 6, 8, 9, 10, 11] {
            assert!(share(pc) < share(0) / 4.0, "{} at {:.3}", PITCH_CLASSES[pc], share(pc));
        }
    }
}

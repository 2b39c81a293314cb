//! Onset strength: how much new energy each short frame brings, the input of
//! tempo and beat tracking.
//!
//! Log-compressed spectral flux over [`BANDS`] log-spaced bands (the sum over
//! bands of the rise in `ln(1 + γ·m)` from one frame to the next, `m` the
//! band's RMS magnitude), minus its moving average
//! over 0.25 s and half-wave rectified, so steady sound reads 0 and every
//! attack stands out whatever its level. Bands rather than FFT bins, so
//! each octave counts about equally: summed over linear bins, the
//! thousands of bins above 5 kHz let quiet hi-hats outweigh the kick and
//! snare that carry the beat. A second envelope keeps only the
//! bins below [`LOW_BAND_HZ`]: bass attacks (kick, bass notes), which mark
//! downbeats more than anything else.

use crate::stft;

/// Log compression factor γ of the magnitudes.
const GAMMA: f32 = 100.0;
/// Upper edge of the bass-attack envelope, Hz.
pub const LOW_BAND_HZ: f64 = 200.0;
/// Number of log-spaced bands between [`LOWEST_HZ`] and Nyquist.
pub const BANDS: usize = 36;
/// Lower edge of the lowest band, Hz.
pub const LOWEST_HZ: f64 = 30.0;
/// Length of the moving average subtracted from the flux, seconds.
const MEAN_WINDOW_S: f64 = 0.25;

/// Onset envelopes at a fixed frame rate.
#[derive(Clone, Debug)]
pub struct Onsets {
    /// Frames per second.
    pub rate: f64,
    /// Time of frame 0's centre, seconds (later frames every `1/rate`).
    pub offset_s: f64,
    /// Full-band onset strength per frame (≥ 0).
    pub strength: Vec<f32>,
    /// Onset strength of the bands below [`LOW_BAND_HZ`] per frame (≥ 0).
    pub low: Vec<f32>,
    /// Level of the bands below [`LOW_BAND_HZ`] per frame: the sum of
    /// their RMS magnitudes, linear (sustained bass, not just its attacks;
    /// linear so a bass note on top of a kick counts in full).
    pub low_level: Vec<f32>,
}

impl Onsets {
    /// Time of frame `t` (fractional frames allowed), seconds.
    pub fn time_of(&self, t: f64) -> f64 {
        self.offset_s + t / self.rate
    }
}

/// The onset envelopes of `mono` at `sample_rate`: hop of about 5 ms (a
/// power of two, 256 at 44.1/48 kHz), frames four hops long.
pub fn onsets(mono: &[f32], sample_rate: f64) -> Onsets {
    let hop = (sample_rate / 190.0).log2().round().exp2().max(16.0) as usize;
    let len = 4 * hop;
    // Band of each bin (None below LOWEST_HZ), log-spaced up to Nyquist.
    let nyquist = sample_rate / 2.0;
    let band_of: Vec<Option<usize>> = (0..=len / 2)
        .map(|k| {
            let hz = k as f64 * sample_rate / len as f64;
            (hz >= LOWEST_HZ)
                .then(|| (((hz / LOWEST_HZ).ln() / (nyquist / LOWEST_HZ).ln() * BANDS as f64) as usize).min(BANDS - 1))
        })
        .collect();
    let mut bins_in = [0usize; BANDS];
    for b in band_of.iter().flatten() {
        bins_in[*b] += 1;
    }
    let low_bands = band_of
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as f64 * sample_rate / len as f64) < LOW_BAND_HZ)
        .filter_map(|(_, b)| *b)
        .max()
        .map_or(0, |b| b + 1);
    let mut previous = [0.0f32; BANDS];
    let (mut full, mut low, mut low_level) = (Vec::new(), Vec::new(), Vec::new());
    stft::for_each_frame(mono, len, hop, |spectrum| {
        let mut power = [0.0f32; BANDS];
        for (c, b) in spectrum.iter().zip(&band_of) {
            if let Some(b) = b {
                power[*b] += c.norm_sqr();
            }
        }
        let (mut f, mut l, mut level_sum) = (0.0f32, 0.0f32, 0.0f32);
        for (b, (p, prev)) in power.iter().zip(previous.iter_mut()).enumerate() {
            if bins_in[b] == 0 {
                continue;
            }
            let magnitude = (p / bins_in[b] as f32).sqrt();
            let level = (1.0 + GAMMA * magnitude).ln();
            let rise = (level - *prev).max(0.0);
            *prev = level;
            f += rise;
            if b < low_bands {
                l += rise;
                level_sum += magnitude;
            }
        }
        full.push(f);
        low.push(l);
        low_level.push(level_sum);
    });
    // The first frame rises from silence: not an onset of the music.
    for env in [&mut full, &mut low] {
        if let Some(first) = env.first_mut() {
            *first = 0.0;
        }
    }
    let rate = sample_rate / hop as f64;
    let mean_frames = ((MEAN_WINDOW_S * rate) as usize).max(1);
    Onsets {
        rate,
        offset_s: len as f64 / 2.0 / sample_rate,
        strength: above_local_mean(&full, mean_frames),
        low: above_local_mean(&low, mean_frames),
        low_level,
    }
}

/// `x` minus its centred moving average over `window` frames, rectified.
fn above_local_mean(x: &[f32], window: usize) -> Vec<f32> {
    let mut prefix = Vec::with_capacity(x.len() + 1);
    prefix.push(0.0f64);
    for v in x {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + f64::from(*v));
    }
    let half = window / 2;
    (0..x.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(x.len()));
            let mean = (prefix[b] - prefix[a]) / (b - a) as f64;
            (f64::from(x[i]) - mean).max(0.0) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_show_as_peaks_at_their_times() {
        let sr = 48_000.0;
        let mut x = vec![0.0f32; 48_000 * 3];
        for k in 1..6 {
            // A short burst every half second from 0.5 s.
            let at = k * 24_000;
            for (i, v) in x[at..at + 200].iter_mut().enumerate() {
                *v = if i % 2 == 0 { 0.5 } else { -0.5 };
            }
        }
        let o = onsets(&x, sr);
        assert_eq!(o.rate, 187.5);
        for k in 1..6 {
            let want = k as f64 * 0.5;
            let (peak, _) = o
                .strength
                .iter()
                .enumerate()
                .filter(|(t, _)| (o.time_of(*t as f64) - want).abs() < 0.1)
                .fold((0, 0.0f32), |best, (t, v)| if *v > best.1 { (t, *v) } else { best });
            let error = o.time_of(peak as f64) - want;
            assert!(error.abs() < 0.012, "click at {want} s found at {error:+.4} s off");
        }
    }
}

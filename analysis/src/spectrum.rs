//! Long-term spectral balance: average power spectrum, per-octave shares,
//! centroid and roll-off.

use crate::round;
use crate::stft;
use serde::{Deserialize, Serialize};

/// FFT length of the long-term average spectrum (Hann window, 50 % overlap).
const FFT_LEN: usize = 4096;
/// Centres of the octave bands, Hz (ISO 266 nominal values).
pub const OCTAVE_CENTRES_HZ: [f64; 10] = [31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0];

/// Long-term spectral measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectralBalance {
    /// Share of the total power in each octave band of
    /// [`OCTAVE_CENTRES_HZ`] (edges a half octave either side), dB
    /// (0 = all of it; −200 for an empty band).
    pub octave_db: Vec<f64>,
    /// Power-weighted mean frequency, Hz.
    pub centroid_hz: f64,
    /// Frequency below which 85 % of the power lies, Hz.
    pub rolloff_hz: f64,
}

impl SpectralBalance {
    /// Measures `mono` at `sample_rate`.
    pub fn measure(mono: &[f32], sample_rate: f64) -> Self {
        let power = average_power(mono, FFT_LEN);
        let bin_hz = sample_rate / FFT_LEN as f64;
        let total: f64 = power.iter().skip(1).sum();
        let share_db = |p: f64| if p > 0.0 && total > 0.0 { (10.0 * (p / total).log10()).max(-200.0) } else { -200.0 };
        let octave_db = OCTAVE_CENTRES_HZ
            .iter()
            .map(|c| {
                let (lo, hi) = (c / std::f64::consts::SQRT_2, c * std::f64::consts::SQRT_2);
                let p: f64 = power
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| (lo..hi).contains(&(*k as f64 * bin_hz)))
                    .map(|(_, p)| p)
                    .sum();
                round(share_db(p), 2)
            })
            .collect();
        let weighted: f64 = power.iter().enumerate().skip(1).map(|(k, p)| k as f64 * bin_hz * p).sum();
        let mut running = 0.0;
        let mut rolloff = 0.0;
        for (k, p) in power.iter().enumerate().skip(1) {
            running += p;
            if running >= 0.85 * total {
                rolloff = k as f64 * bin_hz;
                break;
            }
        }
        SpectralBalance {
            octave_db,
            centroid_hz: round(if total > 0.0 { weighted / total } else { 0.0 }, 1),
            rolloff_hz: round(rolloff, 1),
        }
    }
}

/// FFT length of [`smoothed_levels_db`]: 2.9 Hz bins at 48 kHz, so that the
/// lowest third octaves (25 Hz is 5.8 Hz wide) hold a few bins.
const SMOOTHED_FFT_LEN: usize = 16384;

/// The long-term spectrum smoothed around each of `centres_hz`: the mean
/// power density under a Gaussian weight in log frequency whose ±1σ spans
/// `width_octaves` (at least ±2 bins), relative to the mean density of the
/// whole spectrum, dB (−200 where there is no power). Equal for two signals
/// with the same tonal balance whatever their levels, so differences
/// between two signals are tonal-balance corrections (reference matching).
pub fn smoothed_levels_db(mono: &[f32], sample_rate: f64, centres_hz: &[f64], width_octaves: f64) -> Vec<f64> {
    let power = average_power(mono, SMOOTHED_FFT_LEN);
    let bin_hz = sample_rate / SMOOTHED_FFT_LEN as f64;
    let mean = power.iter().skip(1).sum::<f64>() / (power.len() - 1) as f64;
    centres_hz
        .iter()
        .map(|&fc| {
            let sigma = (width_octaves / 2.0).max(2.0 * bin_hz / fc / std::f64::consts::LN_2);
            let (mut weighted, mut weights) = (0.0, 0.0);
            for (k, p) in power.iter().enumerate().skip(1) {
                let z = (k as f64 * bin_hz / fc).log2() / sigma;
                if z.abs() < 4.0 {
                    let w = (-0.5 * z * z).exp();
                    weighted += w * p;
                    weights += w;
                }
            }
            if weighted > 0.0 && mean > 0.0 { (10.0 * (weighted / weights / mean).log10()).max(-200.0) } else { -200.0 }
        })
        .collect()
}

/// Mean power per bin (0..=fft_len/2) over Hann-windowed frames with 50 %
/// overlap; a short signal is zero-padded to one frame.
fn average_power(x: &[f32], fft_len: usize) -> Vec<f64> {
    let mut power = vec![0.0f64; fft_len / 2 + 1];
    let mut frames = 0usize;
    stft::for_each_frame(x, fft_len, fft_len / 2, |spectrum| {
        for (p, c) in power.iter_mut().zip(spectrum) {
            *p += f64::from(c.norm_sqr());
        }
        frames += 1;
    });
    for p in &mut power {
        *p /= frames.max(1) as f64;
    }
    power
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::{sine, white_noise};

    #[test]
    fn a_1_khz_sine_sits_in_the_1_khz_octave() {
        let b = SpectralBalance::measure(&sine(1000.0, 0.5, 48_000.0, 96_000), 48_000.0);
        assert!(b.octave_db[5] > -0.01, "{b:?}");
        assert!(b.octave_db.iter().enumerate().all(|(i, v)| i == 5 || *v < -40.0), "{b:?}");
        assert!((b.centroid_hz - 1000.0).abs() < 10.0, "{b:?}");
        assert!((b.rolloff_hz - 1000.0).abs() < 12.0, "{b:?}");
    }

    #[test]
    fn white_noise_rises_3_db_per_octave() {
        let b = SpectralBalance::measure(&white_noise(0.5, 480_000, 7), 48_000.0);
        // Each octave is twice as wide as the one below: +3.01 dB.
        for k in 3..9 {
            let step = b.octave_db[k + 1] - b.octave_db[k];
            assert!((step - 3.01).abs() < 0.3, "octave {k}: {step} dB ({b:?})");
        }
        assert!((b.centroid_hz - 12_000.0).abs() < 200.0, "{b:?}");
    }

    #[test]
    fn smoothed_levels_of_white_noise_are_flat_and_level_free() {
        let centres: Vec<f64> = (0..30).map(|i| 1000.0 * 2f64.powf((i as f64 - 16.0) / 3.0)).collect();
        let loud = smoothed_levels_db(&white_noise(0.5, 480_000, 7), 48_000.0, &centres, 1.0 / 3.0);
        let quiet = smoothed_levels_db(&white_noise(0.05, 480_000, 7), 48_000.0, &centres, 1.0 / 3.0);
        for (i, (a, b)) in loud.iter().zip(&quiet).enumerate() {
            assert!((a - b).abs() < 1e-6, "band {i}: {a} vs {b}");
            // Narrow low bands average few bins (10 s of noise: ~58 frames
            // per bin), so their estimates spread more.
            let tolerance = if centres[i] < 100.0 {
                1.0
            } else if centres[i] < 400.0 {
                0.5
            } else {
                0.2
            };
            assert!(a.abs() < tolerance, "band {i} ({:.0} Hz): {a:.2} dB", centres[i]);
        }
        let tone = smoothed_levels_db(&sine(1000.0, 0.5, 48_000.0, 96_000), 48_000.0, &centres, 1.0 / 3.0);
        let loudest = tone.iter().enumerate().fold((0, f64::MIN), |a, (i, v)| if *v > a.1 { (i, *v) } else { a });
        assert_eq!(loudest.0, 16, "{tone:?}");
        assert!(tone[16] - tone[13] > 20.0 && tone[16] - tone[19] > 20.0, "{tone:?}");
    }
}

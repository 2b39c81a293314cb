//! Spectral masking between stems: which stems compete in which critical
//! bands, and how much.
//!
//! Each stem's level in each of the 24 critical bands of hearing (Zwicker's
//! Bark bands) is measured every ~43 ms. In a band at a moment, a stem is
//! **active** when the band is above [`FLOOR_DB`] and within
//! [`ACTIVE_RANGE_DB`] of the stem's own loudest band then; two active
//! stems **compete** when their levels are within [`COMPETE_DB`] of each
//! other (neither clearly on top, so the ear cannot separate them there;
//! this is what complementary EQ cuts resolve). A pair's share in a band is
//! the fraction of the moments either is active there in which they
//! compete.

use crate::stft;
use serde::{Deserialize, Serialize};

/// Bark band edges, Hz (Zwicker): 24 bands from 0 Hz to 15.5 kHz.
pub const BARK_EDGES_HZ: [f64; 25] = [
    0.0, 100.0, 200.0, 300.0, 400.0, 510.0, 630.0, 770.0, 920.0, 1080.0, 1270.0, 1480.0, 1720.0, 2000.0, 2320.0,
    2700.0, 3150.0, 3700.0, 4400.0, 5300.0, 6400.0, 7700.0, 9500.0, 12000.0, 15500.0,
];
/// Number of critical bands.
pub const BANDS: usize = BARK_EDGES_HZ.len() - 1;
/// Band level below which a stem is silent there, dBFS (RMS of the band).
pub const FLOOR_DB: f32 = -60.0;
/// How far below its own loudest band a band may be and still count.
pub const ACTIVE_RANGE_DB: f32 = 30.0;
/// Largest level difference at which two stems compete, dB.
pub const COMPETE_DB: f32 = 6.0;

/// One stem's critical-band levels over time.
#[derive(Clone, Debug)]
pub struct BandLevels {
    /// Frames per second.
    pub rate: f64,
    /// Per frame, each band's RMS level, dBFS.
    pub levels_db: Vec<[f32; BANDS]>,
}

/// The critical-band levels of `mono` at `sample_rate`: frames of about
/// 85 ms (a power of two, 4096 at 44.1/48 kHz) every half frame.
pub fn band_levels(mono: &[f32], sample_rate: f64) -> BandLevels {
    let len = stft::frame_len(sample_rate, 0.085, 256);
    let hop = len / 2;
    let window_power = stft::hann_power_sum(len);
    let band_of: Vec<Option<usize>> = (0..=len / 2)
        .map(|k| {
            let hz = k as f64 * sample_rate / len as f64;
            BARK_EDGES_HZ.windows(2).position(|e| hz >= e[0] && hz < e[1])
        })
        .collect();
    let mut levels_db = Vec::new();
    stft::for_each_frame(mono, len, hop, |spectrum| {
        let mut power = [0.0f32; BANDS];
        for (k, (c, band)) in spectrum.iter().zip(&band_of).enumerate() {
            if let Some(b) = band {
                // Bins other than DC and Nyquist stand for two (±f).
                let both_sides = if k == 0 || k == len / 2 { 1.0 } else { 2.0 };
                power[*b] += both_sides * c.norm_sqr() / (len as f32 * window_power);
            }
        }
        levels_db.push(power.map(|p| 10.0 * (p + 1e-20).log10()));
    });
    BandLevels { rate: sample_rate / hop as f64, levels_db }
}

/// How much two stems compete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskingPair {
    /// Index of the first stem.
    pub a: usize,
    /// Index of the second stem.
    pub b: usize,
    /// Per critical band, the share (0..1) of the moments either stem is
    /// active there in which they compete.
    pub bands: Vec<f64>,
    /// Over all bands: the share of active band-moments that compete.
    pub overall: f64,
    /// The band where they compete most, as (low, high) Hz.
    pub worst_band_hz: (f64, f64),
}

/// Every pair of `stems` (frames matched by time, so stems at different
/// sample rates compare; the shorter sets the length), most competing
/// first.
pub fn masking(stems: &[&BandLevels]) -> Vec<MaskingPair> {
    let mut pairs = Vec::new();
    for a in 0..stems.len() {
        for b in a + 1..stems.len() {
            pairs.push(pair(stems, a, b));
        }
    }
    pairs.sort_by(|x, y| y.overall.total_cmp(&x.overall));
    pairs
}

/// The masking between stems `a` and `b`.
fn pair(stems: &[&BandLevels], a: usize, b: usize) -> MaskingPair {
    let (x, y) = (&stems[a].levels_db, &stems[b].levels_db);
    let frames_per_frame = stems[b].rate / stems[a].rate;
    let mut either = [0usize; BANDS];
    let mut compete = [0usize; BANDS];
    for (i, fx) in x.iter().enumerate() {
        let Some(fy) = y.get((i as f64 * frames_per_frame).round() as usize) else {
            break;
        };
        let (ax, ay) = (active(fx), active(fy));
        for band in 0..BANDS {
            if ax[band] || ay[band] {
                either[band] += 1;
                if ax[band] && ay[band] && (fx[band] - fy[band]).abs() <= COMPETE_DB {
                    compete[band] += 1;
                }
            }
        }
    }
    let bands: Vec<f64> = (0..BANDS)
        .map(|k| if either[k] > 0 { crate::round(compete[k] as f64 / either[k] as f64, 3) } else { 0.0 })
        .collect();
    let total: usize = either.iter().sum();
    let worst = (0..BANDS).fold(0, |best, k| if bands[k] > bands[best] { k } else { best });
    MaskingPair {
        a,
        b,
        overall: if total > 0 { crate::round(compete.iter().sum::<usize>() as f64 / total as f64, 3) } else { 0.0 },
        worst_band_hz: (BARK_EDGES_HZ[worst], BARK_EDGES_HZ[worst + 1]),
        bands,
    }
}

/// Which bands of one frame are active.
fn active(frame: &[f32; BANDS]) -> [bool; BANDS] {
    let loudest = frame.iter().copied().fold(f32::MIN, f32::max);
    frame.map(|l| l > FLOOR_DB && l >= loudest - ACTIVE_RANGE_DB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::{sine, white_noise};

    const SR: f64 = 44_100.0;

    /// The Bark band holding `hz`.
    fn band_at(hz: f64) -> usize {
        BARK_EDGES_HZ.windows(2).position(|e| hz >= e[0] && hz < e[1]).unwrap()
    }

    #[test]
    fn a_sine_reads_its_level_in_its_band() {
        // RMS of a 0.5 sine is −9.03 dBFS.
        let levels = band_levels(&sine(1000.0, 0.5, SR, 44_100), SR);
        let mid = &levels.levels_db[levels.levels_db.len() / 2];
        assert!((mid[band_at(1000.0)] + 9.03).abs() < 0.2, "{:?}", mid[band_at(1000.0)]);
        assert!(mid[band_at(3000.0)] < -60.0);
    }

    #[test]
    fn stems_compete_where_they_share_a_band_at_similar_levels() {
        let n = 3 * 44_100;
        let tone = sine(1000.0, 0.3, SR, n);
        // Noise near 1 kHz: white noise through a resonator at 1 kHz.
        let noise = white_noise(1.0, n, 9);
        let (r, w) = (0.995f64, std::f64::consts::TAU * 1000.0 / SR);
        let (mut y1, mut y2) = (0.0f64, 0.0f64);
        let band_noise: Vec<f32> = noise
            .iter()
            .map(|x| {
                let y = f64::from(*x) * 0.0114 + 2.0 * r * w.cos() * y1 - r * r * y2;
                (y2, y1) = (y1, y);
                y as f32
            })
            .collect();
        let quiet: Vec<f32> = band_noise.iter().map(|v| v * 0.05).collect();
        let bass = sine(80.0, 0.3, SR, n);
        let stems = [&tone, &band_noise, &quiet, &bass].map(|x| band_levels(x, SR));
        let refs: Vec<&BandLevels> = stems.iter().collect();
        let pairs = masking(&refs);
        let find = |a: usize, b: usize| pairs.iter().find(|p| p.a == a && p.b == b).unwrap();
        let k = band_at(1000.0);
        let level = |s: usize| stems[s].levels_db[20][k];
        println!("1 kHz band: tone {:.1} dB, noise {:.1} dB, quiet noise {:.1} dB", level(0), level(1), level(2));
        assert!(find(0, 1).bands[k] > 0.9, "tone and noise compete at 1 kHz: {:?}", find(0, 1));
        assert_eq!(find(0, 1).worst_band_hz, (920.0, 1080.0));
        assert!(find(0, 2).bands[k] < 0.05, "26 dB down, the noise is masked, not competing: {:?}", find(0, 2));
        assert_eq!(find(0, 3).overall, 0.0, "1 kHz and 80 Hz never meet");
        assert_eq!(pairs[0].a, 0, "the most competing pair comes first");
    }
}

//! Stereo image: correlation, width and balance.

use crate::{round, to_db};
use serde::{Deserialize, Serialize};

/// Window of the windowed correlation, seconds.
const WINDOW_S: f64 = 0.4;
/// Windows quieter than this (mean of both channels' RMS, dBFS) do not
/// count toward the lowest windowed correlation.
const QUIET_DBFS: f64 = -60.0;

/// Stereo measurements of a left/right pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StereoImage {
    /// Pearson correlation of left and right over the whole piece: 1 mono,
    /// 0 unrelated, −1 one channel inverted.
    pub correlation: f64,
    /// Lowest correlation over 0.4 s windows that are not silent: where the
    /// mix is least mono-safe.
    pub min_window_correlation: f64,
    /// Side energy relative to mid energy, dB (−200 for mono, 0 for
    /// unrelated channels of equal level).
    pub side_to_mid_db: f64,
    /// Left RMS minus right RMS, dB (positive: leans left).
    pub balance_db: f64,
}

/// Sums needed for correlation and energies.
#[derive(Default)]
struct Sums {
    ll: f64,
    rr: f64,
    lr: f64,
}

impl Sums {
    fn of(left: &[f32], right: &[f32]) -> Self {
        let mut s = Sums::default();
        for (&l, &r) in left.iter().zip(right) {
            let (l, r) = (f64::from(l), f64::from(r));
            s.ll += l * l;
            s.rr += r * r;
            s.lr += l * r;
        }
        s
    }

    fn correlation(&self) -> f64 {
        let d = (self.ll * self.rr).sqrt();
        if d > 1e-20 { (self.lr / d).clamp(-1.0, 1.0) } else { 1.0 }
    }
}

impl StereoImage {
    /// Measures `left` against `right` at `sample_rate`.
    pub fn measure(left: &[f32], right: &[f32], sample_rate: f64) -> Self {
        let all = Sums::of(left, right);
        // Mid = (L+R)/2, side = (L−R)/2: their energies from the same sums.
        let mid = 0.25 * (all.ll + all.rr + 2.0 * all.lr);
        let side = 0.25 * (all.ll + all.rr - 2.0 * all.lr);
        let window = ((WINDOW_S * sample_rate) as usize).max(1);
        let mut min_corr = all.correlation();
        for (l, r) in left.chunks(window).zip(right.chunks(window)) {
            let s = Sums::of(l, r);
            let level = to_db(((s.ll + s.rr) / (2.0 * l.len() as f64)).sqrt());
            if level > QUIET_DBFS && l.len() == window {
                min_corr = min_corr.min(s.correlation());
            }
        }
        let n = left.len().max(1) as f64;
        StereoImage {
            correlation: round(all.correlation(), 4),
            min_window_correlation: round(min_corr, 4),
            side_to_mid_db: round(if mid > 1e-20 { (10.0 * (side / mid).log10()).max(-200.0) } else { 0.0 }, 2),
            balance_db: round(to_db((all.ll / n).sqrt()) - to_db((all.rr / n).sqrt()), 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::white_noise;

    #[test]
    fn mono_inverted_and_unrelated() {
        let a = white_noise(0.5, 48_000, 1);
        let b = white_noise(0.5, 48_000, 2);
        let mono = StereoImage::measure(&a, &a, 48_000.0);
        assert_eq!((mono.correlation, mono.side_to_mid_db, mono.balance_db), (1.0, -200.0, 0.0));
        let inverted: Vec<f32> = a.iter().map(|x| -x).collect();
        assert_eq!(StereoImage::measure(&a, &inverted, 48_000.0).correlation, -1.0);
        let wide = StereoImage::measure(&a, &b, 48_000.0);
        assert!(wide.correlation.abs() < 0.02, "{wide:?}");
        assert!(wide.side_to_mid_db.abs() < 0.2, "{wide:?}");
    }

    #[test]
    fn balance_and_the_least_mono_safe_window() {
        let a = white_noise(0.5, 96_000, 3);
        let mut right: Vec<f32> = a.iter().map(|x| 0.5 * x).collect();
        let l = StereoImage::measure(&a, &right, 48_000.0);
        assert!((l.balance_db - 6.02).abs() < 0.01, "{l:?}");
        // One second in the middle with the right channel inverted.
        for v in &mut right[24_000..72_000] {
            *v = -*v;
        }
        let l = StereoImage::measure(&a, &right, 48_000.0);
        assert_eq!(l.min_window_correlation, -1.0, "{l:?}");
    }
}

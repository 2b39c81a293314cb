//! Per-channel sample levels.

use crate::{round, to_db};
use serde::{Deserialize, Serialize};

/// Sample-domain levels of one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelLevels {
    /// Largest `|x|`, dBFS.
    pub sample_peak_dbfs: f64,
    /// Root mean square, dBFS (a full-scale sine reads −3.01).
    pub rms_dbfs: f64,
    /// Peak to RMS ratio, dB (3.01 for a sine).
    pub crest_db: f64,
    /// Mean sample value (DC offset), linear full scale.
    pub dc_offset: f64,
    /// Samples at or above full scale (|x| ≥ 1): a sign of clipping.
    pub clipped_samples: u64,
}

impl ChannelLevels {
    /// Measures `samples` (silence reads −200 dB).
    pub fn measure(samples: &[f32]) -> Self {
        let (mut peak, mut sum, mut sum_sq, mut clipped) = (0.0f64, 0.0f64, 0.0f64, 0u64);
        for &x in samples {
            let x = f64::from(x);
            peak = peak.max(x.abs());
            sum += x;
            sum_sq += x * x;
            clipped += u64::from(x.abs() >= 1.0);
        }
        let n = samples.len().max(1) as f64;
        let rms = (sum_sq / n).sqrt();
        let (peak_db, rms_db) = (to_db(peak), to_db(rms));
        ChannelLevels {
            sample_peak_dbfs: round(peak_db, 3),
            rms_dbfs: round(rms_db, 3),
            crest_db: round(if rms > 1e-10 { peak_db - rms_db } else { 0.0 }, 3),
            dc_offset: round(sum / n, 6),
            clipped_samples: clipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::sine;

    #[test]
    fn half_scale_sine_with_offset() {
        let mut x = sine(1000.0, 0.5, 48_000.0, 48_000);
        let l = ChannelLevels::measure(&x);
        assert!((l.sample_peak_dbfs + 6.021).abs() < 0.01, "{l:?}");
        assert!((l.rms_dbfs + 9.031).abs() < 0.01, "{l:?}");
        assert!((l.crest_db - 3.010).abs() < 0.01, "{l:?}");
        assert!(l.dc_offset.abs() < 1e-6 && l.clipped_samples == 0, "{l:?}");
        for v in &mut x {
            *v += 0.1;
        }
        let l = ChannelLevels::measure(&x);
        assert!((l.dc_offset - 0.1).abs() < 1e-6, "{l:?}");
    }

    #[test]
    fn silence_and_clipping() {
        let l = ChannelLevels::measure(&[0.0; 100]);
        assert_eq!((l.sample_peak_dbfs, l.rms_dbfs, l.crest_db), (-200.0, -200.0, 0.0));
        let l = ChannelLevels::measure(&[1.0, -1.0, 0.5, 1.2]);
        assert_eq!(l.clipped_samples, 3);
    }
}

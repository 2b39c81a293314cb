//! Energy over time.

use crate::{round, to_db};
use serde::{Deserialize, Serialize};

/// Seconds per point of the energy curve.
pub const ENERGY_STEP_S: f64 = 0.5;

/// RMS level over consecutive windows of [`ENERGY_STEP_S`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyCurve {
    /// Seconds per point.
    pub step_s: f64,
    /// RMS of each window, dBFS (−200 for silence).
    pub rms_dbfs: Vec<f64>,
    /// Each window's energy relative to the loudest window's (0..=1).
    pub relative: Vec<f64>,
}

impl EnergyCurve {
    /// Measures `mono` at `sample_rate`; a last partial window counts if it
    /// is at least half a window long.
    pub fn measure(mono: &[f32], sample_rate: f64) -> Self {
        let window = ((ENERGY_STEP_S * sample_rate).round() as usize).max(1);
        let energies: Vec<f64> = mono
            .chunks(window)
            .filter(|c| c.len() * 2 >= window || mono.len() < window)
            .map(|c| c.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>() / c.len() as f64)
            .collect();
        let loudest = energies.iter().copied().fold(0.0, f64::max);
        EnergyCurve {
            step_s: ENERGY_STEP_S,
            rms_dbfs: energies.iter().map(|e| round(to_db(e.sqrt()), 2)).collect(),
            relative: energies.iter().map(|e| round(if loudest > 0.0 { e / loudest } else { 0.0 }, 4)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::sine;

    #[test]
    fn follows_a_step_in_level() {
        let mut x = sine(440.0, 0.5, 48_000.0, 96_000);
        for v in &mut x[48_000..] {
            *v *= 0.1;
        }
        let e = EnergyCurve::measure(&x, 48_000.0);
        assert_eq!(e.rms_dbfs.len(), 4);
        assert!((e.rms_dbfs[0] + 9.03).abs() < 0.02 && (e.rms_dbfs[3] + 29.03).abs() < 0.02, "{e:?}");
        assert_eq!(e.relative[0], 1.0);
        assert!((e.relative[3] - 0.01).abs() < 1e-3, "{e:?}");
    }
}

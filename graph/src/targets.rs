//! Loudness targets a graph declares for its output (the `targets` object of a
//! graph file): integrated loudness with a tolerance, and a true-peak ceiling.
//!
//! ```json
//! "targets": {"integrated_lufs": -14, "lufs_tolerance_lu": 1, "true_peak_dbtp": -1}
//! ```
//!
//! A mastering preset states what its output should measure (EBU R128 / ITU-R
//! BS.1770 integrated loudness, BS.1770 true peak); `mixgraph render` prints
//! each target with the measured value, and the preset tests assert them. This
//! module holds the data, its validation and the comparison; it measures
//! nothing itself.

use serde::{Deserialize, Serialize};

/// Tolerance used when a file gives none, LU.
pub const DEFAULT_TOLERANCE_LU: f64 = 1.0;
/// Accepted integrated-loudness targets, LUFS (BS.1770's absolute gate is −70).
pub const LUFS_RANGE: (f64, f64) = (-70.0, 0.0);
/// Accepted true-peak ceilings, dBTP (above 0 dBTP would allow clipping).
pub const TRUE_PEAK_RANGE: (f64, f64) = (-60.0, 0.0);
/// Largest accepted tolerance, LU.
pub const MAX_TOLERANCE_LU: f64 = 10.0;

fn default_tolerance() -> f64 {
    DEFAULT_TOLERANCE_LU
}

/// What a graph's output should measure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Integrated loudness, LUFS (−70 to 0); `None` = no loudness target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrated_lufs: Option<f64>,
    /// Allowed distance from `integrated_lufs` either way, LU (above 0, at
    /// most 10). Default 1.0.
    #[serde(default = "default_tolerance")]
    pub lufs_tolerance_lu: f64,
    /// Highest allowed true peak, dBTP (−60 to 0); `None` = no ceiling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_peak_dbtp: Option<f64>,
}

/// A value in a `targets` object that is out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct TargetsError {
    /// The field at fault, as `targets.<name>`.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn in_range(field: &'static str, value: f64, (lo, hi): (f64, f64), unit: &str) -> Result<(), TargetsError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(TargetsError { field, message: format!("{value} is out of range ({lo} to {hi} {unit})") })
    }
}

impl Targets {
    /// Checks every value: finite and within its range, and at least one target given.
    ///
    /// # Errors
    /// [`TargetsError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), TargetsError> {
        if self.integrated_lufs.is_none() && self.true_peak_dbtp.is_none() {
            return Err(TargetsError {
                field: "targets",
                message: "declares no target (give integrated_lufs, true_peak_dbtp or both)".to_string(),
            });
        }
        if let Some(lufs) = self.integrated_lufs {
            in_range("targets.integrated_lufs", lufs, LUFS_RANGE, "LUFS")?;
        }
        let tol = self.lufs_tolerance_lu;
        if !(tol.is_finite() && tol > 0.0 && tol <= MAX_TOLERANCE_LU) {
            return Err(TargetsError {
                field: "targets.lufs_tolerance_lu",
                message: format!("{tol} is out of range (above 0, at most {MAX_TOLERANCE_LU} LU)"),
            });
        }
        if let Some(tp) = self.true_peak_dbtp {
            in_range("targets.true_peak_dbtp", tp, TRUE_PEAK_RANGE, "dBTP")?;
        }
        Ok(())
    }

    /// Compares measurements with the targets: one [`TargetCheck`] per declared
    /// target, loudness first. A measurement of `None` (not measured) or a
    /// non-finite one (silence reads −inf) counts as missed.
    pub fn check(&self, integrated_lufs: Option<f64>, true_peak_dbtp: Option<f64>) -> Vec<TargetCheck> {
        let mut checks = Vec::new();
        if let Some(target) = self.integrated_lufs {
            let tolerance = self.lufs_tolerance_lu;
            let met = integrated_lufs.is_some_and(|m| m.is_finite() && (m - target).abs() <= tolerance);
            checks.push(TargetCheck {
                kind: TargetKind::IntegratedLufs { target, tolerance },
                measured: integrated_lufs,
                met,
            });
        }
        if let Some(ceiling) = self.true_peak_dbtp {
            // Silence (−inf) has no peak at all, so it is under any ceiling.
            let met = true_peak_dbtp.is_some_and(|m| m <= ceiling);
            checks.push(TargetCheck { kind: TargetKind::TruePeak { ceiling }, measured: true_peak_dbtp, met });
        }
        checks
    }
}

/// Which target a [`TargetCheck`] is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetKind {
    /// Integrated loudness within `tolerance` LU of `target` LUFS.
    IntegratedLufs {
        /// LUFS.
        target: f64,
        /// LU either way.
        tolerance: f64,
    },
    /// True peak at most `ceiling` dBTP.
    TruePeak {
        /// dBTP.
        ceiling: f64,
    },
}

/// One target compared with its measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetCheck {
    /// The target.
    pub kind: TargetKind,
    /// The measurement (LUFS or dBTP); `None` when it could not be measured.
    pub measured: Option<f64>,
    /// Whether the measurement meets the target.
    pub met: bool,
}

impl std::fmt::Display for TargetCheck {
    /// `integrated -14.0 ± 1.0 LUFS: measured -14.3 LUFS, met`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, unit) = match self.kind {
            TargetKind::IntegratedLufs { target, tolerance } => {
                (format!("integrated {target:.1} ± {tolerance:.1} LUFS"), "LUFS")
            }
            TargetKind::TruePeak { ceiling } => (format!("true peak ≤ {ceiling:.1} dBTP"), "dBTP"),
        };
        let measured = match self.measured {
            Some(v) if v.is_finite() => format!("measured {v:.1} {unit}"),
            Some(_) => format!("measured -inf {unit}"),
            None => "not measured".to_string(),
        };
        write!(f, "{what}: {measured}, {}", if self.met { "met" } else { "MISSED" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(lufs: Option<f64>, tol: f64, tp: Option<f64>) -> Targets {
        Targets { integrated_lufs: lufs, lufs_tolerance_lu: tol, true_peak_dbtp: tp }
    }

    #[test]
    fn validation_names_the_bad_field() {
        assert!(targets(Some(-14.0), 1.0, Some(-1.0)).validate().is_ok());
        assert!(targets(None, 1.0, Some(0.0)).validate().is_ok());
        let field = |t: Targets| t.validate().unwrap_err().field;
        assert_eq!(field(targets(Some(f64::NAN), 1.0, None)), "targets.integrated_lufs");
        assert_eq!(field(targets(Some(3.0), 1.0, None)), "targets.integrated_lufs");
        assert_eq!(field(targets(Some(-14.0), 0.0, None)), "targets.lufs_tolerance_lu");
        assert_eq!(field(targets(Some(-14.0), f64::INFINITY, None)), "targets.lufs_tolerance_lu");
        assert_eq!(field(targets(Some(-14.0), 1.0, Some(0.5))), "targets.true_peak_dbtp");
        assert_eq!(field(targets(None, 1.0, None)), "targets");
    }

    #[test]
    fn checks_compare_with_tolerance_and_ceiling() {
        let t = targets(Some(-14.0), 1.0, Some(-1.0));
        let c = t.check(Some(-14.9), Some(-1.0));
        assert!(c[0].met && c[1].met, "{c:?}");
        let c = t.check(Some(-15.1), Some(-0.9));
        assert!(!c[0].met && !c[1].met, "{c:?}");
        assert_eq!(c[0].to_string(), "integrated -14.0 ± 1.0 LUFS: measured -15.1 LUFS, MISSED");
        assert_eq!(c[1].to_string(), "true peak ≤ -1.0 dBTP: measured -0.9 dBTP, MISSED");
        let c = t.check(None, Some(f64::NEG_INFINITY));
        assert!(!c[0].met && c[1].met);
        assert_eq!(c[0].to_string(), "integrated -14.0 ± 1.0 LUFS: not measured, MISSED");
        assert_eq!(c[1].to_string(), "true peak ≤ -1.0 dBTP: measured -inf dBTP, met");
    }
}

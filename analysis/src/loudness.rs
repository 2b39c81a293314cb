//! EBU R128 loudness (ITU-R BS.1770-4) and true peak, through `ebur128`.

use crate::{AnalysisError, round};
use ebur128::{EbuR128, Mode};
use serde::{Deserialize, Serialize};

/// Seconds between points of the loudness curves.
pub const CURVE_STEP_S: f64 = 0.1;

/// Loudness measurements of a whole piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Integrated (gated) loudness, LUFS; −200 when everything is gated out.
    pub integrated_lufs: f64,
    /// Loudness range (EBU Tech 3342), LU.
    pub lra_lu: f64,
    /// Largest momentary (400 ms) loudness, LUFS.
    pub max_momentary_lufs: f64,
    /// Largest short-term (3 s) loudness, LUFS.
    pub max_short_term_lufs: f64,
    /// True peak over all channels (4× oversampled below 96 kHz), dBTP.
    pub true_peak_dbtp: f64,
    /// Momentary loudness every [`CURVE_STEP_S`] seconds, LUFS (−200 in silence).
    pub momentary_lufs: Vec<f64>,
    /// Short-term loudness every [`CURVE_STEP_S`] seconds, LUFS (−200 in silence).
    pub short_term_lufs: Vec<f64>,
}

fn finite_lufs(v: f64) -> f64 {
    if v.is_finite() { v.max(-200.0) } else { -200.0 }
}

impl Loudness {
    /// Measures planar `channels` at `sample_rate` (channel layout: the
    /// `ebur128` default, so 1–2 channels are front left/right).
    pub fn measure(
        channels: &[Vec<f32>],
        sample_rate: u32,
        progress: &mut dyn FnMut(f64),
    ) -> Result<Self, AnalysisError> {
        let fail = |e: ebur128::Error| AnalysisError::Loudness(format!("{e:?}"));
        let mode = Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::TRUE_PEAK;
        let mut meter = EbuR128::new(channels.len() as u32, sample_rate, mode).map_err(fail)?;
        let frames = channels.first().map_or(0, Vec::len);
        let step = ((CURVE_STEP_S * f64::from(sample_rate)).round() as usize).max(1);
        let (mut momentary, mut short_term) = (Vec::new(), Vec::new());
        let (mut max_m, mut max_s) = (-200.0f64, -200.0f64);
        let mut start = 0;
        while start < frames {
            let end = (start + step).min(frames);
            let chunk: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            meter.add_frames_planar_f32(&chunk).map_err(fail)?;
            let m = finite_lufs(meter.loudness_momentary().map_err(fail)?);
            let s = finite_lufs(meter.loudness_shortterm().map_err(fail)?);
            // The windows are only full once 0.4 s / 3 s have gone in.
            if end as f64 >= 0.4 * f64::from(sample_rate) {
                max_m = max_m.max(m);
            }
            if end as f64 >= 3.0 * f64::from(sample_rate) || end == frames {
                max_s = max_s.max(s);
            }
            momentary.push(round(m, 2));
            short_term.push(round(s, 2));
            start = end;
            progress(start as f64 / frames as f64);
        }
        let mut true_peak = 0.0f64;
        for ch in 0..channels.len() {
            true_peak = true_peak.max(meter.true_peak(ch as u32).map_err(fail)?);
        }
        Ok(Loudness {
            integrated_lufs: round(finite_lufs(meter.loudness_global().map_err(fail)?), 2),
            lra_lu: round(meter.loudness_range().map_err(fail)?.max(0.0), 2),
            max_momentary_lufs: round(max_m, 2),
            max_short_term_lufs: round(max_s, 2),
            true_peak_dbtp: round(crate::to_db(true_peak), 2),
            momentary_lufs: momentary,
            short_term_lufs: short_term,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::sine;

    const SR: u32 = 48_000;

    fn measure(channels: &[Vec<f32>]) -> Loudness {
        Loudness::measure(channels, SR, &mut |_| {}).expect("loudness")
    }

    /// EBU Tech 3341 test 1: 1 kHz stereo sine at −23 dBFS reads −23.0 LUFS
    /// (M, S and I), ±0.1 LU.
    #[test]
    fn tech_3341_case_1() {
        let x = sine(1000.0, 10f64.powf(-23.0 / 20.0), f64::from(SR), 20 * SR as usize);
        let l = measure(&[x.clone(), x]);
        for v in [l.integrated_lufs, l.max_momentary_lufs, l.max_short_term_lufs] {
            assert!((v + 23.0).abs() <= 0.1, "{l:?}");
        }
        assert_eq!(l.momentary_lufs.len(), 200);
    }

    /// EBU Tech 3342 test 1: 20 s at −20 dBFS then 20 s at −30 dBFS of a
    /// 1 kHz stereo sine: LRA 10 LU ± 1.
    #[test]
    fn tech_3342_case_1() {
        let n = 20 * SR as usize;
        let mut x = sine(1000.0, 0.1, f64::from(SR), 2 * n);
        for v in &mut x[n..] {
            *v *= 10f32.powf(-0.5);
        }
        let l = measure(&[x.clone(), x]);
        assert!((l.lra_lu - 10.0).abs() <= 1.0, "LRA {}", l.lra_lu);
    }

    /// An inter-sample peak as in EBU Tech 3341's true-peak cases: a 0.5 FS
    /// sine at fs/4 sampled 45° off its peaks has samples at −9.03 dBFS but
    /// a true peak of −6.02 dBTP (within Tech 3341's +0.2/−0.4 dB).
    #[test]
    fn inter_sample_peak() {
        let x: Vec<f32> = (0..SR as usize)
            .map(|n| (0.5 * (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin()) as f32)
            .collect();
        let l = measure(&[x.clone(), x]);
        assert!(l.true_peak_dbtp > -6.02 - 0.4 && l.true_peak_dbtp < -6.02 + 0.2, "{}", l.true_peak_dbtp);
    }

    #[test]
    fn silence_is_finite() {
        let l = measure(&[vec![0.0; SR as usize]]);
        assert_eq!((l.integrated_lufs, l.true_peak_dbtp), (-200.0, -200.0));
        assert!(l.momentary_lufs.iter().all(|v| *v == -200.0));
    }
}

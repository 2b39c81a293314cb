//! Saturation curves and the DC blocker used after the asymmetric curve.
//!
//! Plain math, no engine types. Every curve maps 0 to exactly 0, so silence
//! stays silence.

use crate::fast_math;
use std::f64::consts::PI;

/// Bias added before `tanh` in [`Curve::Tape`]; makes the curve asymmetric,
/// which adds even harmonics (about −30 dB 2nd harmonic at 0 dBFS).
pub const TAPE_BIAS: f64 = 0.2;

/// Corner of the DC blocker that follows [`Curve::Tape`], in Hz.
pub const DC_BLOCKER_HZ: f64 = 10.0;

/// The transfer curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// Cubic soft clip: `1.5 (t − t³/3)` with `t = clamp(x / 1.5, −1, 1)`, i.e.
    /// the classic `x − x³/3` on [−1, 1], clipped outside, normalised to unity
    /// slope at 0 and a ceiling of ±1 (reached at |x| = 1.5).
    SoftClip,
    /// `tanh(x)`.
    Tanh,
    /// Tape-like: `tanh(x + b) − tanh(b)` with `b` = [`TAPE_BIAS`]. The bias
    /// makes it asymmetric (even harmonics); subtracting `tanh(b)` keeps 0 ↦ 0,
    /// and the signal-dependent DC that remains is removed by a [`DcBlocker`].
    Tape,
    /// `clamp(x, −ceiling, ceiling)`.
    HardClip,
}

impl Curve {
    /// Every curve, in parameter order.
    pub const ALL: [Curve; 4] = [Curve::SoftClip, Curve::Tanh, Curve::Tape, Curve::HardClip];

    /// Stable snake_case name, as used in graph files.
    pub fn name(self) -> &'static str {
        match self {
            Curve::SoftClip => "soft_clip",
            Curve::Tanh => "tanh",
            Curve::Tape => "tape",
            Curve::HardClip => "hard_clip",
        }
    }

    /// The curve for a parameter value (an enum index); `Tanh` when out of range.
    pub fn from_index(value: f32) -> Curve {
        Curve::ALL.get(value as usize).copied().unwrap_or(Curve::Tanh)
    }

    /// Applies the curve; `ceiling` (linear, > 0) is used by `HardClip` only.
    #[inline]
    pub fn apply(self, x: f64, ceiling: f64) -> f64 {
        match self {
            Curve::SoftClip => {
                let t = (x * (2.0 / 3.0)).clamp(-1.0, 1.0);
                1.5 * (t - t * t * t * (1.0 / 3.0))
            }
            // f32 fast tanh (3e-7 error, -130 dB): libm's f64 tanh at the 4×
            // rate was a fifth of the node's time.
            Curve::Tanh => f64::from(fast_math::tanh(x as f32)),
            Curve::Tape => f64::from(fast_math::tanh((x + TAPE_BIAS) as f32) - fast_math::tanh(TAPE_BIAS as f32)),
            Curve::HardClip => x.clamp(-ceiling, ceiling),
        }
    }
}

/// [`fast_math::tanh`] over a block, vectorised (AVX2 when available).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn tanh_block(block: &mut [f32]) {
    for v in block {
        *v = fast_math::tanh(*v);
    }
}

impl Curve {
    /// Applies the curve in place to an oversampled block with `ratio`
    /// samples per frame; `ceilings[k / ratio]` is the hard-clip ceiling of
    /// sample `k` (other curves ignore it).
    pub fn apply_block(self, block: &mut [f32], ceilings: &[f32], ratio: usize) {
        match self {
            Curve::HardClip => {
                for (frame, c) in block.chunks_mut(ratio.max(1)).zip(ceilings) {
                    for v in frame {
                        *v = v.clamp(-c, *c);
                    }
                }
            }
            Curve::Tanh => tanh_block(block),
            _ => block.iter_mut().for_each(|v| *v = self.apply(f64::from(*v), 1.0) as f32),
        }
    }
}

/// One-pole DC blocker `y[n] = x[n] − x[n−1] + R·y[n−1]`, `R = exp(−2π fc / fs)`
/// (J. O. Smith, *Introduction to Digital Filters*, "DC Blocker",
/// <https://ccrma.stanford.edu/~jos/filters/DC_Blocker.html>).
#[derive(Clone, Copy, Debug)]
pub struct DcBlocker {
    r: f64,
    x1: f64,
    y1: f64,
}

impl DcBlocker {
    /// A blocker with its corner at `corner_hz`.
    pub fn new(corner_hz: f64, sample_rate: f64) -> Self {
        let r = if sample_rate > 0.0 { (-2.0 * PI * corner_hz / sample_rate).exp() } else { 0.0 };
        DcBlocker { r, x1: 0.0, y1: 0.0 }
    }

    /// Processes one sample; the state is flushed to exact zero below 1e-20.
    #[inline]
    pub fn tick(&mut self, x: f64) -> f64 {
        let y = x - self.x1 + self.r * self.y1;
        self.x1 = x;
        self.y1 = if y.abs() < 1e-20 { 0.0 } else { y };
        self.y1
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.x1 = 0.0;
        self.y1 = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_are_odd_bounded_and_pass_zero() {
        for c in Curve::ALL {
            assert_eq!(c.apply(0.0, 1.0), 0.0, "{}", c.name());
            for x in [-100.0, -2.0, -0.5, 0.3, 1.0, 7.0, 1e9] {
                let y = c.apply(x, 0.5);
                assert!(y.is_finite() && y.abs() <= 1.5, "{} at {x}: {y}", c.name());
            }
        }
        let s = Curve::SoftClip;
        assert!((s.apply(1e-3, 1.0) - 1e-3).abs() < 1e-9);
        assert_eq!(s.apply(1.5, 1.0), 1.0);
        assert_eq!(s.apply(-9.0, 1.0), -1.0);
        assert_eq!(Curve::HardClip.apply(2.0, 0.5), 0.5);
        // Tape is asymmetric.
        assert!((Curve::Tape.apply(0.8, 1.0) + Curve::Tape.apply(-0.8, 1.0)).abs() > 1e-2);
    }

    #[test]
    fn dc_blocker_removes_dc() {
        let mut b = DcBlocker::new(DC_BLOCKER_HZ, 48_000.0);
        let mut y = 1.0;
        for _ in 0..48_000 {
            y = b.tick(0.5);
        }
        assert!(y.abs() < 1e-5, "{y}");
    }
}

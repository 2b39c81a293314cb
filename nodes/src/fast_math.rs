//! Branch-light `log2`/`exp2` approximations for per-sample level math.
//!
//! Dynamics nodes convert every detector sample to dB and every gain
//! reduction back to a linear gain. Through libm (`log10`, `powf`) those two
//! calls were a fifth of a mastering chain's time; these polynomials cost a
//! few multiply-adds, inline, and vectorise when called over a slice.
//!
//! Accuracy (tested below against `f64`): [`log2`] within 5e-6 (3e-5 dB
//! through [`gain_to_db`]), [`exp2`] within 5e-7 relative (5e-6 dB through
//! [`db_to_gain`]), far below anything audible or any test tolerance of the
//! nodes using them. Both are exact at the points that matter for
//! transparency: `log2(1) = 0` and `exp2(0) = 1`, so 0 dB of gain reduction is
//! a gain of exactly 1.
//!
//! Every function takes the kernel's [`MulAdd`]: hot loops pass their
//! clone's (fused where the CPU has FMA), everything else
//! [`MulAdd::PLAIN`]. The accuracy bounds hold for both.

use crate::mul_add::MulAdd;

/// log₂(1 + t) ≈ t · P(t) on t ∈ [0, 1): Chebyshev fit, degree 7, error 3e-6.
const LOG2_POLY: [f32; 7] =
    [1.442_690_8, -0.721_095_55, 0.477_224_8, -0.337_837_15, 0.213_666_5, -0.094_881_32, 0.020_235_013];

/// 2ᵗ ≈ 1 + t · P(t) on t ∈ [0, 1): Chebyshev fit, degree 5, relative error 4.3e-7.
const EXP2_POLY: [f32; 5] = [0.693_148, 0.240_202_63, 0.055_668_61, 0.009_190_957, 0.001_788_971];

/// log₂(2⁻¹²⁶), the value for zero, negative and subnormal input.
const LOG2_FLOOR: f32 = -126.0;

/// Base-2 logarithm for positive normal `x`; zero, negative, subnormal and NaN
/// input give −126 (callers floor levels well above that anyway); +∞ gives 128.
#[inline(always)]
pub fn log2(m: MulAdd, x: f32) -> f32 {
    // Also catches NaN (every comparison with NaN is false).
    if x.is_nan() || x < f32::MIN_POSITIVE {
        return LOG2_FLOOR;
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    // Mantissa in [1, 2).
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let t = mantissa - 1.0;
    m.f32(t, horner(m, t, &LOG2_POLY), exponent as f32)
}

/// 2ˣ; below −126 it returns 0, above 127 it saturates at 2¹²⁷·2; NaN gives 0.
#[inline(always)]
pub fn exp2(m: MulAdd, x: f32) -> f32 {
    if x.is_nan() || x < -126.0 {
        return 0.0;
    }
    let x = x.min(127.999);
    // floor(x) with float operations and bit casts only (baseline x86-64 has
    // no rounding instruction, and a float-to-int `as` cast, which saturates,
    // compiles to scalar code per lane that stops loops from vectorising):
    // adding 1.5·2²³ rounds x to the nearest integer, which then sits in the
    // low mantissa bits; one step down where that rounded up gives the floor.
    let shifted = x + ROUNDER;
    let nearest = shifted - ROUNDER;
    let rounded_up = nearest > x;
    let floor = nearest - if rounded_up { 1.0 } else { 0.0 };
    let floor_int = (shifted.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32) - i32::from(rounded_up);
    let t = x - floor;
    let p = m.f32(t, horner(m, t, &EXP2_POLY), 1.0);
    // 2^floor by building the exponent field; floor is in −126..=127.
    let scale = f32::from_bits(((floor_int + 127) as u32) << 23);
    p * scale
}

/// 1.5·2²³: added to an f32 of magnitude below 2²² it leaves that number
/// rounded to an integer, in the low bits of the mantissa.
const ROUNDER: f32 = 12_582_912.0;

/// `c[0] + t·(c[1] + t·(c[2] + …))`, innermost first, one multiply-add per
/// coefficient (fused as `m` says).
#[inline(always)]
fn horner<const N: usize>(m: MulAdd, t: f32, c: &[f32; N]) -> f32 {
    let Some((last, rest)) = c.split_last() else { return 0.0 };
    rest.iter().rev().fold(*last, |acc, c| m.f32(acc, t, *c))
}

/// `max(a, b)` for operands that are never NaN: one compare and select.
/// `f32::max` also handles NaN, which costs two more instructions per lane
/// and keeps some loops from vectorising well; hot passes over sanitised
/// values use this instead. (With a NaN operand it returns `b`.)
#[inline(always)]
pub fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// The largest of `init` and `f(x)` over `xs`, by [`larger`] (a NaN `f(x)`
/// is skipped). Eight running maxima side by side, so the loop vectorises:
/// one running maximum is a chain of dependent compares, one per sample.
#[inline(always)]
pub fn max_over(xs: &[f32], init: f32, f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [init; 8];
    let mut eights = xs.chunks_exact(8);
    for eight in eights.by_ref() {
        for (l, x) in lanes.iter_mut().zip(eight) {
            *l = larger(f(*x), *l);
        }
    }
    let tail = eights.remainder().iter().fold(init, |m, x| larger(f(*x), m));
    lanes.iter().fold(tail, |m, l| larger(*l, m))
}

/// `min(a, b)` for operands that are never NaN (see [`larger`]).
#[inline(always)]
pub fn smaller(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// 20·log₁₀(2): dB per octave of amplitude.
const DB_PER_LOG2: f32 = 6.020_6;
/// log₂(10)/20: octaves of amplitude per dB.
const LOG2_PER_DB: f32 = 0.166_096_4;

/// Linear amplitude to dB (≈ −758.6 dB for zero and negative input).
#[inline(always)]
pub fn gain_to_db(m: MulAdd, gain: f32) -> f32 {
    DB_PER_LOG2 * log2(m, gain)
}

/// dB to linear amplitude; exactly 1 at 0 dB.
#[inline(always)]
pub fn db_to_gain(m: MulAdd, db: f32) -> f32 {
    exp2(m, db * LOG2_PER_DB)
}

/// Numerator of the tanh approximation, `x · Σ NUM[k]·x²ᵏ` (see [`tanh`]),
/// written as published (more digits than f32 keeps).
#[allow(clippy::excessive_precision)]
const TANH_NUM: [f32; 7] = [
    4.89352455891786e-03,
    6.37261928875436e-04,
    1.48572235717979e-05,
    5.12229709037114e-08,
    -8.60467152213735e-11,
    2.00018790482477e-13,
    -2.76076847742355e-16,
];
/// Denominator of the tanh approximation, `Σ DEN[k]·x²ᵏ`.
#[allow(clippy::excessive_precision)]
const TANH_DEN: [f32; 4] = [4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06];
/// Where the rational reaches 1 in f32; the input is clamped there.
const TANH_CLAMP: f32 = 7.905_311;
/// Below this magnitude tanh(x) is x to f32 precision (x³/3 < half an ulp).
const TANH_LINEAR_BELOW: f32 = 4e-4;
/// From here on tanh(x) rounds to 1 in f32 (1 − tanh(9) ≈ 3e-8).
const TANH_ONE_FROM: f32 = 9.0;

/// Hyperbolic tangent, exactly odd, within 4e-7 of `f64::tanh` everywhere
/// (a few f32 steps, the most near ±1), exactly ±1 from |x| = 9 on, and x
/// itself for tiny x.
///
/// The odd rational minimax approximation of degree 13/6 that Eigen uses
/// for f32 (`generic_fast_tanh_float`; also XLA's and ONNX Runtime's), on
/// the input clamped to ±7.905: ten multiply-adds and one division, no
/// exponential, so a block of it vectorises into a short straight run of
/// instructions.
#[inline(always)]
pub fn tanh(m: MulAdd, x: f32) -> f32 {
    let c = smaller(larger(x, -TANH_CLAMP), TANH_CLAMP);
    let c2 = c * c;
    let y = c * horner(m, c2, &TANH_NUM) / horner(m, c2, &TANH_DEN);
    let a = x.abs();
    let y = if a < TANH_LINEAR_BELOW { x } else { y };
    let y = if a >= TANH_ONE_FROM { 1.0f32.copysign(x) } else { y };
    // NaN stays NaN.
    if x.is_nan() { x } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both arithmetic modes: every bound below holds for each.
    const MODES: [MulAdd; 2] = [MulAdd::PLAIN, MulAdd::FUSED];

    #[test]
    fn log2_matches_f64_over_the_whole_normal_range() {
        for m in MODES {
            log2_matches_f64(m);
        }
    }

    fn log2_matches_f64(m: MulAdd) {
        let log2 = |x| log2(m, x);
        let mut worst = 0.0f64;
        let mut x = f32::MIN_POSITIVE;
        while x < 1e30 {
            for k in 0..64 {
                let v = x * (1.0 + k as f32 / 64.0);
                worst = worst.max((f64::from(log2(v)) - f64::from(v).log2()).abs());
            }
            x *= 2.0;
        }
        assert!(worst < 5e-6, "log2 error {worst}");
        assert_eq!(log2(1.0), 0.0);
        assert_eq!(log2(8.0), 3.0);
        assert_eq!(log2(0.0), LOG2_FLOOR);
        assert_eq!(log2(-1.0), LOG2_FLOOR);
        assert_eq!(log2(f32::NAN), LOG2_FLOOR);
    }

    #[test]
    fn exp2_matches_f64_relatively() {
        for m in MODES {
            exp2_matches_f64(m);
        }
    }

    fn exp2_matches_f64(m: MulAdd) {
        let exp2 = |x| exp2(m, x);
        let mut worst = 0.0f64;
        for i in -125_000..127_000 {
            let x = i as f32 * 1e-3;
            let exact = f64::from(x).exp2();
            worst = worst.max((f64::from(exp2(x)) / exact - 1.0).abs());
        }
        assert!(worst < 5e-7, "exp2 relative error {worst}");
        assert_eq!(exp2(0.0), 1.0);
        assert_eq!(exp2(-3.0), 0.125);
        assert_eq!(exp2(-200.0), 0.0);
        assert_eq!(exp2(f32::NAN), 0.0);
        assert!(exp2(1000.0).is_finite());
    }

    #[test]
    fn exp2_splits_at_the_floor_at_integers_halves_and_between() {
        // The integer and fraction parts must be floor(x) and x − floor(x)
        // exactly: compare with f64's floor on integers, halves (where the
        // rounding trick ties) and points just beside them.
        for i in -126 * 4..128 * 4 {
            let base = i as f32 * 0.25;
            for x in [base, f32::from_bits(base.to_bits() + 1), f32::from_bits(base.to_bits().wrapping_sub(1))] {
                if !(-126.0..=127.999).contains(&x) {
                    continue;
                }
                let floor = f64::from(x).floor();
                let t = (f64::from(x) - floor) as f32;
                let [c0, c1, c2, c3, c4] = EXP2_POLY;
                let p = 1.0 + t * (c0 + t * (c1 + t * (c2 + t * (c3 + t * c4))));
                let expected = p * (floor as f32).exp2();
                assert_eq!(exp2(MulAdd::PLAIN, x).to_bits(), expected.to_bits(), "x = {x}");
            }
        }
    }

    #[test]
    fn tanh_matches_f64_and_is_odd() {
        for m in MODES {
            tanh_matches_f64(m);
        }
    }

    fn tanh_matches_f64(m: MulAdd) {
        let tanh = |x| tanh(m, x);
        let mut worst = 0.0f64;
        for i in -120_000..=120_000 {
            let x = i as f32 * 1e-4;
            worst = worst.max((f64::from(tanh(x)) - f64::from(x).tanh()).abs());
            assert_eq!(tanh(-x), -tanh(x));
        }
        assert!(worst < 4e-7, "tanh error {worst}");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(1e-30), 1e-30);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn db_round_trips_within_a_hundred_thousandth_of_a_db() {
        for m in MODES {
            db_round_trips(m);
        }
    }

    fn db_round_trips(m: MulAdd) {
        let (db_to_gain, gain_to_db) = (|x| db_to_gain(m, x), |x| gain_to_db(m, x));
        assert_eq!(db_to_gain(0.0), 1.0);
        assert_eq!(gain_to_db(1.0), 0.0);
        for i in -1200..=240 {
            let db = i as f32 * 0.1;
            assert!((f64::from(gain_to_db(db_to_gain(db))) - f64::from(db)).abs() < 1e-4, "{db} dB");
            let exact = 10f64.powf(f64::from(db) / 20.0);
            assert!((f64::from(db_to_gain(db)) / exact - 1.0).abs() < 1e-6, "{db} dB");
        }
    }
}

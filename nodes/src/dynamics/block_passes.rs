//! Block passes shared by the dynamics detectors (compressor, gate, de-esser).
//!
//! A detector written as one long per-frame body (filter → peak → dB → curve
//! → envelope → gain) serialises every step of every frame. Split into passes
//! over a short chunk, the recursive steps (filters, peak hold, envelope)
//! become tight loops the out-of-order core overlaps from frame to frame,
//! and the stateless steps (dB conversions, static curves, gains) vectorise.
//! Chunks of `CHUNK` frames live on the stack, so nothing allocates.

use crate::fast_math;

/// Frames per pass: short enough for stack scratch, long enough to amortise
/// each pass's set-up.
pub const CHUNK: usize = 64;

/// Envelope magnitudes below this become exact zeros at the end of a block.
const ENVELOPE_FLUSH: f64 = 1e-30;

/// Floor of a linear level before its dB conversion (−200 dBFS), so silence
/// stays finite.
pub const LEVEL_FLOOR: f32 = 1e-10;

/// Linear levels → dB (`20·log₁₀`, floored at [`LEVEL_FLOOR`]), in place.
/// Vectorised (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn levels_to_db(values: &mut [f32]) {
    for v in values {
        *v = fast_math::gain_to_db(v.max(LEVEL_FLOOR));
    }
}

/// Gain reductions in dB (≥ 0) → linear gains `10^(−r/20)`, in place.
/// Vectorised (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn reductions_to_gains(values: &mut [f32]) {
    for v in values {
        *v = fast_math::db_to_gain(-*v);
    }
}

/// The branching one-pole of Giannoulis et al. over a block of targets, in
/// place: each value becomes the envelope after that frame (coefficient
/// `rise` while the target is above the envelope, `fall` otherwise); `env`
/// carries the state. Written as `target + coef·(env − target)`, the
/// frame-to-frame chain is one subtract, one multiply-add and a select;
/// the state flushes to zero once per block (below 1e-30 it is still
/// thousands of frames from the f64 subnormal range, so nothing slows).
pub fn branch_block(env: &mut f64, values: &mut [f32], rise: f64, fall: f64) {
    let mut e = *env;
    for v in values {
        let target = f64::from(*v);
        let coef = if target > e { rise } else { fall };
        e = target + coef * (e - target);
        *v = e as f32;
    }
    *env = if e.abs() < ENVELOPE_FLUSH { 0.0 } else { e };
}

/// Copies `src` into the front of `dst`, replacing non-finite samples by 0
/// (a NaN would latch a recursive detector filter for good) and filling the
/// rest of `dst` with 0 when `src` is shorter (a missing channel is silence).
pub fn sanitize_into(src: &[f32], dst: &mut [f32]) {
    let n = src.len().min(dst.len());
    let (head, tail) = dst.split_at_mut(n);
    for (d, s) in head.iter_mut().zip(src) {
        *d = if s.is_finite() { *s } else { 0.0 };
    }
    tail.fill(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_match_the_per_frame_formulas() {
        let mut levels = [0.0f32, 1e-12, 0.5, 1.0, 2.0];
        levels_to_db(&mut levels);
        let expected = [-200.0f32, -200.0, -6.0206, 0.0, 6.0206];
        for (got, want) in levels.iter().zip(expected) {
            assert!((got - want).abs() < 1e-3, "{got} dB, expected {want}");
        }
        let mut gains = [0.0f32, 6.0206, 20.0];
        reductions_to_gains(&mut gains);
        for (got, want) in gains.iter().zip([1.0f32, 0.5, 0.1]) {
            assert!((got - want).abs() < 1e-5, "{got}, expected {want}");
        }
        let (mut env, mut block) = (0.0, [10.0f32; 4]);
        branch_block(&mut env, &mut block, 0.5, 0.9);
        assert_eq!(block, [5.0, 7.5, 8.75, 9.375]);
        assert_eq!(env, 9.375);
    }

    #[test]
    fn sanitize_zeroes_non_finite_and_missing_samples() {
        let mut dst = [9.0f32; 5];
        sanitize_into(&[1.0, f32::NAN, f32::INFINITY], &mut dst);
        assert_eq!(dst, [1.0, 0.0, 0.0, 0.0, 0.0]);
    }
}

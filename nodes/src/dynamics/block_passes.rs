//! Block passes shared by the dynamics detectors (compressor, gate, de-esser).
//!
//! A detector written as one long per-frame body (filter → peak → dB → curve
//! → envelope → gain) serialises every step of every frame. Split into passes
//! over a short chunk, the recursive steps (filters, peak hold, envelope)
//! become tight loops the out-of-order core overlaps from frame to frame,
//! and the stateless steps (dB conversions, static curves, gains) vectorise.
//! Chunks of `CHUNK` frames live on the stack, so nothing allocates.

use crate::fast_math;
use crate::mul_add::{MulAdd, target_mul_add};

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
    let m = target_mul_add!();
    for v in values {
        *v = fast_math::gain_to_db(m, v.max(LEVEL_FLOOR));
    }
}

/// Gain reductions in dB (≥ 0) → linear gains `10^(−r/20)`, in place.
/// Vectorised (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn reductions_to_gains(values: &mut [f32]) {
    let m = target_mul_add!();
    for v in values {
        *v = fast_math::db_to_gain(m, -*v);
    }
}

/// Linear gains → gain reductions in dB (`−20·log₁₀ g`, at least 0), in
/// place: the inverse of [`reductions_to_gains`], for meters. Vectorised
/// (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn gains_to_reductions(values: &mut [f32]) {
    let m = target_mul_add!();
    for v in values {
        *v = (-fast_math::gain_to_db(m, *v)).max(0.0);
    }
}

/// The branching one-pole of Giannoulis et al. over a block of targets, in
/// place: each value becomes the envelope after that frame (coefficient
/// `rise` while the target is above the envelope, `fall` otherwise); `env`
/// carries the state. The state flushes to zero once per block (below 1e-30
/// it is still thousands of frames from the f64 subnormal range, so nothing
/// slows). Compiled for AVX2/FMA (fused multiply-adds) and AVX as well as
/// the baseline, picked at run time.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn branch_block(env: &mut f64, values: &mut [f32], rise: f64, fall: f64) {
    branch_block_with(target_mul_add!(), env, values, rise, fall);
}

/// [`branch_block`] with the multiply-adds of `m`.
#[inline(always)]
fn branch_block_with(m: MulAdd, env: &mut f64, values: &mut [f32], rise: f64, fall: f64) {
    let mut e = *env;
    for v in values {
        e = branch_step(m, e, f64::from(*v), rise, fall);
        *v = e as f32;
    }
    *env = if e.abs() < ENVELOPE_FLUSH { 0.0 } else { e };
}

/// One frame of [`branch_block`]: `coef·e + (1 − coef)·target`. Both
/// candidates are computed and one is selected, so the frame-to-frame chain
/// is one (fused) multiply-add and a select, with the comparison beside it
/// instead of in front of the multiply; the `(1 − coef)·target` terms do not
/// depend on the envelope at all.
#[inline(always)]
fn branch_step(m: MulAdd, e: f64, target: f64, rise: f64, fall: f64) -> f64 {
    let rising = m.f64(rise, e, (1.0 - rise) * target);
    let falling = m.f64(fall, e, (1.0 - fall) * target);
    if target > e { rising } else { falling }
}

/// One envelope follower's block for [`branch_blocks`]: its state, the
/// targets (replaced by the envelope), and its coefficients.
pub struct EnvelopeLane<'a> {
    /// The follower's state, as `env` of [`branch_block`].
    pub env: &'a mut f64,
    /// The targets, replaced by the envelope after each frame.
    pub values: &'a mut [f32],
    /// Coefficient while the target is above the envelope.
    pub rise: f64,
    /// Coefficient otherwise.
    pub fall: f64,
}

/// [`branch_block`] on several followers at once, up to four in lockstep
/// (frame by frame). One follower is a chain of dependent operations the core
/// cannot overlap; four independent ones fill the gaps, so four cost about
/// what one does. Each lane's result is bit-identical to [`branch_block`]'s
/// (same operations in the same order); lanes shorter than the group's
/// longest simply stop early.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn branch_blocks(lanes: &mut [EnvelopeLane<'_>]) {
    let m = target_mul_add!();
    for group in lanes.chunks_mut(4) {
        match group {
            [a] => branch_block_with(m, a.env, a.values, a.rise, a.fall),
            [a, b] => lockstep(m, [a, b]),
            [a, b, c] => lockstep(m, [a, b, c]),
            [a, b, c, d] => lockstep(m, [a, b, c, d]),
            _ => {}
        }
    }
}

#[inline(always)]
fn lockstep<const N: usize>(m: MulAdd, mut lanes: [&mut EnvelopeLane<'_>; N]) {
    let frames = lanes.iter().map(|l| l.values.len()).min().unwrap_or(0);
    let mut e = lanes.each_ref().map(|l| *l.env);
    let (rise, fall) = (lanes.each_ref().map(|l| l.rise), lanes.each_ref().map(|l| l.fall));
    {
        // Every lane cut to the common length, so the loop has no bounds
        // checks and each step is one array expression over the lanes.
        let mut values = lanes.each_mut().map(|l| l.values.get_mut(..frames).unwrap_or_default());
        for i in 0..frames {
            let target: [f64; N] = std::array::from_fn(|k| values[k].get(i).map_or(0.0, |v| f64::from(*v)));
            e = std::array::from_fn(|k| branch_step(m, e[k], target[k], rise[k], fall[k]));
            for (v, e) in values.iter_mut().zip(e) {
                if let Some(v) = v.get_mut(i) {
                    *v = e as f32;
                }
            }
        }
    }
    for (k, lane) in lanes.iter_mut().enumerate() {
        // A longer lane finishes alone.
        let mut rest = e[k];
        if let Some(tail) = lane.values.get_mut(frames..) {
            branch_block_with(m, &mut rest, tail, lane.rise, lane.fall);
        }
        *lane.env = if rest.abs() < ENVELOPE_FLUSH { 0.0 } else { rest };
    }
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
    fn lockstep_envelopes_equal_one_at_a_time() {
        let targets: Vec<f32> = (0..300).map(|i| ((i * 37 % 101) as f32 - 20.0).max(0.0)).collect();
        let coefs = [(0.5, 0.9), (0.1, 0.99), (0.7, 0.8), (0.2, 0.95), (0.3, 0.6)];
        for count in 1..=coefs.len() {
            let mut expected = Vec::new();
            for (k, (rise, fall)) in coefs.iter().take(count).enumerate() {
                let (mut env, mut v) = (k as f64, targets[k..].to_vec());
                branch_block(&mut env, &mut v, *rise, *fall);
                expected.push((env, v));
            }
            let mut envs: Vec<f64> = (0..count).map(|k| k as f64).collect();
            let mut values: Vec<Vec<f32>> = (0..count).map(|k| targets[k..].to_vec()).collect();
            let mut lanes: Vec<EnvelopeLane<'_>> = envs
                .iter_mut()
                .zip(values.iter_mut())
                .zip(coefs)
                .map(|((env, values), (rise, fall))| EnvelopeLane { env, values, rise, fall })
                .collect();
            branch_blocks(&mut lanes);
            for (k, (env, v)) in expected.iter().enumerate() {
                assert_eq!(envs[k].to_bits(), env.to_bits(), "{count} lanes, lane {k}");
                assert_eq!(&values[k], v, "{count} lanes, lane {k}");
            }
        }
    }

    #[test]
    fn sanitize_zeroes_non_finite_and_missing_samples() {
        let mut dst = [9.0f32; 5];
        sanitize_into(&[1.0, f32::NAN, f32::INFINITY], &mut dst);
        assert_eq!(dst, [1.0, 0.0, 0.0, 0.0, 0.0]);
    }
}

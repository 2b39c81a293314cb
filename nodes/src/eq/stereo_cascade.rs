//! A band's cascade of biquad sections run on both channels at once.
//!
//! Per frame the two channels go through every section as one paired f64
//! [`PairSection`] each, staying f64 from section to section. Filtering one
//! channel and one section at a time, each pass is a single recursive chain
//! of multiply-adds the core waits on; paired and cascaded in one loop, up to
//! 2 × [`MAX_SECTIONS`] chains interleave. The section count is a const
//! generic, so the states live in registers for the whole block. States
//! flush once per block and the output once per sample (no subnormal leaves).

use super::biquad::{BiquadCoefs, DENORMAL_THRESHOLD, PairSection};
use super::parametric::MAX_SECTIONS;
use crate::mul_add::{MulAdd, target_mul_add};

/// Filter memory of a cascade: one paired section per stage (lane 0 left or
/// mono, lane 1 right).
pub type CascadeState = [PairSection; MAX_SECTIONS];

/// Frames per chunk when a mono signal runs with a silent second lane.
const MONO_CHUNK: usize = 64;

/// Runs `left` (and `right`, when given) through `sections` in place.
/// Compiled for AVX2/FMA (fused multiply-adds, see [`crate::mul_add`]) and AVX
/// as well as the baseline, and picked at run time.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn run(sections: &[BiquadCoefs], state: &mut CascadeState, left: &mut [f32], right: Option<&mut [f32]>) {
    let m = target_mul_add!();
    match sections.len() {
        0 => {}
        1 => settled::<1>(m, sections, state, left, right),
        2 => settled::<2>(m, sections, state, left, right),
        3 => settled::<3>(m, sections, state, left, right),
        _ => settled::<4>(m, sections, state, left, right),
    }
}

/// [`run`] with every section's coefficients moving linearly from `from`
/// (before the first frame) to `to` (at the last frame). `from` and `to`
/// have the same number of sections. Compiled like [`run`].
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
pub fn run_gliding(
    from: &[BiquadCoefs],
    to: &[BiquadCoefs],
    state: &mut CascadeState,
    left: &mut [f32],
    right: Option<&mut [f32]>,
) {
    let m = target_mul_add!();
    let frames = left.len().max(1) as f64;
    let glide = |i: usize| {
        let t = (i + 1) as f64 / frames;
        let mut out = [BiquadCoefs::identity(); MAX_SECTIONS];
        for ((o, a), b) in out.iter_mut().zip(from).zip(to) {
            let lerp = |x: f64, y: f64| x + (y - x) * t;
            *o = BiquadCoefs {
                b0: lerp(a.b0, b.b0),
                b1: lerp(a.b1, b.b1),
                b2: lerp(a.b2, b.b2),
                a1: lerp(a.a1, b.a1),
                a2: lerp(a.a2, b.a2),
            };
        }
        out
    };
    match to.len().min(from.len()) {
        0 => {}
        1 => with_pairs::<1>(m, state, left, right, |i| sections_array(&glide(i))),
        2 => with_pairs::<2>(m, state, left, right, |i| sections_array(&glide(i))),
        3 => with_pairs::<3>(m, state, left, right, |i| sections_array(&glide(i))),
        _ => with_pairs::<4>(m, state, left, right, |i| sections_array(&glide(i))),
    }
}

/// The first `N` sections as an array (identity where `sections` is short).
fn sections_array<const N: usize>(sections: &[BiquadCoefs]) -> [BiquadCoefs; N] {
    let mut out = [BiquadCoefs::identity(); N];
    for (o, s) in out.iter_mut().zip(sections) {
        *o = *s;
    }
    out
}

/// [`with_pairs`] with fixed coefficients.
#[inline(always)]
fn settled<const N: usize>(
    m: MulAdd,
    sections: &[BiquadCoefs],
    state: &mut CascadeState,
    left: &mut [f32],
    right: Option<&mut [f32]>,
) {
    let coefs = sections_array::<N>(sections);
    with_pairs(m, state, left, right, move |_| coefs);
}

/// Runs the paired cascade of `N` sections; `coefs(i)` gives frame `i`'s
/// coefficients (a constant closure for a settled band, which the
/// optimiser hoists out of the loop). A missing `right` runs `left` with a
/// silent second lane.
#[inline(always)]
fn with_pairs<const N: usize>(
    m: MulAdd,
    state: &mut CascadeState,
    left: &mut [f32],
    right: Option<&mut [f32]>,
    coefs: impl Fn(usize) -> [BiquadCoefs; N],
) {
    let mut st = [PairSection::default(); N];
    st.copy_from_slice(&state[..N]);
    match right {
        Some(right) => {
            for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
                let c = coefs(i);
                let mut v = [f64::from(*l), f64::from(*r)];
                for (s, c) in st.iter_mut().zip(&c) {
                    v = s.tick(m, c, v);
                }
                (*l, *r) = (flush_out(v[0]), flush_out(v[1]));
            }
        }
        None => {
            let mut offset = 0;
            for chunk in left.chunks_mut(MONO_CHUNK) {
                for (i, x) in chunk.iter_mut().enumerate() {
                    let c = coefs(offset + i);
                    let mut v = [f64::from(*x), 0.0];
                    for (s, c) in st.iter_mut().zip(&c) {
                        v = s.tick(m, c, v);
                    }
                    *x = flush_out(v[0]);
                }
                offset += chunk.len();
            }
        }
    }
    for s in &mut st {
        s.flush();
    }
    state[..N].copy_from_slice(&st);
}

/// An f64 cascade output as f32, with magnitudes below
/// [`DENORMAL_THRESHOLD`] written as exact zero (NaN passes).
#[inline(always)]
fn flush_out(v: f64) -> f32 {
    if v.abs() < DENORMAL_THRESHOLD { 0.0 } else { v as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eq::biquad::{BiquadState, FilterKind};

    fn sections() -> Vec<BiquadCoefs> {
        [(FilterKind::HighPass, 60.0), (FilterKind::HighPass, 60.0), (FilterKind::LowPass, 9000.0)]
            .iter()
            .map(|(kind, f)| BiquadCoefs::design(*kind, 48_000.0, *f, std::f64::consts::FRAC_1_SQRT_2, 0.0))
            .collect()
    }

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn paired_cascade_matches_one_channel_one_section_at_a_time() {
        let secs = sections();
        let (mut l, mut r) = (noise(2000, 1), noise(2000, 2));
        let (mut l_ref, mut r_ref) = (l.clone(), r.clone());
        for buf in [&mut l_ref, &mut r_ref] {
            for c in &secs {
                let mut s = BiquadState::default();
                s.process_block(c, buf);
            }
        }
        let mut state = CascadeState::default();
        for (a, b) in l.chunks_mut(333).zip(r.chunks_mut(333)) {
            run(&secs, &mut state, a, Some(b));
        }
        let mut mono = noise(2000, 1);
        let mut mono_state = CascadeState::default();
        run(&secs, &mut mono_state, &mut mono, None);
        // The reference rounds to f32 between sections; the cascade does not.
        let worst = l.iter().zip(&l_ref).chain(r.iter().zip(&r_ref)).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-6, "paired cascade differs from per-section filtering by {worst}");
        assert_eq!(mono, l, "mono runs exactly like the left lane");
    }

    #[test]
    fn gliding_between_equal_designs_is_the_settled_cascade() {
        let secs = sections();
        let (mut a, mut b) = (noise(512, 3), noise(512, 3));
        let (mut sa, mut sb) = (CascadeState::default(), CascadeState::default());
        run(&secs, &mut sa, &mut a, None);
        run_gliding(&secs, &secs, &mut sb, &mut b, None);
        assert_eq!(a, b);
    }
}

//! [`process_pair`](super::process_pair) with both channels in one SSE
//! register and fused multiply-adds, for CPUs with FMA.
//!
//! The portable loop computes the same [`PairSection::two_ticks`] steps, but
//! the compiler keeps them per lane in scalar registers (it does not pair
//! the two lanes' statements), which makes the filter bound by instruction
//! count rather than by its two-multiply-add chain. Written with intrinsics,
//! every step is one packed operation for both channels. The arithmetic is
//! exactly `two_ticks` with [`MulAdd::FUSED`] (a test compares bit for bit).

use super::{BiquadCoefs, PairSection};
use crate::mul_add::MulAdd;
use std::arch::x86_64::{
    __m128d, _mm_add_pd, _mm_cvtsd_f64, _mm_fmadd_pd, _mm_mul_pd, _mm_set_pd, _mm_set1_pd, _mm_unpackhi_pd,
};

/// Lane 0 and lane 1 of a pair.
#[inline]
#[target_feature(enable = "fma")]
fn lanes(v: __m128d) -> [f64; 2] {
    [_mm_cvtsd_f64(v), _mm_cvtsd_f64(_mm_unpackhi_pd(v, v))]
}

/// The filter loop. Only callable where the CPU has FMA (the caller checks).
#[target_feature(enable = "fma")]
pub(super) fn process_pair(section: &mut PairSection, c: &BiquadCoefs, a: &mut [f32], b: &mut [f32]) {
    let n = a.len().min(b.len());
    let (a, b) = (&mut a[..n], &mut b[..n]);
    // The coefficients of `two_ticks`, fused as there.
    let (u, v) = (c.b0.mul_add(-c.a1, c.b1), c.b0.mul_add(-c.a2, c.b2));
    let (a11, a21) = (c.a1.mul_add(c.a1, -c.a2), c.a1 * c.a2);
    let [b0, na1, na2, u, v, a11, a21] = [c.b0, -c.a1, -c.a2, u, v, a11, a21].map(|x| _mm_set1_pd(x));
    let pair = |l: f64, r: f64| _mm_set_pd(r, l);
    let (mut s1, mut s2) = (pair(section.s1[0], section.s1[1]), pair(section.s2[0], section.s2[1]));
    let (mut a2, mut b2) = (a.chunks_exact_mut(2), b.chunks_exact_mut(2));
    for (a, b) in a2.by_ref().zip(b2.by_ref()) {
        let x0 = pair(f64::from(a[0]), f64::from(b[0]));
        let x1 = pair(f64::from(a[1]), f64::from(b[1]));
        let (u0, v0, u1, v1) = (_mm_mul_pd(u, x0), _mm_mul_pd(v, x0), _mm_mul_pd(u, x1), _mm_mul_pd(v, x1));
        let y0 = _mm_fmadd_pd(b0, x0, s1);
        let s1_mid = _mm_fmadd_pd(na1, s1, _mm_add_pd(s2, u0));
        let y1 = _mm_fmadd_pd(b0, x1, s1_mid);
        let w1 = _mm_fmadd_pd(na1, u0, _mm_add_pd(v0, u1));
        let w2 = _mm_fmadd_pd(na2, u0, v1);
        (s1, s2) = (_mm_fmadd_pd(a11, s1, _mm_fmadd_pd(na1, s2, w1)), _mm_fmadd_pd(a21, s1, _mm_fmadd_pd(na2, s2, w2)));
        let ([y0a, y0b], [y1a, y1b]) = (lanes(y0), lanes(y1));
        (a[0], b[0], a[1], b[1]) = (y0a as f32, y0b as f32, y1a as f32, y1b as f32);
    }
    let mut local = PairSection { s1: lanes(s1), s2: lanes(s2) };
    for (a, b) in a2.into_remainder().iter_mut().zip(b2.into_remainder()) {
        let y = local.tick(MulAdd::FUSED, c, [f64::from(*a), f64::from(*b)]);
        (*a, *b) = (y[0] as f32, y[1] as f32);
    }
    *section = local;
}

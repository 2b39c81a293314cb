//! Stereo biquads with both channels in one SSE register and fused
//! multiply-adds, two frames per step, for CPUs with FMA.
//!
//! The portable [`PairSection::two_ticks`] loop compiles to scalar code per
//! lane (the compiler does not pair the two lanes' statements), which makes
//! the filter bound by instruction count rather than by its two-multiply-add
//! chain. Written with intrinsics, every step is one packed operation for
//! both channels. The arithmetic is exactly `two_ticks` with
//! [`MulAdd::FUSED`] (tests compare bit for bit). Every function here needs
//! FMA; callers check the CPU first.

use super::{BiquadCoefs, PairSection, by_frame_pairs};
use crate::mul_add::MulAdd;
use std::arch::x86_64::{
    __m128d, _mm_add_pd, _mm_cvtsd_f64, _mm_fmadd_pd, _mm_mul_pd, _mm_set_pd, _mm_set1_pd, _mm_unpackhi_pd,
};

/// `[left, right]` as one register.
#[inline]
#[target_feature(enable = "fma")]
fn pair(left: f64, right: f64) -> __m128d {
    _mm_set_pd(right, left)
}

/// Lane 0 and lane 1 of a pair.
#[inline]
#[target_feature(enable = "fma")]
fn lanes(v: __m128d) -> [f64; 2] {
    [_mm_cvtsd_f64(v), _mm_cvtsd_f64(_mm_unpackhi_pd(v, v))]
}

/// One section's two-frame step ([`PairSection::two_ticks`]) in packed form:
/// its coefficients and its memory.
#[derive(Clone, Copy)]
struct PackedSection {
    b0: __m128d,
    na1: __m128d,
    na2: __m128d,
    u: __m128d,
    v: __m128d,
    a11: __m128d,
    a21: __m128d,
    s1: __m128d,
    s2: __m128d,
}

impl PackedSection {
    /// `c` with the memory of `state`.
    #[inline]
    #[target_feature(enable = "fma")]
    fn new(c: &BiquadCoefs, state: &PairSection) -> Self {
        // The coefficients of `two_ticks`, fused as there.
        let (u, v) = (c.b0.mul_add(-c.a1, c.b1), c.b0.mul_add(-c.a2, c.b2));
        let (a11, a21) = (c.a1.mul_add(c.a1, -c.a2), c.a1 * c.a2);
        PackedSection {
            b0: _mm_set1_pd(c.b0),
            na1: _mm_set1_pd(-c.a1),
            na2: _mm_set1_pd(-c.a2),
            u: _mm_set1_pd(u),
            v: _mm_set1_pd(v),
            a11: _mm_set1_pd(a11),
            a21: _mm_set1_pd(a21),
            s1: pair(state.s1[0], state.s1[1]),
            s2: pair(state.s2[0], state.s2[1]),
        }
    }

    /// Two frames `x0`, `x1` in, their outputs out.
    #[inline]
    #[target_feature(enable = "fma")]
    fn two_ticks(&mut self, x0: __m128d, x1: __m128d) -> (__m128d, __m128d) {
        let (s1, s2) = (self.s1, self.s2);
        let (u0, v0) = (_mm_mul_pd(self.u, x0), _mm_mul_pd(self.v, x0));
        let (u1, v1) = (_mm_mul_pd(self.u, x1), _mm_mul_pd(self.v, x1));
        let y0 = _mm_fmadd_pd(self.b0, x0, s1);
        let s1_mid = _mm_fmadd_pd(self.na1, s1, _mm_add_pd(s2, u0));
        let y1 = _mm_fmadd_pd(self.b0, x1, s1_mid);
        let w1 = _mm_fmadd_pd(self.na1, u0, _mm_add_pd(v0, u1));
        let w2 = _mm_fmadd_pd(self.na2, u0, v1);
        self.s1 = _mm_fmadd_pd(self.a11, s1, _mm_fmadd_pd(self.na1, s2, w1));
        self.s2 = _mm_fmadd_pd(self.a21, s1, _mm_fmadd_pd(self.na2, s2, w2));
        (y0, y1)
    }

    /// The memory, unpacked.
    #[inline]
    #[target_feature(enable = "fma")]
    fn state(&self) -> PairSection {
        PairSection { s1: lanes(self.s1), s2: lanes(self.s2) }
    }
}

/// [`process_pair`](super::process_pair)'s loop, packed.
#[target_feature(enable = "fma")]
pub(super) fn process_pair(section: &mut PairSection, c: &BiquadCoefs, a: &mut [f32], b: &mut [f32]) {
    let mut packed = PackedSection::new(c, section);
    let last = by_frame_pairs(a, b, |x0, x1| {
        let (y0, y1) = packed.two_ticks(pair(x0[0], x0[1]), pair(x1[0], x1[1]));
        (lanes(y0), lanes(y1))
    });
    let mut local = packed.state();
    if let Some((a, b)) = last {
        let y = local.tick(MulAdd::FUSED, c, [f64::from(*a), f64::from(*b)]);
        (*a, *b) = (y[0] as f32, y[1] as f32);
    }
    *section = local;
}

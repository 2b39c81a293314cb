//! Multiply-adds that are fused where the CPU has FMA.
//!
//! Rust never contracts `a·b + c` into one fused multiply-add on its own, and
//! `mul_add` on a CPU without FMA is a slow library call. Hot loops are
//! compiled several times by `multiversion` (AVX2+FMA, AVX, baseline), and
//! each clone takes its [`MulAdd`] from `target_mul_add!`: a constant in that
//! clone, so the choice costs nothing once inlined.
//!
//! A fused multiply-add rounds once instead of twice, so results differ from
//! the plain ones in the last bits (never by more than an f64 or f32 rounding
//! per operation). [`MulAdd::PLAIN`] reproduces the unfused arithmetic bit
//! for bit: `a·b + c` exactly as written.

/// How a kernel computes `a·b + c`: fused (one rounding) or as a multiply
/// then an add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulAdd {
    fused: bool,
}

impl MulAdd {
    /// A multiply, then an add: available everywhere, and the reference
    /// arithmetic tests compare against.
    pub const PLAIN: MulAdd = MulAdd { fused: false };
    /// One fused multiply-add. Only fast where the code is compiled with the
    /// `fma` target feature; use `target_mul_add!` to pick.
    pub const FUSED: MulAdd = MulAdd { fused: true };

    /// [`MulAdd::FUSED`] when `fused`, else [`MulAdd::PLAIN`].
    pub const fn new(fused: bool) -> Self {
        MulAdd { fused }
    }

    /// `a·b + c` in f64.
    #[inline(always)]
    pub fn f64(self, a: f64, b: f64, c: f64) -> f64 {
        if self.fused { a.mul_add(b, c) } else { a * b + c }
    }

    /// `a·b + c` in f32.
    #[inline(always)]
    pub fn f32(self, a: f32, b: f32, c: f32) -> f32 {
        if self.fused { a.mul_add(b, c) } else { a * b + c }
    }
}

/// The [`MulAdd`] for the `multiversion` clone this is expanded in: fused
/// when that clone is compiled with FMA. Only valid inside a function marked
/// `#[multiversion::multiversion(...)]`.
macro_rules! target_mul_add {
    () => {
        $crate::mul_add::MulAdd::new(multiversion::target::target_cfg_f!(target_feature = "fma"))
    };
}
pub(crate) use target_mul_add;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rounds_twice_and_fused_once() {
        // (1 + 2⁻²⁷)² = 1 + 2⁻²⁶ + 2⁻⁵⁴: the product alone rounds the last term away.
        let a = 1.0 + 2f64.powi(-27);
        let c = -(1.0 + 2f64.powi(-26));
        assert_eq!(MulAdd::PLAIN.f64(a, a, c), 0.0);
        assert_eq!(MulAdd::FUSED.f64(a, a, c), 2f64.powi(-54));
        let a32 = 1.0 + 2f32.powi(-12);
        let c32 = -(1.0 + 2f32.powi(-11));
        assert_eq!(MulAdd::PLAIN.f32(a32, a32, c32), 0.0);
        assert_eq!(MulAdd::FUSED.f32(a32, a32, c32), 2f32.powi(-24));
    }

    #[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
    fn target_mode() -> MulAdd {
        target_mul_add!()
    }

    #[test]
    fn the_dispatched_clone_is_fused_exactly_when_the_cpu_has_fma() {
        #[cfg(target_arch = "x86_64")]
        let has_fma = std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let has_fma = cfg!(target_feature = "fma");
        assert_eq!(target_mode() == MulAdd::FUSED, has_fma);
    }
}

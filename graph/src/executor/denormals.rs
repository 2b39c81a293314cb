//! Scoped flush-to-zero for the audio thread (feature `unsafe_flush_denormals`).
//!
//! Subnormal floats make recursive filters crawl on x86 and plugin validators
//! reject plugins that output them. With the feature on, the guard sets FTZ and
//! DAZ for the duration of `Executor::process` and restores the previous mode on
//! drop. Changing the floating-point environment is formally undefined
//! behaviour in Rust (LLVM assumes the default mode), hence opt-in; nodes also
//! flush their own recursive state, so correctness never depends on it.

/// Restores the previous floating-point mode when dropped.
pub(super) struct FlushGuard {
    #[cfg(all(feature = "unsafe_flush_denormals", target_arch = "x86_64"))]
    previous: u32,
}

impl FlushGuard {
    #[cfg(all(feature = "unsafe_flush_denormals", target_arch = "x86_64"))]
    pub fn new() -> Self {
        const FTZ_DAZ: u32 = 0x8040;
        let mut previous: u32 = 0;
        // SAFETY: stmxcsr/ldmxcsr only read and write the SSE control register;
        // x86_64 always has SSE. See the module docs for the UB caveat.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut previous, options(nostack));
            let mode = previous | FTZ_DAZ;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &mode, options(nostack));
        }
        FlushGuard { previous }
    }

    #[cfg(not(all(feature = "unsafe_flush_denormals", target_arch = "x86_64")))]
    pub fn new() -> Self {
        FlushGuard {}
    }
}

#[cfg(all(feature = "unsafe_flush_denormals", target_arch = "x86_64"))]
impl Drop for FlushGuard {
    fn drop(&mut self) {
        // SAFETY: restores the register value read in `new`.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.previous, options(nostack));
        }
    }
}

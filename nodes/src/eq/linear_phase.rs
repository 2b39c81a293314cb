//! Linear-phase FIR design and FFT convolution for `eq.linear_phase`.
//!
//! Plain math with no engine types.
//!
//! **Design** ([`LinearPhaseFir::rebuild`]): the caller writes a target
//! magnitude `|H(f_k)|` on the grid `f_k = k · fs / N`, `k = 0 … N/2`
//! ([`LinearPhaseFir::magnitudes_mut`]). With zero phase, a size-`N` inverse
//! real FFT gives a real, even (circularly symmetric) impulse response
//! `h0[n]`; a circular shift by `N/2` centres it, and a Blackman window
//!
//! ```text
//! w[n] = 0.42 − 0.5 cos(2πn/N) + 0.08 cos(4πn/N),   n = 0 … N−1
//! ```
//!
//! (the DFT-even form, symmetric about `n = N/2`; F. J. Harris, "On the use of
//! windows for harmonic analysis with the discrete Fourier transform",
//! Proc. IEEE 66(1), 1978, §V.E) tapers it. `w[0] = 0`, so the filter is the
//! odd-length (`N − 1` taps, `n = 1 … N−1`) symmetric FIR
//! `h[n] = w[n] · h0[(n − N/2) mod N]`, with `h[N/2 + k] = h[N/2 − k]`: a pure
//! delay of exactly `N/2` frames. The window's main lobe (±3 bins =
//! ±3 fs/N) smooths the target, so features narrower than a few bins (steep cuts
//! near their corner, very high-Q notches at low frequency) are softened.
//!
//! **Convolution**: uniform overlap-save with block `B = N` and FFT size
//! `F = 2N` (`F − B = N ≥ N − 1`, so all `B` outputs of a block are free of
//! circular aliasing). Input is buffered into blocks of `B` frames, so any host
//! block size works; the buffering adds exactly `B` frames. Total latency:
//!
//! ```text
//! latency = B + N/2 = 3N/2 frames
//! ```
//!
//! After a [`LinearPhaseFir::rebuild`] with `crossfade = true` the next block
//! is rendered with both the old and the new kernel and crossfaded linearly
//! over its `B` frames.
//!
//! Everything after [`LinearPhaseFir::new`] runs without allocating: plans
//! are made there and FFTs use `process_with_scratch` with preallocated
//! buffers. Errors from realfft (only possible on wrong buffer lengths, which
//! construction rules out) are ignored rather than panicking.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::f64::consts::TAU;
use std::sync::Arc;

/// Values with a magnitude below this are written as zero (no subnormals).
pub const FLUSH_THRESHOLD: f32 = 1e-20;

fn flush(v: f32) -> f32 {
    if v.abs() < FLUSH_THRESHOLD { 0.0 } else { v }
}

/// One channel's overlap-save state.
struct Channel {
    /// Last `F` input frames: `[previous block | current block]`.
    history: Vec<f32>,
    /// Output of the last completed block, read out while the next fills.
    out: Vec<f32>,
}

/// A linear-phase FIR of length `N` (a power of two) applied by overlap-save.
pub struct LinearPhaseFir {
    n: usize,
    fill: usize,
    design_inv: Arc<dyn ComplexToReal<f32>>,
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    window: Vec<f32>,
    mags: Vec<f32>,
    design_spec: Vec<Complex<f32>>,
    design_time: Vec<f32>,
    taps: Vec<f32>,
    time: Vec<f32>,
    spec: Vec<Complex<f32>>,
    spec_tmp: Vec<Complex<f32>>,
    out_new: Vec<f32>,
    out_old: Vec<f32>,
    kernel: Vec<Complex<f32>>,
    kernel_old: Vec<Complex<f32>>,
    crossfade: bool,
    scratch: Vec<Complex<f32>>,
    channels: Vec<Channel>,
}

impl LinearPhaseFir {
    /// A filter of length `fir_len` (rounded up to a power of two, at least 4)
    /// for `channels` channels, initially a pure delay (flat magnitude).
    /// Control thread: plans the FFTs and allocates every buffer.
    pub fn new(fir_len: usize, channels: usize) -> Self {
        let n = fir_len.max(4).next_power_of_two();
        let f = 2 * n;
        let mut planner = RealFftPlanner::<f32>::new();
        let design_inv = planner.plan_fft_inverse(n);
        let fwd = planner.plan_fft_forward(f);
        let inv = planner.plan_fft_inverse(f);
        let scratch_len = design_inv.get_scratch_len().max(fwd.get_scratch_len()).max(inv.get_scratch_len()).max(1);
        let window = (0..n)
            .map(|i| {
                let x = TAU * i as f64 / n as f64;
                (0.42 - 0.5 * x.cos() + 0.08 * (2.0 * x).cos()) as f32
            })
            .collect();
        let zero = Complex::new(0.0, 0.0);
        let mut fir = LinearPhaseFir {
            n,
            fill: 0,
            design_inv,
            fwd,
            inv,
            window,
            mags: vec![1.0; n / 2 + 1],
            design_spec: vec![zero; n / 2 + 1],
            design_time: vec![0.0; n],
            taps: vec![0.0; n],
            time: vec![0.0; f],
            spec: vec![zero; n + 1],
            spec_tmp: vec![zero; n + 1],
            out_new: vec![0.0; f],
            out_old: vec![0.0; f],
            kernel: vec![zero; n + 1],
            kernel_old: vec![zero; n + 1],
            crossfade: false,
            scratch: vec![zero; scratch_len],
            channels: (0..channels).map(|_| Channel { history: vec![0.0; f], out: vec![0.0; n] }).collect(),
        };
        fir.rebuild(false);
        fir
    }

    /// FIR length `N`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always false (`N ≥ 4`); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Total latency in frames: `B + N/2 = 3N/2`.
    pub fn latency(&self) -> usize {
        self.n + self.n / 2
    }

    /// Frequency in Hz of grid bin `k` (`0 … N/2`).
    pub fn bin_hz(&self, k: usize, sample_rate: f64) -> f64 {
        k as f64 * sample_rate / self.n as f64
    }

    /// The target magnitudes (linear), one per bin `k = 0 … N/2`; read by the
    /// next [`LinearPhaseFir::rebuild`].
    pub fn magnitudes_mut(&mut self) -> &mut [f32] {
        &mut self.mags
    }

    /// The current windowed FIR taps `h[0 … N−1]` (centre `N/2`).
    pub fn taps(&self) -> &[f32] {
        &self.taps
    }

    /// Redesigns the FIR from the magnitudes. With `crossfade`, the next
    /// block fades from the previous kernel to the new one. Never allocates.
    pub fn rebuild(&mut self, crossfade: bool) {
        let n = self.n;
        for (c, m) in self.design_spec.iter_mut().zip(&self.mags) {
            *c = Complex::new(if m.is_finite() { *m } else { 0.0 }, 0.0);
        }
        let _ = self.design_inv.process_with_scratch(&mut self.design_spec, &mut self.design_time, &mut self.scratch);
        let scale = 1.0 / n as f32;
        for (i, (t, w)) in self.taps.iter_mut().zip(&self.window).enumerate() {
            *t = self.design_time[(i + n / 2) % n] * w * scale;
        }
        self.time[..n].copy_from_slice(&self.taps);
        self.time[n..].fill(0.0);
        if crossfade {
            std::mem::swap(&mut self.kernel, &mut self.kernel_old);
        }
        let _ = self.fwd.process_with_scratch(&mut self.time, &mut self.kernel, &mut self.scratch);
        // The inverse FFT of the product is unnormalised: fold 1/F in here.
        let norm = 1.0 / (2 * n) as f32;
        for c in &mut self.kernel {
            *c *= norm;
        }
        self.crossfade = crossfade;
    }

    /// Frames until the current internal block is full.
    pub fn remaining(&self) -> usize {
        self.n - self.fill
    }

    /// Exchanges up to [`LinearPhaseFir::remaining`] frames: `input` (non-finite
    /// and tiny values as zero) goes into the block, `output` receives the
    /// delayed result. Call for every channel, then [`LinearPhaseFir::advance`].
    pub fn exchange(&mut self, channel: usize, input: &[f32], output: &mut [f32]) {
        let (n, fill) = (self.n, self.fill);
        let Some(ch) = self.channels.get_mut(channel) else {
            output.fill(0.0);
            return;
        };
        let len = input.len().min(output.len()).min(n - fill);
        for (h, x) in ch.history[n + fill..n + fill + len].iter_mut().zip(input) {
            *h = if x.is_finite() { flush(*x) } else { 0.0 };
        }
        output[..len].copy_from_slice(&ch.out[fill..fill + len]);
    }

    /// Moves the block position on by `frames`; when the block is full,
    /// convolves it (returns true).
    pub fn advance(&mut self, frames: usize) -> bool {
        self.fill = (self.fill + frames).min(self.n);
        if self.fill < self.n {
            return false;
        }
        self.run_block();
        true
    }

    /// Convolves every channel's full block and shifts the history.
    fn run_block(&mut self) {
        let n = self.n;
        let last = n; // index of the Nyquist bin of the size-2N transform
        for ch in &mut self.channels {
            if ch.history.iter().all(|v| *v == 0.0) {
                ch.out.fill(0.0);
                continue;
            }
            self.time.copy_from_slice(&ch.history);
            let _ = self.fwd.process_with_scratch(&mut self.time, &mut self.spec, &mut self.scratch);
            for ((o, x), h) in self.spec_tmp.iter_mut().zip(&self.spec).zip(&self.kernel) {
                *o = x * h;
            }
            self.spec_tmp[0].im = 0.0;
            self.spec_tmp[last].im = 0.0;
            let _ = self.inv.process_with_scratch(&mut self.spec_tmp, &mut self.out_new, &mut self.scratch);
            if self.crossfade {
                for ((o, x), h) in self.spec_tmp.iter_mut().zip(&self.spec).zip(&self.kernel_old) {
                    *o = x * h;
                }
                self.spec_tmp[0].im = 0.0;
                self.spec_tmp[last].im = 0.0;
                let _ = self.inv.process_with_scratch(&mut self.spec_tmp, &mut self.out_old, &mut self.scratch);
                let step = 1.0 / n as f32;
                for (j, o) in ch.out.iter_mut().enumerate() {
                    let t = (j + 1) as f32 * step;
                    *o = flush(self.out_old[n + j] * (1.0 - t) + self.out_new[n + j] * t);
                }
            } else {
                for (o, y) in ch.out.iter_mut().zip(&self.out_new[n..]) {
                    *o = flush(*y);
                }
            }
            ch.history.copy_within(n.., 0);
        }
        self.crossfade = false;
        self.fill = 0;
    }

    /// Clears every channel's history and pending output; cancels a crossfade.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.history.fill(0.0);
            ch.out.fill(0.0);
        }
        self.fill = 0;
        self.crossfade = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_phase_flat_design_is_a_symmetric_delay() {
        let fir = LinearPhaseFir::new(1024, 1);
        let h = fir.taps();
        let peak = h.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        let centre = h.iter().position(|v| v.abs() == peak).unwrap();
        assert_eq!(centre, 512);
        let asym = (1..512).map(|k| (h[512 + k] - h[512 - k]).abs()).fold(0.0f32, f32::max) / peak;
        assert!(asym < 1e-5, "asymmetry {asym}");
        assert!((h[512] - 1.0).abs() < 1e-4, "flat centre tap {}", h[512]);
        assert_eq!(fir.latency(), 1536);
    }

    #[test]
    fn linear_phase_kernel_delays_an_impulse_by_its_latency() {
        let mut fir = LinearPhaseFir::new(64, 1);
        let total = 400;
        let mut input = vec![0.0f32; total];
        input[5] = 1.0;
        let mut output = vec![0.0f32; total];
        let mut pos = 0;
        while pos < total {
            let len = fir.remaining().min(total - pos).min(13);
            fir.exchange(0, &input[pos..pos + len], &mut output[pos..pos + len]);
            fir.advance(len);
            pos += len;
        }
        let peak =
            output.iter().enumerate().fold((0, 0.0f32), |a, (i, v)| if v.abs() > a.1 { (i, v.abs()) } else { a });
        assert_eq!(peak.0, 5 + fir.latency());
        assert!((peak.1 - 1.0).abs() < 1e-4);
    }
}

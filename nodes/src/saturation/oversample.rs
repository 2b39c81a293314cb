//! Polyphase half-band FIR oversampling (2× and 4× as a cascade of 2× stages).
//!
//! Each stage is a linear-phase half-band low-pass designed by the window
//! method with a Kaiser window: ideal half-band impulse response
//! `h[n] = sin(πn/2)/(πn)` (and `h[0] = 1/2`) times `w[n]`, with β and length from
//! Kaiser's empirical formulas (J. F. Kaiser, "Nonrecursive digital filter
//! design using the I0-sinh window function", Proc. IEEE ISCAS 1974; as in
//! Oppenheim & Schafer, *Discrete-Time Signal Processing*, 3rd ed., §7.6.1,
//! eqs. 7.62–7.63): `β = 0.1102 (A − 8.7)`, order `N = (A − 8) / (2.285 Δω)`.
//! We design for A = [`DESIGN_ATTENUATION_DB`] (96 dB) so the realised
//! stopband clears 90 dB (checked by a test). Every other tap of a half-band
//! filter is zero, so each stage runs as two polyphase branches: one FIR of
//! the odd-offset taps and one pure delay for the centre tap (½).
//!
//! The passband reaches [`PASSBAND_EDGE`] × the base sample rate (20 kHz at
//! 48 kHz). Stage 1 (base ↔ 2×) has its transition band between that edge and
//! its mirror around the base Nyquist; stage 2 (2× ↔ 4×) only has to keep
//! images of content below the same edge out, so its transition is much wider
//! and the filter much shorter.
//!
//! Latency: a stage of `2M + 1` taps (M odd) delays by M samples at the
//! higher rate on the way up and again on the way down, M frames at the lower
//! rate in total. The 4× cascade adds one sample of delay at the 2× rate after
//! stage 2 (M₂ + 1 even), so the total, `M₁ + (M₂ + 1)/2`, is an integer
//! number of base-rate frames and base samples land on base samples.

use std::f64::consts::PI;

/// Stopband attenuation the Kaiser formulas are asked for, in dB.
pub const DESIGN_ATTENUATION_DB: f64 = 96.0;

/// Upper edge of the passband as a fraction of the base sample rate.
pub const PASSBAND_EDGE: f64 = 20.0 / 48.0;

/// Zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x * 0.5;
    for k in 1..200 {
        term *= half / k as f64;
        let t = term * term;
        sum += t;
        if t < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Designs a half-band low-pass with transition width `transition_rad`
/// (radians per sample at the higher rate, centred on π/2). Returns all
/// `2M + 1` taps, M odd, summing to exactly 1.
pub fn design_half_band(transition_rad: f64) -> Vec<f64> {
    let a = DESIGN_ATTENUATION_DB;
    let beta = 0.1102 * (a - 8.7);
    let order = ((a - 8.0) / (2.285 * transition_rad.max(1e-3))).ceil() as usize;
    // Length 4k + 3: odd, and M = (len − 1)/2 odd so the end taps are non-zero.
    let mut len = order + 1;
    while len % 4 != 3 {
        len += 1;
    }
    let m = (len - 1) / 2;
    let i0_beta = bessel_i0(beta);
    let mut taps: Vec<f64> = (0..len)
        .map(|j| {
            let n = j as f64 - m as f64;
            if j == m {
                0.5
            } else if (j + m).is_multiple_of(2) {
                0.0
            } else {
                let r = n / m as f64;
                let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                (PI * n * 0.5).sin() / (PI * n) * w
            }
        })
        .collect();
    // Scale the odd-offset taps so they sum to ½: DC gain exactly 1, and the
    // half-band property (centre ½, even offsets 0) is kept.
    let side: f64 = taps.iter().enumerate().filter(|(j, _)| *j != m).map(|(_, t)| t).sum();
    if side.abs() > 1e-9 {
        for (j, t) in taps.iter_mut().enumerate() {
            if j != m {
                *t *= 0.5 / side;
            }
        }
    }
    taps
}

/// A delay line holding the newest `len` values, newest first, as one slice.
#[derive(Clone, Debug)]
struct History {
    /// Two copies of the ring, so the window is always contiguous.
    buf: Vec<f64>,
    len: usize,
    pos: usize,
}

impl History {
    fn new(len: usize) -> Self {
        let len = len.max(1);
        History { buf: vec![0.0; 2 * len], len, pos: 0 }
    }

    #[inline]
    fn push(&mut self, x: f64) {
        self.pos = if self.pos == 0 { self.len - 1 } else { self.pos - 1 };
        if let Some(v) = self.buf.get_mut(self.pos) {
            *v = x;
        }
        if let Some(v) = self.buf.get_mut(self.pos + self.len) {
            *v = x;
        }
    }

    /// `[newest, …, oldest]`.
    #[inline]
    fn window(&self) -> &[f64] {
        self.buf.get(self.pos..self.pos + self.len).unwrap_or(&[])
    }

    #[inline]
    fn get(&self, lag: usize) -> f64 {
        self.window().get(lag).copied().unwrap_or(0.0)
    }

    fn clear(&mut self) {
        self.buf.fill(0.0);
    }
}

/// One 2× stage: an interpolator and a decimator sharing one half-band design.
#[derive(Clone, Debug)]
pub struct HalfBandStage {
    /// The non-zero odd-offset taps `h[0], h[2], …, h[2M]` (M + 1 of them).
    branch: Vec<f64>,
    /// Half the filter order; odd.
    m: usize,
    up: History,
    down_even: History,
    down_odd: History,
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl HalfBandStage {
    /// A stage from the taps of [`design_half_band`]. Control thread; allocates.
    pub fn new(taps: &[f64]) -> Self {
        let m = taps.len().saturating_sub(1) / 2;
        let branch: Vec<f64> = taps.iter().step_by(2).copied().collect();
        HalfBandStage {
            branch,
            m,
            up: History::new(m + 1),
            down_even: History::new(m + 1),
            down_odd: History::new(m.div_ceil(2) + 1),
        }
    }

    /// Delay of the up-then-down round trip, in samples at the lower rate.
    pub fn latency(&self) -> usize {
        self.m
    }

    /// One lower-rate sample in, two higher-rate samples out (gain 2 on the
    /// zero-stuffed signal, so the passband gain is 1).
    #[inline]
    pub fn upsample(&mut self, x: f64) -> (f64, f64) {
        self.up.push(x);
        let even = 2.0 * dot(&self.branch, self.up.window());
        // Centre tap ½ × 2.
        let odd = self.up.get((self.m - 1) / 2);
        (even, odd)
    }

    /// Two higher-rate samples in (even, then odd), one lower-rate sample out.
    #[inline]
    pub fn downsample(&mut self, even: f64, odd: f64) -> f64 {
        self.down_even.push(even);
        self.down_odd.push(odd);
        dot(&self.branch, self.down_even.window()) + 0.5 * self.down_odd.get(self.m.div_ceil(2))
    }

    /// Clears all delay lines. Real-time safe.
    pub fn reset(&mut self) {
        self.up.clear();
        self.down_even.clear();
        self.down_odd.clear();
    }
}

/// Oversampling factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    /// No oversampling.
    X1,
    /// 2×: one half-band stage.
    X2,
    /// 4×: two cascaded half-band stages.
    X4,
}

impl Factor {
    /// Samples at the oversampled rate per base-rate frame.
    pub fn ratio(self) -> usize {
        match self {
            Factor::X1 => 1,
            Factor::X2 => 2,
            Factor::X4 => 4,
        }
    }
}

/// Runs a memoryless function at 1×, 2× or 4× the base rate, one base-rate
/// sample at a time.
#[derive(Clone, Debug)]
pub struct Oversampler {
    factor: Factor,
    stage1: HalfBandStage,
    stage2: HalfBandStage,
    /// One-sample delay at the 2× rate that makes the 4× latency integral.
    pad: f64,
}

impl Oversampler {
    /// Designs the filters for `factor`. Control thread; allocates.
    pub fn new(factor: Factor) -> Self {
        // Stage 1 at 2× the base rate: passband edge ωp = π·PASSBAND_EDGE.
        let stage1 = design_half_band(PI * (1.0 - 2.0 * PASSBAND_EDGE));
        // Stage 2 at 4×: ωp = π·PASSBAND_EDGE/2.
        let stage2 = design_half_band(PI * (1.0 - PASSBAND_EDGE));
        let (s1, s2) = match factor {
            Factor::X1 => (vec![0.0, 0.5, 0.0], vec![0.0, 0.5, 0.0]),
            Factor::X2 => (stage1, vec![0.0, 0.5, 0.0]),
            Factor::X4 => (stage1, stage2),
        };
        Oversampler { factor, stage1: HalfBandStage::new(&s1), stage2: HalfBandStage::new(&s2), pad: 0.0 }
    }

    /// The factor.
    pub fn factor(&self) -> Factor {
        self.factor
    }

    /// Exact delay in base-rate frames (0 at 1×).
    pub fn latency_frames(&self) -> usize {
        match self.factor {
            Factor::X1 => 0,
            Factor::X2 => self.stage1.latency(),
            Factor::X4 => self.stage1.latency() + self.stage2.latency().div_ceil(2),
        }
    }

    /// Taps of (stage 1, stage 2) as designed for 4×, for tests and plots.
    pub fn design_taps() -> (Vec<f64>, Vec<f64>) {
        (design_half_band(PI * (1.0 - 2.0 * PASSBAND_EDGE)), design_half_band(PI * (1.0 - PASSBAND_EDGE)))
    }

    /// Upsamples `x`, applies `f` to every oversampled sample, downsamples.
    /// Real-time safe.
    #[inline]
    pub fn process(&mut self, x: f64, f: &mut impl FnMut(f64) -> f64) -> f64 {
        match self.factor {
            Factor::X1 => f(x),
            Factor::X2 => {
                let (a, b) = self.stage1.upsample(x);
                self.stage1.downsample(f(a), f(b))
            }
            Factor::X4 => {
                let (a, b) = self.stage1.upsample(x);
                let (a0, a1) = self.stage2.upsample(a);
                let p = self.stage2.downsample(f(a0), f(a1));
                let (b0, b1) = self.stage2.upsample(b);
                let q = self.stage2.downsample(f(b0), f(b1));
                let previous = self.pad;
                self.pad = q;
                self.stage1.downsample(previous, p)
            }
        }
    }

    /// Clears all filter memory. Real-time safe.
    pub fn reset(&mut self) {
        self.stage1.reset();
        self.stage2.reset();
        self.pad = 0.0;
    }
}

#[cfg(test)]
mod tests;

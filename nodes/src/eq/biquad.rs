//! Second-order IIR ("biquad") filters for the EQ nodes.
//!
//! Coefficients follow Robert Bristow-Johnson, "Cookbook formulae for audio EQ
//! biquad filter coefficients" (the W3C note version,
//! <https://www.w3.org/TR/audio-eq-cookbook/>): each filter is the cookbook's
//! analog prototype mapped to the z-plane by the bilinear transform with the
//! frequency pre-warped so that the prototype's centre/corner frequency lands
//! exactly on `freq_hz`.
//!
//! Processing uses Transposed Direct Form II:
//!
//! ```text
//! y[n]  = b0*x[n] + s1
//! s1'   = b1*x[n] - a1*y[n] + s2
//! s2'   = b2*x[n] - a2*y[n]
//! ```
//!
//! Both the coefficients and the two state variables are `f64`; only the
//! samples crossing the API are `f32`. TDF-II keeps the recursion in the
//! states, and for low `freq_hz / sample_rate` those states are differences of
//! nearly equal large terms: in `f32` that rounding becomes a noise floor and a
//! slight detuning that are audible on low shelves and high-Q bass bands. In
//! `f64` the same error sits far below what an `f32` output can represent, and
//! scalar `f64` arithmetic costs the same as `f32` on the targets we build for.
//!
//! The recursive states are flushed to exactly zero once both fall below
//! [`DENORMAL_THRESHOLD`] (and output samples below it are written as zero),
//! so a filter fed silence settles to true zeros
//! instead of grinding through subnormal numbers (which are tens of times
//! slower on x86), and no output sample is ever a subnormal `f32`.
//!
//! Everything here is plain math with no dependency on engine types.

use crate::mul_add::MulAdd;

#[cfg(target_arch = "x86_64")]
mod pair_fma;
use std::f64::consts::PI;

/// Once both states are below this magnitude they become exactly `0.0`;
/// output samples below it are written as `0.0`.
///
/// 1e-20 is about -400 dBFS, far below anything audible or representable in a
/// 24-bit signal, yet far above the subnormal range of both `f32` (~1.2e-38)
/// and `f64`, so flushed values never turn into subnormals downstream.
pub const DENORMAL_THRESHOLD: f64 = 1e-20;

/// Lowest accepted Q; smaller values are raised to this.
///
/// Below this the cookbook's `alpha` exceeds 1 by a wide margin at mid
/// frequencies and the responses stop resembling the named shapes.
pub const MIN_Q: f64 = 0.025;

/// Highest accepted centre/corner frequency as a fraction of the sample rate.
///
/// Kept under Nyquist (0.5) because the pre-warping `tan(w0/2)` diverges
/// there.
pub const MAX_FREQ_RATIO: f64 = 0.49;

/// Lowest accepted centre/corner frequency as a fraction of the sample rate.
///
/// The brief asks for frequencies strictly above 0 Hz; this small positive
/// floor (0.048 Hz at 48 kHz) keeps `sin(w0)` and `alpha` non-zero.
pub const MIN_FREQ_RATIO: f64 = 1e-6;

/// Gains are clamped to +/- this many dB so that the cookbook's `A`
/// (10^(gain/40)) and its square stay finite.
pub const MAX_GAIN_DB: f64 = 120.0;

/// The filter shapes of the cookbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    /// Second-order low-pass, `H(s) = 1 / (s^2 + s/Q + 1)`.
    LowPass,
    /// Second-order high-pass, `H(s) = s^2 / (s^2 + s/Q + 1)`.
    HighPass,
    /// Band-pass with 0 dB peak gain, `H(s) = (s/Q) / (s^2 + s/Q + 1)`.
    BandPass,
    /// Band-reject, `H(s) = (s^2 + 1) / (s^2 + s/Q + 1)`.
    Notch,
    /// Peaking EQ: `gain_db` at the centre frequency, 0 dB far away.
    Peak,
    /// Low shelf: `gain_db` below the corner, 0 dB above.
    LowShelf,
    /// High shelf: `gain_db` above the corner, 0 dB below.
    HighShelf,
    /// All-pass: unity magnitude, phase turns by 360 degrees around `freq_hz`.
    AllPass,
}

impl FilterKind {
    /// Every kind, in declaration order (for UIs, presets and tests).
    pub const ALL: [FilterKind; 8] = [
        FilterKind::LowPass,
        FilterKind::HighPass,
        FilterKind::BandPass,
        FilterKind::Notch,
        FilterKind::Peak,
        FilterKind::LowShelf,
        FilterKind::HighShelf,
        FilterKind::AllPass,
    ];

    /// Stable lowercase identifier, as used in presets ("lowpass", "peak", ...).
    pub fn name(&self) -> &'static str {
        match self {
            FilterKind::LowPass => "lowpass",
            FilterKind::HighPass => "highpass",
            FilterKind::BandPass => "bandpass",
            FilterKind::Notch => "notch",
            FilterKind::Peak => "peak",
            FilterKind::LowShelf => "lowshelf",
            FilterKind::HighShelf => "highshelf",
            FilterKind::AllPass => "allpass",
        }
    }

    /// Whether `gain_db` affects this kind (peak and shelves only).
    pub fn uses_gain(&self) -> bool {
        matches!(self, FilterKind::Peak | FilterKind::LowShelf | FilterKind::HighShelf)
    }
}

/// Biquad coefficients normalised so that `a0 == 1`.
///
/// Transfer function: `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    /// Feed-forward coefficient for `x[n]`.
    pub b0: f64,
    /// Feed-forward coefficient for `x[n-1]`.
    pub b1: f64,
    /// Feed-forward coefficient for `x[n-2]`.
    pub b2: f64,
    /// Feedback coefficient for `y[n-1]` (sign as in the denominator above).
    pub a1: f64,
    /// Feedback coefficient for `y[n-2]` (sign as in the denominator above).
    pub a2: f64,
}

impl Default for BiquadCoefs {
    /// The pass-through filter, so a defaulted node is transparent.
    fn default() -> Self {
        Self::identity()
    }
}

impl BiquadCoefs {
    /// Designs a cookbook filter.
    ///
    /// * `freq_hz` is clamped to `[MIN_FREQ_RATIO, MAX_FREQ_RATIO] * sample_rate`.
    /// * `q` is raised to at least [`MIN_Q`]. Shelves use the cookbook's Q
    ///   form (`alpha = sin(w0) / (2 Q)`) with `q` taken as given, so Q = 0.7071
    ///   gives the steepest shelf without overshoot (the cookbook's S = 1).
    /// * `gain_db` is only used by [`FilterKind::Peak`], [`FilterKind::LowShelf`]
    ///   and [`FilterKind::HighShelf`], clamped to +/- [`MAX_GAIN_DB`].
    ///
    /// Any non-finite argument, or a non-positive sample rate, yields
    /// [`BiquadCoefs::identity`]: a NaN coefficient would poison the filter
    /// state permanently, whereas pass-through is harmless while a parameter
    /// is being fixed.
    pub fn design(kind: FilterKind, sample_rate: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let finite = sample_rate.is_finite() && freq_hz.is_finite() && q.is_finite() && gain_db.is_finite();
        if !finite || sample_rate <= 0.0 {
            return Self::identity();
        }

        let freq = freq_hz.clamp(MIN_FREQ_RATIO * sample_rate, MAX_FREQ_RATIO * sample_rate);
        let q = q.max(MIN_Q);
        let gain_db = gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB);

        // Cookbook intermediates.
        let w0 = 2.0 * PI * freq / sample_rate;
        let (sin_w0, cos_w0) = w0.sin_cos();
        let alpha = sin_w0 / (2.0 * q);
        let a = 10f64.powf(gain_db / 40.0);
        let two_sqrt_a_alpha = 2.0 * a.sqrt() * alpha;

        // (b0, b1, b2, a0, a1, a2) before normalisation.
        let raw = match kind {
            FilterKind::LowPass => {
                let b = (1.0 - cos_w0) / 2.0;
                (b, 1.0 - cos_w0, b, 1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha)
            }
            FilterKind::HighPass => {
                let b = (1.0 + cos_w0) / 2.0;
                (b, -(1.0 + cos_w0), b, 1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha)
            }
            // The "constant 0 dB peak gain" variant, so Q only sets the width.
            FilterKind::BandPass => (alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha),
            FilterKind::Notch => (1.0, -2.0 * cos_w0, 1.0, 1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha),
            FilterKind::Peak => {
                (1.0 + alpha * a, -2.0 * cos_w0, 1.0 - alpha * a, 1.0 + alpha / a, -2.0 * cos_w0, 1.0 - alpha / a)
            }
            FilterKind::LowShelf => (
                a * ((a + 1.0) - (a - 1.0) * cos_w0 + two_sqrt_a_alpha),
                2.0 * a * ((a - 1.0) - (a + 1.0) * cos_w0),
                a * ((a + 1.0) - (a - 1.0) * cos_w0 - two_sqrt_a_alpha),
                (a + 1.0) + (a - 1.0) * cos_w0 + two_sqrt_a_alpha,
                -2.0 * ((a - 1.0) + (a + 1.0) * cos_w0),
                (a + 1.0) + (a - 1.0) * cos_w0 - two_sqrt_a_alpha,
            ),
            FilterKind::HighShelf => (
                a * ((a + 1.0) + (a - 1.0) * cos_w0 + two_sqrt_a_alpha),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos_w0),
                a * ((a + 1.0) + (a - 1.0) * cos_w0 - two_sqrt_a_alpha),
                (a + 1.0) - (a - 1.0) * cos_w0 + two_sqrt_a_alpha,
                2.0 * ((a - 1.0) - (a + 1.0) * cos_w0),
                (a + 1.0) - (a - 1.0) * cos_w0 - two_sqrt_a_alpha,
            ),
            FilterKind::AllPass => (1.0 - alpha, -2.0 * cos_w0, 1.0 + alpha, 1.0 + alpha, -2.0 * cos_w0, 1.0 - alpha),
        };

        let (b0, b1, b2, a0, a1, a2) = raw;
        // a0 > 0 for every kind once alpha > 0 and A > 0, which the clamps
        // above guarantee, so this division is safe.
        let inv_a0 = 1.0 / a0;
        Self { b0: b0 * inv_a0, b1: b1 * inv_a0, b2: b2 * inv_a0, a1: a1 * inv_a0, a2: a2 * inv_a0 }
    }

    /// The pass-through filter (`H(z) = 1`).
    pub fn identity() -> Self {
        Self { b0: 1.0, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 }
    }

    /// Complex frequency response `H(e^{jw})` at `freq_hz`, as `(re, im)`.
    ///
    /// Used by UIs to draw EQ curves and by tests; not meant for the audio
    /// thread's inner loop (it calls `sin_cos` twice).
    pub fn response(&self, sample_rate: f64, freq_hz: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq_hz / sample_rate;
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        // z^-k = cos(kw) - j sin(kw)
        let num_re = self.b0 + self.b1 * c1 + self.b2 * c2;
        let num_im = -(self.b1 * s1 + self.b2 * s2);
        let den_re = 1.0 + self.a1 * c1 + self.a2 * c2;
        let den_im = -(self.a1 * s1 + self.a2 * s2);
        let den_norm = den_re * den_re + den_im * den_im;
        ((num_re * den_re + num_im * den_im) / den_norm, (num_im * den_re - num_re * den_im) / den_norm)
    }

    /// Magnitude of [`BiquadCoefs::response`] in dB (`-inf` at an exact zero).
    pub fn magnitude_db(&self, sample_rate: f64, freq_hz: f64) -> f64 {
        let (re, im) = self.response(sample_rate, freq_hz);
        20.0 * re.hypot(im).log10()
    }
}

/// Replaces values too small to matter with exact zero (see
/// [`DENORMAL_THRESHOLD`]). NaN passes through so faults stay visible.
#[inline(always)]
fn flush(v: f64) -> f64 {
    if v.abs() < DENORMAL_THRESHOLD { 0.0 } else { v }
}

/// Filter memory for one channel.
///
/// Kept separate from [`BiquadCoefs`] so one coefficient set can drive every
/// channel of a node, and so coefficients can be swapped without clearing
/// the memory (which would click).
#[derive(Clone, Copy, Debug, Default)]
pub struct BiquadState {
    /// First TDF-II state (feeds the next output directly).
    s1: f64,
    /// Second TDF-II state (feeds `s1` on the next sample).
    s2: f64,
}

/// TDF-II memory of one biquad for both channels (lane = channel), so one
/// tick filters a stereo frame with paired (SIMD) arithmetic.
#[derive(Clone, Copy, Debug, Default)]
pub struct PairSection {
    /// First TDF-II state per lane.
    pub s1: [f64; 2],
    /// Second TDF-II state per lane.
    pub s2: [f64; 2],
}

impl PairSection {
    /// Filters one sample per lane: TDF-II as [`BiquadState::tick`], in f64
    /// from stage to stage (no f32 rounding between the cascaded sections),
    /// multiply-adds as `m` says ([`MulAdd::PLAIN`] is bit-identical to
    /// [`BiquadState::tick`]).
    #[inline(always)]
    pub fn tick(&mut self, m: MulAdd, c: &BiquadCoefs, x: [f64; 2]) -> [f64; 2] {
        let y = [m.f64(c.b0, x[0], self.s1[0]), m.f64(c.b0, x[1], self.s1[1])];
        self.s1 =
            [m.f64(-c.a1, y[0], m.f64(c.b1, x[0], self.s2[0])), m.f64(-c.a1, y[1], m.f64(c.b1, x[1], self.s2[1]))];
        self.s2 = [m.f64(-c.a2, y[0], c.b2 * x[0]), m.f64(-c.a2, y[1], c.b2 * x[1])];
        y
    }

    /// Two frames per lane at once (`x0` then `x1`), returning their outputs.
    /// The state advances by both frames in one step of the state-space form
    /// (`s ← A²·s + …`, with `A` the TDF-II transition matrix), so the
    /// frame-to-frame chain is two multiply-adds per *two* frames instead of
    /// two per frame. Equal to two [`PairSection::tick`]s up to rounding (a
    /// test bounds it); for detectors, where a recursive filter alone would
    /// otherwise set the pace.
    #[inline(always)]
    pub fn two_ticks(&mut self, m: MulAdd, c: &BiquadCoefs, x0: [f64; 2], x1: [f64; 2]) -> ([f64; 2], [f64; 2]) {
        // s1' = −a1·s1 + s2 + u·x, s2' = −a2·s1 + v·x, y = s1 + b0·x.
        let (u, v) = (m.f64(-c.a1, c.b0, c.b1), m.f64(-c.a2, c.b0, c.b2));
        // A² = [[a1² − a2, −a1], [a1·a2, −a2]].
        let (a11, a21) = (m.f64(c.a1, c.a1, -c.a2), c.a1 * c.a2);
        let (mut y0, mut y1) = ([0.0; 2], [0.0; 2]);
        for i in 0..2 {
            let (s1, s2) = (self.s1[i], self.s2[i]);
            let (u0, v0, u1, v1) = (u * x0[i], v * x0[i], u * x1[i], v * x1[i]);
            y0[i] = m.f64(c.b0, x0[i], s1);
            let s1_mid = m.f64(-c.a1, s1, s2 + u0);
            y1[i] = m.f64(c.b0, x1[i], s1_mid);
            // The input terms of the two-frame step, off the state's chain.
            let w1 = m.f64(-c.a1, u0, v0 + u1);
            let w2 = m.f64(-c.a2, u0, v1);
            self.s1[i] = m.f64(a11, s1, m.f64(-c.a1, s2, w1));
            self.s2[i] = m.f64(a21, s1, m.f64(-c.a2, s2, w2));
        }
        (y0, y1)
    }

    /// Zeroes a lane whose two states are both below [`DENORMAL_THRESHOLD`]
    /// (never one state alone: see `BiquadState::tick`). Once per block is
    /// enough: a decaying state takes thousands of samples to fall from
    /// 1e-20 to the subnormal range.
    pub fn flush(&mut self) {
        for lane in 0..2 {
            if self.s1[lane].abs() < DENORMAL_THRESHOLD && self.s2[lane].abs() < DENORMAL_THRESHOLD {
                self.s1[lane] = 0.0;
                self.s2[lane] = 0.0;
            }
        }
    }
}

/// Filters a block of two channels in place through one section (`a` in
/// lane 0, `b` in lane 1, as long as the shorter), rounding each output to
/// f32; two frames per step ([`PairSection::two_ticks`]). Where the CPU has
/// FMA, both lanes run as one packed register with fused multiply-adds
/// (`pair_fma`); elsewhere the portable loop with plain ones.
pub fn process_pair(section: &mut PairSection, c: &BiquadCoefs, a: &mut [f32], b: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: `pair_fma::process_pair` only needs the FMA instructions,
        // and the CPU has them (checked just above).
        unsafe { pair_fma::process_pair(section, c, a, b) };
        return;
    }
    process_pair_with(MulAdd::PLAIN, section, c, a, b);
}

/// The portable loop of [`process_pair`], with the multiply-adds of `m`.
fn process_pair_with(m: MulAdd, section: &mut PairSection, c: &BiquadCoefs, a: &mut [f32], b: &mut [f32]) {
    let mut local = *section;
    let last = by_frame_pairs(a, b, |x0, x1| local.two_ticks(m, c, x0, x1));
    if let Some((a, b)) = last {
        let y = local.tick(m, c, [f64::from(*a), f64::from(*b)]);
        (*a, *b) = (y[0] as f32, y[1] as f32);
    }
    *section = local;
}

/// Runs two channels in place (`a` in lane 0, `b` in lane 1, as long as the
/// shorter) through `two`, two frames at a time, rounding the outputs to
/// f32. Returns the last frame of an odd-length block, left for the caller
/// to filter alone.
#[inline(always)]
fn by_frame_pairs<'s>(
    a: &'s mut [f32],
    b: &'s mut [f32],
    mut two: impl FnMut([f64; 2], [f64; 2]) -> ([f64; 2], [f64; 2]),
) -> Option<(&'s mut f32, &'s mut f32)> {
    let n = a.len().min(b.len());
    let (mut a2, mut b2) = (a[..n].chunks_exact_mut(2), b[..n].chunks_exact_mut(2));
    for (a, b) in a2.by_ref().zip(b2.by_ref()) {
        let (y0, y1) = two([f64::from(a[0]), f64::from(b[0])], [f64::from(a[1]), f64::from(b[1])]);
        (a[0], b[0], a[1], b[1]) = (y0[0] as f32, y0[1] as f32, y1[0] as f32, y1[1] as f32);
    }
    a2.into_remainder().first_mut().zip(b2.into_remainder().first_mut())
}

/// Four f64 lanes.
type Lanes = [f64; 4];

/// Four biquad sections' coefficients, one per lane (see [`QuadSection`]).
#[derive(Clone, Copy, Debug)]
pub struct QuadCoefs {
    b0: Lanes,
    b1: Lanes,
    b2: Lanes,
    a1: Lanes,
    a2: Lanes,
}

impl QuadCoefs {
    /// `lo` in lanes 0–1, `hi` in lanes 2–3.
    pub fn pair(lo: &BiquadCoefs, hi: &BiquadCoefs) -> Self {
        let l = |f: fn(&BiquadCoefs) -> f64| [f(lo), f(lo), f(hi), f(hi)];
        QuadCoefs { b0: l(|c| c.b0), b1: l(|c| c.b1), b2: l(|c| c.b2), a1: l(|c| c.a1), a2: l(|c| c.a2) }
    }
}

/// Four TDF-II sections side by side, one per lane: the compiler maps a
/// tick onto one 4 × f64 AVX register. Two channels through a low-pass and a
/// high-pass at once is the usual use (`[L, R, L, R]`, see
/// [`QuadCoefs::pair`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct QuadSection {
    s1: Lanes,
    s2: Lanes,
}

impl QuadSection {
    /// Lanes 0–1 from `a`, lanes 2–3 from `b`.
    pub fn gather(a: &PairSection, b: &PairSection) -> Self {
        QuadSection { s1: [a.s1[0], a.s1[1], b.s1[0], b.s1[1]], s2: [a.s2[0], a.s2[1], b.s2[0], b.s2[1]] }
    }

    /// Lanes 0–1 into `a`, lanes 2–3 into `b`.
    pub fn scatter(&self, a: &mut PairSection, b: &mut PairSection) {
        a.s1 = [self.s1[0], self.s1[1]];
        a.s2 = [self.s2[0], self.s2[1]];
        b.s1 = [self.s1[2], self.s1[3]];
        b.s2 = [self.s2[2], self.s2[3]];
    }

    /// [`PairSection::tick`] on four lanes, same operations in the same order.
    #[inline(always)]
    pub fn tick(&mut self, m: MulAdd, c: &QuadCoefs, x: Lanes) -> Lanes {
        let mut y = [0.0; 4];
        for i in 0..4 {
            y[i] = m.f64(c.b0[i], x[i], self.s1[i]);
        }
        for i in 0..4 {
            self.s1[i] = m.f64(-c.a1[i], y[i], m.f64(c.b1[i], x[i], self.s2[i]));
        }
        for i in 0..4 {
            self.s2[i] = m.f64(-c.a2[i], y[i], c.b2[i] * x[i]);
        }
        y
    }

    /// The same section twice in cascade (an LR4 half).
    #[inline(always)]
    pub fn twice(s: &mut [QuadSection; 2], m: MulAdd, c: &QuadCoefs, x: Lanes) -> Lanes {
        let [a, b] = s;
        b.tick(m, c, a.tick(m, c, x))
    }

    /// [`PairSection::flush`] on each lane.
    pub fn flush(&mut self) {
        for lane in 0..4 {
            if self.s1[lane].abs() < DENORMAL_THRESHOLD && self.s2[lane].abs() < DENORMAL_THRESHOLD {
                self.s1[lane] = 0.0;
                self.s2[lane] = 0.0;
            }
        }
    }
}

impl BiquadState {
    /// Clears the memory, as if the filter had only ever seen silence.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Processes one sample.
    #[inline]
    pub fn tick(&mut self, c: &BiquadCoefs, x: f32) -> f32 {
        let x = f64::from(x);
        let y = c.b0 * x + self.s1;
        // `b1·x + s2` does not wait for `y`: the frame-to-frame chain is one
        // add (y), one multiply and one subtract.
        let s1 = (c.b1 * x + self.s2) - c.a1 * y;
        let s2 = c.b2 * x - c.a2 * y;
        // Flush the two states together, never one alone: in a ringing
        // low-frequency resonance one state passes near zero every half
        // cycle, and zeroing it alone injects a ~1e-20 error each time that
        // the resonance amplifies into a self-sustaining -340 dB limit cycle
        // (the decaying-tail test caught this). Zeroing both only ever jumps
        // to the true rest state, which is absorbing.
        if s1.abs() < DENORMAL_THRESHOLD && s2.abs() < DENORMAL_THRESHOLD {
            self.s1 = 0.0;
            self.s2 = 0.0;
        } else {
            self.s1 = s1;
            self.s2 = s2;
        }
        // Flushing the output (not the state) guarantees no subnormal f32
        // leaves the filter: anything that survives is >= 1e-20.
        flush(y) as f32
    }

    /// Processes `buf` in place.
    ///
    /// Bit-for-bit identical to calling [`BiquadState::tick`] on each sample:
    /// it runs the very same code on a local copy of the state, which lets the
    /// optimiser keep the state in registers for the whole block.
    pub fn process_block(&mut self, c: &BiquadCoefs, buf: &mut [f32]) {
        let mut state = *self;
        for x in buf.iter_mut() {
            *x = state.tick(c, *x);
        }
        *self = state;
    }

    /// True once the memory holds exact zeros (e.g. after a tail has decayed).
    pub fn is_silent(&self) -> bool {
        self.s1 == 0.0 && self.s2 == 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packed_pair_filter_is_the_portable_one_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("fma") {
            let c = BiquadCoefs::design(FilterKind::HighPass, 48_000.0, 20.0, std::f64::consts::FRAC_1_SQRT_2, 0.0);
            let wave = |k: usize| (0..301).map(|i| ((i * (7 + k)) % 23) as f32 / 11.0 - 1.0).collect::<Vec<f32>>();
            let (mut a, mut b) = (wave(0), wave(1));
            let (mut a_ref, mut b_ref) = (a.clone(), b.clone());
            let (mut s, mut s_ref) = (PairSection::default(), PairSection::default());
            // Odd lengths, so the single-frame remainder runs too.
            for (start, end) in [(0, 101), (101, 301)] {
                process_pair(&mut s, &c, &mut a[start..end], &mut b[start..end]);
                process_pair_with(MulAdd::FUSED, &mut s_ref, &c, &mut a_ref[start..end], &mut b_ref[start..end]);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!((bits(&a), bits(&b)), (bits(&a_ref), bits(&b_ref)));
            assert_eq!((s.s1, s.s2), (s_ref.s1, s_ref.s2));
        }
    }

    #[test]
    fn two_ticks_equal_two_single_ticks_up_to_rounding() {
        // A detector high-pass at 20 Hz (poles close to 1, where rounding
        // matters most) and a resonant low-pass.
        for (kind, hz, q) in
            [(FilterKind::HighPass, 20.0, std::f64::consts::FRAC_1_SQRT_2), (FilterKind::LowPass, 9000.0, 4.0)]
        {
            let c = BiquadCoefs::design(kind, 48_000.0, hz, q, 0.0);
            for m in [MulAdd::PLAIN, MulAdd::FUSED] {
                let (mut one, mut two) = (PairSection::default(), PairSection::default());
                let mut seed = 7u32;
                let mut noise = || {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    f64::from(seed >> 8) / f64::from(1u32 << 24) - 0.5
                };
                let mut worst = 0.0f64;
                for _ in 0..20_000 {
                    let (x0, x1) = ([noise(), noise()], [noise(), noise()]);
                    let (a0, a1) = (one.tick(m, &c, x0), one.tick(m, &c, x1));
                    let (b0, b1) = two.two_ticks(m, &c, x0, x1);
                    for (a, b) in a0.iter().chain(&a1).zip(b0.iter().chain(&b1)) {
                        worst = worst.max((a - b).abs());
                    }
                }
                assert!(worst < 1e-12, "{kind:?} {hz} Hz ({m:?}): {worst}");
            }
        }
    }

    const SR: f64 = 48_000.0;
    const F0: f64 = 1_000.0;

    // ---- independent reference: the cookbook's analog prototypes ---------

    /// Minimal complex arithmetic on (re, im) pairs, so the reference does not
    /// share any code with `BiquadCoefs::response`.
    #[derive(Clone, Copy, Debug)]
    struct C(f64, f64);

    impl C {
        fn add(self, o: C) -> C {
            C(self.0 + o.0, self.1 + o.1)
        }
        fn sub(self, o: C) -> C {
            C(self.0 - o.0, self.1 - o.1)
        }
        fn mul(self, o: C) -> C {
            C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
        }
        fn scale(self, k: f64) -> C {
            C(self.0 * k, self.1 * k)
        }
        fn div(self, o: C) -> C {
            let d = o.0 * o.0 + o.1 * o.1;
            C((self.0 * o.0 + self.1 * o.1) / d, (self.1 * o.0 - self.0 * o.1) / d)
        }
        fn abs(self) -> f64 {
            (self.0 * self.0 + self.1 * self.1).sqrt()
        }
    }

    /// H(s) of the cookbook's normalised analog prototype (w0 = 1).
    fn prototype(kind: FilterKind, q: f64, gain_db: f64, s: C) -> C {
        let one = C(1.0, 0.0);
        let a = 10f64.powf(gain_db / 40.0);
        let s2 = s.mul(s);
        let common_den = s2.add(s.scale(1.0 / q)).add(one);
        match kind {
            FilterKind::LowPass => one.div(common_den),
            FilterKind::HighPass => s2.div(common_den),
            FilterKind::BandPass => s.scale(1.0 / q).div(common_den),
            FilterKind::Notch => s2.add(one).div(common_den),
            FilterKind::AllPass => s2.sub(s.scale(1.0 / q)).add(one).div(common_den),
            FilterKind::Peak => s2.add(s.scale(a / q)).add(one).div(s2.add(s.scale(1.0 / (a * q))).add(one)),
            FilterKind::LowShelf => {
                let k = a.sqrt() / q;
                let num = s2.add(s.scale(k)).add(C(a, 0.0));
                let den = s2.scale(a).add(s.scale(k)).add(one);
                num.div(den).scale(a)
            }
            FilterKind::HighShelf => {
                let k = a.sqrt() / q;
                let num = s2.scale(a).add(s.scale(k)).add(one);
                let den = s2.add(s.scale(k)).add(C(a, 0.0));
                num.div(den).scale(a)
            }
        }
    }

    /// Prototype evaluated where the pre-warped bilinear transform maps the
    /// digital frequency `f`: `s = j tan(w/2) / tan(w0/2)`.
    fn analytic_db(kind: FilterKind, f0: f64, q: f64, gain_db: f64, f: f64) -> f64 {
        let w = 2.0 * PI * f / SR;
        let w0 = 2.0 * PI * f0 / SR;
        let s = C(0.0, (w / 2.0).tan() / (w0 / 2.0).tan());
        20.0 * prototype(kind, q, gain_db, s).abs().log10()
    }

    /// f0/8 ... f0*8, keeping those under Nyquist.
    fn octave_points() -> Vec<f64> {
        (-3..=3).map(|k| F0 * 2f64.powi(k)).filter(|f| *f < SR / 2.0).collect()
    }

    /// Every (kind, q, gain) combination the brief asks for.
    fn configs() -> Vec<(FilterKind, f64, f64)> {
        let mut v = Vec::new();
        for kind in FilterKind::ALL {
            for q in [0.707, 2.0] {
                let gains: &[f64] = if kind.uses_gain() { &[6.0, -6.0] } else { &[0.0] };
                for &g in gains {
                    v.push((kind, q, g));
                }
            }
        }
        v
    }

    /// The notch's response at f0 is an exact zero: dB values there are
    /// "-huge" and comparing them to +/-0.05 dB is meaningless.
    fn is_notch_centre(kind: FilterKind, f: f64) -> bool {
        kind == FilterKind::Notch && f == F0
    }

    #[test]
    fn names_and_all() {
        let names: Vec<_> = FilterKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, ["lowpass", "highpass", "bandpass", "notch", "peak", "lowshelf", "highshelf", "allpass"]);
    }

    #[test]
    fn design_matches_bilinear_prototype() {
        let mut worst = 0.0f64;
        for (kind, q, g) in configs() {
            let c = BiquadCoefs::design(kind, SR, F0, q, g);
            for f in octave_points() {
                let got = c.magnitude_db(SR, f);
                let want = analytic_db(kind, F0, q, g, f);
                if is_notch_centre(kind, f) {
                    assert!(got < -60.0 && want < -60.0, "notch f0: {got} / {want}");
                    continue;
                }
                let err = (got - want).abs();
                worst = worst.max(err);
                assert!(err <= 0.05, "{} q={q} g={g} f={f}: got {got:.4} dB, analytic {want:.4} dB", kind.name());
            }
        }
        println!("design vs analytic prototype: worst error {worst:.2e} dB");
    }

    #[test]
    fn peak_reads_its_gain_at_f0() {
        for g in [6.0, -6.0] {
            for q in [0.707, 2.0] {
                let c = BiquadCoefs::design(FilterKind::Peak, SR, F0, q, g);
                let db = c.magnitude_db(SR, F0);
                println!("peak {g:+} dB q={q} at f0: {db:.6} dB");
                assert!((db - g).abs() < 0.005, "peak {g} dB q={q}: {db:.4}");
            }
        }
    }

    #[test]
    // 0.7071 is the value a user types, deliberately not FRAC_1_SQRT_2.
    #[allow(clippy::approx_constant)]
    fn lowpass_is_minus_3db_at_f0_for_butterworth_q() {
        let c = BiquadCoefs::design(FilterKind::LowPass, SR, F0, 0.7071, 0.0);
        let db = c.magnitude_db(SR, F0);
        println!("lowpass q=0.7071 at f0: {db:.4} dB");
        assert!((db + 3.01).abs() < 0.005, "lowpass at f0: {db:.4} dB");
    }

    #[test]
    fn notch_is_deep_at_f0() {
        for q in [0.707, 2.0] {
            let c = BiquadCoefs::design(FilterKind::Notch, SR, F0, q, 0.0);
            let db = c.magnitude_db(SR, F0);
            let measured = measured_db(&c, F0);
            println!("notch q={q} at f0: {db:.1} dB (process_block: {measured:.1} dB)");
            assert!(db < -60.0, "notch q={q}: {db} dB");
            assert!(measured < -60.0, "notch q={q} measured: {measured} dB");
        }
    }

    /// Output/input RMS ratio in dB of a 1 s sine through `process_block`,
    /// measured over the last half second (trimmed to whole periods so the
    /// window itself adds no ripple).
    fn measured_db(c: &BiquadCoefs, f: f64) -> f64 {
        let n = SR as usize;
        let input: Vec<f32> = (0..n).map(|i| (0.5 * (2.0 * PI * f * i as f64 / SR).sin()) as f32).collect();
        let mut output = input.clone();
        let mut state = BiquadState::default();
        // Odd block size so block boundaries fall everywhere in the period.
        for block in output.chunks_mut(251) {
            state.process_block(c, block);
        }
        let period = SR / f;
        let periods = ((n / 2) as f64 / period).floor();
        let len = (periods * period).round() as usize;
        let rms = |v: &[f32]| (v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        20.0 * (rms(&output[n - len..]) / rms(&input[n - len..])).log10()
    }

    #[test]
    fn process_block_matches_magnitude_db() {
        let mut worst = 0.0f64;
        for (kind, q, g) in configs() {
            let c = BiquadCoefs::design(kind, SR, F0, q, g);
            for f in octave_points() {
                let measured = measured_db(&c, f);
                if is_notch_centre(kind, f) {
                    assert!(measured < -60.0, "notch f0 measured {measured} dB");
                    continue;
                }
                let predicted = c.magnitude_db(SR, f);
                let err = (measured - predicted).abs();
                worst = worst.max(err);
                assert!(
                    err <= 0.05,
                    "{} q={q} g={g} f={f}: measured {measured:.4} dB, predicted {predicted:.4} dB",
                    kind.name()
                );
            }
        }
        println!("process_block vs magnitude_db: worst error {worst:.2e} dB");
    }

    /// Deterministic white-ish noise without pulling in a RNG crate.
    fn noise(n: usize) -> Vec<f32> {
        let mut x: u32 = 0x1234_5678;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn process_block_equals_repeated_tick_bit_for_bit() {
        let input = noise(10_000);
        for (kind, q, g) in configs() {
            let c = BiquadCoefs::design(kind, SR, F0, q, g);
            let mut by_tick = BiquadState::default();
            let expected: Vec<u32> = input.iter().map(|&x| by_tick.tick(&c, x).to_bits()).collect();

            let mut by_block = BiquadState::default();
            let mut buf = input.clone();
            for block in buf.chunks_mut(97) {
                by_block.process_block(&c, block);
            }
            let got: Vec<u32> = buf.iter().map(|y| y.to_bits()).collect();
            assert_eq!(got, expected, "{} q={q} g={g}", kind.name());
            assert_eq!(by_block.s1.to_bits(), by_tick.s1.to_bits());
            assert_eq!(by_block.s2.to_bits(), by_tick.s2.to_bits());
        }
    }

    fn is_subnormal(y: f32) -> bool {
        y != 0.0 && !y.is_normal() && y.is_finite()
    }

    #[test]
    fn subnormal_input_then_silence_gives_exact_zeros() {
        let tiny = 1e-38f32;
        assert!(is_subnormal(tiny), "test input must be subnormal");
        for (kind, q, g) in configs() {
            let c = BiquadCoefs::design(kind, SR, F0, q, g);
            let mut st = BiquadState::default();
            let mut buf = vec![tiny; 4_800];
            st.process_block(&c, &mut buf);
            assert!(buf.iter().all(|&y| !is_subnormal(y)), "{}", kind.name());
            let mut silence = vec![0.0f32; 4_800];
            st.process_block(&c, &mut silence);
            assert!(
                silence.iter().all(|&y| y.to_bits() == 0),
                "{}: silence after subnormals is not exact +0.0",
                kind.name()
            );
            assert!(st.is_silent(), "{}: state not flushed", kind.name());
        }
    }

    #[test]
    fn decaying_tail_never_goes_subnormal_and_ends_in_zeros() {
        // A resonant low band rings for a long time: worst case for
        // denormals. Q = 5 at 20 Hz decays by 1e-20 (the flush level) in
        // about 4 s (5 s for the peak, whose pole Q is A*Q), inside 10 s.
        for kind in [FilterKind::LowPass, FilterKind::BandPass, FilterKind::Peak] {
            let c = BiquadCoefs::design(kind, SR, 20.0, 5.0, 6.0);
            let mut st = BiquadState::default();
            let mut buf = vec![0.0f32; 10 * SR as usize];
            buf[0] = 1.0;
            st.process_block(&c, &mut buf);
            assert!(buf.iter().all(|&y| !is_subnormal(y)), "{}", kind.name());
            assert_eq!(buf.last().map(|y| y.to_bits()), Some(0), "{}", kind.name());
            assert!(st.is_silent(), "{}", kind.name());
        }
    }

    #[test]
    fn parameters_are_clamped() {
        let k = FilterKind::Peak;
        let at_limit = BiquadCoefs::design(k, SR, MAX_FREQ_RATIO * SR, 1.0, 6.0);
        assert_eq!(BiquadCoefs::design(k, SR, 40_000.0, 1.0, 6.0), at_limit);
        let low = BiquadCoefs::design(k, SR, MIN_FREQ_RATIO * SR, 1.0, 6.0);
        assert_eq!(BiquadCoefs::design(k, SR, 0.0, 1.0, 6.0), low);
        assert_eq!(BiquadCoefs::design(k, SR, -5.0, 1.0, 6.0), low);
        let min_q = BiquadCoefs::design(k, SR, F0, MIN_Q, 6.0);
        assert_eq!(BiquadCoefs::design(k, SR, F0, 0.0, 6.0), min_q);
        assert_eq!(BiquadCoefs::design(k, SR, F0, -3.0, 6.0), min_q);
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(BiquadCoefs::design(k, SR, bad, 1.0, 6.0), BiquadCoefs::identity());
            assert_eq!(BiquadCoefs::design(k, SR, F0, bad, 6.0), BiquadCoefs::identity());
            assert_eq!(BiquadCoefs::design(k, SR, F0, 1.0, bad), BiquadCoefs::identity());
            assert_eq!(BiquadCoefs::design(k, bad, F0, 1.0, 6.0), BiquadCoefs::identity());
        }
        assert_eq!(BiquadCoefs::design(k, 0.0, F0, 1.0, 6.0), BiquadCoefs::identity());
    }

    #[test]
    fn extreme_settings_stay_stable() {
        // Stability triangle of a2/a1: |a2| < 1 and |a1| < 1 + a2.
        for kind in FilterKind::ALL {
            for f in [0.0, 1.0, 20.0, 20_000.0, 1e9] {
                for q in [0.0, 0.025, 0.7, 50.0, 1e6] {
                    for g in [-1e9, -24.0, 0.0, 24.0, 1e9] {
                        let c = BiquadCoefs::design(kind, SR, f, q, g);
                        assert!(c.a2.abs() < 1.0 && c.a1.abs() < 1.0 + c.a2, "{c:?}");
                        assert!([c.b0, c.b1, c.b2].iter().all(|b| b.is_finite()), "{c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn identity_and_reset() {
        let id = BiquadCoefs::identity();
        assert_eq!(BiquadCoefs::default(), id);
        let input = noise(512);
        let mut buf = input.clone();
        let mut st = BiquadState::default();
        st.process_block(&id, &mut buf);
        assert_eq!(buf, input);
        assert!(id.magnitude_db(SR, 1234.0).abs() < 1e-12);

        let c = BiquadCoefs::design(FilterKind::LowPass, SR, F0, 0.7, 0.0);
        st.process_block(&c, &mut noise(64));
        assert!(!st.is_silent());
        st.reset();
        assert!(st.is_silent());
    }
}

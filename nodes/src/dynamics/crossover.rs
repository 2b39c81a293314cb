//! N-band (2–4) Linkwitz–Riley band splitter with all-pass phase compensation.
//! Plain math with no engine types; the `dynamics.multiband` node wraps it.
//!
//! **LR4 split.** Each crossover is a 4th-order Linkwitz–Riley pair: low band =
//! two cascaded RBJ-cookbook Butterworth low-passes (Q = 1/√2), high band = two
//! high-passes, reused from the de-esser's [`Crossover`] (S. Linkwitz, "Active
//! Crossover Networks for Noncoincident Drivers", *J. Audio Eng. Soc.* 24(1),
//! 1976). Their sum is `B(−s)/B(s)` with `B(s) = s² + √2 s + 1`: a 2nd-order
//! all-pass with Q = 1/√2 at the same corner, which is exactly the cookbook
//! [`FilterKind::AllPass`] at that frequency and Q (the bilinear transform with
//! the same pre-warp maps both to the same rational function).
//!
//! **Compensation.** In a tree of splits a band that bypasses a split does not
//! pick up that split's phase turn, so the bands would no longer sum to an
//! all-pass (the sum would comb near the crossovers). Following D. Bohn,
//! "Linkwitz-Riley Crossovers: A Primer", Rane Note 160 (2005), and
//! J. D'Appolito, *Testing Loudspeakers* (1998), each branch passes through an
//! all-pass matching the split it skipped, so every band carries the same
//! total phase `AP₁·AP₂·AP₃`:
//!
//! ```text
//! 2 bands:  b1 = LP₁x                     b2 = HP₁x
//! 3 bands:  b1 = AP₂·LP₁x                 b2 = LP₂·HP₁x        b3 = HP₂·HP₁x
//! 4 bands:  l  = AP₃·LP₂x,  h = AP₁·HP₂x
//!           b1 = LP₁l  b2 = HP₁l          b3 = LP₃h            b4 = HP₃h
//! Σ bands = AP₁·AP₂·AP₃·x   (|Σ| = 1 at every frequency)
//! ```
//!
//! Filters are linear and time-invariant, so applying the compensating all-pass
//! before the lower split (4 bands) equals applying it to both bands after it,
//! with one biquad instead of two. No latency is added.
//!
//! **Frequencies.** [`Frequencies::clamped`] keeps the crossovers in
//! 20 Hz–20 kHz and ascending with each at least [`MIN_SPACING`] × the previous one
//! (raising the later one; that may push the last above 20 kHz, where the biquad
//! design clamps it below Nyquist — all filters of one split share that clamped
//! corner, so the sum stays an all-pass). Non-finite input samples are read as
//! zero so they never latch filter state.

pub use super::deesser::Crossover;
use crate::eq::biquad::{BiquadCoefs, DENORMAL_THRESHOLD, FilterKind, PairSection};
use crate::mul_add::MulAdd;
use std::f64::consts::FRAC_1_SQRT_2;

mod four_lanes;

/// Most bands the splitter makes.
pub const MAX_BANDS: usize = 4;

/// Most crossover frequencies (`MAX_BANDS − 1`).
pub const MAX_CROSSOVERS: usize = MAX_BANDS - 1;

/// Most channels the splitter handles.
pub const MAX_CHANNELS: usize = super::compressor::MAX_CHANNELS;

/// Lowest and highest crossover frequency, Hz.
pub const FREQ_RANGE_HZ: (f64, f64) = (20.0, 20_000.0);

/// Each crossover is at least this factor above the previous one.
pub const MIN_SPACING: f64 = 1.5;

/// Crossover frequencies in Hz, ascending.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frequencies(pub [f64; MAX_CROSSOVERS]);

impl Frequencies {
    /// `raw` clamped to [`FREQ_RANGE_HZ`] and made ascending by at least
    /// [`MIN_SPACING`]: `f₁ = clamp(raw₁)`, `fₖ = max(clamp(rawₖ), 1.5·fₖ₋₁)`.
    /// Non-finite values read as the range minimum.
    pub fn clamped(raw: [f64; MAX_CROSSOVERS]) -> Self {
        let (lo, hi) = FREQ_RANGE_HZ;
        let mut out = [lo; MAX_CROSSOVERS];
        let mut floor = lo;
        for (o, r) in out.iter_mut().zip(raw) {
            let v = if r.is_finite() { r.clamp(lo, hi) } else { lo };
            *o = v.max(floor);
            floor = *o * MIN_SPACING;
        }
        Frequencies(out)
    }
}

/// Coefficients of one split: the LR4 pair and the matching all-pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// Low/high Butterworth sections (each applied twice).
    pub lr4: Crossover,
    /// 2nd-order all-pass (Q = 1/√2) equal to `low² + high²`.
    pub allpass: BiquadCoefs,
}

impl Split {
    /// The split at `hz`.
    pub fn new(hz: f64, sample_rate: f64) -> Self {
        Split {
            lr4: Crossover::new(hz, sample_rate),
            allpass: BiquadCoefs::design(FilterKind::AllPass, sample_rate, hz, FRAC_1_SQRT_2, 0.0),
        }
    }
}

/// Filter memory of both channels.
#[derive(Clone, Copy, Debug, Default)]
struct SplitterState {
    low: [[PairSection; 2]; MAX_CROSSOVERS],
    high: [[PairSection; 2]; MAX_CROSSOVERS],
    allpass: [PairSection; 2],
}

impl SplitterState {
    fn flush(&mut self) {
        let sections = self.low.iter_mut().chain(self.high.iter_mut()).flatten();
        for section in sections.chain(self.allpass.iter_mut()) {
            section.flush();
        }
    }
}

#[inline(always)]
fn twice(s: &mut [PairSection; 2], c: &BiquadCoefs, x: [f64; 2]) -> [f64; 2] {
    let [a, b] = s;
    b.tick(MulAdd::PLAIN, c, a.tick(MulAdd::PLAIN, c, x))
}

/// A sample for the filters: non-finite input reads as 0, so it never
/// latches the state.
#[inline(always)]
fn finite(x: f32) -> f64 {
    if x.is_finite() { f64::from(x) } else { 0.0 }
}

/// f64 filter output to f32, with magnitudes below [`DENORMAL_THRESHOLD`] as 0.
#[inline(always)]
fn out(y: f64) -> f32 {
    if y.abs() < DENORMAL_THRESHOLD { 0.0 } else { y as f32 }
}

/// Copies lane `lane` of every section from `from` into `to`.
fn restore_lane(to: &mut SplitterState, from: &SplitterState, lane: usize) {
    let to_sections = to.low.iter_mut().chain(to.high.iter_mut()).flatten().chain(to.allpass.iter_mut());
    let from_sections = from.low.iter().chain(from.high.iter()).flatten().chain(from.allpass.iter());
    for (t, f) in to_sections.zip(from_sections) {
        t.s1[lane] = f.s1[lane];
        t.s2[lane] = f.s2[lane];
    }
}

/// Complex product.
#[inline]
fn mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// A 1–2 channel, 2–4 band LR4 splitter.
#[derive(Clone, Debug)]
pub struct BandSplitter {
    bands: usize,
    sample_rate: f64,
    freqs: Frequencies,
    splits: [Split; MAX_CROSSOVERS],
    state: SplitterState,
}

impl BandSplitter {
    /// A splitter into `bands` (clamped to 2..=[`MAX_BANDS`]) at `sample_rate`
    /// with the crossovers `freqs` (clamped, see [`Frequencies::clamped`]).
    pub fn new(bands: usize, sample_rate: f64, freqs: [f64; MAX_CROSSOVERS]) -> Self {
        let freqs = Frequencies::clamped(freqs);
        let mut s = BandSplitter {
            bands: bands.clamp(2, MAX_BANDS),
            sample_rate,
            freqs,
            splits: [Split::new(1000.0, sample_rate); MAX_CROSSOVERS],
            state: SplitterState::default(),
        };
        s.design();
        s
    }

    fn design(&mut self) {
        for (split, hz) in self.splits.iter_mut().zip(self.freqs.0) {
            *split = Split::new(hz, self.sample_rate);
        }
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// The crossovers in use, after clamping.
    pub fn frequencies(&self) -> Frequencies {
        self.freqs
    }

    /// Changes the crossovers, keeping the filter memory (a jump may click
    /// slightly). Recomputes coefficients only when a clamped value changed.
    /// Real-time safe.
    pub fn set_frequencies(&mut self, freqs: [f64; MAX_CROSSOVERS]) {
        let freqs = Frequencies::clamped(freqs);
        if freqs != self.freqs {
            self.freqs = freqs;
            self.design();
        }
    }

    /// Clears all filter memory.
    pub fn reset(&mut self) {
        self.state = SplitterState::default();
    }

    /// Splits one stereo frame (lane = channel; a mono caller passes 0 in
    /// lane 1) into bands, `[band][lane]`; unused bands are 0. Non-finite
    /// input reads as 0. Call [`BandSplitter::flush`] once per block.
    #[inline]
    pub fn split_frame(&mut self, x: [f32; MAX_CHANNELS]) -> [[f32; MAX_CHANNELS]; MAX_BANDS] {
        let x = [finite(x[0]), finite(x[1])];
        let [s1, s2, s3] = &self.splits;
        let st = &mut self.state;
        let [lo1, lo2, lo3] = &mut st.low;
        let [hi1, hi2, hi3] = &mut st.high;
        let [ap_a, ap_b] = &mut st.allpass;
        let f = |y: [f64; 2]| [out(y[0]), out(y[1])];
        match self.bands {
            2 => [f(twice(lo1, &s1.lr4.low, x)), f(twice(hi1, &s1.lr4.high, x)), [0.0; 2], [0.0; 2]],
            3 => {
                let b1 = ap_a.tick(MulAdd::PLAIN, &s2.allpass, twice(lo1, &s1.lr4.low, x));
                let rest = twice(hi1, &s1.lr4.high, x);
                [f(b1), f(twice(lo2, &s2.lr4.low, rest)), f(twice(hi2, &s2.lr4.high, rest)), [0.0; 2]]
            }
            _ => {
                let l = ap_a.tick(MulAdd::PLAIN, &s3.allpass, twice(lo2, &s2.lr4.low, x));
                let h = ap_b.tick(MulAdd::PLAIN, &s1.allpass, twice(hi2, &s2.lr4.high, x));
                [
                    f(twice(lo1, &s1.lr4.low, l)),
                    f(twice(hi1, &s1.lr4.high, l)),
                    f(twice(lo3, &s3.lr4.low, h)),
                    f(twice(hi3, &s3.lr4.high, h)),
                ]
            }
        }
    }

    /// Splits `frames` stereo frames (a missing or short lane reads as
    /// silence) into `out[band][lane][frame]`, then flushes decayed memory.
    /// The filter memory lives in a local copy during the loop, so it never
    /// round-trips through `self` between frames; 4 bands run four filter
    /// lanes at a time (same results, see `four_lanes`). Real-time safe.
    pub fn split_block(
        &mut self,
        input: [&[f32]; MAX_CHANNELS],
        out: &mut [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS],
        frames: usize,
    ) {
        if self.bands == MAX_BANDS {
            four_lanes::split_block(None, &self.splits, &mut self.state, input, out, frames);
            self.flush();
            return;
        }
        let mut local = self.clone();
        for i in 0..frames {
            let frame = input.map(|lane| lane.get(i).copied().unwrap_or(0.0));
            let bands = local.split_frame(frame);
            for (split, band) in out.iter_mut().zip(bands) {
                for (lane, v) in split.iter_mut().zip(band) {
                    if let Some(slot) = lane.get_mut(i) {
                        *slot = v;
                    }
                }
            }
        }
        self.state = local.state;
        self.flush();
    }

    /// Zeroes filter memory that has decayed below [`DENORMAL_THRESHOLD`]
    /// (see [`BandSplitter::split_frame`]). Real-time safe.
    pub fn flush(&mut self) {
        self.state.flush();
    }

    /// Splits one sample of channel `ch` (ignored when out of range: all
    /// zeros) into bands; unused bands are 0. Non-finite input reads as 0.
    /// Runs the stereo path with silence in the other lane, whose memory it
    /// keeps, so calls for different channels may interleave. For tests and
    /// one-off use; blocks go through [`BandSplitter::split_frame`].
    pub fn tick(&mut self, ch: usize, x: f32) -> [f32; MAX_BANDS] {
        if ch >= MAX_CHANNELS {
            return [0.0; MAX_BANDS];
        }
        let other = self.state;
        let mut frame = [0.0f32; MAX_CHANNELS];
        frame[ch] = x;
        let bands = self.split_frame(frame);
        // Restore the other lane's memory: it did not see a sample.
        restore_lane(&mut self.state, &other, 1 - ch);
        self.flush();
        bands.map(|b| b[ch])
    }

    /// Complex response `(re, im)` of band `band` (0-based) at `hz`; `(0, 0)`
    /// for an unused band. Control thread / tests.
    pub fn band_response(&self, band: usize, hz: f64) -> (f64, f64) {
        let sr = self.sample_rate;
        let [s1, s2, s3] = &self.splits;
        let sq = |c: &BiquadCoefs| {
            let r = c.response(sr, hz);
            mul(r, r)
        };
        let ap = |c: &BiquadCoefs| c.response(sr, hz);
        match (self.bands, band) {
            (2, 0) => sq(&s1.lr4.low),
            (2, 1) => sq(&s1.lr4.high),
            (3, 0) => mul(ap(&s2.allpass), sq(&s1.lr4.low)),
            (3, 1) => mul(sq(&s2.lr4.low), sq(&s1.lr4.high)),
            (3, 2) => mul(sq(&s2.lr4.high), sq(&s1.lr4.high)),
            (4, 0) => mul(mul(ap(&s3.allpass), sq(&s2.lr4.low)), sq(&s1.lr4.low)),
            (4, 1) => mul(mul(ap(&s3.allpass), sq(&s2.lr4.low)), sq(&s1.lr4.high)),
            (4, 2) => mul(mul(ap(&s1.allpass), sq(&s2.lr4.high)), sq(&s3.lr4.low)),
            (4, 3) => mul(mul(ap(&s1.allpass), sq(&s2.lr4.high)), sq(&s3.lr4.high)),
            _ => (0.0, 0.0),
        }
    }

    /// Complex response of `Σ gains[b]·band_b` at `hz`. Control thread / tests.
    pub fn sum_response(&self, gains: [f64; MAX_BANDS], hz: f64) -> (f64, f64) {
        let mut sum = (0.0, 0.0);
        for (b, g) in gains.iter().enumerate().take(self.bands) {
            let r = self.band_response(b, hz);
            sum = (sum.0 + g * r.0, sum.1 + g * r.1);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db((re, im): (f64, f64)) -> f64 {
        20.0 * re.hypot(im).log10()
    }

    #[test]
    fn frequencies_are_clamped_ascending() {
        let f = Frequencies::clamped([10.0, 12.0, 30_000.0]);
        assert_eq!(f.0, [20.0, 30.0, 20_000.0]);
        let f = Frequencies::clamped([1000.0, 500.0, f64::NAN]);
        assert_eq!(f.0, [1000.0, 1500.0, 2250.0]);
    }

    #[test]
    fn unity_sum_is_an_allpass_for_every_band_count() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            for bands in 2..=4 {
                let s = BandSplitter::new(bands, sr, [120.0, 1000.0, 6000.0]);
                let worst = (0..=300)
                    .map(|k| 20.0 * 1000f64.powf(k as f64 / 300.0))
                    .map(|hz| db(s.sum_response([1.0; MAX_BANDS], hz)).abs())
                    .fold(0.0, f64::max);
                assert!(worst < 1e-9, "{bands} bands at {sr}: {worst} dB");
            }
        }
    }

    #[test]
    fn tick_matches_band_response() {
        let sr = 48_000.0;
        let mut s = BandSplitter::new(4, sr, [120.0, 1000.0, 6000.0]);
        let hz = 750.0;
        let n = 48_000;
        let mut acc = [(0.0f64, 0.0f64); MAX_BANDS];
        for i in 0..n {
            let ph = std::f64::consts::TAU * hz * i as f64 / sr;
            let y = s.tick(0, ph.sin() as f32);
            if i >= n / 2 {
                for (a, v) in acc.iter_mut().zip(y) {
                    // Correlate with e^{jφ}: the band's response to sin is Im(H e^{jφ}).
                    a.0 += f64::from(v) * ph.sin();
                    a.1 += f64::from(v) * ph.cos();
                }
            }
        }
        for (b, a) in acc.iter().enumerate() {
            let measured = 2.0 * a.0.hypot(a.1) / (n / 2) as f64;
            let (re, im) = s.band_response(b, hz);
            let expected = re.hypot(im);
            assert!((measured - expected).abs() < 1e-3, "band {b}: {measured} vs {expected}");
            // Phase too: the all-pass compensation only shows there.
            let measured_phase = a.1.atan2(a.0);
            let expected_phase = im.atan2(re);
            let diff = (measured_phase - expected_phase + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
                - std::f64::consts::PI;
            assert!(diff.abs() < 1e-2, "band {b}: phase {measured_phase} vs {expected_phase}");
        }
    }

    #[test]
    fn block_split_equals_frame_by_frame_split() {
        let lane = |seed: u32| -> Vec<f32> {
            let mut x = seed;
            (0..700)
                .map(|_| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                })
                .collect()
        };
        let (left, right) = (lane(1), lane(2));
        // The 4-band block path with fused multiply-adds (where the CPU has
        // them) and with plain ones; 2 and 3 bands only have the frame path.
        let paths: [(usize, Option<MulAdd>); 4] = [(2, None), (3, None), (4, None), (MAX_BANDS, Some(MulAdd::PLAIN))];
        for (bands, mode) in paths {
            let mut by_block = BandSplitter::new(bands, 48_000.0, [120.0, 1000.0, 6000.0]);
            let mut by_frame = by_block.clone();
            let mut out: [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS] = Default::default();
            for band in out.iter_mut().flatten() {
                band.resize(512, 0.0);
            }
            let mut worst = 0.0f32;
            // Two blocks of different lengths, so the memory carries over.
            for (start, n) in [(0, 512), (512, 188)] {
                let input = [&left[start..start + n], &right[start..start + n]];
                match mode {
                    Some(m) => {
                        let BandSplitter { splits, state, .. } = &mut by_block;
                        four_lanes::split_block(Some(m), splits, state, input, &mut out, n);
                        by_block.flush();
                    }
                    None => by_block.split_block(input, &mut out, n),
                }
                for i in 0..n {
                    let expected = by_frame.split_frame([left[start + i], right[start + i]]);
                    for (b, band) in expected.iter().enumerate() {
                        for (ch, v) in band.iter().enumerate() {
                            let got = out[b][ch][i];
                            worst = worst.max((got - v).abs());
                            if mode == Some(MulAdd::PLAIN) || bands < MAX_BANDS {
                                assert_eq!(
                                    got.to_bits(),
                                    v.to_bits(),
                                    "{bands} bands, band {b}, ch {ch}, frame {}",
                                    start + i
                                );
                            }
                        }
                    }
                }
                by_frame.flush();
            }
            // Fused rounding stays within a few f32 steps of the plain path.
            assert!(worst < 1e-6, "{bands} bands ({mode:?}): block path differs by {worst}");
        }
    }

    #[test]
    fn non_finite_input_does_not_latch() {
        let mut s = BandSplitter::new(3, 48_000.0, [120.0, 1000.0, 6000.0]);
        s.tick(0, f32::NAN);
        s.tick(1, f32::INFINITY);
        for _ in 0..10 {
            assert_eq!(s.tick(0, 0.0), [0.0; MAX_BANDS]);
            assert_eq!(s.tick(1, 0.0), [0.0; MAX_BANDS]);
        }
        assert_eq!(s.tick(5, 1.0), [0.0; MAX_BANDS]);
    }
}

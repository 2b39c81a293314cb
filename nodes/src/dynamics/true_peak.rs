//! The limiter's true-peak detector: two polyphase interpolators (the limiter's
//! own long 8× Kaiser-sinc and the BS.1770-4 meter's 48-tap Hann-sinc) run over
//! chunks of frames. See [`super::limiter`] for why both are used.
//!
//! Layout: coefficients are tap-major (`coefs[j][p]` = phase `p + 1`, tap
//! `j`), and each chunk is computed eight frames at a time with one
//! accumulator vector per phase: for every tap, one load of eight consecutive
//! input samples and one multiply-add per phase. Everything is element-wise
//! over the eight frames, so it vectorises without horizontal sums, and the
//! hot function is compiled for AVX2 as well as the baseline (picked at run
//! time by the `multiversion` crate). The per-frame, per-channel dot
//! products this replaced ran several times slower.

use crate::common::{bessel_i0, flush};
use crate::fast_math::{larger, max_over};
use crate::mul_add::{MulAdd, target_mul_add};

/// Oversampling factor of the limiter's own interpolator.
pub const OVERSAMPLE: usize = 8;
/// Lanes of the meter interpolator's tap-major coefficients (its 2× or 4×
/// phases, zero padded).
pub const METER_LANES: usize = 4;
/// Frames the detector takes per [`TruePeakDetector::push_chunk`].
pub const CHUNK: usize = 64;
/// Frames computed together (one vector of accumulators per phase).
const GROUP: usize = 8;
/// Kaiser window β of the interpolation filter (about 65 dB image rejection).
const KAISER_BETA: f64 = 6.0;

/// Tap-major polyphase interpolator phases 1..`factor` for the interval
/// `(k, k+1)`: windowed-sinc taps over `x[k + 1 - half ..= k + half]`; lane
/// `p − 1` of tap `j` is phase `p`, lanes past the last phase are zero.
/// `window(u)` is the window at `u` in −1..1.
fn polyphase<const LANES: usize>(factor: usize, half: usize, window: impl Fn(f64) -> f64) -> Vec<[f32; LANES]> {
    let mut coefs = vec![[0.0f32; LANES]; 2 * half];
    for lane in 0..factor.saturating_sub(1).min(LANES) {
        let frac = (lane + 1) as f64 / factor as f64;
        for (j, tap) in coefs.iter_mut().enumerate() {
            // Tap j multiplies x[k + j + 1 - half], at distance t from k + frac.
            let t = frac - (j as f64 + 1.0 - half as f64);
            let sinc = if t == 0.0 { 1.0 } else { (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t) };
            tap[lane] = (sinc * window(t / half as f64)) as f32;
        }
    }
    coefs
}

/// True-peak estimates of the intervals between consecutive input frames,
/// over up to two channels, a chunk at a time.
pub struct TruePeakDetector {
    channels: usize,
    half: usize,
    meter_half: usize,
    coefs: Vec<[f32; OVERSAMPLE]>,
    meter_coefs: Vec<[f32; METER_LANES]>,
    /// The most any interpolated point can exceed the largest input sample
    /// in its window: the largest L1 norm over both interpolators' phases
    /// (at least 1, for the input samples themselves).
    gain_bound: f32,
    /// Per channel: the last `2·half − 1` inputs, then the current chunk,
    /// then [`GROUP`] zeros of slack so the last group reads in bounds.
    history: [Vec<f32>; 2],
}

impl TruePeakDetector {
    /// A detector whose long interpolator reads `half` frames either side
    /// of each interval, at `sample_rate`. Control thread; allocates.
    pub fn new(channels: usize, sample_rate: f64, half: usize) -> Self {
        let half = half.max(1);
        let kaiser = |u: f64| bessel_i0(KAISER_BETA * (1.0 - u * u).max(0.0).sqrt()) / bessel_i0(KAISER_BETA);
        // The BS.1770-4 Annex 2 meter as libebur128 builds it: a 48-tap
        // Hann-windowed sinc at 4× below 96 kHz, 2× below 192 kHz, none above.
        let meter_factor = if sample_rate < 96_000.0 {
            4
        } else if sample_rate < 192_000.0 {
            2
        } else {
            1
        };
        let meter_half = (24 / meter_factor).min(half);
        let len = 2 * half - 1 + CHUNK + GROUP;
        let coefs = polyphase(OVERSAMPLE, half, kaiser);
        let meter_coefs = polyphase(meter_factor, meter_half, |u| 0.5 + 0.5 * (std::f64::consts::PI * u).cos());
        let gain_bound = l1_bound(&coefs).max(l1_bound(&meter_coefs)).max(1.0);
        TruePeakDetector {
            channels: channels.clamp(1, 2),
            half,
            meter_half,
            coefs,
            meter_coefs,
            gain_bound,
            history: [vec![0.0; len], vec![0.0; len]],
        }
    }

    /// Takes the next `m = input[0].len()` frames (at most `CHUNK`; a
    /// missing second channel is silence) and writes into `peaks[i]` the
    /// true-peak estimate of the interval between the inputs `half` and
    /// `half − 1` frames before frame `i`, over all channels. Non-finite input
    /// reads as 0. Real-time safe.
    ///
    /// Where the estimate provably stays below `skip_below` (the largest
    /// input in reach times [`TruePeakDetector`]'s bound on interpolation
    /// gain), that bound is written instead of the exact estimate: still
    /// below `skip_below`, so a caller that only asks whether a peak exceeds
    /// `skip_below` (the limiter, with its ceiling) decides exactly as with
    /// the exact estimate, for a fraction of the work. Pass 0 for exact
    /// estimates everywhere.
    pub fn push_chunk(&mut self, input: [&[f32]; 2], peaks: &mut [f32], skip_below: f32) {
        let keep = 2 * self.half - 1;
        let m = input[0].len().min(CHUNK).min(peaks.len());
        peaks.iter_mut().take(m).for_each(|p| *p = 0.0);
        for (ch, history) in self.history.iter_mut().enumerate().take(self.channels) {
            let source = input[ch];
            for (i, slot) in history.iter_mut().skip(keep).take(m).enumerate() {
                let x = source.get(i).copied().unwrap_or(0.0);
                *slot = if x.is_finite() { flush(x) } else { 0.0 };
            }
            if let Some(peaks) = peaks.get_mut(..m) {
                let bound = Bound { gain: self.gain_bound, skip_below };
                chunk_peaks(history, self.half, self.meter_half, &self.coefs, &self.meter_coefs, bound, peaks);
            }
            history.copy_within(m..m + keep, 0);
        }
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        for h in &mut self.history {
            h.fill(0.0);
        }
    }
}

/// The largest sum of absolute taps over the phases of `coefs`.
fn l1_bound<const LANES: usize>(coefs: &[[f32; LANES]]) -> f32 {
    (0..LANES).map(|p| coefs.iter().map(|c| c[p].abs()).sum::<f32>()).fold(0.0, f32::max)
}

/// When a group of frames may take an upper bound instead of its exact
/// estimate (see [`TruePeakDetector::push_chunk`]).
#[derive(Clone, Copy)]
struct Bound {
    gain: f32,
    skip_below: f32,
}

/// Raises `peaks[i]` to the true-peak estimate of frame `i`'s interval in
/// one channel's `history` (window `history[i .. i + 2·half]`), or to an
/// upper bound below `bound.skip_below` where one exists.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn chunk_peaks(
    history: &[f32],
    half: usize,
    meter_half: usize,
    coefs: &[[f32; OVERSAMPLE]],
    meter_coefs: &[[f32; METER_LANES]],
    bound: Bound,
    peaks: &mut [f32],
) {
    let m = target_mul_add!();
    for (g, out) in peaks.chunks_mut(GROUP).enumerate() {
        let first = g * GROUP;
        // Every sample any interpolated point of this group reads, and the
        // interval ends themselves: x[first .. first + GROUP + 2·half − 1].
        let reach = history.get(first..(first + GROUP + 2 * half - 1).min(history.len())).unwrap_or(&[]);
        let largest = max_over(reach, 0.0, f32::abs) * bound.gain;
        if largest < bound.skip_below {
            for o in out.iter_mut() {
                *o = larger(*o, largest);
            }
            continue;
        }
        let mut peak = [0.0f32; GROUP];
        phases_peak(m, history.get(first..).unwrap_or(&[]), coefs, &mut peak);
        phases_peak(m, history.get(first + half - meter_half..).unwrap_or(&[]), meter_coefs, &mut peak);
        // The interval's two input samples (phases 0 and 8).
        for (k, p) in peak.iter_mut().enumerate() {
            for at in [first + k + half - 1, first + k + half] {
                *p = larger(*p, history.get(at).copied().unwrap_or(0.0).abs());
            }
        }
        for (o, p) in out.iter_mut().zip(peak) {
            *o = larger(*o, p);
        }
    }
}

/// `peak[k] = max(peak[k], maxₚ |Σⱼ coefs[j][p] · x[k + j]|)` for the
/// [`GROUP`] frames starting at `x[0]`.
#[inline(always)]
fn phases_peak<const LANES: usize>(m: MulAdd, x: &[f32], coefs: &[[f32; LANES]], peak: &mut [f32; GROUP]) {
    let mut acc = [[0.0f32; GROUP]; LANES];
    for (j, c) in coefs.iter().enumerate() {
        let Some(Ok(window)) = x.get(j..j + GROUP).map(<[f32; GROUP]>::try_from) else { return };
        for p in 0..LANES {
            for k in 0..GROUP {
                acc[p][k] = m.f32(c[p], window[k], acc[p][k]);
            }
        }
    }
    for a in &acc {
        for (p, v) in peak.iter_mut().zip(a) {
            *p = p.max(v.abs());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward per-frame evaluation the chunked kernel replaces.
    fn reference_peak(x: &[f32], d: &TruePeakDetector, i: usize) -> f32 {
        let taps = 2 * d.half;
        let window: Vec<f32> = (0..taps).map(|j| (i + j).checked_sub(taps - 1).map_or(0.0, |k| x[k])).collect();
        let mut peak = window[d.half - 1].abs().max(window[d.half].abs());
        for p in 0..OVERSAMPLE {
            let v: f32 = d.coefs.iter().zip(&window).map(|(c, x)| c[p] * x).sum();
            peak = peak.max(v.abs());
        }
        let short = &window[d.half - d.meter_half..d.half + d.meter_half];
        for p in 0..METER_LANES {
            let v: f32 = d.meter_coefs.iter().zip(short).map(|(c, x)| c[p] * x).sum();
            peak = peak.max(v.abs());
        }
        peak
    }

    #[test]
    fn chunks_match_per_frame_evaluation_at_every_size() {
        for (sr, half) in [(44_100.0, 32), (96_000.0, 32), (48_000.0, 5), (192_000.0, 1)] {
            let x: Vec<f32> = (0..700).map(|n| ((n * 7919 % 997) as f32 / 498.5 - 1.0) * 0.9).collect();
            let mut d = TruePeakDetector::new(1, sr, half);
            let mut got = Vec::new();
            // Uneven chunk sizes, including 1 and CHUNK.
            let mut at = 0;
            for m in [1usize, 64, 13, 8, 7, 64, 3].iter().cycle() {
                if at >= x.len() {
                    break;
                }
                let m = (*m).min(x.len() - at);
                let mut peaks = [0.0f32; CHUNK];
                d.push_chunk([&x[at..at + m], &[]], &mut peaks, 0.0);
                got.extend_from_slice(&peaks[..m]);
                at += m;
            }
            for (i, g) in got.iter().enumerate() {
                let want = reference_peak(&x, &d, i);
                assert!((g - want).abs() <= 1e-6 * want.max(1.0), "{sr} Hz, half {half}, frame {i}: {g} vs {want}");
            }
        }
    }

    #[test]
    fn bounded_groups_decide_every_frame_as_the_exact_estimate_does() {
        // Music-like: quiet passages, loud transients, a DC-ish swell.
        let x: Vec<[f32; 2]> = (0..48_000usize)
            .map(|n| {
                let t = n as f32 / 48_000.0;
                let burst = if (n / 2400) % 5 == 0 { 0.95 } else { 0.2 };
                let l = burst * (t * 2.0 * std::f32::consts::PI * 997.0).sin();
                let r = 0.6 * (t * 2.0 * std::f32::consts::PI * 11_025.3).sin() * (t * 3.0).sin();
                [l, r]
            })
            .collect();
        let ceiling = 10f32.powf(-1.1 / 20.0);
        let (mut exact, mut fast) = (TruePeakDetector::new(2, 48_000.0, 32), TruePeakDetector::new(2, 48_000.0, 32));
        let (mut skipped, mut over) = (0, 0);
        for chunk in x.chunks(CHUNK) {
            let l: Vec<f32> = chunk.iter().map(|f| f[0]).collect();
            let r: Vec<f32> = chunk.iter().map(|f| f[1]).collect();
            let (mut a, mut b) = ([0.0f32; CHUNK], [0.0f32; CHUNK]);
            exact.push_chunk([&l, &r], &mut a, 0.0);
            fast.push_chunk([&l, &r], &mut b, ceiling);
            for (e, f) in a.iter().zip(&b).take(chunk.len()) {
                assert_eq!(e > &ceiling, f > &ceiling, "exact {e}, bounded {f}");
                assert!(f >= e, "a bound is never below the estimate: {f} < {e}");
                skipped += usize::from(f != e);
                over += usize::from(*e > ceiling);
            }
        }
        println!("{skipped} of {} frames bounded, {over} over the ceiling", x.len());
        assert!(skipped > x.len() / 2 && over > 1000, "{skipped} bounded, {over} over");
    }

    #[test]
    fn both_channels_count_and_bad_input_reads_as_silence() {
        let mut d = TruePeakDetector::new(2, 48_000.0, 32);
        let left = [0.0f32; 40];
        let mut right = [0.0f32; 40];
        right[0] = 0.5;
        right[1] = f32::NAN;
        let mut peaks = [0.0f32; CHUNK];
        d.push_chunk([&left, &right], &mut peaks, 0.0);
        // Frame i measures the interval around input i − half: the 0.5 at
        // input 0 shows from frame 31 (as the later end) and 32 (the earlier).
        assert!(peaks[..30].iter().all(|p| *p < 0.5), "{:?}", &peaks[..32]);
        assert!(peaks[31] >= 0.5 && peaks[32] >= 0.5);
        assert!(peaks.iter().all(|p| p.is_finite()));
    }
}

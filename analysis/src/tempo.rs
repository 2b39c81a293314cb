//! Tempo, beat grid and downbeats from the onset envelopes.
//!
//! 1. **Periodicity**: the autocorrelation of the onset strength; its
//!    peaks between half and four times the reported range's lower end
//!    that reach [`PEAK_RATIO`] of the highest are the candidate periods.
//! 2. **Octave**: a beat's envelope also repeats at two and four times its
//!    period, and eighth notes repeat at half of it, so which of these is
//!    "the" tempo is a convention, not a measurement. As DJ software does,
//!    every candidate is folded by factors of two into one octave of
//!    tempo, `[min_bpm, 2·min_bpm)` ([`DEFAULT_MIN_BPM`] unless asked).
//! 3. **Refinement and grid**: the strongest candidates' period and phase
//!    are refined together by maximising the onset strength summed along a
//!    constant-tempo grid (fractional frames, linear interpolation) over
//!    the busiest 30 s; the winner's grid is then fitted through the whole
//!    piece (see `fit_grid`), which fixes the tempo to a few thousandths
//!    of a BPM on long, steady material.
//! 4. **Choice**: the candidate whose grid carries the highest mean onset
//!    strength wins. That settles 3:2 confusions (a period of three eighth
//!    notes also repeats strongly under steady eighth-note hats, but its
//!    grid falls on off-beats half the time).
//! 5. **Downbeats**: with four beats to the bar, the bar phase is the one
//!    where chords change and the bass comes in (see `downbeat::bar_phase`).
//!
//! The grid assumes a steady tempo (programmed music, DJ material); music
//! with a drifting tempo gets its average.

use crate::chroma::Chromagram;
use crate::downbeat::bar_phase;
use crate::onset::Onsets;
use crate::round;
use serde::{Deserialize, Serialize};

/// Default lower end of the reported tempo octave, BPM: tempos come out in
/// 88–176 BPM, which keeps hip-hop (88–100), house, techno and drum and
/// bass (170–176) at the tempo their DJs count; slower music reads double.
pub const DEFAULT_MIN_BPM: f64 = 88.0;
/// Allowed lower ends of the tempo octave, BPM.
pub const MIN_BPM_LIMITS: std::ops::RangeInclusive<f64> = 30.0..=200.0;
/// Share of the highest autocorrelation peak a candidate period needs.
const PEAK_RATIO: f32 = 0.6;
/// Most candidate periods compared (the strongest).
const MAX_CANDIDATES: usize = 6;
/// Length of the stretch candidates are compared on, seconds.
const EXCERPT_S: f64 = 30.0;
/// Rounds of snapping the grid's beats to onsets and refitting it.
const FIT_ROUNDS: usize = 3;
/// Beats per bar assumed for downbeats.
pub const BEATS_PER_BAR: usize = 4;
/// Shortest material analysed for tempo, seconds.
const MIN_SECONDS: f64 = 4.0;

/// Tempo and beat grid of a piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tempo {
    /// Tempo, beats per minute.
    pub bpm: f64,
    /// 0..1: the normalised autocorrelation at the beat period (how
    /// regular the pulse is; near 1 for a steady programmed beat).
    pub confidence: f64,
    /// Beat times, seconds.
    pub beats_s: Vec<f64>,
    /// Downbeat (bar start) times, seconds: every [`BEATS_PER_BAR`]th beat.
    pub downbeats_s: Vec<f64>,
}

/// Tempo and beats of `onsets` (downbeats also from the chord changes in
/// `chroma`), the tempo within `[min_bpm, 2·min_bpm)` (`min_bpm` clamped to
/// [`MIN_BPM_LIMITS`]); `None` for material shorter than 4 s or without a
/// pulse.
pub fn detect_tempo(onsets: &Onsets, chroma: &Chromagram, min_bpm: f64) -> Option<Tempo> {
    let o = &onsets.strength;
    if (o.len() as f64) < MIN_SECONDS * onsets.rate {
        return None;
    }
    let min_bpm = min_bpm.clamp(*MIN_BPM_LIMITS.start(), *MIN_BPM_LIMITS.end());
    // Periods of the octave's lower end, in frames.
    let slowest = 60.0 * onsets.rate / min_bpm;
    let min_lag = ((slowest / 8.0).floor() as usize).max(2);
    let max_lag = (slowest * 2.0).ceil() as usize;
    let ac = autocorrelation(o, max_lag + 2);
    let energy = ac.first().copied().filter(|e| *e > 0.0)?;
    let peaks: Vec<usize> = (min_lag..=max_lag).filter(|&l| ac[l] >= ac[l - 1] && ac[l] > ac[l + 1]).collect();
    let best = peaks.iter().copied().map(|l| ac[l]).max_by(f32::total_cmp)?;
    // Each strong peak folded into the octave (the strongest few), then
    // refined on the busiest stretch: an integer lag drifts off the beats
    // within a few bars.
    let mut folded: Vec<(f64, f32)> = Vec::new();
    for l in peaks.iter().copied().filter(|&l| ac[l] >= PEAK_RATIO * best) {
        let mut period = parabolic_peak(&ac, l);
        while period > slowest {
            period /= 2.0;
        }
        while period <= slowest / 2.0 {
            period *= 2.0;
        }
        match folded.iter_mut().find(|(p, _)| (p / period - 1.0).abs() < 0.01) {
            Some(same) => same.1 = same.1.max(ac[l]),
            None => folded.push((period, ac[l])),
        }
    }
    folded.sort_by(|a, b| b.1.total_cmp(&a.1));
    let start = busiest_stretch(o, (EXCERPT_S * onsets.rate) as usize);
    let excerpt = &o[start..(start + (EXCERPT_S * onsets.rate) as usize).min(o.len())];
    let (period, phase, _) = folded
        .iter()
        .take(MAX_CANDIDATES)
        .map(|&(p, _)| {
            let (period, phase) = refine(excerpt, p);
            (period, phase, grid_mean(excerpt, period, phase))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2))?;
    let (period, phase) = fit_grid(o, period, phase + start as f64);
    // The grid from the first beat at or after the audio's start (frame 0
    // is centred a few milliseconds in; allow one frame of slack).
    let earliest = -onsets.offset_s * onsets.rate - 1.0;
    let first = phase - ((phase - earliest) / period).floor() * period;
    let beats: Vec<f64> = (0..).map(|k| first + k as f64 * period).take_while(|t| *t < o.len() as f64).collect();
    let bar = bar_phase(onsets, chroma, &beats, period);
    let bpm = 60.0 * onsets.rate / period;
    Some(Tempo {
        bpm: round(bpm, 2),
        confidence: round(f64::from(ac[period.round() as usize] / energy).clamp(0.0, 1.0), 3),
        beats_s: beats.iter().map(|t| round(onsets.time_of(*t).max(0.0), 4)).collect(),
        downbeats_s: beats
            .iter()
            .skip(bar)
            .step_by(BEATS_PER_BAR)
            .map(|t| round(onsets.time_of(*t).max(0.0), 4))
            .collect(),
    })
}

/// `ac[l] = Σₜ x[t]·x[t + l]` for `l < lags`.
fn autocorrelation(x: &[f32], lags: usize) -> Vec<f32> {
    (0..lags).map(|l| x.iter().zip(x.iter().skip(l)).map(|(a, b)| a * b).sum()).collect()
}

/// The peak's position refined by a parabola through it and its neighbours.
fn parabolic_peak(ac: &[f32], l: usize) -> f64 {
    let (a, b, c) = (f64::from(ac[l - 1]), f64::from(ac[l]), f64::from(ac[l + 1]));
    let d = a - 2.0 * b + c;
    if d.abs() < 1e-12 { l as f64 } else { l as f64 + 0.5 * (a - c) / d }
}

/// `x` at fractional index `t` by linear interpolation (0 outside).
pub(crate) fn at(x: &[f32], t: f64) -> f32 {
    let i = t.floor();
    if i < 0.0 {
        return 0.0;
    }
    let (i, frac) = (i as usize, (t - i) as f32);
    let a = x.get(i).copied().unwrap_or(0.0);
    let b = x.get(i + 1).copied().unwrap_or(0.0);
    a + frac * (b - a)
}

/// Sum of `x` along the grid `phase + k·period`.
fn grid_sum(x: &[f32], period: f64, phase: f64) -> f32 {
    (0..).map(|k| phase + k as f64 * period).take_while(|t| *t < x.len() as f64).map(|t| at(x, t)).sum()
}

/// Period and phase (frames) maximising the onset strength along the grid,
/// searched within ±1.5 % of `period` and over one period of phase: first
/// in steps of 0.1 % and whole frames, then around the best in steps of
/// 0.0125 % and quarter frames.
fn refine(x: &[f32], period: f64) -> (f64, f64) {
    let mut best = (period, 0.0, f32::MIN);
    for step in -15..=15 {
        let p = period * (1.0 + f64::from(step) * 0.001);
        for k in 0..p.ceil() as usize {
            let s = grid_sum(x, p, k as f64);
            if s > best.2 {
                best = (p, k as f64, s);
            }
        }
    }
    let (coarse_period, coarse_phase) = (best.0, best.1);
    for step in -8..=8 {
        let p = coarse_period * (1.0 + f64::from(step) * 0.000125);
        for quarter in -6..=6 {
            let phase = coarse_phase + f64::from(quarter) * 0.25;
            let s = grid_sum(x, p, phase);
            if s > best.2 {
                best = (p, phase, s);
            }
        }
    }
    (best.0, best.1.rem_euclid(best.0))
}

/// Start of the `len`-frame stretch of `x` with the most onset strength
/// (searched in steps of `len / 30`), so a quiet intro or a breakdown does
/// not decide the tempo.
fn busiest_stretch(x: &[f32], len: usize) -> usize {
    if x.len() <= len {
        return 0;
    }
    let step = (len / 30).max(1);
    let mut prefix = Vec::with_capacity(x.len() + 1);
    prefix.push(0.0f64);
    for v in x {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + f64::from(*v));
    }
    (0..=x.len() - len)
        .step_by(step)
        .max_by(|a, b| (prefix[a + len] - prefix[*a]).total_cmp(&(prefix[b + len] - prefix[*b])))
        .unwrap_or(0)
}

/// The constant-tempo grid (period, phase in frames) through the whole of
/// `x`, from a grid fitted on part of it: every beat snaps to the strongest
/// onset within an eighth of a period (parabolic sub-frame position), and a
/// line weighted by the onsets' strength is fitted through them. A period
/// off by 0.01 % drifts a beat by 60 ms over a five-minute track; this
/// takes it to well under a frame.
fn fit_grid(x: &[f32], period: f64, phase: f64) -> (f64, f64) {
    let (mut period, mut phase) = (period, phase.rem_euclid(period));
    for _ in 0..FIT_ROUNDS {
        let reach = (period / 8.0).floor() as isize;
        let (mut sw, mut sk, mut st, mut skk, mut skt) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut k = 0.0f64;
        while phase + k * period < x.len() as f64 {
            let centre = (phase + k * period).round() as isize;
            let strongest = (centre - reach..=centre + reach)
                .filter(|&j| j > 0 && (j as usize) + 1 < x.len())
                .max_by(|a, b| x[*a as usize].total_cmp(&x[*b as usize]));
            if let Some(j) = strongest {
                let j = j as usize;
                let (a, b, c) = (f64::from(x[j - 1]), f64::from(x[j]), f64::from(x[j + 1]));
                let d = a - 2.0 * b + c;
                let t = j as f64 + if d < -1e-12 { (0.5 * (a - c) / d).clamp(-0.5, 0.5) } else { 0.0 };
                sw += b;
                sk += b * k;
                st += b * t;
                skk += b * k * k;
                skt += b * k * t;
            }
            k += 1.0;
        }
        let det = sw * skk - sk * sk;
        if sw <= 0.0 || det.abs() < 1e-9 {
            break;
        }
        let fitted = (sw * skt - sk * st) / det;
        // A fit more than 2 % away has followed something else: keep the grid.
        if (fitted / period - 1.0).abs() > 0.02 {
            break;
        }
        phase = (st - fitted * sk) / sw;
        period = fitted;
    }
    (period, phase.rem_euclid(period))
}

/// Mean of `x` along the grid `phase + k·period`.
fn grid_mean(x: &[f32], period: f64, phase: f64) -> f32 {
    let points = ((x.len() as f64 - phase) / period).ceil().max(1.0);
    grid_sum(x, period, phase) / points as f32
}

#[cfg(test)]
mod tests;

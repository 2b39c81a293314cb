//! Which beat of the bar is the one, from two cues that mark bar lines in
//! most music:
//!
//! 1. **Chord changes**: how different the pitch classes of the two beats
//!    after a beat are from those of the two beats before it. Harmony
//!    changes on the bar line far more often than inside it (Goto's
//!    chord-change cue). It decides whenever one bar phase clearly
//!    carries more change than the others ([`CHORD_CUE_MIN`]).
//! 2. **Bass arrivals**, for music without chord changes (drum loops,
//!    one-chord grooves): the mean bass level over the first half of the
//!    beat minus that over the quarter beat before it. A bar's root note
//!    usually lands on beat one; a note still ringing from the beat before
//!    must not count for the next.
//!
//! The bass cue alone misleads on common material: a bass line bouncing
//! between octaves in eighth notes, with a kick pickup just before the bar,
//! gains the most level on beat two.

use crate::chroma::Chromagram;
use crate::onset::Onsets;
use crate::tempo::{BEATS_PER_BAR, at};

/// How far (in cosine distance) the winning bar phase's mean chord change
/// must exceed the other phases' mean for the chord cue to decide. The
/// tests' synthetic drum patterns without harmony stay under 0.03; music
/// changing chord every bar or two reaches 0.13 and more.
const CHORD_CUE_MIN: f32 = 0.06;

/// Which of the first [`BEATS_PER_BAR`] `beats` (onset frames, `period`
/// frames apart) starts the bars.
pub(crate) fn bar_phase(onsets: &Onsets, chroma: &Chromagram, beats: &[f64], period: f64) -> usize {
    let period_s = period / onsets.rate;
    let chords = phase_means(beats, |t| chord_change(chroma, onsets.time_of(t), period_s));
    let (best, others) = best_and_rest(&chords);
    if chords[best] - others >= CHORD_CUE_MIN {
        return best;
    }
    best_and_rest(&phase_means(beats, |t| bass_arrival(onsets, t, period))).0
}

/// The phase with the highest value, and the mean of the others.
fn best_and_rest(values: &[f32; BEATS_PER_BAR]) -> (usize, f32) {
    let best = (0..BEATS_PER_BAR).max_by(|a, b| values[*a].total_cmp(&values[*b])).unwrap_or(0);
    let rest = (values.iter().sum::<f32>() - values[best]) / (BEATS_PER_BAR - 1) as f32;
    (best, rest)
}

/// For each bar phase, the mean of `cue` over the beats in that phase.
fn phase_means(beats: &[f64], cue: impl Fn(f64) -> f32) -> [f32; BEATS_PER_BAR] {
    std::array::from_fn(|phase| {
        let values: Vec<f32> = beats.iter().skip(phase).step_by(BEATS_PER_BAR).map(|t| cue(*t)).collect();
        values.iter().sum::<f32>() / values.len().max(1) as f32
    })
}

/// The bass level gained at onset frame `t`: its first half beat against
/// the quarter beat before.
fn bass_arrival(onsets: &Onsets, t: f64, period: f64) -> f32 {
    let mean = |from: f64, frames: f64| -> f32 {
        let n = frames.max(1.0) as usize;
        (0..n).map(|k| at(&onsets.low_level, from + k as f64)).sum::<f32>() / n as f32
    };
    mean(t, period / 2.0) - mean(t - period / 4.0, period / 4.0)
}

/// 1 − the cosine similarity of the chroma over the two beats before
/// `t_s` and the two beats after (0 where either side is silent).
fn chord_change(chroma: &Chromagram, t_s: f64, period_s: f64) -> f32 {
    let before = chroma.sum_between(t_s - 2.0 * period_s, t_s);
    let after = chroma.sum_between(t_s, t_s + 2.0 * period_s);
    let dot: f32 = before.iter().zip(&after).map(|(a, b)| a * b).sum();
    let norms = before.iter().map(|a| a * a).sum::<f32>().sqrt() * after.iter().map(|b| b * b).sum::<f32>().sqrt();
    if norms > 1e-9 { 1.0 - dot / norms } else { 0.0 }
}

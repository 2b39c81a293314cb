//! Song structure: where sections begin and end, which sections sound
//! alike, and what they are (intro, verse, chorus, drop, breakdown, bridge,
//! outro).
//!
//! 1. **Units**: bars from the downbeat grid (two-second windows without
//!    a tempo), each described by its harmony (mean chroma), its timbre
//!    (octave-band levels relative to its own level) and its level.
//! 2. **Self-similarity**: every pair of units compared on those three
//!    (see `similarity`).
//! 3. **Boundaries**: Foote's novelty: at each bar line, how much more
//!    alike the units within [`KERNEL_UNITS`] on either side are than the
//!    units across it. Clear local peaks are section boundaries.
//! 4. **Groups**: sections whose units are alike on average share a letter
//!    (A, B, ...).
//! 5. **Labels**, from repetition and level: the loudest repeated group is
//!    the chorus (a drop when each of its sections follows a much quieter
//!    one, as in dance music); a first or last section that is quieter or
//!    never returns is the intro or outro; other sections well below the
//!    median level are breakdowns; other repeated groups are verses, and
//!    other one-off sections bridges.

use crate::chroma::{Chromagram, OCTAVES};
use crate::round;
use crate::tempo::Tempo;
use serde::{Deserialize, Serialize};

/// Half-width of the novelty kernel, units (bars).
const KERNEL_UNITS: usize = 4;
/// Least novelty for a boundary (similarities are 0..1).
const MIN_NOVELTY: f32 = 0.06;
/// Least mean similarity of two sections' units to share a group.
const SAME_GROUP: f32 = 0.8;
/// Level difference that makes a section "quieter", dB.
const QUIETER_DB: f32 = 3.0;
/// Level step from the section before that makes a chorus a drop, dB.
const DROP_STEP_DB: f32 = 9.0;
/// Unit length without a tempo, seconds.
const UNIT_S: f64 = 2.0;

/// What a section is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionLabel {
    /// The opening section, quieter than the rest or never heard again.
    Intro,
    /// A repeated section that is not the loudest.
    Verse,
    /// The loudest repeated section.
    Chorus,
    /// The loudest repeated section, each time arriving after a much
    /// quieter one.
    Drop,
    /// A one-off quieter section.
    Breakdown,
    /// A one-off section that is not quieter.
    Bridge,
    /// The closing section, quieter than the rest or never heard before.
    Outro,
}

/// One section of a piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds.
    pub end_s: f64,
    /// What the section is.
    pub label: SectionLabel,
    /// Sections with the same letter sound alike.
    pub group: char,
    /// Mean level relative to the loudest section, dB (≤ 0).
    pub level_db: f64,
}

/// One unit's description.
struct Unit {
    start_s: f64,
    chroma: [f32; 12],
    shape: [f32; OCTAVES],
    level_db: f32,
}

/// The sections of a piece of `duration_s` seconds, from its chromagram
/// and beat grid; empty when it is shorter than four units or never
/// changes section.
pub fn detect_structure(chroma: &Chromagram, tempo: Option<&Tempo>, duration_s: f64) -> Vec<Segment> {
    let units = describe_units(chroma, &unit_starts(tempo, duration_s));
    let n = units.len();
    if n < 4 {
        return Vec::new();
    }
    let sim: Vec<Vec<f32>> = units.iter().map(|a| units.iter().map(|b| similarity(a, b)).collect()).collect();
    let novelty: Vec<f32> = (0..=n).map(|b| novelty_at(&sim, b)).collect();
    let mut bounds = vec![0];
    for b in 2..n.saturating_sub(1) {
        let around = &novelty[b.saturating_sub(2)..(b + 3).min(n)];
        if novelty[b] >= MIN_NOVELTY && around.iter().all(|v| *v <= novelty[b]) && b - bounds[bounds.len() - 1] >= 2 {
            bounds.push(b);
        }
    }
    bounds.push(n);
    if bounds.len() < 3 {
        // One section: no structure to speak of.
        return Vec::new();
    }
    let sections: Vec<std::ops::Range<usize>> = bounds.windows(2).map(|w| w[0]..w[1]).collect();
    let groups = group_sections(&sim, &sections);
    let levels: Vec<f32> =
        sections.iter().map(|r| power_db(&units[r.clone()].iter().map(|u| u.level_db).collect::<Vec<_>>())).collect();
    let labels = label_sections(&groups, &levels);
    let loudest = levels.iter().copied().fold(f32::MIN, f32::max);
    sections
        .iter()
        .enumerate()
        .map(|(i, r)| Segment {
            start_s: round(units[r.start].start_s, 3),
            end_s: round(units.get(r.end).map_or(duration_s, |u| u.start_s), 3),
            label: labels[i],
            group: char::from(b'A' + (groups[i] % 26) as u8),
            level_db: round(f64::from(levels[i] - loudest), 1),
        })
        .collect()
}

/// Unit start times: the downbeats (a partial bar before the first joins
/// it), else every [`UNIT_S`]; the end of the piece closes the last.
fn unit_starts(tempo: Option<&Tempo>, duration_s: f64) -> Vec<f64> {
    let mut starts = vec![0.0];
    match tempo.filter(|t| t.downbeats_s.len() >= 4) {
        Some(t) => starts.extend(t.downbeats_s.iter().copied().filter(|d| *d > 0.25 && *d < duration_s - 0.25)),
        None => starts.extend((1..).map(|k| k as f64 * UNIT_S).take_while(|t| *t < duration_s - 0.25)),
    }
    starts.push(duration_s);
    starts
}

/// Each unit between consecutive `edges` described.
fn describe_units(chroma: &Chromagram, edges: &[f64]) -> Vec<Unit> {
    edges
        .windows(2)
        .map(|w| {
            let frames = chroma.frames_between(w[0], w[1]);
            let count = frames.len().max(1) as f32;
            let mut harmony = chroma.sum_between(w[0], w[1]);
            let norm = harmony.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                harmony = harmony.map(|v| v / norm);
            }
            let mut bands = [0.0f32; OCTAVES];
            for f in &chroma.octave_db[frames] {
                for (b, v) in bands.iter_mut().zip(f) {
                    *b += v / count;
                }
            }
            let level_db = power_db(&bands);
            Unit { start_s: w[0], chroma: harmony, shape: bands.map(|b| (b - level_db).max(-60.0)), level_db }
        })
        .collect()
}

/// 10·log10 of the mean power of levels in dB.
fn power_db(levels_db: &[f32]) -> f32 {
    let mean = levels_db.iter().map(|l| 10f32.powf(l / 10.0)).sum::<f32>() / levels_db.len().max(1) as f32;
    10.0 * (mean + 1e-12).log10()
}

/// How alike two units are, 0..1: the mean of their chroma's cosine
/// similarity, their timbre's closeness (1 at equal octave shapes, ½ at
/// 6 dB RMS apart) and their level's (½ at 6 dB apart).
fn similarity(a: &Unit, b: &Unit) -> f32 {
    let harmony: f32 = a.chroma.iter().zip(&b.chroma).map(|(x, y)| x * y).sum();
    let shape_rms = (a.shape.iter().zip(&b.shape).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / OCTAVES as f32).sqrt();
    let level = (a.level_db - b.level_db).abs();
    (harmony + 1.0 / (1.0 + shape_rms / 6.0) + 1.0 / (1.0 + level / 6.0)) / 3.0
}

/// Foote's novelty at the boundary before unit `b`: the mean similarity
/// within each side minus that across, over up to [`KERNEL_UNITS`] units.
fn novelty_at(sim: &[Vec<f32>], b: usize) -> f32 {
    let w = KERNEL_UNITS.min(b).min(sim.len() - b);
    if w == 0 {
        return 0.0;
    }
    let mean = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| -> f32 {
        let mut sum = 0.0;
        for i in rows.clone() {
            for j in cols.clone() {
                sum += sim[i][j];
            }
        }
        sum / (rows.len() * cols.len()) as f32
    };
    let (before, after) = (b - w..b, b..b + w);
    0.5 * (mean(before.clone(), before.clone()) + mean(after.clone(), after.clone())) - mean(before, after)
}

/// A group number per section: each joins the first earlier group whose
/// first section it is [`SAME_GROUP`]-alike to, else starts a new one.
/// Sections are compared bar by bar in order (a repeat plays the same
/// bars in the same order: a verse cycling through four chords is not
/// alike to itself shifted by a bar), over the shorter one's length.
fn group_sections(sim: &[Vec<f32>], sections: &[std::ops::Range<usize>]) -> Vec<usize> {
    let alike = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| -> f32 {
        let len = a.len().min(b.len());
        (0..len).map(|k| sim[a.start + k][b.start + k]).sum::<f32>() / len.max(1) as f32
    };
    let mut groups: Vec<usize> = Vec::new();
    let mut firsts: Vec<usize> = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let found = firsts.iter().position(|&f| alike(section, &sections[f]) >= SAME_GROUP);
        groups.push(found.unwrap_or_else(|| {
            firsts.push(i);
            firsts.len() - 1
        }));
    }
    groups
}

/// Labels from the groups and section levels (dB), as the module says.
fn label_sections(groups: &[usize], levels: &[f32]) -> Vec<SectionLabel> {
    let n = groups.len();
    let count = |g: usize| groups.iter().filter(|x| **x == g).count();
    let group_level = |g: usize| {
        let own: Vec<f32> = (0..n).filter(|i| groups[*i] == g).map(|i| levels[i]).collect();
        own.iter().sum::<f32>() / own.len() as f32
    };
    let chorus =
        (0..n).map(|i| groups[i]).filter(|g| count(*g) >= 2).max_by(|a, b| group_level(*a).total_cmp(&group_level(*b)));
    let is_drop = chorus.is_some_and(|g| {
        (0..n).filter(|i| groups[*i] == g).all(|i| i > 0 && levels[i - 1] <= levels[i] - DROP_STEP_DB)
    });
    let mean_of_others = |i: usize| {
        let others: Vec<f32> = (0..n).filter(|j| *j != i).map(|j| levels[j]).collect();
        others.iter().sum::<f32>() / others.len().max(1) as f32
    };
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[n / 2];
    (0..n)
        .map(|i| {
            let g = groups[i];
            let edge_like = count(g) == 1 || levels[i] <= mean_of_others(i) - QUIETER_DB;
            if Some(g) == chorus {
                if is_drop { SectionLabel::Drop } else { SectionLabel::Chorus }
            } else if i == 0 && n > 1 && edge_like {
                SectionLabel::Intro
            } else if i == n - 1 && n > 1 && edge_like {
                SectionLabel::Outro
            } else if levels[i] <= median - QUIETER_DB {
                SectionLabel::Breakdown
            } else if count(g) >= 2 {
                SectionLabel::Verse
            } else {
                SectionLabel::Bridge
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

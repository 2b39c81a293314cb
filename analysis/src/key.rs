//! Musical key: the major or minor key whose tonal profile best matches
//! the piece's overall pitch-class distribution (the Krumhansl–Schmuckler
//! method, with Temperley's profiles from the Kostka–Payne corpus, which
//! weigh the tonic triad more and the other diatonic notes less than
//! Krumhansl and Kessler's probe-tone ratings), with its Camelot code for
//! harmonic mixing.

use crate::chroma::Chromagram;
use crate::round;
use serde::{Deserialize, Serialize};

/// Temperley's major-key profile, tonic first.
const MAJOR_PROFILE: [f64; 12] = [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400];
/// Temperley's minor-key profile, tonic first.
const MINOR_PROFILE: [f64; 12] = [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330];
/// Major-key tonic names as usually spelled (flats for Db, Eb, Ab, Bb).
const MAJOR_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
/// Minor-key tonic names as usually spelled (sharps for C#, F#, G#).
const MINOR_NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"];

/// Major or minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A major key.
    Major,
    /// A (natural or harmonic) minor key.
    Minor,
}

/// The key of a piece.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// Tonic pitch class, 0 = C … 11 = B.
    pub tonic: u8,
    /// Major or minor.
    pub mode: Mode,
    /// Readable name, such as "A minor" or "Eb major".
    pub name: String,
    /// Camelot wheel code, such as "8A" (A minor) or "8B" (C major):
    /// neighbouring codes mix harmonically.
    pub camelot: String,
    /// Pearson correlation of the piece's pitch-class distribution with
    /// the key's profile (−1..1; above 0.7 is a clear key).
    pub correlation: f64,
    /// How far the best key's correlation lies above the runner-up's
    /// (small margins mean an ambiguous key, often its relative).
    pub margin: f64,
    /// The piece's pitch-class distribution, C first, summing to 1.
    pub chroma: [f64; 12],
}

/// The key of the music in `chroma`; `None` when it holds no pitched
/// sound.
pub fn detect_key(chroma: &Chromagram) -> Option<Key> {
    let mut total = [0.0f64; 12];
    for frame in &chroma.frames {
        for (t, v) in total.iter_mut().zip(frame) {
            *t += f64::from(*v);
        }
    }
    let sum: f64 = total.iter().sum();
    if sum <= 1e-9 {
        return None;
    }
    let distribution = total.map(|t| t / sum);
    let mut scores: Vec<(f64, u8, Mode)> = (0..12u8)
        .flat_map(|tonic| [(tonic, Mode::Major), (tonic, Mode::Minor)])
        .map(|(tonic, mode)| {
            let profile = match mode {
                Mode::Major => &MAJOR_PROFILE,
                Mode::Minor => &MINOR_PROFILE,
            };
            let rotated: [f64; 12] = std::array::from_fn(|pc| profile[(pc + 12 - usize::from(tonic)) % 12]);
            (pearson(&distribution, &rotated), tonic, mode)
        })
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (correlation, tonic, mode) = scores[0];
    Some(Key {
        tonic,
        mode,
        name: key_name(tonic, mode),
        camelot: camelot(tonic, mode),
        correlation: round(correlation, 3),
        margin: round(correlation - scores[1].0, 3),
        chroma: distribution.map(|d| round(d, 4)),
    })
}

/// "A minor", "Eb major" ...
pub fn key_name(tonic: u8, mode: Mode) -> String {
    let t = usize::from(tonic % 12);
    match mode {
        Mode::Major => format!("{} major", MAJOR_NAMES[t]),
        Mode::Minor => format!("{} minor", MINOR_NAMES[t]),
    }
}

/// The Camelot code: C major is 8B and each fifth up adds one (mod 12);
/// a minor key shares its number with its relative major, with an A.
pub fn camelot(tonic: u8, mode: Mode) -> String {
    let (major_tonic, letter) = match mode {
        Mode::Major => (u32::from(tonic), 'B'),
        Mode::Minor => (u32::from(tonic) + 3, 'A'),
    };
    let number = (8 + 7 * major_tonic) % 12;
    format!("{}{letter}", if number == 0 { 12 } else { number })
}

/// Pearson correlation of two 12-vectors.
fn pearson(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let (ma, mb) = (a.iter().sum::<f64>() / 12.0, b.iter().sum::<f64>() / 12.0);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    if aa * bb > 0.0 { ab / (aa * bb).sqrt() } else { 0.0 }
}

#[cfg(test)]
mod tests;

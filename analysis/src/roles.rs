//! What a stem is (lead vocal, kick, bass, pads ...): from its file name
//! as engineers name stems, else from how it sounds.

use crate::Analysis;
use serde::{Deserialize, Serialize};

/// A stem's role in the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The lead: the lead vocal, or the lead melody of an instrumental.
    Lead,
    /// A double of the lead vocal.
    Double,
    /// Harmony or backing vocals.
    Harmony,
    /// Ad-libs.
    Adlib,
    /// A full beat or instrumental (two-track) under vocals.
    Beat,
    /// A drum kit or drum bus.
    Drums,
    /// Kick drum.
    Kick,
    /// Snare or clap.
    Snare,
    /// Hi-hats and cymbals.
    Hats,
    /// Other percussion.
    Percussion,
    /// Bass (electric, synth, sub, 808).
    Bass,
    /// Piano, organ, electric piano.
    Keys,
    /// Guitar.
    Guitar,
    /// Pads and atmospheres.
    Pads,
    /// Synth leads, arps, plucks.
    Synth,
    /// Strings.
    Strings,
    /// Brass and wind.
    Brass,
    /// Effects: risers, impacts, sweeps.
    Fx,
    /// Nothing told us.
    Other,
}

/// How a role was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleSource {
    /// A word in the file name.
    Name,
    /// The sound (the name said nothing).
    Audio,
}

/// A stem's role and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGuess {
    /// The role.
    pub role: Role,
    /// Name or audio.
    pub source: RoleSource,
}

/// Name words per role, most specific roles first: the first role with a
/// word in the name wins, so "lead vox dbl" is a double and "bass drum" a
/// kick. Words are whole tokens of the lower-cased name split at anything
/// but letters and digits and at lower-to-upper case changes.
const WORDS: &[(Role, &[&str])] = &[
    (Role::Adlib, &["adlib", "adlibs", "adl", "adlb"]),
    (Role::Double, &["dbl", "double", "doubles", "dub", "dbls"]),
    (
        Role::Harmony,
        &["harmony", "harmonies", "harm", "harms", "bgv", "bgvs", "bv", "bvs", "backing", "backings", "choir"],
    ),
    (Role::Kick, &["kick", "kik", "kck", "bd", "bassdrum"]),
    (Role::Snare, &["snare", "snr", "sn", "clap", "claps", "rim", "rimshot"]),
    (Role::Hats, &["hat", "hats", "hh", "hihat", "hihats", "ride", "crash", "cymbal", "cymbals", "oh", "overheads"]),
    (
        Role::Percussion,
        &[
            "perc",
            "percussion",
            "shaker",
            "tamb",
            "tambourine",
            "conga",
            "congas",
            "bongo",
            "bongos",
            "cowbell",
            "tom",
            "toms",
        ],
    ),
    (Role::Drums, &["drums", "drum", "kit", "drm", "drms", "room", "breakbeat", "break"]),
    (Role::Beat, &["beat", "instrumental", "inst", "instr", "2trk", "twotrack", "2track", "riddim"]),
    (Role::Bass, &["bass", "bs", "sub", "808", "subbass", "bassline"]),
    (Role::Keys, &["keys", "key", "piano", "pno", "rhodes", "organ", "wurli", "wurlitzer", "epiano", "ep", "clav"]),
    (Role::Guitar, &["guitar", "guitars", "gtr", "gtrs", "gt", "acoustic", "electric"]),
    (Role::Pads, &["pad", "pads", "atmos", "atmosphere", "ambient", "texture", "drone"]),
    (Role::Strings, &["strings", "string", "str", "violin", "violins", "viola", "cello", "orch", "orchestra"]),
    (Role::Brass, &["brass", "horn", "horns", "trumpet", "tpt", "sax", "trombone", "flute", "woodwind"]),
    (
        Role::Synth,
        &[
            "synth", "synths", "syn", "arp", "arps", "pluck", "plucks", "saw", "chords", "chord", "stab", "stabs",
            "melody", "mel",
        ],
    ),
    (
        Role::Fx,
        &["fx", "sfx", "riser", "risers", "sweep", "impact", "impacts", "whoosh", "uplifter", "downlifter", "noise"],
    ),
    (
        Role::Lead,
        &[
            "vox",
            "vocal",
            "vocals",
            "voc",
            "vo",
            "lead",
            "ld",
            "leadvox",
            "leadvocal",
            "main",
            "rap",
            "singer",
            "voice",
        ],
    ),
];

/// The name words, lower case: letters and digits, split at anything else
/// and where a lower-case letter meets an upper-case one ("LeadVox").
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if (!c.is_alphanumeric() || (c.is_uppercase() && previous_lower)) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase();
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The role a stem's name (a file name or path; the extension and folders
/// are ignored) gives, if any.
pub fn role_from_name(name: &str) -> Option<Role> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let mut found = words(stem);
    // "bass drum" and "kick drum" are one word.
    let joined: Vec<String> = found.windows(2).map(|w| format!("{}{}", w[0], w[1])).collect();
    found.extend(joined);
    // Words with trailing digits ("vox2", "gtr01") count without them.
    let trimmed: Vec<String> = found
        .iter()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    found.extend(trimmed);
    WORDS.iter().find(|(_, list)| list.iter().any(|w| found.iter().any(|f| f == w))).map(|(role, _)| *role)
}

/// The role a stem's sound suggests, from its analysis: how much of the
/// spectrum it covers and where its energy sits (octave levels), how
/// percussive it is (crest factor), whether it is pitched (key
/// correlation and chroma) and how wide it is. Vocals cannot be told from
/// pitched instruments this way: a pitched, narrow stem reads as a synth.
pub fn role_from_audio(a: &Analysis) -> Role {
    let octave =
        |hz: f64| crate::OCTAVE_CENTRES_HZ.iter().position(|c| *c == hz).map_or(-100.0, |i| a.spectrum.octave_db[i]);
    let low_share = power_sum_db(&[octave(31.5), octave(63.0), octave(125.0)]);
    let high_share = power_sum_db(&[octave(4000.0), octave(8000.0), octave(16000.0)]);
    let crest = a.levels.iter().map(|l| l.crest_db).fold(0.0, f64::max);
    let percussive = crest >= 15.0;
    // Pitched: a clear key and a pitch class that stands out (noise and
    // drums spread their chroma almost evenly, at most ~0.11 per class).
    let pitched =
        a.key.as_ref().is_some_and(|k| k.correlation >= 0.6 && k.chroma.iter().copied().fold(0.0, f64::max) >= 0.12);
    let wide = a.stereo.as_ref().is_some_and(|s| s.side_to_mid_db > -12.0);
    // Broadband: every octave from 63 Hz to 8 kHz within 30 dB of the total.
    let broadband = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0].iter().all(|hz| octave(*hz) > -30.0);
    if broadband && percussive {
        return if pitched { Role::Beat } else { Role::Drums };
    }
    if low_share > -3.0 {
        return if percussive && !pitched { Role::Kick } else { Role::Bass };
    }
    if percussive && high_share > -3.0 {
        return Role::Hats;
    }
    if percussive && !pitched {
        return Role::Drums;
    }
    match (pitched, wide) {
        (true, true) => Role::Pads,
        (true, false) => Role::Synth,
        (false, _) => Role::Fx,
    }
}

/// The role from the name, else from the sound.
pub fn detect_role(name: &str, analysis: &Analysis) -> RoleGuess {
    match role_from_name(name) {
        Some(role) => RoleGuess { role, source: RoleSource::Name },
        None => RoleGuess { role: role_from_audio(analysis), source: RoleSource::Audio },
    }
}

/// The dB sum of levels given in dB.
fn power_sum_db(levels_db: &[f64]) -> f64 {
    10.0 * levels_db.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>().max(1e-20).log10()
}

#[cfg(test)]
mod tests;

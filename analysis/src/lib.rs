//! Offline analysis of a whole piece of audio, for `mixgraph analyze` and the
//! automatic mix-and-master job: sample and true peak, RMS, crest factor and
//! DC offset per channel; integrated, momentary and short-term loudness and
//! loudness range (EBU R128 through the `ebur128` crate); stereo correlation,
//! width and balance; the long-term spectral balance per octave and its
//! centroid; an energy curve; multi-resolution waveform peaks for UIs;
//! tempo with a beat and downbeat grid; the musical key; and the song's
//! sections. Between stems: roles (from names, else the sound) and
//! spectral masking.
//!
//! Everything here runs on the control side over whole decoded files (no
//! real-time constraints); results are plain serde data so they can be
//! cached and printed as JSON.

pub mod chroma;
mod downbeat;
mod energy;
mod key;
mod levels;
mod loudness;
pub mod masking;
pub mod onset;
mod roles;
mod spectrum;
mod stereo;
mod stft;
mod structure;
mod tempo;
mod waveform;

pub use energy::{ENERGY_STEP_S, EnergyCurve};
pub use key::{Key, Mode, camelot, detect_key, key_name};
pub use levels::ChannelLevels;
pub use loudness::{CURVE_STEP_S, Loudness};
pub use roles::{Role, RoleGuess, RoleSource, detect_role, role_from_audio, role_from_name};
pub use spectrum::{OCTAVE_CENTRES_HZ, SpectralBalance, smoothed_levels_db};
pub use stereo::StereoImage;
pub use structure::{SectionLabel, Segment, detect_structure};
pub use tempo::{BEATS_PER_BAR, DEFAULT_MIN_BPM, MIN_BPM_LIMITS, Tempo, detect_tempo};
pub use waveform::{FINEST_FRAMES_PER_PEAK, WaveformLevel, WaveformPeaks};

use serde::{Deserialize, Serialize};

/// Version of the analysis results; part of cache keys, so results computed
/// by an older analysis are never reused.
pub const ANALYSIS_VERSION: u32 = 3;

/// Why audio could not be analysed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    /// No channels, or channels of different lengths.
    #[error("audio has {0}")]
    BadShape(String),
    /// A sample rate outside 8 kHz..768 kHz.
    #[error("unsupported sample rate {0} Hz (8000..768000)")]
    SampleRate(u32),
    /// The loudness meter refused the input.
    #[error("loudness measurement failed: {0}")]
    Loudness(String),
}

/// Choices that change what [`analyze`] reports (so they belong in cache
/// keys).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    /// Tempo is reported within `[min_bpm, 2·min_bpm)` (see
    /// [`detect_tempo`]).
    pub min_bpm: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions { min_bpm: DEFAULT_MIN_BPM }
    }
}

/// Everything measured about one piece of audio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// [`ANALYSIS_VERSION`] of the code that measured it.
    pub version: u32,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: usize,
    /// Length, seconds.
    pub duration_s: f64,
    /// Per-channel levels.
    pub levels: Vec<ChannelLevels>,
    /// EBU R128 loudness and true peak.
    pub loudness: Loudness,
    /// Stereo image of the first two channels (absent for mono).
    pub stereo: Option<StereoImage>,
    /// Long-term spectral balance of the channels' mean.
    pub spectrum: SpectralBalance,
    /// Energy over time.
    pub energy: EnergyCurve,
    /// Waveform peaks at several resolutions.
    pub waveform: WaveformPeaks,
    /// Tempo, beats and downbeats (absent for material under 4 s or
    /// without a pulse).
    pub tempo: Option<Tempo>,
    /// Musical key (absent without pitched sound).
    pub key: Option<Key>,
    /// Sections (empty for material under four bars).
    pub structure: Vec<Segment>,
}

/// Analyses `channels` (planar, equal lengths) at `sample_rate`, calling
/// `progress` with the fraction done (0..=1) as it goes.
pub fn analyze(
    channels: &[Vec<f32>],
    sample_rate: u32,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<Analysis, AnalysisError> {
    let frames = channels.first().map(Vec::len).ok_or_else(|| AnalysisError::BadShape("no channels".into()))?;
    if channels.iter().any(|c| c.len() != frames) {
        return Err(AnalysisError::BadShape("channels of different lengths".into()));
    }
    if !(8_000..=768_000).contains(&sample_rate) {
        return Err(AnalysisError::SampleRate(sample_rate));
    }
    let sr = f64::from(sample_rate);
    progress(0.0);
    let levels = channels.iter().map(|c| ChannelLevels::measure(c)).collect();
    // Loudness is the slowest pass (K-weighting and 4× true peak): it reports
    // progress from 0.05 to 0.75.
    let loudness = Loudness::measure(channels, sample_rate, &mut |f| progress(0.05 + 0.7 * f))?;
    let stereo = match channels {
        [left, right, ..] => Some(StereoImage::measure(left, right, sr)),
        _ => None,
    };
    let mono = mean_of_channels(channels);
    progress(0.8);
    let spectrum = SpectralBalance::measure(&mono, sr);
    progress(0.95);
    let energy = EnergyCurve::measure(&mono, sr);
    let waveform = WaveformPeaks::measure(channels);
    let chroma = chroma::chromagram(&mono, sr);
    let tempo = detect_tempo(&onset::onsets(&mono, sr), &chroma, options.min_bpm);
    let key = detect_key(&chroma);
    let structure = detect_structure(&chroma, tempo.as_ref(), frames as f64 / sr);
    progress(1.0);
    Ok(Analysis {
        version: ANALYSIS_VERSION,
        sample_rate,
        channels: channels.len(),
        duration_s: frames as f64 / sr,
        levels,
        loudness,
        stereo,
        spectrum,
        energy,
        waveform,
        tempo,
        key,
        structure,
    })
}

/// The per-frame mean of all channels (a mono mix-down for analysis).
pub fn mean_of_channels(channels: &[Vec<f32>]) -> Vec<f32> {
    let frames = channels.first().map_or(0, Vec::len);
    let scale = 1.0 / channels.len().max(1) as f32;
    let mut mono = vec![0.0f32; frames];
    for c in channels {
        for (m, x) in mono.iter_mut().zip(c) {
            *m += x * scale;
        }
    }
    mono
}

/// Linear amplitude or RMS to dB (−inf for 0 is reported as −200 dB, so
/// results stay finite in JSON).
pub(crate) fn to_db(x: f64) -> f64 {
    if x > 1e-10 { 20.0 * x.log10() } else { -200.0 }
}

/// A value rounded to `decimals` places, for compact and readable JSON.
pub(crate) fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

#[cfg(test)]
pub(crate) mod test_signals;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_shapes_and_rates_are_named() {
        let mut none = |_| {};
        assert_eq!(
            analyze(&[], 48_000, &AnalysisOptions::default(), &mut none),
            Err(AnalysisError::BadShape("no channels".into()))
        );
        let uneven = [vec![0.0; 10], vec![0.0; 9]];
        assert_eq!(
            analyze(&uneven, 48_000, &AnalysisOptions::default(), &mut none).unwrap_err().to_string(),
            "audio has channels of different lengths"
        );
        assert_eq!(
            analyze(&[vec![0.0; 10]], 1000, &AnalysisOptions::default(), &mut none),
            Err(AnalysisError::SampleRate(1000))
        );
    }

    #[test]
    fn whole_analysis_of_a_stereo_sine_reports_progress_to_the_end() {
        let sine = test_signals::sine(1000.0, 0.5, 48_000.0, 96_000);
        let mut seen = Vec::new();
        let a = analyze(&[sine.clone(), sine], 48_000, &AnalysisOptions::default(), &mut |f| seen.push(f))
            .expect("analysis");
        assert_eq!((a.channels, a.duration_s), (2, 2.0));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress goes forward: {seen:?}");
        assert_eq!(seen.last(), Some(&1.0));
        let stereo = a.stereo.expect("stereo image");
        assert!((stereo.correlation - 1.0).abs() < 1e-6);
    }
}

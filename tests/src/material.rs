//! Synthesized programme material for the preset tests, generated in code
//! (seeded, deterministic, nothing downloaded):
//!
//! - [`mix`]: a stereo mix-like signal at 120 BPM — kick, snare, hi-hats,
//!   bass line, chord pad and a noise bed — arranged in sections with their
//!   own levels (sparse intro, verse, louder chorus, breakdown), so a
//!   mastering chain meets real crest factors and level changes;
//! - [`vocal`]: a vocal-like mono signal on both channels: sung phrases of a
//!   harmonic series shaped by vowel formants, with vibrato, phrase-to-phrase
//!   dynamics, sibilant noise bursts, breaths and pauses.
//!
//! Both come out at an arbitrary level; [`scale_to_lufs`] sets the level with
//! the `ebur128` crate.

use ebur128::{EbuR128, Mode};
use std::f64::consts::TAU;

/// Seeded xorshift64 noise source, uniform in [-1, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// One-pole low-pass state with coefficient from a corner frequency.
struct OnePole {
    a: f64,
    y: f64,
}

impl OnePole {
    fn new(hz: f64, sample_rate: f64) -> Self {
        OnePole { a: (-TAU * hz / sample_rate).exp(), y: 0.0 }
    }
    fn low(&mut self, x: f64) -> f64 {
        self.y = x + self.a * (self.y - x);
        self.y
    }
    fn high(&mut self, x: f64) -> f64 {
        x - self.low(x)
    }
}

/// Integrated loudness of a stereo or mono signal, LUFS (ebur128, mode I).
pub fn lufs(channels: &[Vec<f32>], sample_rate: f64) -> f64 {
    let mut m = EbuR128::new(channels.len() as u32, sample_rate as u32, Mode::I).expect("meter");
    let planar: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    m.add_frames_planar_f32(&planar).expect("frames");
    m.loudness_global().expect("loudness")
}

/// `channels` scaled so that their integrated loudness is `target` LUFS.
pub fn scale_to_lufs(channels: &[Vec<f32>], sample_rate: f64, target: f64) -> Vec<Vec<f32>> {
    let gain = 10f64.powf((target - lufs(channels, sample_rate)) / 20.0) as f32;
    channels.iter().map(|c| c.iter().map(|v| v * gain).collect()).collect()
}

/// Gain (dB) and drums on/off of each two-bar section: intro, verse, chorus,
/// breakdown, last chorus.
const SECTIONS: [(f64, bool); 5] = [(-8.0, false), (-3.0, true), (0.0, true), (-9.0, false), (0.0, true)];

/// Root notes (Hz) of a four-chord loop, one per bar: A minor, F, C, G.
const ROOTS: [f64; 4] = [55.0, 43.65, 65.41, 49.0];

/// A stereo mix-like signal of `seconds` at `sample_rate`, 120 BPM, 4/4,
/// bars of 2 s; the section (and its level) changes every two bars, 20 s in
/// all: intro (-8 dB, no drums), verse (-3 dB), chorus (0 dB), breakdown
/// (-9 dB, no drums), last chorus (0 dB), then again.
pub fn mix(seconds: f64, sample_rate: f64, seed: u64) -> Vec<Vec<f32>> {
    let n = (seconds * sample_rate) as usize;
    let mut rng = Rng(seed.max(1));
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let beat = 0.5;
    let mut snare_hp = OnePole::new(400.0, sample_rate);
    let mut snare_lp = OnePole::new(6000.0, sample_rate);
    let mut hat_hp = OnePole::new(7000.0, sample_rate);
    let mut bass_lp = OnePole::new(400.0, sample_rate);
    let (mut bed_l, mut bed_r) = (OnePole::new(3000.0, sample_rate), OnePole::new(3000.0, sample_rate));
    let mut kick_phase = 0.0f64;
    let mut bass_phase = 0.0f64;
    let mut pad_phase = [0.0f64; 6];
    for i in 0..n {
        let t = i as f64 / sample_rate;
        let bar = (t / 2.0) as usize;
        let (section_db, drums) = SECTIONS[(bar / 2) % SECTIONS.len()];
        let section = 10f64.powf(section_db / 20.0);
        let in_beat = t % beat;
        let beat_index = (t / beat) as usize;
        let root = ROOTS[bar % ROOTS.len()];

        // Kick on every beat: a 150 → 45 Hz sweep with a 250 ms decay.
        let kick = if drums {
            let f = 45.0 + 105.0 * (-in_beat / 0.03).exp();
            kick_phase += TAU * f / sample_rate;
            0.9 * (-in_beat / 0.25).exp() * kick_phase.sin()
        } else {
            0.0
        };
        if in_beat < 1.0 / sample_rate {
            kick_phase = 0.0;
        }
        // Snare on beats 2 and 4: band-limited noise, 150 ms decay.
        let snare_noise = snare_lp.low(snare_hp.high(rng.next()));
        let snare = if drums && beat_index % 2 == 1 { 0.8 * (-in_beat / 0.15).exp() * snare_noise } else { 0.0 };
        // Hi-hats on eighths, slightly right, in every section.
        let in_eighth = t % (beat / 2.0);
        let hat = 0.25 * (-in_eighth / 0.03).exp() * hat_hp.high(rng.next());
        // Bass: root on eighths, four harmonics, low-passed, plucked envelope.
        bass_phase += TAU * root / sample_rate;
        let saw: f64 = (1..=4).map(|k| (k as f64 * bass_phase).sin() / k as f64).sum();
        let bass = 0.45 * bass_lp.low(saw) * (0.4 + 0.6 * (-in_eighth / 0.12).exp());
        // Pad: minor/major triad two octaves up, detuned per side.
        let third = if bar.is_multiple_of(ROOTS.len()) { 1.189_207 } else { 1.259_921 };
        let ratios = [4.0, 4.0 * third, 6.0];
        let mut pad = [0.0f64; 2];
        for (v, ratio) in ratios.iter().enumerate() {
            for (side, out) in pad.iter_mut().enumerate() {
                let detune = if side == 0 { 0.997 } else { 1.003 };
                let p = &mut pad_phase[2 * v + side];
                *p += TAU * root * ratio * detune / sample_rate;
                *out += 0.07 * (p.sin() + 0.3 * (2.0 * *p).sin());
            }
        }
        let swell = 0.6 + 0.4 * (TAU * t / 2.0).sin().abs();
        let bed = 0.02;
        let mono = kick + snare + bass;
        l[i] = (section * (mono + 0.9 * hat + swell * pad[0] + bed * bed_l.low(rng.next()))) as f32;
        r[i] = (section * (mono + 1.1 * hat + swell * pad[1] + bed * bed_r.low(rng.next()))) as f32;
    }
    vec![l, r]
}

/// Vowel formants (centre Hz, bandwidth Hz, gain): an "ah" / "eh" blend.
const FORMANTS: [(f64, f64, f64); 4] =
    [(730.0, 90.0, 1.0), (1150.0, 110.0, 0.6), (2600.0, 160.0, 0.35), (3400.0, 250.0, 0.2)];

/// Melody (semitones above A2 = 110 Hz) sung by the phrases, looped.
const MELODY: [f64; 12] = [12.0, 14.0, 15.0, 17.0, 15.0, 14.0, 12.0, 10.0, 12.0, 19.0, 17.0, 15.0];

/// Amplitude of harmonic frequency `f`: a source slope of −6 dB/oct times the formant peaks.
fn formant_gain(f: f64) -> f64 {
    let peaks: f64 = FORMANTS.iter().map(|(c, b, g)| g / (1.0 + ((f - c) / b).powi(2))).sum();
    (0.08 + peaks) * (200.0 / f.max(100.0))
}

/// A vocal-like signal of `seconds` (mono, returned on both channels):
/// phrases of 2.4 s separated by 0.8 s pauses, five notes each, with vibrato,
/// sibilants at note starts, a breath in each pause and phrase levels that
/// vary by ±4 dB.
pub fn vocal(seconds: f64, sample_rate: f64, seed: u64) -> Vec<Vec<f32>> {
    let n = (seconds * sample_rate) as usize;
    let mut rng = Rng(seed.max(1));
    let mut out = vec![0.0f32; n];
    let (phrase_len, pause, note_len) = (2.4, 0.8, 0.48);
    let phrase_db = [0.0, -4.0, 3.0, -2.0, 4.0, -5.0, 1.0];
    let mut sib_hp = OnePole::new(5000.0, sample_rate);
    let mut breath_lp = OnePole::new(2500.0, sample_rate);
    let mut phase = 0.0f64;
    let harmonics = 40;
    for (i, y) in out.iter_mut().enumerate() {
        let t = i as f64 / sample_rate;
        let cycle = phrase_len + pause;
        let phrase = (t / cycle) as usize;
        let in_phrase = t % cycle;
        let noise = rng.next();
        let sib_noise = sib_hp.high(noise);
        let breath_noise = breath_lp.low(noise);
        if in_phrase >= phrase_len {
            // A soft breath in the middle of the pause.
            let b = in_phrase - phrase_len - 0.25;
            *y = if (0.0..0.3).contains(&b) { (0.01 * (TAU * b / 0.6).sin() * breath_noise) as f32 } else { 0.0 };
            continue;
        }
        let level = 10f64.powf(phrase_db[phrase % phrase_db.len()] / 20.0);
        let note = (in_phrase / note_len) as usize;
        let in_note = in_phrase % note_len;
        let semis = MELODY[(phrase * 5 + note) % MELODY.len()];
        let vibrato = 0.3 * (in_note / 0.2).min(1.0) * (TAU * 5.5 * t).sin();
        let f0 = 110.0 * 2f64.powf((semis + vibrato) / 12.0);
        phase = (phase + TAU * f0 / sample_rate) % (TAU * 1000.0);
        let env = (in_note / 0.03).min(1.0) * ((note_len - in_note) / 0.05).min(1.0);
        let phrase_env = (in_phrase / 0.08).min(1.0) * ((phrase_len - in_phrase) / 0.15).min(1.0);
        let mut voiced = 0.0;
        for k in 1..=harmonics {
            let f = f0 * k as f64;
            if f > 0.45 * sample_rate {
                break;
            }
            voiced += formant_gain(f) * (k as f64 * phase).sin();
        }
        // Sibilants ("s", "t") on every other note start, 90 ms, hot.
        let sib = if note.is_multiple_of(2) && in_note < 0.09 { 0.6 * (1.0 - in_note / 0.09) * sib_noise } else { 0.0 };
        *y = (level * (0.25 * env * phrase_env * voiced + sib)) as f32;
    }
    vec![out.clone(), out]
}

//! The demo song: a short piece of music synthesized entirely in code.
//!
//! Eight bars in A minor at 120 BPM, the progression Am – F – C – G played
//! twice, rendered as four stems (drums, bass, chords, lead) plus a one-second
//! release tail. It exists so the README's first demo has real, multi-stem
//! material to mix without shipping any audio files.
//!
//! The render is bit-for-bit deterministic on every run and every machine:
//! noise generators get fixed seeds and oscillators fixed start phases, every
//! node is driven one sample at a time through fundsp's scalar `tick` path
//! (its block path uses SIMD, whose width depends on the target), and all
//! transcendental math goes through `fundsp::math`, which is backed by the
//! pure-Rust `libm` rather than the platform's C library.
//!
//! Layout: this file holds the song's timing, harmony, shared voice helpers and
//! the final stem clean-up; `drums` and `instruments` hold the sounds and parts.

mod drums;
mod instruments;

use fundsp::math::{db_amp, exp};
use fundsp::prelude32::{An, AudioNode, dcblock_hz};

/// One stem: a name such as "drums", and planar stereo audio.
pub struct Stem {
    /// The stem's name: "drums", "bass", "chords" or "lead".
    pub name: &'static str,
    /// Planar stereo samples: `channels[0]` is left, `channels[1]` is right.
    pub channels: [Vec<f32>; 2],
}

/// The demo song's tempo in BPM.
pub const DEMO_BPM: f64 = 120.0;

/// The demo song's key.
pub const DEMO_KEY: &str = "A minor";

/// Bars of music; the progression below repeats to fill them.
const BARS: usize = 8;
/// Beats in one bar (4/4 time).
const BEATS_PER_BAR: f64 = 4.0;
/// Silence after the last bar, so releases and echoes can ring out.
const TAIL_SECONDS: f64 = 1.0;
/// The last stretch of the tail is faded, so no stem ends on a cut-off echo.
const END_FADE_SECONDS: f64 = 0.25;

/// One bar's harmony, as MIDI note numbers.
struct Chord {
    /// Bass root, in the bass register (A1 = 33).
    root: f32,
    /// Pad triad around middle C, voiced so each chord moves as little as
    /// possible from the one before (smooth voice leading sounds like a band).
    triad: [f32; 3],
}

/// Am – F – C – G, one chord per bar.
const PROGRESSION: [Chord; 4] = [
    // Am: A1; A3 C4 E4.
    Chord { root: 33.0, triad: [57.0, 60.0, 64.0] },
    // F: F1; A3 C4 F4.
    Chord { root: 29.0, triad: [57.0, 60.0, 65.0] },
    // C: C2; G3 C4 E4.
    Chord { root: 36.0, triad: [55.0, 60.0, 64.0] },
    // G: G1; G3 B3 D4.
    Chord { root: 31.0, triad: [55.0, 59.0, 62.0] },
];

/// The chord played in `bar` (counting from 0).
fn chord_of(bar: usize) -> &'static Chord {
    &PROGRESSION[bar % PROGRESSION.len()]
}

/// Song timing at one sample rate.
#[derive(Clone, Copy)]
struct Clock {
    /// Samples per second.
    rate: f64,
}

impl Clock {
    /// Seconds in `beats` beats.
    fn beat_seconds(beats: f64) -> f64 {
        beats * 60.0 / DEMO_BPM
    }

    /// Frames in `seconds`, rounded to the nearest frame.
    fn frames(self, seconds: f64) -> usize {
        (seconds * self.rate).round() as usize
    }

    /// The frame on which `beat` (counting from 0) starts.
    fn beat_frame(self, beat: f64) -> usize {
        self.frames(Self::beat_seconds(beat))
    }

    /// Length of every stem: the bars plus the release tail.
    fn song_frames(self) -> usize {
        self.frames(Self::beat_seconds(BARS as f64 * BEATS_PER_BAR) + TAIL_SECONDS)
    }

    /// Seconds since a voice started, at `frame` frames in.
    fn time(self, frame: usize) -> f32 {
        (frame as f64 / self.rate) as f32
    }

    /// Keeps a filter frequency below Nyquist, so low sample rates stay stable.
    fn hz(self, frequency: f32) -> f32 {
        frequency.min((0.45 * self.rate) as f32)
    }

    /// Prepares a fundsp node for this sample rate (fundsp defaults to 44.1 kHz).
    fn node<X: AudioNode>(self, mut node: An<X>) -> An<X> {
        node.set_sample_rate(self.rate);
        node
    }
}

/// Planar stereo audio being built up.
type Stereo = [Vec<f32>; 2];

/// A silent stereo buffer as long as the song.
fn silence(clock: Clock) -> Stereo {
    [vec![0.0; clock.song_frames()], vec![0.0; clock.song_frames()]]
}

/// Adds `voice`, scaled by `gain`, into `out` from frame `start` on.
/// Anything past the end of `out` is dropped: the tail is long enough that
/// only faded echoes ever reach it.
fn mix_into(out: &mut [f32], start: usize, voice: &[f32], gain: f32) {
    let Some(dest) = out.get_mut(start..) else {
        return;
    };
    for (d, v) in dest.iter_mut().zip(voice) {
        *d += gain * v;
    }
}

/// Renders one voice (a drum hit or a note) of `seconds` from `sample`, a
/// function of the time since the voice started. The last 10 ms are faded
/// out so that a voice cut short never ends in a click.
fn render_voice(clock: Clock, seconds: f32, mut sample: impl FnMut(f32) -> f32) -> Vec<f32> {
    let frames = clock.frames(f64::from(seconds));
    let fade = clock.frames(0.01).max(1);
    (0..frames)
        .map(|i| {
            let fade_gain = ((frames - i) as f32 / fade as f32).min(1.0);
            sample(clock.time(i)) * fade_gain
        })
        .collect()
}

/// Attack–decay–sustain–release amplitude envelope.
struct Adsr {
    /// Seconds of linear rise from silence to full level.
    attack: f32,
    /// Time constant, in seconds, of the exponential fall to `sustain`.
    decay: f32,
    /// Level held while the note is down, relative to the peak.
    sustain: f32,
    /// Seconds of linear fall to silence after the note is released.
    release: f32,
}

impl Adsr {
    /// Level at `t` seconds into a note held down for `gate` seconds.
    fn level(&self, t: f32, gate: f32) -> f32 {
        let held = |t: f32| {
            if t < self.attack {
                t / self.attack
            } else {
                self.sustain + (1.0 - self.sustain) * exp(-(t - self.attack) / self.decay)
            }
        };
        if t < gate {
            held(t)
        } else {
            // Release from wherever the note was, so short notes don't jump.
            held(gate) * (1.0 - (t - gate) / self.release).max(0.0)
        }
    }

    /// Seconds a note held for `gate` seconds sounds, release included.
    fn length(&self, gate: f32) -> f32 {
        gate + self.release
    }
}

/// Turns a raw stem into a finished one: removes DC (pulse waves and the
/// kick's asymmetric first cycle leave some), fades the very end of the tail,
/// and scales the stem so its loudest sample sits at `peak_db` dBFS.
/// The per-stem peaks set the balance of the mix when the stems are summed.
fn finish(name: &'static str, mut channels: Stereo, clock: Clock, peak_db: f32) -> Stem {
    let fade = clock.frames(END_FADE_SECONDS).max(1);
    for channel in channels.iter_mut() {
        let mut blocker = clock.node(dcblock_hz(10.0));
        let len = channel.len();
        for (i, x) in channel.iter_mut().enumerate() {
            let fade_gain = ((len - i) as f32 / fade as f32).min(1.0);
            *x = blocker.filter_mono(*x) * fade_gain;
        }
    }
    let peak = channels.iter().flatten().fold(0.0f32, |peak, x| peak.max(x.abs()));
    if peak > 0.0 {
        let gain = db_amp(peak_db) / peak;
        channels.iter_mut().flatten().for_each(|x| *x *= gain);
    }
    Stem { name, channels }
}

/// Renders the four stems (drums, bass, chords, lead), all the same length
/// (8 bars at 120 BPM = 16 s, plus a 1 s release tail), at `sample_rate`.
///
/// The same `sample_rate` always gives bit-identical audio. Each stem is
/// scaled to a fixed peak (drums −4, bass −10, chords −14, lead −14 dBFS),
/// balanced so that the four summed at unity gain make a sensible mix that
/// peaks around −1.5 dBFS.
pub fn render_stems(sample_rate: u32) -> Vec<Stem> {
    let clock = Clock { rate: f64::from(sample_rate) };
    vec![
        finish("drums", drums::render(clock), clock, -4.0),
        finish("bass", instruments::bass(clock), clock, -10.0),
        finish("chords", instruments::chords(clock), clock, -14.0),
        finish("lead", instruments::lead(clock), clock, -14.0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundsp::prelude32::bandpass_hz;
    use std::sync::OnceLock;

    const RATE: u32 = 48_000;

    /// One shared render: every test reads it, so the suite renders only twice
    /// (once here, once in the determinism test).
    fn stems() -> &'static [Stem] {
        static STEMS: OnceLock<Vec<Stem>> = OnceLock::new();
        STEMS.get_or_init(|| render_stems(RATE))
    }

    fn stem(name: &str) -> &'static Stem {
        stems().iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no {name} stem"))
    }

    fn frame(seconds: f64) -> usize {
        (seconds * f64::from(RATE)).round() as usize
    }

    fn mono(stem: &Stem) -> Vec<f32> {
        let [l, r] = &stem.channels;
        l.iter().zip(r).map(|(l, r)| 0.5 * (l + r)).collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    fn peak_db(x: &[f32]) -> f32 {
        20.0 * x.iter().fold(0.0f32, |p, v| p.max(v.abs())).log10()
    }

    #[test]
    fn four_stems_of_equal_length() {
        let names: Vec<_> = stems().iter().map(|s| s.name).collect();
        assert_eq!(names, ["drums", "bass", "chords", "lead"]);
        let expected = frame(17.0);
        for stem in stems() {
            for channel in &stem.channels {
                assert_eq!(channel.len(), expected, "{}", stem.name);
            }
        }
    }

    #[test]
    fn levels_are_sane() {
        for stem in stems() {
            for channel in &stem.channels {
                assert!(channel.iter().all(|x| x.is_finite()), "{}", stem.name);
                let peak = peak_db(channel);
                assert!(peak < -3.0 && peak > -30.0, "{}: {peak} dBFS", stem.name);
                let mean = channel.iter().map(|&x| f64::from(x)).sum::<f64>() / channel.len() as f64;
                assert!(mean.abs() < 1e-3, "{}: DC {mean}", stem.name);
            }
        }
    }

    #[test]
    fn stems_start_at_frame_zero() {
        for stem in stems() {
            let first = stem.channels[0].iter().position(|x| x.abs() > 1e-4);
            assert!(first.is_some_and(|i| i < frame(0.005)), "{}", stem.name);
        }
    }

    #[test]
    fn render_is_deterministic() {
        let again = render_stems(RATE);
        for (a, b) in stems().iter().zip(&again) {
            for (ca, cb) in a.channels.iter().zip(&b.channels) {
                assert!(
                    ca.iter().zip(cb).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{} differs between renders",
                    a.name
                );
            }
        }
    }

    #[test]
    fn bass_is_mono() {
        let [l, r] = &stem("bass").channels;
        assert!(l.iter().zip(r).all(|(l, r)| l.to_bits() == r.to_bits()));
    }

    /// Magnitude of one frequency in a Hann-windowed block, by a plain DFT sum
    /// (the complex exponential is advanced by rotation, in f64).
    fn dft_magnitude(block: &[f32], hz: f64) -> f64 {
        let n = block.len() as f64;
        let step = -std::f64::consts::TAU * hz / f64::from(RATE);
        let (rot_re, rot_im) = (step.cos(), step.sin());
        let (mut w_re, mut w_im) = (1.0f64, 0.0f64);
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &x) in block.iter().enumerate() {
            let hann = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n).cos();
            re += f64::from(x) * hann * w_re;
            im += f64::from(x) * hann * w_im;
            (w_re, w_im) = (w_re * rot_re - w_im * rot_im, w_re * rot_im + w_im * rot_re);
        }
        re.hypot(im)
    }

    #[test]
    fn bass_in_bar_one_is_rooted_on_a() {
        // Bar 1 (0–2 s) is Am; a one-second window resolves 0.5 Hz steps well.
        let block = &stem("bass").channels[0][..frame(1.0)];
        let (strongest, _) = (60..=800)
            .map(|half_hz| f64::from(half_hz) * 0.5)
            .map(|hz| (hz, dft_magnitude(block, hz)))
            .fold((0.0, 0.0), |best, c| if c.1 > best.1 { c } else { best });
        let near = |target: f64| (strongest - target).abs() <= 0.03 * target;
        assert!(near(55.0) || near(110.0), "strongest at {strongest} Hz");
    }

    #[test]
    fn kick_lands_on_beats_one_and_three() {
        // Isolate 40–120 Hz: a band-pass centred at their geometric mean whose
        // −3 dB points are 40 and 120 Hz.
        let mut band = bandpass_hz(69.3, 69.3 / 80.0);
        band.set_sample_rate(f64::from(RATE));
        let energy: Vec<f32> = mono(stem("drums")).iter().map(|&x| band.filter_mono(x).powi(2)).collect();
        // Short (5 ms) centred moving average, via prefix sums.
        let prefix: Vec<f64> = std::iter::once(0.0)
            .chain(energy.iter().scan(0.0, |s, &e| {
                *s += f64::from(e);
                Some(*s)
            }))
            .collect();
        let half = frame(0.0025);
        let smooth = |i: usize| prefix[(i + half).min(energy.len())] - prefix[i.saturating_sub(half)];
        for bar in 0..BARS {
            for beat in [0.0, 2.0] {
                let t = Clock::beat_seconds(bar as f64 * BEATS_PER_BAR + beat);
                let (lo, hi) = (frame((t - 0.06).max(0.0)), frame(t + 0.2));
                let peak = (lo..hi).max_by(|&a, &b| smooth(a).total_cmp(&smooth(b))).unwrap_or(lo);
                let offset_ms = (peak as f64 - frame(t) as f64) * 1000.0 / f64::from(RATE);
                assert!(
                    offset_ms.abs() <= 10.0,
                    "bar {} beat {}: kick peak {offset_ms:.1} ms off",
                    bar + 1,
                    beat + 1.0
                );
            }
        }
    }

    #[test]
    fn drums_sound_on_every_eighth() {
        let drums = mono(stem("drums"));
        for eighth in 0..BARS * 8 {
            let t = Clock::beat_seconds(eighth as f64 * 0.5);
            let level = rms(&drums[frame(t)..frame(t + 0.03)]);
            assert!(level > 0.01, "drums silent at {t} s (rms {level})");
        }
    }

    #[test]
    fn lead_sounds_on_every_melody_note() {
        let lead = mono(stem("lead"));
        for &(beat, _, _) in instruments::MELODY.iter() {
            let t = Clock::beat_seconds(beat);
            let level = rms(&lead[frame(t + 0.02)..frame(t + 0.1)]);
            assert!(level > 0.02, "lead silent at {t} s (rms {level})");
        }
    }
}

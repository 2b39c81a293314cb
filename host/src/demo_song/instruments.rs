//! The pitched parts: a plucky saw bass, a detuned-saw pad and a pulse-wave
//! lead with vibrato and a ping-pong echo.

use super::{Adsr, BARS, BEATS_PER_BAR, Clock, Stereo, chord_of, mix_into, render_voice, silence};
use fundsp::math::{clamp01, exp, midi_hz, semitone_ratio, sin};
use fundsp::prelude32::{Frame, lowpass_hz, lowpole_hz, moog, pulse, saw, sine};

/// The lead melody as (start beat, length in beats, MIDI note), in A minor:
/// mostly the pentatonic A C D E G, with F and B where the chord asks for them.
pub(super) const MELODY: [(f64, f64, f32); 37] = [
    // Bar 1, Am.
    (0.0, 1.0, 69.0),
    (1.0, 0.5, 72.0),
    (1.5, 0.5, 74.0),
    (2.0, 1.5, 76.0),
    (3.5, 0.5, 74.0),
    // Bar 2, F: falls back to A and breathes.
    (4.0, 1.0, 72.0),
    (5.0, 0.5, 69.0),
    (5.5, 0.5, 67.0),
    (6.0, 1.5, 69.0),
    // Bar 3, C.
    (8.0, 0.5, 76.0),
    (8.5, 0.5, 79.0),
    (9.0, 1.0, 76.0),
    (10.0, 0.5, 74.0),
    (10.5, 0.5, 72.0),
    (11.0, 1.0, 74.0),
    // Bar 4, G.
    (12.0, 1.0, 71.0),
    (13.0, 1.0, 74.0),
    (14.0, 1.5, 67.0),
    // Bar 5, Am: the answer phrase starts an octave up.
    (16.0, 1.5, 81.0),
    (17.5, 0.5, 79.0),
    (18.0, 1.0, 76.0),
    (19.0, 0.5, 74.0),
    (19.5, 0.5, 76.0),
    // Bar 6, F.
    (20.0, 1.0, 77.0),
    (21.0, 0.5, 76.0),
    (21.5, 0.5, 74.0),
    (22.0, 1.5, 72.0),
    // Bar 7, C.
    (24.0, 0.5, 79.0),
    (24.5, 0.5, 76.0),
    (25.0, 0.5, 72.0),
    (25.5, 0.5, 74.0),
    (26.0, 1.0, 76.0),
    (27.0, 1.0, 79.0),
    // Bar 8, G: steps down and comes home to A.
    (28.0, 1.0, 74.0),
    (29.0, 0.5, 71.0),
    (29.5, 0.5, 72.0),
    (30.0, 2.0, 69.0),
];

/// Renders the bass stem: the chord roots in 8th notes, mono.
pub(super) fn bass(clock: Clock) -> Stereo {
    // Octave jumps (in semitones) across the bar's eight 8ths give the line
    // its bounce against the kick.
    const OCTAVES: [f32; 8] = [0.0, 0.0, 12.0, 0.0, 0.0, 12.0, 0.0, 12.0];
    let envelope = Adsr { attack: 0.004, decay: 0.12, sustain: 0.6, release: 0.03 };
    // Slightly detached 8ths: the gaps are what make a bass line groove.
    let gate = Clock::beat_seconds(0.5) as f32 * 0.8;
    let mut mono = vec![0.0; clock.song_frames()];
    for bar in 0..BARS {
        let root = chord_of(bar).root;
        for (eighth, octave) in OCTAVES.into_iter().enumerate() {
            let start = clock.beat_frame(bar as f64 * BEATS_PER_BAR + eighth as f64 * 0.5);
            let note = bass_note(clock, midi_hz(root + octave), gate, &envelope);
            mix_into(&mut mono, start, &note, 1.0);
        }
    }
    [mono.clone(), mono]
}

/// One bass note: a saw plus a sine at the fundamental for weight, through a resonant ladder lowpass that snaps shut after the attack.
fn bass_note(clock: Clock, frequency: f32, gate: f32, envelope: &Adsr) -> Vec<f32> {
    let mut osc = clock.node(saw().phase(0.0));
    let mut sub = clock.node(sine().phase(0.0));
    let mut ladder = clock.node(moog());
    render_voice(clock, envelope.length(gate), |t| {
        let cutoff = clock.hz(160.0 + 1800.0 * exp(-t / 0.06));
        let raw = osc.tick(&Frame::from([frequency]))[0] + 0.5 * sub.tick(&Frame::from([frequency]))[0];
        ladder.tick(&Frame::from([raw, cutoff, 0.45]))[0] * envelope.level(t, gate)
    })
}

/// Renders the chord stem: a sustained pad, one triad per bar.
pub(super) fn chords(clock: Clock) -> Stereo {
    // Mirrored detuning (in cents) between the two sides: the slowly drifting
    // phase between left and right is what makes the pad wide.
    const DETUNE: [[f32; 2]; 2] = [[-9.0, 4.0], [9.0, -4.0]];
    let envelope = Adsr { attack: 0.35, decay: 1.0, sustain: 0.8, release: 0.6 };
    // Held almost the whole bar, so each chord's release overlaps the next
    // chord's slow attack and the pad never drops out.
    let gate = Clock::beat_seconds(BEATS_PER_BAR) as f32 * 0.95;
    let mut out = silence(clock);
    for bar in 0..BARS {
        let start = clock.beat_frame(bar as f64 * BEATS_PER_BAR);
        for note in chord_of(bar).triad {
            for (channel, cents) in out.iter_mut().zip(DETUNE) {
                let voice = pad_voice(clock, midi_hz(note), cents, gate, &envelope);
                mix_into(channel, start, &voice, 1.0);
            }
        }
    }
    // One lowpass per side for the whole stem: filtering is linear, so this
    // equals filtering every note, at a fraction of the cost.
    for channel in out.iter_mut() {
        let mut warm = clock.node(lowpass_hz(clock.hz(1600.0), 0.6));
        channel.iter_mut().for_each(|x| *x = warm.filter_mono(*x));
    }
    out
}

/// One pad note on one side: two saws detuned by `cents`, started half a
/// cycle apart so their first peaks don't stack into a click.
fn pad_voice(clock: Clock, frequency: f32, cents: [f32; 2], gate: f32, envelope: &Adsr) -> Vec<f32> {
    let mut a = clock.node(saw().phase(0.0));
    let mut b = clock.node(saw().phase(0.5));
    let fa = frequency * semitone_ratio(cents[0] / 100.0);
    let fb = frequency * semitone_ratio(cents[1] / 100.0);
    render_voice(clock, envelope.length(gate), |t| {
        let sum = a.tick(&Frame::from([fa]))[0] + b.tick(&Frame::from([fb]))[0];
        0.5 * sum * envelope.level(t, gate)
    })
}

/// Renders the lead stem: the melody, dry in the centre, echoed left and right.
pub(super) fn lead(clock: Clock) -> Stereo {
    let envelope = Adsr { attack: 0.01, decay: 0.25, sustain: 0.7, release: 0.08 };
    let mut dry = vec![0.0; clock.song_frames()];
    for (beat, beats, note) in MELODY {
        // Slightly shorter than written, so repeated notes re-articulate.
        let gate = Clock::beat_seconds(beats) as f32 * 0.9;
        let voice = lead_note(clock, midi_hz(note), gate, &envelope);
        mix_into(&mut dry, clock.beat_frame(beat), &voice, 1.0);
    }
    // Take the edge off the pulse's upper harmonics.
    let mut tone = clock.node(lowpass_hz(clock.hz(3500.0), 0.7));
    dry.iter_mut().for_each(|x| *x = tone.filter_mono(*x));
    ping_pong(clock, &dry)
}

/// One lead note: a pulse wave (a little narrower than square, for a reedy
/// tone) whose vibrato fades in after the attack, like a player leaning in.
fn lead_note(clock: Clock, frequency: f32, gate: f32, envelope: &Adsr) -> Vec<f32> {
    let mut osc = clock.node(pulse().phase(0.0));
    render_voice(clock, envelope.length(gate), |t| {
        let depth = 0.006 * clamp01((t - 0.15) / 0.3);
        let pitch = frequency * (1.0 + depth * sin(std::f32::consts::TAU * 5.5 * t));
        osc.tick(&Frame::from([pitch, 0.4]))[0] * envelope.level(t, gate)
    })
}

/// A light ping-pong echo at a dotted 8th: echoes alternate left and right
/// and darken on each pass, so they add space without muddying the melody.
fn ping_pong(clock: Clock, dry: &[f32]) -> Stereo {
    const FEEDBACK: f32 = 0.4;
    const WET: f32 = 0.3;
    let delay = clock.beat_frame(0.75);
    let mut left = vec![0.0; dry.len()];
    let mut right = vec![0.0; dry.len()];
    let mut damping = clock.node(lowpole_hz(clock.hz(2500.0)));
    for i in delay..dry.len() {
        left[i] = damping.filter_mono(dry[i - delay] + FEEDBACK * right[i - delay]);
        right[i] = FEEDBACK * left[i - delay];
    }
    let side = |wet: &[f32]| dry.iter().zip(wet).map(|(d, w)| d + WET * w).collect();
    [side(&left), side(&right)]
}

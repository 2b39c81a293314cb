use super::*;
use crate::chroma::chromagram;
use crate::onset::onsets;
use crate::test_signals::white_noise;

const SR: f64 = 44_100.0;

/// [`detect_tempo`] on audio at [`SR`].
fn detect(x: &[f32], min_bpm: f64) -> Option<Tempo> {
    detect_tempo(&onsets(x, SR), &chromagram(x, SR), min_bpm)
}

/// Drum patterns.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// Kick on beats 1 and 3, snare on 2 and 4, a closed hat on every
    /// eighth 12 dB down.
    Rock,
    /// Kick on every beat, snare on 2 and 4, a loud open hat on every
    /// off-beat eighth.
    House,
    /// Rock drums, but the bass plays steady eighth notes on the chord
    /// root and a pad changes chord every bar (C – Am – F – G): only the
    /// chord changes mark the bar.
    Band,
}

/// The [`Style::Band`] chords as MIDI triads, one a bar.
const BAND_CHORDS: [[f64; 3]; 4] = [[60.0, 64.0, 67.0], [57.0, 60.0, 64.0], [57.0, 60.0, 65.0], [55.0, 59.0, 62.0]];

/// A tone at MIDI pitch `midi` with three harmonics, at time `u` seconds.
fn tone(midi: f64, u: f64) -> f64 {
    let f = 440.0 * ((midi - 69.0) / 12.0).exp2();
    (1..=3).map(|h| (std::f64::consts::TAU * f64::from(h) * f * u).sin() / f64::from(h)).sum()
}

/// A drum-and-bass-line bar pattern at `bpm` for `seconds`, starting on a
/// downbeat after `lead_in` seconds, with a bass note on every beat 1,
/// over a quiet sustained pad. Returns the audio and the true beat times.
fn drum_pattern(bpm: f64, seconds: f64, lead_in: f64) -> (Vec<f32>, Vec<f64>) {
    styled_pattern(Style::Rock, bpm, seconds, lead_in)
}

/// [`drum_pattern`] in a given style.
fn styled_pattern(style: Style, bpm: f64, seconds: f64, lead_in: f64) -> (Vec<f32>, Vec<f64>) {
    let n = (seconds * SR) as usize;
    let mut x: Vec<f32> = (0..n).map(|i| 0.03 * (std::f64::consts::TAU * 220.0 * i as f64 / SR).sin() as f32).collect();
    let noise = white_noise(1.0, n, 11);
    let beat = 60.0 / bpm;
    let mut beats = Vec::new();
    let mut add = |start: f64, len_s: f64, f: &dyn Fn(f64, usize) -> f64| {
        let first = (start * SR) as usize;
        for i in 0..(len_s * SR) as usize {
            if let Some(v) = x.get_mut(first + i) {
                *v += f(i as f64 / SR, first + i) as f32;
            }
        }
    };
    let mut k = 0;
    loop {
        let t = lead_in + k as f64 * beat;
        if t + 0.3 > seconds {
            break;
        }
        beats.push(t);
        let in_bar = k % 4;
        if in_bar % 2 == 0 || style == Style::House {
            // Kick: a 120 → 50 Hz sweep with a fast decay.
            add(t, 0.25, &|u, _| {
                0.8 * (-u * 18.0).exp()
                    * (std::f64::consts::TAU * (50.0 * u + 70.0 * (1.0 - (-u * 30.0).exp()) / 30.0)).sin()
            });
        }
        if in_bar % 2 == 1 {
            add(t, 0.15, &|u, i| {
                0.7 * (-u * 25.0).exp() * (f64::from(noise[i]) + (std::f64::consts::TAU * 180.0 * u).sin())
            });
        }
        if style == Style::Band {
            let chord = BAND_CHORDS[(k / 4) % 4];
            for half in [0.0, 0.5] {
                add(t + half * beat, 0.45 * beat, &|u, _| 0.3 * (-u * 3.0).exp() * tone(chord[0] - 24.0, u));
            }
            if in_bar == 0 {
                for note in chord {
                    add(t, 3.9 * beat, &|u, _| 0.08 * tone(note, u));
                }
            }
        } else if in_bar == 0 {
            // The bar's bass note.
            add(t, 0.4, &|u, _| 0.5 * (-u * 4.0).exp() * (std::f64::consts::TAU * 41.2 * u).sin());
        }
        let noise = &noise;
        let hat = |level: f64, decay: f64| {
            move |u: f64, i: usize| {
                let hp = f64::from(noise[i]) - f64::from(noise[i.saturating_sub(1)]);
                level * (-u * decay).exp() * hp
            }
        };
        match style {
            Style::Rock | Style::Band => {
                add(t, 0.03, &hat(0.1, 150.0));
                add(t + 0.5 * beat, 0.03, &hat(0.1, 150.0));
            }
            Style::House => add(t + 0.5 * beat, 0.2, &hat(0.35, 20.0)),
        }
        k += 1;
    }
    (x, beats)
}

#[test]
fn tempo_beats_and_downbeats_from_60_to_200_bpm() {
    let tempos: Vec<f64> = (60..=200).step_by(5).map(f64::from).chain([87.5, 128.0, 174.0, 133.3]).collect();
    let (mut worst_bpm, mut worst_beat, mut downbeats_right) = (0.0f64, 0.0f64, 0);
    for (i, &bpm) in tempos.iter().enumerate() {
        let (x, truth) = drum_pattern(bpm, 16.0, 0.37);
        // The tempo octave's lower end somewhere below the tempo: at 0.55×
        // it holds two thirds of the tempo (three eighth notes), at 0.7× four thirds.
        let min_bpm = bpm * [0.55, 0.7, 0.95][i % 3];
        let t = detect(&x, min_bpm).expect("a tempo");
        let error = (t.bpm - bpm).abs();
        worst_bpm = worst_bpm.max(error);
        assert!(error < 0.5, "{bpm} BPM read as {} ({t:?})", t.bpm);
        // Every true beat after the first second has a detected beat nearby.
        for b in truth.iter().filter(|b| **b > 1.0) {
            let nearest = t.beats_s.iter().map(|d| (d - b).abs()).fold(f64::INFINITY, f64::min);
            worst_beat = worst_beat.max(nearest);
        }
        let bar = 4.0 * 60.0 / bpm;
        let on_bar = t.downbeats_s.iter().all(|d| {
            let r = ((d - 0.37) / bar).rem_euclid(1.0);
            r.min(1.0 - r) * bar < 0.03
        });
        downbeats_right += usize::from(on_bar);
        if !on_bar {
            println!("{bpm} BPM: downbeats {:?}", &t.downbeats_s[..3]);
        }
    }
    println!(
        "{} tempos 60-200 BPM: worst tempo error {worst_bpm:.3} BPM, worst beat offset {:.1} ms, downbeats right in {downbeats_right}/{}",
        tempos.len(),
        1000.0 * worst_beat,
        tempos.len()
    );
    assert!(worst_beat < 0.025, "beats off by up to {worst_beat} s");
    assert_eq!(downbeats_right, tempos.len());
}

#[test]
fn loud_off_beat_hats_do_not_shift_the_beat() {
    for bpm in [118.0, 124.0, 128.0, 132.0] {
        let (x, truth) = styled_pattern(Style::House, bpm, 16.0, 0.21);
        let t = detect(&x, DEFAULT_MIN_BPM).expect("a tempo");
        assert!((t.bpm - bpm).abs() < 0.1, "{bpm} BPM read as {}", t.bpm);
        for b in truth.iter().filter(|b| **b > 1.0) {
            let nearest = t.beats_s.iter().map(|d| (d - b).abs()).fold(f64::INFINITY, f64::min);
            assert!(nearest < 0.025, "{bpm} BPM: beat at {b} s missed by {nearest} s");
        }
        let bar = 4.0 * 60.0 / bpm;
        let r = ((t.downbeats_s[0] - 0.21) / bar).rem_euclid(1.0);
        assert!(r.min(1.0 - r) * bar < 0.03, "{bpm} BPM: downbeats {:?}", &t.downbeats_s[..3]);
    }
}

#[test]
fn chord_changes_mark_the_bar_when_bass_and_kick_do_not() {
    for bpm in [90.0, 110.0, 126.0, 150.0] {
        let lead_in = 0.43;
        let (x, _) = styled_pattern(Style::Band, bpm, 20.0, lead_in);
        let t = detect(&x, DEFAULT_MIN_BPM).expect("a tempo");
        assert!((t.bpm - bpm).abs() < 0.1, "{bpm} BPM read as {}", t.bpm);
        let bar = 4.0 * 60.0 / bpm;
        let r = ((t.downbeats_s[0] - lead_in) / bar).rem_euclid(1.0);
        assert!(r.min(1.0 - r) * bar < 0.03, "{bpm} BPM: downbeats {:?}", &t.downbeats_s[..3]);
    }
}

#[test]
fn noise_and_short_material() {
    let short = drum_pattern(120.0, 3.0, 0.0).0;
    assert_eq!(detect(&short, DEFAULT_MIN_BPM), None);
    let noise = white_noise(0.3, 10 * SR as usize, 5);
    if let Some(t) = detect(&noise, DEFAULT_MIN_BPM) {
        assert!(t.confidence < 0.3, "steady noise has no clear pulse: {t:?}");
    }
}

#[test]
fn four_minutes_with_a_breakdown_stay_on_the_grid() {
    let bpm = 127.0;
    let (mut x, truth) = drum_pattern(bpm, 240.0, 0.11);
    // A 20 s breakdown: only the pad.
    let (from, to) = (100.0, 120.0);
    for (i, v) in x.iter_mut().enumerate().take((to * SR) as usize).skip((from * SR) as usize) {
        *v = 0.03 * (std::f64::consts::TAU * 220.0 * i as f64 / SR).sin() as f32;
    }
    let t = detect(&x, DEFAULT_MIN_BPM).expect("a tempo");
    assert!((t.bpm - bpm).abs() < 0.01, "{bpm} BPM read as {}", t.bpm);
    let worst = truth
        .iter()
        .filter(|b| **b > 1.0 && !(from..to + 1.0).contains(*b))
        .map(|b| t.beats_s.iter().map(|d| (d - b).abs()).fold(f64::INFINITY, f64::min))
        .fold(0.0, f64::max);
    println!("4 min at {bpm} BPM: read {} BPM, worst beat offset {:.1} ms", t.bpm, 1000.0 * worst);
    assert!(worst < 0.015, "beats off by up to {worst} s");
}

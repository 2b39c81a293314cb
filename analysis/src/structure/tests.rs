use super::*;
use crate::chroma::chromagram;
use crate::onset::onsets;
use crate::tempo::{DEFAULT_MIN_BPM, detect_tempo};
use crate::test_signals::white_noise;

const SR: f64 = 22_050.0;
const BAR_S: f64 = 2.0;

/// Triads as MIDI notes (A minor, F, C, G).
const AM: [f64; 3] = [57.0, 60.0, 64.0];
const F: [f64; 3] = [57.0, 60.0, 65.0];
const C: [f64; 3] = [55.0, 60.0, 64.0];
const G: [f64; 3] = [55.0, 59.0, 62.0];

/// One section of the synthesized song.
struct Part {
    bars: usize,
    chords: &'static [[f64; 3]],
    drums: bool,
    lead: bool,
    /// Level of everything, dB.
    gain_db: f64,
}

/// A tone at MIDI pitch `midi`, three harmonics, time `u` seconds.
fn tone(midi: f64, u: f64) -> f64 {
    let f = 440.0 * ((midi - 69.0) / 12.0).exp2();
    (1..=3).map(|h| (std::f64::consts::TAU * f64::from(h) * f * u).sin() / f64::from(h)).sum()
}

/// The song at 120 BPM, four beats to the bar, from `parts`.
fn song(parts: &[Part]) -> Vec<f32> {
    let bars: usize = parts.iter().map(|p| p.bars).sum();
    let n = (bars as f64 * BAR_S * SR) as usize;
    let noise = white_noise(1.0, n, 7);
    let mut x = vec![0.0f32; n];
    let mut add = |start_s: f64, len_s: f64, gain: f64, f: &dyn Fn(f64, usize) -> f64| {
        let first = (start_s * SR) as usize;
        for i in 0..(len_s * SR) as usize {
            if let Some(v) = x.get_mut(first + i) {
                *v += (gain * f(i as f64 / SR, first + i)) as f32;
            }
        }
    };
    let mut bar = 0;
    for part in parts {
        let gain = 10f64.powf(part.gain_db / 20.0);
        for k in 0..part.bars {
            let t0 = bar as f64 * BAR_S;
            let chord = part.chords[k % part.chords.len()];
            for note in chord {
                add(t0, BAR_S, gain, &|u, _| 0.05 * tone(note, u));
            }
            if part.drums {
                for beat in 0..4 {
                    let t = t0 + beat as f64 * 0.5;
                    if beat % 2 == 0 {
                        add(t, 0.25, gain, &|u, _| {
                            0.7 * (-u * 18.0).exp()
                                * (std::f64::consts::TAU * (50.0 * u + 2.3 * (1.0 - (-u * 30.0).exp()))).sin()
                        });
                    } else {
                        add(t, 0.15, gain, &|u, i| 0.4 * (-u * 25.0).exp() * f64::from(noise[i]));
                    }
                    for half in [0.0, 0.25] {
                        add(t + half, 0.03, gain, &|u, i| 0.1 * (-u * 150.0).exp() * f64::from(noise[i]));
                        add(t + half, 0.22, gain, &|u, _| 0.15 * (-u * 6.0).exp() * tone(chord[0] - 24.0, u));
                    }
                }
            }
            if part.lead {
                for (e, note) in
                    chord.iter().chain(chord.iter().rev()).chain(chord.iter()).chain(&chord[..2]).enumerate()
                {
                    add(t0 + e as f64 * 0.25, 0.24, gain, &|u, _| 0.08 * (-u * 3.0).exp() * tone(note + 12.0, u));
                }
            }
            bar += 1;
        }
    }
    x
}

#[test]
fn a_pop_song_in_eight_sections() {
    let verse = || Part { bars: 8, chords: &[AM, F, C, G], drums: true, lead: false, gain_db: -3.0 };
    let chorus = || Part { bars: 8, chords: &[F, G, C, AM], drums: true, lead: true, gain_db: 0.0 };
    let parts = [
        Part { bars: 4, chords: &[AM], drums: false, lead: false, gain_db: -6.0 },
        verse(),
        chorus(),
        verse(),
        chorus(),
        Part { bars: 4, chords: &[F, G], drums: false, lead: false, gain_db: -6.0 },
        chorus(),
        Part { bars: 4, chords: &[AM], drums: false, lead: false, gain_db: -9.0 },
    ];
    let x = song(&parts);
    let chroma = chromagram(&x, SR);
    let tempo = detect_tempo(&onsets(&x, SR), &chroma, DEFAULT_MIN_BPM);
    let found = detect_structure(&chroma, tempo.as_ref(), x.len() as f64 / SR);
    let summary: Vec<String> = found
        .iter()
        .map(|s| format!("{:.1}-{:.1} {:?} {} {:+.1} dB", s.start_s, s.end_s, s.label, s.group, s.level_db))
        .collect();
    println!("{}", summary.join("\n"));
    let mut bar = 0;
    let truth: Vec<f64> = parts
        .iter()
        .map(|p| {
            bar += p.bars;
            (bar - p.bars) as f64 * BAR_S
        })
        .collect();
    assert_eq!(found.len(), truth.len(), "{summary:#?}");
    for (s, t) in found.iter().zip(&truth) {
        assert!((s.start_s - t).abs() < 0.1, "section at {t} s found at {} s: {summary:#?}", s.start_s);
    }
    use SectionLabel::*;
    let labels: Vec<SectionLabel> = found.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Intro, Verse, Chorus, Verse, Chorus, Breakdown, Chorus, Outro], "{summary:#?}");
    assert_eq!(found[1].group, found[3].group);
    assert_eq!(found[2].group, found[6].group);
    assert_ne!(found[1].group, found[2].group);
}

#[test]
fn a_dance_track_drops_after_its_breakdowns() {
    let drop = || Part { bars: 8, chords: &[AM, F], drums: true, lead: true, gain_db: 0.0 };
    let breakdown = || Part { bars: 4, chords: &[AM, F], drums: false, lead: false, gain_db: -14.0 };
    let parts = [breakdown(), drop(), breakdown(), drop()];
    let x = song(&parts);
    let chroma = chromagram(&x, SR);
    let tempo = detect_tempo(&onsets(&x, SR), &chroma, DEFAULT_MIN_BPM);
    let found = detect_structure(&chroma, tempo.as_ref(), x.len() as f64 / SR);
    let labels: Vec<SectionLabel> = found.iter().map(|s| s.label).collect();
    use SectionLabel::*;
    assert_eq!(labels, [Intro, Drop, Breakdown, Drop], "{found:#?}");
}

#[test]
fn short_material_has_no_structure() {
    let x = vec![0.0f32; (SR * 5.0) as usize];
    assert!(detect_structure(&chromagram(&x, SR), None, 5.0).is_empty());
}

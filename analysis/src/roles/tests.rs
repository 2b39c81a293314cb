use super::*;
use crate::test_signals::white_noise;
use crate::{AnalysisOptions, analyze};

#[test]
fn roles_from_names_as_engineers_write_them() {
    let table: &[(&str, Option<Role>)] = &[
        ("Lead Vox.wav", Some(Role::Lead)),
        ("01_LeadVocal_comp.wav", Some(Role::Lead)),
        ("vocals.flac", Some(Role::Lead)),
        ("lead.wav", Some(Role::Lead)),
        ("Lead Vox DBL.wav", Some(Role::Double)),
        ("vox_double_L.wav", Some(Role::Double)),
        ("BGV 1.wav", Some(Role::Harmony)),
        ("harmonies_hi.wav", Some(Role::Harmony)),
        ("Backing Vocals.aif", Some(Role::Harmony)),
        ("adlibs.wav", Some(Role::Adlib)),
        ("Vox Adlib 2.wav", Some(Role::Adlib)),
        ("beat.wav", Some(Role::Beat)),
        ("Instrumental.mp3", Some(Role::Beat)),
        ("drums.wav", Some(Role::Drums)),
        ("Drum Bus.wav", Some(Role::Drums)),
        ("Kick In.wav", Some(Role::Kick)),
        ("kick drum.wav", Some(Role::Kick)),
        ("Bass Drum.wav", Some(Role::Kick)),
        ("BD_01.wav", Some(Role::Kick)),
        ("Snare Top.wav", Some(Role::Snare)),
        ("clap.wav", Some(Role::Snare)),
        ("HH.wav", Some(Role::Hats)),
        ("hihat_open.wav", Some(Role::Hats)),
        ("Overheads.wav", Some(Role::Hats)),
        ("shaker.wav", Some(Role::Percussion)),
        ("Toms.wav", Some(Role::Percussion)),
        ("bass.wav", Some(Role::Bass)),
        ("Bass DI.wav", Some(Role::Bass)),
        ("808.wav", Some(Role::Bass)),
        ("Sub Bass.wav", Some(Role::Bass)),
        ("SynthBass.wav", Some(Role::Bass)),
        ("keys.wav", Some(Role::Keys)),
        ("Rhodes.wav", Some(Role::Keys)),
        ("piano_L.wav", Some(Role::Keys)),
        ("Gtr 2.wav", Some(Role::Guitar)),
        ("guitars.wav", Some(Role::Guitar)),
        ("Acoustic.wav", Some(Role::Guitar)),
        ("pads.wav", Some(Role::Pads)),
        ("Synth Pad.wav", Some(Role::Pads)),
        ("Atmos.wav", Some(Role::Pads)),
        ("strings.wav", Some(Role::Strings)),
        ("Horns.wav", Some(Role::Brass)),
        ("lead synth.wav", Some(Role::Synth)),
        ("Arp.wav", Some(Role::Synth)),
        ("chords.wav", Some(Role::Synth)),
        ("Riser FX.wav", Some(Role::Fx)),
        ("sfx.wav", Some(Role::Fx)),
        ("/home/me/session/Audio Files/Gtr 1.wav", Some(Role::Guitar)),
        ("track 7.wav", None),
        ("Audio 1_03.wav", None),
        ("final.wav", None),
    ];
    let wrong: Vec<String> = table
        .iter()
        .filter(|(name, want)| role_from_name(name) != *want)
        .map(|(name, want)| format!("{name}: {:?}, want {want:?}", role_from_name(name)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

const SR: u32 = 44_100;

/// `seconds` of audio from `f(t, noise)` per sample, as (left, right).
fn stem(seconds: f64, f: impl Fn(f64, f32, f32) -> (f64, f64)) -> Vec<Vec<f32>> {
    let n = (seconds * f64::from(SR)) as usize;
    let (a, b) = (white_noise(1.0, n, 3), white_noise(1.0, n, 4));
    let (left, right): (Vec<f32>, Vec<f32>) = (0..n)
        .map(|i| {
            let (l, r) = f(i as f64 / f64::from(SR), a[i], b[i]);
            (l as f32, r as f32)
        })
        .unzip();
    vec![left, right]
}

fn sine(hz: f64, t: f64) -> f64 {
    (std::f64::consts::TAU * hz * t).sin()
}

fn role_of(channels: &[Vec<f32>]) -> Role {
    role_from_audio(&analyze(channels, SR, &AnalysisOptions::default(), &mut |_| {}).expect("analysis"))
}

#[test]
fn roles_from_the_sound_when_the_name_says_nothing() {
    let beat = 0.5;
    // A kick every beat: a decaying 55 Hz thump.
    let kick = stem(8.0, |t, _, _| {
        let u = t % beat;
        let v = 0.8 * (-u * 20.0).exp() * sine(55.0, u);
        (v, v)
    });
    assert_eq!(role_of(&kick), Role::Kick);
    // A bass line: sustained low notes, A1 then D2.
    let bass = stem(8.0, |t, _, _| {
        let f = if ((t / 2.0) as usize).is_multiple_of(2) { 55.0 } else { 73.4 };
        let v = 0.4 * (sine(f, t) + 0.3 * sine(2.0 * f, t));
        (v, v)
    });
    assert_eq!(role_of(&bass), Role::Bass);
    // Hats: short bursts of high-passed noise on every eighth.
    let hats = stem(8.0, |t, a, _| {
        let u = t % (beat / 2.0);
        let v = 0.3 * (-u * 80.0).exp() * f64::from(a);
        (v, v)
    });
    let hats_hp: Vec<Vec<f32>> =
        hats.iter().map(|c| c.windows(2).map(|w| w[1] - w[0]).chain([0.0]).collect()).collect();
    assert_eq!(role_of(&hats_hp), Role::Hats);
    // A wide, sustained C major chord.
    let pad = stem(8.0, |t, _, _| {
        let chord = |d: f64| [261.63, 329.63, 392.0].iter().map(|f| sine(f * d, t)).sum::<f64>() * 0.1;
        (chord(1.0), chord(1.003))
    });
    assert_eq!(role_of(&pad), Role::Pads);
    // All four with a snare (broadband noise bursts on the backbeat): a
    // full beat.
    let snare = stem(8.0, |t, a, _| {
        let u = (t + beat) % (2.0 * beat);
        let v = 0.8 * (-u * 30.0).exp() * f64::from(a);
        (v, v)
    });
    let sum: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..kick[0].len())
                .map(|i| kick[c][i] + 0.5 * bass[c][i] + hats_hp[c][i] + pad[c][i] + snare[c][i])
                .collect()
        })
        .collect();
    assert_eq!(role_of(&sum), Role::Beat);
}

#[test]
fn the_name_wins_over_the_sound() {
    let silence = vec![vec![0.0f32; SR as usize * 2]; 2];
    let a = analyze(&silence, SR, &AnalysisOptions::default(), &mut |_| {}).expect("analysis");
    assert_eq!(detect_role("Kick.wav", &a), RoleGuess { role: Role::Kick, source: RoleSource::Name });
    assert_eq!(detect_role("take 3.wav", &a).source, RoleSource::Audio);
}

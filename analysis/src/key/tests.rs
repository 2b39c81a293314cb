use super::*;
use crate::chroma::chromagram;

const SR: f64 = 44_100.0;

/// A note with six harmonics (amplitudes 1/h) and a gentle decay.
fn add_note(x: &mut [f32], midi: f64, start: usize, len: usize, level: f64) {
    let f = 440.0 * ((midi - 69.0) / 12.0).exp2();
    for (i, v) in x[start..start + len].iter_mut().enumerate() {
        let t = i as f64 / SR;
        let tone: f64 = (1..=6)
            .filter(|h| f64::from(*h) * f < 0.45 * SR)
            .map(|h| (std::f64::consts::TAU * f64::from(h) * f * t).sin() / f64::from(h))
            .sum();
        *v += (level * (-t * 1.5).exp() * tone) as f32;
    }
}

/// I–IV–V–I (major) or i–iv–V–i (minor, with the leading tone) in the key
/// on `tonic`, one chord a second, triads from middle C up over a bass root.
fn cadence(tonic: u8, mode: Mode) -> Vec<f32> {
    let third = if mode == Mode::Major { 4.0 } else { 3.0 };
    let chords = [[0.0, third, 7.0], [5.0, 5.0 + third, 12.0], [7.0, 11.0, 14.0], [0.0, third, 7.0]];
    let second = SR as usize;
    let mut x = vec![0.0f32; second * chords.len()];
    for (k, chord) in chords.iter().enumerate() {
        let root = 60.0 + f64::from(tonic);
        for interval in chord {
            add_note(&mut x, root + interval, k * second, second, 0.1);
        }
        add_note(&mut x, root - 24.0 + chord[0], k * second, second, 0.2);
    }
    x
}

#[test]
fn cadences_in_all_24_keys() {
    let mut worst_margin = f64::INFINITY;
    for tonic in 0..12u8 {
        for mode in [Mode::Major, Mode::Minor] {
            let key = detect_key(&chromagram(&cadence(tonic, mode), SR)).expect("a key");
            assert_eq!(key.name, key_name(tonic, mode), "{key:?}");
            assert!((key.chroma.iter().sum::<f64>() - 1.0).abs() < 1e-3);
            worst_margin = worst_margin.min(key.margin);
        }
    }
    println!("24 keys right, smallest margin over the runner-up {worst_margin:.3}");
    assert!(worst_margin > 0.02, "keys barely told apart: margin {worst_margin}");
}

#[test]
fn camelot_codes() {
    assert_eq!(camelot(0, Mode::Major), "8B");
    assert_eq!(camelot(9, Mode::Minor), "8A");
    assert_eq!(camelot(7, Mode::Major), "9B");
    assert_eq!(camelot(11, Mode::Major), "1B");
    assert_eq!(camelot(8, Mode::Minor), "1A");
    assert_eq!(camelot(4, Mode::Major), "12B");
    assert_eq!(camelot(1, Mode::Minor), "12A");
    assert_eq!(camelot(3, Mode::Minor), "2A");
    let mut all: Vec<String> = (0..12).flat_map(|t| [camelot(t, Mode::Major), camelot(t, Mode::Minor)]).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 24, "every key has its own code");
    assert_eq!(key_name(3, Mode::Major), "Eb major");
    assert_eq!(key_name(1, Mode::Minor), "C# minor");
}

#[test]
fn silence_has_no_key() {
    assert_eq!(detect_key(&chromagram(&vec![0.0; 44_100], SR)), None);
}

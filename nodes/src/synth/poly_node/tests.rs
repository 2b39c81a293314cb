//! Tests of `synth.poly`: pitch, envelope times, polyphony and stealing,
//! the sustain pedal, and real-time hygiene.

use mixgraph_graph::builtin::{NoteInputNode, OutputNode};
use mixgraph_graph::{Engine, Executor, Graph, NoteEvent, NoteEventKind, StreamInfo};

const SR: f64 = 48_000.0;

fn synth(params: &[(&str, f32)], voices: usize) -> (Engine, Executor) {
    let mut g = Graph::new();
    g.add_node("notes", Box::new(NoteInputNode)).unwrap();
    let node = crate::registry().create("synth.poly", &serde_json::json!({ "voices": voices })).unwrap();
    g.add_node("synth", node).unwrap();
    g.add_node("out", Box::new(OutputNode::new(2))).unwrap();
    g.connect("notes", "synth").unwrap();
    g.connect("synth", "out").unwrap();
    for (id, v) in params {
        g.set_param(&format!("synth.{id}"), *v).unwrap();
    }
    Engine::new(g, StreamInfo::new(SR, 512)).unwrap()
}

fn on(frame: u32, note: u8, velocity: f32) -> NoteEvent {
    NoteEvent { frame, kind: NoteEventKind::NoteOn { channel: 0, note, velocity } }
}

fn off(frame: u32, note: u8) -> NoteEvent {
    NoteEvent { frame, kind: NoteEventKind::NoteOff { channel: 0, note } }
}

fn cc(frame: u32, cc: u8, value: f32) -> NoteEvent {
    NoteEvent { frame, kind: NoteEventKind::Controller { channel: 0, cc, value } }
}

/// Renders `frames` with `events` (frames absolute), in blocks of 512.
fn play(ex: &mut Executor, events: &[NoteEvent], frames: usize) -> [Vec<f32>; 2] {
    let (mut l, mut r) = (vec![0.0; frames], vec![0.0; frames]);
    let mut pos = 0;
    while pos < frames {
        let n = 512.min(frames - pos);
        let block: Vec<NoteEvent> = events
            .iter()
            .filter(|e| (pos..pos + n).contains(&(e.frame as usize)))
            .map(|e| NoteEvent { frame: e.frame - pos as u32, ..*e })
            .collect();
        ex.process_with_events(&[], &[&block], &mut [&mut l[pos..pos + n], &mut r[pos..pos + n]], n);
        pos += n;
    }
    [l, r]
}

/// Plain sine voice: no detune, filter open, no envelope on the filter.
const PURE: &[(&str, f32)] = &[
    ("waveform", 3.0),
    ("detune_cents", 0.0),
    ("cutoff_hz", 20_000.0),
    ("env_octaves", 0.0),
    ("resonance", 0.0),
    ("sustain", 1.0),
    ("gain_db", 0.0),
    ("velocity", 0.0),
    ("spread", 0.0),
];

/// Goertzel power of `x` at `hz`, as an amplitude.
fn amplitude_at(x: &[f32], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / SR;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for v in x {
        let s = f64::from(*v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    2.0 * (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2).sqrt() / x.len() as f64
}

#[test]
fn a4_sounds_at_440_hz_with_unit_amplitude() {
    let (_, mut ex) = synth(PURE, 8);
    let out = play(&mut ex, &[on(0, 69, 1.0)], 48_000);
    // Zero crossings (rising) over the last 0.5 s.
    let tail = &out[0][24_000..];
    let rising = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    let hz = rising as f64 / 0.5;
    let peak = tail.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!("A4: {hz} Hz from zero crossings, peak {peak:.4}, Goertzel amplitude {:.4}", amplitude_at(tail, 440.0));
    assert!((hz - 440.0).abs() <= 2.0, "{hz}");
    assert!((amplitude_at(tail, 440.0) - 1.0).abs() < 0.01);
    assert!((amplitude_at(tail, 442.0) / amplitude_at(tail, 440.0)) < 0.05, "pure pitch");
    assert_eq!(out[0], out[1], "spread 0: centred");
    // Middle C two octaves down: 261.63 Hz.
    let (_, mut ex) = synth(PURE, 8);
    let c4 = play(&mut ex, &[on(0, 60, 1.0)], 48_000);
    let ratio = amplitude_at(&c4[0][24_000..], 261.626) / amplitude_at(&c4[0][24_000..], 440.0).max(1e-9);
    assert!(ratio > 100.0, "C4 is at 261.63 Hz: {ratio}");
}

#[test]
fn attack_decay_and_release_take_their_stated_times() {
    let mut params = PURE.to_vec();
    params.extend([("attack_ms", 50.0), ("decay_ms", 200.0), ("sustain", 0.25), ("release_ms", 500.0)]);
    let (_, mut ex) = synth(&params, 8);
    // Note on at 0, off at 0.5 s.
    let out = play(&mut ex, &[on(0, 69, 1.0), off(24_000, 69)], 72_000);
    // 25 ms windows: exactly 11 periods of 440 Hz, so no leakage.
    let level = |from: usize| amplitude_at(&out[0][from..from + 1_200], 440.0);
    let (late_attack, sustain, mid_release) = (level(1_200), level(20_000), level(24_000 + 12_000 - 600));
    println!(
        "attack: {:.3} over 25-50 ms; sustain {sustain:.3}; 250 ms into a 500 ms release {:.1} dB",
        late_attack,
        20.0 * (mid_release / sustain).log10()
    );
    // Linear attack: 25-50 ms of a 50 ms ramp average 0.75 of full level.
    assert!((late_attack - 0.75).abs() < 0.01, "{late_attack}");
    // 367 ms into a 200 ms (60 dB) decay: within 0.003 of the sustain level.
    assert!((sustain - 0.25).abs() < 0.004, "{sustain}");
    // Release: −60 dB over 500 ms, so −30 dB half way (±1 dB).
    assert!((20.0 * (mid_release / sustain).log10() + 30.0).abs() < 1.0);
    // And silence once 60 dB down: exactly zero.
    assert!(out[0][24_000 + 26_000..].iter().all(|v| *v == 0.0), "the voice stops after its release");
}

#[test]
fn chords_steal_the_oldest_voice_and_the_pedal_holds_notes() {
    let (_, mut ex) = synth(PURE, 2);
    // Three notes on two voices: A4 (stolen), C5, E5.
    let out = play(&mut ex, &[on(0, 69, 1.0), on(100, 72, 1.0), on(200, 76, 1.0)], 24_000);
    let tail = &out[0][12_000..];
    let (a, c, e) = (amplitude_at(tail, 440.0), amplitude_at(tail, 523.25), amplitude_at(tail, 659.26));
    println!("two voices, three notes: A4 {a:.3}, C5 {c:.3}, E5 {e:.3}");
    assert!(a < 0.03 && c > 0.95 && e > 0.95, "the oldest (A4) was stolen");

    let mut params = PURE.to_vec();
    params.push(("release_ms", 50.0));
    let (_, mut ex) = synth(&params, 4);
    // Pedal down, note on and off: it keeps sounding until the pedal lifts.
    let out = play(&mut ex, &[cc(0, 64, 1.0), on(0, 69, 1.0), off(4_800, 69), cc(24_000, 64, 0.0)], 36_000);
    let held = amplitude_at(&out[0][19_200..24_000], 440.0);
    let after = out[0][24_000 + 4_800..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!("pedal: {held:.3} while held, peak {after:.1e} 100 ms after it lifts");
    assert!(held > 0.95 && after == 0.0);
}

#[test]
fn silence_without_notes_and_finite_output_at_extremes() {
    let (_, mut ex) = synth(&[], 8);
    let quiet = play(&mut ex, &[], 4_800);
    assert!(quiet.iter().flatten().all(|v| *v == 0.0));
    let extreme =
        [("resonance", 1.0), ("cutoff_hz", 20.0), ("env_octaves", 8.0), ("attack_ms", 0.5), ("gain_db", 12.0)];
    let (_, mut ex) = synth(&extreme, 32);
    let notes: Vec<NoteEvent> = (0..64).map(|i| on(i * 7, (i % 128) as u8, 1.0)).collect();
    let out = play(&mut ex, &notes, 48_000);
    assert!(out.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()));
}

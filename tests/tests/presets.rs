//! Every file under presets/ loads, compiles, renders, and round-trips
//! through the graph-file writer.

use mixgraph_graph::{StreamInfo, file};
use mixgraph_tests::{engine, load, noise, preset_files, render};

#[test]
fn every_preset_loads_compiles_and_renders() {
    let files = preset_files();
    assert!(files.len() >= 3, "presets found: {files:?}");
    for path in files {
        let graph = load(&path);
        file::check(&graph, &path.display().to_string(), &StreamInfo::new(48_000.0, 512)).unwrap();
        assert!(!graph.description.is_empty(), "{}: presets document their intent", path.display());
        let (engine, mut ex) = engine(graph, 512);
        let out = if engine.report().event_inputs.is_empty() {
            render(&engine, &mut ex, 96_000, 512, |ch| noise(96_000, 0.25, ch as u64 + 1))
        } else {
            play_chord(&engine, &mut ex, 96_000)
        };
        assert!(!out.is_empty(), "{}: no outputs", path.display());
        for ch in &out {
            assert!(ch.iter().all(|v| v.is_finite()), "{}: non-finite output", path.display());
            let rms = (ch.iter().map(|v| v * v).sum::<f32>() / ch.len() as f32).sqrt();
            assert!(rms > 1e-3, "{}: output is silent", path.display());
        }
    }
}

/// An instrument preset's output for a C major chord held for the first
/// half of `frames`, played into every note input.
fn play_chord(engine: &mixgraph_graph::Engine, ex: &mut mixgraph_graph::Executor, frames: usize) -> Vec<Vec<f32>> {
    use mixgraph_graph::{NoteEvent, NoteEventKind};
    let channels: usize = engine.report().outputs.iter().map(|p| p.channels).sum();
    let mut out = vec![vec![0.0f32; frames]; channels];
    let chord = |on: bool| -> Vec<NoteEvent> {
        [60u8, 64, 67]
            .iter()
            .map(|&note| NoteEvent {
                frame: 0,
                kind: if on {
                    NoteEventKind::NoteOn { channel: 0, note, velocity: 0.8 }
                } else {
                    NoteEventKind::NoteOff { channel: 0, note }
                },
            })
            .collect()
    };
    let (on, off) = (chord(true), chord(false));
    let inputs = engine.report().event_inputs.len();
    for start in (0..frames).step_by(512) {
        let n = 512.min(frames - start);
        let events: &[NoteEvent] = if start == 0 {
            &on
        } else if start == frames / 2 / 512 * 512 {
            &off
        } else {
            &[]
        };
        let lists = vec![events; inputs];
        let mut outs: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[start..start + n]).collect();
        ex.process_with_events(&[], &lists, &mut outs, n);
    }
    out
}

#[test]
fn presets_round_trip_through_the_writer() {
    let registry = mixgraph_nodes::registry();
    for path in preset_files() {
        let graph = load(&path);
        let written = serde_json::to_string_pretty(&file::to_file(&graph)).unwrap();
        let again = file::load_str(&written, "rewritten", &registry).unwrap();
        assert_eq!(file::to_file(&again), file::to_file(&graph), "{}", path.display());
        let (e1, mut x1) = engine(graph, 256);
        let (e2, mut x2) = engine(again, 256);
        let a = render(&e1, &mut x1, 24_000, 256, |ch| noise(24_000, 0.5, ch as u64));
        let b = render(&e2, &mut x2, 24_000, 256, |ch| noise(24_000, 0.5, ch as u64));
        assert_eq!(a, b, "{}: rewritten graph renders the same bits", path.display());
    }
}

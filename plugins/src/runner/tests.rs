//! Tests of the graph runner: bus mapping, macros, bypass, latency, and
//! real-time safety of the process path.

use super::*;
use mixgraph_tests::alloc_counter::{CountingAllocator, count as allocations};
use mixgraph_tests::noise;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const SR: f64 = 48_000.0;

/// Runs `runner` over stereo `left`/`right` in blocks of `blocks` (cycled).
fn run(
    runner: &mut GraphRunner,
    input: [&[f32]; 2],
    sidechain: Option<[&[f32]; 2]>,
    blocks: &[usize],
    bypass: bool,
) -> [Vec<f32>; 2] {
    let (mut l, mut r) = (input[0].to_vec(), input[1].to_vec());
    let (mut sl, mut sr) = sidechain.map_or((Vec::new(), Vec::new()), |s| (s[0].to_vec(), s[1].to_vec()));
    let mut pos = 0;
    let mut k = 0;
    while pos < l.len() {
        let n = blocks[k % blocks.len()].min(l.len() - pos);
        let mut main: [&mut [f32]; 2] = [&mut l[pos..pos + n], &mut r[pos..pos + n]];
        if sidechain.is_some() {
            let sc: [&mut [f32]; 2] = [&mut sl[pos..pos + n], &mut sr[pos..pos + n]];
            runner.process(&mut main, Some(&sc), &[], n, bypass);
        } else {
            runner.process(&mut main, None, &[], n, bypass);
        }
        pos += n;
        k += 1;
    }
    [l, r]
}

const GAIN_GRAPH: &str = r#"{"format": "mixgraph/1", "nodes": [
    {"id": "in", "type": "io.input", "config": {"channels": 2}},
    {"id": "sidechain", "type": "io.input", "config": {"channels": 2}},
    {"id": "g", "type": "util.gain"},
    {"id": "sum", "type": "util.mix", "config": {"inputs": 2, "channels": 2}},
    {"id": "out", "type": "io.output", "config": {"channels": 2}}],
  "edges": [{"from": "in.out", "to": "g.in"}, {"from": "g.out", "to": "sum.in1"},
            {"from": "sidechain.out", "to": "sum.in2"}, {"from": "sum.out", "to": "out.in"}],
  "macros": [{"name": "Level", "default": 1, "targets": [{"param": "g.gain_db", "min": -60, "max": 0}]}]}"#;

#[test]
fn main_and_sidechain_reach_their_inputs_and_macros_move_parameters() {
    let mut runner = GraphRunner::new(GAIN_GRAPH, "gain.json", SR, 256, 2).unwrap();
    assert_eq!(runner.latency(), 0);
    let x = vec![0.5f32; 4800];
    let sc = vec![0.25f32; 4800];
    let out = run(&mut runner, [&x, &x], Some([&sc, &sc]), &[256], false);
    assert!((out[0][4799] - 0.75).abs() < 1e-6, "main + sidechain: {}", out[0][4799]);
    // Macro at 0.5: −30 dB; after the 10 ms gain smoothing the output settles.
    runner.set_macro(0, 0.5);
    let out = run(&mut runner, [&x, &x], None, &[256], false);
    let want = 0.5 * 10f32.powf(-30.0 / 20.0);
    assert!((out[1][4799] - want).abs() < 1e-5, "{} vs {want}", out[1][4799]);
    assert_eq!(runner.engine().graph().param("g.gain_db"), Some(-30.0));
}

#[test]
fn bypass_plays_the_input_delayed_by_the_latency_and_fades() {
    let graph = r#"{"format": "mixgraph/1", "nodes": [
        {"id": "in", "type": "io.input", "config": {"channels": 2}},
        {"id": "lim", "type": "dynamics.limiter", "params": {"lookahead_ms": 5}},
        {"id": "out", "type": "io.output", "config": {"channels": 2}}],
      "edges": [{"from": "in.out", "to": "lim.in"}, {"from": "lim.out", "to": "out.in"}]}"#;
    let mut runner = GraphRunner::new(graph, "lim.json", SR, 512, 2).unwrap();
    let latency = runner.latency() as usize;
    assert!(latency >= 240, "lookahead 5 ms: {latency}");
    let x = noise(9600, 0.25, 5);
    // Start bypassed: the fade begins at the current mix (0), so skip 10 ms.
    let out = run(&mut runner, [&x, &x], None, &[512, 33, 100], true);
    let fade = (0.01 * SR) as usize;
    for i in fade + latency..x.len() {
        assert_eq!(out[0][i], x[i - latency], "frame {i}");
    }
}

#[test]
fn the_process_path_allocates_nothing() {
    let mut runner = GraphRunner::new(crate::DEFAULT_EFFECT_GRAPH, "effect.json", SR, 512, 2).unwrap();
    let notes: Vec<NoteEvent> = (0..16)
        .map(|i| NoteEvent {
            frame: i,
            kind: mixgraph_graph::NoteEventKind::NoteOn { channel: 0, note: 60, velocity: 1.0 },
        })
        .collect();
    let x = noise(512, 0.25, 9);
    let (mut l, mut r) = (x.clone(), x.clone());
    let (mut sl, mut sr) = (x.clone(), x.clone());
    let n = allocations(|| {
        for (k, frames) in [512usize, 1, 64, 511, 7, 512].into_iter().enumerate() {
            runner.set_macro(k % 8, 0.1 * k as f32);
            let mut main: [&mut [f32]; 2] = [&mut l[..frames], &mut r[..frames]];
            let sc: [&mut [f32]; 2] = [&mut sl[..frames], &mut sr[..frames]];
            runner.process(&mut main, Some(&sc), &notes, frames, k == 3);
        }
        runner.reset();
    });
    assert_eq!(n, 0, "allocations on the audio path");
    assert!(l.iter().all(|v| v.is_finite()));
}

#[test]
fn bad_graphs_and_macros_get_clear_errors() {
    let err = GraphRunner::new("{", "broken.json", SR, 512, 2).err().unwrap().to_string();
    assert!(err.starts_with("broken.json: invalid JSON"), "{err}");
    let structural = GAIN_GRAPH.replace(
        r#""g", "type": "util.gain"}"#,
        r#""g", "type": "util.gain"}, {"id": "lim", "type": "dynamics.limiter"}"#,
    );
    assert!(GraphRunner::new(&structural, "x.json", SR, 512, 2).is_ok());
}

#[test]
fn notes_reach_the_instrument_graph_without_allocating() {
    let mut runner = GraphRunner::new(crate::DEFAULT_INSTRUMENT_GRAPH, "instrument.json", SR, 512, 2).unwrap();
    let note = |frame, velocity| NoteEvent {
        frame,
        kind: mixgraph_graph::NoteEventKind::NoteOn { channel: 0, note: 57, velocity },
    };
    let notes = [note(100, 0.8), note(700, 0.0)];
    let (mut l, mut r) = (vec![0.0f32; 1024], vec![0.0f32; 1024]);
    let n = allocations(|| {
        for (k, frames) in [1024usize, 1, 64, 1024, 333].into_iter().enumerate() {
            let mut main: [&mut [f32]; 2] = [&mut l[..frames], &mut r[..frames]];
            runner.process(&mut main, None, if k == 0 { &notes } else { &[] }, frames, k == 4);
        }
    });
    assert_eq!(n, 0, "allocations on the audio path");
    // A fresh runner: silence before the note at frame 100 (plus latency), sound after.
    let mut runner = GraphRunner::new(crate::DEFAULT_INSTRUMENT_GRAPH, "instrument.json", SR, 512, 2).unwrap();
    let latency = runner.latency() as usize;
    let (mut l, mut r) = (vec![0.0f32; 9600], vec![0.0f32; 9600]);
    let mut main: [&mut [f32]; 2] = [&mut l, &mut r];
    runner.process(&mut main, None, &notes[..1], 9600, false);
    assert!(l[..100 + latency].iter().all(|v| *v == 0.0), "nothing before the note");
    let peak = l[100 + latency..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak > 0.05, "the note sounds: peak {peak}");
}

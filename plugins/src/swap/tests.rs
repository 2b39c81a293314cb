//! Tests of graph swaps: the crossfade, parameter edits by generation, the
//! latency report, and no allocation or free on the audio side.

use super::*;
use mixgraph_tests::alloc_counter::count as allocations;

const SR: f64 = 48_000.0;

/// A stereo graph: `in` → gain (`gain_db`) → `out`.
fn graph(gain_db: f32) -> String {
    format!(
        r#"{{"format": "mixgraph/1", "nodes": [
            {{"id": "in", "type": "io.input", "config": {{"channels": 2}}}},
            {{"id": "g", "type": "util.gain", "config": {{"channels": 2}}, "params": {{"gain_db": {gain_db}}}}},
            {{"id": "out", "type": "io.output", "config": {{"channels": 2}}}}],
          "edges": [{{"from": "in.out", "to": "g.in"}}, {{"from": "g.out", "to": "out.in"}}]}}"#
    )
}

fn arrival(text: &str, generation: u64) -> Box<Arrival> {
    Box::new(Arrival { runner: GraphRunner::new(text, "swap test", SR, 256, 2).unwrap(), generation })
}

/// Runs `frames` frames of a constant 0.5 through `swap` in 256-frame blocks.
fn run(swap: &mut SwapRunner, frames: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames);
    let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    while out.len() < frames {
        let n = (frames - out.len()).min(256);
        l[..n].fill(0.5);
        r[..n].fill(0.5);
        swap.receive();
        swap.process(&mut [&mut l[..n], &mut r[..n]], None, &[], n, false);
        out.extend_from_slice(&l[..n]);
    }
    out
}

#[test]
fn a_new_graph_fades_in_over_ten_ms_and_reports_its_latency() {
    let (mut sender, mut swap) = channel(*arrival(&graph(0.0), 1), SR, 2, 256);
    let before = run(&mut swap, 4800);
    assert!((before[4799] - 0.5).abs() < 1e-6);
    // −6.02 dB halves the level.
    assert!(sender.send_runner(arrival(&graph(-6.0206), 2)).is_ok());
    let mut l = vec![0.5f32; 256];
    let mut r = vec![0.5f32; 256];
    assert_eq!(swap.receive(), None, "same latency");
    assert_eq!(swap.generation(), 2);
    swap.process(&mut [&mut l, &mut r], None, &[], 256, false);
    assert!(swap.is_fading());
    // Linear fade over 480 frames from 0.5 to 0.25: frame k is at (k+1)/480.
    for k in [0usize, 100, 255] {
        let expected = 0.5 - 0.25 * (k + 1) as f32 / 480.0;
        assert!((l[k] - expected).abs() < 1e-5, "frame {k}: {} vs {expected}", l[k]);
    }
    let after = run(&mut swap, 4800);
    assert!(!swap.is_fading());
    assert!(after.windows(2).all(|w| w[1] <= w[0] + 1e-6), "the fade only falls");
    assert!((after[4799] - 0.25).abs() < 1e-4, "{}", after[4799]);
    assert_eq!(sender.collect_garbage(), 1, "the old runner came back to be dropped");
    // The effect graph's lookahead is reported when it is taken.
    let effect = arrival(crate::DEFAULT_EFFECT_GRAPH, 3);
    let latency = effect.runner.latency();
    assert!(latency > 0);
    assert!(sender.send_runner(effect).is_ok());
    assert_eq!(swap.receive(), Some(latency));
}

#[test]
fn edits_reach_the_running_graph_only_for_its_generation() {
    let first = arrival(&graph(0.0), 7);
    let handle = first.runner.param_handle("g.gain_db").unwrap();
    let (mut sender, mut swap) = channel(*first, SR, 2, 256);
    assert!(sender.send_edit(ParamEdit { generation: 6, handle, value: -60.0 }));
    let out = run(&mut swap, 4800);
    assert!((out[4799] - 0.5).abs() < 1e-6, "a stale edit is ignored");
    assert!(sender.send_edit(ParamEdit { generation: 7, handle, value: -6.0206 }));
    let out = run(&mut swap, 4800);
    assert!((out[4799] - 0.25).abs() < 1e-4, "the edit moved the gain: {}", out[4799]);
    assert!(!swap.is_fading(), "an edit swaps nothing");
}

#[test]
fn swaps_and_edits_neither_allocate_nor_free_on_the_audio_side() {
    let first = arrival(crate::DEFAULT_EFFECT_GRAPH, 1);
    let (mut sender, mut swap) = channel(*first, SR, 2, 256);
    let (mut l, mut r) = (vec![0.25f32; 256], vec![0.25f32; 256]);
    let mut generation = 1;
    for round in 0..3 {
        // Built on this (control) thread, outside the count.
        generation += 1;
        let next = arrival(crate::DEFAULT_EFFECT_GRAPH, generation);
        let handle = next.runner.param_handle("trim.gain_db").unwrap();
        assert!(sender.send_runner(next).is_ok());
        assert!(sender.send_edit(ParamEdit { generation, handle, value: -3.0 * round as f32 }));
        let n = allocations(|| {
            for frames in [256usize, 1, 100, 256] {
                swap.receive();
                swap.process(&mut [&mut l[..frames], &mut r[..frames]], None, &[], frames, false);
            }
            swap.reset();
        });
        assert_eq!(n, 0, "allocations or frees on the audio side in round {round}");
        assert!(sender.collect_garbage() >= 1);
    }
    assert!(l.iter().all(|v| v.is_finite() && !v.is_subnormal()));
}

//! Engine tests with small test nodes: order, latency compensation, fan-in,
//! buffer reuse, cycles, feedback, block-size independence, determinism,
//! real-time safety and live edits.

mod test_nodes;

use crate::builtin::{FeedbackDelayNode, InputNode, OutputNode};
use crate::{CommitError, CompileError, CompileOptions, Engine, Executor, Graph, StreamInfo};
use mixgraph_tests::alloc_counter::{self, CountingAllocator};
use test_nodes::{AdderNode, GainNode, LatencyNode};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const SR: f64 = 48_000.0;

fn io(graph: &mut Graph, channels: usize) {
    graph.add_node("in", Box::new(InputNode::new(channels))).unwrap();
    graph.add_node("out", Box::new(OutputNode::new(channels))).unwrap();
}

/// Renders a mono signal through the executor in blocks of the given sizes (cycled).
fn render(executor: &mut Executor, input: &[f32], blocks: &[usize]) -> Vec<f32> {
    let mut output = vec![0.0; input.len()];
    let mut pos = 0;
    let mut k = 0;
    while pos < input.len() {
        let n = blocks[k % blocks.len()].min(input.len() - pos);
        let mut out = [&mut output[pos..pos + n]];
        executor.process(&[&input[pos..pos + n]], &mut out, n);
        pos += n;
        k += 1;
    }
    output
}

fn impulse(len: usize) -> Vec<f32> {
    let mut x = vec![0.0; len];
    x[0] = 1.0;
    x
}

/// Seeded xorshift noise in [-1, 1).
fn noise(len: usize, mut seed: u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

//   in ──► a ──► b ──► out      (b is added before a)
#[test]
fn order_follows_edges_not_insertion() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("b", Box::new(GainNode::new(1))).unwrap();
    g.add_node("a", Box::new(GainNode::new(1))).unwrap();
    g.connect("in", "a").unwrap();
    g.connect("a", "b").unwrap();
    g.connect("b", "out").unwrap();
    let (engine, _) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    assert_eq!(engine.report().order, ["in", "a", "b", "out"]);
}

//        ┌──► lat(37) ──┐
//   in ──┤              ├──► add ──► out
//        └──────────────┘
#[test]
fn latency_compensation_aligns_parallel_paths_to_the_sample() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("lat", Box::new(LatencyNode::new(37))).unwrap();
    g.add_node("add", Box::new(AdderNode)).unwrap();
    g.connect("in", "lat").unwrap();
    g.connect("lat", "add.a").unwrap();
    g.connect("in", "add.b").unwrap();
    g.connect("add", "out").unwrap();
    let (engine, mut ex) = Engine::new(g, StreamInfo::new(SR, 16)).unwrap();
    assert_eq!(engine.report().latency_frames, 37);
    assert_eq!(engine.report().compensation_delays, 1);
    let out = render(&mut ex, &impulse(100), &[16]);
    let nonzero: Vec<(usize, f32)> = out.iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
    assert_eq!(nonzero, [(37, 2.0)], "both paths must arrive at frame 37 together");
}

//   in ──► lat(5) ──► out_a
//   in ─────────────► out_b      (every output is aligned to the graph latency)
#[test]
fn all_graph_outputs_are_aligned() {
    let mut g = Graph::new();
    g.add_node("in", Box::new(InputNode::new(1))).unwrap();
    g.add_node("out_a", Box::new(OutputNode::new(1))).unwrap();
    g.add_node("out_b", Box::new(OutputNode::new(1))).unwrap();
    g.add_node("lat", Box::new(LatencyNode::new(5))).unwrap();
    g.connect("in", "lat").unwrap();
    g.connect("lat", "out_a").unwrap();
    g.connect("in", "out_b").unwrap();
    let (_, mut ex) = Engine::new(g, StreamInfo::new(SR, 8)).unwrap();
    let x = impulse(16);
    let (mut a, mut b) = (vec![0.0; 16], vec![0.0; 16]);
    ex.process(&[&x], &mut [&mut a, &mut b], 16);
    assert_eq!((a[5], b[5]), (1.0, 1.0));
}

//   in ──► g1(×0.5) ──┐
//   in ──► g2(×0.25) ─┼──► out   (fan-in is summed)
//   in ───────────────┘
#[test]
fn fan_in_sums() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("g1", Box::new(GainNode::new(1))).unwrap();
    g.add_node("g2", Box::new(GainNode::new(1))).unwrap();
    g.set_param("g1.gain", 0.5).unwrap();
    g.set_param("g2.gain", 0.25).unwrap();
    for n in ["g1", "g2"] {
        g.connect("in", n).unwrap();
        g.connect(n, "out").unwrap();
    }
    g.connect("in", "out").unwrap();
    let (_, mut ex) = Engine::new(g, StreamInfo::new(SR, 32)).unwrap();
    let out = render(&mut ex, &[1.0; 32], &[32]);
    assert!(out.iter().all(|&v| v == 1.75));
}

/// A graph with chains, a diamond with unequal latency and fan-in.
fn busy_graph() -> Graph {
    let mut g = Graph::new();
    io(&mut g, 1);
    let names = ["a", "b", "c", "d", "e", "f"];
    for (i, n) in names.iter().enumerate() {
        g.add_node(n, Box::new(GainNode::new(1))).unwrap();
        g.set_param(&format!("{n}.gain"), 0.5 + i as f32 * 0.1).unwrap();
    }
    g.add_node("lat", Box::new(LatencyNode::new(3))).unwrap();
    g.add_node("add", Box::new(AdderNode)).unwrap();
    for (a, b) in [("in", "a"), ("a", "b"), ("b", "c"), ("a", "lat"), ("lat", "d"), ("c", "add.a"), ("d", "add.b")] {
        g.connect(a, b).unwrap();
    }
    for (a, b) in [("add", "e"), ("e", "f"), ("f", "out"), ("b", "out"), ("in", "add.b")] {
        g.connect(a, b).unwrap();
    }
    g
}

#[test]
fn buffer_reuse_matches_a_naive_schedule_with_fewer_buffers() {
    let x = noise(1000, 7);
    let stream = StreamInfo::new(SR, 64);
    let (e1, mut reuse) = Engine::new(busy_graph(), stream).unwrap();
    let (e2, mut naive) = Engine::with_options(busy_graph(), stream, CompileOptions { reuse_buffers: false }).unwrap();
    assert_eq!(render(&mut reuse, &x, &[64]), render(&mut naive, &x, &[64]));
    assert!(
        e1.report().buffer_count < e2.report().buffer_count,
        "{} vs {}",
        e1.report().buffer_count,
        e2.report().buffer_count
    );
}

#[test]
fn results_do_not_depend_on_block_size_and_are_deterministic() {
    let x = noise(5000, 11);
    let stream = StreamInfo::new(SR, 512);
    let reference = render(&mut Engine::new(busy_graph(), stream).unwrap().1, &x, &[512]);
    for blocks in [&[1][..], &[7, 1, 300, 13, 512], &[64]] {
        let out = render(&mut Engine::new(busy_graph(), stream).unwrap().1, &x, blocks);
        assert_eq!(out, reference, "blocks {blocks:?}");
    }
    let mut ex = Engine::new(busy_graph(), stream).unwrap().1;
    let first = render(&mut ex, &x, &[100]);
    ex.reset();
    assert_eq!(render(&mut ex, &x, &[100]), first, "reset gives the same output again");
}

//   a ──► b ──► a   (no feedback delay)
#[test]
fn a_cycle_is_an_error_naming_its_nodes() {
    let mut g = Graph::new();
    io(&mut g, 1);
    for n in ["a", "b", "c"] {
        g.add_node(n, Box::new(AdderNode)).unwrap();
    }
    g.connect("in", "a.a").unwrap();
    g.connect("a", "b.a").unwrap();
    g.connect("b", "a.b").unwrap();
    g.connect("b", "c.a").unwrap();
    g.connect("c", "out").unwrap();
    let err = Engine::new(g, StreamInfo::new(SR, 64)).err().expect("cycle");
    assert!(matches!(&err, CommitError::Compile(CompileError::Cycle { nodes }) if nodes == &["a", "b"]));
    assert_eq!(
        err.to_string(),
        "cycle between nodes a -> b: break it with a feedback delay node (util.feedback_delay)"
    );
}

//   in ──► add ──────────────► out
//           ▲         │
//           └─ fb ◄── g(×0.5)
#[test]
fn feedback_through_a_feedback_delay_node_works() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("add", Box::new(AdderNode)).unwrap();
    g.add_node("g", Box::new(GainNode::new(1))).unwrap();
    g.add_node("fb", Box::new(FeedbackDelayNode::new(1))).unwrap();
    g.set_param("g.gain", 0.5).unwrap();
    g.set_param("fb.delay_ms", 2.0).unwrap(); // 96 frames at 48 kHz
    for (a, b) in [("in", "add.a"), ("add", "g"), ("g", "fb"), ("fb", "add.b"), ("add", "out")] {
        g.connect(a, b).unwrap();
    }
    let (_, mut ex) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    let out = render(&mut ex, &impulse(400), &[64, 3, 29]);
    let nonzero: Vec<(usize, f32)> = out.iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
    assert_eq!(nonzero, [(0, 1.0), (96, 0.5), (192, 0.25), (288, 0.125), (384, 0.0625)]);

    let mut short = Graph::new();
    short.add_node("fb", Box::new(FeedbackDelayNode::new(1))).unwrap();
    short.set_param("fb.delay_ms", 1.0).unwrap();
    let err = Engine::new(short, StreamInfo::new(SR, 64)).err().expect("too short").to_string();
    assert_eq!(err, "feedback delay node 'fb': delay of 48 frames is shorter than the block size of 64 frames");
}

#[test]
fn process_allocates_nothing_through_swaps_removals_and_param_bursts() {
    let stream = StreamInfo::new(SR, 64);
    let (mut engine, mut ex) = Engine::new(busy_graph(), stream).unwrap();
    let x = noise(64, 3);
    let mut out = vec![0.0; 64];
    for round in 0..20 {
        // Control-thread work (may allocate): a param burst, then an edit.
        for i in 0..200 {
            engine.set_param("a.gain", (i % 10) as f32 * 0.1).unwrap();
        }
        if round % 5 == 1 {
            let g = engine.graph_mut();
            g.remove_node("e");
            g.connect("add", "f").unwrap();
            engine.commit().unwrap();
        }
        if round % 5 == 3 {
            let g = engine.graph_mut();
            g.add_node("e", Box::new(GainNode::new(1))).unwrap();
            g.disconnect("add", "f");
            g.connect("c", "e").unwrap();
            g.connect("e", "out").unwrap();
            engine.commit().unwrap();
        }
        let allocations = alloc_counter::count(|| ex.process(&[&x], &mut [&mut out], 64));
        assert_eq!(allocations, 0, "round {round}");
        engine.collect_garbage();
    }
    // Latency-changing edits wait for a 5 ms fade-out; let the last ones land.
    for _ in 0..20 {
        assert_eq!(alloc_counter::count(|| ex.process(&[&x], &mut [&mut out], 64)), 0);
    }
    let swaps = engine.stats().swaps.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(swaps, 8, "every edit was swapped in");
}

fn sine(len: usize, hz: f64) -> Vec<f32> {
    (0..len).map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / SR).sin()) as f32).collect()
}

fn max_step(x: &[f32]) -> f32 {
    x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

#[test]
fn live_edits_swap_in_without_a_discontinuity() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("g", Box::new(GainNode::new(1))).unwrap();
    g.connect("in", "g").unwrap();
    g.connect("g", "out").unwrap();
    let (mut engine, mut ex) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    let x = sine(64 * 60, 440.0);
    let own = max_step(&x);
    let mut out = vec![0.0; x.len()];
    for (k, (src, dst)) in x.chunks(64).zip(out.chunks_mut(64)).enumerate() {
        match k {
            10 => engine.set_param("g.gain", 0.25).unwrap(), // smoothed by the node
            20 => {
                // Insert a delay of 3 frames in series: a structural edit.
                let g = engine.graph_mut();
                g.add_node("lat", Box::new(LatencyNode::new(3))).unwrap();
                g.disconnect("g", "out");
                g.connect("g", "lat").unwrap();
                g.connect("lat", "out").unwrap();
                engine.commit().unwrap();
            }
            40 => {
                let g = engine.graph_mut();
                g.remove_node("lat");
                g.connect("g", "out").unwrap();
                engine.commit().unwrap();
            }
            _ => {}
        }
        ex.process(&[src], &mut [dst], 64);
        engine.collect_garbage();
    }
    let step = max_step(&out);
    assert!(step <= own * 1.05, "largest step {step} vs the signal's own {own}");
}

#[test]
fn params_for_a_node_in_a_pending_edit_wait_for_its_swap() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.connect("in", "out").unwrap();
    let (mut engine, mut ex) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    // Two edits in a row, then a parameter of the node the second one adds.
    for (id, from) in [("n", "in"), ("m", "n")] {
        let g = engine.graph_mut();
        g.add_node(id, Box::new(GainNode::new(1))).unwrap();
        g.disconnect(from, "out");
        g.connect(from, id).unwrap();
        g.connect(id, "out").unwrap();
        engine.commit().unwrap();
    }
    engine.set_param("m.gain", 0.5).unwrap();
    let out = render(&mut ex, &[1.0; 64 * 20], &[64]);
    assert!((out[out.len() - 1] - 0.5).abs() < 1e-6, "the change reached m: {}", out[out.len() - 1]);
}

#[test]
fn reset_during_a_fade_in_does_not_leave_the_output_muted() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.connect("in", "out").unwrap();
    let (mut engine, mut ex) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    let gr = engine.graph_mut();
    gr.add_node("lat", Box::new(LatencyNode::new(4))).unwrap();
    gr.disconnect("in", "out");
    gr.connect("in", "lat").unwrap();
    gr.connect("lat", "out").unwrap();
    engine.commit().unwrap();
    // Fade out (5 ms = 240 frames), swap, then reset in the middle of the fade-in.
    render(&mut ex, &[1.0; 320], &[64]);
    ex.reset();
    let out = render(&mut ex, &[1.0; 640], &[64]);
    assert_eq!(out[639], 1.0);
}

//   in ──► fb ──► out   (the loop's decay is unknown, so is the tail)
#[test]
fn a_feedback_path_has_an_unknown_tail() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("fb", Box::new(FeedbackDelayNode::new(1))).unwrap();
    g.connect("in", "fb").unwrap();
    g.connect("fb", "out").unwrap();
    let (engine, _) = Engine::new(g, StreamInfo::new(SR, 64)).unwrap();
    assert_eq!(engine.report().tail_frames, u32::MAX);
}

#[test]
fn a_failed_structural_change_keeps_the_previous_value_and_bad_streams_are_refused() {
    let mut g = Graph::new();
    io(&mut g, 1);
    g.add_node("fb", Box::new(FeedbackDelayNode::new(1))).unwrap();
    g.connect("in", "fb").unwrap();
    g.connect("fb", "out").unwrap();
    let (mut engine, _ex) = Engine::new(g, StreamInfo::new(SR, 512)).unwrap();
    assert!(engine.set_param("fb.delay_ms", 5.0).is_err(), "240 frames is shorter than a 512-frame block");
    assert_eq!(engine.graph().param("fb.delay_ms"), Some(100.0));
    engine.commit().expect("the graph still compiles");

    let mut g = Graph::new();
    io(&mut g, 1);
    let err = Engine::new(g, StreamInfo::new(SR, 0)).err().expect("zero block size").to_string();
    assert_eq!(err, "invalid stream: sample rate 48000 Hz, block size 0 frames");
}

//   a (note at frame 5) ──┐
//                         ├──► sink ──► out     (event fan-in is merged by frame)
//   b (note at frame 2) ──┘
#[test]
fn note_events_flow_along_event_edges_and_merge_by_frame() {
    use test_nodes::{NoteSinkNode, NoteSourceNode};
    let mut g = Graph::new();
    g.add_node("out", Box::new(OutputNode::new(1))).unwrap();
    g.add_node("a", Box::new(NoteSourceNode { frame: 5, velocity: 0.5 })).unwrap();
    g.add_node("b", Box::new(NoteSourceNode { frame: 2, velocity: 0.25 })).unwrap();
    g.add_node("sink", Box::new(NoteSinkNode)).unwrap();
    g.connect("a", "sink").unwrap();
    g.connect("b", "sink").unwrap();
    g.connect("sink", "out").unwrap();
    assert!(g.connect("a", "out").is_err(), "events cannot feed an audio port");
    let (_, mut ex) = Engine::new(g, StreamInfo::new(SR, 16)).unwrap();
    let mut out = vec![0.0; 16];
    ex.process(&[], &mut [&mut out], 16);
    let hits: Vec<(usize, f32)> = out.iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
    assert_eq!(hits, [(2, 0.25), (5, 0.5)]);
}

#[test]
fn real_time_parameter_path_sets_values_without_allocating() {
    let mut graph = Graph::new();
    io(&mut graph, 1);
    graph.add_node("g", Box::new(GainNode::new(1))).unwrap();
    graph.connect("in", "g").unwrap();
    graph.connect("g", "out").unwrap();
    let (mut engine, mut ex) = Engine::new(graph, StreamInfo::new(SR, 64)).unwrap();
    let handle = engine.param_handle("g.gain").unwrap();
    assert!(engine.param_handle("g.nope").is_err() && engine.param_handle("x.gain").is_err());
    let x = vec![1.0f32; 64];
    let mut out = vec![0.0; 64];
    for (i, want) in [0.5f32, 3.0, 9.0].iter().enumerate() {
        let allocations = alloc_counter::count(|| {
            assert!(engine.set_param_rt(handle, *want));
            // 5 ms of smoothing is 240 frames: five blocks land on the target.
            for _ in 0..5 {
                ex.process(&[&x], &mut [&mut out], 64);
            }
        });
        assert_eq!(allocations, 0, "change {i}");
        let clamped = want.min(4.0);
        assert_eq!(out[63], clamped, "change {i}: the output follows, clamped to the range");
        assert_eq!(engine.graph().param("g.gain"), Some(clamped), "and the graph records it");
    }
    assert!(!engine.set_param_rt(handle, f32::NAN), "NaN is refused");
}

#[test]
fn zero_subnormal_keeps_everything_but_subnormals() {
    use crate::executor::zero_subnormal;
    let tiny = f32::from_bits(1);
    for (x, want) in [(tiny, 0.0f32), (-tiny, -0.0), (1e-40, 0.0), (-1e-40, -0.0), (0.0, 0.0), (-0.0, -0.0)] {
        assert_eq!(zero_subnormal(x).to_bits(), want.to_bits(), "{x:e}");
    }
    for x in [f32::MIN_POSITIVE, -f32::MIN_POSITIVE, 1.0, -0.5, f32::MAX, f32::INFINITY, f32::NEG_INFINITY] {
        assert_eq!(zero_subnormal(x).to_bits(), x.to_bits(), "{x:e}");
    }
    assert!(zero_subnormal(f32::NAN).is_nan());
}

#[test]
fn subnormal_input_copied_to_the_output_comes_out_as_zero() {
    let mut graph = Graph::new();
    io(&mut graph, 1);
    graph.connect("in", "out").unwrap();
    let (_engine, mut ex) = Engine::new(graph, StreamInfo::new(SR, 64)).unwrap();
    let x = vec![1e-40f32; 64];
    assert!(x[0].is_subnormal());
    let out = render(&mut ex, &x, &[64]);
    assert!(out.iter().all(|v| *v == 0.0), "{:?}", &out[..4]);
}

#[test]
fn external_note_events_reach_the_graph_at_their_frames_across_split_blocks() {
    use crate::builtin::NoteInputNode;
    use crate::{NoteEvent, NoteEventKind};
    use test_nodes::NoteSinkNode;
    let mut g = Graph::new();
    g.add_node("notes", Box::new(NoteInputNode)).unwrap();
    g.add_node("in", Box::new(InputNode::new(1))).unwrap();
    g.add_node("sink", Box::new(NoteSinkNode)).unwrap();
    g.add_node("out", Box::new(OutputNode::new(1))).unwrap();
    g.connect("notes", "sink").unwrap();
    g.connect("sink", "out").unwrap();
    // The executor splits 40 frames into blocks of 16: events land in the right block.
    let (engine, mut ex) = Engine::new(g, StreamInfo::new(SR, 16)).unwrap();
    assert_eq!(engine.report().event_inputs, ["notes"]);
    assert_eq!(engine.report().inputs.len(), 1, "the note input has no audio channels");
    let on = |frame, velocity| NoteEvent { frame, kind: NoteEventKind::NoteOn { channel: 0, note: 60, velocity } };
    let events = [on(3, 0.5), on(17, 0.25), on(39, 1.0), on(40, 9.0)];
    let mut out = vec![0.0; 40];
    let allocations = alloc_counter::count(|| ex.process_with_events(&[], &[&events], &mut [&mut out], 40));
    assert_eq!(allocations, 0);
    let hits: Vec<(usize, f32)> = out.iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
    assert_eq!(hits, [(3, 0.5), (17, 0.25), (39, 1.0)], "frame 40 is past the call");
}

//! Tests of one live period: captured input reaches the graph's inputs,
//! MIDI reaches its note inputs, and none of it allocates.

use super::*;
use mixgraph_graph::{Engine, StreamInfo, file};
use mixgraph_tests::alloc_counter::{CountingAllocator, count as allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const THRU: &str = r#"{"format": "mixgraph/1", "nodes": [
    {"id": "in", "type": "io.input", "config": {"channels": 2}},
    {"id": "out", "type": "io.output", "config": {"channels": 2}}],
  "edges": [{"from": "in.out", "to": "out.in"}]}"#;

fn executor(text: &str) -> (Engine, Executor) {
    let graph = file::load_str(text, "test", &mixgraph_nodes::registry()).unwrap();
    Engine::new(graph, StreamInfo::new(48_000.0, 256)).unwrap()
}

#[test]
fn captured_input_reaches_the_graphs_inputs_and_a_short_queue_reads_silence() {
    let (_engine, ex) = executor(THRU);
    let (mut producer, queue) = rtrb::RingBuffer::new(8192);
    let stats = Arc::new(InputStats::default());
    // A mono microphone: its one channel feeds both graph channels.
    let mut period = Period::new(ex, 256, Some(CapturedInput { queue, channels: 1 }), Vec::new(), stats.clone());
    for i in 0..512 {
        producer.push(i as f32 / 1024.0).unwrap();
    }
    let mut data = vec![0.0f32; 2 * 512];
    period.run(&mut data, 2);
    for i in [0usize, 100, 511] {
        assert_eq!(data[2 * i], i as f32 / 1024.0, "left at {i}");
        assert_eq!(data[2 * i + 1], i as f32 / 1024.0, "right at {i}");
    }
    assert_eq!(stats.underruns.load(Ordering::Relaxed), 0);
    // Nothing captured: silence, counted.
    period.run(&mut data, 2);
    assert!(data.iter().all(|v| *v == 0.0));
    assert_eq!(stats.underruns.load(Ordering::Relaxed), 2);
}

#[test]
fn midi_plays_the_graphs_note_input_without_allocating() {
    let (_engine, ex) = executor(crate::presets::PRESETS.iter().find(|(n, _)| *n == "plugin/instrument").unwrap().1);
    let (mut producer, queue) = rtrb::RingBuffer::new(64);
    let mut period = Period::new(ex, 256, None, vec![queue], Arc::new(InputStats::default()));
    let mut data = vec![0.0f32; 2 * 1024];
    period.run(&mut data, 2);
    assert!(data.iter().all(|v| *v == 0.0), "silent before a note");
    producer.push(NoteEventKind::NoteOn { channel: 0, note: 57, velocity: 0.8 }).unwrap();
    let n = allocations(|| {
        for _ in 0..10 {
            period.run(&mut data, 2);
        }
    });
    assert_eq!(n, 0, "allocations in the audio callback");
    let peak = data.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak > 0.05, "the note sounds: peak {peak}");
}

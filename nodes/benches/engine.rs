//! Engine benchmarks at 48 kHz stereo, blocks of 64 and 512 frames:
//!
//! - `chain64`: 64 × (gain → biquad) run by the graph, against the same
//!   processors called directly in a loop (the engine's overhead);
//! - `mix16`: 16 stereo inputs, each through a biquad and a gain, summed by a
//!   16-input mix, then a safety node.
//!
//! Criterion reports time per block; after the run a summary prints each case
//! as × real-time on one core (block duration ÷ time per block).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
#[path = "support/graph_case.rs"]
mod graph_case;

use graph_case::{GraphCase, SR, noise, realtime_factor};
use mixgraph_graph::{
    Engine, Graph, ParamEvents, PrepareContext, ProcBuffers, ProcInfo, Processor, StreamInfo, TelemetryHub, builtin,
};
use std::hint::black_box;

const STAGES: usize = 64;

fn chain_graph() -> Graph {
    let registry = mixgraph_nodes::registry();
    let mut g = Graph::new();
    g.add_node("in", Box::new(builtin::InputNode::new(2))).unwrap();
    g.add_node("out", Box::new(builtin::OutputNode::new(2))).unwrap();
    let mut prev = "in".to_string();
    for i in 0..STAGES {
        let (gain, eq) = (format!("gain{i}"), format!("eq{i}"));
        g.add_node(&gain, registry.create("util.gain", &serde_json::Value::Null).unwrap()).unwrap();
        g.add_node(&eq, registry.create("filter.biquad", &serde_json::Value::Null).unwrap()).unwrap();
        g.set_param(&format!("{gain}.gain_db"), -0.05).unwrap();
        g.set_param(&format!("{eq}.freq_hz"), 200.0 + 100.0 * i as f32).unwrap();
        g.set_param(&format!("{eq}.gain_db"), 0.5).unwrap();
        g.connect(&prev, &gain).unwrap();
        g.connect(&gain, &eq).unwrap();
        prev = eq;
    }
    g.connect(&prev, "out").unwrap();
    g
}

/// The chain's processors, prepared exactly as the engine prepares them.
fn chain_processors(max_block: usize) -> Vec<Box<dyn Processor>> {
    let graph = chain_graph();
    let telemetry = TelemetryHub::new();
    let stream = StreamInfo::new(SR, max_block);
    let order: Vec<String> = Engine::new(chain_graph(), stream).unwrap().0.report().order.clone();
    order
        .iter()
        .filter(|id| id.starts_with("gain") || id.starts_with("eq"))
        .map(|id| {
            let entry = graph.node(id).unwrap();
            let type_id = &entry.info().type_id;
            let node = mixgraph_nodes::registry().create(type_id, &entry.config()).unwrap();
            node.prepare(&PrepareContext::new(stream, entry.params(), id, &telemetry)).unwrap().processor
        })
        .collect()
}

fn mix_graph() -> Graph {
    let registry = mixgraph_nodes::registry();
    let mut g = Graph::new();
    g.add_node("out", Box::new(builtin::OutputNode::new(2))).unwrap();
    g.add_node("bus", registry.create("util.mix", &serde_json::json!({"inputs": 16, "channels": 2})).unwrap()).unwrap();
    g.add_node("guard", registry.create("util.safety", &serde_json::Value::Null).unwrap()).unwrap();
    for i in 1..=16 {
        let (input, eq, gain) = (format!("in{i}"), format!("eq{i}"), format!("gain{i}"));
        g.add_node(&input, Box::new(builtin::InputNode::new(2))).unwrap();
        g.add_node(&eq, registry.create("filter.biquad", &serde_json::Value::Null).unwrap()).unwrap();
        g.add_node(&gain, registry.create("util.gain", &serde_json::Value::Null).unwrap()).unwrap();
        g.set_param(&format!("{eq}.gain_db"), 3.0).unwrap();
        g.connect(&input, &eq).unwrap();
        g.connect(&eq, &gain).unwrap();
        g.connect(&gain, &format!("bus.in{i}")).unwrap();
    }
    g.connect("bus", "guard").unwrap();
    g.connect("guard", "out").unwrap();
    g
}

struct DirectCase {
    processors: Vec<Box<dyn Processor>>,
    a: [Vec<f32>; 2],
    b: [Vec<f32>; 2],
    input: [Vec<f32>; 2],
    block: usize,
}

impl DirectCase {
    fn new(block: usize) -> Self {
        let z = || vec![0.0; block];
        DirectCase {
            processors: chain_processors(block),
            a: [z(), z()],
            b: [z(), z()],
            input: [noise(block, 1), noise(block, 2)],
            block,
        }
    }

    fn run(&mut self) {
        let info = ProcInfo { frames: self.block, sample_rate: SR, frame_position: 0 };
        self.a[0].copy_from_slice(&self.input[0]);
        self.a[1].copy_from_slice(&self.input[1]);
        for (i, p) in self.processors.iter_mut().enumerate() {
            let (src, dst) = if i % 2 == 0 { (&self.a, &mut self.b) } else { (&self.b, &mut self.a) };
            let [dl, dr] = dst;
            let io = ProcBuffers {
                inputs: &[&src[0], &src[1]],
                outputs: &mut [dl.as_mut_slice(), dr.as_mut_slice()],
                events_in: &[],
                events_out: &mut [],
            };
            p.process(&info, io, ParamEvents::empty());
        }
        black_box(&self.a);
    }
}

fn bench(c: &mut Criterion) {
    for block in [64usize, 512] {
        let mut group = c.benchmark_group(format!("block{block}"));
        group.throughput(Throughput::Elements(block as u64));
        let mut graph = GraphCase::new(chain_graph(), block);
        group.bench_function(BenchmarkId::new("chain64", "graph"), |b| b.iter(|| graph.run()));
        let mut direct = DirectCase::new(block);
        group.bench_function(BenchmarkId::new("chain64", "direct"), |b| b.iter(|| direct.run()));
        let mut mix = GraphCase::new(mix_graph(), block);
        group.bench_function(BenchmarkId::new("mix16", "graph"), |b| b.iter(|| mix.run()));
        group.finish();
    }
}

fn summary() {
    println!("\n× real-time on one core (48 kHz stereo):");
    for block in [64usize, 512] {
        let mut graph = GraphCase::new(chain_graph(), block);
        let mut direct = DirectCase::new(block);
        let mut mix = GraphCase::new(mix_graph(), block);
        let g = realtime_factor(block, 14_400_000 / (block * 64), || graph.run());
        let d = realtime_factor(block, 14_400_000 / (block * 64), || direct.run());
        let m = realtime_factor(block, 14_400_000 / (block * 64), || mix.run());
        println!(
            "  block {block:>3}: chain64 graph {g:>8.0}×  direct {d:>8.0}×  overhead {:+.1}%   mix16 {m:>8.0}×",
            (d / g - 1.0) * 100.0
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}

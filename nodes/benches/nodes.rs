//! Every registered node type at 48 kHz, stereo where it can be, blocks of 64
//! and 512 frames, default parameters, run through the engine as
//! `in → node → out`. Prints time per block and × real-time on one core.
//!
//! Run with `cargo bench -p mixgraph-nodes --bench nodes`.

use criterion::{BenchmarkId, Criterion, Throughput};
#[path = "support/graph_case.rs"]
mod graph_case;

use graph_case::{GraphCase, noise, realtime_factor};
use mixgraph_graph::{Graph, PortKind, builtin};
use std::time::Duration;

/// `in → node → out` for every audio port, with a generated file for the player.
fn graph(type_id: &str, wav: &std::path::Path) -> Option<Graph> {
    let registry = mixgraph_nodes::registry();
    let config = match type_id {
        "io.input" | "io.output" | "util.feedback_delay" => return None,
        "io.file_player" => serde_json::json!({ "path": wav }),
        "util.channel_map" => serde_json::json!({ "mode": "swap" }),
        "util.pan" => serde_json::json!({ "channels": 2 }),
        _ => serde_json::Value::Null,
    };
    let node = registry.create(type_id, &config).ok()?;
    let info = node.info();
    let mut g = Graph::new();
    g.add_node("node", node).ok()?;
    for (i, port) in info.inputs.iter().enumerate() {
        if let PortKind::Audio { channels } = port.kind {
            let id = format!("in{i}");
            g.add_node(&id, Box::new(builtin::InputNode::new(channels))).ok()?;
            g.connect(&id, &format!("node.{}", port.name)).ok()?;
        }
    }
    for (i, port) in info.outputs.iter().enumerate() {
        if let PortKind::Audio { channels } = port.kind {
            let id = format!("out{i}");
            g.add_node(&id, Box::new(builtin::OutputNode::new(channels))).ok()?;
            g.connect(&format!("node.{}", port.name), &id).ok()?;
        }
    }
    Some(g)
}

fn write_wav(path: &std::path::Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for s in noise(96_000, 3) {
        let v = (s * 32767.0) as i16;
        w.write_sample(v).expect("sample");
        w.write_sample(v).expect("sample");
    }
    w.finalize().expect("finalize");
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("noise.wav");
    write_wav(&wav);
    let types: Vec<&'static str> = mixgraph_nodes::registry().types().map(|t| t.type_id).collect();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800))
        .configure_from_args();
    for block in [64usize, 512] {
        let mut group = criterion.benchmark_group(format!("nodes/block{block}"));
        group.throughput(Throughput::Elements(block as u64));
        for type_id in &types {
            let Some(g) = graph(type_id, &wav) else { continue };
            let mut case = GraphCase::new(g, block);
            group.bench_function(BenchmarkId::from_parameter(type_id), |b| b.iter(|| case.run()));
        }
        group.finish();
    }
    criterion.final_summary();
    println!("\n× real-time on one core, 48 kHz, default parameters:");
    println!("{:<24} {:>12} {:>12}", "node", "block 64", "block 512");
    for type_id in &types {
        let (Some(a), Some(b)) = (graph(type_id, &wav), graph(type_id, &wav)) else { continue };
        let (mut a, mut b) = (GraphCase::new(a, 64), GraphCase::new(b, 512));
        let x64 = realtime_factor(64, 9_600_000 / (64 * 64), || a.run());
        let x512 = realtime_factor(512, 9_600_000 / (512 * 64), || b.run());
        println!("{type_id:<24} {x64:>11.0}× {x512:>11.0}×");
    }
}

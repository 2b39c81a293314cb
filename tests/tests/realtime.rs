//! The executor allocates nothing, on a graph that holds every node type,
//! through parameter bursts and a live edit.

use mixgraph_graph::{Graph, NodeRole, PortKind};
use mixgraph_tests::alloc_counter::{self, CountingAllocator};
use mixgraph_tests::{engine, noise};
use std::collections::BTreeSet;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// One node of every registered type, chained where the channel counts allow
/// and otherwise fed from the input, all summed into the output.
fn every_node_graph(dir: &std::path::Path) -> Graph {
    let registry = mixgraph_nodes::registry();
    let wav = dir.join("loop.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for s in noise(44_100, 0.3, 9) {
        w.write_sample((s * 32767.0) as i16).unwrap();
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();

    let mut g = Graph::new();
    let add = |g: &mut Graph, id: &str, type_id: &str, config: serde_json::Value| {
        g.add_node(id, registry.create(type_id, &config).unwrap()).unwrap();
    };
    add(&mut g, "in", "io.input", serde_json::json!({"channels": 2}));
    add(&mut g, "out", "io.output", serde_json::json!({"channels": 2}));
    add(&mut g, "sum", "util.mix", serde_json::json!({"inputs": 32, "channels": 2}));
    g.connect("sum", "out").unwrap();
    let mut used = 0;
    for t in registry.types() {
        if matches!(t.type_id, "io.input" | "io.output") {
            continue;
        }
        let config = match t.type_id {
            "io.file_player" => serde_json::json!({"path": wav}),
            "util.channel_map" => serde_json::json!({"mode": "swap"}),
            "util.pan" => serde_json::json!({"channels": 2}),
            _ => serde_json::Value::Null,
        };
        let id = t.type_id.replace('.', "_");
        add(&mut g, &id, t.type_id, config);
        let info = g.node(&id).unwrap().info().clone();
        for port in info.inputs.iter().filter(|p| p.kind == PortKind::Audio { channels: 2 }) {
            g.connect("in", &format!("{id}.{}", port.name)).unwrap();
        }
        if info.role == NodeRole::FeedbackDelay {
            g.set_param(&format!("{id}.delay_ms"), 20.0).unwrap();
        }
        if let Some(port) = info.outputs.iter().find(|p| p.kind == PortKind::Audio { channels: 2 }) {
            used += 1;
            g.connect(&format!("{id}.{}", port.name), &format!("sum.in{used}")).unwrap();
        }
    }
    g
}

#[test]
fn process_allocates_nothing_with_every_node_type() {
    let dir = tempfile::tempdir().unwrap();
    let graph = every_node_graph(dir.path());
    let types: BTreeSet<String> = graph.nodes().map(|n| n.info().type_id.clone()).collect();
    let all: BTreeSet<String> = mixgraph_nodes::registry().types().map(|t| t.type_id.to_string()).collect();
    assert_eq!(types, all, "the graph holds every node type");

    let (mut engine, mut ex) = engine(graph, 512);
    let x = noise(512, 0.5, 1);
    let (mut l, mut r) = (vec![0.0; 512], vec![0.0; 512]);
    for round in 0..200 {
        engine.set_param("util_gain.gain_db", (round % 24) as f32 - 12.0).unwrap();
        engine.set_param("filter_biquad.freq_hz", 200.0 + 50.0 * (round % 40) as f32).unwrap();
        engine.set_param("util_pan.pan", ((round % 21) as f32 - 10.0) / 10.0).unwrap();
        if round == 100 {
            let g = engine.graph_mut();
            g.remove_node("util_delay");
            engine.commit().unwrap();
        }
        let block = [512, 1, 37, 256][round % 4];
        let n = alloc_counter::count(|| {
            ex.process(&[&x[..block], &x[..block]], &mut [&mut l[..block], &mut r[..block]], block)
        });
        assert_eq!(n, 0, "round {round}: process allocated");
        assert!(l[..block].iter().chain(&r[..block]).all(|v| v.is_finite()));
        engine.collect_garbage();
    }
}

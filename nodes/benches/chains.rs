//! Realistic processing chains at 48 kHz stereo, blocks of 64 and 512 frames:
//!
//! - `mastering`: in → eq.parametric (low shelf +1 dB 80 Hz, bell −1.5 dB
//!   300 Hz Q 1, high shelf +2 dB 10 kHz) → dynamics.compressor (−18 dB, 2:1,
//!   10/100 ms) → dynamics.multiband (defaults) → saturation.saturator (tanh,
//!   3 dB drive, 4× oversampling) → dynamics.limiter (−1 dBTP, 2 ms lookahead)
//!   → out;
//! - `mix8`: 8 stereo inputs, each eq.parametric (2 bands) → compressor →
//!   de-esser (inputs 1–4) or gate (inputs 5–8), summed by an 8-input mix,
//!   bus compressor, then the mastering chain.
//!
//! Criterion reports time per block; after the run a summary prints each case
//! as × real-time on one core (block duration ÷ time per block).
//!
//! Run with `cargo bench -p mixgraph-nodes --bench chains`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
#[path = "support/graph_case.rs"]
mod graph_case;

use graph_case::{GraphCase, realtime_factor};
use mixgraph_graph::{Graph, builtin};

// Choice parameters are set by index.
const BELL: f32 = 0.0;
const LOW_SHELF: f32 = 1.0;
const HIGH_SHELF: f32 = 2.0;
const TANH: f32 = 1.0;
const OVERSAMPLE_4X: f32 = 2.0;

fn add(g: &mut Graph, id: &str, type_id: &str, config: serde_json::Value, params: &[(&str, f32)]) {
    g.add_node(id, mixgraph_nodes::registry().create(type_id, &config).unwrap()).unwrap();
    for (param, value) in params {
        g.set_param(&format!("{id}.{param}"), *value).unwrap();
    }
}

/// Connects `from.out` to `to.in` (ports named: some nodes have a sidechain input).
fn wire(g: &mut Graph, from: &str, to: &str) {
    g.connect(&format!("{from}.out"), &format!("{to}.in")).unwrap();
}

/// Adds the mastering chain with ids prefixed by `prefix`, fed from `from`;
/// returns the id of its last node.
fn mastering_chain(g: &mut Graph, prefix: &str, from: &str) -> String {
    let id = |s: &str| format!("{prefix}{s}");
    let null = || serde_json::Value::Null;
    add(
        g,
        &id("eq"),
        "eq.parametric",
        null(),
        &[
            ("band1_on", 1.0),
            ("band1_type", LOW_SHELF),
            ("band1_freq_hz", 80.0),
            ("band1_gain_db", 1.0),
            ("band2_on", 1.0),
            ("band2_type", BELL),
            ("band2_freq_hz", 300.0),
            ("band2_gain_db", -1.5),
            ("band2_q", 1.0),
            ("band3_on", 1.0),
            ("band3_type", HIGH_SHELF),
            ("band3_freq_hz", 10_000.0),
            ("band3_gain_db", 2.0),
        ],
    );
    add(
        g,
        &id("comp"),
        "dynamics.compressor",
        null(),
        &[("threshold_db", -18.0), ("ratio", 2.0), ("attack_ms", 10.0), ("release_ms", 100.0)],
    );
    add(g, &id("multiband"), "dynamics.multiband", null(), &[]);
    add(
        g,
        &id("sat"),
        "saturation.saturator",
        null(),
        &[("curve", TANH), ("drive_db", 3.0), ("oversampling", OVERSAMPLE_4X)],
    );
    add(g, &id("limiter"), "dynamics.limiter", null(), &[("ceiling_dbtp", -1.0), ("lookahead_ms", 2.0)]);
    let chain = [from.to_string(), id("eq"), id("comp"), id("multiband"), id("sat"), id("limiter")];
    for pair in chain.windows(2) {
        wire(g, &pair[0], &pair[1]);
    }
    id("limiter")
}

fn mastering_graph() -> Graph {
    let mut g = Graph::new();
    g.add_node("in", Box::new(builtin::InputNode::new(2))).unwrap();
    g.add_node("out", Box::new(builtin::OutputNode::new(2))).unwrap();
    let last = mastering_chain(&mut g, "m_", "in");
    wire(&mut g, &last, "out");
    g
}

fn mix8_graph() -> Graph {
    let null = || serde_json::Value::Null;
    let mut g = Graph::new();
    g.add_node("out", Box::new(builtin::OutputNode::new(2))).unwrap();
    add(&mut g, "bus", "util.mix", serde_json::json!({"inputs": 8, "channels": 2}), &[]);
    for i in 1..=8 {
        let (input, eq, comp, fx) = (format!("s{i}"), format!("eq{i}"), format!("comp{i}"), format!("fx{i}"));
        g.add_node(&input, Box::new(builtin::InputNode::new(2))).unwrap();
        add(
            &mut g,
            &eq,
            "eq.parametric",
            null(),
            &[
                ("band1_on", 1.0),
                ("band1_type", 3.0), // low cut
                ("band1_freq_hz", 40.0 + 10.0 * i as f32),
                ("band2_on", 1.0),
                ("band2_type", BELL),
                ("band2_freq_hz", 400.0 * i as f32),
                ("band2_gain_db", -2.0),
                ("band2_q", 1.2),
            ],
        );
        add(&mut g, &comp, "dynamics.compressor", null(), &[("threshold_db", -20.0), ("ratio", 3.0)]);
        let fx_type = if i <= 4 { "dynamics.deesser" } else { "dynamics.gate" };
        add(&mut g, &fx, fx_type, null(), &[]);
        wire(&mut g, &input, &eq);
        wire(&mut g, &eq, &comp);
        wire(&mut g, &comp, &fx);
        g.connect(&format!("{fx}.out"), &format!("bus.in{i}")).unwrap();
    }
    add(
        &mut g,
        "bus_comp",
        "dynamics.compressor",
        null(),
        &[("threshold_db", -12.0), ("ratio", 1.5), ("attack_ms", 30.0), ("release_ms", 200.0)],
    );
    wire(&mut g, "bus", "bus_comp");
    let last = mastering_chain(&mut g, "m_", "bus_comp");
    wire(&mut g, &last, "out");
    g
}

/// A named graph builder.
type Chain = (&'static str, fn() -> Graph);

fn cases() -> [Chain; 2] {
    [("mastering", mastering_graph), ("mix8", mix8_graph)]
}

fn bench(c: &mut Criterion) {
    for block in [64usize, 512] {
        let mut group = c.benchmark_group(format!("chains/block{block}"));
        group.throughput(Throughput::Elements(block as u64));
        for (name, build) in cases() {
            let mut case = GraphCase::new(build(), block);
            group.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(|| case.run()));
        }
        group.finish();
    }
}

fn summary() {
    println!("\n× real-time on one core (48 kHz stereo):");
    println!("{:<12} {:>12} {:>12}", "chain", "block 64", "block 512");
    for (name, build) in cases() {
        let (mut a, mut b) = (GraphCase::new(build(), 64), GraphCase::new(build(), 512));
        let x64 = realtime_factor(64, 9_600_000 / (64 * 1000), || a.run());
        let x512 = realtime_factor(512, 9_600_000 / (512 * 1000), || b.run());
        println!("{name:<12} {x64:>11.1}× {x512:>11.1}×");
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}

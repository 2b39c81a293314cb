//! Shared test harness: runs one node inside a real graph (graph inputs →
//! node → graph outputs) and checks the invariants every node must meet
//! (STYLE.md §9): block-size invariance, reset determinism, hygiene and
//! declared latency.

use mixgraph_graph::{Engine, Executor, Graph, NodeRegistry, PortKind, StreamInfo, builtin};

pub const SR: f64 = 48_000.0;
pub const MAX_BLOCK: usize = 512;

/// A node wired between one graph input per audio input port and one graph
/// output per audio output port.
pub struct NodeHarness {
    type_id: String,
    config: serde_json::Value,
    params: Vec<(String, f32)>,
    registry: NodeRegistry,
}

/// Magnitude in dB at `hz` of the impulse response `y`, measured by a DFT
/// with `delay` frames taken as time zero (a linear-phase filter's centre).
pub fn response_db(y: &[f32], delay: usize, hz: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, v) in y.iter().enumerate() {
        let ph = -std::f64::consts::TAU * hz * (n as f64 - delay as f64) / SR;
        re += f64::from(*v) * ph.cos();
        im += f64::from(*v) * ph.sin();
    }
    20.0 * re.hypot(im).log10()
}

pub fn sine(hz: f64, amplitude: f32, frames: usize) -> Vec<f32> {
    (0..frames).map(|i| amplitude * (std::f64::consts::TAU * hz * i as f64 / SR).sin() as f32).collect()
}

pub fn noise(frames: usize, mut seed: u64) -> Vec<f32> {
    (0..frames)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

impl NodeHarness {
    pub fn new(type_id: &str, config: serde_json::Value, params: &[(&str, f32)]) -> Self {
        NodeHarness {
            type_id: type_id.to_string(),
            config,
            params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            registry: crate::registry(),
        }
    }

    /// Builds the engine; returns it with the executor.
    pub fn engine(&self) -> (Engine, Executor) {
        self.engine_at(SR)
    }

    pub fn engine_at(&self, sample_rate: f64) -> (Engine, Executor) {
        let node = self.registry.create(&self.type_id, &self.config).expect("node builds");
        let info = node.info();
        let mut g = Graph::new();
        g.add_node("node", node).unwrap();
        for (name, value) in &self.params {
            g.set_param(&format!("node.{name}"), *value).expect("param in range");
        }
        for (i, port) in info.inputs.iter().enumerate() {
            if let PortKind::Audio { channels } = port.kind {
                let id = format!("in{i}");
                g.add_node(&id, Box::new(builtin::InputNode::new(channels))).unwrap();
                g.connect(&id, &format!("node.{}", port.name)).unwrap();
            }
        }
        for (i, port) in info.outputs.iter().enumerate() {
            if let PortKind::Audio { channels } = port.kind {
                let id = format!("out{i}");
                g.add_node(&id, Box::new(builtin::OutputNode::new(channels))).unwrap();
                g.connect(&format!("node.{}", port.name), &id).unwrap();
            }
        }
        Engine::new(g, StreamInfo::new(sample_rate, MAX_BLOCK)).expect("engine builds")
    }

    /// Renders `input` (all input channels, port after port) in blocks of the
    /// given sizes (cycled); returns all output channels.
    pub fn render(&self, input: &[Vec<f32>], blocks: &[usize]) -> Vec<Vec<f32>> {
        let (engine, mut ex) = self.engine();
        let out = run(&mut ex, input, blocks);
        drop(engine);
        out
    }

    /// Checks block-size invariance, reset determinism, hygiene and latency.
    pub fn check_invariants(&self, input: &[Vec<f32>]) {
        let reference = self.render(input, &[MAX_BLOCK]);
        for blocks in [&[1][..], &[7, 64, 3, 300, 512, 1]] {
            let out = self.render(input, blocks);
            for (a, b) in out.iter().zip(&reference) {
                let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                assert!(worst <= 1e-4, "{}: blocks {blocks:?} differ by {worst}", self.type_id);
            }
        }
        let (engine, mut ex) = self.engine();
        let first = run(&mut ex, input, &[MAX_BLOCK]);
        ex.reset();
        assert_eq!(run(&mut ex, input, &[MAX_BLOCK]), first, "{}: reset is not deterministic", self.type_id);
        self.check_hygiene(&engine, input.len());
    }

    fn check_hygiene(&self, engine: &Engine, channels: usize) {
        let n = 9600;
        let mut impulse = vec![0.0; n];
        impulse[0] = 1.0;
        let square: Vec<f32> = (0..n).map(|i| if (i / 24) % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let tiny = vec![1e-39f32; n];
        let cases = [
            ("silence", vec![0.0; n]),
            ("impulse", impulse.clone()),
            ("dc", vec![1.0; n]),
            ("square", square),
            ("subnormal", tiny),
        ];
        for (name, signal) in cases {
            let out = self.render(&vec![signal.clone(); channels], &[MAX_BLOCK]);
            for ch in &out {
                assert!(ch.iter().all(|v| v.is_finite()), "{}: non-finite output on {name}", self.type_id);
                assert!(!ch.iter().any(|v| v.is_subnormal()), "{}: subnormal output on {name}", self.type_id);
                if name == "silence" {
                    assert!(ch.iter().all(|v| *v == 0.0), "{}: silence in must give silence out", self.type_id);
                }
            }
        }
        // One NaN and one infinity must not latch any state: after them, finite output again.
        let mut poisoned = crate::testing::noise(n, 77);
        poisoned[100] = f32::NAN;
        poisoned[200] = f32::INFINITY;
        let out = self.render(&vec![poisoned; channels], &[MAX_BLOCK]);
        for ch in &out {
            assert!(
                ch[n / 2..].iter().all(|v| v.is_finite()),
                "{}: a NaN input latched non-finite output",
                self.type_id
            );
        }
        if channels > 0 {
            let latency = engine.report().latency_frames as usize;
            let out = self.render(&vec![impulse; channels], &[MAX_BLOCK]);
            let first = out[0].iter().position(|v| v.abs() > 1e-6);
            assert_eq!(first, Some(latency), "{}: impulse must appear at the declared latency", self.type_id);
        }
    }
}

pub fn run(ex: &mut Executor, input: &[Vec<f32>], blocks: &[usize]) -> Vec<Vec<f32>> {
    let frames = input.first().map(Vec::len).unwrap_or(4800);
    let mut output = vec![vec![0.0f32; frames]; ex.output_channels()];
    let mut pos = 0;
    let mut k = 0;
    while pos < frames {
        let n = blocks[k % blocks.len()].min(frames - pos);
        let ins: Vec<&[f32]> = input.iter().map(|c| &c[pos..pos + n]).collect();
        let mut outs: Vec<&mut [f32]> = output.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        ex.process(&ins, &mut outs, n);
        pos += n;
        k += 1;
    }
    output
}

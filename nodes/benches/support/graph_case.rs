//! Shared by the benches: seeded test signals, a graph run block by block
//! through the real executor, and the × real-time measurement.

use mixgraph_graph::{Engine, Executor, Graph, StreamInfo};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The benches' sample rate.
pub const SR: f64 = 48_000.0;

/// Seeded xorshift noise in [-0.5, 0.5).
pub fn noise(frames: usize, mut seed: u64) -> Vec<f32> {
    (0..frames)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            0.5 * ((seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        })
        .collect()
}

/// A compiled graph fed noise on every input, one block per `run`.
pub struct GraphCase {
    executor: Executor,
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    /// Frames per block.
    pub block: usize,
    /// Kept alive so the executor's rings stay connected for the whole run.
    _engine: Engine,
}

impl GraphCase {
    /// Prepares `graph` at 48 kHz with blocks of `block` frames.
    pub fn new(graph: Graph, block: usize) -> Self {
        let (engine, executor) = Engine::new(graph, StreamInfo::new(SR, block)).expect("engine");
        let channels = engine.report().inputs.iter().map(|p| p.channels).sum::<usize>();
        let inputs = (0..channels).map(|c| noise(block, c as u64 + 1)).collect();
        let outputs = vec![vec![0.0; block]; executor.output_channels()];
        GraphCase { executor, inputs, outputs, block, _engine: engine }
    }

    /// Processes one block.
    pub fn run(&mut self) {
        let ins: Vec<&[f32]> = self.inputs.iter().map(Vec::as_slice).collect();
        let mut outs: Vec<&mut [f32]> = self.outputs.iter_mut().map(Vec::as_mut_slice).collect();
        self.executor.process(&ins, &mut outs, self.block);
        black_box(&self.outputs);
    }
}

/// Best of five runs of `iterations` calls to `run` (each one block of
/// `block` frames), as × real time.
pub fn realtime_factor(block: usize, iterations: usize, mut run: impl FnMut()) -> f64 {
    let iterations = iterations.max(10);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..iterations {
            run();
        }
        best = best.min(start.elapsed() / iterations as u32);
    }
    (block as f64 / SR) / best.as_secs_f64()
}

//! Helpers for mixgraph's end-to-end tests: deterministic test signals, the
//! preset list and a render loop over the real executor.

pub mod alloc_counter;
pub mod material;

use mixgraph_graph::{Engine, Executor, Graph, StreamInfo, file};
use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Every graph file under `presets/`, sorted.
pub fn preset_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("presets dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&workspace().join("presets"), &mut files);
    files.sort();
    files
}

/// Writes planar `channels` as a 32-bit float WAV at `rate`.
pub fn write_wav(path: &Path, channels: &[Vec<f32>], rate: u32) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads any WAV as planar f32 (integers scaled to ±1).
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|x| x.unwrap() as f32 / scale).collect()
        }
    };
    let n = spec.channels as usize;
    let planar = (0..n).map(|c| interleaved.iter().skip(c).step_by(n).copied().collect()).collect();
    (spec, planar)
}

/// Seeded xorshift noise in [-amplitude, amplitude).
pub fn noise(frames: usize, amplitude: f32, mut seed: u64) -> Vec<f32> {
    (0..frames)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            amplitude * ((seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        })
        .collect()
}

/// A sine at `hz`.
pub fn sine(hz: f64, amplitude: f32, sample_rate: f64, frames: usize) -> Vec<f32> {
    (0..frames).map(|i| amplitude * (std::f64::consts::TAU * hz * i as f64 / sample_rate).sin() as f32).collect()
}

/// Loads a graph file with the full registry.
pub fn load(path: &Path) -> Graph {
    file::load_file(path, &mixgraph_nodes::registry()).unwrap_or_else(|e| panic!("{e}"))
}

/// Renders `frames` frames with every graph input fed `input(channel_index)`,
/// in blocks of `block`; returns the external output channels.
pub fn render(
    engine: &Engine,
    executor: &mut Executor,
    frames: usize,
    block: usize,
    input: impl Fn(usize) -> Vec<f32>,
) -> Vec<Vec<f32>> {
    let inputs: Vec<Vec<f32>> = (0..engine.report().inputs.iter().map(|p| p.channels).sum()).map(input).collect();
    let mut outputs = vec![vec![0.0f32; frames]; executor.output_channels()];
    let mut pos = 0;
    while pos < frames {
        let n = block.min(frames - pos);
        let ins: Vec<&[f32]> = inputs.iter().map(|c| &c[pos..pos + n]).collect();
        let mut outs: Vec<&mut [f32]> = outputs.iter_mut().map(|c| &mut c[pos..pos + n]).collect();
        executor.process(&ins, &mut outs, n);
        pos += n;
    }
    outputs
}

/// Builds an engine at 48 kHz with the given maximum block.
pub fn engine(graph: Graph, max_block: usize) -> (Engine, Executor) {
    Engine::new(graph, StreamInfo::new(48_000.0, max_block)).unwrap_or_else(|e| panic!("{e}"))
}

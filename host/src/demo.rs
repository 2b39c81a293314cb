//! `mixgraph demo`: synthesizes the demo song's four stems, writes them as WAV
//! files, and mixes them through a graph by the same path as `mixgraph render`.

use crate::cli::{DemoArgs, InputSpec};
use crate::demo_song::{self, DEMO_BPM, DEMO_KEY};
use crate::render::{self, GraphSource, RenderRequest};
use crate::wav_out::{SampleFormat, WavSink};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// The built-in mix graph, so the demo runs from a fresh clone without a path.
const DEMO_MIX: &str = include_str!("../../presets/mix/demo_mix.json");
/// Where [`DEMO_MIX`] comes from, for messages.
const DEMO_MIX_NAME: &str = "presets/mix/demo_mix.json";
/// Stems are written at 24 bits: no dither noise, exact enough to mix.
const STEM_FORMAT: SampleFormat = SampleFormat::Wav24;
/// Frames per processing block for the mix.
const BLOCK_SIZE: usize = 512;
/// Longest tail if the mix graph's tail is unknown, seconds.
const TAIL_SECONDS: f64 = 5.0;

/// Runs `mixgraph demo`.
///
/// # Errors
/// When the output directory or a file in it cannot be written, or the mix
/// graph (from `--graph`) is bad.
pub fn run(args: DemoArgs) -> Result<()> {
    let stems_dir = args.out.join("stems");
    std::fs::create_dir_all(&stems_dir).with_context(|| format!("cannot create directory {}", stems_dir.display()))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "synthesizing the demo song ({DEMO_KEY}, {DEMO_BPM} BPM) at {} Hz", args.sample_rate)?;
    let stems = demo_song::render_stems(args.sample_rate);
    let mut inputs = Vec::with_capacity(stems.len());
    for stem in &stems {
        let path = stems_dir.join(format!("{}.wav", stem.name));
        write_stem(&path, &stem.channels, args.sample_rate)?;
        writeln!(stdout, "wrote     {}", path.display())?;
        inputs.push(InputSpec { name: stem.name.to_string(), path });
    }

    let graph = match &args.graph {
        Some(path) => GraphSource::File(path.clone()),
        None => GraphSource::Embedded { name: DEMO_MIX_NAME, text: DEMO_MIX },
    };
    let request = RenderRequest {
        graph,
        inputs,
        sets: Vec::new(),
        output: None,
        out_path: args.out.join("demo_mix.wav"),
        sample_rate: Some(args.sample_rate),
        block_size: BLOCK_SIZE,
        format: STEM_FORMAT,
        tail_seconds: TAIL_SECONDS,
        duration_seconds: None,
        taps: Vec::new(),
        record_reduction: false,
    };
    writeln!(stdout, "\nmixing the stems, as:\n  {}\n", equivalent_command(&request))?;
    stdout.flush()?;
    let summary = render::render(&request)?;
    summary.print(&mut stdout)?;
    Ok(())
}

fn write_stem(path: &Path, channels: &[Vec<f32>; 2], sample_rate: u32) -> Result<()> {
    let mut sink = WavSink::create(path, 2, sample_rate, STEM_FORMAT, 0)?;
    sink.write_planar(&[&channels[0], &channels[1]])?;
    sink.finish()
}

/// The `mixgraph render` command line that performs the same mix.
fn equivalent_command(request: &RenderRequest) -> String {
    let graph = match &request.graph {
        GraphSource::File(path) => path.display().to_string(),
        GraphSource::Embedded { name, .. } => name.to_string(),
    };
    let inputs: Vec<String> = request.inputs.iter().map(|i| format!("--in {}={}", i.name, i.path.display())).collect();
    format!(
        "mixgraph render --graph {graph} {} --out {} --sample-rate {} --format {}",
        inputs.join(" "),
        request.out_path.display(),
        request.sample_rate.unwrap_or(48_000),
        request.format
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixgraph_graph::file;

    #[test]
    fn the_built_in_mix_graph_loads_and_has_the_stem_inputs() {
        let graph = file::load_str(DEMO_MIX, DEMO_MIX_NAME, &mixgraph_nodes::registry()).unwrap();
        let names: Vec<String> = crate::inputs::graph_inputs(&graph).into_iter().map(|i| i.name).collect();
        for stem in ["drums", "bass", "chords", "lead"] {
            assert!(names.iter().any(|n| n == stem), "{stem} missing from {names:?}");
        }
        assert!(graph.node("out").is_some());
    }
}

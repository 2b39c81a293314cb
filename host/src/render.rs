//! `mixgraph render`: offline rendering through the same [`Executor`] path that
//! live audio uses, in fixed blocks, without a device.
//!
//! The written file is time-aligned with the inputs: the graph's latency (from
//! its compile report) is processed but trimmed from the start of the file.
//! Its length is the longest input (or file-player material) plus the graph's
//! tail. When the tail is unknown (a feedback loop), the render runs at most
//! `--tail` seconds past the inputs and stops early once the output has stayed
//! below −120 dBFS for half a second.

use crate::cli::{InputSpec, ParamSet, RenderArgs};
use crate::inputs::{self, InputAudio};
use crate::summary::{Loudness, RenderSummary};
use crate::wav_out::{SampleFormat, WavSink};
use anyhow::{Context, Result, anyhow, bail};
use history::HistoryRecorder;
use indicatif::{ProgressBar, ProgressStyle};
use mixgraph_graph::{Engine, Executor, Graph, IoPort, NodeRegistry, NodeRole, StreamInfo, file};
use mixgraph_nodes::metering::loudness::LoudnessMeter;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

mod history;
mod plan;

pub use history::ReductionTrack;
pub use plan::{RenderLength, SilenceWatch, content_frames};

/// Seed of the TPDF dither for 16-bit output, fixed so renders are reproducible.
const DITHER_SEED: u64 = 0x6d69_7867_7261_7068;
/// How long the output must stay silent before an unknown tail is cut.
const SILENCE_SECONDS: f64 = 0.5;

/// Where the graph comes from.
#[derive(Clone, Debug)]
pub enum GraphSource {
    /// A graph file on disk.
    File(PathBuf),
    /// Graph JSON compiled into the binary; `name` stands for the file in errors.
    Embedded {
        /// Name used in messages, e.g. `presets/mix/demo_mix.json`.
        name: &'static str,
        /// The JSON text.
        text: &'static str,
    },
}

/// Everything one render needs; `render` and `demo` both build one.
#[derive(Clone, Debug)]
pub struct RenderRequest {
    /// The graph.
    pub graph: GraphSource,
    /// Files for the graph inputs.
    pub inputs: Vec<InputSpec>,
    /// Parameters to set before building the engine.
    pub sets: Vec<ParamSet>,
    /// Graph output to write; `None` = `out` or the only output.
    pub output: Option<String>,
    /// File to write.
    pub out_path: PathBuf,
    /// Render rate; `None` = the first input's rate (48 kHz without inputs).
    pub sample_rate: Option<u32>,
    /// Frames per `Executor::process` call.
    pub block_size: usize,
    /// Sample format of the written file.
    pub format: SampleFormat,
    /// Longest tail when the graph's tail is unknown, in seconds.
    pub tail_seconds: f64,
    /// Material length in seconds, instead of the longest input / file player.
    pub duration_seconds: Option<f64>,
    /// More graph outputs to write, each to its own 32-bit float file
    /// (the jobs tap each stem and the mix bus this way for their reports).
    pub taps: Vec<Tap>,
    /// Record every gain-reduction meter over time into the summary.
    pub record_reduction: bool,
}

/// A graph output written to a file beside the main one.
#[derive(Clone, Debug)]
pub struct Tap {
    /// The graph output (an `io.output` node id).
    pub output: String,
    /// The file to write.
    pub path: PathBuf,
}

impl From<RenderArgs> for RenderRequest {
    fn from(args: RenderArgs) -> Self {
        RenderRequest {
            graph: GraphSource::File(args.graph),
            inputs: args.inputs,
            sets: args.sets,
            output: args.output,
            out_path: args.out,
            sample_rate: args.sample_rate,
            block_size: args.block_size as usize,
            format: args.format,
            tail_seconds: args.tail_seconds,
            duration_seconds: args.duration_seconds,
            taps: Vec::new(),
            record_reduction: false,
        }
    }
}

/// Runs `mixgraph render` and prints its summary.
///
/// # Errors
/// Any failure of [`render`].
pub fn run(args: RenderArgs) -> Result<()> {
    let summary = render(&RenderRequest::from(args))?;
    summary.print(&mut std::io::stdout().lock())?;
    Ok(())
}

/// Loads the graph, checks and decodes the inputs, renders and writes the
/// output file. Nothing is written when a check fails; a failed render leaves
/// no output file (the sink writes a temporary file and renames it at the end).
///
/// # Errors
/// For a bad graph file, `--set`, input or output name, an unreadable input,
/// an unwritable output, or a graph that does not prepare at this rate.
pub fn render(request: &RenderRequest) -> Result<RenderSummary> {
    render_with(request, &mixgraph_nodes::registry())
}

/// [`render`] with the node types of `registry`.
///
/// # Errors
/// As [`render`].
pub fn render_with(request: &RenderRequest, registry: &NodeRegistry) -> Result<RenderSummary> {
    let (mut graph, graph_name) = match &request.graph {
        GraphSource::File(path) => (file::load_file(path, registry)?, path.display().to_string()),
        GraphSource::Embedded { name, text } => (file::load_str(text, name, registry)?, name.to_string()),
    };
    apply_sets(&mut graph, &request.sets)?;
    let graph_inputs = inputs::graph_inputs(&graph);
    inputs::match_inputs(&request.inputs, &graph_inputs)?;
    let output_name = select_output(&graph, request.output.as_deref())?;
    let targets = graph.targets;

    let (sample_rate, audio) = inputs::load_inputs(&request.inputs, &graph_inputs, request.sample_rate)?;
    let stream = StreamInfo::new(f64::from(sample_rate), request.block_size);
    // The commit error's message already carries its cause (node id and reason).
    let (engine, executor) = Engine::new(graph, stream).map_err(|e| anyhow!("{graph_name}: {e}"))?;
    let report = engine.report().clone();
    let output = report
        .outputs
        .iter()
        .find(|p| p.name == output_name)
        .cloned()
        .ok_or_else(|| anyhow!("{graph_name}: output '{output_name}' is not connected"))?;

    let content_frames = content_frames(
        request.duration_seconds.map(|s| (s * f64::from(sample_rate)).round() as u64),
        audio.iter().map(InputAudio::frames).max(),
        engine.content_frames(),
    )
    .map_err(|e| anyhow!("{graph_name}: {e}"))?;
    let length = RenderLength::plan(
        content_frames,
        report.latency_frames,
        report.tail_frames,
        request.tail_seconds,
        sample_rate,
    );

    let channels = u16::try_from(output.channels).context("too many output channels for a WAV file")?;
    let sink = WavSink::create(&request.out_path, channels, sample_rate, request.format, DITHER_SEED)?;
    let mut taps = Vec::new();
    for tap in &request.taps {
        let port = report
            .outputs
            .iter()
            .find(|p| p.name == tap.output)
            .ok_or_else(|| anyhow!("{graph_name}: no connected output '{}' to tap", tap.output))?;
        let channels = u16::try_from(port.channels).context("too many output channels for a WAV file")?;
        taps.push((port.clone(), WavSink::create(&tap.path, channels, sample_rate, SampleFormat::Wav32F, 0)?));
    }
    let mut run = RenderRun::new(executor, &report.inputs, &audio, &output, request.block_size, sample_rate);
    let mut recorder = request
        .record_reduction
        .then(|| HistoryRecorder::new(engine.telemetry().clone(), u64::from(report.latency_frames), sample_rate));
    let started = Instant::now();
    let written_frames = run.run(sink, taps, recorder.as_mut(), &length)?;
    let render_seconds = started.elapsed().as_secs_f64();

    Ok(RenderSummary {
        out_path: request.out_path.clone(),
        format: request.format,
        sample_rate,
        channels: output.channels,
        frames: written_frames,
        latency_frames: report.latency_frames,
        block_size: request.block_size,
        render_seconds,
        graph_seconds: run.graph_time.as_secs_f64(),
        loudness: run.loudness(),
        targets,
        meters: engine.telemetry().snapshot().into_iter().collect(),
        reduction: recorder.map(HistoryRecorder::finish).unwrap_or_default(),
    })
}

/// Applies each `--set` with the graph's own parser (range-checked, enum names).
fn apply_sets(graph: &mut Graph, sets: &[ParamSet]) -> Result<()> {
    for set in sets {
        let (_, value) = graph
            .parse_param(&set.address, &set.value)
            .map_err(|e| anyhow!("bad --set {}={}: {e}", set.address, set.value))?;
        graph.set_param(&set.address, value).map_err(|e| anyhow!("bad --set {}={}: {e}", set.address, set.value))?;
    }
    Ok(())
}

/// Picks the graph output to write: `wanted`, else `out`, else the only one.
fn select_output(graph: &Graph, wanted: Option<&str>) -> Result<String> {
    let outputs: Vec<&str> = graph.nodes().filter(|n| n.info().role == NodeRole::GraphOutput).map(|n| n.id()).collect();
    let list = outputs.join(", ");
    match wanted {
        Some(name) if outputs.contains(&name) => Ok(name.to_string()),
        Some(name) if outputs.is_empty() => bail!("--output {name}: the graph has no outputs"),
        Some(name) => bail!("--output {name}: the graph has no output named '{name}' (it has: {list})"),
        None if outputs.contains(&"out") => Ok("out".to_string()),
        None if outputs.len() == 1 => Ok(outputs[0].to_string()),
        None if outputs.is_empty() => bail!("the graph has no outputs: add an io.output node named 'out'"),
        None => bail!("the graph has several outputs and none is named 'out': choose one with --output ({list})"),
    }
}

/// The block loop and its buffers.
struct RenderRun<'a> {
    executor: Executor,
    /// For each external input channel: the samples feeding it.
    sources: Vec<&'a [f32]>,
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    output: IoPort,
    block_size: usize,
    sample_rate: u32,
    stats: OutputStats,
    /// Time spent in the executor, summed over blocks.
    graph_time: std::time::Duration,
}

/// Loudness and peak of what has been written.
struct OutputStats {
    /// `None` for channel counts the loudness meter does not support.
    meter: Option<LoudnessMeter>,
    peak: f32,
}

impl<'a> RenderRun<'a> {
    fn new(
        executor: Executor,
        ports: &[IoPort],
        audio: &'a [InputAudio],
        output: &IoPort,
        block_size: usize,
        sample_rate: u32,
    ) -> Self {
        let mut sources: Vec<&[f32]> = Vec::new();
        for port in ports {
            let given = audio.iter().find(|a| a.name == port.name);
            for ch in 0..port.channels {
                sources.push(given.and_then(|a| a.channels.get(ch)).map_or(&[], |c| c.as_slice()));
            }
        }
        let out_channels = executor.output_channels();
        let meter = LoudnessMeter::new(output.channels as u32, sample_rate).ok();
        RenderRun {
            inputs: vec![vec![0.0; block_size]; sources.len()],
            outputs: vec![vec![0.0; block_size]; out_channels],
            sources,
            executor,
            output: output.clone(),
            block_size,
            sample_rate,
            stats: OutputStats { meter, peak: 0.0 },
            graph_time: std::time::Duration::ZERO,
        }
    }

    /// Renders `length` into `sink` (and each tap into its sink, polling
    /// `recorder` after every block); returns the frames written. The
    /// sinks' errors name their paths.
    fn run(
        &mut self,
        mut sink: WavSink,
        mut taps: Vec<(IoPort, WavSink)>,
        mut recorder: Option<&mut HistoryRecorder>,
        length: &RenderLength,
    ) -> Result<u64> {
        let progress = progress_bar(length.written_frames());
        let mut watch = (!length.tail_known)
            .then(|| SilenceWatch::new(length.content_frames, (SILENCE_SECONDS * f64::from(self.sample_rate)) as u64));
        let total = length.process_frames();
        let mut skip = length.latency_frames;
        let mut processed = 0u64;
        let mut written = 0u64;
        while processed < total {
            let n = (total - processed).min(self.block_size as u64) as usize;
            self.fill_inputs(processed as usize, n);
            let ins: Vec<&[f32]> = self.inputs.iter().map(|b| &b[..n]).collect();
            let mut outs: Vec<&mut [f32]> = self.outputs.iter_mut().map(|b| &mut b[..n]).collect();
            let started = Instant::now();
            self.executor.process(&ins, &mut outs, n);
            self.graph_time += started.elapsed();
            processed += n as u64;
            if let Some(recorder) = recorder.as_deref_mut() {
                recorder.poll();
            }

            let start = skip.min(n as u64) as usize;
            skip -= start as u64;
            if start == n {
                continue;
            }
            let first = self.output.first_channel;
            let block: Vec<&[f32]> =
                self.outputs[first..first + self.output.channels].iter().map(|c| &c[start..n]).collect();
            sink.write_planar(&block)?;
            for (port, tap) in &mut taps {
                let first = port.first_channel;
                let block: Vec<&[f32]> =
                    self.outputs[first..first + port.channels].iter().map(|c| &c[start..n]).collect();
                tap.write_planar(&block)?;
            }
            self.stats.measure(&block);
            let done = watch.as_mut().is_some_and(|w| w.feed(written, &block));
            written += (n - start) as u64;
            progress.set_position(written);
            if done {
                break;
            }
        }
        progress.finish_and_clear();
        sink.finish()?;
        for (_, tap) in taps {
            tap.finish()?;
        }
        Ok(written)
    }

    /// Copies the input material for frames `at..at + n` into the input buffers,
    /// with silence past the end of each file.
    fn fill_inputs(&mut self, at: usize, n: usize) {
        for (buffer, source) in self.inputs.iter_mut().zip(&self.sources) {
            let available = source.len().saturating_sub(at).min(n);
            if available > 0 {
                buffer[..available].copy_from_slice(&source[at..at + available]);
            }
            buffer[available..n].fill(0.0);
        }
    }

    /// Loudness of everything written.
    fn loudness(&self) -> Loudness {
        self.stats.loudness()
    }
}

impl OutputStats {
    fn measure(&mut self, block: &[&[f32]]) {
        for channel in block {
            self.peak = channel.iter().fold(self.peak, |p, x| p.max(x.abs()));
        }
        if let Some(meter) = &mut self.meter {
            // Only fails for a mismatched channel count, which the meter was built with.
            if meter.add_planar(block).is_err() {
                self.meter = None;
            }
        }
    }

    /// Loudness of everything written (none for channel counts other than 1, 2, 5).
    fn loudness(&self) -> Loudness {
        let sample_peak_dbfs = 20.0 * f64::from(self.peak).log10();
        let reading = self.meter.as_ref().map(LoudnessMeter::reading);
        Loudness {
            integrated_lufs: reading.map(|r| r.integrated_lufs),
            true_peak_dbtp: reading.map(|r| r.true_peak_dbtp),
            sample_peak_dbfs,
        }
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(frames: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(frames);
    if let Ok(style) = ProgressStyle::with_template("rendering [{bar:40}] {percent:>3}% {elapsed} eta {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests;

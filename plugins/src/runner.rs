//! A graph running inside a plugin: built from graph-file text for the
//! host's sample rate and largest block, fed from the host's buses, driven
//! by the macro bank, with a latency-compensated bypass.
//!
//! Bus mapping: the graph input named `in` reads the main input, the one
//! named `sidechain` reads the sidechain bus, any other input reads silence;
//! the output named `out` (else the first output) goes to the main output;
//! the host's MIDI goes to the note input named `notes` (else the first).
//! A graph port with more channels than the bus repeats the bus's last
//! channel; extra bus channels are left out.
//!
//! Everything after [`GraphRunner::new`] is real-time safe: no allocation,
//! lock, I/O or panic in [`GraphRunner::process`] (tested with a counting
//! allocator).

use mixgraph_graph::macros::{MAX_MACROS, MacroSpec};
use mixgraph_graph::{Engine, Executor, NoteEvent, ParamHandle, StreamInfo, file};

/// Most external channels a graph may have (inputs or outputs, all ports).
pub const MAX_CHANNELS: usize = 32;
/// Most note inputs a graph may have (the host's MIDI feeds one of them).
const MAX_EVENT_INPUTS: usize = 8;
/// Most note events one host block may carry.
pub const MAX_NOTE_EVENTS: usize = 1024;
/// Bypass crossfade length, seconds.
const BYPASS_FADE_S: f64 = 0.01;

/// Error building a graph for a plugin; the message names what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The graph file does not load.
    #[error("{0}")]
    Load(#[from] file::LoadGraphError),
    /// A node failed to prepare or the graph does not compile.
    #[error("{0}")]
    Commit(#[from] mixgraph_graph::CommitError),
    /// Too many external channels.
    #[error("the graph has {0} external channels; a plugin takes at most {MAX_CHANNELS}")]
    TooManyChannels(usize),
    /// A macro target has no real-time path.
    #[error("macro '{name}': {error}")]
    Macro {
        /// The macro's name.
        name: String,
        /// Why.
        error: mixgraph_graph::EngineParamError,
    },
}

/// Where one graph input channel reads from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Main(usize),
    Sidechain(usize),
    Silence,
}

/// One macro's targets, resolved.
struct MacroSlot {
    spec: MacroSpec,
    handles: Vec<ParamHandle>,
    /// The position last applied (NaN: never).
    applied: f32,
}

/// A graph built for one stream configuration, ready for the audio thread.
pub struct GraphRunner {
    engine: Engine,
    executor: Executor,
    sources: Vec<Source>,
    /// First channel and channel count of the output sent to the main bus.
    main_out: (usize, usize),
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    macros: Vec<MacroSlot>,
    /// Index of the note input the host's MIDI goes to, and the count of
    /// note inputs.
    note_input: Option<usize>,
    event_inputs: usize,
    /// This chunk's note events (frames relative to the chunk).
    chunk_events: Vec<NoteEvent>,
    /// The main input is audio to pass through on bypass (not an instrument).
    has_main_input: bool,
    /// Dry signal delayed by the latency, per main channel: ring buffers.
    dry: Vec<Vec<f32>>,
    dry_pos: usize,
    /// Bypass mix: 0 = processed, 1 = bypassed; moves toward the target.
    bypass_mix: f32,
    bypass_step: f32,
    latency: u32,
    tail: u32,
}

impl GraphRunner {
    /// Loads `graph_text` (`source` names it in errors) and prepares it for
    /// `sample_rate` and blocks up to `max_block` frames, with `main_channels`
    /// on the main buses. Control thread: allocates.
    ///
    /// # Errors
    /// [`RunnerError`] naming the file, node or macro at fault.
    pub fn new(
        graph_text: &str,
        source: &str,
        sample_rate: f64,
        max_block: usize,
        main_channels: usize,
    ) -> Result<Self, RunnerError> {
        let registry = mixgraph_nodes::registry();
        let graph = file::load_str(graph_text, source, &registry)?;
        let stream = StreamInfo::new(sample_rate, max_block.max(1));
        file::check(&graph, source, &stream)?;
        let macro_specs = graph.macros.clone();
        let (engine, executor) = Engine::new(graph, stream)?;
        let report = engine.report().clone();
        let in_total: usize = report.inputs.iter().map(|p| p.channels).sum();
        let out_total: usize = report.outputs.iter().map(|p| p.channels).sum();
        if in_total.max(out_total) > MAX_CHANNELS {
            return Err(RunnerError::TooManyChannels(in_total.max(out_total)));
        }
        let mut sources = Vec::with_capacity(in_total);
        for port in &report.inputs {
            for c in 0..port.channels {
                sources.push(match port.name.as_str() {
                    "in" => Source::Main(c),
                    "sidechain" => Source::Sidechain(c),
                    _ => Source::Silence,
                });
            }
        }
        let main_out = report
            .outputs
            .iter()
            .find(|p| p.name == "out")
            .or(report.outputs.first())
            .map(|p| (p.first_channel, p.channels))
            .unwrap_or((0, 0));
        let mut macros = Vec::with_capacity(macro_specs.len());
        for spec in macro_specs.into_iter().take(MAX_MACROS) {
            let handles = spec
                .targets
                .iter()
                .map(|t| engine.param_handle(&t.param))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| RunnerError::Macro { name: spec.name.clone(), error })?;
            macros.push(MacroSlot { spec, handles, applied: f32::NAN });
        }
        let latency = report.latency_frames;
        let block = max_block.max(1);
        let note_input =
            report.event_inputs.iter().position(|n| n == "notes").or((!report.event_inputs.is_empty()).then_some(0));
        let has_main_input = report.inputs.iter().any(|p| p.name == "in");
        Ok(GraphRunner {
            engine,
            executor,
            sources,
            main_out,
            inputs: vec![vec![0.0; block]; in_total],
            outputs: vec![vec![0.0; block]; out_total],
            macros,
            note_input,
            event_inputs: report.event_inputs.len(),
            chunk_events: Vec::with_capacity(MAX_NOTE_EVENTS),
            has_main_input,
            dry: vec![vec![0.0; latency as usize]; main_channels],
            dry_pos: 0,
            bypass_mix: 0.0,
            bypass_step: (1.0 / (BYPASS_FADE_S * sample_rate)).min(1.0) as f32,
            latency,
            tail: report.tail_frames,
        })
    }

    /// The graph's latency, frames (also the bypass's delay).
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// How long the output rings after the input stops, frames.
    pub fn tail(&self) -> u32 {
        self.tail
    }

    /// The macros the graph defines, in order.
    pub fn macro_specs(&self) -> impl Iterator<Item = &MacroSpec> {
        self.macros.iter().map(|m| &m.spec)
    }

    /// The engine (control side), for telemetry and parameter reads.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Clears all signal state (graph and bypass delay). Audio thread.
    pub fn reset(&mut self) {
        self.executor.reset();
        for d in &mut self.dry {
            d.fill(0.0);
        }
        self.dry_pos = 0;
    }

    /// Moves macro `index` to `position` (0 … 1): every target follows.
    /// Audio thread; does nothing if the position is unchanged.
    pub fn set_macro(&mut self, index: usize, position: f32) {
        let Some(slot) = self.macros.get_mut(index) else { return };
        if slot.applied == position {
            return;
        }
        slot.applied = position;
        for (target, handle) in slot.spec.targets.iter().zip(&slot.handles) {
            self.engine.set_param_rt(*handle, target.value_at(position));
        }
    }

    /// Sets a parameter resolved with [`GraphRunner::param_handle`] (from
    /// the editor); real-time safe. False when the engine refused it.
    pub fn set_param(&mut self, handle: ParamHandle, value: f32) -> bool {
        self.engine.set_param_rt(handle, value)
    }

    /// Resolves `node.param` for [`GraphRunner::set_param`]. Control thread.
    ///
    /// # Errors
    /// An unknown or structural parameter.
    pub fn param_handle(&self, address: &str) -> Result<ParamHandle, mixgraph_graph::EngineParamError> {
        self.engine.param_handle(address)
    }

    /// Processes `frames` frames in place on `main` (input in, output out),
    /// reading `sidechain` if given and playing `notes` (sorted by frame,
    /// relative to this call) into the note input. `bypass` switches to the
    /// input delayed by the latency (silence for an instrument), crossfaded
    /// over 10 ms. Audio thread: never allocates, locks or panics.
    pub fn process(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&mut [f32]]>,
        notes: &[NoteEvent],
        frames: usize,
        bypass: bool,
    ) {
        let block = self.inputs.first().or(self.outputs.first()).map_or(frames, Vec::len).max(1);
        let mut offset = 0;
        while offset < frames {
            let n = (frames - offset).min(block);
            self.chunk_events.clear();
            let range = offset as u32..(offset + n) as u32;
            for e in notes.iter().filter(|e| range.contains(&e.frame)) {
                if self.chunk_events.len() < self.chunk_events.capacity() {
                    self.chunk_events.push(NoteEvent { frame: e.frame - offset as u32, kind: e.kind });
                }
            }
            self.process_chunk(main, sidechain, offset, n, bypass);
            offset += n;
        }
    }

    fn process_chunk(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&mut [f32]]>,
        offset: usize,
        n: usize,
        bypass: bool,
    ) {
        let bus = |channels: &[&mut [f32]], c: usize| -> Option<usize> {
            (!channels.is_empty()).then(|| c.min(channels.len() - 1))
        };
        for (input, source) in self.inputs.iter_mut().zip(&self.sources) {
            let from = match *source {
                Source::Main(c) => bus(main, c).and_then(|c| main[c].get(offset..offset + n)),
                Source::Sidechain(c) => sidechain.and_then(|sc| bus(sc, c).and_then(|c| sc[c].get(offset..offset + n))),
                Source::Silence => None,
            };
            match (from, input.get_mut(..n)) {
                (Some(from), Some(to)) => to.copy_from_slice(from),
                (None, Some(to)) => to.fill(0.0),
                _ => {}
            }
        }
        let (in_count, out_count) = (self.inputs.len(), self.outputs.len());
        let mut ins: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for (slot, input) in ins.iter_mut().zip(&self.inputs) {
            *slot = &input[..n.min(input.len())];
        }
        let mut outs: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, output) in outs.iter_mut().zip(self.outputs.iter_mut()) {
            let len = n.min(output.len());
            *slot = &mut output[..len];
        }
        let mut events: [&[NoteEvent]; MAX_EVENT_INPUTS] = [&[]; MAX_EVENT_INPUTS];
        if let Some(slot) = self.note_input.and_then(|i| events.get_mut(i)) {
            *slot = &self.chunk_events;
        }
        let event_count = self.event_inputs.min(MAX_EVENT_INPUTS);
        self.executor.process_with_events(&ins[..in_count], &events[..event_count], &mut outs[..out_count], n);
        self.write_main(main, offset, n, bypass);
    }

    /// Writes the graph's main output (mixed with the delayed dry signal
    /// while bypassed or fading) over `main`, and advances the dry delay.
    fn write_main(&mut self, main: &mut [&mut [f32]], offset: usize, n: usize, bypass: bool) {
        let (first, count) = self.main_out;
        let target = if bypass { 1.0 } else { 0.0 };
        let len = self.dry.first().map_or(0, Vec::len);
        let start_mix = self.bypass_mix;
        for (c, channel) in main.iter_mut().enumerate() {
            let Some(out) = channel.get_mut(offset..offset + n) else { continue };
            let wet =
                if count > 0 { self.outputs.get(first + c.min(count - 1)).and_then(|w| w.get(..n)) } else { None };
            let Some(dry) = self.dry.get_mut(c) else { continue };
            let mut mix = start_mix;
            let mut pos = self.dry_pos;
            for (i, y) in out.iter_mut().enumerate() {
                // The dry line holds `latency` frames: read the oldest, then write.
                let input = if self.has_main_input { *y } else { 0.0 };
                let delayed = match dry.get_mut(pos) {
                    Some(slot) => std::mem::replace(slot, input),
                    None => input,
                };
                pos = if pos + 1 >= len { 0 } else { pos + 1 };
                mix = if mix < target {
                    (mix + self.bypass_step).min(target)
                } else {
                    (mix - self.bypass_step).max(target)
                };
                let w = wet.and_then(|w| w.get(i)).copied().unwrap_or(0.0);
                let v = if mix == 0.0 { w } else { w + mix * (delayed - w) };
                // Hosts and validators reject subnormal output (the dry
                // path carries the host's input as it is).
                *y = if v.is_subnormal() { 0.0 } else { v };
            }
        }
        if len > 0 {
            self.dry_pos = (self.dry_pos + n) % len;
        }
        let moved = (self.bypass_step * n as f32).min(1.0);
        self.bypass_mix =
            if start_mix < target { (start_mix + moved).min(target) } else { (start_mix - moved).max(target) };
    }
}

#[cfg(test)]
mod tests;

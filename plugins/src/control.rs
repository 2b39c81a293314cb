//! What the plugin and its editor share: the parameters (with the graph
//! text the host saves), and, while the plugin is active, the control end
//! of the running graph ([`Control`]).
//!
//! The editor edits a document; [`Control::apply`] turns each change into
//! the cheapest thing that makes the plugin play it: parameter moves on
//! running nodes become [`ParamEdit`]s, anything else a new runner built
//! here (off the audio thread) and swapped in with a crossfade. The audio
//! thread never touches this lock.

use crate::params::GraphParams;
use crate::runner::{GraphRunner, RunnerError};
use crate::swap::{Arrival, ParamEdit, SwapRunner, SwapSender};
use mixgraph_graph::{Graph, ParamHandle, TelemetryHub};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Output channels metered for the editor.
pub const METERED_CHANNELS: usize = 2;

/// The plugin's output peak per channel since the editor last looked: the
/// audio thread raises it (`fetch_max` on the bits of a non-negative
/// float, which order as the values do), the editor takes and clears it.
#[derive(Debug, Default)]
pub struct OutputPeaks {
    bits: [AtomicU32; METERED_CHANNELS],
}

impl OutputPeaks {
    /// Records this block's output. Audio thread: wait-free.
    pub fn record(&self, channels: &[&mut [f32]]) {
        for (slot, channel) in self.bits.iter().zip(channels) {
            let peak = channel.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            if peak.is_finite() {
                slot.fetch_max(peak.to_bits(), Ordering::Relaxed);
            }
        }
    }

    /// The peak per channel since the last call (linear), clearing it.
    pub fn take(&self) -> [f32; METERED_CHANNELS] {
        std::array::from_fn(|c| f32::from_bits(self.bits[c].swap(0, Ordering::Relaxed)))
    }
}

/// Shared by a plugin instance and its editor.
pub struct Shared {
    /// The host's parameters and the saved graph text.
    pub params: Arc<GraphParams>,
    /// The running graph's control end; `None` while the plugin is inactive.
    pub control: Arc<Mutex<Option<Control>>>,
    /// The output level for the editor's meter.
    pub peaks: OutputPeaks,
}

impl Shared {
    /// The state of a new instance with `params`: a graph the host
    /// restores while the plugin runs is applied to it at once.
    pub fn new(params: Arc<GraphParams>) -> Self {
        let control: Arc<Mutex<Option<Control>>> = Arc::new(Mutex::new(None));
        let for_restore = control.clone();
        params.graph.on_restore(Box::new(move |text| {
            let mut control = for_restore.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let Some(control) = control.as_mut() else { return };
            let registry = mixgraph_nodes::registry();
            let applied = mixgraph_graph::file::load_str(text, "the restored state", &registry)
                .map_err(|e| e.to_string())
                .and_then(|graph| control.apply(&graph, text).map_err(|e| e.to_string()));
            if let Err(e) = applied {
                nice_plug::nice_error!("mixgraph: the restored graph does not run (the last one plays on): {e}");
            }
        }));
        Shared { params, control, peaks: OutputPeaks::default() }
    }
}

impl Shared {
    /// The control end (a poisoned lock still holds usable state).
    pub fn control(&self) -> MutexGuard<'_, Option<Control>> {
        self.control.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The saved graph text.
    pub fn graph_text(&self) -> String {
        self.params.graph.get()
    }

    /// Replaces the saved graph text (the host saves it with the project).
    pub fn set_graph_text(&self, text: &str) {
        self.params.graph.store(text);
    }
}

/// What decides whether an edit needs a new runner: nodes (id, type,
/// construction options), wires and macro mappings.
#[derive(Clone, Debug, Default, PartialEq)]
struct Structure {
    nodes: Vec<(String, String, serde_json::Value)>,
    edges: Vec<(String, String)>,
    macros: serde_json::Value,
}

/// A graph's parameters by address (`node.param`): value, and whether
/// changing it rebuilds the node.
type Values = BTreeMap<String, (f32, bool)>;

fn describe(graph: &Graph) -> (Structure, Values) {
    let mut values = Values::new();
    let mut nodes = Vec::new();
    for entry in graph.nodes() {
        nodes.push((entry.id().to_string(), entry.info().type_id.clone(), entry.config()));
        for (desc, value) in entry.info().params.iter().zip(entry.params()) {
            values.insert(format!("{}.{}", entry.id(), desc.id), (*value, desc.structural));
        }
    }
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut edges = graph.edges();
    edges.sort();
    let macros = serde_json::to_value(&graph.macros).unwrap_or_default();
    (Structure { nodes, edges, macros }, values)
}

/// The stream a plugin instance runs: fixed between activations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamShape {
    /// Sample rate, Hz.
    pub sample_rate: f64,
    /// Largest block the host sends.
    pub max_block: usize,
    /// Main output channels.
    pub channels: usize,
}

/// The control end of a running graph.
pub struct Control {
    sender: SwapSender,
    shape: StreamShape,
    generation: u64,
    structure: Structure,
    values: Values,
    handles: BTreeMap<String, ParamHandle>,
    telemetry: TelemetryHub,
    latency: u32,
    /// A runner built but not yet taken (the queue was full).
    pending: Option<Box<Arrival>>,
}

/// A runner for `text` with what the control end needs to know about it.
struct Built {
    arrival: Arrival,
    structure: Structure,
    values: Values,
    handles: BTreeMap<String, ParamHandle>,
    telemetry: TelemetryHub,
}

fn build(text: &str, source: &str, shape: StreamShape, generation: u64) -> Result<Built, RunnerError> {
    let runner = GraphRunner::new(text, source, shape.sample_rate, shape.max_block, shape.channels)?;
    let (structure, values) = describe(runner.engine().graph());
    let handles = values
        .iter()
        .filter(|(_, (_, structural))| !structural)
        .filter_map(|(address, _)| runner.param_handle(address).ok().map(|h| (address.clone(), h)))
        .collect();
    let telemetry = runner.engine().telemetry().clone();
    Ok(Built { arrival: Arrival { runner, generation }, structure, values, handles, telemetry })
}

impl Control {
    /// Builds `text` for `shape` (on the control thread) and returns the
    /// control end and the audio end.
    ///
    /// # Errors
    /// [`RunnerError`] naming the node or macro at fault.
    pub fn start(text: &str, shape: StreamShape) -> Result<(Control, SwapRunner), RunnerError> {
        let built = build(text, "the plugin's graph", shape, 1)?;
        let latency = built.arrival.runner.latency();
        let (sender, swap) = crate::swap::channel(built.arrival, shape.sample_rate, shape.channels, shape.max_block);
        let control = Control {
            sender,
            shape,
            generation: 1,
            structure: built.structure,
            values: built.values,
            handles: built.handles,
            telemetry: built.telemetry,
            latency,
            pending: None,
        };
        Ok((control, swap))
    }

    /// The running graph's meters.
    pub fn telemetry(&self) -> &TelemetryHub {
        &self.telemetry
    }

    /// The latency of the graph last sent, frames.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// The stream the graph runs in.
    pub fn shape(&self) -> StreamShape {
        self.shape
    }

    /// Makes the plugin play `graph` (the editor's document as a graph;
    /// `text` is its graph file). Returns true when a new runner was sent,
    /// false when parameter edits sufficed.
    ///
    /// # Errors
    /// The edited graph does not run (the plugin keeps playing the last
    /// one that did), with the loader's or compiler's message.
    pub fn apply(&mut self, graph: &Graph, text: &str) -> Result<bool, RunnerError> {
        self.tick();
        let (structure, values) = describe(graph);
        let params_only = structure == self.structure
            && values.iter().all(|(address, (value, structural))| {
                !structural || self.values.get(address).is_some_and(|(v, _)| v == value)
            });
        if params_only {
            for (address, (value, _)) in &values {
                if self.values.get(address).is_some_and(|(v, _)| v == value) {
                    continue;
                }
                let Some(&handle) = self.handles.get(address) else { continue };
                if self.sender.send_edit(ParamEdit { generation: self.generation, handle, value: *value }) {
                    self.values.insert(address.clone(), (*value, false));
                }
            }
            return Ok(false);
        }
        let built = build(text, "the edited graph", self.shape, self.generation + 1)?;
        self.generation += 1;
        self.latency = built.arrival.runner.latency();
        self.structure = built.structure;
        self.values = built.values;
        self.handles = built.handles;
        self.telemetry = built.telemetry;
        if let Err(back) = self.sender.send_runner(Box::new(built.arrival)) {
            // The audio thread still holds the last ones: send at the next edit or tick.
            self.pending = Some(back);
        }
        Ok(true)
    }

    /// Sends a runner that waited for room, and drops retired ones (the
    /// sender collects them before each send).
    pub fn tick(&mut self) {
        if let Some(pending) = self.pending.take()
            && let Err(back) = self.sender.send_runner(pending)
        {
            self.pending = Some(back);
        }
        self.sender.collect_garbage();
    }
}

#[cfg(test)]
mod tests;

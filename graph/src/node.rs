//! The control-thread half of a node: what it declares and how it builds its
//! processor.
//!
//! Lifecycle of a node, with the thread each step runs on:
//!
//! 1. **Control thread** — construction from its config (the registry's factory),
//!    then [`Node::info`] any number of times. May allocate.
//! 2. **Control thread** — [`Node::prepare`] with the stream's sample rate and
//!    maximum block size and the current parameter values. This is the only
//!    place the node allocates for audio; it runs again whenever the stream
//!    changes or a structural parameter changes.
//! 3. **Audio thread** — [`crate::Processor::process`] any number of times with
//!    blocks of `1..=max_block_frames` frames; [`crate::Processor::reset`]
//!    between renders. Neither allocates, locks, does I/O or panics.
//! 4. **Control thread** — the processor comes back through the engine's return
//!    queue and is dropped there, never on the audio thread.

use crate::param::{ParamDesc, ParamIndex};
use crate::processor::Processor;
use crate::telemetry::{MeterFrame, MeterWriter, TelemetryHub};
use serde::Serialize;

/// The stream a node is prepared for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamInfo {
    /// Frames per second.
    pub sample_rate: f64,
    /// Largest block `process` will be called with.
    pub max_block_frames: usize,
}

impl StreamInfo {
    /// A stream description.
    pub fn new(sample_rate: f64, max_block_frames: usize) -> Self {
        StreamInfo { sample_rate, max_block_frames }
    }
}

/// The kind of data a port carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PortKind {
    /// Audio with a fixed channel count.
    Audio {
        /// Number of channels.
        channels: usize,
    },
    /// Note events (note on/off, controllers).
    Events,
}

/// One named input or output of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortDesc {
    /// Stable snake_case name used in edges (`node.port`).
    pub name: String,
    /// What the port carries (flattened in JSON: `{"name", "kind", "channels"}`).
    #[serde(flatten)]
    pub kind: PortKind,
}

impl PortDesc {
    /// An audio port.
    pub fn audio(name: &str, channels: usize) -> Self {
        PortDesc { name: name.to_string(), kind: PortKind::Audio { channels } }
    }

    /// A note-event port.
    pub fn events(name: &str) -> Self {
        PortDesc { name: name.to_string(), kind: PortKind::Events }
    }

    /// Channel count of an audio port, 0 for an event port.
    pub fn channels(&self) -> usize {
        match self.kind {
            PortKind::Audio { channels } => channels,
            PortKind::Events => 0,
        }
    }
}

/// How the compiler treats a node. Ordinary nodes are [`NodeRole::Processor`];
/// the other roles are the engine's own primitives (graph inputs and outputs,
/// and the feedback delay that lets a cycle exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Runs its processor.
    Processor,
    /// Feeds a named external input into the graph; the node's id is the name.
    GraphInput,
    /// Collects a named external output; the node's id is the name.
    GraphOutput,
    /// Delays its input by the `delay_ms` parameter (at least one block) and may
    /// close a cycle: its output is produced before its input is known.
    FeedbackDelay,
}

/// What a node declares about itself. Built with the builder methods so that new
/// fields do not break callers.
#[derive(Clone, Debug, Serialize)]
pub struct NodeInfo {
    /// Stable type id, such as `"filter.biquad"`.
    pub type_id: String,
    /// How the compiler treats the node.
    pub role: NodeRole,
    /// Audio and event inputs, in order.
    pub inputs: Vec<PortDesc>,
    /// Audio and event outputs, in order.
    pub outputs: Vec<PortDesc>,
    /// Parameters, indexed by [`ParamIndex`].
    pub params: Vec<ParamDesc>,
}

impl NodeInfo {
    /// An info with no ports or parameters.
    pub fn new(type_id: &str) -> Self {
        NodeInfo {
            type_id: type_id.to_string(),
            role: NodeRole::Processor,
            inputs: Vec::new(),
            outputs: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds an input port.
    pub fn input(mut self, port: PortDesc) -> Self {
        self.inputs.push(port);
        self
    }

    /// Adds an output port.
    pub fn output(mut self, port: PortDesc) -> Self {
        self.outputs.push(port);
        self
    }

    /// Adds a parameter.
    pub fn param(mut self, param: ParamDesc) -> Self {
        self.params.push(param);
        self
    }

    /// Sets the role (engine primitives only).
    pub fn role(mut self, role: NodeRole) -> Self {
        self.role = role;
        self
    }

    /// Index of the parameter with this id.
    pub fn param_index(&self, id: &str) -> Option<ParamIndex> {
        self.params.iter().position(|p| p.id == id).map(|i| ParamIndex(i as u16))
    }

    /// Index of the input port with this name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|p| p.name == name)
    }

    /// Index of the output port with this name.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.name == name)
    }

    /// Total audio input channels over all ports.
    pub fn input_channels(&self) -> usize {
        self.inputs.iter().map(PortDesc::channels).sum()
    }

    /// Total audio output channels over all ports.
    pub fn output_channels(&self) -> usize {
        self.outputs.iter().map(PortDesc::channels).sum()
    }
}

/// Error from a node's constructor or `prepare`; a boxed wrapper so third-party
/// nodes can carry their own error types.
#[derive(Debug)]
pub struct NodeError(pub Box<dyn std::error::Error + Send + Sync>);

impl NodeError {
    /// An error with a plain message.
    pub fn msg(message: impl Into<String>) -> Self {
        NodeError(message.into().into())
    }
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for NodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What `prepare` receives.
pub struct PrepareContext<'a> {
    /// Sample rate and maximum block size.
    pub stream: StreamInfo,
    /// Current parameter values, indexed by [`ParamIndex`].
    pub params: &'a [f32],
    /// The node's id in its graph (used to name its telemetry).
    pub node_id: &'a str,
    pub(crate) telemetry: &'a TelemetryHub,
}

impl<'a> PrepareContext<'a> {
    /// A context for preparing a node outside an engine (benchmarks, hosts that
    /// drive a processor directly); its meters register in `telemetry`.
    pub fn new(stream: StreamInfo, params: &'a [f32], node_id: &'a str, telemetry: &'a TelemetryHub) -> Self {
        PrepareContext { stream, params, node_id, telemetry }
    }

    /// Creates the node's meter channel named `name`, registered under
    /// `node_id.name`. `initial` fixes the frame's shape (vector lengths): the
    /// audio thread overwrites it in place and never allocates.
    pub fn meter(&self, name: &str, initial: MeterFrame) -> MeterWriter {
        self.telemetry.register(&format!("{}.{}", self.node_id, name), initial)
    }

    /// Current value of a parameter.
    pub fn param(&self, index: ParamIndex) -> f32 {
        self.params.get(index.0 as usize).copied().unwrap_or(0.0)
    }
}

/// What `prepare` builds.
pub struct Prepared {
    /// The audio-thread half.
    pub processor: Box<dyn Processor>,
    /// Delay the processor adds, in frames; the compiler aligns parallel paths with it.
    pub latency_frames: u32,
    /// How long output may continue after input stops, in frames
    /// (`u32::MAX` = unknown / infinite).
    pub tail_frames: u32,
    /// For sources (file players, generators with an end): how many frames of
    /// material they have, so an offline render knows when the graph's input ends.
    pub content_frames: Option<u64>,
}

impl Prepared {
    /// A processor with no latency and no tail.
    pub fn new(processor: impl Processor) -> Self {
        Prepared { processor: Box::new(processor), latency_frames: 0, tail_frames: 0, content_frames: None }
    }

    /// Sets the latency in frames.
    pub fn latency(mut self, frames: u32) -> Self {
        self.latency_frames = frames;
        self
    }

    /// Sets the tail in frames.
    pub fn tail(mut self, frames: u32) -> Self {
        self.tail_frames = frames;
        self
    }

    /// Sets the length of the material a source node plays, in frames.
    pub fn content(mut self, frames: u64) -> Self {
        self.content_frames = Some(frames);
        self
    }
}

/// The control-thread half of a node. See the module docs for the lifecycle.
pub trait Node: Send + 'static {
    /// Ports, parameters and role. Control thread; may allocate. Must not change
    /// for the lifetime of the node (a config change makes a new node).
    fn info(&self) -> NodeInfo;

    /// Builds the processor for a stream. Control thread; the one place a node
    /// allocates audio resources.
    ///
    /// # Errors
    /// A [`NodeError`] when the node cannot run on this stream (a file that fails
    /// to decode, a sample rate out of range).
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError>;

    /// The node's construction config (channel counts, file paths), saved in graph
    /// files as the `config` object. Control thread.
    fn config(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// For linear nodes: the complex frequency response `(re, im)` at `hz` with
    /// parameter values `params`, for response curves and tests. Control thread.
    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        let _ = (params, sample_rate, hz);
        None
    }
}

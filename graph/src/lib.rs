//! # mixgraph-graph — the engine
//!
//! The node contract ([`Node`] on the control thread, [`Processor`] on the audio
//! thread), the editable [`Graph`] on a petgraph `StableGraph`, the compiler
//! that turns it into a [`Schedule`] (topological order, buffer reuse, fan-in
//! sums, latency compensation, feedback through explicit delay nodes), the
//! real-time [`Executor`] with its control-side [`Engine`] (lock-free edits and
//! parameter changes), telemetry ([`TelemetryHub`]) and graph files ([`mod@file`]).
//!
//! This crate knows no DSP node, file format or UI: the node library lives in
//! `mixgraph-nodes`. Use it directly to embed the engine or write nodes.
//!
//! ```
//! use mixgraph_graph::{Engine, Graph, StreamInfo, builtin};
//! let mut graph = Graph::new();
//! graph.add_node("in", Box::new(builtin::InputNode::new(2))).unwrap();
//! graph.add_node("out", Box::new(builtin::OutputNode::new(2))).unwrap();
//! graph.connect("in.out", "out.in").unwrap();
//! let (engine, mut executor) = Engine::new(graph, StreamInfo::new(48_000.0, 256)).unwrap();
//! assert_eq!(engine.report().latency_frames, 0);
//! let (l, r) = ([0.25f32; 256], [-0.25f32; 256]);
//! let (mut out_l, mut out_r) = ([0.0f32; 256], [0.0f32; 256]);
//! executor.process(&[&l, &r], &mut [&mut out_l, &mut out_r], 256);
//! assert_eq!((out_l[0], out_r[255]), (0.25, -0.25));
//! ```
#![warn(missing_docs)]

pub mod builtin;
mod compile;
mod config;
mod engine;
mod executor;
pub mod file;
pub mod macros;
mod model;
mod node;
mod param;
mod processor;
mod registry;
mod schedule;
pub mod targets;
mod telemetry;

pub use compile::{
    CompileError, CompileOptions, EVENT_CAPACITY, MAX_NODE_CHANNELS, MAX_NODE_EVENT_PORTS, NodeTiming, compile,
};
pub use config::ConfigReader;
pub use engine::{CommitError, Engine, EngineParamError, ParamHandle};
pub use executor::{EngineStats, Executor, PARAM_QUEUE_CAPACITY};
pub use model::{AddNodeError, ConnectError, EdgePorts, Graph, NodeEntry, SetParamError};
pub use node::{Node, NodeError, NodeInfo, NodeRole, PortDesc, PortKind, PrepareContext, Prepared, StreamInfo};
pub use param::{ParamDesc, ParamIndex, ParamRange, ParamUnit, Smoother, Smoothing};
pub use processor::{
    EventBuffer, NoteEvent, NoteEventKind, ParamEvent, ParamEvents, ProcBuffers, ProcInfo, ProcessStatus, Processor,
};
pub use registry::{ConfigField, NodeFactory, NodeRegistry, NodeType};
pub use schedule::{CompileReport, IoPort, Schedule};
pub use targets::Targets;
pub use telemetry::{MeterData, MeterFrame, MeterWriter, TelemetryHub};

#[cfg(test)]
mod tests;

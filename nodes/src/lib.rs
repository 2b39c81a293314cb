//! # mixgraph-nodes — the built-in node library
//!
//! One module per family; each node is a plain DSP kernel (tested alone) plus a
//! node adapter that declares ports and parameters and builds a processor.
//! [`registry()`] lists every type for the graph loader, the CLI and the editor.
//!
//! ```
//! use mixgraph_graph::{Engine, StreamInfo, file};
//! let registry = mixgraph_nodes::registry();
//! let graph = file::load_str(r#"{
//!     "format": "mixgraph/1",
//!     "nodes": [
//!         {"id": "in", "type": "io.input", "config": {"channels": 1}},
//!         {"id": "trim", "type": "util.gain", "config": {"channels": 1}, "params": {"gain_db": -6.0206}},
//!         {"id": "out", "type": "io.output", "config": {"channels": 1}}
//!     ],
//!     "edges": [{"from": "in", "to": "trim"}, {"from": "trim", "to": "out"}]
//! }"#, "example.json", &registry).unwrap();
//! let (_engine, mut executor) = Engine::new(graph, StreamInfo::new(48_000.0, 64)).unwrap();
//! let mut out = [0.0f32; 64];
//! executor.process(&[&[1.0f32; 64]], &mut [&mut out], 64);
//! assert!((out[63] - 0.5).abs() < 1e-4);
//! ```
#![warn(missing_docs)]

pub mod common;
pub mod dynamics;
pub mod eq;
pub mod fast_math;
pub mod io;
pub mod metering;
pub mod mul_add;
pub mod saturation;
pub mod space;
pub mod synth;
pub mod utility;

#[cfg(test)]
pub(crate) mod testing;

use mixgraph_graph::NodeRegistry;

/// Every built-in node type, plus the engine's primitives.
pub fn registry() -> NodeRegistry {
    let mut registry = NodeRegistry::new();
    let families = [
        io::node_types(),
        utility::node_types(),
        eq::node_types(),
        dynamics::node_types(),
        saturation::node_types(),
        space::node_types(),
        metering::node_types(),
        synth::node_types(),
    ];
    for node_type in families.concat() {
        registry.register(node_type);
    }
    registry
}

//! Meters: loudness, levels. They pass audio through unchanged and publish
//! telemetry frames.

mod levels_node;
pub mod loudness;
mod loudness_node;

pub use levels_node::LevelsNode;
pub use loudness_node::LoudnessNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![loudness_node::node_type(), levels_node::node_type()]
}

//! Meters: loudness, levels, spectrum, scope, correlation and goniometer. They
//! pass audio through unchanged and publish telemetry frames.

mod correlation_node;
mod levels_node;
pub mod loudness;
mod loudness_node;
mod scope_node;
pub mod spectrum;
mod spectrum_node;

pub use correlation_node::CorrelationNode;
pub use levels_node::LevelsNode;
pub use loudness_node::LoudnessNode;
pub use scope_node::ScopeNode;
pub use spectrum_node::SpectrumNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![
        loudness_node::node_type(),
        levels_node::node_type(),
        spectrum_node::node_type(),
        scope_node::node_type(),
        correlation_node::node_type(),
    ]
}

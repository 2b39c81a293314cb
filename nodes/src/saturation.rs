//! Saturation: oversampled clipper and saturator.

pub mod oversample;
pub mod saturator;
mod saturator_node;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![saturator_node::node_type()]
}

//! Saturation: oversampled clipper and saturator.

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![]
}

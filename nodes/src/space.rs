//! Space and stereo: reverb, delay, stereo tools.

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![]
}

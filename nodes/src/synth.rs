//! Sound sources played by note events.

mod poly_node;
pub mod voice;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![poly_node::node_type()]
}

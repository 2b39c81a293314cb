//! Dynamics: compressors and limiters. Each publishes its gain reduction as
//! telemetry (`<node>.gain_reduction`).

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![]
}

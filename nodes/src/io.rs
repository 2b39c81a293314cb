//! Audio sources: the file player and its decoder.

pub mod decode;
mod file_player;

pub use file_player::FilePlayerNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family (graph inputs and outputs are the engine's
/// own `io.input` / `io.output`).
pub fn node_types() -> Vec<NodeType> {
    vec![file_player::node_type()]
}

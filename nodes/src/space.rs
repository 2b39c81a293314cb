//! Space and stereo: reverb, delay, stereo tools.

mod delay_node;
pub mod reverb;
mod reverb_node;
mod stereo_node;
#[cfg(test)]
mod test_util;

pub use delay_node::DelayEffectNode;
pub use reverb_node::ReverbNode;
pub use stereo_node::StereoNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![stereo_node::node_type(), delay_node::node_type(), reverb_node::node_type()]
}

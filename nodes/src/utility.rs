//! Utility nodes: gain, pan, mix, channel map, delay, safety.

mod channel_map;
mod delay;
mod gain;
mod mix;
mod pan;
mod safety;

pub use channel_map::{ChannelMapNode, ChannelMode};
pub use delay::DelayNode;
pub use gain::GainNode;
pub use mix::MixNode;
pub use pan::PanNode;
pub use safety::SafetyNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![
        gain::node_type(),
        pan::node_type(),
        mix::node_type(),
        channel_map::node_type(),
        delay::node_type(),
        safety::node_type(),
    ]
}

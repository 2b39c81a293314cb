//! Equalisers and filters.

mod air_node;
pub mod biquad;
mod biquad_node;
pub mod linear_phase;
mod linear_phase_node;
pub mod match_curve;
mod match_node;
mod mid_side_fir;
pub mod parametric;
mod parametric_node;
mod stereo_cascade;
mod tilt_node;

pub use biquad_node::BiquadNode;

use mixgraph_graph::NodeType;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![
        biquad_node::node_type(),
        parametric_node::node_type(),
        linear_phase_node::node_type(),
        match_node::node_type(),
        tilt_node::node_type(),
        air_node::node_type(),
    ]
}

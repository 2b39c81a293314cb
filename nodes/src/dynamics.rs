//! Dynamics: compressors, limiters, gates and de-essers. Each publishes its gain reduction as
//! telemetry (`<node>.gain_reduction`).

use mixgraph_graph::NodeType;
pub mod limiter;
mod limiter_node;
mod reduction_meter;
mod true_peak;

pub mod compressor;
mod compressor_node;

pub mod gate;
mod gate_node;

pub mod deesser;
mod deesser_node;

pub mod crossover;
mod multiband_node;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![
        compressor_node::node_type(),
        limiter_node::node_type(),
        gate_node::node_type(),
        deesser_node::node_type(),
        multiband_node::node_type(),
    ]
}

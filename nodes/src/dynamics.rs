//! Dynamics: compressors, limiters, gates, de-essers and the loudness leveler. Each publishes
//! its gain reduction as telemetry (`<node>.gain_reduction`); the leveler, which boosts as well
//! as cuts, publishes its signed gain (`<node>.gain`).

use mixgraph_graph::NodeType;
pub mod block_passes;
pub mod limiter;
mod limiter_node;
mod reduction_meter;
mod true_peak;

pub mod compressor;
mod compressor_node;
mod curve_glide;

pub mod gate;
mod gate_node;

pub mod deesser;
mod deesser_node;

pub mod crossover;
mod multiband_node;

pub mod leveler;
mod leveler_node;

/// Registry entries of the family.
pub fn node_types() -> Vec<NodeType> {
    vec![
        compressor_node::node_type(),
        limiter_node::node_type(),
        gate_node::node_type(),
        deesser_node::node_type(),
        multiband_node::node_type(),
        leveler_node::node_type(),
    ]
}

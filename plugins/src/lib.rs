//! mixgraph inside a DAW: the engine and graph files of the CLI as VST3
//! and CLAP plugins, built with nice-plug.
//!
//! * [`MixgraphEffect`]: stereo in and out, a stereo sidechain bus that
//!   reaches the graph as its input named `sidechain`, and MIDI notes.
//! * [`MixgraphInstrument`]: MIDI in (notes and controllers), stereo out,
//!   for generator graphs.
//! * MIDI reaches the graph's note input named `notes` at its frame.
//! * The graph (its nodes, parameters, edges and macros) is the plugin's
//!   state: the host saves it with the project and restores it exactly.
//! * Sixteen macro parameters, each mapped by the graph file onto node
//!   parameters ([`mixgraph_graph::macros`]); automation is applied at the
//!   sample the host gives it (blocks are split there).
//! * The graph's compiled latency is reported to the host; bypass plays the
//!   input delayed by that latency so that nothing jumps in time.
//!
//! The audio path ([`runner::GraphRunner::process`]) never allocates,
//! locks or does I/O; all building happens in `activate`.

#![warn(missing_docs)]

pub mod control;
pub mod editor;
pub mod params;
pub mod plugin;
pub mod runner;
pub mod swap;

use nice_plug::prelude::*;
pub use plugin::{MixgraphEffect, MixgraphInstrument};

/// The graph a new effect instance starts with (`presets/plugin/effect.json`).
pub const DEFAULT_EFFECT_GRAPH: &str = include_str!("../../presets/plugin/effect.json");

/// The graph a new instrument instance starts with (`presets/plugin/instrument.json`).
pub const DEFAULT_INSTRUMENT_GRAPH: &str = include_str!("../../presets/plugin/instrument.json");

nice_export_clap!(MixgraphEffect, MixgraphInstrument);
nice_export_vst3!(MixgraphEffect, MixgraphInstrument);

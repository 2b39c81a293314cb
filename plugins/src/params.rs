//! The parameters a host sees: a bank of macros, bypass, and the graph
//! itself as persisted state.

use crate::DEFAULT_EFFECT_GRAPH;
use mixgraph_graph::macros::{MAX_MACROS, MacroSpec};
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

/// One macro: a 0 … 1 control the graph maps onto node parameters.
#[derive(Params)]
pub struct MacroParam {
    /// The position; host id `macro_1` … `macro_16`.
    #[id = "macro"]
    pub position: FloatParam,
}

impl MacroParam {
    /// Macro `index` named `name`, starting at `default`.
    fn new(index: usize, spec: Option<&MacroSpec>) -> Self {
        let name = match spec {
            Some(spec) => format!("{} ({})", spec.name, index + 1),
            None => format!("Macro {}", index + 1),
        };
        let default = spec.map_or(0.0, |s| s.default);
        MacroParam {
            position: FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_value_to_string(Arc::new(|v| format!("{:.1} %", v * 100.0)))
                .with_string_to_value(Arc::new(|s| {
                    s.trim().trim_end_matches('%').trim().parse::<f32>().ok().map(|v| (v / 100.0).clamp(0.0, 1.0))
                })),
        }
    }
}

/// Everything the host saves and automates.
#[derive(Params)]
pub struct GraphParams {
    /// The graph file (JSON text) the plugin runs; saved in the host's
    /// project and restored with it.
    #[persist = "graph"]
    pub graph: Arc<RwLock<String>>,
    /// The macro bank.
    #[nested(array, group = "Macros")]
    pub macros: [MacroParam; MAX_MACROS],
    /// The host's bypass switch: the input, delayed by the latency.
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl GraphParams {
    /// Parameters for `graph_text`; macro names and defaults come from its
    /// macros (a graph that does not load leaves them generic).
    pub fn for_graph(graph_text: &str) -> Self {
        let macros = macro_specs(graph_text);
        GraphParams {
            graph: Arc::new(RwLock::new(graph_text.to_string())),
            macros: std::array::from_fn(|i| MacroParam::new(i, macros.get(i))),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
        }
    }
}

impl Default for GraphParams {
    fn default() -> Self {
        Self::for_graph(DEFAULT_EFFECT_GRAPH)
    }
}

/// The macros of `graph_text`, without loading its nodes.
fn macro_specs(graph_text: &str) -> Vec<MacroSpec> {
    serde_json::from_str::<serde_json::Value>(graph_text)
        .ok()
        .and_then(|v| v.get("macros").cloned())
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default()
}

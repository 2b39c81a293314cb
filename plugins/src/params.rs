//! The parameters a host sees: a bank of macros, bypass, and the graph
//! itself as persisted state.

use crate::DEFAULT_EFFECT_GRAPH;
use mixgraph_graph::macros::{MAX_MACROS, MacroSpec};
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;
use std::sync::{Arc, OnceLock, RwLock};

/// What runs when the host restores a graph: the plugin hands it to the
/// running engine.
pub type OnRestore = Box<dyn Fn(&str) + Send + Sync>;

/// The graph file the plugin runs, persisted in the host's project.
///
/// A state the host loads arrives through [`PersistentField::set`], which
/// also calls the hook the plugin installed ([`GraphText::on_restore`]), so
/// that a state restored while the plugin runs (an undo in the DAW, a
/// project snapshot) replaces the running graph at once; nice-plug does not
/// re-activate a running plugin for it.
pub struct GraphText {
    text: RwLock<String>,
    on_restore: OnceLock<OnRestore>,
}

impl GraphText {
    fn new(text: &str) -> Self {
        GraphText { text: RwLock::new(text.to_string()), on_restore: OnceLock::new() }
    }

    /// The graph text.
    pub fn get(&self) -> String {
        self.text.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// True when the text is `text` (compared in place, without a copy).
    pub fn is(&self, text: &str) -> bool {
        *self.text.read().unwrap_or_else(|poisoned| poisoned.into_inner()) == text
    }

    /// Replaces the text without calling the restore hook (the editor,
    /// which applies its own edits).
    pub fn store(&self, text: &str) {
        let mut saved = self.text.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *saved != text {
            *saved = text.to_string();
        }
    }

    /// Installs the hook called with each graph the host restores (once).
    pub fn on_restore(&self, hook: OnRestore) {
        let _ = self.on_restore.set(hook);
    }
}

impl PersistentField<'_, String> for GraphText {
    fn set(&self, new_value: String) {
        self.store(&new_value);
        if let Some(hook) = self.on_restore.get() {
            hook(&new_value);
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&String) -> R,
    {
        f(&self.text.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

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
    pub graph: GraphText,
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
            graph: GraphText::new(graph_text),
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

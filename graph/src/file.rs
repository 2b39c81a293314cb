//! Graph files: JSON, `"format": "mixgraph/1"`.
//!
//! ```json
//! {
//!   "format": "mixgraph/1",
//!   "name": "tone control",
//!   "description": "a low shelf on a stereo input",
//!   "targets": {"integrated_lufs": -14, "lufs_tolerance_lu": 1, "true_peak_dbtp": -1},
//!   "nodes": [
//!     {"id": "in", "type": "io.input", "config": {"channels": 2}},
//!     {"id": "bass", "type": "filter.biquad", "params": {"kind": "lowshelf", "freq_hz": 120, "gain_db": 3}},
//!     {"id": "out", "type": "io.output"}
//!   ],
//!   "edges": [{"from": "in.out", "to": "bass.in"}, {"from": "bass.out", "to": "out.in"}]
//! }
//! ```
//!
//! `targets` is optional: see [`crate::targets`]. `macros` (optional) names
//! controls that drive node parameters: see [`crate::macros`].
//!
//! Loading checks everything and fails with an error that names the file, the
//! node and the field; nothing is silently ignored.

use crate::compile::{CompileOptions, NodeTiming, compile};
use crate::macros::{MAX_MACROS, MacroCurve, MacroSpec};
use crate::model::Graph;
use crate::node::{NodeRole, StreamInfo};
use crate::param::ParamRange;
use crate::registry::NodeRegistry;
use crate::targets::Targets;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The format this version reads and writes.
pub const FORMAT: &str = "mixgraph/1";

/// A node as written in a graph file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique id; also the name of an io node.
    pub id: String,
    /// Registered type id.
    #[serde(rename = "type")]
    pub type_id: String,
    /// Construction options.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub config: Value,
    /// Parameter values by id: numbers, booleans, or enum variant names.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// Where the node sits on an editor's canvas; ignored by the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f32; 2]>,
}

/// An edge as written in a graph file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    /// `node.port` of an output.
    pub from: String,
    /// `node.port` of an input.
    pub to: String,
}

/// A graph file's contents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GraphFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Free-form name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// What the graph is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What the output should measure (loudness, true peak); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    /// The nodes.
    pub nodes: Vec<NodeSpec>,
    /// The edges.
    #[serde(default)]
    pub edges: Vec<EdgeSpec>,
    /// Named controls driving node parameters; optional.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub macros: Vec<MacroSpec>,
}

/// Error loading a graph file; its message names the file, the node and the field.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file}: {}{}{message}", .node.as_ref().map(|n| format!("node '{n}': ")).unwrap_or_default(), .field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct LoadGraphError {
    /// The file (or source name).
    pub file: String,
    /// The node at fault, if one is.
    pub node: Option<String>,
    /// The field at fault (`type`, `params.freq_hz`, `edges[2]`, ...).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, node: Option<&str>, field: Option<&str>, message: impl std::fmt::Display) -> LoadGraphError {
        LoadGraphError {
            file: self.file.to_string(),
            node: node.map(str::to_string),
            field: field.map(str::to_string),
            message: message.to_string(),
        }
    }
}

/// Reads and loads a graph file.
///
/// # Errors
/// [`LoadGraphError`] for an unreadable file or anything [`load_str`] rejects.
pub fn load_file(path: &Path, registry: &NodeRegistry) -> Result<Graph, LoadGraphError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| Ctx { file: &file }.err(None, None, format!("cannot read: {e}")))?;
    load_str(&text, &file, registry)
}

/// Loads a graph from JSON text; `file` names the source in errors.
///
/// # Errors
/// [`LoadGraphError`] for bad JSON, a wrong or newer format, an unknown node
/// type, port or parameter, an out-of-range value, a duplicate id, a dangling
/// edge or a channel mismatch. Cycles are found by [`check`].
pub fn load_str(text: &str, file: &str, registry: &NodeRegistry) -> Result<Graph, LoadGraphError> {
    let ctx = Ctx { file };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ctx.err(None, None, format!("invalid JSON at line {} column {}: {e}", e.line(), e.column())))?;
    check_format(&ctx, &value)?;
    let spec: GraphFile = serde_json::from_value(value.clone()).map_err(|e| locate(&ctx, &value, e))?;
    build(&ctx, &spec, registry)
}

fn check_format(ctx: &Ctx, value: &Value) -> Result<(), LoadGraphError> {
    let format =
        value.get("format").ok_or_else(|| ctx.err(None, Some("format"), format!("missing (expected \"{FORMAT}\")")))?;
    match format.as_str() {
        Some(FORMAT) => Ok(()),
        Some(f) if f.strip_prefix("mixgraph/").and_then(|v| v.parse::<u32>().ok()).is_some_and(|v| v > 1) => Err(
            ctx.err(None, Some("format"), format!("\"{f}\" is from a newer mixgraph; this version reads \"{FORMAT}\""))
        ),
        _ => Err(ctx.err(None, Some("format"), format!("unknown format {format} (expected \"{FORMAT}\")"))),
    }
}

/// Finds which node, edge or `targets` object a structural serde error is about.
fn locate(ctx: &Ctx, value: &Value, error: serde_json::Error) -> LoadGraphError {
    if let Some(Err(e)) = value.get("targets").map(|t| serde_json::from_value::<Targets>(t.clone())) {
        return ctx.err(None, Some("targets"), e);
    }
    for (i, entry) in value.get("macros").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if let Err(e) = serde_json::from_value::<MacroSpec>(entry.clone()) {
            return ctx.err(None, Some(&format!("macros[{i}]")), e);
        }
    }
    for (list, item) in [("nodes", "node"), ("edges", "edge")] {
        for (i, entry) in value.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let result = if item == "node" {
                serde_json::from_value::<NodeSpec>(entry.clone()).err()
            } else {
                serde_json::from_value::<EdgeSpec>(entry.clone()).err()
            };
            if let Some(e) = result {
                let node = entry.get("id").and_then(Value::as_str);
                return ctx.err(node, Some(&format!("{list}[{i}]")), e);
            }
        }
    }
    ctx.err(None, None, error)
}

fn param_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn build(ctx: &Ctx, spec: &GraphFile, registry: &NodeRegistry) -> Result<Graph, LoadGraphError> {
    let mut graph = Graph::new();
    graph.name = spec.name.clone();
    graph.description = spec.description.clone();
    if let Some(targets) = spec.targets {
        targets.validate().map_err(|e| ctx.err(None, Some(e.field), &e.message))?;
        graph.targets = Some(targets);
    }
    for node in &spec.nodes {
        let id = Some(node.id.as_str());
        let built = registry.create(&node.type_id, &node.config).map_err(|e| {
            let field = if registry.get(&node.type_id).is_none() { "type" } else { "config" };
            ctx.err(id, Some(field), e)
        })?;
        graph.add_node(&node.id, built).map_err(|e| ctx.err(id, Some("id"), e))?;
        for (param, value) in &node.params {
            let field = format!("params.{param}");
            let address = format!("{}.{param}", node.id);
            let text = param_text(value)
                .ok_or_else(|| ctx.err(id, Some(&field), format!("expected a number, boolean or name, got {value}")))?;
            let (_, v) = graph.parse_param(&address, &text).map_err(|e| ctx.err(id, Some(&field), e))?;
            graph.set_param(&address, v).map_err(|e| ctx.err(id, Some(&field), e))?;
        }
    }
    for (i, edge) in spec.edges.iter().enumerate() {
        let node = edge.to.split('.').next();
        graph.connect(&edge.from, &edge.to).map_err(|e| ctx.err(node, Some(&format!("edges[{i}]")), e))?;
    }
    check_macros(ctx, &spec.macros, &graph)?;
    graph.macros = spec.macros.clone();
    Ok(graph)
}

/// Every macro has a name, a default in 0 … 1 and targets that exist, with
/// ends inside their parameter's range (positive for a log curve).
fn check_macros(ctx: &Ctx, macros: &[MacroSpec], graph: &Graph) -> Result<(), LoadGraphError> {
    if macros.len() > MAX_MACROS {
        return Err(ctx.err(None, Some("macros"), format!("{} macros; at most {MAX_MACROS}", macros.len())));
    }
    for (i, m) in macros.iter().enumerate() {
        let field = |f: &str| format!("macros[{i}].{f}");
        if m.name.trim().is_empty() {
            return Err(ctx.err(None, Some(&field("name")), "empty"));
        }
        if !(0.0..=1.0).contains(&m.default) {
            return Err(ctx.err(None, Some(&field("default")), format!("{} is outside 0 to 1", m.default)));
        }
        for (t, target) in m.targets.iter().enumerate() {
            let at = |f: &str| field(&format!("targets[{t}].{f}"));
            let (entry, index) =
                graph.param_address(&target.param).map_err(|e| ctx.err(None, Some(&at("param")), e))?;
            let desc = &entry.info.params[index.0 as usize];
            if desc.structural {
                return Err(ctx.err(
                    Some(&entry.id),
                    Some(&at("param")),
                    format!("'{}' is structural (it rebuilds the node) and cannot follow a macro", desc.id),
                ));
            }
            for (name, v) in [("min", target.min), ("max", target.max)] {
                if !desc.range.contains(v) {
                    return Err(ctx.err(
                        Some(&entry.id),
                        Some(&at(name)),
                        format!("{v} is outside {} ({})", desc.range.describe(desc.unit), desc.id),
                    ));
                }
            }
            if target.curve == MacroCurve::Log && (target.min <= 0.0 || target.max <= 0.0) {
                return Err(ctx.err(Some(&entry.id), Some(&at("curve")), "a log curve needs min and max above 0"));
            }
        }
    }
    Ok(())
}

/// Checks that a loaded graph compiles for `stream` (cycles, feedback delays
/// shorter than a block, channel limits) without preparing any node.
///
/// # Errors
/// [`LoadGraphError`] naming the nodes at fault.
pub fn check(graph: &Graph, file: &str, stream: &StreamInfo) -> Result<(), LoadGraphError> {
    let timings: BTreeMap<u64, NodeTiming> = graph
        .g
        .node_weights()
        .filter(|n| n.info.role == NodeRole::Processor)
        .enumerate()
        .map(|(i, n)| (n.uid, NodeTiming { slot: i as u32, latency_frames: 0, tail_frames: 0 }))
        .collect();
    compile(graph, stream, &timings, CompileOptions::default()).map(|_| ()).map_err(|e| Ctx { file }.err(None, None, e))
}

/// The graph as a [`GraphFile`] (enum values as names, toggles as booleans;
/// parameters at their default are left out).
pub fn to_file(graph: &Graph) -> GraphFile {
    let nodes = graph
        .nodes()
        .map(|n| {
            let mut params = Map::new();
            for (desc, &v) in n.info.params.iter().zip(&n.params) {
                if v == desc.default {
                    continue;
                }
                let value = match &desc.range {
                    ParamRange::Enum { variants } => {
                        variants.get(v as usize).map(|s| Value::from(*s)).unwrap_or(Value::from(v))
                    }
                    ParamRange::Bool => Value::from(v >= 0.5),
                    ParamRange::Float { .. } => serde_json::Number::from_f64(v.to_string().parse().unwrap_or(0.0))
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                };
                params.insert(desc.id.clone(), value);
            }
            NodeSpec {
                id: n.id.clone(),
                type_id: n.info.type_id.clone(),
                config: n.node.config(),
                params,
                position: None,
            }
        })
        .collect();
    let edges = graph.edges().into_iter().map(|(from, to)| EdgeSpec { from, to }).collect();
    GraphFile {
        format: FORMAT.to_string(),
        name: graph.name.clone(),
        description: graph.description.clone(),
        targets: graph.targets,
        nodes,
        edges,
        macros: graph.macros.clone(),
    }
}

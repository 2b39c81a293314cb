//! The document an editor edits: a graph's nodes with their canvas
//! positions, wires and file metadata, convertible to and from graph files.
//!
//! Graph files stay the source of truth: a document is loaded through the
//! engine's own loader (so a file that the CLI rejects is rejected here with
//! the same message) and saved through its writer, plus node positions.

use crate::canvas;
use egui::Pos2;
use egui_snarl::{InPinId, NodeId, OutPinId, Snarl};
use mixgraph_graph::file::{self, GraphFile};
use mixgraph_graph::macros::MacroSpec;
use mixgraph_graph::{Graph, NodeInfo, NodeRegistry, Targets};
use serde_json::Value;
use std::sync::Arc;

/// Horizontal and vertical spacing of the automatic layout, points.
const COLUMN: f32 = 480.0;
const ROW: f32 = 420.0;

/// One node on the canvas.
#[derive(Clone, Debug)]
pub struct EditorNode {
    /// Unique id (also an io node's name).
    pub id: String,
    /// Registered type id.
    pub type_id: String,
    /// Construction options.
    pub config: Value,
    /// Parameter values, in the order of `info.params`.
    pub params: Vec<f32>,
    /// Ports and parameters, from the registry.
    pub info: Arc<NodeInfo>,
}

impl PartialEq for EditorNode {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.type_id == other.type_id
            && self.config == other.config
            && self.params == other.params
    }
}

/// A graph being edited.
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// Nodes, positions and wires.
    pub snarl: Snarl<EditorNode>,
    /// Free-form name.
    pub name: String,
    /// What the graph is for.
    pub description: String,
    /// Output targets, kept as loaded.
    pub targets: Option<Targets>,
    /// Macros, kept as loaded.
    pub macros: Vec<MacroSpec>,
}

impl Document {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads graph-file text; `source` names it in errors.
    ///
    /// # Errors
    /// The loader's error, naming the file, node and field.
    pub fn from_json(text: &str, source: &str, registry: &NodeRegistry) -> Result<Self, file::LoadGraphError> {
        let graph = file::load_str(text, source, registry)?;
        let spec: GraphFile = serde_json::from_str(text).map_err(|e| file::LoadGraphError {
            file: source.to_string(),
            node: None,
            field: None,
            message: e.to_string(),
        })?;
        let mut doc = Document {
            snarl: Snarl::new(),
            name: graph.name.clone(),
            description: graph.description.clone(),
            targets: graph.targets,
            macros: graph.macros.clone(),
        };
        let ranks = ranks(&graph);
        let mut per_rank: std::collections::BTreeMap<usize, usize> = Default::default();
        let mut ids = std::collections::BTreeMap::new();
        for entry in graph.nodes() {
            let position = spec.nodes.iter().find(|n| n.id == entry.id()).and_then(|n| n.position);
            let pos = match position {
                Some([x, y]) => Pos2::new(x, y),
                None => {
                    let rank = ranks.get(entry.id()).copied().unwrap_or(0);
                    let row = per_rank.entry(rank).or_insert(0);
                    *row += 1;
                    Pos2::new(rank as f32 * COLUMN, (*row - 1) as f32 * ROW)
                }
            };
            let node = EditorNode {
                id: entry.id().to_string(),
                type_id: entry.info().type_id.clone(),
                config: entry.config(),
                params: entry.params().to_vec(),
                info: Arc::new(entry.info().clone()),
            };
            ids.insert(entry.id().to_string(), doc.snarl.insert_node(pos, node));
        }
        for (from, to) in graph.edges() {
            if let (Some(out), Some(inp)) = (doc.pin_out(&from, &ids), doc.pin_in(&to, &ids)) {
                doc.snarl.connect(out, inp);
            }
        }
        Ok(doc)
    }

    fn pin_out(&self, address: &str, ids: &std::collections::BTreeMap<String, NodeId>) -> Option<OutPinId> {
        let (node, port) = address.split_once('.')?;
        let id = *ids.get(node)?;
        let output = self.snarl.get_node(id)?.info.outputs.iter().position(|p| p.name == port)?;
        Some(OutPinId { node: id, output })
    }

    fn pin_in(&self, address: &str, ids: &std::collections::BTreeMap<String, NodeId>) -> Option<InPinId> {
        let (node, port) = address.split_once('.')?;
        let id = *ids.get(node)?;
        let input = self.snarl.get_node(id)?.info.inputs.iter().position(|p| p.name == port)?;
        Some(InPinId { node: id, input })
    }

    /// The document as an engine graph (for rendering and saving).
    ///
    /// # Errors
    /// A node the registry cannot build, a parameter out of range or a wire
    /// the graph refuses, named.
    pub fn to_graph(&self, registry: &NodeRegistry) -> anyhow::Result<Graph> {
        let mut graph = Graph::new();
        graph.name = self.name.clone();
        graph.description = self.description.clone();
        graph.targets = self.targets;
        graph.macros = self.macros.clone();
        for (_, node) in self.sorted_nodes() {
            let built =
                registry.create(&node.type_id, &node.config).map_err(|e| anyhow::anyhow!("node '{}': {e}", node.id))?;
            graph.add_node(&node.id, built).map_err(|e| anyhow::anyhow!("node '{}': {e}", node.id))?;
            for (desc, value) in node.info.params.iter().zip(&node.params) {
                graph
                    .set_param(&format!("{}.{}", node.id, desc.id), *value)
                    .map_err(|e| anyhow::anyhow!("node '{}': {e}", node.id))?;
            }
        }
        let mut wires: Vec<(OutPinId, InPinId)> = self.snarl.wires().collect();
        wires.sort_by_key(|(o, i)| (o.node.0, o.output, i.node.0, i.input));
        for (out, inp) in wires {
            let (Some(a), Some(b)) = (self.snarl.get_node(out.node), self.snarl.get_node(inp.node)) else { continue };
            let (Some(po), Some(pi)) = (a.info.outputs.get(out.output), b.info.inputs.get(inp.input)) else { continue };
            let (from, to) = (format!("{}.{}", a.id, po.name), format!("{}.{}", b.id, pi.name));
            graph.connect(&from, &to).map_err(|e| anyhow::anyhow!("{from} -> {to}: {e}"))?;
        }
        Ok(graph)
    }

    /// The document as graph-file text, with node positions.
    ///
    /// # Errors
    /// As [`Document::to_graph`].
    pub fn to_json(&self, registry: &NodeRegistry) -> anyhow::Result<String> {
        let mut spec = file::to_file(&self.to_graph(registry)?);
        for node in &mut spec.nodes {
            if let Some((id, _)) = self.sorted_nodes().find(|(_, n)| n.id == node.id)
                && let Some(info) = self.snarl.get_node_info(id)
            {
                node.position = Some([info.pos.x.round(), info.pos.y.round()]);
            }
        }
        Ok(serde_json::to_string_pretty(&spec)? + "\n")
    }

    /// Nodes in insertion order.
    pub fn sorted_nodes(&self) -> impl Iterator<Item = (NodeId, &EditorNode)> {
        let mut nodes: Vec<(NodeId, &EditorNode)> = self.snarl.nodes_ids_data().map(|(id, n)| (id, &n.value)).collect();
        nodes.sort_by_key(|(id, _)| id.0);
        nodes.into_iter()
    }

    /// The node with id `id`.
    pub fn find(&self, id: &str) -> Option<NodeId> {
        canvas::find(&self.snarl, id)
    }

    /// A fresh node id for `type_id`: its last word, numbered if taken.
    pub fn fresh_id(&self, type_id: &str) -> String {
        canvas::fresh_id(&self.snarl, type_id)
    }

    /// Adds a node of `type_id` (default config and parameters) at `pos`.
    ///
    /// # Errors
    /// An unknown type.
    pub fn add_node(&mut self, type_id: &str, pos: Pos2, registry: &NodeRegistry) -> anyhow::Result<NodeId> {
        canvas::add(&mut self.snarl, type_id, &Value::Null, pos, registry)
    }

    /// Adds a node of `type_id` built with `config` at `pos`.
    ///
    /// # Errors
    /// An unknown type or a config it rejects.
    pub fn add_node_with(
        &mut self,
        type_id: &str,
        config: &Value,
        pos: Pos2,
        registry: &NodeRegistry,
    ) -> anyhow::Result<NodeId> {
        canvas::add(&mut self.snarl, type_id, config, pos, registry)
    }

    /// A copy of node `id` beside it (new id, no wires).
    pub fn duplicate(&mut self, id: NodeId) -> Option<NodeId> {
        canvas::duplicate(&mut self.snarl, id)
    }

    /// Connects output `from` to input `to` if their kinds and channel
    /// counts match; true when connected.
    pub fn connect(&mut self, from: OutPinId, to: InPinId) -> bool {
        canvas::connect(&mut self.snarl, from, to)
    }

    /// Sets parameter `param` of node `id` (no range check: the engine
    /// clamps); false when either is unknown.
    pub fn set_param(&mut self, id: NodeId, param: &str, value: f32) -> bool {
        let Some(node) = self.snarl.get_node_mut(id) else { return false };
        match node.info.params.iter().position(|p| p.id == param) {
            Some(i) => {
                node.params[i] = value;
                true
            }
            None => false,
        }
    }

    /// Output and input pins by `node.port` addresses.
    pub fn pins(&self, from: &str, to: &str) -> Option<(OutPinId, InPinId)> {
        let ids: std::collections::BTreeMap<String, NodeId> =
            self.snarl.nodes_ids_data().map(|(i, n)| (n.value.id.clone(), i)).collect();
        Some((self.pin_out(from, &ids)?, self.pin_in(to, &ids)?))
    }
}

/// Column of each node for the automatic layout: the longest path from a
/// graph input.
fn ranks(graph: &Graph) -> std::collections::BTreeMap<String, usize> {
    let mut rank: std::collections::BTreeMap<String, usize> = graph.nodes().map(|n| (n.id().to_string(), 0)).collect();
    let edges: Vec<(String, String)> = graph
        .edges()
        .into_iter()
        .filter_map(|(a, b)| Some((a.split_once('.')?.0.to_string(), b.split_once('.')?.0.to_string())))
        .collect();
    // Longest path by relaxation; a cycle (through a feedback delay) stops after n rounds.
    for _ in 0..rank.len() {
        let mut changed = false;
        for (a, b) in &edges {
            let next = rank.get(a).copied().unwrap_or(0) + 1;
            if let Some(r) = rank.get_mut(b)
                && *r < next
                && next < 64
            {
                *r = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    rank
}

#[cfg(test)]
mod tests;

//! Edits on the canvas's node container itself, shared by the document and
//! the canvas's menus (which only hold the snarl).

use crate::document::EditorNode;
use egui::Pos2;
use egui_snarl::{InPinId, NodeId, OutPinId, Snarl};
use mixgraph_graph::{NodeRegistry, PortKind};
use serde_json::Value;
use std::sync::Arc;

/// Whether an output port can feed an input port.
pub fn compatible(from: &PortKind, to: &PortKind) -> bool {
    match (from, to) {
        (PortKind::Audio { channels: a }, PortKind::Audio { channels: b }) => a == b,
        (PortKind::Events, PortKind::Events) => true,
        _ => false,
    }
}

/// The node with id `id`.
pub fn find(snarl: &Snarl<EditorNode>, id: &str) -> Option<NodeId> {
    snarl.nodes_ids_data().find(|(_, n)| n.value.id == id).map(|(i, _)| i)
}

/// A fresh node id for `type_id`: its last word, numbered if taken.
pub fn fresh_id(snarl: &Snarl<EditorNode>, type_id: &str) -> String {
    let base = type_id.rsplit('.').next().unwrap_or("node").to_string();
    if find(snarl, &base).is_none() {
        return base;
    }
    (2..).map(|n| format!("{base}{n}")).find(|id| find(snarl, id).is_none()).unwrap_or(base)
}

/// Adds a node of `type_id` built with `config` (default parameters) at `pos`.
///
/// # Errors
/// An unknown type or a config it rejects.
pub fn add(
    snarl: &mut Snarl<EditorNode>,
    type_id: &str,
    config: &Value,
    pos: Pos2,
    registry: &NodeRegistry,
) -> anyhow::Result<NodeId> {
    let node = registry.create(type_id, config).map_err(|e| anyhow::anyhow!("{type_id}: {e}"))?;
    let info = node.info();
    let node = EditorNode {
        id: fresh_id(snarl, type_id),
        type_id: type_id.to_string(),
        config: node.config(),
        params: info.params.iter().map(|p| p.default).collect(),
        info: Arc::new(info),
    };
    Ok(snarl.insert_node(pos, node))
}

/// A copy of node `id` beside it (new id, no wires).
pub fn duplicate(snarl: &mut Snarl<EditorNode>, id: NodeId) -> Option<NodeId> {
    let info = snarl.get_node_info(id)?;
    let (pos, mut node) = (info.pos, info.value.clone());
    node.id = fresh_id(snarl, &node.type_id);
    Some(snarl.insert_node(pos + egui::vec2(40.0, 40.0), node))
}

/// Connects output `from` to input `to` if they are on different nodes and
/// their kinds and channel counts match; true when connected.
pub fn connect(snarl: &mut Snarl<EditorNode>, from: OutPinId, to: InPinId) -> bool {
    let ok = match (snarl.get_node(from.node), snarl.get_node(to.node)) {
        (Some(a), Some(b)) if from.node != to.node => {
            match (a.info.outputs.get(from.output), b.info.inputs.get(to.input)) {
                (Some(o), Some(i)) => compatible(&o.kind, &i.kind),
                _ => false,
            }
        }
        _ => false,
    };
    ok && snarl.connect(from, to)
}

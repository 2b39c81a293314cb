//! Copy and paste of nodes, within a graph and between graphs: the copied
//! nodes (type, options, parameters, positions) and the wires between them
//! travel as graph-file text, so they go through the system clipboard from
//! one editor window to another (or into a text editor and back) and are
//! read back by the engine's own loader. Pasted nodes that would clash with
//! an id in the graph are renumbered.

use crate::document::Document;
use egui::Vec2;
use egui_snarl::{InPinId, NodeId, OutPinId};
use mixgraph_graph::{NodeRegistry, file};
use std::collections::BTreeMap;

/// Graph-file text of `nodes` of `doc` and the wires between them.
///
/// # Errors
/// A node the registry cannot build (it was edited into an invalid state).
pub fn copy(doc: &Document, nodes: &[NodeId], registry: &NodeRegistry) -> anyhow::Result<String> {
    let mut part = Document::new();
    let mut moved = BTreeMap::new();
    for &id in nodes {
        if let Some(node) = doc.snarl.get_node_info(id) {
            moved.insert(id, part.snarl.insert_node(node.pos, node.value.clone()));
        }
    }
    for (out, inp) in doc.snarl.wires() {
        if let (Some(&from), Some(&to)) = (moved.get(&out.node), moved.get(&inp.node)) {
            part.snarl.connect(OutPinId { node: from, output: out.output }, InPinId { node: to, input: inp.input });
        }
    }
    part.to_json(registry)
}

/// `id`, or the first of `id2`, `id3` … (after its own trailing digits)
/// that `doc` does not use.
fn unused_id(doc: &Document, id: &str) -> String {
    if doc.find(id).is_none() {
        return id.to_string();
    }
    let base = id.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = if base.is_empty() { id } else { base };
    (2..).map(|n| format!("{base}{n}")).find(|candidate| doc.find(candidate).is_none()).unwrap_or_default()
}

/// Adds the nodes and wires of graph-file `text` to `doc`, moved by
/// `offset`; returns the new nodes.
///
/// # Errors
/// Text that is not a graph file, with the loader's message.
pub fn paste(
    doc: &mut Document,
    text: &str,
    offset: Vec2,
    registry: &NodeRegistry,
) -> Result<Vec<NodeId>, file::LoadGraphError> {
    let part = Document::from_json(text, "the clipboard", registry)?;
    let mut added = BTreeMap::new();
    for (id, node) in part.snarl.nodes_ids_data() {
        let mut value = node.value.clone();
        value.id = unused_id(doc, &value.id);
        added.insert(id, doc.snarl.insert_node(node.pos + offset, value));
    }
    for (out, inp) in part.snarl.wires() {
        if let (Some(&from), Some(&to)) = (added.get(&out.node), added.get(&inp.node)) {
            doc.snarl.connect(OutPinId { node: from, output: out.output }, InPinId { node: to, input: inp.input });
        }
    }
    Ok(added.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Pos2;

    #[test]
    fn copied_nodes_paste_into_another_graph_with_their_wires_and_parameters() {
        let registry = mixgraph_nodes::registry();
        let mut source = Document::new();
        let input = source.add_node("io.input", Pos2::new(0.0, 0.0), &registry).unwrap();
        let gain = source.add_node("util.gain", Pos2::new(300.0, 0.0), &registry).unwrap();
        let out = source.add_node("io.output", Pos2::new(600.0, 0.0), &registry).unwrap();
        assert!(source.set_param(gain, "gain_db", -9.0));
        for (a, b) in [("input.out", "gain.in"), ("gain.out", "output.in")] {
            let (o, i) = source.pins(a, b).unwrap();
            assert!(source.connect(o, i));
        }
        // Copy the gain and the output (not the input): one wire between them.
        let text = copy(&source, &[gain, out], &registry).unwrap();
        let _ = input;
        let mut target = Document::new();
        target.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
        let added = paste(&mut target, &text, Vec2::new(40.0, 40.0), &registry).unwrap();
        assert_eq!(added.len(), 2);
        // The pasted gain is renumbered beside the graph's own "gain".
        let pasted = target.find("gain2").expect("renumbered");
        assert!(target.find("output").is_some());
        let node = target.snarl.get_node_info(pasted).unwrap();
        assert_eq!(node.pos, Pos2::new(340.0, 40.0));
        let index = node.value.info.params.iter().position(|p| p.id == "gain_db").unwrap();
        assert_eq!(node.value.params[index], -9.0);
        let wires: Vec<_> = target.snarl.wires().collect();
        assert_eq!(wires.len(), 1);
        assert_eq!(wires[0].0.node, pasted);
        // Pasting twice gives a third gain and a second output.
        paste(&mut target, &text, Vec2::new(80.0, 80.0), &registry).unwrap();
        assert!(target.find("gain3").is_some() && target.find("output2").is_some());
    }

    #[test]
    fn text_that_is_not_a_graph_is_refused_with_the_loaders_message() {
        let registry = mixgraph_nodes::registry();
        let mut doc = Document::new();
        let error = paste(&mut doc, "hello", Vec2::ZERO, &registry).unwrap_err();
        assert_eq!(error.file, "the clipboard");
        assert_eq!(doc.snarl.nodes_ids_data().count(), 0);
    }
}

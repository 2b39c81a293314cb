//! Tests of the editor document: graph files in and out.

use super::*;

#[test]
fn every_preset_loads_and_saves_back_to_the_same_graph() {
    let registry = mixgraph_nodes::registry();
    let list = crate::Studio::presets();
    assert!(list.len() >= 15, "{} presets", list.len());
    for (name, text) in list {
        let name = name.to_string();
        let doc = Document::from_json(text, &name, &registry).unwrap_or_else(|e| panic!("{e}"));
        let saved = doc.to_json(&registry).unwrap();
        // The graph (nodes, parameters, edges, macros, targets) is the file's.
        // Edges come out grouped by source node (their order means nothing).
        let mut original = file::to_file(&file::load_str(text, &name, &registry).unwrap());
        let mut written: GraphFile = serde_json::from_str(&saved).unwrap();
        assert!(written.nodes.iter().all(|n| n.position.is_some()), "{name}: positions are saved");
        for n in &mut written.nodes {
            n.position = None;
        }
        let key = |e: &file::EdgeSpec| (e.from.clone(), e.to.clone());
        original.edges.sort_by_key(key);
        written.edges.sort_by_key(key);
        assert_eq!(written, original, "{name}");
        // And reopening what was saved gives the same text.
        let again = Document::from_json(&saved, &name, &registry).unwrap().to_json(&registry).unwrap();
        assert_eq!(again, saved, "{name}: save, reopen, save");
    }
}

#[test]
fn wires_only_join_compatible_ports() {
    let registry = mixgraph_nodes::registry();
    let mut doc = Document::new();
    let input = doc.add_node("io.input", Pos2::ZERO, &registry).unwrap();
    let gain = doc.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
    let notes = doc.add_node("io.note_input", Pos2::ZERO, &registry).unwrap();
    let synth = doc.add_node("synth.poly", Pos2::ZERO, &registry).unwrap();
    let mono = doc.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
    doc.snarl.get_node_mut(mono).unwrap().config = serde_json::json!({"channels": 1});
    assert_eq!(doc.snarl.get_node(gain).unwrap().id, "gain");
    assert_eq!(doc.snarl.get_node(mono).unwrap().id, "gain2", "fresh ids");
    let (out, inp) = (OutPinId { node: input, output: 0 }, InPinId { node: gain, input: 0 });
    assert!(doc.connect(out, inp), "stereo to stereo");
    assert!(doc.connect(OutPinId { node: notes, output: 0 }, InPinId { node: synth, input: 0 }), "notes to notes");
    assert!(!doc.connect(OutPinId { node: notes, output: 0 }, InPinId { node: gain, input: 0 }), "notes to audio");
    assert!(!doc.connect(OutPinId { node: gain, output: 0 }, InPinId { node: gain, input: 0 }), "a node to itself");
    assert_eq!(doc.pins("input.out", "gain.in"), Some((out, inp)));
    let graph = doc.to_graph(&registry).unwrap();
    assert!(graph.edges().contains(&("input.out".to_string(), "gain.in".to_string())));
    let copy = doc.duplicate(gain).unwrap();
    assert_eq!(doc.snarl.get_node(copy).unwrap().id, "gain3");
}

#[test]
fn a_file_that_does_not_load_gives_the_loaders_error() {
    let registry = mixgraph_nodes::registry();
    let bad = r#"{"format": "mixgraph/1", "nodes": [{"id": "eq", "type": "filter.biquadd"}]}"#;
    let err = Document::from_json(bad, "song.json", &registry).unwrap_err().to_string();
    assert_eq!(
        err,
        "song.json: node 'eq': type: unknown node type 'filter.biquadd' (run `mixgraph nodes` for the list)"
    );
}

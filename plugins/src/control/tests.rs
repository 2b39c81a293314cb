//! Tests of the control end: parameter moves travel as edits, structural
//! changes as new runners, and a broken edit keeps the last graph playing.

use super::*;
use mixgraph_graph::file;

const SHAPE: StreamShape = StreamShape { sample_rate: 48_000.0, max_block: 256, channels: 2 };

/// The effect graph with `edit` applied to its JSON, as text and graph.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> (String, Graph) {
    let mut v: serde_json::Value = serde_json::from_str(crate::DEFAULT_EFFECT_GRAPH).unwrap();
    edit(&mut v);
    let text = v.to_string();
    let graph = file::load_str(&text, "edited", &mixgraph_nodes::registry()).unwrap();
    (text, graph)
}

fn node<'v>(v: &'v mut serde_json::Value, id: &str) -> &'v mut serde_json::Value {
    v["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == id).unwrap()
}

fn running_param(swap: &mut SwapRunner, node: &str, index: usize) -> f32 {
    swap.current().engine().graph().node(node).unwrap().params()[index]
}

#[test]
fn a_parameter_move_is_an_edit_and_keeps_the_running_graph() {
    let (mut control, mut swap) = Control::start(crate::DEFAULT_EFFECT_GRAPH, SHAPE).unwrap();
    let gain =
        swap.current().engine().graph().node("trim").unwrap().info().params.iter().position(|p| p.id == "gain_db");
    let gain = gain.unwrap();
    let (text, graph) = edited(|v| node(v, "trim")["params"] = serde_json::json!({"gain_db": -4.5}));
    assert!(!control.apply(&graph, &text).unwrap(), "no new runner for a parameter");
    assert_eq!(swap.receive(), None);
    assert_eq!(swap.generation(), 1);
    assert_eq!(running_param(&mut swap, "trim", gain), -4.5);
    // The same graph again changes nothing.
    assert!(!control.apply(&graph, &text).unwrap());
}

#[test]
fn a_new_node_or_structural_change_sends_a_new_runner() {
    let (mut control, mut swap) = Control::start(crate::DEFAULT_EFFECT_GRAPH, SHAPE).unwrap();
    let before = control.latency();
    // The limiter removed: out reads the trim directly, and the lookahead goes.
    let (text, graph) = edited(|v| {
        v["nodes"].as_array_mut().unwrap().retain(|n| n["id"] != "limiter");
        let edges = v["edges"].as_array_mut().unwrap();
        edges.retain(|e| e["from"] != "limiter.out" && e["to"] != "limiter.in");
        edges.push(serde_json::json!({"from": "trim.out", "to": "out.in"}));
        v["macros"].as_array_mut().unwrap().retain(|m| !m.to_string().contains("limiter."));
    });
    assert!(control.apply(&graph, &text).unwrap(), "a new runner");
    assert!(control.latency() < before, "{} -> {}", before, control.latency());
    assert_eq!(swap.receive(), Some(control.latency()));
    assert_eq!(swap.generation(), 2);
    assert!(swap.current().engine().graph().node("limiter").is_none());
}

#[test]
fn a_graph_that_does_not_run_leaves_the_last_one_playing() {
    let (mut control, mut swap) = Control::start(crate::DEFAULT_EFFECT_GRAPH, SHAPE).unwrap();
    // A cycle: the limiter feeds the tilt EQ that feeds it.
    let (text, graph) = edited(|v| {
        v["edges"].as_array_mut().unwrap().retain(|e| e["to"] != "tone.in");
        v["edges"].as_array_mut().unwrap().push(serde_json::json!({"from": "limiter.out", "to": "tone.in"}));
    });
    let error = control.apply(&graph, &text).unwrap_err().to_string();
    assert!(error.contains("cycle") || error.contains("loop"), "{error}");
    assert_eq!(swap.receive(), None);
    assert_eq!(swap.generation(), 1);
}

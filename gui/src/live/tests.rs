//! Live sync: edits reach the running engine, which then equals a graph
//! built from the document.

use super::*;
use egui::Pos2;
use mixgraph_graph::file;

const SR: f64 = 48_000.0;

fn same_graph(live: &LiveGraph, doc: &Document, registry: &NodeRegistry) {
    let mut running = file::to_file(live.engine().graph());
    let mut wanted = file::to_file(&doc.to_graph(registry).unwrap());
    running.edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    wanted.edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    running.nodes.sort_by(|a, b| a.id.cmp(&b.id));
    wanted.nodes.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(running, wanted);
}

/// Runs `blocks` blocks of a constant 0.5 and returns the last sample.
fn play(ex: &mut Executor, blocks: usize) -> f32 {
    let x = vec![0.5f32; 256];
    let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    for _ in 0..blocks {
        ex.process(&[&x, &x], &mut [&mut l, &mut r], 256);
    }
    l[255]
}

#[test]
fn parameter_node_and_wire_edits_are_heard_and_the_engine_matches_the_document() {
    let registry = mixgraph_nodes::registry();
    let mut doc = Document::new();
    let input = doc.add_node("io.input", Pos2::ZERO, &registry).unwrap();
    let gain = doc.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
    let output = doc.add_node("io.output", Pos2::ZERO, &registry).unwrap();
    let pins = |doc: &Document, a: &str, b: &str| doc.pins(a, b).unwrap();
    let (o, i) = pins(&doc, "input.out", "gain.in");
    assert!(doc.connect(o, i));
    let (o, i) = pins(&doc, "gain.out", "output.in");
    assert!(doc.connect(o, i));
    let (mut live, mut ex) = LiveGraph::start(&doc, &registry, StreamInfo::new(SR, 256)).unwrap();
    assert!((play(&mut ex, 10) - 0.5).abs() < 1e-6);

    // A parameter: no rebuild, the running gain node follows (10 ms smoothing).
    doc.snarl.get_node_mut(gain).unwrap().params[0] = -6.0;
    let r = live.sync(&doc, &registry).unwrap();
    assert_eq!(r, SyncReport { params: 1, ..Default::default() });
    let level = play(&mut ex, 10);
    assert!((level - 0.5 * 10f32.powf(-6.0 / 20.0)).abs() < 1e-4, "{level}");
    same_graph(&live, &doc, &registry);

    // A new node wired in between: −6 dB more.
    let second = doc.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
    doc.snarl.get_node_mut(second).unwrap().params[0] = -6.0;
    doc.snarl.drop_inputs(egui_snarl::InPinId { node: output, input: 0 });
    let (o, i) = pins(&doc, "gain.out", "gain2.in");
    assert!(doc.connect(o, i));
    let (o, i) = pins(&doc, "gain2.out", "output.in");
    assert!(doc.connect(o, i));
    let r = live.sync(&doc, &registry).unwrap();
    assert_eq!((r.added, r.rewired), (1, 3), "{r:?}");
    let level = play(&mut ex, 20);
    assert!((level - 0.5 * 10f32.powf(-12.0 / 20.0)).abs() < 1e-4, "{level}");
    same_graph(&live, &doc, &registry);

    // Removing it again (its wires go with it) and rewiring.
    doc.snarl.remove_node(second);
    let (o, i) = pins(&doc, "gain.out", "output.in");
    assert!(doc.connect(o, i));
    let r = live.sync(&doc, &registry).unwrap();
    assert_eq!(r.removed, 1, "{r:?}");
    let level = play(&mut ex, 20);
    assert!((level - 0.5 * 10f32.powf(-6.0 / 20.0)).abs() < 1e-4, "{level}");
    same_graph(&live, &doc, &registry);

    // Nothing changed: nothing sent.
    assert_eq!(live.sync(&doc, &registry).unwrap(), SyncReport::default());
    let _ = input;
}

//! UI tests of the editor, driven like a user through egui_kittest: add
//! nodes from the palette, connect two ports from a node's menu, change a
//! parameter, undo and redo, save and reopen.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mixgraph_studio::Studio;

fn harness() -> Harness<'static, Studio> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, s: &mut Studio| s.ui(ui), Studio::new());
    h.run();
    h
}

/// Adds `type_id` through the palette: search for it, press its "+".
fn add_from_palette(h: &mut Harness<'static, Studio>, type_id: &str) {
    let search = h.get_by_label("Search nodes");
    search.focus();
    search.type_text(type_id);
    h.run();
    h.get_by_label(&format!("add {type_id}")).click();
    h.run();
    // Clear the search again.
    h.get_by_label("Search nodes").focus();
    for _ in 0..type_id.len() {
        h.key_press(Key::Backspace);
    }
    h.run();
}

/// Wires `from` to `to` through `node`'s "connect to…" menu (the canvas is
/// a transformed layer, so its widgets are clicked through accesskit).
fn connect(h: &mut Harness<'static, Studio>, node: &str, from: &str, to: &str) {
    h.get_by_label(&format!("connect {node}")).click_accesskit();
    h.run();
    h.get_by_label(&format!("{from} -> {to}")).click_accesskit();
    h.run();
}

/// Opens File ▸ `item` and types `path` into its path field; the caller
/// presses the dialog's button.
fn file_dialog(h: &mut Harness<'static, Studio>, item: &str, path: &std::path::Path) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label(item).click();
    h.run();
    let field = h.get_by_label("Graph file path");
    field.focus();
    field.type_text(&path.display().to_string());
    h.run();
}

#[test]
fn build_connect_tweak_undo_redo_save_and_reopen() {
    let mut h = harness();
    add_from_palette(&mut h, "io.input");
    add_from_palette(&mut h, "util.gain");
    assert!(h.state().doc.find("input").is_some() && h.state().doc.find("gain").is_some(), "{}", h.state().status);

    // Connect from the input node's "connect to…" menu.
    connect(&mut h, "input", "input.out", "gain.in");
    let edges = h.state().doc.to_graph(h.state().registry()).unwrap().edges();
    assert!(edges.contains(&("input.out".into(), "gain.in".into())), "{edges:?}");

    // Change the gain: focus its slider and step it with the keyboard.
    let before = h.state().doc.to_json(h.state().registry()).unwrap();
    let slider = h.get_by_role_and_label(egui::accesskit::Role::Slider, "Gain");
    slider.focus();
    h.run();
    h.key_press(Key::ArrowRight);
    h.run();
    let gain = |h: &Harness<'static, Studio>| {
        let doc = &h.state().doc;
        doc.snarl.get_node(doc.find("gain").unwrap()).unwrap().params[0]
    };
    let changed = gain(&h);
    assert_ne!(changed, 0.0, "the parameter moved");

    // Undo and redo with the keyboard.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(gain(&h), 0.0, "undo");
    assert_eq!(h.state().doc.to_json(h.state().registry()).unwrap(), before);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert_eq!(gain(&h), changed, "redo");

    // Save through the menu, reopen in a fresh editor: the same graph.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("built.json");
    file_dialog(&mut h, "Save as…", &path);
    h.get_by_label("Save").click();
    h.run();
    assert!(path.exists(), "{}", h.state().status);
    assert!(!h.state().is_dirty());
    let mut reopened = Studio::new();
    reopened.open(&path);
    assert_eq!(
        reopened.doc.to_json(reopened.registry()).unwrap(),
        h.state().doc.to_json(h.state().registry()).unwrap(),
        "save and reopen"
    );
}

#[test]
fn a_graph_that_fails_to_load_shows_the_error_and_keeps_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"format": "mixgraph/1", "nodes": [{"id": "x", "type": "nope"}]}"#).unwrap();
    let mut h = harness();
    add_from_palette(&mut h, "util.gain");
    h.state_mut().open(&bad);
    h.run();
    assert!(h.state().status.starts_with("error: ") && h.state().status.contains("unknown node type 'nope'"));
    assert!(h.state().doc.find("gain").is_some(), "the document is kept");
    assert!(h.query_by_label_contains("unknown node type 'nope'").is_some(), "the error is on screen");
}

#[test]
fn render_to_wav_from_the_file_menu_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let mut h = harness();
    add_from_palette(&mut h, "synth.poly");
    add_from_palette(&mut h, "io.output");
    connect(&mut h, "poly", "poly.out", "output.in");
    file_dialog(&mut h, "Render to WAV…", &wav);
    h.get_by_label("Render").click();
    // The progress bar repaints while the render runs: step frame by frame.
    h.step();
    let start = std::time::Instant::now();
    while h.state().is_rendering() {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "the render finishes");
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    assert!(h.state().status.starts_with("rendered "), "{}", h.state().status);
    // 10 s (no file player) plus the synth's 300 ms release tail, stereo float.
    let reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().channels, 2);
    assert_eq!(reader.duration(), 480_000 + 14_400);
}

#[test]
fn nodes_copied_in_one_graph_paste_into_another_through_the_clipboard() {
    let mut first = harness();
    add_from_palette(&mut first, "io.input");
    add_from_palette(&mut first, "util.gain");
    connect(&mut first, "input", "input.out", "gain.in");
    let ids: Vec<_> = ["input", "gain"].iter().map(|id| first.state().doc.find(id).unwrap()).collect();
    let ctx = first.ctx.clone();
    first.state_mut().copy_nodes(&ctx, &ids);
    first.run();
    assert_eq!(first.state().status, "copied 2 nodes");
    let text = first.state().clipboard.clone().unwrap();

    // Another editor (another graph) receives Ctrl+V as the platform's paste event.
    let mut second = harness();
    add_from_palette(&mut second, "util.gain");
    // Leave the palette's search field, which would take the paste itself.
    second.key_press(Key::Escape);
    second.run();
    second.event(egui::Event::Paste(text));
    second.run();
    let doc = &second.state().doc;
    assert!(doc.find("input").is_some() && doc.find("gain2").is_some(), "{}", second.state().status);
    let edges = doc.to_graph(second.state().registry()).unwrap().edges();
    assert_eq!(edges, vec![("input.out".to_string(), "gain2.in".to_string())]);

    // Edit ▸ Paste pastes the same nodes again in the first graph, renumbered.
    first.get_by_label("Edit").click();
    first.run();
    first.get_by_label("Paste").click();
    first.run();
    let doc = &first.state().doc;
    assert!(doc.find("input2").is_some() && doc.find("gain2").is_some(), "{}", first.state().status);
    // And it is one undoable edit.
    first.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    first.run();
    assert!(first.state().doc.find("input2").is_none());
}

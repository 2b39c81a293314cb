//! The plugin's editor driven like a user (egui_kittest): it shows the
//! plugin's graph and macros, its edits reach the running plugin and its
//! saved state, a preset opened in it replaces the plugin's graph, and a
//! state the host restores replaces the editor's document.

use super::*;
use crate::control::{Control, StreamShape};
use crate::params::GraphParams;
use crate::swap::SwapRunner;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const SHAPE: StreamShape = StreamShape { sample_rate: 48_000.0, max_block: 256, channels: 2 };

/// An active effect plugin's shared state, its audio end, and its editor.
fn active_editor() -> (Arc<Shared>, SwapRunner, Harness<'static, PluginEditor>) {
    let params = Arc::new(GraphParams::for_graph(crate::DEFAULT_EFFECT_GRAPH));
    let shared = Arc::new(Shared::new(params));
    let (control, swap) = Control::start(crate::DEFAULT_EFFECT_GRAPH, SHAPE).unwrap();
    *shared.control() = Some(control);
    let editor = PluginEditor::new(shared.clone());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, e: &mut PluginEditor| e.show(ui), editor);
    h.run_steps(5);
    (shared, swap, h)
}

#[test]
fn the_editor_shows_the_plugins_graph_and_macros() {
    let (_, _, h) = active_editor();
    assert!(h.state().studio.doc.find("comp").is_some(), "the plugin's graph is on the canvas");
    h.get_by_label("Tilt (1)");
    h.get_by_label("Threshold (2)");
    assert!(h.query_by_label_contains("latency").is_some(), "the status line shows the host's stream");
}

#[test]
fn the_output_meter_shows_the_peak_the_audio_thread_recorded() {
    let (shared, _, mut h) = active_editor();
    let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    l[10] = -0.5; // −6.0 dBFS
    r[20] = 0.25; // −12.0 dBFS
    shared.peaks.record(&[&mut l, &mut r]);
    h.step();
    // The meter then falls back at 24 dB/s: read the frame that took the peak.
    let text: Vec<String> = ["L ", "R "]
        .iter()
        .map(|c| h.get_by_label_contains(c).accesskit_node().label().unwrap_or_default().to_string())
        .collect();
    assert_eq!(text, ["L -6.0 dBFS", "R -12.0 dBFS"]);
}

#[test]
fn a_parameter_edited_on_the_canvas_reaches_the_plugin_and_its_state() {
    let (shared, mut swap, mut h) = active_editor();
    let trim = h.state().studio.doc.find("trim").unwrap();
    assert!(h.state_mut().studio.doc.set_param(trim, "gain_db", -7.5));
    h.run_steps(5);
    let saved: serde_json::Value = serde_json::from_str(&shared.graph_text()).unwrap();
    let node = saved["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "trim").unwrap();
    assert_eq!(node["params"]["gain_db"], -7.5, "saved in the plugin's state");
    assert_eq!(swap.receive(), None, "a parameter move sends no new graph");
    let running = swap.current().engine().graph().node("trim").unwrap();
    let index = running.info().params.iter().position(|p| p.id == "gain_db").unwrap();
    assert_eq!(running.params()[index], -7.5, "the running node has it");
}

#[test]
fn a_preset_opened_in_the_editor_replaces_the_plugins_graph() {
    let (shared, mut swap, mut h) = active_editor();
    h.state_mut().studio.open_preset("master/streaming");
    h.run_steps(5);
    let text = shared.graph_text();
    assert!(text.contains("limiter"), "the preset is the plugin's state now");
    swap.receive();
    assert_eq!(swap.generation(), 2, "a new runner reached the audio thread");
    let name = swap.current().engine().graph().name.clone();
    assert!(name.to_lowercase().contains("stream"), "running: {name}");
}

#[test]
fn a_state_the_host_restores_replaces_the_editors_document_and_the_running_graph() {
    let (shared, mut swap, mut h) = active_editor();
    // How nice-plug hands a loaded state's field to the plugin.
    nice_plug::params::persist::PersistentField::set(&shared.params.graph, crate::DEFAULT_INSTRUMENT_GRAPH.to_string());
    swap.receive();
    assert_eq!(swap.generation(), 2, "the restored graph reached the audio thread");
    assert!(swap.current().engine().graph().node("synth").is_some());
    h.run_steps(5);
    let doc = &h.state().studio.doc;
    assert!(doc.find("comp").is_none());
    assert!(doc.sorted_nodes().any(|(_, n)| n.type_id == "synth.poly"), "the restored graph is shown");
}

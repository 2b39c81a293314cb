//! The inspector: the selected node in full — its type and description,
//! every parameter (none folded away), its construction options, and its
//! meters drawn large (levels, gain reduction, loudness, spectrum, scope,
//! goniometer, correlation) while the graph plays.

use crate::document::Document;
use crate::playback::Meters;
use crate::viewer::param_control;
use egui::Ui;
use egui_snarl::NodeId;
use mixgraph_graph::NodeRegistry;

/// Widest the inspector draws a meter, points.
const MAX_METER_WIDTH: f32 = 420.0;

/// Draws node `selected` of `doc` (editable) with its meters; a hint when
/// nothing is selected. Returns true when a parameter changed.
pub fn show(
    ui: &mut Ui,
    doc: &mut Document,
    selected: Option<NodeId>,
    meters: &Meters,
    registry: &NodeRegistry,
) -> bool {
    let Some(node) = selected.and_then(|id| doc.snarl.get_node_mut(id)) else {
        ui.label("Select a node on the canvas to inspect it.");
        return false;
    };
    ui.heading(&node.id);
    ui.label(egui::RichText::new(&node.type_id).monospace());
    if let Some(description) = registry.get(&node.type_id).map(|t| t.description) {
        ui.label(egui::RichText::new(description).small());
    }
    if node.config.as_object().is_some_and(|o| !o.is_empty()) {
        ui.label(egui::RichText::new(format!("options: {}", node.config)).small());
    }
    let id = node.id.clone();
    let width = ui.available_width().clamp(160.0, MAX_METER_WIDTH);
    let prefix = format!("{id}.");
    let mut any_meter = false;
    for (name, frame) in meters.iter().filter(|(name, _)| name.starts_with(&prefix)) {
        if !any_meter {
            ui.separator();
            ui.strong("Meters");
            any_meter = true;
        }
        ui.push_id(("inspector meter", name), |ui| crate::meters::draw_sized(ui, name, &frame.data, width));
    }
    let mut changed = false;
    if !node.info.params.is_empty() {
        ui.separator();
        ui.strong("Parameters");
        let info = node.info.clone();
        egui::ScrollArea::vertical().id_salt("inspector params").show(ui, |ui| {
            ui.spacing_mut().slider_width = (width - 120.0).max(100.0);
            for (desc, value) in info.params.iter().zip(node.params.iter_mut()) {
                changed |= ui.push_id(("inspector", &desc.id), |ui| param_control(ui, desc, value)).inner;
            }
        });
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Pos2;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use mixgraph_graph::{MeterData, MeterFrame};

    #[test]
    fn the_selected_node_shows_its_description_parameters_and_meters() {
        let registry = mixgraph_nodes::registry();
        let mut doc = Document::new();
        let comp = doc.add_node("dynamics.compressor", Pos2::ZERO, &registry).unwrap();
        let mut meters = Meters::new();
        meters.insert("compressor.gain_reduction".into(), MeterFrame::new(MeterData::GainReduction { db: 3.5 }));
        meters.insert("other.gain_reduction".into(), MeterFrame::new(MeterData::GainReduction { db: 9.0 }));
        let mut h = Harness::new_ui_state(
            move |ui, doc: &mut Document| {
                show(ui, doc, Some(comp), &meters, &mixgraph_nodes::registry());
            },
            doc,
        );
        h.run();
        h.get_by_label("compressor");
        h.get_by_label("dynamics.compressor");
        h.get_by_label("gain_reduction: gain reduction 3.5 dB");
        assert!(h.query_by_label("gain_reduction: gain reduction 9.0 dB").is_none(), "another node's meter");
        // Every parameter is there, and editing one edits the document.
        let ratio = h.get_by_role_and_label(egui::accesskit::Role::Slider, "Ratio");
        ratio.focus();
        h.run();
        h.key_press(egui::Key::ArrowRight);
        h.run();
        let node = h.state().snarl.get_node(comp).unwrap();
        let index = node.info.params.iter().position(|p| p.id == "ratio").unwrap();
        assert_ne!(node.params[index], node.info.params[index].default, "the ratio moved");
    }

    #[test]
    fn nothing_selected_says_how_to_select() {
        let mut h = Harness::new_ui_state(
            |ui, doc: &mut Document| {
                show(ui, doc, None, &Meters::new(), &mixgraph_nodes::registry());
            },
            Document::new(),
        );
        h.run();
        h.get_by_label("Select a node on the canvas to inspect it.");
    }
}

//! The node palette: every registered node type, grouped by family,
//! searchable, with its description.

use egui::Ui;
use mixgraph_graph::NodeRegistry;
use std::collections::BTreeMap;

/// Types grouped by family, each sorted by id; only those matching `query`
/// (case-insensitive, in the id, family or description).
pub fn families<'r>(registry: &'r NodeRegistry, query: &str) -> BTreeMap<&'r str, Vec<(&'r str, &'r str)>> {
    let query = query.trim().to_lowercase();
    let mut families: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for t in registry.types() {
        let text = format!("{} {} {}", t.type_id, t.family, t.description).to_lowercase();
        if query.is_empty() || query.split_whitespace().all(|w| text.contains(w)) {
            families.entry(t.family).or_default().push((t.type_id, t.description));
        }
    }
    for list in families.values_mut() {
        list.sort();
    }
    families
}

/// The searchable palette panel.
#[derive(Default)]
pub struct Palette {
    /// The search text.
    pub query: String,
}

/// A one-line text field after `label`, with `hint` inside it, named
/// `accessible` for screen readers (and UI tests).
pub fn labelled_field(ui: &mut Ui, label: &str, text: &mut String, hint: &str, accessible: &str) {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(egui::TextEdit::singleline(text).hint_text(hint).id_salt(accessible))
            .labelled_by(label.id)
            .widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::TextEdit, true, accessible));
    });
}

impl Palette {
    /// Shows the palette; returns the type the user picked (the "+" button
    /// or a double-click on its name).
    pub fn show(&mut self, ui: &mut Ui, registry: &NodeRegistry) -> Option<String> {
        let mut picked = None;
        ui.heading("Nodes");
        labelled_field(ui, "Search", &mut self.query, "name, family or use", "Search nodes");
        egui::ScrollArea::vertical().show(ui, |ui| {
            let searching = !self.query.trim().is_empty();
            for (family, types) in families(registry, &self.query) {
                // While searching every matching family is shown open.
                let header = egui::CollapsingHeader::new(family).open(searching.then_some(true));
                header.show(ui, |ui| {
                    for (type_id, description) in types {
                        ui.horizontal(|ui| {
                            let add = ui.small_button("+").on_hover_text(format!("add {type_id}"));
                            add.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::WidgetType::Button, true, format!("add {type_id}"))
                            });
                            if add.clicked() {
                                picked = Some(type_id.to_string());
                            }
                            let name = ui.selectable_label(false, type_id).on_hover_text(description);
                            if name.double_clicked() {
                                picked = Some(type_id.to_string());
                            }
                        });
                    }
                });
            }
        });
        picked
    }
}

/// The palette as a nested menu (the canvas's right-click menu).
pub fn menu(ui: &mut Ui, registry: &NodeRegistry) -> Option<String> {
    let mut picked = None;
    for (family, types) in families(registry, "") {
        ui.menu_button(family, |ui| {
            for (type_id, description) in types {
                if ui.button(type_id).on_hover_text(description).clicked() {
                    picked = Some(type_id.to_string());
                }
            }
        });
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_by_id_family_and_description() {
        let registry = mixgraph_nodes::registry();
        let all = families(&registry, "");
        assert!(all.contains_key("dynamics") && all.contains_key("synth") && all.contains_key("io"));
        let total: usize = all.values().map(Vec::len).sum();
        assert_eq!(total, registry.types().count(), "every type is listed");
        let limiter = families(&registry, "true peak");
        assert!(limiter["dynamics"].iter().any(|(id, _)| *id == "dynamics.limiter"), "{limiter:?}");
        assert!(families(&registry, "no such thing").is_empty());
    }
}

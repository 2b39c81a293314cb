//! How nodes look and behave on the canvas: ports as pins (audio and note
//! events in different colours), parameters as inline controls, and the
//! node and canvas menus.

use crate::canvas::{self, compatible};
use crate::document::EditorNode;
use crate::palette;
use egui::{Color32, Pos2, Ui};
use egui_snarl::ui::{PinInfo, SnarlViewer};
use egui_snarl::{InPin, InPinId, NodeId, OutPin, OutPinId, Snarl};
use mixgraph_graph::{MeterFrame, NodeRegistry, ParamDesc, ParamRange, PortDesc, PortKind};
use std::collections::BTreeMap;

const AUDIO: Color32 = Color32::from_rgb(80, 160, 230);
const EVENTS: Color32 = Color32::from_rgb(230, 160, 60);
/// Nodes with at most this many parameters show them all inline.
const SHOWN_INLINE: usize = 12;

/// The canvas's behaviour, borrowing the registry for the add-node menu
/// and this frame's meter readings.
pub struct Viewer<'a> {
    /// Node types for the canvas menu.
    pub registry: &'a NodeRegistry,
    /// Latest meter frames by `node.meter` name (empty when not playing).
    pub meters: &'a BTreeMap<String, MeterFrame>,
    /// Show the graph from its top-left corner at a readable zoom, in this
    /// canvas rectangle (set for the first frame of a newly opened graph;
    /// the canvas would otherwise fit a wide graph at an unreadable scale).
    pub home_view: Option<egui::Rect>,
}

/// Zoom of the home view.
const HOME_SCALE: f32 = 0.8;

impl Viewer<'_> {
    fn meters_of<'m>(&'m self, id: &'m str) -> impl Iterator<Item = (&'m String, &'m MeterFrame)> + 'm {
        self.meters.iter().filter(move |(name, _)| name.split_once('.').is_some_and(|(node, _)| node == id))
    }
}

fn pin_for(kind: &PortKind) -> PinInfo {
    let fill = if *kind == PortKind::Events { EVENTS } else { AUDIO };
    PinInfo { fill: Some(fill), ..PinInfo::circle() }
}

fn port_label(name: &str, kind: &PortKind) -> String {
    match kind {
        PortKind::Audio { channels } => format!("{name} ({channels} ch)"),
        PortKind::Events => format!("{name} (notes)"),
    }
}

/// A port's label and pin (a plain pin for a port that is gone).
fn show_port(ui: &mut Ui, port: Option<&PortDesc>) -> PinInfo {
    match port {
        Some(p) => {
            ui.label(port_label(&p.name, &p.kind));
            pin_for(&p.kind)
        }
        None => PinInfo::circle(),
    }
}

/// An inline control for one parameter; double-click resets to the
/// default. Returns true when the value changed.
pub fn param_control(ui: &mut Ui, desc: &ParamDesc, value: &mut f32) -> bool {
    let before = *value;
    let response = match &desc.range {
        ParamRange::Float { min, max, log } => {
            let suffix = desc.unit.suffix();
            let suffix = if suffix.is_empty() { String::new() } else { format!(" {suffix}") };
            ui.add(
                egui::Slider::new(value, *min..=*max).logarithmic(*log && *min > 0.0).suffix(suffix).text(&desc.name),
            )
        }
        ParamRange::Enum { variants } => {
            let mut index = value.round().max(0.0) as usize;
            let response = egui::ComboBox::from_label(&desc.name)
                .selected_text(variants.get(index).copied().unwrap_or("?"))
                .show_ui(ui, |ui| {
                    for (i, v) in variants.iter().enumerate() {
                        ui.selectable_value(&mut index, i, *v);
                    }
                })
                .response;
            *value = index as f32;
            response
        }
        ParamRange::Bool => {
            let mut on = *value >= 0.5;
            let response = ui.checkbox(&mut on, &desc.name);
            *value = if on { 1.0 } else { 0.0 };
            response
        }
    };
    if response.double_clicked() {
        *value = desc.default;
    }
    response.on_hover_text(format!("{} ({}): double-click for the default", desc.id, desc.range.describe(desc.unit)));
    *value != before
}

/// A menu wiring `node`'s outputs to compatible inputs elsewhere (the
/// keyboard- and menu-driven alternative to dragging a wire).
fn connect_menu(ui: &mut Ui, node: NodeId, snarl: &mut Snarl<EditorNode>) {
    let Some(this) = snarl.get_node(node).cloned() else { return };
    if this.info.outputs.is_empty() {
        return;
    }
    let others: Vec<(NodeId, EditorNode)> =
        snarl.nodes_ids_data().filter(|(i, _)| *i != node).map(|(i, n)| (i, n.value.clone())).collect();
    let label = format!("connect {}", this.id);
    let response = ui
        .menu_button("connect to…", |ui| {
            for (o, out) in this.info.outputs.iter().enumerate() {
                for (other, target) in &others {
                    for (i, input) in target.info.inputs.iter().enumerate() {
                        if compatible(&out.kind, &input.kind) {
                            let label = format!("{}.{} -> {}.{}", this.id, out.name, target.id, input.name);
                            if ui.button(label).clicked() {
                                canvas::connect(
                                    snarl,
                                    OutPinId { node, output: o },
                                    InPinId { node: *other, input: i },
                                );
                                ui.close();
                            }
                        }
                    }
                }
            }
        })
        .response;
    response.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, &label));
}

impl SnarlViewer<EditorNode> for Viewer<'_> {
    fn current_transform(&mut self, to_global: &mut egui::emath::TSTransform, snarl: &mut Snarl<EditorNode>) {
        let Some(rect) = self.home_view.take() else { return };
        let corner = snarl
            .nodes_pos_ids()
            .map(|(_, pos, _)| pos)
            .reduce(|a, b| Pos2::new(a.x.min(b.x), a.y.min(b.y)))
            .unwrap_or(Pos2::ZERO);
        to_global.scaling = HOME_SCALE;
        to_global.translation = rect.min.to_vec2() + egui::vec2(24.0, 24.0) - corner.to_vec2() * HOME_SCALE;
    }

    fn title(&mut self, node: &EditorNode) -> String {
        node.id.clone()
    }

    fn show_header(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut Ui, snarl: &mut Snarl<EditorNode>) {
        if let Some(n) = snarl.get_node(node) {
            ui.label(egui::RichText::new(&n.id).strong());
            ui.label(egui::RichText::new(&n.type_id).weak().small());
        }
    }

    fn inputs(&mut self, node: &EditorNode) -> usize {
        node.info.inputs.len()
    }

    fn outputs(&mut self, node: &EditorNode) -> usize {
        node.info.outputs.len()
    }

    fn show_input(
        &mut self,
        pin: &InPin,
        ui: &mut Ui,
        snarl: &mut Snarl<EditorNode>,
    ) -> impl egui_snarl::ui::SnarlPin + 'static {
        let port = snarl.get_node(pin.id.node).and_then(|n| n.info.inputs.get(pin.id.input));
        show_port(ui, port)
    }

    fn show_output(
        &mut self,
        pin: &OutPin,
        ui: &mut Ui,
        snarl: &mut Snarl<EditorNode>,
    ) -> impl egui_snarl::ui::SnarlPin + 'static {
        let port = snarl.get_node(pin.id.node).and_then(|n| n.info.outputs.get(pin.id.output));
        show_port(ui, port)
    }

    fn has_body(&mut self, node: &EditorNode) -> bool {
        !node.info.params.is_empty() || self.meters_of(&node.id).next().is_some()
    }

    fn show_body(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut Ui, snarl: &mut Snarl<EditorNode>) {
        let Some(n) = snarl.get_node_mut(node) else { return };
        let info = n.info.clone();
        let controls = |ui: &mut Ui, params: &mut [f32]| {
            ui.set_max_width(280.0);
            ui.spacing_mut().slider_width = 110.0;
            for (desc, value) in info.params.iter().zip(params.iter_mut()) {
                ui.push_id(&desc.id, |ui| param_control(ui, desc, value));
            }
        };
        let id = n.id.clone();
        ui.vertical(|ui| {
            for (name, frame) in self.meters_of(&id) {
                let Some(n) = snarl.get_node_mut(node) else { return };
                let drawn = ui.push_id(name, |ui| crate::transport::controls(ui, &info, &frame.data, &mut n.params));
                if !drawn.inner {
                    ui.push_id(name, |ui| crate::meters::draw(ui, name, &frame.data));
                }
            }
            let Some(n) = snarl.get_node_mut(node) else { return };
            // Short lists inline; long ones (an 8-band EQ has 57) folded.
            if info.params.len() > SHOWN_INLINE {
                egui::CollapsingHeader::new(format!("{} parameters", info.params.len()))
                    .id_salt(("params", node))
                    .show(ui, |ui| controls(ui, &mut n.params));
            } else if !info.params.is_empty() {
                controls(ui, &mut n.params);
            }
        });
    }

    fn connect(&mut self, from: &OutPin, to: &InPin, snarl: &mut Snarl<EditorNode>) {
        canvas::connect(snarl, from.id, to.id);
    }

    fn has_footer(&mut self, node: &EditorNode) -> bool {
        !node.info.outputs.is_empty()
    }

    fn show_footer(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut Ui, snarl: &mut Snarl<EditorNode>) {
        connect_menu(ui, node, snarl);
    }

    fn has_node_menu(&mut self, _: &EditorNode) -> bool {
        true
    }

    fn show_node_menu(&mut self, node: NodeId, _: &[InPin], _: &[OutPin], ui: &mut Ui, snarl: &mut Snarl<EditorNode>) {
        connect_menu(ui, node, snarl);
        if ui.button("Duplicate").clicked() {
            canvas::duplicate(snarl, node);
            ui.close();
        }
        if ui.button("Delete").clicked() {
            snarl.remove_node(node);
            ui.close();
        }
    }

    fn has_graph_menu(&mut self, _: Pos2, _: &mut Snarl<EditorNode>) -> bool {
        true
    }

    fn show_graph_menu(&mut self, pos: Pos2, ui: &mut Ui, snarl: &mut Snarl<EditorNode>) {
        ui.label("Add node");
        if let Some(type_id) = palette::menu(ui, self.registry) {
            // Every registered type builds with its default config except
            // those that need one (a file player's path): those are skipped.
            let _ = canvas::add(snarl, &type_id, &serde_json::Value::Null, pos, self.registry);
            ui.close();
        }
    }
}

//! The plugin's editor: the studio's editor (canvas, palette, files,
//! presets, undo) drawn by nice-plug-egui in the host's window, beside the
//! macro knobs with the graph's level and gain-reduction meters.
//!
//! Edits reach the running plugin through [`PluginPlayback`]: each change
//! is saved into the plugin's state (so the host's project keeps it) and
//! applied to the audio thread ([`Control::apply`](crate::control::Control::apply)).
//! A state the host restores while the editor is open replaces the
//! editor's document.

use crate::control::{METERED_CHANNELS, Shared};
use mixgraph_graph::{MeterData, NodeRegistry};
use mixgraph_studio::Studio;
use mixgraph_studio::document::Document;
use mixgraph_studio::playback::{Meters, Playback};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;

/// The editor window's size when first opened, logical pixels.
pub const EDITOR_SIZE: (f64, f64) = (1180.0, 720.0);

/// The editor's state for a new plugin instance.
pub fn editor_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(EDITOR_SIZE.0, EDITOR_SIZE.1), 1.0)
}

/// The editor for the plugin sharing `shared`.
pub fn create(shared: Arc<Shared>, state: Arc<EguiEditorState>, title: &str) -> Option<EguiEditor<EditorWindow>> {
    let settings = EguiNiceSettings::new().with_tile(title);
    let window = EditorWindow { shared, editor: None };
    nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), settings, window)
}

/// What nice-plug holds from the moment an instance is created. Hosts
/// create instances to scan them and most are never opened, so the editor
/// (node registry, document, history) is built when the window first opens,
/// and kept, with its undo history, across closing and reopening.
pub struct EditorWindow {
    shared: Arc<Shared>,
    editor: Option<PluginEditor>,
}

/// Plays the editor's document in the plugin.
pub struct PluginPlayback {
    shared: Arc<Shared>,
    /// The graph text last written to the plugin's state.
    written: String,
}

impl PluginPlayback {
    /// Playback into the plugin sharing `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        let written = shared.graph_text();
        PluginPlayback { shared, written }
    }
}

impl Playback for PluginPlayback {
    fn tick(&mut self, doc: &Document, json: &str, registry: &NodeRegistry) -> Option<String> {
        let mut control = self.shared.control();
        if json == self.written {
            if let Some(control) = control.as_mut() {
                control.tick();
            }
            return None;
        }
        self.shared.set_graph_text(json);
        self.written = json.to_string();
        let control = control.as_mut()?;
        let result = doc
            .to_graph(registry)
            .map_err(|e| e.to_string())
            .and_then(|graph| control.apply(&graph, json).map_err(|e| e.to_string()));
        result.err().map(|e| format!("error: the plugin keeps the last graph that ran: {e}"))
    }

    fn meters(&self) -> Meters {
        self.shared.control().as_ref().map(|c| c.telemetry().snapshot()).unwrap_or_default()
    }

    fn load_text(&self) -> Option<String> {
        Some(match self.shared.control().as_ref() {
            Some(c) => {
                let shape = c.shape();
                format!("{} Hz, latency {} frames", shape.sample_rate, c.latency())
            }
            None => "the host has not started the plugin".to_string(),
        })
    }

    fn sample_rate(&self) -> Option<u32> {
        self.shared.control().as_ref().map(|c| c.shape().sample_rate.round() as u32)
    }

    fn is_live(&self) -> bool {
        true
    }

    fn take_external(&mut self) -> Option<String> {
        if self.shared.params.graph.is(&self.written) {
            return None;
        }
        self.written = self.shared.graph_text();
        Some(self.written.clone())
    }
}

/// The editor: macros and meters on the right, the studio's editor beside.
pub struct PluginEditor {
    /// The studio's editor, playing into the plugin.
    pub studio: Studio,
    shared: Arc<Shared>,
    gui: Option<GuiContext>,
    /// The output meter as drawn: dBFS per channel, falling back at
    /// [`METER_FALL_DB_PER_S`] after each peak.
    shown_db: [f32; METERED_CHANNELS],
    last_frame: Option<std::time::Instant>,
}

/// How fast the output meter falls back, dB per second.
const METER_FALL_DB_PER_S: f32 = 24.0;
/// The output meter's floor, dBFS.
const METER_FLOOR_DB: f32 = -60.0;

impl PluginEditor {
    /// The editor of the plugin sharing `shared`, showing its graph.
    pub fn new(shared: Arc<Shared>) -> Self {
        let text = shared.graph_text();
        let mut studio = Studio::with_playback(Box::new(PluginPlayback::new(shared.clone())));
        studio.open_text(&text, "the plugin's graph");
        PluginEditor { studio, shared, gui: None, shown_db: [METER_FLOOR_DB; METERED_CHANNELS], last_frame: None }
    }

    /// Draws the editor into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        egui::Panel::right("plugin macros").resizable(true).default_size(250.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.side_panel(ui));
        });
        self.studio.ui(ui);
    }

    fn side_panel(&mut self, ui: &mut egui::Ui) {
        let params = self.shared.params.clone();
        ui.heading("Macros");
        let setter = self.gui.as_ref().map(GuiContext::param_setter);
        for (i, m) in params.macros.iter().enumerate() {
            let mapped = self.studio.doc.macros.get(i).is_some();
            if !mapped && i >= 8 {
                continue;
            }
            ui.label(m.position.name());
            match &setter {
                Some(setter) => {
                    ui.add(ParamSlider::for_param(&m.position, setter).with_width(200.0));
                }
                None => {
                    ui.label(m.position.to_string());
                }
            }
        }
        ui.separator();
        ui.heading("Output");
        self.output_meter(ui);
        ui.heading("Meters");
        let meters = self.studio.playback().meters();
        let shown = meters
            .iter()
            .filter(|(_, frame)| matches!(frame.data, MeterData::Levels { .. } | MeterData::GainReduction { .. }));
        let mut any = false;
        for (name, frame) in shown {
            any = true;
            ui.push_id(name, |ui| mixgraph_studio::meters::draw(ui, name, &frame.data));
        }
        if !any {
            ui.label(if meters.is_empty() {
                "the meters move while the host plays audio"
            } else {
                "this graph has no level or gain-reduction meters (add a meter.levels node)"
            });
        }
    }
}

impl PluginEditor {
    fn output_meter(&mut self, ui: &mut egui::Ui) {
        let now = std::time::Instant::now();
        let elapsed = self.last_frame.map_or(0.0, |t| now.duration_since(t).as_secs_f32());
        self.last_frame = Some(now);
        let peaks = self.shared.peaks.take();
        for (c, (shown, peak)) in self.shown_db.iter_mut().zip(peaks).enumerate() {
            let db = if peak > 0.0 { 20.0 * peak.log10() } else { METER_FLOOR_DB };
            *shown = (*shown - METER_FALL_DB_PER_S * elapsed).max(db).max(METER_FLOOR_DB);
            let label = if c == 0 { "L" } else { "R" };
            let text = if *shown <= METER_FLOOR_DB {
                format!("{label} -inf dBFS")
            } else {
                format!("{label} {shown:.1} dBFS")
            };
            let fill = (*shown - METER_FLOOR_DB) / -METER_FLOOR_DB;
            let colour = mixgraph_studio::meters::peak_colour(*shown);
            ui.add(egui::ProgressBar::new(fill).desired_width(200.0).fill(colour).text(text));
        }
    }
}

impl NiceEguiApp for EditorWindow {
    fn build(
        &mut self,
        _: egui::Context,
        gui: GuiContext,
        _: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        let shared = &self.shared;
        self.editor.get_or_insert_with(|| PluginEditor::new(shared.clone())).gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _: &mut nice_plug_egui::Frame) {
        if let Some(editor) = &mut self.editor {
            editor.show(ui);
        }
    }

    fn editor_closed(&mut self) {
        if let Some(editor) = &mut self.editor {
            editor.gui = None;
        }
    }
}

#[cfg(test)]
mod tests;

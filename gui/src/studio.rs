//! The editor: menu bar, palette, canvas and status line, drawn into any
//! `Ui` (the standalone window, a plugin's editor, or a test harness).

use crate::audio::{AudioOut, AudioSettings};
use crate::document::Document;
use crate::history::History;
use crate::live::LiveGraph;
use crate::palette::Palette;
use crate::viewer::Viewer;
use egui::{Key, KeyboardShortcut, Modifiers, Pos2, Ui};
use egui_snarl::ui::SnarlWidget;
use mixgraph_graph::NodeRegistry;
use std::path::{Path, PathBuf};

/// Most recent files remembered.
const RECENT: usize = 8;

/// What waits for the user's answer in a dialog.
#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    /// Type a path to open.
    Open,
    /// Type a path to save to.
    SaveAs,
    /// Type a WAV path to render to.
    Render,
    /// Unsaved changes would be lost by this action.
    Discard(Action),
}

/// An action that replaces the document.
#[derive(Clone, Debug, PartialEq)]
enum Action {
    New,
    Open(PathBuf),
}

/// The editor's whole state.
pub struct Studio {
    registry: NodeRegistry,
    /// The document being edited.
    pub doc: Document,
    /// The document as last recorded in the history, and its saved form.
    committed: Document,
    committed_json: String,
    /// The document's saved form at the end of the last frame: one
    /// serialisation per frame serves the dirty mark, the history and the
    /// live sync.
    frame_json: String,
    /// The saved form at the last open or save (dirty when different).
    saved_json: String,
    history: History,
    palette: Palette,
    /// The file the document lives in.
    pub path: Option<PathBuf>,
    /// Recently opened or saved files, newest first.
    pub recent: Vec<PathBuf>,
    /// The last message for the status line (errors start with "error:").
    pub status: String,
    dialog: Option<Dialog>,
    path_text: String,
    /// Where "+" in the palette puts the next node.
    next_pos: Pos2,
    /// Live audio: the output, the engine it plays, the settings, and the
    /// document text last sent to it.
    audio: Option<(AudioOut, LiveGraph)>,
    /// Audio settings chosen in the Audio menu.
    pub audio_settings: AudioSettings,
    audio_synced: String,
    /// The device failed: retry at this time.
    audio_retry: Option<std::time::Instant>,
    /// An offline render in progress.
    rendering: Option<crate::offline::OfflineRender>,
}

impl Default for Studio {
    fn default() -> Self {
        Studio::new()
    }
}

impl Studio {
    /// An editor with an empty graph.
    pub fn new() -> Self {
        let registry = mixgraph_nodes::registry();
        let doc = Document::new();
        let json = doc.to_json(&registry).unwrap_or_default();
        Studio {
            registry,
            committed: doc.clone(),
            doc,
            committed_json: json.clone(),
            frame_json: json.clone(),
            saved_json: json,
            history: History::default(),
            palette: Palette::default(),
            path: None,
            recent: Vec::new(),
            status: "new graph".into(),
            dialog: None,
            path_text: String::new(),
            next_pos: Pos2::new(40.0, 40.0),
            audio: None,
            audio_settings: AudioSettings::default(),
            audio_synced: String::new(),
            audio_retry: None,
            rendering: None,
        }
    }

    /// Starts rendering the graph to `path` (48 kHz, or the playing rate;
    /// 10 s when no file player sets the length) without stopping audio.
    pub fn render_to(&mut self, path: &Path) {
        let rate = self.audio.as_ref().map_or(48_000, |(out, _)| out.sample_rate);
        match crate::offline::OfflineRender::start(&self.doc, &self.registry, path, rate, 10.0) {
            Ok(render) => {
                self.rendering = Some(render);
                self.status = format!("rendering {}", path.display());
            }
            Err(e) => self.status = format!("error: cannot render: {e}"),
        }
    }

    /// True while an offline render runs.
    pub fn is_rendering(&self) -> bool {
        self.rendering.is_some()
    }

    fn render_tick(&mut self, ui: &mut Ui) {
        let Some(render) = &mut self.rendering else { return };
        match render.finished() {
            Some(Ok(path)) => {
                self.status = format!("rendered {}", path.display());
                self.rendering = None;
            }
            Some(Err(e)) => {
                self.status = format!("error: render: {e}");
                self.rendering = None;
            }
            None => {
                let progress = render.progress();
                ui.add(egui::ProgressBar::new(progress).desired_width(160.0).show_percentage());
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
            }
        }
    }

    /// Starts live audio with the current settings.
    pub fn start_audio(&mut self) {
        self.audio = None;
        let mut live = None;
        let started = AudioOut::start(&self.audio_settings, |stream| {
            let (graph, executor) = LiveGraph::start(&self.doc, &self.registry, stream)?;
            live = Some(graph);
            Ok(executor)
        });
        match (started, live) {
            (Ok(out), Some(graph)) => {
                self.status = format!("audio: {}", out.description);
                self.audio_synced = self.current_json();
                self.audio = Some((out, graph));
                self.audio_retry = None;
            }
            (Err(e), _) => self.status = format!("error: audio: {e}"),
            (Ok(_), None) => self.status = "error: audio: no graph".into(),
        }
    }

    /// Stops live audio.
    pub fn stop_audio(&mut self) {
        self.audio = None;
        self.audio_retry = None;
        self.status = "audio stopped".into();
    }

    /// True while audio plays.
    pub fn is_playing(&self) -> bool {
        self.audio.is_some()
    }

    /// Sends the document's edits to the playing graph; notices a lost
    /// device and retries it every two seconds.
    fn audio_tick(&mut self, json: &str) {
        if let Some(when) = self.audio_retry
            && std::time::Instant::now() >= when
        {
            self.start_audio();
            if self.audio.is_none() {
                self.audio_retry = Some(std::time::Instant::now() + std::time::Duration::from_secs(2));
            }
        }
        let Some((out, _)) = &self.audio else { return };
        if out.stats.failed.load(std::sync::atomic::Ordering::Relaxed) {
            self.audio = None;
            self.status = "error: the audio device stopped; retrying every 2 s".into();
            self.audio_retry = Some(std::time::Instant::now() + std::time::Duration::from_secs(2));
            return;
        }
        if json == self.audio_synced {
            return;
        }
        let Some((_, live)) = &mut self.audio else { return };
        match live.sync(&self.doc, &self.registry) {
            Ok(_) => self.audio_synced = json.to_string(),
            // The audio thread has not taken the last edit: next frame.
            Err(e) if LiveGraph::is_busy(&e) => {}
            Err(e) => {
                self.status = format!("error: {e}");
                self.audio_synced = json.to_string();
            }
        }
    }

    fn audio_menu(&mut self, ui: &mut Ui) {
        ui.menu_button("Audio", |ui| {
            if self.audio.is_some() {
                if ui.button("Stop").clicked() {
                    self.stop_audio();
                    ui.close();
                }
            } else if ui.button("Play").clicked() {
                self.start_audio();
                ui.close();
            }
            ui.separator();
            ui.menu_button("Backend", |ui| {
                for host in crate::audio::hosts() {
                    let chosen = self.audio_settings.host.as_deref() == Some(host.as_str());
                    if ui.selectable_label(chosen, &host).clicked() {
                        self.audio_settings.host = Some(host);
                        self.audio_settings.device = None;
                    }
                }
            });
            ui.menu_button("Device", |ui| {
                if ui.selectable_label(self.audio_settings.device.is_none(), "default").clicked() {
                    self.audio_settings.device = None;
                }
                for device in crate::audio::devices(self.audio_settings.host.as_deref()) {
                    let chosen = self.audio_settings.device.as_deref() == Some(device.as_str());
                    if ui.selectable_label(chosen, &device).clicked() {
                        self.audio_settings.device = Some(device);
                    }
                }
            });
            ui.menu_button("Sample rate", |ui| {
                for rate in [None, Some(44_100), Some(48_000), Some(96_000), Some(192_000)] {
                    let label = rate.map_or("device default".to_string(), |r| format!("{r} Hz"));
                    if ui.selectable_label(self.audio_settings.sample_rate == rate, label).clicked() {
                        self.audio_settings.sample_rate = rate;
                    }
                }
            });
            ui.menu_button("Buffer", |ui| {
                for frames in [None, Some(64), Some(128), Some(256), Some(512), Some(1024), Some(2048)] {
                    let label = frames.map_or("device default".to_string(), |f| format!("{f} frames"));
                    if ui.selectable_label(self.audio_settings.buffer_frames == frames, label).clicked() {
                        self.audio_settings.buffer_frames = frames;
                    }
                }
            });
        });
    }

    /// The node registry the editor offers.
    pub fn registry(&self) -> &NodeRegistry {
        &self.registry
    }

    /// True when the document differs from its file.
    pub fn is_dirty(&self) -> bool {
        self.current_json() != self.saved_json
    }

    fn current_json(&self) -> String {
        self.doc.to_json(&self.registry).unwrap_or_default()
    }

    /// Replaces the document (new or opened): no history, not dirty.
    fn replace(&mut self, doc: Document, path: Option<PathBuf>) {
        self.doc = doc;
        let json = self.current_json();
        self.committed = self.doc.clone();
        self.committed_json = json.clone();
        self.saved_json = json;
        self.history.clear();
        self.path = path;
    }

    /// Opens `path`; a file that does not load leaves the document as it
    /// was and shows the loader's error.
    pub fn open(&mut self, path: &Path) {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))
            .and_then(|text| {
                Document::from_json(&text, &path.display().to_string(), &self.registry).map_err(|e| e.to_string())
            });
        match loaded {
            Ok(doc) => {
                self.replace(doc, Some(path.to_path_buf()));
                self.remember(path);
                self.status = format!("opened {}", path.display());
            }
            Err(e) => self.status = format!("error: {e}"),
        }
    }

    /// Saves to `path` (through a temporary file renamed into place).
    pub fn save_to(&mut self, path: &Path) {
        let result = self.doc.to_json(&self.registry).and_then(|json| {
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, &json)?;
            std::fs::rename(&tmp, path)?;
            Ok(json)
        });
        match result {
            Ok(json) => {
                self.saved_json = json;
                self.path = Some(path.to_path_buf());
                self.remember(path);
                self.status = format!("saved {}", path.display());
            }
            Err(e) => self.status = format!("error: cannot save {}: {e}", path.display()),
        }
    }

    fn remember(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_path_buf());
        self.recent.truncate(RECENT);
    }

    /// Adds a node of `type_id` (from the palette) and selects nothing else.
    pub fn add_node(&mut self, type_id: &str) {
        let pos = self.next_pos;
        match self.doc.add_node(type_id, pos, &self.registry) {
            Ok(_) => {
                // Left to right, three to a row, so new nodes do not cover each other.
                let (x, y) = if self.next_pos.x > 600.0 {
                    (40.0, 40.0 + (self.next_pos.y - 40.0 + 280.0) % 840.0)
                } else {
                    (self.next_pos.x + 330.0, self.next_pos.y)
                };
                self.next_pos = Pos2::new(x, y);
                self.status = format!("added {type_id}");
            }
            Err(e) => self.status = format!("error: {e}"),
        }
    }

    /// Undoes the last edit.
    pub fn undo(&mut self) {
        if let Some(doc) = self.history.undo(self.doc.clone()) {
            self.set_committed(doc);
            self.status = "undo".into();
        }
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) {
        if let Some(doc) = self.history.redo(self.doc.clone()) {
            self.set_committed(doc);
            self.status = "redo".into();
        }
    }

    fn set_committed(&mut self, doc: Document) {
        self.doc = doc;
        self.committed = self.doc.clone();
        self.committed_json = self.current_json();
    }

    /// Records an edit in the history when the document (whose saved form
    /// is `json`) changed since the last record; called when no pointer
    /// button is held.
    fn commit_edits(&mut self, json: &str) {
        if json != self.committed_json {
            self.history.record(std::mem::replace(&mut self.committed, self.doc.clone()));
            self.committed_json = json.to_string();
        }
    }

    fn request(&mut self, action: Action) {
        if self.is_dirty() {
            self.dialog = Some(Dialog::Discard(action));
        } else {
            self.run(action);
        }
    }

    fn run(&mut self, action: Action) {
        match action {
            Action::New => {
                self.replace(Document::new(), None);
                self.status = "new graph".into();
            }
            Action::Open(path) => self.open(&path),
        }
    }

    /// The built-in presets (graph files under the repository's `presets/`).
    pub fn presets() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../presets");
        let mut found = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    fn menu_bar(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("New").clicked() {
                    self.request(Action::New);
                    ui.close();
                }
                if ui.button("Open…").clicked() {
                    self.path_text = self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                    self.dialog = Some(Dialog::Open);
                    ui.close();
                }
                ui.menu_button("Open preset", |ui| {
                    for preset in Self::presets() {
                        let name = preset.components().rev().take(2).collect::<Vec<_>>();
                        let label =
                            name.iter().rev().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                        if ui.button(label).clicked() {
                            self.request(Action::Open(preset.clone()));
                            ui.close();
                        }
                    }
                });
                ui.menu_button("Open recent", |ui| {
                    for path in self.recent.clone() {
                        if ui.button(path.display().to_string()).clicked() {
                            self.request(Action::Open(path));
                            ui.close();
                        }
                    }
                });
                if ui.button("Save").clicked() {
                    self.save();
                    ui.close();
                }
                if ui.button("Save as…").clicked() {
                    self.path_text = self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                    self.dialog = Some(Dialog::SaveAs);
                    ui.close();
                }
                if ui.add_enabled(self.rendering.is_none(), egui::Button::new("Render to WAV…")).clicked() {
                    self.path_text =
                        self.path.as_ref().map(|p| p.with_extension("wav").display().to_string()).unwrap_or_default();
                    self.dialog = Some(Dialog::Render);
                    ui.close();
                }
            });
            self.audio_menu(ui);
            ui.menu_button("Edit", |ui| {
                if ui.add_enabled(self.history.can_undo(), egui::Button::new("Undo")).clicked() {
                    self.undo();
                    ui.close();
                }
                if ui.add_enabled(self.history.can_redo(), egui::Button::new("Redo")).clicked() {
                    self.redo();
                    ui.close();
                }
            });
        });
    }

    /// Saves to the document's file, or asks for one.
    pub fn save(&mut self) {
        match self.path.clone() {
            Some(path) => self.save_to(&path),
            None => {
                self.path_text.clear();
                self.dialog = Some(Dialog::SaveAs);
            }
        }
    }

    fn dialogs(&mut self, ui: &mut Ui) {
        let Some(dialog) = self.dialog.clone() else { return };
        let title = match &dialog {
            Dialog::Open => "Open graph file",
            Dialog::SaveAs => "Save graph file as",
            Dialog::Render => "Render to a WAV file",
            Dialog::Discard(_) => "Unsaved changes",
        };
        egui::Window::new(title).collapsible(false).show(ui.ctx(), |ui| match dialog {
            Dialog::Open | Dialog::SaveAs | Dialog::Render => {
                ui.horizontal(|ui| {
                    let label = ui.label("Path");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.path_text).hint_text("path/to/graph.json").id_salt("path"),
                    )
                    .labelled_by(label.id)
                    .widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::TextEdit, true, "Graph file path"));
                });
                ui.horizontal(|ui| {
                    let verb = match dialog {
                        Dialog::Open => "Open",
                        Dialog::Render => "Render",
                        _ => "Save",
                    };
                    if ui.button(verb).clicked() && !self.path_text.trim().is_empty() {
                        let path = PathBuf::from(self.path_text.trim());
                        self.dialog = None;
                        match dialog {
                            Dialog::Open => self.request(Action::Open(path)),
                            Dialog::Render => self.render_to(&path),
                            _ => self.save_to(&path),
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        self.dialog = None;
                    }
                });
            }
            Dialog::Discard(action) => {
                ui.label("The graph has changes that are not saved. Discard them?");
                ui.horizontal(|ui| {
                    if ui.button("Discard").clicked() {
                        self.dialog = None;
                        self.run(action);
                    }
                    if ui.button("Cancel").clicked() {
                        self.dialog = None;
                    }
                });
            }
        });
    }

    fn shortcuts(&mut self, ui: &mut Ui) {
        let shortcut = |m: Modifiers, k: Key| KeyboardShortcut::new(m, k);
        let redo = ui.input_mut(|i| {
            i.consume_shortcut(&shortcut(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z))
                || i.consume_shortcut(&shortcut(Modifiers::COMMAND, Key::Y))
        });
        let undo = ui.input_mut(|i| i.consume_shortcut(&shortcut(Modifiers::COMMAND, Key::Z)));
        let save = ui.input_mut(|i| i.consume_shortcut(&shortcut(Modifiers::COMMAND, Key::S)));
        if redo {
            self.redo();
        } else if undo {
            self.undo();
        }
        if save {
            self.save();
        }
    }

    /// Draws the editor into `ui` and records finished edits.
    pub fn ui(&mut self, ui: &mut Ui) {
        // Labels on the canvas must let clicks through to their node (its
        // menu and dragging), so text is not selectable.
        ui.style_mut().interaction.selectable_labels = false;
        self.shortcuts(ui);
        egui::Panel::top("studio menu").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("studio status").show(ui, |ui| {
            let dirty = if self.frame_json != self.saved_json { " (modified)" } else { "" };
            let file = self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "untitled".into());
            ui.horizontal(|ui| {
                ui.label(format!("{file}{dirty}"));
                ui.separator();
                if let Some((out, _)) = &self.audio {
                    let stats = &out.stats;
                    let xruns = stats.xruns.load(std::sync::atomic::Ordering::Relaxed);
                    ui.label(format!("DSP {:.1} %, {xruns} xruns", 100.0 * stats.load(out.sample_rate)));
                    ui.separator();
                }
                self.render_tick(ui);
                let status = egui::RichText::new(&self.status);
                ui.label(if self.status.starts_with("error:") {
                    status.color(ui.visuals().error_fg_color)
                } else {
                    status
                });
            });
        });
        egui::Panel::left("studio palette").resizable(true).default_size(230.0).show(ui, |ui| {
            if let Some(type_id) = self.palette.show(ui, &self.registry) {
                self.add_node(&type_id);
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            // Meters are read once per frame, never blocking the audio thread.
            let meters = self.audio.as_ref().map(|(_, live)| live.engine().telemetry().snapshot()).unwrap_or_default();
            let mut viewer = Viewer { registry: &self.registry, meters: &meters };
            SnarlWidget::new().id_salt("studio canvas").show(&mut self.doc.snarl, &mut viewer, ui);
        });
        self.dialogs(ui);
        let json = self.current_json();
        if !ui.input(|i| i.pointer.any_down()) {
            self.commit_edits(&json);
        }
        // Live audio follows every edit, also while a slider is dragged.
        self.audio_tick(&json);
        self.frame_json = json;
        if self.audio.is_some() || self.audio_retry.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(33));
        }
    }
}

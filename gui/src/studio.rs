//! The editor: menu bar, palette, canvas and status line, drawn into any
//! `Ui` (the standalone window, a plugin's editor, or a test harness).

use crate::document::Document;
use crate::history::History;
use crate::palette::Palette;
use crate::playback::Playback;
use crate::viewer::Viewer;
use egui::{Key, KeyboardShortcut, Modifiers, Pos2, Ui};
use egui_snarl::ui::SnarlWidget;
use mixgraph_graph::NodeRegistry;
use std::path::{Path, PathBuf};

/// Most recent files remembered.
const RECENT: usize = 8;

/// The canvas widget's id (its selection is read for copy and cut).
fn canvas_id() -> egui::Id {
    egui::Id::new("studio canvas")
}

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
    OpenPreset(&'static str),
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
    /// Where the document is heard (an audio device, or the plugin).
    playback: Box<dyn Playback>,
    /// An offline render in progress.
    rendering: Option<crate::offline::OfflineRender>,
    /// The nodes last copied, as graph-file text (also put on the system
    /// clipboard, which only reaches the app as a paste event).
    pub clipboard: Option<String>,
    /// How far the next paste lands from the copied nodes.
    paste_offset: f32,
    /// Show the next frame's canvas from the graph's top-left corner.
    home_view: bool,
}

impl Default for Studio {
    fn default() -> Self {
        Studio::new()
    }
}

impl Studio {
    /// An editor with an empty graph, playing through an audio device
    /// (the Audio menu), or silent when built without the `standalone`
    /// feature.
    pub fn new() -> Self {
        #[cfg(feature = "standalone")]
        let playback = Box::new(crate::device::DevicePlayback::default());
        #[cfg(not(feature = "standalone"))]
        let playback = Box::new(crate::playback::Silent);
        Self::with_playback(playback)
    }

    /// An editor with an empty graph, heard through `playback`.
    pub fn with_playback(playback: Box<dyn Playback>) -> Self {
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
            playback,
            clipboard: None,
            paste_offset: 0.0,
            home_view: true,
            rendering: None,
        }
    }

    /// Starts rendering the graph to `path` (48 kHz, or the playing rate;
    /// 10 s when no file player sets the length) without stopping audio.
    pub fn render_to(&mut self, path: &Path) {
        let rate = self.playback.sample_rate().unwrap_or(48_000);
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

    /// Where the document is heard.
    pub fn playback(&mut self) -> &mut dyn Playback {
        self.playback.as_mut()
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
        self.home_view = true;
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

    /// Copies `nodes` (and the wires between them) to the clipboard.
    pub fn copy_nodes(&mut self, ctx: &egui::Context, nodes: &[egui_snarl::NodeId]) {
        if nodes.is_empty() {
            self.status = "select nodes to copy: click one, or drag a box with Shift".into();
            return;
        }
        match crate::clipboard::copy(&self.doc, nodes, &self.registry) {
            Ok(text) => {
                ctx.copy_text(text.clone());
                self.clipboard = Some(text);
                self.paste_offset = 0.0;
                self.status = format!("copied {} nodes", nodes.len());
            }
            Err(e) => self.status = format!("error: cannot copy: {e}"),
        }
    }

    /// Adds the nodes of graph-file `text` to the graph, beside where they
    /// were copied from.
    pub fn paste_text(&mut self, text: &str) {
        self.paste_offset += 40.0;
        let offset = egui::vec2(self.paste_offset, self.paste_offset);
        match crate::clipboard::paste(&mut self.doc, text, offset, &self.registry) {
            Ok(added) => self.status = format!("pasted {} nodes", added.len()),
            Err(e) => self.status = format!("error: the clipboard holds no mixgraph nodes: {e}"),
        }
    }

    /// The canvas's selected nodes.
    fn selection(ctx: &egui::Context) -> Vec<egui_snarl::NodeId> {
        egui_snarl::ui::get_selected_nodes(canvas_id(), ctx)
    }

    /// Copy, cut and paste from the keyboard (the platform turns Ctrl+C,
    /// Ctrl+X and Ctrl+V into these events), unless a text field has them.
    fn clipboard_events(&mut self, ui: &Ui) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let events: Vec<egui::Event> = ui.input(|i| i.events.clone());
        for event in events {
            match event {
                egui::Event::Copy => self.copy_nodes(ui.ctx(), &Self::selection(ui.ctx())),
                egui::Event::Cut => {
                    let selected = Self::selection(ui.ctx());
                    self.copy_nodes(ui.ctx(), &selected);
                    for id in selected {
                        if self.doc.snarl.get_node(id).is_some() {
                            self.doc.snarl.remove_node(id);
                        }
                    }
                }
                egui::Event::Paste(text) if text.trim_start().starts_with('{') => self.paste_text(&text),
                _ => {}
            }
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
            Action::OpenPreset(name) => self.open_preset(name),
        }
    }

    /// The built-in presets (the repository's `presets/`, embedded when
    /// built): name such as `master/pop`, and graph-file text.
    pub fn presets() -> &'static [(&'static str, &'static str)] {
        crate::presets::PRESETS
    }

    /// Opens graph-file `text` (`source` names it in errors) as a new,
    /// unsaved document; true when it loaded.
    pub fn open_text(&mut self, text: &str, source: &str) -> bool {
        match Document::from_json(text, source, &self.registry) {
            Ok(doc) => {
                self.replace(doc, None);
                self.status = format!("opened {source}");
                true
            }
            Err(e) => {
                self.status = format!("error: {e}");
                false
            }
        }
    }

    /// Opens built-in preset `name`; an unknown name or a preset that does
    /// not load leaves the document as it was.
    pub fn open_preset(&mut self, name: &str) {
        let Some((_, text)) = Self::presets().iter().find(|(n, _)| *n == name) else {
            self.status = format!("error: no preset '{name}'");
            return;
        };
        match Document::from_json(text, &format!("preset {name}"), &self.registry) {
            Ok(doc) => {
                self.replace(doc, None);
                self.status = format!("opened preset {name}");
            }
            Err(e) => self.status = format!("error: {e}"),
        }
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
                    for (name, _) in Self::presets() {
                        if ui.button(*name).clicked() {
                            self.request(Action::OpenPreset(name));
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
            if let Some(news) = self.playback.menu(ui, &self.doc, &self.registry) {
                self.status = news;
            }
            ui.menu_button("Edit", |ui| {
                if ui.button("Copy").clicked() {
                    let selected = Self::selection(ui.ctx());
                    self.copy_nodes(ui.ctx(), &selected);
                    ui.close();
                }
                if ui.add_enabled(self.clipboard.is_some(), egui::Button::new("Paste")).clicked() {
                    if let Some(text) = self.clipboard.clone() {
                        self.paste_text(&text);
                    }
                    ui.close();
                }
                ui.separator();
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
                crate::palette::labelled_field(
                    ui,
                    "Path",
                    &mut self.path_text,
                    "path/to/graph.json",
                    "Graph file path",
                );
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
        if let Some(text) = self.playback.take_external() {
            self.open_text(&text, "the host's saved state");
        }
        self.shortcuts(ui);
        self.clipboard_events(ui);
        egui::Panel::top("studio menu").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("studio status").show(ui, |ui| {
            let dirty = if self.frame_json != self.saved_json { " (modified)" } else { "" };
            let file = self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "untitled".into());
            ui.horizontal(|ui| {
                ui.label(format!("{file}{dirty}"));
                ui.separator();
                if let Some(load) = self.playback.load_text() {
                    ui.label(load);
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
        // Meters are read once per frame, never blocking the audio thread.
        let meters = self.playback.meters();
        egui::Panel::right("studio inspector").resizable(true).default_size(300.0).show(ui, |ui| {
            let selected = Self::selection(ui.ctx());
            let one = if selected.len() == 1 { selected.first().copied() } else { None };
            crate::inspector::show(ui, &mut self.doc, one, &meters, &self.registry);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let home_view = std::mem::take(&mut self.home_view).then(|| ui.max_rect());
            let mut viewer = Viewer { registry: &self.registry, meters: &meters, home_view };
            SnarlWidget::new().id(canvas_id()).show(&mut self.doc.snarl, &mut viewer, ui);
        });
        self.dialogs(ui);
        let json = self.current_json();
        if !ui.input(|i| i.pointer.any_down()) {
            self.commit_edits(&json);
        }
        // What plays follows every edit, also while a slider is dragged.
        if let Some(news) = self.playback.tick(&self.doc, &json, &self.registry) {
            self.status = news;
        }
        self.frame_json = json;
        if self.playback.is_live() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(33));
        }
    }
}

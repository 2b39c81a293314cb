//! Where the editor's graph is heard: an audio device in the standalone app
//! ([`crate::device::DevicePlayback`]), or the plugin whose editor it is.
//! The editor draws the same canvas either way and hands every edit to its
//! [`Playback`].

use crate::document::Document;
use egui::Ui;
use mixgraph_graph::{MeterFrame, NodeRegistry};
use std::collections::BTreeMap;

/// Meter frames by node id, then meter name.
pub type Meters = BTreeMap<String, MeterFrame>;

/// Something that plays the document being edited.
pub trait Playback: Send {
    /// Called once per frame with the document and its saved form `json`:
    /// brings what plays up to date with it. Returns a message for the
    /// status line when there is news (errors start with `error:`).
    fn tick(&mut self, doc: &Document, json: &str, registry: &NodeRegistry) -> Option<String>;

    /// The playing graph's meters, read without blocking audio.
    fn meters(&self) -> Meters;

    /// Load and xrun text for the status line, while playing.
    fn load_text(&self) -> Option<String>;

    /// The sample rate it plays at, if playing.
    fn sample_rate(&self) -> Option<u32>;

    /// True while it wants the editor redrawn at meter rate.
    fn is_live(&self) -> bool;

    /// A graph file that replaced the played graph from outside the editor
    /// (a plugin host restoring its state): the editor opens it.
    fn take_external(&mut self) -> Option<String> {
        None
    }

    /// Draws its own menu in the menu bar (the app's Audio menu); returns a
    /// status message when an action there has news.
    fn menu(&mut self, ui: &mut Ui, doc: &Document, registry: &NodeRegistry) -> Option<String> {
        let _ = (ui, doc, registry);
        None
    }
}

/// Plays nothing: the editor alone (a library user without audio).
#[derive(Debug, Default)]
pub struct Silent;

impl Playback for Silent {
    fn tick(&mut self, _: &Document, _: &str, _: &NodeRegistry) -> Option<String> {
        None
    }

    fn meters(&self) -> Meters {
        Meters::new()
    }

    fn load_text(&self) -> Option<String> {
        None
    }

    fn sample_rate(&self) -> Option<u32> {
        None
    }

    fn is_live(&self) -> bool {
        false
    }
}

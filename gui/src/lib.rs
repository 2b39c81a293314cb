//! mixgraph's node editor as a library: the standalone `mixgraph-studio`
//! app draws it in a window, and the plugins can draw the same editor.
//!
//! * [`audio`]: live output through cpal (JACK or ALSA).
//! * [`device`]: the app's playback on an audio device (the Audio menu).
//! * [`playback`]: where the editor's graph is heard (a device, a plugin).
//! * [`canvas`]: node edits on the canvas (add, duplicate, connect).
//! * [`clipboard`]: copy and paste of nodes between graphs.
//! * [`document`]: a graph being edited (nodes, positions, wires), loaded
//!   and saved through the engine's own graph-file loader and writer.
//! * [`history`]: undo and redo for every edit.
//! * [`inspector`]: the selected node in full, with its meters drawn large.
//! * [`meters`]: meters drawn from the engine's telemetry.
//! * [`midi`]: MIDI input ports (midir) for live play.
//! * [`period`]: one period of live audio (input, MIDI, graph, output).
//! * [`offline`]: rendering the document to a WAV file with progress.
//! * [`live`]: keeps a running engine equal to the document, edit by edit.
//! * [`palette`]: every registered node type, by family, searchable.
//! * [`viewer`]: nodes on the canvas (egui-snarl), with inline parameter
//!   controls.
//! * [`studio`]: the editor (menus, palette, canvas, status, dialogs).
//! * [`transport`]: Play, Pause, Stop and seek for file players.
//! * [`screenshot`]: writing a frame to PNG (`--screenshot`).
//!
//! The `standalone` feature (on by default) adds the window's parts:
//! [`audio`], [`device`], [`midi`] and [`screenshot`]. The plugins build without it.

#![warn(missing_docs)]

#[cfg(feature = "standalone")]
pub mod audio;
pub mod canvas;
pub mod clipboard;
#[cfg(feature = "standalone")]
pub mod device;
pub mod document;
pub mod history;
pub mod inspector;
pub mod live;
pub mod meters;
#[cfg(feature = "standalone")]
pub mod midi;
pub mod offline;
pub mod palette;
pub mod period;
pub mod playback;
/// The built-in presets, embedded by the build script.
pub mod presets {
    include!(concat!(env!("OUT_DIR"), "/presets.rs"));
}
#[cfg(feature = "standalone")]
pub mod screenshot;
pub mod studio;
pub mod transport;
pub mod viewer;

pub use studio::Studio;

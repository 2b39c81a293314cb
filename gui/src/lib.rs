//! mixgraph's node editor as a library: the standalone `mixgraph-studio`
//! app draws it in a window, and the plugins can draw the same editor.
//!
//! * [`audio`]: live output through cpal (JACK or ALSA).
//! * [`canvas`]: node edits on the canvas (add, duplicate, connect).
//! * [`document`]: a graph being edited (nodes, positions, wires), loaded
//!   and saved through the engine's own graph-file loader and writer.
//! * [`history`]: undo and redo for every edit.
//! * [`meters`]: meters drawn from the engine's telemetry.
//! * [`offline`]: rendering the document to a WAV file with progress.
//! * [`live`]: keeps a running engine equal to the document, edit by edit.
//! * [`palette`]: every registered node type, by family, searchable.
//! * [`viewer`]: nodes on the canvas (egui-snarl), with inline parameter
//!   controls.
//! * [`studio`]: the editor (menus, palette, canvas, status, dialogs).
//! * [`screenshot`]: writing a frame to PNG (`--screenshot`).

pub mod audio;
pub mod canvas;
pub mod document;
pub mod history;
pub mod live;
pub mod meters;
pub mod offline;
pub mod palette;
pub mod screenshot;
pub mod studio;
pub mod viewer;

pub use studio::Studio;

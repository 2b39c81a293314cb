//! Helpers shared by the editor's live tests.

pub mod jack;

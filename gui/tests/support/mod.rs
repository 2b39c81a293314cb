//! Helpers shared by the editor's live tests.

pub mod jack;
pub mod process;

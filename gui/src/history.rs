//! Undo and redo for every edit, by snapshots of the document.
//!
//! The editor compares the document's saved form after each frame in which
//! no pointer button is held, so a drag or a slider move becomes one step,
//! not one per frame.

use crate::document::Document;

/// Most steps kept.
const DEPTH: usize = 200;

/// The undo and redo stacks.
#[derive(Default)]
pub struct History {
    undo: Vec<Document>,
    redo: Vec<Document>,
}

impl History {
    /// Records that the document changed from `before`; clears redo.
    pub fn record(&mut self, before: Document) {
        self.undo.push(before);
        if self.undo.len() > DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Steps back: returns the document to show, given the current one.
    pub fn undo(&mut self, current: Document) -> Option<Document> {
        let previous = self.undo.pop()?;
        self.redo.push(current);
        Some(previous)
    }

    /// Steps forward again.
    pub fn redo(&mut self, current: Document) -> Option<Document> {
        let next = self.redo.pop()?;
        self.undo.push(current);
        Some(next)
    }

    /// Whether there is something to undo / redo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Forgets everything (a new or opened file).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }
}

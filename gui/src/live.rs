//! Keeps a running engine equal to the document being edited, edit by
//! edit, so that what the user hears follows the canvas without restarts.
//!
//! Each [`LiveGraph::sync`] compares the document with the engine's graph:
//! parameter changes go straight to the running processors (smoothed by
//! each node); added, removed or reconfigured nodes and changed wires are
//! applied to the engine's graph and committed, which prepares only the new
//! nodes off the audio thread and swaps the new schedule in at a block
//! boundary (nodes that stay keep their state; starts and latency changes
//! are declicked by the engine).

use crate::document::Document;
use mixgraph_graph::{CommitError, Engine, Executor, Graph, NodeRegistry, StreamInfo};
use std::collections::BTreeSet;

/// What one sync changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    /// Nodes added (or rebuilt for a new type or config).
    pub added: usize,
    /// Nodes removed.
    pub removed: usize,
    /// Wires added or removed.
    pub rewired: usize,
    /// Parameter values sent to running nodes.
    pub params: usize,
}

impl SyncReport {
    /// True when the graph's structure changed (a commit happened).
    pub fn structural(&self) -> bool {
        self.added + self.removed + self.rewired > 0
    }
}

/// The control side of a graph playing live.
pub struct LiveGraph {
    engine: Engine,
    /// Structural edits are in the engine's graph but not running yet (the
    /// audio thread was busy, or the edited graph did not compile).
    pending_commit: bool,
}

fn node_key(graph: &Graph, id: &str) -> Option<(String, serde_json::Value)> {
    graph.node(id).map(|n| (n.info().type_id.clone(), n.config()))
}

impl LiveGraph {
    /// Builds the document's graph for `stream`; the executor goes to the
    /// audio thread.
    ///
    /// # Errors
    /// A node the registry cannot build, or a graph that does not compile.
    pub fn start(doc: &Document, registry: &NodeRegistry, stream: StreamInfo) -> anyhow::Result<(LiveGraph, Executor)> {
        let (engine, executor) = Engine::new(doc.to_graph(registry)?, stream)?;
        Ok((LiveGraph { engine, pending_commit: false }, executor))
    }

    /// True when `error` from [`LiveGraph::sync`] only means the audio
    /// thread has not taken the previous edit yet (sync again later).
    pub fn is_busy(error: &anyhow::Error) -> bool {
        matches!(error.downcast_ref::<CommitError>(), Some(CommitError::Busy))
    }

    /// The engine (reports, telemetry).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Brings the running graph to the document's state.
    ///
    /// # Errors
    /// A graph that does not build or compile (the running one keeps
    /// playing), or [`CommitError::Busy`] when the audio thread has not
    /// taken the previous edit yet (try again on the next frame).
    pub fn sync(&mut self, doc: &Document, registry: &NodeRegistry) -> anyhow::Result<SyncReport> {
        self.engine.collect_garbage();
        let target = doc.to_graph(registry)?;
        let mut report = SyncReport::default();
        let current_ids: BTreeSet<String> = self.engine.graph().nodes().map(|n| n.id().to_string()).collect();
        let target_ids: BTreeSet<String> = target.nodes().map(|n| n.id().to_string()).collect();
        // Nodes that left, or whose type or construction options changed.
        let rebuilt: BTreeSet<String> = current_ids
            .iter()
            .filter(|id| !target_ids.contains(*id) || node_key(self.engine.graph(), id) != node_key(&target, id))
            .cloned()
            .collect();
        for id in &rebuilt {
            self.engine.graph_mut().remove_node(id);
            report.removed += usize::from(!target_ids.contains(id));
        }
        for entry in target.nodes() {
            let id = entry.id();
            if current_ids.contains(id) && !rebuilt.contains(id) {
                continue;
            }
            let node =
                registry.create(&entry.info().type_id, &entry.config()).map_err(|e| anyhow::anyhow!("{id}: {e}"))?;
            self.engine.graph_mut().add_node(id, node).map_err(|e| anyhow::anyhow!("{id}: {e}"))?;
            for (desc, value) in entry.info().params.iter().zip(entry.params()) {
                self.engine.graph_mut().set_param(&format!("{id}.{}", desc.id), *value)?;
            }
            report.added += 1;
        }
        let have: BTreeSet<(String, String)> = self.engine.graph().edges().into_iter().collect();
        let want: BTreeSet<(String, String)> = target.edges().into_iter().collect();
        for (from, to) in have.difference(&want) {
            self.engine.graph_mut().disconnect(from, to);
            report.rewired += 1;
        }
        for (from, to) in want.difference(&have) {
            self.engine.graph_mut().connect(from, to).map_err(|e| anyhow::anyhow!("{from} -> {to}: {e}"))?;
            report.rewired += 1;
        }
        self.engine.graph_mut().macros = target.macros.clone();
        if report.structural() || self.pending_commit {
            // On failure the old schedule keeps playing and the next sync
            // tries again.
            self.pending_commit = true;
            match self.engine.commit() {
                Ok(()) => self.pending_commit = false,
                Err(CommitError::Busy) => return Err(CommitError::Busy.into()),
                Err(e) => return Err(anyhow::anyhow!("the edited graph does not run: {e}")),
            }
        }
        // Parameter values of nodes that stayed.
        for entry in target.nodes() {
            let id = entry.id();
            let Some(running) = self.engine.graph().node(id) else { continue };
            let changed: Vec<(String, f32)> = entry
                .info()
                .params
                .iter()
                .zip(entry.params().iter().zip(running.params()))
                .filter(|(_, (want, have))| want != have)
                .map(|(desc, (want, _))| (format!("{id}.{}", desc.id), *want))
                .collect();
            for (address, value) in changed {
                self.engine.set_param(&address, value)?;
                report.params += 1;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests;

//! The control-thread side of a running graph.
//!
//! An [`Engine`] owns the editable [`Graph`]. [`Engine::commit`] prepares the
//! processors of new nodes, compiles a schedule and sends both to the
//! [`Executor`] through a lock-free ring; the executor swaps them in at the start
//! of its next block and sends the old schedule and removed processors back, to
//! be dropped here by [`Engine::collect_garbage`]. Nodes that persist keep their
//! processor, and with it their state, so edits are heard without a dropout.
//!
//! ```
//! use mixgraph_graph::{Engine, Graph, StreamInfo, builtin};
//! let mut graph = Graph::new();
//! graph.add_node("in", Box::new(builtin::InputNode::new(1))).unwrap();
//! graph.add_node("out", Box::new(builtin::OutputNode::new(1))).unwrap();
//! graph.connect("in", "out").unwrap();
//! let (_engine, mut executor) = Engine::new(graph, StreamInfo::new(48_000.0, 64)).unwrap();
//! let input = [0.5f32; 64];
//! let mut output = [0.0f32; 64];
//! executor.process(&[&input], &mut [&mut output], 64);
//! assert_eq!(output, input);
//! ```

use crate::compile::{CompileError, CompileOptions, NodeTiming, compile};
use crate::executor::{Arena, EngineStats, Executor, ExecutorParts, ParamChange, Swap};
use crate::model::{Graph, SetParamError};
use crate::node::{NodeError, NodeRole, PrepareContext, StreamInfo};
use crate::processor::{ParamEvent, Processor};
use crate::schedule::CompileReport;
use crate::telemetry::TelemetryHub;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use thiserror::Error;

/// Capacity of the ring that carries graph edits to the audio thread.
const SWAP_RING: usize = 16;
/// Capacity of the parameter ring.
const PARAM_RING: usize = 8192;

/// Error applying an edit.
#[derive(Debug, Error)]
pub enum CommitError {
    /// A node's `prepare` failed.
    #[error("node '{node}': {source}")]
    Prepare {
        /// Node id.
        node: String,
        /// What the node reported.
        #[source]
        source: NodeError,
    },
    /// The edited graph does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The audio thread has not taken earlier edits yet (it is not running, or
    /// edits come faster than blocks); nothing was changed.
    #[error("the audio thread has not taken the previous edits yet")]
    Busy,
}

/// Error setting a parameter on a running engine.
#[derive(Debug, Error)]
pub enum EngineParamError {
    /// Unknown node or parameter, or value out of range.
    #[error(transparent)]
    Param(#[from] SetParamError),
    /// A structural parameter needed a recompile, which failed.
    #[error(transparent)]
    Commit(#[from] CommitError),
    /// The parameter ring is full (counted in [`EngineStats::param_overflows`]).
    #[error("parameter queue full: the audio thread is not keeping up")]
    QueueFull,
    /// A structural parameter has no real-time path ([`Engine::param_handle`]).
    #[error("'{0}' is structural (changing it rebuilds the node): it cannot be set from the audio thread")]
    Structural(String),
}

/// A parameter resolved on the control thread, for [`Engine::set_param_rt`].
/// Valid until the graph is edited (a replaced node ignores it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamHandle {
    node: petgraph::stable_graph::NodeIndex,
    uid: u64,
    index: crate::param::ParamIndex,
    min: f32,
    max: f32,
    stepped: bool,
}

struct LiveNode {
    timing: NodeTiming,
    params: Vec<f32>,
    id: String,
    content_frames: Option<u64>,
}

/// Control side of a running graph. See the module docs.
pub struct Engine {
    graph: Graph,
    stream: StreamInfo,
    options: CompileOptions,
    telemetry: TelemetryHub,
    stats: Arc<EngineStats>,
    swaps_out: rtrb::Producer<Box<Swap>>,
    garbage_in: rtrb::Consumer<Box<Swap>>,
    params_out: rtrb::Producer<ParamChange>,
    live: BTreeMap<u64, LiveNode>,
    arena_len: usize,
    free_slots: BTreeSet<u32>,
    next_slot: u32,
    edges: Vec<(String, String)>,
    report: CompileReport,
    /// Commits sent to the executor so far.
    generation: u64,
}

/// A node prepared in this commit: its timing, the params it was built with,
/// its id and its content length.
type Fresh = (NodeTiming, Vec<f32>, String, Option<u64>);

struct Preparation {
    insert: Vec<(u32, Box<dyn Processor>)>,
    timings: BTreeMap<u64, NodeTiming>,
    /// uid → (slot, params, id) of newly prepared nodes.
    fresh: BTreeMap<u64, Fresh>,
    /// Slots whose processor is replaced or removed.
    retired: Vec<u32>,
}

impl Engine {
    /// Prepares and compiles `graph` for `stream`, returning the control half and
    /// the executor to move to the audio thread.
    ///
    /// # Errors
    /// [`CommitError`] when a node fails to prepare or the graph does not compile.
    pub fn new(graph: Graph, stream: StreamInfo) -> Result<(Engine, Executor), CommitError> {
        Self::with_options(graph, stream, CompileOptions::default())
    }

    /// Like [`Engine::new`] with compiler options (tests compare schedules).
    ///
    /// # Errors
    /// As [`Engine::new`].
    pub fn with_options(
        graph: Graph,
        stream: StreamInfo,
        options: CompileOptions,
    ) -> Result<(Engine, Executor), CommitError> {
        let (swaps_out, swaps_in) = rtrb::RingBuffer::new(SWAP_RING);
        let (garbage_out, garbage_in) = rtrb::RingBuffer::new(SWAP_RING);
        let (params_out, params_in) = rtrb::RingBuffer::new(PARAM_RING);
        let stats = Arc::new(EngineStats::default());
        let mut engine = Engine {
            graph,
            stream,
            options,
            telemetry: TelemetryHub::new(),
            stats: stats.clone(),
            swaps_out,
            garbage_in,
            params_out,
            live: BTreeMap::new(),
            arena_len: 0,
            free_slots: BTreeSet::new(),
            next_slot: 0,
            edges: Vec::new(),
            generation: 0,
            report: CompileReport {
                order: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                latency_frames: 0,
                tail_frames: 0,
                buffer_count: 0,
                compensation_delays: 0,
                event_inputs: Vec::new(),
            },
        };
        let prep = engine.prepare_changed()?;
        let schedule = compile(&engine.graph, &stream, &prep.timings, options)?;
        let arena_len = (engine.next_slot as usize * 2).max(16);
        let mut processors: Arena = (0..arena_len).map(|_| None).collect();
        for (slot, p) in prep.insert {
            processors[slot as usize] = Some(p);
        }
        engine.arena_len = arena_len;
        engine.adopt(prep.fresh, schedule.report().clone());
        let executor = Executor::new(ExecutorParts {
            schedule: Box::new(schedule),
            processors,
            swaps_in,
            garbage_out,
            params_in,
            stats,
            sample_rate: stream.sample_rate,
        });
        Ok((engine, executor))
    }

    /// The graph as last edited (committed or not).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, for edits; they take effect at [`Engine::commit`].
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// The stream the engine runs at.
    pub fn stream(&self) -> StreamInfo {
        self.stream
    }

    /// What the last successful compile found (order, I/O layout, latency, tail).
    pub fn report(&self) -> &CompileReport {
        &self.report
    }

    /// The longest material any source node (file player) has, in frames.
    pub fn content_frames(&self) -> Option<u64> {
        self.live.values().filter_map(|n| n.content_frames).max()
    }

    /// The meters of this engine's nodes.
    pub fn telemetry(&self) -> &TelemetryHub {
        &self.telemetry
    }

    /// Counters kept by the audio thread.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Drops what the audio thread has handed back (old schedules, removed
    /// processors); returns how many edits were collected. Control thread.
    pub fn collect_garbage(&mut self) -> usize {
        let mut n = 0;
        while let Ok(swap) = self.garbage_in.pop() {
            drop(swap);
            n += 1;
        }
        n
    }

    /// Applies the graph's edits: prepares new nodes, compiles, and sends the
    /// result to the executor, which swaps it in at its next block. On error the
    /// running schedule is untouched.
    ///
    /// # Errors
    /// [`CommitError`] when a node fails to prepare, the graph does not compile, or
    /// the executor has not taken the previous edits.
    pub fn commit(&mut self) -> Result<(), CommitError> {
        self.collect_garbage();
        if self.swaps_out.slots() == 0 {
            return Err(CommitError::Busy);
        }
        let mut prep = self.prepare_changed()?;
        let mut schedule = match compile(&self.graph, &self.stream, &prep.timings, self.options) {
            Ok(s) => s,
            Err(e) => {
                self.release_slots(prep.fresh.values().map(|f| f.0.slot));
                return Err(e.into());
            }
        };
        let graph_uids: BTreeSet<u64> = self.graph.nodes().map(|n| n.uid).collect();
        let gone: Vec<u64> = self.live.keys().filter(|u| !graph_uids.contains(u)).copied().collect();
        for uid in gone {
            if let Some(node) = self.live.remove(&uid) {
                prep.retired.push(node.timing.slot);
                if self.graph.node(&node.id).is_none() {
                    self.telemetry.remove_node(&node.id);
                }
            }
        }
        let edges = self.graph.edges();
        schedule.declick = !prep.insert.is_empty() || !prep.retired.is_empty() || edges != self.edges;
        let arena = (self.next_slot as usize > self.arena_len).then(|| {
            self.arena_len = self.next_slot as usize * 2;
            (0..self.arena_len).map(|_| None).collect::<Arena>()
        });
        let removed = Vec::with_capacity(prep.retired.len() + prep.insert.len());
        let swap = Swap {
            generation: self.generation + 1,
            schedule: Some(Box::new(schedule)),
            insert: prep.insert,
            remove: prep.retired.clone(),
            removed,
            arena,
        };
        let report = swap.schedule.as_ref().map(|s| s.report().clone());
        if self.swaps_out.push(Box::new(swap)).is_err() {
            // Cannot happen: a slot was checked above and this is the only producer.
            return Err(CommitError::Busy);
        }
        self.generation += 1;
        self.release_slots(prep.retired.iter().copied());
        self.edges = edges;
        if let Some(report) = report {
            self.adopt(prep.fresh, report);
        }
        self.sync_params();
        Ok(())
    }

    /// Sets `node.param` on the running graph: checked against its range,
    /// recorded in the graph, and sent to the processor (which smooths it). A
    /// structural parameter re-prepares its node and recommits.
    ///
    /// # Errors
    /// [`EngineParamError`] for an unknown or out-of-range parameter, a failed
    /// recompile, or a full parameter queue.
    pub fn set_param(&mut self, address: &str, value: f32) -> Result<(), EngineParamError> {
        let (entry, index) = self.graph.param_address(address)?;
        let structural = entry.info.params[index.0 as usize].structural;
        let previous = entry.params[index.0 as usize];
        self.graph.set_param(address, value)?;
        if structural {
            return match self.commit() {
                Ok(()) | Err(CommitError::Busy) => Ok(()),
                Err(e) => {
                    // Keep the graph runnable: the value that failed is not kept.
                    let _ = self.graph.set_param(address, previous);
                    Err(e.into())
                }
            };
        }
        if self.sync_params() { Ok(()) } else { Err(EngineParamError::QueueFull) }
    }

    /// Resolves `node.param` for [`Engine::set_param_rt`]. Control thread.
    ///
    /// # Errors
    /// An unknown node or parameter, or a structural parameter.
    pub fn param_handle(&self, address: &str) -> Result<ParamHandle, EngineParamError> {
        let (entry, index) = self.graph.param_address(address)?;
        let desc = &entry.info.params[index.0 as usize];
        if desc.structural {
            return Err(EngineParamError::Structural(address.to_string()));
        }
        let node = self.graph.node_index(&entry.id).ok_or_else(|| SetParamError::UnknownNode(entry.id.clone()))?;
        let (min, max) = desc.range.bounds();
        let stepped = !matches!(desc.range, crate::param::ParamRange::Float { .. });
        Ok(ParamHandle { node, uid: entry.uid, index, min, max, stepped })
    }

    /// Sets a resolved parameter from the audio thread: clamped to its
    /// range (rounded for enums and switches), recorded in the graph and
    /// queued for the processor, which smooths it as usual. Never allocates,
    /// locks or panics. False when the value is not finite, the node is
    /// gone, or the queue is full (counted in [`EngineStats::param_overflows`]).
    pub fn set_param_rt(&mut self, handle: ParamHandle, value: f32) -> bool {
        if !value.is_finite() {
            return false;
        }
        let value = value.clamp(handle.min, handle.max);
        let value = if handle.stepped { value.round() } else { value };
        if !self.graph.set_param_value(handle.node, handle.uid, handle.index, value) {
            return false;
        }
        let Some(live) = self.live.get_mut(&handle.uid) else { return false };
        let Some(have) = live.params.get_mut(handle.index.0 as usize) else { return false };
        if *have == value {
            return true;
        }
        let event = ParamEvent { index: handle.index, value };
        let change =
            ParamChange { slot: live.timing.slot, uid: handle.uid, generation: self.generation, seq: 0, event };
        if self.params_out.push(change).is_ok() {
            *have = value;
            true
        } else {
            self.stats.param_overflows.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            false
        }
    }

    /// Sends every parameter value that differs from what the processors have.
    fn sync_params(&mut self) -> bool {
        let mut ok = true;
        for entry in self.graph.nodes() {
            let Some(live) = self.live.get_mut(&entry.uid) else { continue };
            for (i, (&want, have)) in entry.params.iter().zip(live.params.iter_mut()).enumerate() {
                // Structural values reach the processor by re-preparing it, in commit().
                if want == *have || entry.info.params[i].structural {
                    continue;
                }
                let event = ParamEvent { index: crate::param::ParamIndex(i as u16), value: want };
                let change =
                    ParamChange { slot: live.timing.slot, uid: entry.uid, generation: self.generation, seq: 0, event };
                if self.params_out.push(change).is_ok() {
                    *have = want;
                } else {
                    self.stats.param_overflows.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    ok = false;
                }
            }
        }
        ok
    }

    /// Prepares every processor node that is new, or whose structural
    /// parameters changed since it was prepared.
    fn prepare_changed(&mut self) -> Result<Preparation, CommitError> {
        let mut prep =
            Preparation { insert: Vec::new(), timings: BTreeMap::new(), fresh: BTreeMap::new(), retired: Vec::new() };
        let entries: Vec<_> = self.graph.nodes().filter(|n| n.info.role == NodeRole::Processor).collect();
        let mut new_slots = Vec::new();
        for entry in entries {
            let live = self.live.get(&entry.uid);
            let structural_changed = live.is_some_and(|l| {
                entry
                    .info
                    .params
                    .iter()
                    .zip(entry.params.iter().zip(&l.params))
                    .any(|(d, (a, b))| d.structural && a != b)
            });
            if let Some(l) = live.filter(|_| !structural_changed) {
                prep.timings.insert(entry.uid, l.timing);
                continue;
            }
            let ctx = PrepareContext {
                stream: self.stream,
                params: &entry.params,
                node_id: &entry.id,
                telemetry: &self.telemetry,
            };
            let prepared = match entry.node.prepare(&ctx) {
                Ok(p) => p,
                Err(source) => {
                    let node = entry.id.clone();
                    self.free_slots.extend(new_slots);
                    return Err(CommitError::Prepare { node, source });
                }
            };
            let slot = self.free_slots.pop_first().unwrap_or_else(|| {
                self.next_slot += 1;
                self.next_slot - 1
            });
            new_slots.push(slot);
            if let Some(l) = live {
                prep.retired.push(l.timing.slot);
            }
            let timing =
                NodeTiming { slot, latency_frames: prepared.latency_frames, tail_frames: prepared.tail_frames };
            prep.timings.insert(entry.uid, timing);
            prep.fresh.insert(entry.uid, (timing, entry.params.clone(), entry.id.clone(), prepared.content_frames));
            prep.insert.push((slot, prepared.processor));
        }
        Ok(prep)
    }

    fn release_slots(&mut self, slots: impl Iterator<Item = u32>) {
        self.free_slots.extend(slots);
    }

    fn adopt(&mut self, fresh: BTreeMap<u64, Fresh>, report: CompileReport) {
        for (uid, (timing, params, id, content_frames)) in fresh {
            self.live.insert(uid, LiveNode { timing, params, id, content_frames });
        }
        self.edges = self.graph.edges();
        self.report = report;
    }
}

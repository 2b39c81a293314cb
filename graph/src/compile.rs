//! Graph → schedule compiler (control thread).
//!
//! 1. Split each feedback-delay node into a *read* task (no inputs) and a *write*
//!    task (no outputs), so a cycle through one is no cycle for ordering.
//! 2. Order tasks with Kahn's algorithm (A. B. Kahn, "Topological sorting of large
//!    networks", CACM 1962), ties broken by insertion order so that the same
//!    graph always compiles to the same schedule. Leftover tasks form a cycle,
//!    reported with the ids of the nodes in it (Tarjan's SCC).
//! 3. Latency: a node's inputs are aligned to the latest-arriving one by delay
//!    lines on the earlier edges (as JUCE's `RenderSequenceBuilder` does); all
//!    graph outputs are aligned to the graph's total latency.
//! 4. Buffers: one mono buffer per channel, allocated from a free list in
//!    processing order and released after their last reader, so the arena holds
//!    about as many buffers as are live at once. Fan-in is summed into a
//!    per-port buffer; a single undelayed edge reads its source directly.

mod builder;

use crate::model::{EdgePorts, Graph};
use crate::node::{NodeRole, PortKind, StreamInfo};
use crate::processor::EventBuffer;
use crate::schedule::{CompileReport, EventRange, IoPort, Op, Schedule};
use builder::Builder;
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use thiserror::Error;

/// Most audio channels one node may have on its inputs (and on its outputs).
pub const MAX_NODE_CHANNELS: usize = 64;
/// Most event ports one node may have in each direction.
pub const MAX_NODE_EVENT_PORTS: usize = 8;
/// Capacity of every event buffer, in events per block.
pub const EVENT_CAPACITY: usize = 1024;

/// Error compiling a graph.
#[derive(Debug, Error, PartialEq)]
pub enum CompileError {
    /// A cycle that does not pass through a feedback-delay node.
    #[error("cycle between nodes {}: break it with a feedback delay node (util.feedback_delay)", .nodes.join(" -> "))]
    Cycle {
        /// Ids of the nodes in the cycle.
        nodes: Vec<String>,
    },
    /// A feedback delay shorter than a block could not produce its output in time.
    #[error(
        "feedback delay node '{node}': delay of {delay_frames} frames is shorter than the block size of {max_block_frames} frames"
    )]
    FeedbackTooShort {
        /// Node id.
        node: String,
        /// Its delay in frames.
        delay_frames: u32,
        /// The stream's maximum block size.
        max_block_frames: usize,
    },
    /// A node with more channels than the executor supports.
    #[error("node '{node}' has {channels} channels on one side; the limit is {MAX_NODE_CHANNELS}")]
    TooManyChannels {
        /// Node id.
        node: String,
        /// Its channel count.
        channels: usize,
    },
    /// A stream with no block size or no sample rate.
    #[error("invalid stream: sample rate {sample_rate} Hz, block size {max_block_frames} frames")]
    InvalidStream {
        /// The sample rate asked for.
        sample_rate: f64,
        /// The block size asked for.
        max_block_frames: usize,
    },
    /// A processor node that has not been prepared.
    #[error("node '{0}' has no prepared processor")]
    NotPrepared(String),
}

/// How the engine has prepared one node (keyed by node uid).
#[derive(Clone, Copy, Debug)]
pub struct NodeTiming {
    /// Processor slot in the executor's arena.
    pub slot: u32,
    /// Latency reported by `prepare`, frames.
    pub latency_frames: u32,
    /// Tail reported by `prepare`, frames.
    pub tail_frames: u32,
}

/// Compiler switches, for tests.
#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    /// Reuse buffers once their last reader has run (off = one buffer per channel
    /// of every port, a naive reference schedule).
    pub reuse_buffers: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { reuse_buffers: true }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum TaskKind {
    Run,
    FeedbackRead,
    FeedbackWrite,
}

#[derive(Clone, Copy, Debug)]
struct Task {
    node: NodeIndex,
    kind: TaskKind,
}

fn feedback_frames(graph: &Graph, node: NodeIndex, stream: &StreamInfo) -> u32 {
    let delay_ms = graph.g[node].params.first().copied().unwrap_or(0.0) as f64;
    (delay_ms * 0.001 * stream.sample_rate).round() as u32
}

/// Compiles `graph` for `stream`. `timings` gives each processor node's slot and
/// prepared latency/tail by uid.
///
/// # Errors
/// [`CompileError`] for a cycle without a feedback delay, a too-short feedback
/// delay, too many channels, or an unprepared node.
pub fn compile(
    graph: &Graph,
    stream: &StreamInfo,
    timings: &BTreeMap<u64, NodeTiming>,
    options: CompileOptions,
) -> Result<Schedule, CompileError> {
    let g = &graph.g;
    if stream.max_block_frames == 0 || !(stream.sample_rate > 0.0 && stream.sample_rate.is_finite()) {
        return Err(CompileError::InvalidStream {
            sample_rate: stream.sample_rate,
            max_block_frames: stream.max_block_frames,
        });
    }
    // 1. Tasks.
    let mut tasks: Vec<Task> = Vec::new();
    let mut producer: HashMap<NodeIndex, usize> = HashMap::new();
    let mut consumer: HashMap<NodeIndex, usize> = HashMap::new();
    for node in g.node_indices() {
        let entry = &g[node];
        for side in [entry.info.input_channels(), entry.info.output_channels()] {
            if side > MAX_NODE_CHANNELS {
                return Err(CompileError::TooManyChannels { node: entry.id.clone(), channels: side });
            }
        }
        if entry.info.role == NodeRole::FeedbackDelay {
            let frames = feedback_frames(graph, node, stream);
            if (frames as usize) < stream.max_block_frames {
                return Err(CompileError::FeedbackTooShort {
                    node: entry.id.clone(),
                    delay_frames: frames,
                    max_block_frames: stream.max_block_frames,
                });
            }
            producer.insert(node, tasks.len());
            tasks.push(Task { node, kind: TaskKind::FeedbackRead });
            consumer.insert(node, tasks.len());
            tasks.push(Task { node, kind: TaskKind::FeedbackWrite });
        } else {
            if entry.info.role == NodeRole::Processor && !timings.contains_key(&entry.uid) {
                return Err(CompileError::NotPrepared(entry.id.clone()));
            }
            producer.insert(node, tasks.len());
            consumer.insert(node, tasks.len());
            tasks.push(Task { node, kind: TaskKind::Run });
        }
    }

    // 2. Kahn's algorithm over tasks.
    let mut indegree = vec![0usize; tasks.len()];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for edge in g.edge_references() {
        let (from, to) = (producer[&edge.source()], consumer[&edge.target()]);
        successors[from].push(to);
        indegree[to] += 1;
    }
    let key = |t: usize| (g[tasks[t].node].uid, tasks[t].kind);
    let mut ready: BinaryHeap<Reverse<((u64, TaskKind), usize)>> =
        (0..tasks.len()).filter(|&t| indegree[t] == 0).map(|t| Reverse((key(t), t))).collect();
    let mut order = Vec::with_capacity(tasks.len());
    while let Some(Reverse((_, t))) = ready.pop() {
        order.push(t);
        for &s in &successors[t] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(Reverse((key(s), s)));
            }
        }
    }
    if order.len() < tasks.len() {
        return Err(cycle_error(graph, &tasks, &successors, &indegree));
    }

    // 3. Latency per node output, and per-edge compensation delays.
    let mut out_latency: HashMap<NodeIndex, u32> = HashMap::new();
    let mut out_tail: HashMap<NodeIndex, u64> = HashMap::new();
    let mut input_target: HashMap<NodeIndex, u32> = HashMap::new();
    for &t in &order {
        let Task { node, kind } = tasks[t];
        if kind == TaskKind::FeedbackRead {
            out_latency.insert(node, 0);
            // The loop's decay is unknown to the compiler.
            out_tail.insert(node, u32::MAX as u64);
            continue;
        }
        let arrivals = g.edges_directed(node, Direction::Incoming).map(|e| out_latency[&e.source()]);
        let target = arrivals.max().unwrap_or(0);
        let tail_in = g.edges_directed(node, Direction::Incoming).map(|e| out_tail[&e.source()]).max().unwrap_or(0);
        input_target.insert(node, target);
        let timing = timings.get(&g[node].uid);
        let own_latency = timing.map(|t| t.latency_frames).unwrap_or(0);
        let own_tail = timing.map(|t| t.tail_frames as u64).unwrap_or(0);
        // A feedback write produces nothing; its node's output tail (unknown) was
        // set by the read task.
        if kind == TaskKind::Run {
            out_latency.insert(node, target + own_latency);
            out_tail.insert(node, tail_in + own_tail);
        }
    }
    let outputs: Vec<NodeIndex> = sorted_role(graph, NodeRole::GraphOutput);
    let graph_latency = outputs.iter().map(|n| input_target[n]).max().unwrap_or(0);
    for n in &outputs {
        input_target.insert(*n, graph_latency);
    }
    let graph_tail = outputs.iter().map(|n| out_tail[n]).max().unwrap_or(0).min(u32::MAX as u64) as u32;

    // 4. Ops and buffers.
    let mut b = Builder::new(graph, options);
    let inputs = io_layout(graph, NodeRole::GraphInput);
    let output_layout = io_layout(graph, NodeRole::GraphOutput);
    let event_inputs = event_input_names(graph);
    let first_channel = |layout: &[IoPort], id: &str| layout.iter().find(|p| p.name == id).map(|p| p.first_channel);
    let mut order_ids = Vec::new();
    for &t in &order {
        let Task { node, kind } = tasks[t];
        let entry = &g[node];
        let incoming = |b: &Builder| b.incoming(node, input_target.get(&node).copied().unwrap_or(0), &out_latency);
        match (kind, entry.info.role) {
            (TaskKind::FeedbackRead, _) => {
                order_ids.push(entry.id.clone());
                let frames = feedback_frames(graph, node, stream);
                let outs = b.alloc_outputs(node);
                for (ch, &dst) in outs.iter().enumerate() {
                    let line = b.add_delay(node, node, EdgePorts { src_port: 0, dst_port: 0 }, ch, frames);
                    b.ops.push(Op::FeedbackRead { line, dst });
                }
            }
            (TaskKind::FeedbackWrite, _) => {
                let edges = incoming(&b);
                let (ins, temps) = b.gather_port(node, 0, &edges);
                let frames = feedback_frames(graph, node, stream);
                for (ch, &src) in ins.iter().enumerate() {
                    let line = b.delays.iter().position(|d| {
                        d.key.src_uid == entry.uid
                            && d.key.dst_uid == entry.uid
                            && d.key.channel == ch as u32
                            && d.key.len == frames
                    });
                    if let Some(line) = line {
                        b.ops.push(Op::FeedbackWrite { line: line as u32, src });
                    }
                }
                b.release_after(node, &edges, temps);
            }
            (_, NodeRole::GraphInput) if entry.info.outputs.iter().any(|p| p.kind == PortKind::Events) => {
                order_ids.push(entry.id.clone());
                let input = event_inputs.iter().position(|n| *n == entry.id).unwrap_or(0) as u32;
                let dst = b.events.len() as u32;
                b.port_events.insert((node, 0), dst);
                b.events.push(EventBuffer::with_capacity(EVENT_CAPACITY));
                b.ops.push(Op::ExternalEvents { input, dst });
            }
            (_, NodeRole::GraphInput) => {
                order_ids.push(entry.id.clone());
                let outs = b.alloc_outputs(node);
                let first = first_channel(&inputs, &entry.id).unwrap_or(0) as u32;
                let outs = b.list(&outs);
                b.ops.push(Op::ExternalIn { first, outs });
                b.release_unread_outputs(node);
            }
            (_, NodeRole::GraphOutput) => {
                order_ids.push(entry.id.clone());
                let edges = incoming(&b);
                let (ins, temps) = b.gather_port(node, 0, &edges);
                let first = first_channel(&output_layout, &entry.id).unwrap_or(0) as u32;
                let ins = b.list(&ins);
                b.ops.push(Op::ExternalOut { first, ins });
                b.release_after(node, &edges, temps);
            }
            _ => {
                order_ids.push(entry.id.clone());
                let timing = timings.get(&entry.uid).ok_or_else(|| CompileError::NotPrepared(entry.id.clone()))?;
                let edges = incoming(&b);
                let mut ins = Vec::new();
                let mut temps = Vec::new();
                let mut ev_ins = Vec::new();
                for (port, desc) in entry.info.inputs.iter().enumerate() {
                    match desc.kind {
                        PortKind::Audio { .. } => {
                            let (bufs, t) = b.gather_port(node, port as u16, &edges);
                            ins.extend(bufs);
                            temps.extend(t);
                        }
                        PortKind::Events => ev_ins.push(b.gather_events(port as u16, &edges)),
                    }
                }
                let outs = b.alloc_outputs(node);
                let ev_first = b.events.len() as u32;
                let mut ev_count = 0;
                for (port, desc) in entry.info.outputs.iter().enumerate() {
                    if desc.kind == PortKind::Events {
                        b.port_events.insert((node, port as u16), b.events.len() as u32);
                        b.events.push(EventBuffer::with_capacity(EVENT_CAPACITY));
                        ev_count += 1;
                    }
                }
                let (ins, outs, ev_ins) = (b.list(&ins), b.list(&outs), b.list(&ev_ins));
                b.ops.push(Op::Process {
                    slot: timing.slot,
                    ins,
                    outs,
                    ev_ins,
                    ev_outs: EventRange { first: ev_first, len: ev_count },
                });
                b.release_after(node, &edges, temps);
                b.release_unread_outputs(node);
            }
        }
    }

    let mut slot_uids = Vec::new();
    for node in g.node_indices() {
        if let Some(t) = timings.get(&g[node].uid) {
            let slot = t.slot as usize;
            if slot_uids.len() <= slot {
                slot_uids.resize(slot + 1, 0);
            }
            slot_uids[slot] = g[node].uid;
        }
    }
    let report = CompileReport {
        order: order_ids,
        inputs: inputs.clone(),
        outputs: output_layout.clone(),
        latency_frames: graph_latency,
        tail_frames: graph_tail,
        buffer_count: b.buffer_count as usize,
        compensation_delays: b.delays.iter().filter(|d| d.key.src_uid != d.key.dst_uid).count(),
        event_inputs,
    };
    Ok(Schedule {
        ops: b.ops,
        lists: b.lists,
        buffers: vec![0.0; b.buffer_count as usize * stream.max_block_frames],
        max_block: stream.max_block_frames,
        delays: b.delays,
        events: b.events,
        slot_uids,
        input_channels: inputs.iter().map(|p| p.channels).sum(),
        output_channels: output_layout.iter().map(|p| p.channels).sum(),
        report,
        declick: false,
    })
}

/// Nodes with `role`, in insertion order.
fn sorted_role(graph: &Graph, role: NodeRole) -> Vec<NodeIndex> {
    let mut nodes: Vec<NodeIndex> = graph.g.node_indices().filter(|&n| graph.g[n].info.role == role).collect();
    nodes.sort_by_key(|&n| graph.g[n].uid);
    nodes
}

/// Names of the graph's note-event inputs, in insertion order.
fn event_input_names(graph: &Graph) -> Vec<String> {
    sorted_role(graph, NodeRole::GraphInput)
        .into_iter()
        .filter(|&n| graph.g[n].info.outputs.iter().any(|p| p.kind == PortKind::Events))
        .map(|n| graph.g[n].id.clone())
        .collect()
}

/// External channel layout of the graph's audio inputs or outputs, in
/// insertion order (note-event inputs have no channels and are left out).
pub(crate) fn io_layout(graph: &Graph, role: NodeRole) -> Vec<IoPort> {
    let mut first_channel = 0;
    sorted_role(graph, role)
        .into_iter()
        .filter(|&n| graph.g[n].info.outputs.iter().all(|p| p.kind != PortKind::Events))
        .map(|n| {
            let info = &graph.g[n].info;
            let channels = if role == NodeRole::GraphInput { info.output_channels() } else { info.input_channels() };
            let port = IoPort { name: graph.g[n].id.clone(), channels, first_channel };
            first_channel += channels;
            port
        })
        .collect()
}

/// Names the nodes of one cycle among the tasks Kahn's algorithm could not order.
fn cycle_error(graph: &Graph, tasks: &[Task], successors: &[Vec<usize>], indegree: &[usize]) -> CompileError {
    let mut sub = petgraph::Graph::<usize, ()>::new();
    let stuck: Vec<usize> = (0..tasks.len()).filter(|&t| indegree[t] > 0).collect();
    let index: HashMap<usize, _> = stuck.iter().map(|&t| (t, sub.add_node(t))).collect();
    for &t in &stuck {
        for s in &successors[t] {
            if let (Some(&a), Some(&b)) = (index.get(&t), index.get(s)) {
                sub.add_edge(a, b, ());
            }
        }
    }
    let cycle = petgraph::algo::tarjan_scc(&sub)
        .into_iter()
        .find(|scc| scc.len() > 1 || sub.contains_edge(scc[0], scc[0]))
        .unwrap_or_default();
    let mut nodes: Vec<(u64, String)> =
        cycle.iter().map(|&i| &graph.g[tasks[sub[i]].node]).map(|e| (e.uid, e.id.clone())).collect();
    nodes.sort();
    nodes.dedup();
    CompileError::Cycle { nodes: nodes.into_iter().map(|(_, id)| id).collect() }
}

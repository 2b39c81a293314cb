//! Buffer, delay-line and op bookkeeping for [`super::compile`].

use super::{CompileOptions, EVENT_CAPACITY};
use crate::model::{EdgePorts, Graph};
use crate::node::PortKind;
use crate::processor::EventBuffer;
use crate::schedule::{DelayKey, DelayLine, ListRange, Op};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeSet, HashMap};

/// One incoming edge as the consumer sees it, with its compensation delay.
pub(super) struct Incoming {
    pub src: NodeIndex,
    pub ports: EdgePorts,
    pub delay: u32,
}

pub(super) struct Builder<'g> {
    graph: &'g Graph,
    options: CompileOptions,
    pub ops: Vec<Op>,
    pub lists: Vec<u32>,
    free: BTreeSet<u32>,
    pub buffer_count: u32,
    pub delays: Vec<DelayLine>,
    pub events: Vec<EventBuffer>,
    /// Audio buffers of each (node, output port), with the number of edges yet to read them.
    port_buffers: HashMap<(NodeIndex, u16), (Vec<u32>, usize)>,
    /// Event buffer of each (node, event output port).
    pub port_events: HashMap<(NodeIndex, u16), u32>,
}

impl<'g> Builder<'g> {
    pub fn new(graph: &'g Graph, options: CompileOptions) -> Self {
        Builder {
            graph,
            options,
            ops: Vec::new(),
            lists: Vec::new(),
            free: BTreeSet::new(),
            // Buffer 0 is the shared silent buffer; event buffer 0 the empty list.
            buffer_count: 1,
            delays: Vec::new(),
            events: vec![EventBuffer::with_capacity(0)],
            port_buffers: HashMap::new(),
            port_events: HashMap::new(),
        }
    }

    /// Incoming edges of `node`, in insertion order (so fan-in sums in a fixed
    /// order), each with the delay that aligns it to `target`.
    pub fn incoming(&self, node: NodeIndex, target: u32, out_latency: &HashMap<NodeIndex, u32>) -> Vec<Incoming> {
        let g = &self.graph.g;
        let mut edges: Vec<_> = g.edges_directed(node, Direction::Incoming).collect();
        edges.sort_by_key(|e| e.id());
        edges
            .into_iter()
            .map(|e| Incoming {
                src: e.source(),
                ports: *e.weight(),
                delay: target - out_latency.get(&e.source()).copied().unwrap_or(0),
            })
            .collect()
    }

    fn alloc(&mut self) -> u32 {
        if let Some(id) = self.free.pop_first() {
            return id;
        }
        self.buffer_count += 1;
        self.buffer_count - 1
    }

    fn release(&mut self, id: u32) {
        if self.options.reuse_buffers && id != 0 {
            self.free.insert(id);
        }
    }

    pub fn list(&mut self, ids: &[u32]) -> ListRange {
        let start = self.lists.len() as u32;
        self.lists.extend_from_slice(ids);
        ListRange { start, len: ids.len() as u32 }
    }

    pub fn add_delay(&mut self, src: NodeIndex, dst: NodeIndex, ports: EdgePorts, channel: usize, len: u32) -> u32 {
        let g = &self.graph.g;
        let key = DelayKey {
            src_uid: g[src].uid,
            dst_uid: g[dst].uid,
            src_port: ports.src_port,
            dst_port: ports.dst_port,
            channel: channel as u32,
            len,
        };
        self.delays.push(DelayLine::new(key));
        (self.delays.len() - 1) as u32
    }

    /// Buffers holding the (summed, aligned) signal of audio input `port`, and
    /// the temporary buffers to release after the node has run.
    pub fn gather_port(&mut self, node: NodeIndex, port: u16, edges: &[Incoming]) -> (Vec<u32>, Vec<u32>) {
        let channels = self.graph.g[node].info.inputs.get(port as usize).map(|p| p.channels()).unwrap_or(0);
        let into: Vec<&Incoming> = edges.iter().filter(|e| e.ports.dst_port == port).collect();
        match into.as_slice() {
            [] => (vec![0; channels], Vec::new()),
            [one] if one.delay == 0 => (self.source(one).to_vec(), Vec::new()),
            many => {
                let temps: Vec<u32> = (0..channels).map(|_| self.alloc()).collect();
                for (k, edge) in many.iter().enumerate() {
                    let srcs = self.source(edge).to_vec();
                    for (ch, (&src, &dst)) in srcs.iter().zip(&temps).enumerate() {
                        let op = if edge.delay > 0 {
                            let line = self.add_delay(edge.src, node, edge.ports, ch, edge.delay);
                            Op::Delay { line, src, dst, accumulate: k > 0 }
                        } else if k == 0 {
                            Op::Copy { src, dst }
                        } else {
                            Op::Add { src, dst }
                        };
                        self.ops.push(op);
                    }
                }
                (temps.clone(), temps)
            }
        }
    }

    fn source(&self, edge: &Incoming) -> &[u32] {
        self.port_buffers.get(&(edge.src, edge.ports.src_port)).map(|(b, _)| b.as_slice()).unwrap_or(&[])
    }

    /// Event buffer feeding event input `port` (merging several sources).
    pub fn gather_events(&mut self, port: u16, edges: &[Incoming]) -> u32 {
        let srcs: Vec<u32> = edges
            .iter()
            .filter(|e| e.ports.dst_port == port)
            .filter_map(|e| self.port_events.get(&(e.src, e.ports.src_port)).copied())
            .collect();
        match srcs.as_slice() {
            [] => 0,
            [one] => *one,
            many => {
                let dst = self.events.len() as u32;
                self.events.push(EventBuffer::with_capacity(EVENT_CAPACITY));
                let srcs = self.list(many);
                self.ops.push(Op::MergeEvents { srcs, dst });
                dst
            }
        }
    }

    /// Allocates buffers for every audio output channel of `node`.
    pub fn alloc_outputs(&mut self, node: NodeIndex) -> Vec<u32> {
        let g = &self.graph.g;
        let mut all = Vec::new();
        for (port, desc) in g[node].info.outputs.iter().enumerate() {
            if let PortKind::Audio { channels } = desc.kind {
                let readers =
                    g.edges_directed(node, Direction::Outgoing).filter(|e| e.weight().src_port == port as u16).count();
                let bufs: Vec<u32> = (0..channels).map(|_| self.alloc()).collect();
                all.extend_from_slice(&bufs);
                self.port_buffers.insert((node, port as u16), (bufs, readers));
            }
        }
        all
    }

    /// Releases temporaries and every source buffer whose last reader was `node`.
    pub fn release_after(&mut self, node: NodeIndex, edges: &[Incoming], temps: Vec<u32>) {
        let _ = node;
        for id in temps {
            self.release(id);
        }
        for edge in edges {
            let Some((bufs, readers)) = self.port_buffers.get_mut(&(edge.src, edge.ports.src_port)) else {
                continue;
            };
            *readers = readers.saturating_sub(1);
            if *readers == 0 {
                let bufs = bufs.clone();
                for id in bufs {
                    self.release(id);
                }
            }
        }
    }

    /// Releases output buffers of `node` that nothing reads.
    pub fn release_unread_outputs(&mut self, node: NodeIndex) {
        let unread: Vec<u32> = self
            .port_buffers
            .iter()
            .filter(|((n, _), (_, readers))| *n == node && *readers == 0)
            .flat_map(|(_, (bufs, _))| bufs.clone())
            .collect();
        for id in unread {
            self.release(id);
        }
    }
}

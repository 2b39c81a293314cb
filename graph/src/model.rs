//! The editable graph: nodes with ids and parameter values, and edges between
//! named ports, on a petgraph `StableGraph`. Control thread only; the audio
//! thread never sees it (it runs a compiled [`crate::Schedule`]).

use crate::node::{Node, NodeInfo, PortKind};
use crate::param::ParamIndex;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use std::collections::BTreeMap;
use thiserror::Error;

/// One node in a [`Graph`].
pub struct NodeEntry {
    pub(crate) id: String,
    pub(crate) node: Box<dyn Node>,
    pub(crate) info: NodeInfo,
    pub(crate) params: Vec<f32>,
    /// Unique for the graph's lifetime; a replaced node gets a new one, so the
    /// engine knows to prepare a new processor.
    pub(crate) uid: u64,
}

impl NodeEntry {
    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The node's declaration.
    pub fn info(&self) -> &NodeInfo {
        &self.info
    }

    /// Current parameter values, indexed like `info().params`.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The node's construction config.
    pub fn config(&self) -> serde_json::Value {
        self.node.config()
    }
}

/// An edge from output port `src_port` to input port `dst_port`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgePorts {
    /// Index into the source node's outputs.
    pub src_port: u16,
    /// Index into the destination node's inputs.
    pub dst_port: u16,
}

/// Error adding a node.
#[derive(Debug, Error, PartialEq)]
pub enum AddNodeError {
    /// Another node already has this id.
    #[error("duplicate node id '{0}'")]
    DuplicateId(String),
    /// Ids are non-empty and use letters, digits, `_` and `-` only.
    #[error("invalid node id '{0}': use letters, digits, '_' and '-'")]
    InvalidId(String),
}

/// Error connecting two ports.
#[derive(Debug, Error, PartialEq)]
pub enum ConnectError {
    /// No node has this id.
    #[error("unknown node '{0}'")]
    UnknownNode(String),
    /// The node has no such port.
    #[error("node '{node}' has no {direction} port '{port}' (it has: {available})")]
    UnknownPort {
        /// Node id.
        node: String,
        /// Port name asked for.
        port: String,
        /// "input" or "output".
        direction: &'static str,
        /// The ports it has, comma separated.
        available: String,
    },
    /// An address without a port name on a node with several ports.
    #[error("'{0}' is ambiguous: name the port as node.port")]
    AmbiguousPort(String),
    /// Audio connected to events or the other way round.
    #[error("cannot connect {from} to {to}: one carries audio, the other events")]
    KindMismatch {
        /// Source address.
        from: String,
        /// Destination address.
        to: String,
    },
    /// Audio ports with different channel counts.
    #[error(
        "channel mismatch: {from} has {from_channels} channels, {to} has {to_channels} (insert a channel map node)"
    )]
    ChannelMismatch {
        /// Source address.
        from: String,
        /// Destination address.
        to: String,
        /// Source channels.
        from_channels: usize,
        /// Destination channels.
        to_channels: usize,
    },
    /// The same two ports are already connected.
    #[error("{from} is already connected to {to}")]
    DuplicateEdge {
        /// Source address.
        from: String,
        /// Destination address.
        to: String,
    },
}

/// Error setting a parameter.
#[derive(Debug, Error, PartialEq)]
pub enum SetParamError {
    /// No node has this id.
    #[error("unknown node '{0}'")]
    UnknownNode(String),
    /// The node has no such parameter.
    #[error("node '{node}' has no parameter '{param}' (it has: {available})")]
    UnknownParam {
        /// Node id.
        node: String,
        /// Parameter id asked for.
        param: String,
        /// The parameters it has, comma separated.
        available: String,
    },
    /// The value is outside the parameter's range or not parseable.
    #[error("{node}.{param}: {value} is out of range ({range})")]
    OutOfRange {
        /// Node id.
        node: String,
        /// Parameter id.
        param: String,
        /// The offending value as given.
        value: String,
        /// The allowed values.
        range: String,
    },
    /// An address that is not `node.param`.
    #[error("'{0}' is not a parameter address: use node.param")]
    BadAddress(String),
}

/// A node graph under edit.
#[derive(Default)]
pub struct Graph {
    pub(crate) g: StableGraph<NodeEntry, EdgePorts>,
    by_id: BTreeMap<String, NodeIndex>,
    next_uid: u64,
    /// Free-form name, saved in graph files.
    pub name: String,
    /// What the graph is for, saved in graph files.
    pub description: String,
    /// What the graph's output should measure, saved in graph files.
    pub targets: Option<crate::targets::Targets>,
    /// Named controls driving node parameters, saved in graph files.
    pub macros: Vec<crate::macros::MacroSpec>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn names(ports: impl Iterator<Item = String>) -> String {
    let list: Vec<String> = ports.collect();
    if list.is_empty() { "none".to_string() } else { list.join(", ") }
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `node` under `id` with its parameters at their defaults.
    ///
    /// # Errors
    /// [`AddNodeError`] for a duplicate or malformed id.
    pub fn add_node(&mut self, id: &str, node: Box<dyn Node>) -> Result<(), AddNodeError> {
        if !valid_id(id) {
            return Err(AddNodeError::InvalidId(id.to_string()));
        }
        if self.by_id.contains_key(id) {
            return Err(AddNodeError::DuplicateId(id.to_string()));
        }
        let info = node.info();
        let params = info.params.iter().map(|p| p.default).collect();
        self.next_uid += 1;
        let entry = NodeEntry { id: id.to_string(), node, info, params, uid: self.next_uid };
        let index = self.g.add_node(entry);
        self.by_id.insert(id.to_string(), index);
        Ok(())
    }

    /// Removes node `id` and its edges; returns whether it existed.
    pub fn remove_node(&mut self, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some(index) => self.g.remove_node(index).is_some(),
            None => false,
        }
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&NodeEntry> {
        self.by_id.get(id).and_then(|&i| self.g.node_weight(i))
    }

    /// All nodes, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeEntry> {
        let mut all: Vec<&NodeEntry> = self.g.node_weights().collect();
        all.sort_by_key(|n| n.uid);
        all.into_iter()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// All edges as `("node.port", "node.port")` addresses, in insertion order.
    pub fn edges(&self) -> Vec<(String, String)> {
        let mut edges: Vec<(EdgeIndex, String, String)> = self
            .g
            .edge_references()
            .map(|e| {
                let (src, dst) = (&self.g[e.source()], &self.g[e.target()]);
                let ports = e.weight();
                let from = format!("{}.{}", src.id, src.info.outputs[ports.src_port as usize].name);
                let to = format!("{}.{}", dst.id, dst.info.inputs[ports.dst_port as usize].name);
                (e.id(), from, to)
            })
            .collect();
        edges.sort_by_key(|e| e.0);
        edges.into_iter().map(|(_, a, b)| (a, b)).collect()
    }

    fn resolve(&self, address: &str, output: bool) -> Result<(NodeIndex, usize), ConnectError> {
        let (node_id, port) = match address.split_once('.') {
            Some((n, p)) => (n, Some(p)),
            None => (address, None),
        };
        let index = *self.by_id.get(node_id).ok_or_else(|| ConnectError::UnknownNode(node_id.to_string()))?;
        let info = &self.g[index].info;
        let ports = if output { &info.outputs } else { &info.inputs };
        let direction = if output { "output" } else { "input" };
        let found = match port {
            Some(p) => ports.iter().position(|d| d.name == p),
            None if ports.len() == 1 => Some(0),
            None if ports.is_empty() => None,
            None => return Err(ConnectError::AmbiguousPort(address.to_string())),
        };
        found.map(|i| (index, i)).ok_or_else(|| ConnectError::UnknownPort {
            node: node_id.to_string(),
            port: port.unwrap_or("").to_string(),
            direction,
            available: names(ports.iter().map(|d| d.name.clone())),
        })
    }

    /// Connects output `from` to input `to`, both `node.port` (or just `node`
    /// when it has a single port in that direction). Several edges into one
    /// input are summed.
    ///
    /// # Errors
    /// [`ConnectError`] naming the node and port at fault.
    pub fn connect(&mut self, from: &str, to: &str) -> Result<(), ConnectError> {
        let (src, src_port) = self.resolve(from, true)?;
        let (dst, dst_port) = self.resolve(to, false)?;
        let from_desc = &self.g[src].info.outputs[src_port];
        let to_desc = &self.g[dst].info.inputs[dst_port];
        let from_name = format!("{}.{}", self.g[src].id, from_desc.name);
        let to_name = format!("{}.{}", self.g[dst].id, to_desc.name);
        match (from_desc.kind, to_desc.kind) {
            (PortKind::Audio { channels: a }, PortKind::Audio { channels: b }) if a != b => {
                return Err(ConnectError::ChannelMismatch {
                    from: from_name,
                    to: to_name,
                    from_channels: a,
                    to_channels: b,
                });
            }
            (PortKind::Audio { .. }, PortKind::Events) | (PortKind::Events, PortKind::Audio { .. }) => {
                return Err(ConnectError::KindMismatch { from: from_name, to: to_name });
            }
            _ => {}
        }
        let ports = EdgePorts { src_port: src_port as u16, dst_port: dst_port as u16 };
        if self.g.edges_connecting(src, dst).any(|e| *e.weight() == ports) {
            return Err(ConnectError::DuplicateEdge { from: from_name, to: to_name });
        }
        self.g.add_edge(src, dst, ports);
        Ok(())
    }

    /// Removes the edge `from` → `to`; returns whether it existed.
    pub fn disconnect(&mut self, from: &str, to: &str) -> bool {
        let (Ok((src, sp)), Ok((dst, dp))) = (self.resolve(from, true), self.resolve(to, false)) else {
            return false;
        };
        let want = EdgePorts { src_port: sp as u16, dst_port: dp as u16 };
        let edge = self.g.edges_connecting(src, dst).find(|e| *e.weight() == want).map(|e| e.id());
        edge.map(|e| self.g.remove_edge(e).is_some()).unwrap_or(false)
    }

    /// Resolves `node.param` to the node and parameter index.
    ///
    /// # Errors
    /// [`SetParamError`] for an unknown node or parameter or a malformed address.
    pub fn param_address(&self, address: &str) -> Result<(&NodeEntry, ParamIndex), SetParamError> {
        let (node_id, param) = address.split_once('.').ok_or_else(|| SetParamError::BadAddress(address.to_string()))?;
        let entry = self.node(node_id).ok_or_else(|| SetParamError::UnknownNode(node_id.to_string()))?;
        let index = entry.info.param_index(param).ok_or_else(|| SetParamError::UnknownParam {
            node: node_id.to_string(),
            param: param.to_string(),
            available: names(entry.info.params.iter().map(|p| p.id.clone())),
        })?;
        Ok((entry, index))
    }

    /// Parses `text` for parameter `node.param` (a number, `true`/`false`, or an
    /// enum variant name) and checks it against the range.
    ///
    /// # Errors
    /// [`SetParamError`] naming the parameter and its range.
    pub fn parse_param(&self, address: &str, text: &str) -> Result<(ParamIndex, f32), SetParamError> {
        let (entry, index) = self.param_address(address)?;
        let desc = &entry.info.params[index.0 as usize];
        match desc.parse_value(text) {
            Some(v) if desc.range.contains(v) => Ok((index, v)),
            _ => Err(SetParamError::OutOfRange {
                node: entry.id.clone(),
                param: desc.id.clone(),
                value: text.to_string(),
                range: desc.range.describe(desc.unit),
            }),
        }
    }

    /// Sets parameter `node.param` to `value` after checking its range.
    ///
    /// # Errors
    /// [`SetParamError`] naming the parameter and its range.
    pub fn set_param(&mut self, address: &str, value: f32) -> Result<(), SetParamError> {
        let (index, value) = self.parse_param(address, &value.to_string())?;
        let node_id = address.split_once('.').map(|(n, _)| n).unwrap_or(address);
        let node = self.by_id[node_id];
        self.g[node].params[index.0 as usize] = value;
        Ok(())
    }

    /// The petgraph index of node `id` (stable while the node exists).
    pub(crate) fn node_index(&self, id: &str) -> Option<NodeIndex> {
        self.by_id.get(id).copied()
    }

    /// Records `value` for parameter `index` of the node at `node`, which
    /// must have the uid `uid`. No allocation (audio-thread parameter path);
    /// false when the node is gone or replaced.
    pub(crate) fn set_param_value(&mut self, node: NodeIndex, uid: u64, index: ParamIndex, value: f32) -> bool {
        match self.g.node_weight_mut(node) {
            Some(entry) if entry.uid == uid => match entry.params.get_mut(index.0 as usize) {
                Some(p) => {
                    *p = value;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// The value of parameter `node.param`.
    pub fn param(&self, address: &str) -> Option<f32> {
        let (entry, index) = self.param_address(address).ok()?;
        entry.params.get(index.0 as usize).copied()
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<(&str, &str)> = self.nodes().map(|n| (n.id.as_str(), n.info.type_id.as_str())).collect();
        f.debug_struct("Graph").field("name", &self.name).field("nodes", &nodes).field("edges", &self.edges()).finish()
    }
}

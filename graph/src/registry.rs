//! Node types by `type_id`: the one list the graph loader, `mixgraph nodes`,
//! the editor palette and plugin export read.

use crate::node::{Node, NodeError, NodeInfo};
use std::collections::BTreeMap;

/// Builds a node from its `config` object.
pub type NodeFactory = fn(&serde_json::Value) -> Result<Box<dyn Node>, NodeError>;

/// One construction option of a node type (channel count, file path).
#[derive(Clone, Copy, Debug)]
pub struct ConfigField {
    /// Field name in the `config` object.
    pub name: &'static str,
    /// What it sets, with its range.
    pub description: &'static str,
    /// Value when absent, as text.
    pub default: &'static str,
}

/// A registered node type.
#[derive(Clone, Copy)]
pub struct NodeType {
    /// Stable id such as `filter.biquad`.
    pub type_id: &'static str,
    /// Family for grouping (io, utility, eq, dynamics, metering, ...).
    pub family: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Construction options.
    pub config: &'static [ConfigField],
    /// Constructor.
    pub factory: NodeFactory,
}

impl NodeType {
    /// Ports and parameters of the type built with its default config.
    ///
    /// # Errors
    /// When the default config does not build (a node that needs a file path
    /// reports it here).
    pub fn default_info(&self) -> Result<NodeInfo, NodeError> {
        Ok((self.factory)(&serde_json::Value::Null)?.info())
    }
}

/// All known node types.
#[derive(Clone, Default)]
pub struct NodeRegistry {
    types: BTreeMap<&'static str, NodeType>,
}

impl NodeRegistry {
    /// A registry with the engine's primitives (`io.input`, `io.output`,
    /// `util.feedback_delay`).
    pub fn new() -> Self {
        let mut r = NodeRegistry::default();
        for t in crate::builtin::node_types() {
            r.register(t);
        }
        r
    }

    /// Adds or replaces a type.
    pub fn register(&mut self, node_type: NodeType) {
        self.types.insert(node_type.type_id, node_type);
    }

    /// The type with this id.
    pub fn get(&self, type_id: &str) -> Option<&NodeType> {
        self.types.get(type_id)
    }

    /// All types, sorted by id.
    pub fn types(&self) -> impl Iterator<Item = &NodeType> {
        self.types.values()
    }

    /// Builds a node of `type_id` from `config`.
    ///
    /// # Errors
    /// For an unknown type (listing the known ones) or a bad config.
    pub fn create(&self, type_id: &str, config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
        match self.types.get(type_id) {
            Some(t) => (t.factory)(config),
            None => Err(NodeError::msg(format!("unknown node type '{type_id}' (run `mixgraph nodes` for the list)"))),
        }
    }
}

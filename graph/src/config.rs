//! Reading a node's `config` object with errors that name the field.

use crate::node::NodeError;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Reads fields from a node's config object and rejects unknown ones.
pub struct ConfigReader<'a> {
    map: Option<&'a Map<String, Value>>,
    seen: BTreeSet<&'static str>,
}

impl<'a> ConfigReader<'a> {
    /// Starts reading `config` (an object, or null for all defaults).
    ///
    /// # Errors
    /// When `config` is neither an object nor null.
    pub fn new(config: &'a Value) -> Result<Self, NodeError> {
        let map = match config {
            Value::Null => None,
            Value::Object(m) => Some(m),
            other => return Err(NodeError::msg(format!("config must be an object, not {other}"))),
        };
        Ok(ConfigReader { map, seen: BTreeSet::new() })
    }

    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.seen.insert(name);
        self.map.and_then(|m| m.get(name))
    }

    /// An integer field in `min..=max`, `default` when absent.
    ///
    /// # Errors
    /// When present but not an integer in range.
    pub fn usize(&mut self, name: &'static str, default: usize, min: usize, max: usize) -> Result<usize, NodeError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.as_u64() {
                Some(n) if (min as u64..=max as u64).contains(&n) => Ok(n as usize),
                _ => Err(NodeError::msg(format!("config.{name}: {v} is out of range ({min} to {max})"))),
            },
        }
    }

    /// A string field, `None` when absent.
    ///
    /// # Errors
    /// When present but not a string.
    pub fn string(&mut self, name: &'static str) -> Result<Option<String>, NodeError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(NodeError::msg(format!("config.{name}: expected a string, got {v}"))),
        }
    }

    /// A boolean field, `default` when absent.
    ///
    /// # Errors
    /// When present but not a boolean.
    pub fn bool(&mut self, name: &'static str, default: bool) -> Result<bool, NodeError> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(NodeError::msg(format!("config.{name}: expected true or false, got {v}"))),
        }
    }

    /// Checks that no field was given that was not read.
    ///
    /// # Errors
    /// Naming the first unknown field and the known ones.
    pub fn finish(self) -> Result<(), NodeError> {
        let Some(map) = self.map else { return Ok(()) };
        match map.keys().find(|k| !self.seen.contains(k.as_str())) {
            None => Ok(()),
            Some(k) => {
                let known: Vec<&str> = self.seen.iter().copied().collect();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                Err(NodeError::msg(format!("config.{k}: unknown field (known: {known})")))
            }
        }
    }
}

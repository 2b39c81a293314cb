//! The engine's own primitives: graph inputs and outputs, and the feedback
//! delay that lets a cycle exist. They have roles the compiler understands
//! instead of processors.

use crate::config::ConfigReader;
use crate::node::{Node, NodeError, NodeInfo, NodeRole, PortDesc, PrepareContext, Prepared};
use crate::param::{ParamDesc, ParamUnit};
use crate::registry::{ConfigField, NodeType};

/// A named graph input; its node id is the input's name (`in` by convention).
pub struct InputNode {
    channels: usize,
}

impl InputNode {
    /// An input with `channels` channels.
    pub fn new(channels: usize) -> Self {
        InputNode { channels }
    }
}

/// A named graph output; its node id is the output's name (`out` by convention).
pub struct OutputNode {
    channels: usize,
}

impl OutputNode {
    /// An output with `channels` channels.
    pub fn new(channels: usize) -> Self {
        OutputNode { channels }
    }
}

/// A named graph input of note events (MIDI from a plugin host or a
/// keyboard); its node id is the input's name (`notes` by convention).
pub struct NoteInputNode;

/// Delays its input by `delay_ms` (at least one block) so that a cycle through
/// it can be scheduled: its output for a block is known before its input.
pub struct FeedbackDelayNode {
    channels: usize,
}

impl FeedbackDelayNode {
    /// A feedback delay with `channels` channels.
    pub fn new(channels: usize) -> Self {
        FeedbackDelayNode { channels }
    }
}

fn channels_config(channels: usize) -> serde_json::Value {
    serde_json::json!({ "channels": channels })
}

fn no_processor(id: &str) -> Result<Prepared, NodeError> {
    Err(NodeError::msg(format!("'{id}' is run by the engine itself and has no processor")))
}

impl Node for InputNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("io.input").role(NodeRole::GraphInput).output(PortDesc::audio("out", self.channels))
    }
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        no_processor(ctx.node_id)
    }
    fn config(&self) -> serde_json::Value {
        channels_config(self.channels)
    }
}

impl Node for NoteInputNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("io.note_input").role(NodeRole::GraphInput).output(PortDesc::events("out"))
    }
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        no_processor(ctx.node_id)
    }
}

impl Node for OutputNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("io.output").role(NodeRole::GraphOutput).input(PortDesc::audio("in", self.channels))
    }
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        no_processor(ctx.node_id)
    }
    fn config(&self) -> serde_json::Value {
        channels_config(self.channels)
    }
}

impl Node for FeedbackDelayNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("util.feedback_delay")
            .role(NodeRole::FeedbackDelay)
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("delay_ms", "Delay", 0.1, 10_000.0, 100.0, ParamUnit::Ms).structural())
    }
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        no_processor(ctx.node_id)
    }
    fn config(&self) -> serde_json::Value {
        channels_config(self.channels)
    }
}

const CHANNELS: &[ConfigField] =
    &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

fn channels(config: &serde_json::Value) -> Result<usize, NodeError> {
    let mut r = ConfigReader::new(config)?;
    let channels = r.usize("channels", 2, 1, 64)?;
    r.finish()?;
    Ok(channels)
}

/// Registry entries for the primitives.
pub fn node_types() -> Vec<NodeType> {
    vec![
        NodeType {
            type_id: "io.input",
            family: "io",
            description: "Named graph input; the node id is the input name (`in` by convention)",
            config: CHANNELS,
            factory: |c| Ok(Box::new(InputNode::new(channels(c)?))),
        },
        NodeType {
            type_id: "io.note_input",
            family: "io",
            description: "Named graph input of note events (MIDI); the node id is the input name (`notes` by convention)",
            config: &[],
            factory: |c| {
                ConfigReader::new(c)?.finish()?;
                Ok(Box::new(NoteInputNode))
            },
        },
        NodeType {
            type_id: "io.output",
            family: "io",
            description: "Named graph output; the node id is the output name (`out` by convention)",
            config: CHANNELS,
            factory: |c| Ok(Box::new(OutputNode::new(channels(c)?))),
        },
        NodeType {
            type_id: "util.feedback_delay",
            family: "utility",
            description: "Delay of at least one block that may close a feedback loop",
            config: CHANNELS,
            factory: |c| Ok(Box::new(FeedbackDelayNode::new(channels(c)?))),
        },
    ]
}

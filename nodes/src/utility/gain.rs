//! `util.gain`: gain in dB, smoothed logarithmically, any channel count.

use crate::common::{channels_only, db_to_gain};
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

/// Multiplies every channel by `gain_db`.
pub struct GainNode {
    channels: usize,
}

impl GainNode {
    /// A gain node with `channels` channels.
    pub fn new(channels: usize) -> Self {
        GainNode { channels }
    }
}

/// Smoothing of the linear gain: logarithmic, so a fade sounds even in dB.
const SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 10.0 };

struct GainProcessor {
    gain: Smoother,
}

impl Node for GainNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("util.gain")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("gain_db", "Gain", -96.0, 24.0, 0.0, ParamUnit::Db).smoothing(SMOOTHING))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let gain = Smoother::new(SMOOTHING, ctx.stream.sample_rate, db_to_gain(ctx.params[0]));
        Ok(Prepared::new(GainProcessor { gain }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }

    fn response(&self, params: &[f32], _: f64, _: f64) -> Option<(f64, f64)> {
        Some((db_to_gain(params[0]) as f64, 0.0))
    }
}

impl Processor for GainProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.gain.set_target(db_to_gain(e.value));
        }
        if self.gain.is_settled() {
            let g = self.gain.value();
            for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
                for (x, y) in input.iter().zip(output.iter_mut()) {
                    *y = x * g;
                }
            }
            return ProcessStatus::Modified;
        }
        // Smoothing: the same ramp for every channel.
        let start = self.gain.clone();
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            self.gain = start.clone();
            for (x, y) in input.iter().zip(output.iter_mut()).take(info.frames) {
                *y = x * self.gain.next();
            }
        }
        if io.inputs.is_empty() {
            self.gain.next_step(info.frames as u32);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.gain.jump_to(self.gain.target());
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.gain",
        family: "utility",
        description: "Gain in dB, smoothed",
        config: CONFIG,
        factory: |c| Ok(Box::new(GainNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, sine};

    #[test]
    fn gain_in_db_is_exact_once_settled_and_ramps_smoothly() {
        let h = NodeHarness::new("util.gain", serde_json::json!({"channels": 1}), &[("gain_db", -6.0)]);
        let out = h.render(&[vec![1.0; 4800]], &[512]);
        assert!((out[0][4799] - 0.501_187).abs() < 1e-5);
        h.check_invariants(&[sine(1000.0, 0.5, 4800)]);
    }
}

//! `util.mix`: sums N inputs, each with its own gain in dB.

use crate::common::db_to_gain;
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

/// Sums `inputs` ports (`in1` … `inN`) of `channels` channels each.
pub struct MixNode {
    inputs: usize,
    channels: usize,
}

impl MixNode {
    /// A mixer with `inputs` inputs of `channels` channels.
    pub fn new(inputs: usize, channels: usize) -> Self {
        MixNode { inputs, channels }
    }
}

const SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 10.0 };

struct MixProcessor {
    gains: Vec<Smoother>,
    /// Per-sample gain of the input being added, from `prepare`'s block size.
    ramp: Vec<f32>,
    channels: usize,
}

impl Node for MixNode {
    fn info(&self) -> NodeInfo {
        let mut info = NodeInfo::new("util.mix");
        for i in 1..=self.inputs {
            info = info.input(PortDesc::audio(&format!("in{i}"), self.channels));
        }
        for i in 1..=self.inputs {
            let id = format!("in{i}_gain_db");
            let name = format!("Input {i} gain");
            info = info.param(ParamDesc::float(&id, &name, -96.0, 24.0, 0.0, ParamUnit::Db).smoothing(SMOOTHING));
        }
        info.output(PortDesc::audio("out", self.channels))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let gains = ctx.params.iter().map(|&db| Smoother::new(SMOOTHING, sr, db_to_gain(db))).collect();
        let ramp = vec![0.0; ctx.stream.max_block_frames];
        Ok(Prepared::new(MixProcessor { gains, ramp, channels: self.channels }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "inputs": self.inputs, "channels": self.channels })
    }

    fn response(&self, params: &[f32], _: f64, _: f64) -> Option<(f64, f64)> {
        Some((params.iter().map(|&db| db_to_gain(db) as f64).sum(), 0.0))
    }
}

impl Processor for MixProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            if let Some(g) = self.gains.get_mut(e.index.0 as usize) {
                g.set_target(db_to_gain(e.value));
            }
        }
        let frames = info.frames.min(self.ramp.len());
        for (input_index, gain) in self.gains.iter_mut().enumerate() {
            let ramp = &mut self.ramp[..frames];
            gain.fill(ramp);
            for ch in 0..self.channels {
                let Some(input) = io.inputs.get(input_index * self.channels + ch) else { continue };
                let Some(out) = io.outputs.get_mut(ch) else { continue };
                if input_index == 0 {
                    for ((y, x), g) in out.iter_mut().zip(input.iter()).zip(ramp.iter()) {
                        *y = x * g;
                    }
                } else {
                    for ((y, x), g) in out.iter_mut().zip(input.iter()).zip(ramp.iter()) {
                        *y += x * g;
                    }
                }
            }
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for g in &mut self.gains {
            g.jump_to(g.target());
        }
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "inputs", description: "number of inputs, 1 to 32", default: "2" },
    ConfigField { name: "channels", description: "channels per input, 1 to 8", default: "2" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.mix",
        family: "utility",
        description: "Sums inputs in1..inN, each with its own gain",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let inputs = r.usize("inputs", 2, 1, 32)?;
            let channels = r.usize("channels", 2, 1, 8)?;
            r.finish()?;
            Ok(Box::new(MixNode::new(inputs, channels)))
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise};

    #[test]
    fn sums_inputs_with_their_gains() {
        let config = serde_json::json!({"inputs": 3, "channels": 1});
        let h = NodeHarness::new(
            "util.mix",
            config,
            &[("in1_gain_db", 0.0), ("in2_gain_db", -6.0206), ("in3_gain_db", -96.0)],
        );
        let out = h.render(&[vec![1.0; 1000], vec![1.0; 1000], vec![1.0; 1000]], &[128]);
        assert!((out[0][999] - 1.5).abs() < 1e-4, "{}", out[0][999]);
        h.check_invariants(&[noise(4800, 1), noise(4800, 2), noise(4800, 3)]);
    }
}

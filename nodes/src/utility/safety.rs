//! `util.safety`: the last node before an output. Replaces NaN and infinity by
//! silence (counting them) and hard-limits every sample to the ceiling.

use crate::common::{channels_only, db_to_gain, flush};
use mixgraph_graph::{
    ConfigField, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents,
    ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

/// Output guard: non-finite → 0, |x| ≤ ceiling.
pub struct SafetyNode {
    channels: usize,
}

impl SafetyNode {
    /// A guard with `channels` channels.
    pub fn new(channels: usize) -> Self {
        SafetyNode { channels }
    }
}

struct SafetyProcessor {
    ceiling: f32,
    nonfinite: u64,
    clipped: u64,
    meter: MeterWriter,
}

impl Node for SafetyNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("util.safety")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("ceiling_db", "Ceiling", -24.0, 6.0, 0.0, ParamUnit::Db).smoothing(Smoothing::None))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let meter =
            ctx.meter("faults", MeterFrame::new(MeterData::Faults { nonfinite_samples: 0, clipped_samples: 0 }));
        Ok(Prepared::new(SafetyProcessor { ceiling: db_to_gain(ctx.params[0]), nonfinite: 0, clipped: 0, meter }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for SafetyProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.ceiling = db_to_gain(e.value);
        }
        let (before_nonfinite, before_clipped) = (self.nonfinite, self.clipped);
        let c = self.ceiling;
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            for (x, y) in input.iter().zip(output.iter_mut()) {
                *y = if !x.is_finite() {
                    self.nonfinite += 1;
                    0.0
                } else if x.abs() > c {
                    self.clipped += 1;
                    c.copysign(*x)
                } else {
                    flush(*x)
                };
            }
        }
        if self.nonfinite != before_nonfinite || self.clipped != before_clipped {
            let (nonfinite, clipped) = (self.nonfinite, self.clipped);
            self.meter.publish(info.frame_position + info.frames as u64, |data| {
                *data = MeterData::Faults { nonfinite_samples: nonfinite, clipped_samples: clipped };
            });
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.nonfinite = 0;
        self.clipped = 0;
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.safety",
        family: "utility",
        description: "Output guard: NaN/Inf to silence (counted) and a hard sample ceiling",
        config: CONFIG,
        factory: |c| Ok(Box::new(SafetyNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise};
    use mixgraph_graph::MeterData;
    use serde_json::json;

    #[test]
    fn removes_non_finite_samples_and_clips_to_the_ceiling() {
        let h = NodeHarness::new("util.safety", json!({"channels": 1}), &[("ceiling_db", -6.0206)]);
        let (engine, mut ex) = h.engine();
        let x = vec![f32::NAN, 0.25, f32::INFINITY, -0.9, 0.7, f32::NEG_INFINITY, 1e-39];
        let out = crate::testing::run(&mut ex, &[x], &[7]);
        let expect = [0.0, 0.25, 0.0, -0.5, 0.5, 0.0, 0.0];
        assert!(out[0].iter().zip(expect).all(|(a, b)| (a - b).abs() < 1e-6), "{:?}", out[0]);
        let frame = engine.telemetry().latest("node.faults").expect("published");
        assert_eq!(frame.data, MeterData::Faults { nonfinite_samples: 3, clipped_samples: 2 });
        NodeHarness::new("util.safety", json!({"channels": 2}), &[])
            .check_invariants(&[noise(4800, 1), noise(4800, 2)]);
    }
}

//! `util.pan`: constant-power panner (mono in) or balance (stereo in), stereo out.
//!
//! Mono: θ = (pan + 1)·π/4, left = cos θ, right = sin θ, so left² + right² = 1
//! at every position (−3.01 dB each at centre; the sine/cosine pan law).
//! Stereo: the same law scaled so the centre is unity and each side stays at
//! most unity: left = min(1, √2·cos θ), right = min(1, √2·sin θ).

use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};
use std::f32::consts::{FRAC_PI_4, SQRT_2};

/// Pans a mono or stereo input onto a stereo output.
pub struct PanNode {
    channels: usize,
}

impl PanNode {
    /// A panner for a mono (1) or stereo (2) input.
    pub fn new(channels: usize) -> Self {
        PanNode { channels }
    }
}

const SMOOTHING: Smoothing = Smoothing::Linear { ms: 10.0 };

/// Left and right gains for `pan` (−1 … +1) with a mono or stereo input.
pub fn pan_gains(pan: f32, stereo_input: bool) -> (f32, f32) {
    let theta = (pan.clamp(-1.0, 1.0) + 1.0) * FRAC_PI_4;
    let (l, r) = (theta.cos(), theta.sin());
    if stereo_input { ((SQRT_2 * l).min(1.0), (SQRT_2 * r).min(1.0)) } else { (l, r) }
}

struct PanProcessor {
    pan: Smoother,
    stereo: bool,
}

impl Node for PanNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("util.pan")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", 2))
            .param(ParamDesc::float("pan", "Pan", -1.0, 1.0, 0.0, ParamUnit::Pan).smoothing(SMOOTHING))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let pan = Smoother::new(SMOOTHING, ctx.stream.sample_rate, ctx.params[0]);
        Ok(Prepared::new(PanProcessor { pan, stereo: self.channels == 2 }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for PanProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.pan.set_target(e.value);
        }
        let (left_in, right_in) = (io.input(0), if self.stereo { io.input(1) } else { io.input(0) });
        let [left, right] = io.outputs else { return ProcessStatus::Error("pan needs two outputs") };
        let settled = self.pan.is_settled();
        let (mut gl, mut gr) = pan_gains(self.pan.value(), self.stereo);
        for i in 0..info.frames.min(left_in.len()).min(right_in.len()) {
            if !settled {
                (gl, gr) = pan_gains(self.pan.next(), self.stereo);
            }
            left[i] = left_in[i] * gl;
            right[i] = right_in[i] * gr;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.pan.jump_to(self.pan.target());
    }
}

const CONFIG: &[ConfigField] =
    &[ConfigField { name: "channels", description: "input channels: 1 (pan) or 2 (balance)", default: "1" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.pan",
        family: "utility",
        description: "Constant-power pan (mono in) or balance (stereo in) to stereo",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 1, 1, 2)?;
            r.finish()?;
            Ok(Box::new(PanNode::new(channels)))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::pan_gains;
    use crate::testing::{NodeHarness, noise};

    #[test]
    fn pan_law_is_constant_power() {
        for i in 0..=20 {
            let pan = -1.0 + i as f32 * 0.1;
            let (l, r) = pan_gains(pan, false);
            assert!((l * l + r * r - 1.0).abs() < 1e-6, "pan {pan}");
        }
        let (l, r) = pan_gains(0.0, false);
        assert!((20.0 * l.log10() + 3.0103).abs() < 1e-3 && (l - r).abs() < 1e-7, "centre is -3.01 dB each");
        assert_eq!(pan_gains(-1.0, false), (1.0, pan_gains(-1.0, false).1));
        assert!(pan_gains(-1.0, false).1.abs() < 1e-7 && pan_gains(1.0, false).0.abs() < 1e-7);
        let (bl, br) = pan_gains(0.0, true);
        assert!((bl - 1.0).abs() < 1e-6 && (br - 1.0).abs() < 1e-6, "balance centre is unity");
        assert_eq!(pan_gains(-1.0, true).0, 1.0);
    }

    #[test]
    fn panned_node_output_matches_the_law() {
        let h = NodeHarness::new("util.pan", serde_json::json!({"channels": 1}), &[("pan", 0.5)]);
        let out = h.render(&[vec![1.0; 2000]], &[256]);
        let (l, r) = pan_gains(0.5, false);
        assert!((out[0][1999] - l).abs() < 1e-6 && (out[1][1999] - r).abs() < 1e-6);
        h.check_invariants(&[noise(4800, 5)]);
    }
}

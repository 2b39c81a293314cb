//! `util.delay`: a sample-exact delay of `delay_ms` + `delay_frames`.
//!
//! This is an intentional delay, not latency: it is not reported to the
//! compiler (compensating it would undo it). Changing the time jumps to the new
//! length; use a modulated delay effect for smooth time changes.

use crate::common::channels_only;
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

/// Longest delay in milliseconds.
pub const MAX_DELAY_MS: f32 = 10_000.0;
/// Longest extra delay in frames.
pub const MAX_DELAY_FRAMES: f32 = 96_000.0;

/// Delays every channel by the same whole number of frames.
pub struct DelayNode {
    channels: usize,
}

impl DelayNode {
    /// A delay with `channels` channels.
    pub fn new(channels: usize) -> Self {
        DelayNode { channels }
    }
}

struct DelayProcessor {
    /// One ring per channel, each `capacity` long.
    rings: Vec<Vec<f32>>,
    write: usize,
    delay_ms: f32,
    delay_frames: f32,
    delay: usize,
    sample_rate: f64,
}

impl DelayProcessor {
    fn update(&mut self) {
        let frames = (self.delay_ms as f64 * 0.001 * self.sample_rate).round() + self.delay_frames.round() as f64;
        let capacity = self.rings.first().map(Vec::len).unwrap_or(1);
        self.delay = (frames as usize).min(capacity - 1);
    }
}

impl Node for DelayNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("util.delay")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(
                ParamDesc::float("delay_ms", "Delay", 0.0, MAX_DELAY_MS, 0.0, ParamUnit::Ms).smoothing(Smoothing::None),
            )
            .param(
                ParamDesc::float("delay_frames", "Extra delay", 0.0, MAX_DELAY_FRAMES, 0.0, ParamUnit::Frames)
                    .smoothing(Smoothing::None),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let capacity =
            (MAX_DELAY_MS as f64 * 0.001 * ctx.stream.sample_rate).ceil() as usize + MAX_DELAY_FRAMES as usize + 1;
        let mut p = DelayProcessor {
            rings: vec![vec![0.0; capacity]; self.channels],
            write: 0,
            delay_ms: ctx.params[0],
            delay_frames: ctx.params[1],
            delay: 0,
            sample_rate: ctx.stream.sample_rate,
        };
        p.update();
        // The tail is the delay as prepared; raising the time later lengthens it.
        let tail = p.delay as u32;
        Ok(Prepared::new(p).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for DelayProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            match e.index.0 {
                0 => self.delay_ms = e.value,
                _ => self.delay_frames = e.value,
            }
            self.update();
        }
        let capacity = self.rings.first().map(Vec::len).unwrap_or(1);
        for ((ring, input), output) in self.rings.iter_mut().zip(io.inputs).zip(io.outputs.iter_mut()) {
            let mut w = self.write;
            for (x, y) in input.iter().zip(output.iter_mut()) {
                ring[w] = *x;
                let r = if w >= self.delay { w - self.delay } else { w + capacity - self.delay };
                *y = ring[r];
                w += 1;
                if w == capacity {
                    w = 0;
                }
            }
        }
        self.write = (self.write + info.frames) % capacity;
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for ring in &mut self.rings {
            ring.fill(0.0);
        }
        self.write = 0;
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.delay",
        family: "utility",
        description: "Sample-exact delay in ms plus frames",
        config: CONFIG,
        factory: |c| Ok(Box::new(DelayNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise};
    use serde_json::json;

    #[test]
    fn delays_exactly_by_ms_plus_frames() {
        let x = noise(5000, 9);
        let h = NodeHarness::new("util.delay", json!({"channels": 1}), &[("delay_ms", 10.0), ("delay_frames", 7.0)]);
        let out = h.render(std::slice::from_ref(&x), &[100]);
        let d = 480 + 7;
        assert!(out[0][..d].iter().all(|v| *v == 0.0));
        assert_eq!(&out[0][d..], &x[..x.len() - d]);
        let zero = NodeHarness::new("util.delay", json!({"channels": 1}), &[]);
        zero.check_invariants(&[noise(4800, 2)]);
    }
}

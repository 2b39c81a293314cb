//! `meter.levels`: sample peak and RMS per channel over each frame period,
//! published as telemetry (`<node>.levels`).

use super::loudness_node::{period_frames, rate_param};
use crate::common::channels_only;
use mixgraph_graph::{
    ConfigField, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamEvents, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor,
};

/// Passes audio through and meters peak and RMS.
pub struct LevelsNode {
    channels: usize,
}

impl LevelsNode {
    /// A level meter with `channels` channels.
    pub fn new(channels: usize) -> Self {
        LevelsNode { channels }
    }
}

struct LevelsProcessor {
    writer: MeterWriter,
    peak: Vec<f32>,
    sum_squares: Vec<f64>,
    count: u64,
    period: u64,
    sample_rate: f64,
}

fn to_db(x: f64) -> f32 {
    if x > 0.0 { (20.0 * x.log10()) as f32 } else { f32::NEG_INFINITY }
}

impl Node for LevelsNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("meter.levels")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(rate_param())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let silent = vec![f32::NEG_INFINITY; self.channels];
        let initial = MeterFrame::new(MeterData::Levels { peak_db: silent.clone(), rms_db: silent });
        Ok(Prepared::new(LevelsProcessor {
            writer: ctx.meter("levels", initial),
            peak: vec![0.0; self.channels],
            sum_squares: vec![0.0; self.channels],
            count: 0,
            period: period_frames(ctx.stream.sample_rate, ctx.params[0]),
            sample_rate: ctx.stream.sample_rate,
        }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for LevelsProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.period = period_frames(self.sample_rate, e.value);
        }
        let mut start = 0;
        while start < info.frames {
            // Measure exactly one period per frame, whatever the block size.
            // `count` can exceed a period shortened by a rate change: publish at once.
            let n = (self.period.saturating_sub(self.count).max(1) as usize).min(info.frames - start);
            for (ch, input) in io.inputs.iter().enumerate() {
                for x in &input[start..start + n] {
                    self.peak[ch] = self.peak[ch].max(x.abs());
                    self.sum_squares[ch] += (*x as f64) * (*x as f64);
                }
            }
            self.count += n as u64;
            start += n;
            if self.count >= self.period {
                let (peak, sums, count) = (&mut self.peak, &mut self.sum_squares, self.count as f64);
                self.writer.publish(info.frame_position + start as u64, |data| {
                    if let MeterData::Levels { peak_db, rms_db } = data {
                        for ch in 0..peak.len() {
                            peak_db[ch] = to_db(peak[ch] as f64);
                            rms_db[ch] = to_db((sums[ch] / count).sqrt());
                        }
                    }
                });
                self.peak.fill(0.0);
                self.sum_squares.fill(0.0);
                self.count = 0;
            }
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.peak.fill(0.0);
        self.sum_squares.fill(0.0);
        self.count = 0;
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "meter.levels",
        family: "metering",
        description: "Sample peak and RMS per channel as telemetry",
        config: CONFIG,
        factory: |c| Ok(Box::new(LevelsNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise, sine};
    use mixgraph_graph::MeterData;
    use serde_json::json;

    #[test]
    fn peak_and_rms_of_a_sine() {
        let h = NodeHarness::new("meter.levels", json!({"channels": 1}), &[("rate_hz", 10.0)]);
        let (engine, mut ex) = h.engine();
        crate::testing::run(&mut ex, &[sine(1000.0, 0.5, 48_000)], &[333]);
        let frame = engine.telemetry().latest("node.levels").expect("published");
        assert_eq!(frame.seq, 10);
        let MeterData::Levels { peak_db, rms_db } = frame.data else { panic!("kind") };
        assert!((peak_db[0] + 6.0206).abs() < 0.01, "peak {}", peak_db[0]);
        assert!((rms_db[0] + 9.0309).abs() < 0.01, "rms {}", rms_db[0]);
        h.check_invariants(&[noise(4800, 3)]);
    }

    #[test]
    fn raising_the_rate_mid_period_keeps_publishing() {
        let h = NodeHarness::new("meter.levels", json!({"channels": 1}), &[("rate_hz", 1.0)]);
        let (mut engine, mut ex) = h.engine();
        crate::testing::run(&mut ex, &[noise(30_000, 1)], &[512]);
        engine.set_param("node.rate_hz", 30.0).unwrap();
        crate::testing::run(&mut ex, &[noise(48_000, 2)], &[512]);
        let frame = engine.telemetry().latest("node.levels").expect("published");
        assert!(frame.seq >= 29, "seq {}", frame.seq);
    }
}

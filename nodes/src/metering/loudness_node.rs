//! `meter.loudness`: EBU R128 / ITU-R BS.1770 loudness of the signal passing
//! through, published as telemetry (`<node>.loudness`).

use super::loudness::LoudnessMeter;
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor,
    Smoothing,
};

/// Passes audio through and measures its loudness.
pub struct LoudnessNode {
    channels: usize,
}

impl LoudnessNode {
    /// A meter for 1, 2 or 5 (L R C Ls Rs) channels.
    pub fn new(channels: usize) -> Self {
        LoudnessNode { channels }
    }
}

/// The `rate_hz` parameter: telemetry frames per second.
pub(super) fn rate_param() -> ParamDesc {
    ParamDesc::float("rate_hz", "Frame rate", 1.0, 120.0, 30.0, ParamUnit::Hz).smoothing(Smoothing::None)
}

/// Frames between telemetry publishes at `rate_hz`.
pub(super) fn period_frames(sample_rate: f64, rate_hz: f32) -> u64 {
    ((sample_rate / rate_hz.max(1.0) as f64).round() as u64).max(1)
}

struct LoudnessProcessor {
    meter: LoudnessMeter,
    writer: MeterWriter,
    period: u64,
    since_publish: u64,
    sample_rate: f64,
}

fn undefined() -> MeterData {
    MeterData::Loudness {
        momentary_lufs: f64::NEG_INFINITY,
        short_term_lufs: f64::NEG_INFINITY,
        integrated_lufs: f64::NEG_INFINITY,
        range_lu: f64::NEG_INFINITY,
        true_peak_dbtp: f64::NEG_INFINITY,
    }
}

impl Node for LoudnessNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("meter.loudness")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(rate_param())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let meter = LoudnessMeter::new(self.channels as u32, ctx.stream.sample_rate.round() as u32)
            .map_err(|e| NodeError::msg(e.to_string()))?;
        let writer = ctx.meter("loudness", MeterFrame::new(undefined()));
        let period = period_frames(ctx.stream.sample_rate, ctx.params[0]);
        Ok(Prepared::new(LoudnessProcessor {
            meter,
            writer,
            period,
            since_publish: 0,
            sample_rate: ctx.stream.sample_rate,
        }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for LoudnessProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.period = period_frames(self.sample_rate, e.value);
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
        if self.meter.add_planar(io.inputs).is_err() {
            return ProcessStatus::Error("loudness meter rejected the block");
        }
        self.since_publish += info.frames as u64;
        if self.since_publish >= self.period {
            self.since_publish %= self.period;
            let r = self.meter.reading();
            self.writer.publish(info.frame_position + info.frames as u64, |data| {
                *data = MeterData::Loudness {
                    momentary_lufs: r.momentary_lufs,
                    short_term_lufs: r.short_term_lufs,
                    integrated_lufs: r.integrated_lufs,
                    range_lu: r.range_lu,
                    true_peak_dbtp: r.true_peak_dbtp,
                };
            });
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.meter.reset();
        self.since_publish = 0;
    }
}

const CONFIG: &[ConfigField] =
    &[ConfigField { name: "channels", description: "1, 2 or 5 (L R C Ls Rs)", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "meter.loudness",
        family: "metering",
        description: "EBU R128 loudness (momentary, short-term, integrated, LRA, true peak) as telemetry",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 5)?;
            r.finish()?;
            if !matches!(channels, 1 | 2 | 5) {
                return Err(NodeError::msg(format!("config.channels: {channels} is not supported (1, 2 or 5)")));
            }
            Ok(Box::new(LoudnessNode::new(channels)))
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, SR, noise, sine};
    use mixgraph_graph::MeterData;
    use serde_json::json;

    #[test]
    fn publishes_loudness_of_a_stereo_sine_per_ebu_tech_3341_case_1() {
        // Tech 3341 case 1: stereo 1 kHz sine at -23 dBFS for 20 s reads -23.0 LUFS.
        let amplitude = 10f32.powf(-23.0 / 20.0);
        let x = sine(1000.0, amplitude, 20 * SR as usize);
        let h = NodeHarness::new("meter.loudness", json!({"channels": 2}), &[]);
        let (engine, mut ex) = h.engine();
        let out = crate::testing::run(&mut ex, &[x.clone(), x.clone()], &[512]);
        assert_eq!(out[0], x, "audio passes through untouched");
        let frame = engine.telemetry().latest("node.loudness").expect("published");
        let MeterData::Loudness { integrated_lufs, momentary_lufs, true_peak_dbtp, .. } = frame.data else {
            panic!("wrong frame kind")
        };
        assert!((integrated_lufs + 23.0).abs() <= 0.1, "integrated {integrated_lufs}");
        assert!((momentary_lufs + 23.0).abs() <= 0.1, "momentary {momentary_lufs}");
        assert!((true_peak_dbtp + 23.0).abs() <= 0.2, "true peak {true_peak_dbtp}");
        // 30 frames per second over 20 s.
        assert!((599..=601).contains(&frame.seq), "seq {}", frame.seq);
        h.check_invariants(&[noise(4800, 1), noise(4800, 2)]);
    }
}

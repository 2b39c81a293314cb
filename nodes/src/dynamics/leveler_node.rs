//! `dynamics.leveler`: slow loudness leveler (vocal rider, broadcast-style
//! AGC in front of a mastering limiter). The DSP lives in [`super::leveler`].
//!
//! The gain is computed per sample from the node's own input and applied to
//! the same sample, so the latency is zero. No parameter is smoothed itself:
//! all of them act through the slew-limited gain, which moves at most
//! `speed_db_per_s` and so is already free of steps.
//!
//! The node publishes `<node>.gain` as [`MeterData::Gain`]: the applied gain
//! in dB, positive for a boost, negative for a cut (a leveler boosts as often
//! as it cuts, so the never-negative [`MeterData::GainReduction`] of the
//! other dynamics nodes does not fit), 30 times a second.

use super::leveler::{Leveler, LevelerSettings, MAX_CHANNELS};
use crate::common::{db_to_gain, flush};
use mixgraph_graph::{
    MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit,
    PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

const TARGET: usize = 0;
const SPEED: usize = 1;
const MAX_BOOST: usize = 2;
const MAX_CUT: usize = 3;
const GATE: usize = 4;
const PARAM_COUNT: usize = 5;

/// Gain meter frames per second.
const METER_RATE_HZ: f64 = 30.0;

/// A leveler with `channels` (1 or 2) channels on `in` and `out`.
pub struct LevelerNode {
    channels: usize,
}

impl LevelerNode {
    /// A leveler with `channels` channels (clamped to 1..=2).
    pub fn new(channels: usize) -> Self {
        LevelerNode { channels: channels.clamp(1, MAX_CHANNELS) }
    }
}

fn settings_from(p: &[f32; PARAM_COUNT]) -> LevelerSettings {
    LevelerSettings {
        target_lufs: f64::from(p[TARGET]),
        speed_db_per_s: f64::from(p[SPEED]),
        max_boost_db: f64::from(p[MAX_BOOST]),
        max_cut_db: f64::from(p[MAX_CUT]),
        gate_lufs: f64::from(p[GATE]),
    }
}

/// Publishes the gain at the end of each meter period.
struct GainMeter {
    writer: MeterWriter,
    period: u64,
    count: u64,
}

impl GainMeter {
    fn push(&mut self, gain_db: f32, position: u64) {
        self.count += 1;
        if self.count >= self.period {
            self.count = 0;
            self.writer.publish(position, |data| {
                if let MeterData::Gain { db } = data {
                    *db = gain_db;
                }
            });
        }
    }
}

struct LevelerProcessor {
    params: [f32; PARAM_COUNT],
    kernel: Leveler,
    channels: usize,
    meter: GainMeter,
}

impl Node for LevelerNode {
    fn info(&self) -> NodeInfo {
        let ch = self.channels;
        let float = |id, name, min, max, default, unit| {
            ParamDesc::float(id, name, min, max, default, unit).smoothing(Smoothing::None)
        };
        NodeInfo::new("dynamics.leveler")
            .input(PortDesc::audio("in", ch))
            .output(PortDesc::audio("out", ch))
            .param(float("target_lufs", "Target", -40.0, 0.0, -18.0, ParamUnit::Lufs))
            .param(float("speed_db_per_s", "Speed", 0.1, 24.0, 3.0, ParamUnit::DbPerSecond).log_taper())
            .param(float("max_boost_db", "Max boost", 0.0, 24.0, 12.0, ParamUnit::Db))
            .param(float("max_cut_db", "Max cut", 0.0, 24.0, 12.0, ParamUnit::Db))
            .param(float("gate_lufs", "Gate", -70.0, -20.0, -50.0, ParamUnit::Lufs))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let params: [f32; PARAM_COUNT] = crate::common::param_values(ctx, &self.info());
        let meter = GainMeter {
            writer: ctx.meter("gain", MeterFrame::new(MeterData::Gain { db: 0.0 })),
            period: (sr / METER_RATE_HZ).round().max(1.0) as u64,
            count: 0,
        };
        let processor = LevelerProcessor {
            kernel: Leveler::new(settings_from(&params), sr, self.channels),
            channels: self.channels,
            meter,
            params,
        };
        Ok(Prepared::new(processor))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for LevelerProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            if let Some(slot) = self.params.get_mut(e.index.0 as usize) {
                *slot = e.value;
                changed = true;
            }
        }
        if changed {
            self.kernel.set_settings(settings_from(&self.params));
        }
        let ch = self.channels;
        for i in 0..info.frames {
            let mut frame = [0.0f32; MAX_CHANNELS];
            for (c, x) in frame.iter_mut().enumerate().take(ch) {
                *x = io.input(c).get(i).copied().unwrap_or(0.0);
            }
            let gain_db = self.kernel.tick(frame) as f32;
            let gain = db_to_gain(gain_db);
            for (c, x) in frame.iter().enumerate().take(ch) {
                if let Some(y) = io.outputs.get_mut(c).and_then(|out| out.get_mut(i)) {
                    *y = flush(x * gain);
                }
            }
            self.meter.push(gain_db, info.frame_position + i as u64 + 1);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.kernel.reset();
        self.meter.count = 0;
    }
}

fn build(config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
    let channels = crate::common::mono_or_stereo(config)?;
    Ok(Box::new(LevelerNode::new(channels)))
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.leveler",
        family: "dynamics",
        description: "Loudness leveler / slow AGC: BS.1770 short-term loudness toward a target, slew-limited, gated",
        config: crate::common::MONO_OR_STEREO,
        factory: build,
    }
}

#[cfg(test)]
mod tests;

//! `dynamics.deesser`: stereo-linked split-band de-esser with a listen switch.
//! The DSP lives in [`super::deesser`].
//!
//! No parameter is smoothed: level-type parameters feed the detector, whose
//! attack/release envelope smooths their effect; `freq_hz` redesigns the
//! crossover at block start keeping the filter memory, as the EQ nodes do;
//! `mode` and `listen` are switches.

use super::compressor::MAX_CHANNELS;
use super::deesser::{Deesser, DeesserSettings, Mode};
use super::reduction_meter::ReductionMeter;
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

const FREQ: usize = 0;
const MODE: usize = 1;
const THRESHOLD: usize = 2;
const RANGE: usize = 3;
const ATTACK: usize = 4;
const RELEASE: usize = 5;
const LISTEN: usize = 6;
const PARAM_COUNT: usize = 7;

/// A de-esser with `channels` (1 or 2) channels on `in` and `out`.
pub struct DeesserNode {
    channels: usize,
}

impl DeesserNode {
    /// A de-esser with `channels` channels (clamped to 1..=2).
    pub fn new(channels: usize) -> Self {
        DeesserNode { channels: channels.clamp(1, MAX_CHANNELS) }
    }
}

fn settings_from(p: &[f32; PARAM_COUNT]) -> DeesserSettings {
    DeesserSettings {
        freq_hz: f64::from(p[FREQ]),
        mode: Mode::from_index(p[MODE]),
        threshold_db: f64::from(p[THRESHOLD]),
        range_db: f64::from(p[RANGE]),
        attack_ms: f64::from(p[ATTACK]),
        release_ms: f64::from(p[RELEASE]),
        listen: p[LISTEN] >= 0.5,
    }
}

struct DeesserProcessor {
    params: [f32; PARAM_COUNT],
    kernel: Deesser,
    channels: usize,
    meter: ReductionMeter,
    /// Per frame of the current chunk: the reduction in dB.
    reductions: Vec<f32>,
}

impl Node for DeesserNode {
    fn info(&self) -> NodeInfo {
        let ch = self.channels;
        let float = |id, name, min, max, default, unit| {
            ParamDesc::float(id, name, min, max, default, unit).smoothing(Smoothing::None)
        };
        NodeInfo::new("dynamics.deesser")
            .input(PortDesc::audio("in", ch))
            .output(PortDesc::audio("out", ch))
            .param(float("freq_hz", "Frequency", 2000.0, 16_000.0, 6000.0, ParamUnit::Hz).log_taper())
            .param(ParamDesc::choice("mode", "Mode", &Mode::NAMES, 0))
            .param(float("threshold_db", "Threshold", -60.0, 0.0, -30.0, ParamUnit::Db))
            .param(float("range_db", "Range", 0.0, 24.0, 8.0, ParamUnit::Db))
            .param(float("attack_ms", "Attack", 0.1, 20.0, 1.0, ParamUnit::Ms).log_taper())
            .param(float("release_ms", "Release", 10.0, 500.0, 60.0, ParamUnit::Ms).log_taper())
            .param(ParamDesc::toggle("listen", "Listen", false))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let params: [f32; PARAM_COUNT] = crate::common::param_values(ctx, &self.info());
        let processor = DeesserProcessor {
            kernel: Deesser::new(settings_from(&params), ctx.stream.sample_rate, self.channels),
            channels: self.channels,
            meter: ReductionMeter::new(ctx),
            reductions: vec![0.0; ctx.stream.max_block_frames.max(1)],
            params,
        };
        Ok(Prepared::new(processor))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for DeesserProcessor {
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
        let chunk = self.reductions.len().max(1);
        let mut start = 0;
        while start < info.frames {
            let n = chunk.min(info.frames - start);
            let window = |c: usize| io.inputs.get(c).and_then(|i| i.get(start..start + n)).unwrap_or(&[]);
            let input = [window(0), if ch > 1 { window(1) } else { &[] }];
            let (first, rest) = io.outputs.split_at_mut(1.min(io.outputs.len()));
            let mut out = [&mut [][..], &mut [][..]];
            for (slot, o) in out.iter_mut().zip(first.iter_mut().chain(rest.iter_mut())) {
                *slot = o.get_mut(start..start + n).unwrap_or(&mut []);
            }
            let Some(reduction) = self.reductions.get_mut(..n) else { break };
            self.kernel.process_block(input, out, reduction);
            self.meter.push_block(reduction, info.frame_position + start as u64 + 1);
            for o in io.outputs.iter_mut().take(ch) {
                for v in o.iter_mut().skip(start).take(n) {
                    *v = crate::common::flush(*v);
                }
            }
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.kernel.reset();
        self.meter.reset();
    }
}

fn build(config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
    let channels = crate::common::mono_or_stereo(config)?;
    Ok(Box::new(DeesserNode::new(channels)))
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.deesser",
        family: "dynamics",
        description: "Split-band de-esser: LR4 split or wide-band reduction, stereo linked, listen",
        config: crate::common::MONO_OR_STEREO,
        factory: build,
    }
}

#[cfg(test)]
mod tests;

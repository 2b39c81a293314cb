//! `dynamics.gate`: noise gate / downward expander with hysteresis, hold,
//! external sidechain, sidechain high-pass and lookahead. The DSP lives in
//! [`super::gate`].
//!
//! The gain is computed per sample from the undelayed detector signal and
//! applied to the audio delayed by the lookahead, so the gate is already open
//! when a transient arrives. All parameters feed the trigger and the
//! attack/release envelope, which smooths their effect, so none is smoothed
//! itself.

use super::block_passes::{CHUNK, reductions_to_gains};
use super::compressor::{DelayLine, MAX_CHANNELS};
use super::gate::{Gate, GateSettings};
use super::reduction_meter::ReductionMeter;
use crate::common::{flush, ms_to_frames};
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

const THRESHOLD: usize = 0;
const HYSTERESIS: usize = 1;
const RANGE: usize = 2;
const RATIO: usize = 3;
const ATTACK: usize = 4;
const HOLD: usize = 5;
const RELEASE: usize = 6;
const SIDECHAIN: usize = 7;
const SC_HIGHPASS: usize = 8;
const LOOKAHEAD: usize = 9;
const PARAM_COUNT: usize = 10;

/// A gate with `channels` (1 or 2) channels on `in`, `sidechain` and `out`.
pub struct GateNode {
    channels: usize,
}

impl GateNode {
    /// A gate with `channels` channels (clamped to 1..=2).
    pub fn new(channels: usize) -> Self {
        GateNode { channels: channels.clamp(1, MAX_CHANNELS) }
    }
}

fn settings_from(p: &[f32; PARAM_COUNT]) -> GateSettings {
    GateSettings {
        threshold_db: f64::from(p[THRESHOLD]),
        hysteresis_db: f64::from(p[HYSTERESIS]),
        range_db: f64::from(p[RANGE]),
        ratio: f64::from(p[RATIO]),
        attack_ms: f64::from(p[ATTACK]),
        hold_ms: f64::from(p[HOLD]),
        release_ms: f64::from(p[RELEASE]),
        sc_highpass_hz: f64::from(p[SC_HIGHPASS]),
    }
}

struct GateProcessor {
    params: [f32; PARAM_COUNT],
    kernel: Gate,
    channels: usize,
    delays: [DelayLine; MAX_CHANNELS],
    meter: ReductionMeter,
}

impl Node for GateNode {
    fn info(&self) -> NodeInfo {
        let ch = self.channels;
        let float = |id, name, min, max, default, unit| {
            ParamDesc::float(id, name, min, max, default, unit).smoothing(Smoothing::None)
        };
        NodeInfo::new("dynamics.gate")
            .input(PortDesc::audio("in", ch))
            .input(PortDesc::audio("sidechain", ch))
            .output(PortDesc::audio("out", ch))
            .param(float("threshold_db", "Threshold", -90.0, 0.0, -40.0, ParamUnit::Db))
            .param(float("hysteresis_db", "Hysteresis", 0.0, 20.0, 4.0, ParamUnit::Db))
            .param(float("range_db", "Range", -90.0, 0.0, -80.0, ParamUnit::Db))
            .param(float("ratio", "Ratio", 1.0, 100.0, 100.0, ParamUnit::None).log_taper())
            .param(float("attack_ms", "Attack", 0.05, 50.0, 0.5, ParamUnit::Ms).log_taper())
            .param(float("hold_ms", "Hold", 0.0, 500.0, 20.0, ParamUnit::Ms))
            .param(float("release_ms", "Release", 5.0, 2000.0, 100.0, ParamUnit::Ms).log_taper())
            .param(ParamDesc::toggle("sidechain", "External sidechain", false))
            .param(float("sc_highpass_hz", "Sidechain high-pass", 20.0, 2000.0, 20.0, ParamUnit::Hz).log_taper())
            .param(float("lookahead_ms", "Lookahead", 0.0, 10.0, 0.0, ParamUnit::Ms).structural())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let params: [f32; PARAM_COUNT] = crate::common::param_values(ctx, &self.info());
        let latency = ms_to_frames(params[LOOKAHEAD], sr);
        let processor = GateProcessor {
            kernel: Gate::new(settings_from(&params), sr, self.channels),
            channels: self.channels,
            delays: [DelayLine::new(latency), DelayLine::new(latency)],
            meter: ReductionMeter::new(ctx),
            params,
        };
        let latency = u32::try_from(latency).map_err(|_| NodeError::msg("gate lookahead too long"))?;
        Ok(Prepared::new(processor).latency(latency).tail(latency))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl GateProcessor {
    fn apply_param(&mut self, index: usize, value: f32) {
        let Some(slot) = self.params.get_mut(index) else { return };
        *slot = value;
        if !matches!(index, LOOKAHEAD | SIDECHAIN) {
            self.kernel.set_settings(settings_from(&self.params));
        }
    }
}

impl Processor for GateProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.apply_param(e.index.0 as usize, e.value);
        }
        let ch = self.channels;
        let detect_port = if self.params[SIDECHAIN] >= 0.5 { ch } else { 0 };
        let mut start = 0;
        while start < info.frames {
            let end = (start + CHUNK).min(info.frames);
            let window = |port: usize| io.input(port).get(start..end).unwrap_or(&[]);
            let detect = [window(detect_port), if ch > 1 { window(detect_port + 1) } else { &[] }];
            let mut gains = [0.0f32; CHUNK];
            let gains = &mut gains[..end - start];
            self.kernel.reduce_block(detect, gains);
            self.meter.push_block(gains, info.frame_position + start as u64 + 1);
            reductions_to_gains(gains);
            for (c, delay) in self.delays.iter_mut().enumerate().take(ch) {
                let input = io.input(c).get(start..end).unwrap_or(&[]);
                let Some(out) = io.outputs.get_mut(c).and_then(|o| o.get_mut(start..end)) else { continue };
                // The dry path: the input delayed by the lookahead.
                delay.process(input, out);
                for (y, g) in out.iter_mut().zip(gains.iter()) {
                    *y = flush(*y * g);
                }
            }
            start = end;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.kernel.reset();
        for d in &mut self.delays {
            d.clear();
        }
        self.meter.reset();
    }
}

fn build(config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
    let channels = crate::common::mono_or_stereo(config)?;
    Ok(Box::new(GateNode::new(channels)))
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.gate",
        family: "dynamics",
        description: "Gate / downward expander: hysteresis, hold, range, sidechain with high-pass, lookahead",
        config: crate::common::MONO_OR_STEREO,
        factory: build,
    }
}

#[cfg(test)]
mod tests;

//! `dynamics.limiter`: true-peak lookahead limiter node, wrapping the kernel in
//! [`super::limiter`]. Publishes `<node>.gain_reduction` (dB ≥ 0, the largest
//! reduction over each 1/30 s).

use super::block_passes::gains_to_reductions;
use super::limiter::{Limiter, LimiterSettings};
use super::reduction_meter::ReductionMeter;
use crate::common::db_to_gain;
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const CEILING: usize = 0;
const INPUT_GAIN: usize = 1;
const LOOKAHEAD: usize = 2;
const RELEASE: usize = 3;
const AUTO_RELEASE: usize = 4;

/// Smoothing of the linear drive gain.
const DRIVE_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 10.0 };

/// A linked true-peak limiter on 1 or 2 channels.
pub struct LimiterNode {
    channels: usize,
}

impl LimiterNode {
    /// A limiter with `channels` channels (1 or 2).
    pub fn new(channels: usize) -> Self {
        LimiterNode { channels: channels.clamp(1, 2) }
    }
}

struct LimiterProcessor {
    limiter: Limiter,
    settings: LimiterSettings,
    drive: Smoother,
    channels: usize,
    meter: ReductionMeter,
    /// Per frame of the block: the drive gain, then the limiter's gain and
    /// its reduction in dB.
    drive_values: Vec<f32>,
    gains: Vec<f32>,
}

fn settings_from(params: &[f32]) -> LimiterSettings {
    let get = |i: usize, default: f32| params.get(i).copied().unwrap_or(default);
    LimiterSettings {
        ceiling_dbtp: get(CEILING, -1.0),
        release_ms: get(RELEASE, 50.0),
        auto_release: get(AUTO_RELEASE, 0.0) >= 0.5,
    }
}

impl Node for LimiterNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("dynamics.limiter")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(
                ParamDesc::float("ceiling_dbtp", "Ceiling", -12.0, 0.0, -1.0, ParamUnit::Db).smoothing(Smoothing::None),
            )
            .param(ParamDesc::float("input_gain_db", "Drive", 0.0, 24.0, 0.0, ParamUnit::Db).smoothing(DRIVE_SMOOTHING))
            .param(ParamDesc::float("lookahead_ms", "Lookahead", 0.5, 10.0, 2.0, ParamUnit::Ms).structural())
            .param(
                ParamDesc::float("release_ms", "Release", 1.0, 1000.0, 50.0, ParamUnit::Ms)
                    .log_taper()
                    .smoothing(Smoothing::None),
            )
            .param(ParamDesc::toggle("auto_release", "Auto release", false))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let settings = settings_from(ctx.params);
        let frames = crate::common::ms_to_frames(ctx.params.get(LOOKAHEAD).copied().unwrap_or(2.0), sr);
        let limiter = Limiter::new(self.channels, sr, frames, settings);
        let latency = limiter.latency_frames() as u32;
        let drive = Smoother::new(DRIVE_SMOOTHING, sr, db_to_gain(ctx.params.get(INPUT_GAIN).copied().unwrap_or(0.0)));
        let block = ctx.stream.max_block_frames.max(1);
        let processor = LimiterProcessor {
            limiter,
            settings,
            drive,
            channels: self.channels,
            meter: ReductionMeter::new(ctx),
            drive_values: vec![1.0; block],
            gains: vec![1.0; block],
        };
        Ok(Prepared::new(processor).latency(latency).tail(latency))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl LimiterProcessor {
    /// Drives, limits and meters `n` frames from `start`.
    fn process_chunk(&mut self, io: &mut ProcBuffers<'_, '_>, start: usize, n: usize, frame_position: u64) {
        let (Some(drive), Some(gains)) = (self.drive_values.get_mut(..n), self.gains.get_mut(..n)) else { return };
        self.drive.fill(drive);
        let [mut left, mut right]: [&mut [f32]; 2] = [&mut [], &mut []];
        let inputs = io.inputs;
        let (first, rest) = io.outputs.split_at_mut(1.min(io.outputs.len()));
        for (ch, out) in first.iter_mut().chain(rest.iter_mut()).enumerate().take(self.channels) {
            let Some(out) = out.get_mut(start..start + n) else { continue };
            let input = inputs.get(ch).and_then(|i| i.get(start..start + n)).unwrap_or(&[]);
            for ((y, x), d) in out.iter_mut().zip(input).zip(drive.iter()) {
                *y = x * d;
            }
            if ch == 0 { left = out } else { right = out }
        }
        self.limiter.process_block([left, right], gains);
        gains_to_reductions(gains);
        self.meter.push_block(gains, frame_position + start as u64 + 1);
    }
}

impl Processor for LimiterProcessor {
    fn process(&mut self, info: &ProcInfo, mut io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            match e.index.0 as usize {
                CEILING => self.settings.ceiling_dbtp = e.value,
                INPUT_GAIN => self.drive.set_target(db_to_gain(e.value)),
                RELEASE => self.settings.release_ms = e.value,
                AUTO_RELEASE => self.settings.auto_release = e.value >= 0.5,
                _ => {}
            }
            changed = true;
        }
        if changed {
            self.limiter.set(self.settings);
        }
        let chunk = self.gains.len().max(1);
        let mut start = 0;
        while start < info.frames {
            let n = chunk.min(info.frames - start);
            self.process_chunk(&mut io, start, n, info.frame_position);
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.drive.jump_to(self.drive.target());
        self.limiter.reset();
        self.meter.reset();
    }
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.limiter",
        family: "dynamics",
        description: "True-peak lookahead limiter (8x oversampled detection, linked channels)",
        config: crate::common::MONO_OR_STEREO,
        factory: |c| {
            let channels = crate::common::mono_or_stereo(c)?;
            Ok(Box::new(LimiterNode::new(channels)))
        },
    }
}

//! `dynamics.limiter`: true-peak lookahead limiter node, wrapping the kernel in
//! [`super::limiter`]. Publishes `<node>.gain_reduction` (dB ≥ 0, the largest
//! reduction over each 1/30 s).

use super::limiter::{Limiter, LimiterSettings};
use crate::common::db_to_gain;
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor,
    Smoother, Smoothing,
};

const CEILING: usize = 0;
const INPUT_GAIN: usize = 1;
const LOOKAHEAD: usize = 2;
const RELEASE: usize = 3;
const AUTO_RELEASE: usize = 4;

/// Smoothing of the linear drive gain.
const DRIVE_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 10.0 };
/// Gain-reduction telemetry rate.
const METER_HZ: f64 = 30.0;

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
    writer: MeterWriter,
    meter_period: u64,
    meter_count: u64,
    min_gain: f32,
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
        let initial = MeterFrame::new(MeterData::GainReduction { db: 0.0 });
        let processor = LimiterProcessor {
            limiter,
            settings,
            drive,
            channels: self.channels,
            writer: ctx.meter("gain_reduction", initial),
            meter_period: (sr / METER_HZ).round().max(1.0) as u64,
            meter_count: 0,
            min_gain: 1.0,
        };
        Ok(Prepared::new(processor).latency(latency).tail(latency))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for LimiterProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
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
        for i in 0..info.frames {
            let drive = self.drive.next();
            let mut frame = [0.0f32; 2];
            for (ch, x) in frame.iter_mut().enumerate().take(self.channels) {
                *x = io.inputs.get(ch).and_then(|c| c.get(i)).copied().unwrap_or(0.0) * drive;
            }
            let gain = self.limiter.process_frame(&mut frame);
            for (ch, y) in frame.iter().enumerate().take(self.channels) {
                if let Some(out) = io.outputs.get_mut(ch).and_then(|c| c.get_mut(i)) {
                    *out = *y;
                }
            }
            self.min_gain = self.min_gain.min(gain);
            self.meter_count += 1;
            if self.meter_count >= self.meter_period {
                let db = (-20.0 * self.min_gain.max(1e-6).log10()).max(0.0);
                self.writer.publish(info.frame_position + i as u64 + 1, |data| {
                    if let MeterData::GainReduction { db: slot } = data {
                        *slot = db;
                    }
                });
                self.meter_count = 0;
                self.min_gain = 1.0;
            }
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.drive.jump_to(self.drive.target());
        self.limiter.reset();
        self.meter_count = 0;
        self.min_gain = 1.0;
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 or 2", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.limiter",
        family: "dynamics",
        description: "True-peak lookahead limiter (8x oversampled detection, linked channels)",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 2)?;
            r.finish()?;
            Ok(Box::new(LimiterNode::new(channels)))
        },
    }
}

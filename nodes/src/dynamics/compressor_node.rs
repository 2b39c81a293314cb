//! `dynamics.compressor`: feed-forward compressor with soft knee, peak or RMS
//! detection, external sidechain, sidechain high-pass, stereo link, lookahead,
//! make-up gain and dry/wet mix. The DSP lives in [`super::compressor`].
//!
//! Gain reduction is computed per sample from the undelayed detector signal and
//! applied to the audio delayed by the lookahead; the dry path of the mix is
//! that same delayed audio, so dry and wet stay aligned. Make-up gain and mix are
//! smoothed; the other parameters feed the gain computer, whose output the
//! attack/release envelope smooths anyway.

use super::block_passes::reductions_to_gains;
use super::compressor::{Compressor, DelayLine, Detector, GainComputer, MAX_CHANNELS, Settings};
use super::curve_glide::{CURVE_DB_SMOOTHING, CurveGlide, RATIO_SMOOTHING};
use super::reduction_meter::ReductionMeter;
use crate::common::{db_to_gain, flush, ms_to_frames};
use crate::fast_math::larger;
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const THRESHOLD: usize = 0;
const RATIO: usize = 1;
const KNEE: usize = 2;
const ATTACK: usize = 3;
const RELEASE: usize = 4;
const DETECTOR: usize = 5;
const MAKEUP: usize = 6;
const AUTO_MAKEUP: usize = 7;
const LOOKAHEAD: usize = 8;
const SC_HIGHPASS: usize = 9;
const STEREO_LINK: usize = 10;
const MIX: usize = 11;
const SIDECHAIN: usize = 12;
const PARAM_COUNT: usize = 13;

/// Make-up gain is smoothed as a linear gain, geometrically (even in dB).
const MAKEUP_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
/// Dry/wet mix is smoothed linearly.
const MIX_SMOOTHING: Smoothing = Smoothing::Linear { ms: 20.0 };

/// A compressor with `channels` (1 or 2) channels on `in`, `sidechain` and `out`.
pub struct CompressorNode {
    channels: usize,
}

impl CompressorNode {
    /// A compressor with `channels` channels (clamped to 1..=2).
    pub fn new(channels: usize) -> Self {
        CompressorNode { channels: channels.clamp(1, MAX_CHANNELS) }
    }
}

fn settings_from(p: &[f32; PARAM_COUNT]) -> Settings {
    Settings {
        curve: GainComputer {
            threshold_db: f64::from(p[THRESHOLD]),
            ratio: f64::from(p[RATIO]),
            knee_db: f64::from(p[KNEE]),
        },
        attack_ms: f64::from(p[ATTACK]),
        release_ms: f64::from(p[RELEASE]),
        detector: Detector::from_index(p[DETECTOR]),
        sc_highpass_hz: f64::from(p[SC_HIGHPASS]),
        stereo_link: f64::from(p[STEREO_LINK]),
    }
}

/// Total make-up gain (linear): `makeup_db` plus, when enabled, the automatic part.
fn makeup_gain(p: &[f32; PARAM_COUNT]) -> f32 {
    let auto = if p[AUTO_MAKEUP] >= 0.5 { settings_from(p).curve.auto_makeup_db() as f32 } else { 0.0 };
    db_to_gain(p[MAKEUP] + auto)
}

struct CompressorProcessor {
    params: [f32; PARAM_COUNT],
    kernel: Compressor,
    channels: usize,
    delays: Vec<DelayLine>,
    makeup: Smoother,
    mix: Smoother,
    /// Threshold, ratio and knee as they glide toward their parameters.
    curve: CurveGlide,
    /// Per channel, per frame of the current chunk: gain reduction in dB,
    /// then the linear gain (without make-up).
    gains: [Vec<f32>; MAX_CHANNELS],
    /// Per-frame largest reduction over the channels, for the meter.
    frame_max: Vec<f32>,
    /// Per-frame make-up gain and mix for the current chunk.
    makeup_values: Vec<f32>,
    mix_values: Vec<f32>,
    meter: ReductionMeter,
}

impl Node for CompressorNode {
    fn info(&self) -> NodeInfo {
        let ch = self.channels;
        let none = Smoothing::None;
        let float = |id, name, min, max, default, unit| ParamDesc::float(id, name, min, max, default, unit);
        NodeInfo::new("dynamics.compressor")
            .input(PortDesc::audio("in", ch))
            .input(PortDesc::audio("sidechain", ch))
            .output(PortDesc::audio("out", ch))
            .param(float("threshold_db", "Threshold", -60.0, 0.0, -18.0, ParamUnit::Db).smoothing(CURVE_DB_SMOOTHING))
            .param(float("ratio", "Ratio", 1.0, 20.0, 4.0, ParamUnit::None).log_taper().smoothing(RATIO_SMOOTHING))
            .param(float("knee_db", "Knee", 0.0, 24.0, 6.0, ParamUnit::Db).smoothing(CURVE_DB_SMOOTHING))
            .param(float("attack_ms", "Attack", 0.1, 200.0, 10.0, ParamUnit::Ms).log_taper().smoothing(none))
            .param(float("release_ms", "Release", 5.0, 2000.0, 100.0, ParamUnit::Ms).log_taper().smoothing(none))
            .param(ParamDesc::choice("detector", "Detector", &Detector::NAMES, 0))
            .param(float("makeup_db", "Make-up", -12.0, 24.0, 0.0, ParamUnit::Db).smoothing(MAKEUP_SMOOTHING))
            .param(ParamDesc::toggle("auto_makeup", "Auto make-up", false))
            .param(float("lookahead_ms", "Lookahead", 0.0, 10.0, 0.0, ParamUnit::Ms).structural())
            .param(
                float("sc_highpass_hz", "Sidechain high-pass", 20.0, 500.0, 20.0, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(none),
            )
            .param(float("stereo_link", "Stereo link", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(none))
            .param(float("mix", "Mix", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(MIX_SMOOTHING))
            .param(ParamDesc::toggle("sidechain", "External sidechain", false))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let params: [f32; PARAM_COUNT] = crate::common::param_values(ctx, &self.info());
        let latency = ms_to_frames(params[LOOKAHEAD], sr);
        let block = ctx.stream.max_block_frames.max(1);
        let processor = CompressorProcessor {
            kernel: Compressor::new(settings_from(&params), sr, self.channels),
            channels: self.channels,
            delays: (0..self.channels).map(|_| DelayLine::new(latency)).collect(),
            makeup: Smoother::new(MAKEUP_SMOOTHING, sr, makeup_gain(&params)),
            mix: Smoother::new(MIX_SMOOTHING, sr, params[MIX]),
            curve: CurveGlide::new(settings_from(&params).curve, sr),
            gains: [vec![0.0; block], vec![0.0; block]],
            frame_max: vec![0.0; block],
            makeup_values: vec![1.0; block],
            mix_values: vec![1.0; block],
            meter: ReductionMeter::new(ctx),
            params,
        };
        let latency = u32::try_from(latency).map_err(|_| NodeError::msg("compressor lookahead too long"))?;
        Ok(Prepared::new(processor).latency(latency).tail(latency))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

/// `y = dry + mix·(dry·gain·makeup − dry)` in place over a chunk (mix = 0
/// leaves `dry` bit-exact), flushed. Vectorised (AVX2 when available).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn apply_gain(dry: &mut [f32], gains: &[f32], makeup: &[f32], mix: &[f32]) {
    for ((y, g), (m, mx)) in dry.iter_mut().zip(gains).zip(makeup.iter().zip(mix)) {
        let d = *y;
        *y = flush(d + mx * (d * (g * m) - d));
    }
}

impl CompressorProcessor {
    /// Computes gains for `n` frames starting at `start` and writes the output.
    fn process_chunk(&mut self, io: &mut ProcBuffers<'_, '_>, start: usize, n: usize, frame_position: u64) {
        let ch = self.channels;
        let external = self.params[SIDECHAIN] >= 0.5;
        let n = n.min(self.frame_max.len()).min(self.makeup_values.len()).min(self.mix_values.len());
        let detect_port = |c: usize| if external { ch + c } else { c };
        let window = |port: usize| io.input(port).get(start..start + n).unwrap_or(&[]);
        let detect = [window(detect_port(0)), if ch > 1 { window(detect_port(1)) } else { &[] }];
        let [g0, g1] = &mut self.gains;
        let (Some(g0), Some(g1), Some(frame_max)) = (g0.get_mut(..n), g1.get_mut(..n), self.frame_max.get_mut(..n))
        else {
            return;
        };
        self.curve.reduce_block(&mut self.kernel, detect, [&mut *g0, &mut *g1]);
        if ch > 1 {
            for ((m, a), b) in frame_max.iter_mut().zip(g0.iter()).zip(g1.iter()) {
                *m = larger(*a, *b);
            }
        } else {
            frame_max.copy_from_slice(g0);
        }
        self.meter.push_block(frame_max, frame_position + start as u64 + 1);
        // Fully linked channels share one reduction: convert it once.
        let shared = ch > 1 && g0 == g1;
        reductions_to_gains(g0);
        if shared {
            g1.copy_from_slice(g0);
        } else if ch > 1 {
            reductions_to_gains(g1);
        }
        let (Some(makeup), Some(mix)) = (self.makeup_values.get_mut(..n), self.mix_values.get_mut(..n)) else { return };
        self.makeup.fill(makeup);
        self.mix.fill(mix);
        for c in 0..ch {
            let input = io.input(c).get(start..start + n).unwrap_or(&[]);
            let (Some(output), Some(delay), Some(gains)) = (
                io.outputs.get_mut(c).and_then(|o| o.get_mut(start..start + n)),
                self.delays.get_mut(c),
                self.gains.get(c),
            ) else {
                continue;
            };
            // The dry path: the input delayed by the lookahead.
            delay.process(input, output);
            apply_gain(output, gains, makeup, mix);
        }
    }

    fn apply_param(&mut self, index: usize, value: f32) {
        let Some(slot) = self.params.get_mut(index) else { return };
        *slot = value;
        match index {
            MIX => self.mix.set_target(value),
            LOOKAHEAD | SIDECHAIN => {}
            THRESHOLD | RATIO | KNEE => {
                self.curve.set_target(settings_from(&self.params).curve);
                self.makeup.set_target(makeup_gain(&self.params));
            }
            _ => {
                // Keep the curve where its glide is; the rest applies now.
                let mut settings = settings_from(&self.params);
                settings.curve = self.kernel.settings().curve;
                self.kernel.set_settings(settings);
                self.makeup.set_target(makeup_gain(&self.params));
            }
        }
    }
}

impl Processor for CompressorProcessor {
    fn process(&mut self, info: &ProcInfo, mut io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.apply_param(e.index.0 as usize, e.value);
        }
        let chunk = self.frame_max.len().max(1);
        let mut start = 0;
        while start < info.frames {
            let n = chunk.min(info.frames - start);
            self.process_chunk(&mut io, start, n, info.frame_position);
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.kernel.reset();
        for d in &mut self.delays {
            d.clear();
        }
        self.makeup.jump_to(self.makeup.target());
        self.mix.jump_to(self.mix.target());
        self.curve.jump(&mut self.kernel);
        self.meter.reset();
    }
}

fn build(config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
    let channels = crate::common::mono_or_stereo(config)?;
    Ok(Box::new(CompressorNode::new(channels)))
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.compressor",
        family: "dynamics",
        description: "Soft-knee compressor: peak/RMS detector, sidechain, lookahead, stereo link, mix",
        config: crate::common::MONO_OR_STEREO,
        factory: build,
    }
}

#[cfg(test)]
mod tests;

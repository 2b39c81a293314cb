//! `saturation.saturator`: drive → oversampled curve → output gain, mixed with
//! the dry signal.
//!
//! Per frame: `wet = output · down(curve(up(drive · x)))` (plus a
//! [`DcBlocker`] after the tape curve), `y = mix · wet + (1 − mix) · dry`,
//! where `dry` is the input delayed by the oversampler's latency so the two
//! paths line up (the hard clip's antialiasing adds half a sample at the
//! oversampled rate that the dry path does not share, see [`Adaa`]).
//! `output_db` applies to the wet path only, so `mix` = 0 gives
//! the delayed input exactly. `oversampling` is structural: changing it
//! re-prepares the node and the graph re-aligns around the new latency.

use super::oversample::{BlockHistory, Factor, Oversampler};
use super::saturator::{Adaa, Curve, DC_BLOCKER_HZ, DcBlocker};
use crate::common::{db_to_gain, flush};
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const CURVE: usize = 0;
const DRIVE: usize = 1;
const OUTPUT: usize = 2;
const MIX: usize = 3;
const OVERSAMPLING: usize = 4;
const CEILING: usize = 5;

const GAIN_SMOOTHING: Smoothing = Smoothing::Exponential { ms: 10.0 };
const MIX_SMOOTHING: Smoothing = Smoothing::Linear { ms: 10.0 };

/// An oversampled saturator on every channel.
pub struct SaturatorNode {
    channels: usize,
}

impl SaturatorNode {
    /// A saturator with `channels` (1 or 2) channels.
    pub fn new(channels: usize) -> Self {
        SaturatorNode { channels }
    }
}

fn factor_of(value: f32) -> Factor {
    match value as usize {
        0 => Factor::X1,
        1 => Factor::X2,
        _ => Factor::X4,
    }
}

struct Channel {
    oversampler: Oversampler,
    dc: DcBlocker,
    adaa: Adaa,
    /// The dry path: the input delayed by the oversampler's latency.
    dry: BlockHistory,
}

/// Per-frame parameter values of the current block, and the wet signal.
struct Scratch {
    drive: Vec<f32>,
    output: Vec<f32>,
    mix: Vec<f32>,
    ceiling: Vec<f32>,
    wet: Vec<f32>,
}

struct SaturatorProcessor {
    curve: Curve,
    drive_db: Smoother,
    output_db: Smoother,
    mix: Smoother,
    ceiling_db: Smoother,
    channels: Vec<Channel>,
    scratch: Scratch,
}

/// Fills `out` with linear gains from a dB smoother (one `powf` per frame only
/// while gliding).
fn fill_gain(s: &mut Smoother, out: &mut [f32]) {
    if s.is_settled() {
        out.fill(db_to_gain(s.value()));
    } else {
        for v in out.iter_mut() {
            *v = db_to_gain(s.next());
        }
    }
}

impl SaturatorProcessor {
    fn run(&mut self, inputs: &[&[f32]], outputs: &mut [&mut [f32]], start: usize, n: usize) {
        let sc = &mut self.scratch;
        let (Some(drive), Some(out_gain), Some(mix), Some(ceiling), Some(wet)) = (
            sc.drive.get_mut(..n),
            sc.output.get_mut(..n),
            sc.mix.get_mut(..n),
            sc.ceiling.get_mut(..n),
            sc.wet.get_mut(..n),
        ) else {
            return;
        };
        fill_gain(&mut self.drive_db, drive);
        fill_gain(&mut self.output_db, out_gain);
        self.mix.fill(mix);
        fill_gain(&mut self.ceiling_db, ceiling);
        let curve = self.curve;
        for ((ch, input), output) in self.channels.iter_mut().zip(inputs.iter()).zip(outputs.iter_mut()) {
            let (Some(input), Some(output)) = (input.get(start..start + n), output.get_mut(start..start + n)) else {
                continue;
            };
            for ((w, x), d) in wet.iter_mut().zip(input).zip(drive.iter()) {
                // Non-finite and subnormal input become 0 so nothing latches.
                *w = if x.is_finite() { flush(*x) } else { 0.0 } * d;
            }
            let ratio = ch.oversampler.factor().ratio();
            ch.oversampler.process(wet, &mut |offset, block| {
                curve.apply_block(block, ceiling.get(offset..).unwrap_or(&[]), ratio, &mut ch.adaa)
            });
            if curve == Curve::Tape {
                for w in wet.iter_mut() {
                    *w = ch.dc.tick(f64::from(*w)) as f32;
                }
            }
            let dry = ch.dry.load(input.iter().map(|x| if x.is_finite() { flush(*x) } else { 0.0 }));
            let frames = output.iter_mut().zip(dry).zip(wet.iter().zip(out_gain.iter()));
            for (((y, dry), (wet, g)), m) in frames.zip(mix.iter()) {
                *y = flush(*m * (*wet * *g) + (1.0 - *m) * *dry);
            }
            ch.dry.advance(n);
        }
    }
}

impl Node for SaturatorNode {
    fn info(&self) -> NodeInfo {
        let curves: Vec<&'static str> = Curve::ALL.iter().map(|c| c.name()).collect();
        NodeInfo::new("saturation.saturator")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::choice("curve", "Curve", &curves, 1))
            .param(ParamDesc::float("drive_db", "Drive", 0.0, 36.0, 0.0, ParamUnit::Db).smoothing(GAIN_SMOOTHING))
            .param(ParamDesc::float("output_db", "Output", -24.0, 12.0, 0.0, ParamUnit::Db).smoothing(GAIN_SMOOTHING))
            .param(ParamDesc::float("mix", "Mix", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(MIX_SMOOTHING))
            .param(ParamDesc::choice("oversampling", "Oversampling", &["1x", "2x", "4x"], 2).structural())
            .param(ParamDesc::float("ceiling_db", "Ceiling", -12.0, 0.0, 0.0, ParamUnit::Db).smoothing(GAIN_SMOOTHING))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = |i: usize, default: f32| ctx.params.get(i).copied().unwrap_or(default);
        let factor = factor_of(p(OVERSAMPLING, 2.0));
        let frames = ctx.stream.max_block_frames.max(1);
        let oversampler = Oversampler::new(factor, frames);
        let latency = oversampler.latency_frames();
        let processor = SaturatorProcessor {
            curve: Curve::from_index(p(CURVE, 1.0)),
            drive_db: Smoother::new(GAIN_SMOOTHING, sr, p(DRIVE, 0.0)),
            output_db: Smoother::new(GAIN_SMOOTHING, sr, p(OUTPUT, 0.0)),
            mix: Smoother::new(MIX_SMOOTHING, sr, p(MIX, 1.0)),
            ceiling_db: Smoother::new(GAIN_SMOOTHING, sr, p(CEILING, 0.0)),
            channels: (0..self.channels)
                .map(|_| Channel {
                    oversampler: oversampler.clone(),
                    dc: DcBlocker::new(DC_BLOCKER_HZ, sr),
                    adaa: Adaa::default(),
                    dry: BlockHistory::new(latency, frames),
                })
                .collect(),
            scratch: Scratch {
                drive: vec![0.0; frames],
                output: vec![0.0; frames],
                mix: vec![0.0; frames],
                ceiling: vec![0.0; frames],
                wet: vec![0.0; frames],
            },
        };
        // FIR round trip plus the tape DC blocker's decay to −120 dB (13.8 τ).
        let dc_tail = 13.8 * sr / (2.0 * std::f64::consts::PI * DC_BLOCKER_HZ);
        let tail = 2 * latency as u32 + dc_tail.ceil() as u32;
        Ok(Prepared::new(processor).latency(latency as u32).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }
}

impl Processor for SaturatorProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            match e.index.0 as usize {
                CURVE => self.curve = Curve::from_index(e.value),
                DRIVE => self.drive_db.set_target(e.value),
                OUTPUT => self.output_db.set_target(e.value),
                MIX => self.mix.set_target(e.value),
                CEILING => self.ceiling_db.set_target(e.value),
                // Structural: arrives through a new `prepare`, never here.
                _ => {}
            }
        }
        let chunk = self.scratch.drive.len().max(1);
        let mut start = 0;
        while start < info.frames {
            let n = chunk.min(info.frames - start);
            self.run(io.inputs, io.outputs, start, n);
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.drive_db, &mut self.output_db, &mut self.mix, &mut self.ceiling_db] {
            s.jump_to(s.target());
        }
        for ch in &mut self.channels {
            ch.oversampler.reset();
            ch.dc.reset();
            ch.adaa.reset();
            ch.dry.clear();
        }
    }
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "saturation.saturator",
        family: "saturation",
        description: "saturator with soft clip, tanh, tape and hard clip curves, oversampled 1x/2x/4x",
        config: crate::common::MONO_OR_STEREO,
        factory: |c| {
            let channels = crate::common::mono_or_stereo(c)?;
            Ok(Box::new(SaturatorNode::new(channels)))
        },
    }
}

#[cfg(test)]
mod tests;

//! `space.reverb`: stereo algorithmic reverb on the [`super::reverb::Fdn`]
//! kernel (8-line Hadamard FDN, Jot & Chaigne 1991; see that module).
//!
//! The stereo input is summed to mono, reverberated, and the wet pair is
//! narrowed in mid/side by `width` (0 = mono wet, L = R exactly), then mixed
//! with the dry signal: `out = (1 − mix)·dry + mix·wet`. `size` is structural
//! (it sets the line lengths, so changing it re-prepares the node); `decay_s`,
//! `damping` and `predelay_ms` apply at the next block without smoothing;
//! `width` and `mix` are smoothed linearly over 20 ms. The reported tail is
//! `2 · RT60` plus the predelay: 120 dB of decay, so the tail ends below −120 dBFS.

use super::reverb::{Fdn, MAX_PREDELAY_MS};
use crate::common::flush;
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const SIZE: usize = 0;
const DECAY: usize = 1;
const DAMPING: usize = 2;
const PREDELAY: usize = 3;
const WIDTH: usize = 4;
const MIX: usize = 5;
const SMOOTH: Smoothing = Smoothing::Linear { ms: 20.0 };

/// The stereo FDN reverb.
pub struct ReverbNode;

struct ReverbProcessor {
    fdn: Fdn,
    decay: f32,
    damping: f32,
    width: Smoother,
    mix: Smoother,
}

impl Node for ReverbNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("space.reverb")
            .input(PortDesc::audio("in", 2))
            .output(PortDesc::audio("out", 2))
            .param(ParamDesc::float("size", "Size", 0.0, 1.0, 0.6, ParamUnit::Fraction).structural())
            .param(
                ParamDesc::float("decay_s", "Decay (RT60)", 0.1, 20.0, 2.0, ParamUnit::None)
                    .log_taper()
                    .smoothing(Smoothing::None),
            )
            .param(
                ParamDesc::float("damping", "Damping", 0.0, 1.0, 0.5, ParamUnit::Fraction).smoothing(Smoothing::None),
            )
            .param(
                ParamDesc::float("predelay_ms", "Predelay", 0.0, MAX_PREDELAY_MS, 0.0, ParamUnit::Ms)
                    .smoothing(Smoothing::None),
            )
            .param(ParamDesc::float("width", "Width", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(SMOOTH))
            .param(ParamDesc::float("mix", "Mix", 0.0, 1.0, 0.3, ParamUnit::Fraction).smoothing(SMOOTH))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = |i: usize| ctx.params.get(i).copied().unwrap_or(0.0);
        let mut fdn = Fdn::new(sr, p(SIZE));
        fdn.set_decay(p(DECAY), p(DAMPING));
        fdn.set_predelay_ms(p(PREDELAY));
        let proc = ReverbProcessor {
            fdn,
            decay: p(DECAY),
            damping: p(DAMPING),
            width: Smoother::new(SMOOTH, sr, p(WIDTH)),
            mix: Smoother::new(SMOOTH, sr, p(MIX)),
        };
        let tail = (f64::from(p(DECAY)) * 2.0 + f64::from(p(PREDELAY)) * 0.001) * sr;
        Ok(Prepared::new(proc).tail(tail.ceil() as u32))
    }
}

#[inline]
fn clean(x: f32) -> f32 {
    if x.is_finite() { flush(x) } else { 0.0 }
}

impl Processor for ReverbProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut decay_changed = false;
        for e in params.iter() {
            match e.index.0 as usize {
                DECAY => (self.decay, decay_changed) = (e.value, true),
                DAMPING => (self.damping, decay_changed) = (e.value, true),
                PREDELAY => self.fdn.set_predelay_ms(e.value),
                WIDTH => self.width.set_target(e.value),
                MIX => self.mix.set_target(e.value),
                _ => {}
            }
        }
        if decay_changed {
            self.fdn.set_decay(self.decay, self.damping);
        }
        let (l_in, r_in) = (io.input(0), io.input(1));
        let [l_out, r_out, ..] = io.outputs else { return ProcessStatus::Error("space.reverb needs 2 outputs") };
        let frames = info.frames.min(l_in.len()).min(r_in.len()).min(l_out.len()).min(r_out.len());
        for i in 0..frames {
            let (xl, xr) = (clean(l_in[i]), clean(r_in[i]));
            let (wl, wr) = self.fdn.tick((xl + xr) * 0.5);
            let width = self.width.next();
            let mix = self.mix.next();
            let mid = (wl + wr) * 0.5;
            let side = (wl - wr) * 0.5 * width;
            let dry = 1.0 - mix;
            l_out[i] = flush(dry * xl + mix * (mid + side));
            r_out[i] = flush(dry * xr + mix * (mid - side));
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.width, &mut self.mix] {
            s.jump_to(s.target());
        }
        self.fdn.reset();
    }
}

const CONFIG: &[ConfigField] = &[];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "space.reverb",
        family: "space",
        description: "Stereo FDN reverb: size, RT60 decay, damping, predelay, width, mix",
        config: CONFIG,
        factory: |c| {
            ConfigReader::new(c)?.finish()?;
            Ok(Box::new(ReverbNode))
        },
    }
}

#[cfg(test)]
mod tests;

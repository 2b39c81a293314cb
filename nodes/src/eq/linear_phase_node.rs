//! `eq.linear_phase`: the 8-band EQ of `eq.parametric` with linear phase.
//!
//! * Ports, parameters (ids, ranges, defaults) and config `channels` are those
//!   of `eq.parametric` (its `info()` is reused), plus config `fir_length`
//!   (power of two, 1024 … 32768, default 8192).
//! * The target magnitude is that of the minimum-phase design: the product of
//!   every active band's cascade magnitude ([`super::parametric::BandDesign`])
//!   times the output gain, sampled on the FIR's FFT grid; the FIR is designed
//!   and applied by [`super::linear_phase::LinearPhaseFir`].
//! * Latency: `3N/2` frames (`N` = `fir_length`): `N/2` for the symmetric FIR's
//!   centre plus `N` of internal block buffering; independent of host blocks.
//! * Parameter changes are not smoothed: events mark the design stale and the
//!   FIR is rebuilt (no allocation) at the start of the next internal block,
//!   whose output is crossfaded from the old to the new FIR over its `N` frames.
//! * `band{i}_placement` works as in `eq.parametric`: a stereo node always
//!   filters mid `M = (L + R)/2` and side `S = (L − R)/2` with two FIRs, the
//!   mid one from the stereo and mid bands, the side one from the stereo and
//!   side bands, and returns `L = M' + S'`, `R = M' − S'`. With every band on
//!   stereo the two FIRs are equal and this is the same filter on L and R; a
//!   placement change is a redesign like any other (crossfaded). A mono node
//!   applies every band, as `eq.parametric` does.
//! * CPU cost is bursty: the convolution runs once per `N` frames, in the
//!   host block that completes an internal block.

use super::mid_side_fir::{MidSideFir, Part, read_config};
use super::parametric::{BandDesign, BandSettings, BandType, Placement, Slope};
use super::parametric_node::{BANDS, ParametricEqNode};
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamEvents, PrepareContext, Prepared, ProcBuffers, ProcInfo,
    ProcessStatus, Processor,
};

/// Default FIR length.
pub const DEFAULT_FIR_LENGTH: usize = 8192;

/// The linear-phase 8-band EQ, mono or stereo.
pub struct LinearPhaseEqNode {
    channels: usize,
    fir_length: usize,
}

impl LinearPhaseEqNode {
    /// An EQ with `channels` (1 or 2) and an FIR of `fir_length` taps (rounded
    /// up to a power of two, clamped to 1024 … 32768).
    pub fn new(channels: usize, fir_length: usize) -> Self {
        LinearPhaseEqNode {
            channels: channels.clamp(1, 2),
            fir_length: fir_length.clamp(1024, 32768).next_power_of_two(),
        }
    }

    fn template(&self) -> ParametricEqNode {
        ParametricEqNode::new(self.channels)
    }
}

/// Parameter indices of one band: on, type, freq, gain, q, slope, placement.
type BandIndices = [usize; 7];

fn param(params: &[f32], index: usize) -> f32 {
    params.get(index).copied().unwrap_or(0.0)
}

fn indices(info: &NodeInfo) -> Result<([BandIndices; BANDS], usize), NodeError> {
    let find = |id: String| info.param_index(&id).map(|i| i.0 as usize).ok_or_else(|| NodeError::msg(id));
    let mut bands = [[0; 7]; BANDS];
    for (b, idx) in bands.iter_mut().enumerate() {
        let i = b + 1;
        for (slot, name) in idx.iter_mut().zip(["on", "type", "freq_hz", "gain_db", "q", "slope", "placement"]) {
            *slot = find(format!("band{i}_{name}"))?;
        }
    }
    Ok((bands, find("output_gain_db".to_string())?))
}

struct LinearPhaseEqProcessor {
    firs: MidSideFir,
    params: Vec<f32>,
    bands: [BandIndices; BANDS],
    output_gain: usize,
    sample_rate: f64,
    /// The active bands' designs (the first `active`) and the output gain,
    /// updated when parameters change.
    designs: [(BandDesign, Placement); BANDS],
    active: usize,
    gain: f64,
}

impl LinearPhaseEqProcessor {
    /// Designs every active band from the parameters. No allocation.
    fn update_designs(&mut self) {
        let sr = self.sample_rate;
        self.active = 0;
        for idx in &self.bands {
            if param(&self.params, idx[0]) >= 0.5 {
                let settings = BandSettings {
                    kind: BandType::from_index(param(&self.params, idx[1])),
                    freq_hz: f64::from(param(&self.params, idx[2])),
                    gain_db: f64::from(param(&self.params, idx[3])),
                    q: f64::from(param(&self.params, idx[4])),
                    slope: Slope::from_index(param(&self.params, idx[5])),
                };
                let placement = if self.firs.is_stereo() {
                    Placement::from_index(param(&self.params, idx[6]))
                } else {
                    Placement::Stereo
                };
                self.designs[self.active] = (BandDesign::design(&settings, sr), placement);
                self.active += 1;
            }
        }
        self.gain = 10f64.powf(f64::from(param(&self.params, self.output_gain)) / 20.0);
    }
}

/// The magnitude of the minimum-phase design for one part: the output gain
/// times every band that applies to it.
fn magnitude(designs: &[(BandDesign, Placement)], gain: f64, sr: f64, part: Part, hz: f64) -> f64 {
    let skip = if part == Part::Mid { Placement::Side } else { Placement::Mid };
    designs.iter().filter(|(_, p)| *p != skip).fold(gain, |acc, (d, _)| {
        let (re, im) = d.response(sr, hz);
        acc * re.hypot(im)
    })
}

impl Node for LinearPhaseEqNode {
    fn info(&self) -> NodeInfo {
        let mut info = self.template().info();
        info.type_id = "eq.linear_phase".to_string();
        info
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let (bands, output_gain) = indices(&self.info())?;
        let sample_rate = ctx.stream.sample_rate;
        let mut processor = LinearPhaseEqProcessor {
            firs: MidSideFir::new(self.fir_length, self.channels > 1, sample_rate),
            params: ctx.params.to_vec(),
            bands,
            output_gain,
            sample_rate,
            designs: [(BandDesign::default(), Placement::Stereo); BANDS],
            active: 0,
            gain: 1.0,
        };
        processor.update_designs();
        let (designs, gain) = (&processor.designs[..processor.active], processor.gain);
        processor.firs.redesign(false, &mut |part, hz| magnitude(designs, gain, sample_rate, part, hz));
        let latency = processor.firs.latency() as u32;
        let tail = latency + (self.fir_length / 2) as u32;
        Ok(Prepared::new(processor).latency(latency).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels, "fir_length": self.fir_length })
    }

    /// The target curve: the magnitude of `eq.parametric`'s response with the
    /// node's pure delay of `3N/2` frames as phase. (The realised FIR differs
    /// from it by the window's smoothing.)
    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        let (re, im) = self.template().response(params, sample_rate, hz)?;
        let mag = re.hypot(im);
        let latency = (self.fir_length + self.fir_length / 2) as f64;
        let phase = -std::f64::consts::TAU * hz * latency / sample_rate;
        Some((mag * phase.cos(), mag * phase.sin()))
    }
}

impl Processor for LinearPhaseEqProcessor {
    fn process(&mut self, info: &ProcInfo, mut io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            if let Some(p) = self.params.get_mut(e.index.0 as usize)
                && *p != e.value
            {
                *p = e.value;
                changed = true;
            }
        }
        if changed {
            self.update_designs();
            self.firs.mark_stale();
        }
        let (designs, gain, sr) = (&self.designs[..self.active], self.gain, self.sample_rate);
        self.firs.process(&mut io, info.frames, &mut |part, hz| magnitude(designs, gain, sr, part, hz));
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        let (designs, gain, sr) = (&self.designs[..self.active], self.gain, self.sample_rate);
        self.firs.reset(&mut |part, hz| magnitude(designs, gain, sr, part, hz));
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "channel count, 1 or 2", default: "2" },
    ConfigField { name: "fir_length", description: "FIR length, a power of two 1024..32768", default: "8192" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "eq.linear_phase",
        family: "eq",
        description: "8-band linear-phase EQ (FIR, latency 3/2 fir_length): the bands of eq.parametric",
        config: CONFIG,
        factory: |c| {
            let (channels, fir_length) = read_config(c, DEFAULT_FIR_LENGTH)?;
            Ok(Box::new(LinearPhaseEqNode::new(channels, fir_length)))
        },
    }
}

#[cfg(test)]
mod tests;

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

use super::linear_phase::LinearPhaseFir;
use super::parametric::{BandDesign, BandSettings, BandType, Placement, Slope};
use super::parametric_node::{BANDS, ParametricEqNode};
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamEvents, PrepareContext, Prepared, ProcBuffers,
    ProcInfo, ProcessStatus, Processor,
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
    /// The mid FIR (a mono node's only one), and the side FIR.
    fir: LinearPhaseFir,
    /// The side FIR: present on a stereo node only.
    side: Option<LinearPhaseFir>,
    /// Mid and side input of the current stretch, and their filtered output.
    mid_in: Vec<f32>,
    side_in: Vec<f32>,
    mid_out: Vec<f32>,
    side_out: Vec<f32>,
    params: Vec<f32>,
    bands: [BandIndices; BANDS],
    output_gain: usize,
    sample_rate: f64,
    stale: bool,
}

impl LinearPhaseEqProcessor {
    /// Samples the minimum-phase design's magnitude on the FIR grid and
    /// rebuilds the FIRs (mid and side). No allocation.
    fn redesign(&mut self, crossfade: bool) {
        let sr = self.sample_rate;
        let mut designs = [(BandDesign::default(), Placement::Stereo); BANDS];
        let mut active = 0;
        for idx in &self.bands {
            if param(&self.params, idx[0]) >= 0.5 {
                let settings = BandSettings {
                    kind: BandType::from_index(param(&self.params, idx[1])),
                    freq_hz: f64::from(param(&self.params, idx[2])),
                    gain_db: f64::from(param(&self.params, idx[3])),
                    q: f64::from(param(&self.params, idx[4])),
                    slope: Slope::from_index(param(&self.params, idx[5])),
                };
                let placement = if self.side.is_some() {
                    Placement::from_index(param(&self.params, idx[6]))
                } else {
                    Placement::Stereo
                };
                designs[active] = (BandDesign::design(&settings, sr), placement);
                active += 1;
            }
        }
        let gain = 10f64.powf(f64::from(param(&self.params, self.output_gain)) / 20.0);
        let designs = &designs[..active];
        let side = self.side.as_mut().map(|fir| (fir, Placement::Mid));
        for (fir, skip) in std::iter::once((&mut self.fir, Placement::Side)).chain(side) {
            let n = fir.len();
            for (k, m) in fir.magnitudes_mut().iter_mut().enumerate() {
                let hz = k as f64 * sr / n as f64;
                let mag = designs.iter().filter(|(_, p)| *p != skip).fold(gain, |acc, (d, _)| {
                    let (re, im) = d.response(sr, hz);
                    acc * re.hypot(im)
                });
                *m = mag as f32;
            }
            fir.rebuild(crossfade);
        }
        self.stale = false;
    }

    /// Filters `len` frames from `pos` through the mid and side FIRs.
    fn exchange_mid_side(&mut self, io: &mut ProcBuffers<'_, '_>, pos: usize, len: usize) {
        let input = |ch: usize| io.inputs.get(ch).and_then(|c| c.get(pos..pos + len)).unwrap_or(&[]);
        let (left, right) = (input(0), input(1));
        let (Some(mid), Some(side)) = (self.mid_in.get_mut(..len), self.side_in.get_mut(..len)) else { return };
        for (i, (m, s)) in mid.iter_mut().zip(side.iter_mut()).enumerate() {
            let (l, r) = (left.get(i).copied().unwrap_or(0.0), right.get(i).copied().unwrap_or(0.0));
            // Non-finite input would poison both channels through M/S: read it as 0.
            let (l, r) = (if l.is_finite() { l } else { 0.0 }, if r.is_finite() { r } else { 0.0 });
            *m = 0.5 * (l + r);
            *s = 0.5 * (l - r);
        }
        let (Some(mid_out), Some(side_out), Some(side_fir)) =
            (self.mid_out.get_mut(..len), self.side_out.get_mut(..len), self.side.as_mut())
        else {
            return;
        };
        self.fir.exchange(0, mid, mid_out);
        side_fir.exchange(0, side, side_out);
        let (first, rest) = io.outputs.split_at_mut(1.min(io.outputs.len()));
        if let Some(l) = first.first_mut().and_then(|c| c.get_mut(pos..pos + len)) {
            for (y, (m, s)) in l.iter_mut().zip(mid_out.iter().zip(side_out.iter())) {
                *y = crate::common::flush(m + s);
            }
        }
        if let Some(r) = rest.first_mut().and_then(|c| c.get_mut(pos..pos + len)) {
            for (y, (m, s)) in r.iter_mut().zip(mid_out.iter().zip(side_out.iter())) {
                *y = crate::common::flush(m - s);
            }
        }
    }
}

impl Node for LinearPhaseEqNode {
    fn info(&self) -> NodeInfo {
        let mut info = self.template().info();
        info.type_id = "eq.linear_phase".to_string();
        info
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let (bands, output_gain) = indices(&self.info())?;
        let stereo = self.channels > 1;
        // Mid/side scratch, used on a stereo node only.
        let scratch = || vec![0.0f32; if stereo { self.fir_length } else { 0 }];
        let mut processor = LinearPhaseEqProcessor {
            fir: LinearPhaseFir::new(self.fir_length, 1),
            side: stereo.then(|| LinearPhaseFir::new(self.fir_length, 1)),
            mid_in: scratch(),
            side_in: scratch(),
            mid_out: scratch(),
            side_out: scratch(),
            params: ctx.params.to_vec(),
            bands,
            output_gain,
            sample_rate: ctx.stream.sample_rate,
            stale: false,
        };
        processor.redesign(false);
        let latency = processor.fir.latency() as u32;
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
        for e in params.iter() {
            if let Some(p) = self.params.get_mut(e.index.0 as usize)
                && *p != e.value
            {
                *p = e.value;
                self.stale = true;
            }
        }
        let frames = info.frames;
        let mut pos = 0;
        while pos < frames {
            let len = self.fir.remaining().min(frames - pos);
            if self.side.is_some() {
                self.exchange_mid_side(&mut io, pos, len);
            } else {
                let input = io.inputs.first().and_then(|c| c.get(pos..pos + len));
                if let Some(output) = io.outputs.get_mut(0).and_then(|c| c.get_mut(pos..pos + len)) {
                    match input {
                        Some(input) => self.fir.exchange(0, input, output),
                        None => output.fill(0.0),
                    }
                }
            }
            if self.fir.remaining() == len && self.stale {
                // The block completes now: convolve it with the new design.
                self.redesign(true);
            }
            self.fir.advance(len);
            if let Some(side) = &mut self.side {
                side.advance(len);
            }
            pos += len;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.fir.reset();
        if let Some(side) = &mut self.side {
            side.reset();
        }
        if self.stale {
            self.redesign(false);
        }
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
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 2)?;
            let fir_length = r.usize("fir_length", DEFAULT_FIR_LENGTH, 1024, 32768)?;
            r.finish()?;
            if !fir_length.is_power_of_two() {
                return Err(NodeError::msg(format!("config.fir_length: {fir_length} is not a power of two")));
            }
            Ok(Box::new(LinearPhaseEqNode::new(channels, fir_length)))
        },
    }
}

#[cfg(test)]
mod tests;

//! `eq.match`: a linear-phase matching EQ, the FIR that `mixgraph master
//! --reference` writes to move a track's long-term spectrum toward a
//! reference's (as matchering does), and one a user can draw by hand.
//!
//! * Ports: `in` → `out`, config `channels` 1 or 2 (default 2) and
//!   `fir_length` (power of two, 1024 … 32768, default 16384).
//! * Parameters: `amount` (0 … 1, scales every band gain in dB),
//!   `output_gain_db`, and a gain per ISO third octave from 25 Hz to 20 kHz
//!   for the mid (`mid_25hz_db` … `mid_20000hz_db`) and the side
//!   (`side_…`), ±12 dB. The curve between the bands is smooth and
//!   monotone between neighbouring gains ([`super::match_curve`]).
//! * A stereo node filters mid `(L + R)/2` by the mid curve and side
//!   `(L − R)/2` by the side curve; a mono node applies the mid curve.
//! * The FIR is designed by frequency sampling with a Blackman window
//!   ([`super::linear_phase`]), whose main lobe smooths the curve further
//!   by ±3 bins (±8.8 Hz at 48 kHz with the default length).
//! * Latency: `3N/2` frames. Parameter changes (not smoothed) redesign the
//!   FIR at the next internal block, crossfaded over it; nothing allocates
//!   after prepare.

use super::match_curve::{self, BANDS};
use super::mid_side_fir::{MidSideFir, Part, read_config};
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

/// Default FIR length: 16384 taps resolve the lowest third octaves
/// (25 Hz is 5.8 Hz wide) at up to 48 kHz.
pub const DEFAULT_FIR_LENGTH: usize = 16384;
/// Largest band gain, dB.
pub const MAX_GAIN_DB: f32 = 12.0;

/// Parameter indices: amount, output gain, then the mid and side bands.
const AMOUNT: usize = 0;
const OUTPUT_GAIN: usize = 1;
const MID: usize = 2;
const SIDE: usize = MID + BANDS;

/// The matching EQ node.
pub struct MatchEqNode {
    channels: usize,
    fir_length: usize,
}

/// The mid and side curves (dB per band, amount applied) and output gain.
#[derive(Clone, Copy)]
struct Curves {
    mid: [f64; BANDS],
    side: [f64; BANDS],
    gain: f64,
}

impl Curves {
    fn from_params(params: &[f32]) -> Self {
        let p = |i: usize| f64::from(params.get(i).copied().unwrap_or(0.0));
        let amount = p(AMOUNT).clamp(0.0, 1.0);
        Curves {
            mid: std::array::from_fn(|b| amount * p(MID + b)),
            side: std::array::from_fn(|b| amount * p(SIDE + b)),
            gain: 10f64.powf(p(OUTPUT_GAIN) / 20.0),
        }
    }

    /// Linear magnitude of `part` at `hz`.
    fn magnitude(&self, part: Part, hz: f64) -> f64 {
        let bands = if part == Part::Mid { &self.mid } else { &self.side };
        self.gain * 10f64.powf(match_curve::gain_db_at(bands, hz) / 20.0)
    }
}

struct MatchEqProcessor {
    firs: MidSideFir,
    params: Vec<f32>,
    curves: Curves,
}

impl Node for MatchEqNode {
    fn info(&self) -> NodeInfo {
        let mut info = NodeInfo::new("eq.match")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("amount", "Amount", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(Smoothing::None))
            .param(
                ParamDesc::float("output_gain_db", "Output gain", -24.0, 24.0, 0.0, ParamUnit::Db)
                    .smoothing(Smoothing::None),
            );
        for part in ["mid", "side"] {
            for b in 0..BANDS {
                let name = format!("{} {} Hz", if part == "mid" { "Mid" } else { "Side" }, match_curve::NOMINAL[b]);
                let id = match_curve::param_id(part, b);
                info = info.param(
                    ParamDesc::float(&id, &name.replace('_', "."), -MAX_GAIN_DB, MAX_GAIN_DB, 0.0, ParamUnit::Db)
                        .smoothing(Smoothing::None),
                );
            }
        }
        info
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let curves = Curves::from_params(ctx.params);
        let mut firs = MidSideFir::new(self.fir_length, self.channels > 1, ctx.stream.sample_rate);
        firs.redesign(false, &mut |part, hz| curves.magnitude(part, hz));
        let latency = firs.latency() as u32;
        let tail = latency + (self.fir_length / 2) as u32;
        let processor = MatchEqProcessor { firs, params: ctx.params.to_vec(), curves };
        Ok(Prepared::new(processor).latency(latency).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels, "fir_length": self.fir_length })
    }

    /// The mid curve with the node's pure delay of `3N/2` frames as phase.
    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        let mag = Curves::from_params(params).magnitude(Part::Mid, hz);
        let latency = (self.fir_length + self.fir_length / 2) as f64;
        let phase = -std::f64::consts::TAU * hz * latency / sample_rate;
        Some((mag * phase.cos(), mag * phase.sin()))
    }
}

impl Processor for MatchEqProcessor {
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
            self.curves = Curves::from_params(&self.params);
            self.firs.mark_stale();
        }
        let curves = self.curves;
        self.firs.process(&mut io, info.frames, &mut |part, hz| curves.magnitude(part, hz));
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        let curves = self.curves;
        self.firs.reset(&mut |part, hz| curves.magnitude(part, hz));
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "channel count, 1 or 2", default: "2" },
    ConfigField { name: "fir_length", description: "FIR length, a power of two 1024..32768", default: "16384" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "eq.match",
        family: "eq",
        description: "Matching EQ: linear-phase FIR through a gain per third octave (25 Hz-20 kHz) for mid and side",
        config: CONFIG,
        factory: |c| {
            let (channels, fir_length) = read_config(c, DEFAULT_FIR_LENGTH)?;
            Ok(Box::new(MatchEqNode { channels, fir_length }))
        },
    }
}

#[cfg(test)]
mod tests;

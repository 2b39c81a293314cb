//! Mid/side (or mono) linear-phase FIR filtering with redesign between
//! blocks, shared by `eq.linear_phase` and `eq.match`.
//!
//! A stereo filter runs two [`LinearPhaseFir`]s, one on the mid
//! `M = (L + R)/2` and one on the side `S = (L − R)/2`, and returns
//! `L = M' + S'`, `R = M' − S'`; equal designs make it the same filter on L
//! and R. A mono filter runs the mid FIR on its one channel. Redesigns
//! (asked for by marking the filter stale) happen at the start of the next
//! internal block, which is crossfaded from the old to the new kernel.
//! Nothing here allocates after [`MidSideFir::new`].

use super::linear_phase::LinearPhaseFir;
use mixgraph_graph::{ConfigReader, NodeError, ProcBuffers};

/// Reads the `{"channels": 1|2, "fir_length": N}` config of the FIR EQs
/// (N a power of two, 1024 … 32768, default `default_length`).
///
/// # Errors
/// An unknown field, a value out of range, or a length that is not a power
/// of two, naming the field.
pub fn read_config(config: &serde_json::Value, default_length: usize) -> Result<(usize, usize), NodeError> {
    let mut r = ConfigReader::new(config)?;
    let channels = r.usize("channels", 2, 1, 2)?;
    let fir_length = r.usize("fir_length", default_length, 1024, 32768)?;
    r.finish()?;
    if !fir_length.is_power_of_two() {
        return Err(NodeError::msg(format!("config.fir_length: {fir_length} is not a power of two")));
    }
    Ok((channels, fir_length))
}

/// Which FIR a design is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The mid (or a mono filter's only channel).
    Mid,
    /// The side.
    Side,
}

/// One or two linear-phase FIRs with their mid/side scratch.
pub struct MidSideFir {
    mid: LinearPhaseFir,
    side: Option<LinearPhaseFir>,
    mid_in: Vec<f32>,
    side_in: Vec<f32>,
    mid_out: Vec<f32>,
    side_out: Vec<f32>,
    sample_rate: f64,
    stale: bool,
}

impl MidSideFir {
    /// FIRs of `fir_length` taps, a side one when `stereo`, designed flat.
    /// Control thread: allocates.
    pub fn new(fir_length: usize, stereo: bool, sample_rate: f64) -> Self {
        let scratch = || vec![0.0f32; if stereo { fir_length } else { 0 }];
        MidSideFir {
            mid: LinearPhaseFir::new(fir_length, 1),
            side: stereo.then(|| LinearPhaseFir::new(fir_length, 1)),
            mid_in: scratch(),
            side_in: scratch(),
            mid_out: scratch(),
            side_out: scratch(),
            sample_rate,
            stale: false,
        }
    }

    /// True for a stereo (mid/side) filter.
    pub fn is_stereo(&self) -> bool {
        self.side.is_some()
    }

    /// Latency in frames (that of [`LinearPhaseFir`]).
    pub fn latency(&self) -> usize {
        self.mid.latency()
    }

    /// Asks for a redesign at the start of the next internal block.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// Redesigns every FIR now: `magnitude(part, hz)` is the target's linear
    /// magnitude. With `crossfade`, the next block fades to the new design.
    pub fn redesign(&mut self, crossfade: bool, magnitude: &mut dyn FnMut(Part, f64) -> f64) {
        let sr = self.sample_rate;
        let side = self.side.as_mut().map(|fir| (fir, Part::Side));
        for (fir, part) in std::iter::once((&mut self.mid, Part::Mid)).chain(side) {
            let n = fir.len();
            for (k, m) in fir.magnitudes_mut().iter_mut().enumerate() {
                *m = magnitude(part, k as f64 * sr / n as f64) as f32;
            }
            fir.rebuild(crossfade);
        }
        self.stale = false;
    }

    /// Filters `frames` frames of `io`, redesigning with `magnitude` first
    /// if the filter is stale when an internal block completes.
    pub fn process(
        &mut self,
        io: &mut ProcBuffers<'_, '_>,
        frames: usize,
        magnitude: &mut dyn FnMut(Part, f64) -> f64,
    ) {
        let mut pos = 0;
        while pos < frames {
            let len = self.mid.remaining().min(frames - pos);
            if self.side.is_some() {
                self.exchange_mid_side(io, pos, len);
            } else {
                let input = io.inputs.first().and_then(|c| c.get(pos..pos + len));
                if let Some(output) = io.outputs.get_mut(0).and_then(|c| c.get_mut(pos..pos + len)) {
                    match input {
                        Some(input) => self.mid.exchange(0, input, output),
                        None => output.fill(0.0),
                    }
                }
            }
            if self.mid.remaining() == len && self.stale {
                // The block completes now: convolve it with the new design.
                self.redesign(true, magnitude);
            }
            self.mid.advance(len);
            if let Some(side) = &mut self.side {
                side.advance(len);
            }
            pos += len;
        }
    }

    /// Clears the signal state; a pending redesign is done at once.
    pub fn reset(&mut self, magnitude: &mut dyn FnMut(Part, f64) -> f64) {
        self.mid.reset();
        if let Some(side) = &mut self.side {
            side.reset();
        }
        if self.stale {
            self.redesign(false, magnitude);
        }
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
        self.mid.exchange(0, mid, mid_out);
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

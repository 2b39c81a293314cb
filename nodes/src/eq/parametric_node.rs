//! `eq.parametric`: an 8-band parametric EQ with per-band type, slope and
//! stereo/mid/side placement, plus an output gain.
//!
//! Band design lives in [`super::parametric`]; this module is the adapter.
//!
//! * Bands run in series, band 1 first. A band that is off costs nothing: it
//!   is skipped, its smoothers jump straight to new values.
//! * Frequency and Q move with 20 ms logarithmic smoothing, gain with 20 ms
//!   exponential smoothing (as `filter.biquad`). While a band's values move its
//!   coefficients are recomputed every [`COEF_UPDATE_FRAMES`] frames and
//!   interpolated linearly, sample by sample, from one design to the next (a
//!   staircase of designs made steep cuts zipper; the straight line between
//!   two stable sections stays stable, as the region of stable denominators
//!   is a triangle); once settled they are never recomputed.
//!   Sub-blocks start at each block's first frame, so a glide rendered with
//!   other block sizes differs slightly; settled bands are block-size independent.
//! * The declared tail covers the bands that are on at `prepare` (their
//!   slowest pole's decay to −120 dB); later changes can lengthen it.
//! * Switching a band on, or changing its type, slope or placement, clears that
//!   band's filter memory (the cascade's sections change meaning, so the old
//!   state would not fit); this can click on a running signal, as switching an
//!   analog EQ band does.
//! * Mid/side bands on a stereo input convert to `M = (L + R) / 2`,
//!   `S = (L − R) / 2`, filter one of them and convert back (`L = M + S`,
//!   `R = M − S`); on a mono input they act as stereo bands.

use super::biquad::{BiquadCoefs, DENORMAL_THRESHOLD};
use super::biquad_node::COEF_UPDATE_FRAMES;
use super::parametric::{BandDesign, BandSettings, BandType, MAX_SECTIONS, Placement, Slope, complex_mul};
use super::stereo_cascade::{self, CascadeState};
use crate::common::db_to_gain;
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

/// Number of bands.
pub const BANDS: usize = 8;
/// Parameters per band, in this order: on, type, freq_hz, gain_db, q, slope, placement.
const PER_BAND: usize = 7;
const ON: usize = 0;
const TYPE: usize = 1;
const FREQ: usize = 2;
const GAIN: usize = 3;
const Q: usize = 4;
const SLOPE: usize = 5;
const PLACEMENT: usize = 6;
/// Index of `output_gain_db`, after the band parameters.
const OUTPUT_GAIN: usize = BANDS * PER_BAND;

const DEFAULT_FREQS_HZ: [f32; BANDS] = [30.0, 80.0, 200.0, 500.0, 1200.0, 3000.0, 7000.0, 15000.0];
const FREQ_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
const Q_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
const GAIN_SMOOTHING: Smoothing = Smoothing::Exponential { ms: 20.0 };

/// The 8-band parametric EQ, mono or stereo.
pub struct ParametricEqNode {
    channels: usize,
}

impl ParametricEqNode {
    /// An EQ with `channels` (1 or 2) channels.
    pub fn new(channels: usize) -> Self {
        ParametricEqNode { channels: channels.clamp(1, 2) }
    }
}

fn param(params: &[f32], index: usize) -> f32 {
    params.get(index).copied().unwrap_or(0.0)
}

/// The settings of band `band` (0-based) read from a full parameter array.
fn band_settings(params: &[f32], band: usize) -> BandSettings {
    let base = band * PER_BAND;
    BandSettings {
        kind: BandType::from_index(param(params, base + TYPE)),
        freq_hz: f64::from(param(params, base + FREQ)),
        gain_db: f64::from(param(params, base + GAIN)),
        q: f64::from(param(params, base + Q)),
        slope: Slope::from_index(param(params, base + SLOPE)),
    }
}

/// One band's audio-thread state.
struct Band {
    on: bool,
    kind: BandType,
    slope: Slope,
    placement: Placement,
    freq: Smoother,
    gain: Smoother,
    q: Smoother,
    design: BandDesign,
    /// Filter memory per section, both channels paired.
    states: CascadeState,
}

impl Band {
    fn new(params: &[f32], band: usize, sample_rate: f64) -> Self {
        let base = band * PER_BAND;
        let s = band_settings(params, band);
        let mut b = Band {
            on: param(params, base + ON) >= 0.5,
            kind: s.kind,
            slope: s.slope,
            placement: Placement::from_index(param(params, base + PLACEMENT)),
            freq: Smoother::new(FREQ_SMOOTHING, sample_rate, s.freq_hz as f32),
            gain: Smoother::new(GAIN_SMOOTHING, sample_rate, s.gain_db as f32),
            q: Smoother::new(Q_SMOOTHING, sample_rate, s.q as f32),
            design: BandDesign::default(),
            states: CascadeState::default(),
        };
        b.redesign(sample_rate);
        b
    }

    fn settled(&self) -> bool {
        self.freq.is_settled() && self.gain.is_settled() && self.q.is_settled()
    }

    fn redesign(&mut self, sample_rate: f64) {
        let settings = BandSettings {
            kind: self.kind,
            freq_hz: f64::from(self.freq.value()),
            gain_db: f64::from(self.gain.value()),
            q: f64::from(self.q.value()),
            slope: self.slope,
        };
        self.design = BandDesign::design(&settings, sample_rate);
    }

    fn clear(&mut self) {
        self.states = CascadeState::default();
    }

    /// Moves a smoothed value: smoothly while on, at once while off.
    fn set(smoother: &mut Smoother, on: bool, value: f32) {
        if on { smoother.set_target(value) } else { smoother.jump_to(value) }
    }

    /// Applies a parameter change; returns whether the design must be redone now.
    fn apply(&mut self, field: usize, value: f32) -> bool {
        match field {
            ON => {
                let on = value >= 0.5;
                if on && !self.on {
                    self.clear();
                }
                self.on = on;
                on
            }
            TYPE => {
                self.restructure(BandType::from_index(value) != self.kind, |b| b.kind = BandType::from_index(value))
            }
            SLOPE => {
                let slope = Slope::from_index(value);
                if matches!(self.kind, BandType::LowCut | BandType::HighCut) {
                    self.restructure(slope != self.slope, |b| b.slope = slope)
                } else {
                    // Only cuts use the slope: keep it for later, leave the filter alone.
                    self.slope = slope;
                    false
                }
            }
            PLACEMENT => {
                let placement = Placement::from_index(value);
                self.restructure(placement != self.placement, |b| b.placement = placement)
            }
            FREQ => {
                Self::set(&mut self.freq, self.on, value);
                true
            }
            GAIN => {
                Self::set(&mut self.gain, self.on, value);
                true
            }
            _ => {
                Self::set(&mut self.q, self.on, value);
                true
            }
        }
    }

    fn restructure(&mut self, changed: bool, update: impl FnOnce(&mut Self)) -> bool {
        if changed {
            update(self);
            self.clear();
        }
        changed
    }

    /// Runs frames `start..end` of `outputs` through the band's cascade.
    fn run(&mut self, outputs: &mut [&mut [f32]], start: usize, end: usize) {
        let design = self.design;
        self.run_with(outputs, start, end, |state, left, right| {
            stereo_cascade::run(design.sections(), state, left, right)
        });
    }

    /// Calls `filter` on the channels the band's placement filters: both
    /// channels paired (stereo), the mono channel, or the mid or side signal
    /// of an M/S round trip.
    fn run_with(
        &mut self,
        outputs: &mut [&mut [f32]],
        start: usize,
        end: usize,
        filter: impl FnOnce(&mut CascadeState, &mut [f32], Option<&mut [f32]>),
    ) {
        let stereo = outputs.len() >= 2;
        let placement = if stereo { self.placement } else { Placement::Stereo };
        let [left, rest @ ..] = outputs else { return };
        let Some(l) = left.get_mut(start..end) else { return };
        let r = rest.first_mut().and_then(|r| r.get_mut(start..end));
        match (placement, r) {
            (Placement::Stereo, r) => filter(&mut self.states, l, r),
            (_, Some(r)) => {
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    (*a, *b) = ((*a + *b) * 0.5, (*a - *b) * 0.5);
                }
                let target = if placement == Placement::Mid { &mut *l } else { &mut *r };
                filter(&mut self.states, target, None);
                for (m, s) in l.iter_mut().zip(r.iter_mut()) {
                    (*m, *s) = (*m + *s, *m - *s);
                }
            }
            (_, None) => {}
        }
    }

    /// Processes one block: in one pass when settled, else in sub-blocks of
    /// [`COEF_UPDATE_FRAMES`], each gliding from the previous design to one
    /// made at its end.
    fn process(&mut self, outputs: &mut [&mut [f32]], frames: usize, sample_rate: f64) {
        if self.settled() {
            self.run(outputs, 0, frames);
            return;
        }
        let mut start = 0;
        while start < frames {
            let n = COEF_UPDATE_FRAMES.min(frames - start);
            for s in [&mut self.freq, &mut self.gain, &mut self.q] {
                s.next_step(n as u32);
            }
            let previous = self.design;
            self.redesign(sample_rate);
            if previous.sections().len() == self.design.sections().len() {
                self.run_gliding(outputs, start, start + n, &previous);
            } else {
                self.run(outputs, start, start + n);
            }
            start += n;
        }
    }

    /// [`Band::run`] with the coefficients moving linearly from `previous`
    /// (before the first frame) to the current design (at the last frame).
    fn run_gliding(&mut self, outputs: &mut [&mut [f32]], start: usize, end: usize, previous: &BandDesign) {
        let design = self.design;
        self.run_with(outputs, start, end, |state, left, right| {
            stereo_cascade::run_gliding(previous.sections(), design.sections(), state, left, right)
        });
    }
}

struct ParametricEqProcessor {
    bands: [Band; BANDS],
    output_gain: Smoother,
    sample_rate: f64,
}

impl Node for ParametricEqNode {
    fn info(&self) -> NodeInfo {
        let types: Vec<&'static str> = BandType::ALL.iter().map(|t| t.name()).collect();
        let slopes: Vec<&'static str> = Slope::ALL.iter().map(|s| s.name()).collect();
        let placements: Vec<&'static str> = Placement::ALL.iter().map(|p| p.name()).collect();
        let mut info = NodeInfo::new("eq.parametric")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels));
        for (band, freq) in DEFAULT_FREQS_HZ.iter().enumerate() {
            let i = band + 1;
            info = info
                .param(ParamDesc::toggle(&format!("band{i}_on"), &format!("Band {i} on"), false))
                .param(ParamDesc::choice(&format!("band{i}_type"), &format!("Band {i} type"), &types, 0))
                .param(
                    ParamDesc::float(
                        &format!("band{i}_freq_hz"),
                        &format!("Band {i} frequency"),
                        10.0,
                        24_000.0,
                        *freq,
                        ParamUnit::Hz,
                    )
                    .log_taper()
                    .smoothing(FREQ_SMOOTHING),
                )
                .param(
                    ParamDesc::float(
                        &format!("band{i}_gain_db"),
                        &format!("Band {i} gain"),
                        -24.0,
                        24.0,
                        0.0,
                        ParamUnit::Db,
                    )
                    .smoothing(GAIN_SMOOTHING),
                )
                .param(
                    ParamDesc::float(
                        &format!("band{i}_q"),
                        &format!("Band {i} Q"),
                        0.1,
                        24.0,
                        std::f32::consts::FRAC_1_SQRT_2,
                        ParamUnit::None,
                    )
                    .log_taper()
                    .smoothing(Q_SMOOTHING),
                )
                .param(ParamDesc::choice(&format!("band{i}_slope"), &format!("Band {i} slope (dB/oct)"), &slopes, 0))
                .param(ParamDesc::choice(
                    &format!("band{i}_placement"),
                    &format!("Band {i} placement"),
                    &placements,
                    0,
                ));
        }
        info.param(
            ParamDesc::float("output_gain_db", "Output gain", -24.0, 24.0, 0.0, ParamUnit::Db)
                .smoothing(GAIN_SMOOTHING),
        )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = ctx.params;
        let bands = std::array::from_fn(|band| Band::new(p, band, sr));
        let processor = ParametricEqProcessor {
            bands,
            output_gain: Smoother::new(GAIN_SMOOTHING, sr, param(p, OUTPUT_GAIN)),
            sample_rate: sr,
        };
        let tail =
            processor.bands.iter().filter(|b| b.on).map(|b| b.design.decay_frames(sr)).fold(0, u32::saturating_add);
        Ok(Prepared::new(processor).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }

    /// The stereo-placement curve: the product of every active band's cascade
    /// response, times the output gain.
    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        let gain = 10f64.powf(f64::from(param(params, OUTPUT_GAIN)) / 20.0);
        let mut h = (gain, 0.0);
        for band in 0..BANDS {
            if param(params, band * PER_BAND + ON) >= 0.5 {
                let design = BandDesign::design(&band_settings(params, band), sample_rate);
                h = complex_mul(h, design.response(sample_rate, hz));
            }
        }
        Some(h)
    }
}

impl Processor for ParametricEqProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let sr = self.sample_rate;
        let was_on = self.bands.each_ref().map(|b| b.on);
        for e in params.iter() {
            let index = e.index.0 as usize;
            if index == OUTPUT_GAIN {
                self.output_gain.set_target(e.value);
            } else if let Some(band) = self.bands.get_mut(index / PER_BAND)
                && band.apply(index % PER_BAND, e.value)
                && band.on
            {
                band.redesign(sr);
            }
        }
        // A band switched on in this block starts at its settings, not gliding
        // from stale values (events may set `on` before its frequency).
        for (band, was_on) in self.bands.iter_mut().zip(was_on) {
            if band.on && !was_on {
                for s in [&mut band.freq, &mut band.gain, &mut band.q] {
                    s.jump_to(s.target());
                }
                band.redesign(sr);
            }
        }
        let frames = info.frames;
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            if let (Some(src), Some(dst)) = (input.get(..frames), output.get_mut(..frames)) {
                // A non-finite sample would latch every active filter at NaN.
                for (y, x) in dst.iter_mut().zip(src) {
                    *y = if x.is_finite() { *x } else { 0.0 };
                }
            }
        }
        self.process_bands(io.outputs, frames);
        self.apply_output_gain(io.outputs, frames);
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        let sr = self.sample_rate;
        for band in &mut self.bands {
            for s in [&mut band.freq, &mut band.gain, &mut band.q] {
                s.jump_to(s.target());
            }
            band.redesign(sr);
            band.clear();
        }
        self.output_gain.jump_to(self.output_gain.target());
    }
}

impl ParametricEqProcessor {
    /// Runs the bands that are on, in order. Consecutive settled bands that
    /// filter both channels (and fit in [`MAX_SECTIONS`] sections together)
    /// run as one cascade: one pass over the block whose sections' recursions
    /// interleave, instead of one latency-bound pass per band. The signal
    /// stays f64 between their sections (a band at a time, it is rounded to
    /// f32 between bands).
    fn process_bands(&mut self, outputs: &mut [&mut [f32]], frames: usize) {
        let sr = self.sample_rate;
        let mono = outputs.len() < 2;
        let mut group = [0usize; MAX_SECTIONS];
        let (mut len, mut sections) = (0, 0);
        for index in 0..BANDS {
            let Some(band) = self.bands.get(index).filter(|b| b.on) else { continue };
            let groupable = band.settled() && (mono || band.placement == Placement::Stereo);
            let n = band.design.sections().len();
            // The group so far runs before a band that cannot join it.
            if !groupable || len == MAX_SECTIONS || sections + n > MAX_SECTIONS {
                self.run_group(&group[..len], outputs, frames);
                (len, sections) = (0, 0);
            }
            if groupable && let Some(slot) = group.get_mut(len) {
                *slot = index;
                (len, sections) = (len + 1, sections + n);
            } else if let Some(band) = self.bands.get_mut(index) {
                band.process(outputs, frames, sr);
            }
        }
        self.run_group(&group[..len], outputs, frames);
    }

    /// Runs the settled stereo bands `group` as one cascade.
    fn run_group(&mut self, group: &[usize], outputs: &mut [&mut [f32]], frames: usize) {
        if group.is_empty() {
            return;
        }
        if let [single] = group {
            if let Some(band) = self.bands.get_mut(*single) {
                band.run(outputs, 0, frames);
            }
            return;
        }
        let mut coefs = [BiquadCoefs::identity(); MAX_SECTIONS];
        let mut states = CascadeState::default();
        let mut k = 0;
        for band in group.iter().filter_map(|i| self.bands.get(*i)) {
            for (j, c) in band.design.sections().iter().enumerate() {
                if let (Some(slot), Some(state), Some(from)) = (coefs.get_mut(k), states.get_mut(k), band.states.get(j))
                {
                    (*slot, *state) = (*c, *from);
                    k += 1;
                }
            }
        }
        let [left, rest @ ..] = outputs else { return };
        let Some(l) = left.get_mut(..frames) else { return };
        let r = rest.first_mut().and_then(|r| r.get_mut(..frames));
        stereo_cascade::run(&coefs[..k], &mut states, l, r);
        let mut from = states.iter();
        for i in group {
            let Some(band) = self.bands.get_mut(*i) else { continue };
            let n = band.design.sections().len();
            for (to, state) in band.states.iter_mut().take(n).zip(from.by_ref()) {
                *to = *state;
            }
        }
    }

    /// Multiplies by the (smoothed) output gain and flushes values too small to
    /// matter to zero, so subnormal input never leaves as subnormal output.
    fn apply_output_gain(&mut self, outputs: &mut [&mut [f32]], frames: usize) {
        let flush = |v: f32| if f64::from(v.abs()) < DENORMAL_THRESHOLD { 0.0 } else { v };
        if self.output_gain.is_settled() {
            let gain = db_to_gain(self.output_gain.value());
            for channel in outputs.iter_mut() {
                for v in channel.iter_mut().take(frames) {
                    *v = flush(*v * gain);
                }
            }
            return;
        }
        for i in 0..frames {
            let gain = db_to_gain(self.output_gain.next());
            for channel in outputs.iter_mut() {
                if let Some(v) = channel.get_mut(i) {
                    *v = flush(*v * gain);
                }
            }
        }
    }
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "eq.parametric",
        family: "eq",
        description: "8-band parametric EQ: bell, shelves, 12-48 dB/oct cuts, notch, band pass; stereo/mid/side",
        config: crate::common::MONO_OR_STEREO,
        factory: |c| {
            let channels = crate::common::mono_or_stereo(c)?;
            Ok(Box::new(ParametricEqNode::new(channels)))
        },
    }
}

#[cfg(test)]
mod tests;

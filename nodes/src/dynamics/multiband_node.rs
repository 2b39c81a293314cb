//! `dynamics.multiband`: 3- or 4-band compressor. The input is split by the
//! Linkwitz–Riley splitter of [`super::crossover`] (all-pass compensated, so the
//! bands at unity sum to an all-pass: flat magnitude, no latency) and each band
//! runs its own [`Compressor`] (Giannoulis, Massberg and Reiss's gain computer,
//! peak detector and branching envelope, as in `dynamics.compressor`).
//!
//! * **Crossovers** are not smoothed: a change recomputes the coefficients at
//!   the start of the next block, keeping the filter memory, so a large jump
//!   may click slightly. They are kept ascending, each at least 1.5 × the
//!   previous one ([`super::crossover::Frequencies::clamped`]); `crossover3_hz`
//!   is ignored with 3 bands.
//! * **Band gain** per channel is `g_b = 10^(−GR_b/20) · makeup_b`; a bypassed
//!   band has `g_b = 1` (no compression, no make-up); the detector still runs
//!   so un-bypass does not jump. Bypass and solo fade over [`SWITCH_MS`].
//! * **Solo**: when any used band is soloed, only soloed bands are heard (the
//!   others get weight 0, in both the dry and the wet path).
//! * **Mix**: the dry path is the all-pass-compensated *sum of the bands at
//!   unity*, not the raw input, so `out = Σ_b w_b·(1 + mix·(g_b − 1))·band_b`.
//!   Dry and wet then carry the identical phase `AP₁·AP₂·AP₃`, so any mix
//!   (0.5 included) has no comb filtering; the raw input would differ from the
//!   wet path's all-pass phase around each crossover and comb there.
//! * **Sidechain high-pass** of each band's detector is fixed at
//!   [`DETECTOR_HIGHPASS_HZ`], low enough not to change band 1's level
//!   above 30 Hz yet keeping DC out of the detector.
//! * Meters: `gain_reduction` (max over bands) and `band{b}_gain_reduction`.

use super::block_passes::{EnvelopeLane, branch_blocks};
use super::compressor::{Compressor, Detector, GainComputer, MAX_CHANNELS, Settings};
use super::crossover::{BandSplitter, MAX_BANDS, MAX_CROSSOVERS};
use super::curve_glide::{CURVE_DB_SMOOTHING, CurveGlide, RATIO_SMOOTHING};
use super::reduction_meter::ReductionMeter;
use crate::common::{db_to_gain, flush};
use crate::fast_math::{self, larger};
use crate::mul_add::target_mul_add;
use arrayvec::ArrayVec;
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const CROSSOVER: usize = 0;
const KNEE: usize = 3;
const STEREO_LINK: usize = 4;
const MIX: usize = 5;
/// First per-band parameter; band `b` (0-based) starts at `BAND + b · BAND_STRIDE`.
const BAND: usize = 6;
const BAND_STRIDE: usize = 7;
const THRESHOLD: usize = 0;
const RATIO: usize = 1;
const ATTACK: usize = 2;
const RELEASE: usize = 3;
const MAKEUP: usize = 4;
const BYPASS: usize = 5;
const SOLO: usize = 6;
const PARAM_COUNT: usize = BAND + MAX_BANDS * BAND_STRIDE;

/// Fade time of bypass and solo switches, ms.
pub const SWITCH_MS: f32 = 10.0;
/// Corner of every band detector's high-pass, Hz.
pub const DETECTOR_HIGHPASS_HZ: f64 = 10.0;

const MAKEUP_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
const MIX_SMOOTHING: Smoothing = Smoothing::Linear { ms: 20.0 };
const SWITCH_SMOOTHING: Smoothing = Smoothing::Linear { ms: SWITCH_MS };
/// Declared tail: ringing of the lowest crossover filters, seconds.
const TAIL_SECONDS: f64 = 0.2;

/// A multiband compressor with `channels` (1 or 2) and `bands` (3 or 4).
pub struct MultibandNode {
    channels: usize,
    bands: usize,
}

impl MultibandNode {
    /// A node with `channels` (clamped to 1..=2) and `bands` (clamped to 3..=4).
    pub fn new(channels: usize, bands: usize) -> Self {
        MultibandNode { channels: channels.clamp(1, MAX_CHANNELS), bands: bands.clamp(3, MAX_BANDS) }
    }
}

fn band_param(p: &[f32; PARAM_COUNT], band: usize, which: usize) -> f32 {
    p.get(BAND + band * BAND_STRIDE + which).copied().unwrap_or(0.0)
}

fn crossovers(p: &[f32; PARAM_COUNT]) -> [f64; MAX_CROSSOVERS] {
    [f64::from(p[CROSSOVER]), f64::from(p[CROSSOVER + 1]), f64::from(p[CROSSOVER + 2])]
}

fn band_settings(p: &[f32; PARAM_COUNT], band: usize) -> Settings {
    Settings {
        curve: GainComputer {
            threshold_db: f64::from(band_param(p, band, THRESHOLD)),
            ratio: f64::from(band_param(p, band, RATIO)),
            knee_db: f64::from(p[KNEE]),
        },
        attack_ms: f64::from(band_param(p, band, ATTACK)),
        release_ms: f64::from(band_param(p, band, RELEASE)),
        detector: Detector::Peak,
        // Bands above the first are already high-passed by their crossover.
        sc_highpass_hz: if band == 0 { DETECTOR_HIGHPASS_HZ } else { 0.0 },
        stereo_link: f64::from(p[STEREO_LINK]),
    }
}

/// Retargets a smoother only when the target changes (keeps a running ramp).
fn retarget(s: &mut Smoother, target: f32) {
    if s.target() != target {
        s.set_target(target);
    }
}

struct Band {
    kernel: Compressor,
    /// The band's threshold, ratio and (shared) knee, gliding.
    curve: CurveGlide,
    makeup: Smoother,
    /// 1 = compressing, 0 = bypassed.
    active: Smoother,
    /// Solo weight: 1 = heard, 0 = muted by another band's solo.
    weight: Smoother,
    meter: ReductionMeter,
    /// Per channel, per frame of the current chunk: gain reduction in dB,
    /// then the band's linear gain.
    gain: [Vec<f32>; MAX_CHANNELS],
    /// Per frame: make-up, active, weight.
    smoothed: [Vec<f32>; 3],
}

/// The processor works a chunk (at most the stream's block) at a time, in
/// passes: split every frame into bands, then per band its compressor's
/// block pass, the gains and the weighted sum. Short loops let the CPU
/// overlap frames; one long per-frame body (splitter, four compressors, five
/// smoothers) ran several times slower.
struct MultibandProcessor {
    params: [f32; PARAM_COUNT],
    channels: usize,
    splitter: BandSplitter,
    bands: [Option<Band>; MAX_BANDS],
    /// Band signals of the current chunk: `split[band][channel][frame]`.
    split: [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS],
    mix: Smoother,
    mix_values: Vec<f32>,
    /// Per frame: the largest reduction over channels (one band), then over bands.
    band_max: Vec<f32>,
    total_max: Vec<f32>,
    meter: ReductionMeter,
}

impl Node for MultibandNode {
    fn info(&self) -> NodeInfo {
        let ch = self.channels;
        let none = Smoothing::None;
        let float = |id: &str, name: &str, min, max, default, unit| ParamDesc::float(id, name, min, max, default, unit);
        let mut info =
            NodeInfo::new("dynamics.multiband").input(PortDesc::audio("in", ch)).output(PortDesc::audio("out", ch));
        for (k, default) in [120.0, 1000.0, 6000.0].into_iter().enumerate() {
            let (id, name) = (format!("crossover{}_hz", k + 1), format!("Crossover {}", k + 1));
            info = info.param(float(&id, &name, 20.0, 20_000.0, default, ParamUnit::Hz).log_taper().smoothing(none));
        }
        info = info
            .param(float("knee_db", "Knee", 0.0, 24.0, 6.0, ParamUnit::Db).smoothing(none))
            .param(float("stereo_link", "Stereo link", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(none))
            .param(float("mix", "Mix", 0.0, 1.0, 1.0, ParamUnit::Fraction).smoothing(MIX_SMOOTHING));
        for b in 1..=MAX_BANDS {
            let id = |s: &str| format!("band{b}_{s}");
            let name = |s: &str| format!("Band {b} {s}");
            info = info
                .param(
                    float(&id("threshold_db"), &name("threshold"), -60.0, 0.0, -20.0, ParamUnit::Db)
                        .smoothing(CURVE_DB_SMOOTHING),
                )
                .param(
                    float(&id("ratio"), &name("ratio"), 1.0, 20.0, 2.0, ParamUnit::None)
                        .log_taper()
                        .smoothing(RATIO_SMOOTHING),
                )
                .param(
                    float(&id("attack_ms"), &name("attack"), 0.1, 200.0, 10.0, ParamUnit::Ms)
                        .log_taper()
                        .smoothing(none),
                )
                .param(
                    float(&id("release_ms"), &name("release"), 5.0, 2000.0, 150.0, ParamUnit::Ms)
                        .log_taper()
                        .smoothing(none),
                )
                .param(
                    float(&id("makeup_db"), &name("make-up"), -12.0, 24.0, 0.0, ParamUnit::Db)
                        .smoothing(MAKEUP_SMOOTHING),
                )
                .param(ParamDesc::toggle(&id("bypass"), &name("bypass"), false))
                .param(ParamDesc::toggle(&id("solo"), &name("solo"), false));
        }
        info
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let params: [f32; PARAM_COUNT] = crate::common::param_values(ctx, &self.info());
        let block = ctx.stream.max_block_frames.max(1);
        let buffer = || vec![0.0f32; block];
        let mut bands: [Option<Band>; MAX_BANDS] = Default::default();
        for (b, slot) in bands.iter_mut().enumerate().take(self.bands) {
            *slot = Some(Band {
                kernel: Compressor::new(band_settings(&params, b), sr, self.channels),
                curve: CurveGlide::new(band_settings(&params, b).curve, sr),
                makeup: Smoother::new(MAKEUP_SMOOTHING, sr, db_to_gain(band_param(&params, b, MAKEUP))),
                active: Smoother::new(SWITCH_SMOOTHING, sr, 1.0),
                weight: Smoother::new(SWITCH_SMOOTHING, sr, 1.0),
                meter: ReductionMeter::named(ctx, &format!("band{}_gain_reduction", b + 1)),
                gain: [buffer(), buffer()],
                smoothed: [buffer(), buffer(), buffer()],
            });
        }
        let mut processor = MultibandProcessor {
            channels: self.channels,
            splitter: BandSplitter::new(self.bands, sr, crossovers(&params)),
            bands,
            split: std::array::from_fn(|_| [buffer(), buffer()]),
            mix: Smoother::new(MIX_SMOOTHING, sr, params[MIX]),
            mix_values: buffer(),
            band_max: buffer(),
            total_max: buffer(),
            meter: ReductionMeter::new(ctx),
            params,
        };
        processor.update_switches();
        processor.reset();
        Ok(Prepared::new(processor).tail((TAIL_SECONDS * sr).round() as u32))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels, "bands": self.bands })
    }
}

impl MultibandProcessor {
    /// Sets the bypass and solo fade targets from the parameters.
    fn update_switches(&mut self) {
        let p = &self.params;
        let any_solo =
            (0..MAX_BANDS).any(|b| self.bands.get(b).is_some_and(Option::is_some) && band_param(p, b, SOLO) >= 0.5);
        for (b, band) in self.bands.iter_mut().enumerate() {
            let Some(band) = band else { continue };
            let active = if band_param(p, b, BYPASS) >= 0.5 { 0.0 } else { 1.0 };
            let heard = !any_solo || band_param(p, b, SOLO) >= 0.5;
            retarget(&mut band.active, active);
            retarget(&mut band.weight, if heard { 1.0 } else { 0.0 });
        }
    }

    fn apply_param(&mut self, index: usize, value: f32) {
        let Some(slot) = self.params.get_mut(index) else { return };
        *slot = value;
        match index {
            MIX => retarget(&mut self.mix, value),
            i if i < KNEE => self.splitter.set_frequencies(crossovers(&self.params)),
            _ => {
                for (b, band) in self.bands.iter_mut().enumerate() {
                    let Some(band) = band else { continue };
                    // The curve glides; attack and release apply now.
                    let mut settings = band_settings(&self.params, b);
                    band.curve.set_target(settings.curve);
                    settings.curve = band.kernel.settings().curve;
                    band.kernel.set_settings(settings);
                    retarget(&mut band.makeup, db_to_gain(band_param(&self.params, b, MAKEUP)));
                }
                self.update_switches();
            }
        }
    }
}

/// Turns a band's gain reductions in dB into its contribution factors in
/// place: `w·(1 + mix·(wet − 1))`, `wet = 1 + active·(g·makeup − 1)`, with
/// `g` from the reduction. Vectorised (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn band_factors(reduction_db: &mut [f32], [makeup, active, weight, mix]: [&[f32]; 4]) {
    let fma = target_mul_add!();
    let params = makeup.iter().zip(active).zip(weight.iter().zip(mix));
    for (r, ((m, a), (w, mx))) in reduction_db.iter_mut().zip(params) {
        let wet = 1.0 + a * (fast_math::db_to_gain(fma, -*r) * m - 1.0);
        *r = w * (1.0 + mx * (wet - 1.0));
    }
}

/// The first `n` frames of both channels of a per-channel buffer pair
/// (`None` when either is shorter).
fn first_frames(pair: &mut [Vec<f32>; MAX_CHANNELS], n: usize) -> Option<[&mut [f32]; MAX_CHANNELS]> {
    let [a, b] = pair;
    Some([a.get_mut(..n)?, b.get_mut(..n)?])
}

/// `x *= factor`, frame by frame. Vectorised (AVX2 when the CPU has it).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn scale(x: &mut [f32], factor: &[f32]) {
    for (x, f) in x.iter_mut().zip(factor) {
        *x *= f;
    }
}

impl MultibandProcessor {
    /// Splits `n` frames from `start`, runs every band's compressor and
    /// meters, and leaves each band's contribution in `split`.
    fn process_chunk(&mut self, io: &ProcBuffers<'_, '_>, start: usize, n: usize, frame_position: u64) {
        let ch = self.channels;
        let window = |c: usize| io.input(c).get(start..start + n).unwrap_or(&[]);
        self.splitter.split_block([window(0), if ch > 1 { window(1) } else { &[] }], &mut self.split, n);
        let (Some(mix), Some(band_max), Some(total_max)) =
            (self.mix_values.get_mut(..n), self.band_max.get_mut(..n), self.total_max.get_mut(..n))
        else {
            return;
        };
        self.mix.fill(mix);
        total_max.fill(0.0);
        let first_position = frame_position + start as u64 + 1;
        // Detector and static curve per band, then every band's envelope in
        // lockstep (see `branch_blocks`), then the rest per band.
        let mut shared = [false; MAX_BANDS];
        for ((band, split), shared) in self.bands.iter_mut().zip(self.split.iter_mut()).zip(&mut shared) {
            let Some(band) = band else { continue };
            let (Some([g0, g1]), Some([x0, x1])) = (first_frames(&mut band.gain, n), first_frames(split, n)) else {
                continue;
            };
            let detect: [&[f32]; MAX_CHANNELS] = [x0, if ch > 1 { x1 } else { &[] }];
            *shared = band.curve.static_block(&mut band.kernel, detect, [g0, g1]);
        }
        let mut lanes = ArrayVec::<EnvelopeLane<'_>, { MAX_BANDS * MAX_CHANNELS }>::new();
        for (band, shared) in self.bands.iter_mut().zip(shared) {
            let Some(band) = band else { continue };
            if let Some(gain) = first_frames(&mut band.gain, n) {
                band.kernel.envelope_lanes(gain, shared, |lane| {
                    // Capacity covers every lane; `try_push` keeps the audio thread panic-free regardless.
                    let _ = lanes.try_push(lane);
                });
            }
        }
        branch_blocks(&mut lanes);
        drop(lanes);
        for ((band, split), shared) in self.bands.iter_mut().zip(self.split.iter_mut()).zip(shared) {
            let Some(band) = band else { continue };
            let (Some([g0, g1]), Some([x0, x1])) = (first_frames(&mut band.gain, n), first_frames(split, n)) else {
                continue;
            };
            band.kernel.finish_block([&mut *g0, &mut *g1], shared);
            if ch > 1 {
                for ((m, a), b) in band_max.iter_mut().zip(g0.iter()).zip(g1.iter()) {
                    *m = larger(*a, *b);
                }
            } else {
                band_max.copy_from_slice(g0);
            }
            band.meter.push_block(band_max, first_position);
            for (t, m) in total_max.iter_mut().zip(band_max.iter()) {
                *t = larger(*t, *m);
            }
            let [makeup, active, weight] = &mut band.smoothed;
            let (Some(makeup), Some(active), Some(weight)) =
                (makeup.get_mut(..n), active.get_mut(..n), weight.get_mut(..n))
            else {
                continue;
            };
            band.makeup.fill(makeup);
            band.active.fill(active);
            band.weight.fill(weight);
            // Linked channels share one reduction, so one set of factors.
            band_factors(g0, [makeup, active, weight, mix]);
            if ch > 1 && !shared {
                band_factors(g1, [makeup, active, weight, mix]);
            }
            scale(x0, g0);
            if ch > 1 {
                scale(x1, if shared { &*g0 } else { &*g1 });
            }
        }
        self.meter.push_block(total_max, first_position);
    }

    /// Sums the bands' contributions of the chunk into the outputs.
    fn write_chunk(&self, outputs: &mut [&mut [f32]], start: usize, n: usize) {
        for (c, out) in outputs.iter_mut().enumerate().take(self.channels) {
            let Some(out) = out.get_mut(start..start + n) else { continue };
            out.fill(0.0);
            for (band, split) in self.bands.iter().zip(&self.split) {
                if band.is_none() {
                    continue;
                }
                for (y, x) in out.iter_mut().zip(split.get(c).map(|s| s.as_slice()).unwrap_or(&[])) {
                    *y += x;
                }
            }
            for y in out.iter_mut() {
                *y = flush(*y);
            }
        }
    }
}

impl Processor for MultibandProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.apply_param(e.index.0 as usize, e.value);
        }
        let chunk = self.mix_values.len().max(1);
        let mut start = 0;
        while start < info.frames {
            let n = chunk.min(info.frames - start);
            self.process_chunk(&io, start, n, info.frame_position);
            self.write_chunk(io.outputs, start, n);
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.splitter.reset();
        for band in self.bands.iter_mut().flatten() {
            band.kernel.reset();
            band.curve.jump(&mut band.kernel);
            band.makeup.jump_to(band.makeup.target());
            band.active.jump_to(band.active.target());
            band.weight.jump_to(band.weight.target());
            band.meter.reset();
        }
        self.mix.jump_to(self.mix.target());
        self.meter.reset();
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "channel count, 1 or 2", default: "2" },
    ConfigField { name: "bands", description: "band count, 3 or 4", default: "4" },
];

fn build(config: &serde_json::Value) -> Result<Box<dyn Node>, NodeError> {
    let mut r = ConfigReader::new(config)?;
    let channels = r.usize("channels", 2, 1, MAX_CHANNELS)?;
    let bands = r.usize("bands", 4, 3, MAX_BANDS)?;
    r.finish()?;
    Ok(Box::new(MultibandNode::new(channels, bands)))
}

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "dynamics.multiband",
        family: "dynamics",
        description: "3/4-band compressor: LR4 crossovers with all-pass compensation, per-band solo/bypass, mix",
        config: CONFIG,
        factory: build,
    }
}

#[cfg(test)]
mod tests;

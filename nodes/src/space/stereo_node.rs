//! `space.stereo`: mid/side width, balance, bass mono-ising and
//! correlation-safe widening on a stereo pair.
//!
//! Signal flow per frame (in `f64`, so width 1 is bit-exact identity):
//!
//! ```text
//! M = (L + R) / 2          S = (L − R) / 2
//! S ← LR4 high-pass(S)     (only when mono_below_hz > 0)
//! w = min(width, max(1, w_lim))       (w_lim from the correlation floor)
//! L' = (M + w·S)·gL        R' = (M − w·S)·gR     (gL, gR from balance)
//! ```
//!
//! **Bass mono** (`mono_below_hz`): a 4th-order Linkwitz–Riley high-pass on the
//! side channel, i.e. two cascaded 2nd-order Butterworth high-passes (RBJ
//! cookbook, Q = 1/√2) at the same corner: −6 dB at the corner, 24 dB/octave
//! below it. Mid is untouched, so bass below the corner comes out mono.
//!
//! **Correlation floor** (`correlation_floor` > −1): a feed-forward control law.
//! The powers `m = E[M²]` and `s = E[S²]` of the (high-passed) input are
//! tracked with one-pole averagers (τ = 300 ms). With side gain `w` the output
//! correlation is `ρ(w) = (m − w²s) / (m + w²s)` (exact when `E[MS] = 0`, i.e.
//! balanced channel powers). Solving `ρ(w) ≥ f` gives
//! `w ≤ w_lim = √(m(1 − f) / (s(1 + f)))`. The applied width is
//! `min(width, max(1, w_lim))`: the floor only takes back widening above 1 and
//! never narrows below the input's own image. Because it acts on input
//! statistics, there is no feedback loop to go unstable.
//!
//! The corner glides logarithmically over 20 ms (coefficients redesigned every
//! frame while it moves, so the result does not depend on block size);
//! switching it on or off clears the filter state.
//!
//! **Balance**: `b > 0` scales L by `1 − b`, `b < 0` scales R by `1 + b`.

use crate::common::flush;
use crate::eq::biquad::{BiquadCoefs, BiquadState, FilterKind};
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const WIDTH: usize = 0;
const BALANCE: usize = 1;
const MONO_BELOW: usize = 2;
const FLOOR: usize = 3;

/// Lowest active corner of the side high-pass; nonzero values below are raised to it.
pub const MONO_MIN_HZ: f32 = 20.0;
/// Averaging time constant of the correlation estimate, in seconds.
pub const CORRELATION_TAU_S: f64 = 0.3;
const SMOOTH: Smoothing = Smoothing::Linear { ms: 20.0 };
const MONO_SMOOTH: Smoothing = Smoothing::Logarithmic { ms: 20.0 };

/// Stereo width / balance / bass-mono / correlation-safe widening.
pub struct StereoNode;

struct StereoProcessor {
    width: Smoother,
    balance: Smoother,
    floor: Smoother,
    /// Corner of the side high-pass (kept at ≥ 20 Hz), smoothed logarithmically.
    mono_hz: Smoother,
    mono_on: bool,
    coefs: BiquadCoefs,
    hp: [BiquadState; 2],
    /// Pole of the power averagers.
    avg_coef: f64,
    mid_pow: f64,
    side_pow: f64,
    sample_rate: f64,
}

impl StereoProcessor {
    fn redesign(&mut self) {
        if self.mono_on {
            let hz = self.mono_hz.value().max(MONO_MIN_HZ) as f64;
            self.coefs =
                BiquadCoefs::design(FilterKind::HighPass, self.sample_rate, hz, std::f64::consts::FRAC_1_SQRT_2, 0.0);
        }
    }

    fn set_mono_hz(&mut self, hz: f32) {
        let on = hz > 0.0;
        if on != self.mono_on {
            self.hp.iter_mut().for_each(BiquadState::reset);
            self.mono_hz.jump_to(hz.max(MONO_MIN_HZ));
        } else {
            self.mono_hz.set_target(hz.max(MONO_MIN_HZ));
        }
        self.mono_on = on;
        self.redesign();
    }
}

/// The largest side gain keeping `(m − w²s)/(m + w²s) ≥ floor`, or `f64::MAX`
/// when unconstrained (floor at −1 or no side content).
pub fn width_limit(mid_pow: f64, side_pow: f64, floor: f64) -> f64 {
    if floor <= -1.0 || side_pow <= 1e-20 {
        return f64::MAX;
    }
    (mid_pow * (1.0 - floor) / (side_pow * (1.0 + floor))).sqrt()
}

impl Node for StereoNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("space.stereo")
            .input(PortDesc::audio("in", 2))
            .output(PortDesc::audio("out", 2))
            .param(ParamDesc::float("width", "Width", 0.0, 2.0, 1.0, ParamUnit::None).smoothing(SMOOTH))
            .param(ParamDesc::float("balance", "Balance", -1.0, 1.0, 0.0, ParamUnit::Pan).smoothing(SMOOTH))
            .param(
                ParamDesc::float("mono_below_hz", "Mono below", 0.0, 500.0, 0.0, ParamUnit::Hz).smoothing(MONO_SMOOTH),
            )
            .param(
                ParamDesc::float("correlation_floor", "Correlation floor", -1.0, 1.0, -1.0, ParamUnit::None)
                    .smoothing(SMOOTH),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = |i: usize| ctx.params.get(i).copied().unwrap_or(0.0);
        let mut proc = StereoProcessor {
            width: Smoother::new(SMOOTH, sr, p(WIDTH)),
            balance: Smoother::new(SMOOTH, sr, p(BALANCE)),
            floor: Smoother::new(SMOOTH, sr, p(FLOOR)),
            mono_hz: Smoother::new(MONO_SMOOTH, sr, MONO_MIN_HZ),
            mono_on: false,
            coefs: BiquadCoefs::identity(),
            hp: [BiquadState::default(); 2],
            avg_coef: (-1.0 / (CORRELATION_TAU_S * sr)).exp(),
            mid_pow: 0.0,
            side_pow: 0.0,
            sample_rate: sr,
        };
        proc.set_mono_hz(p(MONO_BELOW));
        Ok(Prepared::new(proc).tail(if p(MONO_BELOW) > 0.0 { (sr * 0.2) as u32 } else { 0 }))
    }
}

#[inline]
fn clean(x: f32) -> f64 {
    if x.is_finite() { f64::from(x) } else { 0.0 }
}

impl Processor for StereoProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            match e.index.0 as usize {
                WIDTH => self.width.set_target(e.value),
                BALANCE => self.balance.set_target(e.value),
                MONO_BELOW => self.set_mono_hz(e.value),
                _ => self.floor.set_target(e.value),
            }
        }
        let (l_in, r_in) = (io.input(0), io.input(1));
        let [l_out, r_out, ..] = io.outputs else { return ProcessStatus::Error("space.stereo needs 2 outputs") };
        let frames = info.frames.min(l_in.len()).min(r_in.len()).min(l_out.len()).min(r_out.len());
        let a = self.avg_coef;
        let mono = self.mono_on;
        for i in 0..frames {
            let (l, r) = (clean(l_in[i]), clean(r_in[i]));
            let m = (l + r) * 0.5;
            let mut s = (l - r) * 0.5;
            if mono {
                if !self.mono_hz.is_settled() {
                    self.mono_hz.next();
                    self.redesign();
                }
                s = f64::from(self.hp[0].tick(&self.coefs, s as f32));
                s = f64::from(self.hp[1].tick(&self.coefs, s as f32));
            }
            let width = f64::from(self.width.next());
            let balance = self.balance.next();
            let floor = f64::from(self.floor.next());
            let mut w = width;
            if floor > -1.0 {
                self.mid_pow = flush_f64(a * self.mid_pow + (1.0 - a) * m * m);
                self.side_pow = flush_f64(a * self.side_pow + (1.0 - a) * s * s);
                if width > 1.0 {
                    w = width.min(width_limit(self.mid_pow, self.side_pow, floor).max(1.0));
                }
            }
            let (gl, gr) = if balance > 0.0 { (1.0 - balance, 1.0) } else { (1.0, 1.0 + balance) };
            let ws = w * s;
            l_out[i] = flush(((m + ws) as f32) * gl);
            r_out[i] = flush(((m - ws) as f32) * gr);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.width, &mut self.balance, &mut self.floor] {
            s.jump_to(s.target());
        }
        self.mono_hz.jump_to(self.mono_hz.target());
        self.redesign();
        self.hp.iter_mut().for_each(BiquadState::reset);
        self.mid_pow = 0.0;
        self.side_pow = 0.0;
    }
}

#[inline]
fn flush_f64(x: f64) -> f64 {
    if x.abs() < 1e-30 { 0.0 } else { x }
}

const CONFIG: &[ConfigField] = &[];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "space.stereo",
        family: "space",
        description: "Stereo width (M/S), balance, bass mono and correlation-safe widening",
        config: CONFIG,
        factory: |c| {
            ConfigReader::new(c)?.finish()?;
            Ok(Box::new(StereoNode))
        },
    }
}

#[cfg(test)]
mod tests;

//! `space.delay`: stereo feedback delay (echo) with tempo sync, filters in the
//! feedback path and ping-pong.
//!
//! Per channel a ring buffer sized in `prepare` for [`MAX_TIME_MS`] at the
//! stream rate. Each frame writes `x + feedback · filter(echo)` and reads the
//! echo at a fractional delay with 4-point, 3rd-order Hermite (Catmull-Rom)
//! interpolation (Niemitalo, "Polynomial Interpolators for High-Quality
//! Resampling of Oversampled Audio", 2001, the "x-form"). At integer delays it
//! returns the stored sample exactly.
//!
//! **Glide**: the read delay `d` follows the target time with a one-pole
//! (τ = [`GLIDE_MS`]) whose per-frame change is clamped to ±[`MAX_GLIDE_RATE`]
//! frames per frame, so a time change behaves like a tape varispeed: the echo
//! is pitch-shifted by at most ±25 % while gliding and never jumps (no clicks).
//!
//! **Feedback filters**: RBJ-cookbook 2nd-order high-pass (`lowcut_hz`) and
//! low-pass (`highcut_hz`), Q = 1/√2, applied to the signal fed back (so each
//! repeat is filtered once more than the last). At the ends of their ranges
//! (`lowcut_hz` = 20, `highcut_hz` = 20 000) they are bypassed, so repeats
//! then decay by exactly `feedback`. The corners glide logarithmically over
//! 20 ms, with coefficients redesigned every frame while they move.
//!
//! **Ping-pong**: the mono sum of the input enters the left line only, and the
//! lines feed each other (left echo → right line → left line …), so echoes
//! alternate L, R, L, … each `feedback` quieter than the one before.

use crate::common::flush;
use crate::eq::biquad::{BiquadCoefs, BiquadState, FilterKind};
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};
use std::f64::consts::FRAC_1_SQRT_2;

/// Longest delay time in milliseconds (the buffer holds this much).
pub const MAX_TIME_MS: f32 = 4000.0;
/// Time constant of the delay-time glide.
pub const GLIDE_MS: f64 = 60.0;
/// Largest change of the read delay per frame while gliding (echo pitch ±25 %).
pub const MAX_GLIDE_RATE: f64 = 0.25;
/// Lowcut value at which the feedback high-pass is off.
pub const LOWCUT_OFF_HZ: f32 = 20.0;
/// Highcut value at which the feedback low-pass is off.
pub const HIGHCUT_OFF_HZ: f32 = 20_000.0;

/// Note values for tempo sync, as the `note` choice names.
pub const NOTES: [&str; 9] = ["1/1", "1/2", "1/4", "1/8", "1/16", "1/4d", "1/8d", "1/4t", "1/8t"];
/// Length of each of [`NOTES`] in quarter notes (beats).
pub const NOTE_BEATS: [f64; 9] = [4.0, 2.0, 1.0, 0.5, 0.25, 1.5, 0.75, 2.0 / 3.0, 1.0 / 3.0];

const TIME: usize = 0;
const SYNC: usize = 1;
const BPM: usize = 2;
const NOTE: usize = 3;
const FEEDBACK: usize = 4;
const LOWCUT: usize = 5;
const HIGHCUT: usize = 6;
const PING_PONG: usize = 7;
const MIX: usize = 8;
const N_PARAMS: usize = 9;
const SMOOTH: Smoothing = Smoothing::Linear { ms: 20.0 };
const FILTER_SMOOTH: Smoothing = Smoothing::Logarithmic { ms: 20.0 };

/// The delay time in milliseconds the parameters ask for (synced or free),
/// clamped to `1..=MAX_TIME_MS`.
pub fn delay_time_ms(time_ms: f32, sync: bool, bpm: f32, note: usize) -> f64 {
    let ms = if sync {
        let beats = NOTE_BEATS.get(note).copied().unwrap_or(1.0);
        beats * 60_000.0 / f64::from(bpm.max(1.0))
    } else {
        f64::from(time_ms)
    };
    if ms.is_finite() { ms.clamp(1.0, f64::from(MAX_TIME_MS)) } else { 1.0 }
}

/// The stereo delay effect.
pub struct DelayEffectNode;

struct DelayEffectProcessor {
    params: [f32; N_PARAMS],
    lines: [Vec<f32>; 2],
    write: usize,
    /// Current (gliding) read delay in frames.
    delay: f64,
    target: f64,
    glide_coef: f64,
    feedback: Smoother,
    mix: Smoother,
    lowcut: Smoother,
    highcut: Smoother,
    hp: BiquadCoefs,
    lp: BiquadCoefs,
    hp_on: bool,
    lp_on: bool,
    filters: [[BiquadState; 2]; 2],
    sample_rate: f64,
}

impl DelayEffectProcessor {
    fn update(&mut self) {
        let p = &self.params;
        let ms = delay_time_ms(p[TIME], p[SYNC] > 0.5, p[BPM], p[NOTE] as usize);
        self.target = (ms * 0.001 * self.sample_rate).max(1.0);
    }

    /// Designs the feedback filters from the smoothed corners; a filter that
    /// switches on starts from clear state.
    fn design_filters(&mut self) {
        let (low, high) = (self.lowcut.value(), self.highcut.value());
        let (hp_on, lp_on) = (low > LOWCUT_OFF_HZ, high < HIGHCUT_OFF_HZ);
        for [hp, lp] in &mut self.filters {
            if hp_on && !self.hp_on {
                hp.reset();
            }
            if lp_on && !self.lp_on {
                lp.reset();
            }
        }
        (self.hp_on, self.lp_on) = (hp_on, lp_on);
        let sr = self.sample_rate;
        self.hp = BiquadCoefs::design(FilterKind::HighPass, sr, f64::from(low), FRAC_1_SQRT_2, 0.0);
        self.lp = BiquadCoefs::design(FilterKind::LowPass, sr, f64::from(high), FRAC_1_SQRT_2, 0.0);
    }

    /// 4-point Hermite read `d` frames behind the last written frame `w`.
    #[inline]
    fn read(line: &[f32], w: usize, d: f64) -> f32 {
        let len = line.len();
        let di = d.floor();
        let frac = (d - di) as f32;
        let di = di as usize;
        // Samples at delays di-1, di, di+1, di+2 (newest to oldest).
        let at = |k: usize| -> f32 { line.get((w + len * 2 - k) % len.max(1)).copied().unwrap_or(0.0) };
        let (xm1, x0, x1, x2) = (at(di.saturating_sub(1)), at(di), at(di + 1), at(di + 2));
        let c1 = 0.5 * (x1 - xm1);
        let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
        let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
        ((c3 * frac + c2) * frac + c1) * frac + x0
    }

    fn filter(&mut self, ch: usize, x: f32) -> f32 {
        let [hp, lp] = match self.filters.get_mut(ch) {
            Some(f) => f,
            None => return x,
        };
        let y = if self.hp_on { hp.tick(&self.hp, x) } else { x };
        if self.lp_on { lp.tick(&self.lp, y) } else { y }
    }
}

impl Node for DelayEffectNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("space.delay")
            .input(PortDesc::audio("in", 2))
            .output(PortDesc::audio("out", 2))
            .param(
                ParamDesc::float("time_ms", "Time", 1.0, MAX_TIME_MS, 250.0, ParamUnit::Ms)
                    .log_taper()
                    .smoothing(Smoothing::None),
            )
            .param(ParamDesc::toggle("sync", "Tempo sync", false))
            .param(ParamDesc::float("bpm", "Tempo", 20.0, 300.0, 120.0, ParamUnit::None).smoothing(Smoothing::None))
            .param(ParamDesc::choice("note", "Note", &NOTES, 3))
            .param(ParamDesc::float("feedback", "Feedback", 0.0, 0.98, 0.4, ParamUnit::Fraction).smoothing(SMOOTH))
            .param(
                ParamDesc::float("lowcut_hz", "Low cut", LOWCUT_OFF_HZ, 2000.0, LOWCUT_OFF_HZ, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(FILTER_SMOOTH),
            )
            .param(
                ParamDesc::float("highcut_hz", "High cut", 1000.0, HIGHCUT_OFF_HZ, HIGHCUT_OFF_HZ, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(FILTER_SMOOTH),
            )
            .param(ParamDesc::toggle("ping_pong", "Ping-pong", false))
            .param(ParamDesc::float("mix", "Mix", 0.0, 1.0, 0.5, ParamUnit::Fraction).smoothing(SMOOTH))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let mut params = [0.0; N_PARAMS];
        for (i, p) in params.iter_mut().enumerate() {
            *p = ctx.params.get(i).copied().unwrap_or(0.0);
        }
        let capacity = (f64::from(MAX_TIME_MS) * 0.001 * sr).ceil() as usize + 4;
        let mut p = DelayEffectProcessor {
            params,
            lines: [vec![0.0; capacity], vec![0.0; capacity]],
            write: 0,
            delay: 0.0,
            target: 0.0,
            glide_coef: 1.0 - (-1.0 / (GLIDE_MS * 0.001 * sr)).exp(),
            feedback: Smoother::new(SMOOTH, sr, params[FEEDBACK]),
            mix: Smoother::new(SMOOTH, sr, params[MIX]),
            lowcut: Smoother::new(FILTER_SMOOTH, sr, params[LOWCUT]),
            highcut: Smoother::new(FILTER_SMOOTH, sr, params[HIGHCUT]),
            hp: BiquadCoefs::identity(),
            lp: BiquadCoefs::identity(),
            hp_on: false,
            lp_on: false,
            filters: [[BiquadState::default(); 2]; 2],
            sample_rate: sr,
        };
        p.update();
        p.design_filters();
        p.delay = p.target;
        // Repeats until −120 dB, plus one, times the prepared delay; capped at 60 s.
        let fb = f64::from(params[FEEDBACK]);
        let repeats = if fb > 1e-6 { (1e-6f64.ln() / fb.ln()).ceil() + 1.0 } else { 1.0 };
        let tail = (repeats * p.target).min(60.0 * sr).ceil() as u32 + 4;
        Ok(Prepared::new(p).tail(tail))
    }
}

#[inline]
fn clean(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

impl Processor for DelayEffectProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            let i = e.index.0 as usize;
            match i {
                FEEDBACK => self.feedback.set_target(e.value),
                MIX => self.mix.set_target(e.value),
                LOWCUT => self.lowcut.set_target(e.value),
                HIGHCUT => self.highcut.set_target(e.value),
                _ => {
                    if let Some(p) = self.params.get_mut(i) {
                        *p = e.value;
                    }
                    changed = true;
                }
            }
        }
        if changed {
            self.update();
        }
        let (l_in, r_in) = (io.input(0), io.input(1));
        let [l_out, r_out, ..] = io.outputs else { return ProcessStatus::Error("space.delay needs 2 outputs") };
        let len = self.lines[0].len().min(self.lines[1].len());
        if len < 8 {
            return ProcessStatus::Error("space.delay not prepared");
        }
        let frames = info.frames.min(l_in.len()).min(r_in.len()).min(l_out.len()).min(r_out.len());
        let ping_pong = self.params[PING_PONG] > 0.5;
        let max_delay = (len - 4) as f64;
        for i in 0..frames {
            let (xl, xr) = (clean(l_in[i]), clean(r_in[i]));
            let diff = self.target - self.delay;
            if diff.abs() < 1e-4 {
                self.delay = self.target;
            } else {
                self.delay += (diff * self.glide_coef).clamp(-MAX_GLIDE_RATE, MAX_GLIDE_RATE);
            }
            let d = self.delay.clamp(1.0, max_delay);
            if !self.lowcut.is_settled() || !self.highcut.is_settled() {
                self.lowcut.next();
                self.highcut.next();
                self.design_filters();
            }
            let fb = self.feedback.next();
            let mix = self.mix.next();
            // Echoes due now (read before writing: the read sees frames d ≥ 1 ago).
            let w = self.write;
            let el = Self::read(&self.lines[0], w + len - 1, d - 1.0);
            let er = Self::read(&self.lines[1], w + len - 1, d - 1.0);
            let (fl, fr) = (self.filter(0, el) * fb, self.filter(1, er) * fb);
            let (in_l, in_r) = if ping_pong { ((xl + xr) * 0.5 + fr, fl) } else { (xl + fl, xr + fr) };
            if let Some(s) = self.lines[0].get_mut(w) {
                *s = flush(in_l);
            }
            if let Some(s) = self.lines[1].get_mut(w) {
                *s = flush(in_r);
            }
            self.write = if w + 1 >= len { 0 } else { w + 1 };
            l_out[i] = flush(xl + mix * (el - xl));
            r_out[i] = flush(xr + mix * (er - xr));
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.feedback, &mut self.mix, &mut self.lowcut, &mut self.highcut] {
            s.jump_to(s.target());
        }
        self.design_filters();
        for line in &mut self.lines {
            line.fill(0.0);
        }
        self.filters = [[BiquadState::default(); 2]; 2];
        self.write = 0;
        self.delay = self.target;
    }
}

const CONFIG: &[ConfigField] = &[];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "space.delay",
        family: "space",
        description: "Stereo echo: free or tempo-synced time with glide, filtered feedback, ping-pong",
        config: CONFIG,
        factory: |c| {
            ConfigReader::new(c)?.finish()?;
            Ok(Box::new(DelayEffectNode))
        },
    }
}

#[cfg(test)]
mod tests;

//! `eq.air`: an "air" band — a gentle high shelf plus an optional exciter.
//!
//! The shelf is the RBJ-cookbook high shelf (Robert Bristow-Johnson, "Cookbook
//! formulae for audio EQ biquad filter coefficients",
//! <https://www.w3.org/TR/audio-eq-cookbook/>) at `freq_hz` (default 10 kHz)
//! with Q 0.5 (a wide, gentle slope) and `amount_db` of boost.
//!
//! The exciter (`excite` > 0) takes the input above `freq_hz` (cookbook
//! high-pass, Q = 1/√2), drives it into `tanh` (×[`EXCITER_DRIVE`]) to create
//! harmonics, high-passes the result again at `freq_hz` so the
//! intermodulation products that fall below the band are removed, and adds it
//! at `excite` × [`EXCITER_LEVEL`] (−14 dB at full `excite`). With `excite` = 0
//! the exciter is skipped entirely, the node is linear and
//! [`Node::response`] returns the shelf's response.

use super::biquad::{BiquadCoefs, BiquadState, FilterKind};
use super::biquad_node::COEF_UPDATE_FRAMES;
use crate::common::{channels_only, flush};
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const FREQ: usize = 0;
const Q: usize = 1;
const AMOUNT: usize = 2;
const EXCITE: usize = 3;

/// Drive into the exciter's `tanh`.
pub const EXCITER_DRIVE: f32 = 4.0;
/// Level of the exciter signal at `excite` = 1 (linear; about −14 dB).
pub const EXCITER_LEVEL: f32 = 0.2;

const FREQ_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
const Q_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
const AMOUNT_SMOOTHING: Smoothing = Smoothing::Exponential { ms: 20.0 };
const EXCITE_SMOOTHING: Smoothing = Smoothing::Linear { ms: 20.0 };

/// An air band on every channel.
pub struct AirEqNode {
    channels: usize,
}

impl AirEqNode {
    /// An air band with `channels` channels.
    pub fn new(channels: usize) -> Self {
        AirEqNode { channels }
    }
}

fn shelf(freq_hz: f32, q: f32, amount_db: f32, sample_rate: f64) -> BiquadCoefs {
    BiquadCoefs::design(FilterKind::HighShelf, sample_rate, freq_hz.into(), q.into(), amount_db.into())
}

fn highpass(freq_hz: f32, sample_rate: f64) -> BiquadCoefs {
    BiquadCoefs::design(FilterKind::HighPass, sample_rate, freq_hz.into(), std::f64::consts::FRAC_1_SQRT_2, 0.0)
}

#[derive(Clone, Copy, Default)]
struct AirChannel {
    shelf: BiquadState,
    pre: BiquadState,
    post: BiquadState,
}

struct AirEqProcessor {
    freq: Smoother,
    q: Smoother,
    amount: Smoother,
    excite: Smoother,
    shelf: BiquadCoefs,
    highpass: BiquadCoefs,
    channels: Vec<AirChannel>,
    sample_rate: f64,
}

impl AirEqProcessor {
    fn redesign(&mut self) {
        self.shelf = shelf(self.freq.value(), self.q.value(), self.amount.value(), self.sample_rate);
        self.highpass = highpass(self.freq.value(), self.sample_rate);
    }

    /// Runs frames `start..end`; `excite` is the exciter amount over those frames.
    fn run(&mut self, inputs: &[&[f32]], outputs: &mut [&mut [f32]], start: usize, end: usize, excite: (f32, f32)) {
        let (from, to) = excite;
        let active = from > 0.0 || to > 0.0;
        let step = if end > start + 1 { (to - from) / (end - start - 1) as f32 } else { 0.0 };
        for ((channel, input), output) in self.channels.iter_mut().zip(inputs.iter()).zip(outputs.iter_mut()) {
            let (Some(input), Some(output)) = (input.get(start..end), output.get_mut(start..end)) else {
                continue;
            };
            for (k, (o, i)) in output.iter_mut().zip(input.iter()).enumerate() {
                // Non-finite input must not latch the recursive state.
                let x = if i.is_finite() { *i } else { 0.0 };
                let mut y = channel.shelf.tick(&self.shelf, x);
                if active {
                    let band = channel.pre.tick(&self.highpass, x);
                    let harmonics = (band * EXCITER_DRIVE).tanh() / EXCITER_DRIVE;
                    let emphasis = channel.post.tick(&self.highpass, harmonics);
                    y += (from + step * k as f32) * EXCITER_LEVEL * emphasis;
                }
                *o = flush(y);
            }
        }
    }
}

impl Node for AirEqNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("eq.air")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(
                ParamDesc::float("freq_hz", "Frequency", 1000.0, 20_000.0, 10_000.0, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(FREQ_SMOOTHING),
            )
            .param(ParamDesc::float("q", "Q", 0.1, 2.0, 0.5, ParamUnit::None).log_taper().smoothing(Q_SMOOTHING))
            .param(ParamDesc::float("amount_db", "Amount", 0.0, 12.0, 3.0, ParamUnit::Db).smoothing(AMOUNT_SMOOTHING))
            .param(ParamDesc::float("excite", "Excite", 0.0, 1.0, 0.0, ParamUnit::Fraction).smoothing(EXCITE_SMOOTHING))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = |i: usize, default: f32| ctx.params.get(i).copied().unwrap_or(default);
        let mut processor = AirEqProcessor {
            freq: Smoother::new(FREQ_SMOOTHING, sr, p(FREQ, 10_000.0)),
            q: Smoother::new(Q_SMOOTHING, sr, p(Q, 0.5)),
            amount: Smoother::new(AMOUNT_SMOOTHING, sr, p(AMOUNT, 3.0)),
            excite: Smoother::new(EXCITE_SMOOTHING, sr, p(EXCITE, 0.0)),
            shelf: BiquadCoefs::identity(),
            highpass: BiquadCoefs::identity(),
            channels: vec![AirChannel::default(); self.channels],
            sample_rate: sr,
        };
        processor.redesign();
        // Poles at ≥ 1 kHz with Q ≤ 2 decay by 120 dB well within 50 ms.
        Ok(Prepared::new(processor).tail((sr * 0.05) as u32))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }

    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        // Only linear (and so only described by a response) without the exciter.
        if params.get(EXCITE).copied()? != 0.0 {
            return None;
        }
        let (f, q, amount) = (params.get(FREQ).copied()?, params.get(Q).copied()?, params.get(AMOUNT).copied()?);
        Some(shelf(f, q, amount, sample_rate).response(sample_rate, hz))
    }
}

impl Processor for AirEqProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            match e.index.0 as usize {
                FREQ => self.freq.set_target(e.value),
                Q => self.q.set_target(e.value),
                AMOUNT => self.amount.set_target(e.value),
                _ => self.excite.set_target(e.value),
            }
            changed = true;
        }
        let frames = info.frames;
        let filters_settled = self.freq.is_settled() && self.q.is_settled() && self.amount.is_settled();
        if filters_settled && self.excite.is_settled() {
            if changed {
                self.redesign();
            }
            let e = self.excite.value();
            self.run(io.inputs, io.outputs, 0, frames, (e, e));
            return ProcessStatus::Modified;
        }
        let mut start = 0;
        while start < frames {
            let n = COEF_UPDATE_FRAMES.min(frames - start);
            for s in [&mut self.freq, &mut self.q, &mut self.amount] {
                s.next_step(n as u32);
            }
            self.redesign();
            let from = self.excite.next();
            let to = if n > 1 { self.excite.next_step(n as u32 - 1) } else { from };
            self.run(io.inputs, io.outputs, start, start + n, (from, to));
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.freq, &mut self.q, &mut self.amount, &mut self.excite] {
            s.jump_to(s.target());
        }
        self.redesign();
        for c in &mut self.channels {
            *c = AirChannel::default();
        }
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "eq.air",
        family: "eq",
        description: "air band: gentle RBJ high shelf (10 kHz, Q 0.5) plus an optional high-band exciter",
        config: CONFIG,
        factory: |c| Ok(Box::new(AirEqNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::shelf;
    use crate::testing::{NodeHarness, SR, noise, sine};
    use serde_json::json;

    fn dft_db(x: &[f32], hz: f64) -> f64 {
        let w = std::f64::consts::TAU * hz / SR;
        let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, v)| {
            (re + *v as f64 * (w * n as f64).cos(), im - *v as f64 * (w * n as f64).sin())
        });
        10.0 * (re * re + im * im).log10()
    }

    #[test]
    fn air_shelf_matches_the_cookbook_magnitude() {
        for amount in [3.0f32, 6.0, 12.0] {
            let h = NodeHarness::new("eq.air", json!({"channels": 1}), &[("amount_db", amount)]);
            let mut impulse = vec![0.0; 48_000];
            impulse[0] = 1.0;
            let ir = h.render(&[impulse], &[512]).remove(0);
            let coefs = shelf(10_000.0, 0.5, amount, SR);
            let node = crate::registry().create("eq.air", &json!({"channels": 1})).unwrap();
            for hz in [1000.0, 5000.0, 10_000.0, 16_000.0] {
                let expected = coefs.magnitude_db(SR, hz);
                let measured = dft_db(&ir, hz);
                eprintln!("air {amount} dB at {hz} Hz: measured {measured:.4} dB, cookbook {expected:.4} dB");
                assert!((measured - expected).abs() <= 0.1, "{amount} dB at {hz} Hz: {measured} vs {expected}");
                let (re, im) = node.response(&[10_000.0, 0.5, amount, 0.0], SR, hz).unwrap();
                assert!((10.0 * (re * re + im * im).log10() - expected).abs() < 1e-9);
            }
            assert!(node.response(&[10_000.0, 0.5, amount, 0.5], SR, 1000.0).is_none());
        }
    }

    #[test]
    fn air_invariants_with_and_without_exciter() {
        for excite in [0.0, 1.0] {
            let h = NodeHarness::new("eq.air", json!({"channels": 2}), &[("amount_db", 6.0), ("excite", excite)]);
            h.check_invariants(&[noise(4800, 1), noise(4800, 2)]);
        }
    }

    #[test]
    fn exciter_adds_harmonics_above_the_band() {
        // A 7 kHz tone through a 5 kHz air band: the exciter's tanh makes a
        // 21 kHz third harmonic that the plain shelf cannot.
        let x = sine(7000.0, 0.5, 9600);
        let params = |e: f32| [("freq_hz", 5000.0), ("amount_db", 0.0), ("excite", e)];
        let dry =
            NodeHarness::new("eq.air", json!({"channels": 1}), &params(0.0)).render(std::slice::from_ref(&x), &[512]);
        let wet = NodeHarness::new("eq.air", json!({"channels": 1}), &params(1.0)).render(&[x], &[512]);
        let (h_dry, h_wet) = (dft_db(&dry[0][4800..], 21_000.0), dft_db(&wet[0][4800..], 21_000.0));
        let f_wet = dft_db(&wet[0][4800..], 7000.0);
        eprintln!("exciter: 21 kHz {h_dry:.1} dB dry vs {h_wet:.1} dB excited; fundamental {f_wet:.1} dB");
        assert!(h_wet > h_dry + 40.0);
        assert!(h_wet < f_wet - 20.0, "harmonics stay subtle");
    }
}

//! `filter.biquad`: one RBJ-cookbook biquad per channel, with smoothed
//! frequency, Q and gain.
//!
//! While a parameter moves, coefficients are recomputed every
//! [`COEF_UPDATE_FRAMES`] frames from the smoothed values (per sample would cost
//! a `tan`/`sin`/`cos` per frame for no audible gain), and never once settled.
//! Sub-blocks start at each block's first frame, so a sweep rendered with other
//! block sizes differs slightly; settled filters are block-size independent.

use super::biquad::{BiquadCoefs, BiquadState, FilterKind};
use crate::common::channels_only;
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

/// Frames between coefficient updates while smoothing.
pub const COEF_UPDATE_FRAMES: usize = 16;

const KIND: usize = 0;
const FREQ: usize = 1;
const Q: usize = 2;
const GAIN: usize = 3;

/// A biquad filter on every channel.
pub struct BiquadNode {
    channels: usize,
}

impl BiquadNode {
    /// A filter with `channels` channels.
    pub fn new(channels: usize) -> Self {
        BiquadNode { channels }
    }
}

fn kind_of(value: f32) -> FilterKind {
    FilterKind::ALL.get(value as usize).copied().unwrap_or(FilterKind::Peak)
}

fn design(params: &[f32], sample_rate: f64) -> BiquadCoefs {
    let (kind, f, q, g) = (kind_of(params[KIND]), params[FREQ], params[Q], params[GAIN]);
    BiquadCoefs::design(kind, sample_rate, f as f64, q as f64, g as f64)
}

/// Frames for the impulse response to fall 120 dB, from the largest pole
/// radius r of z² + a1·z + a2: r^n = 1e-6. Capped at 10 s (poles on the unit
/// circle never decay). Parameter changes after `prepare` can lengthen it.
fn decay_frames(c: &BiquadCoefs, sample_rate: f64) -> u32 {
    let disc = c.a1 * c.a1 - 4.0 * c.a2;
    let radius = if disc < 0.0 {
        c.a2.abs().sqrt()
    } else {
        let root = disc.sqrt();
        ((-c.a1 + root) * 0.5).abs().max(((-c.a1 - root) * 0.5).abs())
    };
    let cap = 10.0 * sample_rate;
    if radius <= 0.0 {
        return 2;
    }
    if radius >= 1.0 {
        return cap as u32;
    }
    ((1e-6f64).ln() / radius.ln()).ceil().min(cap) as u32 + 2
}

struct BiquadProcessor {
    kind: f32,
    freq: Smoother,
    q: Smoother,
    gain: Smoother,
    coefs: BiquadCoefs,
    states: Vec<BiquadState>,
    sample_rate: f64,
}

impl BiquadProcessor {
    fn settled(&self) -> bool {
        self.freq.is_settled() && self.q.is_settled() && self.gain.is_settled()
    }

    fn redesign(&mut self) {
        let params = [self.kind, self.freq.value(), self.q.value(), self.gain.value()];
        self.coefs = design(&params, self.sample_rate);
    }
}

impl Node for BiquadNode {
    fn info(&self) -> NodeInfo {
        let kinds: Vec<&'static str> = FilterKind::ALL.iter().map(|k| k.name()).collect();
        NodeInfo::new("filter.biquad")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::choice("kind", "Type", &kinds, 4))
            .param(
                ParamDesc::float("freq_hz", "Frequency", 10.0, 24_000.0, 1000.0, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(Smoothing::Logarithmic { ms: 20.0 }),
            )
            .param(
                ParamDesc::float("q", "Q", 0.1, 24.0, std::f32::consts::FRAC_1_SQRT_2, ParamUnit::None)
                    .log_taper()
                    .smoothing(Smoothing::Logarithmic { ms: 20.0 }),
            )
            .param(
                ParamDesc::float("gain_db", "Gain", -24.0, 24.0, 0.0, ParamUnit::Db)
                    .smoothing(Smoothing::Exponential { ms: 20.0 }),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let p = ctx.params;
        let mut processor = BiquadProcessor {
            kind: p[KIND],
            freq: Smoother::new(Smoothing::Logarithmic { ms: 20.0 }, sr, p[FREQ]),
            q: Smoother::new(Smoothing::Logarithmic { ms: 20.0 }, sr, p[Q]),
            gain: Smoother::new(Smoothing::Exponential { ms: 20.0 }, sr, p[GAIN]),
            coefs: BiquadCoefs::identity(),
            states: vec![BiquadState::default(); self.channels],
            sample_rate: sr,
        };
        processor.redesign();
        let tail = decay_frames(&processor.coefs, sr);
        Ok(Prepared::new(processor).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }

    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        Some(design(params, sample_rate).response(sample_rate, hz))
    }
}

impl Processor for BiquadProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            match e.index.0 as usize {
                KIND => self.kind = e.value,
                FREQ => self.freq.set_target(e.value),
                Q => self.q.set_target(e.value),
                _ => self.gain.set_target(e.value),
            }
            changed = true;
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            // A non-finite sample would latch the filter state at NaN for good.
            for (y, x) in output.iter_mut().zip(input.iter()) {
                *y = if x.is_finite() { *x } else { 0.0 };
            }
        }
        if self.settled() {
            if changed {
                self.redesign();
            }
            for (state, output) in self.states.iter_mut().zip(io.outputs.iter_mut()) {
                state.process_block(&self.coefs, output);
            }
            return ProcessStatus::Modified;
        }
        let mut start = 0;
        while start < info.frames {
            let n = COEF_UPDATE_FRAMES.min(info.frames - start);
            for s in [&mut self.freq, &mut self.q, &mut self.gain] {
                s.next_step(n as u32);
            }
            self.redesign();
            for (state, output) in self.states.iter_mut().zip(io.outputs.iter_mut()) {
                state.process_block(&self.coefs, &mut output[start..start + n]);
            }
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for s in [&mut self.freq, &mut self.q, &mut self.gain] {
            s.jump_to(s.target());
        }
        self.redesign();
        for state in &mut self.states {
            state.reset();
        }
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "filter.biquad",
        family: "eq",
        description: "RBJ cookbook biquad: lowpass, highpass, bandpass, notch, peak, shelves, allpass",
        config: CONFIG,
        factory: |c| Ok(Box::new(BiquadNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, SR, noise};
    use serde_json::json;

    /// |DFT| of `x` at `hz`, in dB.
    fn dft_db(x: &[f32], hz: f64) -> f64 {
        let w = std::f64::consts::TAU * hz / SR;
        let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, v)| {
            (re + *v as f64 * (w * n as f64).cos(), im - *v as f64 * (w * n as f64).sin())
        });
        10.0 * (re * re + im * im).log10()
    }

    #[test]
    fn response_matches_the_measured_impulse_response() {
        let kinds = ["lowpass", "highpass", "bandpass", "notch", "peak", "lowshelf", "highshelf", "allpass"];
        for (k, kind) in kinds.iter().enumerate() {
            let params = [("kind", k as f32), ("freq_hz", 1000.0), ("q", 2.0), ("gain_db", 6.0)];
            let h = NodeHarness::new("filter.biquad", json!({"channels": 1}), &params);
            let mut impulse = vec![0.0; 48_000];
            impulse[0] = 1.0;
            let ir = h.render(&[impulse], &[512]).remove(0);
            let node = crate::registry().create("filter.biquad", &json!({"channels": 1})).unwrap();
            let values = [k as f32, 1000.0, 2.0, 6.0];
            for hz in [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0] {
                let (re, im) = node.response(&values, SR, hz).unwrap();
                let expected = 10.0 * (re * re + im * im).log10();
                let measured = dft_db(&ir, hz);
                // A notch's exact zero reads as float noise once measured.
                let ok = if expected < -60.0 { measured < -60.0 } else { (measured - expected).abs() < 0.01 };
                assert!(ok, "{kind} at {hz} Hz: {measured:.3} dB vs {expected:.3} dB");
            }
            h.check_invariants(&[noise(4800, k as u64 + 1)]);
        }
    }

    #[test]
    fn the_reported_tail_covers_the_ring_down() {
        // A resonant 100 Hz bandpass rings; its tail must cover the decay to -120 dB.
        let h = NodeHarness::new(
            "filter.biquad",
            json!({"channels": 1}),
            &[("kind", 2.0), ("freq_hz", 100.0), ("q", 20.0)],
        );
        let (engine, _) = h.engine();
        let tail = engine.report().tail_frames as usize;
        let mut impulse = vec![0.0; 4 * 48_000];
        impulse[0] = 1.0;
        let ir = h.render(&[impulse], &[512]).remove(0);
        let peak = ir.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let after = ir[tail..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(after <= peak * 1e-6 * 1.01, "tail {tail} frames leaves {after} after a peak of {peak}");
        assert!(tail > 1000 && tail < 4 * 48_000, "tail {tail}");
    }

    #[test]
    fn a_frequency_sweep_is_smooth_and_lands_on_target() {
        let h = NodeHarness::new("filter.biquad", json!({"channels": 1}), &[("kind", 0.0), ("freq_hz", 200.0)]);
        let (mut engine, mut ex) = h.engine();
        let x = noise(48_000, 4);
        let first = crate::testing::run(&mut ex, &[x[..4800].to_vec()], &[256]);
        engine.set_param("node.freq_hz", 8000.0).unwrap();
        let rest = crate::testing::run(&mut ex, &[x[4800..].to_vec()], &[256]);
        assert!(first[0].iter().chain(&rest[0]).all(|v| v.is_finite()));
        // After the 20 ms glide the filter is the 8 kHz lowpass: compare with a fresh one.
        let fresh = NodeHarness::new("filter.biquad", json!({"channels": 1}), &[("kind", 0.0), ("freq_hz", 8000.0)]);
        let reference = fresh.render(std::slice::from_ref(&x), &[256]);
        let tail = &rest[0][20_000..];
        let want = &reference[0][24_800..];
        let worst = tail.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "settled sweep differs by {worst}");
    }
}

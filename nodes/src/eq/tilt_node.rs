//! `eq.tilt`: a tilt equaliser pivoting at `pivot_hz`.
//!
//! Two RBJ-cookbook shelves (Robert Bristow-Johnson, "Cookbook formulae for
//! audio EQ biquad filter coefficients", <https://www.w3.org/TR/audio-eq-cookbook/>)
//! share the corner `pivot_hz`, both with shelf slope S = 1 (Q = 1/√2, the
//! steepest shelf without overshoot): a low shelf of −`tilt_db`/2 and a high
//! shelf of +`tilt_db`/2. Each cookbook shelf has exactly half its dB gain at
//! its corner (the bilinear transform is pre-warped to land `pivot_hz`
//! exactly), so the two cancel there and the pivot stays at 0 dB, while far
//! below and above the response approaches −tilt/2 and +tilt/2 dB.
//!
//! While a parameter glides, coefficients are recomputed every
//! [`super::biquad_node::COEF_UPDATE_FRAMES`] frames, never once settled.

use super::biquad::{BiquadCoefs, BiquadState, FilterKind};
use super::biquad_node::COEF_UPDATE_FRAMES;
use crate::common::channels_only;
use mixgraph_graph::{
    ConfigField, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext,
    Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

const TILT: usize = 0;
const PIVOT: usize = 1;

/// Shelf Q: the cookbook's S = 1 expressed as Q.
const SHELF_Q: f64 = std::f64::consts::FRAC_1_SQRT_2;

const TILT_SMOOTHING: Smoothing = Smoothing::Exponential { ms: 20.0 };
const PIVOT_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };

/// A tilt EQ on every channel.
pub struct TiltEqNode {
    channels: usize,
}

impl TiltEqNode {
    /// A tilt EQ with `channels` channels.
    pub fn new(channels: usize) -> Self {
        TiltEqNode { channels }
    }
}

/// The (low shelf, high shelf) pair for `tilt_db` around `pivot_hz`.
fn design(tilt_db: f32, pivot_hz: f32, sample_rate: f64) -> (BiquadCoefs, BiquadCoefs) {
    let half = f64::from(tilt_db) * 0.5;
    let pivot = f64::from(pivot_hz);
    (
        BiquadCoefs::design(FilterKind::LowShelf, sample_rate, pivot, SHELF_Q, -half),
        BiquadCoefs::design(FilterKind::HighShelf, sample_rate, pivot, SHELF_Q, half),
    )
}

fn product(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

struct TiltEqProcessor {
    tilt: Smoother,
    pivot: Smoother,
    low: BiquadCoefs,
    high: BiquadCoefs,
    /// (low, high) state per channel.
    states: Vec<(BiquadState, BiquadState)>,
    sample_rate: f64,
}

impl TiltEqProcessor {
    fn redesign(&mut self) {
        (self.low, self.high) = design(self.tilt.value(), self.pivot.value(), self.sample_rate);
    }

    fn run(&mut self, outputs: &mut [&mut [f32]], start: usize, end: usize) {
        for ((low, high), output) in self.states.iter_mut().zip(outputs.iter_mut()) {
            if let Some(block) = output.get_mut(start..end) {
                low.process_block(&self.low, block);
                high.process_block(&self.high, block);
            }
        }
    }
}

impl Node for TiltEqNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("eq.tilt")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("tilt_db", "Tilt", -12.0, 12.0, 0.0, ParamUnit::Db).smoothing(TILT_SMOOTHING))
            .param(
                ParamDesc::float("pivot_hz", "Pivot", 100.0, 10_000.0, 1000.0, ParamUnit::Hz)
                    .log_taper()
                    .smoothing(PIVOT_SMOOTHING),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sr = ctx.stream.sample_rate;
        let (tilt, pivot) =
            (ctx.params.get(TILT).copied().unwrap_or(0.0), ctx.params.get(PIVOT).copied().unwrap_or(1e3));
        let mut processor = TiltEqProcessor {
            tilt: Smoother::new(TILT_SMOOTHING, sr, tilt),
            pivot: Smoother::new(PIVOT_SMOOTHING, sr, pivot),
            low: BiquadCoefs::identity(),
            high: BiquadCoefs::identity(),
            states: vec![(BiquadState::default(), BiquadState::default()); self.channels],
            sample_rate: sr,
        };
        processor.redesign();
        // Shelves at ≥ 100 Hz with Q = 0.707 decay by 120 dB well within 0.1 s.
        Ok(Prepared::new(processor).tail((sr * 0.1) as u32))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels })
    }

    fn response(&self, params: &[f32], sample_rate: f64, hz: f64) -> Option<(f64, f64)> {
        let (tilt, pivot) = (params.get(TILT).copied()?, params.get(PIVOT).copied()?);
        let (low, high) = design(tilt, pivot, sample_rate);
        Some(product(low.response(sample_rate, hz), high.response(sample_rate, hz)))
    }
}

impl Processor for TiltEqProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            match e.index.0 as usize {
                TILT => self.tilt.set_target(e.value),
                _ => self.pivot.set_target(e.value),
            }
            changed = true;
        }
        let frames = info.frames;
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            for (o, i) in output.iter_mut().zip(input.iter()) {
                // Non-finite input must not latch the recursive state.
                *o = if i.is_finite() { *i } else { 0.0 };
            }
        }
        if self.tilt.is_settled() && self.pivot.is_settled() {
            if changed {
                self.redesign();
            }
            self.run(io.outputs, 0, frames);
            return ProcessStatus::Modified;
        }
        let mut start = 0;
        while start < frames {
            let n = COEF_UPDATE_FRAMES.min(frames - start);
            self.tilt.next_step(n as u32);
            self.pivot.next_step(n as u32);
            self.redesign();
            self.run(io.outputs, start, start + n);
            start += n;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.tilt.jump_to(self.tilt.target());
        self.pivot.jump_to(self.pivot.target());
        self.redesign();
        for (low, high) in &mut self.states {
            low.reset();
            high.reset();
        }
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "channels", description: "channel count, 1 to 64", default: "2" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "eq.tilt",
        family: "eq",
        description: "tilt EQ: opposite RBJ low and high shelves (S = 1) around a pivot",
        config: CONFIG,
        factory: |c| Ok(Box::new(TiltEqNode::new(channels_only(c, 2)?))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, SR, noise};
    use serde_json::json;

    fn dft_db(x: &[f32], hz: f64) -> f64 {
        let w = std::f64::consts::TAU * hz / SR;
        let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, v)| {
            (re + *v as f64 * (w * n as f64).cos(), im - *v as f64 * (w * n as f64).sin())
        });
        10.0 * (re * re + im * im).log10()
    }

    #[test]
    fn tilt_reaches_half_gain_at_the_extremes_and_zero_at_the_pivot() {
        for pivot in [1000.0f32, 300.0, 3000.0] {
            for tilt in [-12.0f32, -6.0, 6.0, 12.0] {
                let h = NodeHarness::new("eq.tilt", json!({"channels": 1}), &[("tilt_db", tilt), ("pivot_hz", pivot)]);
                let mut impulse = vec![0.0; 48_000];
                impulse[0] = 1.0;
                let ir = h.render(&[impulse], &[512]).remove(0);
                let (lo, mid, hi) = (dft_db(&ir, 20.0), dft_db(&ir, pivot as f64), dft_db(&ir, 20_000.0));
                let half = tilt as f64 / 2.0;
                assert!((lo + half).abs() <= 0.5, "pivot {pivot} tilt {tilt}: 20 Hz {lo:.3} dB");
                assert!((hi - half).abs() <= 0.5, "pivot {pivot} tilt {tilt}: 20 kHz {hi:.3} dB");
                assert!(mid.abs() <= 0.1, "pivot {pivot} tilt {tilt}: pivot {mid:.4} dB");
                let node = crate::registry().create("eq.tilt", &json!({"channels": 1})).unwrap();
                for hz in [20.0, 200.0, pivot as f64, 5000.0, 20_000.0] {
                    let (re, im) = node.response(&[tilt, pivot], SR, hz).unwrap();
                    let expected = 10.0 * (re * re + im * im).log10();
                    assert!((dft_db(&ir, hz) - expected).abs() < 0.01, "response at {hz} Hz");
                }
                if pivot == 1000.0 {
                    eprintln!("tilt {tilt:+}: 20 Hz {lo:+.3} dB, pivot {mid:+.5} dB, 20 kHz {hi:+.3} dB");
                }
            }
        }
    }

    #[test]
    fn tilt_invariants_and_non_finite_input() {
        let h = NodeHarness::new("eq.tilt", json!({"channels": 2}), &[("tilt_db", 9.0), ("pivot_hz", 700.0)]);
        h.check_invariants(&[noise(4800, 1), noise(4800, 2)]);
        let mut x = noise(2000, 3);
        x[10] = f32::NAN;
        x[11] = f32::INFINITY;
        let out = NodeHarness::new("eq.tilt", json!({"channels": 1}), &[("tilt_db", 9.0)]).render(&[x], &[256]);
        assert!(out[0].iter().all(|v| v.is_finite()));
    }

    #[test]
    fn tilt_glide_stays_finite_and_lands() {
        let h = NodeHarness::new("eq.tilt", json!({"channels": 1}), &[("tilt_db", -12.0)]);
        let (mut engine, mut ex) = h.engine();
        let x = noise(24_000, 5);
        crate::testing::run(&mut ex, &[x[..4800].to_vec()], &[256]);
        engine.set_param("node.tilt_db", 12.0).unwrap();
        engine.set_param("node.pivot_hz", 5000.0).unwrap();
        let rest = crate::testing::run(&mut ex, &[x[4800..].to_vec()], &[256]);
        assert!(rest[0].iter().all(|v| v.is_finite()));
    }
}

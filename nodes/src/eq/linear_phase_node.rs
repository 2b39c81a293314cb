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
//! * `band{i}_placement` is accepted but ignored: every band applies to every
//!   channel (stereo placement). Mid/side is not implemented here.
//! * CPU cost is bursty: the convolution runs once per `N` frames, in the
//!   host block that completes an internal block.

use super::linear_phase::LinearPhaseFir;
use super::parametric::{BandDesign, BandSettings, BandType, Slope};
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

/// Parameter indices of one band: on, type, freq, gain, q, slope.
type BandIndices = [usize; 6];

fn param(params: &[f32], index: usize) -> f32 {
    params.get(index).copied().unwrap_or(0.0)
}

fn indices(info: &NodeInfo) -> Result<([BandIndices; BANDS], usize), NodeError> {
    let find = |id: String| info.param_index(&id).map(|i| i.0 as usize).ok_or_else(|| NodeError::msg(id));
    let mut bands = [[0; 6]; BANDS];
    for (b, idx) in bands.iter_mut().enumerate() {
        let i = b + 1;
        for (slot, name) in idx.iter_mut().zip(["on", "type", "freq_hz", "gain_db", "q", "slope"]) {
            *slot = find(format!("band{i}_{name}"))?;
        }
    }
    Ok((bands, find("output_gain_db".to_string())?))
}

struct LinearPhaseEqProcessor {
    fir: LinearPhaseFir,
    params: Vec<f32>,
    bands: [BandIndices; BANDS],
    output_gain: usize,
    sample_rate: f64,
    stale: bool,
}

impl LinearPhaseEqProcessor {
    /// Samples the minimum-phase design's magnitude on the FIR grid and
    /// rebuilds the FIR. No allocation.
    fn redesign(&mut self, crossfade: bool) {
        let sr = self.sample_rate;
        let mut designs = [BandDesign::default(); BANDS];
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
                designs[active] = BandDesign::design(&settings, sr);
                active += 1;
            }
        }
        let gain = 10f64.powf(f64::from(param(&self.params, self.output_gain)) / 20.0);
        let n = self.fir.len();
        let mags = self.fir.magnitudes_mut();
        for (k, m) in mags.iter_mut().enumerate() {
            let hz = k as f64 * sr / n as f64;
            let mag = designs[..active].iter().fold(gain, |acc, d| {
                let (re, im) = d.response(sr, hz);
                acc * re.hypot(im)
            });
            *m = mag as f32;
        }
        self.fir.rebuild(crossfade);
        self.stale = false;
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
        let mut processor = LinearPhaseEqProcessor {
            fir: LinearPhaseFir::new(self.fir_length, self.channels),
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
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            if let Some(p) = self.params.get_mut(e.index.0 as usize)
                && *p != e.value
            {
                *p = e.value;
                self.stale = true;
            }
        }
        let frames = info.frames;
        let channels = io.outputs.len();
        let mut pos = 0;
        while pos < frames {
            let len = self.fir.remaining().min(frames - pos);
            for ch in 0..channels {
                let input = io.inputs.get(ch).and_then(|c| c.get(pos..pos + len));
                let Some(output) = io.outputs.get_mut(ch).and_then(|c| c.get_mut(pos..pos + len)) else { continue };
                match input {
                    Some(input) => self.fir.exchange(ch, input, output),
                    None => output.fill(0.0),
                }
            }
            if self.fir.remaining() == len && self.stale {
                // The block completes now: convolve it with the new design.
                self.redesign(true);
            }
            self.fir.advance(len);
            pos += len;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.fir.reset();
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
mod tests {
    use crate::testing::{MAX_BLOCK, NodeHarness, SR, noise};
    use serde_json::json;

    const BELL: &[(&str, f32)] =
        &[("band1_on", 1.0), ("band1_type", 0.0), ("band1_freq_hz", 1000.0), ("band1_gain_db", 6.0), ("band1_q", 1.0)];
    const BELL_SHELF: &[(&str, f32)] = &[
        ("band1_on", 1.0),
        ("band1_type", 0.0),
        ("band1_freq_hz", 1000.0),
        ("band1_gain_db", 6.0),
        ("band1_q", 1.0),
        ("band2_on", 1.0),
        ("band2_type", 1.0),
        ("band2_freq_hz", 200.0),
        ("band2_gain_db", 4.0),
        ("band2_q", std::f32::consts::FRAC_1_SQRT_2),
    ];

    fn harness(fir: usize, params: &[(&str, f32)]) -> NodeHarness {
        NodeHarness::new("eq.linear_phase", json!({ "channels": 1, "fir_length": fir }), params)
    }

    fn impulse_response(h: &NodeHarness, frames: usize, blocks: &[usize]) -> Vec<f32> {
        let mut x = vec![0.0f32; frames];
        x[0] = 1.0;
        h.render(&[x], blocks).remove(0)
    }

    fn peak_index(y: &[f32]) -> usize {
        y.iter().enumerate().fold((0, 0.0f32), |a, (i, v)| if v.abs() > a.1 { (i, v.abs()) } else { a }).0
    }

    #[test]
    fn linear_phase_impulse_response_is_symmetric_about_latency() {
        for fir in [1024, 8192] {
            let h = harness(fir, BELL_SHELF);
            let latency = h.engine().0.report().latency_frames as usize;
            assert_eq!(latency, fir * 3 / 2);
            let y = impulse_response(&h, 3 * fir, &[MAX_BLOCK]);
            let peak = y[latency].abs();
            let asym = (1..fir / 2).map(|k| (y[latency + k] - y[latency - k]).abs()).fold(0.0f32, f32::max) / peak;
            println!("fir {fir}: latency {latency}, peak {peak}, max asymmetry {asym:.2e} of peak");
            assert!(asym < 1e-5);
            assert_eq!(peak_index(&y), latency);
        }
    }

    #[test]
    fn linear_phase_magnitude_matches_parametric() {
        let registry = crate::registry();
        let reference = registry.create("eq.parametric", &json!({ "channels": 1 })).unwrap();
        for (name, params) in [
            ("bell +6 dB 1 kHz Q1", BELL),
            ("low shelf +4 dB 200 Hz", &BELL_SHELF[5..]),
            ("bell + low shelf", BELL_SHELF),
        ] {
            let h = harness(8192, params);
            let (engine, _) = h.engine();
            let latency = engine.report().latency_frames as usize;
            let y = impulse_response(&h, 4 * 8192, &[MAX_BLOCK]);
            let info = reference.info();
            let mut values: Vec<f32> = info.params.iter().map(|p| p.default).collect();
            for (id, v) in params {
                values[info.param_index(id).unwrap().0 as usize] = *v;
            }
            let measured_db = |hz: f64| {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (n, v) in y.iter().enumerate() {
                    let ph = -std::f64::consts::TAU * hz * (n as f64 - latency as f64) / SR;
                    re += f64::from(*v) * ph.cos();
                    im += f64::from(*v) * ph.sin();
                }
                20.0 * re.hypot(im).log10()
            };
            let want_db = |hz: f64| {
                let (re, im) = reference.response(&values, SR, hz).unwrap();
                20.0 * re.hypot(im).log10()
            };
            for hz in [100.0, 1000.0, 5000.0] {
                let err = measured_db(hz) - want_db(hz);
                println!("{name}: {hz} Hz: want {:.3} dB, error {err:+.4} dB", want_db(hz));
                assert!(err.abs() < 0.1);
            }
            let mut worst = (0.0f64, 0.0f64);
            let mut hz = 50.0;
            while hz <= 20_000.0 {
                let err = (measured_db(hz) - want_db(hz)).abs();
                if err > worst.0 {
                    worst = (err, hz);
                }
                hz *= 2f64.powf(1.0 / 12.0);
            }
            println!("{name}: worst error 50 Hz-20 kHz (1/12 oct) {:.4} dB at {:.0} Hz", worst.0, worst.1);
            assert!(worst.0 < 0.1);
        }
    }

    #[test]
    fn linear_phase_steep_cut_error_away_from_the_corner() {
        // 48 dB/oct low cut at 100 Hz plus the bell; error is reported from
        // 200 Hz up (one octave above the corner excluded) and, for
        // information, near the corner.
        let mut params = BELL.to_vec();
        params.extend_from_slice(&[
            ("band2_on", 1.0),
            ("band2_type", 3.0),
            ("band2_freq_hz", 100.0),
            ("band2_slope", 3.0),
        ]);
        let registry = crate::registry();
        let reference = registry.create("eq.parametric", &json!({ "channels": 1 })).unwrap();
        let info = reference.info();
        let mut values: Vec<f32> = info.params.iter().map(|p| p.default).collect();
        for (id, v) in &params {
            values[info.param_index(id).unwrap().0 as usize] = *v;
        }
        let h = harness(8192, &params);
        let latency = h.engine().0.report().latency_frames as usize;
        let y = impulse_response(&h, 4 * 8192, &[MAX_BLOCK]);
        let err_db = |hz: f64| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (n, v) in y.iter().enumerate() {
                let ph = -std::f64::consts::TAU * hz * (n as f64 - latency as f64) / SR;
                re += f64::from(*v) * ph.cos();
                im += f64::from(*v) * ph.sin();
            }
            let (wr, wi) = reference.response(&values, SR, hz).unwrap();
            20.0 * re.hypot(im).log10() - 20.0 * wr.hypot(wi).log10()
        };
        let (mut far, mut near) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
        let mut hz = 50.0;
        while hz <= 20_000.0 {
            let e = err_db(hz).abs();
            let slot = if hz >= 200.0 { &mut far } else { &mut near };
            if e > slot.0 {
                *slot = (e, hz);
            }
            hz *= 2f64.powf(1.0 / 12.0);
        }
        println!("48 dB/oct cut at 100 Hz: worst error 200 Hz-20 kHz {:.4} dB at {:.0} Hz", far.0, far.1);
        println!("48 dB/oct cut at 100 Hz: worst error 50-200 Hz {:.3} dB at {:.0} Hz", near.0, near.1);
        assert!(far.0 < 0.1);
    }

    #[test]
    fn linear_phase_latency_is_measured_delay_at_any_block_size() {
        let h = harness(1024, BELL);
        let latency = h.engine().0.report().latency_frames as usize;
        for blocks in [1, 64, 512] {
            let y = impulse_response(&h, 4096, &[blocks]);
            let peak = peak_index(&y);
            println!("block {blocks}: declared {latency}, measured peak {peak}");
            assert_eq!(peak, latency);
        }
    }

    #[test]
    fn linear_phase_is_block_size_invariant_and_clean() {
        let h = NodeHarness::new("eq.linear_phase", json!({ "channels": 2, "fir_length": 1024 }), BELL_SHELF);
        let input = vec![noise(6000, 3), noise(6000, 9)];
        let reference = h.render(&input, &[512]);
        let mut worst = 0.0f32;
        for blocks in [&[1][..], &[7, 64, 3, 300]] {
            let out = h.render(&input, blocks);
            for (a, b) in out.iter().zip(&reference) {
                worst = worst.max(a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max));
            }
        }
        println!("block-size invariance: worst difference {worst:.2e}");
        assert!(worst < 1e-5);
        // Reset determinism.
        let (_engine, mut ex) = h.engine();
        let first = crate::testing::run(&mut ex, &input, &[MAX_BLOCK]);
        ex.reset();
        assert_eq!(crate::testing::run(&mut ex, &input, &[MAX_BLOCK]), first);
        // Hygiene: silence, subnormal, NaN / infinity.
        let n = 6000;
        let silent = h.render(&[vec![0.0; n], vec![0.0; n]], &[MAX_BLOCK]);
        assert!(silent.iter().flatten().all(|v| *v == 0.0));
        let tiny = h.render(&[vec![1e-39; n], vec![1e-39; n]], &[MAX_BLOCK]);
        assert!(tiny.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()));
        let mut poisoned = noise(n, 77);
        poisoned[100] = f32::NAN;
        poisoned[200] = f32::INFINITY;
        let out = h.render(&[poisoned.clone(), poisoned], &[MAX_BLOCK]);
        assert!(out.iter().flatten().all(|v| v.is_finite() && !v.is_subnormal()));
    }

    #[test]
    fn linear_phase_param_change_crossfades_without_blowing_up() {
        let h = harness(1024, BELL);
        let (mut engine, mut ex) = h.engine();
        let input = vec![crate::testing::sine(1000.0, 0.5, 8192)];
        let a = crate::testing::run(&mut ex, &input, &[256]);
        engine.set_param("node.band1_gain_db", -6.0).unwrap();
        let b = crate::testing::run(&mut ex, &input, &[256]);
        let peak_a = a[0][4096..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let peak_b = b[0][4096..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        println!("1 kHz sine peak: +6 dB {peak_a:.3}, after change to -6 dB {peak_b:.3}");
        assert!((peak_a / peak_b - 3.98).abs() < 0.1);
    }
}

//! `meter.spectrum`: log-band magnitude spectrum of the signal passing through,
//! published as telemetry (`<node>.spectrum`). The math lives in
//! [`super::spectrum`].

use super::loudness_node::{period_frames, rate_param};
use super::spectrum::{SpectrumAnalyzer, Window};
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamIndex, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus,
    Processor, Smoothing,
};

const RATE: u16 = 0;
const WINDOW: u16 = 1;
const BANDS_PER_OCTAVE: u16 = 2;
const SLOPE: u16 = 3;
const AVERAGING: u16 = 4;

/// Passes audio through and publishes its spectrum on log-spaced bands.
///
/// Channels are power-averaged (one FFT per channel), so a sine on every
/// channel reads the same as on one. Once per frame period (`rate_hz`) it
/// analyses the latest `fft_size` samples; see [`super::spectrum`] for the
/// calibration (full-scale sine = 0 dBFS in its band).
pub struct SpectrumNode {
    channels: usize,
    fft_size: usize,
}

impl SpectrumNode {
    /// A spectrum meter with `channels` channels (1..=8) and an FFT of
    /// `fft_size` samples (power of two, 256..=32768).
    pub fn new(channels: usize, fft_size: usize) -> Self {
        SpectrumNode { channels, fft_size }
    }
}

struct SpectrumProcessor {
    analyzer: SpectrumAnalyzer,
    writer: MeterWriter,
    rings: Vec<Vec<f32>>,
    /// Next write position in every ring (= the oldest sample once full).
    pos: usize,
    count: u64,
    period: u64,
    sample_rate: f64,
    slope_db_per_octave: f32,
    averaging: f32,
}

impl Node for SpectrumNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("meter.spectrum")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(rate_param())
            .param(ParamDesc::choice("window", "Window", &Window::NAMES, 0))
            .param(
                ParamDesc::float("bands_per_octave", "Bands per octave", 1.0, 24.0, 6.0, ParamUnit::None).structural(),
            )
            .param(
                ParamDesc::float("slope_db_per_octave", "Display slope (dB/oct)", 0.0, 6.0, 0.0, ParamUnit::Db)
                    .smoothing(Smoothing::None),
            )
            .param(
                ParamDesc::float("averaging", "Averaging", 0.0, 0.99, 0.0, ParamUnit::Fraction)
                    .smoothing(Smoothing::None),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sample_rate = ctx.stream.sample_rate;
        let bands_per_octave = ctx.param(ParamIndex(BANDS_PER_OCTAVE)).round().clamp(1.0, 24.0) as u32;
        let window = Window::from_index(ctx.param(ParamIndex(WINDOW)));
        let analyzer = SpectrumAnalyzer::new(sample_rate, self.fft_size, bands_per_octave, window);
        let band_hz: Vec<f32> = analyzer.bands().iter().map(|b| b.centre_hz).collect();
        let magnitude_db = vec![f32::NEG_INFINITY; band_hz.len()];
        let writer = ctx.meter("spectrum", MeterFrame::new(MeterData::Spectrum { band_hz, magnitude_db }));
        Ok(Prepared::new(SpectrumProcessor {
            analyzer,
            writer,
            rings: vec![vec![0.0; self.fft_size]; self.channels],
            pos: 0,
            count: 0,
            period: period_frames(sample_rate, ctx.param(ParamIndex(RATE))),
            sample_rate,
            slope_db_per_octave: ctx.param(ParamIndex(SLOPE)),
            averaging: ctx.param(ParamIndex(AVERAGING)),
        }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels, "fft_size": self.fft_size })
    }
}

impl Processor for SpectrumProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            match e.index.0 {
                RATE => self.period = period_frames(self.sample_rate, e.value),
                WINDOW => self.analyzer.set_window(Window::from_index(e.value)),
                SLOPE => self.slope_db_per_octave = e.value,
                AVERAGING => self.averaging = e.value,
                _ => {}
            }
        }
        let size = self.rings.first().map_or(1, Vec::len);
        let mut status = ProcessStatus::Modified;
        let mut start = 0;
        while start < info.frames {
            // Publish exactly once per period whatever the block size, and never
            // write past the ring's end in one copy.
            let due = self.period.saturating_sub(self.count).max(1) as usize;
            let n = due.min(info.frames - start).min(size - self.pos);
            for (ring, input) in self.rings.iter_mut().zip(io.inputs.iter()) {
                if let (Some(dst), Some(src)) = (ring.get_mut(self.pos..self.pos + n), input.get(start..start + n)) {
                    // One non-finite sample would turn every band NaN until reset.
                    for (y, x) in dst.iter_mut().zip(src) {
                        *y = if x.is_finite() { *x } else { 0.0 };
                    }
                }
            }
            self.pos = (self.pos + n) % size;
            self.count += n as u64;
            start += n;
            if self.count >= self.period {
                self.count = 0;
                if self.analyzer.analyze(&self.rings, self.pos, self.averaging).is_err() {
                    status = ProcessStatus::Error("spectrum: fft buffer size mismatch");
                    continue;
                }
                let (analyzer, slope) = (&self.analyzer, self.slope_db_per_octave);
                self.writer.publish(info.frame_position + start as u64, |data| {
                    if let MeterData::Spectrum { magnitude_db, .. } = data {
                        analyzer.write_db(slope, magnitude_db);
                    }
                });
            }
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
        status
    }

    fn reset(&mut self) {
        for ring in &mut self.rings {
            ring.fill(0.0);
        }
        self.pos = 0;
        self.count = 0;
        self.analyzer.reset();
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "channel count, 1 to 8", default: "2" },
    ConfigField { name: "fft_size", description: "FFT length, a power of two from 256 to 32768", default: "4096" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "meter.spectrum",
        family: "metering",
        description: "Log-band magnitude spectrum (windowed FFT) as telemetry",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 8)?;
            let fft_size = r.usize("fft_size", 4096, 256, 32768)?;
            r.finish()?;
            if !fft_size.is_power_of_two() {
                return Err(NodeError::msg(format!("config.fft_size: {fft_size} is not a power of two")));
            }
            Ok(Box::new(SpectrumNode::new(channels, fft_size)))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::spectrum::band_layout;
    use crate::testing::{NodeHarness, SR, noise, sine};
    use mixgraph_graph::MeterData;
    use serde_json::json;

    fn spectrum(h: &NodeHarness, input: &[Vec<f32>], blocks: &[usize]) -> (u64, Vec<f32>, Vec<f32>) {
        let (engine, mut ex) = h.engine();
        let out = crate::testing::run(&mut ex, input, blocks);
        assert_eq!(out, input, "audio passes through untouched");
        let frame = engine.telemetry().latest("node.spectrum").expect("published");
        let MeterData::Spectrum { band_hz, magnitude_db } = frame.data else { panic!("kind") };
        (frame.seq, band_hz, magnitude_db)
    }

    #[test]
    fn full_scale_sine_reads_0_db_in_its_band_for_every_window() {
        let x = sine(1000.0, 1.0, 24_000);
        for (window, name) in [(0.0, "hann"), (1.0, "blackman_harris"), (2.0, "flat_top")] {
            let h = NodeHarness::new("meter.spectrum", json!({"channels": 2}), &[("window", window)]);
            let (seq, band_hz, db) = spectrum(&h, &[x.clone(), x.clone()], &[512]);
            assert_eq!(seq, 15, "30 frames per second");
            assert_eq!(band_hz.len(), 59);
            let k = band_hz.iter().position(|f| *f == 1000.0).expect("1 kHz band");
            let four_k = band_hz.iter().position(|f| *f == 4000.0).expect("4 kHz band");
            println!("{name}: 1 kHz band {:.3} dB, 4 kHz band {:.1} dB", db[k], db[four_k]);
            assert!(db[k].abs() <= 0.5, "{name}: {} dB", db[k]);
            if name == "blackman_harris" {
                assert!(db[k] - db[four_k] >= 60.0, "{name}: two octaves up only {} dB lower", db[k] - db[four_k]);
            }
        }
    }

    #[test]
    fn slope_tilts_around_1_khz() {
        let x = sine(2000.0, 0.5, 9600);
        let flat = NodeHarness::new("meter.spectrum", json!({"channels": 1}), &[("window", 2.0)]);
        let tilted = NodeHarness::new(
            "meter.spectrum",
            json!({"channels": 1}),
            &[("window", 2.0), ("slope_db_per_octave", 4.5)],
        );
        let (_, hz, a) = spectrum(&flat, std::slice::from_ref(&x), &[512]);
        let (_, _, b) = spectrum(&tilted, std::slice::from_ref(&x), &[512]);
        let k = hz.iter().position(|f| *f == 2000.0).unwrap();
        assert!((a[k] + 6.0206).abs() < 0.5, "half-scale sine {}", a[k]);
        assert!((b[k] - a[k] - 4.5).abs() < 1e-3);
    }

    /// Bands integrate power and are not normalised by bandwidth, so white noise
    /// rises with band width; divided by each band's bin count it is flat.
    #[test]
    fn white_noise_is_flat_per_bin_above_100_hz() {
        let fft_size = 16384;
        let config = json!({"channels": 2, "fft_size": fft_size});
        let h = NodeHarness::new("meter.spectrum", config, &[("averaging", 0.99), ("window", 1.0)]);
        let frames = 20 * SR as usize;
        let (_, band_hz, db) = spectrum(&h, &[noise(frames, 7), noise(frames, 8)], &[512]);
        let layout = band_layout(SR, fft_size, 6);
        let per_bin: Vec<f32> = layout
            .iter()
            .zip(&db)
            .filter(|(b, _)| b.centre_hz > 100.0)
            .map(|(b, d)| d - 10.0 * ((b.hi_bin - b.lo_bin) as f32).log10())
            .collect();
        let mean = per_bin.iter().sum::<f32>() / per_bin.len() as f32;
        let worst = per_bin.iter().map(|d| (d - mean).abs()).fold(0.0, f32::max);
        println!("white noise: {} bands, per-bin level {mean:.2} dB, worst deviation {worst:.2} dB", per_bin.len());
        assert!(worst <= 1.5, "worst deviation {worst} dB");
        // Integrated bands: an octave up holds twice the bins, ≈ +3 dB.
        let at = |hz: f32| db[band_hz.iter().position(|f| *f == hz).unwrap()];
        println!("1 kHz → 2 kHz band: {:+.2} dB", at(2000.0) - at(1000.0));
        assert!((at(2000.0) - at(1000.0) - 3.0).abs() < 1.0);
    }

    #[test]
    fn invariants_and_block_size_independent_frames() {
        let h = NodeHarness::new("meter.spectrum", json!({"channels": 2, "fft_size": 1024}), &[("averaging", 0.5)]);
        let input = [noise(9600, 1), noise(9600, 2)];
        h.check_invariants(&input);
        let reference = spectrum(&h, &input, &[512]);
        for blocks in [&[1][..], &[7, 64, 3, 300, 512, 1]] {
            let other = spectrum(&h, &input, blocks);
            assert_eq!(other.0, reference.0);
            let worst = other.2.iter().zip(&reference.2).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-3, "blocks {blocks:?}: {worst} dB");
        }
    }

    #[test]
    fn live_window_and_structural_band_changes() {
        let h = NodeHarness::new("meter.spectrum", json!({"channels": 1}), &[]);
        let (mut engine, mut ex) = h.engine();
        let x = sine(1000.0, 1.0, 9600);
        crate::testing::run(&mut ex, std::slice::from_ref(&x), &[256]);
        engine.set_param("node.window", 1.0).unwrap();
        engine.set_param("node.bands_per_octave", 3.0).unwrap();
        crate::testing::run(&mut ex, std::slice::from_ref(&x), &[256]);
        engine.collect_garbage();
        let frame = engine.telemetry().latest("node.spectrum").expect("published");
        let MeterData::Spectrum { band_hz, magnitude_db } = frame.data else { panic!("kind") };
        assert_eq!((band_hz.len(), magnitude_db.len()), (29, 29), "3 bands per octave");
        let k = band_hz.iter().position(|f| *f == 1000.0).unwrap();
        assert!(magnitude_db[k].abs() <= 0.5, "{}", magnitude_db[k]);
    }

    #[test]
    fn rejects_bad_config() {
        let registry = crate::registry();
        assert!(registry.create("meter.spectrum", &json!({"fft_size": 1000})).is_err());
        assert!(registry.create("meter.spectrum", &json!({"channels": 9})).is_err());
    }
}

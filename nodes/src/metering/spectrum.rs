//! Spectrum analysis kernel: windowed real FFT of the latest `fft_size` samples,
//! power-averaged over channels and integrated into log-spaced bands.
//!
//! Calibration: a bin's power is scaled so that a full-scale sine reads 0 dBFS.
//! `|X[k]|²` is multiplied by `4 / (N · Σw²)`, which is the window's coherent
//! gain correction `4 / (Σw)²` divided by its equivalent noise bandwidth
//! `ENBW = N · Σw² / (Σw)²` (in bins). Summing those powers over the bins of a
//! band therefore gives the band's total power in "sine amplitude squared"
//! units: a sine whose main lobe lies inside one band reads its true peak level
//! for every window and any offset from the bin centres (Parseval), with no
//! scalloping loss. Bands are *not* normalised by bandwidth, like a
//! fractional-octave real-time analyser: pink noise reads flat, white noise
//! rises 10·log10(2)/octave (≈ 3 dB per octave).
//!
//! Windows are the periodic (DFT-even) forms from F. J. Harris, "On the use of
//! windows for harmonic analysis with the discrete Fourier transform", Proc.
//! IEEE 66(1), 1978 (4-term Blackman-Harris, −92 dB side lobes); the flat top is
//! the 5-term SRS/`flattopwin` window (G. Heinzel, A. Rüdiger, R. Schilling,
//! "Spectrum and spectral density estimation by the DFT", 2002, §C).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Analysis window applied before the FFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Hann: −31 dB side lobes, main lobe ±2 bins.
    Hann,
    /// 4-term Blackman-Harris: −92 dB side lobes, main lobe ±4 bins.
    BlackmanHarris,
    /// 5-term flat top: amplitude-accurate peaks, main lobe ±5 bins.
    FlatTop,
}

impl Window {
    /// Param variant names, in index order.
    pub const NAMES: [&'static str; 3] = ["hann", "blackman_harris", "flat_top"];

    /// The window for a param value (index into [`Window::NAMES`]); out of range gives Hann.
    pub fn from_index(value: f32) -> Self {
        match value.round() as i32 {
            1 => Window::BlackmanHarris,
            2 => Window::FlatTop,
            _ => Window::Hann,
        }
    }

    fn coefficients(self) -> &'static [f64] {
        match self {
            Window::Hann => &[0.5, 0.5],
            Window::BlackmanHarris => &[0.35875, 0.48829, 0.14128, 0.01168],
            Window::FlatTop => &[0.215_578_95, 0.416_631_58, 0.277_263_158, 0.083_578_947, 0.006_947_368],
        }
    }

    /// Fills `w` with the periodic window of length `w.len()`. Never allocates.
    pub fn fill(self, w: &mut [f32]) {
        let n = w.len() as f64;
        for (i, v) in w.iter_mut().enumerate() {
            let x = std::f64::consts::TAU * i as f64 / n;
            let mut sum = 0.0;
            for (k, a) in self.coefficients().iter().enumerate() {
                let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                sum += sign * a * (k as f64 * x).cos();
            }
            *v = sum as f32;
        }
    }
}

/// One analysis band: its nominal centre and the FFT bins it integrates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// Centre frequency, Hz (1 kHz · 2^(k / bands_per_octave)).
    pub centre_hz: f32,
    /// First bin (inclusive).
    pub lo_bin: usize,
    /// Last bin (exclusive); always `> lo_bin`.
    pub hi_bin: usize,
}

/// Log-spaced bands with centres `1000 · 2^(k/b)` Hz from 20 Hz up to
/// min(20 kHz, Nyquist), edges half a band either side. A band owns the bins
/// whose centres fall between its edges (rounded, so neighbours share no bin);
/// a band narrower than a bin reads the single bin nearest its centre.
/// Control thread (allocates).
pub fn band_layout(sample_rate: f64, fft_size: usize, bands_per_octave: u32) -> Vec<Band> {
    let b = bands_per_octave.max(1) as f64;
    let bin_hz = sample_rate / fft_size as f64;
    let last_bin = fft_size / 2;
    let top_hz = (sample_rate / 2.0).min(20_000.0);
    let first = (b * (20.0f64 / 1000.0).log2()).ceil() as i32;
    let last = (b * (top_hz / 1000.0).log2()).floor() as i32;
    let half = 2f64.powf(0.5 / b);
    (first..=last)
        .map(|k| {
            let centre = 1000.0 * 2f64.powf(k as f64 / b);
            let lo = ((centre / half / bin_hz).round() as usize).clamp(1, last_bin);
            let hi = ((centre * half / bin_hz).round() as usize).clamp(1, last_bin);
            let (lo_bin, hi_bin) = if hi > lo {
                (lo, hi)
            } else {
                let nearest = ((centre / bin_hz).round() as usize).clamp(1, last_bin - 1);
                (nearest, nearest + 1)
            };
            Band { centre_hz: centre as f32, lo_bin, hi_bin }
        })
        .collect()
}

/// Windowed-FFT band analyser. Built on the control thread; [`analyze`] runs on
/// the audio thread without allocating (`process_with_scratch` with buffers
/// made here).
///
/// [`analyze`]: SpectrumAnalyzer::analyze
pub struct SpectrumAnalyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    /// Every window with its power scale, built on the control thread, so a
    /// window change on the audio thread is an index switch, not `fft_size`
    /// trigonometric evaluations.
    windows: [(Vec<f32>, f64); 3],
    selected: usize,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    bin_power: Vec<f64>,
    bands: Vec<Band>,
    band_power: Vec<f64>,
    primed: bool,
}

impl SpectrumAnalyzer {
    /// An analyser for `fft_size` (a power of two ≥ 4) samples. Control thread (allocates).
    pub fn new(sample_rate: f64, fft_size: usize, bands_per_octave: u32, window: Window) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_size);
        let bands = band_layout(sample_rate, fft_size, bands_per_octave);
        let mut analyzer = SpectrumAnalyzer {
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            bin_power: vec![0.0; fft_size / 2 + 1],
            band_power: vec![0.0; bands.len()],
            windows: [Window::Hann, Window::BlackmanHarris, Window::FlatTop].map(|w| {
                let mut table = vec![0.0; fft_size];
                w.fill(&mut table);
                let sum_squares: f64 = table.iter().map(|v| (*v as f64) * (*v as f64)).sum();
                (table, 4.0 / (fft_size as f64 * sum_squares))
            }),
            selected: 0,
            fft,
            bands,
            primed: false,
        };
        analyzer.set_window(window);
        analyzer
    }

    /// The bands, in ascending frequency.
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// Switches the window. Audio thread safe: selects a precomputed table.
    pub fn set_window(&mut self, window: Window) {
        self.selected = match window {
            Window::Hann => 0,
            Window::BlackmanHarris => 1,
            Window::FlatTop => 2,
        };
    }

    /// Forgets the averaged band powers.
    pub fn reset(&mut self) {
        self.band_power.fill(0.0);
        self.primed = false;
    }

    /// Analyses one frame. Each ring holds the latest `fft_size` samples of one
    /// channel with the oldest at `oldest`; powers are averaged over the rings,
    /// integrated per band and smoothed as `p ← a·p + (1 − a)·new` with
    /// `a = averaging` (the first frame after a reset is taken as is).
    /// Audio thread; never allocates.
    ///
    /// # Errors
    /// When a ring's length differs from `fft_size`.
    pub fn analyze(&mut self, rings: &[Vec<f32>], oldest: usize, averaging: f32) -> Result<(), realfft::FftError> {
        self.bin_power.fill(0.0);
        let (window, power_scale) = match self.windows.get(self.selected) {
            Some((table, scale)) => (table.as_slice(), *scale),
            None => return Ok(()),
        };
        let n = window.len();
        for ring in rings {
            if ring.len() != n || oldest >= n {
                return Err(realfft::FftError::InputBuffer(n, ring.len()));
            }
            let (tail, head) = ring.split_at(oldest);
            let samples = head.iter().chain(tail);
            for ((x, w), dst) in samples.zip(window).zip(self.input.iter_mut()) {
                *dst = x * w;
            }
            self.fft.process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)?;
            for (p, c) in self.bin_power.iter_mut().zip(&self.output) {
                *p += c.norm_sqr() as f64;
            }
        }
        let scale = power_scale / rings.len().max(1) as f64;
        let a = if self.primed { averaging.clamp(0.0, 0.999) as f64 } else { 0.0 };
        for (band, smoothed) in self.bands.iter().zip(self.band_power.iter_mut()) {
            let sum: f64 = self.bin_power.get(band.lo_bin..band.hi_bin).map_or(0.0, |b| b.iter().sum());
            *smoothed = a * *smoothed + (1.0 - a) * sum * scale;
        }
        self.primed = true;
        Ok(())
    }

    /// Writes the band levels in dBFS (full-scale sine = 0 dB), tilted by
    /// `slope_db_per_octave` around 1 kHz, into `magnitude_db` (one per band;
    /// `-inf` for zero power). Never allocates.
    pub fn write_db(&self, slope_db_per_octave: f32, magnitude_db: &mut [f32]) {
        for ((band, p), out) in self.bands.iter().zip(&self.band_power).zip(magnitude_db.iter_mut()) {
            *out = if *p > 0.0 {
                (10.0 * p.log10()) as f32 + slope_db_per_octave * (band.centre_hz / 1000.0).log2()
            } else {
                f32::NEG_INFINITY
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_20_hz_to_20_khz_without_sharing_bins() {
        let bands = band_layout(48_000.0, 4096, 6);
        assert_eq!(bands.len(), 59);
        assert!(bands[0].centre_hz >= 20.0 && bands[58].centre_hz <= 20_000.0);
        let khz = bands.iter().find(|b| b.centre_hz == 1000.0).expect("1 kHz band");
        assert_eq!((khz.lo_bin, khz.hi_bin), (81, 90));
        for pair in bands.windows(2).filter(|p| p[0].hi_bin - p[0].lo_bin > 1) {
            assert!(pair[1].lo_bin >= pair[0].hi_bin);
        }
        // Nyquist below 20 kHz caps the top band.
        assert!(band_layout(22_050.0, 1024, 3).last().unwrap().centre_hz <= 11_025.0);
    }

    #[test]
    fn windows_have_their_textbook_coherent_gain() {
        for (w, gain) in [(Window::Hann, 0.5), (Window::BlackmanHarris, 0.35875), (Window::FlatTop, 0.21557895)] {
            let mut v = vec![0.0; 1024];
            w.fill(&mut v);
            let cg = v.iter().sum::<f32>() / 1024.0;
            assert!((cg - gain).abs() < 1e-5, "{w:?} {cg}");
        }
    }
}

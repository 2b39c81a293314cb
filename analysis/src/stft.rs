//! The Hann-windowed short-time Fourier transform that every spectral
//! analysis here starts from (spectral balance, onsets, chroma, masking).

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

/// The power of two nearest `seconds` of audio at `sample_rate`, at least
/// `min`: a frame length.
pub(crate) fn frame_len(sample_rate: f64, seconds: f64, min: usize) -> usize {
    ((sample_rate * seconds).log2().round().exp2() as usize).max(min)
}

/// The periodic Hann window of `len`.
fn hann(len: usize) -> Vec<f32> {
    (0..len).map(|n| (0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / len as f64).cos()) as f32).collect()
}

/// Sum of the squared Hann window of `len` (about `3·len/8`): divides
/// windowed power back to the signal's mean square.
pub(crate) fn hann_power_sum(len: usize) -> f32 {
    hann(len).iter().map(|w| w * w).sum()
}

/// Calls `f` with the spectrum (`len/2 + 1` bins) of each Hann-windowed
/// frame of `x`, starting at 0 and every `hop` frames while a whole frame
/// fits; a signal shorter than one frame is zero-padded to one.
pub(crate) fn for_each_frame(x: &[f32], len: usize, hop: usize, mut f: impl FnMut(&[Complex<f32>])) {
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(len);
    let window = hann(len);
    let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
    let mut start = 0;
    while start + len <= x.len().max(len) {
        for (i, (slot, w)) in input.iter_mut().zip(&window).enumerate() {
            *slot = x.get(start + i).copied().unwrap_or(0.0) * w;
        }
        // Only fails for buffers of the wrong length, which the plan made.
        if fft.process(&mut input, &mut spectrum).is_err() {
            break;
        }
        f(&spectrum);
        start += hop;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cover_the_signal_and_the_window_power_is_three_eighths() {
        let mut count = 0;
        for_each_frame(&[0.0; 1000], 256, 128, |s| {
            assert_eq!(s.len(), 129);
            count += 1;
        });
        assert_eq!(count, 6, "starts 0, 128, ..., 640: each frame whole");
        let mut short = 0;
        for_each_frame(&[1.0; 10], 256, 128, |_| short += 1);
        assert_eq!(short, 1);
        // Σ w² of a periodic Hann window is exactly 3·len/8.
        assert!((f64::from(hann_power_sum(512)) / 192.0 - 1.0).abs() < 1e-6);
        assert_eq!(frame_len(48_000.0, 0.17, 256), 8192);
    }
}

//! Signals the analysis tests synthesise.

/// `amplitude · sin(2π·freq·t)` for `frames` frames at `sample_rate`.
pub fn sine(freq: f64, amplitude: f64, sample_rate: f64, frames: usize) -> Vec<f32> {
    (0..frames).map(|n| (amplitude * (std::f64::consts::TAU * freq * n as f64 / sample_rate).sin()) as f32).collect()
}

/// Uniform white noise in ±`amplitude`, from a fixed seed (a 64-bit LCG).
pub fn white_noise(amplitude: f32, frames: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..frames)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let u = (s >> 40) as f32 / (1u64 << 24) as f32;
            amplitude * (2.0 * u - 1.0)
        })
        .collect()
}

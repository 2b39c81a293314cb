//! Small helpers shared by node families.

use mixgraph_graph::{ConfigReader, NodeError};

/// Decibels to linear amplitude.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db * 0.05)
}

/// Linear amplitude to decibels (`-inf` for 0).
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    20.0 * gain.log10()
}

/// Replaces subnormal and tiny values by zero, so recursive state never slows
/// the CPU down or leaks subnormals into the output.
#[inline]
pub fn flush(x: f32) -> f32 {
    if x.abs() < 1e-30 { 0.0 } else { x }
}

/// Milliseconds to whole frames at `sample_rate`: `round(ms · sr / 1000)`,
/// never negative (lookahead and latency lengths).
#[inline]
pub fn ms_to_frames(ms: f32, sample_rate: f64) -> usize {
    (f64::from(ms.max(0.0)) * 0.001 * sample_rate).round() as usize
}

/// Reads the common `{"channels": N}` config (1..=64, default `default`) and
/// rejects unknown fields.
///
/// # Errors
/// Naming the bad field.
pub fn channels_only(config: &serde_json::Value, default: usize) -> Result<usize, NodeError> {
    let mut r = ConfigReader::new(config)?;
    let channels = r.usize("channels", default, 1, 64)?;
    r.finish()?;
    Ok(channels)
}

//! Small helpers shared by node families.

use mixgraph_graph::{ConfigField, ConfigReader, NodeError, NodeInfo, PrepareContext};

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

/// The config of a node whose only option is a channel count of 1 or 2.
pub const MONO_OR_STEREO: &[ConfigField] =
    &[ConfigField { name: "channels", description: "channel count, 1 or 2", default: "2" }];

/// Reads the [`MONO_OR_STEREO`] config (`{"channels": 1 | 2}`, default 2) and
/// rejects unknown fields.
///
/// # Errors
/// Naming the bad field.
pub fn mono_or_stereo(config: &serde_json::Value) -> Result<usize, NodeError> {
    let mut r = ConfigReader::new(config)?;
    let channels = r.usize("channels", 2, 1, 2)?;
    r.finish()?;
    Ok(channels)
}

/// The first `N` parameter values a node is prepared with, in declaration
/// order; any the context lacks take their declared default (else 0).
/// Control thread.
pub fn param_values<const N: usize>(ctx: &PrepareContext<'_>, info: &NodeInfo) -> [f32; N] {
    std::array::from_fn(|i| ctx.params.get(i).copied().or_else(|| info.params.get(i).map(|d| d.default)).unwrap_or(0.0))
}

/// Zeroth-order modified Bessel function of the first kind, by its power
/// series, for Kaiser windows.
pub fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, half) = (1.0, 1.0, x * 0.5);
    for k in 1..200 {
        term *= half / k as f64;
        let t = term * term;
        sum += t;
        if t < sum * 1e-17 {
            break;
        }
    }
    sum
}

//! Macros: named controls saved in a graph file, each driving one or more
//! node parameters over a range along a curve. The plugins expose them to
//! the DAW as automatable parameters; any face can set them.
//!
//! ```json
//! "macros": [
//!   {"name": "Drive", "default": 0.25, "targets": [
//!     {"param": "sat.drive_db", "min": 0, "max": 24},
//!     {"param": "sat.mix", "min": 0.5, "max": 1}]},
//!   {"name": "Tone", "targets": [{"param": "lp.freq_hz", "min": 500, "max": 18000, "curve": "log"}]}
//! ]
//! ```
//!
//! A macro's position runs from 0 to 1. A target maps it to `min … max`
//! (`min` may exceed `max` to turn the control the other way) along its
//! curve: `linear`, or `log` (geometric, for frequencies and times; both
//! ends positive).

use serde::{Deserialize, Serialize};

/// Most macros a graph may define (the plugins' bank size).
pub const MAX_MACROS: usize = 16;

/// How a macro's position maps onto a target's range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MacroCurve {
    /// `min + x (max − min)`.
    #[default]
    Linear,
    /// `min · (max / min)^x`: equal ratios for equal moves.
    Log,
}

/// One parameter a macro drives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroTarget {
    /// `node.param` address.
    pub param: String,
    /// Value at position 0.
    pub min: f32,
    /// Value at position 1.
    pub max: f32,
    /// The mapping's shape.
    #[serde(default, skip_serializing_if = "is_linear")]
    pub curve: MacroCurve,
}

fn is_linear(c: &MacroCurve) -> bool {
    *c == MacroCurve::Linear
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

impl MacroTarget {
    /// The parameter value at macro position `x` (clamped to 0 … 1).
    /// Real-time safe.
    pub fn value_at(&self, x: f32) -> f32 {
        let x = if x.is_finite() { x.clamp(0.0, 1.0) } else { 0.0 };
        match self.curve {
            MacroCurve::Linear => self.min + x * (self.max - self.min),
            MacroCurve::Log => self.min * (self.max / self.min).powf(x),
        }
    }
}

/// A named macro and the parameters it drives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroSpec {
    /// Name shown to the user and the host.
    pub name: String,
    /// Position a new instance starts at, 0 … 1.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub default: f32,
    /// The parameters it drives.
    pub targets: Vec<MacroTarget>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_map_the_ends_and_the_middle() {
        let lin = MacroTarget { param: "a.b".into(), min: -12.0, max: 12.0, curve: MacroCurve::Linear };
        assert_eq!((lin.value_at(0.0), lin.value_at(0.5), lin.value_at(1.0)), (-12.0, 0.0, 12.0));
        assert_eq!((lin.value_at(-1.0), lin.value_at(2.0), lin.value_at(f32::NAN)), (-12.0, 12.0, -12.0));
        let log = MacroTarget { param: "a.b".into(), min: 100.0, max: 10_000.0, curve: MacroCurve::Log };
        assert!((log.value_at(0.5) - 1000.0).abs() < 0.01, "{}", log.value_at(0.5));
        assert!((log.value_at(1.0) - 10_000.0).abs() < 0.01);
        let reversed = MacroTarget { param: "a.b".into(), min: 1.0, max: 0.0, curve: MacroCurve::Linear };
        assert_eq!(reversed.value_at(0.25), 0.75);
    }

    #[test]
    fn specs_read_and_write_json() {
        let text = r#"{"name": "Tone", "default": 0.5, "targets": [{"param": "lp.freq_hz", "min": 500, "max": 18000, "curve": "log"}]}"#;
        let spec: MacroSpec = serde_json::from_str(text).unwrap();
        assert_eq!(spec.targets[0].curve, MacroCurve::Log);
        let back: MacroSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        let bad = r#"{"name": "x", "targets": [{"param": "a.b", "min": 0, "max": 1, "shape": "log"}]}"#;
        assert!(serde_json::from_str::<MacroSpec>(bad).unwrap_err().to_string().contains("shape"));
    }
}

//! Parameter descriptors and the per-sample smoother.
//!
//! A [`ParamDesc`] is the one declaration of a parameter that the graph loader,
//! the CLI listing, the GUI and plugin export all read. Only target values cross
//! threads; the smoothing state ([`Smoother`]) lives in the processor.

use serde::Serialize;

/// Dense index of a parameter within its node, used on the audio thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ParamIndex(pub u16);

/// The unit a parameter value is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamUnit {
    /// A plain number.
    None,
    /// Decibels.
    Db,
    /// Hertz.
    Hz,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
    /// Samples per channel.
    Frames,
    /// A linear amplitude factor.
    Gain,
    /// −1 (left) … +1 (right).
    Pan,
    /// 0 … 1 as a fraction.
    Fraction,
    /// Loudness per ITU-R BS.1770 (K-weighted dB relative to full scale).
    Lufs,
    /// A rate of change in decibels per second (slew limits).
    DbPerSecond,
}

impl ParamUnit {
    /// Short suffix for display ("dB", "Hz", ...), empty for [`ParamUnit::None`].
    pub fn suffix(self) -> &'static str {
        match self {
            ParamUnit::None | ParamUnit::Pan | ParamUnit::Fraction => "",
            ParamUnit::Db => "dB",
            ParamUnit::Hz => "Hz",
            ParamUnit::Ms => "ms",
            ParamUnit::Seconds => "s",
            ParamUnit::Frames => "frames",
            ParamUnit::Gain => "x",
            ParamUnit::Lufs => "LUFS",
            ParamUnit::DbPerSecond => "dB/s",
        }
    }
}

/// What values a parameter takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParamRange {
    /// A continuous value in `min..=max`; `log` means a logarithmic taper for UIs.
    Float {
        /// Smallest allowed value.
        min: f32,
        /// Largest allowed value.
        max: f32,
        /// Whether controls should use a logarithmic taper.
        log: bool,
    },
    /// One of named choices; the value is the index (0, 1, ...).
    Enum {
        /// The choice names, stable snake_case, usable in graph files.
        variants: Vec<&'static str>,
    },
    /// Off (0) or on (1).
    Bool,
}

impl ParamRange {
    /// Smallest and largest numeric value.
    pub fn bounds(&self) -> (f32, f32) {
        match self {
            ParamRange::Float { min, max, .. } => (*min, *max),
            ParamRange::Enum { variants } => (0.0, variants.len().saturating_sub(1) as f32),
            ParamRange::Bool => (0.0, 1.0),
        }
    }

    /// Whether `value` is allowed (finite, in range, integral for enums and bools).
    pub fn contains(&self, value: f32) -> bool {
        let (min, max) = self.bounds();
        let integral = matches!(self, ParamRange::Float { .. }) || value.fract() == 0.0;
        value.is_finite() && value >= min && value <= max && integral
    }

    /// Human-readable description of the allowed values, used in error messages.
    pub fn describe(&self, unit: ParamUnit) -> String {
        match self {
            ParamRange::Float { min, max, .. } => {
                let suffix = unit.suffix();
                let sep = if suffix.is_empty() { "" } else { " " };
                format!("{min} to {max}{sep}{suffix}")
            }
            ParamRange::Enum { variants } => format!("one of {}", variants.join(", ")),
            ParamRange::Bool => "true or false".to_string(),
        }
    }
}

/// How a parameter moves from its old value to a new target on the audio thread.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum Smoothing {
    /// Jump immediately (enums, switches, structural values).
    None,
    /// Straight line over `ms` (mix, pan).
    Linear {
        /// Time to reach the target, in milliseconds.
        ms: f32,
    },
    /// Constant ratio per sample over `ms` (gain, frequency); falls back to linear
    /// when either end is not strictly positive.
    Logarithmic {
        /// Time to reach the target, in milliseconds.
        ms: f32,
    },
    /// One-pole approach that lands on the target after `ms` (the default style).
    Exponential {
        /// Time to reach the target, in milliseconds.
        ms: f32,
    },
}

impl Smoothing {
    /// The default: exponential over 5 ms.
    pub const DEFAULT: Smoothing = Smoothing::Exponential { ms: 5.0 };
}

/// Declaration of one parameter of a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDesc {
    /// Stable snake_case id used by graph files and `node.param` addresses; never
    /// changed once released.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Allowed values.
    pub range: ParamRange,
    /// Value a new node starts with.
    pub default: f32,
    /// Unit of the value.
    pub unit: ParamUnit,
    /// How changes are smoothed on the audio thread.
    pub smoothing: Smoothing,
    /// A structural parameter changes what `prepare` builds (latency, buffer
    /// sizes): changing it re-prepares the node and recompiles the graph instead of
    /// being sent to the running processor.
    pub structural: bool,
}

impl ParamDesc {
    /// A continuous parameter with exponential 5 ms smoothing.
    pub fn float(id: &str, name: &str, min: f32, max: f32, default: f32, unit: ParamUnit) -> Self {
        ParamDesc {
            id: id.to_string(),
            name: name.to_string(),
            range: ParamRange::Float { min, max, log: false },
            default,
            unit,
            smoothing: Smoothing::DEFAULT,
            structural: false,
        }
    }

    /// An enum parameter (no smoothing); `default` is a variant index.
    pub fn choice(id: &str, name: &str, variants: &[&'static str], default: usize) -> Self {
        ParamDesc {
            id: id.to_string(),
            name: name.to_string(),
            range: ParamRange::Enum { variants: variants.to_vec() },
            default: default as f32,
            unit: ParamUnit::None,
            smoothing: Smoothing::None,
            structural: false,
        }
    }

    /// An on/off parameter (no smoothing).
    pub fn toggle(id: &str, name: &str, default: bool) -> Self {
        ParamDesc {
            id: id.to_string(),
            name: name.to_string(),
            range: ParamRange::Bool,
            default: if default { 1.0 } else { 0.0 },
            unit: ParamUnit::None,
            smoothing: Smoothing::None,
            structural: false,
        }
    }

    /// Uses a logarithmic taper for UIs.
    pub fn log_taper(mut self) -> Self {
        if let ParamRange::Float { log, .. } = &mut self.range {
            *log = true;
        }
        self
    }

    /// Sets the smoothing style.
    pub fn smoothing(mut self, smoothing: Smoothing) -> Self {
        self.smoothing = smoothing;
        self
    }

    /// Marks the parameter structural (see [`ParamDesc::structural`]).
    pub fn structural(mut self) -> Self {
        self.structural = true;
        self.smoothing = Smoothing::None;
        self
    }

    /// Parses a value from a graph file or a `--set` string: a number, `true`/`false`
    /// for toggles, or a variant name for enums.
    pub fn parse_value(&self, text: &str) -> Option<f32> {
        let text = text.trim();
        match &self.range {
            ParamRange::Enum { variants } => {
                if let Some(i) = variants.iter().position(|v| *v == text) {
                    return Some(i as f32);
                }
            }
            ParamRange::Bool => match text {
                "true" | "on" => return Some(1.0),
                "false" | "off" => return Some(0.0),
                _ => {}
            },
            ParamRange::Float { .. } => {}
        }
        text.parse::<f32>().ok()
    }

    /// Formats a value for display (variant names for enums).
    pub fn format_value(&self, value: f32) -> String {
        match &self.range {
            ParamRange::Enum { variants } => {
                variants.get(value as usize).map(|v| v.to_string()).unwrap_or_else(|| value.to_string())
            }
            ParamRange::Bool => (value >= 0.5).to_string(),
            ParamRange::Float { .. } => {
                let suffix = self.unit.suffix();
                if suffix.is_empty() { format!("{value}") } else { format!("{value} {suffix}") }
            }
        }
    }
}

/// Per-sample smoother for one parameter. Lives in a processor; never shared.
#[derive(Clone, Debug)]
pub struct Smoother {
    style: Smoothing,
    sample_rate: f32,
    current: f32,
    target: f32,
    /// Additive step (linear), factor (logarithmic) or pole coefficient (exponential).
    step: f32,
    remaining: u32,
    /// Logarithmic style with both ends positive: multiply by `step`.
    geometric: bool,
}

impl Smoother {
    /// A settled smoother at `value`.
    pub fn new(style: Smoothing, sample_rate: f64, value: f32) -> Self {
        Smoother {
            style,
            sample_rate: sample_rate as f32,
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            geometric: false,
        }
    }

    /// Starts moving toward `target`. Real-time safe.
    pub fn set_target(&mut self, target: f32) {
        self.target = target;
        let ms = match self.style {
            Smoothing::None => 0.0,
            Smoothing::Linear { ms } | Smoothing::Logarithmic { ms } | Smoothing::Exponential { ms } => ms,
        };
        let steps = (ms * 0.001 * self.sample_rate).round() as u32;
        if steps == 0 || target == self.current {
            self.jump_to(target);
            return;
        }
        self.remaining = steps;
        let n = steps as f32;
        self.geometric = matches!(self.style, Smoothing::Logarithmic { .. }) && self.current > 0.0 && target > 0.0;
        self.step = match self.style {
            Smoothing::Logarithmic { .. } if self.geometric => (target / self.current).powf(1.0 / n),
            Smoothing::Exponential { .. } => {
                // Residual shrinks by 1e-4 (−80 dB) over `steps`, then snaps to target.
                (1e-4f32.ln() / n).exp()
            }
            _ => (target - self.current) / n,
        };
    }

    /// Sets value and target at once, with no ramp (after reset, un-bypass, silence).
    pub fn jump_to(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
    }

    /// Whether the value has reached its target.
    #[inline]
    pub fn is_settled(&self) -> bool {
        self.remaining == 0
    }

    /// The current value, without advancing.
    #[inline]
    pub fn value(&self) -> f32 {
        self.current
    }

    /// The value being approached.
    #[inline]
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Advances one sample and returns the new value.
    // Named like nice-plug's and Firewheel's smoothers; it never ends, so it is
    // deliberately not an `Iterator`.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> f32 {
        if self.remaining == 0 {
            return self.current;
        }
        self.remaining -= 1;
        if self.remaining == 0 {
            self.current = self.target;
        } else {
            self.current = match self.style {
                Smoothing::Logarithmic { .. } if self.geometric => self.current * self.step,
                Smoothing::Exponential { .. } => self.target + (self.current - self.target) * self.step,
                _ => self.current + self.step,
            };
        }
        self.current
    }

    /// Advances `n` samples at once; equals calling [`Smoother::next`] `n` times up to
    /// float rounding.
    pub fn next_step(&mut self, n: u32) -> f32 {
        if n >= self.remaining {
            self.jump_to(self.target);
            return self.current;
        }
        self.remaining -= n;
        let nf = n as f32;
        self.current = match self.style {
            Smoothing::Logarithmic { .. } if self.geometric => self.current * self.step.powf(nf),
            Smoothing::Exponential { .. } => self.target + (self.current - self.target) * self.step.powf(nf),
            _ => self.current + self.step * nf,
        };
        self.current
    }

    /// Fills `out` with successive values; a constant fill once settled.
    pub fn fill(&mut self, out: &mut [f32]) {
        if self.is_settled() {
            out.fill(self.current);
            return;
        }
        for v in out.iter_mut() {
            *v = self.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn reaches_target_in_exactly_the_configured_time() {
        for style in
            [Smoothing::Linear { ms: 10.0 }, Smoothing::Logarithmic { ms: 10.0 }, Smoothing::Exponential { ms: 10.0 }]
        {
            let mut s = Smoother::new(style, SR, 0.5);
            s.set_target(2.0);
            for _ in 0..479 {
                s.next();
                assert!(!s.is_settled(), "{style:?} settled early");
            }
            assert_eq!(s.next(), 2.0, "{style:?}");
            assert!(s.is_settled());
        }
    }

    #[test]
    fn next_step_matches_repeated_next() {
        for style in
            [Smoothing::Linear { ms: 5.0 }, Smoothing::Logarithmic { ms: 5.0 }, Smoothing::Exponential { ms: 5.0 }]
        {
            let mut a = Smoother::new(style, SR, 0.1);
            let mut b = a.clone();
            a.set_target(0.9);
            b.set_target(0.9);
            for _ in 0..100 {
                a.next();
            }
            let jumped = b.next_step(100);
            assert!((a.value() - jumped).abs() < 1e-5, "{style:?}: {} vs {jumped}", a.value());
        }
    }

    #[test]
    fn logarithmic_is_geometric_and_exponential_monotonic() {
        let mut s = Smoother::new(Smoothing::Logarithmic { ms: 1.0 }, SR, 1.0);
        s.set_target(16.0);
        let (a, b, c) = (s.next(), s.next(), s.next());
        assert!(((b / a) - (c / b)).abs() < 1e-5);
        let mut e = Smoother::new(Smoothing::Exponential { ms: 1.0 }, SR, 0.0);
        e.set_target(1.0);
        let mut prev = 0.0;
        for _ in 0..48 {
            let v = e.next();
            assert!(v > prev && v <= 1.0);
            prev = v;
        }
    }

    #[test]
    fn logarithmic_falls_back_to_linear_through_zero() {
        let mut s = Smoother::new(Smoothing::Logarithmic { ms: 1.0 }, SR, -1.0);
        s.set_target(1.0);
        let values: Vec<f32> = (0..48).map(|_| s.next()).collect();
        assert!(values.windows(2).all(|w| (w[1] - w[0] - 2.0 / 48.0).abs() < 1e-4), "{values:?}");
        assert_eq!(values[47], 1.0);
    }

    #[test]
    fn ranges_validate_and_parse() {
        let p = ParamDesc::choice("kind", "Kind", &["lowpass", "peak"], 0);
        assert_eq!(p.parse_value("peak"), Some(1.0));
        assert!(p.range.contains(1.0) && !p.range.contains(0.5) && !p.range.contains(2.0));
        let f = ParamDesc::float("freq_hz", "Frequency", 20.0, 20_000.0, 1000.0, ParamUnit::Hz);
        assert!(!f.range.contains(f32::NAN));
        assert_eq!(f.range.describe(f.unit), "20 to 20000 Hz");
    }
}

//! Band design for the parametric EQ (`eq.parametric`): turns one band's
//! settings into a cascade of up to [`MAX_SECTIONS`] biquad coefficient sets,
//! and evaluates the cascade's complex frequency response.
//!
//! Plain math with no engine types. Every section is an RBJ cookbook biquad
//! designed by [`BiquadCoefs::design`] (Robert Bristow-Johnson, "Cookbook
//! formulae for audio EQ biquad filter coefficients",
//! <https://www.w3.org/TR/audio-eq-cookbook/>):
//!
//! * `bell`, `low_shelf`, `high_shelf`, `notch`, `band_pass` are one section of
//!   the cookbook's peaking EQ, low shelf, high shelf, notch and constant-0-dB
//!   band-pass, using the band's Q (shelves in the cookbook's Q form).
//! * `low_cut` / `high_cut` are Butterworth high-/low-pass filters of order
//!   `N = slope_db / 6` (12, 24, 36, 48 dB/oct → N = 2, 4, 6, 8), built as
//!   `N/2` cookbook high-/low-pass sections sharing the corner frequency, with
//!   the Butterworth Q set
//!
//!   ```text
//!   Q_k = 1 / (2 cos((2k − 1) π / (2N))),   k = 1 … N/2
//!   ```
//!
//!   (the conjugate pole pairs of the Butterworth polynomial at angles
//!   `(2k − 1) π / (2N)` from the negative real axis; e.g. Zölzer, "Digital
//!   Audio Signal Processing", 2nd ed., §5.2, or any filter-design table). For
//!   N = 2 this is the single Q = 1/√2 ≈ 0.7071. The band's own Q is ignored for
//!   cuts. Because the bilinear transform is pre-warped to the corner in every
//!   section, the cascade is exactly −3.01 dB at the corner.
//!
//! ```
//! use mixgraph_nodes::eq::parametric::{BandDesign, BandSettings, BandType, Slope};
//! let band = BandSettings { kind: BandType::LowCut, freq_hz: 100.0, gain_db: 0.0, q: 1.0, slope: Slope::Db24 };
//! let design = BandDesign::design(&band, 48_000.0);
//! assert_eq!(design.sections().len(), 2);
//! assert!((design.magnitude_db(48_000.0, 100.0) + 3.0103).abs() < 1e-3);
//! ```

use super::biquad::{BiquadCoefs, FilterKind};
use std::f64::consts::PI;

/// Most biquad sections one band uses (a 48 dB/oct cut).
pub const MAX_SECTIONS: usize = 4;

/// The shape of one band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandType {
    /// Peaking EQ: `gain_db` at `freq_hz`, width set by Q.
    Bell,
    /// Low shelf: `gain_db` below `freq_hz`.
    LowShelf,
    /// High shelf: `gain_db` above `freq_hz`.
    HighShelf,
    /// Butterworth high-pass of the band's slope.
    LowCut,
    /// Butterworth low-pass of the band's slope.
    HighCut,
    /// Band-reject at `freq_hz`, width set by Q.
    Notch,
    /// Band-pass with 0 dB peak at `freq_hz`, width set by Q.
    BandPass,
}

impl BandType {
    /// Every type, in parameter order (the `band{i}_type` value is the index).
    pub const ALL: [BandType; 7] = [
        BandType::Bell,
        BandType::LowShelf,
        BandType::HighShelf,
        BandType::LowCut,
        BandType::HighCut,
        BandType::Notch,
        BandType::BandPass,
    ];

    /// Stable snake_case name used by the `band{i}_type` parameter.
    pub fn name(self) -> &'static str {
        match self {
            BandType::Bell => "bell",
            BandType::LowShelf => "low_shelf",
            BandType::HighShelf => "high_shelf",
            BandType::LowCut => "low_cut",
            BandType::HighCut => "high_cut",
            BandType::Notch => "notch",
            BandType::BandPass => "band_pass",
        }
    }

    /// The type at parameter value `value` (an enum index); bell when out of range.
    pub fn from_index(value: f32) -> Self {
        Self::ALL.get(value.max(0.0) as usize).copied().unwrap_or(BandType::Bell)
    }
}

/// Roll-off of the cut types, in dB per octave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slope {
    /// 12 dB/oct: 2nd-order Butterworth, one section.
    Db12,
    /// 24 dB/oct: 4th-order Butterworth, two sections.
    Db24,
    /// 36 dB/oct: 6th-order Butterworth, three sections.
    Db36,
    /// 48 dB/oct: 8th-order Butterworth, four sections.
    Db48,
}

impl Slope {
    /// Every slope, in parameter order (the `band{i}_slope` value is the index).
    pub const ALL: [Slope; 4] = [Slope::Db12, Slope::Db24, Slope::Db36, Slope::Db48];

    /// Stable name used by the `band{i}_slope` parameter (`"12"` … `"48"`).
    pub fn name(self) -> &'static str {
        match self {
            Slope::Db12 => "12",
            Slope::Db24 => "24",
            Slope::Db36 => "36",
            Slope::Db48 => "48",
        }
    }

    /// The slope at parameter value `value`; 12 dB/oct when out of range.
    pub fn from_index(value: f32) -> Self {
        Self::ALL.get(value.max(0.0) as usize).copied().unwrap_or(Slope::Db12)
    }

    /// Butterworth order N (2, 4, 6 or 8).
    pub fn order(self) -> usize {
        match self {
            Slope::Db12 => 2,
            Slope::Db24 => 4,
            Slope::Db36 => 6,
            Slope::Db48 => 8,
        }
    }
}

/// Which signal a band filters when the input is stereo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Left and right, each through its own copy of the filter.
    Stereo,
    /// Only the mid signal `M = (L + R) / 2`.
    Mid,
    /// Only the side signal `S = (L − R) / 2`.
    Side,
}

impl Placement {
    /// Every placement, in parameter order.
    pub const ALL: [Placement; 3] = [Placement::Stereo, Placement::Mid, Placement::Side];

    /// Stable name used by the `band{i}_placement` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Stereo => "stereo",
            Placement::Mid => "mid",
            Placement::Side => "side",
        }
    }

    /// The placement at parameter value `value`; stereo when out of range.
    pub fn from_index(value: f32) -> Self {
        Self::ALL.get(value.max(0.0) as usize).copied().unwrap_or(Placement::Stereo)
    }
}

/// The settings of one band that shape its filter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandSettings {
    /// Shape.
    pub kind: BandType,
    /// Centre or corner frequency in Hz (clamped below Nyquist by the design).
    pub freq_hz: f64,
    /// Gain in dB for bell and shelves; ignored by the other types.
    pub gain_db: f64,
    /// Q for bell, shelves, notch and band-pass; ignored by the cuts.
    pub q: f64,
    /// Roll-off of the cuts; ignored by the other types.
    pub slope: Slope,
}

/// The `k`-th (1-based) Q of an order-`order` Butterworth filter split into
/// second-order sections: `1 / (2 cos((2k − 1) π / (2 order)))`.
pub fn butterworth_q(order: usize, k: usize) -> f64 {
    let angle = (2 * k) as f64 - 1.0;
    1.0 / (2.0 * (angle * PI / (2 * order) as f64).cos())
}

/// A band's cascade of biquad sections (1 to [`MAX_SECTIONS`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandDesign {
    sections: [BiquadCoefs; MAX_SECTIONS],
    len: usize,
}

impl Default for BandDesign {
    /// One pass-through section.
    fn default() -> Self {
        BandDesign { sections: [BiquadCoefs::identity(); MAX_SECTIONS], len: 1 }
    }
}

impl BandDesign {
    /// Designs the cascade for `band` at `sample_rate`. Never allocates; a
    /// non-finite setting gives pass-through sections (see [`BiquadCoefs::design`]).
    pub fn design(band: &BandSettings, sample_rate: f64) -> Self {
        let mut out = BandDesign::default();
        let (f, q, g) = (band.freq_hz, band.q, band.gain_db);
        let single = match band.kind {
            BandType::Bell => Some(FilterKind::Peak),
            BandType::LowShelf => Some(FilterKind::LowShelf),
            BandType::HighShelf => Some(FilterKind::HighShelf),
            BandType::Notch => Some(FilterKind::Notch),
            BandType::BandPass => Some(FilterKind::BandPass),
            BandType::LowCut | BandType::HighCut => None,
        };
        if let Some(kind) = single {
            out.sections[0] = BiquadCoefs::design(kind, sample_rate, f, q, g);
            out.len = 1;
            return out;
        }
        let kind = if band.kind == BandType::LowCut { FilterKind::HighPass } else { FilterKind::LowPass };
        let order = band.slope.order();
        out.len = (order / 2).min(MAX_SECTIONS);
        for (k, section) in out.sections.iter_mut().take(out.len).enumerate() {
            *section = BiquadCoefs::design(kind, sample_rate, f, butterworth_q(order, k + 1), 0.0);
        }
        out
    }

    /// The active sections, in processing order.
    pub fn sections(&self) -> &[BiquadCoefs] {
        &self.sections[..self.len.min(MAX_SECTIONS)]
    }

    /// Complex response `(re, im)` of the cascade at `hz`: the product of the
    /// sections' responses.
    pub fn response(&self, sample_rate: f64, hz: f64) -> (f64, f64) {
        self.sections().iter().fold((1.0, 0.0), |acc, c| complex_mul(acc, c.response(sample_rate, hz)))
    }

    /// Magnitude of [`BandDesign::response`] in dB.
    pub fn magnitude_db(&self, sample_rate: f64, hz: f64) -> f64 {
        let (re, im) = self.response(sample_rate, hz);
        20.0 * re.hypot(im).log10()
    }

    /// Frames for the cascade's impulse response to fall 120 dB, from its
    /// largest pole radius r (r^n = 1e-6), plus 2 frames per section; capped at
    /// 10 s. An estimate for the node's declared tail.
    pub fn decay_frames(&self, sample_rate: f64) -> u32 {
        let radius = self.sections().iter().map(pole_radius).fold(0.0, f64::max);
        let cap = 10.0 * sample_rate;
        let extra = 2 * self.len as u32;
        if radius <= 0.0 {
            return extra;
        }
        if radius >= 1.0 {
            return cap as u32;
        }
        ((1e-6f64).ln() / radius.ln()).ceil().min(cap) as u32 + extra
    }
}

/// Largest root magnitude of `z² + a1 z + a2`.
fn pole_radius(c: &BiquadCoefs) -> f64 {
    let disc = c.a1 * c.a1 - 4.0 * c.a2;
    if disc < 0.0 {
        c.a2.abs().sqrt()
    } else {
        let root = disc.sqrt();
        ((-c.a1 + root) * 0.5).abs().max(((-c.a1 - root) * 0.5).abs())
    }
}

/// Product of two complex numbers given as `(re, im)`.
pub fn complex_mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    // Table values as printed (4 decimals), deliberately not FRAC_1_SQRT_2.
    #[allow(clippy::approx_constant)]
    fn butterworth_q_set_matches_the_tables() {
        // Standard tables: N=2: 0.7071; N=4: 0.5412, 1.3066; N=6: 0.5176, 0.7071,
        // 1.9319; N=8: 0.5098, 0.6013, 0.9000, 2.5629.
        let table: [(usize, &[f64]); 4] = [
            (2, &[0.7071]),
            (4, &[0.5412, 1.3066]),
            (6, &[0.5176, 0.7071, 1.9319]),
            (8, &[0.5098, 0.6013, 0.9000, 2.5629]),
        ];
        for (order, qs) in table {
            for (k, want) in qs.iter().enumerate() {
                let got = butterworth_q(order, k + 1);
                assert!((got - want).abs() < 1e-4, "order {order} k {}: {got}", k + 1);
            }
        }
    }

    #[test]
    fn cuts_are_butterworth_magnitudes() {
        // |H|² of an order-N Butterworth at the pre-warped analog frequency
        // x = tan(πf/fs) / tan(πfc/fs): 1 / (1 + x^-2N) (high-pass), 1 / (1 + x^2N) (low-pass).
        let fc = 1000.0;
        let mut worst = 0.0f64;
        for slope in Slope::ALL {
            let n = slope.order() as i32;
            for (kind, sign) in [(BandType::LowCut, -1), (BandType::HighCut, 1)] {
                let band = BandSettings { kind, freq_hz: fc, gain_db: 0.0, q: 3.0, slope };
                let d = BandDesign::design(&band, SR);
                assert_eq!(d.sections().len(), slope.order() / 2);
                for f in [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0] {
                    let x = (PI * f / SR).tan() / (PI * fc / SR).tan();
                    let want = -10.0 * (1.0 + x.powi(2 * n * sign)).log10();
                    let err = (d.magnitude_db(SR, f) - want).abs();
                    worst = worst.max(err);
                    assert!(err < 1e-6, "{} {} at {f}: {err}", kind.name(), slope.name());
                }
            }
        }
        println!("cuts vs analytic Butterworth: worst {worst:.1e} dB");
    }

    #[test]
    fn single_section_types_use_the_cookbook_section() {
        let pairs = [
            (BandType::Bell, FilterKind::Peak),
            (BandType::LowShelf, FilterKind::LowShelf),
            (BandType::HighShelf, FilterKind::HighShelf),
            (BandType::Notch, FilterKind::Notch),
            (BandType::BandPass, FilterKind::BandPass),
        ];
        for (kind, filter) in pairs {
            let band = BandSettings { kind, freq_hz: 700.0, gain_db: -5.0, q: 1.3, slope: Slope::Db48 };
            let d = BandDesign::design(&band, SR);
            assert_eq!(d.sections(), &[BiquadCoefs::design(filter, SR, 700.0, 1.3, -5.0)]);
        }
        for (i, kind) in BandType::ALL.iter().enumerate() {
            assert_eq!(BandType::from_index(i as f32), *kind);
        }
        assert_eq!(BandType::from_index(99.0), BandType::Bell);
    }
}

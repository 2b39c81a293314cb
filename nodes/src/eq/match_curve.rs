//! The gain curve of `eq.match`: one gain per third octave, joined by a
//! smooth curve in log frequency.
//!
//! The bands are the 30 ISO 266 third octaves from 25 Hz to 20 kHz, at the
//! exact base-2 centres `1000 · 2^(k/3)` Hz, `k = −16 … 13`. Between
//! centres the curve in dB is a monotone piecewise-cubic Hermite
//! interpolant (PCHIP, F. N. Fritsch and R. E. Carlson, "Monotone piecewise
//! cubic interpolation", SIAM J. Numer. Anal. 17(2), 1980) in `log2(f)`:
//! it passes through every band gain, has a continuous slope and never
//! overshoots between two gains (a plain cubic spline rings around a
//! single raised band). Below the first and above the last centre it
//! holds the end gain.

/// Number of bands.
pub const BANDS: usize = 30;

/// ISO 266 nominal names of the band centres (used in parameter ids:
/// `31.5` is written `31_5`).
pub const NOMINAL: [&str; BANDS] = [
    "25", "31_5", "40", "50", "63", "80", "100", "125", "160", "200", "250", "315", "400", "500", "630", "800", "1000",
    "1250", "1600", "2000", "2500", "3150", "4000", "5000", "6300", "8000", "10000", "12500", "16000", "20000",
];

/// Exact centre of band `i`, Hz.
pub fn centre_hz(i: usize) -> f64 {
    1000.0 * 2f64.powf((i as f64 - 16.0) / 3.0)
}

/// Parameter id of band `i` of `part` ("mid" or "side"), e.g. `mid_31_5hz_db`.
pub fn param_id(part: &str, i: usize) -> String {
    format!("{part}_{}hz_db", NOMINAL[i.min(BANDS - 1)])
}

/// The curve's gain in dB at `hz` through `gains_db` (one per band).
/// No allocation.
pub fn gain_db_at(gains_db: &[f64; BANDS], hz: f64) -> f64 {
    // Position in thirds of an octave from the first centre.
    let x = if hz > 0.0 { 3.0 * (hz / centre_hz(0)).log2() } else { 0.0 };
    if x <= 0.0 {
        return gains_db[0];
    }
    if x >= (BANDS - 1) as f64 {
        return gains_db[BANDS - 1];
    }
    let i = x.floor() as usize;
    let t = x - i as f64;
    let (y0, y1) = (gains_db[i], gains_db[i + 1]);
    let (m0, m1) = (slope(gains_db, i), slope(gains_db, i + 1));
    // Cubic Hermite basis on the unit interval (centres are 1 apart).
    let (t2, t3) = (t * t, t * t * t);
    (2.0 * t3 - 3.0 * t2 + 1.0) * y0 + (t3 - 2.0 * t2 + t) * m0 + (-2.0 * t3 + 3.0 * t2) * y1 + (t3 - t2) * m1
}

/// PCHIP slope at centre `i` (unit spacing): zero at a local extremum,
/// else the harmonic mean of the neighbouring secants; one-sided at the
/// ends (Fritsch–Carlson's three-point end rule, limited to keep shape).
fn slope(g: &[f64; BANDS], i: usize) -> f64 {
    let secant = |a: usize| g[a + 1] - g[a];
    if i == 0 || i == BANDS - 1 {
        let (d0, d1) = if i == 0 { (secant(0), secant(1)) } else { (secant(BANDS - 2), secant(BANDS - 3)) };
        let m = (3.0 * d0 - d1) / 2.0;
        return if m * d0 <= 0.0 {
            0.0
        } else if d0 * d1 <= 0.0 && m.abs() > 3.0 * d0.abs() {
            3.0 * d0
        } else {
            m
        };
    }
    let (d0, d1) = (secant(i - 1), secant(i));
    if d0 * d1 <= 0.0 { 0.0 } else { 2.0 * d0 * d1 / (d0 + d1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_are_the_iso_third_octaves() {
        assert!((centre_hz(0) - 24.80).abs() < 0.01);
        assert_eq!(centre_hz(16), 1000.0);
        assert!((centre_hz(29) - 20_158.7).abs() < 0.1);
        for (i, name) in NOMINAL.iter().enumerate() {
            let nominal: f64 = name.replace('_', ".").parse().unwrap();
            // ISO 266 rounds the base-2 centres to within 2.5 %... except 25 Hz's 24.8.
            assert!((centre_hz(i) / nominal - 1.0).abs() < 0.03, "{name}: {}", centre_hz(i));
        }
        assert_eq!(param_id("side", 1), "side_31_5hz_db");
    }

    #[test]
    fn the_curve_passes_through_every_gain_and_never_overshoots() {
        let mut g = [0.0; BANDS];
        g[16] = 6.0;
        g[20] = -3.0;
        g[21] = -3.0;
        for (i, want) in g.iter().enumerate() {
            assert!((gain_db_at(&g, centre_hz(i)) - want).abs() < 1e-9, "band {i}");
        }
        // Between centres the curve stays within the neighbouring gains.
        for k in 0..2000 {
            let hz = 20.0 * (1000.0f64).powf(k as f64 / 2000.0);
            let v = gain_db_at(&g, hz);
            assert!((-3.0 - 1e-9..=6.0 + 1e-9).contains(&v), "{hz} Hz: {v}");
        }
        // Flat between the two −3 dB bands, half way up between 0 and 6 at the midpoint.
        assert!((gain_db_at(&g, centre_hz(20) * 2f64.powf(1.0 / 6.0)) + 3.0).abs() < 1e-9);
        assert!((gain_db_at(&g, centre_hz(15) * 2f64.powf(1.0 / 6.0)) - 3.0).abs() < 1e-9);
        // Held beyond the ends.
        g[0] = 2.0;
        g[29] = -1.0;
        assert_eq!((gain_db_at(&g, 10.0), gain_db_at(&g, 0.0), gain_db_at(&g, 23_000.0)), (2.0, 2.0, -1.0));
    }
}

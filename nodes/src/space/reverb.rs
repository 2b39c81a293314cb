//! Feedback-delay-network reverb kernel (no engine types).
//!
//! Structure, after Jot & Chaigne, "Digital delay networks for designing
//! artificial reverberators" (AES 90th Convention, 1991), in the form of
//! Schlecht & Habets, "On lossless feedback delay networks" (IEEE TSP 2017):
//!
//! ```text
//! mono in → predelay → 4 series Schroeder all-passes (input diffusion)
//!         → b · u + A · h(y) → [8 delay lines, lengths m_i] → y
//! ```
//!
//! * `A` is the 8×8 Hadamard matrix scaled by 1/√8 (orthogonal, hence
//!   lossless), applied with a fast Walsh–Hadamard transform.
//! * Line lengths `m_i` are distinct primes (so mutually prime, spreading the
//!   modes) near `BASE_MS[i] · (0.3 + 0.7·size)` at the stream rate.
//! * `h_i` is a one-pole absorption filter per line whose DC gain is
//!   `g_i = 10^(−3·m_i / (RT60·fs))` and whose Nyquist gain is the same formula
//!   with `RT60 · r`, `r = 1 − 0.9·damping` the high-to-low RT60 ratio (Jot's
//!   frequency-dependent decay): every mode loses 60 dB in RT60 seconds at low
//!   frequencies and in `r·RT60` near Nyquist.
//! * The input diffusers use Dattorro's lengths and coefficients (Dattorro,
//!   "Effect Design, Part 1: Reverberator and Other Filters", JAES 45(9), 1997:
//!   142, 107, 379, 277 samples at 29 761 Hz; 0.75, 0.75, 0.625, 0.625), each
//!   coefficient lowered when needed so the diffuser's own ringing has an RT60
//!   of at most a third of the target (else short decays would be lengthened).
//! * The output taps read the vector written into the lines (`b·u + A·h(y)`),
//!   so the wet signal starts at the predelay, through two orthogonal ±1 tap
//!   vectors for left and right.
//!
//! Recursive state is flushed to zero below 1e-20 so a silent tail ends in
//! exact zeros and never grinds through subnormals.

/// Number of delay lines.
pub const LINES: usize = 8;
/// Longest predelay in milliseconds.
pub const MAX_PREDELAY_MS: f32 = 250.0;
/// Line lengths in milliseconds at `size` = 1 (before rounding to primes).
pub const BASE_MS: [f64; LINES] = [31.3, 37.9, 41.9, 46.7, 53.9, 61.1, 68.3, 77.9];
const DIFFUSER_SAMPLES_AT_29761: [f64; 4] = [142.0, 107.0, 379.0, 277.0];
const DIFFUSER_GAIN: [f32; 4] = [0.75, 0.75, 0.625, 0.625];
const TAP_L: [f32; LINES] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0];
const TAP_R: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0];
const FLUSH: f32 = 1e-20;

#[inline]
fn flush(x: f32) -> f32 {
    if x.abs() < FLUSH { 0.0 } else { x }
}

fn is_prime(n: usize) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d))
}

/// The smallest prime ≥ `n`.
pub fn next_prime(n: usize) -> usize {
    (n.max(2)..).find(|&k| is_prime(k)).unwrap_or(2)
}

/// Delay-line lengths in frames for `size` at `sample_rate`: distinct primes.
pub fn line_lengths(size: f32, sample_rate: f64) -> [usize; LINES] {
    let scale = 0.3 + 0.7 * f64::from(size.clamp(0.0, 1.0));
    let mut out = [0; LINES];
    let mut last = 0;
    for (o, ms) in out.iter_mut().zip(BASE_MS) {
        let n = next_prime(((ms * scale * sample_rate * 0.001).round() as usize).max(last + 1));
        *o = n;
        last = n;
    }
    out
}

/// A delay line read at its full length (ring buffer).
struct Line {
    buf: Vec<f32>,
    pos: usize,
}

impl Line {
    fn new(len: usize) -> Self {
        Line { buf: vec![0.0; len.max(1)], pos: 0 }
    }

    /// The sample written `len` frames ago.
    #[inline]
    fn out(&self) -> f32 {
        self.buf.get(self.pos).copied().unwrap_or(0.0)
    }

    /// Overwrites the oldest sample and advances.
    #[inline]
    fn push(&mut self, x: f32) {
        if let Some(s) = self.buf.get_mut(self.pos) {
            *s = x;
        }
        self.pos += 1;
        if self.pos >= self.buf.len() {
            self.pos = 0;
        }
    }

    fn clear(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }
}

/// Schroeder all-pass `H(z) = (−g + z^−D) / (1 − g z^−D)`.
struct Allpass {
    line: Line,
    g: f32,
}

impl Allpass {
    #[inline]
    fn tick(&mut self, x: f32) -> f32 {
        let delayed = self.line.out();
        let w = flush(x + self.g * delayed);
        self.line.push(w);
        delayed - self.g * w
    }
}

/// The FDN reverberator for one stream rate and size.
pub struct Fdn {
    lines: [Line; LINES],
    lengths: [usize; LINES],
    /// One-pole absorption per line: `y = b·x + a·y₋₁`.
    abs_b: [f32; LINES],
    abs_a: [f32; LINES],
    abs_state: [f32; LINES],
    diffusers: [Allpass; 4],
    predelay: Line,
    predelay_frames: usize,
    sample_rate: f64,
}

impl Fdn {
    /// Allocates lines for `size` (0..1) at `sample_rate`. Control thread.
    pub fn new(sample_rate: f64, size: f32) -> Self {
        let lengths = line_lengths(size, sample_rate);
        let diffusers = std::array::from_fn(|i| Allpass {
            line: Line::new((DIFFUSER_SAMPLES_AT_29761[i] * sample_rate / 29_761.0).round() as usize),
            g: DIFFUSER_GAIN[i],
        });
        let predelay = Line::new((f64::from(MAX_PREDELAY_MS) * 0.001 * sample_rate).ceil() as usize + 1);
        let mut fdn = Fdn {
            lines: std::array::from_fn(|i| Line::new(lengths[i])),
            lengths,
            abs_b: [0.0; LINES],
            abs_a: [0.0; LINES],
            abs_state: [0.0; LINES],
            diffusers,
            predelay,
            predelay_frames: 0,
            sample_rate,
        };
        fdn.set_decay(1.0, 0.0);
        fdn
    }

    /// Line lengths in frames.
    pub fn lengths(&self) -> [usize; LINES] {
        self.lengths
    }

    /// Sets the low-frequency RT60 in seconds and the damping (0..1). Real-time safe.
    pub fn set_decay(&mut self, rt60_s: f32, damping: f32) {
        let rt = f64::from(rt60_s).max(0.01);
        let ratio = 1.0 - 0.9 * f64::from(damping.clamp(0.0, 1.0));
        for i in 0..LINES {
            let m = self.lengths[i] as f64;
            let g_dc = 10f64.powf(-3.0 * m / (rt * self.sample_rate));
            let g_hi = 10f64.powf(-3.0 * m / (rt * ratio * self.sample_rate));
            let a = (g_dc - g_hi) / (g_dc + g_hi);
            self.abs_a[i] = a as f32;
            self.abs_b[i] = (g_dc * (1.0 - a)) as f32;
        }
        // A diffuser rings with its own decay (g per D frames); keep its RT60
        // under a third of the target so short decays are not lengthened by it.
        for (d, nominal) in self.diffusers.iter_mut().zip(DIFFUSER_GAIN) {
            let len = d.line.buf.len() as f64;
            let cap = 10f64.powf(-3.0 * len / (rt / 3.0 * self.sample_rate)) as f32;
            d.g = nominal.min(cap);
        }
    }

    /// Sets the predelay in milliseconds (rounded to frames, 0..=250). Real-time safe.
    pub fn set_predelay_ms(&mut self, ms: f32) {
        let max = self.predelay.buf.len().saturating_sub(1);
        self.predelay_frames = ((f64::from(ms.max(0.0)) * 0.001 * self.sample_rate).round() as usize).min(max);
    }

    /// Processes one mono input frame; returns the wet left and right.
    #[inline]
    pub fn tick(&mut self, x: f32) -> (f32, f32) {
        // Predelay: write, then read `predelay_frames` back.
        let pd = &mut self.predelay;
        let len = pd.buf.len();
        if let Some(s) = pd.buf.get_mut(pd.pos) {
            *s = x;
        }
        let read = (pd.pos + len - self.predelay_frames.min(len - 1)) % len;
        let mut u = pd.buf.get(read).copied().unwrap_or(0.0);
        pd.pos = if pd.pos + 1 >= len { 0 } else { pd.pos + 1 };
        for d in &mut self.diffusers {
            u = d.tick(u);
        }
        // Absorb, mix through the Hadamard matrix, inject, write.
        let mut v = [0.0f32; LINES];
        for (i, vi) in v.iter_mut().enumerate() {
            let y = self.abs_b[i] * self.lines[i].out() + self.abs_a[i] * self.abs_state[i];
            self.abs_state[i] = flush(y);
            *vi = self.abs_state[i];
        }
        hadamard8(&mut v);
        let inject = u * std::f32::consts::FRAC_1_SQRT_2 * 0.5;
        let (mut l, mut r) = (0.0, 0.0);
        for (i, vi) in v.iter().enumerate() {
            let s = flush(vi * (1.0 / 8f32.sqrt()) + inject);
            self.lines[i].push(s);
            l += TAP_L[i] * s;
            r += TAP_R[i] * s;
        }
        (l * 0.35, r * 0.35)
    }

    /// Clears all state. Real-time safe.
    pub fn reset(&mut self) {
        for l in &mut self.lines {
            l.clear();
        }
        for d in &mut self.diffusers {
            d.line.clear();
        }
        self.predelay.clear();
        self.abs_state = [0.0; LINES];
    }
}

/// In-place unnormalised fast Walsh–Hadamard transform of length 8.
#[inline]
fn hadamard8(v: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(h * 2) {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
        }
        h *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_distinct_primes() {
        for size in [0.0, 0.5, 1.0] {
            let l = line_lengths(size, 48_000.0);
            assert!(l.iter().all(|n| is_prime(*n)));
            assert!(l.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn hadamard_is_orthogonal() {
        let mut v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let e0: f32 = v.iter().map(|x| x * x).sum();
        hadamard8(&mut v);
        let e1: f32 = v.iter().map(|x| x * x).sum::<f32>() / 8.0;
        assert!((e0 - e1).abs() < 1e-4);
    }
}

//! The 4-band split run four filter lanes at a time.
//!
//! Per frame the stereo 4-band tree of [`super::BandSplitter`] is 14 stereo
//! biquad ticks, most of them independent of each other: the low and high
//! halves of a split see the same input, and so do the two channels. Here
//! they run side by side as one 4-lane section (`[left, right, left, right]`
//! with the low-pass coefficients in lanes 0–1 and the high-pass ones in
//! lanes 2–3), which the compiler maps onto one AVX register of four f64:
//!
//! ```text
//! stage A:  [LP₂ L, LP₂ R, HP₂ L, HP₂ R] twice      on [x L, x R, x L, x R]
//! all-pass: [AP₃ l L, AP₃ l R, AP₁ h L, AP₁ h R]     on its output [l, h]
//! stage B:  [LP₁ l L, LP₁ l R, HP₁ l L, HP₁ l R] twice,
//!           [LP₃ h L, LP₃ h R, HP₃ h L, HP₃ h R] twice
//! ```
//!
//! 7 four-lane ticks instead of 14 two-lane ones. Every lane does the same
//! multiplications and additions in the same order as
//! [`PairSection::tick`](crate::eq::biquad::PairSection::tick). Where the CPU
//! has FMA they are fused (see [`crate::mul_add`]), which rounds differently
//! in the last bits; with plain multiply-adds the output is bit-identical to
//! the frame-by-frame path (a test checks both). The one difference: the output flush to zero
//! compares the f32 result with the threshold, not the f64 one, which can
//! only differ for a value within an f32 rounding of 1e-20. The filter memory stays in the splitter's own
//! layout between blocks and is regrouped at each block's start and end, so
//! both paths can be mixed freely.

use super::{MAX_BANDS, MAX_CHANNELS, Split, SplitterState, finite};
use crate::eq::biquad::DENORMAL_THRESHOLD;
use crate::eq::biquad::{QuadCoefs, QuadSection};
use crate::mul_add::{MulAdd, target_mul_add};

/// The whole tree's coefficients and memory in four-lane form.
#[derive(Clone, Copy, Debug)]
struct Tree {
    stage_a: (QuadCoefs, [QuadSection; 2]),
    allpass: (QuadCoefs, QuadSection),
    low: (QuadCoefs, [QuadSection; 2]),
    high: (QuadCoefs, [QuadSection; 2]),
}

impl Tree {
    fn gather(splits: &[Split; 3], st: &SplitterState) -> Self {
        let [s1, s2, s3] = splits;
        let cascade = |i: usize| [0, 1].map(|k| QuadSection::gather(&st.low[i][k], &st.high[i][k]));
        Tree {
            stage_a: (QuadCoefs::pair(&s2.lr4.low, &s2.lr4.high), cascade(1)),
            allpass: (QuadCoefs::pair(&s3.allpass, &s1.allpass), QuadSection::gather(&st.allpass[0], &st.allpass[1])),
            low: (QuadCoefs::pair(&s1.lr4.low, &s1.lr4.high), cascade(0)),
            high: (QuadCoefs::pair(&s3.lr4.low, &s3.lr4.high), cascade(2)),
        }
    }

    fn scatter(&self, st: &mut SplitterState) {
        let [ap_a, ap_b] = &mut st.allpass;
        self.allpass.1.scatter(ap_a, ap_b);
        for (i, sections) in [(1, &self.stage_a.1), (0, &self.low.1), (2, &self.high.1)] {
            for (k, q) in sections.iter().enumerate() {
                q.scatter(&mut st.low[i][k], &mut st.high[i][k]);
            }
        }
    }

    /// The first split and the all-pass of one frame: `[l L, l R, h L, h R]`.
    #[inline(always)]
    fn front(&mut self, m: MulAdd, x: [f64; 2]) -> Lanes {
        let a = QuadSection::twice(&mut self.stage_a.1, m, &self.stage_a.0, [x[0], x[1], x[0], x[1]]);
        self.allpass.1.tick(m, &self.allpass.0, a)
    }

    /// The second splits of one frame's [`Tree::front`] output: the four
    /// bands, `[b0 L, b0 R, b1 L, b1 R, b2 L, b2 R, b3 L, b3 R]`, in f32.
    #[inline(always)]
    fn back(&mut self, m: MulAdd, [l0, l1, h0, h1]: Lanes) -> [f32; 8] {
        let low = QuadSection::twice(&mut self.low.1, m, &self.low.0, [l0, l1, l0, l1]);
        let high = QuadSection::twice(&mut self.high.1, m, &self.high.0, [h0, h1, h0, h1]);
        let [a, b, c, d] = low.map(|v| v as f32);
        let [e, f, g, h] = high.map(|v| v as f32);
        [a, b, c, d, e, f, g, h]
    }
}

/// Four f64 lanes.
type Lanes = [f64; 4];

/// Frames per pass: the tree runs as two passes over this many frames (the
/// first split and all-pass, then the second splits), so each pass keeps
/// its filter memory in registers; all seven sections in one loop spill
/// their memory to the stack, which puts a store and a load into every
/// section's frame-to-frame chain.
const PASS: usize = 64;

/// Splits `frames` frames of `input` (a short lane reads as silence) into
/// `out[band][lane][..frames]` with 4 bands, updating `state`. `mode` fixes
/// the multiply-adds (tests compare [`MulAdd::PLAIN`] with the frame path);
/// `None` takes the CPU's best. Real-time safe.
pub(super) fn split_block(
    mode: Option<MulAdd>,
    splits: &[Split; 3],
    state: &mut SplitterState,
    input: [&[f32]; MAX_CHANNELS],
    out: &mut [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS],
    frames: usize,
) {
    let mut tree = Tree::gather(splits, state);
    match mode {
        Some(m) => run_with(m, &mut tree, input, out, frames),
        None => run(&mut tree, input, out, frames),
    }
    tree.scatter(state);
}

/// The frame loop, compiled for AVX2/FMA (with fused multiply-adds) and AVX
/// as well as the baseline, and picked at run time.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn run(tree: &mut Tree, input: [&[f32]; MAX_CHANNELS], out: &mut [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS], frames: usize) {
    run_with(target_mul_add!(), tree, input, out, frames);
}

/// The body of [`run`], inlined into each of its clones.
#[inline(always)]
fn run_with(
    m: MulAdd,
    tree: &mut Tree,
    input: [&[f32]; MAX_CHANNELS],
    out: &mut [[Vec<f32>; MAX_CHANNELS]; MAX_BANDS],
    frames: usize,
) {
    let [[o00, o01], [o10, o11], [o20, o21], [o30, o31]] = out;
    let lanes = [o00, o01, o10, o11, o20, o21, o30, o31].map(|v| v.get_mut(..frames));
    let [Some(o00), Some(o01), Some(o10), Some(o11), Some(o20), Some(o21), Some(o30), Some(o31)] = lanes else {
        return;
    };
    let sample = |lane: &[f32], i: usize| finite(lane.get(i).copied().unwrap_or(0.0));
    let mut outputs = [o00, o01, o10, o11, o20, o21, o30, o31];
    let mut local = *tree;
    let mut start = 0;
    while start < frames {
        let n = PASS.min(frames - start);
        let mut middle = [[0.0f64; 4]; PASS];
        for (i, mid) in middle.iter_mut().enumerate().take(n) {
            *mid = local.front(m, [sample(input[0], start + i), sample(input[1], start + i)]);
        }
        let mut bands = [[0.0f32; 8]; PASS];
        for (b, mid) in bands.iter_mut().zip(&middle).take(n) {
            *b = local.back(m, *mid);
        }
        for (k, lane) in outputs.iter_mut().enumerate() {
            if let Some(lane) = lane.get_mut(start..start + n) {
                for (y, b) in lane.iter_mut().zip(&bands) {
                    *y = b[k];
                }
            }
        }
        start += n;
    }
    *tree = local;
    let [o00, o01, o10, o11, o20, o21, o30, o31] = outputs;
    // The frame path's output flush, as one vectorised pass per band and
    // lane instead of a branch per sample in the recursion's loop.
    for lane in [o00, o01, o10, o11, o20, o21, o30, o31] {
        for v in lane.iter_mut() {
            *v = if v.abs() < FLUSH_BELOW { 0.0 } else { *v };
        }
    }
}

/// [`DENORMAL_THRESHOLD`] in f32: where the frame path's `out` rounds to 0.
const FLUSH_BELOW: f32 = DENORMAL_THRESHOLD as f32;

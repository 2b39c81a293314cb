//! Smoothing of a compressor's static curve (threshold, ratio, knee) for the
//! nodes that drive [`Compressor`] kernels: `dynamics.compressor` and each
//! band of `dynamics.multiband`.

use super::compressor::{Compressor, GainComputer, MAX_CHANNELS};
use mixgraph_graph::{Smoother, Smoothing};

/// Threshold and knee (dB) glide linearly, the ratio geometrically, so a
/// change never steps the gain by more than the curve moves in 20 ms.
pub(crate) const CURVE_DB_SMOOTHING: Smoothing = Smoothing::Linear { ms: 20.0 };
/// See [`CURVE_DB_SMOOTHING`].
pub(crate) const RATIO_SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 20.0 };
/// Frames between static-curve updates while it glides.
const STEP: usize = 16;

/// Threshold, ratio and knee gliding toward their parameters.
pub(crate) struct CurveGlide {
    threshold: Smoother,
    ratio: Smoother,
    knee: Smoother,
}

impl CurveGlide {
    /// Starting at `curve`. Control thread.
    pub(crate) fn new(curve: GainComputer, sample_rate: f64) -> Self {
        CurveGlide {
            threshold: Smoother::new(CURVE_DB_SMOOTHING, sample_rate, curve.threshold_db as f32),
            ratio: Smoother::new(RATIO_SMOOTHING, sample_rate, curve.ratio as f32),
            knee: Smoother::new(CURVE_DB_SMOOTHING, sample_rate, curve.knee_db as f32),
        }
    }

    /// Sets where the curve glides to.
    pub(crate) fn set_target(&mut self, curve: GainComputer) {
        for (s, v) in
            [(&mut self.threshold, curve.threshold_db), (&mut self.ratio, curve.ratio), (&mut self.knee, curve.knee_db)]
        {
            if s.target() != v as f32 {
                s.set_target(v as f32);
            }
        }
    }

    /// Ends the glide at the target and puts `kernel` there (after a reset).
    pub(crate) fn jump(&mut self, kernel: &mut Compressor) {
        for s in [&mut self.threshold, &mut self.ratio, &mut self.knee] {
            s.jump_to(s.target());
        }
        kernel.set_curve(self.current());
    }

    fn current(&self) -> GainComputer {
        GainComputer {
            threshold_db: f64::from(self.threshold.value()),
            ratio: f64::from(self.ratio.value()),
            knee_db: f64::from(self.knee.value()),
        }
    }

    /// [`Compressor::reduce_block`], with the curve moved along its glide
    /// every [`STEP`] frames while it is gliding. Real-time safe.
    pub(crate) fn reduce_block(
        &mut self,
        kernel: &mut Compressor,
        detect: [&[f32]; MAX_CHANNELS],
        reduction: [&mut [f32]; MAX_CHANNELS],
    ) {
        let [g0, g1] = reduction;
        let shared = self.static_block(kernel, detect, [&mut *g0, &mut *g1]);
        kernel.envelope_block([g0, g1], shared);
    }

    fn is_settled(&self) -> bool {
        self.threshold.is_settled() && self.ratio.is_settled() && self.knee.is_settled()
    }

    /// [`Compressor::static_block`], with the curve moved along its glide
    /// every [`STEP`] frames while it is gliding (the envelope does not
    /// depend on the curve, so it can run afterwards over the whole block).
    /// Returns whether the channels share one envelope. Real-time safe.
    pub(crate) fn static_block(
        &mut self,
        kernel: &mut Compressor,
        detect: [&[f32]; MAX_CHANNELS],
        reduction: [&mut [f32]; MAX_CHANNELS],
    ) -> bool {
        if self.is_settled() {
            return kernel.static_block(detect, reduction);
        }
        let [g0, g1] = reduction;
        let n = g0.len();
        let mut at = 0;
        let mut shared = false;
        while at < n {
            let end = (at + STEP).min(n);
            let step = (end - at) as u32;
            for s in [&mut self.threshold, &mut self.ratio, &mut self.knee] {
                s.next_step(step);
            }
            kernel.set_curve(self.current());
            let [d0, d1] = detect;
            let parts = [d0.get(at..end).unwrap_or(&[]), d1.get(at..end).unwrap_or(&[])];
            let (Some(a), Some(b)) = (g0.get_mut(at..end), g1.get_mut(at..end)) else { break };
            // The same answer for every step: the envelopes do not move here.
            shared = kernel.static_block(parts, [a, b]);
            at = end;
        }
        shared
    }
}

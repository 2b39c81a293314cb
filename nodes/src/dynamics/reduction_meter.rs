//! The gain-reduction meter every dynamics node publishes as
//! `<node>.gain_reduction`: the largest reduction (dB ≥ 0) of each period,
//! 30 times a second.

use crate::fast_math::max_over;
use mixgraph_graph::{MeterData, MeterFrame, MeterWriter, PrepareContext};

/// Gain-reduction meter frames per second.
const METER_RATE_HZ: f64 = 30.0;

/// Publishes the largest gain reduction (dB ≥ 0) of each meter period as the
/// node's `gain_reduction` telemetry, [`METER_RATE_HZ`] times a second.
pub(crate) struct ReductionMeter {
    writer: MeterWriter,
    period: u64,
    count: u64,
    max_db: f32,
}

impl ReductionMeter {
    /// Registers `<node>.gain_reduction`. Control thread; allocates.
    pub(crate) fn new(ctx: &PrepareContext<'_>) -> Self {
        Self::named(ctx, "gain_reduction")
    }

    /// Registers `<node>.<name>` (per-band meters). Control thread; allocates.
    pub(crate) fn named(ctx: &PrepareContext<'_>, name: &str) -> Self {
        ReductionMeter {
            writer: ctx.meter(name, MeterFrame::new(MeterData::GainReduction { db: 0.0 })),
            period: (ctx.stream.sample_rate / METER_RATE_HZ).round().max(1.0) as u64,
            count: 0,
            max_db: 0.0,
        }
    }

    /// Accounts a run of frames: `reductions[k]` is the reduction of the frame
    /// whose position + 1 is `first_position + k`. Publishes the largest
    /// reduction of each meter period at the period's last frame. Audio
    /// thread; never allocates.
    pub(crate) fn push_block(&mut self, reductions: &[f32], first_position: u64) {
        let mut start = 0usize;
        while start < reductions.len() {
            let take = ((self.period - self.count) as usize).min(reductions.len() - start);
            let run = reductions.get(start..start + take).unwrap_or(&[]);
            self.max_db = max_over(run, self.max_db, |r| r);
            self.count += take as u64;
            start += take;
            if self.count >= self.period {
                let db = self.max_db;
                self.writer.publish(first_position + start as u64 - 1, |data| {
                    if let MeterData::GainReduction { db: value } = data {
                        *value = db;
                    }
                });
                self.count = 0;
                self.max_db = 0.0;
            }
        }
    }

    /// Starts a fresh period.
    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.max_db = 0.0;
    }
}

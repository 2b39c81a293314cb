//! `meter.scope`: the recent waveform of each channel, decimated for display
//! and published as telemetry (`<node>.scope`).

use super::loudness_node::{period_frames, rate_param};
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamIndex, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus,
    Processor, Smoothing,
};

const RATE: u16 = 0;
const WINDOW_MS: u16 = 1;
/// Longest `window_ms`; the ring holds this much history.
const MAX_WINDOW_MS: f32 = 1000.0;

/// Passes audio through and publishes the last `window_ms` of every channel,
/// decimated to `points` samples per channel.
///
/// Decimation is peak preserving: the window is cut into `points / 2` equal
/// buckets and each bucket contributes its minimum and its maximum sample, in
/// the order they occurred, so the frame's extremes are exact sample values
/// and no transient disappears between points. An odd `points` repeats the
/// window's last sample as the final point. A window shorter than `points / 2`
/// samples repeats samples instead (buckets of one sample).
pub struct ScopeNode {
    channels: usize,
    points: usize,
}

impl ScopeNode {
    /// A scope with `channels` channels (1..=8) and `points` points per channel (64..=4096).
    pub fn new(channels: usize, points: usize) -> Self {
        ScopeNode { channels, points }
    }
}

struct ScopeProcessor {
    writer: MeterWriter,
    rings: Vec<Vec<f32>>,
    /// Next write position in every ring (= the oldest sample once full).
    pos: usize,
    count: u64,
    period: u64,
    window_frames: usize,
    sample_rate: f64,
}

fn window_frames(sample_rate: f64, window_ms: f32, capacity: usize) -> usize {
    ((sample_rate * window_ms.clamp(5.0, MAX_WINDOW_MS) as f64 / 1000.0).round() as usize).clamp(1, capacity)
}

/// Decimates the last `window` samples of `ring` (circular, next write at
/// `pos`) into `out` by per-bucket min/max selection. Never allocates.
pub(super) fn decimate_min_max(ring: &[f32], pos: usize, window: usize, out: &mut [f32]) {
    let len = ring.len();
    if len == 0 || out.is_empty() {
        return;
    }
    let window = window.clamp(1, len);
    let first = pos + len - window;
    let at = |i: usize| ring.get((first + i) % len).copied().unwrap_or(0.0);
    let pairs = out.len() / 2;
    for j in 0..pairs {
        let a = j * window / pairs;
        let b = ((j + 1) * window / pairs).max(a + 1).min(window);
        let (mut lo, mut hi) = ((a, at(a)), (a, at(a)));
        for i in a + 1..b {
            let x = at(i);
            if x < lo.1 {
                lo = (i, x);
            }
            if x > hi.1 {
                hi = (i, x);
            }
        }
        let (p, q) = if lo.0 <= hi.0 { (lo.1, hi.1) } else { (hi.1, lo.1) };
        if let Some(pair) = out.get_mut(2 * j..2 * j + 2) {
            pair[0] = p;
            pair[1] = q;
        }
    }
    if out.len() % 2 == 1
        && let Some(last) = out.last_mut()
    {
        *last = at(window - 1);
    }
}

impl Node for ScopeNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("meter.scope")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(rate_param())
            .param(
                ParamDesc::float("window_ms", "Window", 5.0, MAX_WINDOW_MS, 50.0, ParamUnit::Ms)
                    .log_taper()
                    .smoothing(Smoothing::None),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sample_rate = ctx.stream.sample_rate;
        let capacity = ((sample_rate * MAX_WINDOW_MS as f64 / 1000.0).ceil() as usize).max(1);
        let initial = MeterData::Scope { channels: vec![vec![0.0; self.points]; self.channels] };
        Ok(Prepared::new(ScopeProcessor {
            writer: ctx.meter("scope", MeterFrame::new(initial)),
            rings: vec![vec![0.0; capacity]; self.channels],
            pos: 0,
            count: 0,
            period: period_frames(sample_rate, ctx.param(ParamIndex(RATE))),
            window_frames: window_frames(sample_rate, ctx.param(ParamIndex(WINDOW_MS)), capacity),
            sample_rate,
        }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": self.channels, "points": self.points })
    }
}

impl Processor for ScopeProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let size = self.rings.first().map_or(1, Vec::len);
        for e in params.iter() {
            match e.index.0 {
                RATE => self.period = period_frames(self.sample_rate, e.value),
                WINDOW_MS => self.window_frames = window_frames(self.sample_rate, e.value, size),
                _ => {}
            }
        }
        let mut start = 0;
        while start < info.frames {
            let due = self.period.saturating_sub(self.count).max(1) as usize;
            let n = due.min(info.frames - start).min(size - self.pos);
            for (ring, input) in self.rings.iter_mut().zip(io.inputs.iter()) {
                if let (Some(dst), Some(src)) = (ring.get_mut(self.pos..self.pos + n), input.get(start..start + n)) {
                    dst.copy_from_slice(src);
                }
            }
            self.pos = (self.pos + n) % size;
            self.count += n as u64;
            start += n;
            if self.count >= self.period {
                self.count = 0;
                let (rings, pos, window) = (&self.rings, self.pos, self.window_frames);
                self.writer.publish(info.frame_position + start as u64, |data| {
                    if let MeterData::Scope { channels } = data {
                        for (ring, out) in rings.iter().zip(channels.iter_mut()) {
                            decimate_min_max(ring, pos, window, out);
                        }
                    }
                });
            }
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        for ring in &mut self.rings {
            ring.fill(0.0);
        }
        self.pos = 0;
        self.count = 0;
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "channel count, 1 to 8", default: "2" },
    ConfigField { name: "points", description: "points per channel and frame, 64 to 4096", default: "512" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "meter.scope",
        family: "metering",
        description: "Oscilloscope: recent waveform per channel, min/max decimated, as telemetry",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 8)?;
            let points = r.usize("points", 512, 64, 4096)?;
            r.finish()?;
            Ok(Box::new(ScopeNode::new(channels, points)))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::decimate_min_max;
    use crate::testing::{NodeHarness, noise, sine};
    use mixgraph_graph::MeterData;
    use serde_json::json;

    fn scope(h: &NodeHarness, input: &[Vec<f32>], blocks: &[usize]) -> (u64, Vec<Vec<f32>>) {
        let (engine, mut ex) = h.engine();
        let out = crate::testing::run(&mut ex, input, blocks);
        assert_eq!(out, input, "audio passes through untouched");
        let frame = engine.telemetry().latest("node.scope").expect("published");
        let MeterData::Scope { channels } = frame.data else { panic!("kind") };
        (frame.seq, channels)
    }

    #[test]
    fn sine_peak_survives_decimation() {
        let h = NodeHarness::new("meter.scope", json!({"channels": 2}), &[("window_ms", 50.0)]);
        let x = sine(100.0, 0.8, 9600);
        let (seq, channels) = scope(&h, &[x.clone(), x.clone()], &[512]);
        assert_eq!(seq, 6);
        for ch in &channels {
            assert_eq!(ch.len(), 512);
            let max = ch.iter().copied().fold(f32::MIN, f32::max);
            let min = ch.iter().copied().fold(f32::MAX, f32::min);
            println!("100 Hz sine, amplitude 0.8: scope max {max:.6}, min {min:.6}");
            assert!((max - 0.8).abs() <= 1e-3 && (min + 0.8).abs() <= 1e-3, "{max} {min}");
        }
    }

    #[test]
    fn decimation_keeps_order_and_extremes() {
        let ring: Vec<f32> = (0..100)
            .map(|i| {
                if i == 37 {
                    5.0
                } else if i == 38 {
                    -5.0
                } else {
                    0.0
                }
            })
            .collect();
        let mut out = [0.0; 11];
        decimate_min_max(&ring, 0, 100, &mut out);
        assert!(out.contains(&5.0) && out.contains(&-5.0));
        let (a, b) = (out.iter().position(|v| *v == 5.0).unwrap(), out.iter().position(|v| *v == -5.0).unwrap());
        assert!(a < b, "time order kept");
        // Fewer samples than points: samples repeat, nothing out of range.
        let mut wide = [9.0; 64];
        decimate_min_max(&[1.0, 2.0, 3.0], 1, 3, &mut wide);
        assert!(wide.iter().all(|v| (1.0..=3.0).contains(v)));
        assert_eq!((wide[0], wide[63]), (2.0, 1.0));
    }

    #[test]
    fn odd_points_and_invariants() {
        let h = NodeHarness::new("meter.scope", json!({"channels": 1, "points": 101}), &[("window_ms", 5.0)]);
        let input = [noise(9600, 4)];
        let (seq, reference) = scope(&h, &input, &[512]);
        assert_eq!(reference[0].len(), 101);
        assert_eq!(scope(&h, &input, &[7, 64, 3, 300, 512, 1]), (seq, reference));
        h.check_invariants(&input);
    }
}

//! `meter.correlation`: stereo phase correlation and balance
//! (`<node>.correlation`) plus goniometer points (`<node>.goniometer`).

use super::loudness_node::{period_frames, rate_param};
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamIndex, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus,
    Processor, Smoothing,
};

const RATE: u16 = 0;
const WINDOW_MS: u16 = 1;
/// Longest integration window; the history ring holds this much.
const MAX_WINDOW_MS: f32 = 3000.0;

/// Passes stereo audio through and meters it.
///
/// Over a rectangular window of the last `window_ms` (recomputed exactly at
/// every publish, so the reading does not depend on block size):
/// - correlation = Σ L·R / √(Σ L² · Σ R²), 0 when either channel is silent;
/// - balance = (R_rms − L_rms) / (R_rms + L_rms) in −1 (left only) … +1 (right
///   only), 0 for silence.
///
/// The goniometer frame holds the last `points` samples as `[side, mid]` with
/// mid = (L + R)/√2 and side = (L − R)/√2: a 45° rotation that keeps each
/// point's distance from the origin equal to √(L² + R²), so a full-scale sample
/// on one channel lies on the unit circle, and full-scale mono (L = R = 1)
/// reaches mid = √2.
pub struct CorrelationNode {
    points: usize,
}

impl CorrelationNode {
    /// A stereo correlation meter whose goniometer keeps `points` points (16..=4096).
    pub fn new(points: usize) -> Self {
        CorrelationNode { points }
    }
}

/// Correlation and balance of two equally long signals (see [`CorrelationNode`]).
pub(super) fn correlation_and_balance(left: impl Iterator<Item = f32>, right: impl Iterator<Item = f32>) -> (f32, f32) {
    let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
    for (l, r) in left.zip(right) {
        let (l, r) = (l as f64, r as f64);
        lr += l * r;
        ll += l * l;
        rr += r * r;
    }
    let correlation = if ll > 0.0 && rr > 0.0 { (lr / (ll * rr).sqrt()).clamp(-1.0, 1.0) } else { 0.0 };
    let (l_rms, r_rms) = (ll.sqrt(), rr.sqrt());
    let balance = if l_rms + r_rms > 0.0 { (r_rms - l_rms) / (r_rms + l_rms) } else { 0.0 };
    (correlation as f32, balance as f32)
}

struct CorrelationProcessor {
    correlation: MeterWriter,
    goniometer: MeterWriter,
    left: Vec<f32>,
    right: Vec<f32>,
    /// Next write position in both rings (= the oldest sample once full).
    pos: usize,
    count: u64,
    period: u64,
    window_frames: usize,
    sample_rate: f64,
}

fn window_frames(sample_rate: f64, window_ms: f32, capacity: usize) -> usize {
    ((sample_rate * window_ms.clamp(10.0, MAX_WINDOW_MS) as f64 / 1000.0).round() as usize).clamp(1, capacity)
}

impl CorrelationProcessor {
    /// The last `n` samples of a ring, oldest first.
    fn recent(ring: &[f32], pos: usize, n: usize) -> impl Iterator<Item = f32> + '_ {
        let len = ring.len();
        let first = pos + len - n.min(len);
        (0..n.min(len)).map(move |i| ring.get((first + i) % len).copied().unwrap_or(0.0))
    }

    fn publish(&mut self, frame_position: u64) {
        let (pos, window) = (self.pos, self.window_frames);
        let (correlation, balance) =
            correlation_and_balance(Self::recent(&self.left, pos, window), Self::recent(&self.right, pos, window));
        self.correlation.publish(frame_position, |data| {
            if let MeterData::Correlation { correlation: c, balance: b } = data {
                (*c, *b) = (correlation, balance);
            }
        });
        let (left, right) = (&self.left, &self.right);
        self.goniometer.publish(frame_position, |data| {
            if let MeterData::Goniometer { points } = data {
                let n = points.len();
                let samples = Self::recent(left, pos, n).zip(Self::recent(right, pos, n));
                for (point, (l, r)) in points.iter_mut().zip(samples) {
                    *point = [(l - r) * std::f32::consts::FRAC_1_SQRT_2, (l + r) * std::f32::consts::FRAC_1_SQRT_2];
                }
            }
        });
    }
}

impl Node for CorrelationNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("meter.correlation")
            .input(PortDesc::audio("in", 2))
            .output(PortDesc::audio("out", 2))
            .param(rate_param())
            .param(
                ParamDesc::float("window_ms", "Integration window", 10.0, MAX_WINDOW_MS, 300.0, ParamUnit::Ms)
                    .log_taper()
                    .smoothing(Smoothing::None),
            )
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let sample_rate = ctx.stream.sample_rate;
        let window_capacity = (sample_rate * MAX_WINDOW_MS as f64 / 1000.0).ceil() as usize;
        let capacity = window_capacity.max(self.points).max(1);
        let correlation = MeterFrame::new(MeterData::Correlation { correlation: 0.0, balance: 0.0 });
        let goniometer = MeterFrame::new(MeterData::Goniometer { points: vec![[0.0; 2]; self.points] });
        Ok(Prepared::new(CorrelationProcessor {
            correlation: ctx.meter("correlation", correlation),
            goniometer: ctx.meter("goniometer", goniometer),
            left: vec![0.0; capacity],
            right: vec![0.0; capacity],
            pos: 0,
            count: 0,
            period: period_frames(sample_rate, ctx.param(ParamIndex(RATE))),
            window_frames: window_frames(sample_rate, ctx.param(ParamIndex(WINDOW_MS)), capacity),
            sample_rate,
        }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "channels": 2, "points": self.points })
    }
}

impl Processor for CorrelationProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let size = self.left.len();
        for e in params.iter() {
            match e.index.0 {
                RATE => self.period = period_frames(self.sample_rate, e.value),
                WINDOW_MS => self.window_frames = window_frames(self.sample_rate, e.value, size),
                _ => {}
            }
        }
        let (left_in, right_in) = (io.input(0), io.input(1));
        let mut start = 0;
        while start < info.frames {
            let due = self.period.saturating_sub(self.count).max(1) as usize;
            let n = due.min(info.frames - start).min(size - self.pos);
            for (ring, input) in [(&mut self.left, left_in), (&mut self.right, right_in)] {
                if let (Some(dst), Some(src)) = (ring.get_mut(self.pos..self.pos + n), input.get(start..start + n)) {
                    dst.copy_from_slice(src);
                }
            }
            self.pos = (self.pos + n) % size;
            self.count += n as u64;
            start += n;
            if self.count >= self.period {
                self.count = 0;
                self.publish(info.frame_position + start as u64);
            }
        }
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            output.copy_from_slice(input);
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.left.fill(0.0);
        self.right.fill(0.0);
        self.pos = 0;
        self.count = 0;
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "channels", description: "must be 2 (stereo)", default: "2" },
    ConfigField { name: "points", description: "goniometer points per frame, 16 to 4096", default: "256" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "meter.correlation",
        family: "metering",
        description: "Stereo correlation, balance and goniometer points as telemetry",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let channels = r.usize("channels", 2, 1, 8)?;
            let points = r.usize("points", 256, 16, 4096)?;
            r.finish()?;
            if channels != 2 {
                return Err(NodeError::msg(format!("config.channels: {channels} is not supported (stereo only, 2)")));
            }
            Ok(Box::new(CorrelationNode::new(points)))
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise, sine};
    use mixgraph_graph::{MeterData, MeterFrame};
    use serde_json::json;

    fn meters(h: &NodeHarness, left: Vec<f32>, right: Vec<f32>, blocks: &[usize]) -> (MeterFrame, MeterFrame) {
        let (engine, mut ex) = h.engine();
        let input = [left, right];
        let out = crate::testing::run(&mut ex, &input, blocks);
        assert_eq!(out, input, "audio passes through untouched");
        let t = engine.telemetry();
        (t.latest("node.correlation").expect("published"), t.latest("node.goniometer").expect("published"))
    }

    fn reading(h: &NodeHarness, left: Vec<f32>, right: Vec<f32>) -> (f32, f32) {
        match meters(h, left, right, &[512]).0.data {
            MeterData::Correlation { correlation, balance } => (correlation, balance),
            _ => panic!("kind"),
        }
    }

    #[test]
    fn correlation_and_balance_of_reference_signals() {
        let h = NodeHarness::new("meter.correlation", json!({}), &[]);
        let x = sine(440.0, 0.5, 24_000);
        let neg: Vec<f32> = x.iter().map(|v| -v).collect();
        let cases = [
            ("identical", reading(&h, x.clone(), x.clone())),
            ("inverted", reading(&h, x.clone(), neg)),
            ("independent noise", reading(&h, noise(24_000, 1), noise(24_000, 2))),
            ("left only", reading(&h, x.clone(), vec![0.0; 24_000])),
            ("silence", reading(&h, vec![0.0; 24_000], vec![0.0; 24_000])),
        ];
        for (name, (c, b)) in &cases {
            println!("{name}: correlation {c:+.5}, balance {b:+.5}");
        }
        assert!((cases[0].1.0 - 1.0).abs() <= 1e-3 && cases[0].1.1.abs() <= 1e-3);
        assert!((cases[1].1.0 + 1.0).abs() <= 1e-3 && cases[1].1.1.abs() <= 1e-3);
        assert!(cases[2].1.0.abs() < 0.1);
        assert!((cases[3].1.1 + 1.0).abs() <= 1e-6 && cases[3].1.0 == 0.0);
        assert_eq!(cases[4].1, (0.0, 0.0));
    }

    #[test]
    fn goniometer_of_mono_lies_on_the_mid_axis() {
        let h = NodeHarness::new("meter.correlation", json!({"points": 300}), &[]);
        let x = noise(9600, 5);
        let (_, gonio) = meters(&h, x.clone(), x.clone(), &[512]);
        let MeterData::Goniometer { points } = gonio.data else { panic!("kind") };
        assert_eq!(points.len(), 300);
        assert!(points.iter().all(|[side, _]| *side == 0.0));
        // The newest point is the last input sample, rotated: mid = √2 · x.
        let last = x[x.len() - 1] * std::f32::consts::SQRT_2;
        println!("last point mid {} (expected {last})", points[299][1]);
        assert!((points[299][1] - last).abs() < 1e-6);
        let peak = points.iter().map(|p| p[1].abs()).fold(0.0, f32::max);
        assert!(peak > 1.0, "mono full-scale noise reaches beyond the unit circle on mid: {peak}");
    }

    #[test]
    fn invariants_and_block_size_independent_frames() {
        let h = NodeHarness::new("meter.correlation", json!({"channels": 2}), &[("window_ms", 50.0)]);
        let (l, r) = (noise(9600, 1), noise(9600, 2));
        let mixed: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.7 * a + 0.3 * b).collect();
        let reference = meters(&h, l.clone(), mixed.clone(), &[512]);
        for blocks in [&[1][..], &[7, 64, 3, 300, 512, 1]] {
            assert_eq!(meters(&h, l.clone(), mixed.clone(), blocks), reference, "blocks {blocks:?}");
        }
        h.check_invariants(&[l, mixed]);
        assert!(crate::registry().create("meter.correlation", &json!({"channels": 1})).is_err());
    }
}

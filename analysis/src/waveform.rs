//! Multi-resolution waveform peaks, for drawing overviews at any zoom.

use crate::round;
use serde::{Deserialize, Serialize};

/// Frames per peak at the finest level; each coarser level is 4× coarser.
pub const FINEST_FRAMES_PER_PEAK: usize = 1024;
/// Number of levels (1024, 4096, 16384, 65536 frames per peak).
pub const LEVELS: usize = 4;

/// One zoom level: for each span of `frames_per_peak` frames, the smallest
/// and largest sample over all channels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformLevel {
    /// Frames per span.
    pub frames_per_peak: usize,
    /// Smallest sample of each span.
    pub min: Vec<f32>,
    /// Largest sample of each span.
    pub max: Vec<f32>,
}

/// All zoom levels, finest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformPeaks {
    /// Levels from [`FINEST_FRAMES_PER_PEAK`] frames per peak up, 4× each.
    pub levels: Vec<WaveformLevel>,
}

impl WaveformPeaks {
    /// Measures planar `channels`; the coarser levels are built from the
    /// finest, so they agree exactly.
    pub fn measure(channels: &[Vec<f32>]) -> Self {
        let frames = channels.first().map_or(0, Vec::len);
        let spans = frames.div_ceil(FINEST_FRAMES_PER_PEAK);
        let (mut min, mut max) = (vec![0.0f32; spans], vec![0.0f32; spans]);
        for (s, (lo, hi)) in min.iter_mut().zip(max.iter_mut()).enumerate() {
            let range = s * FINEST_FRAMES_PER_PEAK..((s + 1) * FINEST_FRAMES_PER_PEAK).min(frames);
            let (mut a, mut b) = (f32::INFINITY, f32::NEG_INFINITY);
            for c in channels {
                for &x in &c[range.clone()] {
                    a = a.min(x);
                    b = b.max(x);
                }
            }
            (*lo, *hi) = (a, b);
        }
        let mut levels = vec![WaveformLevel { frames_per_peak: FINEST_FRAMES_PER_PEAK, min, max }];
        for _ in 1..LEVELS {
            let Some(prev) = levels.last() else { break };
            let level = WaveformLevel {
                frames_per_peak: prev.frames_per_peak * 4,
                min: prev.min.chunks(4).map(|c| c.iter().copied().fold(f32::INFINITY, f32::min)).collect(),
                max: prev.max.chunks(4).map(|c| c.iter().copied().fold(f32::NEG_INFINITY, f32::max)).collect(),
            };
            levels.push(level);
        }
        for level in &mut levels {
            for v in level.min.iter_mut().chain(level.max.iter_mut()) {
                *v = round(f64::from(*v), 4) as f32;
            }
        }
        WaveformPeaks { levels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_nest_and_see_every_channel() {
        let mut left = vec![0.0f32; 10_000];
        let mut right = vec![0.0f32; 10_000];
        left[5000] = 0.75;
        right[9000] = -0.5;
        let w = WaveformPeaks::measure(&[left, right]);
        let spans: Vec<usize> = w.levels.iter().map(|l| l.max.len()).collect();
        assert_eq!(spans, [10, 3, 1, 1]);
        assert_eq!(w.levels[0].max[4], 0.75);
        assert_eq!(w.levels[0].min[8], -0.5);
        for l in &w.levels[1..] {
            assert_eq!(l.max.iter().copied().fold(f32::MIN, f32::max), 0.75);
            assert_eq!(l.min.iter().copied().fold(f32::MAX, f32::min), -0.5);
        }
    }
}

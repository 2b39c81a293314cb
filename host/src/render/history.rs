//! Gain reduction over time, recorded from the engine's telemetry while a
//! render runs, for the jobs' report pictures.
//!
//! The dynamics nodes publish their largest reduction of each meter period
//! (30 per second) as `<node>.gain_reduction`. The recorder reads every such
//! meter after each block and keeps each new frame, so it misses none as
//! long as a block is shorter than a meter period (1470 frames at 44.1 kHz;
//! the jobs render in blocks of 512).

use mixgraph_graph::{MeterData, TelemetryHub};

/// The gain reduction of one meter over a render.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReductionTrack {
    /// The meter, `node.meter` (`m_limiter.gain_reduction`).
    pub name: String,
    /// `(seconds into the written file, reduction in dB ≥ 0)`, one point
    /// per meter period.
    pub points: Vec<(f64, f32)>,
}

impl ReductionTrack {
    /// The node id: the meter name up to its last dot.
    pub fn node(&self) -> &str {
        self.name.rsplit_once('.').map_or(&self.name, |(node, _)| node)
    }
}

/// Reads the gain-reduction meters of one engine after every block.
pub(super) struct HistoryRecorder {
    hub: TelemetryHub,
    /// Each track with the sequence number of its last kept frame.
    tracks: Vec<(ReductionTrack, u64)>,
    /// Every meter name of the engine, fixed once the engine is built.
    names: Vec<String>,
    latency_frames: u64,
    sample_rate: f64,
}

impl HistoryRecorder {
    /// A recorder for the engine whose telemetry is `hub`; positions are
    /// moved back by the graph's latency so that times match the file.
    pub(super) fn new(hub: TelemetryHub, latency_frames: u64, sample_rate: u32) -> Self {
        let names = hub.names();
        HistoryRecorder { hub, tracks: Vec::new(), names, latency_frames, sample_rate: f64::from(sample_rate) }
    }

    /// Keeps every gain-reduction frame published since the last call.
    pub(super) fn poll(&mut self) {
        for name in &self.names {
            let Some(frame) = self.hub.latest(name) else { continue };
            let MeterData::GainReduction { db } = frame.data else { continue };
            let index = match self.tracks.iter().position(|(t, _)| &t.name == name) {
                Some(i) => i,
                None => {
                    self.tracks.push((ReductionTrack { name: name.clone(), points: Vec::new() }, 0));
                    self.tracks.len() - 1
                }
            };
            let (track, last_seq) = &mut self.tracks[index];
            if frame.seq == *last_seq {
                continue;
            }
            *last_seq = frame.seq;
            // Frames measured during the latency that the file trims are not in it.
            if let Some(position) = frame.frame_position.checked_sub(self.latency_frames) {
                track.points.push((position as f64 / self.sample_rate, db));
            }
        }
    }

    /// The tracks, by meter name.
    pub(super) fn finish(self) -> Vec<ReductionTrack> {
        let mut tracks: Vec<ReductionTrack> = self.tracks.into_iter().map(|(t, _)| t).collect();
        tracks.sort_by(|a, b| a.name.cmp(&b.name));
        tracks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixgraph_graph::MeterFrame;

    #[test]
    fn keeps_each_new_frame_once_at_its_time_in_the_file() {
        let hub = TelemetryHub::new();
        let mut gr = hub.register("comp.gain_reduction", MeterFrame::new(MeterData::GainReduction { db: 0.0 }));
        let mut levels =
            hub.register("meter.levels", MeterFrame::new(MeterData::Levels { peak_db: vec![0.0], rms_db: vec![0.0] }));
        let mut recorder = HistoryRecorder::new(hub, 100, 1_000);
        recorder.poll();
        let set = |db: f32| move |d: &mut MeterData| *d = MeterData::GainReduction { db };
        gr.publish(50, set(1.0)); // inside the trimmed latency
        recorder.poll();
        gr.publish(600, set(3.0));
        levels.publish(600, |_| {});
        recorder.poll();
        recorder.poll(); // nothing new
        gr.publish(1100, set(2.0));
        recorder.poll();
        let tracks = recorder.finish();
        assert_eq!(tracks.len(), 1, "only gain-reduction meters are kept");
        assert_eq!(tracks[0].points, vec![(0.5, 3.0), (1.0, 2.0)]);
        assert_eq!(tracks[0].node(), "comp");
    }
}

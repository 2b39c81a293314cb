//! The one lock-free path by which nodes publish meter frames.
//!
//! Each meter is a triple buffer: the audio thread overwrites its back frame in
//! place and publishes it without locking or allocating; readers on other
//! threads (GUI, server, render reports) take the latest complete frame. The
//! reader side is shared behind a mutex that only non-audio threads touch.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The measurement carried by a [`MeterFrame`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MeterData {
    /// Sample peak and RMS per channel over the last frame period, in dBFS.
    Levels {
        /// Peak per channel, dBFS.
        peak_db: Vec<f32>,
        /// RMS per channel, dBFS.
        rms_db: Vec<f32>,
    },
    /// Current gain reduction of a dynamics node, in dB (≥ 0).
    GainReduction {
        /// Gain reduction, dB.
        db: f32,
    },
    /// Gain applied by a level-setting node (`dynamics.leveler`), in dB:
    /// positive boosts, negative cuts. Separate from
    /// [`MeterData::GainReduction`], which is never negative, so that a
    /// gain-reduction display never has to draw a boost.
    Gain {
        /// Applied gain, dB (+ boost, − cut).
        db: f32,
    },
    /// Loudness per EBU R128 / ITU-R BS.1770; `-inf` where not yet defined.
    Loudness {
        /// Momentary loudness (400 ms), LUFS.
        momentary_lufs: f64,
        /// Short-term loudness (3 s), LUFS.
        short_term_lufs: f64,
        /// Integrated (gated) loudness since start, LUFS.
        integrated_lufs: f64,
        /// Loudness range, LU.
        range_lu: f64,
        /// Maximum true peak since start, dBTP.
        true_peak_dbtp: f64,
    },
    /// Magnitude spectrum on log-spaced bands.
    Spectrum {
        /// Band centre frequencies, Hz.
        band_hz: Vec<f32>,
        /// Band magnitudes, dBFS.
        magnitude_db: Vec<f32>,
    },
    /// Downsampled waveform, per channel.
    Scope {
        /// Samples per channel.
        channels: Vec<Vec<f32>>,
    },
    /// Goniometer (vectorscope) points: (side, mid) pairs of recent samples,
    /// each scaled so that full scale is 1.
    Goniometer {
        /// `[side, mid]` per point.
        points: Vec<[f32; 2]>,
    },
    /// Output-guard counters since the last reset.
    Faults {
        /// NaN or infinite samples replaced by silence.
        nonfinite_samples: u64,
        /// Samples limited to the ceiling.
        clipped_samples: u64,
    },
    /// Where a player is in its material.
    Transport {
        /// Play position, seconds.
        position_s: f64,
        /// Length of the material, seconds.
        length_s: f64,
        /// True while playing (not stopped or paused).
        playing: bool,
    },
    /// Stereo correlation (−1 … +1) and balance (−1 left … +1 right).
    Correlation {
        /// Phase correlation.
        correlation: f32,
        /// Level balance.
        balance: f32,
    },
}

/// One published measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeterFrame {
    /// Increases by one with every publish; 0 means never written.
    pub seq: u64,
    /// Stream position (frames) at the end of the measured period.
    pub frame_position: u64,
    /// The measurement.
    pub data: MeterData,
}

impl MeterFrame {
    /// A frame that has not been written yet.
    pub fn new(data: MeterData) -> Self {
        MeterFrame { seq: 0, frame_position: 0, data }
    }
}

/// Audio-thread end of one meter.
pub struct MeterWriter {
    input: triple_buffer::Input<MeterFrame>,
    seq: u64,
}

impl MeterWriter {
    /// Overwrites the back frame in place with `fill` and publishes it. Audio
    /// thread: lock-free and allocation-free as long as `fill` keeps vector
    /// lengths (write into the existing vectors, don't replace them).
    pub fn publish(&mut self, frame_position: u64, fill: impl FnOnce(&mut MeterData)) {
        self.seq += 1;
        let frame = self.input.input_buffer_mut();
        frame.seq = self.seq;
        frame.frame_position = frame_position;
        fill(&mut frame.data);
        self.input.publish();
    }
}

/// Registry of every meter of an engine; cloning shares it.
#[derive(Clone, Default)]
pub struct TelemetryHub {
    readers: Arc<Mutex<BTreeMap<String, triple_buffer::Output<MeterFrame>>>>,
}

impl TelemetryHub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, triple_buffer::Output<MeterFrame>>> {
        // A poisoned lock only means a reader panicked; the map is still valid.
        self.readers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a meter named `name` (`node_id.meter`), replacing any previous one.
    /// Control thread.
    pub fn register(&self, name: &str, initial: MeterFrame) -> MeterWriter {
        let (input, output) = triple_buffer::triple_buffer(&initial);
        self.lock().insert(name.to_string(), output);
        MeterWriter { input, seq: 0 }
    }

    /// Forgets the meters of node `node_id`. Control thread.
    pub fn remove_node(&self, node_id: &str) {
        let prefix = format!("{node_id}.");
        self.lock().retain(|name, _| !name.starts_with(&prefix));
    }

    /// Names of all meters, sorted.
    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// The latest published frame of meter `name`, if it exists and was written.
    pub fn latest(&self, name: &str) -> Option<MeterFrame> {
        let mut readers = self.lock();
        let frame = readers.get_mut(name)?.read();
        (frame.seq > 0).then(|| frame.clone())
    }

    /// The latest frame of every meter that was written, by name.
    pub fn snapshot(&self) -> BTreeMap<String, MeterFrame> {
        let mut readers = self.lock();
        readers
            .iter_mut()
            .filter_map(|(name, out)| {
                let frame = out.read();
                (frame.seq > 0).then(|| (name.clone(), frame.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_on_another_thread_see_the_latest_frame() {
        let hub = TelemetryHub::new();
        let mut writer = hub
            .register("eq.levels", MeterFrame::new(MeterData::Levels { peak_db: vec![0.0; 2], rms_db: vec![0.0; 2] }));
        assert!(hub.latest("eq.levels").is_none(), "unwritten meters are not reported");
        let reader = hub.clone();
        let handle = std::thread::spawn(move || {
            for i in 1..=1000u64 {
                writer.publish(i * 64, |data| {
                    if let MeterData::Levels { peak_db, .. } = data {
                        peak_db[0] = -(i as f32);
                    }
                });
            }
        });
        handle.join().expect("writer thread");
        let frame = reader.latest("eq.levels").expect("written");
        assert_eq!(frame.seq, 1000);
        assert_eq!(frame.frame_position, 64_000);
        assert_eq!(frame.data, MeterData::Levels { peak_db: vec![-1000.0, 0.0], rms_db: vec![0.0; 2] });
        hub.remove_node("eq");
        assert!(hub.names().is_empty());
    }
}

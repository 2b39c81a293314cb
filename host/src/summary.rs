//! The report printed after a render: length, speed, loudness and the last
//! frame of every meter node.

use crate::wav_out::SampleFormat;
use mixgraph_graph::{MeterData, MeterFrame, Targets};
use std::io::{self, Write};
use std::path::PathBuf;

/// Loudness of the written output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loudness {
    /// Integrated loudness per EBU R128, LUFS (`None` for channel counts the
    /// meter does not support: only 1, 2 and 5).
    pub integrated_lufs: Option<f64>,
    /// Highest true peak, dBTP (`None` as above).
    pub true_peak_dbtp: Option<f64>,
    /// Highest sample peak over all channels, dBFS.
    pub sample_peak_dbfs: f64,
}

/// What a render did.
#[derive(Clone, Debug)]
pub struct RenderSummary {
    /// The file written.
    pub out_path: PathBuf,
    /// Its sample format.
    pub format: SampleFormat,
    /// Its sample rate, Hz.
    pub sample_rate: u32,
    /// Its channel count.
    pub channels: usize,
    /// Frames written.
    pub frames: u64,
    /// Graph latency trimmed from the start, frames.
    pub latency_frames: u32,
    /// Frames per processing block.
    pub block_size: usize,
    /// Wall-clock time of the block loop (processing and writing), seconds.
    pub render_seconds: f64,
    /// The part of it spent inside the graph's executor (the DSP alone,
    /// without metering, encoding and writing), seconds.
    pub graph_seconds: f64,
    /// Loudness of the output.
    pub loudness: Loudness,
    /// The graph's declared targets, printed with the measurement.
    pub targets: Option<Targets>,
    /// The latest frame of every meter, by `node.meter` name.
    pub meters: Vec<(String, MeterFrame)>,
    /// Every gain-reduction meter over time, when the request asked for it.
    pub reduction: Vec<crate::render::ReductionTrack>,
}

impl RenderSummary {
    /// Duration of the output in seconds.
    pub fn duration_seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate)
    }

    /// Prints the summary, one fact per line.
    ///
    /// # Errors
    /// When `out` cannot be written.
    pub fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        let duration = self.duration_seconds();
        writeln!(
            out,
            "wrote     {} ({}, {} Hz, {} channel{})",
            self.out_path.display(),
            self.format,
            self.sample_rate,
            self.channels,
            if self.channels == 1 { "" } else { "s" }
        )?;
        writeln!(out, "duration  {duration:.3} s ({} frames)", self.frames)?;
        let speed = if self.render_seconds > 0.0 { duration / self.render_seconds } else { f64::INFINITY };
        writeln!(
            out,
            "render    {:.3} s, {speed:.1}x real time (blocks of {} frames)",
            self.render_seconds, self.block_size
        )?;
        let graph_speed = if self.graph_seconds > 0.0 { duration / self.graph_seconds } else { f64::INFINITY };
        writeln!(out, "graph     {:.3} s, {graph_speed:.1}x real time (the DSP alone)", self.graph_seconds)?;
        if self.latency_frames > 0 {
            writeln!(out, "latency   {} frames trimmed from the start", self.latency_frames)?;
        }
        let l = &self.loudness;
        match (l.integrated_lufs, l.true_peak_dbtp) {
            (Some(lufs), Some(tp)) => writeln!(
                out,
                "loudness  {} integrated, true peak {}, sample peak {}",
                level(lufs, "LUFS"),
                level(tp, "dBTP"),
                level(l.sample_peak_dbfs, "dBFS")
            )?,
            _ => writeln!(
                out,
                "loudness  not measured for {} channels, sample peak {}",
                self.channels,
                level(l.sample_peak_dbfs, "dBFS")
            )?,
        }
        if let Some(targets) = &self.targets {
            for check in targets.check(l.integrated_lufs, l.true_peak_dbtp) {
                writeln!(out, "target    {check}")?;
            }
        }
        for (name, frame) in &self.meters {
            writeln!(out, "meter     {name}: {}", describe_meter(&frame.data))?;
        }
        Ok(())
    }
}

/// `-14.0 LUFS`, or `-inf LUFS` for silence.
fn level(value: f64, unit: &str) -> String {
    if value.is_finite() { format!("{value:.1} {unit}") } else { format!("-inf {unit}") }
}

fn levels(values: &[f32], unit: &str) -> String {
    let list: Vec<String> = values.iter().map(|v| level(f64::from(*v), "")).map(|s| s.trim_end().to_string()).collect();
    format!("{} {unit}", list.join(" / "))
}

/// One line describing a meter frame.
pub fn describe_meter(data: &MeterData) -> String {
    match data {
        MeterData::Levels { peak_db, rms_db } => {
            format!("peak {}, rms {}", levels(peak_db, "dBFS"), levels(rms_db, "dBFS"))
        }
        MeterData::GainReduction { db } => format!("gain reduction {db:.1} dB"),
        MeterData::Gain { db } => format!("gain {db:+.1} dB"),
        MeterData::Loudness { momentary_lufs, short_term_lufs, integrated_lufs, range_lu, true_peak_dbtp } => format!(
            "integrated {}, short-term {}, momentary {}, range {}, true peak {}",
            level(*integrated_lufs, "LUFS"),
            level(*short_term_lufs, "LUFS"),
            level(*momentary_lufs, "LUFS"),
            level(*range_lu, "LU"),
            level(*true_peak_dbtp, "dBTP")
        ),
        MeterData::Spectrum { band_hz, magnitude_db } => {
            let loudest =
                band_hz.iter().zip(magnitude_db).filter(|(_, m)| m.is_finite()).max_by(|a, b| a.1.total_cmp(b.1));
            match loudest {
                Some((hz, db)) => format!("spectrum of {} bands, loudest {hz:.0} Hz at {db:.1} dBFS", band_hz.len()),
                None => format!("spectrum of {} bands, silent", band_hz.len()),
            }
        }
        MeterData::Scope { channels } => {
            format!("scope, {} channels of {} points", channels.len(), channels.first().map_or(0, Vec::len))
        }
        MeterData::Faults { nonfinite_samples, clipped_samples } => {
            format!("non-finite samples silenced {nonfinite_samples}, samples clipped {clipped_samples}")
        }
        MeterData::Correlation { correlation, balance } => {
            format!("correlation {correlation:+.2}, balance {balance:+.2}")
        }
        MeterData::Transport { position_s, length_s, playing } => {
            let state = if *playing { "playing" } else { "stopped" };
            format!("{state} at {position_s:.2} s of {length_s:.2} s")
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_read_as_one_line() {
        let l = MeterData::Levels { peak_db: vec![-3.04, f32::NEG_INFINITY], rms_db: vec![-6.0, -7.26] };
        assert_eq!(describe_meter(&l), "peak -3.0 / -inf dBFS, rms -6.0 / -7.3 dBFS");
        let c = MeterData::Correlation { correlation: 0.5, balance: -0.25 };
        assert_eq!(describe_meter(&c), "correlation +0.50, balance -0.25");
        assert_eq!(describe_meter(&MeterData::Gain { db: -2.04 }), "gain -2.0 dB");
        assert_eq!(describe_meter(&MeterData::Gain { db: 6.0 }), "gain +6.0 dB");
    }

    #[test]
    fn summary_names_file_speed_and_loudness() {
        let s = RenderSummary {
            out_path: "mix.wav".into(),
            format: SampleFormat::Wav24,
            sample_rate: 48_000,
            channels: 2,
            frames: 96_000,
            latency_frames: 64,
            block_size: 512,
            render_seconds: 0.5,
            graph_seconds: 0.25,
            loudness: Loudness { integrated_lufs: Some(-14.04), true_peak_dbtp: Some(-1.0), sample_peak_dbfs: -1.2 },
            targets: None,
            meters: Vec::new(),
            reduction: Vec::new(),
        };
        let mut text = Vec::new();
        s.print(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("mix.wav (wav24, 48000 Hz, 2 channels)"), "{text}");
        assert!(text.contains("duration  2.000 s"), "{text}");
        assert!(text.contains("4.0x real time (blocks of 512 frames)"), "{text}");
        assert!(text.contains("graph     0.250 s, 8.0x real time"), "{text}");
        assert!(text.contains("-14.0 LUFS integrated, true peak -1.0 dBTP, sample peak -1.2 dBFS"), "{text}");
        assert!(text.contains("64 frames trimmed"), "{text}");
        assert!(!text.contains("target"), "no targets declared, none printed: {text}");
    }

    #[test]
    fn declared_targets_print_measured_value_and_verdict() {
        let s = RenderSummary {
            out_path: "master.wav".into(),
            format: SampleFormat::Wav24,
            sample_rate: 48_000,
            channels: 2,
            frames: 48_000,
            latency_frames: 0,
            block_size: 512,
            render_seconds: 0.1,
            graph_seconds: 0.05,
            loudness: Loudness { integrated_lufs: Some(-15.3), true_peak_dbtp: Some(-1.04), sample_peak_dbfs: -1.2 },
            targets: Some(Targets { integrated_lufs: Some(-14.0), lufs_tolerance_lu: 1.0, true_peak_dbtp: Some(-1.0) }),
            meters: Vec::new(),
            reduction: Vec::new(),
        };
        let mut text = Vec::new();
        s.print(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("target    integrated -14.0 ± 1.0 LUFS: measured -15.3 LUFS, MISSED\n"), "{text}");
        assert!(text.contains("target    true peak ≤ -1.0 dBTP: measured -1.0 dBTP, met\n"), "{text}");
    }
}

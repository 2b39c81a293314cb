//! Live audio output through cpal: JACK or ALSA on Linux.
//!
//! The stream's callback owns the graph's executor and a planar scratch
//! buffer sized before the stream starts; it never allocates or locks. It
//! counts callbacks, xruns (reported by the backend) and the time spent
//! processing, for the editor's CPU-load and xrun display. Graph inputs
//! read silence for now (file players and synths make the sound).

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use mixgraph_graph::{Executor, StreamInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// What to open.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AudioSettings {
    /// Backend name ("JACK", "ALSA"), or the default backend.
    pub host: Option<String>,
    /// Output device name, or the backend's default.
    pub device: Option<String>,
    /// Sample rate, or the device's default.
    pub sample_rate: Option<u32>,
    /// Frames per callback, or the device's default.
    pub buffer_frames: Option<u32>,
}

/// Counters the audio thread updates and any thread reads.
#[derive(Debug, Default)]
pub struct AudioStats {
    /// Callbacks run.
    pub callbacks: AtomicU64,
    /// Frames produced.
    pub frames: AtomicU64,
    /// Over- and underruns the backend reported.
    pub xruns: AtomicU64,
    /// Nanoseconds spent inside the graph.
    pub busy_ns: AtomicU64,
    /// The device went away (or another stream error happened).
    pub failed: AtomicBool,
}

impl AudioStats {
    /// Share of real time spent processing, 0 … 1 (and more when late).
    pub fn load(&self, sample_rate: u32) -> f64 {
        let frames = self.frames.load(Ordering::Relaxed) as f64;
        if frames == 0.0 {
            return 0.0;
        }
        self.busy_ns.load(Ordering::Relaxed) as f64 * 1e-9 / (frames / f64::from(sample_rate))
    }
}

/// A running output stream.
pub struct AudioOut {
    _stream: cpal::Stream,
    /// Counters from the audio thread.
    pub stats: Arc<AudioStats>,
    /// The stream's sample rate.
    pub sample_rate: u32,
    /// Device channels.
    pub channels: usize,
    /// The backend and device in use, for display.
    pub description: String,
}

/// The backends cpal offers here.
pub fn hosts() -> Vec<String> {
    cpal::available_hosts().into_iter().map(|h| h.name().to_string()).collect()
}

/// Output device names of backend `host` (the default backend if `None`).
pub fn devices(host: Option<&str>) -> Vec<String> {
    let Ok(host) = pick_host(host) else { return Vec::new() };
    host.output_devices()
        .map(|devices| devices.filter_map(|d| d.description().ok().map(|x| x.name().to_string())).collect())
        .unwrap_or_default()
}

fn pick_host(name: Option<&str>) -> anyhow::Result<cpal::Host> {
    match name {
        None => Ok(cpal::default_host()),
        Some(name) => {
            let id = cpal::available_hosts()
                .into_iter()
                .find(|h| h.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| anyhow::anyhow!("no audio backend '{name}' (available: {})", hosts().join(", ")))?;
            Ok(cpal::host_from_id(id)?)
        }
    }
}

impl AudioOut {
    /// Opens the output described by `settings`, asks `executor_for` for an
    /// executor prepared for the stream's rate and largest block, and
    /// starts playing it.
    ///
    /// # Errors
    /// No such backend or device, an unsupported configuration, or the
    /// graph failing to build.
    pub fn start(
        settings: &AudioSettings,
        executor_for: impl FnOnce(StreamInfo) -> anyhow::Result<Executor>,
    ) -> anyhow::Result<AudioOut> {
        let host = pick_host(settings.host.as_deref())?;
        let device = match &settings.device {
            None => host.default_output_device().ok_or_else(|| anyhow::anyhow!("no default output device"))?,
            Some(name) => host
                .output_devices()?
                .find(|d| d.description().is_ok_and(|x| x.name() == name))
                .ok_or_else(|| anyhow::anyhow!("no output device '{name}'"))?,
        };
        let default = device.default_output_config()?;
        let sample_rate = settings.sample_rate.unwrap_or(default.sample_rate());
        let channels = usize::from(default.channels()).max(1);
        let buffer_size = settings.buffer_frames.map_or(cpal::BufferSize::Default, cpal::BufferSize::Fixed);
        let config = cpal::StreamConfig { channels: channels as u16, sample_rate, buffer_size };
        // The largest block the callback hands the graph; longer callbacks are split.
        let max_block = settings.buffer_frames.unwrap_or(1024).clamp(16, 8192) as usize;
        let mut executor = executor_for(StreamInfo::new(f64::from(sample_rate), max_block))?;
        let graph_channels = executor.output_channels().max(1);
        let mut planar: Vec<Vec<f32>> = vec![vec![0.0; max_block]; graph_channels];
        let stats = Arc::new(AudioStats::default());
        let (for_data, for_error) = (stats.clone(), stats.clone());
        let stream = device.build_output_stream::<f32, _, _>(
            config,
            move |data: &mut [f32], _| {
                let start = Instant::now();
                let frames = data.len() / channels;
                let mut done = 0;
                while done < frames {
                    let n = (frames - done).min(max_block);
                    let mut outs: [&mut [f32]; 8] = Default::default();
                    for (slot, ch) in outs.iter_mut().zip(planar.iter_mut()) {
                        *slot = &mut ch[..n];
                    }
                    let count = graph_channels.min(8);
                    executor.process(&[], &mut outs[..count], n);
                    for (i, frame) in data[done * channels..(done + n) * channels].chunks_mut(channels).enumerate() {
                        for (c, sample) in frame.iter_mut().enumerate() {
                            *sample = planar.get(c.min(graph_channels - 1)).map_or(0.0, |ch| ch[i]);
                        }
                    }
                    done += n;
                }
                for_data.callbacks.fetch_add(1, Ordering::Relaxed);
                for_data.frames.fetch_add(frames as u64, Ordering::Relaxed);
                for_data.busy_ns.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            },
            move |error: cpal::Error| {
                if error.kind() == cpal::ErrorKind::Xrun {
                    for_error.xruns.fetch_add(1, Ordering::Relaxed);
                } else {
                    for_error.failed.store(true, Ordering::Relaxed);
                }
            },
            None,
        )?;
        stream.play()?;
        let description = format!(
            "{} / {} at {sample_rate} Hz, {} frames",
            host.id().name(),
            device.description().map(|d| d.name().to_string()).unwrap_or_else(|_| "default".into()),
            settings.buffer_frames.map_or("default".to_string(), |b| b.to_string())
        );
        Ok(AudioOut { _stream: stream, stats, sample_rate, channels, description })
    }
}

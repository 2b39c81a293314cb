//! Live audio through cpal (JACK or ALSA on Linux), with the input device
//! feeding the graph's inputs and MIDI input ports its note inputs.
//!
//! The output stream's callback owns the graph's executor ([`Period`]),
//! with every buffer sized before the stream starts; it never allocates or
//! locks. The input stream's callback only pushes captured samples into a
//! wait-free queue the output callback reads. The output callback counts
//! callbacks, xruns (reported by the backend) and the time spent
//! processing, for the editor's CPU-load and xrun display.

use crate::period::{CapturedInput, InputStats, Period};
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
    /// Capture the backend's default input device into the graph's inputs.
    pub input: bool,
    /// Open every MIDI input port for the graph's note inputs.
    pub midi: bool,
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

/// A running output stream (and its input stream and MIDI ports).
pub struct AudioOut {
    _stream: cpal::Stream,
    _input: Option<cpal::Stream>,
    _midi: Option<crate::midi::MidiIn>,
    /// Counters of the input path.
    pub input_stats: Arc<InputStats>,
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
        let executor = executor_for(StreamInfo::new(f64::from(sample_rate), max_block))?;
        let input_stats = Arc::new(InputStats::default());
        let mut notes = Vec::new();
        let (input_stream, captured) = if settings.input {
            let (stream, captured) = open_input(&host, sample_rate, settings.buffer_frames, max_block)?;
            (Some(stream), Some(captured))
        } else {
            (None, None)
        };
        let midi = if settings.midi {
            // No MIDI system (no ALSA sequencer) is not an audio error.
            crate::midi::open_all().ok().map(|(ports, queues)| {
                notes = queues;
                ports
            })
        } else {
            None
        };
        let mut period = Period::new(executor, max_block, captured, notes, input_stats.clone());
        let stats = Arc::new(AudioStats::default());
        let (for_data, for_error) = (stats.clone(), stats.clone());
        let stream = device.build_output_stream::<f32, _, _>(
            config,
            move |data: &mut [f32], _| {
                let start = Instant::now();
                period.run(data, channels);
                for_data.callbacks.fetch_add(1, Ordering::Relaxed);
                for_data.frames.fetch_add((data.len() / channels) as u64, Ordering::Relaxed);
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
        if let Some(input) = &input_stream {
            input.play()?;
        }
        stream.play()?;
        let mut description = format!(
            "{} / {} at {sample_rate} Hz, {} frames",
            host.id().name(),
            device.description().map(|d| d.name().to_string()).unwrap_or_else(|_| "default".into()),
            settings.buffer_frames.map_or("default".to_string(), |b| b.to_string())
        );
        if input_stream.is_some() {
            description.push_str(", input on");
        }
        match &midi {
            Some(m) if !m.ports.is_empty() => description.push_str(&format!(", MIDI from {}", m.ports.join(", "))),
            Some(_) => description.push_str(", no MIDI ports"),
            None if settings.midi => description.push_str(", no MIDI system"),
            None => {}
        }
        Ok(AudioOut {
            _stream: stream,
            _input: input_stream,
            _midi: midi,
            input_stats,
            stats,
            sample_rate,
            channels,
            description,
        })
    }
}

/// Opens the backend's default input device at `sample_rate`; its callback
/// pushes interleaved samples into the queue the output callback reads.
fn open_input(
    host: &cpal::Host,
    sample_rate: u32,
    buffer_frames: Option<u32>,
    max_block: usize,
) -> anyhow::Result<(cpal::Stream, CapturedInput)> {
    let device = host.default_input_device().ok_or_else(|| anyhow::anyhow!("no default input device"))?;
    let channels = usize::from(device.default_input_config()?.channels()).max(1);
    let buffer_size = buffer_frames.map_or(cpal::BufferSize::Default, cpal::BufferSize::Fixed);
    let config = cpal::StreamConfig { channels: channels as u16, sample_rate, buffer_size };
    // Room for eight blocks: the output side keeps at most four waiting.
    let (mut producer, queue) = rtrb::RingBuffer::new(8 * max_block.max(1024) * channels);
    let stream = device.build_input_stream::<f32, _, _>(
        config,
        move |data: &[f32], _| {
            // A full queue drops the newest samples; the output side counts the gap.
            let n = data.len().min(producer.slots());
            if let Ok(chunk) = producer.write_chunk_uninit(n) {
                chunk.fill_from_iter(data.iter().copied());
            }
        },
        |_error: cpal::Error| {},
        None,
    )?;
    Ok((stream, CapturedInput { queue, channels }))
}

//! The standalone app's [`Playback`]: the document plays live on an audio
//! device through cpal, edit by edit ([`LiveGraph`]), with the Audio menu
//! (play, stop, backend, device, rate, buffer) and recovery from a lost
//! device (retried every two seconds).

use crate::audio::{AudioOut, AudioSettings};
use crate::document::Document;
use crate::live::LiveGraph;
use crate::playback::{Meters, Playback};
use egui::Ui;
use mixgraph_graph::NodeRegistry;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long to wait before reopening a device that failed.
const RETRY: Duration = Duration::from_secs(2);

/// Live audio on a device.
pub struct DevicePlayback {
    /// What to open.
    pub settings: AudioSettings,
    /// Start playing at the next tick (the `--play` option).
    pub play_on_start: bool,
    /// The output and the engine it plays.
    audio: Option<(AudioOut, LiveGraph)>,
    /// The document text last sent to the engine.
    synced: String,
    /// The device failed: retry at this time.
    retry: Option<Instant>,
}

impl Default for DevicePlayback {
    /// The backend's defaults, MIDI input on, audio input off.
    fn default() -> Self {
        DevicePlayback {
            settings: AudioSettings { midi: true, ..AudioSettings::default() },
            play_on_start: false,
            audio: None,
            synced: String::new(),
            retry: None,
        }
    }
}

impl DevicePlayback {
    /// Starts playing `doc` with the current settings; returns the status.
    pub fn start(&mut self, doc: &Document, registry: &NodeRegistry) -> String {
        self.audio = None;
        let mut live = None;
        let started = AudioOut::start(&self.settings, |stream| {
            let (graph, executor) = LiveGraph::start(doc, registry, stream)?;
            live = Some(graph);
            Ok(executor)
        });
        match (started, live) {
            (Ok(out), Some(graph)) => {
                let status = format!("audio: {}", out.description);
                self.synced = doc.to_json(registry).unwrap_or_default();
                self.audio = Some((out, graph));
                self.retry = None;
                status
            }
            (Err(e), _) => format!("error: audio: {e}"),
            (Ok(_), None) => "error: audio: no graph".into(),
        }
    }

    /// Stops playing.
    pub fn stop(&mut self) -> String {
        self.audio = None;
        self.retry = None;
        "audio stopped".into()
    }

    /// True while audio plays.
    pub fn is_playing(&self) -> bool {
        self.audio.is_some()
    }
}

impl Playback for DevicePlayback {
    fn tick(&mut self, doc: &Document, json: &str, registry: &NodeRegistry) -> Option<String> {
        let mut news = None;
        if std::mem::take(&mut self.play_on_start) {
            news = Some(self.start(doc, registry));
        }
        if let Some(when) = self.retry
            && Instant::now() >= when
        {
            news = Some(self.start(doc, registry));
            if self.audio.is_none() {
                self.retry = Some(Instant::now() + RETRY);
            }
        }
        // Not playing: the news of a start that failed still reaches the status line.
        let Some((out, live)) = self.audio.as_mut() else { return news };
        if out.stats.failed.load(Ordering::Relaxed) {
            self.audio = None;
            self.retry = Some(Instant::now() + RETRY);
            return Some("error: the audio device stopped; retrying every 2 s".into());
        }
        if json == self.synced {
            return news;
        }
        match live.sync(doc, registry) {
            Ok(_) => self.synced = json.to_string(),
            // The audio thread has not taken the last edit: next frame.
            Err(e) if LiveGraph::is_busy(&e) => {}
            Err(e) => {
                self.synced = json.to_string();
                return Some(format!("error: {e}"));
            }
        }
        news
    }

    fn meters(&self) -> Meters {
        self.audio.as_ref().map(|(_, live)| live.engine().telemetry().snapshot()).unwrap_or_default()
    }

    fn load_text(&self) -> Option<String> {
        let (out, _) = self.audio.as_ref()?;
        let xruns = out.stats.xruns.load(Ordering::Relaxed);
        let mut text = format!("DSP {:.1} %, {xruns} xruns", 100.0 * out.stats.load(out.sample_rate));
        if self.settings.input {
            text.push_str(&format!(", {} input gaps", out.input_stats.underruns.load(Ordering::Relaxed)));
        }
        Some(text)
    }

    fn sample_rate(&self) -> Option<u32> {
        self.audio.as_ref().map(|(out, _)| out.sample_rate)
    }

    fn is_live(&self) -> bool {
        self.audio.is_some() || self.retry.is_some()
    }

    fn menu(&mut self, ui: &mut Ui, doc: &Document, registry: &NodeRegistry) -> Option<String> {
        let mut news = None;
        ui.menu_button("Audio", |ui| {
            if self.audio.is_some() {
                if ui.button("Stop").clicked() {
                    news = Some(self.stop());
                    ui.close();
                }
            } else if ui.button("Play").clicked() {
                news = Some(self.start(doc, registry));
                ui.close();
            }
            ui.separator();
            let settings = &mut self.settings;
            ui.checkbox(&mut settings.input, "Audio input into the graph's inputs")
                .on_hover_text("the backend's default input device; applies at the next Play");
            ui.checkbox(&mut settings.midi, "MIDI input into the graph's note inputs")
                .on_hover_text("every MIDI input port; applies at the next Play");
            ui.menu_button("Backend", |ui| {
                for host in crate::audio::hosts() {
                    let chosen = settings.host.as_deref() == Some(host.as_str());
                    if ui.selectable_label(chosen, &host).clicked() {
                        settings.host = Some(host);
                        settings.device = None;
                    }
                }
            });
            ui.menu_button("Device", |ui| {
                if ui.selectable_label(settings.device.is_none(), "default").clicked() {
                    settings.device = None;
                }
                for device in crate::audio::devices(settings.host.as_deref()) {
                    let chosen = settings.device.as_deref() == Some(device.as_str());
                    if ui.selectable_label(chosen, &device).clicked() {
                        settings.device = Some(device);
                    }
                }
            });
            ui.menu_button("Sample rate", |ui| {
                for rate in [None, Some(44_100), Some(48_000), Some(96_000), Some(192_000)] {
                    let label = rate.map_or("device default".to_string(), |r| format!("{r} Hz"));
                    if ui.selectable_label(settings.sample_rate == rate, label).clicked() {
                        settings.sample_rate = rate;
                    }
                }
            });
            ui.menu_button("Buffer", |ui| {
                for frames in [None, Some(64), Some(128), Some(256), Some(512), Some(1024), Some(2048)] {
                    let label = frames.map_or("device default".to_string(), |f| format!("{f} frames"));
                    if ui.selectable_label(settings.buffer_frames == frames, label).clicked() {
                        settings.buffer_frames = frames;
                    }
                }
            });
        });
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_that_fails_is_reported_on_the_status_line() {
        let registry = mixgraph_nodes::registry();
        let doc = Document::new();
        let mut device = DevicePlayback { play_on_start: true, ..DevicePlayback::default() };
        device.settings.host = Some("NoSuchBackend".into());
        let news = device.tick(&doc, "{}", &registry).expect("news of the failed start");
        assert!(news.starts_with("error: audio: no audio backend 'NoSuchBackend'"), "{news}");
        assert!(!device.is_playing());
        assert_eq!(device.tick(&doc, "{}", &registry), None, "said once");
    }
}

//! `io.file_player`: plays an audio file (WAV, FLAC, MP3, OGG/Vorbis,
//! AAC/M4A, AIFF), resampled to the graph rate, with a transport.
//!
//! Transport: `transport` is Play (the default: from the start of the
//! stream, as a render wants), Stop (silence; the next Play starts at the
//! cue) or Pause (silence; the next Play resumes where it paused). `cue_s`
//! is the cue point: moving it while playing or paused seeks there. Every
//! start, stop and seek is declicked by a 3 ms fade out and in.
//!
//! Decoding and resampling happen in `prepare`, on the control thread; the
//! processor only copies from memory. A relative `path` is resolved against
//! the working directory.

use super::decode::{DecodedAudio, decode_and_resample};
use crate::common::db_to_gain;
use mixgraph_graph::{
    ConfigField, ConfigReader, MeterData, MeterFrame, MeterWriter, Node, NodeError, NodeInfo, NodeType, ParamDesc,
    ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor,
    Smoother, Smoothing,
};
use std::path::PathBuf;

/// Plays one file.
pub struct FilePlayerNode {
    path: PathBuf,
    channels: usize,
}

impl FilePlayerNode {
    /// A player of `path` with `channels` output channels.
    pub fn new(path: PathBuf, channels: usize) -> Self {
        FilePlayerNode { path, channels }
    }
}

const SMOOTHING: Smoothing = Smoothing::Logarithmic { ms: 10.0 };
/// Length of the fades around starts, stops and seeks, seconds.
const TRANSPORT_FADE_S: f64 = 0.003;
/// Longest cue point, seconds (an hour; longer files play on, and the
/// editor's seek bar covers the whole file).
const MAX_CUE_S: f32 = 3_600.0;
/// How often the transport meter is published, per second.
const METER_RATE_HZ: f64 = 30.0;

/// What the transport does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    Stop,
    Play,
    Pause,
}

impl Transport {
    fn from_param(v: f32) -> Self {
        match v.round() as i32 {
            0 => Transport::Stop,
            2 => Transport::Pause,
            _ => Transport::Play,
        }
    }
}

/// Maps the file's channels onto `channels` outputs: equal counts pass, mono is
/// copied to every output, more channels than outputs are averaged into mono
/// or truncated, fewer are repeated.
fn adapt(audio: DecodedAudio, channels: usize) -> Vec<Vec<f32>> {
    let src = audio.channels;
    match (src.len(), channels) {
        (a, b) if a == b => src,
        (0, _) => vec![Vec::new(); channels],
        (_, 1) => {
            let n = src.len() as f32;
            let frames = src[0].len();
            vec![(0..frames).map(|i| src.iter().map(|c| c[i]).sum::<f32>() / n).collect()]
        }
        (a, b) => (0..b).map(|ch| src[ch % a].clone()).collect(),
    }
}

struct FilePlayerProcessor {
    audio: Vec<Vec<f32>>,
    position: usize,
    looping: bool,
    gain: Smoother,
    transport: Transport,
    /// The cue point, frames.
    cue: usize,
    /// The transport fade: 0 silent … 1 playing, moving by `fade_step`.
    fade: f32,
    fade_step: f32,
    /// A jump waiting for the fade to reach silence.
    jump: Option<usize>,
    sample_rate: f64,
    /// Position and length for the editor's transport, about 30 times a second.
    meter: MeterWriter,
    meter_period: usize,
    meter_count: usize,
}

impl FilePlayerProcessor {
    fn len(&self) -> usize {
        self.audio.first().map(Vec::len).unwrap_or(0)
    }

    fn cue_frames(&self, seconds: f32) -> usize {
        ((f64::from(seconds) * self.sample_rate).round() as usize).min(self.len())
    }

    fn set_transport(&mut self, next: Transport) {
        if next == Transport::Stop && self.transport != Transport::Stop {
            self.jump = Some(self.cue);
        }
        if next == Transport::Play && self.transport == Transport::Stop && self.jump.is_none() {
            // Stopped and already faded out: start from the cue.
            self.position = self.cue;
        }
        self.transport = next;
    }

    fn set_cue(&mut self, seconds: f32) {
        self.cue = self.cue_frames(seconds);
        self.jump = Some(self.cue);
    }

    /// The fade for the next frame, applying a waiting jump at silence.
    #[inline]
    fn next_fade(&mut self) -> f32 {
        let target = if self.transport == Transport::Play && self.jump.is_none() { 1.0 } else { 0.0 };
        self.fade = if self.fade < target {
            (self.fade + self.fade_step).min(target)
        } else {
            (self.fade - self.fade_step).max(target)
        };
        if self.fade == 0.0
            && let Some(to) = self.jump.take()
        {
            self.position = to;
        }
        self.fade
    }
}

impl Node for FilePlayerNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("io.file_player")
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("gain_db", "Gain", -96.0, 24.0, 0.0, ParamUnit::Db).smoothing(SMOOTHING))
            .param(ParamDesc::toggle("loop", "Loop", false))
            .param(ParamDesc::choice("transport", "Transport", &["stop", "play", "pause"], 1))
            .param(ParamDesc::float("cue_s", "Cue", 0.0, MAX_CUE_S, 0.0, ParamUnit::Seconds))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let rate = ctx.stream.sample_rate.round() as u32;
        let decoded = decode_and_resample(&self.path, rate).map_err(|e| NodeError(Box::new(e)))?;
        let audio = adapt(decoded, self.channels);
        let frames = audio.first().map(Vec::len).unwrap_or(0) as u64;
        let gain = Smoother::new(SMOOTHING, ctx.stream.sample_rate, db_to_gain(ctx.params[0]));
        let looping = ctx.params[1] >= 0.5;
        let transport = Transport::from_param(ctx.params[2]);
        let fade_step = (1.0 / (TRANSPORT_FADE_S * ctx.stream.sample_rate)).min(1.0) as f32;
        let mut processor = FilePlayerProcessor {
            audio,
            position: 0,
            looping,
            gain,
            transport,
            cue: 0,
            fade: if transport == Transport::Play { 1.0 } else { 0.0 },
            fade_step,
            jump: None,
            sample_rate: ctx.stream.sample_rate,
            meter: ctx.meter(
                "transport",
                MeterFrame::new(MeterData::Transport {
                    position_s: 0.0,
                    length_s: frames as f64 / ctx.stream.sample_rate,
                    playing: transport == Transport::Play,
                }),
            ),
            meter_period: (ctx.stream.sample_rate / METER_RATE_HZ).round().max(1.0) as usize,
            meter_count: 0,
        };
        processor.cue = processor.cue_frames(ctx.params[3]);
        processor.position = processor.cue;
        let content = if looping { u64::MAX } else { frames.saturating_sub(processor.cue as u64) };
        Ok(Prepared::new(processor).content(content))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "path": self.path, "channels": self.channels })
    }
}

impl Processor for FilePlayerProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            match e.index.0 {
                0 => self.gain.set_target(db_to_gain(e.value)),
                1 => self.looping = e.value >= 0.5,
                2 => self.set_transport(Transport::from_param(e.value)),
                _ => self.set_cue(e.value),
            }
        }
        let len = self.len();
        self.meter_count += info.frames;
        if self.meter_count >= self.meter_period {
            self.meter_count = 0;
            let (position, playing) = (self.position as f64 / self.sample_rate, self.transport == Transport::Play);
            self.meter.publish(info.frame_position + info.frames as u64, |data| {
                if let MeterData::Transport { position_s, playing: p, .. } = data {
                    *position_s = position;
                    *p = playing;
                }
            });
        }
        let idle = self.fade == 0.0 && self.jump.is_none() && self.transport != Transport::Play;
        if len == 0 || idle || (!self.looping && self.position >= len && self.jump.is_none()) {
            return ProcessStatus::ClearOutputs;
        }
        for frame in 0..info.frames {
            let fade = self.next_fade();
            if self.looping && self.position >= len {
                self.position = 0;
            }
            let playing = fade > 0.0 && self.position < len;
            let g = if playing { self.gain.next() * fade } else { 0.0 };
            for (src, out) in self.audio.iter().zip(io.outputs.iter_mut()) {
                if let Some(y) = out.get_mut(frame) {
                    *y = if playing { src[self.position] * g } else { 0.0 };
                }
            }
            if playing {
                self.position += 1;
            }
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.position = self.cue;
        self.jump = None;
        self.fade = if self.transport == Transport::Play { 1.0 } else { 0.0 };
        self.gain.jump_to(self.gain.target());
    }
}

const CONFIG: &[ConfigField] = &[
    ConfigField { name: "path", description: "audio file to play (required)", default: "" },
    ConfigField { name: "channels", description: "output channels, 1 to 8", default: "2" },
];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "io.file_player",
        family: "io",
        description: "Plays an audio file (WAV, FLAC, MP3, OGG, AAC/M4A, AIFF), resampled to the graph rate",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let path = r.string("path")?;
            let channels = r.usize("channels", 2, 1, 8)?;
            r.finish()?;
            // The registry lists ports with a default config, so a missing path
            // is only an error once the node is prepared.
            Ok(Box::new(FilePlayerNode::new(PathBuf::from(path.unwrap_or_default()), channels)))
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, sine};
    use serde_json::json;

    #[test]
    fn plays_a_file_then_silence_and_reports_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let tone = sine(440.0, 0.5, 4800);
        mixgraph_tests::write_wav(&path, std::slice::from_ref(&tone), 48_000);
        let h = NodeHarness::new("io.file_player", json!({"path": path, "channels": 2}), &[]);
        let (engine, mut ex) = h.engine();
        assert_eq!(engine.content_frames(), Some(4800));
        let out = crate::testing::run(&mut ex, &[vec![0.0; 6000]], &[500]);
        assert_eq!(&out[0][..4800], &tone[..], "mono file on the left");
        assert_eq!(out[0], out[1], "and on the right");
        assert!(out[0][4800..].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn resamples_to_the_graph_rate_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.wav");
        mixgraph_tests::write_wav(&path, &[vec![0.25; 441], vec![-0.25; 441]], 44_100);
        let h = NodeHarness::new("io.file_player", json!({"path": path}), &[("loop", 1.0)]);
        let (_, mut ex) = h.engine();
        let out = crate::testing::run(&mut ex, &[vec![0.0; 2000]], &[512]);
        // 441 frames at 44.1 kHz are 480 at 48 kHz; looping keeps the level up past them.
        assert!((out[0][1200] - 0.25).abs() < 0.02 && (out[1][1200] + 0.25).abs() < 0.02, "{}", out[0][1200]);
    }

    #[test]
    fn the_transport_pauses_resumes_stops_and_seeks_without_clicks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        // Each sample tells its position: sample i is i / 48000.
        let ramp: Vec<f32> = (0..48_000).map(|i| i as f32 / 48_000.0).collect();
        mixgraph_tests::write_wav(&path, std::slice::from_ref(&ramp), 48_000);
        let h = NodeHarness::new("io.file_player", json!({"path": path, "channels": 1}), &[]);
        let (mut engine, mut ex) = h.engine();
        let mut all = Vec::new();
        let mut block = |ex: &mut mixgraph_graph::Executor| {
            let out = crate::testing::run(ex, &[vec![0.0; 4800]], &[480]).remove(0);
            all.extend_from_slice(&out);
            out
        };
        let fade = 144; // 3 ms at 48 kHz
        let out = block(&mut ex);
        assert_eq!(out[4799], ramp[4799], "plays from the start");
        // Pause: fades out over 3 ms, then silence.
        engine.set_param("node.transport", 2.0).unwrap();
        let out = block(&mut ex);
        assert!(out[0] > 0.09 && out[fade..].iter().all(|v| *v == 0.0));
        // Resume where it paused (4800 plus the 144 frames of the fade out).
        engine.set_param("node.transport", 1.0).unwrap();
        let out = block(&mut ex);
        let resumed = 4800 + fade;
        assert_eq!(out[1000], ramp[resumed + 1000], "resumed at frame {resumed}");
        // Stop: silence, and the next Play starts at the cue (0).
        engine.set_param("node.transport", 0.0).unwrap();
        let out = block(&mut ex);
        assert!(out[fade..].iter().all(|v| *v == 0.0));
        engine.set_param("node.transport", 1.0).unwrap();
        let out = block(&mut ex);
        assert_eq!(out[1000], ramp[1000], "from the cue");
        // Seek while playing: out, jump to 0.5 s, in.
        engine.set_param("node.cue_s", 0.5).unwrap();
        let out = block(&mut ex);
        // 144 frames fade out, the jump takes one silent frame, then 24000 on.
        assert_eq!(out[1000], ramp[24_000 + 1000 - fade - 1], "sought to 0.5 s");
        // No click anywhere: an unfaded jump here would step by up to 0.5.
        let worst = all.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        assert!(worst < 0.004, "largest step {worst}");
    }

    #[test]
    fn a_missing_file_fails_prepare_with_the_path() {
        let node = crate::registry().create("io.file_player", &json!({"path": "/nonexistent/x.wav"})).unwrap();
        let mut g = mixgraph_graph::Graph::new();
        g.add_node("player", node).unwrap();
        let err = mixgraph_graph::Engine::new(g, mixgraph_graph::StreamInfo::new(48_000.0, 64)).err().unwrap();
        let text = err.to_string();
        assert!(text.starts_with("node 'player': cannot open '/nonexistent/x.wav'"), "{text}");
    }
}

//! `io.file_player`: plays an audio file (WAV, FLAC, MP3, OGG/Vorbis,
//! AAC/M4A, AIFF) from the start of the stream, resampled to the graph rate.
//!
//! Decoding and resampling happen in `prepare`, on the control thread; the
//! processor only copies from memory. A relative `path` is resolved against
//! the working directory.

use super::decode::{DecodedAudio, decode_and_resample};
use crate::common::db_to_gain;
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamDesc, ParamEvents, ParamUnit, PortDesc,
    PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
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
}

impl Node for FilePlayerNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("io.file_player")
            .output(PortDesc::audio("out", self.channels))
            .param(ParamDesc::float("gain_db", "Gain", -96.0, 24.0, 0.0, ParamUnit::Db).smoothing(SMOOTHING))
            .param(ParamDesc::toggle("loop", "Loop", false))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let rate = ctx.stream.sample_rate.round() as u32;
        let decoded = decode_and_resample(&self.path, rate).map_err(|e| NodeError(Box::new(e)))?;
        let audio = adapt(decoded, self.channels);
        let frames = audio.first().map(Vec::len).unwrap_or(0) as u64;
        let gain = Smoother::new(SMOOTHING, ctx.stream.sample_rate, db_to_gain(ctx.params[0]));
        let looping = ctx.params[1] >= 0.5;
        let processor = FilePlayerProcessor { audio, position: 0, looping, gain };
        Ok(Prepared::new(processor).content(if looping { u64::MAX } else { frames }))
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
                _ => self.looping = e.value >= 0.5,
            }
        }
        let len = self.audio.first().map(Vec::len).unwrap_or(0);
        if len == 0 || (!self.looping && self.position >= len) {
            return ProcessStatus::ClearOutputs;
        }
        let start_gain = self.gain.clone();
        for (src, out) in self.audio.iter().zip(io.outputs.iter_mut()) {
            self.gain = start_gain.clone();
            let mut pos = self.position;
            for y in out.iter_mut().take(info.frames) {
                if pos >= len {
                    if !self.looping {
                        *y = 0.0;
                        continue;
                    }
                    pos = 0;
                }
                *y = src[pos] * self.gain.next();
                pos += 1;
            }
        }
        self.position += info.frames;
        if self.looping {
            self.position %= len;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.position = 0;
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

    fn write_wav(path: &std::path::Path, rate: u32, channels: &[Vec<f32>]) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..channels[0].len() {
            for c in channels {
                w.write_sample(c[i]).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn plays_a_file_then_silence_and_reports_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let tone = sine(440.0, 0.5, 4800);
        write_wav(&path, 48_000, std::slice::from_ref(&tone));
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
        write_wav(&path, 44_100, &[vec![0.25; 441], vec![-0.25; 441]]);
        let h = NodeHarness::new("io.file_player", json!({"path": path}), &[("loop", 1.0)]);
        let (_, mut ex) = h.engine();
        let out = crate::testing::run(&mut ex, &[vec![0.0; 2000]], &[512]);
        // 441 frames at 44.1 kHz are 480 at 48 kHz; looping keeps the level up past them.
        assert!((out[0][1200] - 0.25).abs() < 0.02 && (out[1][1200] + 0.25).abs() < 0.02, "{}", out[0][1200]);
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

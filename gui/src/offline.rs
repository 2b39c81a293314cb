//! Offline render of the document to a WAV file on a worker thread, with
//! progress, while live audio keeps playing its own engine.
//!
//! The length is the longest file-player material (else the requested
//! seconds) plus the graph's tail (at most 10 s). Graph inputs read
//! silence. The file is written as 32-bit float through a temporary file
//! renamed when complete.

use crate::document::Document;
use mixgraph_graph::{Engine, NodeRegistry, StreamInfo};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

/// Frames per processing block.
const BLOCK: usize = 512;
/// Longest tail rendered after the material, seconds.
const MAX_TAIL_S: f64 = 10.0;

/// A render in progress.
pub struct OfflineRender {
    done: Arc<AtomicU64>,
    total: u64,
    worker: Option<JoinHandle<anyhow::Result<PathBuf>>>,
}

impl OfflineRender {
    /// Starts rendering `doc` at `sample_rate` into `path`; `seconds` is the
    /// length when no file player sets it.
    ///
    /// # Errors
    /// A graph that does not build or has no output.
    pub fn start(
        doc: &Document,
        registry: &NodeRegistry,
        path: &Path,
        sample_rate: u32,
        seconds: f64,
    ) -> anyhow::Result<OfflineRender> {
        let (engine, mut executor) =
            Engine::new(doc.to_graph(registry)?, StreamInfo::new(f64::from(sample_rate), BLOCK))?;
        let report = engine.report().clone();
        let channels =
            report.outputs.first().map(|p| p.channels).ok_or_else(|| anyhow::anyhow!("the graph has no output"))?;
        let inputs: usize = report.inputs.iter().map(|p| p.channels).sum();
        let outputs: usize = report.outputs.iter().map(|p| p.channels).sum();
        let material = engine.content_frames().unwrap_or((seconds.max(0.0) * f64::from(sample_rate)) as u64);
        let tail = u64::from(report.tail_frames).min((MAX_TAIL_S * f64::from(sample_rate)) as u64);
        let latency = u64::from(report.latency_frames);
        let total = material + tail;
        let done = Arc::new(AtomicU64::new(0));
        let progress = done.clone();
        let path = path.to_path_buf();
        let worker = std::thread::spawn(move || -> anyhow::Result<PathBuf> {
            let _engine = engine;
            let spec = hound::WavSpec {
                channels: channels as u16,
                sample_rate,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            };
            let tmp = path.with_extension("wav.tmp");
            let mut writer = hound::WavWriter::create(&tmp, spec)?;
            let silence = vec![0.0f32; BLOCK];
            let ins: Vec<&[f32]> = (0..inputs).map(|_| &silence[..]).collect();
            let mut planar = vec![vec![0.0f32; BLOCK]; outputs.max(1)];
            // Latency is rendered and dropped, so the file lines up with time zero.
            let (mut produced, mut written) = (0u64, 0u64);
            while written < total {
                let n = BLOCK;
                let mut outs: Vec<&mut [f32]> = planar.iter_mut().map(|c| &mut c[..n]).collect();
                executor.process(&ins, &mut outs, n);
                for i in 0..n {
                    if produced + i as u64 >= latency && written < total {
                        for ch in planar.iter().take(channels) {
                            writer.write_sample(ch[i])?;
                        }
                        written += 1;
                    }
                }
                produced += n as u64;
                progress.store(written, Ordering::Relaxed);
            }
            writer.finalize()?;
            std::fs::rename(&tmp, &path)?;
            Ok(path)
        });
        Ok(OfflineRender { done, total, worker: Some(worker) })
    }

    /// Share done, 0 … 1.
    pub fn progress(&self) -> f32 {
        if self.total == 0 { 1.0 } else { self.done.load(Ordering::Relaxed) as f32 / self.total as f32 }
    }

    /// The result once the worker has finished (then `None` again).
    pub fn finished(&mut self) -> Option<anyhow::Result<PathBuf>> {
        if self.worker.as_ref().is_some_and(|w| w.is_finished()) {
            let worker = self.worker.take()?;
            return Some(worker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the render thread panicked"))));
        }
        None
    }

    /// Waits for the result.
    pub fn wait(mut self) -> anyhow::Result<PathBuf> {
        match self.worker.take() {
            Some(worker) => worker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the render thread panicked"))),
            None => Err(anyhow::anyhow!("already finished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Pos2;

    #[test]
    fn a_file_player_graph_renders_its_material_plus_tail_aligned_to_zero() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("tone.wav");
        let mut impulse = vec![0.0f32; 24_000];
        impulse[0] = 0.5;
        mixgraph_tests::write_wav(&wav, &[impulse.clone(), impulse], 48_000);
        let registry = mixgraph_nodes::registry();
        let mut doc = Document::new();
        doc.add_node_with("io.file_player", &serde_json::json!({ "path": wav }), Pos2::ZERO, &registry).unwrap();
        let lim = doc.add_node("dynamics.limiter", Pos2::ZERO, &registry).unwrap();
        assert!(doc.set_param(lim, "ceiling_dbtp", -0.1));
        doc.add_node("io.output", Pos2::ZERO, &registry).unwrap();
        for (a, b) in [("file_player.out", "limiter.in"), ("limiter.out", "output.in")] {
            let (o, i) = doc.pins(a, b).unwrap();
            assert!(doc.connect(o, i));
        }
        let out = dir.path().join("render.wav");
        let render = OfflineRender::start(&doc, &registry, &out, 48_000, 1.0).unwrap();
        let total = render.total;
        assert_eq!(render.wait().unwrap(), out);
        let reader = hound::WavReader::open(&out).unwrap();
        assert_eq!(reader.spec().sample_format, hound::SampleFormat::Float);
        let samples: Vec<f32> = reader.into_samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(samples.len() as u64, total * 2, "material plus tail, stereo");
        assert!(total >= 24_000);
        // The limiter's lookahead is compensated: the impulse is at frame 0.
        let first = samples.iter().position(|v| v.abs() > 1e-3).unwrap() / 2;
        assert_eq!(first, 0, "aligned to time zero");
        assert!(!dir.path().join("render.wav.tmp").exists());
    }
}

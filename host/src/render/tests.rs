use super::*;
use mixgraph_graph::{
    Node, NodeError, NodeInfo, NodeType, ParamEvents, PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo,
    ProcessStatus, Processor,
};

#[test]
fn length_adds_latency_to_processing_and_tail_to_the_file() {
    // The report's tail (1000) counts after the latency (64).
    let l = RenderLength::plan(48_000, 64, 1_000, 5.0, 48_000);
    assert_eq!(l.process_frames(), 48_000 + 64 + 1_000);
    assert_eq!(l.written_frames(), 48_000 + 1_000);
    assert!(l.tail_known);
    // Latency without ringing: nothing is written past the material.
    assert_eq!(RenderLength::plan(500, 100, 0, 5.0, 48_000).written_frames(), 500);
}

#[test]
fn unknown_tail_uses_the_fallback_seconds() {
    let l = RenderLength::plan(1_000, 0, u32::MAX, 2.5, 44_100);
    assert_eq!(l.tail_frames, 110_250);
    assert!(!l.tail_known);
    assert_eq!(l.written_frames(), 111_250);
}

#[test]
fn content_comes_from_duration_inputs_or_players() {
    assert_eq!(content_frames(Some(10), Some(500), None).unwrap(), 10);
    assert_eq!(content_frames(None, Some(500), Some(700)).unwrap(), 700);
    assert_eq!(content_frames(None, Some(500), Some(u64::MAX)).unwrap(), 500, "a loop follows the inputs");
    assert_eq!(content_frames(None, None, Some(300)).unwrap(), 300);
    assert!(content_frames(None, None, Some(u64::MAX)).unwrap_err().to_string().contains("--duration"));
    assert!(content_frames(None, None, None).is_err());
}

#[test]
fn silence_counts_only_after_the_material_ends() {
    let silent = vec![0.0f32; 100];
    let loud = vec![0.5f32; 100];
    let mut w = SilenceWatch::new(200, 150);
    assert!(!w.feed(0, &[&silent, &silent]));
    assert!(!w.feed(100, &[&silent, &silent]));
    assert!(!w.feed(200, &[&silent, &silent]));
    assert!(w.feed(300, &[&silent, &silent]));
    let mut w = SilenceWatch::new(0, 150);
    assert!(!w.feed(0, &[&silent, &silent]));
    assert!(!w.feed(100, &[&silent, &loud]), "one loud channel breaks the run");
    assert!(!w.feed(200, &[&silent, &silent]));
    assert!(w.feed(300, &[&silent, &silent]));
}

/// Delays one channel by `LATENCY` frames and says so, like a lookahead limiter.
struct LatencyNode;

const LATENCY: usize = 100;

struct LatencyProcessor {
    ring: Vec<f32>,
    pos: usize,
}

impl Node for LatencyNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.latency").input(PortDesc::audio("in", 1)).output(PortDesc::audio("out", 1))
    }

    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(LatencyProcessor { ring: vec![0.0; LATENCY], pos: 0 }).latency(LATENCY as u32))
    }
}

impl Processor for LatencyProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        for i in 0..info.frames {
            let x = io.inputs[0][i];
            io.outputs[0][i] = std::mem::replace(&mut self.ring[self.pos], x);
            self.pos = (self.pos + 1) % LATENCY;
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
    }
}

#[test]
fn latency_is_trimmed_so_the_output_lines_up_with_the_input() {
    let mut registry = mixgraph_nodes::registry();
    registry.register(NodeType {
        type_id: "test.latency",
        family: "test",
        description: "fixed latency",
        config: &[],
        factory: |_| Ok(Box::new(LatencyNode)),
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let signal: Vec<f32> = (0..1_000).map(|i| ((i * 7919) % 200) as f32 / 200.0 - 0.5).collect();
    let mut w = hound::WavWriter::create(&input, spec).unwrap();
    signal.iter().for_each(|x| w.write_sample(*x).unwrap());
    w.finalize().unwrap();
    let request = RenderRequest {
        graph: GraphSource::Embedded {
            name: "latency.json",
            text: r#"{"format": "mixgraph/1", "nodes": [
                {"id": "in", "type": "io.input", "config": {"channels": 1}},
                {"id": "look", "type": "test.latency"},
                {"id": "out", "type": "io.output", "config": {"channels": 1}}],
                "edges": [{"from": "in", "to": "look"}, {"from": "look", "to": "out"}]}"#,
        },
        inputs: vec![InputSpec { name: "in".into(), path: input }],
        sets: Vec::new(),
        output: None,
        out_path: dir.path().join("out.wav"),
        sample_rate: None,
        block_size: 64,
        format: SampleFormat::Wav32F,
        tail_seconds: 5.0,
        duration_seconds: None,
        taps: Vec::new(),
        record_reduction: false,
    };
    let summary = render_with(&request, &registry).unwrap();
    assert_eq!((summary.latency_frames, summary.frames, summary.sample_rate), (LATENCY as u32, 1_000, 8_000));
    let out: Vec<f32> =
        hound::WavReader::open(&request.out_path).unwrap().samples::<f32>().map(Result::unwrap).collect();
    assert_eq!(out, signal, "same samples at the same positions");
}

//! Minimal nodes for engine tests.

use crate::{
    Node, NodeError, NodeInfo, ParamDesc, ParamEvents, ParamUnit, PortDesc, PrepareContext, Prepared, ProcBuffers,
    ProcInfo, ProcessStatus, Processor, Smoother, Smoothing,
};

/// Multiplies by `gain`, smoothed linearly over 5 ms.
pub struct GainNode {
    channels: usize,
}

impl GainNode {
    pub fn new(channels: usize) -> Self {
        GainNode { channels }
    }
}

struct GainProcessor {
    gain: Smoother,
}

impl Node for GainNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.gain")
            .input(PortDesc::audio("in", self.channels))
            .output(PortDesc::audio("out", self.channels))
            .param(
                ParamDesc::float("gain", "Gain", 0.0, 4.0, 1.0, ParamUnit::Gain)
                    .smoothing(Smoothing::Linear { ms: 5.0 }),
            )
    }
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let gain = Smoother::new(Smoothing::Linear { ms: 5.0 }, ctx.stream.sample_rate, ctx.params[0]);
        Ok(Prepared::new(GainProcessor { gain }))
    }
}

impl Processor for GainProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        for e in params.iter() {
            self.gain.set_target(e.value);
        }
        let start = self.gain.clone();
        for (input, output) in io.inputs.iter().zip(io.outputs.iter_mut()) {
            self.gain = start.clone();
            for (x, y) in input.iter().zip(output.iter_mut()).take(info.frames) {
                *y = x * self.gain.next();
            }
        }
        ProcessStatus::Modified
    }
    fn reset(&mut self) {
        self.gain.jump_to(self.gain.target());
    }
}

/// Delays by a fixed number of frames and reports it as latency.
pub struct LatencyNode {
    frames: usize,
}

impl LatencyNode {
    pub fn new(frames: usize) -> Self {
        LatencyNode { frames }
    }
}

struct LatencyProcessor {
    ring: Vec<f32>,
    pos: usize,
}

impl Node for LatencyNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.latency").input(PortDesc::audio("in", 1)).output(PortDesc::audio("out", 1))
    }
    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(LatencyProcessor { ring: vec![0.0; self.frames], pos: 0 }).latency(self.frames as u32))
    }
}

impl Processor for LatencyProcessor {
    fn process(&mut self, _: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        let input = io.inputs[0];
        for (x, y) in input.iter().zip(io.outputs[0].iter_mut()) {
            *y = self.ring[self.pos];
            self.ring[self.pos] = *x;
            self.pos = (self.pos + 1) % self.ring.len();
        }
        ProcessStatus::Modified
    }
    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
    }
}

/// Sums inputs `a` and `b`.
pub struct AdderNode;

struct AdderProcessor;

impl Node for AdderNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.add")
            .input(PortDesc::audio("a", 1))
            .input(PortDesc::audio("b", 1))
            .output(PortDesc::audio("out", 1))
    }
    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(AdderProcessor))
    }
}

impl Processor for AdderProcessor {
    fn process(&mut self, _: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        let (a, b) = (io.inputs[0], io.inputs[1]);
        for ((x, y), out) in a.iter().zip(b).zip(io.outputs[0].iter_mut()) {
            *out = x + y;
        }
        ProcessStatus::Modified
    }
    fn reset(&mut self) {}
}

/// Emits a note-on at `frame` of every block, with velocity `velocity`.
pub struct NoteSourceNode {
    pub frame: u32,
    pub velocity: f32,
}

struct NoteSourceProcessor {
    frame: u32,
    velocity: f32,
}

impl Node for NoteSourceNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.note_source").output(crate::PortDesc::events("notes"))
    }
    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(NoteSourceProcessor { frame: self.frame, velocity: self.velocity }))
    }
}

impl Processor for NoteSourceProcessor {
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        if (self.frame as usize) < info.frames {
            let kind = crate::NoteEventKind::NoteOn { channel: 0, note: 60, velocity: self.velocity };
            if let Some(out) = io.events_out.first_mut() {
                out.push(crate::NoteEvent { frame: self.frame, kind });
            }
        }
        ProcessStatus::Modified
    }
    fn reset(&mut self) {}
}

/// Writes each received note-on's velocity at its frame, zeros elsewhere.
pub struct NoteSinkNode;

struct NoteSinkProcessor;

impl Node for NoteSinkNode {
    fn info(&self) -> NodeInfo {
        NodeInfo::new("test.note_sink").input(crate::PortDesc::events("notes")).output(PortDesc::audio("out", 1))
    }
    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(NoteSinkProcessor))
    }
}

impl Processor for NoteSinkProcessor {
    fn process(&mut self, _: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        let Some(out) = io.outputs.first_mut() else { return ProcessStatus::Error("no output") };
        out.fill(0.0);
        for e in io.events_in.first().copied().unwrap_or(&[]) {
            if let (crate::NoteEventKind::NoteOn { velocity, .. }, Some(y)) = (e.kind, out.get_mut(e.frame as usize)) {
                *y += velocity;
            }
        }
        ProcessStatus::Modified
    }
    fn reset(&mut self) {}
}

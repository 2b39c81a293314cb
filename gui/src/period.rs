//! One audio period of live play, apart from cpal: the captured input is
//! taken from its queue into the graph's inputs, the MIDI that arrived goes
//! to every note input of the graph, the graph runs, and its outputs are
//! interleaved into the device's buffer. Everything is sized before the
//! stream starts; [`Period::run`] never allocates, locks or blocks.

use mixgraph_graph::{Executor, NoteEvent, NoteEventKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most graph output (and input) channels played live.
pub const MAX_CHANNELS: usize = 8;
/// Most note inputs fed from MIDI.
const MAX_EVENT_INPUTS: usize = 8;
/// Most MIDI events taken in one period.
const MAX_EVENTS: usize = 512;

/// Captured audio on its way from the input stream.
pub struct CapturedInput {
    /// Interleaved samples from the input callback.
    pub queue: rtrb::Consumer<f32>,
    /// The input device's channels.
    pub channels: usize,
}

/// Counters of the input path.
#[derive(Debug, Default)]
pub struct InputStats {
    /// Periods that found too little captured audio and read silence.
    pub underruns: AtomicU64,
    /// Captured samples dropped to keep the input's latency bounded.
    pub dropped: AtomicU64,
}

/// The audio callback's state.
pub struct Period {
    executor: Executor,
    max_block: usize,
    outputs: Vec<Vec<f32>>,
    inputs: Vec<Vec<f32>>,
    input: Option<CapturedInput>,
    midi: Vec<rtrb::Consumer<NoteEventKind>>,
    events: Vec<NoteEvent>,
    stats: Arc<InputStats>,
}

impl Period {
    /// Runs `executor` in blocks of up to `max_block` frames, reading
    /// `input` and `midi`. Control thread: allocates.
    pub fn new(
        executor: Executor,
        max_block: usize,
        input: Option<CapturedInput>,
        midi: Vec<rtrb::Consumer<NoteEventKind>>,
        stats: Arc<InputStats>,
    ) -> Self {
        let max_block = max_block.max(1);
        Period {
            executor,
            max_block,
            outputs: vec![vec![0.0; max_block]; MAX_CHANNELS],
            inputs: vec![vec![0.0; max_block]; MAX_CHANNELS],
            input,
            midi,
            events: Vec::with_capacity(MAX_EVENTS),
            stats,
        }
    }

    /// Fills `data` (interleaved, `channels` per frame). Audio thread.
    pub fn run(&mut self, data: &mut [f32], channels: usize) {
        let channels = channels.max(1);
        let frames = data.len() / channels;
        self.events.clear();
        for queue in &mut self.midi {
            while self.events.len() < MAX_EVENTS
                && let Ok(kind) = queue.pop()
            {
                self.events.push(NoteEvent { frame: 0, kind });
            }
        }
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(self.max_block);
            self.take_input(n);
            let graph_in = self.executor.input_channels().min(MAX_CHANNELS);
            let graph_out = self.executor.output_channels().clamp(1, MAX_CHANNELS);
            let mut ins: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            for (slot, channel) in ins.iter_mut().zip(&self.inputs) {
                *slot = &channel[..n];
            }
            let mut outs: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (slot, channel) in outs.iter_mut().zip(self.outputs.iter_mut()) {
                *slot = &mut channel[..n];
            }
            // The MIDI of this period reaches every note input, at the period's start.
            let notes: &[NoteEvent] = if done == 0 { &self.events } else { &[] };
            let event_inputs = self.executor.event_inputs().min(MAX_EVENT_INPUTS);
            let events = [notes; MAX_EVENT_INPUTS];
            self.executor.process_with_events(&ins[..graph_in], &events[..event_inputs], &mut outs[..graph_out], n);
            for (i, frame) in data[done * channels..(done + n) * channels].chunks_mut(channels).enumerate() {
                for (c, sample) in frame.iter_mut().enumerate() {
                    *sample = self.outputs[c.min(graph_out - 1)][i];
                }
            }
            done += n;
        }
    }

    /// Moves `n` frames of captured input into the graph's input buffers
    /// (device channel `c` to graph channel `c`, the last device channel
    /// repeated), or silence when too little has arrived.
    fn take_input(&mut self, n: usize) {
        let Some(input) = &mut self.input else {
            for channel in &mut self.inputs {
                channel[..n].fill(0.0);
            }
            return;
        };
        let dev = input.channels.max(1);
        let wanted = n * dev;
        // More than four blocks waiting: drop the oldest to bound the latency.
        let excess = input.queue.slots().saturating_sub(4 * self.max_block * dev);
        if excess > 0
            && let Ok(chunk) = input.queue.read_chunk(excess - excess % dev)
        {
            self.stats.dropped.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            chunk.commit_all();
        }
        let Ok(chunk) = input.queue.read_chunk(wanted) else {
            self.stats.underruns.fetch_add(1, Ordering::Relaxed);
            for channel in &mut self.inputs {
                channel[..n].fill(0.0);
            }
            return;
        };
        let (a, b) = chunk.as_slices();
        for (c, channel) in self.inputs.iter_mut().enumerate() {
            let source = c.min(dev - 1);
            for (i, y) in channel[..n].iter_mut().enumerate() {
                let k = i * dev + source;
                *y = if k < a.len() { a[k] } else { b[k - a.len()] };
            }
        }
        chunk.commit_all();
    }
}

#[cfg(test)]
mod tests;

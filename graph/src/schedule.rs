//! The compiled form of a graph that the audio thread runs: a flat list of
//! operations over a preallocated buffer arena. Built by [`crate::compile()`] on
//! the control thread; nothing in it allocates while it runs.

use crate::processor::EventBuffer;
use serde::Serialize;

/// One step of a schedule. Buffer ids index the arena; `Range`s index
/// [`Schedule::lists`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Copies external input channels `first..first+len` into buffers `outs`.
    ExternalIn { first: u32, outs: ListRange },
    /// Copies buffers `ins` into external output channels starting at `first`.
    ExternalOut { first: u32, ins: ListRange },
    /// `dst = src`.
    Copy { src: u32, dst: u32 },
    /// `dst += src`.
    Add { src: u32, dst: u32 },
    /// `dst (=|+=) delay_line(src)`: latency compensation on one edge channel.
    Delay { line: u32, src: u32, dst: u32, accumulate: bool },
    /// Emits a feedback line's delayed samples into `dst`.
    FeedbackRead { line: u32, dst: u32 },
    /// Feeds `src` into a feedback line and advances it.
    FeedbackWrite { line: u32, src: u32 },
    /// Fills event buffer `dst` with this block's events of external event
    /// input `input`.
    ExternalEvents { input: u32, dst: u32 },
    /// Merges event buffers `srcs` into event buffer `dst`, sorted by frame.
    MergeEvents { srcs: ListRange, dst: u32 },
    /// Runs the processor in `slot`.
    Process { slot: u32, ins: ListRange, outs: ListRange, ev_ins: ListRange, ev_outs: EventRange },
}

/// A range of [`Schedule::lists`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct ListRange {
    pub start: u32,
    pub len: u32,
}

/// A contiguous range of event buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct EventRange {
    pub first: u32,
    pub len: u32,
}

/// Identity of a delay line, so that a recompiled schedule can take over the
/// contents of the line it replaces (no dropout on live edits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DelayKey {
    /// Source and destination node uids (equal for a feedback line).
    pub src_uid: u64,
    pub dst_uid: u64,
    pub src_port: u16,
    pub dst_port: u16,
    pub channel: u32,
    pub len: u32,
}

/// A fixed-length delay line for one channel.
#[derive(Clone, Debug)]
pub(crate) struct DelayLine {
    pub key: DelayKey,
    pub ring: Vec<f32>,
    pub pos: usize,
}

impl DelayLine {
    pub fn new(key: DelayKey) -> Self {
        DelayLine { key, ring: vec![0.0; key.len as usize], pos: 0 }
    }

    /// Delays `src` into `dst` (or adds it) by the line's length.
    #[inline]
    pub fn run(&mut self, src: &[f32], dst: &mut [f32], accumulate: bool) {
        let len = self.ring.len();
        for (x, y) in src.iter().zip(dst.iter_mut()) {
            let delayed = self.ring[self.pos];
            self.ring[self.pos] = *x;
            self.pos += 1;
            if self.pos == len {
                self.pos = 0;
            }
            if accumulate {
                *y += delayed;
            } else {
                *y = delayed;
            }
        }
    }

    /// Reads `dst.len()` delayed samples without consuming them (feedback read;
    /// valid because the line is at least one block long).
    #[inline]
    pub fn read(&self, dst: &mut [f32]) {
        let len = self.ring.len();
        let mut pos = self.pos;
        for y in dst.iter_mut() {
            *y = self.ring[pos];
            pos += 1;
            if pos == len {
                pos = 0;
            }
        }
    }

    /// Writes `src` where [`DelayLine::read`] just read, and advances.
    #[inline]
    pub fn write(&mut self, src: &[f32]) {
        let len = self.ring.len();
        for x in src {
            self.ring[self.pos] = *x;
            self.pos += 1;
            if self.pos == len {
                self.pos = 0;
            }
        }
    }

    pub fn clear(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
    }
}

/// A named graph input or output and where its channels sit in the external
/// channel list passed to [`crate::Executor::process`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IoPort {
    /// The io node's id, e.g. `in` or `out`.
    pub name: String,
    /// Channel count.
    pub channels: usize,
    /// Index of its first channel in the external channel list.
    pub first_channel: usize,
}

/// What compilation found out about a graph, for hosts and reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompileReport {
    /// Node ids in processing order (a feedback node appears where it reads).
    pub order: Vec<String>,
    /// Graph inputs, in external channel order.
    pub inputs: Vec<IoPort>,
    /// Graph outputs, in external channel order.
    pub outputs: Vec<IoPort>,
    /// Delay from graph inputs to graph outputs, in frames; every output is
    /// aligned to it.
    pub latency_frames: u32,
    /// Frames the output keeps sounding after the last input frame has come
    /// through the latency: the sum of the tails along the longest-ringing path,
    /// not counting latency (`u32::MAX` if unknown, as through a feedback loop).
    pub tail_frames: u32,
    /// Audio buffers in the arena (including the shared silent one).
    pub buffer_count: usize,
    /// Delay lines inserted to align parallel paths.
    pub compensation_delays: usize,
    /// Names of the note-event inputs (`io.note_input` nodes), in the order
    /// [`crate::Executor::process_with_events`] takes their events.
    pub event_inputs: Vec<String>,
}

/// A compiled graph, ready for the audio thread.
pub struct Schedule {
    pub(crate) ops: Vec<Op>,
    pub(crate) lists: Vec<u32>,
    /// Audio buffers, `max_block` floats each; buffer 0 is always silent.
    pub(crate) buffers: Vec<f32>,
    pub(crate) max_block: usize,
    pub(crate) delays: Vec<DelayLine>,
    /// Event buffers; buffer 0 is always empty.
    pub(crate) events: Vec<EventBuffer>,
    /// For each processor slot, the uid of the node that owns it (0 = none).
    pub(crate) slot_uids: Vec<u64>,
    pub(crate) input_channels: usize,
    pub(crate) output_channels: usize,
    pub(crate) report: CompileReport,
    /// Whether the executor should smooth the output step when swapping this in.
    pub(crate) declick: bool,
}

impl Schedule {
    /// What compilation found out.
    pub fn report(&self) -> &CompileReport {
        &self.report
    }

    /// Takes over delay-line contents from the schedule being replaced, for lines
    /// with the same identity. Audio thread: copies, never allocates.
    pub(crate) fn adopt_state(&mut self, old: &Schedule) {
        for line in &mut self.delays {
            if let Some(prev) = old.delays.iter().find(|d| d.key == line.key) {
                line.ring.copy_from_slice(&prev.ring);
                line.pos = prev.pos;
            }
        }
    }

    /// Silences every delay line. Audio thread.
    pub(crate) fn clear_state(&mut self) {
        for line in &mut self.delays {
            line.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(len: u32) -> DelayKey {
        DelayKey { src_uid: 1, dst_uid: 2, src_port: 0, dst_port: 0, channel: 0, len }
    }

    #[test]
    fn delay_line_delays_by_its_length_across_blocks() {
        let mut line = DelayLine::new(key(5));
        let input: Vec<f32> = (1..=20).map(|i| i as f32).collect();
        let mut out = [0.0; 20];
        for (src, dst) in input.chunks(3).zip(out.chunks_mut(3)) {
            line.run(src, dst, false);
        }
        assert_eq!(&out[..5], &[0.0; 5]);
        assert_eq!(&out[5..], &input[..15]);
    }

    #[test]
    fn feedback_read_then_write_is_a_delay() {
        let mut line = DelayLine::new(key(4));
        let mut got = Vec::new();
        for block in (1..=12).map(|i| i as f32).collect::<Vec<_>>().chunks(4) {
            let mut out = [0.0; 4];
            line.read(&mut out);
            line.write(block);
            got.extend_from_slice(&out);
        }
        assert_eq!(got, [0., 0., 0., 0., 1., 2., 3., 4., 5., 6., 7., 8.]);
    }
}

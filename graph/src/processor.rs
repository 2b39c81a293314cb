//! The audio-thread half of a node.
//!
//! Everything here runs on the audio thread: no allocation, no locks, no I/O,
//! no panics.

use crate::param::ParamIndex;

/// Per-block facts handed to `process`.
#[derive(Clone, Copy, Debug)]
pub struct ProcInfo {
    /// Frames in this block (`1..=max_block_frames`).
    pub frames: usize,
    /// Frames per second.
    pub sample_rate: f64,
    /// Position of the block's first frame since the engine started or was reset.
    pub frame_position: u64,
}

/// A note event on an event port.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoteEvent {
    /// Frame offset within the block.
    pub frame: u32,
    /// What happened.
    pub kind: NoteEventKind,
}

/// The payload of a [`NoteEvent`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoteEventKind {
    /// A key goes down; velocity 0..=1.
    NoteOn {
        /// MIDI channel 0..=15.
        channel: u8,
        /// MIDI note number.
        note: u8,
        /// 0..=1.
        velocity: f32,
    },
    /// A key goes up.
    NoteOff {
        /// MIDI channel 0..=15.
        channel: u8,
        /// MIDI note number.
        note: u8,
    },
    /// A MIDI continuous controller, value 0..=1.
    Controller {
        /// MIDI channel 0..=15.
        channel: u8,
        /// Controller number.
        cc: u8,
        /// 0..=1.
        value: f32,
    },
}

/// A fixed-capacity list of note events, sized when the schedule is compiled.
#[derive(Clone, Debug)]
pub struct EventBuffer {
    events: Vec<NoteEvent>,
    dropped: u64,
}

impl EventBuffer {
    /// An empty buffer that holds up to `capacity` events. Control thread.
    pub fn with_capacity(capacity: usize) -> Self {
        EventBuffer { events: Vec::with_capacity(capacity), dropped: 0 }
    }

    /// Appends an event; returns false (and counts it) when full. Never allocates.
    pub fn push(&mut self, event: NoteEvent) -> bool {
        if self.events.len() < self.events.capacity() {
            self.events.push(event);
            true
        } else {
            self.dropped += 1;
            false
        }
    }

    /// The events, in the order they were pushed.
    pub fn as_slice(&self) -> &[NoteEvent] {
        &self.events
    }

    /// Removes all events.
    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Sorts by frame, keeping the order of events at the same frame (a note-off
    /// before a note-on on the same frame stays first). Insertion sort: stable
    /// without allocating, and event lists are short and nearly sorted.
    pub fn sort_by_frame(&mut self) {
        for i in 1..self.events.len() {
            let mut j = i;
            while j > 0 && self.events[j - 1].frame > self.events[j].frame {
                self.events.swap(j - 1, j);
                j -= 1;
            }
        }
    }

    /// Events refused because the buffer was full, since creation.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// One parameter change addressed to a processor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamEvent {
    /// Which parameter.
    pub index: ParamIndex,
    /// The new target value (already validated against the range).
    pub value: f32,
}

/// The parameter changes for one processor in this block, oldest first; they
/// apply at the start of the block.
#[derive(Clone, Copy, Debug)]
pub struct ParamEvents<'a> {
    events: &'a [ParamEvent],
}

impl<'a> ParamEvents<'a> {
    /// Wraps a slice of events.
    pub fn new(events: &'a [ParamEvent]) -> Self {
        ParamEvents { events }
    }

    /// No events.
    pub fn empty() -> ParamEvents<'static> {
        ParamEvents { events: &[] }
    }

    /// Iterates the events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &'a ParamEvent> + 'a {
        self.events.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// The buffers of one `process` call: audio channels flattened port after port
/// in declaration order, and one event list per event port.
pub struct ProcBuffers<'a, 'b> {
    /// Input channels, `frames` samples each.
    pub inputs: &'a [&'b [f32]],
    /// Output channels, `frames` samples each. They may hold stale data: write
    /// every sample, never accumulate.
    pub outputs: &'a mut [&'b mut [f32]],
    /// Events arriving on each event input port, sorted by frame.
    pub events_in: &'a [&'b [NoteEvent]],
    /// One buffer per event output port, cleared before the call.
    pub events_out: &'a mut [EventBuffer],
}

impl<'b> ProcBuffers<'_, 'b> {
    /// Input channel `ch`, or an empty slice when out of range.
    #[inline]
    pub fn input(&self, ch: usize) -> &'b [f32] {
        self.inputs.get(ch).copied().unwrap_or(&[])
    }

    /// Writes zeros to every output channel.
    pub fn clear_outputs(&mut self) {
        for out in self.outputs.iter_mut() {
            out.fill(0.0);
        }
    }
}

/// What a processor did with its outputs in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessStatus {
    /// Outputs were not written; the executor fills them with silence.
    ClearOutputs,
    /// Outputs were not written; the executor copies input channel *i* to output
    /// channel *i* (silence where there is no such input).
    Bypass,
    /// Outputs were written.
    Modified,
    /// Outputs were written and will keep sounding for this many more frames
    /// without input.
    Tail(u32),
    /// The processor failed this block; the executor writes silence and counts
    /// the fault.
    Error(&'static str),
}

/// The audio-thread half of a node, built by [`crate::Node::prepare`].
///
/// Both methods run on the audio thread and must not allocate, lock, do I/O or
/// panic.
pub trait Processor: Send + 'static {
    /// Processes one block of `info.frames` frames. Applies `params` first.
    fn process(&mut self, info: &ProcInfo, io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus;

    /// Clears filter state, envelopes and delay lines, and jumps smoothers to
    /// their targets; afterwards the same input gives the same output.
    fn reset(&mut self);
}

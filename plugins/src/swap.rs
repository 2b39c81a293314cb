//! Graph edits from the plugin's editor reach the audio thread without
//! stopping it.
//!
//! A structural edit (a node added, removed or reconfigured, a wire, a
//! macro mapping, a structural parameter) makes the editor build a whole new
//! [`GraphRunner`] on its own thread and send it here; the audio thread
//! takes it at the start of a block and crossfades from the old graph's
//! output to the new one's over [`SWAP_FADE_S`], then hands the old runner
//! back to be dropped off the audio thread. A parameter moved on a running
//! node travels instead as a resolved handle ([`ParamEdit`]), so a dragged
//! knob keeps the graph's state (reverb tails, envelopes, delay lines).
//!
//! The audio side ([`SwapRunner`]) never allocates, frees, locks or blocks:
//! runners arrive and leave through wait-free queues, and it takes a new
//! runner only when the way back has room for the runners it may retire.

use crate::runner::{GraphRunner, MAX_CHANNELS};
use mixgraph_graph::{NoteEvent, ParamHandle};

/// Length of the crossfade from the old graph to the new one, seconds.
pub const SWAP_FADE_S: f64 = 0.01;
/// Runners that may wait to be taken, or to be dropped.
const RUNNER_QUEUE: usize = 4;
/// Parameter edits that may wait for the audio thread.
const EDIT_QUEUE: usize = 1024;

/// A parameter of a running graph set from the editor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamEdit {
    /// The runner the handle was resolved on; edits for others are dropped.
    pub generation: u64,
    /// The parameter.
    pub handle: ParamHandle,
    /// Its new value (clamped to its range by the engine).
    pub value: f32,
}

/// A runner and the number that tells it from its predecessors.
pub struct Arrival {
    /// The graph, built for the running stream.
    pub runner: GraphRunner,
    /// Increases with every runner sent.
    pub generation: u64,
}

/// The control-thread end: sends runners and edits, drops retired runners.
pub struct SwapSender {
    runners: rtrb::Producer<Box<Arrival>>,
    edits: rtrb::Producer<ParamEdit>,
    garbage: rtrb::Consumer<Box<Arrival>>,
}

impl SwapSender {
    /// Sends `arrival` to the audio thread; gives it back when the queue is
    /// full (the audio thread has not taken the previous ones yet).
    ///
    /// # Errors
    /// The arrival, unsent.
    pub fn send_runner(&mut self, arrival: Box<Arrival>) -> Result<(), Box<Arrival>> {
        self.collect_garbage();
        self.runners.push(arrival).map_err(|rtrb::PushError::Full(a)| a)
    }

    /// Sends a parameter edit; false when the queue is full.
    pub fn send_edit(&mut self, edit: ParamEdit) -> bool {
        self.edits.push(edit).is_ok()
    }

    /// Drops the runners the audio thread has retired; returns how many.
    pub fn collect_garbage(&mut self) -> usize {
        let mut n = 0;
        while let Ok(old) = self.garbage.pop() {
            drop(old);
            n += 1;
        }
        n
    }
}

/// The audio-thread end: the running graph, fading in over its predecessor
/// after a swap.
pub struct SwapRunner {
    current: Box<Arrival>,
    fading: Option<Box<Arrival>>,
    fade_pos: usize,
    fade_len: usize,
    /// The main input copied for the fading runner, which writes its output
    /// here (main channels × largest block).
    scratch: Vec<Vec<f32>>,
    runners: rtrb::Consumer<Box<Arrival>>,
    edits: rtrb::Consumer<ParamEdit>,
    garbage: rtrb::Producer<Box<Arrival>>,
}

/// The two ends for `initial`, running `main_channels` channels in blocks
/// of up to `max_block` frames at `sample_rate`. Control thread: allocates.
pub fn channel(initial: Arrival, sample_rate: f64, main_channels: usize, max_block: usize) -> (SwapSender, SwapRunner) {
    let (runners_in, runners_out) = rtrb::RingBuffer::new(RUNNER_QUEUE);
    let (edits_in, edits_out) = rtrb::RingBuffer::new(EDIT_QUEUE);
    let (garbage_in, garbage_out) = rtrb::RingBuffer::new(RUNNER_QUEUE);
    let sender = SwapSender { runners: runners_in, edits: edits_in, garbage: garbage_out };
    let runner = SwapRunner {
        current: Box::new(initial),
        fading: None,
        fade_pos: 0,
        fade_len: ((SWAP_FADE_S * sample_rate).round() as usize).max(1),
        scratch: vec![vec![0.0; max_block.max(1)]; main_channels.min(MAX_CHANNELS)],
        runners: runners_out,
        edits: edits_out,
        garbage: garbage_in,
    };
    (sender, runner)
}

impl SwapRunner {
    /// Takes a runner that arrived (starting the crossfade) and applies the
    /// editor's parameter edits. Returns the new latency when a runner with
    /// a different one was taken. Audio thread; call before
    /// [`SwapRunner::process`] and before setting macros on
    /// [`SwapRunner::current`].
    pub fn receive(&mut self) -> Option<u32> {
        let mut latency = None;
        // Room on the way back for the runner fading now and the one that
        // replaces it, so that nothing is ever dropped on this thread.
        if self.garbage.slots() >= 2
            && let Ok(next) = self.runners.pop()
        {
            let before = self.current.runner.latency();
            let old = std::mem::replace(&mut self.current, next);
            if let Some(older) = self.fading.replace(old) {
                self.retire(older);
            }
            self.fade_pos = 0;
            let after = self.current.runner.latency();
            latency = (after != before).then_some(after);
        }
        while let Ok(edit) = self.edits.pop() {
            if edit.generation == self.current.generation {
                self.current.runner.set_param(edit.handle, edit.value);
            }
        }
        latency
    }

    fn retire(&mut self, old: Box<Arrival>) {
        // `receive` checked for room; a full queue cannot happen here.
        if let Err(rtrb::PushError::Full(old)) = self.garbage.push(old) {
            std::mem::forget(old);
        }
    }

    /// The running graph (for macros and reports).
    pub fn current(&mut self) -> &mut GraphRunner {
        &mut self.current.runner
    }

    /// The running graph's generation.
    pub fn generation(&self) -> u64 {
        self.current.generation
    }

    /// True while the previous graph fades out.
    pub fn is_fading(&self) -> bool {
        self.fading.is_some()
    }

    /// Clears the running graph's state and ends any crossfade.
    pub fn reset(&mut self) {
        self.current.runner.reset();
        if let Some(old) = self.fading.take() {
            self.retire(old);
        }
    }

    /// Runs the graph over `frames` frames of `main` in place, as
    /// [`GraphRunner::process`]; during a crossfade the previous graph runs
    /// on a copy of the same input and fades out linearly.
    pub fn process(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&mut [f32]]>,
        notes: &[NoteEvent],
        frames: usize,
        bypass: bool,
    ) {
        let fits = self.scratch.first().is_some_and(|s| s.len() >= frames) && main.len() <= self.scratch.len();
        let Some(old) = self.fading.as_mut().filter(|_| fits) else {
            if let Some(old) = self.fading.take() {
                self.retire(old);
            }
            self.current.runner.process(main, sidechain, notes, frames, bypass);
            return;
        };
        let mut copies: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for ((copy, scratch), channel) in copies.iter_mut().zip(self.scratch.iter_mut()).zip(main.iter()) {
            let n = frames.min(channel.len());
            scratch[..n].copy_from_slice(&channel[..n]);
            *copy = &mut scratch[..n];
        }
        old.runner.process(&mut copies[..main.len()], sidechain, notes, frames, bypass);
        self.current.runner.process(main, sidechain, notes, frames, bypass);
        let step = 1.0 / self.fade_len as f32;
        for (channel, old) in main.iter_mut().zip(&self.scratch) {
            let mut gain = self.fade_pos as f32 * step;
            for (y, o) in channel.iter_mut().zip(old) {
                gain = (gain + step).min(1.0);
                *y = *o + gain * (*y - *o);
            }
        }
        self.fade_pos += frames;
        if self.fade_pos >= self.fade_len
            && let Some(old) = self.fading.take()
        {
            self.retire(old);
        }
    }
}

#[cfg(test)]
mod tests;

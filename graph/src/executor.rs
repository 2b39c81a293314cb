//! The audio-thread side of the engine: runs the current [`Schedule`], takes in
//! new schedules and parameter changes through lock-free rings, and sends
//! everything it lets go of back to the control thread to be dropped there.

use crate::compile::{MAX_NODE_CHANNELS, MAX_NODE_EVENT_PORTS};
use crate::processor::{
    EventBuffer, NoteEvent, ParamEvent, ParamEvents, ProcBuffers, ProcInfo, ProcessStatus, Processor,
};
use crate::schedule::{ListRange, Op, Schedule};
use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

mod declick;
mod denormals;

use declick::Declick;

/// Most parameter changes applied per block; the rest wait for the next block.
pub const PARAM_QUEUE_CAPACITY: usize = 4096;

/// Counters the audio thread keeps for the control side (relaxed atomics).
#[derive(Debug, Default)]
pub struct EngineStats {
    /// Blocks processed (after splitting to the maximum block size).
    pub blocks: AtomicU64,
    /// Schedules swapped in.
    pub swaps: AtomicU64,
    /// `ProcessStatus::Error` results; the block's output of that node was silenced.
    pub node_errors: AtomicU64,
    /// Parameter changes refused because the parameter ring was full.
    pub param_overflows: AtomicU64,
    /// Parameter changes whose node was gone by the time they arrived.
    pub stale_params: AtomicU64,
}

/// A parameter change in flight to the audio thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamChange {
    pub slot: u32,
    pub uid: u64,
    /// The engine's commit count when it was sent: it applies once that
    /// commit's schedule runs.
    pub generation: u64,
    pub seq: u32,
    pub event: ParamEvent,
}

/// Processor arena, indexed by slot.
pub(crate) type Arena = Vec<Option<Box<dyn Processor>>>;

/// A graph edit on its way to the audio thread and, emptied, on its way back.
#[derive(Default)]
pub(crate) struct Swap {
    /// Commit count of the engine that sent it.
    pub generation: u64,
    /// The schedule to install; on return, the one it replaced.
    pub schedule: Option<Box<Schedule>>,
    /// New processors and their slots.
    pub insert: Vec<(u32, Box<dyn Processor>)>,
    /// Slots to empty.
    pub remove: Vec<u32>,
    /// Processors taken out (capacity reserved by the control thread).
    pub removed: Vec<Box<dyn Processor>>,
    /// A larger arena to move into; on return, the old one.
    pub arena: Option<Arena>,
}

/// The audio-thread half of an engine. Created by [`crate::Engine::new`] and
/// moved to the audio thread (or driven in place by an offline renderer).
pub struct Executor {
    schedule: Box<Schedule>,
    processors: Arena,
    swaps_in: rtrb::Consumer<Box<Swap>>,
    garbage_out: rtrb::Producer<Box<Swap>>,
    pending_garbage: Option<Box<Swap>>,
    /// Generation of the last swap installed.
    applied_generation: u64,
    /// A latency-changing edit waiting for the fade-out to finish.
    held: Option<Box<Swap>>,
    params_in: rtrb::Consumer<ParamChange>,
    pending: Vec<ParamChange>,
    events: Vec<ParamEvent>,
    stats: Arc<EngineStats>,
    sample_rate: f64,
    frame_position: u64,
    declick: Declick,
}

pub(crate) struct ExecutorParts {
    pub schedule: Box<Schedule>,
    pub processors: Arena,
    pub swaps_in: rtrb::Consumer<Box<Swap>>,
    pub garbage_out: rtrb::Producer<Box<Swap>>,
    pub params_in: rtrb::Consumer<ParamChange>,
    pub stats: Arc<EngineStats>,
    pub sample_rate: f64,
}

impl Executor {
    pub(crate) fn new(parts: ExecutorParts) -> Self {
        Executor {
            schedule: parts.schedule,
            processors: parts.processors,
            swaps_in: parts.swaps_in,
            garbage_out: parts.garbage_out,
            pending_garbage: None,
            applied_generation: 0,
            held: None,
            params_in: parts.params_in,
            pending: Vec::with_capacity(PARAM_QUEUE_CAPACITY),
            events: Vec::with_capacity(PARAM_QUEUE_CAPACITY),
            stats: parts.stats,
            sample_rate: parts.sample_rate,
            frame_position: 0,
            declick: Declick::new(parts.sample_rate),
        }
    }

    /// Total external input channels the current schedule reads.
    pub fn input_channels(&self) -> usize {
        self.schedule.input_channels
    }

    /// Total external output channels the current schedule writes.
    pub fn output_channels(&self) -> usize {
        self.schedule.output_channels
    }

    /// Note inputs of the current schedule (the slices
    /// [`Executor::process_with_events`] takes).
    pub fn event_inputs(&self) -> usize {
        self.schedule.report.event_inputs.len()
    }

    /// Latency of the current schedule, frames.
    pub fn latency_frames(&self) -> u32 {
        self.schedule.report.latency_frames
    }

    /// Frames processed since creation or the last [`Executor::reset`].
    pub fn frame_position(&self) -> u64 {
        self.frame_position
    }

    /// Clears every processor's and delay line's state. Audio thread; never
    /// allocates.
    pub fn reset(&mut self) {
        for p in self.processors.iter_mut().flatten() {
            p.reset();
        }
        self.schedule.clear_state();
        self.frame_position = 0;
        self.declick.reset();
    }

    /// Processes `frames` frames. `inputs` and `outputs` hold the graph's
    /// external channels in the order of [`crate::CompileReport`]'s `inputs` and
    /// `outputs`, each at least `frames` long; missing input channels read as
    /// silence. Blocks longer than the prepared maximum are split. Audio thread:
    /// never allocates, locks or panics.
    pub fn process(&mut self, inputs: &[&[f32]], outputs: &mut [&mut [f32]], frames: usize) {
        self.process_with_events(inputs, &[], outputs, frames);
    }

    /// [`Executor::process`] with note events for the graph's note inputs,
    /// one slice per name of [`crate::CompileReport`]'s `event_inputs`, each
    /// sorted by frame (relative to the start of this call; events at or
    /// after `frames` are ignored). Audio thread: never allocates, locks or
    /// panics.
    pub fn process_with_events(
        &mut self,
        inputs: &[&[f32]],
        events: &[&[NoteEvent]],
        outputs: &mut [&mut [f32]],
        frames: usize,
    ) {
        let _ftz = denormals::FlushGuard::new();
        let mut offset = 0;
        while offset < frames {
            self.receive_swap();
            let n = (frames - offset).min(self.schedule.max_block.max(1));
            self.take_params();
            self.run_block(inputs, events, outputs, offset, n);
            self.declick.apply(outputs, offset, n);
            flush_subnormals(outputs, offset, n);
            self.pending.clear();
            self.events.clear();
            self.frame_position += n as u64;
            self.stats.blocks.fetch_add(1, Ordering::Relaxed);
            offset += n;
        }
    }

    fn receive_swap(&mut self) {
        if let Some(garbage) = self.pending_garbage.take()
            && let Err(rtrb::PushError::Full(garbage)) = self.garbage_out.push(garbage)
        {
            // Keep it until the control thread makes room; take no new edit meanwhile.
            self.pending_garbage = Some(garbage);
            return;
        }
        let mut swap = match self.held.take() {
            Some(swap) => swap,
            None => match self.swaps_in.pop() {
                Ok(swap) => swap,
                Err(_) => return,
            },
        };
        let shifts_time =
            swap.schedule.as_ref().is_some_and(|s| s.report.latency_frames != self.schedule.report.latency_frames);
        if shifts_time && !self.declick.ready_for_swap() {
            // Fade the old schedule out first; swap when it is silent.
            self.declick.start_fade_out();
            self.held = Some(swap);
            return;
        }
        if let Some(arena) = swap.arena.as_mut() {
            for (old, new) in self.processors.iter_mut().zip(arena.iter_mut()) {
                *new = old.take();
            }
            std::mem::swap(&mut self.processors, arena);
        }
        for &slot in &swap.remove {
            if let Some(p) = self.processors.get_mut(slot as usize).and_then(Option::take) {
                swap.removed.push(p);
            }
        }
        for (slot, p) in swap.insert.drain(..) {
            match self.processors.get_mut(slot as usize) {
                Some(place) => *place = Some(p),
                // Unreachable when the engine sized the arena; never drop here.
                None => swap.removed.push(p),
            }
        }
        if let Some(mut schedule) = swap.schedule.take() {
            schedule.adopt_state(&self.schedule);
            if shifts_time {
                self.declick.start_fade_in();
            } else if schedule.declick {
                self.declick.arm();
            }
            std::mem::swap(&mut self.schedule, &mut schedule);
            swap.schedule = Some(schedule);
        }
        self.applied_generation = swap.generation;
        self.stats.swaps.fetch_add(1, Ordering::Relaxed);
        if let Err(rtrb::PushError::Full(swap)) = self.garbage_out.push(swap) {
            self.pending_garbage = Some(swap);
        }
    }

    /// Drains parameter changes and groups them by slot, oldest first per slot.
    /// Drains parameter changes meant for the schedule now running (changes sent
    /// after a commit that is not swapped in yet wait in the ring), drops those
    /// whose node is gone, and groups them by slot, oldest first per slot.
    fn take_params(&mut self) {
        while self.pending.len() < self.pending.capacity() {
            match self.params_in.peek() {
                Ok(change) if change.generation <= self.applied_generation => {}
                _ => break,
            }
            let Ok(mut change) = self.params_in.pop() else { break };
            if self.schedule.slot_uids.get(change.slot as usize) != Some(&change.uid) {
                self.stats.stale_params.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            change.seq = self.pending.len() as u32;
            self.pending.push(change);
        }
        self.pending.sort_unstable_by_key(|c| (c.slot, c.seq));
        self.events.extend(self.pending.iter().map(|c| c.event));
    }

    fn run_block(
        &mut self,
        inputs: &[&[f32]],
        external_events: &[&[NoteEvent]],
        outputs: &mut [&mut [f32]],
        offset: usize,
        frames: usize,
    ) {
        let info = ProcInfo { frames, sample_rate: self.sample_rate, frame_position: self.frame_position };
        for i in 0..self.schedule.ops.len() {
            let op = self.schedule.ops[i];
            let s = &mut *self.schedule;
            let stride = s.max_block;
            match op {
                Op::ExternalIn { first, outs } => {
                    for (k, &buf) in list(&s.lists, outs).iter().enumerate() {
                        let dst = &mut s.buffers[buf as usize * stride..][..frames];
                        match inputs.get(first as usize + k).and_then(|c| c.get(offset..offset + frames)) {
                            Some(src) => copy_flushed(src, dst),
                            None => dst.fill(0.0),
                        }
                    }
                }
                Op::ExternalOut { first, ins } => {
                    for (k, &buf) in list(&s.lists, ins).iter().enumerate() {
                        let src = &s.buffers[buf as usize * stride..][..frames];
                        if let Some(dst) =
                            outputs.get_mut(first as usize + k).and_then(|c| c.get_mut(offset..offset + frames))
                        {
                            dst.copy_from_slice(src);
                        }
                    }
                }
                Op::Copy { src, dst } => {
                    let (a, b) = pair(&mut s.buffers, stride, src, dst, frames);
                    b.copy_from_slice(a);
                }
                Op::Add { src, dst } => {
                    let (a, b) = pair(&mut s.buffers, stride, src, dst, frames);
                    for (y, x) in b.iter_mut().zip(a) {
                        *y += x;
                    }
                }
                Op::Delay { line, src, dst, accumulate } => {
                    let (a, b) = pair(&mut s.buffers, stride, src, dst, frames);
                    if let Some(line) = s.delays.get_mut(line as usize) {
                        line.run(a, b, accumulate);
                    }
                }
                Op::FeedbackRead { line, dst } => {
                    if let Some(line) = s.delays.get(line as usize) {
                        line.read(&mut s.buffers[dst as usize * stride..][..frames]);
                    }
                }
                Op::FeedbackWrite { line, src } => {
                    if let Some(line) = s.delays.get_mut(line as usize) {
                        line.write(&s.buffers[src as usize * stride..][..frames]);
                    }
                }
                Op::ExternalEvents { input, dst } => {
                    if let Some(buffer) = s.events.get_mut(dst as usize) {
                        buffer.clear();
                        let end = (offset + frames) as u32;
                        let list = external_events.get(input as usize).copied().unwrap_or(&[]);
                        for e in list.iter().filter(|e| e.frame >= offset as u32 && e.frame < end) {
                            buffer.push(NoteEvent { frame: e.frame - offset as u32, kind: e.kind });
                        }
                    }
                }
                Op::MergeEvents { srcs, dst } => merge_events(&mut s.events, &s.lists, srcs, dst),
                Op::Process { slot, ins, outs, ev_ins, ev_outs } => {
                    let uid = s.slot_uids.get(slot as usize).copied().unwrap_or(0);
                    let params = params_for(&self.pending, &self.events, slot, uid);
                    let Some(Some(processor)) = self.processors.get_mut(slot as usize) else { continue };
                    let ranges = [ins, outs, ev_ins];
                    run_processor(s, processor.as_mut(), &info, params, ranges, ev_outs, &self.stats);
                }
            }
        }
    }
}

/// Zeroes subnormal output samples. Arithmetic runs with flush-to-zero,
/// but a path that only copies (an input wired to an output, a delay line)
/// would pass a subnormal input through, and hosts reject those.
fn flush_subnormals(outputs: &mut [&mut [f32]], offset: usize, frames: usize) {
    for output in outputs.iter_mut() {
        for y in output.get_mut(offset..offset + frames).into_iter().flatten() {
            *y = zero_subnormal(*y);
        }
    }
}

/// The changes for `slot` among `pending` (sorted by slot), if they were sent to
/// the node that owns the slot now.
fn params_for<'a>(pending: &[ParamChange], events: &'a [ParamEvent], slot: u32, uid: u64) -> ParamEvents<'a> {
    let start = pending.partition_point(|c| c.slot < slot);
    let end = pending.partition_point(|c| c.slot <= slot);
    match (events.get(start..end), pending.get(start)) {
        // Every pending change was checked live when taken; the uid check guards
        // against a slot that a swap in this same call handed to another node.
        (Some(events), Some(first)) if first.uid == uid => ParamEvents::new(events),
        _ => ParamEvents::empty(),
    }
}

/// Copies with subnormals replaced by zero. Applied where audio enters and
/// leaves the graph: hosts and plugin validators feed subnormals (which slow
/// recursive filters down) and reject plugins that emit them.
#[inline]
fn copy_flushed(src: &[f32], dst: &mut [f32]) {
    for (y, x) in dst.iter_mut().zip(src) {
        *y = zero_subnormal(*x);
    }
}

/// `x`, or a zero of its sign when `x` is subnormal. Written on the bits
/// (a zero exponent field keeps only the sign), so loops over it vectorise;
/// `f32::is_subnormal` compiles to a classification per sample.
#[inline(always)]
pub(crate) fn zero_subnormal(x: f32) -> f32 {
    let bits = x.to_bits();
    f32::from_bits(if bits & 0x7f80_0000 == 0 { bits & 0x8000_0000 } else { bits })
}

fn list(lists: &[u32], range: ListRange) -> &[u32] {
    lists.get(range.start as usize..(range.start + range.len) as usize).unwrap_or(&[])
}

/// Disjoint source and destination buffers (the compiler never makes them equal).
fn pair(buffers: &mut [f32], stride: usize, src: u32, dst: u32, frames: usize) -> (&[f32], &mut [f32]) {
    debug_assert_ne!(src, dst);
    let (src, dst) = (src as usize * stride, dst as usize * stride);
    if src < dst {
        let (a, b) = buffers.split_at_mut(dst);
        (&a[src..src + frames], &mut b[..frames])
    } else {
        let (a, b) = buffers.split_at_mut(src);
        (&b[..frames], &mut a[dst..dst + frames])
    }
}

fn merge_events(events: &mut [EventBuffer], lists: &[u32], srcs: ListRange, dst: u32) {
    let dst = dst as usize;
    if dst >= events.len() {
        return;
    }
    let (before, rest) = events.split_at_mut(dst);
    let Some((target, after)) = rest.split_first_mut() else { return };
    target.clear();
    for &src in list(lists, srcs) {
        let src = src as usize;
        let source = if src < dst { before.get(src) } else { after.get(src.wrapping_sub(dst + 1)) };
        for event in source.map(EventBuffer::as_slice).unwrap_or(&[]) {
            target.push(*event);
        }
    }
    target.sort_by_frame();
}

fn run_processor(
    s: &mut Schedule,
    processor: &mut dyn Processor,
    info: &ProcInfo,
    params: ParamEvents<'_>,
    [ins, outs, ev_ins]: [ListRange; 3],
    ev_outs: crate::schedule::EventRange,
    stats: &EngineStats,
) {
    let frames = info.frames;
    let stride = s.max_block;
    let base = s.buffers.as_mut_ptr();
    let limit = s.buffers.len() / stride.max(1);
    let (in_ids, out_ids) = (list(&s.lists, ins), list(&s.lists, outs));
    // Channel tables on the stack, filled only as far as used: initialising all
    // MAX_NODE_CHANNELS entries per call showed up as measurable graph overhead.
    let mut in_table: [MaybeUninit<&[f32]>; MAX_NODE_CHANNELS] = [const { MaybeUninit::uninit() }; MAX_NODE_CHANNELS];
    let mut out_table: [MaybeUninit<&mut [f32]>; MAX_NODE_CHANNELS] =
        [const { MaybeUninit::uninit() }; MAX_NODE_CHANNELS];
    let mut n_in = 0;
    for &id in in_ids.iter().take(MAX_NODE_CHANNELS) {
        let id = if (id as usize) < limit { id as usize } else { 0 };
        // SAFETY: `id < limit` keeps the slice inside the arena; input buffers are
        // only read during this call, and the compiler never gives a node an
        // output buffer that is also one of its inputs.
        in_table[n_in].write(unsafe { std::slice::from_raw_parts(base.add(id * stride), frames) });
        n_in += 1;
    }
    let mut n_out = 0;
    for &id in out_ids.iter().take(MAX_NODE_CHANNELS) {
        if (id as usize) >= limit || id == 0 {
            continue;
        }
        // SAFETY: in the arena (checked above) and never the shared silent buffer 0;
        // output buffers of one node are distinct from each other and from its
        // inputs (compiler invariant), so this is the only live reference to them.
        out_table[n_out].write(unsafe { std::slice::from_raw_parts_mut(base.add(id as usize * stride), frames) });
        n_out += 1;
    }
    // SAFETY: the first `n_in` / `n_out` entries were written above.
    let in_refs: &[&[f32]] = unsafe { std::slice::from_raw_parts(in_table.as_ptr().cast(), n_in) };
    // SAFETY: as above; the table outlives the slice and nothing else aliases it.
    let out_refs: &mut [&mut [f32]] = unsafe { std::slice::from_raw_parts_mut(out_table.as_mut_ptr().cast(), n_out) };

    let ev_base = s.events.as_mut_ptr();
    let ev_limit = s.events.len();
    let mut ev_in_refs: [&[NoteEvent]; MAX_NODE_EVENT_PORTS] = [&[]; MAX_NODE_EVENT_PORTS];
    let ev_in_ids = list(&s.lists, ev_ins);
    for (slot, &id) in ev_in_refs.iter_mut().zip(ev_in_ids).filter(|(_, id)| (**id as usize) < ev_limit) {
        // SAFETY: in bounds (checked); event inputs are other nodes' outputs,
        // never this node's own output range.
        *slot = unsafe { (*ev_base.add(id as usize)).as_slice() };
    }
    let ev_out_ok = (ev_outs.first + ev_outs.len) as usize <= ev_limit;
    let ev_out_refs: &mut [EventBuffer] = if ev_out_ok && ev_outs.len > 0 {
        // SAFETY: in bounds (checked); the range is this node's own event outputs,
        // disjoint from its inputs.
        unsafe { std::slice::from_raw_parts_mut(ev_base.add(ev_outs.first as usize), ev_outs.len as usize) }
    } else {
        &mut []
    };
    for buffer in ev_out_refs.iter_mut() {
        buffer.clear();
    }
    let n_ev_in = ev_in_ids.len().min(MAX_NODE_EVENT_PORTS);
    let io = ProcBuffers {
        inputs: in_refs,
        outputs: &mut *out_refs,
        events_in: &ev_in_refs[..n_ev_in],
        events_out: ev_out_refs,
    };
    match processor.process(info, io, params) {
        ProcessStatus::Modified | ProcessStatus::Tail(_) => {}
        ProcessStatus::ClearOutputs => out_refs.iter_mut().for_each(|o| o.fill(0.0)),
        ProcessStatus::Bypass => {
            for (k, out) in out_refs.iter_mut().enumerate() {
                match in_refs.get(k) {
                    Some(input) => out.copy_from_slice(input),
                    None => out.fill(0.0),
                }
            }
        }
        ProcessStatus::Error(_) => {
            stats.node_errors.fetch_add(1, Ordering::Relaxed);
            out_refs.iter_mut().for_each(|o| o.fill(0.0));
        }
    }
}

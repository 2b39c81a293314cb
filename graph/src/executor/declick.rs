//! Keeps graph edits free of clicks at the output.
//!
//! Nodes that persist across an edit keep their state. Two things can still
//! make a step in the output:
//!
//! - A node that is new on a path starts from silence. On the first block
//!   after such a swap we predict the next sample by linear extrapolation of
//!   the last two, and add the difference to the new output, fading it out over
//!   5 ms with a raised cosine ("offset declick"). A continuous signal has a
//!   near-zero prediction error, so parameter-only swaps pass untouched.
//! - An edit that changes the graph's latency shifts the output in time, which
//!   no offset can hide. Then the old schedule is faded out over 5 ms, the new
//!   one swapped in and faded in over 5 ms: a short dip instead of a click.

use crate::compile::MAX_NODE_CHANNELS;

const FADE_SECONDS: f64 = 0.005;

/// Where a latency-changing swap is in its fade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fade {
    /// No fade in progress.
    Idle,
    /// Fading the old schedule out; frames done.
    Out(usize),
    /// Old schedule silent: swap in now.
    Ready,
    /// Fading the new schedule in; frames done.
    In(usize),
}

pub(super) struct Declick {
    /// Last two output samples per external channel, oldest first.
    history: [[f32; 2]; MAX_NODE_CHANNELS],
    offset: [f32; MAX_NODE_CHANNELS],
    armed: bool,
    position: usize,
    length: usize,
    fade: Fade,
}

fn raised_cosine(position: usize, length: usize) -> f32 {
    0.5 * (1.0 + (std::f32::consts::PI * position as f32 / length as f32).cos())
}

impl Declick {
    pub fn new(sample_rate: f64) -> Self {
        let length = ((sample_rate * FADE_SECONDS) as usize).max(1);
        Declick {
            history: [[0.0; 2]; MAX_NODE_CHANNELS],
            offset: [0.0; MAX_NODE_CHANNELS],
            armed: false,
            position: length,
            length,
            fade: Fade::Idle,
        }
    }

    /// The next block comes from a freshly swapped-in schedule.
    pub fn arm(&mut self) {
        self.armed = true;
    }

    /// Starts fading out ahead of a latency-changing swap.
    pub fn start_fade_out(&mut self) {
        if self.fade == Fade::Idle || matches!(self.fade, Fade::In(_)) {
            self.fade = Fade::Out(0);
        }
    }

    /// Whether a held swap may be applied now.
    pub fn ready_for_swap(&self) -> bool {
        self.fade == Fade::Ready
    }

    /// The held swap was applied: fade the new schedule in.
    pub fn start_fade_in(&mut self) {
        self.fade = Fade::In(0);
        self.armed = false;
    }

    pub fn reset(&mut self) {
        self.history = [[0.0; 2]; MAX_NODE_CHANNELS];
        self.armed = false;
        self.position = self.length;
        // A held swap may go in at once; a fade-in in progress simply ends.
        self.fade = if matches!(self.fade, Fade::Out(_) | Fade::Ready) { Fade::Ready } else { Fade::Idle };
    }

    pub fn apply(&mut self, outputs: &mut [&mut [f32]], offset: usize, frames: usize) {
        let channels = outputs.len().min(MAX_NODE_CHANNELS);
        if self.armed {
            self.armed = false;
            self.position = 0;
            for ((output, [a, b]), step) in outputs.iter().zip(self.history).zip(self.offset.iter_mut()) {
                let first = output.get(offset).copied().unwrap_or(0.0);
                let predicted = 2.0 * b - a;
                *step = if (predicted - first).is_finite() { predicted - first } else { 0.0 };
            }
        }
        let fade = self.fade;
        let idle = fade == Fade::Idle && self.position >= self.length;
        for (ch, output) in outputs.iter_mut().enumerate().take(channels) {
            let Some(block) = output.get_mut(offset..offset + frames) else { continue };
            for (i, y) in block.iter_mut().enumerate().take(if idle { 0 } else { frames }) {
                let position = self.position + i;
                if position < self.length {
                    *y += self.offset[ch] * raised_cosine(position, self.length);
                }
                *y *= match fade {
                    Fade::Idle => 1.0,
                    Fade::Ready => 0.0,
                    Fade::Out(done) if done + i < self.length => raised_cosine(done + i, self.length),
                    Fade::Out(_) => 0.0,
                    Fade::In(done) if done + i < self.length => 1.0 - raised_cosine(done + i, self.length),
                    Fade::In(_) => 1.0,
                };
            }
            let h = &mut self.history[ch];
            match *block {
                [.., a, b] => *h = [a, b],
                [b] => *h = [h[1], b],
                [] => {}
            }
        }
        self.position = (self.position + frames).min(self.length);
        self.fade = match fade {
            Fade::Out(done) if done + frames >= self.length => Fade::Ready,
            Fade::Out(done) => Fade::Out(done + frames),
            Fade::In(done) if done + frames >= self.length => Fade::Idle,
            Fade::In(done) => Fade::In(done + frames),
            other => other,
        };
    }
}

//! One synthesizer voice: a band-limited oscillator pair, an ADSR envelope
//! driving amplitude and filter, and a resonant low-pass.
//!
//! * Oscillators: saw and square with PolyBLEP corrections at each
//!   discontinuity (V. Välimäki and A. Huovilainen, "Antialiasing
//!   oscillators in subtractive synthesis", IEEE Signal Processing Magazine
//!   24(2), 2007), a naive triangle (its slope break aliases ~12 dB/oct less
//!   than a step) and a sine. Two oscillators detuned ±`detune` cents.
//! * Envelope: linear attack over `attack` seconds; decay and release are
//!   one-pole exponentials whose time is the time to fall by 60 dB
//!   (time constant `t / ln(1000)`); the voice stops once its release is
//!   60 dB down.
//! * Filter: the topology-preserving state-variable low-pass (V. Zavalishin,
//!   "The Art of VA Filter Design", 2018, §4.4), cutoff moved by the envelope
//!   in octaves, resonance as Q from 0.5 to 20.

use std::f32::consts::PI;

/// Waveforms of the oscillators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waveform {
    /// Band-limited sawtooth.
    Saw,
    /// Band-limited square.
    Square,
    /// Triangle.
    Triangle,
    /// Sine.
    Sine,
}

impl Waveform {
    /// From a parameter's variant index.
    pub fn from_index(v: f32) -> Self {
        match v.round() as i32 {
            0 => Waveform::Saw,
            1 => Waveform::Square,
            2 => Waveform::Triangle,
            _ => Waveform::Sine,
        }
    }
}

/// The sound's settings, shared by all voices (per-sample values are
/// derived once per block).
#[derive(Clone, Copy, Debug)]
pub struct Patch {
    /// Oscillator waveform.
    pub waveform: Waveform,
    /// Detune of the two oscillators, ± cents.
    pub detune_cents: f32,
    /// Attack time, seconds.
    pub attack_s: f32,
    /// Decay time to sustain (60 dB of the way), seconds.
    pub decay_s: f32,
    /// Sustain level, 0 … 1.
    pub sustain: f32,
    /// Release time (60 dB), seconds.
    pub release_s: f32,
    /// Filter cutoff at envelope 0, Hz.
    pub cutoff_hz: f32,
    /// Filter Q, 0.5 … 20.
    pub q: f32,
    /// Cutoff moved by the envelope at full level, octaves.
    pub env_octaves: f32,
}

/// −60 dB: the level at which decay and release count as finished.
const SIXTY_DB: f32 = 6.907_755; // ln(1000)
/// A released voice stops below this envelope level.
const OFF_LEVEL: f32 = 1e-3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Idle,
    Attack,
    Decay,
    Release,
}

/// One voice's state.
#[derive(Clone, Copy, Debug)]
pub struct Voice {
    /// MIDI channel and note it plays.
    pub channel: u8,
    /// The note.
    pub note: u8,
    /// Key is up but the sustain pedal holds it.
    pub held: bool,
    /// Start order, for stealing the oldest.
    pub age: u64,
    stage: Stage,
    level: f32,
    velocity: f32,
    phases: [f32; 2],
    increments: [f32; 2],
    ic1: f32,
    ic2: f32,
}

impl Default for Voice {
    fn default() -> Self {
        Voice {
            channel: 0,
            note: 0,
            held: false,
            age: 0,
            stage: Stage::Idle,
            level: 0.0,
            velocity: 0.0,
            phases: [0.0, 0.0],
            increments: [0.0; 2],
            ic1: 0.0,
            ic2: 0.0,
        }
    }
}

/// PolyBLEP residual at phase `t` for a step per `dt` of phase.
fn blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        2.0 * x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + 2.0 * x + 1.0
    } else {
        0.0
    }
}

fn oscillator(waveform: Waveform, t: f32, dt: f32) -> f32 {
    match waveform {
        Waveform::Saw => 2.0 * t - 1.0 - blep(t, dt),
        Waveform::Square => {
            let naive = if t < 0.5 { 1.0 } else { -1.0 };
            naive + blep(t, dt) - blep((t + 0.5).fract(), dt)
        }
        Waveform::Triangle => 1.0 - 4.0 * (t - 0.5).abs(),
        Waveform::Sine => (2.0 * PI * t).sin(),
    }
}

impl Voice {
    /// True while the voice makes sound.
    pub fn is_active(&self) -> bool {
        self.stage != Stage::Idle
    }

    /// True once the key is up (released or held by the pedal).
    pub fn is_releasing(&self) -> bool {
        self.stage == Stage::Release
    }

    /// Starts `note` at `velocity` (0 … 1); a stolen voice restarts its
    /// attack from its current level, so nothing clicks.
    pub fn start(&mut self, channel: u8, note: u8, velocity: f32, age: u64, patch: &Patch, sample_rate: f32) {
        let hz = 440.0 * 2f32.powf((f32::from(note) - 69.0) / 12.0);
        let spread = 2f32.powf(patch.detune_cents / 1200.0);
        self.increments = [hz / spread / sample_rate, hz * spread / sample_rate];
        if self.stage == Stage::Idle {
            self.phases = [0.0, 0.0];
            self.ic1 = 0.0;
            self.ic2 = 0.0;
        }
        self.channel = channel;
        self.note = note;
        self.velocity = velocity;
        self.age = age;
        self.held = false;
        self.stage = Stage::Attack;
    }

    /// The key goes up: release.
    pub fn release(&mut self) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
        }
        self.held = false;
    }

    /// Silences at once (reset, all-sound-off).
    pub fn kill(&mut self) {
        *self = Voice::default();
    }

    /// Adds `frames` of this voice into `left` and `right`, scaled by `gain`
    /// and placed at `pan` (−1 left … +1 right; 0 is full level on both).
    pub fn render(
        &mut self,
        patch: &Patch,
        sample_rate: f32,
        gain: f32,
        pan: f32,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        if self.stage == Stage::Idle {
            return;
        }
        let attack_step = 1.0 / (patch.attack_s * sample_rate).max(1.0);
        let decay_coef = (-SIXTY_DB / (patch.decay_s * sample_rate).max(1.0)).exp();
        let release_coef = (-SIXTY_DB / (patch.release_s * sample_rate).max(1.0)).exp();
        let nyquist_guard = 0.45 * sample_rate;
        let k = 1.0 / patch.q.max(0.5);
        let (pan_l, pan_r) = (1.0 - pan.max(0.0), 1.0 + pan.min(0.0));
        let amp = gain * self.velocity * 0.5;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            match self.stage {
                Stage::Attack => {
                    self.level += attack_step;
                    if self.level >= 1.0 {
                        self.level = 1.0;
                        self.stage = Stage::Decay;
                    }
                }
                Stage::Decay => self.level = patch.sustain + (self.level - patch.sustain) * decay_coef,
                Stage::Release => {
                    self.level *= release_coef;
                    if self.level < OFF_LEVEL {
                        self.kill();
                        return;
                    }
                }
                Stage::Idle => return,
            }
            let mut x = 0.0;
            for (phase, inc) in self.phases.iter_mut().zip(self.increments) {
                x += oscillator(patch.waveform, *phase, inc);
                *phase += inc;
                if *phase >= 1.0 {
                    *phase -= 1.0;
                }
            }
            // State-variable low-pass, cutoff following the envelope.
            let fc = (patch.cutoff_hz * 2f32.powf(patch.env_octaves * self.level)).clamp(10.0, nyquist_guard);
            let g = (PI * fc / sample_rate).tan();
            let a1 = 1.0 / (1.0 + g * (g + k));
            let v3 = x - self.ic2;
            let v1 = a1 * self.ic1 + g * a1 * v3;
            let v2 = self.ic2 + g * v1;
            self.ic1 = crate::common::flush(2.0 * v1 - self.ic1);
            self.ic2 = crate::common::flush(2.0 * v2 - self.ic2);
            let y = v2 * self.level * amp;
            *l += y * pan_l;
            *r += y * pan_r;
        }
    }
}

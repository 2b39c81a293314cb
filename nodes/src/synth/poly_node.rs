//! `synth.poly`: a polyphonic subtractive synthesizer played by note events.
//!
//! * Ports: `notes` (events) in, `out` (stereo) out. Config `voices`
//!   (1 … 32, default 8).
//! * Note on starts a free voice, else steals the oldest (its envelope
//!   restarts from its current level: no click). Note off releases the
//!   voices of that channel and note; the sustain pedal (CC 64 ≥ 0.5) holds
//!   them until it lifts; CC 120 (all sound off) silences, CC 123 (all
//!   notes off) releases. Events apply at their frame.
//! * A voice is two oscillators (±`detune_cents`), an ADSR (linear attack,
//!   60 dB decay and release times), a state-variable low-pass whose cutoff
//!   the envelope moves by `env_octaves`, and a level of
//!   `gain_db + 20·log10(velocity^velocity_amount)`. Voices alternate left and right by
//!   `spread`. See [`super::voice`].
//! * No latency; the tail is the release time.

use super::voice::{Patch, Voice, Waveform};
use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, NoteEventKind, ParamDesc, ParamEvents, ParamUnit,
    PortDesc, PrepareContext, Prepared, ProcBuffers, ProcInfo, ProcessStatus, Processor, Smoothing,
};

/// Most voices a node may have.
pub const MAX_VOICES: usize = 32;

const WAVEFORM: usize = 0;
const DETUNE: usize = 1;
const ATTACK: usize = 2;
const DECAY: usize = 3;
const SUSTAIN: usize = 4;
const RELEASE: usize = 5;
const CUTOFF: usize = 6;
const RESONANCE: usize = 7;
const ENV_OCTAVES: usize = 8;
const VELOCITY: usize = 9;
const GAIN: usize = 10;
const SPREAD: usize = 11;

/// The synthesizer node.
pub struct PolySynthNode {
    voices: usize,
}

struct PolySynthProcessor {
    voices: Vec<Voice>,
    params: Vec<f32>,
    patch: Patch,
    sample_rate: f32,
    sustain_pedal: bool,
    next_age: u64,
}

fn patch_of(p: &[f32]) -> Patch {
    let at = |i: usize| p.get(i).copied().unwrap_or(0.0);
    Patch {
        waveform: Waveform::from_index(at(WAVEFORM)),
        detune_cents: at(DETUNE),
        attack_s: at(ATTACK) * 1e-3,
        decay_s: at(DECAY) * 1e-3,
        sustain: at(SUSTAIN).clamp(0.0, 1.0),
        release_s: at(RELEASE) * 1e-3,
        cutoff_hz: at(CUTOFF),
        q: 0.5 + 19.5 * at(RESONANCE).clamp(0.0, 1.0).powi(2),
        env_octaves: at(ENV_OCTAVES),
    }
}

impl Node for PolySynthNode {
    fn info(&self) -> NodeInfo {
        let none = Smoothing::None;
        let float = ParamDesc::float;
        NodeInfo::new("synth.poly")
            .input(PortDesc::events("notes"))
            .output(PortDesc::audio("out", 2))
            .param(ParamDesc::choice("waveform", "Waveform", &["saw", "square", "triangle", "sine"], 0))
            .param(float("detune_cents", "Detune", 0.0, 50.0, 7.0, ParamUnit::None).smoothing(none))
            .param(float("attack_ms", "Attack", 0.5, 5000.0, 5.0, ParamUnit::Ms).log_taper().smoothing(none))
            .param(float("decay_ms", "Decay", 1.0, 10_000.0, 400.0, ParamUnit::Ms).log_taper().smoothing(none))
            .param(float("sustain", "Sustain", 0.0, 1.0, 0.6, ParamUnit::Fraction).smoothing(none))
            .param(float("release_ms", "Release", 1.0, 10_000.0, 300.0, ParamUnit::Ms).log_taper().smoothing(none))
            .param(float("cutoff_hz", "Cutoff", 20.0, 20_000.0, 2000.0, ParamUnit::Hz).log_taper().smoothing(none))
            .param(float("resonance", "Resonance", 0.0, 1.0, 0.2, ParamUnit::Fraction).smoothing(none))
            .param(float("env_octaves", "Filter envelope", -4.0, 8.0, 2.0, ParamUnit::None).smoothing(none))
            .param(float("velocity", "Velocity", 0.0, 1.0, 0.7, ParamUnit::Fraction).smoothing(none))
            .param(float("gain_db", "Gain", -48.0, 12.0, -12.0, ParamUnit::Db).smoothing(none))
            .param(float("spread", "Stereo spread", 0.0, 1.0, 0.3, ParamUnit::Fraction).smoothing(none))
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        let voices = vec![Voice::default(); self.voices];
        let processor = PolySynthProcessor {
            voices,
            params: ctx.params.to_vec(),
            patch: patch_of(ctx.params),
            sample_rate: ctx.stream.sample_rate as f32,
            sustain_pedal: false,
            next_age: 0,
        };
        let release_ms = ctx.params.get(RELEASE).copied().unwrap_or(300.0);
        let tail = (f64::from(release_ms) * 1e-3 * ctx.stream.sample_rate).ceil() as u32;
        Ok(Prepared::new(processor).tail(tail))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "voices": self.voices })
    }
}

impl PolySynthProcessor {
    fn handle(&mut self, kind: NoteEventKind) {
        match kind {
            NoteEventKind::NoteOn { velocity: v, .. } if v <= 0.0 => {}
            NoteEventKind::NoteOn { channel, note, velocity } => {
                let amount = self.params.get(VELOCITY).copied().unwrap_or(0.7);
                let level = velocity.clamp(0.0, 1.0).powf(amount);
                let voice = match self.voices.iter().position(|v| !v.is_active()) {
                    Some(free) => free,
                    None => {
                        // Steal the oldest released voice, else the oldest.
                        let oldest = |released: bool| {
                            self.voices
                                .iter()
                                .enumerate()
                                .filter(|(_, v)| !released || v.is_releasing())
                                .min_by_key(|(_, v)| v.age)
                                .map(|(i, _)| i)
                        };
                        oldest(true).or(oldest(false)).unwrap_or(0)
                    }
                };
                let age = self.next_age;
                self.next_age += 1;
                if let Some(v) = self.voices.get_mut(voice) {
                    v.start(channel, note, level, age, &self.patch, self.sample_rate);
                }
            }
            NoteEventKind::NoteOff { channel, note } => {
                for v in self.voices.iter_mut().filter(|v| v.is_active() && v.channel == channel && v.note == note) {
                    if self.sustain_pedal {
                        v.held = true;
                    } else {
                        v.release();
                    }
                }
            }
            NoteEventKind::Controller { cc: 64, value, .. } => {
                self.sustain_pedal = value >= 0.5;
                if !self.sustain_pedal {
                    for v in self.voices.iter_mut().filter(|v| v.held) {
                        v.release();
                    }
                }
            }
            NoteEventKind::Controller { cc: 120, .. } => self.voices.iter_mut().for_each(Voice::kill),
            NoteEventKind::Controller { cc: 123, .. } => self.voices.iter_mut().for_each(Voice::release),
            NoteEventKind::Controller { .. } => {}
        }
    }

    fn render(&mut self, out: &mut ProcBuffers<'_, '_>, from: usize, to: usize) {
        if to <= from {
            return;
        }
        let gain = 10f32.powf(self.params.get(GAIN).copied().unwrap_or(-12.0) / 20.0);
        let spread = self.params.get(SPREAD).copied().unwrap_or(0.0).clamp(0.0, 1.0);
        let (left, rest) = out.outputs.split_at_mut(1.min(out.outputs.len()));
        let (Some(left), Some(right)) = (left.first_mut(), rest.first_mut()) else { return };
        let (Some(l), Some(r)) = (left.get_mut(from..to), right.get_mut(from..to)) else { return };
        // Voices alternate left and right by half the spread.
        for (i, v) in self.voices.iter_mut().enumerate() {
            let pan = if i % 2 == 0 { -0.5 } else { 0.5 } * spread;
            v.render(&self.patch, self.sample_rate, gain, pan, l, r);
        }
    }
}

impl Processor for PolySynthProcessor {
    fn process(&mut self, info: &ProcInfo, mut io: ProcBuffers<'_, '_>, params: ParamEvents<'_>) -> ProcessStatus {
        let mut changed = false;
        for e in params.iter() {
            if let Some(p) = self.params.get_mut(e.index.0 as usize) {
                *p = e.value;
                changed = true;
            }
        }
        if changed {
            self.patch = patch_of(&self.params);
        }
        for out in io.outputs.iter_mut() {
            out.fill(0.0);
        }
        let events = io.events_in.first().copied().unwrap_or(&[]);
        let mut pos = 0;
        for e in events {
            let at = (e.frame as usize).min(info.frames);
            self.render(&mut io, pos, at);
            pos = at;
            self.handle(e.kind);
        }
        self.render(&mut io, pos, info.frames);
        ProcessStatus::Modified
    }

    fn reset(&mut self) {
        self.voices.iter_mut().for_each(Voice::kill);
        self.sustain_pedal = false;
    }
}

const CONFIG: &[ConfigField] = &[ConfigField { name: "voices", description: "polyphony, 1 to 32", default: "8" }];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "synth.poly",
        family: "synth",
        description: "Polyphonic subtractive synth on note events: 2 detuned oscillators, ADSR, resonant low-pass",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let voices = r.usize("voices", 8, 1, MAX_VOICES)?;
            r.finish()?;
            Ok(Box::new(PolySynthNode { voices }))
        },
    }
}

#[cfg(test)]
mod tests;

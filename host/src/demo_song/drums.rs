//! The drum kit and its pattern: kick, snare, closed and open hi-hats on a
//! 16th-note grid, with a fill leading out of the last bar.

use super::{BARS, Clock, Stereo, mix_into, render_voice, silence};
use fundsp::math::{exp, tanh};
use fundsp::prelude32::{Frame, bandpass_hz, highpass_hz, noise, sine};

/// Sixteenth notes in a bar.
const STEPS: usize = 16;
/// Kick and snare sit in the middle.
const CENTER: [f32; 2] = [1.0, 1.0];
/// Hats sit a little right of centre, as seen from a drummer's audience.
const HATS: [f32; 2] = [0.75, 1.0];

/// Tiny xorshift64 generator for velocity humanization and noise seeds. A
/// fixed seed keeps the "random" variation identical on every run.
struct XorShift(u64);

impl XorShift {
    /// The next raw 64-bit value.
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in -1..1.
    fn next_bipolar(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// One monophonic drum voice: a new hit chokes whatever the last hit still
/// rings, as on a drum machine (and a real hi-hat, whose closing cuts the
/// open sound). Without the choke, a pickup kick's boom would smear the next
/// downbeat.
struct Lane {
    /// The lane's mono audio, as long as the song.
    audio: Vec<f32>,
    /// Where the last hit ends; nothing rings past it.
    ringing_until: usize,
    /// Frames over which a choked hit fades, so the cut doesn't click.
    choke: usize,
}

impl Lane {
    /// An empty lane for the whole song.
    fn new(clock: Clock) -> Self {
        Lane { audio: vec![0.0; clock.song_frames()], ringing_until: 0, choke: clock.frames(0.004).max(1) }
    }

    /// Plays `voice` from frame `start`, choking the previous hit.
    fn play(&mut self, start: usize, voice: &[f32]) {
        let end = self.ringing_until.min(self.audio.len());
        for (i, x) in self.audio.iter_mut().enumerate().take(end).skip(start) {
            *x *= 1.0 - ((i - start) as f32 / self.choke as f32).min(1.0);
        }
        mix_into(&mut self.audio, start, voice, 1.0);
        self.ringing_until = start + voice.len();
    }

    /// Adds the lane into `out`, with per-side `gains` for its place in the
    /// stereo picture.
    fn mix(&self, out: &mut Stereo, gains: [f32; 2]) {
        for (channel, gain) in out.iter_mut().zip(gains) {
            mix_into(channel, 0, &self.audio, gain);
        }
    }
}

/// Renders the drum stem.
pub(super) fn render(clock: Clock) -> Stereo {
    let (mut kicks, mut snares, mut hats) = (Lane::new(clock), Lane::new(clock), Lane::new(clock));
    let mut humanize = XorShift(0x9E37_79B9_7F4A_7C15);
    // Every hit gets its own, well-scattered noise seed, so no two snares or
    // hats are identical (fundsp's noise starts its counter at the seed, so
    // neighbouring seeds would give the same noise one sample apart).
    let mut seeds = XorShift(0x2545_F491_4F6C_DD1D);
    for bar in 0..BARS {
        let last_bar = bar == BARS - 1;
        for step in 0..STEPS {
            let start = clock.beat_frame((bar * STEPS + step) as f64 * 0.25);
            // Kick on 1 and 3; every other bar a 16th pickup pushes into the
            // next downbeat (not in the last bar, where the snare fill goes).
            let pickup = step == STEPS - 1 && bar % 2 == 1 && !last_bar;
            if step == 0 || step == 8 || pickup {
                let velocity = if pickup { 0.7 } else { 1.0 };
                kicks.play(start, &kick(clock, velocity, seeds.next_u64()));
            }
            // Backbeat on 2 and 4, and a rising 16th fill on the last beat.
            if step == 4 || step == 12 {
                snares.play(start, &snare(clock, 1.0, seeds.next_u64()));
            } else if last_bar && step > 12 {
                let velocity = 0.3 + 0.15 * (step - 12) as f32;
                snares.play(start, &snare(clock, velocity, seeds.next_u64()));
            }
            // Hats on 8ths: downbeats accented, off-beats lighter, and an open
            // hat on the last 8th of the bar to breathe into the next one.
            if step % 2 == 0 {
                let accent = if step % 4 == 0 { 0.9 } else { 0.55 };
                let velocity = accent + 0.08 * humanize.next_bipolar();
                let decay = if step == STEPS - 2 { 0.22 } else { 0.035 };
                hats.play(start, &hat(clock, velocity, decay, seeds.next_u64()));
            }
        }
    }
    let mut out = silence(clock);
    kicks.mix(&mut out, CENTER);
    snares.mix(&mut out, CENTER);
    hats.mix(&mut out, HATS);
    out
}

/// Kick: a sine whose pitch drops fast from 145 Hz to 55 Hz (the "thump"),
/// plus a 2 ms noise click for the beater attack.
fn kick(clock: Clock, velocity: f32, seed: u64) -> Vec<f32> {
    let mut body = clock.node(sine().phase(0.0));
    let mut click = noise().seed(seed);
    render_voice(clock, 0.45, |t| {
        let pitch = 55.0 + 90.0 * exp(-t / 0.006);
        // A fast decay on top of the slow one front-loads the low end into
        // the first cycle (the punch lands on the beat); the slow part is
        // the boom.
        let level = 0.45 * exp(-t / 0.2) + 0.55 * exp(-t / 0.011);
        let thump = body.tick(&Frame::from([pitch]))[0] * level;
        let snap = click.get_mono() * exp(-t / 0.002) * 0.3;
        // Gentle saturation adds harmonics, so the kick reads on small speakers.
        velocity * tanh(thump + snap)
    })
}

/// Snare: band-passed noise for the wires plus a short, slightly falling
/// two-tone body for the shell.
fn snare(clock: Clock, velocity: f32, seed: u64) -> Vec<f32> {
    let mut wires = noise().seed(seed);
    let mut band = clock.node(bandpass_hz(clock.hz(3000.0), 0.7));
    let mut shell = clock.node(sine().phase(0.0));
    let mut overtone = clock.node(sine().phase(0.0));
    render_voice(clock, 0.3, |t| {
        let hiss = band.filter_mono(wires.get_mono()) * exp(-t / 0.07);
        let bend = 1.0 + 0.25 * exp(-t / 0.01);
        let tone = shell.tick(&Frame::from([185.0 * bend]))[0] + 0.5 * overtone.tick(&Frame::from([330.0 * bend]))[0];
        velocity * (1.6 * hiss + 0.5 * tone * exp(-t / 0.05))
    })
}

/// Hi-hat: high-passed noise; `decay` (seconds) tells closed from open.
fn hat(clock: Clock, velocity: f32, decay: f32, seed: u64) -> Vec<f32> {
    let mut metal = noise().seed(seed);
    let mut high = clock.node(highpass_hz(clock.hz(7500.0), 0.8));
    render_voice(clock, decay * 6.0, |t| velocity * 0.5 * high.filter_mono(metal.get_mono()) * exp(-t / decay))
}

//! MIDI input for live play (midir; ALSA sequencer on Linux): every MIDI
//! input port is opened, and each message that means something to a graph
//! (note on, note off, controller) goes through a wait-free queue per port to
//! the audio callback, which hands it to every note input of the graph at
//! the start of its next period (so timing is exact to one period).

use mixgraph_graph::NoteEventKind;

/// Messages a port may have waiting for the audio thread.
pub const QUEUE: usize = 1024;

/// The graph's form of one MIDI message, if it has one.
pub fn parse(bytes: &[u8]) -> Option<NoteEventKind> {
    let (&status, data) = bytes.split_first()?;
    let channel = status & 0x0f;
    let byte = |i: usize| data.get(i).copied().filter(|b| *b < 0x80);
    match status & 0xf0 {
        0x90 if byte(1)? > 0 => {
            Some(NoteEventKind::NoteOn { channel, note: byte(0)?, velocity: f32::from(byte(1)?) / 127.0 })
        }
        // A note on with velocity 0 is a note off (running-status senders use it).
        0x80 | 0x90 => Some(NoteEventKind::NoteOff { channel, note: byte(0)? }),
        0xb0 => Some(NoteEventKind::Controller { channel, cc: byte(0)?, value: f32::from(byte(1)?) / 127.0 }),
        _ => None,
    }
}

/// Open MIDI inputs; dropping it closes them.
pub struct MidiIn {
    _connections: Vec<midir::MidiInputConnection<()>>,
    /// The ports opened, by name.
    pub ports: Vec<String>,
}

/// Opens every MIDI input port; returns the connections and one queue of
/// messages per port for the audio thread.
///
/// # Errors
/// The MIDI system is not available (no ALSA sequencer).
pub fn open_all() -> anyhow::Result<(MidiIn, Vec<rtrb::Consumer<NoteEventKind>>)> {
    let probe = midir::MidiInput::new("mixgraph studio")?;
    let count = probe.ports().len();
    let mut connections = Vec::with_capacity(count);
    let mut queues = Vec::with_capacity(count);
    let mut ports = Vec::with_capacity(count);
    for index in 0..count {
        // Each connection needs its own client; port lists can change
        // between calls, so look the port up again.
        let input = midir::MidiInput::new("mixgraph studio")?;
        let Some(port) = input.ports().into_iter().nth(index) else { continue };
        let name = input.port_name(&port).unwrap_or_else(|_| format!("port {index}"));
        let (mut producer, consumer) = rtrb::RingBuffer::new(QUEUE);
        let connection = input
            .connect(
                &port,
                "mixgraph in",
                move |_, bytes, _| {
                    if let Some(kind) = parse(bytes) {
                        // A full queue drops the message: the audio thread is stalled.
                        let _ = producer.push(kind);
                    }
                },
                (),
            )
            .map_err(|e| anyhow::anyhow!("MIDI port '{name}': {e}"))?;
        connections.push(connection);
        queues.push(consumer);
        ports.push(name);
    }
    Ok((MidiIn { _connections: connections, ports }, queues))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_controllers_parse_and_the_rest_is_ignored() {
        assert_eq!(parse(&[0x93, 60, 127]), Some(NoteEventKind::NoteOn { channel: 3, note: 60, velocity: 1.0 }));
        assert_eq!(parse(&[0x90, 60, 0]), Some(NoteEventKind::NoteOff { channel: 0, note: 60 }));
        assert_eq!(parse(&[0x81, 61, 64]), Some(NoteEventKind::NoteOff { channel: 1, note: 61 }));
        assert_eq!(parse(&[0xb0, 64, 127]), Some(NoteEventKind::Controller { channel: 0, cc: 64, value: 1.0 }));
        assert_eq!(parse(&[0xe0, 0, 64]), None, "pitch bend is not a graph event yet");
        assert_eq!(parse(&[0xf8]), None, "clock");
        assert_eq!(parse(&[0x90, 60]), None, "truncated");
        assert_eq!(parse(&[0x90, 0x80, 10]), None, "a status byte where data belongs");
    }
}

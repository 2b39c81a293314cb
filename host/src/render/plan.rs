//! The pure arithmetic of a render: how many frames to process and write, and
//! when an unknown tail has died away.

use anyhow::{Result, bail};

/// Output level counted as silence when the tail is unknown: −120 dBFS.
const SILENCE_GAIN: f32 = 1e-6;

/// How long a render runs, in frames at the render rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderLength {
    /// Frames of material: the longest input or file-player content.
    pub content_frames: u64,
    /// Graph latency: processed, then trimmed from the start of the file.
    pub latency_frames: u64,
    /// Frames written after the material ends (at most, if not `tail_known`).
    pub tail_frames: u64,
    /// Whether the tail is the graph's own; if not it is the `--tail` limit and
    /// the render may stop earlier on silence.
    pub tail_known: bool,
}

impl RenderLength {
    /// Plans a render of `content_frames` through a graph with the given
    /// latency and tail (`u32::MAX` = unknown, then `fallback_tail_seconds`).
    ///
    /// The compile report's tail counts after the latency: a graph with latency
    /// 100 and no ringing has tail 0, and the render processes content +
    /// latency + tail frames, writing content + tail once the latency is trimmed.
    pub fn plan(
        content_frames: u64,
        latency_frames: u32,
        graph_tail_frames: u32,
        fallback_tail_seconds: f64,
        sample_rate: u32,
    ) -> Self {
        let tail_known = graph_tail_frames != u32::MAX;
        let tail_frames = if tail_known {
            u64::from(graph_tail_frames)
        } else {
            (fallback_tail_seconds * f64::from(sample_rate)).round() as u64
        };
        RenderLength { content_frames, latency_frames: u64::from(latency_frames), tail_frames, tail_known }
    }

    /// Frames run through the executor.
    pub fn process_frames(&self) -> u64 {
        self.content_frames.saturating_add(self.latency_frames).saturating_add(self.tail_frames)
    }

    /// Frames written (at most, if the tail is not known).
    pub fn written_frames(&self) -> u64 {
        self.content_frames.saturating_add(self.tail_frames)
    }
}

/// Watches the written output for the end of an unknown tail: a run of
/// `needed_frames` silent frames, all at or after frame `after_frame`.
#[derive(Clone, Debug)]
pub struct SilenceWatch {
    after_frame: u64,
    needed_frames: u64,
    run: u64,
}

impl SilenceWatch {
    /// Watches for `needed_frames` of silence starting no earlier than `after_frame`.
    pub fn new(after_frame: u64, needed_frames: u64) -> Self {
        SilenceWatch { after_frame, needed_frames: needed_frames.max(1), run: 0 }
    }

    /// Feeds a block of planar output that starts at output frame `first_frame`;
    /// returns whether enough silence has been seen.
    pub fn feed(&mut self, first_frame: u64, channels: &[&[f32]]) -> bool {
        let frames = channels.first().map_or(0, |c| c.len());
        for i in 0..frames {
            if first_frame + (i as u64) < self.after_frame {
                continue;
            }
            if channels.iter().all(|c| c[i].abs() < SILENCE_GAIN) {
                self.run += 1;
            } else {
                self.run = 0;
            }
        }
        self.run >= self.needed_frames
    }
}

/// Frames of material to render: `duration` if given, else the longest of the
/// inputs and the file players' content (`u64::MAX` = a looping player).
///
/// # Errors
/// When nothing bounds the render: no inputs and no finite file player.
pub fn content_frames(duration: Option<u64>, inputs: Option<u64>, players: Option<u64>) -> Result<u64> {
    if let Some(frames) = duration {
        return Ok(frames);
    }
    match (inputs, players) {
        (Some(i), Some(u64::MAX)) => Ok(i),
        (None, Some(u64::MAX)) => bail!("a file player loops, so the render has no end: pass --duration SECONDS"),
        (None, None) => bail!("nothing sets the render length (no inputs, no file players): pass --duration SECONDS"),
        (i, p) => Ok(i.unwrap_or(0).max(p.unwrap_or(0))),
    }
}

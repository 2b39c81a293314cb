//! Graph inputs for an offline render: matching `--in` files to the graph's
//! `io.input` nodes, decoding and resampling them, and adapting their channel
//! count to the input node's.

use crate::cli::InputSpec;
use anyhow::{Context, Result, bail};
use mixgraph_graph::{Graph, NodeRole};
use mixgraph_nodes::io::decode::{decode_and_resample, decode_file};
use std::collections::BTreeSet;

/// Sample rate used when neither `--sample-rate` nor an input file sets one.
pub const DEFAULT_SAMPLE_RATE: u32 = 48_000;

/// A graph input (an `io.input` node) as declared in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphInput {
    /// The node id, which is the input's name.
    pub name: String,
    /// Its channel count.
    pub channels: usize,
}

/// Decoded audio for one graph input, at the render's sample rate and with the
/// input node's channel count.
#[derive(Clone, Debug)]
pub struct InputAudio {
    /// Graph input name.
    pub name: String,
    /// Planar samples, one `Vec` per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
}

impl InputAudio {
    /// Length in frames.
    pub fn frames(&self) -> u64 {
        self.channels.first().map_or(0, |c| c.len() as u64)
    }
}

/// The graph's inputs, in node order.
pub fn graph_inputs(graph: &Graph) -> Vec<GraphInput> {
    graph
        .nodes()
        .filter(|n| n.info().role == NodeRole::GraphInput)
        .map(|n| GraphInput { name: n.id().to_string(), channels: n.info().output_channels() })
        .collect()
}

/// Checks that `given` names every graph input exactly once and nothing else.
///
/// # Errors
/// For an input given twice, a name the graph does not have (listing the
/// graph's inputs), or a graph input without a file.
pub fn match_inputs(given: &[InputSpec], graph: &[GraphInput]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for spec in given {
        if !seen.insert(spec.name.as_str()) {
            bail!("input '{}' is given more than once", spec.name);
        }
        if !graph.iter().any(|g| g.name == spec.name) {
            let names: Vec<&str> = graph.iter().map(|g| g.name.as_str()).collect();
            let list =
                if names.is_empty() { "it has none".to_string() } else { format!("it has: {}", names.join(", ")) };
            bail!("--in {}={}: the graph has no input named '{}' ({list})", spec.name, spec.path.display(), spec.name);
        }
    }
    if let Some(missing) = graph.iter().find(|g| !seen.contains(g.name.as_str())) {
        bail!("graph input '{0}' has no file: pass --in {0}=PATH", missing.name);
    }
    Ok(())
}

/// Decodes every input, resampled to `sample_rate` or, when that is `None`, to
/// the first input's own rate (48 kHz if there are no inputs). Returns the rate
/// used and the audio with each input's channels adapted to its graph input.
///
/// # Errors
/// When a file cannot be read or decoded (the message names the input and the
/// file), or its channel count cannot be adapted.
pub fn load_inputs(
    given: &[InputSpec],
    graph: &[GraphInput],
    sample_rate: Option<u32>,
) -> Result<(u32, Vec<InputAudio>)> {
    let mut rate = sample_rate;
    let mut loaded = Vec::with_capacity(given.len());
    for spec in given {
        let what = || format!("cannot load input '{}' from {}", spec.name, spec.path.display());
        let decoded = match rate {
            Some(r) => decode_and_resample(&spec.path, r).with_context(what)?,
            None => {
                let d = decode_file(&spec.path).with_context(what)?;
                rate = Some(d.sample_rate);
                d
            }
        };
        let want = graph.iter().find(|g| g.name == spec.name).map_or(decoded.channels.len(), |g| g.channels);
        let channels = adapt_channels(decoded.channels, want, &spec.name)?;
        loaded.push(InputAudio { name: spec.name.clone(), channels });
    }
    Ok((rate.unwrap_or(DEFAULT_SAMPLE_RATE), loaded))
}

/// Adapts planar audio to `want` channels: unchanged if it already has them,
/// mono duplicated to stereo, stereo averaged to mono.
///
/// # Errors
/// For any other combination, naming the input.
pub fn adapt_channels(mut channels: Vec<Vec<f32>>, want: usize, name: &str) -> Result<Vec<Vec<f32>>> {
    match (channels.len(), want) {
        (have, want) if have == want => Ok(channels),
        (1, 2) => {
            let mono = channels.remove(0);
            Ok(vec![mono.clone(), mono])
        }
        (2, 1) => {
            let mono = channels[0].iter().zip(&channels[1]).map(|(l, r)| 0.5 * (l + r)).collect();
            Ok(vec![mono])
        }
        (have, want) => bail!(
            "input '{name}' has {have} channel{} but the graph input has {want}; \
             only mono-to-stereo and stereo-to-mono are converted",
            if have == 1 { "" } else { "s" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> InputSpec {
        InputSpec { name: name.into(), path: format!("{name}.wav").into() }
    }

    fn port(name: &str, channels: usize) -> GraphInput {
        GraphInput { name: name.into(), channels }
    }

    #[test]
    fn mono_to_stereo_duplicates_and_stereo_to_mono_averages() {
        let up = adapt_channels(vec![vec![0.5, -1.0]], 2, "x").unwrap();
        assert_eq!(up, vec![vec![0.5, -1.0], vec![0.5, -1.0]]);
        let down = adapt_channels(vec![vec![1.0, 0.0], vec![0.0, -0.5]], 1, "x").unwrap();
        assert_eq!(down, vec![vec![0.5, -0.25]]);
        let same = adapt_channels(vec![vec![1.0]; 6], 6, "x").unwrap();
        assert_eq!(same.len(), 6);
    }

    #[test]
    fn other_channel_changes_name_the_input() {
        let e = adapt_channels(vec![vec![0.0]; 6], 2, "surround").unwrap_err().to_string();
        assert!(e.contains("input 'surround' has 6 channels but the graph input has 2"), "{e}");
        assert!(adapt_channels(vec![vec![0.0]; 1], 3, "x").is_err());
    }

    #[test]
    fn every_graph_input_needs_exactly_one_file() {
        let graph = [port("drums", 2), port("bass", 1)];
        assert!(match_inputs(&[spec("drums"), spec("bass")], &graph).is_ok());
        let e = match_inputs(&[spec("drums")], &graph).unwrap_err().to_string();
        assert_eq!(e, "graph input 'bass' has no file: pass --in bass=PATH");
        let e = match_inputs(&[spec("drums"), spec("bass"), spec("keys")], &graph).unwrap_err().to_string();
        assert!(e.contains("no input named 'keys' (it has: drums, bass)"), "{e}");
        let e = match_inputs(&[spec("drums"), spec("drums")], &graph).unwrap_err().to_string();
        assert!(e.contains("more than once"), "{e}");
        let e = match_inputs(&[spec("in")], &[]).unwrap_err().to_string();
        assert!(e.contains("(it has none)"), "{e}");
    }
}

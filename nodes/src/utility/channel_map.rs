//! `util.channel_map`: mono↔stereo conversion, channel swap and selection.

use mixgraph_graph::{
    ConfigField, ConfigReader, Node, NodeError, NodeInfo, NodeType, ParamEvents, PortDesc, PrepareContext, Prepared,
    ProcBuffers, ProcInfo, ProcessStatus, Processor,
};

/// How channels are mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelMode {
    /// 1 → 2: the mono signal on both sides.
    MonoToStereo,
    /// 2 → 1: (L + R) / 2.
    StereoToMono,
    /// 2 → 2: left and right exchanged.
    Swap,
    /// 2 → 1: the left channel.
    Left,
    /// 2 → 1: the right channel.
    Right,
}

const MODES: [(&str, ChannelMode); 5] = [
    ("mono_to_stereo", ChannelMode::MonoToStereo),
    ("stereo_to_mono", ChannelMode::StereoToMono),
    ("swap", ChannelMode::Swap),
    ("left", ChannelMode::Left),
    ("right", ChannelMode::Right),
];

impl ChannelMode {
    fn channels(self) -> (usize, usize) {
        match self {
            ChannelMode::MonoToStereo => (1, 2),
            ChannelMode::Swap => (2, 2),
            _ => (2, 1),
        }
    }

    fn name(self) -> &'static str {
        MODES.iter().find(|(_, m)| *m == self).map(|(n, _)| *n).unwrap_or("swap")
    }
}

/// Maps channels per [`ChannelMode`].
pub struct ChannelMapNode {
    mode: ChannelMode,
}

impl ChannelMapNode {
    /// A channel map in `mode`.
    pub fn new(mode: ChannelMode) -> Self {
        ChannelMapNode { mode }
    }
}

struct ChannelMapProcessor {
    mode: ChannelMode,
}

impl Node for ChannelMapNode {
    fn info(&self) -> NodeInfo {
        let (i, o) = self.mode.channels();
        NodeInfo::new("util.channel_map").input(PortDesc::audio("in", i)).output(PortDesc::audio("out", o))
    }

    fn prepare(&self, _: &PrepareContext<'_>) -> Result<Prepared, NodeError> {
        Ok(Prepared::new(ChannelMapProcessor { mode: self.mode }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "mode": self.mode.name() })
    }
}

impl Processor for ChannelMapProcessor {
    fn process(&mut self, _: &ProcInfo, io: ProcBuffers<'_, '_>, _: ParamEvents<'_>) -> ProcessStatus {
        let (a, b) = (io.input(0), io.input(1));
        match (self.mode, io.outputs) {
            (ChannelMode::MonoToStereo, [l, r]) => {
                l.copy_from_slice(a);
                r.copy_from_slice(a);
            }
            (ChannelMode::Swap, [l, r]) => {
                l.copy_from_slice(b);
                r.copy_from_slice(a);
            }
            (ChannelMode::StereoToMono, [m]) => {
                for ((y, l), r) in m.iter_mut().zip(a).zip(b) {
                    *y = 0.5 * (l + r);
                }
            }
            (ChannelMode::Left, [m]) => m.copy_from_slice(a),
            (ChannelMode::Right, [m]) => m.copy_from_slice(b),
            _ => return ProcessStatus::Error("channel map: unexpected channel layout"),
        }
        ProcessStatus::Modified
    }

    fn reset(&mut self) {}
}

const CONFIG: &[ConfigField] = &[ConfigField {
    name: "mode",
    description: "mono_to_stereo, stereo_to_mono, swap, left or right",
    default: "mono_to_stereo",
}];

/// Registry entry.
pub fn node_type() -> NodeType {
    NodeType {
        type_id: "util.channel_map",
        family: "utility",
        description: "Mono to stereo, stereo to mono, swap, or pick a channel",
        config: CONFIG,
        factory: |c| {
            let mut r = ConfigReader::new(c)?;
            let name = r.string("mode")?.unwrap_or_else(|| "mono_to_stereo".to_string());
            r.finish()?;
            let mode = MODES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m).ok_or_else(|| {
                let known: Vec<&str> = MODES.iter().map(|(n, _)| *n).collect();
                NodeError::msg(format!("config.mode: unknown mode '{name}' (known: {})", known.join(", ")))
            })?;
            Ok(Box::new(ChannelMapNode::new(mode)))
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{NodeHarness, noise};
    use serde_json::json;

    #[test]
    fn every_mode_maps_as_documented() {
        let (l, r) = (noise(1000, 1), noise(1000, 2));
        let out =
            NodeHarness::new("util.channel_map", json!({"mode": "swap"}), &[]).render(&[l.clone(), r.clone()], &[64]);
        assert_eq!(out, vec![r.clone(), l.clone()]);
        let out = NodeHarness::new("util.channel_map", json!({"mode": "stereo_to_mono"}), &[])
            .render(&[l.clone(), r.clone()], &[64]);
        assert!(out[0].iter().zip(l.iter().zip(&r)).all(|(m, (a, b))| *m == 0.5 * (a + b)));
        let out = NodeHarness::new("util.channel_map", json!({"mode": "mono_to_stereo"}), &[])
            .render(std::slice::from_ref(&l), &[64]);
        assert_eq!(out, vec![l.clone(), l.clone()]);
        let out =
            NodeHarness::new("util.channel_map", json!({"mode": "right"}), &[]).render(&[l.clone(), r.clone()], &[64]);
        assert_eq!(out, vec![r.clone()]);
        for mode in ["swap", "stereo_to_mono", "left"] {
            NodeHarness::new("util.channel_map", json!({"mode": mode}), &[])
                .check_invariants(&[noise(4800, 3), noise(4800, 4)]);
        }
        assert!(crate::registry().create("util.channel_map", &json!({"mode": "surround"})).is_err());
    }
}

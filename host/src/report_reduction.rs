//! The gain-reduction pictures of a job's report: how hard the bus and
//! mastering dynamics work over time (a line per node), and for a mix how
//! hard each stem's compressor and ducker work (a heat map, stem by time).

use crate::render::ReductionTrack;
use crate::report_plots::{LinePlot, Series, heat_map, line_plot};
use std::collections::BTreeMap;

/// Lines drawn at most in the line plot (the legend's room).
const MOST_LINES: usize = 4;
/// Columns of the heat map at most.
const MOST_COLUMNS: usize = 24;
/// Reduction drawn in the heat map's deepest colour, dB.
const FULL_SCALE_DB: f64 = 12.0;

/// One node's reduction over time: its meters (a multiband's bands) merged
/// by taking the largest reduction at each time.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeReduction {
    /// The node id.
    pub node: String,
    /// `(seconds, dB ≥ 0)`, in time order.
    pub points: Vec<(f64, f64)>,
}

impl NodeReduction {
    fn max_db(&self) -> f64 {
        self.points.iter().fold(0.0, |m, p| m.max(p.1))
    }
}

/// Time key: milliseconds (meter frames are 33 ms apart).
fn key(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// Merges the tracks of each node; nodes in order of their ids.
pub fn by_node(tracks: &[ReductionTrack]) -> Vec<NodeReduction> {
    let mut nodes: BTreeMap<&str, BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
    for track in tracks {
        let points = nodes.entry(track.node()).or_default();
        for &(t, db) in &track.points {
            let slot = points.entry(key(t)).or_insert((t, 0.0));
            slot.1 = slot.1.max(f64::from(db));
        }
    }
    nodes
        .into_iter()
        .map(|(node, points)| NodeReduction { node: node.to_string(), points: points.into_values().collect() })
        .collect()
}

/// The line plot of `nodes` (the [`MOST_LINES`] that reduce most, in id
/// order), reductions drawn downwards as a gain-reduction meter shows them;
/// `None` when no node reduces at all. The caption names the nodes left out.
pub fn line_figure(title: &str, nodes: &[NodeReduction]) -> Option<(String, String)> {
    let mut working: Vec<&NodeReduction> = nodes.iter().filter(|n| n.max_db() > 0.0).collect();
    if working.is_empty() {
        return None;
    }
    working.sort_by(|a, b| b.max_db().total_cmp(&a.max_db()));
    let left_out: Vec<String> = working.iter().skip(MOST_LINES).map(|n| n.node.clone()).collect();
    working.truncate(MOST_LINES);
    working.sort_by(|a, b| a.node.cmp(&b.node));
    let plot = LinePlot {
        title: title.to_string(),
        x_label: "time, s".into(),
        y_label: "gain reduction, dB".into(),
        x_log: false,
        y_range: None,
        series: working
            .iter()
            .map(|n| Series {
                label: format!("{} (max {:.1})", n.node, n.max_db()),
                points: n.points.iter().map(|&(t, db)| (t, -db)).collect(),
            })
            .collect(),
        marks: vec![(0.0, String::new())],
    };
    let mut caption = "Gain reduction of each dynamics node, the largest of every 1/30 s.".to_string();
    if !left_out.is_empty() {
        caption.push_str(&format!(" Also working, not drawn: {}.", left_out.join(", ")));
    }
    Some((caption, line_plot(&plot)))
}

/// The heat map of each stem's total reduction (its nodes' reductions
/// added) over time: the deepest in each of up to [`MOST_COLUMNS`] equal
/// spans of `duration_s`, as a meter's peak hold would show it; `stems`
/// are (stem id, its nodes' ids).
pub fn stem_heat_map(stems: &[(String, Vec<String>)], nodes: &[NodeReduction], duration_s: f64) -> Option<String> {
    let columns = (duration_s.ceil() as usize).clamp(1, MOST_COLUMNS);
    let span = duration_s.max(1e-3) / columns as f64;
    let mut values = Vec::new();
    let mut any = false;
    for (_, ids) in stems {
        let mut total: BTreeMap<i64, f64> = BTreeMap::new();
        for node in nodes.iter().filter(|n| ids.contains(&n.node)) {
            for &(t, db) in &node.points {
                *total.entry(key(t)).or_default() += db;
            }
        }
        let mut row = vec![0.0f64; columns];
        for (k, db) in total {
            let c = ((k as f64 / 1000.0 / span) as usize).min(columns - 1);
            row[c] = row[c].max(db / FULL_SCALE_DB);
        }
        any |= row.iter().any(|v| *v > 0.0);
        values.push(row);
    }
    if !any {
        return None;
    }
    let rows: Vec<String> = stems.iter().map(|(id, _)| id.clone()).collect();
    let labels: Vec<String> = (0..columns).map(|c| format!("{:.0}", c as f64 * span)).collect();
    Some(heat_map(
        &format!("Gain reduction per stem (compressor and ducking), white 0 dB, deepest {FULL_SCALE_DB} dB"),
        &rows,
        &labels,
        &values,
        "time from, s",
        &|v| format!("{:.1} dB", v * FULL_SCALE_DB),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(name: &str, points: &[(f64, f32)]) -> ReductionTrack {
        ReductionTrack { name: name.into(), points: points.to_vec() }
    }

    #[test]
    fn bands_merge_by_their_largest_reduction() {
        let tracks = [
            track("mb.band1_gain_reduction", &[(0.0, 1.0), (0.5, 4.0)]),
            track("mb.band2_gain_reduction", &[(0.0, 3.0), (0.5, 2.0)]),
            track("comp.gain_reduction", &[(0.0, 0.0)]),
        ];
        let nodes = by_node(&tracks);
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1], NodeReduction { node: "mb".into(), points: vec![(0.0, 3.0), (0.5, 4.0)] });
        let (caption, svg) = line_figure("bus", &nodes).expect("mb reduces");
        assert!(svg.contains("mb (max 4.0)") && !svg.contains("comp (max"), "idle nodes are not drawn");
        assert!(!caption.contains("not drawn"));
        assert!(line_figure("idle", &nodes[..1]).is_none());
    }

    #[test]
    fn the_heat_map_adds_a_stems_nodes_and_keeps_the_deepest_of_each_span() {
        let nodes = by_node(&[
            track("bass_comp.gain_reduction", &[(0.0, 2.0), (0.5, 1.0), (1.0, 6.0), (1.5, 5.0)]),
            track("bass_duck.gain_reduction", &[(0.0, 1.0), (0.5, 1.0), (1.0, 0.0), (1.5, 0.0)]),
        ]);
        let stems = [("bass".to_string(), vec!["bass_comp".to_string(), "bass_duck".to_string()])];
        let svg = stem_heat_map(&stems, &nodes, 2.0).unwrap();
        // Two 1 s spans: deepest 2 + 1 dB, then 6 dB.
        assert!(svg.contains("bass 0: 3.0 dB") && svg.contains("bass 1: 6.0 dB"), "{svg}");
        let quiet = [("keys".to_string(), vec!["keys_comp".to_string()])];
        assert!(stem_heat_map(&quiet, &nodes, 2.0).is_none());
    }
}

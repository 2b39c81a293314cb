//! The mix graph the job builds: per stem a chain (EQ with its low cut,
//! tonal move and masking cuts → compressor → ducking compressor keyed by
//! another stem → trim), a summing bus with glue compression, and the
//! mastering preset's nodes.

use super::roles::{self, RoleSetup};
use anyhow::{Context, Result, bail};
use mixgraph_analysis::masking::MaskingPair;
use mixgraph_analysis::{Role, RoleGuess};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// Least share of competing moments in a band that earns a cut.
const CUT_FROM_SHARE: f64 = 0.35;
/// Cuts per stem at most (EQ bands 3 to 5).
const MAX_CUTS: usize = 3;
/// Bands below this are left to low cuts and ducking, Hz.
const LOWEST_CUT_HZ: f64 = 100.0;

/// A complementary cut where a stem masks a more important one.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cut {
    /// Centre, Hz.
    pub hz: f64,
    /// Gain, dB (negative).
    pub gain_db: f64,
    /// Q (the critical band's width).
    pub q: f64,
    /// Id of the stem it makes room for.
    pub for_stem: String,
    /// Share of the moments the two compete in that band.
    pub share: f64,
}

/// Everything decided about one stem.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StemPlan {
    /// The file.
    pub file: PathBuf,
    /// Graph input id.
    pub id: String,
    /// Role and where it came from.
    pub role: RoleGuess,
    /// Integrated loudness before processing, LUFS.
    pub loudness_lufs: f64,
    /// RMS level before processing (loudest channel), dBFS.
    pub rms_dbfs: f64,
    /// Gain to its place in the balance, dB.
    pub trim_db: f64,
    /// Masking cuts.
    pub cuts: Vec<Cut>,
    /// Id of the stem it ducks under.
    pub ducked_by: Option<String>,
}

impl StemPlan {
    /// The role's starting point.
    pub fn setup(&self) -> RoleSetup {
        roles::setup(self.role.role)
    }
}

/// A graph id from a file name: lower case letters, digits and `_`, not
/// starting with a digit or `m_`, unique among `taken`.
pub fn stem_id(file: &std::path::Path, taken: &[String]) -> String {
    let stem = file.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut id: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    id = id.trim_matches('_').to_string();
    // Ids starting with "m_" belong to the mastering chain's nodes.
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) || id.starts_with("m_") {
        id = format!("stem_{id}");
    }
    let reserved = ["out", "mix_bus", "bus_glue"];
    let mut candidate = id.clone();
    let mut n = 2;
    while taken.contains(&candidate) || reserved.contains(&candidate.as_str()) {
        candidate = format!("{id}_{n}");
        n += 1;
    }
    candidate
}

/// Complementary cuts from the masking map: in each competing pair's worst
/// band (from 100 Hz up), the stem of lower priority is cut by 1.5 to 4 dB
/// (more for more competition), at most [`MAX_CUTS`] cuts per stem, the
/// strongest kept.
pub fn plan_cuts(stems: &mut [StemPlan], pairs: &[MaskingPair]) {
    for p in pairs {
        let share = p.bands.iter().copied().fold(0.0, f64::max);
        let (lo, hi) = p.worst_band_hz;
        if share < CUT_FROM_SHARE || lo < LOWEST_CUT_HZ {
            continue;
        }
        let (a, b) = (&stems[p.a], &stems[p.b]);
        let (cut, keep) = if a.setup().priority < b.setup().priority { (p.a, p.b) } else { (p.b, p.a) };
        let hz = (lo * hi).sqrt();
        let cut_plan = Cut {
            hz: round2(hz),
            gain_db: round2(-(1.5 + 4.0 * (share - CUT_FROM_SHARE)).min(4.0)),
            q: round2((hz / (hi - lo)).clamp(0.7, 4.0)),
            for_stem: stems[keep].id.clone(),
            share,
        };
        stems[cut].cuts.push(cut_plan);
    }
    for stem in stems.iter_mut() {
        stem.cuts.sort_by(|x, y| y.share.total_cmp(&x.share));
        stem.cuts.truncate(MAX_CUTS);
    }
}

/// Two decimals.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Which stem each stem ducks under (bass under the kick, music under the
/// lead), when such a stem is there.
pub fn plan_ducking(stems: &mut [StemPlan]) {
    let roles: Vec<(Role, String)> = stems.iter().map(|s| (s.role.role, s.id.clone())).collect();
    for stem in stems.iter_mut() {
        stem.ducked_by = roles::ducking_keys(stem.role.role)
            .iter()
            .find_map(|key| roles.iter().find(|(r, id)| r == key && *id != stem.id).map(|(_, id)| id.clone()));
    }
}

/// The graph file: stems in, chains, bus, glue, then `preset`'s nodes (its
/// `in` fed by the bus, its ids prefixed `m_`) into `out`.
pub fn build_graph(stems: &[StemPlan], preset: &str, preset_name: &str) -> Result<Value> {
    let preset: Value = serde_json::from_str(preset).with_context(|| format!("preset {preset_name}"))?;
    let mut nodes: Vec<Value> = Vec::new();
    let mut edges: Vec<Value> = Vec::new();
    let edge = |from: String, to: String| json!({"from": from, "to": to});
    for (k, s) in stems.iter().enumerate() {
        let setup = s.setup();
        let c = setup.compression;
        nodes.push(json!({"id": s.id, "type": "io.input", "config": {"channels": 2}}));
        nodes.push(json!({"id": format!("{}_eq", s.id), "type": "eq.parametric", "params": eq_params(s, &setup)}));
        nodes.push(json!({"id": format!("{}_comp", s.id), "type": "dynamics.compressor", "params": {
            "threshold_db": round2((s.rms_dbfs + c.above_rms_db).clamp(-60.0, 0.0)),
            "ratio": c.ratio, "attack_ms": c.attack_ms, "release_ms": c.release_ms, "knee_db": c.knee_db,
            "detector": "rms"}}));
        edges.push(edge(format!("{}.out", s.id), format!("{}_eq.in", s.id)));
        edges.push(edge(format!("{}_eq.out", s.id), format!("{}_comp.in", s.id)));
        let mut last = format!("{}_comp", s.id);
        if let Some(key) = &s.ducked_by {
            let key_target = stems.iter().find(|x| &x.id == key).map_or(-20.0, |x| x.setup().target_lufs);
            // Bass: a short, deep dip on each kick; music: a slow, shallow
            // dip of about 2 dB while the lead plays.
            let params = if s.role.role == Role::Bass {
                json!({"threshold_db": key_target + 4.0, "ratio": 3.0, "attack_ms": 1.0, "release_ms": 80.0, "knee_db": 6.0, "sidechain": true})
            } else {
                json!({"threshold_db": key_target - 2.0, "ratio": 1.5, "attack_ms": 20.0, "release_ms": 250.0, "knee_db": 10.0, "detector": "rms", "sidechain": true})
            };
            nodes.push(json!({"id": format!("{}_duck", s.id), "type": "dynamics.compressor", "params": params}));
            edges.push(edge(format!("{last}.out"), format!("{}_duck.in", s.id)));
            edges.push(edge(format!("{key}_trim.out"), format!("{}_duck.sidechain", s.id)));
            last = format!("{}_duck", s.id);
        }
        nodes.push(json!({"id": format!("{}_trim", s.id), "type": "util.gain", "params": {"gain_db": round2(s.trim_db.clamp(-96.0, 24.0))}}));
        edges.push(edge(format!("{last}.out"), format!("{}_trim.in", s.id)));
        edges.push(edge(format!("{}_trim.out", s.id), format!("mix_bus.in{}", k + 1)));
    }
    nodes.push(json!({"id": "mix_bus", "type": "util.mix", "config": {"inputs": stems.len(), "channels": 2}}));
    nodes.push(json!({"id": "bus_glue", "type": "dynamics.compressor", "params": {
        "threshold_db": -20.0, "ratio": 2.0, "knee_db": 6.0, "attack_ms": 30.0, "release_ms": 200.0, "detector": "rms"}}));
    edges.push(edge("mix_bus.out".into(), "bus_glue.in".into()));
    inline_preset(&preset, preset_name, &mut nodes, &mut edges)?;
    nodes.push(json!({"id": "out", "type": "io.output", "config": {"channels": 2}}));
    let roles: Vec<String> = stems
        .iter()
        .map(|s| format!("{} ({})", s.id, serde_json::to_string(&s.role.role).unwrap_or_default().trim_matches('"')))
        .collect();
    Ok(json!({
        "format": "mixgraph/1",
        "name": "automatic mix",
        "description": format!(
            "Built by mixgraph mix from {} stems: {}. Each stem: EQ (low cut and one tonal move by role, complementary cuts where it masks a more important stem), compressor relative to its level, ducking under the kick (bass) or the lead (music) where present, and a trim to its role's place in the balance; then a summing bus, 2:1 glue compression and the '{preset_name}' mastering chain. The gain 'qc_trim' before the final limiter, and the limiter's ceiling, are set by the job's loudness and peak loop. Everything here is a starting point to edit.",
            stems.len(), roles.join(", ")),
        "targets": preset.get("targets").cloned().unwrap_or(Value::Null),
        "nodes": nodes,
        "edges": edges,
    }))
}

/// The parametric EQ's parameters for a stem.
fn eq_params(stem: &StemPlan, setup: &RoleSetup) -> Map<String, Value> {
    let mut p = Map::new();
    let mut band = |n: usize, kind: &str, hz: f64, gain_db: f64, q: f64, slope: Option<u32>| {
        p.insert(format!("band{n}_on"), Value::Bool(true));
        p.insert(format!("band{n}_type"), Value::from(kind));
        p.insert(format!("band{n}_freq_hz"), Value::from(hz));
        p.insert(format!("band{n}_gain_db"), Value::from(gain_db));
        p.insert(format!("band{n}_q"), Value::from(q));
        if let Some(s) = slope {
            p.insert(format!("band{n}_slope"), Value::from(s.to_string()));
        }
    };
    band(1, "low_cut", setup.low_cut.0, 0.0, std::f64::consts::FRAC_1_SQRT_2, Some(setup.low_cut.1));
    if let Some(t) = setup.tone {
        band(2, t.kind, t.hz, t.gain_db, t.q, None);
    }
    for (i, cut) in stem.cuts.iter().enumerate() {
        band(3 + i, "bell", cut.hz, cut.gain_db, cut.q, None);
    }
    p
}

/// Adds `preset`'s nodes (but its `io.input` `in` and `io.output` `out`)
/// with ids prefixed `m_`, fed by `bus_glue`, into `out`.
fn inline_preset(preset: &Value, name: &str, nodes: &mut Vec<Value>, edges: &mut Vec<Value>) -> Result<()> {
    let list = preset["nodes"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for node in list {
        let (id, kind) = (node["id"].as_str().unwrap_or(""), node["type"].as_str().unwrap_or(""));
        if (id == "in" && kind == "io.input") || (id == "out" && kind == "io.output") {
            continue;
        }
        if kind == "io.input" || kind == "io.output" {
            bail!("preset {name}: the job needs one input 'in' and one output 'out' (it has '{id}' too)");
        }
        let mut copy = node.clone();
        copy["id"] = Value::from(format!("m_{id}"));
        nodes.push(copy);
    }
    let rename = |end: &str| -> String {
        let (node, port) = end.split_once('.').unwrap_or((end, ""));
        match node {
            "in" => "bus_glue.out".to_string(),
            "out" => format!("out.{port}"),
            _ => format!("m_{node}.{port}"),
        }
    };
    for e in preset["edges"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let (from, to) = (e["from"].as_str().unwrap_or(""), e["to"].as_str().unwrap_or(""));
        edges.push(json!({"from": rename(from), "to": rename(to)}));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixgraph_analysis::RoleSource;
    use std::path::Path;

    fn plan(id: &str, role: Role) -> StemPlan {
        StemPlan {
            file: PathBuf::from(format!("{id}.wav")),
            id: id.to_string(),
            role: RoleGuess { role, source: RoleSource::Name },
            loudness_lufs: -20.0,
            rms_dbfs: -22.0,
            trim_db: 0.0,
            cuts: Vec::new(),
            ducked_by: None,
        }
    }

    #[test]
    fn ids_are_clean_and_unique() {
        let taken = vec!["lead_vox".to_string()];
        assert_eq!(stem_id(Path::new("/x/Lead Vox.wav"), &[]), "lead_vox");
        assert_eq!(stem_id(Path::new("Lead-Vox.flac"), &taken), "lead_vox_2");
        assert_eq!(stem_id(Path::new("808.wav"), &[]), "stem_808");
        assert_eq!(stem_id(Path::new("out.wav"), &[]), "out_2");
        assert_eq!(stem_id(Path::new("m_bus.wav"), &[]), "stem_m_bus");
    }

    #[test]
    fn the_less_important_stem_takes_the_cut_in_the_worst_band() {
        let mut stems = vec![plan("pads", Role::Pads), plan("lead", Role::Lead), plan("kick", Role::Kick)];
        let mut bands = vec![0.0; 24];
        bands[10] = 0.75;
        let pairs = [
            MaskingPair { a: 0, b: 1, bands: bands.clone(), overall: 0.2, worst_band_hz: (1270.0, 1480.0) },
            // Below 100 Hz: left to low cuts and ducking.
            MaskingPair { a: 0, b: 2, bands, overall: 0.2, worst_band_hz: (0.0, 100.0) },
        ];
        plan_cuts(&mut stems, &pairs);
        assert!(stems[1].cuts.is_empty() && stems[2].cuts.is_empty());
        let cut = &stems[0].cuts[0];
        assert_eq!(stems[0].cuts.len(), 1);
        assert_eq!((cut.hz, cut.gain_db, cut.for_stem.as_str()), (1370.99, -3.1, "lead"));
        plan_ducking(&mut stems);
        assert_eq!(stems[0].ducked_by.as_deref(), Some("lead"));
        assert_eq!(stems[2].ducked_by, None);
    }
}

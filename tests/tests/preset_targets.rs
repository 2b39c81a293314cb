//! Every mastering, vocal and mix preset meets the targets it declares.
//!
//! Each preset renders at 48 kHz, in blocks of 512, on synthesized material
//! that suits it (a mix-like signal for the mastering and bus chains, a
//! vocal-like one for the vocal chains) at two input levels 10 or 12 LU
//! apart. The output is measured independently of the graph with the
//! `ebur128` crate (mode I | TRUE_PEAK): integrated loudness must be within
//! the declared tolerance of the target and the true peak at or under the
//! ceiling, at both input levels. Run with `--nocapture` for the numbers.

use ebur128::{EbuR128, Mode};
use mixgraph_graph::Targets;
use mixgraph_tests::material::{mix, scale_to_lufs, vocal};
use mixgraph_tests::{engine, load, preset_files, render, workspace};
use std::path::Path;
use std::sync::OnceLock;

const SR: f64 = 48_000.0;
/// Material length: every section of the mix material once, and long enough
/// for integrated loudness to be meaningful.
const SECONDS: f64 = 20.0;
/// Input levels of the mix-like material, LUFS: a quiet, unmastered mix and a hot one.
const MIX_LEVELS: [f64; 2] = [-24.0, -14.0];
/// Input levels of the vocal material, LUFS: a quiet take and a hot one.
const VOCAL_LEVELS: [f64; 2] = [-30.0, -18.0];

fn mix_material() -> &'static [Vec<f32>] {
    static M: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    M.get_or_init(|| mix(SECONDS, SR, 0x5eed))
}

fn vocal_material() -> &'static [Vec<f32>] {
    static M: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    M.get_or_init(|| vocal(SECONDS, SR, 0x70c4))
}

/// Integrated loudness (LUFS) and highest true peak (dBTP) of `out`.
fn measure(out: &[Vec<f32>]) -> (f64, f64) {
    let mut m = EbuR128::new(out.len() as u32, SR as u32, Mode::I | Mode::TRUE_PEAK).unwrap();
    let planar: Vec<&[f32]> = out.iter().map(Vec::as_slice).collect();
    m.add_frames_planar_f32(&planar).unwrap();
    let peak = (0..out.len() as u32).map(|c| m.true_peak(c).unwrap()).fold(0.0, f64::max);
    (m.loudness_global().unwrap(), 20.0 * peak.log10())
}

/// Renders `preset` on `material` at each level and checks its targets.
fn meets_targets(preset: &str, material: &[Vec<f32>], levels: [f64; 2]) {
    let path = workspace().join("presets").join(preset);
    let graph = load(&path);
    let targets = graph.targets.unwrap_or_else(|| panic!("{preset}: declares no targets"));
    let lufs_target = targets.integrated_lufs.unwrap_or_else(|| panic!("{preset}: no loudness target"));
    let ceiling = targets.true_peak_dbtp.unwrap_or_else(|| panic!("{preset}: no true-peak ceiling"));
    let (probe, _) = engine(load(&path), 512);
    let report = probe.report().clone();
    assert_eq!(report.inputs.iter().map(|p| (p.name.as_str(), p.channels)).collect::<Vec<_>>(), [("in", 2)]);
    assert!(report.outputs.iter().any(|p| p.name == "out" && p.channels == 2), "{preset}: stereo out");
    let mut failures = Vec::new();
    for level in levels {
        let input = scale_to_lufs(material, SR, level);
        let (engine, mut ex) = engine(load(&path), 512);
        let latency = engine.report().latency_frames as usize;
        let frames = input[0].len() + latency;
        let out = render(&engine, &mut ex, frames, 512, |ch| {
            let mut x = input[ch].clone();
            x.resize(frames, 0.0);
            x
        });
        let out: Vec<Vec<f32>> = out.into_iter().map(|c| c[latency..].to_vec()).collect();
        let (lufs, dbtp) = measure(&out);
        println!(
            "{preset}: input {level:.1} LUFS -> {lufs:.2} LUFS (target {lufs_target:.1} ± {:.1}), \
             true peak {dbtp:.2} dBTP (ceiling {ceiling:.1})",
            targets.lufs_tolerance_lu
        );
        let checks = targets.check(Some(lufs), Some(dbtp));
        failures.extend(checks.iter().filter(|c| !c.met).map(|c| format!("input {level} LUFS: {c}")));
    }
    assert!(failures.is_empty(), "{preset} misses its targets:\n{}", failures.join("\n"));
}

/// Mid (L+R)/2 and side (L−R)/2 of a stereo render.
fn mid_side(out: &[Vec<f32>]) -> (Vec<f64>, Vec<f64>) {
    let mid = out[0].iter().zip(&out[1]).map(|(l, r)| f64::from(l + r) / 2.0).collect();
    let side = out[0].iter().zip(&out[1]).map(|(l, r)| f64::from(l - r) / 2.0).collect();
    (mid, side)
}

fn energy(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

#[test]
fn doubles_and_harmonies_widen_a_mono_take_and_keep_its_mono_sum() {
    // A mono take (the same signal on both channels), 8 s.
    let take = scale_to_lufs(&vocal_material().iter().map(|c| c[..8 * 48_000].to_vec()).collect::<Vec<_>>(), SR, -20.0);
    for preset in ["vocal/double.json", "vocal/harmony.json"] {
        let path = workspace().join("presets").join(preset);
        let run = |side_db: Option<f32>| {
            let mut graph = load(&path);
            if let Some(db) = side_db {
                graph.set_param("side_level.gain_db", db).unwrap();
            }
            let (engine, mut ex) = engine(graph, 512);
            render(&engine, &mut ex, take[0].len(), 512, |ch| take[ch].clone())
        };
        let (mid, side) = mid_side(&run(None));
        let (dry_mid, dry_side) = mid_side(&run(Some(-96.0)));
        let width_db = 10.0 * (energy(&side) / energy(&mid)).log10();
        let dry_width_db = 10.0 * (energy(&dry_side) / energy(&dry_mid)).log10();
        let diff: Vec<f64> = mid.iter().zip(&dry_mid).map(|(a, b)| a - b).collect();
        let mono_error_db = 10.0 * (energy(&diff) / energy(&dry_mid)).log10();
        println!(
            "{preset}: side/mid {width_db:.1} dB (without the side path {dry_width_db:.1} dB), \
             mono sum differs from the unwidened chain's by {mono_error_db:.1} dB"
        );
        assert!(width_db > -12.0, "{preset}: a mono take comes out wide");
        assert!(dry_width_db < -80.0, "{preset}: the width comes from the side path");
        // Only the linked limiter's gain, which sees slightly higher channel peaks, differs.
        assert!(mono_error_db < -30.0, "{preset}: the mono sum is the dry vocal");
    }
}

#[test]
fn every_mastering_vocal_and_mix_preset_declares_its_targets() {
    let mut with_targets = Vec::new();
    for path in preset_files() {
        let rel = path.strip_prefix(workspace().join("presets")).unwrap().to_string_lossy().replace('\\', "/");
        if !["master/", "vocal/", "mix/"].iter().any(|d| rel.starts_with(d)) || rel == "mix/demo_mix.json" {
            continue;
        }
        let graph = load(&path);
        let t: Targets = graph.targets.unwrap_or_else(|| panic!("{rel} declares no targets"));
        assert!(t.integrated_lufs.is_some() && t.true_peak_dbtp.is_some(), "{rel}: loudness and true peak");
        assert!(graph.description.len() > 200, "{rel}: the description explains the intent and the settings");
        with_targets.push(rel);
    }
    let expected = [
        "master/electro_house.json",
        "master/hiphop.json",
        "master/pop.json",
        "master/rock.json",
        "master/streaming.json",
        "mix/instrumental.json",
        "mix/master_bus.json",
        "vocal/adlib.json",
        "vocal/double.json",
        "vocal/harmony.json",
        "vocal/lead.json",
    ];
    assert_eq!(with_targets, expected);
    assert!(Path::new(&workspace().join("presets/mix/demo_mix.json")).exists());
}

#[test]
fn master_pop() {
    meets_targets("master/pop.json", mix_material(), MIX_LEVELS);
}

#[test]
fn master_hiphop() {
    meets_targets("master/hiphop.json", mix_material(), MIX_LEVELS);
}

#[test]
fn master_rock() {
    meets_targets("master/rock.json", mix_material(), MIX_LEVELS);
}

#[test]
fn master_electro_house() {
    meets_targets("master/electro_house.json", mix_material(), MIX_LEVELS);
}

#[test]
fn master_streaming() {
    meets_targets("master/streaming.json", mix_material(), MIX_LEVELS);
}

#[test]
fn mix_instrumental() {
    meets_targets("mix/instrumental.json", mix_material(), MIX_LEVELS);
}

#[test]
fn mix_master_bus() {
    meets_targets("mix/master_bus.json", mix_material(), MIX_LEVELS);
}

#[test]
fn vocal_lead() {
    meets_targets("vocal/lead.json", vocal_material(), VOCAL_LEVELS);
}

#[test]
fn vocal_double() {
    meets_targets("vocal/double.json", vocal_material(), VOCAL_LEVELS);
}

#[test]
fn vocal_harmony() {
    meets_targets("vocal/harmony.json", vocal_material(), VOCAL_LEVELS);
}

#[test]
fn vocal_adlib() {
    meets_targets("vocal/adlib.json", vocal_material(), VOCAL_LEVELS);
}

//! End-to-end tests of `mixgraph mix`; stems are synthesized here and the
//! output is measured with the `ebur128` crate, independently of the job.

mod support;

use std::path::{Path, PathBuf};
use support::*;

/// A stereo stem of `seconds` at `rate` from `f(t)` (same on both sides
/// unless `f` returns a different right channel).
fn stem(dir: &Path, name: &str, rate: u32, seconds: f64, f: impl Fn(f64) -> (f32, f32)) -> PathBuf {
    let n = (seconds * f64::from(rate)) as usize;
    let (left, right): (Vec<f32>, Vec<f32>) = (0..n).map(|i| f(i as f64 / f64::from(rate))).unzip();
    let path = dir.join(name);
    write_wav(&path, &[left, right], rate);
    path
}

fn tone(hz: f64, t: f64) -> f64 {
    (std::f64::consts::TAU * hz * t).sin()
}

#[test]
fn the_demo_stems_come_out_mixed_mastered_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    let stems = demo_stems(dir.path());
    let out = dir.path().join("mix.wav");
    let graph = dir.path().join("mix.json");
    let report = dir.path().join("report");
    let mut args = vec!["mix"];
    args.extend(stems.iter().map(|p| s(p)));
    args.extend(["--out", s(&out), "--save-graph", s(&graph), "--report", s(&report)]);
    let printed = ok(mixgraph(&args));
    assert!(printed.contains("targets   met"), "{printed}");
    let (lufs, peak, clipped) = measured(&out);
    println!("demo stems, streaming master: {lufs:.2} LUFS, {peak:.2} dBTP");
    assert!((lufs + 14.0).abs() <= 0.5 && peak <= -1.0 && clipped == 0, "{lufs} LUFS, {peak} dBTP, {clipped} clipped");

    let again = dir.path().join("again.wav");
    let ins: Vec<String> =
        ["drums", "bass", "chords", "lead"].iter().zip(&stems).map(|(n, p)| format!("{n}={}", p.display())).collect();
    let mut render = vec!["render", "--graph", s(&graph), "--out", s(&again)];
    for i in &ins {
        render.extend(["--in", i.as_str()]);
    }
    ok(mixgraph(&render));
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&out).unwrap(),
        "the saved graph re-renders the same bits"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["met"], true);
    let roles: Vec<&str> =
        json["stems"].as_array().unwrap().iter().map(|s| s["role"]["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["drums", "bass", "synth", "lead"]);
    assert_eq!(json["stems"][1]["ducked_by"], "drums", "the bass makes room for the drums");
    assert_eq!(json["stems"][2]["ducked_by"], "lead", "the chords make room for the lead");
    assert_eq!(json["masking"].as_array().unwrap().len(), 6);
    let masking = std::fs::read_to_string(report.join("masking.svg")).unwrap();
    assert_eq!(masking.matches("<rect").count(), 6 * 24, "one cell per pair and critical band");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("masking.svg") && html.contains("<td>bass</td>"), "the stems table and the map");

    // Each stem before and after its chain, measured from a tap of the
    // report's render: the lead is trimmed to its place (-20 LUFS), the bass
    // is ducked under the drums and sits lower than its trim alone.
    let lufs_of = |v: &serde_json::Value| v["integrated_lufs"].as_f64().unwrap();
    let stem = |i: usize| &json["stems"][i];
    assert!((lufs_of(&stem(3)["after"]) + 20.0).abs() < 1.0, "lead after: {}", lufs_of(&stem(3)["after"]));
    let bass_trimmed = lufs_of(&stem(1)["before"]) + stem(1)["trim_db"].as_f64().unwrap();
    assert!(lufs_of(&stem(1)["after"]) < bass_trimmed - 0.5, "the bass's compressor and ducking take some level");
    // The bus before mastering is the mix of the stems: louder than any of them, quieter than the master.
    let bus = lufs_of(&json["mix_bus"]);
    assert!((0..4).all(|i| lufs_of(&stem(i)["after"]) < bus) && bus < lufs - 2.0, "bus {bus} LUFS");
    for picture in ["loudness", "spectrum", "passes", "masking", "reduction", "reduction_stems"] {
        assert!(html.contains(&format!("{picture}.png")), "report.html names {picture}.png");
        assert_png_picture(&report, &format!("{picture}.png"), 1440);
    }
    let stems_reduction = std::fs::read_to_string(report.join("reduction_stems.svg")).unwrap();
    assert!(stems_reduction.contains(">bass<") && stems_reduction.contains(">lead<"), "a row per stem");
}

#[test]
fn synthesized_stems_of_mixed_rates_lengths_and_a_silent_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let beat = 0.5;
    // A lead at -30 LUFS-ish, a kick loop, an 808, wide pads at 44.1 kHz,
    // a short riser, and a silent track.
    let lead = stem(d, "Lead Vox.wav", 48_000, 10.0, |t| {
        let v = (0.03 * (tone(440.0, t) + 0.5 * tone(880.0, t) + 0.25 * tone(1320.0, t))) as f32;
        (v, v)
    });
    let kick = stem(d, "Kick.wav", 48_000, 10.0, |t| {
        let u = t % beat;
        let v = (0.7 * (-u * 25.0).exp() * tone(55.0 + 60.0 * (-u * 40.0).exp(), u)) as f32;
        (v, v)
    });
    let sub = stem(d, "808.wav", 48_000, 10.0, |t| {
        let v = (0.3 * tone(49.0, t)) as f32;
        (v, v)
    });
    let pads = stem(d, "pads.wav", 44_100, 10.0, |t| {
        let chord = |detune: f64| [261.6, 329.6, 392.0].iter().map(|f| tone(f * detune, t)).sum::<f64>() * 0.05;
        (chord(1.0) as f32, chord(1.004) as f32)
    });
    let riser = stem(d, "riser fx.wav", 48_000, 3.0, |t| {
        let v = (0.1 * t / 3.0 * tone(2000.0 + 2000.0 * t, t)) as f32;
        (v, v)
    });
    let silent = stem(d, "silence.wav", 48_000, 10.0, |_| (0.0, 0.0));
    let out = d.join("mixed.wav");
    let report = d.join("report");
    let printed = ok(mixgraph(&[
        "mix",
        s(&lead),
        s(&kick),
        s(&sub),
        s(&pads),
        s(&riser),
        s(&silent),
        "--out",
        s(&out),
        "--preset",
        "pop",
        "--report",
        s(&report),
    ]));
    assert!(printed.contains("skipped   ") && printed.contains("silence.wav: silent"), "{printed}");
    let (lufs, peak, clipped) = measured(&out);
    println!("synthesized stems, pop master: {lufs:.2} LUFS, {peak:.2} dBTP");
    assert!((lufs + 9.0).abs() <= 0.5 && peak <= -1.0 && clipped == 0, "{lufs} LUFS, {peak} dBTP");
    let (spec, channels) = read_wav(&out);
    assert_eq!(spec.sample_rate, 48_000, "the first stem's rate");
    assert!(channels[0].len() >= 10 * 48_000, "as long as the longest stem");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    let stems = json["stems"].as_array().unwrap();
    let by_id = |id: &str| stems.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} in {stems:?}"));
    assert_eq!(by_id("lead_vox")["role"]["role"], "lead");
    assert_eq!(by_id("kick")["role"]["role"], "kick");
    assert_eq!(by_id("stem_808")["role"]["role"], "bass");
    assert_eq!(by_id("stem_808")["ducked_by"], "kick");
    assert_eq!(by_id("pads")["ducked_by"], "lead_vox");
    assert_eq!(by_id("riser_fx")["role"]["role"], "fx");
    // Trims take each stem to its role's level: the lead to -20 LUFS.
    let lead_in = by_id("lead_vox")["loudness_lufs"].as_f64().unwrap();
    assert!((by_id("lead_vox")["trim_db"].as_f64().unwrap() - (-20.0 - lead_in)).abs() < 0.01);
    assert_eq!(json["silent"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_stems_are_named_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let broken = d.join("vox.wav");
    std::fs::write(&broken, b"not audio").unwrap();
    let quiet = stem(d, "quiet.wav", 48_000, 2.0, |_| (0.0, 0.0));
    let out = d.join("never.wav");
    fails(mixgraph(&["mix", s(&broken), "--out", s(&out)]), &["vox.wav"]);
    fails(mixgraph(&["mix", s(&quiet), "--out", s(&out)]), &["no stem has any sound"]);
    assert!(!out.exists());
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_reference_sets_the_mix_loudness_and_goes_into_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    // The demo's own hand mix as the reference for the automatic one.
    let reference = dir.path().join("demo_mix.wav");
    let out = dir.path().join("auto.wav");
    let graph = dir.path().join("auto.json");
    let report = dir.path().join("report");
    let mut args = vec!["mix"];
    let stems = demo_stems(dir.path());
    args.extend(stems.iter().map(|p| s(p)));
    args.extend(["--out", s(&out), "--reference", s(&reference), "--save-graph", s(&graph), "--report", s(&report)]);
    let printed = ok(mixgraph(&args));
    assert!(printed.contains("matching  mid EQ"), "{printed}");
    let (want, _, _) = measured(&reference);
    let (lufs, peak, _) = measured(&out);
    println!("mix matched to the hand mix: {lufs:.2} LUFS (reference {want:.2}), {peak:.2} dBTP");
    assert!((lufs - want).abs() <= 0.5 && peak <= -1.0, "{lufs} LUFS against {want}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["reference"]["match"]["mid_db"].as_array().unwrap().len(), 30);
    assert!(std::fs::read_to_string(report.join("spectrum.svg")).unwrap().contains(">reference<"));
    assert!(std::fs::read_to_string(&graph).unwrap().contains("\"ref_eq\""));
}

//! End-to-end tests of `mixgraph master`: the output is measured here with
//! the `ebur128` crate, independently of the job's own measurements.

mod support;

use support::*;

#[test]
fn mastering_the_demo_meets_its_targets_and_the_saved_graph_renders_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    let mix = dir.path().join("demo_mix.wav");
    let out = dir.path().join("mastered.wav");
    let graph = dir.path().join("mastered.json");
    let report = dir.path().join("report");
    let printed =
        ok(mixgraph(&["master", s(&mix), "--out", s(&out), "--save-graph", s(&graph), "--report", s(&report)]));
    assert!(printed.contains("targets   met"), "{printed}");
    let (lufs, peak, clipped) = measured(&out);
    println!("streaming master of the demo: {lufs:.2} LUFS, {peak:.2} dBTP");
    assert!((lufs + 14.0).abs() <= 0.5, "{lufs} LUFS");
    assert!(peak <= -1.0, "{peak} dBTP");
    assert_eq!(clipped, 0);

    let again = dir.path().join("again.wav");
    ok(mixgraph(&["render", "--graph", s(&graph), "--in", s(&mix), "--out", s(&again)]));
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&out).unwrap(),
        "the saved graph re-renders the same bits"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).expect("report JSON");
    assert_eq!(json["met"], true);
    let passes = json["passes"].as_array().unwrap();
    assert!(!passes.is_empty() && passes.len() <= 6);
    let last = passes.last().unwrap()["integrated_lufs"].as_f64().unwrap();
    assert!((last - lufs).abs() < 0.05, "the report's last pass ({last}) is the file written ({lufs})");
    assert!(json["before"]["integrated_lufs"].as_f64().unwrap() < -14.5, "{}", json["before"]);
    assert_eq!(json["after"]["spectrum"]["octave_db"].as_array().unwrap().len(), 10);
    // The page shows the pictures, which are also files of their own.
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    for picture in ["loudness.svg", "spectrum.svg", "passes.svg", "reduction.svg"] {
        let svg = std::fs::read_to_string(report.join(picture)).unwrap();
        assert!(svg.starts_with("<svg") && svg.matches("<path").count() >= 1, "{picture}");
        assert!(html.contains(picture), "report.html shows {picture}");
        assert_png_picture(&report, &picture.replace(".svg", ".png"), 1440);
    }
    // The limiter works on the demo: its line is in the gain-reduction picture.
    let reduction = std::fs::read_to_string(report.join("reduction.svg")).unwrap();
    assert!(reduction.contains(">limiter (max "), "{reduction}");
    assert!(html.contains("-14.0 LUFS"), "the target is on the page");
    // Nothing but what was asked for is left in the directory.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["again.wav", "demo_mix.wav", "mastered.json", "mastered.wav", "report", "stems"]);
}

#[test]
fn other_targets_and_presets() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("song.wav");
    // 12 s of a 110 Hz tone and noise bursts, around -25 LUFS.
    let n = 12 * RATE as usize;
    let [mut left, mut right] = sine(n, 110.0, 0.05, RATE);
    let mut seed = 7u32;
    for i in 0..n {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let burst = if (i / 12_000) % 2 == 0 { 0.05 } else { 0.0 };
        let noise = burst * ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5);
        left[i] += noise;
        right[i] += noise;
    }
    write_wav(&input, &[left, right], RATE);
    let out = dir.path().join("loud.wav");
    ok(mixgraph(&[
        "master",
        s(&input),
        "--out",
        s(&out),
        "--preset",
        "pop",
        "--target-lufs",
        "-11",
        "--ceiling",
        "-2",
    ]));
    let (lufs, peak, clipped) = measured(&out);
    println!("pop at -11 LUFS / -2 dBTP: {lufs:.2} LUFS, {peak:.2} dBTP");
    assert!((lufs + 11.0).abs() <= 0.5 && peak <= -2.0 && clipped == 0, "{lufs} LUFS, {peak} dBTP");
    // Quieter than the chain's own level: the trim goes negative.
    let quiet = dir.path().join("quiet.wav");
    ok(mixgraph(&["master", s(&input), "--out", s(&quiet), "--target-lufs", "-23"]));
    let (lufs, _, _) = measured(&quiet);
    println!("streaming at -23 LUFS: {lufs:.2} LUFS");
    assert!((lufs + 23.0).abs() <= 0.5, "{lufs} LUFS");
}

#[test]
fn a_missed_target_is_named_and_bad_input_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tone.wav");
    write_wav(&input, &sine(5 * RATE as usize, 440.0, 0.1, RATE), RATE);
    // One pass cannot take the streaming preset to -6 LUFS.
    let out = dir.path().join("one_pass.wav");
    let report = dir.path().join("report");
    let run = mixgraph(&[
        "master",
        s(&input),
        "--out",
        s(&out),
        "--target-lufs",
        "-6",
        "--passes",
        "1",
        "--report",
        s(&report),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("warning: target missed after 1 pass(es): loudness"), "{}", stderr(&run));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["met"], false);
    assert!(json["missed"][0].as_str().unwrap().contains("LU from -6.0 LUFS"), "{}", json["missed"]);

    let broken = dir.path().join("broken.wav");
    std::fs::write(&broken, b"not audio").unwrap();
    let never = dir.path().join("never.wav");
    fails(mixgraph(&["master", s(&broken), "--out", s(&never)]), &["broken.wav"]);
    fails(mixgraph(&["master", s(&input), "--out", s(&never), "--preset", "jazz"]), &["--preset jazz", "streaming"]);
    assert!(!never.exists());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `mixgraph analyze --json` of `path`: octave shares, side-to-mid ratio and
/// integrated loudness.
fn balance_of(path: &std::path::Path) -> (Vec<f64>, f64, f64) {
    let json: serde_json::Value =
        serde_json::from_str(&ok(mixgraph(&["analyze", "--json", "--no-cache", s(path)]))).expect("JSON");
    let a = &json[0]["analysis"];
    let octaves = a["spectrum"]["octave_db"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    (octaves, a["stereo"]["side_to_mid_db"].as_f64().unwrap(), a["loudness"]["integrated_lufs"].as_f64().unwrap())
}

/// Mid levels per third octave from 40 Hz to 16 kHz, measured by the
/// analysis crate (the job's own match works on the rendered probe).
fn third_octaves_of(path: &std::path::Path) -> Vec<f64> {
    let audio = mixgraph_nodes::io::decode::decode_file(path).unwrap();
    let mid: Vec<f32> = audio.channels[0].iter().zip(&audio.channels[1]).map(|(l, r)| 0.5 * (l + r)).collect();
    let centres: Vec<f64> = (2..=28).map(|i| 1000.0 * 2f64.powf((i as f64 - 16.0) / 3.0)).collect();
    mixgraph_analysis::smoothed_levels_db(&mid, f64::from(audio.sample_rate), &centres, 1.0 / 3.0)
}

#[test]
fn a_reference_pulls_loudness_tone_and_width_toward_it() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    let mix = dir.path().join("demo_mix.wav");
    // The reference: the same music, brighter, leaner, wider and louder.
    let shaping = dir.path().join("shaping.json");
    std::fs::write(
        &shaping,
        r#"{"format": "mixgraph/1", "nodes": [
            {"id": "in", "type": "io.input", "config": {"channels": 2}},
            {"id": "eq", "type": "eq.parametric", "params": {
                "band1_on": true, "band1_type": "high_shelf", "band1_freq_hz": 3000, "band1_gain_db": 6,
                "band2_on": true, "band2_type": "low_shelf", "band2_freq_hz": 150, "band2_gain_db": -4}},
            {"id": "wide", "type": "space.stereo", "params": {"width": 1.4}},
            {"id": "gain", "type": "util.gain", "params": {"gain_db": 2}},
            {"id": "out", "type": "io.output", "config": {"channels": 2}}],
          "edges": [{"from": "in.out", "to": "eq.in"}, {"from": "eq.out", "to": "wide.in"},
                    {"from": "wide.out", "to": "gain.in"}, {"from": "gain.out", "to": "out.in"}]}"#,
    )
    .unwrap();
    let reference = dir.path().join("reference.wav");
    ok(mixgraph(&["render", "--graph", s(&shaping), "--in", s(&mix), "--out", s(&reference)]));
    let plain = dir.path().join("plain.wav");
    let matched = dir.path().join("matched.wav");
    let graph = dir.path().join("matched.json");
    ok(mixgraph(&["master", s(&mix), "--out", s(&plain)]));
    let printed = ok(mixgraph(&[
        "master",
        s(&mix),
        "--out",
        s(&matched),
        "--reference",
        s(&reference),
        "--save-graph",
        s(&graph),
    ]));
    assert!(printed.contains("matching  mid EQ"), "{printed}");
    let (want, want_side, want_lufs) = balance_of(&reference);
    let (before, before_side, _) = balance_of(&plain);
    let (after, after_side, after_lufs) = balance_of(&matched);
    let distance = |x: &[f64]| x.iter().zip(&want).skip(1).map(|(a, b)| (a - b).abs()).sum::<f64>() / 9.0;
    println!(
        "octave balance off the reference by {:.2} dB without matching, {:.2} dB with; side/mid {:.1} -> {:.1} dB (reference {:.1}); {:.2} LUFS (reference {:.2})",
        distance(&before),
        distance(&after),
        before_side,
        after_side,
        want_side,
        after_lufs,
        want_lufs
    );
    assert!(distance(&after) < 0.6 * distance(&before), "the tonal balance moves toward the reference");
    // Finer: third octaves of the mid, with the mean difference taken out.
    let fine = |x: &[f64], y: &[f64]| {
        let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        d.iter().map(|v| (v - mean).abs()).sum::<f64>() / d.len() as f64
    };
    let want_fine = third_octaves_of(&reference);
    let (fine_before, fine_after) =
        (fine(&third_octaves_of(&plain), &want_fine), fine(&third_octaves_of(&matched), &want_fine));
    println!(
        "mid third octaves 40 Hz-16 kHz off the reference by {fine_before:.2} dB without matching, {fine_after:.2} dB with"
    );
    assert!(fine_after < 0.5 * fine_before, "the fine balance moves toward the reference");
    assert!((after_side - want_side).abs() < 0.6 * (before_side - want_side).abs(), "and the width");
    assert!((after_lufs - want_lufs).abs() <= 0.5, "its loudness is the target");
    let saved = std::fs::read_to_string(&graph).unwrap();
    assert!(saved.contains("\"ref_eq\"") && saved.contains("\"ref_width\""));
    let again = dir.path().join("again.wav");
    ok(mixgraph(&["render", "--graph", s(&graph), "--in", s(&mix), "--out", s(&again)]));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&matched).unwrap());
}

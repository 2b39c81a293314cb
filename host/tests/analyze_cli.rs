//! End-to-end tests of `mixgraph analyze`; fixtures are generated here.

mod support;

use support::*;

#[test]
fn analyze_measures_a_file_and_the_second_run_comes_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    // Left: 1 kHz at 0.5 (−6.02 dBFS); right at half that (−12.04 dBFS).
    write_wav(&wav, &sine(5 * RATE as usize, 1000.0, 0.5, RATE), RATE);
    let cache = dir.path().join("cache");
    let args = ["analyze", "--json", "--cache-dir", s(&cache), s(&wav)];
    let first = mixgraph(&args);
    let json: serde_json::Value = serde_json::from_str(&ok(first)).expect("JSON");
    let a = &json[0]["analysis"];
    assert_eq!(json[0]["cached"], false);
    let level = |ch: usize, field: &str| a["levels"][ch][field].as_f64().unwrap();
    assert!((level(0, "sample_peak_dbfs") + 6.02).abs() < 0.01, "{a}");
    assert!((level(1, "sample_peak_dbfs") + 12.04).abs() < 0.01, "{a}");
    assert!((level(0, "crest_db") - 3.01).abs() < 0.01, "{a}");
    assert!((a["stereo"]["balance_db"].as_f64().unwrap() - 6.02).abs() < 0.01, "{a}");
    assert_eq!(a["stereo"]["correlation"], 1.0);
    assert!(a["spectrum"]["octave_db"][5].as_f64().unwrap() > -0.01, "1 kHz octave: {a}");
    assert!((a["duration_s"].as_f64().unwrap() - 5.0).abs() < 1e-9);
    assert_eq!(a["loudness"]["short_term_lufs"].as_array().unwrap().len(), 50);

    let second = mixgraph(&args);
    assert!(stderr(&second).contains("from cache"), "{}", stderr(&second));
    let again: serde_json::Value = serde_json::from_str(&ok(second)).expect("JSON");
    assert_eq!(again[0]["cached"], true);
    assert_eq!(again[0]["analysis"], json[0]["analysis"], "the cache returns the same results");

    // The table names the file and the headline numbers.
    let table = ok(mixgraph(&["analyze", "--cache-dir", s(&cache), s(&wav)]));
    assert!(
        table.contains("tone.wav") && table.contains("LUFS integrated") && table.contains("-6.02 / -12.04 dBFS"),
        "{table}"
    );
}

#[test]
fn unreadable_files_are_named_and_no_cache_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.wav");
    std::fs::write(&bad, b"this is not audio at all").unwrap();
    let cache = dir.path().join("cache");
    fails(mixgraph(&["analyze", "--no-cache", "--cache-dir", s(&cache), s(&bad)]), &["broken.wav"]);
    fails(mixgraph(&["analyze", s(&dir.path().join("missing.wav"))]), &["missing.wav"]);
    assert!(!cache.exists(), "--no-cache must not create the cache");
}

#[test]
fn the_demo_mix_reads_120_bpm_from_bar_one_in_the_key_of_its_chords() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    let mix = dir.path().join("demo_mix.wav");
    let cache = dir.path().join("cache");
    let analysis = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["analyze", "--json", "--cache-dir", s(&cache)];
        args.extend_from_slice(extra);
        args.push(s(&mix));
        let json: serde_json::Value = serde_json::from_str(&ok(mixgraph(&args))).expect("JSON");
        json[0]["analysis"].clone()
    };
    let a = analysis(&[]);
    let tempo = &a["tempo"];
    let bpm = tempo["bpm"].as_f64().unwrap();
    assert!((bpm - 120.0).abs() < 0.05, "the demo is at 120 BPM: {tempo}");
    let downbeats: Vec<f64> = tempo["downbeats_s"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    // Eight bars of two seconds from 0 s.
    assert_eq!(downbeats.len(), 9, "{downbeats:?}");
    for (bar, d) in downbeats.iter().enumerate() {
        assert!((d - 2.0 * bar as f64).abs() < 0.02, "bar {bar} found at {d} s");
    }
    // Am – F – C – G uses exactly the C major scale: A minor and its
    // relative C major share Camelot 8.
    let camelot = a["key"]["camelot"].as_str().unwrap();
    assert!(camelot == "8A" || camelot == "8B", "{}", a["key"]);

    // Asked for tempos in 50–100 BPM, the same beat reads half time, and
    // the cache keeps the two results apart.
    let slow = analysis(&["--min-bpm", "50"]);
    assert!((slow["tempo"]["bpm"].as_f64().unwrap() - 60.0).abs() < 0.05, "{}", slow["tempo"]);
    assert!((analysis(&[])["tempo"]["bpm"].as_f64().unwrap() - bpm).abs() < 1e-9);
    let refused = mixgraph(&["analyze", "--min-bpm", "5", s(&mix)]);
    assert_eq!(refused.status.code(), Some(2), "a usage error");
    assert!(stderr(&refused).contains("'--min-bpm <BPM>': 5 is outside 30..=200 BPM"), "{}", stderr(&refused));
}

#[test]
fn stems_get_roles_and_a_masking_map() {
    let dir = tempfile::tempdir().unwrap();
    ok(mixgraph(&["demo", "--out", s(dir.path())]));
    let stems = demo_stems(dir.path());
    // One more stem, named as nothing: a low sine reads as bass from its sound.
    let take = dir.path().join("take 7.wav");
    let low: Vec<Vec<f32>> = sine(4 * RATE as usize, 55.0, 0.15, RATE).into_iter().collect();
    write_wav(&take, &low, RATE);
    let mut args = vec!["analyze", "--json", "--stems", "--no-cache"];
    args.extend(stems.iter().map(|p| s(p)));
    args.push(s(&take));
    let json: serde_json::Value = serde_json::from_str(&ok(mixgraph(&args))).expect("JSON");
    assert_eq!(json["files"].as_array().unwrap().len(), 5);
    let roles: Vec<(String, String)> = json["between"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["role"].as_str().unwrap().to_string(), r["source"].as_str().unwrap().to_string()))
        .collect();
    let want = [("drums", "name"), ("bass", "name"), ("synth", "name"), ("lead", "name"), ("bass", "audio")];
    assert_eq!(roles, want.map(|(r, s)| (r.to_string(), s.to_string())), "{}", json["between"]["roles"]);
    let pairs = json["between"]["masking"].as_array().unwrap();
    assert_eq!(pairs.len(), 10, "every pair of five stems");
    // The two basses fight below 100 Hz far more than anything else does.
    let basses = pairs.iter().find(|p| p["a"] == 1 && p["b"] == 4).expect("bass × take 7");
    assert_eq!(basses["worst_band_hz"], serde_json::json!([0.0, 100.0]), "{basses}");
    assert!(basses["bands"][0].as_f64().unwrap() > 0.5, "{basses}");

    let mut table_args = vec!["analyze", "--stems", "--no-cache"];
    table_args.extend(stems.iter().map(|p| s(p)));
    let table = ok(mixgraph(&table_args));
    assert!(table.contains("bass.wav") && table.contains("(from its name)") && table.contains("masking"), "{table}");
}

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

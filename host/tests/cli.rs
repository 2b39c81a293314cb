//! End-to-end tests of the `mixgraph` binary: every fixture (audio and graph
//! files) is generated here into a temporary directory.

use std::path::{Path, PathBuf};
use std::process::Output;

mod support;

use support::*;

/// Stereo `in` → `util.gain` (id `trim`, `gain_db`) → `filter.biquad` (`eq`,
/// flat by default) → `out`.
const GAIN_GRAPH: &str = r#"{
  "format": "mixgraph/1",
  "nodes": [
    {"id": "in", "type": "io.input", "config": {"channels": 2}},
    {"id": "trim", "type": "util.gain", "config": {"channels": 2}, "params": {"gain_db": -6.0206}},
    {"id": "levels", "type": "meter.levels", "config": {"channels": 2}},
    {"id": "out", "type": "io.output", "config": {"channels": 2}}
  ],
  "edges": [{"from": "in", "to": "trim"}, {"from": "trim", "to": "levels"}, {"from": "levels", "to": "out"}]
}"#;

/// A filter whose output depends on history, to make block-size effects visible.
const EQ_GRAPH: &str = r#"{
  "format": "mixgraph/1",
  "nodes": [
    {"id": "in", "type": "io.input", "config": {"channels": 2}},
    {"id": "eq", "type": "filter.biquad", "params": {"kind": "lowpass", "freq_hz": 800, "q": 2}},
    {"id": "trim", "type": "util.gain", "params": {"gain_db": -3}},
    {"id": "out", "type": "io.output", "config": {"channels": 2}}
  ],
  "edges": [{"from": "in", "to": "eq"}, {"from": "eq", "to": "trim"}, {"from": "trim", "to": "out"}]
}"#;

/// A temp dir holding `graph.json` (= `graph`) and `in.wav` (1 s stereo sine, float).
struct Fixture {
    dir: tempfile::TempDir,
    graph: PathBuf,
    input: PathBuf,
    signal: [Vec<f32>; 2],
}

impl Fixture {
    fn new(graph: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let graph_path = dir.path().join("graph.json");
        std::fs::write(&graph_path, graph).unwrap();
        let input = dir.path().join("in.wav");
        let signal = sine(RATE as usize, 997.0, 0.5, RATE);
        write_wav(&input, &signal, RATE);
        Fixture { graph: graph_path, input, signal, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn render(&self, out: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["render", "--graph", s(&self.graph), "--in", s(&self.input), "--out", s(out)];
        args.extend_from_slice(extra);
        mixgraph(&args)
    }

    /// Files in the fixture directory other than the fixture's own.
    fn leftovers(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "graph.json" && n != "in.wav")
            .collect();
        names.sort();
        names
    }
}

#[test]
fn render_through_a_gain_graph_is_exact_in_wav32f() {
    let f = Fixture::new(GAIN_GRAPH);
    let out = f.path("out.wav");
    let text = ok(f.render(&out, &["--format", "wav32f"]));
    let (spec, audio) = read_wav(&out);
    assert_eq!((spec.channels, spec.sample_rate), (2, RATE));
    assert_eq!(audio[0].len(), f.signal[0].len(), "no tail, no latency: same length as the input");
    for (c, (got, sent)) in audio.iter().zip(&f.signal).enumerate() {
        let db = 20.0 * (rms(got) / rms(sent)).log10();
        assert!((db + 6.02).abs() < 0.01, "channel {c}: {db} dB");
    }
    // Sample by sample: the output is the input times the gain, time-aligned.
    let max_err = audio[0].iter().zip(&f.signal[0]).map(|(y, x)| (y - 0.5 * x).abs()).fold(0.0f32, f32::max);
    assert!(max_err < 1e-5, "{max_err}");
    assert!(text.contains("duration  1.000 s (48000 frames)"), "{text}");
    assert!(text.contains("LUFS integrated") && text.contains("dBTP") && text.contains("dBFS"), "{text}");
    assert!(text.contains("x real time"), "{text}");
    assert!(text.contains("meter     levels.levels: peak"), "{text}");
    assert_eq!(f.leftovers(), ["out.wav"], "no temporary file left");
}

#[test]
fn declared_targets_are_reported_met_or_missed() {
    // GAIN_GRAPH with targets: its output (997 Hz at -12 dBFS left, -18 right)
    // reads about -14.1 LUFS and -12.0 dBTP.
    let graph = GAIN_GRAPH.replacen(
        r#""nodes""#,
        r#""targets": {"integrated_lufs": -14, "true_peak_dbtp": -20},
  "nodes""#,
        1,
    );
    let f = Fixture::new(&graph);
    let text = ok(f.render(&f.path("out.wav"), &[]));
    assert!(text.contains("target    integrated -14.0 ± 1.0 LUFS: measured -14.1 LUFS, met\n"), "{text}");
    assert!(text.contains("target    true peak ≤ -20.0 dBTP: measured -12.0 dBTP, MISSED\n"), "{text}");
    let plain = ok(Fixture::new(GAIN_GRAPH).render(&f.path("plain.wav"), &[]));
    assert!(!plain.contains("target"), "{plain}");
}

#[test]
fn set_changes_the_result() {
    let f = Fixture::new(GAIN_GRAPH);
    let out = f.path("out.wav");
    ok(f.render(&out, &["--format", "wav32f", "--set", "trim.gain_db=-12"]));
    let (_, audio) = read_wav(&out);
    let db = 20.0 * (rms(&audio[0]) / rms(&f.signal[0])).log10();
    assert!((db + 12.0).abs() < 0.01, "{db} dB");
}

#[test]
fn formats_write_the_right_headers() {
    let f = Fixture::new(GAIN_GRAPH);
    for (format, bits, kind) in [
        ("wav16", 16, hound::SampleFormat::Int),
        ("wav24", 24, hound::SampleFormat::Int),
        ("wav32f", 32, hound::SampleFormat::Float),
    ] {
        let out = f.path(&format!("{format}.wav"));
        ok(f.render(&out, &["--format", format]));
        let (spec, audio) = read_wav(&out);
        assert_eq!((spec.bits_per_sample, spec.sample_format, spec.channels), (bits, kind, 2), "{format}");
        assert_eq!((spec.sample_rate, audio[0].len()), (RATE, RATE as usize), "{format}");
        let db = 20.0 * (rms(&audio[0]) / rms(&f.signal[0])).log10();
        assert!((db + 6.02).abs() < 0.02, "{format}: {db} dB");
    }
}

#[test]
fn block_size_does_not_change_the_output_and_renders_repeat_bit_for_bit() {
    let f = Fixture::new(EQ_GRAPH);
    let render = |name: &str, block: &str, format: &str| {
        let out = f.path(name);
        ok(f.render(&out, &["--format", format, "--block-size", block]));
        std::fs::read(out).unwrap()
    };
    let a = render("a.wav", "512", "wav32f");
    assert_eq!(a, render("b.wav", "1", "wav32f"), "block 1 vs 512");
    assert_eq!(a, render("c.wav", "37", "wav32f"), "block 37 vs 512");
    assert_eq!(a, render("d.wav", "512", "wav32f"), "same render twice");
    assert_eq!(render("e.wav", "512", "wav16"), render("f.wav", "64", "wav16"), "dithered 16-bit repeats");
    // The biquad's tail is rendered after the input ends.
    let (_, audio) = read_wav(&f.path("a.wav"));
    assert!(audio[0].len() > RATE as usize, "{}", audio[0].len());
}

#[test]
fn mono_input_feeds_a_stereo_graph_at_its_own_rate() {
    let f = Fixture::new(GAIN_GRAPH);
    let mono = f.path("mono.wav");
    let [left, _] = sine(44_100, 440.0, 0.25, 44_100);
    write_wav(&mono, std::slice::from_ref(&left), 44_100);
    let out = f.path("out.wav");
    ok(mixgraph(&["render", "--graph", s(&f.graph), "--in", &format!("in={}", s(&mono)), "--out", s(&out)]));
    let (spec, audio) = read_wav(&out);
    assert_eq!((spec.sample_rate, spec.channels, audio[0].len()), (44_100, 2, 44_100));
    assert_eq!(audio[0], audio[1], "mono is duplicated to both channels");
    // --sample-rate resamples the input to the render rate.
    ok(mixgraph(&["render", "--graph", s(&f.graph), "--in", s(&mono), "--out", s(&out), "--sample-rate", "48000"]));
    let (spec, audio) = read_wav(&out);
    assert_eq!(spec.sample_rate, 48_000);
    assert!((audio[0].len() as i64 - 48_000).abs() <= 2, "{}", audio[0].len());
}

#[test]
fn an_unknown_tail_ends_on_silence_or_the_tail_limit() {
    let graph = r#"{
      "format": "mixgraph/1",
      "nodes": [
        {"id": "in", "type": "io.input", "config": {"channels": 2}},
        {"id": "loop", "type": "util.feedback_delay", "params": {"delay_ms": 100}},
        {"id": "g", "type": "util.gain", "params": {"gain_db": -30}},
        {"id": "out", "type": "io.output", "config": {"channels": 2}}
      ],
      "edges": [{"from": "in", "to": "g"}, {"from": "g", "to": "loop"}, {"from": "loop", "to": "g"},
                {"from": "g", "to": "out"}]
    }"#;
    let f = Fixture::new(graph);
    let out = f.path("out.wav");
    ok(f.render(&out, &["--format", "wav32f"]));
    let frames = read_wav(&out).1[0].len();
    // Echoes at −30 dB per 100 ms fall below −120 dBFS within ~0.4 s, then 0.5 s of silence.
    assert!(frames > 48_000 + 24_000 && frames < 48_000 + 2 * 48_000, "{frames}");
    ok(f.render(&out, &["--format", "wav32f", "--tail", "0.25"]));
    assert_eq!(read_wav(&out).1[0].len(), 48_000 + 12_000);
}

#[test]
fn several_outputs_need_a_choice() {
    let graph = r#"{
      "format": "mixgraph/1",
      "nodes": [
        {"id": "in", "type": "io.input", "config": {"channels": 2}},
        {"id": "quiet", "type": "util.gain", "params": {"gain_db": -20}},
        {"id": "main", "type": "io.output", "config": {"channels": 2}},
        {"id": "monitor", "type": "io.output", "config": {"channels": 2}}
      ],
      "edges": [{"from": "in", "to": "main"}, {"from": "in", "to": "quiet"}, {"from": "quiet", "to": "monitor"}]
    }"#;
    let f = Fixture::new(graph);
    let out = f.path("out.wav");
    fails(f.render(&out, &[]), &["several outputs", "--output", "main", "monitor"]);
    ok(f.render(&out, &["--output", "monitor", "--format", "wav32f"]));
    let (_, audio) = read_wav(&out);
    let db = 20.0 * (rms(&audio[0]) / rms(&f.signal[0])).log10();
    assert!((db + 20.0).abs() < 0.01, "{db}");
}

#[test]
fn bad_input_gives_one_clear_error_and_no_output_file() {
    let f = Fixture::new(GAIN_GRAPH);
    let out = f.path("out.wav");
    let out_s = s(&out);
    let graph = s(&f.graph);
    let text_wav = f.path("notes.wav");
    std::fs::write(&text_wav, "these are notes, not audio").unwrap();
    let bad_graph = f.path("bad.json");
    std::fs::write(&bad_graph, r#"{"format": "mixgraph/1", "nodes": [{"id": "x", "type": "util.nope"}]}"#).unwrap();
    let missing = f.path("missing.wav");
    let drums = format!("drums={}", s(&f.input));
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--in", s(&missing)], vec!["input 'in'", "missing.wav"]),
        (vec!["--in", s(&text_wav)], vec!["input 'in'", "notes.wav"]),
        (vec!["--in", &drums], vec!["no input named 'drums'", "it has: in"]),
        (vec![], vec!["graph input 'in' has no file: pass --in in=PATH"]),
        (vec!["--in", s(&f.input), "--set", "nope.gain_db=1"], vec!["--set", "unknown node 'nope'"]),
        (vec!["--in", s(&f.input), "--set", "trim.volume=1"], vec!["--set", "'trim'", "'volume'", "gain_db"]),
        (vec!["--in", s(&f.input), "--set", "trim.gain_db=40"], vec!["trim.gain_db", "40", "-96 to 24 dB"]),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["render", "--graph", graph, "--out", out_s];
        args.extend(extra);
        fails(mixgraph(&args), &needles);
        assert!(f.leftovers().iter().all(|n| !n.starts_with("out.wav")), "{args:?} left {:?}", f.leftovers());
    }
    let unwritable = f.path("no/such/dir/out.wav");
    fails(
        mixgraph(&["render", "--graph", graph, "--in", s(&f.input), "--out", s(&unwritable)]),
        &["cannot create output", "no/such/dir/out.wav"],
    );
    fails(
        mixgraph(&["render", "--graph", s(&bad_graph), "--in", s(&f.input), "--out", out_s]),
        &["bad.json", "node 'x'", "type", "util.nope"],
    );
    fails(mixgraph(&["render", "--graph", s(&text_wav), "--in", s(&f.input), "--out", out_s]), &["notes.wav", "JSON"]);
    assert!(!out.exists());
    // Usage errors come from the argument parser with exit code 2.
    let o = mixgraph(&["render", "--graph", graph, "--out", out_s, "--block-size", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = mixgraph(&["render", "--graph", graph, "--out", out_s, "--format", "mp3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn validate_reports_each_file_and_fails_on_any_error() {
    let f = Fixture::new(GAIN_GRAPH);
    let text = ok(mixgraph(&["validate", s(&f.graph)]));
    assert_eq!(text.trim(), format!("ok  {} (4 nodes, latency 0 frames)", s(&f.graph)));
    let bad = f.path("bad.json");
    std::fs::write(
        &bad,
        r#"{"format": "mixgraph/1", "nodes": [{"id": "eq", "type": "filter.biquad", "params": {"freq_hz": 99999}}]}"#,
    )
    .unwrap();
    let o = mixgraph(&["validate", s(&f.graph), s(&bad)]);
    assert!(stdout(&o).contains("ok  "), "{}", stdout(&o));
    let err = fails(o, &["bad.json", "node 'eq'", "params.freq_hz", "99999"]);
    assert!(err.contains("1 of 2 files failed"), "{err}");
    let cycle = f.path("cycle.json");
    std::fs::write(
        &cycle,
        r#"{"format": "mixgraph/1", "nodes": [{"id": "a", "type": "util.gain"}, {"id": "b", "type": "util.gain"}],
            "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}"#,
    )
    .unwrap();
    fails(mixgraph(&["validate", s(&cycle)]), &["cycle.json", "cycle", "a", "b"]);
}

#[test]
fn nodes_lists_every_registered_type_as_table_and_json() {
    let registry = mixgraph_nodes::registry();
    let table = ok(mixgraph(&["nodes"]));
    let json: serde_json::Value = serde_json::from_str(&ok(mixgraph(&["nodes", "--json"]))).unwrap();
    let listed: Vec<&str> = json.as_array().unwrap().iter().map(|t| t["type_id"].as_str().unwrap()).collect();
    for t in registry.types() {
        assert!(table.lines().any(|l| l.starts_with(&format!("{} ", t.type_id))), "{} not in table", t.type_id);
        assert!(listed.contains(&t.type_id), "{} not in JSON", t.type_id);
    }
    assert_eq!(listed.len(), registry.types().count());
    let biquad = ok(mixgraph(&["nodes", "filter.biquad"]));
    assert!(biquad.contains("freq_hz") && biquad.contains("Hz (log)") && biquad.contains("lowpass"), "{biquad}");
    let one: serde_json::Value = serde_json::from_str(&ok(mixgraph(&["nodes", "util.gain", "--json"]))).unwrap();
    assert_eq!(one["params"][0]["id"], "gain_db");
    assert_eq!(one["config"][0]["name"], "channels");
    fails(mixgraph(&["nodes", "util.nope"]), &["unknown node type 'util.nope'", "util.gain"]);
}

#[test]
fn demo_writes_four_stems_and_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    // A plain sum with no tail, so the mix is exactly as long as the stems.
    let sum = dir.path().join("sum.json");
    std::fs::write(
        &sum,
        r#"{"format": "mixgraph/1", "nodes": [
            {"id": "drums", "type": "io.input"}, {"id": "bass", "type": "io.input"},
            {"id": "chords", "type": "io.input"}, {"id": "lead", "type": "io.input"},
            {"id": "mix", "type": "util.mix", "config": {"inputs": 4}}, {"id": "out", "type": "io.output"}],
           "edges": [{"from": "drums", "to": "mix.in1"}, {"from": "bass", "to": "mix.in2"},
                     {"from": "chords", "to": "mix.in3"}, {"from": "lead", "to": "mix.in4"},
                     {"from": "mix", "to": "out"}]}"#,
    )
    .unwrap();
    let custom = dir.path().join("custom");
    let text = ok(mixgraph(&["demo", "--out", s(&custom), "--graph", s(&sum), "--sample-rate", "24000"]));
    assert!(text.contains("mixgraph render --graph"), "{text}");
    let mut stem_frames = 0;
    for stem in ["drums", "bass", "chords", "lead"] {
        let (spec, audio) = read_wav(&custom.join("stems").join(format!("{stem}.wav")));
        assert_eq!((spec.bits_per_sample, spec.channels, spec.sample_rate), (24, 2, 24_000), "{stem}");
        assert!(rms(&audio[0]) > 1e-3, "{stem} is silent");
        stem_frames = audio[0].len();
    }
    assert!((16 * 24_000..18 * 24_000).contains(&stem_frames), "{stem_frames}");
    let (spec, mix) = read_wav(&custom.join("demo_mix.wav"));
    assert_eq!((spec.channels, spec.sample_rate, mix[0].len()), (2, 24_000, stem_frames));

    // The built-in preset: at least as long as the stems, at most its tail longer.
    let builtin = dir.path().join("builtin");
    let text = ok(mixgraph(&["demo", "--out", s(&builtin)]));
    assert!(text.contains("presets/mix/demo_mix.json") && text.contains("LUFS"), "{text}");
    let (_, stems) = read_wav(&builtin.join("stems/lead.wav"));
    let (spec, mix) = read_wav(&builtin.join("demo_mix.wav"));
    assert_eq!((spec.channels, spec.sample_rate), (2, RATE));
    assert!(mix[0].len() >= stems[0].len(), "{} < {}", mix[0].len(), stems[0].len());
    let extra = mix[0].len() - stems[0].len();
    assert!(extra <= 10 * RATE as usize, "{extra} frames of tail");
    assert!(rms(&mix[0]) > 1e-3);
}

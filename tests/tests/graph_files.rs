//! Graph-file errors name the file, the node and the field.

use mixgraph_graph::{StreamInfo, file};

fn load_err(json: &str) -> String {
    let registry = mixgraph_nodes::registry();
    let graph = match file::load_str(json, "song.json", &registry) {
        Err(e) => return e.to_string(),
        Ok(g) => g,
    };
    match file::check(&graph, "song.json", &StreamInfo::new(48_000.0, 512)) {
        Err(e) => e.to_string(),
        Ok(()) => panic!("loaded without error"),
    }
}

fn graph(nodes: &str, edges: &str) -> String {
    format!(r#"{{"format": "mixgraph/1", "nodes": [{nodes}], "edges": [{edges}]}}"#)
}

const IO: &str = r#"{"id": "in", "type": "io.input"}, {"id": "out", "type": "io.output"}"#;

#[test]
fn each_mistake_gets_a_message_naming_file_node_and_field() {
    let cases = [
        (
            graph(r#"{"id": "eq", "type": "filter.biquadd"}"#, ""),
            "song.json: node 'eq': type: unknown node type 'filter.biquadd' (run `mixgraph nodes` for the list)",
        ),
        (
            graph(r#"{"id": "eq", "type": "filter.biquad", "params": {"freq": 100}}"#, ""),
            "song.json: node 'eq': params.freq: node 'eq' has no parameter 'freq' (it has: kind, freq_hz, q, gain_db)",
        ),
        (
            graph(r#"{"id": "eq", "type": "filter.biquad", "params": {"freq_hz": 30000}}"#, ""),
            "song.json: node 'eq': params.freq_hz: eq.freq_hz: 30000 is out of range (10 to 24000 Hz)",
        ),
        (
            graph(r#"{"id": "eq", "type": "filter.biquad", "params": {"kind": "bandstop"}}"#, ""),
            "song.json: node 'eq': params.kind: eq.kind: bandstop is out of range (one of lowpass, highpass, bandpass, notch, peak, lowshelf, highshelf, allpass)",
        ),
        (
            graph(r#"{"id": "a", "type": "util.gain"}, {"id": "a", "type": "util.gain"}"#, ""),
            "song.json: node 'a': id: duplicate node id 'a'",
        ),
        (
            graph(IO, r#"{"from": "in.out", "to": "ghost.in"}"#),
            "song.json: node 'ghost': edges[0]: unknown node 'ghost'",
        ),
        (
            graph(IO, r#"{"from": "in.left", "to": "out.in"}"#),
            "song.json: node 'out': edges[0]: node 'in' has no output port 'left' (it has: out)",
        ),
        (
            graph(
                r#"{"id": "in", "type": "io.input", "config": {"channels": 1}}, {"id": "out", "type": "io.output"}"#,
                r#"{"from": "in", "to": "out"}"#,
            ),
            "song.json: node 'out': edges[0]: channel mismatch: in.out has 1 channels, out.in has 2 (insert a channel map node)",
        ),
        (
            graph(r#"{"id": "g", "type": "util.gain", "config": {"chanels": 2}}"#, ""),
            "song.json: node 'g': config: config.chanels: unknown field (known: channels)",
        ),
        (
            graph(r#"{"id": "g", "type": "util.gain", "gain": 2}"#, ""),
            "song.json: node 'g': nodes[0]: unknown field `gain`, expected one of `id`, `type`, `config`, `params`, `position`",
        ),
        (
            graph(
                r#"{"id": "a", "type": "util.gain"}, {"id": "b", "type": "util.gain"}"#,
                r#"{"from": "a", "to": "b"}, {"from": "b", "to": "a"}"#,
            ),
            "song.json: cycle between nodes a -> b: break it with a feedback delay node (util.feedback_delay)",
        ),
        (
            r#"{"format": "mixgraph/2", "nodes": []}"#.to_string(),
            "song.json: format: \"mixgraph/2\" is from a newer mixgraph; this version reads \"mixgraph/1\"",
        ),
        (
            r#"{"format": "ableton/1", "nodes": []}"#.to_string(),
            "song.json: format: unknown format \"ableton/1\" (expected \"mixgraph/1\")",
        ),
        (r#"{"nodes": []}"#.to_string(), "song.json: format: missing (expected \"mixgraph/1\")"),
        (
            "{\"format\": \"mixgraph/1\",\n \"nodes\": [}".to_string(),
            "song.json: invalid JSON at line 2 column 12: expected value at line 2 column 12",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(load_err(&json), expected, "for {json}");
    }
}

fn with_targets(targets: &str) -> String {
    format!(
        r#"{{"format": "mixgraph/1", "targets": {targets}, "nodes": [{IO}], "edges": [{{"from": "in", "to": "out"}}]}}"#
    )
}

#[test]
fn bad_targets_name_the_file_and_the_field() {
    let cases = [
        (
            with_targets(r#"{"integrated_lufs": -14, "true_peak_dbtp": 0.5}"#),
            "song.json: targets.true_peak_dbtp: 0.5 is out of range (-60 to 0 dBTP)",
        ),
        (
            with_targets(r#"{"integrated_lufs": 3}"#),
            "song.json: targets.integrated_lufs: 3 is out of range (-70 to 0 LUFS)",
        ),
        (
            with_targets(r#"{"integrated_lufs": -14, "lufs_tolerance_lu": 0}"#),
            "song.json: targets.lufs_tolerance_lu: 0 is out of range (above 0, at most 10 LU)",
        ),
        (
            with_targets(r#"{"integrated_lufs": -14, "lufs_tolerance_lu": -1}"#),
            "song.json: targets.lufs_tolerance_lu: -1 is out of range (above 0, at most 10 LU)",
        ),
        (with_targets("{}"), "song.json: targets: declares no target (give integrated_lufs, true_peak_dbtp or both)"),
        (
            with_targets(r#"{"lufs": -14}"#),
            "song.json: targets: unknown field `lufs`, expected one of `integrated_lufs`, `lufs_tolerance_lu`, `true_peak_dbtp`",
        ),
        (
            with_targets(r#"{"integrated_lufs": "loud"}"#),
            "song.json: targets: invalid type: string \"loud\", expected f64",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(load_err(&json), expected, "for {json}");
    }
}

#[test]
fn targets_are_optional_and_round_trip() {
    let registry = mixgraph_nodes::registry();
    let without = file::load_str(&graph(IO, r#"{"from": "in", "to": "out"}"#), "a.json", &registry).unwrap();
    assert_eq!(without.targets, None);
    assert!(!serde_json::to_string(&file::to_file(&without)).unwrap().contains("targets"));
    let json = with_targets(r#"{"integrated_lufs": -9.5, "true_peak_dbtp": -1}"#);
    let with = file::load_str(&json, "b.json", &registry).unwrap();
    let t = with.targets.expect("targets kept");
    assert_eq!((t.integrated_lufs, t.lufs_tolerance_lu, t.true_peak_dbtp), (Some(-9.5), 1.0, Some(-1.0)));
    let written = serde_json::to_string(&file::to_file(&with)).unwrap();
    let again = file::load_str(&written, "c.json", &registry).unwrap();
    assert_eq!(again.targets, Some(t));
}

#[test]
fn an_unreadable_file_names_its_path() {
    let err =
        file::load_file(std::path::Path::new("/nonexistent/graph.json"), &mixgraph_nodes::registry()).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/graph.json: cannot read: "), "{err}");
}

fn with_macros(macros: &str) -> String {
    format!(
        r#"{{"format": "mixgraph/1", "nodes": [{IO}, {{"id": "eq", "type": "filter.biquad"}}],
            "edges": [{{"from": "in", "to": "eq"}}, {{"from": "eq", "to": "out"}}], "macros": {macros}}}"#
    )
}

#[test]
fn macros_round_trip_and_bad_ones_are_named() {
    let registry = mixgraph_nodes::registry();
    let json = with_macros(
        r#"[{"name": "Tone", "default": 0.5, "targets": [
            {"param": "eq.freq_hz", "min": 200, "max": 8000, "curve": "log"},
            {"param": "eq.gain_db", "min": 6, "max": -6}]}]"#,
    );
    let graph = file::load_str(&json, "m.json", &registry).unwrap();
    assert_eq!(graph.macros.len(), 1);
    assert_eq!(graph.macros[0].targets[1].value_at(0.25), 3.0);
    let written = serde_json::to_string(&file::to_file(&graph)).unwrap();
    assert_eq!(file::load_str(&written, "again.json", &registry).unwrap().macros, graph.macros);
    let cases = [
        (r#"[{"name": "", "targets": []}]"#, "song.json: macros[0].name: empty"),
        (r#"[{"name": "A", "default": 2, "targets": []}]"#, "song.json: macros[0].default: 2 is outside 0 to 1"),
        (
            r#"[{"name": "A", "targets": [{"param": "eq.freq", "min": 1, "max": 2}]}]"#,
            "song.json: macros[0].targets[0].param: node 'eq' has no parameter 'freq' (it has: kind, freq_hz, q, gain_db)",
        ),
        (
            r#"[{"name": "A", "targets": [{"param": "eq.freq_hz", "min": 1, "max": 2000}]}]"#,
            "song.json: node 'eq': macros[0].targets[0].min: 1 is outside 10 to 24000 Hz (freq_hz)",
        ),
        (
            r#"[{"name": "A", "targets": [{"param": "eq.gain_db", "min": -6, "max": 6, "curve": "log"}]}]"#,
            "song.json: node 'eq': macros[0].targets[0].curve: a log curve needs min and max above 0",
        ),
        (
            r#"[{"name": "A", "targets": [{"param": "eq.q", "min": 1, "max": 2, "curve": "cubic"}]}]"#,
            "song.json: macros[0]: unknown variant `cubic`, expected `linear` or `log`",
        ),
    ];
    for (macros, expected) in cases {
        assert_eq!(load_err(&with_macros(macros)), expected, "for {macros}");
    }
}

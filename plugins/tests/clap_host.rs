//! The built plugin, loaded as a DAW loads it (clack-host): its output for
//! a preset equals `mixgraph render` bit for bit, state round-trips, the
//! reported latency is the graph's, automation works, and odd and varying
//! block sizes at any rate work.

mod support;

use mixgraph_graph::{Engine, StreamInfo, file};
use support::{Plugin, Stereo, music, target_dir};

const EFFECT: &str = "org.mixgraph.effect";
const PRESET: &str = include_str!("../../presets/master/streaming.json");

/// The plugin state with its graph replaced by `graph` (what a DAW stores
/// after the user loads a graph file). nice-plug's CLAP state is the JSON
/// text's length (u64, little endian) followed by the JSON.
fn state_with_graph(plugin: &mut Plugin, graph: &str) -> Vec<u8> {
    let saved = plugin.save_state();
    let mut state: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("state is JSON");
    state["fields"]["graph"] = serde_json::Value::String(serde_json::to_string(graph).unwrap());
    let json = serde_json::to_vec(&state).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out
}

/// The compiled latency of `graph` at `sample_rate`, from the engine itself.
fn graph_latency(graph: &str, sample_rate: f64) -> u32 {
    let g = file::load_str(graph, "graph", &mixgraph_nodes::registry()).unwrap();
    Engine::new(g, StreamInfo::new(sample_rate, 512)).unwrap().0.report().latency_frames
}

fn padded(x: &Stereo, extra: usize) -> Stereo {
    x.clone().map(|mut c| {
        c.extend(std::iter::repeat_n(0.0, extra));
        c
    })
}

fn rms_db(x: &[f32]) -> f64 {
    (10.0 * (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).log10()).max(-200.0)
}

#[test]
fn the_plugin_describes_itself_with_named_macros_and_bypass() {
    let mut plugin = Plugin::load(EFFECT);
    let names: Vec<String> = plugin.params().into_iter().map(|(_, n)| n).collect();
    println!("parameters: {names:?}");
    assert_eq!(names.len(), 17, "16 macros and bypass");
    for name in ["Tilt (1)", "Threshold (2)", "Drive (6)", "Ceiling (8)", "Macro 9", "Macro 16", "Bypass"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
}

#[test]
fn a_preset_in_the_plugin_equals_mixgraph_render_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut plugin = Plugin::load(EFFECT);
    let state = state_with_graph(&mut plugin, PRESET);
    plugin.load_state(&state);
    let input = music(3 * 48_000, 48_000.0);
    let want_latency = graph_latency(PRESET, 48_000.0);
    let (out, latency) = plugin.process(48_000.0, 512, &padded(&input, want_latency as usize), None, &[512], &[]);
    assert_eq!(latency, want_latency, "reported latency is the graph's");
    assert!(latency > 0, "the streaming master has lookahead");

    let (wav_in, wav_ref, graph) = (dir.path().join("in.wav"), dir.path().join("ref.wav"), dir.path().join("g.json"));
    mixgraph_tests::write_wav(&wav_in, &input, 48_000);
    std::fs::write(&graph, PRESET).unwrap();
    support::ensure_built();
    let binary = target_dir().join("mixgraph");
    assert!(binary.exists(), "{} is missing after building it", binary.display());
    let status = std::process::Command::new(&binary)
        .args(["render", "--graph"])
        .arg(&graph)
        .arg("--in")
        .arg(format!("in={}", wav_in.display()))
        .arg("--out")
        .arg(&wav_ref)
        .args(["--format", "wav32f", "--block-size", "512"])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let (_, reference) = mixgraph_tests::read_wav(&wav_ref);
    let frames = input[0].len();
    for c in 0..2 {
        let plugin_aligned = &out[c][latency as usize..latency as usize + frames];
        let differing =
            plugin_aligned.iter().zip(&reference[c][..frames]).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        assert_eq!(differing, 0, "channel {c}: {differing} of {frames} samples differ from mixgraph render");
    }
    println!(
        "streaming preset: {frames} frames identical to mixgraph render (latency {latency}), output {:.1} dB RMS",
        rms_db(&reference[0])
    );
}

#[test]
fn a_state_restored_while_running_replaces_the_graph_and_reports_its_latency() {
    let mut plugin = Plugin::load(EFFECT);
    // Start with a graph without lookahead: in → gain → out.
    let plain = r#"{"format": "mixgraph/1", "nodes": [
        {"id": "in", "type": "io.input", "config": {"channels": 2}},
        {"id": "g", "type": "util.gain", "config": {"channels": 2}},
        {"id": "out", "type": "io.output", "config": {"channels": 2}}],
      "edges": [{"from": "in.out", "to": "g.in"}, {"from": "g.out", "to": "out.in"}]}"#;
    let state = state_with_graph(&mut plugin, plain);
    plugin.load_state(&state);
    let mut session = plugin.start(48_000.0, 512);
    let input = music(48_000, 48_000.0);
    let first = session.process(&mut plugin, &input, 0..4096);
    assert_eq!(plugin.latency(), 0);
    assert_eq!(&first[0][..4096], &input[0][..4096], "the plain graph passes the input");
    // The DAW restores a state holding the streaming master while it plays
    // (an undo, a snapshot): the next blocks run the new graph.
    let before = plugin.restarts_and_latency_changes();
    let state = state_with_graph(&mut plugin, PRESET);
    plugin.load_state(&state);
    let second = session.process(&mut plugin, &input, 4096..48_000);
    plugin.run_main_thread_tasks();
    let want = graph_latency(PRESET, 48_000.0);
    assert_eq!(plugin.latency(), want, "the new graph's latency is reported");
    let after = plugin.restarts_and_latency_changes();
    println!("restart requests and latency-changed calls: before {before:?}, after {after:?}");
    assert!(after.0 > before.0, "the host is asked to restart for the new latency");
    // After the 10 ms crossfade the output is no longer the plain input: the
    // master's EQ, compression and limiting (and its lookahead delay) run.
    let difference: Vec<f32> = second[0][20_000..].iter().zip(&input[0][24_096..]).map(|(a, b)| a - b).collect();
    println!(
        "after the restore: output {:.1} dB RMS, differs from the input by {:.1} dB RMS",
        rms_db(&second[0][20_000..]),
        rms_db(&difference)
    );
    assert!(rms_db(&difference) > -30.0, "the restored graph processes ({:.1} dB)", rms_db(&difference));
    // The swap is crossfaded: the first sample is still almost the plain graph's.
    let jump = (second[0][0] - input[0][4096]).abs();
    assert!(jump < 0.002, "no click at the swap: first sample off by {jump}");
    session.stop(&mut plugin);
}

#[test]
fn state_round_trips_with_the_graph_and_macro_values() {
    let mut first = Plugin::load(EFFECT);
    let drive = first.param_id("Drive (6)");
    let input = music(48_000, 48_000.0);
    // Automation moves Drive to 0.5; the state keeps it.
    let (out_first, _) = first.process(48_000.0, 512, &input, None, &[512], &[(0, drive, 0.5)]);
    let saved = first.save_state();
    let text = String::from_utf8(saved.clone()).unwrap();
    assert!(text.contains("drive.drive_db") && text.contains("macro_6"), "the graph and the macros are in the state");

    let mut second = Plugin::load(EFFECT);
    second.load_state(&saved);
    assert_eq!(second.save_state(), saved, "saving the restored state gives the same bytes");
    let (out_second, _) = second.process(48_000.0, 512, &input, None, &[512], &[]);
    assert_eq!(out_first, out_second, "the restored plugin sounds the same, sample for sample");
}

#[test]
fn automation_is_applied_at_its_frame() {
    let mut plugin = Plugin::load(EFFECT);
    let output = plugin.param_id("Output (7)");
    let input = music(96_000, 48_000.0);
    // Output macro 0.8 (0 dB) → 0.2 (−18 dB) at frame 48 000, inside a block.
    let (out, latency) = plugin.process(48_000.0, 512, &input, None, &[500], &[(48_000, output, 0.2)]);
    let change = 48_000 + latency as usize;
    let before = rms_db(&out[0][change - 24_000..change - 100]);
    let after = rms_db(&out[0][change + 4_800..]);
    println!("Output macro 0.8 -> 0.2 at frame 48000: {before:.1} dB -> {after:.1} dB RMS");
    assert!(before - after > 12.0, "{before} -> {after}");
}

#[test]
fn any_rate_and_odd_varying_blocks_work_with_the_latency_reported() {
    let mut plugin = Plugin::load(EFFECT);
    for rate in [44_100.0, 96_000.0, 192_000.0] {
        let input = music((rate * 0.5) as usize, rate);
        let (steady, latency) = plugin.process(rate, 1024, &input, None, &[1024], &[]);
        assert_eq!(latency, graph_latency(support_default_graph(), rate), "{rate} Hz");
        let (odd, _) = plugin.process(rate, 1024, &input, None, &[1, 7, 333, 1024, 64, 999], &[]);
        for c in 0..2 {
            assert!(odd[c].iter().all(|v| v.is_finite() && !v.is_subnormal()));
            let worst = steady[c].iter().zip(&odd[c]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            println!("{rate} Hz: latency {latency}, odd blocks differ from 1024-frame blocks by at most {worst:.2e}");
            assert!(worst <= 1e-4, "{rate} Hz channel {c}: {worst}");
        }
    }
}

fn support_default_graph() -> &'static str {
    mixgraph_plugins::DEFAULT_EFFECT_GRAPH
}

#[test]
fn the_sidechain_bus_keys_the_compressor() {
    let mut plugin = Plugin::load(EFFECT);
    let (sidechain_on, threshold) = (plugin.param_id("Sidechain (5)"), plugin.param_id("Threshold (2)"));
    let frames = 48_000;
    let quiet = music(frames, 48_000.0).map(|c| c.into_iter().map(|v| v * 0.1).collect::<Vec<f32>>());
    let loud = music(frames, 48_000.0).map(|c| c.into_iter().map(|v| v * 2.0).collect::<Vec<f32>>());
    // Keyed by the sidechain, threshold at −30 dB (macro 0.5).
    let changes = [(0, sidechain_on, 1.0), (0, threshold, 0.5)];
    let (free, _) = plugin.process(48_000.0, 512, &quiet, None, &[512], &changes);
    let (ducked, _) = plugin.process(48_000.0, 512, &quiet, Some(&loud), &[512], &changes);
    let (a, b) = (rms_db(&free[0][frames / 2..]), rms_db(&ducked[0][frames / 2..]));
    println!("quiet input, sidechain silent: {a:.1} dB RMS; loud sidechain: {b:.1} dB RMS");
    assert!(a - b > 6.0, "the sidechain drives gain reduction: {a} vs {b}");
}

#[test]
fn the_instrument_plays_midi_notes_at_their_pitch_and_frame() {
    let mut synth = Plugin::load("org.mixgraph.instrument");
    let names: Vec<String> = synth.params().into_iter().map(|(_, n)| n).collect();
    assert!(names.iter().any(|n| n == "Cutoff (1)") && names.iter().any(|n| n == "Volume (9)"), "{names:?}");
    // A3 (220 Hz) from frame 1000 to 25 000, inside 480-frame blocks.
    let (out, latency) = synth.play(48_000.0, 480, &[(1_000, 57, 0.8), (25_000, 57, 0.0)], 72_000);
    let start = 1_000 + latency as usize;
    assert!(out[0][..start].iter().all(|v| *v == 0.0), "silent until the note's frame");
    assert!(out[0][start..start + 48].iter().any(|v| *v != 0.0), "sound right at it");
    // Strongest partial of the sustained note, by DFT at 1 Hz steps over
    // 100-500 Hz (0.35 s: resolution about 3 Hz; a semitone at 220 Hz is 13).
    let held = &out[0][start + 4_800..start + 4_800 + 17_000];
    let power = |hz: f64| {
        let w = std::f64::consts::TAU * hz / 48_000.0;
        let (re, im) = held.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, v)| {
            (re + f64::from(*v) * (w * i as f64).cos(), im + f64::from(*v) * (w * i as f64).sin())
        });
        re * re + im * im
    };
    let f0 = (100..500).map(f64::from).max_by(|a, b| power(*a).total_cmp(&power(*b))).unwrap();
    println!("A3 on the instrument: strongest partial at {f0} Hz, latency {latency}, {:.1} dB RMS", rms_db(held));
    assert!((f0 - 220.0).abs() <= 3.0, "{f0}");
    // Released at 25 000: the 400 ms release and the reverb die away.
    assert!(rms_db(&out[0][70_000..]) < rms_db(held) - 40.0);
}

//! A graph plays through JACK's dummy backend (jackd started and stopped
//! here) for a few seconds while it is edited live; no xrun may occur.

use egui::Pos2;
use mixgraph_studio::audio::{AudioOut, AudioSettings};
use mixgraph_studio::document::Document;
use mixgraph_studio::live::LiveGraph;
use support::jack::{start_jack, use_server};

mod support;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[test]
fn a_graph_plays_through_jack_while_it_is_edited_with_no_xrun() {
    let server = "mixgraph-live-audio-test";
    use_server(server);
    let dir = tempfile::tempdir().unwrap();
    let mut jack = start_jack(server, dir.path().join("jackd.log"));
    let wav = dir.path().join("loop.wav");
    let tone = mixgraph_tests::sine(220.0, 0.3, 48_000.0, 48_000);
    mixgraph_tests::write_wav(&wav, &[tone.clone(), tone], 48_000);

    let registry = mixgraph_nodes::registry();
    let mut doc = Document::new();
    let config = serde_json::json!({ "path": wav });
    let player = doc.add_node_with("io.file_player", &config, Pos2::ZERO, &registry).unwrap();
    assert!(doc.set_param(player, "loop", 1.0));
    let eq = doc.add_node("eq.tilt", Pos2::ZERO, &registry).unwrap();
    doc.add_node("io.output", Pos2::ZERO, &registry).unwrap();
    doc.add_node("io.input", Pos2::ZERO, &registry).unwrap();
    doc.add_node("meter.levels", Pos2::ZERO, &registry).unwrap();
    for (a, b) in [("file_player.out", "tilt.in"), ("tilt.out", "output.in"), ("input.out", "levels.in")] {
        let (o, i) = doc.pins(a, b).unwrap();
        assert!(doc.connect(o, i), "{a} -> {b}");
    }
    let mut live = None;
    // jackd takes a moment to come up: retry the connection for a few seconds.
    // The graph's input node reads JACK's capture ports; MIDI is asked for
    // too (there is no ALSA sequencer here, which must not stop the audio).
    let settings = AudioSettings {
        host: Some("JACK".into()),
        buffer_frames: Some(256),
        input: true,
        midi: true,
        ..Default::default()
    };
    let started = Instant::now();
    let mut restarts = 0;
    let audio = loop {
        let result = AudioOut::start(&settings, |stream| {
            let (graph, executor) = LiveGraph::start(&doc, &registry, stream)?;
            live = Some(graph);
            Ok(executor)
        });
        match result {
            Ok(audio) => break audio,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                // A jackd that exited at once found our name taken by a dead
                // server it has just cleared away: start it again.
                if restarts < 3 && matches!(jack.child.try_wait(), Ok(Some(_))) {
                    restarts += 1;
                    jack = start_jack(server, dir.path().join(format!("jackd-{restarts}.log")));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("cannot play through JACK: {e}\n{}", jack.report()),
        }
    };
    let mut live = live.unwrap();
    println!("playing: {}", audio.description);
    // Three seconds of edits every 100 ms: parameters, a node added and removed.
    let begin = Instant::now();
    let mut step = 0;
    while begin.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(100));
        step += 1;
        assert!(doc.set_param(eq, "tilt_db", (step % 13) as f32 - 6.0));
        if step % 10 == 3 {
            let gain = doc.add_node("util.gain", Pos2::ZERO, &registry).unwrap();
            doc.snarl.drop_inputs(doc.pins("tilt.out", "output.in").unwrap().1);
            for (a, b) in [("tilt.out", "gain.in"), ("gain.out", "output.in")] {
                let (o, i) = doc.pins(a, b).unwrap();
                assert!(doc.connect(o, i));
            }
            let _ = gain;
        } else if step % 10 == 7
            && let Some(gain) = doc.find("gain")
        {
            doc.snarl.remove_node(gain);
            let (o, i) = doc.pins("tilt.out", "output.in").unwrap();
            assert!(doc.connect(o, i));
        }
        // A busy engine (the audio thread has not taken the last edit) retries next time.
        if let Err(e) = live.sync(&doc, &registry)
            && !LiveGraph::is_busy(&e)
        {
            panic!("sync: {e}");
        }
    }
    let stats = &audio.stats;
    let (callbacks, xruns) = (stats.callbacks.load(Ordering::Relaxed), stats.xruns.load(Ordering::Relaxed));
    let load = stats.load(audio.sample_rate);
    println!("{callbacks} callbacks in 3 s, {xruns} xruns, DSP load {:.1} %", load * 100.0);
    assert!(callbacks > 300, "the stream ran ({callbacks} callbacks)");
    // Captured audio reached the graph every period but the first few.
    let gaps = audio.input_stats.underruns.load(Ordering::Relaxed);
    println!("input: {gaps} periods without captured audio");
    assert!(audio.description.contains("input on"), "{}", audio.description);
    assert!(gaps * 20 < callbacks, "{gaps} input gaps in {callbacks} periods");
    assert_eq!(xruns, 0, "no xrun");
    assert!(!stats.failed.load(Ordering::Relaxed), "no stream error");
}

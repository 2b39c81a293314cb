//! The editor plays through JACK chosen in its Audio menu, reports the
//! device lost when the JACK server goes away, and plays again by itself
//! when the server comes back.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mixgraph_studio::Studio;
use mixgraph_studio::device::DevicePlayback;
use std::time::{Duration, Instant};
use support::jack::{start_jack, use_server};

mod support;

/// Steps the editor (it repaints itself while audio runs) until `done`
/// holds for its status, or panics after `limit`.
fn step_until(h: &mut Harness<'static, Studio>, limit: Duration, what: &str, done: impl Fn(&str) -> bool) {
    let start = Instant::now();
    while !done(&h.state().status) {
        assert!(start.elapsed() < limit, "{what}: status is still '{}'", h.state().status);
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn click(h: &mut Harness<'static, Studio>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(4);
}

#[test]
fn a_lost_jack_server_is_reported_and_audio_resumes_when_it_returns() {
    let server = "mixgraph-recovery-test";
    use_server(server);
    let dir = tempfile::tempdir().unwrap();
    let mut jack = start_jack(server, dir.path().join("jackd.log"));
    let mut studio = Studio::with_playback(Box::new(DevicePlayback::default()));
    assert!(studio.open_text(
        r#"{"format": "mixgraph/1", "nodes": [
            {"id": "in", "type": "io.input", "config": {"channels": 2}},
            {"id": "trim", "type": "util.gain", "config": {"channels": 2}},
            {"id": "out", "type": "io.output", "config": {"channels": 2}}],
          "edges": [{"from": "in.out", "to": "trim.in"}, {"from": "trim.out", "to": "out.in"}]}"#,
        "a test graph"
    ));
    let mut h =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, s: &mut Studio| s.ui(ui), studio);
    h.step();
    // Audio ▸ Backend ▸ JACK, then Audio ▸ Play (jackd may still be starting: retry).
    click(&mut h, "Audio");
    click(&mut h, "Backend ⏵");
    click(&mut h, "JACK");
    let start = Instant::now();
    while !h.state().status.starts_with("audio: JACK") {
        assert!(start.elapsed() < Duration::from_secs(10), "cannot play: {}\n{}", h.state().status, jack.report());
        h.key_press(egui::Key::Escape);
        click(&mut h, "Audio");
        click(&mut h, "Play");
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("playing: {}", h.state().status);

    // The server goes away: the editor says so and keeps trying.
    jack.stop();
    step_until(&mut h, Duration::from_secs(10), "device loss", |s| s.starts_with("error: the audio device stopped"));
    println!("lost: {}", h.state().status);

    // It comes back: within a retry period or two the editor plays again.
    let _jack = start_jack(server, dir.path().join("jackd-again.log"));
    step_until(&mut h, Duration::from_secs(15), "recovery", |s| s.starts_with("audio: JACK"));
    println!("recovered: {}", h.state().status);

    click(&mut h, "Audio");
    click(&mut h, "Stop");
    assert_eq!(h.state().status, "audio stopped");
}

//! The app starts on an X server (Xvfb, started and stopped here), opens a
//! preset and writes a screenshot that is not blank.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/process.rs"]
mod process;

/// An Xvfb server on a display it picks itself, stopped on drop.
///
/// `-displayfd` makes Xvfb choose a free display (skipping ones whose lock
/// files belong to dead servers) and print it once it accepts clients, and
/// SIGTERM lets it remove its lock file and socket: a display number derived
/// from the process id could meet a stale socket on a machine that keeps
/// `/tmp` between runs.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is needed for this test: scripts/test.sh installs it (apt-get install xvfb)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("Xvfb's stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("Xvfb's display");
        let number = line.trim();
        assert!(!number.is_empty() && number.chars().all(|c| c.is_ascii_digit()), "Xvfb did not start: '{line}'");
        Xvfb { child, display: format!(":{number}") }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        process::terminate(&mut self.child);
    }
}

#[test]
fn the_app_opens_a_preset_under_xvfb_and_its_screenshot_is_not_blank() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("studio.png");
    let preset = concat!(env!("CARGO_MANIFEST_DIR"), "/../presets/master/streaming.json");
    let mut app = Command::new(env!("CARGO_BIN_EXE_mixgraph-studio"))
        .arg(preset)
        .arg("--screenshot")
        .arg(&shot)
        .env("DISPLAY", &xvfb.display)
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = app.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = app.kill();
            panic!("the app did not quit after its screenshot within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = app.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "exit {status}: {stderr}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("screenshot written")));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    assert!(w >= 1000 && h >= 600, "{w}x{h}");
    let px: Vec<[u8; 4]> = pixels[..w * h * 4].chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
    let background = px[w * (h / 2) + w / 2];
    let different = px.iter().filter(|p| **p != background).count() as f64 / px.len() as f64;
    let mut colours: Vec<[u8; 4]> = px.clone();
    colours.sort();
    colours.dedup();
    println!(
        "screenshot {w}x{h}: {:.1} % of pixels differ from the centre's, {} colours",
        100.0 * different,
        colours.len()
    );
    assert!(different > 0.05 && colours.len() > 50, "the screenshot is not blank");
}

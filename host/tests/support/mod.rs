//! Helpers shared by the binary's end-to-end tests.
#![allow(dead_code)] // Each test file uses its own subset.

use std::path::Path;
use std::process::{Command, Output};

pub const RATE: u32 = 48_000;

/// Runs the binary with `args`.
pub fn mixgraph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mixgraph")).args(args).output().expect("run mixgraph")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Asserts success and returns stdout.
pub fn ok(o: Output) -> String {
    assert!(o.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", o.status, stdout(&o), stderr(&o));
    stdout(&o)
}

/// Asserts a user error: exit code 1, exactly one `error:` line that contains
/// every one of `needles`, and no panic.
pub fn fails(o: Output, needles: &[&str]) -> String {
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    for needle in needles {
        assert!(lines[0].contains(needle), "'{needle}' not in the error line:\n{err}");
    }
    err
}

/// A sine of `hz` at `amplitude`, with the right channel at half the level of
/// the left so the channels differ.
pub fn sine(frames: usize, hz: f32, amplitude: f32, rate: u32) -> [Vec<f32>; 2] {
    let left: Vec<f32> =
        (0..frames).map(|i| amplitude * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin()).collect();
    let right = left.iter().map(|x| 0.5 * x).collect();
    [left, right]
}

pub use mixgraph_tests::{read_wav, write_wav};

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Integrated loudness (LUFS), true peak (dBTP) and full-scale samples of a
/// stereo WAV file, measured with the `ebur128` crate (independently of
/// mixgraph's own meters).
pub fn measured(path: &Path) -> (f64, f64, usize) {
    let (spec, channels) = read_wav(path);
    let mut meter =
        ebur128::EbuR128::new(2, spec.sample_rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).expect("meter");
    let planar: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planar).expect("frames");
    let peak = (0..2).map(|c| meter.true_peak(c).expect("true peak")).fold(0.0, f64::max);
    let clipped = channels.iter().flatten().filter(|x| x.abs() >= 1.0).count();
    (meter.loudness_global().expect("loudness"), 20.0 * peak.log10(), clipped)
}

/// The demo's stems written by `mixgraph demo --out dir`, in the order
/// drums, bass, chords, lead.
pub fn demo_stems(dir: &Path) -> Vec<std::path::PathBuf> {
    ["drums", "bass", "chords", "lead"].iter().map(|n| dir.join("stems").join(format!("{n}.wav"))).collect()
}

/// Asserts that `dir/name` is a PNG of `width` pixels with more than a
/// blank page on it (at least 1 % of its pixels not white).
pub fn assert_png_picture(dir: &Path, name: &str, width: u32) {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(pixmap.width(), width, "{name}");
    let inked = pixmap.pixels().iter().filter(|p| p.red() < 200 || p.green() < 200 || p.blue() < 200).count();
    assert!(inked * 100 > pixmap.pixels().len(), "{name} is nearly blank ({inked} pixels drawn)");
}

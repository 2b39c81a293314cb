//! Whole-file analysis speed, × real time on one core: 30 s of 48 kHz stereo
//! (noise plus tones with a slow level change).

use criterion::{Criterion, Throughput};
use std::time::{Duration, Instant};

const SR: u32 = 48_000;
const SECONDS: usize = 30;

fn material() -> Vec<Vec<f32>> {
    let n = SR as usize * SECONDS;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..2)
        .map(|ch| {
            (0..n)
                .map(|i| {
                    let t = i as f32 / SR as f32;
                    let env = 0.6 + 0.4 * (0.5 * t).sin();
                    env * (0.2 * noise() + 0.3 * (std::f32::consts::TAU * (110.0 + ch as f32) * t).sin())
                })
                .collect()
        })
        .collect()
}

fn main() {
    let audio = material();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();
    let mut group = criterion.benchmark_group("analysis");
    group.throughput(Throughput::Elements((SR as usize * SECONDS) as u64));
    group.bench_function("analyze_30s_stereo", |b| {
        b.iter(|| mixgraph_analysis::analyze(&audio, SR, &Default::default(), &mut |_| {}).expect("analysis"))
    });
    group.finish();
    criterion.final_summary();
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            let _ = mixgraph_analysis::analyze(&audio, SR, &Default::default(), &mut |_| {});
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!("\nanalysis: {SECONDS} s of audio in {best:.3} s, {:.0}× real time on one core", SECONDS as f64 / best);
}

//! Meters drawn from the engine's telemetry (levels, gain reduction,
//! loudness, spectrum, scope, goniometer, correlation). The editor reads a
//! snapshot once per frame on the control thread; the audio thread only
//! writes lock-free triple buffers, so drawing never blocks audio.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, vec2};
use mixgraph_graph::MeterData;

const GREEN: Color32 = Color32::from_rgb(90, 200, 120);
const AMBER: Color32 = Color32::from_rgb(230, 180, 60);
const RED: Color32 = Color32::from_rgb(230, 80, 70);
/// Width of a meter, points.
const WIDTH: f32 = 200.0;

/// A horizontal bar from `lo` to `hi` (value clamped), with a label.
fn bar(ui: &mut Ui, width: f32, value: f32, lo: f32, hi: f32, colour: Color32, text: String) {
    let (rect, response) = ui.allocate_exact_size(vec2(width, 10.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let t = if value.is_finite() { ((value - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
    let filled = Rect::from_min_max(rect.min, Pos2::new(rect.min.x + t * rect.width(), rect.max.y));
    painter.rect_filled(filled, 2.0, colour);
    ui.label(egui::RichText::new(&text).small());
    response.on_hover_text(text);
}

fn db_text(v: f64) -> String {
    if v.is_finite() { format!("{v:.1}") } else { "-inf".to_string() }
}

/// A small line plot of `ys` (already in 0 … 1 from bottom to top).
fn plot(ui: &mut Ui, width: f32, ys: impl Iterator<Item = f32>, n: usize, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(vec2(width, width * 0.28), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let points: Vec<Pos2> = ys
        .enumerate()
        .map(|(i, y)| {
            let x = rect.min.x + rect.width() * i as f32 / (n.max(2) - 1) as f32;
            Pos2::new(x, rect.max.y - y.clamp(0.0, 1.0) * rect.height())
        })
        .collect();
    painter.add(egui::Shape::line(points, Stroke::new(1.2, colour)));
}

/// A peak meter's colour at `db` dBFS: red at full scale, amber within
/// 6 dB of it, green below.
pub fn peak_colour(db: f32) -> Color32 {
    if db > -0.1 {
        RED
    } else if db > -6.0 {
        AMBER
    } else {
        GREEN
    }
}

/// `m:ss.t` for a time in seconds.
pub fn clock(seconds: f64) -> String {
    let tenths = (seconds.max(0.0) * 10.0).round() as u64;
    format!("{}:{:02}.{}", tenths / 600, tenths / 10 % 60, tenths % 10)
}

/// Draws one meter named `name` (`node.meter`) at the canvas's size.
pub fn draw(ui: &mut Ui, name: &str, data: &MeterData) {
    draw_sized(ui, name, data, WIDTH);
}

/// Draws one meter `width` points wide (the inspector's are larger).
pub fn draw_sized(ui: &mut Ui, name: &str, data: &MeterData, width: f32) {
    let meter = name.split_once('.').map_or(name, |(_, m)| m);
    match data {
        MeterData::Levels { peak_db, rms_db } => {
            for (c, (peak, rms)) in peak_db.iter().zip(rms_db).enumerate() {
                let colour = peak_colour(*peak);
                bar(
                    ui,
                    width,
                    *peak,
                    -60.0,
                    0.0,
                    colour,
                    format!("ch {} peak {:.1} dBFS, RMS {:.1}", c + 1, peak, rms),
                );
            }
        }
        MeterData::GainReduction { db } => {
            bar(ui, width, *db, 0.0, 24.0, RED, format!("{meter}: gain reduction {db:.1} dB"))
        }
        MeterData::Gain { db } => bar(ui, width, *db, -24.0, 24.0, AMBER, format!("{meter}: gain {db:+.1} dB")),
        MeterData::Loudness { momentary_lufs, short_term_lufs, integrated_lufs, range_lu, true_peak_dbtp } => {
            ui.label(
                egui::RichText::new(format!(
                    "M {} S {} I {} LUFS, LRA {:.1} LU, TP {} dBTP",
                    db_text(*momentary_lufs),
                    db_text(*short_term_lufs),
                    db_text(*integrated_lufs),
                    range_lu,
                    db_text(*true_peak_dbtp)
                ))
                .small(),
            );
        }
        MeterData::Spectrum { magnitude_db, .. } => {
            plot(ui, width, magnitude_db.iter().map(|d| (d + 96.0) / 96.0), magnitude_db.len(), GREEN);
        }
        MeterData::Scope { channels } => {
            if let Some(first) = channels.first() {
                plot(ui, width, first.iter().map(|v| 0.5 + 0.5 * v), first.len(), GREEN);
            }
        }
        MeterData::Goniometer { points } => {
            let side = (width * 0.32).max(64.0);
            let (rect, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
            for [side, mid] in points.iter().take(512) {
                let p = rect.center() + vec2(side * rect.width() * 0.5, -mid * rect.height() * 0.5);
                painter.circle_filled(p, 0.8, GREEN);
            }
        }
        MeterData::Correlation { correlation, balance } => {
            let colour = if *correlation < 0.0 { RED } else { GREEN };
            bar(
                ui,
                width,
                *correlation,
                -1.0,
                1.0,
                colour,
                format!("correlation {correlation:+.2}, balance {balance:+.2}"),
            );
        }
        MeterData::Faults { nonfinite_samples, clipped_samples } => {
            ui.label(egui::RichText::new(format!("{nonfinite_samples} non-finite, {clipped_samples} clipped")).small());
        }
        MeterData::Transport { position_s, length_s, playing } => {
            let state = if *playing { "playing" } else { "stopped" };
            let text = format!("{state} {} / {}", clock(*position_s), clock(*length_s));
            bar(ui, width, (*position_s / length_s.max(1e-9)) as f32, 0.0, 1.0, GREEN, text);
        }
        // Kinds added to the engine later are listed by name only.
        _ => {
            ui.label(egui::RichText::new(meter).small());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    #[test]
    fn every_kind_of_meter_draws_with_its_numbers() {
        let meters = vec![
            ("lv.levels", MeterData::Levels { peak_db: vec![-6.0, -3.5], rms_db: vec![-12.0, -9.0] }),
            ("comp.gain_reduction", MeterData::GainReduction { db: 4.5 }),
            ("lev.gain", MeterData::Gain { db: -2.0 }),
            (
                "ld.loudness",
                MeterData::Loudness {
                    momentary_lufs: -14.2,
                    short_term_lufs: -15.0,
                    integrated_lufs: f64::NEG_INFINITY,
                    range_lu: 3.0,
                    true_peak_dbtp: -1.1,
                },
            ),
            ("sp.spectrum", MeterData::Spectrum { band_hz: vec![100.0, 1000.0], magnitude_db: vec![-20.0, -40.0] }),
            ("sc.scope", MeterData::Scope { channels: vec![vec![0.0, 0.5, -0.5]] }),
            ("co.goniometer", MeterData::Goniometer { points: vec![[0.1, 0.5]] }),
            ("co.correlation", MeterData::Correlation { correlation: 0.8, balance: -0.1 }),
            ("safety.faults", MeterData::Faults { nonfinite_samples: 0, clipped_samples: 3 }),
            ("fp.transport", MeterData::Transport { position_s: 83.44, length_s: 185.0, playing: true }),
        ];
        let harness = Harness::new_ui(|ui| {
            for (name, data) in &meters {
                draw(ui, name, data);
            }
        });
        for text in [
            "ch 2 peak -3.5 dBFS, RMS -9.0",
            "gain_reduction: gain reduction 4.5 dB",
            "M -14.2 S -15.0 I -inf LUFS, LRA 3.0 LU, TP -1.1 dBTP",
            "correlation +0.80, balance -0.10",
            "0 non-finite, 3 clipped",
            "playing 1:23.4 / 3:05.0",
        ] {
            assert!(harness.query_by_label(text).is_some(), "{text}");
        }
    }
}

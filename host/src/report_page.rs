//! The jobs' report pictures and HTML page: loudness over time, the
//! long-term spectrum before and after, gain reduction over time, and (for
//! a mix) the masking map and each stem's gain reduction, each as an SVG
//! and a PNG file beside `report.json`, and `report.html` showing them
//! with the numbers.

use crate::qc::{self, QcOutcome};
use crate::report_plots::{LinePlot, Series, heat_map, line_plot};
use crate::report_png::svg_to_png;
use crate::report_reduction::{self, NodeReduction};
use anyhow::{Context, Result};
use mixgraph_analysis::masking::{BARK_EDGES_HZ, MaskingPair};
use mixgraph_analysis::{Analysis, CURVE_STEP_S, OCTAVE_CENTRES_HZ};
use std::fmt::Write as _;
use std::path::Path;

/// One measured version of the audio, for the plots.
pub struct Version<'a> {
    /// Legend text ("input", "output", ...).
    pub label: &'a str,
    /// Its analysis.
    pub analysis: &'a Analysis,
}

/// The masking map's data: stem ids and the pairs.
pub struct MaskingMap<'a> {
    /// Stem ids, by index.
    pub ids: Vec<String>,
    /// The pairs, as measured.
    pub pairs: &'a [MaskingPair],
}

/// What the page shows.
pub struct ReportPage<'a> {
    /// Heading.
    pub title: String,
    /// (label, value) rows under it.
    pub facts: Vec<(String, String)>,
    /// An HTML table after them (the stems of a mix).
    pub extra_table: Option<String>,
    /// The versions plotted.
    pub versions: Vec<Version<'a>>,
    /// The loudness target, LUFS.
    pub target_lufs: f64,
    /// The masking map of a mix.
    pub masking: Option<MaskingMap<'a>>,
    /// Every dynamics node's gain reduction over time.
    pub reduction: Vec<NodeReduction>,
    /// The stems of a mix: id and the ids of its nodes (their reduction
    /// goes into the per-stem heat map, the rest into the bus plot).
    pub stems: Vec<(String, Vec<String>)>,
    /// Length of the output, seconds.
    pub duration_s: f64,
}

/// Writes the SVG pictures and `report.html` of `page` into `dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write(dir: &Path, page: &ReportPage<'_>, outcome: &QcOutcome) -> Result<()> {
    let (title, versions, target_lufs) = (&page.title, &page.versions, page.target_lufs);
    let mut figures: Vec<(&str, String, String)> = Vec::new();
    let loudness = LinePlot {
        title: "Short-term loudness (3 s window)".into(),
        x_label: "time, s".into(),
        y_label: "LUFS".into(),
        x_log: false,
        y_range: None,
        series: versions
            .iter()
            .map(|v| Series {
                label: v.label.to_string(),
                points: v
                    .analysis
                    .loudness
                    .short_term_lufs
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (i as f64 * CURVE_STEP_S, if *l > -70.0 { *l } else { f64::NAN }))
                    .collect(),
            })
            .collect(),
        marks: vec![(target_lufs, format!("target {target_lufs:.1} LUFS"))],
    };
    figures.push((
        "loudness.svg",
        "Loudness over time: the target is the integrated loudness the job aims at.".into(),
        line_plot(&loudness),
    ));
    let spectrum = LinePlot {
        title: "Long-term spectrum: share of the power per octave".into(),
        x_label: "octave centre, Hz".into(),
        y_label: "dB of total".into(),
        x_log: true,
        y_range: Some((-60.0, 0.0)),
        series: versions
            .iter()
            .map(|v| Series {
                label: v.label.to_string(),
                points: OCTAVE_CENTRES_HZ.iter().copied().zip(v.analysis.spectrum.octave_db.iter().copied()).collect(),
            })
            .collect(),
        marks: Vec::new(),
    };
    figures.push(("spectrum.svg", "Spectral balance, octave by octave.".into(), line_plot(&spectrum)));
    let passes = LinePlot {
        title: "Quality-control passes".into(),
        x_label: "pass".into(),
        y_label: "LUFS".into(),
        x_log: false,
        y_range: None,
        series: vec![Series {
            label: "integrated loudness".into(),
            points: outcome.passes.iter().enumerate().map(|(i, p)| ((i + 1) as f64, p.integrated_lufs)).collect(),
        }],
        marks: vec![(target_lufs, "target".into())],
    };
    figures.push(("passes.svg", "Each render's measured loudness.".into(), line_plot(&passes)));
    if let Some(map) = &page.masking {
        let rows: Vec<String> = map.pairs.iter().map(|p| format!("{} × {}", map.ids[p.a], map.ids[p.b])).collect();
        let columns: Vec<String> = BARK_EDGES_HZ.windows(2).map(|e| format!("{}", e[0])).collect();
        let values: Vec<Vec<f64>> = map.pairs.iter().map(|p| p.bands.clone()).collect();
        let svg = heat_map(
            "Masking: share of the time two stems compete, per critical band",
            &rows,
            &columns,
            &values,
            "critical band from, Hz",
            &|v| format!("{:.0} %", 100.0 * v),
        );
        figures.push(("masking.svg", "Where stems compete (within 6 dB in the same critical band): the job cuts the less important stem where this is dark.".into(), svg));
    }
    let in_stem = |node: &str| page.stems.iter().any(|(_, ids)| ids.iter().any(|id| id == node));
    let bus: Vec<NodeReduction> = page.reduction.iter().filter(|n| !in_stem(&n.node)).cloned().collect();
    let bus_title =
        if page.stems.is_empty() { "Gain reduction over time" } else { "Gain reduction on the bus and master" };
    if let Some((caption, svg)) = report_reduction::line_figure(bus_title, &bus) {
        figures.push(("reduction.svg", caption, svg));
    }
    if let Some(svg) = report_reduction::stem_heat_map(&page.stems, &page.reduction, page.duration_s) {
        figures.push((
            "reduction_stems.svg",
            "How hard each stem's compressor and ducking work: the deepest reduction in each span of time.".into(),
            svg,
        ));
    }
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title><style>body{{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}}figure{{margin:1.5em 0}}figcaption{{font-size:13px;color:#555}}</style></head><body>\n<h1>{0}</h1>\n<table>\n",
        esc(title)
    );
    for (k, v) in &page.facts {
        let _ = writeln!(html, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    html.push_str("</table>\n");
    if let Some(table) = &page.extra_table {
        html.push_str(table);
    }
    for (file, caption, svg) in &figures {
        qc::write_atomically(&dir.join(file), svg.as_bytes())?;
        let png = file.replace(".svg", ".png");
        qc::write_atomically(&dir.join(&png), &svg_to_png(svg).with_context(|| format!("picture {file}"))?)?;
        let _ = writeln!(html, "<figure>{svg}<figcaption>{} ({file}, {png})</figcaption></figure>", esc(caption));
    }
    html.push_str("<p>All numbers are in report.json.</p></body></html>\n");
    qc::write_atomically(&dir.join("report.html"), html.as_bytes())
}

/// Escapes text for HTML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

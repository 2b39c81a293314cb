//! The jobs' report pictures as SVG (line plots and a heat map), drawn by
//! hand: a few hundred bytes of markup per plot, no font or image library,
//! identical on every machine, and sharp at any zoom in the HTML page.

use std::fmt::Write as _;

/// Plot size in pixels, and the margins around the plotting area.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 44.0;
/// Series colours, in order.
pub const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/// One line.
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points; non-finite ones break the line.
    pub points: Vec<(f64, f64)>,
}

/// A line plot.
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic x axis (frequencies).
    pub x_log: bool,
    /// Y range; `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// The lines.
    pub series: Vec<Series>,
    /// Dashed horizontal reference lines: (y, label).
    pub marks: Vec<(f64, String)>,
}

/// Escapes text for SVG.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// About six round tick values covering `lo..=hi`.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step =
        [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| span / s <= 7.0).unwrap_or(magnitude * 10.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// `x` with a unit-free compact label ("1k", "16k", "250").
fn hz_label(x: f64) -> String {
    if x >= 1000.0 { format!("{}k", x / 1000.0) } else { format!("{x}") }
}

/// The plot as an SVG document.
pub fn line_plot(plot: &LinePlot) -> String {
    let finite = plot.series.iter().flat_map(|s| s.points.iter()).filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in finite {
        (x_lo, x_hi, y_lo, y_hi) = (x_lo.min(x), x_hi.max(x), y_lo.min(y), y_hi.max(y));
    }
    for (y, _) in &plot.marks {
        (y_lo, y_hi) = (y_lo.min(*y), y_hi.max(*y));
    }
    if x_lo > x_hi {
        (x_lo, x_hi, y_lo, y_hi) = (0.0, 1.0, 0.0, 1.0);
    }
    if let Some((lo, hi)) = plot.y_range {
        (y_lo, y_hi) = (lo, hi);
    } else {
        let pad = ((y_hi - y_lo) * 0.08).max(0.5);
        (y_lo, y_hi) = (y_lo - pad, y_hi + pad);
    }
    let xf = |x: f64| if plot.x_log { x.max(1e-9).log10() } else { x };
    let (fx_lo, fx_hi) = (xf(x_lo), xf(x_hi).max(xf(x_lo) + 1e-9));
    let px = |x: f64| LEFT + (xf(x) - fx_lo) / (fx_hi - fx_lo) * (WIDTH - LEFT - RIGHT);
    let py = |y: f64| TOP + (y_hi - y.clamp(y_lo, y_hi)) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM);
    let mut s = header(&plot.title);
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="#fafafa" stroke="#999"/>"##,
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    );
    for y in ticks(y_lo, y_hi) {
        let (right, at, label_x, label_y) = (WIDTH - RIGHT, py(y), LEFT - 6.0, py(y) + 4.0);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{right}" y1="{at:.1}" y2="{at:.1}" stroke="#e0e0e0"/><text x="{label_x}" y="{label_y:.1}" text-anchor="end">{y}</text>"##
        );
    }
    let x_ticks: Vec<f64> = if plot.x_log {
        [31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0]
            .into_iter()
            .filter(|x| *x >= x_lo && *x <= x_hi)
            .collect()
    } else {
        ticks(x_lo, x_hi)
    };
    for x in x_ticks {
        let label = if plot.x_log { hz_label(x) } else { format!("{x}") };
        let _ = writeln!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{TOP}" y2="{1}" stroke="#e0e0e0"/><text x="{0:.1}" y="{2}" text-anchor="middle">{3}</text>"##,
            px(x),
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 16.0,
            label
        );
    }
    for (y, label) in &plot.marks {
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{0}" y1="{1:.1}" y2="{1:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{2}" y="{3:.1}" text-anchor="end" fill="#555">{4}</text>"##,
            WIDTH - RIGHT,
            py(*y),
            WIDTH - RIGHT - 4.0,
            py(*y) - 4.0,
            esc(label)
        );
    }
    for (i, series) in plot.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for &(x, y) in &series.points {
            if !(x.is_finite() && y.is_finite()) || y < y_lo {
                pen_down = false;
                continue;
            }
            let _ = write!(path, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, px(x), py(y));
            pen_down = true;
        }
        let _ = writeln!(s, r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>"#);
        let lx = LEFT + 10.0 + 150.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" x2="{}" y1="{}" y2="{}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            lx + 18.0,
            TOP - 10.0,
            TOP - 10.0,
            lx + 22.0,
            TOP - 6.0,
            esc(&series.label)
        );
    }
    axis_labels(&mut s, &plot.x_label, &plot.y_label);
    s.push_str("</svg>\n");
    s
}

/// A heat map of `values` (0..1) with `rows` × `columns` labels; each
/// cell's tooltip shows `cell_text` of its value, and cells wide enough also
/// print its leading number (the text up to the first space) so that the
/// PNG carries the values too.
pub fn heat_map(
    title: &str,
    rows: &[String],
    columns: &[String],
    values: &[Vec<f64>],
    x_label: &str,
    cell_text: &dyn Fn(f64) -> String,
) -> String {
    let left = 150.0;
    let cell_w = (WIDTH - left - RIGHT) / columns.len().max(1) as f64;
    let cell_h = 22.0;
    let height = TOP + cell_h * rows.len() as f64 + BOTTOM + 12.0;
    let mut s = header(title).replace(&format!(r#"height="{HEIGHT}""#), &format!(r#"height="{height}""#));
    s = s.replace(&format!("0 0 {WIDTH} {HEIGHT}"), &format!("0 0 {WIDTH} {height}"));
    for (r, label) in rows.iter().enumerate() {
        let y = TOP + cell_h * r as f64;
        let _ = writeln!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 6.0, y + 15.0, esc(label));
        for (c, v) in values[r].iter().enumerate() {
            // White for 0, deep red for 1.
            let t = v.clamp(0.0, 1.0);
            let (g, b) = ((255.0 * (1.0 - 0.85 * t)) as u8, (255.0 * (1.0 - 0.9 * t)) as u8);
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{cell_h}" fill="rgb(255,{g},{b})" stroke="#fff"><title>{} {}: {}</title></rect>"##,
                left + cell_w * c as f64,
                cell_w,
                esc(label),
                esc(&columns[c]),
                esc(&cell_text(*v))
            );
            let text = cell_text(*v);
            let number = text.split(' ').next().unwrap_or_default();
            // About 5.5 px per character at font-size 10.
            if t >= 0.05 && number.len() as f64 * 5.5 + 4.0 <= cell_w {
                let ink = if t > 0.55 { "#fff" } else { "#333" };
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{ink}">{}</text>"#,
                    left + cell_w * (c as f64 + 0.5),
                    y + 15.0,
                    esc(number)
                );
            }
        }
    }
    let bottom = TOP + cell_h * rows.len() as f64;
    for (c, label) in columns.iter().enumerate().step_by(2) {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            left + cell_w * (c as f64 + 0.5),
            bottom + 16.0,
            esc(label)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        left + (WIDTH - left) / 2.0,
        bottom + 36.0,
        esc(x_label)
    );
    s.push_str("</svg>\n");
    s
}

/// The SVG header with a title.
fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"11\">\n<text x=\"{LEFT}\" y=\"14\" font-size=\"13\" font-weight=\"bold\">{}</text>\n",
        esc(title)
    )
}

/// Axis labels under and left of the plot.
fn axis_labels(s: &mut String, x: &str, y: &str) {
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0,
        esc(x)
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(14,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        esc(y)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(-30.0, -5.0), vec![-30.0, -25.0, -20.0, -15.0, -10.0, -5.0]);
        assert_eq!(ticks(0.0, 17.0), vec![0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0]);
    }

    #[test]
    fn a_line_plot_draws_every_series_and_mark() {
        let plot = LinePlot {
            title: "loudness <&>".into(),
            x_label: "s".into(),
            y_label: "LUFS".into(),
            x_log: false,
            y_range: None,
            series: vec![
                Series {
                    label: "before".into(),
                    points: vec![(0.0, -20.0), (1.0, f64::NAN), (2.0, -18.0), (3.0, -17.0)],
                },
                Series { label: "after".into(), points: vec![(0.0, -14.0), (3.0, -14.5)] },
            ],
            marks: vec![(-14.0, "target".into())],
        };
        let svg = line_plot(&plot);
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains("loudness &lt;&amp;&gt;") && svg.contains(">target<") && svg.ends_with("</svg>\n"));
        // The NaN breaks the first line into two runs.
        let first = svg.lines().find(|l| l.starts_with("<path")).unwrap();
        assert_eq!(first.matches('M').count(), 2, "{first}");
    }
}

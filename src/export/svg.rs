//! Charts of findings as SVG, drawn with plotters' SVG backend (text is escaped by it, and no font
//! file is needed: the viewer's sans-serif renders the labels).

use plotters::prelude::*;

use crate::session::findings::Chart;

const W: u32 = 720;
const H: u32 = 300;

fn colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(0x1f, 0x4f, 0xb0),
        RGBColor(0xc0, 0x50, 0x10),
        RGBColor(0x7a, 0x2f, 0xb0),
        RGBColor(0x1d, 0x7a, 0x3a),
        RGBColor(0x9a, 0x7b, 0x00),
        RGBColor(0x00, 0x7a, 0x85),
        RGBColor(0xb0, 0x1f, 0x6a),
        RGBColor(0x55, 0x55, 0x55),
    ];
    PALETTE[i % PALETTE.len()]
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('~');
        out
    }
}

/// The chart as an SVG document; a chart that cannot be drawn gives an SVG that says so.
pub fn render(chart: &Chart) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        draw(&root, chart)
    };
    match result {
        Ok(()) => out,
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"40\"><text x=\"4\" y=\"20\">chart not drawn: {}</text></svg>",
            e.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        ),
    }
}

use plotters::coord::types::RangedCoordf64;

type Chart2d<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The titled chart area every chart shares: x from 0 to `x_end`, y from 0 to `top`.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    x_end: f64,
    top: f64,
) -> Result<Chart2d<'a, 'b>, String> {
    ChartBuilder::on(root)
        .caption(shorten(title, 90), ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..x_end, 0f64..top)
        .map_err(|e| e.to_string())
}

/// The series names in a box at the upper left.
fn legend<'a, 'b: 'a>(c: &mut Chart2d<'a, 'b>) -> Result<(), String> {
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    chart: &Chart,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Bars {
            title,
            categories,
            series,
        } => {
            let n = categories.len().max(1);
            let top = series
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .fold(0.0f64, f64::max)
                .max(1e-9)
                * 1.15;
            let mut c = frame(root, title, n as f64, top)?;
            let labels = categories.clone();
            c.configure_mesh()
                .disable_x_mesh()
                .x_labels(n.min(12))
                .x_label_formatter(&|x| {
                    let i = x.floor() as usize;
                    labels.get(i).map(|l| shorten(l, 12)).unwrap_or_default()
                })
                .y_desc("share of rows")
                .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
                .draw()
                .map_err(err)?;
            let k = series.len().max(1) as f64;
            let width = 0.8 / k;
            for (s, (name, values)) in series.iter().enumerate() {
                let col = colour(s);
                c.draw_series(values.iter().enumerate().map(|(i, v)| {
                    let x0 = i as f64 + 0.1 + width * s as f64;
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.95, *v)], col.filled())
                }))
                .map_err(err)?
                .label(shorten(name, 60))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], col.filled()));
            }
            legend(&mut c)?;
        }
        Chart::Lines {
            title,
            x,
            series,
            thresholds,
        } => {
            let n = x.len().max(2);
            let top = series
                .iter()
                .flat_map(|(_, v)| v.iter().flatten().copied())
                .chain(thresholds.iter().map(|(_, t)| *t))
                .fold(0.0f64, f64::max)
                .max(1e-9)
                * 1.15;
            let mut c = frame(root, title, (n - 1) as f64, top)?;
            let labels = x.clone();
            c.configure_mesh()
                .x_labels(n.min(10))
                .x_label_formatter(&|v| {
                    let i = v.round();
                    if (v - i).abs() < 1e-6 {
                        labels
                            .get(i as usize)
                            .map(|l| shorten(l, 16))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .draw()
                .map_err(err)?;
            for (s, (name, values)) in series.iter().enumerate().take(8) {
                let col = colour(s);
                let points: Vec<(f64, f64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                    .collect();
                c.draw_series(LineSeries::new(points, col.stroke_width(2)))
                    .map_err(err)?
                    .label(shorten(name, 60))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 12, y)], col.stroke_width(2))
                    });
            }
            for (name, t) in thresholds {
                let t = *t;
                c.draw_series(LineSeries::new(
                    vec![(0.0, t), ((n - 1) as f64, t)],
                    RED.stroke_width(1),
                ))
                .map_err(err)?
                .label(shorten(name, 60))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], RED));
            }
            legend(&mut c)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

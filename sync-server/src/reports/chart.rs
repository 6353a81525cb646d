//! Charts for the monthly report (月度报告), drawn on the server as standalone SVG text.
//!
//! The report is read on screen, but it is also printed, filed and photocopied, mostly in black
//! and white, and the office web runs no JavaScript. So a chart is SVG markup that the server
//! writes into the page: it prints sharp at any size, needs no script or chart library, and
//! reads without colour. Bars are grey with a black outline and carry their value as text;
//! lines differ by dash pattern and point marker, never by hue alone; every axis is numbered.
//!
//! - [`pareto`]: bars most first, with the cumulative share on a 0–100% axis and an 80% line
//!   (the month's intake by category).
//! - [`trend`]: one line per [`Series`] over a run of months (intake and closures over the
//!   twelve months ending with the chosen one).
//! - [`hbars`]: horizontal bars with value and unit at the bar's end (mean response hours by
//!   contractor).
//!
//! Each figure is a [`Bar`] or one value of a [`Series`]. Its `href`, the
//! `/reports/cases?project=…&month=…&figure=…` link of docs/reports.md, turns the bar or point
//! into a link to the cases behind it. [`nice_ticks`] picks the round axis steps.
//!
//! Every chart has a fixed `viewBox` 640 units wide and `width="100%"`, so it scales with the
//! column that holds it. The font is Noto Sans CJK SC. A label too long for its room is cut with
//! "…" (measured in characters, never bytes), and the full label stays in the bar's or point's
//! `<title>` (the hover tip). An empty chart shows its title and a centred "—".
//!
//! The charts use no `id` attributes, so no `<pattern>` or `<marker>` definitions: the charts
//! sit inline in one HTML page, which has a single id namespace, and two charts defining the
//! same id would be invalid HTML. Point markers are drawn as plain shapes instead.
//!
//! ```
//! use plumbline_sync_server::reports::chart::{Bar, pareto};
//!
//! let bars = vec![
//!     Bar { label: "渗漏".into(), value: 12.0, href: Some("/reports/cases?figure=a".into()) },
//!     Bar { label: "空鼓".into(), value: 5.0, href: None },
//! ];
//! let svg = pareto("本月报修分类", &bars, "累计占比");
//! assert!(svg.starts_with("<svg"));
//! assert!(svg.contains(r#"<a href="/reports/cases?figure=a">"#));
//! ```

use std::fmt::{self, Write as _};

/// Appends formatted text to a `String`. Writing to a `String` cannot fail, so the
/// `fmt::Result` is dropped rather than unwrapped.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// One bar of a [`pareto`] or [`hbars`] chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What the bar counts, written under (or beside) it; cut with "…" when too long.
    pub label: String,
    /// The figure. A negative or non-finite value draws as an empty bar.
    pub value: f64,
    /// The list of cases behind the figure; when given, the bar is a link to it.
    pub href: Option<String>,
}

/// One line of a [`trend`] chart: a value per month.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The line's name, shown in the legend.
    pub label: String,
    /// One value per month, in the order of the months. A non-finite value (`f64::NAN`) is a
    /// gap in the line; values past the last month are ignored.
    pub values: Vec<f64>,
    /// Per month, the list of cases behind the value; when given, the point is a link to it.
    /// May be shorter than `values` (the remaining points have no link).
    pub hrefs: Vec<Option<String>>,
}

/// Renders a Pareto chart: `bars` (which the caller sorts most first) with their values above
/// them, the cumulative share of the total as a line with points against a right axis 0–100%,
/// and a dashed reference line at 80%.
///
/// `cumulative_label` names the line in the legend (e.g. "累计占比"). When the values add up to
/// zero the cumulative line is left out. Give at most about twenty bars (group the tail into
/// "其他"): beyond that the labels have no room.
pub fn pareto(title: &str, bars: &[Bar], cumulative_label: &str) -> String {
    if bars.is_empty() {
        return no_data(title);
    }
    let height = 360.0;
    let f = Frame {
        left: 52.0,
        right: WIDTH - 52.0,
        top: 64.0,
        bottom: height - 64.0,
    };
    let values: Vec<f64> = bars.iter().map(|b| drawable(b.value)).collect();
    let ticks = nice_ticks(values.iter().copied().fold(0.0, f64::max));
    let top = top_tick(&ticks);
    let total: f64 = values.iter().sum();
    let shares: Vec<f64> = if total > 0.0 {
        values
            .iter()
            .scan(0.0, |sum, v| {
                *sum += v;
                Some(*sum / total * 100.0)
            })
            .collect()
    } else {
        Vec::new()
    };

    let mut desc = bars
        .iter()
        .map(|b| format!("{}：{}", b.label, fmt_value(b.value)))
        .collect::<Vec<_>>()
        .join("；");
    if let Some(last) = shares.iter().position(|s| *s >= 80.0) {
        put!(desc, "。前 {} 项累计 {:.0}%", last + 1, shares[last]);
    }

    let mut out = String::new();
    open(&mut out, height, title, &desc);

    if !shares.is_empty() {
        let y = 42.0;
        let x = f.left;
        put!(
            out,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="1.5"/>"##,
            N(x),
            N(y),
            N(x + 28.0),
            N(y)
        );
        cum_point(&mut out, x + 14.0, y);
        put!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            N(x + 34.0),
            N(y + 4.0),
            escape(&truncate(cumulative_label, 240.0, 12.0))
        );
    }

    y_grid(&mut out, &f, &ticks);
    // Right axis: the cumulative share.
    for p in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        let y = f.y(p, 100.0);
        put!(
            out,
            r#"<text x="{}" y="{}" font-size="11">{}%</text>"#,
            N(f.right + 6.0),
            N(y + 4.0),
            N(p)
        );
    }

    let slot = f.width() / bars.len() as f64;
    let bar_width = (slot * 0.7).min(64.0);
    let centre = |i: usize| f.left + slot * (i as f64 + 0.5);
    for (i, (bar, value)) in bars.iter().zip(&values).enumerate() {
        let cx = centre(i);
        let y = f.y(*value, top);
        let href = open_group(
            &mut out,
            bar.href.as_deref(),
            &format!("{}：{}", bar.label, fmt_value(bar.value)),
        );
        put!(
            out,
            r##"<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{BAR_FILL}" stroke="#000" stroke-width="1"/>"##,
            N(cx - bar_width / 2.0),
            N(y),
            N(bar_width),
            N(f.bottom - y)
        );
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="11"{HALO}>{}</text>"#,
            N(cx),
            N(y - 4.0),
            fmt_value(bar.value)
        );
        x_label(
            &mut out,
            cx,
            f.bottom,
            slot,
            height - f.bottom,
            11.0,
            &bar.label,
        );
        close_group(&mut out, href);
    }
    axes(&mut out, &f, true);

    if !shares.is_empty() {
        // The 80% line is drawn over the bars: it is what the bars are read against.
        let y80 = f.y(80.0, 100.0);
        put!(
            out,
            r##"<line class="chart-ref" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="1" stroke-dasharray="6 3"/>"##,
            N(f.left),
            N(y80),
            N(f.right),
            N(y80)
        );
        let points: Vec<String> = shares
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{},{}", N(centre(i)), N(f.y(*s, 100.0))))
            .collect();
        put!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#000" stroke-width="1.5"/>"##,
            points.join(" ")
        );
        for (i, share) in shares.iter().enumerate() {
            let (x, y) = (centre(i), f.y(*share, 100.0));
            put!(
                out,
                "<g><title>{}：{:.0}%</title>",
                escape(cumulative_label),
                share
            );
            cum_point(&mut out, x, y);
            put!(
                out,
                r#"<text x="{}" y="{}" font-size="10"{HALO}>{:.0}%</text></g>"#,
                N(x + 6.0),
                N(y - 6.0),
                share
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Renders a line chart: one line per series over `months` (x labels such as "2026-11"), each
/// with its own dash pattern and point marker, its values written at the points, a legend, and
/// a y axis with round ticks from [`nice_ticks`].
///
/// The i-th value of each series belongs to the i-th month. When no series has a finite value
/// for any month, the chart shows "—".
pub fn trend(title: &str, months: &[String], series: &[Series]) -> String {
    let value_at = |s: &Series, i: usize| s.values.get(i).copied().filter(|v| v.is_finite());
    let n = months.len();
    let max = series
        .iter()
        .flat_map(|s| (0..n).filter_map(move |i| value_at(s, i)))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let Some(max) = max else {
        return no_data(title);
    };
    let height = 340.0;
    let f = Frame {
        left: 48.0,
        right: WIDTH - 20.0,
        top: 64.0,
        bottom: height - 56.0,
    };
    let ticks = nice_ticks(max.max(0.0));
    let top = top_tick(&ticks);

    let desc = series
        .iter()
        .map(|s| {
            let points: Vec<String> = months
                .iter()
                .enumerate()
                .filter_map(|(i, m)| value_at(s, i).map(|v| format!("{m} {}", fmt_value(v))))
                .collect();
            format!("{}：{}", s.label, points.join("，"))
        })
        .collect::<Vec<_>>()
        .join("；");

    let mut out = String::new();
    open(&mut out, height, title, &desc);

    // Legend, one row under the title.
    let mut x = f.left;
    let y = 42.0;
    for (k, s) in series.iter().enumerate() {
        let style = &LINE_STYLES[k % LINE_STYLES.len()];
        let label = truncate(&s.label, 160.0, 12.0);
        put!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{}/>"#,
            N(x),
            N(y),
            N(x + 28.0),
            N(y),
            style.stroke_attrs()
        );
        marker(&mut out, style, x + 14.0, y);
        put!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            N(x + 34.0),
            N(y + 4.0),
            escape(&label)
        );
        x += 34.0 + text_width(&label, 12.0) + 20.0;
    }

    y_grid(&mut out, &f, &ticks);
    let slot = f.width() / n as f64;
    let centre = |i: usize| f.left + slot * (i as f64 + 0.5);
    for (i, month) in months.iter().enumerate() {
        x_label(
            &mut out,
            centre(i),
            f.bottom,
            slot,
            height - f.bottom,
            10.0,
            month,
        );
    }
    axes(&mut out, &f, false);

    // All lines first, then all points, so no line crosses over a point or its value.
    for (k, s) in series.iter().enumerate() {
        let style = &LINE_STYLES[k % LINE_STYLES.len()];
        let mut run: Vec<String> = Vec::new();
        for i in 0..=n {
            match (i < n).then(|| value_at(s, i)).flatten() {
                Some(v) => run.push(format!("{},{}", N(centre(i)), N(f.y(v, top)))),
                None => {
                    // A gap (or the end) closes the run: a missing month is not drawn as zero.
                    if run.len() > 1 {
                        put!(
                            out,
                            r#"<polyline class="chart-line" points="{}" fill="none"{}/>"#,
                            run.join(" "),
                            style.stroke_attrs()
                        );
                    }
                    run.clear();
                }
            }
        }
    }
    for (k, s) in series.iter().enumerate() {
        let style = &LINE_STYLES[k % LINE_STYLES.len()];
        for (i, month) in months.iter().enumerate() {
            let Some(v) = value_at(s, i) else { continue };
            let (x, y) = (centre(i), f.y(v, top));
            // The highest value of the month writes its number above the point, the others
            // below, so two lines close together do not print their numbers on each other;
            // but a number below a point near zero would sit on the axis, so it goes above.
            let room_below = y + 16.0 <= f.bottom - 2.0;
            let above = !room_below
                || series
                    .iter()
                    .enumerate()
                    .filter_map(|(j, o)| value_at(o, i).map(|w| (j, w)))
                    .all(|(j, w)| w < v || (w == v && j >= k));
            let href = open_group(
                &mut out,
                s.hrefs.get(i).and_then(|h| h.as_deref()),
                &format!("{} {}：{}", s.label, month, fmt_value(v)),
            );
            marker(&mut out, style, x, y);
            put!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="10"{HALO}>{}</text>"#,
                N(x),
                N(if above { y - 8.0 } else { y + 16.0 }),
                fmt_value(v)
            );
            close_group(&mut out, href);
        }
    }
    out.push_str("</svg>");
    out
}

/// Renders horizontal bars, one row per bar in the given order: the label on the left, the
/// value and `unit` written at the bar's end (e.g. "12.5 小时"), and a numbered axis below.
///
/// The chart grows 28 units in height per bar.
pub fn hbars(title: &str, bars: &[Bar], unit: &str) -> String {
    if bars.is_empty() {
        return no_data(title);
    }
    let row = 28.0;
    let f = Frame {
        left: 160.0,
        right: WIDTH - 96.0,
        top: 44.0,
        bottom: 44.0 + row * bars.len() as f64,
    };
    let height = f.bottom + 36.0;
    let values: Vec<f64> = bars.iter().map(|b| drawable(b.value)).collect();
    let ticks = nice_ticks(values.iter().copied().fold(0.0, f64::max));
    let top = top_tick(&ticks);
    let with_unit = |v: f64| {
        let v = fmt_value(v);
        match unit {
            "" => v,
            u if u.starts_with('%') => format!("{v}{u}"),
            u => format!("{v} {u}"),
        }
    };
    let desc = bars
        .iter()
        .map(|b| format!("{}：{}", b.label, with_unit(b.value)))
        .collect::<Vec<_>>()
        .join("；");

    let mut out = String::new();
    open(&mut out, height, title, &desc);
    for t in &ticks {
        let x = f.left + clamp01(t / top) * f.width();
        if *t > 0.0 {
            put!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{GRID}" stroke-width="1"/>"#,
                N(x),
                N(f.top),
                N(x),
                N(f.bottom)
            );
        }
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>"#,
            N(x),
            N(f.bottom + 16.0),
            fmt_tick(*t)
        );
    }
    put!(
        out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="1"/>"##,
        N(f.left),
        N(f.bottom),
        N(f.right),
        N(f.bottom)
    );
    for (i, (bar, value)) in bars.iter().zip(&values).enumerate() {
        let cy = f.top + row * (i as f64 + 0.5);
        let end = f.left + clamp01(value / top) * f.width();
        let href = open_group(
            &mut out,
            bar.href.as_deref(),
            &format!("{}：{}", bar.label, with_unit(bar.value)),
        );
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            N(f.left - 8.0),
            N(cy + 4.0),
            escape(&truncate(&bar.label, f.left - 16.0, 12.0))
        );
        put!(
            out,
            r##"<rect class="chart-bar" x="{}" y="{}" width="{}" height="18" fill="{BAR_FILL}" stroke="#000" stroke-width="1"/>"##,
            N(f.left),
            N(cy - 9.0),
            N(end - f.left)
        );
        put!(
            out,
            r#"<text x="{}" y="{}" font-size="11">{}</text>"#,
            N(end + 5.0),
            N(cy + 4.0),
            escape(&with_unit(bar.value))
        );
        close_group(&mut out, href);
    }
    // The bars' own axis, drawn over their left edges.
    put!(
        out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="1"/>"##,
        N(f.left),
        N(f.top),
        N(f.left),
        N(f.bottom)
    );
    out.push_str("</svg>");
    out
}

/// Round axis ticks for values from 0 to `max`: 0, then equal steps of 1, 2 or 5 × 10^k, 4 to 6
/// ticks in all, the last one at or above `max` and as close to it as those rules allow
/// (`7.0` → 0, 2, 4, 6, 8; `12.0` → 0, 5, 10, 15).
///
/// A `max` of zero, below zero or not finite gives `[0.0, 1.0]`, so an axis of zeros still has
/// a scale.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0, 1.0];
    }
    // A step between max/5 and max/2 gives 3 to 5 intervals. With max in [10^k0, 10^(k0+1))
    // that step is in [2·10^(k0-1), 5·10^k0); one more decade on each side covers rounding in
    // log10.
    let k0 = max.log10().floor() as i32;
    let mut best: Option<(f64, u64, i32, u64)> = None; // (top, intervals, k, mantissa)
    for k in (k0 - 2)..=(k0 + 1) {
        for mantissa in [1, 2, 5] {
            let step = decimal(mantissa, k);
            // The ratio is between 2 and 5, so an absolute epsilon on it is a relative one on
            // max: 0.3 / 0.1 = 2.9999999999999996 still counts as 3 intervals.
            let intervals = (max / step - 1e-9).ceil();
            if !(3.0..=5.0).contains(&intervals) {
                continue;
            }
            let top = intervals * step;
            if best.is_none_or(|(best_top, ..)| top < best_top) {
                best = Some((top, intervals as u64, k, mantissa));
            }
        }
    }
    match best {
        Some((top, intervals, k, mantissa)) if top > 0.0 && top.is_finite() => {
            (0..=intervals).map(|i| decimal(i * mantissa, k)).collect()
        }
        // Only for a max so small or large that 10^k leaves the range of f64.
        _ => vec![0.0, max],
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers.

/// The width of every chart's `viewBox`, in user units.
const WIDTH: f64 = 640.0;
/// The font, with a generic fallback for machines without the CJK font.
const FONT: &str = "'Noto Sans CJK SC', sans-serif";
/// Bar fill: a light grey that photocopies as grey, with black text readable over it.
const BAR_FILL: &str = "#c8c8c8";
/// Grid lines: light enough to stay behind the data.
const GRID: &str = "#d9d9d9";
/// A white outline behind text that may sit over a line or grid, so it stays legible.
const HALO: &str =
    r##" paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round""##;

/// The plotting area, in `viewBox` units: `bottom` is the zero line.
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn width(&self) -> f64 {
        self.right - self.left
    }

    /// The y of `v` on an axis from 0 (at `bottom`) to `max` (at `top`), clamped to the frame.
    fn y(&self, v: f64, max: f64) -> f64 {
        self.bottom - clamp01(v / max) * (self.bottom - self.top)
    }
}

/// How one series of a [`trend`] is drawn; the styles differ in dash and marker, so they tell
/// apart in black and white.
struct LineStyle {
    dash: Option<&'static str>,
    stroke: &'static str,
    marker: Marker,
    /// Marker filled with the stroke colour, or hollow (white).
    filled: bool,
}

impl LineStyle {
    fn stroke_attrs(&self) -> String {
        let dash = self
            .dash
            .map(|d| format!(r#" stroke-dasharray="{d}""#))
            .unwrap_or_default();
        format!(r#" stroke="{}" stroke-width="2"{dash}"#, self.stroke)
    }
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

const LINE_STYLES: [LineStyle; 4] = [
    LineStyle {
        dash: None,
        stroke: "#000",
        marker: Marker::Circle,
        filled: true,
    },
    LineStyle {
        dash: Some("7 4"),
        stroke: "#000",
        marker: Marker::Square,
        filled: false,
    },
    LineStyle {
        dash: Some("2 3"),
        stroke: "#555",
        marker: Marker::Triangle,
        filled: true,
    },
    LineStyle {
        dash: Some("10 3 2 3"),
        stroke: "#555",
        marker: Marker::Diamond,
        filled: false,
    },
];

fn marker(out: &mut String, style: &LineStyle, x: f64, y: f64) {
    let fill = if style.filled { style.stroke } else { "#fff" };
    let paint = format!(
        r#" class="chart-point" fill="{fill}" stroke="{}" stroke-width="1.5""#,
        style.stroke
    );
    match style.marker {
        Marker::Circle => put!(
            out,
            r#"<circle cx="{}" cy="{}" r="3.5"{paint}/>"#,
            N(x),
            N(y)
        ),
        Marker::Square => put!(
            out,
            r#"<rect x="{}" y="{}" width="7" height="7"{paint}/>"#,
            N(x - 3.5),
            N(y - 3.5)
        ),
        Marker::Triangle => put!(
            out,
            r#"<polygon points="{},{} {},{} {},{}"{paint}/>"#,
            N(x),
            N(y - 4.5),
            N(x + 4.5),
            N(y + 3.5),
            N(x - 4.5),
            N(y + 3.5)
        ),
        Marker::Diamond => put!(
            out,
            r#"<polygon points="{},{} {},{} {},{} {},{}"{paint}/>"#,
            N(x),
            N(y - 5.0),
            N(x + 5.0),
            N(y),
            N(x),
            N(y + 5.0),
            N(x - 5.0),
            N(y)
        ),
    }
}

/// A point of the Pareto chart's cumulative line: hollow, unlike the grey bars under it.
fn cum_point(out: &mut String, x: f64, y: f64) {
    put!(
        out,
        r##"<circle class="chart-cum" cx="{}" cy="{}" r="3.5" fill="#fff" stroke="#000" stroke-width="1.5"/>"##,
        N(x),
        N(y)
    );
}

/// Opens the `<svg>` element: size, accessibility title and description, white background and
/// the visible title.
fn open(out: &mut String, height: f64, title: &str, desc: &str) {
    put!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" font-family="{FONT}" font-size="12">"#,
        N(WIDTH),
        N(height)
    );
    put!(out, "<title>{}</title>", escape(title));
    if !desc.is_empty() {
        put!(out, "<desc>{}</desc>", escape(desc));
    }
    put!(
        out,
        r##"<rect width="{}" height="{}" fill="#fff"/>"##,
        N(WIDTH),
        N(height)
    );
    put!(
        out,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        N(WIDTH / 2.0),
        escape(&truncate(title, WIDTH - 24.0, 15.0))
    );
}

/// The chart of nothing: the title and a centred "—".
fn no_data(title: &str) -> String {
    let height = 160.0;
    let mut out = String::new();
    open(&mut out, height, title, "—");
    put!(
        out,
        r##"<text class="chart-empty" x="{}" y="{}" text-anchor="middle" font-size="28" fill="#555">—</text></svg>"##,
        N(WIDTH / 2.0),
        N(height / 2.0 + 18.0)
    );
    out
}

/// Horizontal grid lines and the left axis's numbers.
fn y_grid(out: &mut String, f: &Frame, ticks: &[f64]) {
    let top = top_tick(ticks);
    for t in ticks {
        let y = f.y(*t, top);
        if *t > 0.0 {
            put!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{GRID}" stroke-width="1"/>"#,
                N(f.left),
                N(y),
                N(f.right),
                N(y)
            );
        }
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>"#,
            N(f.left - 6.0),
            N(y + 4.0),
            fmt_tick(*t)
        );
    }
}

/// The zero line and the left axis, and the right axis when the chart has one.
fn axes(out: &mut String, f: &Frame, right: bool) {
    let mut line = |x1: f64, y1: f64, x2: f64, y2: f64| {
        put!(
            out,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="1"/>"##,
            N(x1),
            N(y1),
            N(x2),
            N(y2)
        );
    };
    line(f.left, f.bottom, f.right, f.bottom);
    line(f.left, f.top, f.left, f.bottom);
    if right {
        line(f.right, f.top, f.right, f.bottom);
    }
}

/// A label under the zero line, centred on `cx`. When it is wider than its `slot` it is tilted
/// 45° so neighbours do not overlap, and cut to what `room` (the margin below) holds.
fn x_label(out: &mut String, cx: f64, baseline: f64, slot: f64, room: f64, size: f64, label: &str) {
    if text_width(label, size) <= slot - 4.0 {
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>"#,
            N(cx),
            N(baseline + size + 5.0),
            N(size),
            escape(label)
        );
    } else {
        let (x, y) = (cx + 3.0, baseline + 12.0);
        let max = (room - 16.0) * std::f64::consts::SQRT_2;
        put!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="{}" transform="rotate(-45 {} {})">{}</text>"#,
            N(x),
            N(y),
            N(size),
            N(x),
            N(y),
            escape(&truncate(label, max, size))
        );
    }
}

/// Opens a bar's or point's group, a link when there is an `href`, with `tip` as its hover
/// title. Returns whether it opened a link, for [`close_group`].
fn open_group(out: &mut String, href: Option<&str>, tip: &str) -> bool {
    let href = href.filter(|h| !h.is_empty());
    match href {
        Some(h) => put!(out, r#"<a href="{}">"#, escape(h)),
        None => out.push_str("<g>"),
    }
    put!(out, "<title>{}</title>", escape(tip));
    href.is_some()
}

fn close_group(out: &mut String, link: bool) {
    out.push_str(if link { "</a>" } else { "</g>" });
}

// ---------------------------------------------------------------------------------------------
// Numbers and text.

/// A coordinate, written with at most one decimal ("12", "12.5"); non-finite as 0 so a bad
/// value cannot break the markup.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() {
            (self.0 * 10.0).round() / 10.0
        } else {
            0.0
        };
        if v == 0.0 {
            f.write_str("0")
        } else if v == v.trunc() {
            write!(f, "{v:.0}")
        } else {
            write!(f, "{v:.1}")
        }
    }
}

/// A figure as printed on a bar or point: whole numbers as they are, others to one decimal,
/// and "—" when there is no number.
fn fmt_value(v: f64) -> String {
    if v.is_finite() {
        N(v).to_string()
    } else {
        "—".to_owned()
    }
}

/// An axis tick: up to three decimals, trailing zeros removed (0.05, 0.2, 1500).
fn fmt_tick(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The value as drawn: negative and non-finite values are drawn as 0.
fn drawable(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

fn clamp01(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn top_tick(ticks: &[f64]) -> f64 {
    ticks.last().copied().filter(|t| *t > 0.0).unwrap_or(1.0)
}

/// `units × 10^k`, dividing for negative k: 6 / 10 is exactly the f64 nearest 0.6, where
/// 6 × 0.1 is 0.6000000000000001.
fn decimal(units: u64, k: i32) -> f64 {
    if k >= 0 {
        units as f64 * 10f64.powi(k)
    } else {
        units as f64 / 10f64.powi(-k)
    }
}

/// Estimated width of `text` at font `size`: a full em for CJK and other wide characters, 0.6
/// em for ASCII. Generous, so estimated text fits the real one.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(|c| char_width(c) * size).sum()
}

fn char_width(c: char) -> f64 {
    if c.is_ascii() { 0.6 } else { 1.0 }
}

/// `text` cut to fit `max` units at font `size`, ending with "…" when cut. Works on characters,
/// so a Chinese label is never split inside a character.
fn truncate(text: &str, max: f64, size: f64) -> String {
    if text_width(text, size) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = size; // the ellipsis
    for c in text.chars() {
        width += char_width(c) * size;
        if width > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Escapes text for an XML (and HTML) text node or double-quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A small well-formedness check, enough for what this module writes: one root element,
    /// tags balanced, attributes `name="value"` and unique, `&` only in the five entities.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            if stack.is_empty() {
                assert!(text.trim().is_empty(), "text outside the root: {text:?}");
            }
            assert_entities(text);
            let after = &rest[start + 1..];
            let end = after.find('>').expect("a tag is not closed with >");
            let tag = &after[..end];
            rest = &after[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
                continue;
            }
            let (body, self_closing) = match tag.strip_suffix('/') {
                Some(body) => (body, true),
                None => (tag, false),
            };
            let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
            let name = &body[..name_end];
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "bad tag name in <{tag}>"
            );
            assert_attributes(&body[name_end..], tag);
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty(), "text after the root: {rest:?}");
        assert_eq!(roots, 1, "one root element");
        assert!(svg.starts_with("<svg "));
    }

    fn assert_attributes(mut attrs: &str, tag: &str) {
        let mut names = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                return;
            }
            let eq = attrs.find('=').unwrap_or_else(|| panic!("no = in <{tag}>"));
            let name = &attrs[..eq];
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
                "bad attribute name {name:?} in <{tag}>"
            );
            assert!(!names.contains(&name), "duplicate {name} in <{tag}>");
            names.push(name);
            let value = attrs[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("unquoted {name} in <{tag}>"));
            let close = value.find('"').unwrap();
            assert!(!value[..close].contains('<'), "< in {name} of <{tag}>");
            assert_entities(&value[..close]);
            attrs = &value[close + 1..];
            assert!(
                attrs.is_empty() || attrs.starts_with(char::is_whitespace),
                "no space after {name} in <{tag}>"
            );
        }
    }

    fn assert_entities(text: &str) {
        for (i, _) in text.match_indices('&') {
            let tail = &text[i + 1..];
            assert!(
                ["amp;", "lt;", "gt;", "quot;", "#39;"]
                    .iter()
                    .any(|e| tail.starts_with(e)),
                "bare & in {text:?}"
            );
        }
    }

    /// The values of `attr` on the elements that carry `class`, in document order.
    fn attr_of_class(svg: &str, class: &str, attr: &str) -> Vec<f64> {
        let class = format!(r#"class="{class}""#);
        svg.split('<')
            .filter(|tag| tag.contains(&class))
            .map(|tag| {
                let key = format!(r#" {attr}=""#);
                let from = tag.find(&key).unwrap() + key.len();
                tag[from..from + tag[from..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    fn bar(label: &str, value: f64, href: Option<&str>) -> Bar {
        Bar {
            label: label.into(),
            value,
            href: href.map(Into::into),
        }
    }

    fn months() -> Vec<String> {
        (0..12)
            .map(|i| {
                let m = 11 + i;
                format!("{}-{:02}", 2025 + (m - 1) / 12, (m - 1) % 12 + 1)
            })
            .collect()
    }

    #[test]
    fn nice_ticks_cases() {
        let cases: &[(f64, &[f64])] = &[
            (0.0, &[0.0, 1.0]),
            (-3.0, &[0.0, 1.0]),
            (f64::NAN, &[0.0, 1.0]),
            (f64::INFINITY, &[0.0, 1.0]),
            (1.0, &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            (3.0, &[0.0, 1.0, 2.0, 3.0]),
            (5.0, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
            (7.0, &[0.0, 2.0, 4.0, 6.0, 8.0]),
            (10.0, &[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
            (12.0, &[0.0, 5.0, 10.0, 15.0]),
            (23.0, &[0.0, 5.0, 10.0, 15.0, 20.0, 25.0]),
            (50.0, &[0.0, 10.0, 20.0, 30.0, 40.0, 50.0]),
            (97.0, &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0]),
            (0.3, &[0.0, 0.1, 0.2, 0.3]),
            (0.7, &[0.0, 0.2, 0.4, 0.6, 0.8]),
            (1234.0, &[0.0, 500.0, 1000.0, 1500.0]),
        ];
        for (max, expected) in cases {
            assert_eq!(nice_ticks(*max), *expected, "nice_ticks({max})");
        }
    }

    #[test]
    fn nice_ticks_are_round_equal_steps_covering_max() {
        let mut max = 0.0013;
        while max < 5e6 {
            let ticks = nice_ticks(max);
            assert!((4..=6).contains(&ticks.len()), "{max}: {ticks:?}");
            assert_eq!(ticks[0], 0.0);
            let step = ticks[1];
            let k = step.log10().floor();
            let mantissa = step / 10f64.powf(k);
            assert!(
                [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-9),
                "{max}: step {step}"
            );
            for pair in ticks.windows(2) {
                assert!(
                    (pair[1] - pair[0] - step).abs() < step * 1e-9,
                    "{max}: {ticks:?}"
                );
            }
            let last = ticks[ticks.len() - 1];
            assert!(last >= max * (1.0 - 1e-9), "{max}: {ticks:?}");
            assert!(last < max * 2.5, "{max}: {ticks:?} wastes the axis");
            max *= 1.37;
        }
    }

    #[test]
    fn pareto_of_three_bars() {
        let svg = pareto(
            "本月报修分类",
            &[
                bar(
                    "A<B",
                    5.0,
                    Some("/reports/cases?project=p1&month=2026-11&figure=a"),
                ),
                bar(
                    "渗漏",
                    3.0,
                    Some("/reports/cases?project=p1&month=2026-11&figure=b"),
                ),
                bar("空鼓", 2.0, None),
            ],
            "累计占比",
        );
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"<rect class="chart-bar""#).count(), 3);
        assert!(svg.contains(">A&lt;B<"), "label escaped");
        assert!(!svg.contains("A<B"));
        assert_eq!(
            svg.matches(r#"<a href="/reports/cases?project=p1&amp;month=2026-11&amp;figure="#)
                .count(),
            2
        );
        assert_eq!(
            svg.matches("<a ").count(),
            2,
            "no link where there is no href"
        );
        // Bar heights follow the values on a 0..5 axis.
        let heights = attr_of_class(&svg, "chart-bar", "height");
        assert!(
            heights[0] > heights[1] && heights[1] > heights[2],
            "{heights:?}"
        );
        // Cumulative points: 50%, 80%, 100%, rising; the last on the top of the frame (y 64).
        let ys = attr_of_class(&svg, "chart-cum", "cy");
        assert_eq!(ys.len(), 4, "three points and the legend's");
        assert_eq!(ys[3], 64.0, "last cumulative point at 100%");
        assert!(ys[1] > ys[2] && ys[2] > ys[3], "{ys:?}");
        for share in ["50%", "80%", "100%"] {
            assert!(
                svg.contains(&format!(">{share}</text></g>")),
                "{share} written"
            );
        }
        assert!(svg.contains(r#"class="chart-ref""#), "80% line");
        assert!(svg.contains(">累计占比<"));
        // Values written above the bars.
        for v in [">5<", ">3<", ">2<"] {
            assert!(svg.contains(v));
        }
        assert!(svg.contains(r#"width="100%" role="img""#));
        assert!(svg.contains("<title>本月报修分类</title>"));
        assert!(svg.contains("Noto Sans CJK SC"));
        assert!(
            !svg.contains(" id="),
            "no ids: charts share the page's id namespace"
        );
    }

    #[test]
    fn pareto_of_zeros_and_bad_values_draws_bars_without_cumulative_line() {
        let svg = pareto(
            "t",
            &[
                bar("a", 0.0, None),
                bar("b", f64::NAN, None),
                bar("c", -1.0, None),
            ],
            "累计",
        );
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"class="chart-bar""#).count(), 3);
        assert!(!svg.contains("chart-cum"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(attr_of_class(&svg, "chart-bar", "height"), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn pareto_tilts_and_cuts_labels_that_do_not_fit() {
        let bars: Vec<Bar> = (0..15)
            .map(|i| bar(&format!("外墙涂料空鼓开裂脱落类{i}"), 20.0 - i as f64, None))
            .collect();
        let svg = pareto("t", &bars, "累计");
        assert_well_formed(&svg);
        assert_eq!(svg.matches("rotate(-45").count(), 15);
        assert_eq!(svg.matches("…</text>").count(), 15);
        // Each bar's full label stays in its hover title.
        assert!(svg.contains("<title>外墙涂料空鼓开裂脱落类14：6</title>"));
    }

    #[test]
    fn trend_draws_one_styled_line_per_series_with_linked_points() {
        let months = months();
        assert_eq!(months[0], "2025-11");
        assert_eq!(months[11], "2026-10");
        let intake = Series {
            label: "受理".into(),
            values: (0..12).map(|i| 10.0 + i as f64).collect(),
            hrefs: (0..12)
                .map(|i| Some(format!("/reports/cases?month={}&figure=intake", months[i])))
                .collect(),
        };
        let closures = Series {
            label: "关闭".into(),
            values: (0..12)
                .map(|i| if i == 5 { f64::NAN } else { 8.0 })
                .collect(),
            hrefs: vec![],
        };
        let svg = trend("近十二个月受理与关闭", &months, &[intake, closures]);
        assert_well_formed(&svg);
        for m in &months {
            assert!(svg.contains(&format!(">{m}</text>")), "x label {m}");
        }
        assert!(svg.contains(">受理<") && svg.contains(">关闭<"), "legend");
        // The closures' gap at month 6 splits its line in two; intake is one line.
        let lines: Vec<&str> = svg.split("<polyline").skip(1).collect();
        assert_eq!(lines.len(), 3);
        assert!(!lines[0].contains("stroke-dasharray"));
        assert!(lines[1].contains(r#"stroke-dasharray="7 4""#));
        assert!(lines[2].contains(r#"stroke-dasharray="7 4""#));
        // 12 intake points (circles) and 11 closure points (squares), plus the legend's two.
        let points = |shape: &str| {
            svg.split('<')
                .filter(|t| t.starts_with(shape) && t.contains(r#"class="chart-point""#))
                .count()
        };
        assert_eq!(points("circle "), 13);
        assert_eq!(points("rect "), 12);
        assert_eq!(svg.matches("<a href=").count(), 12);
        assert!(svg.contains(r#"<a href="/reports/cases?month=2026-10&amp;figure=intake">"#));
        // The y axis reaches at least the largest value, 21: ticks 0..25 by 5.
        assert!(svg.contains(">25</text>"));
        assert!(svg.contains(">21</text>"), "values written at the points");
    }

    #[test]
    fn trend_with_more_series_than_styles_reuses_them() {
        let months = months();
        let series: Vec<Series> = (0..5)
            .map(|k| Series {
                label: format!("s{k}"),
                values: vec![k as f64; 12],
                hrefs: vec![],
            })
            .collect();
        let svg = trend("t", &months, &series);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<polyline").count(), 5);
        assert!(svg.contains(r#"stroke-dasharray="10 3 2 3""#));
    }

    #[test]
    fn hbars_write_value_and_unit_at_the_bar_end() {
        let svg = hbars(
            "平均响应时长（小时）",
            &[
                bar(
                    "中建三局第一建设工程有限责任公司",
                    12.46,
                    Some("/r?c=1&m=2"),
                ),
                bar("\"甲\" & '乙'", 3.0, None),
                bar("丙", 0.0, None),
            ],
            "小时",
        );
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"<rect class="chart-bar""#).count(), 3);
        assert!(svg.contains(">12.5 小时</text>"));
        assert!(svg.contains(">3 小时</text>"));
        assert!(svg.contains(">0 小时</text>"));
        assert!(svg.contains(r#"<a href="/r?c=1&amp;m=2">"#));
        assert!(svg.contains("&quot;甲&quot; &amp; &#39;乙&#39;"));
        // The long name is cut on a character boundary; the full one is in the title.
        assert!(svg.contains(">中建三局第一建设工程有…</text>"), "{svg}");
        assert!(svg.contains("<title>中建三局第一建设工程有限责任公司：12.5 小时</title>"));
        let widths = attr_of_class(&svg, "chart-bar", "width");
        assert!(widths[0] > widths[1] && widths[2] == 0.0, "{widths:?}");
        assert!(widths[0] <= 640.0 - 160.0 - 96.0);
    }

    #[test]
    fn hbars_unit_spacing() {
        let svg = hbars("t", &[bar("a", 95.0, None)], "%");
        assert!(svg.contains(">95%</text>"));
        let svg = hbars("t", &[bar("a", 95.0, None)], "");
        assert!(svg.contains(">95</text>"));
    }

    #[test]
    fn empty_input_renders_a_dash_under_the_title() {
        let months = months();
        let gaps = Series {
            label: "受理".into(),
            values: vec![f64::NAN; 12],
            hrefs: vec![],
        };
        for svg in [
            pareto("空<图>", &[], "累计"),
            trend("空<图>", &[], &[]),
            trend("空<图>", &months, &[]),
            trend("空<图>", &months, &[gaps]),
            trend(
                "空<图>",
                &[],
                &[Series {
                    label: "x".into(),
                    values: vec![1.0],
                    hrefs: vec![],
                }],
            ),
            hbars("空<图>", &[], "小时"),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains("<title>空&lt;图&gt;</title>"));
            assert!(svg.contains(r#"class="chart-empty""#));
            assert!(svg.contains(">—</text>"));
        }
    }

    #[test]
    fn escape_all_five() {
        assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(escape("渗漏"), "渗漏");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("渗漏", 100.0, 10.0), "渗漏");
        // 10 per CJK character, 10 for the ellipsis.
        assert_eq!(truncate("卫生间地面渗漏", 50.0, 10.0), "卫生间地…");
        assert_eq!(truncate("abcdefghij", 30.0, 10.0), "abc…");
        assert_eq!(truncate("渗漏", 5.0, 10.0), "…");
    }

    #[test]
    fn numbers_are_short_and_never_nan() {
        assert_eq!(fmt_value(12.0), "12");
        assert_eq!(fmt_value(12.46), "12.5");
        assert_eq!(fmt_value(-0.01), "0");
        assert_eq!(fmt_value(f64::NAN), "—");
        assert_eq!(N(f64::INFINITY).to_string(), "0");
        assert_eq!(fmt_tick(0.05), "0.05");
        assert_eq!(fmt_tick(1500.0), "1500");
        assert_eq!(fmt_tick(0.0), "0");
    }
}

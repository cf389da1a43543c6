//! The SVG charts: throughput and p99 against users per stage, and each
//! operation's p50 per stage.

use std::path::Path;

use plotters::prelude::*;

use super::results::Journey;

const COLOURS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];
const OPS: [&str; 5] = ["register", "login", "feed", "like", "follow"];

fn colour(stage: u8) -> RGBColor {
    COLOURS[usize::from(stage.saturating_sub(1)) % COLOURS.len()]
}

/// Writes throughput.svg, p99.svg and op_p50.svg into `dir`.
pub fn write_all(journey: &Journey, dir: &Path) -> anyhow::Result<()> {
    versus_users(
        journey,
        &dir.join("throughput.svg"),
        "ops/s vs users",
        "ops/s",
        |l| l.report.throughput_ops_per_s,
    )?;
    versus_users(
        journey,
        &dir.join("p99.svg"),
        "p99 latency vs users",
        "p99 ms",
        |l| l.report.p99_ms,
    )?;
    op_p50(journey, &dir.join("op_p50.svg"))
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e}")
}

fn versus_users(
    journey: &Journey,
    path: &Path,
    title: &str,
    y_label: &str,
    value: impl Fn(&super::results::LevelRun) -> f64,
) -> anyhow::Result<()> {
    let max_users = journey.levels.iter().copied().max().unwrap_or(10).max(10) as f64;
    let min_users = journey.levels.iter().copied().min().unwrap_or(1).max(1) as f64;
    let max_y = journey
        .stages
        .iter()
        .flat_map(|s| s.levels.iter().map(&value))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((min_users..max_users).log_scale(), 0.0..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("simulated users (log scale)")
        .y_desc(y_label)
        .draw()
        .map_err(err)?;
    for stage in &journey.stages {
        let c = colour(stage.number);
        let points: Vec<(f64, f64)> = stage
            .levels
            .iter()
            .map(|l| (l.users as f64, value(l)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(format!("stage {}", stage.number))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Per-operation p50 at each stage's largest level, one line per stage over
/// the operations.
fn op_p50(journey: &Journey, path: &Path) -> anyhow::Result<()> {
    let value = |stage: &super::results::StageRun, op: &str| {
        stage
            .levels
            .last()
            .and_then(|l| l.report.ops.get(op))
            .map_or(0.0, |o| o.p50_ms)
    };
    let max_y = journey
        .stages
        .iter()
        .flat_map(|s| OPS.iter().map(move |op| value(s, op)))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "p50 per operation at each stage's largest level",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..(OPS.len() as f64 - 0.5), 0.0..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(OPS.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                OPS.get(i as usize).copied().unwrap_or("").to_owned()
            } else {
                String::new()
            }
        })
        .y_desc("p50 ms")
        .draw()
        .map_err(err)?;
    for stage in &journey.stages {
        let c = colour(stage.number);
        let points: Vec<(f64, f64)> = OPS
            .iter()
            .enumerate()
            .map(|(i, op)| (i as f64, value(stage, op)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(format!(
                "stage {} @ {} users",
                stage.number,
                stage.levels.last().map_or(0, |l| l.users)
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

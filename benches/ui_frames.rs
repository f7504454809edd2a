//! The app's responsiveness on a big log, driven headless (egui_kittest, no GPU): the UI-thread
//! time of every frame while the log loads and is measured in background jobs, of every panel once
//! results are in, and how long a new slice takes to show its results.
//!
//!     cargo bench --bench ui_frames -- BASELINE LOG
//!
//! A frame here is egui's whole frame on the UI thread (input, every panel's layout, the plots)
//! without the GPU upload, which does not depend on the number of rows.

// A benchmark stops with a message when its inputs are missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use driftscope::analysis::{Predicate, SliceDef};
use driftscope::data::RoleOverrides;
use driftscope::jobs::Executor;
use driftscope::ui::{AppCommand, AppConfig, DriftscopeApp, Launch, Panel};
use eframe::egui;
use egui_kittest::Harness;

struct Frames(Vec<Duration>);

impl Frames {
    fn report(&mut self, what: &str) {
        self.0.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let n = self.0.len();
        if n == 0 {
            println!("{what}: no frames");
            return;
        }
        println!(
            "{what}: {n} frames, median {:.2} ms, p95 {:.2} ms, worst {:.2} ms",
            ms(self.0[n / 2]),
            ms(self.0[(n * 95 / 100).min(n - 1)]),
            ms(self.0[n - 1])
        );
        self.0.clear();
    }
}

fn frame(harness: &mut Harness<'static, DriftscopeApp>, frames: &mut Frames) {
    let t = Instant::now();
    harness.step();
    frames.0.push(t.elapsed());
    // A display refreshes at 60 Hz: the app is not asked for more frames than that.
    std::thread::sleep(Duration::from_millis(16));
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [baseline, log] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench ui_frames -- BASELINE LOG");
        std::process::exit(2);
    };
    let launch = Launch::Files {
        baseline: PathBuf::from(baseline),
        current: PathBuf::from(log),
        roles: RoleOverrides::default(),
    };
    let config = AppConfig {
        state_dir: None,
        frame_times: false,
        autosave_every: Duration::from_secs(2),
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1360.0, 860.0))
        .build_eframe(move |cc| {
            DriftscopeApp::new(&cc.egui_ctx, launch, Executor::Threads, config)
        });
    let mut frames = Frames(Vec::new());
    let started = Instant::now();
    // The first frame builds the font atlas: measured on its own.
    frame(&mut harness, &mut frames);
    frames.report("first frame (fonts)");
    // Loading and the first report run in the background; the window keeps drawing.
    while harness.state().is_busy() || harness.state().report().is_none() {
        frame(&mut harness, &mut frames);
        if harness.state().error().is_some() {
            eprintln!("{}", harness.state().error().unwrap_or_default());
            std::process::exit(2);
        }
    }
    let rows = harness.state().inputs().map_or(0, |i| i.current.rows());
    println!(
        "{rows} log rows: loaded and measured in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    frames.report("frames while loading and measuring");

    for tab in [
        Panel::Overview,
        Panel::Segments,
        Panel::Feature,
        Panel::Time,
        Panel::Compare,
        Panel::Data,
        Panel::Settings,
    ] {
        let ctx = harness.ctx.clone();
        harness.state_mut().apply(&ctx, AppCommand::ShowPanel(tab));
        for _ in 0..30 {
            frame(&mut harness, &mut frames);
        }
        frames.report(&format!("{} panel", tab.title()));
    }

    // A new slice: how long until its results are on screen, and the frames meanwhile.
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, AppCommand::ShowPanel(Panel::Segments));
    // The two largest values of the report's first segment column (`region` on the sample).
    let Some(mix) = harness
        .state()
        .report()
        .and_then(|r| r.segments.first())
        .cloned()
    else {
        println!("no segment column: no slice to measure");
        return;
    };
    let mut values = mix.values.clone();
    values.sort_by_key(|v| std::cmp::Reverse(v.current_rows));
    let column = mix.column.clone();
    for value in values.iter().take(2).map(|v| v.value.clone()) {
        let slice = SliceDef::default().with(Predicate::OneOf {
            column: column.clone(),
            values: vec![value.clone()],
        });
        let t = Instant::now();
        harness
            .state_mut()
            .apply(&ctx, AppCommand::SetSlice(slice.clone()));
        // First the quick answer from the cell profiles, then the exact one.
        let mut first = None;
        loop {
            frame(&mut harness, &mut frames);
            let state = harness.state();
            let shown = state.focus().is_some_and(|f| {
                f.comparison.a == slice && f.heatmap.as_ref().is_some_and(|h| h.within == slice)
            }) && state.timeline().is_some_and(|t| t.within == slice);
            if shown && first.is_none() {
                first = Some(t.elapsed());
            }
            if shown && !state.focus_is_preview() && !state.timeline_is_preview() {
                break;
            }
        }
        println!(
            "slice {column} = {value}: comparison, heatmap and timeline on screen after {:.0} ms, exact after {:.0} ms",
            first.unwrap_or_default().as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
        frames.report("frames while the slice is measured");
    }
}

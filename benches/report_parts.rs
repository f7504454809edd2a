//! The report as the app sees it: once the files are read, how long until the first part (the
//! overall entries and the verdict) is ready, each later part, and the whole report; and how
//! long a cancelled report keeps running after `cancel()` — cancelled at several points of its
//! run. Best of a few runs; figures go to BENCHMARKS.md.
//!
//!     cargo bench --bench report_parts -- BASELINE LOG

// A benchmark stops with a message when its inputs are missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use driftscope::analysis::{DriftParams, run_drift_report_parts};
use driftscope::data::{OverrideLayers, load_inputs};
use driftscope::jobs::{Executor, Job, JobPoll, JobState};

const RUNS: usize = 3;

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    let args: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    let [baseline, log] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench report_parts -- BASELINE LOG");
        std::process::exit(2);
    };
    let t = Instant::now();
    let inputs = match load_inputs(baseline, log, &OverrideLayers::default()) {
        Ok(i) => std::sync::Arc::new(i),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    println!(
        "read and roles: {:.3} s ({} log rows)",
        secs(t.elapsed()),
        inputs.current.rows()
    );
    let params = DriftParams::default();
    // Parts: when each is handed out, counted from the start of the report.
    let mut best: Vec<Duration> = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let times: Mutex<Vec<Duration>> = Mutex::default();
        let keep = |_| times.lock().unwrap().push(start.elapsed());
        run_drift_report_parts(&inputs, &params, &JobState::default(), Some(&keep)).unwrap();
        let mut times = times.into_inner().unwrap();
        times.push(start.elapsed());
        if best.is_empty() || times[0] < best[0] {
            best = times;
        }
    }
    let names = [
        "overall + verdict",
        "segments",
        "time windows",
        "whole report",
    ];
    for (name, t) in names.iter().zip(&best) {
        println!("{name} on screen after {:.3} s", secs(*t));
    }
    let whole = *best.last().unwrap();
    // Cancelled at a fifth, half and four fifths of the run: the time until the job returns.
    for share in [0.2, 0.5, 0.8] {
        let mut worst = Duration::ZERO;
        let mut worst_stage = String::new();
        let mut cancelled_runs = 0;
        for _ in 0..RUNS {
            let inputs = std::sync::Arc::clone(&inputs);
            let params = params.clone();
            let mut job = Job::spawn(
                Executor::Threads,
                "report",
                || {},
                move |state| run_drift_report_parts(&inputs, &params, state, None).is_none(),
            );
            std::thread::sleep(whole.mul_f64(share));
            let asked = Instant::now();
            let stage = job.state().stage_text();
            job.cancel();
            let cancelled = loop {
                match job.poll() {
                    JobPoll::Running => std::thread::sleep(Duration::from_millis(1)),
                    JobPoll::Done(c) => break c,
                    JobPoll::Lost => panic!("{}", job.lost_message()),
                }
            };
            let took = asked.elapsed();
            if cancelled {
                if took >= worst {
                    worst = took;
                    worst_stage = stage;
                }
                cancelled_runs += 1;
            }
        }
        println!(
            "cancelled at {:.0} % of the run: stopped within {:.3} s (worst of the \
             {cancelled_runs} of {RUNS} runs the cancel reached before the end; cancelled \
             during '{worst_stage}')",
            share * 100.0,
            secs(worst)
        );
    }
}

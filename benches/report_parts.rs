//! The report as the app sees it: once the files are read, how long until the first part (the
//! overall entries and the verdict) is ready, each later part, and the whole report; and how
//! long a cancelled report keeps running after `cancel()` — cancelled at every twentieth of its
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
    // Cancelled at every twentieth of the run (5 %, 10 %, … 95 %), once each: the time until
    // the job returns, per point and the worst of all. `MARKS=1` also prints each cancel's
    // CLOCK_MONOTONIC instant, to find its samples in `perf record -k CLOCK_MONOTONIC`.
    let marks = std::env::var_os("MARKS").is_some();
    let mut worst = (Duration::ZERO, String::new(), 0.0);
    let mut over = 0;
    for k in 1..20 {
        let share = f64::from(k) / 20.0;
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
        if !cancelled {
            println!("cancelled at {:.0} %: the report had ended", share * 100.0);
            continue;
        }
        if marks {
            println!("  at {asked:?}");
        }
        println!(
            "cancelled at {:.0} % of the run, during '{stage}': stopped within {:.3} s",
            share * 100.0,
            secs(took)
        );
        if took > Duration::from_millis(200) {
            over += 1;
        }
        if took >= worst.0 {
            worst = (took, stage, share);
        }
    }
    println!(
        "worst cancel: {:.3} s (at {:.0} %, during '{}'); {over} of the cancels took over 200 ms",
        secs(worst.0),
        worst.2 * 100.0,
        worst.1
    );
}

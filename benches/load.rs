//! Load benchmark: time `load_table` (read, flatten, parse timestamps) and role inference on the
//! files given, best of a few runs. Figures go to BENCHMARKS.md.
//!
//!     cargo bench --bench load -- target/bench-data/log_1000000.parquet ...

use std::path::PathBuf;
use std::time::{Duration, Instant};

use driftscope::data::{load_table, roles};

const RUNS: usize = 3;

fn main() {
    let files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        eprintln!("usage: cargo bench --bench load -- FILE...");
        std::process::exit(2);
    }
    println!("file\trows\tload_s\troles_s");
    for path in files {
        let mut best_load = Duration::MAX;
        let mut best_roles = Duration::MAX;
        let mut rows = 0;
        for _ in 0..RUNS {
            let t0 = Instant::now();
            let table = match load_table(&path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            best_load = best_load.min(t0.elapsed());
            let t1 = Instant::now();
            let set = roles::infer_roles(&roles::profile_frame(&table.frame), &[]);
            best_roles = best_roles.min(t1.elapsed());
            assert!(!set.columns.is_empty());
            rows = table.rows();
        }
        println!(
            "{}\t{rows}\t{:.3}\t{:.3}",
            path.display(),
            best_load.as_secs_f64(),
            best_roles.as_secs_f64()
        );
    }
}

//! Will a log fit? The memory this process may still use (the machine's available memory, or
//! its memory cgroup's limit when lower) and the memory a report from a log's rows needs, so that
//! `report` reads a log larger than memory in batches instead of being killed.

use std::path::Path;

use super::load::{Format, detect_format};

/// A report from a log's rows holds about this many times the log's in-memory size at its peak:
/// the frames, the columns' cells and per-row arrays, the slices' rows (BENCHMARKS.md: 4.1 GB
/// for a 10 M-row log whose Parquet footer says 1.4 GB uncompressed) — rounded up, as running
/// out of memory loses the work and reading in batches only costs time.
pub const ROWS_PEAK_FACTOR: f64 = 3.0;

/// The rows a batch holds when the log is read in batches because it does not fit: about a
/// sixteenth of the memory available, within these bounds (a batch's columns, cells and copies
/// come on top of the whole log's cells; inside a 1 GiB cgroup an eighth peaked at 1.1 GB).
const BATCH_ROWS: (usize, usize) = (50_000, 1_000_000);

/// The bytes this process may still allocate: `MemAvailable` of `/proc/meminfo`, or less when
/// its memory cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`) leaves less. `None` where
/// neither can be read (not Linux).
pub fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let machine = meminfo.as_deref().and_then(mem_available);
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|text| cgroup_room(&text, &|p| std::fs::read_to_string(p).ok()));
    match (machine, cgroup) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

/// `MemAvailable` in bytes from the text of `/proc/meminfo`.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// What the process's memory cgroup still allows (limit − usage), from the text of
/// `/proc/self/cgroup` and a reader of the cgroup files; `None` without a limit.
fn cgroup_room(self_cgroup: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<u64> {
    let number = |path: &str| read(path)?.trim().parse::<u64>().ok();
    for line in self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let path = path.trim_end_matches('/');
        if controllers.is_empty() {
            // cgroup v2: "max" means no limit (the number does not parse).
            let dir = format!("/sys/fs/cgroup{path}");
            if let Some(limit) = number(&format!("{dir}/memory.max")) {
                let used = number(&format!("{dir}/memory.current")).unwrap_or(0);
                return Some(limit.saturating_sub(used));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            let dir = format!("/sys/fs/cgroup/memory{path}");
            // No limit reads as a number near 2^63.
            if let Some(limit) = number(&format!("{dir}/memory.limit_in_bytes"))
                && limit < 1 << 60
            {
                let used = number(&format!("{dir}/memory.usage_in_bytes")).unwrap_or(0);
                return Some(limit.saturating_sub(used));
            }
        }
    }
    None
}

/// A log's size in memory once loaded, and its rows when the file says (Parquet's footer: the
/// row groups' uncompressed sizes and the row count). CSV and JSON lines: about the file's size,
/// rows unknown.
pub fn estimated_size(path: &Path) -> Option<(u64, Option<u64>)> {
    let file_bytes = std::fs::metadata(path).ok()?.len();
    match detect_format(path).ok()? {
        Format::Parquet => {
            use polars::prelude::*;
            let file = std::fs::File::open(path).ok()?;
            let mut reader = ParquetReader::new(file);
            let meta = reader.get_metadata().ok()?;
            let bytes: usize = meta.row_groups.iter().map(|g| g.total_byte_size()).sum();
            Some(((bytes as u64).max(file_bytes), Some(meta.num_rows as u64)))
        }
        Format::Csv { .. } | Format::JsonLines => Some((file_bytes, None)),
    }
}

/// A log too large for a report from its rows: what that would need, what is available, and
/// the batch size to read it in instead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TooLarge {
    pub need_bytes: f64,
    pub available_bytes: u64,
    pub batch_rows: usize,
}

impl TooLarge {
    /// "a report from the log's rows needs about 4.2 GB and 0.9 GB are available".
    pub fn describe(&self) -> String {
        format!(
            "a report from the log's rows needs about {:.1} GB and {:.1} GB are available",
            self.need_bytes / 1e9,
            self.available_bytes as f64 / 1e9
        )
    }
}

/// How a log is best read for a report: `None` whole (it fits), else in batches. `log_bytes` is
/// its in-memory size, `rows` its rows when known, `baseline_bytes` the baseline's, `available`
/// what the process may use.
pub fn batches_needed(
    log_bytes: u64,
    rows: Option<u64>,
    baseline_bytes: u64,
    available: u64,
) -> Option<TooLarge> {
    let need = (log_bytes.saturating_add(baseline_bytes)) as f64 * ROWS_PEAK_FACTOR;
    if need <= available as f64 {
        return None;
    }
    // Without a row count, a row of a CSV or JSON-lines log is taken as 100 bytes.
    let per_row = match rows {
        Some(r) if r > 0 => log_bytes as f64 / r as f64,
        _ => 100.0,
    }
    .max(1.0);
    let batch = (available as f64 / 16.0 / per_row) as usize;
    Some(TooLarge {
        need_bytes: need,
        available_bytes: available,
        batch_rows: batch.clamp(BATCH_ROWS.0, BATCH_ROWS.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_is_read_in_bytes() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2000000 kB\n";
        assert_eq!(mem_available(text), Some(2_000_000 * 1024));
        assert_eq!(mem_available("MemTotal: 5 kB\n"), None);
    }

    /// The cgroup's room is its limit less its usage, v1 or v2; "max" and v1's near-2^63
    /// sentinel mean no limit.
    #[test]
    fn a_cgroup_limit_lowers_the_memory_available() {
        let files = |limit: &'static str| {
            move |path: &str| -> Option<String> {
                Some(
                    match path {
                        "/sys/fs/cgroup/memory/ds1g/memory.limit_in_bytes" => limit,
                        "/sys/fs/cgroup/memory/ds1g/memory.usage_in_bytes" => "73741824",
                        "/sys/fs/cgroup/user.slice/memory.max" => limit,
                        "/sys/fs/cgroup/user.slice/memory.current" => "73741824",
                        _ => return None,
                    }
                    .to_owned(),
                )
            }
        };
        let v1 = "12:cpuset:/\n4:memory:/ds1g\n1:name=systemd:/x\n";
        assert_eq!(cgroup_room(v1, &files("1073741824")), Some(1_000_000_000));
        assert_eq!(cgroup_room(v1, &files("9223372036854771712")), None);
        let v2 = "0::/user.slice\n";
        assert_eq!(cgroup_room(v2, &files("1073741824")), Some(1_000_000_000));
        assert_eq!(cgroup_room(v2, &files("max")), None);
        assert_eq!(cgroup_room("", &files("1073741824")), None);
    }

    /// This machine says how much memory is left.
    #[test]
    fn this_machine_has_some_memory_available() {
        let bytes = available_bytes().expect("Linux says how much memory is available");
        assert!(bytes > 1 << 20, "{bytes}");
    }

    /// A log that fits is read whole; one that does not is read in batches sized to a sixteenth
    /// of the memory, within bounds, and the message says why.
    #[test]
    fn a_log_larger_than_memory_is_read_in_batches() {
        let gb = 1_000_000_000u64;
        assert_eq!(batches_needed(gb, Some(5_000_000), gb / 10, 8 * gb), None);
        let too = batches_needed(2 * gb, Some(10_000_000), gb / 5, gb).unwrap();
        // 200 bytes a row, a sixteenth of 1 GB: 312,500 rows.
        assert_eq!(too.batch_rows, 312_500);
        let why = too.describe();
        assert!(why.contains("6.6 GB") && why.contains("1.0 GB"), "{why}");
        let too = batches_needed(50 * gb, None, 0, gb / 100).unwrap();
        assert_eq!(too.batch_rows, 50_000, "at least the lower bound");
    }

    /// A Parquet file's footer gives its rows and at least its file size.
    #[test]
    fn a_parquet_logs_size_in_memory_comes_from_its_footer() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-data")
            .join("predictions.parquet");
        let (bytes, rows) = estimated_size(&path).unwrap();
        assert_eq!(rows, Some(10_500));
        assert!(bytes >= std::fs::metadata(&path).unwrap().len());
    }
}

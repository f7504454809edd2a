//! Background work: each job runs on a named thread with a progress counter and a cancel flag, and
//! hands its result back to whoever polls it (the UI thread, once per frame). Tests use the inline
//! executor, which runs the job at once so UI tests never wait on threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod derived;

pub use derived::{Answer, Derived, Preview};

/// How many rows a long pass over the rows takes between looks at its cancel flag: a cancelled
/// job stops within a few milliseconds of such a pass, and the check costs nothing measurable.
/// The crate's own unit tests look every 64 rows, so that a cancel at every look of a report
/// on the small sample reaches the inside of every pass.
pub const CANCEL_EVERY: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// Drops `value` on a thread of its own. A large result (the workspace of a ten-million-row
/// log holds millions of allocations) takes a second or more to give back: a cancelled job
/// returns at once instead, and a frame that replaces an old result is not held up.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    // Without a thread to be had, the value comes back inside the error and is dropped here.
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

/// Shared between a job and its owner: how far along it is and whether to stop.
#[derive(Debug, Default)]
pub struct JobState {
    done: AtomicU64,
    total: AtomicU64,
    stage: Mutex<String>,
    cancelled: AtomicBool,
    /// Every stage begun, with when.
    history: Mutex<Vec<(String, Instant)>>,
    /// Why the work ended without a result (its panic message, or a thread that could not start).
    failure: Mutex<Option<String>>,
    /// Which of a known number of parts is running (1-based), for work that knows its plan.
    part: AtomicU64,
    parts: AtomicU64,
    /// Each part's usual share of the whole work's time (see [`JobState::plan`]).
    shares: Mutex<Vec<f64>>,
    /// For a stage that cannot count what it has done (a file read in one call): how long it
    /// is expected to take, from its start.
    expected: Mutex<Option<(Instant, Duration)>>,
    /// Unit tests: how often the flag was looked at, and at which look to cancel (0: never).
    #[cfg(test)]
    looks: AtomicU64,
    #[cfg(test)]
    cancel_at_look: AtomicU64,
}

impl JobState {
    /// Sets the current stage ("reading baseline.parquet") and resets the counter.
    pub fn stage(&self, text: impl Into<String>, total: u64) {
        let text = text.into();
        if let Ok(mut h) = self.history.lock() {
            h.push((text.clone(), Instant::now()));
        }
        if let Ok(mut s) = self.stage.lock() {
            *s = text;
        }
        if let Ok(mut e) = self.expected.lock() {
            *e = None;
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Part `k` of `n` begins (work made of a known number of parts, such as the report).
    pub fn part(&self, k: u64, n: u64) {
        self.parts.store(n, Ordering::Relaxed);
        self.part.store(k.min(n), Ordering::Relaxed);
    }

    /// The next part begins, in work that said how many parts it has (else nothing): how a
    /// step shared by several kinds of work (a workspace) marks its own parts.
    pub fn next_part(&self) {
        let n = self.parts.load(Ordering::Relaxed);
        if n > 0 {
            let k = self.part.load(Ordering::Relaxed);
            self.part.store((k + 1).min(n), Ordering::Relaxed);
        }
    }

    /// [`JobState::stage`] for a stage that cannot count its progress but is expected to take
    /// about `expected`: its fraction done is estimated from the time it has run (at most
    /// 95 % until it ends).
    pub fn stage_expected(&self, text: impl Into<String>, expected: Duration) {
        self.stage(text, 0);
        if let Ok(mut e) = self.expected.lock() {
            *e = Some((Instant::now(), expected));
        }
    }

    /// The work's plan: its parts' usual shares of its time (measured, see BENCHMARKS.md), so
    /// that the time left can be estimated for the whole work and not only for a stage.
    pub fn plan(&self, shares: &[f64]) {
        let sum: f64 = shares.iter().sum();
        if let Ok(mut s) = self.shares.lock() {
            *s = shares
                .iter()
                .map(|x| x / sum.max(f64::MIN_POSITIVE))
                .collect();
        }
        self.parts.store(shares.len() as u64, Ordering::Relaxed);
    }

    /// The share of the whole work done: the parts before the running one, and the running
    /// part's share times its stage's fraction. `None` for work with no plan and no fraction.
    pub fn fraction_of_whole(&self) -> Option<f64> {
        let stage = self.fraction().map(f64::from);
        let Some((k, n)) = self.part_of().filter(|&(k, _)| k > 0) else {
            return stage;
        };
        let shares = self.shares.lock().ok()?.clone();
        let share = |i: u64| {
            shares
                .get(i as usize)
                .copied()
                .unwrap_or(1.0 / n.max(1) as f64)
        };
        let before: f64 = (0..k - 1).map(share).sum();
        Some((before + share(k - 1) * stage.unwrap_or(0.0)).min(1.0))
    }

    /// An estimate of the time the whole work still needs, `elapsed` into it: from its plan
    /// and pace when it has one, else from the running stage's pace.
    pub fn time_left(&self, elapsed: Duration) -> Option<Duration> {
        if self.part_of().is_none() {
            return self.stage_time_left();
        }
        let f = self.fraction_of_whole()?;
        (0.02..1.0)
            .contains(&f)
            .then(|| elapsed.mul_f64((1.0 - f) / f))
    }

    /// `(k, n)`: part k of n is running, when the work said so.
    pub fn part_of(&self) -> Option<(u64, u64)> {
        let n = self.parts.load(Ordering::Relaxed);
        (n > 0).then(|| (self.part.load(Ordering::Relaxed), n))
    }

    /// An estimate of the time the current stage still needs, from its pace so far (once a
    /// little of it is done).
    pub fn stage_time_left(&self) -> Option<Duration> {
        let f = f64::from(self.fraction()?);
        if !(0.02..1.0).contains(&f) {
            return None;
        }
        let started = self.history.lock().ok()?.last()?.1;
        Some(started.elapsed().mul_f64((1.0 - f) / f))
    }

    pub fn advance(&self, by: u64) {
        self.done.fetch_add(by, Ordering::Relaxed);
    }

    /// Fraction done, if the stage has a known size (or an expected time, see
    /// [`JobState::stage_expected`]).
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        if total > 0 {
            return Some((self.done.load(Ordering::Relaxed) as f32 / total as f32).min(1.0));
        }
        let (start, expected) = (*self.expected.lock().ok()?)?;
        Some((start.elapsed().as_secs_f32() / expected.as_secs_f32().max(1e-3)).min(0.95))
    }

    pub fn stage_text(&self) -> String {
        self.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// How long each stage took so far (the last one until now), in the order they ran.
    pub fn stage_times(&self) -> Vec<(String, Duration)> {
        let Ok(h) = self.history.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        h.iter()
            .enumerate()
            .map(|(i, (name, start))| {
                let end = h.get(i + 1).map_or(now, |(_, t)| *t);
                (name.clone(), end.duration_since(*start))
            })
            .collect()
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        #[cfg(test)]
        {
            let look = self.looks.fetch_add(1, Ordering::Relaxed) + 1;
            let at = self.cancel_at_look.load(Ordering::Relaxed);
            if at > 0 && look >= at {
                self.cancel();
            }
        }
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Unit tests: the work is cancelled at its `n`-th look at the flag (as if the user had
    /// pressed Cancel just then).
    #[cfg(test)]
    pub(crate) fn cancel_at_look(&self, n: u64) {
        self.cancel_at_look.store(n, Ordering::Relaxed);
    }

    /// Unit tests: how often the work has looked at the flag.
    #[cfg(test)]
    pub(crate) fn looks(&self) -> u64 {
        self.looks.load(Ordering::Relaxed)
    }

    fn fail(&self, why: String) {
        if let Ok(mut f) = self.failure.lock() {
            *f = Some(why);
        }
    }

    /// Why the work ended without a result, when it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

/// The text of a panic's payload (`panic!("…")` gives a `&str` or a `String`).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// How jobs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    /// A named thread per job (the app).
    Threads,
    /// At once, on the caller's thread (tests).
    Inline,
}

/// Work in flight. Dropping it cancels the work (its result would go nowhere).
pub struct Job<T> {
    name: String,
    state: Arc<JobState>,
    result: Receiver<T>,
    started: Instant,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work`; `wake` is called from the worker when the result is ready (the UI passes a
    /// repaint request, so the result is picked up without waiting for input).
    pub fn spawn(
        executor: Executor,
        name: impl Into<String>,
        wake: impl Fn() + Send + 'static,
        work: impl FnOnce(&JobState) -> T + Send + 'static,
    ) -> Self {
        let name = name.into();
        let state = Arc::new(JobState::default());
        // One answer a job: a channel of one slot, which the worker's single send never blocks on.
        let (tx, rx) = sync_channel(1);
        let run = {
            let state = Arc::clone(&state);
            let name = name.clone();
            move || {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&state)));
                match out {
                    // The owner may have gone away; then nobody wants the result.
                    Ok(out) => drop(tx.send(out)),
                    Err(payload) => {
                        state.fail(format!("{name} failed: {}", panic_text(&*payload)));
                        drop(tx);
                    }
                }
                wake();
            }
        };
        match executor {
            Executor::Inline => run(),
            Executor::Threads => {
                let spawned = std::thread::Builder::new()
                    .name(format!("job: {name}"))
                    .spawn(run);
                if let Err(e) = spawned {
                    // Without a thread there is no result; the owner sees the job as failed.
                    state.fail(format!("{name}: could not start a thread: {e}"));
                    state.cancel();
                }
            }
        }
        Self {
            name,
            state,
            result: rx,
            started: Instant::now(),
        }
    }

    /// The result, once, when ready.
    pub fn poll(&mut self) -> JobPoll<T> {
        match self.result.try_recv() {
            Ok(v) => JobPoll::Done(v),
            Err(TryRecvError::Empty) => JobPoll::Running,
            Err(TryRecvError::Disconnected) => JobPoll::Lost,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn state(&self) -> &JobState {
        &self.state
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn cancel(&self) {
        self.state.cancel();
    }

    /// What to tell the user about a job that was [`JobPoll::Lost`]: its panic message when it
    /// had one.
    pub fn lost_message(&self) -> String {
        self.state
            .failure()
            .unwrap_or_else(|| format!("{} stopped without a result", self.name))
    }
}

impl<T> Drop for Job<T> {
    fn drop(&mut self) {
        self.state.cancel();
    }
}

/// What [`Job::poll`] saw.
#[derive(Debug)]
pub enum JobPoll<T> {
    Running,
    Done(T),
    /// The worker ended without a result (it panicked or could not start).
    Lost,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// The time left is the whole job's: the parts done by their planned shares, the running
    /// part by its stage's fraction, the pace so far.
    #[test]
    fn time_left_counts_the_parts_done_and_the_running_stage() {
        let state = JobState::default();
        state.plan(&[2.0, 1.0, 1.0]);
        state.part(2, 3);
        state.stage("segments", 4);
        state.advance(2);
        let f = state.fraction_of_whole().unwrap();
        assert!((f - 0.625).abs() < 1e-9, "{f}");
        let left = state.time_left(Duration::from_secs(10)).unwrap();
        assert!((left.as_secs_f64() - 6.0).abs() < 1e-6, "{left:?}");
        // A stage that cannot count is estimated from its expected time, never past 95 %.
        state.part(3, 3);
        state.stage_expected("reading", Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(state.fraction(), Some(0.95));
        // Without a plan, the stage's own pace.
        let alone = JobState::default();
        alone.stage("one pass", 10);
        assert_eq!(alone.time_left(Duration::from_secs(1)), None);
    }

    #[test]
    fn inline_jobs_are_done_at_once_and_threaded_ones_later() {
        let mut job = Job::spawn(Executor::Inline, "sum", || {}, |_| 1 + 1);
        assert!(matches!(job.poll(), JobPoll::Done(2)));

        let (tx, rx) = channel();
        let mut job = Job::spawn(
            Executor::Threads,
            "wait",
            || {},
            move |state| {
                state.stage("waiting", 10);
                state.advance(5);
                rx.recv().unwrap_or(0)
            },
        );
        assert!(matches!(job.poll(), JobPoll::Running));
        tx.send(7).unwrap();
        let got = loop {
            if let JobPoll::Done(v) = job.poll() {
                break v;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(got, 7);
        assert_eq!(job.state().stage_text(), "waiting");
        assert_eq!(job.state().fraction(), Some(0.5));
    }

    #[test]
    fn a_panicking_job_is_reported_lost_not_hung() {
        let mut job: Job<i32> = Job::spawn(Executor::Threads, "boom", || {}, |_| panic!("boom"));
        let seen = loop {
            match job.poll() {
                JobPoll::Running => std::thread::sleep(Duration::from_millis(1)),
                other => break other,
            }
        };
        assert!(matches!(seen, JobPoll::Lost));
        assert_eq!(job.lost_message(), "boom failed: boom");
    }

    #[test]
    fn cancel_reaches_work_that_is_running() {
        let (started_tx, started_rx) = channel();
        let mut job = Job::spawn(
            Executor::Threads,
            "c",
            || {},
            move |s| {
                let _ = started_tx.send(());
                // Bounded, so that a cancel that never arrives fails the test instead of hanging it.
                let deadline = Instant::now() + Duration::from_secs(10);
                while !s.is_cancelled() {
                    if Instant::now() > deadline {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                true
            },
        );
        started_rx.recv().unwrap();
        assert!(matches!(job.poll(), JobPoll::Running));
        job.cancel();
        let seen = loop {
            match job.poll() {
                JobPoll::Running => std::thread::sleep(Duration::from_millis(1)),
                JobPoll::Done(v) => break v,
                JobPoll::Lost => panic!("the job was lost"),
            }
        };
        assert!(seen, "the running work never saw the cancel");
    }
}

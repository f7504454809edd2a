//! A result derived from the open files and what the user asked for, kept with the question it
//! answers: the result on screen, the one job computing its successor, and the last error. A new
//! question replaces (and so cancels) the job of an older one, so one job of a kind is in flight;
//! the shown result stays until its successor lands, and [`Derived::is_current`] says whether it
//! still answers what is asked.

use std::sync::Arc;

use super::{Executor, Job, JobPoll, JobState};

/// What a derived job gives: a value, `None` when it was cancelled, or why it failed.
pub type Answer<T> = Result<Option<T>, String>;

/// A result kept on screen, the job computing its successor, and what each was asked for.
pub struct Derived<K, T> {
    shown: Option<(K, Arc<T>)>,
    job: Option<(K, Job<Answer<T>>)>,
    error: Option<(K, String)>,
}

impl<K, T> Default for Derived<K, T> {
    fn default() -> Self {
        Self {
            shown: None,
            job: None,
            error: None,
        }
    }
}

impl<K: PartialEq + Clone, T: Send + 'static> Derived<K, T> {
    /// The result shown (possibly of an older question: see [`Self::is_current`]).
    pub fn value(&self) -> Option<&T> {
        self.shown.as_ref().map(|(_, v)| v.as_ref())
    }

    /// The result shown, shared (for work that reads it in the background without a copy).
    pub fn shared(&self) -> Option<Arc<T>> {
        self.shown.as_ref().map(|(_, v)| Arc::clone(v))
    }

    /// Why the last job failed, until the next one starts.
    pub fn error(&self) -> Option<&str> {
        self.error.as_ref().map(|(_, e)| e.as_str())
    }

    /// The shown result answers `key` exactly (not a previous question).
    pub fn is_current(&self, key: &K) -> bool {
        self.shown.as_ref().is_some_and(|(k, _)| k == key)
    }

    /// `key` has neither its answer, nor a job computing it, nor an error: start one.
    pub fn wanted(&self, key: &K) -> bool {
        !self.is_current(key)
            && self.job.as_ref().is_none_or(|(k, _)| k != key)
            && self.error.as_ref().is_none_or(|(k, _)| k != key)
    }

    /// Starts the job answering `key`; a job still running for an older key is cancelled and
    /// dropped with its memory. `wake` is called from the worker when the answer is ready.
    pub fn start(
        &mut self,
        key: K,
        executor: Executor,
        name: &str,
        wake: impl Fn() + Send + 'static,
        work: impl FnOnce(&JobState) -> Answer<T> + Send + 'static,
    ) {
        self.cancel();
        self.error = None;
        self.job = Some((key, Job::spawn(executor, name, wake, work)));
    }

    /// Takes the job's answer when it is ready: a value replaces the shown one, an error is kept
    /// with its question, a cancelled job leaves what is shown.
    pub fn poll(&mut self) {
        let Some((_, job)) = &mut self.job else {
            return;
        };
        let done = match job.poll() {
            JobPoll::Running => return,
            JobPoll::Done(result) => result,
            JobPoll::Lost => Err(format!("{} (an internal error)", job.lost_message())),
        };
        let Some((key, _)) = self.job.take() else {
            return;
        };
        match done {
            Ok(Some(value)) => self.shown = Some((key, Arc::new(value))),
            Ok(None) => {}
            Err(e) => self.error = Some((key, e)),
        }
    }

    pub fn running(&self) -> Option<&Job<Answer<T>>> {
        self.job.as_ref().map(|(_, j)| j)
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    pub fn cancel(&mut self) {
        if let Some((_, job)) = self.job.take() {
            job.cancel();
        }
    }

    /// Forgets everything (the files it was derived from are gone).
    pub fn clear(&mut self) {
        self.cancel();
        self.shown = None;
        self.error = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    fn wait_until(mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// A new question cancels the job of the old one, and only the new answer is shown.
    #[test]
    fn a_new_question_cancels_the_old_job_and_only_its_answer_lands() {
        let mut d: Derived<u32, u32> = Derived::default();
        let old_stopped = Arc::new(AtomicBool::new(false));
        let (release, wait) = channel::<()>();
        let stopped = Arc::clone(&old_stopped);
        d.start(
            1,
            Executor::Threads,
            "old",
            || {},
            move |state| {
                while !state.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                stopped.store(true, Ordering::SeqCst);
                // Were it not cancelled, this answer would land.
                Ok(Some(1))
            },
        );
        assert!(d.wanted(&2));
        d.start(
            2,
            Executor::Threads,
            "new",
            || {},
            move |_| {
                let _released = wait.recv();
                Ok(Some(20))
            },
        );
        wait_until(|| old_stopped.load(Ordering::SeqCst));
        assert!(d.is_running() && d.value().is_none());
        assert!(!d.wanted(&2), "the new question has its job");
        release.send(()).unwrap();
        wait_until(|| {
            d.poll();
            !d.is_running()
        });
        assert_eq!(d.value(), Some(&20));
        assert!(d.is_current(&2) && !d.is_current(&1));
    }

    /// A failed or cancelled successor leaves the last answer on screen, marked as older.
    #[test]
    fn a_failed_job_keeps_the_last_answer_and_says_why() {
        let mut d: Derived<u32, &'static str> = Derived::default();
        d.start(1, Executor::Inline, "a", || {}, |_| Ok(Some("first")));
        d.poll();
        d.start(
            2,
            Executor::Inline,
            "b",
            || {},
            |_| Err("column gone".into()),
        );
        d.poll();
        assert_eq!(d.value(), Some(&"first"));
        assert!(!d.is_current(&2));
        assert_eq!(d.error(), Some("column gone"));
        assert!(
            !d.wanted(&2),
            "a failed question is not asked again by itself"
        );
        d.start(3, Executor::Inline, "c", || {}, |_| Ok(None));
        d.poll();
        assert_eq!((d.value(), d.error()), (Some(&"first"), None));
        d.start(4, Executor::Inline, "d", || {}, |_| panic!("bug"));
        d.poll();
        assert!(
            d.error().is_some_and(|e| e.contains("bug")),
            "{:?}",
            d.error()
        );
    }
}

//! A result derived from the open files and what the user asked for, kept with the question it
//! answers: the result on screen, the one job computing its successor, and the last error. A new
//! question replaces (and so cancels) the job of an older one, so one job of a kind is in flight;
//! the shown result stays until its successor lands, and [`Derived::is_current`] says whether it
//! still answers what is asked.

use std::sync::{Arc, Mutex};

use super::{Executor, Job, JobPoll, JobState};

/// What a running job can put on screen before its answer: a quicker, rougher value (a slice's
/// drift from the cell profiles, with intervals, before the rows make it exact) that stands for
/// the question until the answer replaces it.
pub struct Preview<T> {
    slot: Arc<Mutex<Option<T>>>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl<T> Preview<T> {
    /// Shows `value` for the job's question (the latest shown wins) and wakes the owner.
    pub fn show(&self, value: T) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some(value);
        }
        (self.wake)();
    }
}

/// What a derived job gives: a value, `None` when it was cancelled, or why it failed.
pub type Answer<T> = Result<Option<T>, String>;

/// A result kept on screen, the job computing its successor, and what each was asked for.
pub struct Derived<K, T> {
    shown: Option<(K, Arc<T>)>,
    job: Option<(K, Job<Answer<T>>)>,
    /// Where the running job puts its preview, when it gives one.
    preview: Option<Arc<Mutex<Option<T>>>>,
    /// The shown value is its job's preview, not its answer.
    shown_preview: bool,
    error: Option<(K, String)>,
}

impl<K, T> Default for Derived<K, T> {
    fn default() -> Self {
        Self {
            shown: None,
            job: None,
            preview: None,
            shown_preview: false,
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
        wake: impl Fn() + Send + Sync + 'static,
        work: impl FnOnce(&JobState) -> Answer<T> + Send + 'static,
    ) {
        self.start_previewed(key, executor, name, wake, move |state, _| work(state));
    }

    /// [`Self::start`] for work that can show a [`Preview`] before its answer: the preview is
    /// shown as the answer to `key` (so the question is not asked again) until the answer lands;
    /// [`Self::is_preview`] says which is on screen. A cancelled job leaves its preview.
    pub fn start_previewed(
        &mut self,
        key: K,
        executor: Executor,
        name: &str,
        wake: impl Fn() + Send + Sync + 'static,
        work: impl FnOnce(&JobState, &Preview<T>) -> Answer<T> + Send + 'static,
    ) {
        self.cancel();
        self.error = None;
        let slot = Arc::new(Mutex::new(None));
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let preview = Preview {
            slot: Arc::clone(&slot),
            wake: Arc::clone(&wake),
        };
        self.preview = Some(slot);
        let job = Job::spawn(
            executor,
            name,
            move || wake(),
            move |state| work(state, &preview),
        );
        self.job = Some((key, job));
    }

    /// The value shown is a running (or cancelled) job's preview, not its answer.
    pub fn is_preview(&self) -> bool {
        self.shown_preview
    }

    /// Takes the job's answer when it is ready: a value replaces the shown one, an error is kept
    /// with its question, a cancelled job leaves what is shown.
    pub fn poll(&mut self) {
        let Some((key, job)) = &mut self.job else {
            return;
        };
        let previewed = self
            .preview
            .as_ref()
            .and_then(|p| p.lock().ok().and_then(|mut p| p.take()));
        if let Some(value) = previewed {
            self.shown = Some((key.clone(), Arc::new(value)));
            self.shown_preview = true;
        }
        let done = match job.poll() {
            JobPoll::Running => return,
            JobPoll::Done(result) => result,
            JobPoll::Lost => Err(format!("{} (an internal error)", job.lost_message())),
        };
        let Some((key, _)) = self.job.take() else {
            return;
        };
        self.preview = None;
        match done {
            Ok(Some(value)) => {
                self.shown = Some((key, Arc::new(value)));
                self.shown_preview = false;
            }
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
        self.preview = None;
    }

    /// Forgets everything (the files it was derived from are gone).
    pub fn clear(&mut self) {
        self.cancel();
        self.shown = None;
        self.shown_preview = false;
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

    /// A job's preview is on screen for its question while the job runs, and its answer replaces
    /// it; a cancelled job leaves its preview, still marked as one.
    #[test]
    fn a_preview_stands_for_the_question_until_the_answer_lands() {
        let mut d: Derived<u32, &'static str> = Derived::default();
        let (release, wait) = channel::<()>();
        d.start_previewed(
            1,
            Executor::Threads,
            "a",
            || {},
            move |_, preview| {
                preview.show("rough");
                let _released = wait.recv();
                Ok(Some("exact"))
            },
        );
        wait_until(|| {
            d.poll();
            d.value().is_some()
        });
        assert_eq!(d.value(), Some(&"rough"));
        assert!(d.is_preview() && d.is_current(&1) && d.is_running());
        assert!(
            !d.wanted(&1),
            "a question with its preview and its job is not asked again"
        );
        release.send(()).unwrap();
        wait_until(|| {
            d.poll();
            !d.is_running()
        });
        assert_eq!(d.value(), Some(&"exact"));
        assert!(!d.is_preview());

        d.start_previewed(
            2,
            Executor::Threads,
            "b",
            || {},
            |state, preview| {
                preview.show("rough two");
                while !state.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(None)
            },
        );
        wait_until(|| {
            d.poll();
            d.is_current(&2)
        });
        d.cancel();
        d.poll();
        assert_eq!(d.value(), Some(&"rough two"));
        assert!(d.is_preview() && !d.is_running());
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

//! The rewinding lab worker: one thread that owns every [`Lab`] of a run
//! (a Lab owns a current-thread runtime and a future that is not `Send`, so
//! Labs never leave this thread) and answers "what does the run look like
//! after N events?" over a channel.
//!
//! - Forward: the current Lab keeps stepping.
//! - Backward: a Lab paused earlier is taken and run forward to N: the
//!   nearest *checkpoint* at or before N, or a new Lab from the start. A run
//!   is deterministic, so the state is exactly the state of a new Lab run to
//!   N (tests check that).
//! - Checkpoints: Labs kept paused at evenly spaced positions of a large
//!   run (few, so memory stays bounded). A checkpoint used for a rewind is
//!   gone (a Lab only runs forward); the worker rebuilds it in idle time, a
//!   few thousand events at a time, so a request never waits long for it.
//! - Answers are cached (serialised) for the positions asked last, so going
//!   back and forth over the same events costs nothing.
//!
//! The position a Lab reaches can be a little past N when several events
//! are recorded at one moment of the scheduler; the answer says `events`.
//! A Lab's state is reported with the maillog of exactly the first N events.

use crate::lab::snapshot::HostSnapshot;
use crate::lab::{Lab, MessageRef, RunOptions, Until};
use crate::scenario::Scenario;
use crate::trace::{Event, Kind};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;
use tokio::sync::oneshot;

/// Runs with fewer events than this rewind from the start (it is fast enough).
const CHECKPOINT_MIN_SPACING: usize = 4_000;
/// At most this many checkpoint Labs.
const MAX_CHECKPOINTS: usize = 12;
/// Idle work runs this many events before looking for requests again.
const IDLE_CHUNK: usize = 2_000;
/// Cached answers, by total size.
const CACHE_BYTES: usize = 64 << 20;

/// The lab after N events, as `/api/state` sends it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct State {
    pub at: usize,
    /// Events the Lab had recorded when it paused (≥ `at` near the end of a busy moment).
    pub events: usize,
    pub time: String,
    pub step: usize,
    pub finished: bool,
    pub hosts: Vec<HostSnapshot>,
}

enum Job {
    State { at: usize, reply: oneshot::Sender<Arc<String>> },
    Message { at: usize, host: String, which: MessageRef, reply: oneshot::Sender<Option<Vec<u8>>> },
}

/// The handle the web server holds; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    tx: Sender<Job>,
}

impl Worker {
    /// Start the worker thread for a run whose whole trace is `events`.
    pub fn start(sc: Scenario, events: Arc<Vec<Event>>) -> std::io::Result<Worker> {
        let (tx, rx) = channel();
        std::thread::Builder::new().name("maillab-lab".into()).spawn(move || {
            let mut w = Labs::new(sc, events);
            w.serve(rx);
        })?;
        Ok(Worker { tx })
    }

    /// The state after `at` events, serialised (None if the worker is gone).
    pub async fn state(&self, at: usize) -> Option<Arc<String>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::State { at, reply }).ok()?;
        rx.await.ok()
    }

    /// A message a host holds after `at` events.
    pub async fn message(&self, at: usize, host: String, which: MessageRef) -> Option<Vec<u8>> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Message { at, host, which, reply }).ok()?;
        rx.await.ok().flatten()
    }
}

/// The Labs of one run and what the worker knows about it. Public for the
/// bench and tests, which drive it without a thread.
pub struct Labs {
    sc: Scenario,
    events: Arc<Vec<Event>>,
    current: Option<Lab>,
    checkpoints: BTreeMap<usize, Lab>,
    /// The positions checkpoints are kept at.
    targets: Vec<usize>,
    /// A Lab on its way to a missing checkpoint.
    builder: Option<(usize, Lab)>,
    cache: VecDeque<(usize, Arc<String>)>,
    cache_bytes: usize,
}

fn opts() -> RunOptions {
    RunOptions { wire: false }
}

impl Labs {
    pub fn new(sc: Scenario, events: Arc<Vec<Event>>) -> Labs {
        let total = events.len();
        let targets = if total < 2 * CHECKPOINT_MIN_SPACING {
            Vec::new()
        } else {
            let spacing = (total / (MAX_CHECKPOINTS + 1)).max(CHECKPOINT_MIN_SPACING);
            (1..).map(|k| k * spacing).take_while(|&p| p < total).take(MAX_CHECKPOINTS).collect()
        };
        Labs {
            sc,
            events,
            current: None,
            checkpoints: BTreeMap::new(),
            targets,
            builder: None,
            cache: VecDeque::new(),
            cache_bytes: 0,
        }
    }

    pub fn total(&self) -> usize {
        self.events.len()
    }

    /// How many checkpoint Labs are paused now (for the bench).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    fn serve(&mut self, rx: Receiver<Job>) {
        loop {
            let wait = if self.idle_work_left() { Duration::from_millis(5) } else { Duration::from_secs(3600) };
            match rx.recv_timeout(wait) {
                Ok(Job::State { at, reply }) => {
                    let s = self.state_json(at);
                    let _ = reply.send(s);
                }
                Ok(Job::Message { at, host, which, reply }) => {
                    let m = self.lab_at(at).and_then(|l| l.message(&host, &which));
                    let _ = reply.send(m);
                }
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// A Lab paused after (at least) `at` events: the current one when it is
    /// not past `at`, else the nearest checkpoint before it, else a new one.
    pub fn lab_at(&mut self, at: usize) -> Option<&mut Lab> {
        let at = at.min(self.total());
        let reuse = self.current.as_ref().is_some_and(|l| l.events_len() <= at);
        if !reuse {
            let from_ckpt = self.checkpoints.range(..=at).next_back().map(|(p, _)| *p);
            let from_builder = self.builder.as_ref().filter(|(_, l)| l.events_len() <= at).map(|(_, l)| l.events_len());
            let cur_pos = self.current.as_ref().map(|l| l.events_len());
            // Use whichever paused Lab is nearest below `at`.
            let lab = match (from_ckpt, from_builder) {
                (c, Some(b)) if c.is_none_or(|c| b >= c) => self.builder.take().map(|(_, l)| l),
                (Some(c), _) => self.checkpoints.remove(&c),
                _ => None,
            };
            let lab = match lab {
                Some(l) => l,
                None => Lab::new(&self.sc, opts()).ok()?,
            };
            // The Lab we leave may serve as a checkpoint later.
            if let (Some(old), Some(p)) = (self.current.take(), cur_pos) {
                self.keep_as_checkpoint(p, old);
            }
            self.current = Some(lab);
        }
        let lab = self.current.as_mut()?;
        lab.run_until(Until::Event(at));
        Some(lab)
    }

    /// Keep a Lab we no longer use if it is near a target with no checkpoint.
    fn keep_as_checkpoint(&mut self, pos: usize, lab: Lab) {
        let slack = self.targets.first().copied().unwrap_or(0) / 4;
        if let Some(&t) = self.targets.iter().find(|&&t| t <= pos && pos - t <= slack)
            && !self.checkpoints.range(t..=pos).any(|_| true)
        {
            self.checkpoints.insert(pos, lab);
        }
    }

    /// The state after `at` events as JSON (cached).
    pub fn state_json(&mut self, at: usize) -> Arc<String> {
        let at = at.min(self.total());
        if let Some((_, s)) = self.cache.iter().find(|(p, _)| *p == at) {
            return s.clone();
        }
        let s = Arc::new(serde_json::to_string(&self.state(at)).unwrap_or_else(|_| "{}".into()));
        self.cache_bytes += s.len();
        self.cache.push_back((at, s.clone()));
        while self.cache_bytes > CACHE_BYTES || self.cache.len() > 256 {
            match self.cache.pop_front() {
                Some((_, old)) => self.cache_bytes -= old.len(),
                None => break,
            }
        }
        s
    }

    /// The state after `at` events.
    pub fn state(&mut self, at: usize) -> State {
        let at = at.min(self.total());
        let events = self.events.clone();
        let Some(lab) = self.lab_at(at) else {
            return State { at, events: 0, time: String::new(), step: 0, finished: false, hosts: Vec::new() };
        };
        let snap = lab.snapshot();
        let mut hosts = snap.hosts;
        // The maillog of exactly the first `at` events.
        let upto = &events[..at.min(events.len())];
        for h in &mut hosts {
            h.maillog = upto
                .iter()
                .filter(|e| e.kind == Kind::Log && e.host == h.name)
                .filter_map(|e| e.line.clone())
                .collect();
        }
        State { at, events: snap.events, time: snap.time, step: snap.step, finished: snap.finished, hosts }
    }

    fn idle_work_left(&self) -> bool {
        self.builder.is_some() || self.targets.iter().any(|t| !self.has_checkpoint_for(*t))
    }

    fn has_checkpoint_for(&self, t: usize) -> bool {
        let slack = self.targets.first().copied().unwrap_or(0) / 4;
        self.checkpoints.range(t..=t + slack).next().is_some()
    }

    /// One slice of idle work: move the builder on towards the lowest target
    /// without a checkpoint (starting a builder when there is none).
    pub fn idle(&mut self) {
        if self.builder.is_none() {
            // The missing checkpoint nearest below the current position first
            // (the next steps back need it), then the lowest.
            let cur = self.current.as_ref().map(|l| l.events_len()).unwrap_or(0);
            let missing: Vec<usize> = self.targets.iter().copied().filter(|&t| !self.has_checkpoint_for(t)).collect();
            let pick = missing.iter().copied().filter(|&t| t <= cur).max().or_else(|| missing.first().copied());
            let Some(t) = pick else { return };
            match Lab::new(&self.sc, opts()) {
                Ok(l) => self.builder = Some((t, l)),
                Err(_) => {
                    self.targets.clear();
                    return;
                }
            }
        }
        let Some((t, mut lab)) = self.builder.take() else { return };
        let next = (lab.events_len() + IDLE_CHUNK).min(t);
        lab.run_until(Until::Event(next));
        if lab.events_len() >= t || lab.is_finished() {
            let p = lab.events_len();
            self.checkpoints.insert(p, lab);
        } else {
            self.builder = Some((t, lab));
        }
    }

    /// Do every piece of idle work now (for the bench and tests).
    pub fn settle(&mut self) {
        while self.idle_work_left() {
            self.idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        match crate::scenario::load_file(&path) {
            Ok(sc) => sc,
            Err(d) => panic!("{name}: {d}"),
        }
    }

    fn fresh(sc: &Scenario, events: &Arc<Vec<Event>>, at: usize) -> State {
        let mut l = Labs::new(sc.clone(), events.clone());
        l.state(at)
    }

    #[test]
    fn forward_and_back_are_the_same_as_a_fresh_run() {
        for name in ["relay-chain", "queue-retry", "list-digest"] {
            let sc = scenario(name);
            let events = Arc::new(crate::lab::run_with(&sc, opts()).map(|r| r.events).unwrap_or_default());
            // The expectation results are added after the run: the Lab stops before them.
            let mut labs = Labs::new(sc.clone(), events.clone());
            let n = events.len();
            let points = [0, n / 2, n / 2 + 1, n / 3, 1, n, n / 2 - 1, n + 5, 7, 6, 5];
            for &p in &points {
                let got = labs.state(p);
                assert_eq!(got, fresh(&sc, &events, p), "{name}: state at {p}");
                assert_eq!(got.at, p.min(n));
            }
        }
    }

    #[test]
    fn answers_are_cached_and_clamped() {
        let sc = scenario("relay-chain");
        let events = Arc::new(crate::lab::run_with(&sc, opts()).map(|r| r.events).unwrap_or_default());
        let mut labs = Labs::new(sc, events.clone());
        let a = labs.state_json(10);
        let b = labs.state_json(10);
        assert!(Arc::ptr_eq(&a, &b));
        let end = labs.state(usize::MAX);
        assert_eq!(end.at, events.len());
        assert!(end.finished);
    }
}

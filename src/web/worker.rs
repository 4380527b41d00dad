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

use crate::lab::snapshot::{HostSnapshot, Limits, Totals};
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
/// Idle work runs this many events before looking for requests again…
const IDLE_CHUNK: usize = 2_000;
/// …or makes trail states for about this long.
const IDLE_SLICE: Duration = Duration::from_millis(15);
/// Cached answers, by total size…
const CACHE_BYTES: usize = 64 << 20;
/// …and by number.
const CACHE_ENTRIES: usize = 256;
/// While the page rests at a position, idle time fills the cache with the
/// states of this many positions before it, so steps back are cache hits.
const TRAIL: usize = 48;
/// A rewind (a step back the cache cannot answer) stops a little before
/// the position asked for and walks the last events one by one, caching
/// the state of each position on the way: the steps back that follow are
/// cache hits. It caches at most this many positions…
const REWIND_TRAIL: usize = 32;
/// …and spends about this long on the extra states (their cost is measured).
const REWIND_TRAIL_BUDGET: Duration = Duration::from_millis(50);
/// A state sends at most this many mailboxes and queue entries of a host
/// (the page draws as many), list members, maillog lines (the last ones) and zone lines; the
/// totals say how many there are.
pub const MAX_BOXES: usize = 50;
pub const MAX_QUEUE: usize = 200;
pub const MAX_MEMBERS: usize = 500;
pub const MAX_LOG: usize = 200;
pub const MAX_ZONE: usize = 1_000;
const LIMITS: Limits =
    Limits { maillog: false, queue: MAX_QUEUE, mailboxes: MAX_BOXES, members: MAX_MEMBERS, dns: MAX_ZONE };

/// The lab after N events, as `/api/state` sends it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct State {
    pub at: usize,
    /// Events the Lab had recorded when it paused (≥ `at` near the end of a busy moment).
    pub events: usize,
    pub time: String,
    pub step: usize,
    pub finished: bool,
    pub hosts: Vec<HostState>,
}

impl State {
    /// Nothing to show (the scenario did not start).
    fn empty(at: usize) -> State {
        State { at, events: 0, time: String::new(), step: 0, finished: false, hosts: Vec::new() }
    }
}

/// One host as the page gets it: what the page draws, and how much there is.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HostState {
    #[serde(flatten)]
    pub host: HostSnapshot,
    /// Queue entries in all (the first [`MAX_QUEUE`] are sent).
    pub queue_total: usize,
    /// Mailboxes in all (the first [`MAX_BOXES`] are sent).
    pub mailboxes_total: usize,
    /// Messages in all the host's mailboxes.
    pub messages_total: usize,
    /// Maillog lines so far (the last [`MAX_LOG`] are sent).
    pub maillog_total: usize,
    /// Zone lines (the first [`MAX_ZONE`] are sent).
    pub dns_total: usize,
    /// Members of each list, in the order of `lists` (the first [`MAX_MEMBERS`] are sent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_total: Vec<usize>,
}

impl HostState {
    /// Cut a host's snapshot to what the page draws. `maillog` is the host's
    /// last lines and `maillog_total` how many it has logged.
    pub fn cut(mut host: HostSnapshot, maillog: Vec<String>, maillog_total: usize) -> HostState {
        let totals = host.totals.take().unwrap_or_else(|| Totals {
            queue: host.queue.len(),
            mailboxes: host.mailboxes.len(),
            messages: host.mailboxes.iter().map(|b| b.messages.len()).sum(),
            members: host.lists.iter().map(|l| l.members.len()).collect(),
            dns: host.dns.len(),
        });
        host.queue.truncate(MAX_QUEUE);
        host.mailboxes.truncate(MAX_BOXES);
        host.dns.truncate(MAX_ZONE);
        for l in &mut host.lists {
            l.members.truncate(MAX_MEMBERS);
        }
        host.maillog = maillog;
        HostState {
            host,
            queue_total: totals.queue,
            mailboxes_total: totals.mailboxes,
            messages_total: totals.messages,
            maillog_total,
            dns_total: totals.dns,
            members_total: totals.members,
        }
    }

    /// Cut a snapshot whose maillog holds every line.
    pub fn cut_whole(mut host: HostSnapshot) -> HostState {
        let all = std::mem::take(&mut host.maillog);
        let total = all.len();
        let tail = all[total.saturating_sub(MAX_LOG)..].to_vec();
        HostState::cut(host, tail, total)
    }
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
    /// Where each host's maillog lines are in the trace.
    logs: BTreeMap<String, Vec<usize>>,
    /// The position asked for last: the trail is made behind it.
    last_at: usize,
    /// A Lab on its way through the trail.
    trail: Option<Lab>,
    /// The lowest position the trail Lab stands for (it ran to it and
    /// paused at `events_len`, standing for every position in between).
    trail_from: usize,
    /// What making one state has cost lately (a moving average).
    state_cost: Duration,
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
        let mut logs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if e.kind == Kind::Log {
                logs.entry(e.host.to_string()).or_default().push(i);
            }
        }
        Labs {
            sc,
            events,
            current: None,
            checkpoints: BTreeMap::new(),
            targets,
            builder: None,
            cache: VecDeque::new(),
            cache_bytes: 0,
            logs,
            last_at: 0,
            trail: None,
            trail_from: usize::MAX,
            state_cost: Duration::ZERO,
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
            let from_trail = self.trail.as_ref().filter(|l| l.events_len() <= at).map(|l| l.events_len());
            let cur_pos = self.current.as_ref().map(|l| l.events_len());
            // Use whichever paused Lab is nearest below `at`.
            let best = [from_ckpt, from_builder, from_trail].into_iter().flatten().max();
            let lab = match best {
                None => None,
                Some(p) if from_trail == Some(p) => {
                    self.trail_from = usize::MAX;
                    self.trail.take()
                }
                Some(p) if from_builder == Some(p) => self.builder.take().map(|(_, l)| l),
                Some(p) => self.checkpoints.remove(&p),
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
        self.last_at = at;
        if let Some(s) = self.cached(at) {
            return s;
        }
        let cur = self.current.as_ref().map(Lab::events_len);
        // A step back the cache cannot answer rewinds; a jump forward (more
        // than one event) runs the current Lab on. Either way the last events
        // are walked one at a time, so the steps back that follow are cache
        // hits (a jump and then a step back is the common case).
        let floor = match cur {
            Some(c) if c <= at => (at > c + 1).then_some(c),
            _ => Some(0),
        };
        if let Some(floor) = floor
            && at > 0
        {
            self.walk_trail(at, floor);
            if let Some(s) = self.cached(at) {
                return s;
            }
        }
        self.make_state(at)
    }

    /// Make the state at `at` with the current Lab (moving it there) and cache it.
    fn make_state(&mut self, at: usize) -> Arc<String> {
        let events = self.events.clone();
        let logs = std::mem::take(&mut self.logs);
        let (s, took) = match self.lab_at(at) {
            // Run there first: only the snapshot and its JSON count as the state's cost.
            Some(lab) => {
                let t = std::time::Instant::now();
                let s = json(&state_of(lab, at, &events, &logs));
                (s, Some(t.elapsed()))
            }
            None => (json(&State::empty(at)), None),
        };
        self.logs = logs;
        if let Some(took) = took {
            note_cost(&mut self.state_cost, took);
        }
        self.remember(at, s.clone());
        s
    }

    /// A rewind or a jump to `at`: bring a Lab to a few positions before it
    /// (not before `floor`, where the current Lab stands on a jump forward)
    /// and walk to `at` one position at a time, caching each state (as many
    /// as [`REWIND_TRAIL_BUDGET`] allows at the measured cost of a state).
    fn walk_trail(&mut self, at: usize, floor: usize) {
        let per = self.state_cost.max(Duration::from_micros(50));
        let room = (REWIND_TRAIL_BUDGET.as_micros() / per.as_micros()) as usize;
        let from = at.saturating_sub(room.clamp(1, REWIND_TRAIL)).max(floor);
        if self.lab_at(from).is_none() {
            return;
        }
        let events = self.events.clone();
        let logs = std::mem::take(&mut self.logs);
        let mut made = Vec::new();
        let mut cost = self.state_cost;
        if let Some(lab) = self.current.as_mut() {
            for p in from..=at {
                // A Lab that ran to `from` and paused at `q` is what a new Lab
                // run to any position up to `q` would be (see `trail_step`).
                if lab.events_len() < p {
                    lab.run_until(Until::Event(p));
                }
                if self.cache.iter().any(|(c, _)| *c == p) {
                    continue;
                }
                let t = std::time::Instant::now();
                made.push((p, json(&state_of(lab, p, &events, &logs))));
                note_cost(&mut cost, t.elapsed());
            }
        }
        self.state_cost = cost;
        self.logs = logs;
        for (p, s) in made {
            self.remember(p, s);
        }
    }

    fn cached(&self, at: usize) -> Option<Arc<String>> {
        self.cache.iter().find(|(p, _)| *p == at).map(|(_, s)| s.clone())
    }

    /// Cache a state; when the cache is full, the states farthest from the
    /// position last asked for go first (not the oldest: idle work that fills
    /// the trail would otherwise push out the states a rewind or a jump just
    /// walked, which the next steps need).
    fn remember(&mut self, at: usize, s: Arc<String>) {
        self.cache_bytes += s.len();
        self.cache.push_back((at, s));
        while self.cache_bytes > CACHE_BYTES || self.cache.len() > CACHE_ENTRIES {
            let far = self.cache.iter().enumerate().max_by_key(|(_, (p, _))| p.abs_diff(self.last_at)).map(|(i, _)| i);
            match far.and_then(|i| self.cache.remove(i)) {
                Some((_, old)) => self.cache_bytes -= old.len(),
                None => break,
            }
        }
    }

    /// The state after `at` events.
    pub fn state(&mut self, at: usize) -> State {
        let at = at.min(self.total());
        let events = self.events.clone();
        let logs = std::mem::take(&mut self.logs);
        let s = match self.lab_at(at) {
            Some(lab) => state_of(lab, at, &events, &logs),
            None => State::empty(at),
        };
        self.logs = logs;
        s
    }

    fn idle_work_left(&self) -> bool {
        self.trail_missing().is_some()
            || self.builder.is_some()
            || self.targets.iter().any(|t| !self.has_checkpoint_for(*t))
    }

    /// The first position of the trail behind the last one asked for whose
    /// state is not cached.
    fn trail_missing(&self) -> Option<usize> {
        (self.last_at.saturating_sub(TRAIL)..self.last_at).find(|p| self.cached(*p).is_none())
    }

    /// One slice of trail work: bring a Lab to the first missing position
    /// of the trail (at most [`IDLE_CHUNK`] events at a time) and cache the
    /// states of every position that Lab stands for. False: nothing to do.
    fn trail_step(&mut self) -> bool {
        let Some(want) = self.trail_missing() else { return false };
        let stands_for = |l: &Lab| l.events_len() <= want || (self.trail_from <= want && want <= l.events_len());
        let usable = self.trail.as_ref().is_some_and(stands_for);
        if !usable {
            self.trail_from = usize::MAX;
            // The nearest paused Lab at or before `want`, as for a rewind.
            let from_ckpt = self.checkpoints.range(..=want).next_back().map(|(p, _)| *p);
            let from_builder =
                self.builder.as_ref().filter(|(_, l)| l.events_len() <= want).map(|(_, l)| l.events_len());
            let lab = match (from_ckpt, from_builder) {
                (c, Some(b)) if c.is_none_or(|c| b >= c) => self.builder.take().map(|(_, l)| l),
                (Some(c), _) => self.checkpoints.remove(&c),
                _ => None,
            };
            self.trail = match lab {
                Some(l) => Some(l),
                None => Lab::new(&self.sc, opts()).ok(),
            };
        }
        let events = self.events.clone();
        let Some(lab) = self.trail.as_mut() else { return false };
        let next = (lab.events_len() + IDLE_CHUNK).min(want);
        lab.run_until(Until::Event(next));
        if lab.events_len() < want && !lab.is_finished() {
            return true;
        }
        // A Lab that ran to `want` and paused at `q` is what a new Lab run to
        // any position in want..=q would be: it stopped at the first moment
        // with at least `want` events.
        self.trail_from = self.trail_from.min(want);
        let q = lab.events_len().min(self.last_at.saturating_sub(1)).max(want);
        let logs = std::mem::take(&mut self.logs);
        let mut made = Vec::new();
        // A slice of idle work stays short, so a request never waits long
        // behind it: states of a large run cost milliseconds each.
        let t = std::time::Instant::now();
        for p in want..=q {
            if t.elapsed() > IDLE_SLICE {
                break;
            }
            if self.cache.iter().all(|(c, _)| *c != p) {
                made.push((p, json(&state_of(lab, p, &events, &logs))));
            }
        }
        self.logs = logs;
        for (p, s) in made {
            self.remember(p, s);
        }
        true
    }

    fn has_checkpoint_for(&self, t: usize) -> bool {
        let slack = self.targets.first().copied().unwrap_or(0) / 4;
        self.checkpoints.range(t..=t + slack).next().is_some()
    }

    /// One slice of idle work: move the builder on towards the lowest target
    /// without a checkpoint (starting a builder when there is none).
    pub fn idle(&mut self) {
        if self.trail_step() {
            return;
        }
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

/// A state as the page reads it.
fn json(st: &State) -> Arc<String> {
    Arc::new(serde_json::to_string(st).unwrap_or_else(|_| "{}".into()))
}

/// Folds one measured cost of making a state into the running estimate
/// (an average that weighs the newest quarter; one slow outlier counts as
/// at most a second).
fn note_cost(estimate: &mut Duration, took: Duration) {
    *estimate = (*estimate * 3 + took.min(Duration::from_secs(1))) / 4;
}

/// The state of a Lab paused after (at least) `at` events, with each host's
/// maillog of exactly the first `at` events (`logs`: where each host's lines are).
fn state_of(lab: &mut Lab, at: usize, events: &[Event], logs: &BTreeMap<String, Vec<usize>>) -> State {
    // Only what the page draws: the maillog comes from the trace index below.
    let snap = lab.snapshot_with(&LIMITS);
    let hosts = snap
        .hosts
        .into_iter()
        .map(|h| {
            let at_host = logs.get(&h.name).map(Vec::as_slice).unwrap_or(&[]);
            let n = at_host.partition_point(|&i| i < at);
            let tail = at_host[n.saturating_sub(MAX_LOG)..n].iter().filter_map(|&i| events[i].line.clone()).collect();
            HostState::cut(h, tail, n)
        })
        .collect();
    State { at, events: snap.events, time: snap.time, step: snap.step, finished: snap.finished, hosts }
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
    fn resting_fills_the_trail_with_exact_states() {
        let sc = scenario("queue-retry");
        let events = Arc::new(crate::lab::run_with(&sc, opts()).map(|r| r.events).unwrap_or_default());
        let n = events.len();
        let mut labs = Labs::new(sc.clone(), events.clone());
        let at = n * 2 / 3;
        labs.state_json(at);
        labs.settle();
        for p in at - TRAIL..at {
            let cached = labs.cached(p).unwrap_or_else(|| panic!("position {p} is not in the trail"));
            let fresh = serde_json::to_string(&fresh(&sc, &events, p)).unwrap_or_default();
            assert_eq!(*cached, fresh, "trail state at {p}");
        }
        // Stepping back through it asks no Lab to move.
        for p in (at - TRAIL..at).rev() {
            let before = labs.current.as_ref().map(Lab::events_len);
            labs.state_json(p);
            assert_eq!(labs.current.as_ref().map(Lab::events_len), before);
        }
    }

    /// Go from position `from` to the middle of list-digest's run: the
    /// states cached before it are exact, and a step back from there is a
    /// cache hit (no Lab moves). Returns the Labs and the position.
    fn walk_from(from: impl Fn(usize) -> usize, what: &str) -> (Labs, usize) {
        let sc = scenario("list-digest");
        let events = Arc::new(crate::lab::run_with(&sc, opts()).map(|r| r.events).unwrap_or_default());
        let n = events.len();
        let mut labs = Labs::new(sc.clone(), events.clone());
        labs.state_json(from(n));
        let at = n / 2;
        labs.state_json(at);
        let trail: Vec<usize> = (at - REWIND_TRAIL..at).filter(|p| labs.cached(*p).is_some()).collect();
        assert!(!trail.is_empty(), "the {what} cached nothing before {at}");
        for p in trail {
            let cached = labs.cached(p).unwrap_or_default();
            let fresh = serde_json::to_string(&fresh(&sc, &events, p)).unwrap_or_default();
            assert_eq!(*cached, fresh, "state at {p} cached by the {what}");
        }
        let before = labs.current.as_ref().map(Lab::events_len);
        labs.state_json(at - 1);
        assert_eq!(labs.current.as_ref().map(Lab::events_len), before, "a step back after the {what}");
        (labs, at)
    }

    #[test]
    fn a_rewind_caches_exact_states_of_the_positions_before_it() {
        // From three quarters of the run back to the middle: a rewind.
        walk_from(|n| n * 3 / 4, "rewind");
    }

    #[test]
    fn a_jump_forward_caches_exact_states_of_the_positions_before_it() {
        let (mut labs, at) = walk_from(|_| 10, "jump");
        // A step forward by one event walks nothing extra.
        let cached = labs.cache.len();
        labs.state_json(at + 1);
        assert_eq!(labs.cache.len(), cached + 1);
    }

    #[test]
    fn a_full_cache_lets_go_of_the_states_farthest_from_the_position() {
        let sc = scenario("relay-chain");
        let mut labs = Labs::new(sc, Arc::new(Vec::new()));
        labs.last_at = 1_000;
        // Near the position first, then far behind it, then more than fits.
        for p in (900..1_000).chain(0..CACHE_ENTRIES) {
            labs.remember(p, Arc::new(String::from("{}")));
        }
        assert_eq!(labs.cache.len(), CACHE_ENTRIES);
        assert!((900..1_000).all(|p| labs.cached(p).is_some()), "the states near 1,000 stay");
        assert!(labs.cached(0).is_none(), "the farthest went first");
    }

    #[test]
    fn a_limited_snapshot_cuts_like_the_whole_one() {
        for name in ["list-digest", "relay-chain", "pop-vs-imap"] {
            let sc = scenario(name);
            let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
            lab.run_until(Until::End);
            let tiny = Limits { maillog: false, queue: 1, mailboxes: 1, members: 1, dns: 1 };
            let whole = lab.snapshot();
            let limited = lab.snapshot_with(&tiny);
            for (w, l) in whole.hosts.into_iter().zip(limited.hosts) {
                let (mut w, mut l) = (HostState::cut(w, Vec::new(), 0), HostState::cut(l, Vec::new(), 0));
                assert_eq!(
                    (w.queue_total, w.mailboxes_total, w.messages_total, &w.members_total, w.dns_total),
                    (l.queue_total, l.mailboxes_total, l.messages_total, &l.members_total, l.dns_total),
                    "{name}: totals of {}",
                    w.host.name
                );
                w.host.queue.truncate(1);
                w.host.mailboxes.truncate(1);
                w.host.dns.truncate(1);
                for list in &mut w.host.lists {
                    list.members.truncate(1);
                }
                l.host.totals = None;
                assert_eq!(w, l, "{name}: {}", l.host.name);
            }
        }
    }

    #[test]
    fn a_big_host_is_cut_to_what_the_page_draws() {
        let sc = scenario("relay-chain");
        let events = Arc::new(crate::lab::run_with(&sc, opts()).map(|r| r.events).unwrap_or_default());
        let mut labs = Labs::new(sc, events.clone());
        let end = labs.state(events.len());
        for h in &end.hosts {
            let logged = events.iter().filter(|e| e.kind == Kind::Log && e.host == h.host.name).count();
            assert_eq!(h.maillog_total, logged, "{}", h.host.name);
            assert_eq!(h.host.maillog.len(), logged.min(MAX_LOG));
        }
        let mut big = end.hosts[0].host.clone();
        big.maillog = (0..MAX_LOG + 5).map(|i| format!("line {i}")).collect();
        big.dns = (0..MAX_ZONE + 2).map(|i| format!("h{i} A 192.0.2.1")).collect();
        let cut = HostState::cut_whole(big);
        assert_eq!((cut.maillog_total, cut.host.maillog.len()), (MAX_LOG + 5, MAX_LOG));
        assert_eq!(cut.host.maillog.first().map(String::as_str), Some("line 5"), "the last lines are kept");
        assert_eq!((cut.dns_total, cut.host.dns.len()), (MAX_ZONE + 2, MAX_ZONE));
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

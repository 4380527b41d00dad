//! A run of a scenario as a lab bench: start it, step it event by event, run
//! it to a step, a virtual time or an event, look inside every host, and
//! finish it. Rewinding is running the same scenario (same seed) again to an
//! earlier point: a run is deterministic, so the same point looks the same.
//!
//! ```no_run
//! # fn demo(sc: &maillab::scenario::Scenario) -> std::io::Result<()> {
//! use maillab::lab::{Lab, RunOptions, Until};
//! let mut lab = Lab::new(sc, RunOptions { wire: false })?;
//! lab.run_until(Until::Step(2));
//! let snap = lab.snapshot();
//! println!("{} events so far, {} hosts", snap.events, snap.hosts.len());
//! let result = lab.finish();
//! # Ok(()) }
//! ```

pub mod accounting;
mod drive;
pub mod expect;
pub mod hosts;
pub mod snapshot;

pub use accounting::{Accounting, accounting};
pub use hosts::{Hosts, MessageRef, start_hosts};
pub use snapshot::Snapshot;

use crate::host::env::{Activity, Clock, Env, Streams};

use crate::net::Net;
use crate::net::sim::SimNet;
use crate::scenario::Scenario;
use crate::trace::{Event, Field, Kind, SCENARIO_HOST, Trace, ev};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

/// A run that records this many events is stopped (a scenario that loops
/// without end: a retry every second for a year, say). The largest labs
/// measured (a list of 100,000 members) record under a million.
pub const EVENT_BUDGET: usize = 2_000_000;

/// The outcome of a finished run: the trace with the expectations' results at its end.
pub struct RunResult {
    pub events: Vec<Event>,
    pub passed: usize,
    pub failed: usize,
}

/// What a run records besides the trace every view needs.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Keep every TCP segment and UDP datagram as a `wire` event (for `--pcap`).
    pub wire: bool,
}

/// Where to pause a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Until at least this many events have been recorded.
    Event(usize),
    /// Until step N (counted from 1) has started.
    Step(usize),
    /// Until this much virtual time has passed since the start.
    Time(Duration),
    /// Until the run is over.
    End,
}

/// A scenario running in virtual time, paused between calls.
pub struct Lab {
    rt: tokio::runtime::Runtime,
    sc: Arc<Scenario>,
    env: Env,
    hosts: Option<Arc<Hosts>>,
    progress: Arc<Notify>,
    /// The steps, polled by `run_until` itself (not spawned), so that a run
    /// paused and resumed schedules exactly as one run straight through.
    driver: Option<Pin<Box<dyn Future<Output = ()>>>>,
    t0: Instant,
    /// Events already looked at for step starts, and the last step started.
    seen: usize,
    step: usize,
    /// Stop the run after this many events (see [`EVENT_BUDGET`]).
    budget: usize,
}

/// Run to the end and check the expectations, recording the wire too.
pub fn run(sc: &Scenario) -> std::io::Result<RunResult> {
    run_with(sc, RunOptions { wire: true })
}

/// Run to the end and check the expectations.
pub fn run_with(sc: &Scenario, opts: RunOptions) -> std::io::Result<RunResult> {
    Ok(Lab::new(sc, opts)?.finish())
}

/// Run to the end, handing every event to `sink` as it is recorded (the
/// expectations' results included, last), and check the expectations.
/// The trace is not kept: the result's `events` are only those the
/// expectations and the end-of-run accounting read (small copies for the
/// accounting), so a run of a million events needs little memory.
/// The scenario is shared with the caller rather than copied (a scenario
/// of 100,000 users is tens of megabytes).
pub fn run_streaming(
    sc: Arc<Scenario>,
    opts: RunOptions,
    sink: crate::trace::StreamSink,
) -> std::io::Result<RunResult> {
    Ok(Lab::build(sc, opts, Some(sink))?.finish())
}

impl Lab {
    /// Start the scenario's hosts (nothing has happened yet but their start).
    pub fn new(sc: &Scenario, opts: RunOptions) -> std::io::Result<Lab> {
        Lab::build(Arc::new(sc.clone()), opts, None)
    }

    /// A Lab whose trace is kept whole, or streamed to `sink` keeping only
    /// what the Lab itself, the expectations and the accounting read.
    fn build(sc: Arc<Scenario>, opts: RunOptions, sink: Option<crate::trace::StreamSink>) -> std::io::Result<Lab> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
        let progress = Arc::new(Notify::new());
        let trace = match sink {
            None => Trace::with_progress(progress.clone()),
            Some(sink) => {
                let mut needs = expect::Needs::of(&sc);
                let keep = move |e: &Event| {
                    // `wants` follows sessions: it sees every event.
                    let wanted = needs.wants(e);
                    let run = matches!(
                        e.kind,
                        Kind::Step
                            | Kind::RunStart
                            | Kind::RunEnd
                            | Kind::RunLimit
                            | Kind::HostError
                            | Kind::Summary
                            | Kind::ExpectPass
                            | Kind::ExpectFail
                    );
                    if wanted || run { Some(e.clone()) } else { accounting::slim(e) }
                };
                Trace::streaming(progress.clone(), sink, Box::new(keep))
            }
        };
        let (env, sim, t0) = rt.block_on(async {
            let clock = Clock::new(sc.start);
            let mut net = SimNet::new(sc.latency);
            if opts.wire {
                net.set_tap(crate::net::sim::Tap { trace: trace.clone(), clock: clock.clone() });
            }
            for (a, b, d) in &sc.links {
                net.set_link_latency(sc.hosts[*a].address, sc.hosts[*b].address, *d);
            }
            let names: BTreeMap<_, _> =
                sc.hosts.iter().map(|h| (h.address, crate::trace::Name::from(&h.name))).collect();
            let env = Env {
                net: Net::Sim(net.clone()),
                trace,
                clock,
                rng: Streams::new(sc.seed),
                activity: Activity::default(),
                names: Arc::new(names),
                limits: crate::host::listen::Limits::default(),
            };
            (env, net, Instant::now())
        });
        let mut lab =
            Lab { rt, sc, env, hosts: None, progress, driver: None, t0, seen: 0, step: 0, budget: EVENT_BUDGET };
        let (sc, env) = (lab.sc.clone(), lab.env.clone());
        let scen = |kind: Kind| ev(env.clock.now(), SCENARIO_HOST, kind);
        lab.rt.block_on(async {
            env.trace.push(scen(Kind::RunStart).line(format!(
                "scenario {} ({} hosts), virtual time starts {}",
                sc.name,
                sc.hosts.len(),
                sc.start.to_rfc3339()
            )));
            match start_hosts(&sc, &env).await {
                Ok(h) => {
                    let h = Arc::new(h);
                    lab.hosts = Some(h.clone());
                    lab.driver = Some(Box::pin(drive::drive(sc.clone(), env.clone(), sim, h, t0)));
                }
                Err(e) => env.trace.push(scen(Kind::HostError).line(format!("a host could not start: {e}"))),
            }
        });
        Ok(lab)
    }

    /// Stop the run once it has recorded `events` events (the default is [`EVENT_BUDGET`]).
    pub fn with_event_budget(mut self, events: usize) -> Lab {
        self.budget = events;
        self
    }

    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// How many events have been recorded so far.
    pub fn events_len(&self) -> usize {
        self.env.trace.len()
    }

    /// Look at the events so far.
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        self.env.trace.with_events(f)
    }

    /// The run has nothing left to do.
    pub fn is_finished(&self) -> bool {
        self.driver.is_none()
    }

    /// The virtual time now.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        let _rt = self.rt.enter();
        self.env.clock.now()
    }

    /// The last step that has started (0 before the first).
    pub fn current_step(&mut self) -> usize {
        self.scan_steps();
        self.step
    }

    fn scan_steps(&mut self) {
        let seen = self.seen;
        let (len, last) = self.env.trace.with_events(|e| {
            let last = e
                .get(seen..)
                .unwrap_or(&[])
                .iter()
                .filter(|e| e.kind == Kind::Step)
                .filter_map(|e| e.field_u64(Field::Step))
                .next_back();
            (e.len(), last)
        });
        self.seen = len;
        if let Some(s) = last {
            self.step = s as usize;
        }
    }

    /// One more event (more than one when several are recorded at the same
    /// moment of the scheduler). False when the run is over.
    pub fn step(&mut self) -> bool {
        let n = self.events_len() + 1;
        self.run_until(Until::Event(n));
        self.events_len() >= n
    }

    /// Run until `until` (or the end of the run, whichever comes first).
    pub fn run_until(&mut self, until: Until) {
        loop {
            self.scan_steps();
            let reached = match until {
                Until::Event(n) => self.events_len() >= n,
                Until::Step(n) => self.step >= n,
                Until::Time(d) => {
                    let _rt = self.rt.enter();
                    Instant::now() >= self.t0 + d
                }
                Until::End => false,
            };
            if reached {
                return;
            }
            if self.driver.is_some() && self.events_len() >= self.budget {
                // Whatever keeps the hosts busy ends with the runtime, in `finish`.
                self.driver = None;
                let _rt = self.rt.enter();
                let line = format!(
                    "event budget of {} events reached: the run stops here (does something retry or loop without end?)",
                    self.budget
                );
                self.env.trace.push(ev(self.env.clock.now(), SCENARIO_HOST, Kind::RunLimit).line(line));
                return;
            }
            let Some(driver) = self.driver.as_mut() else { return };
            let progress = self.progress.clone();
            let deadline = match until {
                Until::Time(d) => Some(self.t0 + d),
                _ => None,
            };
            let ended = self.rt.block_on(async {
                tokio::select! {
                    biased;
                    _ = driver => true,
                    _ = progress.notified() => false,
                    _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => false,
                }
            });
            if ended {
                self.driver = None;
            }
        }
    }

    /// Every host as it is now.
    pub fn snapshot(&mut self) -> Snapshot {
        self.snapshot_with(&snapshot::Limits::ALL)
    }

    /// Every host as it is now, listing only as much as `limits` allow
    /// (each host's `totals` say how much there is).
    pub fn snapshot_with(&mut self, limits: &snapshot::Limits) -> Snapshot {
        self.scan_steps();
        let _rt = self.rt.enter();
        let time = self.env.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        let hosts = match &self.hosts {
            Some(h) => {
                self.env.trace.with_events(|e| h.snapshot_limited(&self.sc, &self.env.net, &self.env.clock, e, limits))
            }
            None => Vec::new(),
        };
        Snapshot { events: self.events_len(), time, step: self.step, finished: self.is_finished(), hosts }
    }

    /// The text of one message a host holds now (in a mailbox or its queue).
    pub fn message(&self, host: &str, which: &MessageRef) -> Option<Vec<u8>> {
        let _rt = self.rt.enter();
        self.hosts.as_ref()?.message(&self.sc, host, which)
    }

    /// Run to the end and check the expectations.
    pub fn finish(mut self) -> RunResult {
        self.run_until(Until::End);
        let trace = self.env.trace.clone();
        let sc = self.sc.clone();
        // The hosts' tasks end with the runtime. Freeing a big run's hosts
        // (a list of 100,000 accounts) takes a while and nothing waits for
        // it, so another thread does it (here if none can be started); no
        // host records an event as it is dropped.
        let Lab { rt, env, hosts, driver, .. } = self;
        drop(driver);
        let rest = (rt, env, hosts);
        if let Err(e) = std::thread::Builder::new().name("lab-drop".into()).spawn(move || drop(rest)) {
            tracing::debug!("dropping the lab here: {e}");
        }
        let end = trace.last_time().unwrap_or(sc.start);
        let mut events = trace.take_events();
        let results = expect::check(&sc, &events);
        let (mut passed, mut failed) = (0, 0);
        for r in results {
            let kind = if r.ok {
                passed += 1;
                Kind::ExpectPass
            } else {
                failed += 1;
                Kind::ExpectFail
            };
            // Through the trace, so that a streamed run's sink gets them too.
            // The result in both languages: every view in Japanese reads `line_ja` (`Event::line_in`).
            trace.push(
                ev(end, SCENARIO_HOST, kind)
                    .line(r.text)
                    .field(Field::ExpectLine, r.line)
                    .field(Field::LineJa, r.text_ja),
            );
        }
        events.extend(trace.take_events());
        trace.end_stream();
        RunResult { events, passed, failed }
    }
}

#[cfg(test)]
mod tests;

//! Run a scenario on the simulated network, in virtual time.

use crate::env::{Activity, Clock, Env, HostCtx, Streams};
use crate::expect;
use crate::host::mta::{Mta, SMTP_PORT};
use crate::host::resolver::{DNS_PORT, Resolver};
use crate::host::{dns, mua, queue};
use crate::net::Net;
use crate::net::sim::SimNet;
use crate::scenario::{Action, Fault, Role, Scenario};
use crate::trace::{Event, Trace, ev};
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until};

/// The host name used for events of the scenario itself (steps, expectations).
pub const SCENARIO_HOST: &str = "scenario";

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

/// Run to the end and check the expectations, recording the wire too.
pub fn run(sc: &Scenario) -> std::io::Result<RunResult> {
    run_with(sc, RunOptions { wire: true })
}

/// Run to the end and check the expectations.
pub fn run_with(sc: &Scenario, opts: RunOptions) -> std::io::Result<RunResult> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
    let events = rt.block_on(simulate(sc, opts));
    drop(rt);
    let trace_only = events;
    let results = expect::check(sc, &trace_only);
    let mut events = trace_only;
    let end = events.last().map(|e| e.t).unwrap_or(sc.start);
    let (mut passed, mut failed) = (0, 0);
    for r in results {
        let kind = if r.ok {
            passed += 1;
            Kind::ExpectPass
        } else {
            failed += 1;
            Kind::ExpectFail
        };
        events.push(ev(end, SCENARIO_HOST, kind).line(r.text).field(Field::ExpectLine, r.line));
    }
    Ok(RunResult { events, passed, failed })
}

fn ctx_for(env: &Env, sc: &Scenario, i: usize) -> HostCtx {
    let h = &sc.hosts[i];
    HostCtx { env: env.clone(), name: h.name.clone(), ip: h.address, hostname: h.hostname.clone() }
}

/// The running hosts of a scenario, for whoever drives them.
pub struct Started {
    pub mtas: Vec<(usize, Arc<Mta>)>,
    /// Per DNS host: set to make it answer SERVFAIL.
    pub servfail: BTreeMap<usize, Arc<AtomicBool>>,
}

/// Open every host's ports, then spawn one task per host and service on
/// `env`'s network. Fails (a port taken, an address not available) before
/// anything runs.
pub async fn start_hosts(sc: &Scenario, env: &Env) -> std::io::Result<Started> {
    let mut mtas: Vec<(usize, Arc<Mta>)> = Vec::new();
    let mut servfail: BTreeMap<usize, Arc<AtomicBool>> = BTreeMap::new();
    for (i, h) in sc.hosts.iter().enumerate() {
        let ctx = ctx_for(env, sc, i);
        if let Some(x) = h.external {
            ctx.emit(ctx.ev(Kind::HostExternal).line(format!(
                "{} is played by the real server at {x}; it is not started here{}",
                h.name,
                if matches!(env.net, Net::Sim(_)) { " (in a simulation nothing answers at its address)" } else { "" }
            )));
            continue;
        }
        match h.role {
            Role::Dns => {
                if let Some(cfg) = &h.dns {
                    let db = dns::build_db(cfg, sc);
                    let flag = Arc::new(AtomicBool::new(false));
                    servfail.insert(i, flag.clone());
                    let sock = dns::bind(&ctx).await?;
                    tokio::spawn(async move {
                        if let Err(e) = dns::run(ctx.clone(), db, flag, sock).await {
                            ctx.emit(ctx.ev(Kind::HostError).line(format!("DNS service stopped: {e}")));
                        }
                    });
                }
            }
            Role::Relay | Role::Hub | Role::Mx | Role::Mailstore | Role::List => {
                let Some(cfg) = h.mta.clone() else { continue };
                let mut store = crate::store::Store::new();
                for u in sc.users.iter().filter(|u| u.host == i) {
                    store.add_account(&u.address, u.password.as_deref().unwrap_or(""));
                }
                let auth_users: BTreeMap<String, String> =
                    sc.users.iter().filter_map(|u| u.password.clone().map(|p| (u.address.clone(), p))).collect();
                let resolver = cfg
                    .resolver
                    .map(|r| Resolver { ctx: ctx.clone(), server: SocketAddrV4::new(sc.hosts[r].address, DNS_PORT) });
                let smarthost = cfg.smarthost.map(|s| {
                    let sh = &sc.hosts[s];
                    queue::next_hop(&sh.name, &sh.hostname, SocketAddrV4::new(sh.address, SMTP_PORT))
                });
                let mta = Mta::new(ctx.clone(), cfg, store, auth_users, resolver, smarthost);
                mtas.push((i, mta.clone()));
                let listener = mta.bind().await?;
                if h.role == Role::Mailstore {
                    crate::host::mailstore::start(mta.clone()).await?;
                }
                tokio::spawn(async move {
                    if let Err(e) = mta.serve(listener).await {
                        ctx.emit(ctx.ev(Kind::HostError).line(format!("SMTP service stopped: {e}")));
                    }
                });
            }
            Role::Mua => {}
        }
    }
    Ok(Started { mtas, servfail })
}

async fn simulate(sc: &Scenario, opts: RunOptions) -> Vec<Event> {
    let trace = Trace::new();
    let clock = Clock::new(sc.start);
    let mut net = SimNet::new(sc.latency);
    if opts.wire {
        net.set_tap(crate::net::sim::Tap { trace: trace.clone(), clock: clock.clone() });
    }
    for (a, b, d) in &sc.links {
        net.set_link_latency(sc.hosts[*a].address, sc.hosts[*b].address, *d);
    }
    let names: BTreeMap<_, _> = sc.hosts.iter().map(|h| (h.address, h.name.clone())).collect();
    let env = Env {
        net: Net::Sim(net.clone()),
        trace: trace.clone(),
        clock,
        rng: Streams::new(sc.seed),
        activity: Activity::default(),
        names: Arc::new(names),
    };
    let sim = net;
    let t0 = Instant::now();
    let scen = |kind: Kind| ev(env.clock.now(), SCENARIO_HOST, kind);
    trace.push(scen(Kind::RunStart).line(format!(
        "scenario {} ({} hosts), virtual time starts {}",
        sc.name,
        sc.hosts.len(),
        sc.start.to_rfc3339()
    )));

    let Started { mtas, servfail } = match start_hosts(sc, &env).await {
        Ok(s) => s,
        Err(e) => {
            trace.push(scen(Kind::HostError).line(format!("a host could not start: {e}")));
            return trace.take_events();
        }
    };
    let faults = Faults {
        hosts: Arc::new(sc.hosts.iter().map(|h| (h.name.clone(), h.address)).collect()),
        latency: sc.latency,
        links: Arc::new(sc.links.iter().map(|(a, b, d)| ((*a.min(b), *a.max(b)), *d)).collect()),
        sim: sim.clone(),
        servfail: Arc::new(servfail),
        trace: trace.clone(),
        clock: env.clock.clone(),
    };

    // What each MUA has downloaded, for `reply` steps.
    let mut fetched: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (n, step) in sc.steps.iter().enumerate() {
        let n = n + 1;
        if let Some(at) = step.at {
            sleep_until(t0 + at).await;
        }
        let note = step.note.en.clone().or_else(|| step.note.ja.clone());
        match &step.action {
            Action::Send(s) if s.reply.is_some() => {
                // The replying user's own mailbox, as downloaded by this MUA; else anything it downloaded.
                let all = fetched.get(&s.mua).map(Vec::as_slice).unwrap_or(&[]);
                let own: Vec<String> =
                    all.iter().filter(|(u, _)| u.eq_ignore_ascii_case(&s.from)).map(|(_, m)| m.clone()).collect();
                let got: Vec<String> = if own.is_empty() { all.iter().map(|(_, m)| m.clone()).collect() } else { own };
                let ctx = ctx_for(&env, sc, s.mua);
                match mua::reply_to(s, &got) {
                    Some(r) => {
                        let what = format!(
                            "step {n}: {} replies to \"{}\" (to {}) via {}",
                            sc.hosts[s.mua].name,
                            r.subject,
                            r.to.join(", "),
                            sc.hosts[s.via].name
                        );
                        trace.push(
                            scen(Kind::Step)
                                .line(note.map(|t| format!("{what} — {t}")).unwrap_or(what))
                                .field(Field::Step, n),
                        );
                        mua::send(&ctx, &r, sc.hosts[r.via].address, n).await;
                    }
                    None => {
                        let what = format!(
                            "step {n}: {} has fetched no message to reply to{}",
                            sc.hosts[s.mua].name,
                            s.reply
                                .as_ref()
                                .and_then(|r| r.subject.as_ref())
                                .map(|x| format!(" with \"{x}\" in the subject"))
                                .unwrap_or_default()
                        );
                        trace.push(scen(Kind::Step).line(what.clone()).field(Field::Step, n));
                        ctx.emit(ctx.ev(Kind::MuaResult).line(format!("{what}; nothing sent")).field(Field::Step, n));
                    }
                }
            }
            Action::Send(s) => {
                let what = format!(
                    "step {n}: {} sends to {} via {}",
                    sc.hosts[s.mua].name,
                    s.to.join(", "),
                    sc.hosts[s.via].name
                );
                trace.push(
                    scen(Kind::Step).line(note.map(|t| format!("{what} — {t}")).unwrap_or(what)).field(Field::Step, n),
                );
                let ctx = ctx_for(&env, sc, s.mua);
                mua::send(&ctx, s, sc.hosts[s.via].address, n).await;
            }
            Action::Fetch(f) => {
                let what = format!(
                    "step {n}: {} reads the mailbox of {} on {} with {}",
                    sc.hosts[f.mua].name,
                    f.user,
                    sc.hosts[f.server].name,
                    match f.protocol {
                        crate::scenario::FetchProtocol::Pop3 if f.apop => "POP3 (APOP)",
                        crate::scenario::FetchProtocol::Pop3 => "POP3",
                        crate::scenario::FetchProtocol::Imap => "IMAP",
                    }
                );
                trace.push(
                    scen(Kind::Step).line(note.map(|t| format!("{what} — {t}")).unwrap_or(what)).field(Field::Step, n),
                );
                let ctx = ctx_for(&env, sc, f.mua);
                let got = crate::host::fetch::fetch(&ctx, f, sc.hosts[f.server].address, n).await;
                fetched.entry(f.mua).or_default().extend(got.into_iter().map(|m| (f.user.clone(), m)));
            }
            Action::Wait(d) => {
                let what = format!("step {n}: wait {}", crate::scenario::format_duration(*d));
                trace.push(
                    scen(Kind::Step).line(note.map(|t| format!("{what} — {t}")).unwrap_or(what)).field(Field::Step, n),
                );
                sleep(*d).await;
            }
            Action::Fault { fault, undo_after } => {
                let mut what = format!("step {n}: {}", faults.describe(fault));
                if let Some(d) = undo_after {
                    what.push_str(&format!(" for {}", crate::scenario::format_duration(*d)));
                }
                trace.push(
                    scen(Kind::Step).line(note.map(|t| format!("{what} — {t}")).unwrap_or(what)).field(Field::Step, n),
                );
                faults.apply(fault);
                if let Some(d) = *undo_after {
                    let undo = faults.inverse(fault);
                    let f = faults.clone();
                    tokio::spawn(async move {
                        sleep(d).await;
                        f.apply(&undo);
                    });
                }
            }
        }
    }
    let limit = t0 + sc.run_limit;
    tokio::select! {
        biased;
        _ = env.activity.wait_idle() => {}
        _ = sleep_until(limit) => {
            trace.push(scen(Kind::RunLimit).line(format!("run limit of {} reached; stopping with work still pending", crate::scenario::format_duration(sc.run_limit))));
        }
    }
    // What each MTA still holds, and the accounting of every accepted recipient.
    for (i, mta) in &mtas {
        let left: Vec<(String, usize)> =
            mta.with_state(|s| s.queue.values().map(|e| (e.qid.clone(), e.rcpts.len())).collect());
        for (qid, n) in &left {
            trace.push(
                ev(env.clock.now(), &sc.hosts[*i].name, Kind::QueueLeft)
                    .line(format!("{qid}: {n} recipient(s) still queued at the end of the run"))
                    .field(Field::Qid, qid.clone())
                    .field(Field::Rcpts, *n),
            );
        }
    }
    for (i, _) in &mtas {
        let host = &sc.hosts[*i].name;
        let c = trace.with_events(|events| accounting(events, host));
        trace.push(
            ev(env.clock.now(), host, Kind::Summary)
                .line(format!(
                    "accepted {} recipient(s): {} delivered here{}, {} relayed on, {} bounced, {} still queued",
                    c.accepted,
                    c.delivered,
                    if c.to_lists > 0 {
                        format!(" ({} of them to the list server)", c.to_lists)
                    } else {
                        String::new()
                    },
                    c.relayed,
                    c.bounced,
                    c.queued
                ))
                .field(Field::Accepted, c.accepted)
                .field(Field::Delivered, c.delivered)
                .field(Field::Relayed, c.relayed)
                .field(Field::Bounced, c.bounced)
                .field(Field::Queued, c.queued),
        );
    }
    trace.push(
        scen(Kind::RunEnd)
            .line(format!("virtual time elapsed: {}", crate::scenario::format_duration(env.clock.elapsed()))),
    );
    trace.take_events()
}

/// Per-host fate of every accepted recipient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    pub accepted: u64,
    pub delivered: u64,
    pub relayed: u64,
    pub bounced: u64,
    pub queued: u64,
    /// Of the delivered: handed to the list server rather than put in a mailbox.
    pub to_lists: u64,
}

impl Accounting {
    /// Nothing lost: every accepted recipient has exactly one end.
    pub fn balanced(&self) -> bool {
        self.accepted == self.delivered + self.relayed + self.bounced + self.queued
    }
}

pub fn accounting(events: &[Event], host: &str) -> Accounting {
    let mut a = Accounting::default();
    for e in events.iter().filter(|e| e.host == host) {
        match e.kind {
            Kind::QueueAdd => a.accepted += e.field_u64(Field::Rcpts).unwrap_or(0),
            // One alias becomes several recipients, each with its own end.
            Kind::AliasExpand => a.accepted += e.field_u64(Field::Added).unwrap_or(0),
            // Into a mailbox, or piped to the list server, which then submits its own mail.
            Kind::Deliver => a.delivered += 1,
            Kind::ListReceive => {
                a.delivered += 1;
                a.to_lists += 1;
            }
            Kind::Relay => a.relayed += 1,
            Kind::Bounce => a.bounced += 1,
            Kind::QueueLeft => a.queued += e.field_u64(Field::Rcpts).unwrap_or(0),
            _ => {}
        }
    }
    a
}

/// Applies the network faults that steps ask for.
#[derive(Clone)]
struct Faults {
    hosts: Arc<Vec<(String, std::net::Ipv4Addr)>>,
    latency: Duration,
    links: Arc<BTreeMap<(usize, usize), Duration>>,
    sim: SimNet,
    servfail: Arc<BTreeMap<usize, Arc<AtomicBool>>>,
    trace: Trace,
    clock: crate::env::Clock,
}

impl Faults {
    fn name(&self, i: usize) -> &str {
        self.hosts.get(i).map(|h| h.0.as_str()).unwrap_or("?")
    }
    fn ip(&self, i: usize) -> std::net::Ipv4Addr {
        self.hosts.get(i).map(|h| h.1).unwrap_or(std::net::Ipv4Addr::UNSPECIFIED)
    }
    fn describe(&self, f: &Fault) -> String {
        match f {
            Fault::Down(h) => format!("host {} goes down", self.name(*h)),
            Fault::Up(h) => format!("host {} comes back up", self.name(*h)),
            Fault::Cut(a, b) => format!("link {} ↔ {} is cut", self.name(*a), self.name(*b)),
            Fault::Restore(a, b) => {
                format!("link {} ↔ {} is restored", self.name(*a), self.name(*b))
            }
            Fault::Latency(a, b, d) => format!(
                "link {} ↔ {} now has latency {}",
                self.name(*a),
                self.name(*b),
                crate::scenario::format_duration(*d)
            ),
            Fault::ServFail(h, true) => {
                format!("DNS host {} answers SERVFAIL to everything", self.name(*h))
            }
            Fault::ServFail(h, false) => {
                format!("DNS host {} answers normally again", self.name(*h))
            }
        }
    }
    fn inverse(&self, f: &Fault) -> Fault {
        match f {
            Fault::Down(h) => Fault::Up(*h),
            Fault::Up(h) => Fault::Down(*h),
            Fault::Cut(a, b) => Fault::Restore(*a, *b),
            Fault::Restore(a, b) => Fault::Cut(*a, *b),
            Fault::Latency(a, b, _) => {
                let d = self.links.get(&(*a.min(b), *a.max(b))).copied().unwrap_or(self.latency);
                Fault::Latency(*a, *b, d)
            }
            Fault::ServFail(h, on) => Fault::ServFail(*h, !on),
        }
    }
    fn apply(&self, f: &Fault) {
        match f {
            Fault::Down(h) => self.sim.set_down(self.ip(*h), true),
            Fault::Up(h) => self.sim.set_down(self.ip(*h), false),
            Fault::Cut(a, b) => self.sim.set_cut(self.ip(*a), self.ip(*b), true),
            Fault::Restore(a, b) => self.sim.set_cut(self.ip(*a), self.ip(*b), false),
            Fault::Latency(a, b, d) => self.sim.set_link_latency(self.ip(*a), self.ip(*b), *d),
            Fault::ServFail(h, on) => {
                if let Some(flag) = self.servfail.get(h) {
                    flag.store(*on, Ordering::SeqCst);
                }
            }
        }
        self.trace.push(ev(self.clock.now(), SCENARIO_HOST, Kind::Fault).line(self.describe(f)));
    }
}

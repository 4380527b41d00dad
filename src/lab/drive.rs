//! The scenario's steps, run as one task beside the hosts: send, fetch,
//! reply, wait, faults and configuration changes, then the end of the run (what is still queued,
//! the per-MTA accounting).

use super::accounting::accounting;
use super::hosts::{Hosts, ctx_for};
use crate::host::env::Env;
use crate::host::mua;
use crate::net::sim::SimNet;
use crate::scenario::{Action, Fault, Scenario, format_duration};
use crate::trace::{Field, Kind, SCENARIO_HOST, Trace, ev};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until};

/// Run every step, wait until the network is quiet (or the run limit), then
/// record what is left and the accounting.
pub async fn drive(sc: Arc<Scenario>, env: Env, sim: SimNet, hosts: Arc<Hosts>, t0: Instant) {
    let trace = env.trace.clone();
    let scen = |kind: Kind| ev(env.clock.now(), SCENARIO_HOST, kind);
    let faults = Faults {
        hosts: Arc::new(sc.hosts.iter().map(|h| (h.name.clone(), h.address)).collect()),
        latency: sc.latency,
        links: Arc::new(sc.links.iter().map(|(a, b, d)| ((*a.min(b), *a.max(b)), *d)).collect()),
        sim,
        servfail: Arc::new(hosts.servfail.clone()),
        trace: trace.clone(),
        clock: env.clock.clone(),
    };

    // The steps, then the wait for a quiet network, all within the run
    // limit: a step that outlasts it (a reply held up for a year by a slow
    // link) is cut short too.
    let steps = async {
        // What each MUA has downloaded, for `reply` steps.
        let mut fetched: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
        for (n, step) in sc.steps.iter().enumerate() {
            let n = n + 1;
            if let Some(at) = step.at {
                sleep_until(t0 + at).await;
            }
            // The line carries the English note (else the Japanese); a view in
            // Japanese shows the Japanese one (`Event::line_in`).
            let note = step.note.en.clone().or_else(|| step.note.ja.clone());
            let started = |what: String| {
                let mut e = scen(Kind::Step)
                    .line(note.clone().map(|t| format!("{what} — {t}")).unwrap_or(what))
                    .field(Field::Step, n);
                if let (Some(en), Some(ja)) = (&step.note.en, &step.note.ja) {
                    e = e.field(Field::Note, en.as_str()).field(Field::NoteJa, ja.as_str());
                }
                e
            };
            match &step.action {
                Action::Send(s) if s.reply.is_some() => {
                    // The replying user's own mailbox, as downloaded by this MUA; else anything it downloaded.
                    let all = fetched.get(&s.mua).map(Vec::as_slice).unwrap_or(&[]);
                    let own: Vec<String> =
                        all.iter().filter(|(u, _)| u.eq_ignore_ascii_case(&s.from)).map(|(_, m)| m.clone()).collect();
                    let got: Vec<String> =
                        if own.is_empty() { all.iter().map(|(_, m)| m.clone()).collect() } else { own };
                    let ctx = ctx_for(&env, &sc, s.mua);
                    match mua::reply_to(s, &got) {
                        Some(r) => {
                            trace.push(started(format!(
                                "step {n}: {} replies to \"{}\" (to {}) via {}",
                                sc.hosts[s.mua].name,
                                r.subject,
                                r.to.join(", "),
                                sc.hosts[s.via].name
                            )));
                            mua::send(&ctx, &r, sc.hosts[r.via].address, &sc.hosts[r.via].hostname, n).await;
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
                            ctx.emit(
                                ctx.ev(Kind::MuaResult).line(format!("{what}; nothing sent")).field(Field::Step, n),
                            );
                        }
                    }
                }
                Action::Send(s) => {
                    trace.push(started(format!(
                        "step {n}: {} sends to {} via {}",
                        sc.hosts[s.mua].name,
                        s.to.join(", "),
                        sc.hosts[s.via].name
                    )));
                    let ctx = ctx_for(&env, &sc, s.mua);
                    mua::send(&ctx, s, sc.hosts[s.via].address, &sc.hosts[s.via].hostname, n).await;
                }
                Action::Fetch(f) => {
                    trace.push(started(format!(
                        "step {n}: {} reads the mailbox of {} on {} with {}",
                        sc.hosts[f.mua].name,
                        f.user,
                        sc.hosts[f.server].name,
                        match f.protocol {
                            crate::scenario::FetchProtocol::Pop3 if f.apop => "POP3 (APOP)",
                            crate::scenario::FetchProtocol::Pop3 => "POP3",
                            crate::scenario::FetchProtocol::Imap => "IMAP",
                        }
                    )));
                    let ctx = ctx_for(&env, &sc, f.mua);
                    let got =
                        crate::host::fetch::fetch(&ctx, f, sc.hosts[f.server].address, &sc.hosts[f.server].hostname, n)
                            .await;
                    fetched.entry(f.mua).or_default().extend(got.into_iter().map(|m| (f.user.clone(), m)));
                }
                Action::Wait(d) => {
                    trace.push(started(format!("step {n}: wait {}", format_duration(*d))));
                    sleep(*d).await;
                }
                Action::Configure { host, cfg, changes, users } => {
                    let name = &sc.hosts[*host].name;
                    trace.push(started(format!("step {n}: the administrator of {name} changes its configuration")));
                    if let Some((_, mta)) = hosts.mtas.iter().find(|(i, _)| i == host) {
                        let ctx = ctx_for(&env, &sc, *host);
                        ctx.emit(
                            ctx.ev(Kind::HostConfigure)
                                .line(format!("configuration reloaded: {}", changes.join("; ")))
                                .field(Field::Step, n),
                        );
                        mta.reload(cfg);
                        mta.change_users(users);
                    }
                }
                Action::Fault { fault, undo_after } => {
                    let mut what = format!("step {n}: {}", faults.describe(fault));
                    if let Some(d) = undo_after {
                        what.push_str(&format!(" for {}", format_duration(*d)));
                    }
                    trace.push(started(what));
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
        env.activity.wait_idle().await;
    };
    let limit = t0 + sc.run_limit;
    tokio::select! {
        biased;
        _ = steps => {}
        _ = sleep_until(limit) => {
            trace.push(scen(Kind::RunLimit).line(format!("run limit of {} reached; stopping with work still pending", format_duration(sc.run_limit))));
        }
    }
    // What each MTA still holds, and the accounting of every accepted recipient.
    for (i, left) in hosts.queued() {
        for (qid, n) in &left {
            trace.push(
                ev(env.clock.now(), &sc.hosts[i].name, Kind::QueueLeft)
                    .line(format!("{qid}: {n} recipient(s) still queued at the end of the run"))
                    .field(Field::Qid, qid.clone())
                    .field(Field::Rcpts, *n),
            );
        }
    }
    for (i, _) in &hosts.mtas {
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
    trace.push(scen(Kind::RunEnd).line(format!("virtual time elapsed: {}", format_duration(env.clock.elapsed()))));
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
    clock: crate::host::env::Clock,
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
            Fault::Latency(a, b, d) => {
                format!("link {} ↔ {} now has latency {}", self.name(*a), self.name(*b), format_duration(*d))
            }
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

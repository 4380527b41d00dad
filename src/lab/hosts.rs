//! Starting a scenario's hosts on a network (simulated or real), and
//! looking inside them while they run.

use super::snapshot::{
    HostSnapshot, Limits, ListMember, ListSnapshot, MailboxSnapshot, PopAuth, QueuedMessage, StoredMessage, Totals,
};
use crate::host::env::{Clock, Env, HostCtx};
use crate::host::mta::Mta;
use crate::host::resolver::Resolver;
use crate::host::{dns, spool};
use crate::listserv::Delivery;
use crate::net::Net;
use crate::proto::ports;
use crate::scenario::{Role, Scenario};
use crate::trace::{Event, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub(crate) fn ctx_for(env: &Env, sc: &Scenario, i: usize) -> HostCtx {
    let h = &sc.hosts[i];
    HostCtx { env: env.clone(), name: h.name.as_str().into(), ip: h.address, hostname: h.hostname.clone() }
}

/// The running hosts of a scenario, for whoever drives them.
pub struct Hosts {
    pub mtas: Vec<(usize, Arc<Mta>)>,
    /// Per DNS host: set to make it answer SERVFAIL.
    pub servfail: BTreeMap<usize, Arc<AtomicBool>>,
    /// Per DNS host: its records as zone-file lines (they do not change in a run).
    pub zones: BTreeMap<usize, Vec<String>>,
}

/// Open every host's ports, then spawn one task per host and service on
/// `env`'s network. Fails (a port taken, an address not available) before
/// anything runs.
pub async fn start_hosts(sc: &Scenario, env: &Env) -> std::io::Result<Hosts> {
    let mut out = Hosts { mtas: Vec::new(), servfail: BTreeMap::new(), zones: BTreeMap::new() };
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
                    let mut db = dns::build_db(cfg, sc);
                    crate::host::mailauth::publish(&mut db, cfg, sc, &env.rng);
                    out.zones.insert(i, db.records().iter().map(|r| r.to_string()).collect());
                    let flag = Arc::new(AtomicBool::new(false));
                    out.servfail.insert(i, flag.clone());
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
                store.set_disk_space(cfg.disk_space);
                // The mailboxes are created now, on the host's clock: their
                // UIDVALIDITY is this time (Dovecot's), so a lab started
                // again gives new ones and clients drop what they cached.
                let created = ctx.now();
                for u in sc.users.iter().filter(|u| u.host == i) {
                    store.add_account(&u.address, u.password.as_deref().unwrap_or(""), created);
                    if u.special_mailboxes {
                        store.add_special_mailboxes(&u.address, created).map_err(std::io::Error::other)?;
                    }
                }
                let auth_users: BTreeMap<String, String> =
                    sc.users.iter().filter_map(|u| u.password.clone().map(|p| (u.address.clone(), p))).collect();
                let resolver = cfg
                    .resolver
                    .map(|r| Resolver { ctx: ctx.clone(), server: SocketAddrV4::new(sc.hosts[r].address, ports::DNS) });
                let smarthost = cfg.smarthost.map(|s| {
                    let sh = &sc.hosts[s];
                    spool::next_hop(&sh.name, &sh.hostname, SocketAddrV4::new(sh.address, ports::SMTP))
                });
                let mta = Mta::new(ctx.clone(), cfg, store, auth_users, resolver, smarthost);
                out.mtas.push((i, mta.clone()));
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
    Ok(out)
}

impl Hosts {
    /// Recipients still queued, per MTA (in scenario order).
    pub fn queued(&self) -> Vec<(usize, Vec<(String, usize)>)> {
        self.mtas
            .iter()
            .map(|(i, m)| (*i, m.with_state(|s| s.queue.values().map(|e| (e.qid.clone(), e.rcpts.len())).collect())))
            .collect()
    }

    /// Messages in every account's mailboxes, per MTA (in scenario order).
    pub fn stored(&self) -> Vec<(usize, usize)> {
        self.mtas
            .iter()
            .map(|(i, m)| {
                (
                    *i,
                    m.with_store(|st| {
                        st.accounts().flat_map(|a| a.mailboxes.values()).map(|mb| mb.messages.len()).sum()
                    }),
                )
            })
            .collect()
    }

    /// Every host as it is now. `events` is the trace so far (for the maillog).
    pub fn snapshot(&self, sc: &Scenario, net: &Net, clock: &Clock, events: &[Event]) -> Vec<HostSnapshot> {
        self.snapshot_limited(sc, net, clock, events, &Limits::ALL)
    }

    /// [`Hosts::snapshot`], listing only as much as `limits` allow.
    pub fn snapshot_limited(
        &self,
        sc: &Scenario,
        net: &Net,
        clock: &Clock,
        events: &[Event],
        limits: &Limits,
    ) -> Vec<HostSnapshot> {
        let now = tokio::time::Instant::now();
        let at = |i: tokio::time::Instant| {
            let wall = clock.now();
            let d = chrono::Duration::from_std(i.saturating_duration_since(now)).unwrap_or_default();
            (wall + d).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
        };
        sc.hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let zone = self.zones.get(&i).map(Vec::as_slice).unwrap_or(&[]);
                let mut s = HostSnapshot {
                    name: h.name.clone(),
                    role: h.role.name().to_string(),
                    address: h.address.to_string(),
                    down: matches!(net, Net::Sim(n) if n.is_down(h.address)),
                    queue: Vec::new(),
                    mailboxes: Vec::new(),
                    popauth: Vec::new(),
                    lists: Vec::new(),
                    dns: zone.iter().take(limits.dns).cloned().collect(),
                    maillog: if limits.maillog {
                        events
                            .iter()
                            .filter(|e| e.kind == Kind::Log && e.host == h.name)
                            .filter_map(|e| e.line.clone())
                            .collect()
                    } else {
                        Vec::new()
                    },
                    totals: None,
                };
                let mut totals = Totals { dns: zone.len(), ..Totals::default() };
                if let Some((_, m)) = self.mtas.iter().find(|(j, _)| *j == i) {
                    fill_mta(&mut s, m, &at, limits, &mut totals);
                }
                if *limits != Limits::ALL {
                    s.totals = Some(totals);
                }
                s
            })
            .collect()
    }
}

/// Which message to look at in a host: one in a mailbox, or one in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageRef {
    Stored { user: String, mailbox: String, uid: u32 },
    Queued { qid: String },
}

impl Hosts {
    /// The whole text of a message as a host holds it now (None if it has no such message).
    pub fn message(&self, sc: &Scenario, host: &str, which: &MessageRef) -> Option<Vec<u8>> {
        let i = sc.hosts.iter().position(|h| h.name == host)?;
        let (_, m) = self.mtas.iter().find(|(j, _)| *j == i)?;
        match which {
            MessageRef::Queued { qid } => {
                m.with_state(|st| st.queue.values().find(|e| &e.qid == qid).map(|e| e.data.to_vec()))
            }
            MessageRef::Stored { user, mailbox, uid } => m.with_store(|st| {
                let acc = st.account(user)?;
                let mb = acc.mailboxes.get(mailbox)?;
                mb.messages.iter().find(|msg| msg.uid == *uid).map(|msg| msg.data.to_vec())
            }),
        }
    }
}

fn fill_mta(
    s: &mut HostSnapshot,
    m: &Mta,
    at: &dyn Fn(tokio::time::Instant) -> String,
    limits: &Limits,
    totals: &mut Totals,
) {
    s.queue = m.with_state(|st| {
        totals.queue = st.queue.len();
        st.queue
            .values()
            .take(limits.queue)
            .map(|e| QueuedMessage {
                qid: e.qid.clone(),
                from: e.from.to_string(),
                rcpts: e.rcpts.iter().map(|r| r.to_string()).collect(),
                size: e.data.len(),
                arrival: e.arrival.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
                attempts: e.attempts,
                next_try: at(e.next_try),
            })
            .collect()
    });
    s.mailboxes = m.with_store(|st| {
        let mut out = Vec::new();
        // Every account is counted; only the first few are copied (a list
        // host of 10,000 members is snapshot at every step of the lab).
        for acc in st.accounts() {
            for (name, mb) in &acc.mailboxes {
                totals.mailboxes += 1;
                totals.messages += mb.messages.len();
                if out.len() >= limits.mailboxes {
                    continue;
                }
                out.push(MailboxSnapshot {
                    user: acc.user.clone(),
                    mailbox: name.clone(),
                    uid_validity: mb.uid_validity,
                    uid_next: mb.uid_next,
                    messages: mb
                        .messages
                        .iter()
                        .map(|msg| StoredMessage {
                            uid: msg.uid,
                            flags: msg.flags.iter().cloned().collect(),
                            size: msg.size(),
                            from: crate::base::message::first_quick(&msg.data, "From").unwrap_or_default(),
                            subject: crate::base::message::first_quick(&msg.data, "Subject").unwrap_or_default(),
                        })
                        .collect(),
                });
            }
        }
        out
    });
    if let Ok(g) = m.popauth.lock() {
        s.popauth = g.iter().map(|(ip, until)| PopAuth { ip: ip.to_string(), until: at(*until) }).collect();
    }
    s.lists = m
        .lists
        .iter()
        .map(|hl| {
            hl.with(|l| ListSnapshot {
                name: l.cfg.name.clone(),
                members: l
                    .members()
                    .iter()
                    .take(limits.members)
                    .map(|mem| ListMember {
                        address: mem.address.clone(),
                        delivery: match mem.delivery {
                            Delivery::Each => "each",
                            Delivery::Digest => "digest",
                            Delivery::NoMail => "nomail",
                        },
                    })
                    .collect(),
                held: l.held_keys(),
                archive: l.archive().iter().map(|a| (a.n, a.from.clone(), a.subject.clone())).collect(),
            })
        })
        .collect();
    totals.members = m.lists.iter().map(|hl| hl.with(|l| l.members().len())).collect();
}

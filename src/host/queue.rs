//! An MTA's queue: deliver, forward, retry, bounce.
//!
//! Every accepted message is a [`QueueEntry`] until each of its recipients
//! has one of three ends: delivered to a local mailbox, relayed (the next
//! MTA answered 250 and took over), or bounced (a DSN went back to the
//! sender). Recipients that cannot be served now wait for the next retry.

use super::dsn::{self, DsnKind, Failure};
use super::maillog::Program;
use super::mta::Mta;
use super::resolver::{DnsFault, ResolveError, Target, Unroutable};
use super::smtp_client;
use super::spool::QueueEntry;
use crate::base::decimal::push_u64;
use crate::base::time::rfc5322;
use crate::proto::ports;
use crate::proto::smtp::client::{Job, RcptResult, Stage};
use crate::proto::smtp::envelope::{MailParams, Rcpt, RcptParams};
use crate::proto::smtp::persona::{AliasDsn, Attempt, DoubleBounce, Duplicates, ReportTo, Trouble, Words};
use crate::proto::smtp::received::{Via, received};
use crate::proto::smtp::{Mailbox, Path};
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::sync::Arc;
use tokio::time::Instant;

/// `settle` lets other tasks run after this many recipients.
const SETTLE_BATCH: usize = 256;

/// How one recipient fared in one attempt.
enum Fate {
    Delivered,
    /// Piped to a program on this host (the list server).
    Program(String),
    Relayed {
        via: String,
        /// The next hop's name, for a `relayed` report's Remote-MTA.
        host: String,
        reply: String,
        started: Instant,
        /// The next hop offered DSN, so the sender's NOTIFY went on with
        /// the message (else this MTA reports `relayed` to a sender who
        /// asked for SUCCESS: RFC 3461 §5.2.2).
        dsn_passed: bool,
    },
    Deferred {
        /// The failure in the flavour's words.
        words: Words,
        /// The next hop last tried (`name [ip]`).
        via: Option<String>,
        /// How long the attempt took (sendmail's `xdelay=`).
        xdelay: std::time::Duration,
    },
    Bounced {
        words: Words,
        /// The host that refused it, for the report's Remote-MTA.
        remote_mta: Option<String>,
        xdelay: std::time::Duration,
    },
    /// A local alias became several addresses and the sender asked for
    /// SUCCESS: an `expanded` report for the alias (RFC 3461 §5.2.7.3).
    Expanded,
}

/// What the last next hop tried did with a transaction it did not take.
enum Last {
    Connect { host: String, ip: std::net::Ipv4Addr, text: String },
    Refused { host: String, ip: std::net::Ipv4Addr, reply: crate::proto::smtp::Reply, stage: Stage },
}

/// The command a reply at `stage` answered, as this MTA's client sent it
/// (without its ESMTP parameters), for the transcript a sendmail report
/// quotes. Greeting and EHLO replies answer no command of the transaction.
fn command_for(stage: Stage, from: &Path, rcpt: Option<&Mailbox>) -> Option<String> {
    match stage {
        Stage::Mail => Some(format!("MAIL FROM:{}", from.bracketed())),
        Stage::Rcpt => rcpt.map(|m| format!("RCPT TO:<{m}>")),
        // The reply after the content answers the DATA transaction, as
        // sendmail's transcript writes it (`>>> DATA`).
        Stage::Data | Stage::EndOfData => Some("DATA".into()),
        _ => None,
    }
}

impl Mta {
    pub async fn run_queue(self: Arc<Self>) {
        loop {
            let now = Instant::now();
            let (due, next) = self.with_state(|s| {
                let due: Vec<u64> = s.queue.iter().filter(|(_, e)| e.next_try <= now).map(|(k, _)| *k).collect();
                let next = s.queue.values().map(|e| e.next_try).min();
                (due, next)
            });
            if due.is_empty() {
                match next {
                    Some(t) => {
                        tokio::select! {
                            biased;
                            _ = self.wake.notified() => {}
                            _ = tokio::time::sleep_until(t) => {}
                        }
                    }
                    None => self.wake.notified().await,
                }
                continue;
            }
            for k in due {
                self.attempt(k).await;
            }
        }
    }

    async fn attempt(&self, key: u64) {
        let Some((qid, from, rcpts, data, attempts, pid, arrived, params, junk)) = self.with_state(|s| {
            s.queue.get(&key).map(|e| {
                let params = e.params.clone();
                let (qid, from, rcpts, data) = (e.qid.clone(), e.from.clone(), e.rcpts.clone(), e.data.clone());
                (qid, from, rcpts, data, e.attempts, e.pid, e.arrived, params, e.junk)
            })
        }) else {
            return;
        };
        if attempts > 0 {
            self.ctx.emit(
                self.ctx
                    .ev(Kind::QueueRetry)
                    .line(format!("{qid}: attempt {} for {} recipient(s)", attempts + 1, rcpts.len()))
                    .field(Field::Qid, qid.clone()),
            );
        }
        // Group recipients: local ones, and remote ones by next hop.
        let mut fates: Vec<(Rcpt, Fate)> = Vec::new();
        let mut remote: BTreeMap<String, Vec<Rcpt>> = BTreeMap::new();
        // Each address to deliver to, and the alias it came through (None: given itself).
        let mut expanded: Vec<(Rcpt, Option<Mailbox>)> = Vec::new();
        // An alias passes a DSN request on only for a sender who used DSN at all.
        let dsn_used = params.has_dsn() || rcpts.iter().any(|r| !r.dsn.is_empty());
        for r in rcpts {
            if self.is_local_domain(&r.addr.domain)
                && let Some((i, dest)) = self.list_for(&self.local_address(&r.addr))
            {
                self.to_list(&qid, &from, &r.addr, i, dest, &data);
                let prog = self.list_program(i, dest);
                fates.push((r, Fate::Program(prog)));
                continue;
            }
            match self.expand_alias(&qid, &r, dsn_used) {
                Some(Ok((targets, report))) => {
                    expanded.extend(targets.into_iter().map(|t| (t, Some(r.addr.clone()))));
                    if report {
                        fates.push((r, Fate::Expanded));
                    }
                }
                Some(Err(f)) => fates.push((r, f)),
                None => expanded.push((r, None)),
            }
        }
        // The stored copy local recipients can share (see `deliver_local`).
        let mut shared = None;
        for r in self.drop_duplicates(&qid, expanded) {
            if self.is_local_domain(&r.addr.domain) {
                let fate = self.deliver_local(&qid, &from, &r.addr, &data, junk, &mut shared);
                fates.push((r, fate));
            } else {
                let group = if self.smarthost.is_some() { String::new() } else { r.addr.domain.clone() };
                remote.entry(group).or_default().push(r);
            }
        }
        for (domain, rs) in remote {
            let targets = match &self.smarthost {
                Some(h) => {
                    Ok(vec![Target { name: h.hostname.clone(), ip: *h.addr.ip(), preference: 0, by_address: false }])
                }
                None if domain.starts_with('[') => self.literal_target(&qid, &domain),
                None => self.mx_targets(&domain).await,
            };
            match targets {
                Ok(ts) => fates.extend(self.send_remote(&from, &rs, &data, &params, &ts).await),
                Err(ResolveError::Temporary(e)) => fates.extend(rs.into_iter().map(|r| {
                    let words = self.persona().trouble(&Trouble::Dns { fault: &e, status: "" }, &r.addr.key(), true);
                    (r, Fate::Deferred { words, via: None, xdelay: Default::default() })
                })),
                Err(ResolveError::Permanent(why, e)) => {
                    let status = why.status();
                    fates.extend(rs.into_iter().map(|r| {
                        let words = self.persona().trouble(&Trouble::Dns { fault: &e, status }, &r.addr.key(), false);
                        (r, Fate::Bounced { words, remote_mta: None, xdelay: Default::default() })
                    }));
                }
            }
        }
        self.settle(key, &qid, &from, &data, attempts, pid, arrived, &params, fates).await;
    }

    /// The diagnostic type of a DSN for a failure that is not an SMTP reply.
    fn diag_type(&self) -> &'static str {
        self.persona().diagnostic_type()
    }

    /// A local recipient that failed for a reason of the lab's own (an
    /// alias loop, no such user), in the flavour's words.
    fn local_failure(&self, r: &Mailbox, status: &str, text: &str) -> Fate {
        let words = self.persona().trouble(&Trouble::Other { status, text, local: true }, &r.key(), false);
        Fate::Bounced { words, remote_mta: None, xdelay: Default::default() }
    }

    /// One copy per recipient, as the flavour tells duplicates apart
    /// ([`Persona::duplicates`]): a later duplicate is dropped, said in the
    /// trace (`rcpt.duplicate`), and with sendmail its NOTIFY joins that of
    /// a kept address that came through an alias ([`dsn::join_notify`]).
    /// `expanded` holds each address and the alias it came through.
    ///
    /// [`Persona::duplicates`]: crate::proto::smtp::persona::Persona::duplicates
    fn drop_duplicates(&self, qid: &str, expanded: Vec<(Rcpt, Option<Mailbox>)>) -> Vec<Rcpt> {
        let dups = self.persona().duplicates();
        // Each kept recipient, and whether it came through an alias (for
        // sendmail: not QPRIMARY, so a duplicate's flags join its own).
        let mut kept: Vec<(Rcpt, bool)> = Vec::with_capacity(expanded.len());
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for (r, via) in expanded {
            let key = dups.key(&r, via.as_ref());
            let Some(&i) = index.get(&key) else {
                index.insert(key, kept.len());
                kept.push((r, via.is_some()));
                continue;
            };
            let mut line = format!("{qid}: <{r}> reached twice: one copy");
            if let Some((k, through_alias)) = kept.get_mut(i)
                && dups == Duplicates::ByAddress
                && *through_alias
            {
                let joined = dsn::join_notify(k.dsn.notify, r.dsn.notify);
                if joined != k.dsn.notify {
                    k.dsn.notify = joined;
                    line.push_str(&format!(
                        ", which now asks NOTIFY={}",
                        joined.map(|n| n.value()).unwrap_or_default()
                    ));
                }
                // Given itself (QPRIMARY) it is now: later duplicates join it no more.
                *through_alias = via.is_some();
            }
            self.ctx.emit(
                self.ctx.ev(Kind::RcptDuplicate).line(line).field(Field::Qid, qid).field(Field::Rcpt, r.to_string()),
            );
        }
        kept.into_iter().map(|(r, _)| r).collect()
    }

    /// Expand a local alias (like /etc/aliases), following nested aliases.
    /// `None`: not an alias. The envelope sender stays as it was (RFC 5321 §3.9).
    /// For a sender who used DSN (`dsn_used`) the recipient's request goes
    /// on to the new addresses as the flavour does it
    /// ([`Persona::alias_dsn`]); `true` beside the addresses: the sender
    /// gets an `expanded` report for the alias.
    ///
    /// [`Persona::alias_dsn`]: crate::proto::smtp::persona::Persona::alias_dsn
    fn expand_alias(&self, qid: &str, rcpt: &Rcpt, dsn_used: bool) -> Option<Result<(Vec<Rcpt>, bool), Fate>> {
        let r = &rcpt.addr;
        if !self.is_local_domain(&r.domain) || self.has_local_user(&self.local_address(r).key()) {
            return None;
        }
        let name = r.local.to_ascii_lowercase();
        self.cfg().aliases.get(&name)?;
        let mut out: Vec<Mailbox> = Vec::new();
        let mut have = std::collections::BTreeSet::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec![(name.clone(), 0usize)];
        while let Some((n, depth)) = todo.pop() {
            if !seen.insert(n.clone()) || depth > 10 {
                return Some(Err(self.local_failure(r, "5.4.6", &format!("alias loop: `{n}` expands to itself"))));
            }
            for t in self.cfg().aliases.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
                if t.contains('@') {
                    if let Ok(m) = crate::proto::smtp::address::parse_mailbox(t)
                        && have.insert(m.clone())
                    {
                        out.push(m);
                    }
                } else {
                    todo.push((t.clone(), depth + 1));
                }
            }
        }
        if out.is_empty() {
            return Some(Err(self.local_failure(r, "5.2.4", &format!("alias `{name}` names no address"))));
        }
        let list: Vec<String> = out.iter().map(|m| format!("<{m}>")).collect();
        let (rp, report, dsn_note) = self.alias_dsn(rcpt, out.len(), dsn_used);
        self.ctx.emit(
            self.ctx
                .ev(Kind::AliasExpand)
                .line(format!("{qid}: <{r}> expands to {}{dsn_note}", list.join(", ")))
                .field(Field::Qid, qid)
                .field(Field::Rcpt, r.to_string())
                .field(Field::Added, out.len().saturating_sub(1)),
        );
        let msg = format!("{qid}: alias <{r}> => {}", list.join(", "));
        self.log.log(super::maillog::Program::Local, self.log.daemon_pid, &msg);
        Some(Ok((out.into_iter().map(|addr| Rcpt { addr, dsn: rp.clone() }).collect(), report)))
    }

    /// Carry recipient `r`'s DSN request over to the `targets` addresses
    /// its alias became, as the flavour does it ([`dsn::through_alias`]).
    /// Only for a sender who used DSN at all (`dsn_used`): without it
    /// nothing is passed on. Returns the request each new address gets,
    /// whether the sender gets an `expanded` report, and the words the
    /// trace adds to the expansion line.
    fn alias_dsn(&self, r: &Rcpt, targets: usize, dsn_used: bool) -> (RcptParams, bool, String) {
        if !dsn_used {
            return (RcptParams::default(), false, String::new());
        }
        let mode = self.persona().alias_dsn(targets);
        let (rp, report) = dsn::through_alias(mode, &r.to_string(), &r.dsn);
        let notify = rp.notify.map(|n| format!("NOTIFY={} ", n.value())).unwrap_or_default();
        let orcpt = rp.orcpt.as_ref().map(|(t, a)| format!("ORCPT={t};{a}")).unwrap_or_default();
        let note = match mode {
            AliasDsn::PassOn => format!(" with {notify}{orcpt} (RFC 3461 §5.2.7.2)"),
            AliasDsn::Expanded => {
                let who = if targets == 1 { "it gets" } else { "each gets" };
                let asked = if report { "; the sender asked SUCCESS: an \"expanded\" report" } else { "" };
                format!("; {who} {notify}{orcpt}{asked} (RFC 3461 §5.2.7.3)")
            }
        };
        (rp, report, note)
    }

    /// Where mail for an address literal goes: to that address, with no MX
    /// or A look-up, so even a host without a DNS server can send it.
    /// Postfix's smtp(8) skips the MX look-up for a `[bracketed]` next hop
    /// (smtp_connect.c: `*dest == '['`) and takes the numeric host as its
    /// address (smtp_addr.c `smtp_addr_one()`); sendmail's ruleset 0 hands
    /// `[ip]` to the esmtp mailer with `$@ [ip]` as the host (proto.m4,
    /// "numeric internet spec"), which it connects to without MX. A
    /// smarthost, when there is one, takes the mail instead, in both (the
    /// caller's choice). The lab's network carries IPv4 only: an IPv6
    /// literal has no route, as on a Postfix with `inet_protocols = ipv4`.
    fn literal_target(&self, qid: &str, domain: &str) -> Result<Vec<Target>, ResolveError> {
        let ip = match crate::proto::smtp::address::literal_ip(domain) {
            Some(std::net::IpAddr::V4(ip)) => ip,
            _ => {
                return Err(ResolveError::Permanent(
                    Unroutable::NoIpv6,
                    DnsFault::Other(format!(
                        "no route to {domain}: this host has no IPv6 (the lab's network carries IPv4 only)"
                    )),
                ));
            }
        };
        let name = self.persona().literal_host(ip);
        let mut line = String::with_capacity(160);
        for part in [qid, ": mail for ", domain, " goes straight to ", &ip.to_string()] {
            line.push_str(part);
        }
        line.push_str(": an address literal names the host itself, so there is no MX or A look-up");
        self.ctx.emit(
            self.ctx
                .ev(Kind::QueueRoute)
                .peer(self.ctx.peer_name(ip))
                .line(line)
                .field(Field::Qid, qid)
                .field(Field::Domain, domain)
                .field(Field::Ip, ip.to_string()),
        );
        Ok(vec![Target { name, ip, preference: 0, by_address: true }])
    }

    async fn mx_targets(&self, domain: &str) -> Result<Vec<Target>, ResolveError> {
        let Some(res) = &self.resolver else {
            return Err(ResolveError::Permanent(
                Unroutable::NoRoute,
                DnsFault::Other(format!("no route to {domain}: this host has neither a smarthost nor a DNS server")),
            ));
        };
        let mut ts = res.mx_targets(domain).await?;
        // A relay that is itself an MX drops itself and every less preferred MX (RFC 5321 §5.1).
        if let Some(me) = ts.iter().find(|t| t.ip == self.ctx.ip).map(|t| t.preference) {
            ts.retain(|t| t.preference < me);
            if ts.is_empty() {
                return Err(ResolveError::Permanent(
                    Unroutable::LoopsBack,
                    DnsFault::Other(format!("mail for {domain} loops back to myself")),
                ));
            }
        }
        Ok(ts)
    }

    /// Try each target in order until one takes the transaction.
    async fn send_remote(
        &self,
        from: &Path,
        rcpts: &[Rcpt],
        data: &Arc<Vec<u8>>,
        params: &MailParams,
        targets: &[Target],
    ) -> Vec<(Rcpt, Fate)> {
        let persona = self.persona();
        // What the last next hop tried did, for every recipient if none takes them.
        let mut last: Option<(Last, String)> = None;
        let attempt_start = Instant::now();
        for t in targets {
            let label = self.ctx.peer_name(t.ip);
            let via = format!("{} [{}]", t.name, t.ip);
            let started = Instant::now();
            let conn = match smtp_client::connect(&self.ctx, SocketAddrV4::new(t.ip, ports::SMTP), &label, None).await {
                Ok(c) => c,
                Err(e) => {
                    let text = persona.connect_failure(&e, &t.name, t.ip, ports::SMTP);
                    last = Some((Last::Connect { host: t.name.clone(), ip: t.ip, text }, via));
                    continue;
                }
            };
            let job = Job {
                helo: self.ctx.hostname.clone(),
                from: from.clone(),
                rcpts: rcpts.to_vec(),
                // Lines longer than this MTA sends are broken, as its client breaks them.
                data: self.persona().fold_for_relay(data).unwrap_or_else(|| data.as_ref().clone()),
                auth: None,
                // Opportunistic STARTTLS between MTAs, as Postfix's `may` level.
                starttls: true,
                chunking: self.cfg().chunking,
                smtputf8: params.smtputf8,
                dsn: params.clone(),
            };
            // The name its certificate is checked against: its address, for a literal's host.
            let tls_name = if t.by_address { t.ip.to_string() } else { t.name.clone() };
            let out = smtp_client::transact(&self.ctx, conn, &label, &tls_name, false, job).await;
            let dsn_passed = out.dsn_offered;
            // If the server failed the whole session for now before any recipient, try the next MX.
            let all_temp_early = out.results.iter().all(|(_, r)| matches!(r, RcptResult::Refused { reply, stage } if reply.is_transient() && !matches!(stage, Stage::Rcpt)));
            if all_temp_early && !out.results.is_empty() {
                if let RcptResult::Refused { reply, stage } = &out.results[0].1 {
                    let refused = Last::Refused { host: t.name.clone(), ip: t.ip, reply: reply.clone(), stage: *stage };
                    last = Some((refused, via));
                }
                continue;
            }
            let xdelay = Instant::now().saturating_duration_since(attempt_start);
            return out
                .results
                .into_iter()
                .map(|(m, r)| {
                    let rcpt = m.addr.key();
                    let fate = match r {
                        RcptResult::Accepted(reply) => Fate::Relayed {
                            via: via.clone(),
                            host: t.name.clone(),
                            reply: reply.one_line(),
                            started,
                            dsn_passed,
                        },
                        // RFC 6531 §3.2: not sent at all; the words are this MTA's.
                        RcptResult::Refused { stage: Stage::Smtputf8, .. } => {
                            let text = persona.smtputf8_not_offered(&format!("{}[{}]", t.name, t.ip));
                            let trouble = Trouble::Other { status: "5.6.7", text: &text, local: false };
                            Fate::Bounced { words: persona.trouble(&trouble, &rcpt, false), remote_mta: None, xdelay }
                        }
                        RcptResult::Refused { reply, stage } => {
                            let command = command_for(stage, from, Some(&m.addr));
                            let trouble = Trouble::Refused {
                                host: &t.name,
                                ip: t.ip,
                                reply: &reply,
                                stage,
                                command: command.as_deref(),
                            };
                            let words = persona.trouble(&trouble, &rcpt, reply.is_transient());
                            if reply.is_permanent() {
                                Fate::Bounced { words, remote_mta: Some(t.name.clone()), xdelay }
                            } else {
                                Fate::Deferred { words, via: Some(via.clone()), xdelay }
                            }
                        }
                    };
                    (m, fate)
                })
                .collect();
        }
        let xdelay = Instant::now().saturating_duration_since(attempt_start);
        rcpts
            .iter()
            .map(|r| {
                let (words, via) = match &last {
                    Some((Last::Connect { host, ip, text }, via)) => {
                        let trouble = Trouble::Connect { host, ip: *ip, text };
                        (persona.trouble(&trouble, &r.addr.key(), true), Some(via.clone()))
                    }
                    Some((Last::Refused { host, ip, reply, stage }, via)) => {
                        let command = command_for(*stage, from, Some(&r.addr));
                        let trouble =
                            Trouble::Refused { host, ip: *ip, reply, stage: *stage, command: command.as_deref() };
                        (persona.trouble(&trouble, &r.addr.key(), true), Some(via.clone()))
                    }
                    None => {
                        let text = "no mail exchanger could be reached";
                        let trouble = Trouble::Other { status: "4.4.1", text, local: false };
                        (persona.trouble(&trouble, &r.addr.key(), true), None)
                    }
                };
                (r.clone(), Fate::Deferred { words, via, xdelay })
            })
            .collect()
    }

    /// Deliver to a local user's INBOX, or, for mail DMARC quarantined, to
    /// the user's `Junk` mailbox (created if missing), as a receiver's
    /// filter does with OpenDMARC's verdict (a Sieve `fileinto "Junk"`).
    ///
    /// The stored copy is the message after a `Return-Path:` field, and with
    /// Postfix a `Delivered-To:` naming the recipient. Without the latter
    /// (sendmail) every local recipient of one attempt gets the same octets:
    /// they share one copy (`shared`), as the mailboxes share it with the
    /// `deliver` events, instead of one copy each (a post to 100,000 members
    /// held 100,000 copies of the same message).
    fn deliver_local(
        &self,
        qid: &str,
        from: &Path,
        rcpt: &Mailbox,
        data: &Arc<Vec<u8>>,
        junk: bool,
        shared: &mut Option<Arc<Vec<u8>>>,
    ) -> Fate {
        // At the host's own address literal, the mailbox its local part finds.
        let at = self.local_address(rcpt);
        let by_literal = !matches!(at, std::borrow::Cow::Borrowed(_));
        let key = at.key();
        let per_recipient = self.persona().writes_delivered_to();
        let msg = match shared {
            Some(m) if !per_recipient => m.clone(),
            _ => {
                let mut head = String::with_capacity(64);
                head.push_str("Return-Path: ");
                from.push_bracketed(&mut head);
                head.push_str("\r\n");
                if per_recipient {
                    head.push_str("Delivered-To: ");
                    rcpt.push_to(&mut head);
                    head.push_str("\r\n");
                }
                let mut msg = Vec::with_capacity(head.len() + data.len());
                msg.extend_from_slice(head.as_bytes());
                msg.extend_from_slice(data);
                let msg = Arc::new(msg);
                if !per_recipient {
                    *shared = Some(msg.clone());
                }
                msg
            }
        };
        let size = msg.len();
        let now = self.ctx.now();
        let folder = if junk { crate::store::SpecialUse::Junk.default_name() } else { crate::store::INBOX };
        // One look-up of the account for the check, the delivery and the count.
        let stored = self.with_store(|s| {
            // `Alice@` reaches the account alice@ (see `Store::resolve_user`).
            let folded = match s.resolve_user(&key) {
                None => return None,
                Some(k) if k == key => None,
                Some(k) => Some(k.to_string()),
            };
            let folded = folded.or_else(|| by_literal.then(|| key.clone()));
            let key = folded.as_deref().unwrap_or(&key);
            let uid = if junk { s.deliver_junk(key, msg.clone(), now) } else { s.deliver(key, msg.clone(), now) };
            Some((uid, s.mailbox(key, folder).map(|m| m.messages.len()).unwrap_or(0), folded))
        });
        let Some((uid, n, folded)) = stored else {
            return self.local_failure(rcpt, "5.1.1", &format!("unknown user: \"{}\"", rcpt.local));
        };
        let why = if junk { " (quarantined by DMARC)" } else { "" };
        // `{qid}: <{rcpt}> {folder} now holds {n} message(s){why}; this one is {size} octets, UID {uid}`, by hand.
        let mut line = String::with_capacity(96 + qid.len() + key.len());
        line.push_str(qid);
        line.push_str(": <");
        rcpt.push_to(&mut line);
        for part in ["> ", folder, " now holds "] {
            line.push_str(part);
        }
        push_u64(&mut line, n as u64);
        line.push_str(" message(s)");
        line.push_str(why);
        line.push_str("; this one is ");
        push_u64(&mut line, size as u64);
        line.push_str(" octets, UID ");
        push_u64(&mut line, u64::from(uid.unwrap_or(0)));
        if let Some(account) = &folded {
            line.push_str("; the mailbox of ");
            line.push_str(account);
            line.push_str(" (");
            if by_literal {
                line.push_str(&rcpt.domain);
                line.push_str(" is this host's own address");
            }
            if !account.eq(&key) {
                line.push_str(if by_literal {
                    ", and a local part matches in any case"
                } else {
                    "a local part matches in any case"
                });
            }
            line.push(')');
        }
        self.ctx.emit(
            self.ctx
                .ev(Kind::Deliver)
                .line(line)
                .field(Field::Mailbox, folded.unwrap_or(key))
                .field(Field::Qid, qid)
                .shared_text(Field::Message, &msg),
        );
        Fate::Delivered
    }

    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        key: u64,
        qid: &str,
        from: &Path,
        data: &Arc<Vec<u8>>,
        attempts: u32,
        pid: u32,
        arrived: Instant,
        params: &MailParams,
        fates: Vec<(Rcpt, Fate)>,
    ) {
        let now = Instant::now();
        let delay = now.saturating_duration_since(arrived);
        let persona = self.persona();
        let size = data.len();
        let nrcpt = fates.iter().filter(|(_, f)| !matches!(f, Fate::Expanded)).count().max(1);
        let pri = size + 30000 * nrcpt + 90000 * attempts as usize;
        let run_pid = if attempts == 0 { pid } else { self.log.daemon_pid + 5 };
        let mut still = Vec::new();
        let mut failures = Vec::new();
        let mut delayed = Vec::new();
        let mut successes = Vec::new();
        let expired = delay >= self.retry.lifetime;
        for (i, (r, fate)) in fates.into_iter().enumerate() {
            // A post to a big list settles thousands of recipients, a log
            // line and an event each: let the other tasks (and a Lab, which
            // can pause only between polls) in now and then. Virtual time
            // does not move, and the queue runner is this one task, so no
            // other attempt touches the entry meanwhile.
            if i % SETTLE_BATCH == SETTLE_BATCH - 1 {
                tokio::task::yield_now().await;
            }
            let rcpt = r.addr.key();
            let attempt = Attempt { qid, rcpt: &rcpt, delay, pri };
            let fate = match fate {
                Fate::Deferred { words, via, xdelay } if expired => {
                    // sendmail logs the last attempt as the deferral it was
                    // and returns the message afterwards (dropenvelope()).
                    if persona.logs_expiry_as_deferral() {
                        self.log.log(Program::Smtp, run_pid, &persona.log_deferred(&attempt, &words, xdelay));
                    }
                    let words = persona.expired(&words, self.retry.lifetime, via.as_deref(), &rcpt);
                    Fate::Bounced { words, remote_mta: None, xdelay }
                }
                f => f,
            };
            match fate {
                Fate::Delivered | Fate::Program(_) => {
                    // Into a mailbox, or piped to a program (the list server) as an aliases line would.
                    let cmd = match &fate {
                        Fate::Program(c) => Some(c.as_str()),
                        _ => None,
                    };
                    let (prog, msg) = persona.log_delivered(&attempt, cmd);
                    self.log.log(prog, run_pid, &msg);
                    if r.dsn.on_success() {
                        let what =
                            cmd.map_or("delivered to mailbox".to_string(), |c| format!("delivered to command: {c}"));
                        let what = persona.delivered_diagnostic(&what);
                        let f = Failure::plain(&r.to_string(), "delivered", "2.0.0", self.diag_type(), &what);
                        successes.push(f.with_orcpt(r.dsn.orcpt.clone()));
                    }
                }
                Fate::Expanded => successes.push(
                    Failure::plain(
                        &r.to_string(),
                        "expanded",
                        "2.0.0",
                        self.diag_type(),
                        &persona.alias_expanded_diagnostic(),
                    )
                    .with_orcpt(r.dsn.orcpt.clone()),
                ),
                Fate::Relayed { via, host, reply, started, dsn_passed } => {
                    let x = now.saturating_duration_since(started);
                    let msg = persona.log_relayed(&attempt, &via, x, &reply);
                    self.log.log(Program::Smtp, run_pid, &msg);
                    if !dsn_passed && r.dsn.on_success() {
                        let mut f = Failure::plain(&r.to_string(), "relayed", "2.0.0", "smtp", &reply)
                            .with_orcpt(r.dsn.orcpt.clone());
                        f.remote_mta = Some(host);
                        successes.push(f);
                    }
                    self.ctx.emit(
                        self.ctx
                            .ev(Kind::Relay)
                            .line(format!("{qid}: <{r}> handed to {via}"))
                            .field(Field::Qid, qid)
                            .field(Field::Rcpt, r.to_string()),
                    );
                }
                Fate::Deferred { words, via: _, xdelay } => {
                    let next = self.retry.backoff(attempts + 1);
                    let msg = persona.log_deferred(&attempt, &words, xdelay);
                    self.log.log(Program::Smtp, run_pid, &msg);
                    let reason = &words.reason;
                    self.ctx.emit(
                        self.ctx
                            .ev(Kind::QueueDeferred)
                            .line(format!(
                                "{qid}: <{r}> deferred: {reason}; next try in {}",
                                crate::scenario::format_duration(next)
                            ))
                            .field(Field::Qid, qid)
                            .field(Field::Rcpt, r.to_string()),
                    );
                    if r.dsn.on_delay() {
                        delayed.push(
                            Failure::new(&r.to_string(), "delayed", &words, None).with_orcpt(r.dsn.orcpt.clone()),
                        );
                    }
                    still.push(r);
                }
                Fate::Bounced { words, remote_mta, xdelay } => {
                    let f = Failure::new(&r.to_string(), "failed", &words, remote_mta).with_orcpt(r.dsn.orcpt.clone());
                    if !(expired && persona.logs_expiry_as_deferral()) {
                        let msg = persona.log_bounced(&attempt, &words, f.remote_mta.as_deref(), xdelay);
                        self.log.log(Program::Smtp, run_pid, &msg);
                    }
                    self.ctx.emit(
                        self.ctx
                            .ev(Kind::Bounce)
                            .line(match &f.reply {
                                Some(reply) => format!("{qid}: <{r}> failed: {} {} ({reply})", f.status, f.reason),
                                None => format!("{qid}: <{r}> failed: {} {}", f.status, f.reason),
                            })
                            .field(Field::Qid, qid)
                            .field(Field::Rcpt, r.to_string())
                            .field(Field::Status, f.status.clone()),
                    );
                    let notify = r.dsn.notify;
                    if notify.is_none_or(|n| n.failure) {
                        failures.push(f);
                    } else if let Some(n) = notify {
                        // RFC 3461 §4.1: no report the sender did not ask for.
                        self.ctx.emit(
                            self.ctx
                                .ev(Kind::BounceDiscard)
                                .line(format!("{qid}: no bounce for <{r}>: the sender asked NOTIFY={}", n.value()))
                                .field(Field::Qid, qid),
                        );
                    }
                }
            }
        }
        if !failures.is_empty() {
            self.send_bounce(qid, from, data, &failures, DsnKind::Failure, params, run_pid);
        }
        if !successes.is_empty() {
            self.send_bounce(qid, from, data, &successes, DsnKind::Success, params, run_pid);
        }
        let warn_due = self.retry.warn_after.is_some_and(|w| delay >= w) && !delayed.is_empty();
        if warn_due && !self.with_state(|s| s.queue.get(&key).is_some_and(|e| e.warned)) {
            self.with_state(|s| {
                if let Some(e) = s.queue.get_mut(&key) {
                    e.warned = true;
                }
            });
            self.send_bounce(qid, from, data, &delayed, DsnKind::Delay, params, run_pid);
        }
        let done = self.with_state(|s| {
            if still.is_empty() {
                if let Some(e) = s.queue.remove(&key) {
                    s.queued_octets = s.queued_octets.saturating_sub(e.data.len() as u64);
                }
                true
            } else {
                if let Some(e) = s.queue.get_mut(&key) {
                    // An address an alias became keeps the request it passed on.
                    e.rcpts = still;
                    e.attempts += 1;
                    e.next_try = now + self.retry.backoff(e.attempts);
                }
                false
            }
        });
        if done {
            if let Some(l) = persona.log_removed(qid) {
                self.log.log(Program::Qmgr, 0, &l);
            }
            self.ctx.emit(
                self.ctx
                    .ev(Kind::QueueDone)
                    .line([qid, ": done, removed from the queue"].concat())
                    .field(Field::Qid, qid),
            );
        }
    }

    /// Return a DSN to the sender. A message from the null sender has no
    /// one to return to (RFC 5321 §4.5.5): what becomes of its failure is
    /// the flavour's ([`Persona::double_bounce`]); delay warnings and
    /// receipts for it are never sent (sendmail's dropenvelope() skips
    /// `<>`, Postfix's bounce(8) has no sender to write to).
    ///
    /// [`Persona::double_bounce`]: crate::proto::smtp::persona::Persona::double_bounce
    #[allow(clippy::too_many_arguments)]
    fn send_bounce(
        &self,
        qid: &str,
        from: &Path,
        data: &Arc<Vec<u8>>,
        failures: &[Failure],
        kind: DsnKind,
        params: &MailParams,
        pid: u32,
    ) {
        let persona = self.persona();
        let (arrival, report_of) = self
            .with_state(|s| s.queue.values().find(|e| e.qid == qid).map(|e| (e.arrival, e.report)))
            .unwrap_or((self.ctx.now(), None));
        let (rcpt, to) = match from {
            Path::Mailbox(sender) => (sender.clone(), ReportTo::Sender),
            Path::Null => {
                let discard = |why: &str| {
                    let line = format!("{qid}: no bounce: the message came from the null sender <>{why}");
                    self.ctx.emit(self.ctx.ev(Kind::BounceDiscard).line(line).field(Field::Qid, qid));
                };
                if kind != DsnKind::Failure {
                    return discard("");
                }
                let to = match (persona.double_bounce(), report_of) {
                    (DoubleBounce::Discard, _) => {
                        return discard("; discarded (Postfix: notify_classes has no 2bounce)");
                    }
                    // savemail.c: "got an error sending a response -- can it".
                    (
                        DoubleBounce::Postmaster,
                        Some(ReportTo::PostmasterOfReport | ReportTo::PostmasterOfNullSender),
                    ) => {
                        return discard("; discarded (it was itself a notice to the postmaster)");
                    }
                    (DoubleBounce::Postmaster, Some(ReportTo::Sender)) => ReportTo::PostmasterOfReport,
                    (DoubleBounce::Postmaster, None) => ReportTo::PostmasterOfNullSender,
                };
                let Ok(postmaster) = crate::proto::smtp::address::parse_mailbox(&format!(
                    "{}@{}",
                    super::mta::POSTMASTER,
                    self.ctx.hostname
                )) else {
                    return discard("");
                };
                (postmaster, to)
            }
        };
        let new_qid = self.new_qid(pid);
        let now = self.ctx.now();
        let waited = match kind {
            // sendmail's warning names Timeout.queuewarn, not the age.
            DsnKind::Delay => self.retry.warn_after.unwrap_or_default(),
            _ => (now - arrival).to_std().unwrap_or_default(),
        };
        let msgid = persona.message_id(now, &new_qid, &self.ctx.hostname);
        let origin = self.with_state(|s| s.queue.values().find(|e| e.qid == qid).and_then(|e| e.origin.clone()));
        let body = dsn::build(&dsn::Report {
            flavour: self.log.flavour,
            reporting_mta: &self.ctx.hostname,
            qid,
            new_qid: &new_qid,
            to: &rcpt.to_string(),
            report_to: to,
            now,
            arrival_date: &rfc5322(arrival),
            waited,
            lifetime: self.retry.lifetime,
            message_id: &msgid,
            origin: origin.as_ref(),
            kind,
            failures,
            params,
            original: data,
        });
        let reason = failures.last().map(|f| f.reason.as_str()).unwrap_or("");
        let msg = persona.log_dsn(qid, &new_qid, kind, to, reason, waited);
        self.log.log(Program::Bounce, pid, &msg);
        let mut full = received(persona, &self.ctx.hostname, &new_qid, &Via::Bounce, &rfc5322(now)).into_bytes();
        full.extend_from_slice(&body);
        let e =
            QueueEntry::new(&self.ctx, new_qid, Path::Null, vec![Rcpt::plain(rcpt)], full, msgid, pid).with_report(to);
        self.enqueue(e);
    }
}

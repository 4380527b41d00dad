//! The list host: an MX whose MTA hands mail for list addresses to the list
//! server ([`crate::listserv`]) — as an aliases line `ohanashi: "|fml.pl …"`
//! pipes it to fml — and queues what the list server sends back, as a local
//! submission (Postfix's pickup, sendmail's `-bm` from the command line).

use super::mta::Mta;
use super::spool::{HostedList, QueueEntry};
use crate::base::time::rfc5322;
use crate::host::env::Purpose;
use crate::listserv::{Cx, Dest, NoteKind, Out};
use crate::proto::smtp::address::parse_mailbox;
use crate::proto::smtp::envelope::Rcpt;
use crate::proto::smtp::persona::{Arrival, Source};
use crate::proto::smtp::received::{Via, received};
use crate::proto::smtp::{Mailbox, Path};
use crate::trace::{Field, Kind};
use std::sync::Arc;

impl Mta {
    /// The list and which of its addresses a local recipient names.
    pub fn list_for(&self, r: &Mailbox) -> Option<(usize, Dest)> {
        self.lists.iter().enumerate().find_map(|(i, l)| {
            if !l.cfg.domain.eq_ignore_ascii_case(&r.domain) {
                return None;
            }
            l.cfg.dest_of(&r.local).map(|d| (i, d))
        })
    }

    /// The program an aliases line would pipe this address to (for the maillog).
    pub fn list_program(&self, i: usize, dest: Dest) -> String {
        let name = self.lists.get(i).map(|l| l.cfg.name.as_str()).unwrap_or_default();
        let what = match dest {
            Dest::Post => "post",
            Dest::Ctl => "ctl",
            Dest::Admin => "admin",
        };
        format!("/usr/libexec/maillab/listserv {name} {what}")
    }

    /// Hand one message to the list server and act on what it answers.
    pub fn to_list(&self, qid: &str, from: &Path, r: &Mailbox, i: usize, dest: Dest, data: &[u8]) {
        let Some(hosted) = self.lists.get(i) else { return };
        self.ctx.emit(
            self.ctx
                .ev(Kind::ListReceive)
                .line(format!("{qid}: <{r}> handed to the list server ({})", dest.name()))
                .field(Field::Qid, qid)
                .field(Field::Rcpt, r.to_string()),
        );
        let env_from = match from {
            Path::Mailbox(m) => Some(m.to_string()),
            Path::Null => None,
        };
        let rng = self.ctx.rng(Purpose::ListKey);
        let mut key = move || rng.below(100_000_000) as u32;
        let mut cx = Cx { now: self.ctx.now(), key: &mut key };
        let (name, outs, due) = hosted.with(|l| {
            let outs = l.receive(dest, env_from.as_deref(), data, &mut cx);
            (l.cfg.name.clone(), outs, l.digest_pending())
        });
        self.list_outputs(&name, outs);
        self.digest_activity(hosted, due);
    }

    /// Keep the run going while a digest has posts waiting, so that none is lost.
    fn digest_activity(&self, hosted: &HostedList, due: bool) {
        let mut g = crate::base::sync::lock(&hosted.digest_due);
        match (due, g.is_some()) {
            (true, false) => *g = Some(self.ctx.env.activity.begin()),
            (false, true) => *g = None,
            _ => {}
        }
    }

    fn list_outputs(&self, name: &str, outs: Vec<Out>) {
        // Below the daemon's own pid: the per-session and queue pids count upwards from above it.
        let pid = self.log.daemon_pid.saturating_sub(1);
        for o in outs {
            match o {
                Out::Note { kind, text, who } => {
                    self.ctx.emit(
                        self.ctx
                            .ev(trace_kind(kind))
                            .line(format!("{name}: {text}"))
                            .field(Field::List, name)
                            .field(Field::Who, who.clone()),
                    );
                    let who =
                        if who.is_empty() || text.contains(who.as_str()) { String::new() } else { format!(" ({who})") };
                    self.log.log_as("listserv", pid, &format!("{name}: {text}{who}"));
                }
                Out::Mail(m) => {
                    let rcpts: Vec<Mailbox> = m.to.iter().filter_map(|t| parse_mailbox(t).ok()).collect();
                    if rcpts.is_empty() {
                        continue;
                    }
                    let from = match m.from.as_deref().map(parse_mailbox) {
                        Some(Ok(f)) => Path::Mailbox(f),
                        _ => Path::Null,
                    };
                    let qid = self.submit_local(from, rcpts, m.data, "listserv");
                    let n = m.to.len();
                    self.ctx.emit(
                        self.ctx
                            .ev(Kind::ListSend)
                            .line(format!("{name}: {} submitted as {qid} to {n} recipient(s)", m.what))
                            .field(Field::List, name)
                            .field(Field::What, m.what)
                            .field(Field::Qid, qid)
                            .field(Field::Rcpts, n),
                    );
                }
            }
        }
    }

    /// Queue a message written on this host (not received by SMTP): log it
    /// as the MTA's pickup does, with a Received: field for the local hop.
    pub fn submit_local(&self, from: Path, rcpts: Vec<Mailbox>, data: Vec<u8>, user: &str) -> String {
        let pid = self.new_pid();
        let qid = self.new_qid(pid);
        let now = self.ctx.now();
        let p = self.persona();
        let received = received(p, &self.ctx.hostname, &qid, &Via::Submit { user }, &rfc5322(now));
        let mut full = received.into_bytes();
        full.extend_from_slice(&data);
        let msgid = crate::base::message::hops_and_id(&data).1;
        let arrival = Arrival {
            qid: &qid,
            from: &from.to_string(),
            size: full.len(),
            nrcpts: rcpts.len(),
            msgid: &msgid,
            source: Source::Local { user },
        };
        self.log.log_lines(pid, p.log_arrival(&arrival));
        let rcpts = rcpts.into_iter().map(Rcpt::plain).collect();
        let e = QueueEntry::new(&self.ctx, qid.clone(), from, rcpts, full, msgid, pid)
            .with_origin(crate::proto::smtp::persona::Origin::Local { user: user.to_string() });
        self.enqueue(e);
        qid
    }

    /// Send each list's digest on its schedule (virtual time in a simulation).
    pub async fn run_digests(self: Arc<Self>) {
        if self.lists.is_empty() {
            return;
        }
        let mut next: Vec<tokio::time::Instant> =
            self.lists.iter().map(|l| tokio::time::Instant::now() + l.cfg.digest_every).collect();
        loop {
            let Some(&when) = next.iter().min() else { return };
            tokio::time::sleep_until(when).await;
            for (i, hosted) in self.lists.iter().enumerate() {
                if next[i] > tokio::time::Instant::now() {
                    continue;
                }
                next[i] += hosted.cfg.digest_every;
                let rng = self.ctx.rng(Purpose::ListKey);
                let mut key = move || rng.below(100_000_000) as u32;
                let cx = Cx { now: self.ctx.now(), key: &mut key };
                let (name, outs, due) = hosted.with(|l| {
                    let outs = l.digest(&cx);
                    (l.cfg.name.clone(), outs, l.digest_pending())
                });
                self.list_outputs(&name, outs);
                self.digest_activity(hosted, due);
            }
        }
    }
}

/// The trace kind of a list server's note (`list.distribute`, `list.hold`, …).
fn trace_kind(k: NoteKind) -> Kind {
    match k {
        NoteKind::Admin => Kind::ListAdmin,
        NoteKind::Approve => Kind::ListApprove,
        NoteKind::Bounce => Kind::ListBounce,
        NoteKind::Chaddr => Kind::ListChaddr,
        NoteKind::Command => Kind::ListCommand,
        NoteKind::Confirm => Kind::ListConfirm,
        NoteKind::Content => Kind::ListContent,
        NoteKind::Decline => Kind::ListDecline,
        NoteKind::Delivery => Kind::ListDelivery,
        NoteKind::Digest => Kind::ListDigest,
        NoteKind::Disable => Kind::ListDisable,
        NoteKind::Distribute => Kind::ListDistribute,
        NoteKind::Forward => Kind::ListForward,
        NoteKind::Hold => Kind::ListHold,
        NoteKind::Ignore => Kind::ListIgnore,
        NoteKind::Join => Kind::ListJoin,
        NoteKind::Loop => Kind::ListLoop,
        NoteKind::Reject => Kind::ListReject,
        NoteKind::Size => Kind::ListSize,
        NoteKind::Strip => Kind::ListStrip,
        NoteKind::Subscribe => Kind::ListSubscribe,
        NoteKind::Unsubscribe => Kind::ListUnsubscribe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_note_kind_has_the_trace_kind_of_its_name() {
        for k in NoteKind::ALL {
            assert_eq!(trace_kind(k).name(), format!("list.{}", k.as_str()));
        }
    }
}

//! What the MTA's files share: the queue entry and retry policy, the next
//! hop, and a hosted list. `mta.rs` (the SMTP side), `queue.rs` (delivery)
//! and `list.rs` (the list server) each add methods to [`super::mta::Mta`]
//! and import these types from here, not from each other.

use crate::host::env::{ActivityGuard, HostCtx};
use crate::listserv::{List, ListConfig};
use crate::proto::smtp::envelope::{MailParams, Rcpt};
pub use crate::proto::smtp::persona::{Origin, ReportTo};
use crate::proto::smtp::{Flavour, Path};
use chrono::{DateTime, FixedOffset};
use std::net::SocketAddrV4;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Where non-local mail goes when there is a smarthost.
#[derive(Clone, Debug)]
pub struct NextHop {
    pub label: String,
    pub hostname: String,
    pub addr: SocketAddrV4,
}

pub fn next_hop(label: &str, hostname: &str, addr: SocketAddrV4) -> NextHop {
    NextHop { label: label.into(), hostname: hostname.into(), addr }
}

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Wait before the first retry; later waits double up to `max_backoff`.
    pub first: Duration,
    pub max_backoff: Duration,
    /// Give up and bounce after this long in the queue.
    pub lifetime: Duration,
    /// Send a "delayed" DSN once a message has waited this long.
    pub warn_after: Option<Duration>,
}

impl RetryPolicy {
    pub fn for_flavour(f: Flavour) -> Self {
        let t = f.persona().queue_times();
        RetryPolicy { first: t.first_retry, max_backoff: t.max_backoff, lifetime: t.lifetime, warn_after: None }
    }
    /// The flavour's defaults with the scenario's overrides.
    pub fn configured(f: Flavour, q: &crate::scenario::QueueConfig) -> Self {
        let d = Self::for_flavour(f);
        let first = q.retry.unwrap_or(d.first);
        RetryPolicy {
            first,
            max_backoff: q.max_backoff.unwrap_or(d.max_backoff.max(first)),
            lifetime: q.lifetime.unwrap_or(d.lifetime),
            warn_after: q.warn_after,
        }
    }
    pub fn backoff(&self, attempts: u32) -> Duration {
        // Doubling stops at the cap: a year of retries every second must not cost a loop each.
        let mut d = self.first;
        for _ in 1..attempts {
            if d >= self.max_backoff {
                break;
            }
            d = d.saturating_mul(2).min(self.max_backoff);
        }
        d.min(self.max_backoff)
    }
}

pub struct QueueEntry {
    pub qid: String,
    pub from: Path,
    /// The recipients, each with its DSN request.
    pub rcpts: Vec<Rcpt>,
    pub data: Arc<Vec<u8>>,
    pub msgid: String,
    pub arrival: DateTime<FixedOffset>,
    pub arrived: Instant,
    pub attempts: u32,
    pub next_try: Instant,
    pub pid: u32,
    /// A "delayed" notice has gone to the sender.
    pub warned: bool,
    /// The sender's ESMTP parameters of MAIL (SMTPUTF8, RET, ENVID),
    /// passed on to the next hop.
    pub params: MailParams,
    /// DMARC said quarantine: local delivery files it into `Junk`.
    pub junk: bool,
    /// A report this MTA wrote, and to whom (sendmail's EF_RESPONSE):
    /// what becomes of it if it fails.
    pub report: Option<ReportTo>,
    /// Where the message came from, for a sendmail report's "from …".
    pub origin: Option<Origin>,
    _busy: ActivityGuard,
}

impl QueueEntry {
    pub fn new(
        ctx: &HostCtx,
        qid: String,
        from: Path,
        rcpts: Vec<Rcpt>,
        data: Vec<u8>,
        msgid: String,
        pid: u32,
    ) -> Self {
        QueueEntry {
            qid,
            from,
            rcpts,
            data: Arc::new(data),
            msgid,
            arrival: ctx.now(),
            arrived: Instant::now(),
            attempts: 0,
            next_try: Instant::now(),
            pid,
            warned: false,
            params: MailParams::default(),
            junk: false,
            report: None,
            origin: None,
            _busy: ctx.env.activity.begin(),
        }
    }

    /// The entry with the sender's ESMTP parameters.
    pub fn with_params(mut self, params: MailParams) -> Self {
        self.params = params;
        self
    }

    /// The entry is a report this MTA wrote for `to`.
    pub fn with_report(mut self, to: ReportTo) -> Self {
        self.report = Some(to);
        self
    }

    /// The entry came from `origin`.
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The entry DMARC quarantined (or not): local delivery files it into `Junk`.
    pub fn with_junk(mut self, junk: bool) -> Self {
        self.junk = junk;
        self
    }
}

/// One list on the host, with the activity it keeps open while a digest is due.
pub struct HostedList {
    /// The list's fixed settings (name, domain, schedule), read without the lock on every recipient.
    pub(super) cfg: ListConfig,
    pub list: Mutex<List>,
    pub(super) digest_due: Mutex<Option<ActivityGuard>>,
}

impl HostedList {
    pub fn new(list: List) -> Self {
        HostedList { cfg: list.cfg.clone(), list: Mutex::new(list), digest_due: Mutex::new(None) }
    }
    pub fn with<R>(&self, f: impl FnOnce(&mut List) -> R) -> R {
        f(&mut crate::base::sync::lock(&self.list))
    }
}

//! What every host is given: the network, the clock, the trace and the RNG.
//!
//! Hosts never read the system clock or make their own randomness: time is
//! tokio's clock (paused and virtual in a simulation, real when serving)
//! offset to a wall-clock start, and all randomness comes from seeded random
//! streams, one per host and purpose (see [`Streams`]).

use crate::net::Net;
pub use crate::net::clock::Clock;
use crate::trace::{Event, Kind, Name, Trace, ev_named};
use chrono::{DateTime, FixedOffset};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// What a random draw is for. Each host has one stream per purpose, so a
/// new draw for one purpose on one host changes nothing anywhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// The daemon's process id, from which later pids count up.
    Pid,
    /// Postfix's random queue ids.
    QueueId,
    /// DNS message ids of the resolver.
    DnsId,
    /// The order of MX hosts of equal preference (RFC 5321 §5.1).
    MxOrder,
    /// The list server's confirmation and moderation keys.
    ListKey,
    /// TLS handshakes: randoms and ephemeral key-exchange keys (host/tls.rs).
    Tls,
    /// TLS key pairs: a server's certificate key, the lab CA's key.
    TlsKey,
    /// DKIM signing keys (host/mailauth.rs).
    DkimKey,
    /// DMARC `pct=` sampling: which failing messages the policy applies to (host/mailauth.rs).
    DmarcSample,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Pid => "pid",
            Purpose::QueueId => "queue-id",
            Purpose::DnsId => "dns-id",
            Purpose::MxOrder => "mx-order",
            Purpose::ListKey => "list-key",
            Purpose::Tls => "tls",
            Purpose::TlsKey => "tls-key",
            Purpose::DkimKey => "dkim-key",
            Purpose::DmarcSample => "dmarc-sample",
        }
    }
}

/// The random streams of a run, derived from the scenario's seed: one per
/// (host, purpose), created on first use.
#[derive(Clone)]
pub struct Streams {
    seed: u64,
    streams: Arc<Mutex<BTreeMap<(String, Purpose), ChaCha8Rng>>>,
}

impl Streams {
    pub fn new(seed: u64) -> Self {
        Streams { seed, streams: Arc::default() }
    }
    /// The stream of `host` for `purpose`.
    pub fn stream(&self, host: &str, purpose: Purpose) -> Rng {
        Rng { streams: self.clone(), host: Arc::from(host), purpose }
    }
    /// Octets derived from (seed, `host`, `purpose`) alone: the same on
    /// every call, whatever was drawn before (for key material).
    pub fn derive(&self, host: &str, purpose: Purpose, buf: &mut [u8]) {
        let mut r = ChaCha8Rng::seed_from_u64(stream_seed(self.seed, host, purpose));
        rand::RngCore::fill_bytes(&mut r, buf);
    }
    fn draw<R>(&self, host: &str, purpose: Purpose, f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
        let mut g = crate::base::sync::lock(&self.streams);
        let rng = g
            .entry((host.to_string(), purpose))
            .or_insert_with(|| ChaCha8Rng::seed_from_u64(stream_seed(self.seed, host, purpose)));
        f(rng)
    }
}

/// A stream's seed (see [`crate::base::seed::derive`]).
fn stream_seed(seed: u64, host: &str, purpose: Purpose) -> u64 {
    crate::base::seed::derive(seed, host, purpose.name())
}

/// One host's random stream for one purpose.
#[derive(Clone)]
pub struct Rng {
    streams: Streams,
    host: Arc<str>,
    purpose: Purpose,
}

impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rng({}, {})", self.host, self.purpose.name())
    }
}

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.streams.draw(&self.host, self.purpose, |r| r.random_range(0..n))
    }
    pub fn u16(&self) -> u16 {
        self.streams.draw(&self.host, self.purpose, |r| r.random())
    }
    /// Fill `buf` with random octets.
    pub fn fill(&self, buf: &mut [u8]) {
        self.streams.draw(&self.host, self.purpose, |r| rand::RngCore::fill_bytes(r, buf))
    }
}

/// Counts work in flight (open sessions, queued messages) so a run knows
/// when the network has gone quiet.
#[derive(Clone, Default)]
pub struct Activity {
    n: Arc<AtomicUsize>,
    notify: Arc<Notify>,
}

impl Activity {
    pub fn begin(&self) -> ActivityGuard {
        self.n.fetch_add(1, Ordering::SeqCst);
        ActivityGuard(self.clone())
    }
    pub fn busy(&self) -> bool {
        self.n.load(Ordering::SeqCst) > 0
    }
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.notify.notified();
            if !self.busy() {
                return;
            }
            notified.await;
        }
    }
}

/// Ends one piece of work when dropped.
pub struct ActivityGuard(Activity);

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        if self.0.n.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.notify.notify_waiters();
        }
    }
}

#[derive(Clone)]
pub struct Env {
    pub net: Net,
    pub trace: Trace,
    pub clock: Clock,
    pub rng: Streams,
    pub activity: Activity,
    /// Host names by address, to name the peer of a connection in the trace.
    pub names: Arc<BTreeMap<Ipv4Addr, Name>>,
    /// Every server's session limits (`serve --max-sessions`, `--max-per-client`).
    pub limits: Limits,
}

/// One host's view of the environment.
#[derive(Clone)]
pub struct HostCtx {
    pub env: Env,
    /// The scenario's name for the host (shared by all of its events).
    pub name: Name,
    pub ip: Ipv4Addr,
    pub hostname: String,
}

impl HostCtx {
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.env.clock.now()
    }
    /// This host's random stream for `purpose`.
    pub fn rng(&self, purpose: Purpose) -> Rng {
        self.env.rng.stream(&self.name, purpose)
    }
    pub fn ev(&self, kind: Kind) -> Event {
        self.ev_at(self.now(), kind)
    }
    /// An event of this host as of `t` (one clock reading for several).
    pub fn ev_at(&self, t: DateTime<FixedOffset>, kind: Kind) -> Event {
        ev_named(t, self.name.clone(), kind)
    }
    pub fn emit(&self, e: Event) {
        self.env.trace.push(e);
    }
    /// The scenario name of the host at `ip`, or the address itself.
    pub fn peer_name(&self, ip: Ipv4Addr) -> Name {
        self.env.names.get(&ip).cloned().unwrap_or_else(|| Name::from(ip.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_per_host_and_purpose() {
        let draws =
            |s: &Streams, h: &str, p: Purpose| (0..5).map(|_| s.stream(h, p).below(1 << 30)).collect::<Vec<_>>();
        let a = Streams::new(7);
        let dept_ids = draws(&a, "dept", Purpose::QueueId);
        // Another run where other hosts and purposes draw first.
        let b = Streams::new(7);
        let _ = draws(&b, "hub", Purpose::QueueId);
        let _ = draws(&b, "dept", Purpose::Pid);
        let _ = draws(&b, "dept", Purpose::DnsId);
        assert_eq!(draws(&b, "dept", Purpose::QueueId), dept_ids, "a draw elsewhere shifted dept's queue ids");
        assert_ne!(draws(&Streams::new(8), "dept", Purpose::QueueId), dept_ids, "the seed matters");
        assert_ne!(draws(&Streams::new(7), "hub", Purpose::QueueId), dept_ids, "the host matters");
        assert_ne!(draws(&Streams::new(7), "dept", Purpose::Pid), dept_ids, "the purpose matters");
    }

    #[test]
    fn stream_seeds_are_fixed() {
        // Snapshots of every scenario depend on these: they must not change with the platform.
        let seeds = [stream_seed(1, "dept", Purpose::Pid), stream_seed(2026, "hub", Purpose::QueueId)];
        assert_eq!(
            seeds,
            [11_786_461_143_903_307_968, 8_428_155_435_469_706_164],
            "stream seeds changed: every snapshot would churn"
        );
        assert_ne!(stream_seed(1, "de", Purpose::Pid), stream_seed(1, "d", Purpose::Pid));
    }
}

/// Session limits of a service (see [`super::listen::Gate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sessions served at once (Postfix's `default_process_limit`: 100).
    pub sessions: usize,
    /// Sessions from one client address at once (Postfix's
    /// `smtpd_client_connection_count_limit`: 50).
    pub per_client: usize,
    /// Client networks the per-client limit does not apply to (Postfix's
    /// `smtpd_client_event_limit_exceptions`; `serve --limit-exempt`).
    pub exempt: Vec<crate::scenario::Cidr>,
    /// How long SMTP, POP3 and IMAP servers wait for a client's next
    /// complete line, instead of each protocol's own default
    /// (`serve --idle-timeout`).
    pub idle_timeout: Option<std::time::Duration>,
}

/// Postfix's `default_process_limit`.
pub const MAX_SESSIONS: usize = 100;
/// Postfix's `smtpd_client_connection_count_limit`.
pub const MAX_PER_CLIENT: usize = 50;

impl Default for Limits {
    fn default() -> Self {
        Limits { sessions: MAX_SESSIONS, per_client: MAX_PER_CLIENT, exempt: Vec::new(), idle_timeout: None }
    }
}

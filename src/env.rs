//! What every host is given: the network, the clock, the trace and the RNG.
//!
//! Hosts never read the system clock or make their own randomness: time is
//! tokio's clock (paused and virtual in a simulation, real when serving)
//! offset to a wall-clock start, and all randomness comes from one seeded RNG.

use crate::net::Net;
use crate::trace::{Event, Kind, Trace, ev};
use chrono::{DateTime, FixedOffset};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Clone)]
pub struct Clock {
    start_wall: DateTime<FixedOffset>,
    start: Instant,
}

impl Clock {
    pub fn new(start_wall: DateTime<FixedOffset>) -> Self {
        Clock { start_wall, start: Instant::now() }
    }
    pub fn now(&self) -> DateTime<FixedOffset> {
        let el = Instant::now().saturating_duration_since(self.start);
        self.start_wall + chrono::Duration::from_std(el).unwrap_or_default()
    }
    pub fn elapsed(&self) -> std::time::Duration {
        Instant::now().saturating_duration_since(self.start)
    }
}

#[derive(Clone)]
pub struct Rng(Arc<Mutex<ChaCha8Rng>>);

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        Rng(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))))
    }
    pub fn below(&self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.0.lock().map(|mut r| r.random_range(0..n)).unwrap_or(0)
    }
    pub fn u16(&self) -> u16 {
        self.0.lock().map(|mut r| r.random()).unwrap_or(0)
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
    pub rng: Rng,
    pub activity: Activity,
    /// Host names by address, to name the peer of a connection in the trace.
    pub names: Arc<std::collections::BTreeMap<Ipv4Addr, String>>,
}

/// One host's view of the environment.
#[derive(Clone)]
pub struct HostCtx {
    pub env: Env,
    pub name: String,
    pub ip: Ipv4Addr,
    pub hostname: String,
}

impl HostCtx {
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.env.clock.now()
    }
    pub fn ev(&self, kind: Kind) -> Event {
        ev(self.now(), &self.name, kind)
    }
    pub fn emit(&self, e: Event) {
        self.env.trace.push(e);
    }
    /// The scenario name of the host at `ip`, or the address itself.
    pub fn peer_name(&self, ip: Ipv4Addr) -> String {
        self.env.names.get(&ip).cloned().unwrap_or_else(|| ip.to_string())
    }
}

/// RFC 5322 date-time, as in Date: and Received: headers.
pub fn rfc5322(t: DateTime<FixedOffset>) -> String {
    t.format("%a, %-d %b %Y %H:%M:%S %z").to_string()
}

/// Syslog's timestamp: `Apr  1 10:00:00`.
pub fn syslog_time(t: DateTime<FixedOffset>) -> String {
    t.format("%b %e %H:%M:%S").to_string()
}

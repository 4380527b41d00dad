//! Taking connections: an accept loop that survives the process running
//! out of resources, and the session limits every service applies.
//!
//! **Accepting.** On real sockets `accept()` can fail for reasons that pass:
//! the process or the system is out of file descriptors (`EMFILE`,
//! `ENFILE`), of memory or buffers (`ENOMEM`, `ENOBUFS`), or the client
//! left before it was taken (`ECONNABORTED`). A listener must not stop for
//! that: [`accept`] traces the first failure of a burst
//! (`tcp.accept_error`), waits [`ACCEPT_BACKOFF`] and tries again, and
//! traces once more, with the count, when a connection is taken again. A
//! simulated listener fails only when its network is gone: that ends the
//! loop. [`Burst`] does the same for a UDP socket's receive loop.
//!
//! **Limits.** A [`Gate`] counts the sessions of one service group (all a
//! host's SMTP ports; its POP3 ports; …) in total and per client address,
//! as Postfix's `default_process_limit` (100) and anvil's
//! `smtpd_client_connection_count_limit` (50) do. A connection over either
//! is traced (`tcp.refuse`) and refused by the protocol's own core.
//! Client networks in `Limits::exempt` are not held to the per-client
//! limit (Postfix's `smtpd_client_event_limit_exceptions`), only to the
//! total.

use crate::host::env::HostCtx;
use crate::host::session::{Core, Io, Lost, Note};
use crate::net::{Conn, Listener, UdpSocket};
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a listener waits after a failed accept before trying again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

pub use super::env::{Limits, MAX_PER_CLIENT, MAX_SESSIONS};

/// Why a connection was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The service already serves this many sessions.
    Busy(usize),
    /// This client address already has this many.
    Client(Ipv4Addr, usize),
}

impl Refused {
    /// The `tcp.refuse` event for a refused connection.
    pub fn note(&self) -> Note {
        match *self {
            Refused::Busy(n) => Note::new(
                Kind::TcpRefuse,
                format!("too many connections: {n} sessions at once, the service's limit; refused"),
            )
            .field(Field::Count, n),
            Refused::Client(ip, n) => Note::new(
                Kind::TcpRefuse,
                format!("too many connections from {ip}: {n} at once, the limit per client address; refused"),
            )
            .field(Field::Ip, ip.to_string())
            .field(Field::Count, n),
        }
    }
}

/// A refusing core (the protocol's "too many connections" core) that
/// first traces why the connection is refused.
pub struct Refusing<C> {
    note: Option<Note>,
    core: C,
}

impl<C> Refusing<C> {
    pub fn new(why: Refused, core: C) -> Self {
        Refusing { note: Some(why.note()), core }
    }
}

impl<C: Core> Core for Refusing<C> {
    type Action = C::Action;
    fn feed(&mut self, now: Duration, bytes: &[u8]) {
        self.core.feed(now, bytes);
    }
    fn poll(&mut self, now: Duration) -> Option<Io<C::Action>> {
        match self.note.take() {
            Some(n) => Some(Io::Trace(n)),
            None => self.core.poll(now),
        }
    }
    fn waiting(&mut self, now: Duration) {
        self.core.waiting(now);
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.core.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.core.handle_timeout(now);
    }
    fn peer_closed(&mut self, how: Lost) {
        self.core.peer_closed(how);
    }
    fn write_timeout(&self) -> Duration {
        self.core.write_timeout()
    }
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_client: BTreeMap<Ipv4Addr, usize>,
}

/// Counts a service's open sessions, in total and per client address.
pub struct Gate {
    limits: Limits,
    counts: Mutex<Counts>,
}

/// One admitted session; dropping it frees its place.
pub struct Pass {
    gate: Arc<Gate>,
    ip: Ipv4Addr,
}

impl Gate {
    pub fn new(limits: Limits) -> Arc<Gate> {
        Arc::new(Gate { limits, counts: Mutex::new(Counts::default()) })
    }

    /// Admit a session from `ip`, or say why not.
    pub fn enter(self: &Arc<Self>, ip: Ipv4Addr) -> Result<Pass, Refused> {
        let mut c = crate::base::sync::lock(&self.counts);
        if c.total >= self.limits.sessions {
            return Err(Refused::Busy(c.total));
        }
        let mine = c.by_client.get(&ip).copied().unwrap_or(0);
        if mine >= self.limits.per_client && !self.limits.exempt.iter().any(|n| n.contains(ip)) {
            return Err(Refused::Client(ip, mine));
        }
        c.total += 1;
        *c.by_client.entry(ip).or_insert(0) += 1;
        Ok(Pass { gate: self.clone(), ip })
    }

    /// Sessions open now: in total, and from `ip`.
    pub fn open(&self, ip: Ipv4Addr) -> (usize, usize) {
        let c = crate::base::sync::lock(&self.counts);
        (c.total, c.by_client.get(&ip).copied().unwrap_or(0))
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut c = crate::base::sync::lock(&self.gate.counts);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_client.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_client.remove(&self.ip);
            }
        }
    }
}

/// A run of failures of one socket: traced when it starts and when it ends.
#[derive(Default)]
pub struct Burst {
    failures: usize,
}

impl Burst {
    /// The socket failed with `e`; the first failure of a burst is traced.
    /// `what` names the service (`SMTP on port 25`).
    pub fn failed(&mut self, ctx: &HostCtx, what: &str, e: &std::io::Error) {
        self.failures += 1;
        if self.failures == 1 {
            ctx.emit(ctx.ev(Kind::AcceptError).line(format!(
                "{what}: cannot take a connection: {e}; trying again every {} ms",
                ACCEPT_BACKOFF.as_millis()
            )));
        }
    }

    /// The socket works again; the end of a burst is traced.
    pub fn ok(&mut self, ctx: &HostCtx, what: &str) {
        if self.failures > 0 {
            ctx.emit(
                ctx.ev(Kind::AcceptError)
                    .line(format!("{what}: taking connections again after {} failed attempts", self.failures))
                    .field(Field::Failures, self.failures),
            );
            self.failures = 0;
        }
    }
}

/// Does this failure concern only the one connection (the client left
/// before it was taken)? Then there is no need to wait before the next.
fn connection_only(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionAborted | ConnectionReset | ConnectionRefused)
}

/// The next connection on `l`, riding out transient failures (see the
/// module's text). `Err` only when a simulated listener's network is gone.
pub async fn accept(ctx: &HostCtx, l: &mut Listener, what: &str) -> std::io::Result<Conn> {
    let mut burst = Burst::default();
    loop {
        match l.accept().await {
            Ok(c) => {
                burst.ok(ctx, what);
                return Ok(c);
            }
            Err(e) if matches!(l, Listener::Sim(_)) => return Err(e),
            Err(e) => {
                burst.failed(ctx, what, &e);
                if !connection_only(&e) {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
}

/// The next datagram on `s`, riding out transient failures like [`accept`].
/// `Err` only when a simulated socket's network is gone.
pub async fn recv(ctx: &HostCtx, s: &mut UdpSocket, what: &str) -> std::io::Result<(Vec<u8>, std::net::SocketAddrV4)> {
    let mut burst = Burst::default();
    loop {
        match s.recv_from().await {
            Ok(d) => {
                burst.ok(ctx, what);
                return Ok(d);
            }
            Err(e) if matches!(s, UdpSocket::Sim(_)) => return Err(e),
            Err(e) => {
                burst.failed(ctx, what, &e);
                if !connection_only(&e) {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_counts_in_total_and_per_client() {
        let g = Gate::new(Limits { sessions: 3, per_client: 2, ..Limits::default() });
        let (a, b) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2));
        let a1 = g.enter(a).expect("first");
        let a2 = g.enter(a).expect("second");
        assert_eq!(g.enter(a).err(), Some(Refused::Client(a, 2)));
        let b1 = g.enter(b).expect("another address");
        assert_eq!(g.enter(b).err(), Some(Refused::Busy(3)));
        assert_eq!(g.open(a), (3, 2));
        drop(a1);
        assert_eq!(g.open(a), (2, 1));
        let a3 = g.enter(a).expect("room again");
        drop((a2, a3, b1));
        assert_eq!(g.open(a), (0, 0));
        assert!(crate::base::sync::lock(&g.counts).by_client.is_empty(), "no address is kept once gone");
    }

    #[test]
    fn exempt_networks_are_held_to_the_total_only() {
        use crate::scenario::Cidr;
        let lan = Cidr { net: Ipv4Addr::new(192, 0, 2, 0), bits: 24 };
        let g = Gate::new(Limits { sessions: 4, per_client: 1, exempt: vec![lan], ..Limits::default() });
        let (inside, outside) = (Ipv4Addr::new(192, 0, 2, 7), Ipv4Addr::new(198, 51, 100, 7));
        let o1 = g.enter(outside).expect("first from outside");
        assert_eq!(g.enter(outside).err(), Some(Refused::Client(outside, 1)));
        let i: Vec<Pass> = (0..3).map(|_| g.enter(inside).expect("an exempt network")).collect();
        assert_eq!(g.open(inside), (4, 3));
        assert_eq!(g.enter(inside).err(), Some(Refused::Busy(4)), "the total still applies");
        drop((o1, i));
        assert_eq!(g.open(inside), (0, 0));
    }

    #[test]
    fn refusals_say_why() {
        let ip = Ipv4Addr::new(192, 0, 2, 9);
        assert_eq!(
            Refused::Client(ip, 50).note().line,
            "too many connections from 192.0.2.9: 50 at once, the limit per client address; refused"
        );
        assert_eq!(
            Refused::Busy(100).note().line,
            "too many connections: 100 sessions at once, the service's limit; refused"
        );
    }
}

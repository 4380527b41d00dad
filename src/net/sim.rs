//! The simulated network: in-memory links with latency, in virtual time.
//!
//! A connection is two `tokio::io::duplex` pipes, one per host, joined by
//! pump tasks that hold every chunk for the link's latency before passing it
//! on. Time is tokio's paused clock, so a 20 ms latency or a two-hour outage
//! costs no real time. Nothing here reads the real clock.

use super::{Conn, Stream};
use crate::trace::{Field, Kind};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

/// Buffer of each in-memory pipe.
const PIPE: usize = 64 * 1024;
const FIRST_EPHEMERAL: u16 = 49152;

#[derive(Clone, Default)]
pub struct SimNet {
    inner: Arc<Mutex<Inner>>,
    tap: Option<Tap>,
}

/// Records every segment and datagram as a `wire` trace event (for pcap files).
#[derive(Clone)]
pub struct Tap {
    pub trace: crate::trace::Trace,
    pub clock: crate::net::clock::Clock,
}

impl Tap {
    /// `flags`: S, SA, A, F, R for TCP control segments, "" for data; `proto`: tcp or udp.
    fn record(
        &self,
        proto: &str,
        src: SocketAddrV4,
        dst: SocketAddrV4,
        flags: &str,
        data: &[u8],
        session: Option<u64>,
    ) {
        use base64::Engine as _;
        let mut e = crate::trace::ev(self.clock.now(), "wire", Kind::Wire)
            .line(format!("{} {src} > {dst} [{flags}] {} octets", proto.to_uppercase(), data.len()))
            .field(Field::Proto, proto)
            .field(Field::Src, src.to_string())
            .field(Field::Dst, dst.to_string())
            .field(Field::Flags, flags)
            .field(Field::Data, base64::engine::general_purpose::STANDARD.encode(data));
        if let Some(s) = session {
            e = e.session(s);
        }
        self.trace.push(e);
    }
}

#[derive(Default)]
struct Inner {
    listeners: BTreeMap<SocketAddrV4, mpsc::UnboundedSender<Conn>>,
    udp: BTreeMap<SocketAddrV4, mpsc::UnboundedSender<(Vec<u8>, SocketAddrV4)>>,
    latency: Duration,
    links: BTreeMap<(Ipv4Addr, Ipv4Addr), Duration>,
    next_session: u64,
    next_port: BTreeMap<Ipv4Addr, u16>,
    down: BTreeSet<Ipv4Addr>,
    cut: BTreeSet<(Ipv4Addr, Ipv4Addr)>,
}

impl Inner {
    /// Nothing gets from `a` to `b`: one of them is down or the link is cut.
    fn blocked(&self, a: Ipv4Addr, b: Ipv4Addr) -> bool {
        self.down.contains(&a) || self.down.contains(&b) || self.cut.contains(&key(a, b))
    }
}

fn key(a: Ipv4Addr, b: Ipv4Addr) -> (Ipv4Addr, Ipv4Addr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl SimNet {
    pub fn new(latency: Duration) -> Self {
        let net = SimNet::default();
        if let Ok(mut g) = net.inner.lock() {
            g.latency = latency;
        }
        net
    }

    /// Record the traffic in `trace` as `wire` events.
    pub fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> io::Result<R> {
        self.inner.lock().map(|mut g| f(&mut g)).map_err(|_| io::Error::other("simulated network state poisoned"))
    }

    pub fn set_link_latency(&self, a: Ipv4Addr, b: Ipv4Addr, d: Duration) {
        let _ = self.with(|g| g.links.insert(key(a, b), d));
    }

    /// A host that is down answers nothing: connections and datagrams to it vanish.
    pub fn set_down(&self, ip: Ipv4Addr, down: bool) {
        let _ = self.with(|g| {
            if down {
                g.down.insert(ip);
            } else {
                g.down.remove(&ip);
            }
        });
    }

    /// Is the host at `ip` down?
    pub fn is_down(&self, ip: Ipv4Addr) -> bool {
        self.with(|g| g.down.contains(&ip)).unwrap_or(false)
    }

    /// A cut link carries nothing, in either direction, until restored.
    pub fn set_cut(&self, a: Ipv4Addr, b: Ipv4Addr, cut: bool) {
        let _ = self.with(|g| {
            if cut {
                g.cut.insert(key(a, b));
            } else {
                g.cut.remove(&key(a, b));
            }
        });
    }

    fn latency(&self, a: Ipv4Addr, b: Ipv4Addr) -> Duration {
        self.with(|g| g.links.get(&key(a, b)).copied().unwrap_or(g.latency)).unwrap_or_default()
    }

    fn ephemeral(&self, ip: Ipv4Addr) -> io::Result<u16> {
        self.with(|g| {
            let p = g.next_port.entry(ip).or_insert(FIRST_EPHEMERAL);
            let port = *p;
            *p = if *p == u16::MAX { FIRST_EPHEMERAL } else { *p + 1 };
            port
        })
    }

    pub async fn connect(&self, from: Ipv4Addr, to: SocketAddrV4) -> io::Result<Conn> {
        let lat = self.latency(from, *to.ip());
        let local = SocketAddrV4::new(from, self.ephemeral(from)?);
        let session = self.with(|g| {
            g.next_session += 1;
            g.next_session
        })?;
        let tap = self.tap.clone();
        if let Some(t) = &tap {
            t.record("tcp", local, to, "S", &[], Some(session));
        }
        // SYN travels to the server.
        sleep(lat).await;
        let (target, down) = self.with(|g| (g.listeners.get(&to).cloned(), g.blocked(from, *to.ip())))?;
        if down {
            // Nothing answers: the client gives up after its connect timeout.
            sleep(CONNECT_TIMEOUT.saturating_sub(lat)).await;
            return Err(io::Error::new(io::ErrorKind::TimedOut, "Connection timed out"));
        }
        let Some(target) = target else {
            // RST comes back.
            if let Some(t) = &tap {
                t.record("tcp", to, local, "R", &[], Some(session));
            }
            sleep(lat).await;
            return Err(io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused"));
        };
        if let Some(t) = &tap {
            t.record("tcp", to, local, "SA", &[], Some(session));
        }
        let (client_app, client_net) = tokio::io::duplex(PIPE);
        let (server_app, server_net) = tokio::io::duplex(PIPE);
        let (cr, cw) = tokio::io::split(client_net);
        let (sr, sw) = tokio::io::split(server_net);
        pump(cr, sw, lat, tap.clone().map(|t| (t, local, to, session)));
        pump(sr, cw, lat, tap.clone().map(|t| (t, to, local, session)));
        let accepted = Conn { stream: Box::new(server_app) as Stream, local: to, peer: local, session };
        // SYN-ACK travels back; the client is connected. The server's
        // accept() returns when the client's ACK arrives, half a round trip later.
        sleep(lat).await;
        if let Some(t) = &tap {
            t.record("tcp", local, to, "A", &[], Some(session));
        }
        tokio::spawn(async move {
            sleep(lat).await;
            let _ = target.send(accepted);
        });
        Ok(Conn { stream: Box::new(client_app), local, peer: to, session })
    }

    pub fn listen(&self, addr: SocketAddrV4) -> io::Result<SimListener> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.with(|g| {
            if g.listeners.contains_key(&addr) {
                return Err(io::Error::new(io::ErrorKind::AddrInUse, format!("{addr} is already in use")));
            }
            g.listeners.insert(addr, tx);
            Ok(())
        })??;
        Ok(SimListener { rx })
    }

    pub fn bind_udp(&self, addr: SocketAddrV4) -> io::Result<SimUdp> {
        let addr = if addr.port() == 0 { SocketAddrV4::new(*addr.ip(), self.ephemeral(*addr.ip())?) } else { addr };
        let (tx, rx) = mpsc::unbounded_channel();
        self.with(|g| {
            if g.udp.contains_key(&addr) {
                return Err(io::Error::new(io::ErrorKind::AddrInUse, format!("{addr} is already in use")));
            }
            g.udp.insert(addr, tx);
            Ok(())
        })??;
        Ok(SimUdp { net: self.clone(), addr, rx })
    }

    fn unbind_udp(&self, addr: SocketAddrV4) {
        let _ = self.with(|g| g.udp.remove(&addr));
    }
}

/// How long a client waits for a host that does not answer at all.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Carry bytes from `r` to `w`, each chunk arriving `lat` after it was sent.
/// `tap` records what is sent, from `src` to `dst`, at the moment it is sent.
fn pump(
    mut r: ReadHalf<tokio::io::DuplexStream>,
    mut w: WriteHalf<tokio::io::DuplexStream>,
    lat: Duration,
    tap: Option<(Tap, SocketAddrV4, SocketAddrV4, u64)>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Option<Vec<u8>>)>();
    tokio::spawn(async move {
        // Read into spare capacity: a zeroed 16 KiB per direction and
        // connection was 2 % of a 10,000-recipient post's instructions.
        let mut buf = Vec::with_capacity(16 * 1024);
        loop {
            buf.clear();
            match r.read_buf(&mut buf).await {
                Ok(0) | Err(_) => {
                    if let Some((t, src, dst, s)) = &tap {
                        t.record("tcp", *src, *dst, "F", &[], Some(*s));
                    }
                    let _ = tx.send((Instant::now() + lat, None));
                    break;
                }
                Ok(n) => {
                    if let Some((t, src, dst, s)) = &tap {
                        t.record("tcp", *src, *dst, "", &buf[..n], Some(*s));
                    }
                    if tx.send((Instant::now() + lat, Some(buf[..n].to_vec()))).is_err() {
                        break;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some((at, chunk)) = rx.recv().await {
            sleep_until(at).await;
            match chunk {
                Some(c) => {
                    if w.write_all(&c).await.is_err() {
                        break;
                    }
                }
                None => {
                    let _ = w.shutdown().await;
                    break;
                }
            }
        }
    });
}

pub struct SimListener {
    rx: mpsc::UnboundedReceiver<Conn>,
}

impl SimListener {
    pub async fn accept(&mut self) -> io::Result<Conn> {
        self.rx.recv().await.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "listener closed"))
    }
}

pub struct SimUdp {
    net: SimNet,
    addr: SocketAddrV4,
    rx: mpsc::UnboundedReceiver<(Vec<u8>, SocketAddrV4)>,
}

impl SimUdp {
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.addr
    }
    /// Datagrams to an address nobody listens on, or to a host that is down, are lost.
    pub fn send_to(&self, data: &[u8], to: SocketAddrV4) -> io::Result<()> {
        let lat = self.net.latency(*self.addr.ip(), *to.ip());
        if let Some(t) = &self.net.tap {
            t.record("udp", self.addr, to, "", data, None);
        }
        let net = self.net.clone();
        let from = self.addr;
        let data = data.to_vec();
        tokio::spawn(async move {
            sleep(lat).await;
            let target = net
                .with(|g| if g.blocked(*from.ip(), *to.ip()) { None } else { g.udp.get(&to).cloned() })
                .ok()
                .flatten();
            if let Some(t) = target {
                let _ = t.send((data, from));
            }
        });
        Ok(())
    }
    pub async fn recv_from(&mut self) -> io::Result<(Vec<u8>, SocketAddrV4)> {
        self.rx.recv().await.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "socket closed"))
    }
}

impl Drop for SimUdp {
    fn drop(&mut self) {
        self.net.unbind_udp(self.addr);
    }
}

//! Real sockets for `maillab serve`: every scenario host gets its own
//! loopback address, and its services listen on unprivileged ports.
//!
//! Hosts keep speaking in scenario terms (192.0.2.10 port 25): this layer
//! maps the address to 127.x.y.z and the port to, say, 2525 on the way
//! out, and maps peers back, so relay rules written for the scenario's
//! networks act on real connections unchanged. A client from a loopback
//! address that belongs to no host is seen as that 127.x.y.z address.

use super::shards::Shards;
use super::{Conn, Stream};
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Scenario port → real port. A real port of 0 means "let the OS choose":
/// each host's listener then gets a port of its own, which
/// [`RealNet::bound_port`] reports (and connections between hosts use).
#[derive(Clone, Debug)]
pub struct PortMap(pub BTreeMap<u16, u16>);

impl Default for PortMap {
    fn default() -> Self {
        PortMap(BTreeMap::from([
            (25, 2525),
            (110, 1110),
            (143, 1143),
            (53, 5353),
            (80, 8080),
            (587, 5587),
            (465, 4465),
            (993, 9993),
            (995, 9995),
        ]))
    }
}

#[derive(Clone)]
pub struct RealNet {
    inner: Arc<Inner>,
}

struct Inner {
    /// Scenario address → real (loopback or --listen) address.
    to_real: BTreeMap<Ipv4Addr, Ipv4Addr>,
    to_scenario: BTreeMap<Ipv4Addr, Ipv4Addr>,
    /// Scenario hosts played by real servers elsewhere: every port goes there.
    external: BTreeMap<Ipv4Addr, SocketAddrV4>,
    ports: PortMap,
    /// Ports the OS chose, for services whose real port is 0:
    /// (real address, scenario port) → the port bound.
    bound: Mutex<BTreeMap<(Ipv4Addr, u16), u16>>,
    next_session: AtomicU64,
    /// The threads accepted sessions run on (none: the current runtime).
    shards: Option<Arc<Shards>>,
}

/// Loopback addresses for each scenario address: 127.b.c.d from a.b.c.d,
/// or the next free 127.0.x.y when that is taken.
pub fn loopback_plan(addrs: &[Ipv4Addr]) -> BTreeMap<Ipv4Addr, Ipv4Addr> {
    let mut out = BTreeMap::new();
    let mut used = std::collections::BTreeSet::new();
    let mut spare: u32 = u32::from(Ipv4Addr::new(127, 0, 100, 1));
    for a in addrs {
        let o = a.octets();
        let mut cand = Ipv4Addr::new(127, o[1], o[2], o[3]);
        if used.contains(&cand) || o[3] == 0 || o[3] == 255 || cand == Ipv4Addr::LOCALHOST {
            while used.contains(&Ipv4Addr::from(spare)) {
                spare += 1;
            }
            cand = Ipv4Addr::from(spare);
        }
        used.insert(cand);
        out.insert(*a, cand);
    }
    out
}

impl RealNet {
    pub fn new(
        to_real: BTreeMap<Ipv4Addr, Ipv4Addr>,
        external: BTreeMap<Ipv4Addr, SocketAddrV4>,
        ports: PortMap,
        shards: Option<Arc<Shards>>,
    ) -> Self {
        let mut to_scenario: BTreeMap<Ipv4Addr, Ipv4Addr> = to_real.iter().map(|(s, r)| (*r, *s)).collect();
        for (s, x) in &external {
            to_scenario.entry(*x.ip()).or_insert(*s);
        }
        RealNet {
            inner: Arc::new(Inner {
                to_real,
                to_scenario,
                external,
                ports,
                bound: Mutex::new(BTreeMap::new()),
                next_session: AtomicU64::new(0),
                shards,
            }),
        }
    }

    pub fn real_ip(&self, scenario: Ipv4Addr) -> Ipv4Addr {
        self.inner.to_real.get(&scenario).copied().unwrap_or(scenario)
    }
    pub fn real_port(&self, port: u16) -> u16 {
        self.inner.ports.0.get(&port).copied().unwrap_or(port)
    }
    /// The real port a scenario host's service listens on: the one the OS
    /// chose when the service's port is 0, else the port map's.
    pub fn bound_port(&self, scenario: Ipv4Addr, port: u16) -> u16 {
        let ip = self.real_ip(scenario);
        self.bound().get(&(ip, port)).copied().unwrap_or_else(|| self.real_port(port))
    }
    fn bound(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Ipv4Addr, u16), u16>> {
        crate::base::sync::lock(&self.inner.bound)
    }
    fn real(&self, a: SocketAddrV4) -> SocketAddrV4 {
        match self.inner.external.get(a.ip()) {
            Some(x) => *x,
            None => SocketAddrV4::new(self.real_ip(*a.ip()), self.bound_port(*a.ip(), a.port())),
        }
    }
    /// After binding `real` for the scenario address `addr`: remember the
    /// port the OS chose, if it chose one.
    fn note_bound(&self, addr: SocketAddrV4, real: SocketAddrV4, local: io::Result<SocketAddr>) {
        if real.port() == 0
            && let Ok(local) = local
        {
            self.bound().insert((*real.ip(), addr.port()), local.port());
        }
    }
    fn scenario(&self, a: SocketAddr) -> SocketAddrV4 {
        let (ip, port) = match a {
            SocketAddr::V4(v4) => (*v4.ip(), v4.port()),
            SocketAddr::V6(v6) => (v6.ip().to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED), v6.port()),
        };
        let chosen = self.bound().iter().find(|((i, _), r)| *i == ip && **r == port).map(|((_, s), _)| *s);
        let ip = self.inner.to_scenario.get(&ip).copied().unwrap_or(ip);
        let port =
            chosen.or_else(|| self.inner.ports.0.iter().find(|(_, r)| **r == port).map(|(s, _)| *s)).unwrap_or(port);
        SocketAddrV4::new(ip, port)
    }
    fn session(&self) -> u64 {
        self.inner.next_session.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Run an accepted session: on the next session thread (see
    /// [`Shards`]), or on the current runtime when there are none.
    pub fn spawn_session<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match &self.inner.shards {
            Some(s) => s.spawn(fut),
            None => drop(tokio::spawn(fut)),
        }
    }

    pub async fn connect(&self, from: Ipv4Addr, to: SocketAddrV4) -> io::Result<Conn> {
        // Only the scenario's hosts (and the real servers that play some of
        // them) are reachable: an address from a client (an address
        // literal, `taro@[127.0.0.77]`) or a zone that names no host of
        // the lab is refused, as in the simulation, and never becomes a
        // connection to some other real machine or back into serve itself.
        if !self.inner.to_real.contains_key(to.ip()) && !self.inner.external.contains_key(to.ip()) {
            return Err(io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused"));
        }
        let sock = tokio::net::TcpSocket::new_v4()?;
        let local_ip = self.real_ip(from);
        // Speak from the host's own loopback address, so the peer sees who it is.
        if local_ip.is_loopback() || self.inner.to_real.contains_key(&from) {
            sock.bind(SocketAddr::V4(SocketAddrV4::new(local_ip, 0)))?;
        }
        let target = self.real(to);
        let s = tokio::time::timeout(super::sim::CONNECT_TIMEOUT, sock.connect(SocketAddr::V4(target)))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "Connection timed out"))??;
        let local = self.scenario(s.local_addr()?);
        Ok(Conn { stream: Box::new(s) as Stream, local, peer: to, session: self.session() })
    }

    pub async fn listen(&self, addr: SocketAddrV4) -> io::Result<RealListener> {
        let real = self.real(addr);
        let l = tokio::net::TcpListener::bind(SocketAddr::V4(real))
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {real} (scenario {addr}): {e}")))?;
        self.note_bound(addr, real, l.local_addr());
        no_delay_for_accepted(&l);
        Ok(RealListener { net: self.clone(), l, local: addr })
    }

    pub async fn bind_udp(&self, addr: SocketAddrV4) -> io::Result<RealUdp> {
        let real = if addr.port() == 0 { SocketAddrV4::new(self.real_ip(*addr.ip()), 0) } else { self.real(addr) };
        let s = tokio::net::UdpSocket::bind(SocketAddr::V4(real))
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot bind UDP {real} (scenario {addr}): {e}")))?;
        if addr.port() != 0 {
            self.note_bound(addr, real, s.local_addr());
        }
        let local = self.scenario(s.local_addr()?);
        Ok(RealUdp { net: self.clone(), s, local })
    }
}

pub struct RealListener {
    net: RealNet,
    l: tokio::net::TcpListener,
    local: SocketAddrV4,
}

/// Replies go out at once (`TCP_NODELAY`): a reply written in pieces (an
/// IMAP response) must not wait for the client's delayed ACK. On Linux an
/// accepted socket inherits the option from its listener, so it is set
/// once on the listener instead of once a connection (a system call fewer
/// a session; a test checks the inheritance).
///
/// And a client's command is acknowledged by the reply to it, not by an
/// ACK of its own first. A new connection starts in the kernel's "quick
/// ACK" mode, which acknowledged the client's first command (EHLO, or a
/// POP3 USER) with an empty segment before the reply went out; turning
/// quick ACK off starts it in the delayed-ACK ("ping-pong") mode every
/// request/reply session reaches after its first exchange anyway. One
/// segment fewer a connection; accepted sockets inherit this from the
/// listener too (tcp(7) TCP_QUICKACK; a tshark test checks the segments).
fn no_delay_for_accepted(l: &tokio::net::TcpListener) {
    if cfg!(target_os = "linux") {
        let l = socket2::SockRef::from(l);
        let _ = l.set_tcp_nodelay(true);
        let _ = l.set_tcp_quickack(false);
    }
}

impl RealListener {
    pub async fn accept(&mut self) -> io::Result<Conn> {
        let (s, peer) = self.l.accept().await?;
        if !cfg!(target_os = "linux") {
            let _ = s.set_nodelay(true);
        }
        let s = match &self.net.inner.shards {
            // Registered again with the runtime of the thread that runs
            // its session (`into_std` leaves it non-blocking).
            Some(shards) if shards.len() > 1 => Registered::Waiting(Some(s.into_std()?)),
            _ => Registered::Ready(s),
        };
        let s = Accepted { s, closing: false };
        Ok(Conn { stream: Box::new(s), local: self.local, peer: self.net.scenario(peer), session: self.net.session() })
    }
}

/// An accepted connection, registered with the runtime that first reads
/// or writes it: the one of the thread its session runs on.
struct Accepted {
    s: Registered,
    /// The session is closing: writes wait for the shutdown ([`AsyncStream::closing`]).
    closing: bool,
}

enum Registered {
    Waiting(Option<std::net::TcpStream>),
    Ready(tokio::net::TcpStream),
}

impl super::AsyncStream for Accepted {
    fn closing(&mut self) {
        self.closing = true;
    }
}

/// Write `buf` with `MSG_MORE`: the kernel keeps it until more is written
/// without the flag or the connection is shut down, and `tcp_send_fin`
/// then sets the FIN on that last unsent segment instead of sending one of
/// its own.
#[cfg(target_os = "linux")]
fn poll_write_more(
    s: &tokio::net::TcpStream,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    loop {
        match s.poll_write_ready(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|()| 0)),
        }
        let sent = s.try_io(tokio::io::Interest::WRITABLE, || {
            socket2::SockRef::from(s).send_vectored_with_flags(bufs, libc::MSG_MORE)
        });
        match sent {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return Poll::Ready(r),
        }
    }
}

impl Accepted {
    fn stream(&mut self) -> io::Result<Pin<&mut tokio::net::TcpStream>> {
        if let Registered::Waiting(s) = &mut self.s {
            let s = s.take().ok_or_else(|| io::Error::other("the connection could not be registered"))?;
            self.s = Registered::Ready(tokio::net::TcpStream::from_std(s)?);
        }
        match &mut self.s {
            Registered::Ready(s) => Ok(Pin::new(s)),
            Registered::Waiting(_) => Err(io::Error::other("the connection could not be registered")),
        }
    }
}

impl AsyncRead for Accepted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => s.poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Accepted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let closing = this.closing;
        match this.stream() {
            #[cfg(target_os = "linux")]
            Ok(s) if closing => poll_write_more(&s, cx, &[io::IoSlice::new(buf)]),
            Ok(s) => s.poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let closing = this.closing;
        match this.stream() {
            #[cfg(target_os = "linux")]
            Ok(s) if closing => poll_write_more(&s, cx, bufs),
            Ok(s) => s.poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => s.poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => s.poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

pub struct RealUdp {
    net: RealNet,
    s: tokio::net::UdpSocket,
    local: SocketAddrV4,
}

impl RealUdp {
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }
    pub async fn send_to(&self, data: &[u8], to: SocketAddrV4) -> io::Result<()> {
        // A reply goes back to where the query came from: map only scenario addresses.
        let mapped = self.net.inner.to_real.contains_key(to.ip()) || self.net.inner.external.contains_key(to.ip());
        let real = if mapped { self.net.real(to) } else { to };
        self.s.send_to(data, SocketAddr::V4(real)).await.map(|_| ())
    }
    pub async fn recv_from(&mut self) -> io::Result<(Vec<u8>, SocketAddrV4)> {
        let mut buf = vec![0u8; 4096];
        let (n, from) = self.s.recv_from(&mut buf).await?;
        buf.truncate(n);
        let from = match from {
            SocketAddr::V4(v4) if self.net.inner.to_scenario.contains_key(v4.ip()) => self.net.scenario(from),
            SocketAddr::V4(v4) => v4,
            SocketAddr::V6(_) => self.net.scenario(from),
        };
        Ok((buf, from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_follow_the_scenario() {
        let a = Ipv4Addr::new(192, 0, 2, 10);
        let b = Ipv4Addr::new(198, 0, 2, 10);
        let c = Ipv4Addr::new(203, 0, 113, 0);
        let plan = loopback_plan(&[a, b, c]);
        assert_eq!(plan[&a], Ipv4Addr::new(127, 0, 2, 10));
        assert_ne!(plan[&b], plan[&a], "a collision gets a spare address");
        assert!(plan[&c].is_loopback() && plan[&c].octets()[3] != 0);
    }

    #[test]
    fn accepted_connections_send_without_delay() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            no_delay_for_accepted(&l);
            let addr = l.local_addr().expect("address");
            let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let (s, _) = l.accept().await.expect("accept");
            if cfg!(target_os = "linux") {
                assert!(s.nodelay().expect("TCP_NODELAY"), "the accepted socket did not inherit TCP_NODELAY");
            }
        });
    }
}

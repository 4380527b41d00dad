//! The transport the hosts run on: a connection-oriented stream service
//! (for SMTP) and a datagram service (for DNS), plus the session numbers that
//! tie trace events together.
//!
//! [`sim::SimNet`] is the simulated network (virtual time, latency);
//! [`real::RealNet`] is real TCP and UDP on loopback addresses. Hosts see
//! only [`Net`], so the same host code runs on both.

pub mod clock;
pub mod real;
pub mod shards;
pub mod sim;

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use tokio::io::{AsyncRead, AsyncWrite};

pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {
    /// What is written from now on is the last before the stream is shut
    /// down. An accepted TCP connection then holds it back until the
    /// shutdown, so that a session's last reply (`221`) leaves in the
    /// segment that carries the FIN: one segment fewer a connection, which
    /// the sender pays for on loopback (see bench/RESULTS.md). Other
    /// streams write as before.
    fn closing(&mut self) {}
}
impl AsyncStream for tokio::net::TcpStream {}
impl AsyncStream for tokio::io::DuplexStream {}
impl AsyncStream for tokio::io::Join<tokio::io::Empty, tokio::io::Sink> {}
impl AsyncStream for tokio_rustls::server::TlsStream<Stream> {
    /// The reply, TLS's close_notify and the FIN in one segment.
    fn closing(&mut self) {
        self.get_mut().0.closing();
    }
}
impl AsyncStream for tokio_rustls::client::TlsStream<Stream> {}

pub type Stream = Box<dyn AsyncStream>;

/// An established connection as one end sees it.
pub struct Conn {
    pub stream: Stream,
    pub local: SocketAddrV4,
    pub peer: SocketAddrV4,
    /// A number for this connection, shared by both ends in the trace.
    pub session: u64,
}

#[derive(Clone)]
pub enum Net {
    Sim(sim::SimNet),
    Real(real::RealNet),
}

pub enum Listener {
    Sim(sim::SimListener),
    Real(real::RealListener),
}

pub enum UdpSocket {
    Sim(sim::SimUdp),
    Real(real::RealUdp),
}

impl Net {
    pub async fn connect(&self, from: Ipv4Addr, to: SocketAddrV4) -> io::Result<Conn> {
        match self {
            Net::Sim(n) => n.connect(from, to).await,
            Net::Real(n) => n.connect(from, to).await,
        }
    }
    pub async fn listen(&self, addr: SocketAddrV4) -> io::Result<Listener> {
        match self {
            Net::Sim(n) => n.listen(addr).map(Listener::Sim),
            Net::Real(n) => n.listen(addr).await.map(Listener::Real),
        }
    }
    /// Run an accepted session to its end: in the simulation on its one
    /// thread; on real sockets on one of `serve`'s session threads.
    pub fn spawn_session<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        // A session's future is several kilobytes; boxed once here, it
        // is not copied again on its way into the runtime's task.
        let fut = Box::pin(fut);
        match self {
            Net::Sim(_) => drop(tokio::spawn(fut)),
            Net::Real(n) => n.spawn_session(fut),
        }
    }
    /// The real address a scenario address has on real sockets (none in
    /// the simulation).
    pub fn real_ip_of(&self, scenario: Ipv4Addr) -> Option<Ipv4Addr> {
        match self {
            Net::Sim(_) => None,
            Net::Real(n) => Some(n.real_ip(scenario)),
        }
    }
    pub async fn bind_udp(&self, addr: SocketAddrV4) -> io::Result<UdpSocket> {
        match self {
            Net::Sim(n) => n.bind_udp(addr).map(UdpSocket::Sim),
            Net::Real(n) => n.bind_udp(addr).await.map(UdpSocket::Real),
        }
    }
}

impl Listener {
    pub async fn accept(&mut self) -> io::Result<Conn> {
        match self {
            Listener::Sim(l) => l.accept().await,
            Listener::Real(l) => l.accept().await,
        }
    }
}

impl UdpSocket {
    pub async fn send_to(&self, data: &[u8], to: SocketAddrV4) -> io::Result<()> {
        match self {
            UdpSocket::Sim(s) => s.send_to(data, to),
            UdpSocket::Real(s) => s.send_to(data, to).await,
        }
    }
    pub async fn recv_from(&mut self) -> io::Result<(Vec<u8>, SocketAddrV4)> {
        match self {
            UdpSocket::Sim(s) => s.recv_from().await,
            UdpSocket::Real(s) => s.recv_from().await,
        }
    }
    pub fn local_addr(&self) -> SocketAddrV4 {
        match self {
            UdpSocket::Sim(s) => s.local_addr(),
            UdpSocket::Real(s) => s.local_addr(),
        }
    }
}

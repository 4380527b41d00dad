//! The DNS host: an authoritative server for the scenario's zones, over UDP
//! and TCP.

use crate::host::env::HostCtx;
use crate::host::listen::{Gate, Refused, Refusing};
use crate::host::session::{Core, Io, Lost, Note, Session};
use crate::net::Conn;
use crate::proto::dns::tcp::{self, TcpServer};
use crate::proto::dns::{self, DnsDb, RecordData, ZoneRecord};
use crate::proto::ports;
use crate::scenario::{DnsConfig, Scenario};
use crate::trace::{Field, Kind};
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
// The tests below talk to the server over a raw stream.
#[cfg(test)]
use {
    crate::net::Stream,
    tokio::io::{AsyncReadExt, AsyncWriteExt},
    tokio::time::Instant,
};

/// DNS over TCP (RFC 7766 §6.2.3 asks servers to close idle connections):
/// how long the server waits for the whole of the next message, and for a
/// client to take an answer.
pub const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// TCP clients served at once by default, as many as the MTA's SMTP
/// sessions (the host's `limits`, per client address too); a client past
/// a cap is closed at once, unanswered.
pub const MAX_TCP_SESSIONS: usize = super::listen::MAX_SESSIONS;

/// The zones of one dns host, plus, when `reverse_dns` is on, the pair of
/// records a provider publishes for each host of the scenario (like an
/// ISP's reverse zone): the PTR of its address naming its `hostname`, and
/// the A record of that name leading back to the address, so that an MTA's
/// forward check of the name (made at every connection) confirms it.
/// What the scenario writes wins: a host whose PTR is written in a zone
/// gets no automatic pair (its reverse DNS is the author's, as in
/// scenarios/forged-ptr.yaml), and a name with a written address (A) or
/// alias (CNAME) gets no automatic A; other records at the name (TXT, MX)
/// leave it its A.
pub fn build_db(cfg: &DnsConfig, sc: &Scenario) -> DnsDb {
    let mut db = DnsDb::new();
    for (origin, recs) in &cfg.zones {
        db.add_zone(origin);
        for r in recs {
            db.add(r.clone());
        }
    }
    if cfg.reverse {
        // Every name any dns host of the scenario writes records for, and
        // those it gives an address or an alias.
        let key = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
        let records =
            || sc.hosts.iter().filter_map(|h| h.dns.as_ref()).flat_map(|d| &d.zones).flat_map(|(_, recs)| recs);
        let written: std::collections::BTreeSet<String> = records().map(|r| key(&r.name)).collect();
        let addressed: std::collections::BTreeSet<String> = records()
            .filter(|r| matches!(r.data, RecordData::A(_) | RecordData::Cname(_)))
            .map(|r| key(&r.name))
            .collect();
        db.add_zone("in-addr.arpa");
        for h in &sc.hosts {
            let reverse = dns::reverse_name(h.address);
            if written.contains(&key(&reverse)) {
                continue;
            }
            db.add(ZoneRecord { name: reverse, ttl: dns::DEFAULT_TTL, data: RecordData::Ptr(h.hostname.clone()) });
            if !addressed.contains(&key(&h.hostname)) {
                if db.zone_of(&h.hostname).is_none() {
                    db.add_zone(&h.hostname);
                }
                db.add(ZoneRecord { name: h.hostname.clone(), ttl: dns::DEFAULT_TTL, data: RecordData::A(h.address) });
            }
        }
    }
    db
}

/// The DNS service's sockets: UDP for ordinary queries, TCP for clients
/// that ask over TCP (RFC 7766), both on port 53.
pub struct Sockets {
    pub udp: crate::net::UdpSocket,
    pub tcp: crate::net::Listener,
}

pub async fn bind(ctx: &HostCtx) -> std::io::Result<Sockets> {
    let addr = SocketAddrV4::new(ctx.ip, ports::DNS);
    Ok(Sockets { udp: ctx.env.net.bind_udp(addr).await?, tcp: ctx.env.net.listen(addr).await? })
}

/// How a query came: a UDP answer must fit the client's limit (else it is
/// truncated and the client asks again over TCP); a TCP answer need not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Over {
    Udp,
    Tcp,
}

/// Answer one query (wire format in, wire format out), tracing both.
/// `servfail`, while set, makes the server fail every query (a fault a step can inject).
fn handle(ctx: &HostCtx, db: &DnsDb, servfail: &AtomicBool, pkt: &[u8], peer: &str, over: Over) -> Option<Vec<u8>> {
    match dns::decode_query(pkt) {
        Ok(q) => {
            ctx.emit(ctx.ev(Kind::DnsQuery).peer(peer).line(dns::dig_question(&q.question)).field(Field::Id, q.id));
            let a = if let Some(refusal) = dns::edns_refusal(&q) {
                refusal
            } else if servfail.load(Ordering::SeqCst) {
                dns::Answer::empty(dns::Rcode::ServFail, false)
            } else {
                let a = db.answer(&q.question);
                // The lab's DNS stands in for the whole DNS: a name outside
                // every zone does not exist, as the root would answer (with
                // the root's SOA, as a negative answer carries, RFC 2308).
                if a.rcode == dns::Rcode::Refused {
                    let mut a = dns::Answer::empty(dns::Rcode::NxDomain, false);
                    a.authority.push(db.negative_soa(""));
                    a
                } else {
                    a
                }
            };
            let bytes = match over {
                Over::Udp => dns::encode_udp_response(&q, &a),
                Over::Tcp => dns::encode_response(&q, &a),
            };
            let truncated = over == Over::Udp && dns::decode_response(&bytes).is_ok_and(|r| r.truncated);
            let line = dns::dig_answer(&q.question, &a);
            ctx.emit(
                ctx.ev(Kind::DnsAnswer)
                    .peer(peer)
                    .line(if truncated { format!("{line} (truncated: too large for UDP; ask over TCP)") } else { line })
                    .field(Field::Id, q.id)
                    .field(Field::Rcode, a.rcode.to_string()),
            );
            Some(bytes)
        }
        Err(e) => {
            ctx.emit(ctx.ev(Kind::DnsError).peer(peer).line(format!("malformed query ({} octets): {e}", pkt.len())));
            dns::encode_rejection(pkt)
        }
    }
}

pub async fn run(ctx: HostCtx, mut db: DnsDb, servfail: Arc<AtomicBool>, sockets: Sockets) -> std::io::Result<()> {
    let Sockets { mut udp, mut tcp } = sockets;
    db.set_server_name(&ctx.hostname);
    db.set_server_address(ctx.ip);
    let db = Arc::new(db);
    {
        let (ctx, db, servfail) = (ctx.clone(), db.clone(), servfail.clone());
        let slots = Gate::new(ctx.env.limits.clone());
        tokio::spawn(async move {
            while let Ok(conn) = super::listen::accept(&ctx, &mut tcp, "dns over TCP on port 53").await {
                let permit = match slots.enter(*conn.peer.ip()) {
                    Ok(p) => p,
                    Err(why) => {
                        // Too many: hang up without reading, as BIND does past tcp-clients.
                        refuse(&ctx, conn, why).await;
                        continue;
                    }
                };
                let (ctx, db, servfail) = (ctx.clone(), db.clone(), servfail.clone());
                tokio::spawn(async move {
                    tcp_session(ctx, &db, &servfail, conn).await;
                    drop(permit);
                });
            }
        });
    }
    loop {
        let (pkt, from) = super::listen::recv(&ctx, &mut udp, "dns over UDP on port 53").await?;
        let peer = ctx.peer_name(*from.ip());
        // An answer that cannot be sent (on real sockets, to port 0 or a
        // broadcast address) is lost like any datagram; the server goes on.
        if let Some(r) = handle(&ctx, &db, &servfail, &pkt, &peer, Over::Udp)
            && let Err(e) = udp.send_to(&r, from).await
        {
            ctx.emit(ctx.ev(Kind::DnsError).peer(&peer).line(format!("cannot send the answer to {from}: {e}")));
        }
    }
}

/// A TCP client over a session cap: traced (`tcp.refuse`, and a `dns.error`
/// saying what the client sees), then closed unread.
async fn refuse(ctx: &HostCtx, conn: Conn, why: Refused) {
    let note = Note::new(Kind::DnsError, "too many TCP clients; connection closed unanswered");
    let mut driver = Session::new(ctx, conn.stream, conn.session, ctx.peer_name(*conn.peer.ip()));
    driver.run(&mut Refusing::new(why, Refusal(Some(note)))).await;
}

/// A core that traces its one line and closes, reading nothing.
struct Refusal(Option<Note>);

impl Core for Refusal {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, _bytes: &[u8]) {}
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        Some(match self.0.take() {
            Some(n) => Io::Trace(n),
            None => Io::Close,
        })
    }
    fn poll_timeout(&self) -> Option<Duration> {
        None
    }
    fn handle_timeout(&mut self, _now: Duration) {}
    fn peer_closed(&mut self, _how: Lost) {}
}

/// What the TCP core asks of the DNS host.
enum Ask {
    /// Answer this query (through [`handle`], traced like one over UDP).
    Query(Vec<u8>),
    /// Trace a message cut short (the driver traces nothing once the
    /// client has gone, so the host does).
    Cut(tcp::Incomplete),
}

/// The DNS-over-TCP core ([`tcp::TcpServer`]) as the session driver runs it.
struct DnsTcp(TcpServer);

impl Core for DnsTcp {
    type Action = Ask;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.0.feed(bytes);
    }
    fn poll(&mut self, now: Duration) -> Option<Io<Ask>> {
        Some(match self.0.poll(now)? {
            tcp::Output::Query(q) => Io::Host(Ask::Query(q)),
            tcp::Output::Send(bytes) => Io::Send { bytes, notes: Vec::new() },
            tcp::Output::Incomplete(c) => Io::Host(Ask::Cut(c)),
            tcp::Output::Close => Io::Close,
        })
    }
    fn waiting(&mut self, now: Duration) {
        self.0.waiting(now);
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.0.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.0.handle_timeout(now);
    }
    /// A client that never reads its answers is dropped as soon as one
    /// that never sends its query would be.
    fn write_timeout(&self) -> Duration {
        TCP_IDLE_TIMEOUT
    }
    fn peer_closed(&mut self, how: Lost) {
        match how {
            Lost::Write(_) => self.0.stop(),
            Lost::Closed | Lost::Read(_) | Lost::Tls(_) => self.0.peer_closed(),
        }
    }
}

/// DNS over TCP on the session driver: each message is preceded by its
/// length in two octets; a message (length and body) must arrive whole
/// within `TCP_IDLE_TIMEOUT` of the server starting to wait for it,
/// otherwise the server closes the connection (the core's timer).
async fn tcp_session(ctx: HostCtx, db: &DnsDb, servfail: &AtomicBool, conn: Conn) {
    let Conn { stream, peer, session, .. } = conn;
    let peer = ctx.peer_name(*peer.ip());
    let mut core = DnsTcp(TcpServer::new(TCP_IDLE_TIMEOUT));
    let mut driver = Session::new(&ctx, stream, session, &peer);
    while let Some(ask) = driver.next(&mut core).await {
        match ask {
            Ask::Query(q) => {
                if let Some(r) = handle(&ctx, db, servfail, &q, &peer, Over::Tcp) {
                    core.0.answer(&r);
                }
            }
            Ask::Cut(c) => ctx.emit(ctx.ev(Kind::DnsError).session(session).peer(&peer).line(c.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::env::{Activity, Clock, Env, Streams};
    use crate::net::Net;
    use crate::net::sim::SimNet;
    use crate::proto::dns::{QType, Question};
    use crate::trace::Trace;
    use std::net::Ipv4Addr;

    const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 53);
    const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    const LATENCY: Duration = Duration::from_millis(5);
    /// Longer than any wait of the server: a read that lasts this long hangs.
    const HANG: Duration = Duration::from_secs(300);

    /// A DNS server for example.com on a simulated network, running.
    async fn start() -> (SimNet, Trace) {
        let net = SimNet::new(LATENCY);
        let trace = Trace::new();
        let start = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
        let env = Env {
            net: Net::Sim(net.clone()),
            trace: trace.clone(),
            clock: Clock::new(start),
            rng: Streams::new(1),
            activity: Activity::default(),
            names: Arc::new([(CLIENT, "client".into())].into_iter().collect()),
            limits: crate::host::listen::Limits::default(),
        };
        let ctx = HostCtx { env, name: "dns".into(), ip: SERVER, hostname: "ns.example.com".into() };
        let mut db = DnsDb::new();
        db.add_zone("example.com");
        db.add(dns::parse_record("@ MX 10 mx.example.com.", "example.com").expect("a record"));
        let sockets = bind(&ctx).await.expect("port 53 is free");
        tokio::spawn(run(ctx, db, Arc::new(AtomicBool::new(false)), sockets));
        (net, trace)
    }

    async fn connect(net: &SimNet) -> Stream {
        net.connect(CLIENT, SocketAddrV4::new(SERVER, crate::proto::ports::DNS)).await.expect("connects").stream
    }

    fn framed_query(id: u16) -> Vec<u8> {
        let q = dns::encode_query(id, &Question { name: "example.com".into(), qtype: QType::Mx });
        let mut out = u16::try_from(q.len()).expect("short").to_be_bytes().to_vec();
        out.extend(q);
        out
    }

    /// Asks for example.com's MX over `s` and checks the answer.
    async fn ask(s: &mut Stream, id: u16) {
        s.write_all(&framed_query(id)).await.expect("sent");
        let mut len = [0u8; 2];
        tokio::time::timeout(HANG, s.read_exact(&mut len)).await.expect("an answer in time").expect("a length");
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut body).await.expect("the answer");
        let r = dns::decode_response(&body).expect("a response");
        assert_eq!((r.id, r.answer.rcode, r.answer.answers.len()), (id, dns::Rcode::NoError, 1));
    }

    /// How long until the server closes `s` (reading nothing more), or None
    /// when it keeps the connection open for `HANG`.
    async fn closed_after(s: &mut Stream) -> Option<Duration> {
        let t0 = Instant::now();
        let mut buf = [0u8; 64];
        match tokio::time::timeout(HANG, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => Some(t0.elapsed()),
            Ok(Ok(n)) => panic!("unexpected {n} octets from the server"),
            Err(_) => None,
        }
    }

    fn errors(trace: &Trace) -> Vec<String> {
        trace.events().into_iter().filter(|e| e.kind == Kind::DnsError).filter_map(|e| e.line).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn tcp_answers_then_closes_an_idle_client() {
        let (net, trace) = start().await;
        let mut s = connect(&net).await;
        ask(&mut s, 1).await;
        ask(&mut s, 2).await;
        let t = closed_after(&mut s).await.expect("closed");
        assert!(t >= TCP_IDLE_TIMEOUT && t < TCP_IDLE_TIMEOUT + Duration::from_secs(1), "{t:?}");
        // Silence between messages is no error.
        assert_eq!(errors(&trace), Vec::<String>::new());
    }

    #[tokio::test(start_paused = true)]
    async fn tcp_closes_a_client_that_stops_mid_message() {
        let (net, trace) = start().await;
        // The length says 40 octets; 5 come, then nothing.
        let mut s = connect(&net).await;
        s.write_all(&[0, 40, 1, 2, 3, 4, 5]).await.expect("sent");
        let t = closed_after(&mut s).await.expect("the server must not wait forever for the rest");
        assert!(t >= TCP_IDLE_TIMEOUT && t < TCP_IDLE_TIMEOUT + Duration::from_secs(1), "{t:?}");
        // Half a length prefix, then nothing.
        let mut s = connect(&net).await;
        s.write_all(&[0]).await.expect("sent");
        assert!(closed_after(&mut s).await.expect("closed") < TCP_IDLE_TIMEOUT + Duration::from_secs(1));
        // A message dribbled out an octet a second is cut off after the timeout too.
        let mut s = connect(&net).await;
        let q = framed_query(3);
        for b in &q {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(q.len() > TCP_IDLE_TIMEOUT.as_secs() as usize + 2);
        assert!(closed_after(&mut s).await.is_some());
        assert_eq!(
            errors(&trace),
            [
                "incomplete TCP message: 5 of 40 octets of a message (not sent within 10 s); connection closed",
                "incomplete TCP message: 1 of 2 octets of its length (not sent within 10 s); connection closed",
                format!(
                    "incomplete TCP message: 8 of {} octets of a message (not sent within 10 s); connection closed",
                    q.len() - 2
                )
                .as_str(),
            ]
        );
        // A client that gives up half-way is traced as such.
        let mut s = connect(&net).await;
        s.write_all(&[0, 40, 1]).await.expect("sent");
        s.shutdown().await.expect("closed");
        assert!(closed_after(&mut s).await.expect("closed") < Duration::from_secs(1));
        assert!(errors(&trace)[3].contains("1 of 40 octets of a message (the client closed the connection)"));
    }

    #[tokio::test(start_paused = true)]
    async fn tcp_sessions_are_capped_in_total_and_per_client() {
        use crate::host::listen::MAX_PER_CLIENT;
        let (net, trace) = start().await;
        let refusals = || -> Vec<String> {
            trace.events().into_iter().filter(|e| e.kind == Kind::TcpRefuse).filter_map(|e| e.line).collect()
        };
        let mut open = Vec::new();
        for _ in 0..MAX_PER_CLIENT {
            open.push(connect(&net).await);
        }
        // One more from the same address is closed at once, long before the idle timeout.
        let mut extra = connect(&net).await;
        let t = closed_after(&mut extra).await.expect("closed");
        assert!(t < Duration::from_secs(1), "{t:?}");
        assert_eq!(
            refusals(),
            ["too many connections from 192.0.2.10: 50 at once, the limit per client address; refused"]
        );
        assert_eq!(errors(&trace), ["too many TCP clients; connection closed unanswered"]);
        // Other addresses fill the service up to its total.
        for i in 0..MAX_TCP_SESSIONS - MAX_PER_CLIENT {
            let from = Ipv4Addr::new(192, 0, 2, 100 + (i % 50) as u8);
            let to = SocketAddrV4::new(SERVER, crate::proto::ports::DNS);
            open.push(net.connect(from, to).await.expect("connects").stream);
        }
        let mut extra = net
            .connect(Ipv4Addr::new(192, 0, 2, 99), SocketAddrV4::new(SERVER, crate::proto::ports::DNS))
            .await
            .expect("connects")
            .stream;
        assert!(closed_after(&mut extra).await.expect("closed") < Duration::from_secs(1));
        assert_eq!(refusals()[1], "too many connections: 100 sessions at once, the service's limit; refused");
        // Those within the caps are served.
        ask(&mut open[0], 7).await;
        ask(&mut open[MAX_TCP_SESSIONS - 1], 8).await;
        // When one leaves, there is room for another.
        drop(open.swap_remove(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut next = connect(&net).await;
        ask(&mut next, 9).await;
        assert_eq!(refusals().len(), 2);
    }
}

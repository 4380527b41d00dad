//! The DNS host: an authoritative server for the scenario's zones, over UDP.

use crate::env::HostCtx;
use crate::proto::dns::{self, DnsDb, RecordData, ZoneRecord};
use crate::scenario::{DnsConfig, Scenario};
use crate::trace::{Field, Kind};
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The zones of one dns host, plus PTR records for every host of the
/// scenario when `reverse_dns` is on (like an ISP's reverse zone).
pub fn build_db(cfg: &DnsConfig, sc: &Scenario) -> DnsDb {
    let mut db = DnsDb::new();
    for (origin, recs) in &cfg.zones {
        db.add_zone(origin);
        for r in recs {
            db.add(r.clone());
        }
    }
    if cfg.reverse {
        db.add_zone("in-addr.arpa");
        for h in &sc.hosts {
            db.add(ZoneRecord {
                name: dns::reverse_name(h.address),
                ttl: dns::DEFAULT_TTL,
                data: RecordData::Ptr(h.hostname.clone()),
            });
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
    let addr = SocketAddrV4::new(ctx.ip, super::resolver::DNS_PORT);
    Ok(Sockets { udp: ctx.env.net.bind_udp(addr).await?, tcp: ctx.env.net.listen(addr).await? })
}

/// Answer one query (wire format in, wire format out), tracing both.
/// `servfail`, while set, makes the server fail every query (a fault a step can inject).
fn handle(ctx: &HostCtx, db: &DnsDb, servfail: &AtomicBool, pkt: &[u8], peer: &str) -> Option<Vec<u8>> {
    match dns::decode_query(pkt) {
        Ok(q) => {
            ctx.emit(ctx.ev(Kind::DnsQuery).peer(peer).line(dns::dig_question(&q.question)).field(Field::Id, q.id));
            let a = if servfail.load(Ordering::SeqCst) {
                dns::Answer { rcode: dns::Rcode::ServFail, answers: Vec::new(), authoritative: false }
            } else {
                let a = db.answer(&q.question);
                // The lab's DNS stands in for the whole DNS: a name outside
                // every zone does not exist, as the root would answer.
                if a.rcode == dns::Rcode::Refused {
                    dns::Answer { rcode: dns::Rcode::NxDomain, answers: Vec::new(), authoritative: false }
                } else {
                    a
                }
            };
            ctx.emit(
                ctx.ev(Kind::DnsAnswer)
                    .peer(peer)
                    .line(dns::dig_answer(&q.question, &a))
                    .field(Field::Id, q.id)
                    .field(Field::Rcode, a.rcode.to_string()),
            );
            Some(dns::encode_response(&q, &a))
        }
        Err(e) => {
            ctx.emit(ctx.ev(Kind::DnsError).peer(peer).line(format!("malformed query ({} octets): {e}", pkt.len())));
            dns::encode_formerr(pkt)
        }
    }
}

pub async fn run(ctx: HostCtx, db: DnsDb, servfail: Arc<AtomicBool>, sockets: Sockets) -> std::io::Result<()> {
    let Sockets { mut udp, mut tcp } = sockets;
    let db = Arc::new(db);
    {
        let (ctx, db, servfail) = (ctx.clone(), db.clone(), servfail.clone());
        tokio::spawn(async move {
            while let Ok(conn) = tcp.accept().await {
                let (ctx, db, servfail) = (ctx.clone(), db.clone(), servfail.clone());
                tokio::spawn(async move { tcp_session(ctx, &db, &servfail, conn).await });
            }
        });
    }
    loop {
        let (pkt, from) = udp.recv_from().await?;
        let peer = ctx.peer_name(*from.ip());
        if let Some(r) = handle(&ctx, &db, &servfail, &pkt, &peer) {
            udp.send_to(&r, from).await?;
        }
    }
}

/// DNS over TCP: each message is preceded by its length in two octets.
async fn tcp_session(ctx: HostCtx, db: &DnsDb, servfail: &AtomicBool, conn: crate::net::Conn) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let crate::net::Conn { mut stream, peer, .. } = conn;
    let peer = ctx.peer_name(*peer.ip());
    loop {
        let mut len = [0u8; 2];
        let Ok(Ok(_)) = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_exact(&mut len)).await
        else {
            break;
        };
        let mut pkt = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut pkt).await.is_err() {
            break;
        }
        let Some(r) = handle(&ctx, db, servfail, &pkt, &peer) else { continue };
        let Ok(n) = u16::try_from(r.len()) else { break };
        if stream.write_all(&n.to_be_bytes()).await.is_err() || stream.write_all(&r).await.is_err() {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

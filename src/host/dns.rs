//! The DNS host: an authoritative server for the scenario's zones, over UDP.

use crate::env::HostCtx;
use crate::proto::dns::{self, DnsDb, RecordData, ZoneRecord};
use crate::scenario::{DnsConfig, Scenario};
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

/// `servfail`, while set, makes the server fail every query (a fault a step can inject).
pub async fn bind(ctx: &HostCtx) -> std::io::Result<crate::net::UdpSocket> {
    ctx.env.net.bind_udp(SocketAddrV4::new(ctx.ip, super::resolver::DNS_PORT)).await
}

pub async fn run(
    ctx: HostCtx,
    db: DnsDb,
    servfail: Arc<AtomicBool>,
    mut sock: crate::net::UdpSocket,
) -> std::io::Result<()> {
    loop {
        let (pkt, from) = sock.recv_from().await?;
        let peer = ctx.peer_name(*from.ip());
        match dns::decode_query(&pkt) {
            Ok(q) => {
                ctx.emit(ctx.ev("dns.query").peer(&peer).line(dns::dig_question(&q.question)).field("id", q.id));
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
                    ctx.ev("dns.answer")
                        .peer(&peer)
                        .line(dns::dig_answer(&q.question, &a))
                        .field("id", q.id)
                        .field("rcode", a.rcode.to_string()),
                );
                sock.send_to(&dns::encode_response(&q, &a), from).await?;
            }
            Err(e) => {
                ctx.emit(ctx.ev("dns.error").peer(&peer).line(format!("malformed query ({} octets): {e}", pkt.len())));
                if let Some(r) = dns::encode_formerr(&pkt) {
                    sock.send_to(&r, from).await?;
                }
            }
        }
    }
}

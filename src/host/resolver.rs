//! The stub resolver an MTA uses: DNS queries over UDP to the lab's DNS host,
//! and MX target selection as RFC 5321 §5.1 describes it.

use crate::host::env::{HostCtx, Purpose};
use crate::proto::dns::{self, Answer, QType, Question, Rcode, RecordData};
pub use crate::proto::smtp::persona::DnsFault;
use crate::trace::Kind;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// How long to wait for each answer, and how many times to ask.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
pub const QUERY_TRIES: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// No answer in time, or SERVFAIL: try again later.
    Temporary(DnsFault),
    /// The name does not exist, or refuses mail: give up. (The facts: each
    /// flavour words them, `Persona::trouble`.)
    Permanent(Unroutable, DnsFault),
}

/// Why mail for a domain can never be delivered; decides the DSN status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unroutable {
    /// No such domain, or no address for it or its MX hosts.
    NoSuchDomain,
    /// The domain publishes a null MX (RFC 7505).
    NullMx,
    /// Its best MX is this host itself, and it is not a local domain.
    LoopsBack,
    /// This host has no way to look the domain up (no smarthost, no DNS server).
    NoRoute,
    /// An IPv6 address literal: the lab's hosts and network have IPv4 only.
    NoIpv6,
}

impl Unroutable {
    /// The RFC 3463 status code of the bounce.
    pub fn status(self) -> &'static str {
        match self {
            Unroutable::NoSuchDomain | Unroutable::NoRoute => "5.1.2",
            // RFC 7505 §4.2.
            Unroutable::NullMx => "5.1.10",
            Unroutable::LoopsBack => "5.4.6",
            // RFC 3463 X.4.4, "Unable to route".
            Unroutable::NoIpv6 => "5.4.4",
        }
    }
}

#[derive(Clone)]
pub struct Resolver {
    pub ctx: HostCtx,
    pub server: SocketAddrV4,
}

/// One place to try delivery: an MX host (or the domain itself) and its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub ip: Ipv4Addr,
    pub preference: u16,
    /// Known by its address only (an address literal): no name to check its
    /// TLS certificate against.
    pub by_address: bool,
}

impl Resolver {
    pub async fn query(&self, name: &str, qtype: QType) -> Result<Answer, ResolveError> {
        let q = Question { name: name.trim_end_matches('.').to_ascii_lowercase(), qtype };
        let net = &self.ctx.env.net;
        for _ in 0..QUERY_TRIES {
            let id = self.ctx.rng(Purpose::DnsId).u16();
            let mut sock = net
                .bind_udp(SocketAddrV4::new(self.ctx.ip, 0))
                .await
                .map_err(|e| ResolveError::Temporary(DnsFault::Other(e.to_string())))?;
            // EDNS (RFC 6891) with a 1232-octet payload, as stub resolvers
            // send today, so that answers up to that size come over UDP.
            let query = dns::try_encode_query_edns(id, &q, Some(dns::Edns::ours()))
                .unwrap_or_else(|_| dns::encode_query(id, &q));
            let _ = sock.send_to(&query, self.server).await;
            let deadline = tokio::time::Instant::now() + QUERY_TIMEOUT;
            loop {
                let got = tokio::time::timeout_at(deadline, sock.recv_from()).await;
                let Ok(Ok((bytes, from))) = got else { break };
                if from != self.server {
                    continue;
                }
                match dns::decode_response(&bytes) {
                    Ok(r) if r.id == id && r.truncated => {
                        // The lab's zones stay far below 1232 octets per
                        // answer; a larger one is a lab this resolver cannot
                        // serve (it does not retry over TCP), said plainly.
                        return Err(ResolveError::Temporary(DnsFault::Other(format!(
                            "the answer to {} was truncated (larger than {} octets) and this resolver does not retry over TCP",
                            dns::dig_question(&q),
                            dns::EDNS_PAYLOAD
                        ))));
                    }
                    Ok(r) if r.id == id => return Ok(r.answer),
                    _ => continue,
                }
            }
            self.ctx.emit(
                self.ctx
                    .ev(Kind::DnsTimeout)
                    .peer(self.ctx.peer_name(*self.server.ip()))
                    .line(format!(";; connection timed out; no servers could be reached ({})", dns::dig_question(&q))),
            );
        }
        Err(ResolveError::Temporary(DnsFault::NoAnswer {
            name: q.name.clone(),
            qtype: qtype_name(q.qtype),
            server: *self.server.ip(),
        }))
    }

    /// Reverse look-up of a client address; `None` when there is no PTR.
    pub async fn ptr(&self, ip: Ipv4Addr) -> Option<String> {
        let a = self.query(&dns::reverse_name(ip), QType::Ptr).await.ok()?;
        a.answers.iter().find_map(|r| match &r.data {
            RecordData::Ptr(n) => Some(n.clone()),
            _ => None,
        })
    }

    pub async fn a(&self, name: &str) -> Result<Vec<Ipv4Addr>, ResolveError> {
        let a = self.query(name, QType::A).await?;
        match a.rcode {
            Rcode::NoError => Ok(a
                .answers
                .iter()
                .filter_map(|r| match r.data {
                    RecordData::A(ip) => Some(ip),
                    _ => None,
                })
                .collect()),
            Rcode::NxDomain => Err(ResolveError::Permanent(
                Unroutable::NoSuchDomain,
                DnsFault::NotFound { name: name.into(), qtype: "A" },
            )),
            rc => {
                Err(ResolveError::Temporary(DnsFault::Failed { name: name.into(), qtype: "A", rcode: rc.to_string() }))
            }
        }
    }

    /// Where to deliver mail for `domain`, most preferred first.
    /// `order` shuffles equal preferences (RFC 5321 §5.1 asks for randomness).
    pub async fn mx_targets(&self, domain: &str) -> Result<Vec<Target>, ResolveError> {
        let a = self.query(domain, QType::Mx).await?;
        match a.rcode {
            Rcode::NoError => {}
            Rcode::NxDomain => {
                return Err(ResolveError::Permanent(
                    Unroutable::NoSuchDomain,
                    DnsFault::NotFound { name: domain.into(), qtype: "MX" },
                ));
            }
            rc => {
                return Err(ResolveError::Temporary(DnsFault::Failed {
                    name: domain.into(),
                    qtype: "MX",
                    rcode: rc.to_string(),
                }));
            }
        }
        let mut mx: Vec<(u16, String)> = a
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RecordData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect();
        if mx.iter().any(|(_, e)| e.is_empty()) {
            return Err(ResolveError::Permanent(Unroutable::NullMx, DnsFault::NullMx { domain: domain.into() }));
        }
        if mx.is_empty() {
            // Implicit MX: the domain's own address (RFC 5321 §5.1).
            let ips = self.a(domain).await?;
            if ips.is_empty() {
                return Err(ResolveError::Permanent(
                    Unroutable::NoSuchDomain,
                    DnsFault::NoData { name: domain.into(), qtype: "A" },
                ));
            }
            return Ok(ips
                .into_iter()
                .map(|ip| Target { name: domain.to_string(), ip, preference: 0, by_address: false })
                .collect());
        }
        let rng = self.ctx.rng(Purpose::MxOrder);
        let order = order_mx(&mut mx, |n| rng.below(n));
        let mut out = Vec::new();
        let mut temp = None;
        let mut last = String::new();
        for (pref, name) in order {
            last.clone_from(&name);
            match self.a(&name).await {
                Ok(ips) => out.extend(ips.into_iter().map(|ip| Target {
                    name: name.clone(),
                    ip,
                    preference: pref,
                    by_address: false,
                })),
                Err(ResolveError::Temporary(e)) => temp = Some(e),
                Err(ResolveError::Permanent(..)) => {}
            }
        }
        if out.is_empty() {
            return Err(match temp {
                Some(e) => ResolveError::Temporary(e),
                None => ResolveError::Permanent(
                    Unroutable::NoSuchDomain,
                    DnsFault::NoMxAddress { domain: domain.into(), host: last },
                ),
            });
        }
        Ok(out)
    }
}

/// The name of a query type as the failure texts give it.
fn qtype_name(q: QType) -> &'static str {
    match q {
        QType::Mx => "MX",
        QType::A => "A",
        QType::Ptr => "PTR",
        QType::Txt => "TXT",
        _ => "ANY",
    }
}

/// Sort MX records by preference (lowest first); records of equal preference
/// are put in a random order drawn from `below(n)` (a number in 0..n).
pub fn order_mx(mx: &mut [(u16, String)], mut below: impl FnMut(u64) -> u64) -> Vec<(u16, String)> {
    mx.sort();
    let mut out = Vec::with_capacity(mx.len());
    let mut i = 0;
    while i < mx.len() {
        let pref = mx[i].0;
        let mut group: Vec<(u16, String)> = mx[i..].iter().take_while(|r| r.0 == pref).cloned().collect();
        i += group.len();
        // Fisher-Yates with the seeded RNG.
        for k in (1..group.len()).rev() {
            let j = below(k as u64 + 1) as usize;
            group.swap(k, j.min(k));
        }
        out.extend(group);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_preference_first_and_ties_shuffled() {
        let mut mx = vec![(20, "b".to_string()), (10, "a".to_string()), (30, "c".to_string())];
        let o = order_mx(&mut mx, |_| 0);
        assert_eq!(o.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        let mut tie = vec![(10, "x".to_string()), (10, "y".to_string()), (5, "first".to_string())];
        let keep = order_mx(&mut tie.clone(), |n| n - 1);
        let swap = order_mx(&mut tie, |_| 0);
        assert_eq!(keep[0].1, "first");
        assert_eq!(swap[0].1, "first");
        assert_ne!(keep[1].1, swap[1].1, "a different draw gives a different order of equals");
    }
}

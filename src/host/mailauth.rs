//! SPF, DKIM and DMARC on an MTA: the keys of the hosts that sign (derived
//! from the scenario seed and published in the DNS host's zone), signing
//! outgoing mail, and checking a message at the end of DATA. Every look-up
//! is a real query to the lab's DNS server through the host's resolver, so
//! the questions appear in the trace; the decisions are `auth.*` events.
//!
//! SPF and DMARC are `proto::mailauth`'s sans-IO logic. DKIM verification
//! is Stalwart's `mail-auth`: this module looks the signatures' key records
//! up itself and hands them to the crate as its DNS cache (`Book`), and the
//! crate's own resolver has no name servers, so nothing ever leaves the lab.

use super::env::{HostCtx, Purpose, Streams};
use super::resolver::Resolver;
use crate::proto::dns::{DnsDb, QType, Rcode, RecordData, ZoneRecord};
use crate::proto::mailauth::dkim::DkimKey;
use crate::proto::mailauth::dmarc::{self, DkimPass, DmarcVerdict, Found, Policy};
use crate::proto::mailauth::spf::{Lookup, Spf, SpfStep, SpfVerdict};
use crate::proto::mailauth::{DkimVerdict, authentication_results};
use crate::scenario::{DnsConfig, Scenario};
use crate::trace::{Field, Kind};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::net::Ipv4Addr;

/// The DKIM key of a signing host: 32 octets derived from (seed, host,
/// `dkim-key`), the same on every call.
pub fn key(streams: &Streams, host: &str) -> Option<DkimKey> {
    let mut seed = [0u8; 32];
    streams.derive(host, Purpose::DkimKey, &mut seed);
    DkimKey::from_seed(seed).ok()
}

/// Publish the key record of every signing MTA in the zones this DNS host
/// serves: `SELECTOR._domainkey.DOMAIN TXT "v=DKIM1; k=ed25519; p=…"` in
/// the zone the name falls in (the longest origin that contains it).
pub fn publish(db: &mut DnsDb, cfg: &DnsConfig, sc: &Scenario, streams: &Streams) {
    for h in &sc.hosts {
        let Some(sign) = h.mta.as_ref().and_then(|m| m.dkim.as_ref()) else { continue };
        let name = format!("{}._domainkey.{}", sign.selector, sign.domain);
        let in_zone = cfg.zones.iter().any(|(origin, _)| name == *origin || name.ends_with(&format!(".{origin}")));
        if !in_zone {
            continue;
        }
        if let Some(k) = key(streams, &h.name) {
            db.add(ZoneRecord { name, ttl: crate::proto::dns::DEFAULT_TTL, data: RecordData::Txt(k.txt_record()) });
        }
    }
}

/// What checking one message decided.
pub struct Checked {
    /// The `Authentication-Results:` field to add (with CRLF).
    pub header: String,
    /// DMARC says reject: the From: domain whose policy refuses the message.
    pub reject: Option<String>,
    /// DMARC says quarantine: local delivery files the message into the
    /// recipient's `Junk` mailbox (RFC 7489 §6.3: "place into spam folder").
    pub quarantine: bool,
    pub dmarc: Option<DmarcVerdict>,
}

/// The facts of the session a check needs.
pub struct Client<'a> {
    pub session: u64,
    pub peer: &'a str,
    pub ip: Ipv4Addr,
    /// The HELO name; empty when the client gave none (for the null sender
    /// SPF then has no domain to check: `none`).
    pub helo: &'a str,
    /// The envelope sender without brackets; empty for the null sender.
    pub mail_from: &'a str,
}

/// Check SPF, DKIM and DMARC for a message just received (RFC 7208, 6376, 7489).
pub async fn check(ctx: &HostCtx, resolver: Option<&Resolver>, c: &Client<'_>, data: &[u8]) -> Checked {
    let ev = |kind: Kind| ctx.ev(kind).session(c.session).peer(c.peer);
    // SPF checks the MAIL FROM domain, or the HELO name for the null sender (RFC 7208 §2.4).
    let spf_domain = match c.mail_from.rsplit_once('@') {
        Some((_, d)) => d.to_ascii_lowercase(),
        None => c.helo.to_ascii_lowercase(),
    };
    let spf = spf_check(resolver, c.ip, &spf_domain).await;
    ctx.emit(
        ev(Kind::AuthSpf)
            .line(format!(
                "spf={} ({}) smtp.mailfrom={}",
                spf.result.as_str(),
                spf.reason,
                show_from(c.mail_from, &spf_domain)
            ))
            .field(Field::Result, spf.result.as_str())
            .field(Field::Domain, spf.domain.clone()),
    );
    let dkim = dkim_check(resolver, data).await;
    for d in &dkim {
        let line = if d.domain.is_empty() {
            format!("dkim={} ({})", d.result, d.reason)
        } else {
            format!("dkim={} ({}) header.d={} header.s={}", d.result, d.reason, d.domain, d.selector)
        };
        ctx.emit(ev(Kind::AuthDkim).line(line).field(Field::Result, d.result).field(Field::Domain, d.domain.clone()));
    }
    if dkim.is_empty() {
        ctx.emit(ev(Kind::AuthDkim).line("dkim=none (the message has no DKIM-Signature)").field(Field::Result, "none"));
    }
    let headers = crate::base::message::headers(data);
    let dmarc = match dmarc::from_domain(&headers) {
        Ok(from) => {
            let found = dmarc_record(resolver, &from).await;
            let passes: Vec<DkimPass> =
                dkim.iter().map(|d| DkimPass { pass: d.result == "pass", domain: d.domain.clone() }).collect();
            let mut v = dmarc::evaluate(&from, found, &spf, &passes);
            // pct=: a draw from this host's own stream (seeded from the
            // scenario's seed), taken only when the policy samples.
            let draw = v.needs_draw().then(|| ctx.rng(Purpose::DmarcSample).below(100) as u8);
            if let Some(d) = draw {
                v.sample(d);
            }
            let p = v.policy.map(|p| p.as_str()).unwrap_or("none");
            let applied = match (v.result, draw) {
                (dmarc::DmarcResult::Fail, None) => format!("; policy applied: {}", v.disposition.as_str()),
                (dmarc::DmarcResult::Fail, Some(d)) if v.sampled_out => format!(
                    "; pct={}, drew {d}: left out of the sample, so {} instead of {p}",
                    v.pct,
                    v.disposition.as_str()
                ),
                (dmarc::DmarcResult::Fail, Some(d)) => {
                    format!("; pct={}, drew {d}: in the sample, policy applied: {p}", v.pct)
                }
                _ => String::new(),
            };
            ctx.emit(
                ev(Kind::AuthDmarc)
                    .line(format!(
                        "dmarc={} (p={p} dis={}) header.from={}: {}{applied}",
                        v.result.as_str(),
                        v.disposition.as_str(),
                        v.from,
                        v.reason
                    ))
                    .field(Field::Result, v.result.as_str())
                    .field(Field::Domain, v.from.clone())
                    .field(Field::Policy, p)
                    .field(Field::Disposition, v.disposition.as_str()),
            );
            Some(v)
        }
        Err(why) => {
            ctx.emit(ev(Kind::AuthDmarc).line(format!("dmarc=none ({why})")).field(Field::Result, "none"));
            None
        }
    };
    let header = authentication_results(&ctx.hostname, &spf, c.mail_from, &dkim, dmarc.as_ref());
    let reject = dmarc.as_ref().filter(|v| v.disposition == Policy::Reject).map(|v| v.from.clone());
    let quarantine = dmarc.as_ref().is_some_and(|v| v.disposition == Policy::Quarantine);
    Checked { header, reject, quarantine, dmarc }
}

fn show_from(mail_from: &str, domain: &str) -> String {
    if mail_from.is_empty() { format!("postmaster@{domain}") } else { mail_from.to_string() }
}

async fn lookup(resolver: Option<&Resolver>, name: &str, qtype: QType) -> Lookup {
    match resolver {
        Some(r) => match r.query(name, qtype).await {
            Ok(a) => Lookup::Answer(a),
            Err(_) => Lookup::Failed,
        },
        None => Lookup::Failed,
    }
}

async fn spf_check(resolver: Option<&Resolver>, ip: Ipv4Addr, domain: &str) -> SpfVerdict {
    let mut s = Spf::new(ip, domain);
    loop {
        match s.step() {
            SpfStep::Done(v) => return v,
            SpfStep::Query(q) => {
                let l = lookup(resolver, &q.name, q.qtype).await;
                s.answer(&l);
            }
        }
    }
}

/// The TXT strings of an answer, or why there are none.
enum Texts {
    Found(Vec<String>),
    NoName,
    Failed,
}

async fn texts(resolver: Option<&Resolver>, name: &str) -> Texts {
    match lookup(resolver, name, QType::Txt).await {
        Lookup::Answer(a) if matches!(a.rcode, Rcode::NoError | Rcode::NxDomain) => {
            let t: Vec<String> = a
                .answers
                .into_iter()
                .filter_map(|r| match r.data {
                    RecordData::Txt(t) => Some(t),
                    _ => None,
                })
                .collect();
            if t.is_empty() { Texts::NoName } else { Texts::Found(t) }
        }
        _ => Texts::Failed,
    }
}

/// `_dmarc.FROM`, then `_dmarc.ORG` when FROM is below its organizational domain (RFC 7489 §6.6.3).
async fn dmarc_record(resolver: Option<&Resolver>, from: &str) -> Found {
    let org = dmarc::org_domain(from);
    let mut names = vec![(format!("_dmarc.{from}"), false)];
    if org != from {
        names.push((format!("_dmarc.{org}"), true));
    }
    for (name, at_org) in names {
        match texts(resolver, &name).await {
            Texts::Failed => return Found::DnsFailed,
            Texts::NoName => continue,
            Texts::Found(t) => {
                let recs: Vec<&String> = t.iter().filter(|t| dmarc::is_dmarc(t)).collect();
                match recs.as_slice() {
                    [] => continue,
                    [one] => {
                        return match dmarc::parse(one) {
                            Ok(r) => Found::Record(r, at_org),
                            Err(e) => Found::Broken(e),
                        };
                    }
                    _ => return Found::Broken(format!("{name} has more than one DMARC record")),
                }
            }
        }
    }
    Found::Nothing
}

/// The key records looked up for the crate, by fully qualified lower-case name.
struct Book(BTreeMap<String, Txt>);

impl ResolverCache<String, Txt> for Book {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.iter().find(|(k, _)| <String as Borrow<Q>>::borrow(k) == name).map(|(_, v)| v.clone())
    }
    fn remove<Q>(&self, _name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _key: String, _value: Txt, _valid_until: std::time::Instant) {}
}

async fn dkim_check(resolver: Option<&Resolver>, data: &[u8]) -> Vec<DkimVerdict> {
    let Some(msg) = AuthenticatedMessage::parse(data) else { return Vec::new() };
    if msg.dkim_headers.is_empty() {
        return Vec::new();
    }
    // Look each signature's key up ourselves, through the lab's DNS.
    let mut book = BTreeMap::new();
    for h in &msg.dkim_headers {
        let Ok(sig) = &h.header else { continue };
        let name = format!("{}._domainkey.{}", sig.s, sig.d).to_ascii_lowercase();
        let fqdn = format!("{name}.");
        if book.contains_key(&fqdn) {
            continue;
        }
        let txt = match texts(resolver, &name).await {
            Texts::Found(t) => Txt::from(DomainKey::parse(t.concat().as_bytes())),
            Texts::NoName => Txt::Error(mail_auth::Error::DnsRecordNotFound(
                mail_auth::hickory_resolver::proto::op::ResponseCode::NXDomain,
            )),
            Texts::Failed => Txt::Error(mail_auth::Error::DnsError(format!("no answer for {name} TXT"))),
        };
        book.insert(fqdn, txt);
    }
    let book = Book(book);
    // No name servers: a key this module did not look up is an error, never a query to the Internet.
    let config = mail_auth::hickory_resolver::config::ResolverConfig::from_parts(
        None,
        vec![],
        mail_auth::hickory_resolver::config::NameServerConfigGroup::with_capacity(0),
    );
    let Ok(auth) = MessageAuthenticator::new(config, Default::default()) else {
        return vec![DkimVerdict {
            result: "temperror",
            domain: String::new(),
            selector: String::new(),
            reason: "no verifier".into(),
        }];
    };
    let out = auth.verify_dkim(Parameters::new(&msg).with_txt_cache(&book)).await;
    out.iter()
        .map(|o| {
            let (result, reason) = match o.result() {
                DkimResult::Pass => ("pass", "signature verified".to_string()),
                DkimResult::Neutral(e) => ("neutral", e.to_string()),
                DkimResult::Fail(e) => ("fail", e.to_string()),
                DkimResult::PermError(e) => ("permerror", e.to_string()),
                DkimResult::TempError(e) => ("temperror", e.to_string()),
                DkimResult::None => ("none", "no signature".to_string()),
            };
            let (domain, selector) = o.signature().map(|s| (s.d.to_ascii_lowercase(), s.s.clone())).unwrap_or_default();
            DkimVerdict { result, domain, selector, reason }
        })
        .collect()
}

/// Sign an outgoing message with the host's key when its From: domain is
/// the signing domain or below it: the `DKIM-Signature:` field, traced as
/// `auth.sign`.
pub fn sign(ctx: &HostCtx, sign: &crate::scenario::DkimSign, qid: &str, data: &[u8]) -> Option<String> {
    let headers = crate::base::message::headers(data);
    let from = dmarc::from_domain(&headers).ok()?;
    if !dmarc::aligned(&from, &sign.domain, dmarc::Alignment::Strict) && !from.ends_with(&format!(".{}", sign.domain)) {
        return None;
    }
    let k = key(&ctx.env.rng, &ctx.name)?;
    let now = u64::try_from(ctx.now().timestamp()).unwrap_or(0);
    match k.sign(&sign.domain, &sign.selector, data, now) {
        Ok(h) => {
            ctx.emit(
                ctx.ev(Kind::AuthSign)
                    .line(format!("{qid}: DKIM-Signature field added (s={}, d={})", sign.selector, sign.domain))
                    .field(Field::Qid, qid)
                    .field(Field::Domain, sign.domain.clone()),
            );
            Some(h)
        }
        Err(_) => None,
    }
}

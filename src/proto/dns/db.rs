//! The authoritative database: the zones a server serves, their records,
//! and the answer to a question.

use super::names::{is_under, normalize_name, suffixes};
use super::{Answer, QType, Question, Rcode, RecordData, Soa, ZoneRecord};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Longest CNAME chain that `DnsDb::answer` follows.
const MAX_CNAME_HOPS: usize = 8;

/// All zones a server is authoritative for, and their records.
#[derive(Clone, Debug, Default)]
pub struct DnsDb {
    /// name -> data -> ttl; a name holds each datum once.
    records: BTreeMap<String, BTreeMap<RecordData, u32>>,
    origins: BTreeSet<String>,
    /// The server's own name, the primary (`MNAME`) of a zone without NS records.
    server: String,
    /// The server's own address: its name's A record when a zone of its
    /// own holds the name without one (see [`DnsDb::node`]).
    server_address: Option<Ipv4Addr>,
}

/// The SOA timers the lab's zones use: BIND's example values of RFC 1912
/// §2.2 for refresh, retry and expire; an hour for the record itself and
/// five minutes for remembering a negative answer (RFC 2308 §5 suggests
/// one to three hours for real zones; a lab run is shorter).
pub const SOA_TTL: u32 = 3600;
pub const SOA_REFRESH: u32 = 3600;
pub const SOA_RETRY: u32 = 900;
pub const SOA_EXPIRE: u32 = 604_800;
pub const NEGATIVE_TTL: u32 = 300;

impl DnsDb {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the server authoritative for `origin` and every name below it.
    /// The root (`""` or `"."`) covers every name.
    pub fn add_zone(&mut self, origin: &str) {
        self.origins.insert(normalize_name(origin));
    }

    /// Names the server itself (its host name), used as a zone's primary
    /// in the SOA when the zone has no NS record.
    pub fn set_server_name(&mut self, name: &str) {
        self.server = normalize_name(name);
    }

    /// The server's own address (see [`DnsDb::node`]).
    pub fn set_server_address(&mut self, ip: Ipv4Addr) {
        self.server_address = Some(ip);
    }

    /// The records of a name as the server answers them: the zone's own,
    /// and what every real zone has that a scenario need not write.
    /// - A zone's apex without NS records gets one, naming the SOA's
    ///   primary (the server itself): every zone has NS records at its apex
    ///   (RFC 1034 §4.2.1; BIND refuses to load a zone without them), and a
    ///   server that answers for a zone is its name server. So `dig zone NS`
    ///   answers with the name the SOA gives, not "no such data".
    /// - The server's own name, when one of its zones holds it with neither
    ///   an A record nor a CNAME, gets an A record with the server's
    ///   address, so the name server the NS and the SOA name has an address
    ///   (BIND refuses an in-zone NS target without one).
    ///
    /// What was written always wins: a zone that lists NS records, or an
    /// A record for the server's name, gets nothing added.
    fn node(&self, name: &str) -> Option<Cow<'_, BTreeMap<RecordData, u32>>> {
        let written = self.records.get(name);
        let has = |f: &dyn Fn(&RecordData) -> bool| written.is_some_and(|set| set.keys().any(f));
        let mut added = Vec::new();
        if self.origins.contains(name)
            && !has(&|d| matches!(d, RecordData::Ns(_)))
            && let RecordData::Soa(soa) = self.soa(name).data
        {
            added.push((RecordData::Ns(soa.mname), super::DEFAULT_TTL));
        }
        if let Some(ip) = self.server_address
            && !self.server.is_empty()
            && name == self.server
            && self.is_authoritative_for(name)
            && !has(&|d| matches!(d, RecordData::A(_) | RecordData::Cname(_)))
        {
            added.push((RecordData::A(ip), super::DEFAULT_TTL));
        }
        if added.is_empty() {
            return written.map(Cow::Borrowed);
        }
        let mut set = written.cloned().unwrap_or_default();
        set.extend(added);
        Some(Cow::Owned(set))
    }

    /// The zone that holds `name`: the longest origin it lies under.
    pub fn zone_of(&self, name: &str) -> Option<&str> {
        let n = normalize_name(name);
        // The name's suffixes, longest first, looked up (not every origin
        // compared: a lab server may hold a thousand zones).
        suffixes(&n).find_map(|s| self.origins.get(s)).map(String::as_str)
    }

    /// The SOA record of a zone this server serves: the primary is the
    /// zone's first NS target (else the server's own name), the mailbox
    /// `hostmaster@` the zone (`hostmaster.` + the zone), serial 1.
    pub fn soa(&self, zone: &str) -> ZoneRecord {
        let zone = normalize_name(zone);
        let ns = self.records.get(&zone).and_then(|set| {
            set.keys().find_map(|d| match d {
                RecordData::Ns(n) => Some(n.clone()),
                _ => None,
            })
        });
        let mname =
            ns.unwrap_or_else(|| if self.server.is_empty() { format!("ns.{zone}") } else { self.server.clone() });
        let rname = if zone.is_empty() { "hostmaster".to_string() } else { format!("hostmaster.{zone}") };
        let soa = Soa {
            mname: mname.trim_end_matches('.').to_string(),
            rname,
            serial: 1,
            refresh: SOA_REFRESH,
            retry: SOA_RETRY,
            expire: SOA_EXPIRE,
            minimum: NEGATIVE_TTL,
        };
        ZoneRecord { name: zone, ttl: SOA_TTL, data: RecordData::Soa(soa) }
    }

    /// The SOA to put in the authority section of a negative answer about
    /// `name`: its TTL is the smaller of the record's and its MINIMUM (RFC 2308 §3).
    pub fn negative_soa(&self, name: &str) -> ZoneRecord {
        let zone = self.zone_of(name).unwrap_or("").to_string();
        let mut r = self.soa(&zone);
        r.ttl = r.ttl.min(NEGATIVE_TTL);
        r
    }

    /// Adds a record; the same name and data twice is kept once (first TTL wins).
    pub fn add(&mut self, rec: ZoneRecord) {
        self.records.entry(normalize_name(&rec.name)).or_default().entry(rec.data.normalized()).or_insert(rec.ttl);
    }

    pub fn is_authoritative_for(&self, name: &str) -> bool {
        let n = normalize_name(name);
        suffixes(&n).any(|s| self.origins.contains(s))
    }

    /// The zone origins, sorted.
    pub fn zones(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().map(String::as_str)
    }

    /// Every record, sorted by name and then data.
    pub fn records(&self) -> Vec<ZoneRecord> {
        self.records
            .iter()
            .flat_map(|(name, set)| {
                set.iter().map(|(data, ttl)| ZoneRecord { name: name.clone(), ttl: *ttl, data: data.clone() })
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.records.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Does the node exist: records, a zone apex, or a parent of a name
    /// with records (an empty non-terminal)?
    fn node_exists(&self, name: &str) -> bool {
        name.is_empty()
            || self.origins.contains(name)
            || self.records.contains_key(name)
            || self.records.keys().any(|k| is_under(k, name))
    }

    /// Answers as an authoritative server (RFC 1034 §4.3.2, without
    /// delegations or wildcards):
    /// - records of the name with the type (`Any`: all of them), sorted;
    /// - a CNAME at the name is given, then followed inside our zones (up
    ///   to a few hops); a target in our zones that does not exist makes the
    ///   answer NXDOMAIN, as RFC 6604 says;
    /// - a name with other types only, or an empty non-terminal: NOERROR
    ///   with no records (NODATA);
    /// - a missing name inside our zones: NXDOMAIN;
    /// - a name outside every zone: REFUSED, not authoritative.
    pub fn answer(&self, q: &Question) -> Answer {
        let name = normalize_name(&q.name);
        if !self.is_authoritative_for(&name) {
            return Answer::empty(Rcode::Refused, false);
        }
        let qtype = q.qtype.normalized();
        let apex = self.origins.contains(&name);
        if qtype == QType::Soa && apex {
            // The SOA of a zone lives at its apex.
            return Answer {
                rcode: Rcode::NoError,
                answers: vec![self.soa(&name)],
                authoritative: true,
                authority: vec![],
                additional: vec![],
            };
        }
        let apex_soa = (qtype == QType::Any && apex).then(|| self.soa(&name));
        let mut answers = Vec::new();
        let mut rcode = Rcode::NoError;
        let mut seen = BTreeSet::new();
        let mut cur = name;
        loop {
            let Some(set) = self.node(&cur) else {
                if !self.node_exists(&cur) {
                    rcode = Rcode::NxDomain;
                }
                break;
            };
            let before = answers.len();
            answers.extend(
                set.iter().filter(|(d, _)| qtype == QType::Any || d.qtype() == qtype).map(|(d, ttl)| ZoneRecord {
                    name: cur.clone(),
                    ttl: *ttl,
                    data: d.clone(),
                }),
            );
            if answers.len() > before {
                break;
            }
            let Some((target, ttl)) = set.iter().find_map(|(d, ttl)| match d {
                RecordData::Cname(t) => Some((t.clone(), *ttl)),
                _ => None,
            }) else {
                break;
            };
            answers.push(ZoneRecord { name: cur.clone(), ttl, data: RecordData::Cname(target.clone()) });
            seen.insert(cur.clone());
            if seen.contains(&target) || seen.len() >= MAX_CNAME_HOPS || !self.is_authoritative_for(&target) {
                break;
            }
            cur = target;
        }
        if let Some(soa) = apex_soa {
            // ANY at a zone's apex shows its SOA first, as BIND does.
            answers.insert(0, soa);
        }
        // A negative answer (no such name, or no record of the type at the
        // end of the CNAME chain) carries the zone's SOA (RFC 2308 §2.1, §2.2).
        let nodata = rcode == Rcode::NoError && !answers.iter().any(|r| qtype == QType::Any || r.data.qtype() == qtype);
        let authority = if (rcode == Rcode::NxDomain || nodata) && self.is_authoritative_for(&cur) {
            vec![self.negative_soa(&cur)]
        } else {
            Vec::new()
        };
        let additional = if rcode == Rcode::NoError { self.additional(&answers) } else { Vec::new() };
        Answer { rcode, answers, authoritative: true, authority, additional }
    }

    /// Additional section processing (RFC 1035 §3.3.9: MX "causes type A
    /// additional section processing for the host specified by EXCHANGE";
    /// §3.3.11 the same for NS): the A records of each target, once, in the
    /// order of the answer, when the target is in one of our zones. A name
    /// elsewhere gets nothing: this server has no data for it (RFC 2181
    /// §5.4.1 ranks such glue low; the lab has no cache to take it from).
    fn additional(&self, answers: &[ZoneRecord]) -> Vec<ZoneRecord> {
        let mut out: Vec<ZoneRecord> = Vec::new();
        let mut done = BTreeSet::new();
        for r in answers {
            let target = match &r.data {
                RecordData::Mx { exchange, .. } if !exchange.is_empty() => exchange,
                RecordData::Ns(n) => n,
                _ => continue,
            };
            let target = normalize_name(target);
            if !done.insert(target.clone()) || !self.is_authoritative_for(&target) {
                continue;
            }
            let Some(set) = self.node(&target) else { continue };
            out.extend(set.iter().filter(|(d, _)| d.qtype() == QType::A).map(|(d, ttl)| ZoneRecord {
                name: target.clone(),
                ttl: *ttl,
                data: d.clone(),
            }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::test_util::*;
    use crate::proto::dns::{DEFAULT_TTL, dig_answer};

    #[test]
    fn answer_exact_match_sorted() {
        let d = db();
        let a = d.answer(&q("example.com", QType::Mx));
        assert_eq!(a.rcode, Rcode::NoError);
        assert!(a.authoritative);
        let datas: Vec<_> = a.answers.iter().map(|r| r.data.clone()).collect();
        assert_eq!(datas, vec![mx(10, "a.example.com"), mx(20, "b.example.com")]);
        let a = d.answer(&q("b.example.com", QType::A));
        assert_eq!(a.answers.len(), 2);
        assert_eq!(
            a.answers[0],
            ZoneRecord { name: "b.example.com".into(), ttl: 300, data: RecordData::A(ip("192.0.2.2")) }
        );
        assert_eq!(a.answers[1].data, RecordData::A(ip("192.0.2.3")));
        // Deterministic: the same question gives the same answer.
        assert_eq!(d.answer(&q("example.com", QType::Mx)), d.answer(&q("example.com", QType::Mx)));
    }

    #[test]
    fn answer_is_case_insensitive_and_ignores_final_dot() {
        let d = db();
        let want = d.answer(&q("example.com", QType::Mx));
        for name in ["EXAMPLE.com", "Example.Com.", " example.com "] {
            let a = d.answer(&q(name, QType::Mx));
            assert_eq!(a, want, "{name}");
        }
        assert_eq!(d.answer(&q("MX.example.NET", QType::A)).answers.len(), 1);
        assert!(d.is_authoritative_for("WWW.EXAMPLE.COM."));
    }

    #[test]
    fn answer_nodata() {
        let d = db();
        let a = d.answer(&q("a.example.com", QType::Mx));
        assert_eq!((a.rcode, a.answers.len(), a.authoritative), (Rcode::NoError, 0, true));
        let a = d.answer(&q("example.net", QType::Mx));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 0), "zone apex without records");
        let a = d.answer(&q("a.example.com", QType::Other(28)));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 0));
    }

    #[test]
    fn answer_nxdomain() {
        let d = db();
        let a = d.answer(&q("nope.example.com", QType::A));
        assert_eq!((a.rcode, a.answers.len(), a.authoritative), (Rcode::NxDomain, 0, true));
        assert_eq!(d.answer(&q("a.a.example.com", QType::A)).rcode, Rcode::NxDomain);
        assert_eq!(d.answer(&q("z.y.example.com", QType::A)).rcode, Rcode::NxDomain);
    }

    #[test]
    fn answer_empty_non_terminal() {
        let d = db();
        let a = d.answer(&q("y.example.com", QType::A));
        assert_eq!((a.rcode, a.answers.len(), a.authoritative), (Rcode::NoError, 0, true));
        // "y" is a parent of x.y; "xy" and "x.y.y" are not.
        assert_eq!(d.answer(&q("xy.example.com", QType::A)).rcode, Rcode::NxDomain);
        assert_eq!(d.answer(&q("x.y.y.example.com", QType::A)).rcode, Rcode::NxDomain);
    }

    #[test]
    fn answer_refused_outside_zones() {
        let d = db();
        for name in ["example.org", "notexample.com", "com", "", "host.example.org"] {
            let a = d.answer(&q(name, QType::A));
            assert_eq!((a.rcode, a.answers.len(), a.authoritative), (Rcode::Refused, 0, false), "{name:?}");
        }
        assert!(!d.is_authoritative_for("notexample.com"));
        assert!(DnsDb::new().answer(&q("example.com", QType::A)).rcode == Rcode::Refused);
    }

    #[test]
    fn answer_root_zone_covers_everything() {
        let mut d = DnsDb::new();
        d.add_zone(".");
        d.add(ZoneRecord { name: "mx.example.org".into(), ttl: 60, data: RecordData::A(ip("192.0.2.9")) });
        assert_eq!(d.answer(&q("mx.example.org", QType::A)).answers.len(), 1);
        assert_eq!(d.answer(&q("nxdomain.example", QType::Mx)).rcode, Rcode::NxDomain);
        assert_eq!(d.answer(&q("example.org", QType::Mx)).rcode, Rcode::NoError);
        assert_eq!(d.answer(&q("", QType::Ns)).rcode, Rcode::NoError);
    }

    #[test]
    fn answer_follows_cname() {
        let d = db();
        let a = d.answer(&q("www.example.com", QType::A));
        assert_eq!(a.rcode, Rcode::NoError);
        assert_eq!(
            a.answers,
            vec![
                ZoneRecord {
                    name: "www.example.com".into(),
                    ttl: 3600,
                    data: RecordData::Cname("a.example.com".into())
                },
                ZoneRecord { name: "a.example.com".into(), ttl: 3600, data: RecordData::A(ip("192.0.2.1")) },
            ]
        );
        // A chain of CNAMEs.
        let a = d.answer(&q("chain1.example.com", QType::A));
        let names: Vec<_> = a.answers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["chain1.example.com", "chain2.example.com", "www.example.com", "a.example.com"]);
        // Across our own zones.
        let a = d.answer(&q("net.example.com", QType::A));
        assert_eq!(a.answers.last().unwrap().data, RecordData::A(ip("198.51.100.25")));
        // Target outside our zones: just the CNAME.
        let a = d.answer(&q("ext.example.com", QType::A));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 1));
        // Target has no records of the type: the CNAME, NODATA.
        let a = d.answer(&q("www.example.com", QType::Mx));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 1));
        // Target missing in our zone: the CNAME and NXDOMAIN (RFC 6604).
        let a = d.answer(&q("gone.example.com", QType::A));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NxDomain, 1));
        assert_eq!(
            dig_answer(&q("gone.example.com", QType::A), &a),
            "NXDOMAIN gone.example.com. IN A: gone.example.com. 3600 IN CNAME missing.example.com."
        );
        // A loop ends.
        let a = d.answer(&q("loop1.example.com", QType::A));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 2));
        // Asking for the CNAME itself does not follow it.
        let a = d.answer(&q("www.example.com", QType::Cname));
        assert_eq!(a.answers, vec![rec("www CNAME a")]);
    }

    /// RFC 1035 §3.3.9/§3.3.11: an MX or NS answer carries the A records of
    /// its targets that are in our zones (as BIND and NSD do), each target
    /// once; a target outside our zones, and any other answer, gets none.
    #[test]
    fn mx_and_ns_answers_carry_the_targets_addresses() {
        let mut d = db();
        d.add(rec("@ MX 30 mail.example.org."));
        d.add(rec("@ MX 40 a"));
        let a = d.answer(&q("example.com", QType::Mx));
        let extra: Vec<(&str, &RecordData)> = a.additional.iter().map(|r| (r.name.as_str(), &r.data)).collect();
        assert_eq!(
            extra,
            [
                ("a.example.com", &RecordData::A(ip("192.0.2.1"))),
                ("b.example.com", &RecordData::A(ip("192.0.2.2"))),
                ("b.example.com", &RecordData::A(ip("192.0.2.3"))),
            ]
        );
        // NS: the zone's own name server (from the SOA) is in the zone too.
        d.add(rec("ns A 192.0.2.53"));
        d.add(rec("@ NS ns"));
        let a = d.answer(&q("example.com", QType::Ns));
        assert!(a.additional.iter().any(|r| r.name == "ns.example.com" && r.data == RecordData::A(ip("192.0.2.53"))));
        assert!(d.answer(&q("a.example.com", QType::A)).additional.is_empty());
        assert!(d.answer(&q("nosuch.example.com", QType::Mx)).additional.is_empty());
        // On the wire, and back.
        let query = crate::proto::dns::Query {
            id: 7,
            question: q("example.com", QType::Mx),
            recursion_desired: false,
            edns: None,
        };
        let wire =
            crate::proto::dns::decode_response(&crate::proto::dns::encode_response(&query, &d.answer(&query.question)))
                .expect("decodes");
        assert_eq!(wire.answer.additional.len(), 3);
    }

    #[test]
    fn answer_cname_chain_is_bounded() {
        let mut d = DnsDb::new();
        d.add_zone("example.com");
        for i in 0..50 {
            d.add(rec(&format!("c{i} CNAME c{}", i + 1)));
        }
        d.add(rec("c50 A 192.0.2.1"));
        let a = d.answer(&q("c0.example.com", QType::A));
        assert_eq!(a.answers.len(), MAX_CNAME_HOPS);
        assert!(a.answers.iter().all(|r| r.data.qtype() == QType::Cname));
    }

    #[test]
    fn answer_any_and_other_codes() {
        let d = db();
        let a = d.answer(&q("example.com", QType::Any));
        let types: Vec<_> = a.answers.iter().map(|r| r.data.qtype()).collect();
        assert_eq!(types, vec![QType::Soa, QType::Mx, QType::Mx, QType::Txt, QType::Ns], "the apex's SOA first");
        // ANY at an alias gives the alias only.
        assert_eq!(d.answer(&q("www.example.com", QType::Any)).answers.len(), 1);
        assert_eq!(d.answer(&q("y.example.com", QType::Any)).rcode, Rcode::NoError);
        // Other(15) is MX.
        assert_eq!(d.answer(&q("example.com", QType::Other(15))), d.answer(&q("example.com", QType::Mx)));
    }

    #[test]
    fn soa_at_the_apex_and_in_negative_answers() {
        let mut d = db();
        d.set_server_name("ns1.lab.example.");
        let a = d.answer(&q("example.com", QType::Soa));
        assert_eq!((a.rcode, a.answers.len(), a.authority.len()), (Rcode::NoError, 1, 0));
        let RecordData::Soa(soa) = &a.answers[0].data else { panic!("not an SOA: {:?}", a.answers[0]) };
        assert_eq!((soa.rname.as_str(), soa.serial, soa.minimum), ("hostmaster.example.com", 1, NEGATIVE_TTL));
        assert_eq!(a.answers[0].ttl, SOA_TTL);
        // Below the apex there is no SOA: NODATA, with the zone's SOA as authority.
        let a = d.answer(&q("www.example.com", QType::Soa));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 1), "www is a CNAME");
        let a = d.answer(&q("a.example.com", QType::Soa));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 0));
        assert_eq!(a.authority.len(), 1);
        // NXDOMAIN and NODATA carry the SOA with the negative TTL (RFC 2308 §3).
        for (name, qtype, rcode) in
            [("nope.example.com", QType::A, Rcode::NxDomain), ("a.example.com", QType::Mx, Rcode::NoError)]
        {
            let a = d.answer(&q(name, qtype));
            assert_eq!(a.rcode, rcode, "{name}");
            assert!(a.answers.is_empty(), "{name}");
            assert_eq!(a.authority.len(), 1, "{name}");
            assert_eq!((a.authority[0].name.as_str(), a.authority[0].ttl), ("example.com", NEGATIVE_TTL));
        }
        // A positive answer has no authority section; a refusal none either.
        assert!(d.answer(&q("example.com", QType::Mx)).authority.is_empty());
        assert!(d.answer(&q("example.org", QType::A)).authority.is_empty());
        // The primary is the zone's NS when it has one, else the server's name.
        let mut z = DnsDb::new();
        z.add_zone("lab.example");
        z.set_server_name("dns.lab.example");
        let RecordData::Soa(s) = z.soa("lab.example").data else { panic!() };
        assert_eq!(s.mname, "dns.lab.example");
        z.add(ZoneRecord { name: "lab.example".into(), ttl: 60, data: RecordData::Ns("ns9.lab.example".into()) });
        let RecordData::Soa(s) = z.soa("lab.example").data else { panic!() };
        assert_eq!(s.mname, "ns9.lab.example");
        // The zone of a name is the longest origin above it.
        z.add_zone("sub.lab.example");
        assert_eq!(z.zone_of("a.sub.lab.example"), Some("sub.lab.example"));
        assert_eq!(z.zone_of("a.lab.example"), Some("lab.example"));
        assert_eq!(z.zone_of("a.other"), None);
    }

    #[test]
    fn db_dedups_and_normalizes() {
        let mut d = DnsDb::new();
        assert!(d.is_empty());
        d.add_zone("example.com");
        d.add(rec("a A 192.0.2.1"));
        d.add(rec("a A 192.0.2.1"));
        d.add(rec("a 60 A 192.0.2.1"));
        d.add(ZoneRecord { name: "A.Example.Com.".into(), ttl: 5, data: RecordData::A(ip("192.0.2.1")) });
        d.add(ZoneRecord { name: "ptr.example.com".into(), ttl: 5, data: RecordData::Ptr("PC1.Example.COM.".into()) });
        assert_eq!(d.len(), 2);
        assert_eq!(d.records()[0].ttl, DEFAULT_TTL);
        assert_eq!(d.records()[1].data, RecordData::Ptr("pc1.example.com".into()));
        assert_eq!(d.zones().collect::<Vec<_>>(), ["example.com"]);
    }

    /// A user trial: under serve, `dig example.ac.jp NS` said NOERROR with
    /// no answer while the SOA named ns.example.ac.jp. A zone without NS
    /// lines now answers with the NS its SOA names (the server), and the
    /// server's name, inside the zone without an A record, has its address.
    #[test]
    fn a_zone_without_ns_lines_names_its_server() {
        let mut d = DnsDb::new();
        d.add_zone("example.ac.jp");
        d.add(ZoneRecord { name: "example.ac.jp".into(), ttl: 60, data: mx(10, "mail.example.ac.jp") });
        d.set_server_name("ns.example.ac.jp");
        d.set_server_address(ip("192.0.2.53"));
        let a = d.answer(&q("example.ac.jp", QType::Ns));
        assert_eq!(a.rcode, Rcode::NoError);
        assert_eq!(
            a.answers,
            vec![ZoneRecord {
                name: "example.ac.jp".into(),
                ttl: DEFAULT_TTL,
                data: RecordData::Ns("ns.example.ac.jp".into())
            }]
        );
        let RecordData::Soa(soa) = d.soa("example.ac.jp").data else { panic!() };
        assert_eq!(a.answers[0].data, RecordData::Ns(soa.mname), "the NS is the SOA's primary");
        assert!(a.authority.is_empty(), "a positive answer, not NODATA");
        let a = d.answer(&q("ns.example.ac.jp", QType::A));
        assert_eq!((a.rcode, a.answers.len()), (Rcode::NoError, 1));
        assert_eq!(a.answers[0].data, RecordData::A(ip("192.0.2.53")));
        assert_eq!(
            dig_answer(&q("example.ac.jp", QType::Ns), &d.answer(&q("example.ac.jp", QType::Ns))),
            "NOERROR example.ac.jp. IN NS: example.ac.jp. 3600 IN NS ns.example.ac.jp."
        );
        // The MX is still what it was, and written records are not listed twice.
        assert_eq!(d.answer(&q("example.ac.jp", QType::Mx)).answers.len(), 1);
        assert_eq!(d.len(), 1, "nothing is added to the zone's own records");
        // What is written wins: the zone's own NS, the name's own A.
        d.add(ZoneRecord { name: "example.ac.jp".into(), ttl: 60, data: RecordData::Ns("ns2.example.net".into()) });
        d.add(ZoneRecord { name: "ns.example.ac.jp".into(), ttl: 60, data: RecordData::A(ip("192.0.2.99")) });
        let ns: Vec<_> = d.answer(&q("example.ac.jp", QType::Ns)).answers.into_iter().map(|r| r.data).collect();
        assert_eq!(ns, [RecordData::Ns("ns2.example.net".into())]);
        let a = d.answer(&q("ns.example.ac.jp", QType::A));
        assert_eq!(a.answers.iter().map(|r| r.data.clone()).collect::<Vec<_>>(), [RecordData::A(ip("192.0.2.99"))]);
        // A server whose name lies outside its zones adds no address.
        let mut z = DnsDb::new();
        z.add_zone("example.com");
        z.set_server_name("ns.isp.example");
        z.set_server_address(ip("192.0.2.53"));
        assert_eq!(z.answer(&q("ns.isp.example", QType::A)).rcode, Rcode::Refused);
        assert_eq!(z.answer(&q("example.com", QType::Ns)).answers[0].data, RecordData::Ns("ns.isp.example".into()));
    }
}

//! SPF (RFC 7208) as a sans-IO evaluator: [`Spf::step`] says which DNS
//! question it needs next, [`Spf::answer`] takes what the DNS said, and the
//! last step is the verdict. The host asks the lab's DNS server, so every
//! look-up is a real query in the trace.
//!
//! Supported: `all`, `include`, `a`, `mx`, `ip4`, `ip6` (never matches: the
//! lab's addresses are IPv4), `exists`, `ptr` (never matches, as RFC 7208
//! §5.5 advises against it), `redirect=`, and the limit of 10 look-ups
//! (§4.6.4). Macros (§7) are not expanded: a record with `%` in a domain is a
//! `permerror` here, said so in the reason.

use crate::proto::dns::{Answer, QType, Question, Rcode, RecordData};
use std::net::Ipv4Addr;

/// RFC 7208 §4.6.4: at most 10 mechanisms and modifiers that ask the DNS.
pub const MAX_LOOKUPS: u32 = 10;
/// RFC 7208 §4.6.4: at most 10 MX names looked up for one `mx` mechanism.
pub const MAX_MX_NAMES: usize = 10;

/// The result of an SPF check (RFC 7208 §2.6), as written in
/// `Authentication-Results:` (RFC 8601 §2.7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

/// What an SPF check decided, and why (for the trace and the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfVerdict {
    pub result: SpfResult,
    /// The domain checked (the MAIL FROM's domain, or the HELO name for a null sender).
    pub domain: String,
    pub reason: String,
}

/// What the DNS said to one question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// An answer (NOERROR with or without records, or NXDOMAIN).
    Answer(Answer),
    /// No answer in time, or SERVFAIL.
    Failed,
}

impl Lookup {
    fn records(&self) -> Result<Vec<&RecordData>, ()> {
        match self {
            Lookup::Answer(a) if matches!(a.rcode, Rcode::NoError | Rcode::NxDomain) => {
                Ok(a.answers.iter().map(|r| &r.data).collect())
            }
            _ => Err(()),
        }
    }
}

/// The next thing the evaluator needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpfStep {
    Query(Question),
    Done(SpfVerdict),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    fn result(self) -> SpfResult {
        match self {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Mech {
    All,
    Include(String),
    A(String, u8),
    Mx(String, u8),
    Ip4(Ipv4Addr, u8),
    Ip6,
    Exists(String),
    Ptr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    q: Qualifier,
    mech: Mech,
    /// As written in the record, for the reason.
    text: String,
}

/// A parsed `v=spf1` record.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    terms: Vec<Term>,
    redirect: Option<String>,
}

/// Why a frame is being evaluated: the check itself, or an `include:`
/// whose match counts with the including term's qualifier.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    Top,
    Include(Term),
}

#[derive(Clone, Debug)]
struct Frame {
    domain: String,
    record: Record,
    next: usize,
    role: Role,
}

/// What a pending question is for.
#[derive(Clone, Debug)]
enum Wait {
    /// The record of a domain: the start, an include or a redirect.
    Record { domain: String, role: Role },
    /// An `a` or `exists` mechanism's address look-up.
    A { term: Term, prefix: u8, any: bool },
    /// An `mx` mechanism's MX look-up.
    Mx { term: Term, prefix: u8 },
    /// The addresses of an `mx` mechanism's hosts, one after another.
    MxHosts { term: Term, prefix: u8, hosts: Vec<String> },
}

/// One SPF check of a client address for a domain.
#[derive(Debug)]
pub struct Spf {
    ip: Ipv4Addr,
    /// The domain the check is for (what the verdict names).
    domain: String,
    /// Look-ups counted against [`MAX_LOOKUPS`].
    lookups: u32,
    frames: Vec<Frame>,
    wait: Option<(Question, Wait)>,
    /// The question handed out and not yet answered.
    asked: bool,
    done: Option<SpfVerdict>,
}

impl Spf {
    /// Check whether `ip` may send mail for `domain` (RFC 7208 §4: check_host()).
    pub fn new(ip: Ipv4Addr, domain: &str) -> Spf {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let mut s =
            Spf { ip, domain: domain.clone(), lookups: 0, frames: Vec::new(), wait: None, asked: false, done: None };
        if !valid_domain(&domain) {
            s.finish(SpfResult::None, format!("{domain:?} is not a domain SPF can check"));
        } else {
            s.ask(&domain, QType::Txt, Wait::Record { domain: domain.clone(), role: Role::Top });
        }
        s
    }

    /// The next question, or the verdict.
    pub fn step(&mut self) -> SpfStep {
        loop {
            if let Some(v) = &self.done {
                return SpfStep::Done(v.clone());
            }
            if let Some((q, _)) = &self.wait {
                self.asked = true;
                return SpfStep::Query(q.clone());
            }
            self.run_term();
        }
    }

    /// The DNS's answer to the last question [`Spf::step`] handed out.
    pub fn answer(&mut self, l: &Lookup) {
        if !self.asked {
            return;
        }
        self.asked = false;
        let Some((q, wait)) = self.wait.take() else { return };
        let Ok(records) = l.records() else {
            self.finish(SpfResult::TempError, format!("no answer from the DNS for {} {}", q.name, q.qtype));
            return;
        };
        match wait {
            Wait::Record { domain, role } => {
                let spf: Vec<&str> = records
                    .iter()
                    .filter_map(|r| match r {
                        RecordData::Txt(t) if is_spf(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                match (spf.as_slice(), &role) {
                    ([], Role::Top) => {
                        self.finish(SpfResult::None, format!("{domain} publishes no SPF record"));
                    }
                    ([], Role::Include(t)) => {
                        self.finish(
                            SpfResult::PermError,
                            format!("{} leads to {domain}, which publishes no SPF record", t.text),
                        );
                    }
                    ([one], _) => match parse(one) {
                        Ok(record) => self.frames.push(Frame { domain, record, next: 0, role }),
                        Err(e) => {
                            self.finish(SpfResult::PermError, format!("the SPF record of {domain} is broken: {e}"))
                        }
                    },
                    _ => self.finish(SpfResult::PermError, format!("{domain} publishes more than one SPF record")),
                }
            }
            Wait::A { term, prefix, any } => {
                let hit = records.iter().any(|r| match r {
                    RecordData::A(a) => any || in_net(self.ip, *a, prefix),
                    _ => false,
                });
                self.matched_or_next(hit, &term);
            }
            Wait::Mx { term, prefix } => {
                let mut hosts: Vec<(u16, String)> = records
                    .iter()
                    .filter_map(|r| match r {
                        RecordData::Mx { preference, exchange } if !exchange.is_empty() => {
                            Some((*preference, exchange.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                if hosts.len() > MAX_MX_NAMES {
                    self.finish(SpfResult::PermError, format!("{} names more than {MAX_MX_NAMES} MX hosts", term.text));
                    return;
                }
                hosts.sort();
                let hosts: Vec<String> = hosts.into_iter().rev().map(|(_, h)| h).collect();
                self.next_mx_host(term, prefix, hosts);
            }
            Wait::MxHosts { term, prefix, hosts } => {
                let hit = records.iter().any(|r| matches!(r, RecordData::A(a) if in_net(self.ip, *a, prefix)));
                if hit {
                    self.matched_or_next(true, &term);
                } else {
                    self.next_mx_host(term, prefix, hosts);
                }
            }
        }
    }

    fn next_mx_host(&mut self, term: Term, prefix: u8, mut hosts: Vec<String>) {
        match hosts.pop() {
            Some(h) => self.ask(&h.clone(), QType::A, Wait::MxHosts { term, prefix, hosts }),
            None => self.matched_or_next(false, &term),
        }
    }

    fn ask(&mut self, name: &str, qtype: QType, w: Wait) {
        self.wait = Some((Question { name: name.to_string(), qtype }, w));
    }

    /// Count a look-up; false (and a permerror) past the limit.
    fn count(&mut self, term: &str) -> bool {
        self.lookups += 1;
        if self.lookups > MAX_LOOKUPS {
            self.finish(SpfResult::PermError, format!("more than {MAX_LOOKUPS} DNS look-ups (at {term})"));
            return false;
        }
        true
    }

    fn finish(&mut self, result: SpfResult, reason: String) {
        self.wait = None;
        self.done = Some(SpfVerdict { result, domain: self.domain.clone(), reason });
    }

    /// A mechanism matched (or did not): end its frame with the term's
    /// qualifier, or go on with the next term.
    fn matched_or_next(&mut self, hit: bool, term: &Term) {
        if hit {
            self.frame_result(term.q.result(), &term.text);
        }
    }

    /// Evaluate the top frame's next term.
    fn run_term(&mut self) {
        let Some(f) = self.frames.last_mut() else {
            self.finish(SpfResult::PermError, "nothing to evaluate".into());
            return;
        };
        let Some(term) = f.record.terms.get(f.next).cloned() else {
            // No mechanism matched: redirect= or the default (neutral, §4.7).
            let domain = f.domain.clone();
            match f.record.redirect.clone() {
                Some(target) => {
                    let role = f.role.clone();
                    self.frames.pop();
                    if self.count(&format!("redirect={target}")) {
                        self.ask(&target.clone(), QType::Txt, Wait::Record { domain: target, role });
                    }
                }
                None => self.frame_result(SpfResult::Neutral, &format!("no mechanism of {domain} matched")),
            }
            return;
        };
        f.next += 1;
        let domain = f.domain.clone();
        match &term.mech {
            Mech::All => self.frame_result(term.q.result(), &term.text),
            Mech::Ip4(net, prefix) => {
                if in_net(self.ip, *net, *prefix) {
                    self.frame_result(term.q.result(), &term.text);
                }
            }
            Mech::Ip6 | Mech::Ptr => {}
            Mech::Include(target) => {
                if self.count(&term.text) {
                    let target = target.clone();
                    self.ask(&target.clone(), QType::Txt, Wait::Record { domain: target, role: Role::Include(term) });
                }
            }
            Mech::A(d, prefix) => {
                if self.count(&term.text) {
                    let name = if d.is_empty() { domain } else { d.clone() };
                    let prefix = *prefix;
                    self.ask(&name, QType::A, Wait::A { term, prefix, any: false });
                }
            }
            Mech::Exists(d) => {
                if self.count(&term.text) {
                    let d = d.clone();
                    self.ask(&d, QType::A, Wait::A { term, prefix: 32, any: true });
                }
            }
            Mech::Mx(d, prefix) => {
                if self.count(&term.text) {
                    let name = if d.is_empty() { domain } else { d.clone() };
                    let prefix = *prefix;
                    self.ask(&name, QType::Mx, Wait::Mx { term, prefix });
                }
            }
        }
    }

    /// The top frame ended with `result` (a term matched, or none did).
    fn frame_result(&mut self, result: SpfResult, why: &str) {
        let Some(f) = self.frames.pop() else { return };
        match f.role {
            Role::Top => {
                let reason = match result {
                    SpfResult::Pass => {
                        format!("{} designates {} as permitted sender ({why})", f.domain, self.ip)
                    }
                    SpfResult::Fail | SpfResult::SoftFail => {
                        format!("{} does not designate {} as permitted sender ({why})", f.domain, self.ip)
                    }
                    _ => format!("{} neither permits nor denies {} ({why})", f.domain, self.ip),
                };
                self.finish(result, reason);
            }
            // RFC 7208 §5.2: an include matches when its record passes;
            // fail, softfail and neutral are "no match".
            Role::Include(term) => match result {
                SpfResult::Pass => self.frame_result(term.q.result(), &term.text),
                SpfResult::TempError | SpfResult::PermError => self.finish(result, why.to_string()),
                _ => {}
            },
        }
    }
}

fn is_spf(t: &str) -> bool {
    let t = t.trim_start().as_bytes();
    t.len() >= 6 && t[..6].eq_ignore_ascii_case(b"v=spf1") && t.get(6).is_none_or(|&c| c == b' ')
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Is `ip` in `net`/`prefix`?
fn in_net(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let prefix = u32::from(prefix.min(32));
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Parse a `v=spf1` record (RFC 7208 §4.6, §12 grammar).
fn parse(text: &str) -> Result<Record, String> {
    let mut terms = Vec::new();
    let mut redirect = None;
    for word in text.split_ascii_whitespace().skip(1) {
        if word.contains('%') {
            return Err(format!("{word}: macros are not expanded in this lab"));
        }
        let (q, rest) = match word.as_bytes()[0] {
            b'+' => (Qualifier::Pass, &word[1..]),
            b'-' => (Qualifier::Fail, &word[1..]),
            b'~' => (Qualifier::SoftFail, &word[1..]),
            b'?' => (Qualifier::Neutral, &word[1..]),
            _ => (Qualifier::Pass, word),
        };
        let lower = rest.to_ascii_lowercase();
        // Modifiers: name=value (§6); unknown ones are ignored.
        if let Some((name, value)) = lower.split_once('=')
            && !name.contains(':')
            && !name.contains('/')
        {
            if name == "redirect" {
                if redirect.is_some() {
                    return Err("two redirect= modifiers".into());
                }
                let value = value.trim_end_matches('.').to_string();
                if !valid_domain(&value) {
                    return Err(format!("{word}: not a domain"));
                }
                redirect = Some(value);
            }
            continue;
        }
        let (name, arg) = match lower.split_once(':') {
            Some((n, a)) => (n.to_string(), Some(a.to_string())),
            None => match lower.split_once('/') {
                Some((n, _)) => (n.to_string(), None),
                None => (lower.clone(), None),
            },
        };
        let (arg, prefix) = match arg {
            Some(a) => match a.split_once('/') {
                Some((d, p)) => (d.to_string(), Some(p.to_string())),
                None => (a, None),
            },
            None => (String::new(), lower.split_once('/').map(|(_, p)| p.to_string())),
        };
        let prefix = match prefix {
            Some(p) => match p.split('/').next().and_then(|p| p.parse::<u8>().ok()) {
                Some(n) if n <= 32 => n,
                _ => return Err(format!("{word}: bad prefix length")),
            },
            None => 32,
        };
        let domain = |a: &str| -> Result<String, String> {
            let d = a.trim_end_matches('.').to_string();
            if valid_domain(&d) { Ok(d) } else { Err(format!("{word}: not a domain")) }
        };
        let mech = match name.as_str() {
            "all" if arg.is_empty() => Mech::All,
            "include" => Mech::Include(domain(&arg)?),
            "a" => Mech::A(if arg.is_empty() { String::new() } else { domain(&arg)? }, prefix),
            "mx" => Mech::Mx(if arg.is_empty() { String::new() } else { domain(&arg)? }, prefix),
            "ip4" => match arg.parse::<Ipv4Addr>() {
                Ok(ip) => Mech::Ip4(ip, prefix),
                Err(_) => return Err(format!("{word}: not an IPv4 address")),
            },
            "ip6" => Mech::Ip6,
            "exists" => Mech::Exists(domain(&arg)?),
            "ptr" => Mech::Ptr,
            _ => return Err(format!("{word}: unknown mechanism")),
        };
        terms.push(Term { q, mech, text: word.to_string() });
    }
    Ok(Record { terms, redirect })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::{DnsDb, ZoneRecord};

    fn db(lines: &[(&str, RecordData)]) -> DnsDb {
        let mut d = DnsDb::new();
        d.add_zone("example");
        for (n, r) in lines {
            d.add(ZoneRecord { name: n.to_string(), ttl: 300, data: r.clone() });
        }
        d
    }

    fn check(d: &DnsDb, ip: &str, domain: &str) -> (SpfVerdict, Vec<String>) {
        let mut s = Spf::new(ip.parse().unwrap(), domain);
        let mut asked = Vec::new();
        loop {
            match s.step() {
                SpfStep::Done(v) => return (v, asked),
                SpfStep::Query(q) => {
                    asked.push(format!("{} {}", q.name, q.qtype));
                    s.answer(&Lookup::Answer(d.answer(&q)));
                }
            }
        }
    }

    fn txt(t: &str) -> RecordData {
        RecordData::Txt(t.into())
    }

    #[test]
    fn ip4_mx_a_include_and_all() {
        let d = db(&[
            ("s.example", txt("v=spf1 ip4:192.0.2.0/24 mx a:relay.s.example include:o.example -all")),
            ("s.example", RecordData::Mx { preference: 10, exchange: "mx.s.example".into() }),
            ("mx.s.example", RecordData::A("198.51.100.1".parse().unwrap())),
            ("relay.s.example", RecordData::A("198.51.100.2".parse().unwrap())),
            ("o.example", txt("v=spf1 ip4:203.0.113.9 ~all")),
        ]);
        assert_eq!(check(&d, "192.0.2.77", "s.example").0.result, SpfResult::Pass);
        let (v, asked) = check(&d, "198.51.100.1", "S.Example.");
        assert_eq!(v.result, SpfResult::Pass, "{v:?}");
        assert_eq!(asked, vec!["s.example TXT", "s.example MX", "mx.s.example A"]);
        assert_eq!(check(&d, "198.51.100.2", "s.example").0.result, SpfResult::Pass);
        assert_eq!(check(&d, "203.0.113.9", "s.example").0.result, SpfResult::Pass);
        let (v, _) = check(&d, "203.0.113.10", "s.example");
        // The include's ~all is "no match"; the outer -all decides.
        assert_eq!(v.result, SpfResult::Fail);
        assert_eq!(v.reason, "s.example does not designate 203.0.113.10 as permitted sender (-all)");
    }

    #[test]
    fn none_redirect_and_errors() {
        let d = db(&[
            ("s.example", txt("v=spf1 redirect=r.example")),
            ("r.example", txt("v=spf1 ip4:192.0.2.1 ?all")),
            ("two.example", txt("v=spf1 -all")),
            ("two.example", txt("v=spf1 +all")),
            ("bad.example", txt("v=spf1 foo:bar -all")),
            ("mac.example", txt("v=spf1 exists:%{i}.x.example -all")),
            ("inc.example", txt("v=spf1 include:nothing.example -all")),
            ("loop.example", txt("v=spf1 include:loop.example -all")),
            ("neutral.example", txt("v=spf1 ip4:10.0.0.1")),
        ]);
        assert_eq!(check(&d, "192.0.2.1", "s.example").0.result, SpfResult::Pass);
        assert_eq!(check(&d, "192.0.2.2", "s.example").0.result, SpfResult::Neutral);
        assert_eq!(check(&d, "192.0.2.2", "none.example").0.result, SpfResult::None);
        assert_eq!(check(&d, "192.0.2.2", "two.example").0.result, SpfResult::PermError);
        assert_eq!(check(&d, "192.0.2.2", "bad.example").0.result, SpfResult::PermError);
        assert_eq!(check(&d, "192.0.2.2", "mac.example").0.result, SpfResult::PermError);
        assert_eq!(check(&d, "192.0.2.2", "inc.example").0.result, SpfResult::PermError);
        let (v, asked) = check(&d, "192.0.2.2", "loop.example");
        assert_eq!(v.result, SpfResult::PermError);
        assert_eq!(asked.len(), 11, "the first query and 10 counted look-ups");
        assert_eq!(check(&d, "192.0.2.2", "neutral.example").0.result, SpfResult::Neutral);
        assert_eq!(check(&d, "192.0.2.2", "").0.result, SpfResult::None);
    }

    #[test]
    fn a_dns_failure_is_a_temperror() {
        let mut s = Spf::new("192.0.2.1".parse().unwrap(), "s.example");
        assert!(matches!(s.step(), SpfStep::Query(_)));
        s.answer(&Lookup::Failed);
        match s.step() {
            SpfStep::Done(v) => assert_eq!(v.result, SpfResult::TempError),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn parses_prefixes_and_qualifiers() {
        let r = parse("v=spf1 -ip4:10.0.0.0/8 ~a/24 ?mx:m.example/16 +all exp=x.example").unwrap();
        assert_eq!(r.terms.len(), 4);
        assert_eq!(r.terms[0].mech, Mech::Ip4("10.0.0.0".parse().unwrap(), 8));
        assert_eq!(r.terms[1].mech, Mech::A(String::new(), 24));
        assert_eq!(r.terms[2].mech, Mech::Mx("m.example".into(), 16));
        assert!(parse("v=spf1 ip4:10.0.0.0/33").is_err());
        assert!(in_net("10.1.2.3".parse().unwrap(), "10.0.0.0".parse().unwrap(), 8));
        assert!(in_net("1.2.3.4".parse().unwrap(), "9.9.9.9".parse().unwrap(), 0));
        assert!(is_spf("v=spf1") && is_spf("V=SPF1 -all") && !is_spf("v=spf10"));
    }

    /// Arbitrary record text never panics the parser or the evaluator.
    pub(crate) fn any_record(text: &str) {
        let _ = parse(text);
        let d = db(&[("f.example", txt(text))]);
        let _ = check(&d, "192.0.2.1", "f.example");
    }

    #[test]
    fn odd_records_do_not_panic() {
        for t in
            ["v=spf1 -", "v=spf1 +", "v=spf1 a:", "v=spf1 /", "v=spf1 ip4:/", "v=spf1 mx//", "v=spf1 =", "v=spf1 é"]
        {
            any_record(t);
        }
    }
}

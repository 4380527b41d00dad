//! DMARC (RFC 7489): the policy record, the From: domain, alignment and the
//! decision. The look-ups (`_dmarc.DOMAIN`, then the organizational
//! domain's) are the host's; this is the logic, with no I/O.
//!
//! The organizational domain is the last two labels of a name: the lab has
//! no Public Suffix List (a real checker uses one, so that `example.co.jp`
//! is one organization and not `co.jp`).

use super::spf::{SpfResult, SpfVerdict};

/// A domain owner's requested handling of failing mail (RFC 7489 §6.3 `p=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
    /// The next policy down in severity, for failing mail that `pct=` left
    /// out of the sample (RFC 7489 §6.6.4: not rejected, then treated as
    /// quarantine; not quarantined, then local classification as normal).
    pub fn lenient(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
    fn parse(s: &str) -> Option<Policy> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }
}

/// `adkim=` / `aspf=`: relaxed (same organizational domain) or strict (same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alignment {
    Relaxed,
    Strict,
}

/// A parsed `v=DMARC1` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub p: Policy,
    pub sp: Option<Policy>,
    pub adkim: Alignment,
    pub aspf: Alignment,
    pub pct: u8,
}

/// Is this TXT string a DMARC record at all (RFC 7489 §6.6.3: others are ignored)?
pub fn is_dmarc(t: &str) -> bool {
    let t = t.trim_start().as_bytes();
    t.len() >= 8
        && t[..8].eq_ignore_ascii_case(b"v=DMARC1")
        && t[8..].iter().find(|c| !c.is_ascii_whitespace()).is_none_or(|&c| c == b';')
}

/// Parse a DMARC record (tags of RFC 7489 §6.3; unknown tags ignored).
pub fn parse(t: &str) -> Result<Record, String> {
    if !is_dmarc(t) {
        return Err("it does not start with v=DMARC1".into());
    }
    let mut r = Record { p: Policy::None, sp: None, adkim: Alignment::Relaxed, aspf: Alignment::Relaxed, pct: 100 };
    let mut p = None;
    for tag in t.split(';').skip(1) {
        let Some((k, v)) = tag.split_once('=') else { continue };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        let align = |v: &str| match v.to_ascii_lowercase().as_str() {
            "s" => Ok(Alignment::Strict),
            "r" => Ok(Alignment::Relaxed),
            _ => Err(format!("{k}={v}: r or s expected")),
        };
        match k.as_str() {
            "p" => p = Some(Policy::parse(v).ok_or_else(|| format!("p={v}: none, quarantine or reject expected"))?),
            "sp" => {
                r.sp = Some(Policy::parse(v).ok_or_else(|| format!("sp={v}: none, quarantine or reject expected"))?)
            }
            "adkim" => r.adkim = align(v)?,
            "aspf" => r.aspf = align(v)?,
            "pct" => {
                r.pct =
                    v.parse::<u8>().ok().filter(|n| *n <= 100).ok_or_else(|| format!("pct={v}: 0 to 100 expected"))?
            }
            _ => {}
        }
    }
    r.p = p.ok_or("it has no p= tag")?;
    Ok(r)
}

/// The organizational domain (see the module's note: the last two labels).
pub fn org_domain(d: &str) -> String {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() <= 2 { d.clone() } else { labels[labels.len() - 2..].join(".") }
}

/// Do two domains align (RFC 7489 §3.1)?
pub fn aligned(a: &str, b: &str, mode: Alignment) -> bool {
    let (a, b) = (a.trim_end_matches('.').to_ascii_lowercase(), b.trim_end_matches('.').to_ascii_lowercase());
    match mode {
        Alignment::Strict => a == b,
        Alignment::Relaxed => org_domain(&a) == org_domain(&b),
    }
}

/// The RFC 5322.From domain the check is about: exactly one From: field
/// with exactly one address (RFC 7489 §6.6.1).
pub fn from_domain(headers: &[(String, String)]) -> Result<String, String> {
    let froms: Vec<&str> = crate::base::message::values(headers, "From");
    let [one] = froms.as_slice() else {
        return Err(format!("the message has {} From: fields", froms.len()));
    };
    let addrs = addresses(one);
    match addrs.as_slice() {
        [a] => match a.rsplit_once('@') {
            Some((_, d)) if !d.is_empty() => Ok(d.to_ascii_lowercase()),
            _ => Err(format!("From: {one} has no domain")),
        },
        _ => Err(format!("From: {one} does not name exactly one address")),
    }
}

/// The addresses of an address-list field: split at commas outside quotes,
/// comments and angle brackets; `Name <addr>` gives `addr`.
fn addresses(v: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let (mut quoted, mut comment, mut angle) = (false, 0u32, false);
    let mut escaped = false;
    for c in v.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
            continue;
        } else if quoted {
            quoted = c != '"';
        } else if c == '"' {
            quoted = true;
        } else if c == '(' {
            comment += 1;
            continue;
        } else if c == ')' && comment > 0 {
            comment -= 1;
            continue;
        } else if comment > 0 {
            continue;
        } else if c == '<' {
            angle = true;
        } else if c == '>' {
            angle = false;
        } else if c == ',' && !angle {
            parts.push(String::new());
            continue;
        }
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    parts
        .into_iter()
        .map(|p| match (p.rfind('<'), p.rfind('>')) {
            (Some(a), Some(b)) if a < b => p[a + 1..b].trim().to_string(),
            _ => p.trim().to_string(),
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The outcome (RFC 8601 §2.7.1's dmarc results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmarcResult {
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

/// What DMARC decided for one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcVerdict {
    pub result: DmarcResult,
    /// The From: domain (`header.from`).
    pub from: String,
    /// The policy published (`p=`, or `sp=` for a subdomain), if any.
    pub policy: Option<Policy>,
    /// What the receiver does: reject, quarantine or nothing (`dis=`).
    pub disposition: Policy,
    pub reason: String,
    /// The record's `pct=` (100 without a record).
    pub pct: u8,
    /// `pct=` left this failing message out of the sample: the disposition
    /// is the policy's next step down ([`Policy::lenient`]).
    pub sampled_out: bool,
}

impl DmarcVerdict {
    /// Apply `pct=` with `draw`, a number in `0..100` from the receiver's
    /// random stream: a failing message is in the sample when `draw < pct`
    /// (so `pct=100` takes every one, `pct=0` none); one left out gets the
    /// policy's next step down (RFC 7489 §6.3 `pct`, §6.6.4).
    pub fn sample(&mut self, draw: u8) {
        if self.result == DmarcResult::Fail && self.disposition != Policy::None && draw >= self.pct {
            self.disposition = self.disposition.lenient();
            self.sampled_out = true;
        }
    }

    /// Does `pct=` call for a draw (a failing message under a policy, a
    /// sample smaller than all)?
    pub fn needs_draw(&self) -> bool {
        self.result == DmarcResult::Fail && self.disposition != Policy::None && self.pct < 100
    }
}

/// One DKIM result as DMARC needs it: did it pass, and for which `d=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimPass {
    pub pass: bool,
    pub domain: String,
}

/// Where the policy record came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// `_dmarc.FROM` or `_dmarc.ORG` answered with this record; `true` when it
    /// was the organizational domain's (then `sp=` applies).
    Record(Record, bool),
    /// No record at either name.
    Nothing,
    /// A record that does not parse.
    Broken(String),
    /// The DNS did not answer.
    DnsFailed,
}

/// The decision of RFC 7489 §6.6.2: pass when an SPF pass or a DKIM pass
/// is aligned with the From: domain; otherwise the published policy.
pub fn evaluate(from: &str, found: Found, spf: &SpfVerdict, dkim: &[DkimPass]) -> DmarcVerdict {
    let pct = match &found {
        Found::Record(r, _) => r.pct,
        _ => 100,
    };
    let v = |result, policy, disposition, reason: String| DmarcVerdict {
        result,
        from: from.to_string(),
        policy,
        disposition,
        reason,
        pct,
        sampled_out: false,
    };
    let (record, at_org) = match found {
        Found::Record(r, o) => (r, o),
        Found::Nothing => return v(DmarcResult::None, None, Policy::None, format!("{from} publishes no DMARC record")),
        Found::Broken(e) => {
            return v(DmarcResult::PermError, None, Policy::None, format!("the DMARC record of {from} is broken: {e}"));
        }
        Found::DnsFailed => {
            return v(DmarcResult::TempError, None, Policy::None, format!("no DNS answer for _dmarc.{from}"));
        }
    };
    let policy = if at_org { record.sp.unwrap_or(record.p) } else { record.p };
    let spf_ok = spf.result == SpfResult::Pass && aligned(&spf.domain, from, record.aspf);
    let dkim_ok = dkim.iter().find(|d| d.pass && aligned(&d.domain, from, record.adkim));
    if let Some(d) = dkim_ok {
        return v(
            DmarcResult::Pass,
            Some(policy),
            Policy::None,
            format!("DKIM pass for {} aligned with From: {from}", d.domain),
        );
    }
    if spf_ok {
        return v(
            DmarcResult::Pass,
            Some(policy),
            Policy::None,
            format!("SPF pass for {} aligned with From: {from}", spf.domain),
        );
    }
    let why = match (spf.result, dkim.iter().any(|d| d.pass)) {
        (SpfResult::Pass, _) => format!("SPF passed for {}, which is not aligned with {from}", spf.domain),
        (r, true) => format!("SPF {} and no DKIM signature aligned with {from}", r.as_str()),
        (r, false) => format!("SPF {} and no valid DKIM signature", r.as_str()),
    };
    // pct= is applied afterwards with a draw from the receiver's stream
    // (DmarcVerdict::sample).
    v(DmarcResult::Fail, Some(policy), policy, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spf(result: SpfResult, domain: &str) -> SpfVerdict {
        SpfVerdict { result, domain: domain.into(), reason: String::new() }
    }

    #[test]
    fn records_parse() {
        let r = parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; rua=mailto:x@example.com").unwrap();
        assert_eq!(
            (r.p, r.sp, r.adkim, r.aspf, r.pct),
            (Policy::Reject, Some(Policy::Quarantine), Alignment::Strict, Alignment::Relaxed, 50)
        );
        assert!(parse("v=DMARC1").is_err());
        assert!(parse("v=DMARC1; p=maybe").is_err());
        assert!(parse("v=spf1 -all").is_err());
        assert!(is_dmarc("v=DMARC1;p=none") && is_dmarc("V=dmarc1 ; p=none") && !is_dmarc("v=DMARC10"));
        assert!(parse("v=DMARC1; p=none; pct=101").is_err());
    }

    #[test]
    fn alignment() {
        assert!(aligned("mail.example.com", "example.com", Alignment::Relaxed));
        assert!(!aligned("mail.example.com", "example.com", Alignment::Strict));
        assert!(!aligned("example.net", "example.com", Alignment::Relaxed));
        assert_eq!(org_domain("a.b.example.com."), "example.com");
        assert_eq!(org_domain("com"), "com");
    }

    #[test]
    fn decisions() {
        let rec = || Found::Record(parse("v=DMARC1; p=reject").unwrap(), false);
        // Forged: SPF fails, no DKIM.
        let v = evaluate("bank.example", rec(), &spf(SpfResult::Fail, "bank.example"), &[]);
        assert_eq!((v.result, v.disposition), (DmarcResult::Fail, Policy::Reject));
        // Forwarded: SPF fails, DKIM passes aligned.
        let d = [DkimPass { pass: true, domain: "bank.example".into() }];
        let v = evaluate("bank.example", rec(), &spf(SpfResult::Fail, "bank.example"), &d);
        assert_eq!((v.result, v.disposition), (DmarcResult::Pass, Policy::None));
        // SPF passes, but for another domain.
        let v = evaluate("bank.example", rec(), &spf(SpfResult::Pass, "evil.example"), &[]);
        assert_eq!(v.result, DmarcResult::Fail);
        assert!(v.reason.contains("not aligned"), "{}", v.reason);
        // A DKIM pass for another domain does not help.
        let d = [DkimPass { pass: true, domain: "evil.example".into() }];
        assert_eq!(evaluate("bank.example", rec(), &spf(SpfResult::None, "x.example"), &d).result, DmarcResult::Fail);
        assert_eq!(evaluate("bank.example", Found::Nothing, &spf(SpfResult::Fail, "x"), &[]).result, DmarcResult::None);
        // sp= for a subdomain found through the organizational domain.
        let sub = Found::Record(parse("v=DMARC1; p=reject; sp=none").unwrap(), true);
        let v = evaluate("news.bank.example", sub, &spf(SpfResult::Fail, "x.example"), &[]);
        assert_eq!((v.result, v.disposition), (DmarcResult::Fail, Policy::None));
    }

    #[test]
    fn pct_samples_failing_mail_and_steps_the_rest_down() {
        let fail = |rec: &str| {
            evaluate("bank.example", Found::Record(parse(rec).unwrap(), false), &spf(SpfResult::Fail, "x"), &[])
        };
        // pct=100 (the default): every failing message; no draw needed.
        let mut v = fail("v=DMARC1; p=quarantine");
        assert!(!v.needs_draw());
        v.sample(99);
        assert_eq!((v.disposition, v.sampled_out), (Policy::Quarantine, false));
        // pct=30: a draw below 30 is in the sample, one at or above is not.
        let mut v = fail("v=DMARC1; p=quarantine; pct=30");
        assert!(v.needs_draw());
        v.sample(29);
        assert_eq!((v.disposition, v.sampled_out), (Policy::Quarantine, false));
        let mut v = fail("v=DMARC1; p=quarantine; pct=30");
        v.sample(30);
        assert_eq!((v.disposition, v.sampled_out), (Policy::None, true));
        // reject left out of the sample is quarantined instead (RFC 7489 §6.6.4).
        let mut v = fail("v=DMARC1; p=reject; pct=0");
        v.sample(0);
        assert_eq!((v.disposition, v.sampled_out), (Policy::Quarantine, true));
        // A pass is never sampled.
        let d = [DkimPass { pass: true, domain: "bank.example".into() }];
        let mut v = evaluate(
            "bank.example",
            Found::Record(parse("v=DMARC1; p=reject; pct=10").unwrap(), false),
            &spf(SpfResult::Fail, "x"),
            &d,
        );
        assert!(!v.needs_draw());
        v.sample(99);
        assert_eq!((v.result, v.disposition, v.sampled_out), (DmarcResult::Pass, Policy::None, false));
    }

    #[test]
    fn from_domains() {
        let hs = |v: &[&str]| v.iter().map(|f| ("From".to_string(), f.to_string())).collect::<Vec<_>>();
        assert_eq!(from_domain(&hs(&["Alice <alice@Bank.Example>"])), Ok("bank.example".into()));
        assert!(from_domain(&hs(&[])).is_err());
        assert!(from_domain(&hs(&["a@x.example", "b@y.example"])).is_err());
        assert!(from_domain(&hs(&["a@x.example, b@y.example"])).is_err());
    }
}

//! Mail authentication: SPF (RFC 7208), DKIM (RFC 6376, signing with
//! Ed25519 keys, RFC 8463) and DMARC (RFC 7489), and the
//! `Authentication-Results:` field (RFC 8601) that records them.
//!
//! SPF and DMARC are ours, sans-IO: the SPF evaluator hands out the DNS
//! questions it needs and takes the answers, DMARC is a function of the
//! policy record and the two other results. DKIM's canonicalization,
//! signature field and verification are Stalwart's `mail-auth` crate
//! (`dkim.rs` signs; the host verifies with the key record it looked up
//! itself, see `host::mailauth`).

pub mod dkim;
pub mod dmarc;
pub mod spf;

use dmarc::DmarcVerdict;
use spf::SpfVerdict;

/// One DKIM signature's result, as the checking host found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimVerdict {
    /// `pass`, `fail`, `neutral`, `temperror`, `permerror` (RFC 8601 §2.7.1).
    pub result: &'static str,
    /// The signing domain (`d=`) and selector (`s=`); empty for a signature
    /// too broken to say.
    pub domain: String,
    pub selector: String,
    pub reason: String,
}

/// The `Authentication-Results:` field (RFC 8601 §2.2) a checking host puts
/// on top of a message it accepts, with its CRLF: one method per line.
pub fn authentication_results(
    authserv_id: &str,
    spf: &SpfVerdict,
    mail_from: &str,
    dkim: &[DkimVerdict],
    dmarc: Option<&DmarcVerdict>,
) -> String {
    let mut parts = Vec::new();
    let mailfrom = if mail_from.is_empty() { format!("postmaster@{}", spf.domain) } else { mail_from.to_string() };
    parts.push(format!("spf={} smtp.mailfrom={mailfrom}", spf.result.as_str()));
    if dkim.is_empty() {
        parts.push("dkim=none".to_string());
    }
    for d in dkim {
        if d.domain.is_empty() {
            parts.push(format!("dkim={} ({})", d.result, d.reason));
        } else {
            parts.push(format!("dkim={} header.d={} header.s={}", d.result, d.domain, d.selector));
        }
    }
    if let Some(m) = dmarc {
        let p = m.policy.map(|p| p.as_str()).unwrap_or("none");
        parts.push(format!(
            "dmarc={} (p={p} dis={}) header.from={}",
            m.result.as_str(),
            m.disposition.as_str(),
            m.from
        ));
    }
    format!("Authentication-Results: {authserv_id};\r\n\t{}\r\n", parts.join(";\r\n\t"))
}

/// The fuzz target's work (see `fuzz_harness::mailauth`): `text` as an
/// SPF record, a DMARC record and a From: field.
#[doc(hidden)]
pub fn exercise(text: &str) {
    use crate::proto::dns::{DnsDb, RecordData, ZoneRecord};
    let mut db = DnsDb::new();
    db.add_zone("example");
    for (name, t) in [("f.example", text.to_string()), ("i.example", format!("v=spf1 include:f.example {text}"))] {
        db.add(ZoneRecord { name: name.into(), ttl: 300, data: RecordData::Txt(t) });
    }
    for domain in ["f.example", "i.example"] {
        let mut s = spf::Spf::new(std::net::Ipv4Addr::new(192, 0, 2, 1), domain);
        let mut steps = 0;
        let verdict = loop {
            steps += 1;
            assert!(steps <= 100, "SPF never settles");
            match s.step() {
                spf::SpfStep::Done(v) => break v,
                spf::SpfStep::Query(q) => s.answer(&spf::Lookup::Answer(db.answer(&q))),
            }
        };
        let found = match dmarc::parse(text) {
            Ok(r) => dmarc::Found::Record(r, false),
            Err(e) => dmarc::Found::Broken(e),
        };
        let mut d = dmarc::evaluate("f.example", found, &verdict, &[]);
        d.sample(text.len().try_into().unwrap_or(u8::MAX) % 100);
        let _ = authentication_results("mx.example", &verdict, text, &[], Some(&d));
    }
    let _ = dmarc::from_domain(&[("From".to_string(), text.to_string())]);
}

#[cfg(test)]
mod tests {
    use super::dkim::DkimKey;
    use super::dmarc::{DmarcResult, Policy};
    use super::spf::SpfResult;
    use super::*;

    #[test]
    fn the_header_lists_each_method() {
        let spf = SpfVerdict { result: SpfResult::Fail, domain: "bank.example".into(), reason: String::new() };
        let dkim = vec![DkimVerdict {
            result: "pass",
            domain: "bank.example".into(),
            selector: "mail".into(),
            reason: String::new(),
        }];
        let dmarc = DmarcVerdict {
            result: DmarcResult::Pass,
            from: "bank.example".into(),
            policy: Some(Policy::Reject),
            disposition: Policy::None,
            reason: String::new(),
            pct: 100,
            sampled_out: false,
        };
        assert_eq!(
            authentication_results("mx.example", &spf, "alice@bank.example", &dkim, Some(&dmarc)),
            "Authentication-Results: mx.example;\r\n\tspf=fail smtp.mailfrom=alice@bank.example;\r\n\t\
             dkim=pass header.d=bank.example header.s=mail;\r\n\tdmarc=pass (p=reject dis=none) header.from=bank.example\r\n"
        );
    }

    #[test]
    fn signing_is_deterministic_and_covers_present_fields() {
        let k = DkimKey::from_seed([7; 32]).unwrap();
        assert!(k.txt_record().starts_with("v=DKIM1; k=ed25519; p="));
        let msg = b"From: a@bank.example\r\nTo: b@x.example\r\nSubject: hi\r\n\r\nbody\r\n";
        let a = k.sign("bank.example", "mail", msg, 1_700_000_000).unwrap();
        let b = k.sign("bank.example", "mail", msg, 1_700_000_000).unwrap();
        assert_eq!(a, b);
        assert!(
            a.starts_with("DKIM-Signature: v=1; a=ed25519-sha256; s=mail; d=bank.example; c=relaxed/relaxed;"),
            "{a}"
        );
        // The fields present, and the recommended ones the message lacks (signed as absent).
        assert!(a.contains("h=Subject:To:From:Cc:") && a.contains("t=1700000000;") && a.ends_with(";\r\n"), "{a}");
        assert!(k.sign("bank.example", "mail", b"X-Other: 1\r\n\r\n", 0).is_err());
    }
}

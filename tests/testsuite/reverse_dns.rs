//! Forward-confirmed reverse DNS at every connection, as both real MTAs do
//! it, whatever the host's relay rules: Postfix's smtpd_peer.c looks up the
//! PTR name's addresses and, when none is the client's, logs "hostname %s
//! does not resolve to address %s[: reason]" and calls the client
//! `unknown`; sendmail's daemon.c getauthinfo() does the same look-up and
//! marks the name "(may be forged)". A name that leads back is kept.

use crate::common::{SEND_TARO_TO_ALICE, lines_of, relay_and_mx, run_passing};
use maillab::trace::Kind;

/// taro's relay of `flavour` (no `client_domains`, relaying by address);
/// `reverse`: extra zone lines for the DNS server.
fn scenario(flavour: &str, reverse: &str) -> String {
    relay_and_mx("reverse-dns", flavour).replace(
        r#"      example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]"#,
        &format!("      example.com: [\"@ MX 10 mx.example.com.\", \"mx A 198.51.100.25\"]\n{reverse}"),
    ) + SEND_TARO_TO_ALICE
}

/// The DNS questions the server `ns` had from the relay `mail`.
fn asked_by_mail(r: &maillab::lab::RunResult) -> Vec<String> {
    r.events
        .iter()
        .filter(|e| e.kind == Kind::DnsQuery && &*e.host == "ns" && e.peer.as_deref() == Some("mail"))
        .filter_map(|e| e.line.clone())
        .collect()
}

/// The PTR of pc's address written by its provider, with no A record behind it.
const FORGED: &str = "      2.0.192.in-addr.arpa: [\"23 PTR pc.isp.example.\"]\n";

#[test]
fn a_name_that_does_not_lead_back_is_logged_as_each_mta_logs_it() {
    for flavour in ["postfix", "sendmail"] {
        let yaml = scenario(flavour, FORGED);
        assert!(yaml.contains("23 PTR pc.isp.example."), "the zone line was added");
        let r = run_passing(&yaml, &format!("reverse-dns-forged-{flavour}"));
        let asked = asked_by_mail(&r);
        assert!(asked.iter().any(|l| l == "pc.isp.example. IN A"), "{flavour}: {asked:#?}");
        let log = lines_of(&r, Kind::Log, "mail");
        let has = |s: &str| log.iter().any(|l| l.contains(s));
        if flavour == "postfix" {
            assert!(
                has("postfix/smtpd[")
                    && has(
                        "warning: hostname pc.isp.example does not resolve to address 192.0.2.23: Name or service not known"
                    ),
                "{log:#?}"
            );
            assert!(has("connect from unknown[192.0.2.23]") && has("client=unknown[192.0.2.23]"), "{log:#?}");
            assert!(!has("pc.isp.example[192.0.2.23]"), "{log:#?}");
        } else {
            assert!(has("relay=pc.isp.example [192.0.2.23] (may be forged)"), "{log:#?}");
            assert!(!has("does not resolve"), "{log:#?}");
        }
    }
}

/// A TXT record written at pc's name: not an address, so the name keeps
/// the A the lab publishes with its PTR (a review found it taken away).
const TXT_AT_PC: &str = "      pc: [\"@ TXT v=spf1 -all\"]\n";

#[test]
fn a_name_that_leads_back_is_kept() {
    for (flavour, extra) in [("postfix", ""), ("sendmail", ""), ("postfix", TXT_AT_PC), ("sendmail", TXT_AT_PC)] {
        // pc's PTR and A are the ones the lab publishes for every host.
        let yaml = scenario(flavour, extra);
        assert!(yaml.contains(extra), "the zone line was added");
        let r = run_passing(&yaml, &format!("reverse-dns-confirmed-{flavour}"));
        let asked = asked_by_mail(&r);
        assert!(asked.iter().any(|l| l == "pc. IN A"), "{flavour}: {asked:#?}");
        let log = lines_of(&r, Kind::Log, "mail");
        let has = |s: &str| log.iter().any(|l| l.contains(s));
        if flavour == "postfix" {
            assert!(has("connect from pc[192.0.2.23]") && !has("does not resolve"), "{log:#?}");
        } else {
            assert!(log.iter().any(|l| l.ends_with("relay=pc [192.0.2.23]")) && !has("may be forged"), "{log:#?}");
        }
    }
}

//! What the unit tests of the DNS core share: a zone, a parsed record, a
//! question, and a database to ask.

use super::{DnsDb, QType, Question, RecordData, ZoneRecord, parse_record};
use std::net::Ipv4Addr;

pub(super) const ORIGIN: &str = "example.com";

pub(super) fn rec(line: &str) -> ZoneRecord {
    match parse_record(line, ORIGIN) {
        Ok(r) => r,
        Err(e) => panic!("{line:?}: {e}"),
    }
}

pub(super) fn mx(preference: u16, exchange: &str) -> RecordData {
    RecordData::Mx { preference, exchange: exchange.into() }
}

pub(super) fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub(super) fn q(name: &str, qtype: QType) -> Question {
    Question { name: name.into(), qtype }
}

pub(super) fn db() -> DnsDb {
    let mut d = DnsDb::new();
    d.add_zone("example.com");
    d.add_zone("Example.NET.");
    for line in [
        "@ MX 20 b",
        "@ MX 10 a",
        "@ TXT \"v=spf1 mx -all\"",
        "a A 192.0.2.1",
        "b 300 A 192.0.2.2",
        "b A 192.0.2.3",
        "x.y A 192.0.2.4",
        "www CNAME a",
        "ext CNAME host.example.org.",
        "gone CNAME missing",
        "loop1 CNAME loop2",
        "loop2 CNAME loop1",
        "chain1 CNAME chain2",
        "chain2 CNAME www",
        "net CNAME mx.example.net.",
    ] {
        d.add(rec(line));
    }
    d.add(parse_record("mx A 198.51.100.25", "example.net").unwrap());
    d
}

//! Names in their normal form (lower-case, absolute, no final dot; the root
//! is the empty string), their limits, and the names derived from an address.

use std::net::Ipv4Addr;

/// Limits of a name in text form (no final dot) and of one label.
pub(super) const MAX_NAME_LEN: usize = 253;
pub(super) const MAX_LABEL_LEN: usize = 63;

/// Lower-case, trimmed, without one final (unescaped) dot.
pub(super) fn normalize_name(name: &str) -> String {
    let n = name.trim();
    let n = match n.strip_suffix('.') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => n,
    };
    n.to_ascii_lowercase()
}

/// Is `name` equal to `origin` or below it? Everything is below the root "".
pub(super) fn is_under(name: &str, origin: &str) -> bool {
    origin.is_empty() || name == origin || name.strip_suffix(origin).is_some_and(|p| p.ends_with('.'))
}

/// The names `name` lies under, as [`is_under`] counts them, longest
/// first: the name itself, what follows each of its dots, and the root "".
pub(super) fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    let after_dots = name.match_indices('.').map(move |(i, _)| &name[i + 1..]);
    std::iter::once(name).chain(after_dots).chain(std::iter::once(""))
}

/// `192.0.1.23` -> `23.1.0.192.in-addr.arpa`
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa")
}

/// `192.0.1.23`, `bl.example.org` -> `23.1.0.192.bl.example.org`
pub fn dnsbl_name(ip: Ipv4Addr, zone: &str) -> String {
    let [a, b, c, d] = ip.octets();
    let zone = normalize_name(zone);
    if zone.is_empty() { format!("{d}.{c}.{b}.{a}") } else { format!("{d}.{c}.{b}.{a}.{zone}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::test_util::*;
    use crate::proto::dns::{DEFAULT_TTL, DnsDb, QType, RecordData, ZoneRecord, dig_answer};

    #[test]
    fn the_suffixes_are_what_a_name_lies_under() {
        let names = ["", "example", "example.org", "mx.example.org", "a\\.b.example.org", "xexample.org", "a..b", "."];
        for n in names {
            for o in names {
                assert_eq!(suffixes(n).any(|s| s == o), is_under(n, o), "{n:?} under {o:?}");
            }
        }
    }

    #[test]
    fn reverse_and_dnsbl_names() {
        assert_eq!(reverse_name(ip("192.0.1.23")), "23.1.0.192.in-addr.arpa");
        assert_eq!(reverse_name(ip("0.0.0.0")), "0.0.0.0.in-addr.arpa");
        assert_eq!(dnsbl_name(ip("192.0.1.23"), "bl.example.org"), "23.1.0.192.bl.example.org");
        assert_eq!(dnsbl_name(ip("192.0.1.23"), "BL.Example.org."), "23.1.0.192.bl.example.org");
        assert_eq!(dnsbl_name(ip("192.0.1.23"), ""), "23.1.0.192");
        // A reverse name is a valid zone name for PTR look-ups.
        let mut d = DnsDb::new();
        d.add_zone("in-addr.arpa");
        d.add(ZoneRecord {
            name: reverse_name(ip("192.0.2.23")),
            ttl: DEFAULT_TTL,
            data: RecordData::Ptr("pc1.example.ac.jp".into()),
        });
        let pq = q(&reverse_name(ip("192.0.2.23")), QType::Ptr);
        assert_eq!(
            dig_answer(&pq, &d.answer(&pq)),
            "NOERROR 23.2.0.192.in-addr.arpa. IN PTR: 23.2.0.192.in-addr.arpa. 3600 IN PTR pc1.example.ac.jp."
        );
    }
}

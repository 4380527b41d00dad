//! dig-like text: questions, records and answers as `dig` prints them.

use super::{Answer, Question, Rcode, RecordData, ZoneRecord};
use std::fmt;

impl RecordData {
    /// The data part as dig prints it (after the type).
    pub fn rdata_text(&self) -> String {
        match self {
            RecordData::A(ip) => ip.to_string(),
            RecordData::Mx { preference, exchange } => format!("{preference} {}", dotted(exchange)),
            RecordData::Txt(t) => quote_txt(t),
            RecordData::Ptr(n) | RecordData::Cname(n) | RecordData::Ns(n) => dotted(n),
            RecordData::Soa(s) => format!(
                "{} {} {} {} {} {} {}",
                dotted(&s.mname),
                dotted(&s.rname),
                s.serial,
                s.refresh,
                s.retry,
                s.expire,
                s.minimum
            ),
        }
    }
}

impl fmt::Display for ZoneRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&dig_record(self))
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&dig_question(self))
    }
}

/// A name with its final dot; the root is ".".
pub(super) fn dotted(name: &str) -> String {
    if name.is_empty() { ".".into() } else { format!("{name}.") }
}

/// TXT text in quotes, escaping as dig does.
fn quote_txt(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 2);
    out.push('"');
    for &b in t.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// `example.com. IN MX`
pub fn dig_question(q: &Question) -> String {
    format!("{} IN {}", dotted(&q.name), q.qtype)
}

/// `example.com. 3600 IN MX 10 mx.example.com.`
pub fn dig_record(r: &ZoneRecord) -> String {
    format!("{} {} IN {} {}", dotted(&r.name), r.ttl, r.data.qtype(), r.data.rdata_text())
}

/// One line: `NOERROR example.com. IN MX: <record>; <record>`,
/// `NOERROR (no records) example.com. IN AAAA`, or `NXDOMAIN example.org. IN A`.
pub fn dig_answer(q: &Question, a: &Answer) -> String {
    if !a.answers.is_empty() {
        let recs: Vec<String> = a.answers.iter().map(dig_record).collect();
        format!("{} {}: {}", a.rcode, dig_question(q), recs.join("; "))
    } else if a.rcode == Rcode::NoError {
        format!("{} (no records) {}", a.rcode, dig_question(q))
    } else {
        format!("{} {}", a.rcode, dig_question(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::test_util::*;
    use crate::proto::dns::{Answer, QType, parse_record};

    #[test]
    fn dig_text() {
        assert_eq!(dig_question(&q("example.com", QType::Mx)), "example.com. IN MX");
        assert_eq!(dig_question(&q("", QType::Ns)), ". IN NS");
        assert_eq!(dig_record(&rec("@ MX 10 mx")), "example.com. 3600 IN MX 10 mx.example.com.");
        assert_eq!(dig_record(&rec("mx 300 A 192.0.2.25")), "mx.example.com. 300 IN A 192.0.2.25");
        assert_eq!(
            dig_record(&ZoneRecord { name: "nomail.example".into(), ttl: 3600, data: mx(0, "") }),
            "nomail.example. 3600 IN MX 0 ."
        );
        assert_eq!(dig_record(&rec("@ TXT \"v=spf1 mx -all\"")), "example.com. 3600 IN TXT \"v=spf1 mx -all\"");
        assert_eq!(
            dig_record(&ZoneRecord {
                name: "t.example".into(),
                ttl: 1,
                data: RecordData::Txt("a\"b\\c\u{e9}\n".into())
            }),
            "t.example. 1 IN TXT \"a\\\"b\\\\c\\195\\169\\010\""
        );
        assert_eq!(dig_record(&rec("www CNAME a")), "www.example.com. 3600 IN CNAME a.example.com.");
        assert_eq!(dig_record(&rec("@ NS ns")), "example.com. 3600 IN NS ns.example.com.");
        assert_eq!(
            dig_record(&parse_record("23 PTR pc1.example.com.", "2.0.192.in-addr.arpa").unwrap()),
            "23.2.0.192.in-addr.arpa. 3600 IN PTR pc1.example.com."
        );
        assert_eq!(rec("@ MX 10 mx").to_string(), "example.com. 3600 IN MX 10 mx.example.com.");
        assert_eq!(q("example.com", QType::A).to_string(), "example.com. IN A");
    }

    #[test]
    fn dig_answer_forms() {
        let d = db();
        let mq = q("example.com", QType::Mx);
        assert_eq!(
            dig_answer(&mq, &d.answer(&mq)),
            "NOERROR example.com. IN MX: example.com. 3600 IN MX 10 a.example.com.; example.com. 3600 IN MX 20 b.example.com."
        );
        let nq = q("nope.example.com", QType::A);
        assert_eq!(dig_answer(&nq, &d.answer(&nq)), "NXDOMAIN nope.example.com. IN A");
        let eq = q("a.example.com", QType::Other(28));
        assert_eq!(dig_answer(&eq, &d.answer(&eq)), "NOERROR (no records) a.example.com. IN TYPE28");
        let rq = q("example.org", QType::A);
        assert_eq!(dig_answer(&rq, &d.answer(&rq)), "REFUSED example.org. IN A");
        let sf = Answer {
            rcode: Rcode::ServFail,
            answers: vec![],
            authoritative: false,
            authority: vec![],
            additional: vec![],
        };
        assert_eq!(dig_answer(&rq, &sf), "SERVFAIL example.org. IN A");
    }
}

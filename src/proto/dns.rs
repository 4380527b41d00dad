//! DNS as a sans-IO core: zone lines, an authoritative answer database, the
//! RFC 1035 wire format (through hickory-proto) and dig-like text.
//!
//! Names are kept lower-case, absolute and without the trailing dot
//! (`mx.example.com`); the root, used by a null MX, is the empty string.

use hickory_proto::op::{Message, MessageType, OpCode, Query as HQuery, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, MX, NS, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

pub const DEFAULT_TTL: u32 = 3600;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordData {
    A(Ipv4Addr),
    Mx { preference: u16, exchange: String },
    Txt(String),
    Ptr(String),
    Cname(String),
    Ns(String),
}

impl RecordData {
    pub fn qtype(&self) -> QType {
        match self {
            RecordData::A(_) => QType::A,
            RecordData::Mx { .. } => QType::Mx,
            RecordData::Txt(_) => QType::Txt,
            RecordData::Ptr(_) => QType::Ptr,
            RecordData::Cname(_) => QType::Cname,
            RecordData::Ns(_) => QType::Ns,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ZoneRecord {
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QType {
    A,
    Mx,
    Txt,
    Ptr,
    Cname,
    Ns,
    Any,
    Other(u16),
}

impl fmt::Display for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QType::A => write!(f, "A"),
            QType::Mx => write!(f, "MX"),
            QType::Txt => write!(f, "TXT"),
            QType::Ptr => write!(f, "PTR"),
            QType::Cname => write!(f, "CNAME"),
            QType::Ns => write!(f, "NS"),
            QType::Any => write!(f, "ANY"),
            QType::Other(n) => write!(f, "TYPE{n}"),
        }
    }
}

impl QType {
    fn to_record_type(self) -> RecordType {
        match self {
            QType::A => RecordType::A,
            QType::Mx => RecordType::MX,
            QType::Txt => RecordType::TXT,
            QType::Ptr => RecordType::PTR,
            QType::Cname => RecordType::CNAME,
            QType::Ns => RecordType::NS,
            QType::Any => RecordType::ANY,
            QType::Other(n) => RecordType::from(n),
        }
    }
    fn from_record_type(t: RecordType) -> Self {
        match t {
            RecordType::A => QType::A,
            RecordType::MX => QType::Mx,
            RecordType::TXT => QType::Txt,
            RecordType::PTR => QType::Ptr,
            RecordType::CNAME => QType::Cname,
            RecordType::NS => QType::Ns,
            RecordType::ANY => QType::Any,
            other => QType::Other(u16::from(other)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: QType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rcode::NoError => "NOERROR",
            Rcode::FormErr => "FORMERR",
            Rcode::ServFail => "SERVFAIL",
            Rcode::NxDomain => "NXDOMAIN",
            Rcode::NotImp => "NOTIMP",
            Rcode::Refused => "REFUSED",
        })
    }
}

impl Rcode {
    fn to_hickory(self) -> ResponseCode {
        match self {
            Rcode::NoError => ResponseCode::NoError,
            Rcode::FormErr => ResponseCode::FormErr,
            Rcode::ServFail => ResponseCode::ServFail,
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::NotImp => ResponseCode::NotImp,
            Rcode::Refused => ResponseCode::Refused,
        }
    }
    fn from_hickory(r: ResponseCode) -> Self {
        match r {
            ResponseCode::NoError => Rcode::NoError,
            ResponseCode::FormErr => Rcode::FormErr,
            ResponseCode::NXDomain => Rcode::NxDomain,
            ResponseCode::NotImp => Rcode::NotImp,
            ResponseCode::Refused => Rcode::Refused,
            _ => Rcode::ServFail,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub rcode: Rcode,
    pub answers: Vec<ZoneRecord>,
    pub authoritative: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub message: String,
    pub hint: String,
    /// Byte offset in the line where the problem starts.
    pub column: usize,
}

fn rerr(message: impl Into<String>, hint: impl Into<String>, column: usize) -> RecordError {
    RecordError {
        message: message.into(),
        hint: hint.into(),
        column,
    }
}

/// Check a name (without trailing dot): labels of letters, digits, `-`, `_`.
fn check_name(n: &str) -> Result<(), String> {
    if n.is_empty() {
        return Ok(());
    }
    if n.len() > 253 {
        return Err("the name is longer than 253 characters".into());
    }
    for l in n.split('.') {
        if l.is_empty() {
            return Err(format!("`{n}` has an empty label"));
        }
        if l.len() > 63 {
            return Err(format!("a label of `{n}` is longer than 63 characters"));
        }
        if !l
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "`{n}` may hold only letters, digits, `-`, `_` and dots"
            ));
        }
    }
    Ok(())
}

/// Resolve a name as written in a zone line against the origin.
fn absolute(word: &str, origin: &str) -> String {
    let origin = origin.trim_end_matches('.').to_ascii_lowercase();
    if word == "@" {
        return origin;
    }
    if let Some(abs) = word.strip_suffix('.') {
        return abs.to_ascii_lowercase();
    }
    let w = word.to_ascii_lowercase();
    if origin.is_empty() {
        w
    } else {
        format!("{w}.{origin}")
    }
}

/// Words of a line with their byte offsets.
fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

const TYPES_HINT: &str = "supported types are A, MX, TXT, PTR, CNAME and NS";

/// Parse `NAME [TTL] [IN] TYPE RDATA`.
pub fn parse_record(line: &str, origin: &str) -> Result<ZoneRecord, RecordError> {
    let w = words(line);
    let Some(&(_, name_word)) = w.first() else {
        return Err(rerr(
            "the record is empty",
            "write it as `NAME TYPE DATA`, e.g. `mx A 192.0.2.25`",
            0,
        ));
    };
    let name = absolute(name_word, origin);
    check_name(&name).map_err(|e| {
        rerr(
            e,
            "use @ for the zone itself, a short name such as `mx`, or a full name ending in a dot",
            0,
        )
    })?;
    let mut i = 1;
    let mut ttl = DEFAULT_TTL;
    if let Some(&(at, t)) = w.get(i)
        && t.bytes().all(|b| b.is_ascii_digit())
    {
        ttl = t.parse().map_err(|_| {
            rerr(
                format!("TTL `{t}` is too large"),
                "a TTL is a number of seconds, e.g. 3600",
                at,
            )
        })?;
        i += 1;
    }
    if let Some(&(_, c)) = w.get(i)
        && c.eq_ignore_ascii_case("IN")
    {
        i += 1;
    }
    let Some(&(tat, ty)) = w.get(i) else {
        return Err(rerr(
            "the record has no type",
            format!("after the name write a type and its data; {TYPES_HINT}"),
            line.len(),
        ));
    };
    i += 1;
    let rest: Vec<(usize, &str)> = w[i..].to_vec();
    let end = line.len();
    let data = match ty.to_ascii_uppercase().as_str() {
        "A" => {
            let [(at, a)] = rest.as_slice() else {
                return Err(rerr(
                    "an A record needs exactly one IPv4 address",
                    "write it as `mx A 192.0.2.25`",
                    rest.first().map(|r| r.0).unwrap_or(end),
                ));
            };
            RecordData::A(a.parse().map_err(|_| {
                rerr(
                    format!("`{a}` is not an IPv4 address"),
                    "write four numbers 0-255 with dots, e.g. 192.0.2.25",
                    *at,
                )
            })?)
        }
        "MX" => {
            let [(pat, p), (eat, e)] = rest.as_slice() else {
                return Err(rerr(
                    "an MX record needs a preference and a mail exchanger",
                    "write it as `@ MX 10 mx.example.com.` (or `@ MX 0 .` for a null MX)",
                    rest.first().map(|r| r.0).unwrap_or(end),
                ));
            };
            let preference = p.parse::<u16>().map_err(|_| {
                rerr(
                    format!("`{p}` is not a preference (0 to 65535)"),
                    "lower numbers are preferred, e.g. 10 for the main MX and 20 for a backup",
                    *pat,
                )
            })?;
            let exchange = if *e == "." {
                String::new()
            } else {
                absolute(e, origin)
            };
            check_name(&exchange)
                .map_err(|m| rerr(m, "name the mail exchanger, e.g. mx.example.com.", *eat))?;
            RecordData::Mx {
                preference,
                exchange,
            }
        }
        "TXT" => {
            let Some(&(at, _)) = rest.first() else {
                return Err(rerr(
                    "a TXT record needs some text",
                    "write it as `@ TXT \"some text\"`",
                    end,
                ));
            };
            let t = line[at..].trim();
            let t = t
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(t);
            RecordData::Txt(t.to_string())
        }
        k @ ("PTR" | "CNAME" | "NS") => {
            let [(at, n)] = rest.as_slice() else {
                return Err(rerr(
                    format!("a {k} record needs exactly one name"),
                    format!("write it as `NAME {k} host.example.com.`"),
                    rest.first().map(|r| r.0).unwrap_or(end),
                ));
            };
            let target = absolute(n, origin);
            check_name(&target).map_err(|m| {
                rerr(
                    m,
                    "write a host name, ending in a dot when it is a full name",
                    *at,
                )
            })?;
            match k {
                "PTR" => RecordData::Ptr(target),
                "CNAME" => RecordData::Cname(target),
                _ => RecordData::Ns(target),
            }
        }
        other => {
            return Err(rerr(
                format!("unknown record type `{other}`"),
                TYPES_HINT,
                tat,
            ));
        }
    };
    Ok(ZoneRecord { name, ttl, data })
}

/// The records a server is authoritative for.
#[derive(Clone, Debug, Default)]
pub struct DnsDb {
    records: BTreeMap<String, BTreeSet<ZoneRecord>>,
    origins: BTreeSet<String>,
}

fn under(name: &str, origin: &str) -> bool {
    name == origin || name.ends_with(&format!(".{origin}"))
}

impl DnsDb {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add_zone(&mut self, origin: &str) {
        self.origins
            .insert(origin.trim_end_matches('.').to_ascii_lowercase());
    }
    pub fn add(&mut self, rec: ZoneRecord) {
        self.records
            .entry(rec.name.clone())
            .or_default()
            .insert(rec);
    }
    pub fn is_authoritative_for(&self, name: &str) -> bool {
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        self.origins.iter().any(|o| under(&n, o))
    }
    fn exists(&self, name: &str) -> bool {
        self.records.contains_key(name)
            || self
                .records
                .keys()
                .any(|k| k.ends_with(&format!(".{name}")))
            || self.origins.contains(name)
    }
    pub fn answer(&self, q: &Question) -> Answer {
        let name = q.name.trim_end_matches('.').to_ascii_lowercase();
        if !self.is_authoritative_for(&name) {
            // The lab's DNS stands for the whole DNS: a name outside every
            // zone does not exist, as the root servers would say.
            return Answer {
                rcode: Rcode::NxDomain,
                answers: Vec::new(),
                authoritative: false,
            };
        }
        let mut answers = Vec::new();
        let mut cur = name.clone();
        // Follow a short CNAME chain inside our own data.
        for _ in 0..8 {
            let Some(set) = self.records.get(&cur) else {
                break;
            };
            let matching: Vec<ZoneRecord> = set
                .iter()
                .filter(|r| q.qtype == QType::Any || r.data.qtype() == q.qtype)
                .cloned()
                .collect();
            if !matching.is_empty() {
                answers.extend(matching);
                break;
            }
            match set.iter().find_map(|r| match &r.data {
                RecordData::Cname(t) => Some((r.clone(), t.clone())),
                _ => None,
            }) {
                Some((rec, target)) => {
                    answers.push(rec);
                    cur = target;
                }
                None => break,
            }
        }
        let rcode = if answers.is_empty() && !self.exists(&name) {
            Rcode::NxDomain
        } else {
            Rcode::NoError
        };
        Answer {
            rcode,
            answers,
            authoritative: true,
        }
    }
}

fn to_name(n: &str) -> Result<Name, String> {
    if n.is_empty() {
        return Ok(Name::root());
    }
    Name::from_ascii(format!("{n}.")).map_err(|e| e.to_string())
}

fn from_name(n: &Name) -> String {
    n.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

pub fn encode_query(id: u16, q: &Question) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true);
    if let Ok(n) = to_name(&q.name) {
        m.add_query(HQuery::query(n, q.qtype.to_record_type()));
    }
    m.to_vec().unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    pub question: Question,
    pub recursion_desired: bool,
}

pub fn decode_query(bytes: &[u8]) -> Result<Query, String> {
    let m = Message::from_vec(bytes).map_err(|e| format!("cannot decode: {e}"))?;
    if m.message_type() != MessageType::Query {
        return Err("this is a response, not a query".into());
    }
    if m.op_code() != OpCode::Query {
        return Err(format!("unsupported opcode {:?}", m.op_code()));
    }
    let q = m.queries().first().ok_or("the query has no question")?;
    Ok(Query {
        id: m.id(),
        question: Question {
            name: from_name(q.name()),
            qtype: QType::from_record_type(q.query_type()),
        },
        recursion_desired: m.recursion_desired(),
    })
}

fn to_record(r: &ZoneRecord) -> Option<Record> {
    let name = to_name(&r.name).ok()?;
    let rdata = match &r.data {
        RecordData::A(a) => RData::A(A(*a)),
        RecordData::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, to_name(exchange).ok()?)),
        RecordData::Txt(t) => RData::TXT(TXT::new(vec![t.clone()])),
        RecordData::Ptr(n) => RData::PTR(PTR(to_name(n).ok()?)),
        RecordData::Cname(n) => RData::CNAME(CNAME(to_name(n).ok()?)),
        RecordData::Ns(n) => RData::NS(NS(to_name(n).ok()?)),
    };
    Some(Record::from_rdata(name, r.ttl, rdata))
}

fn from_record(r: &Record) -> Option<ZoneRecord> {
    let data = match r.data() {
        RData::A(a) => RecordData::A(a.0),
        RData::MX(mx) => RecordData::Mx {
            preference: mx.preference(),
            exchange: from_name(mx.exchange()),
        },
        RData::TXT(t) => RecordData::Txt(
            t.txt_data()
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect::<Vec<_>>()
                .join(""),
        ),
        RData::PTR(p) => RecordData::Ptr(from_name(&p.0)),
        RData::CNAME(c) => RecordData::Cname(from_name(&c.0)),
        RData::NS(n) => RecordData::Ns(from_name(&n.0)),
        _ => return None,
    };
    Some(ZoneRecord {
        name: from_name(r.name()),
        ttl: r.ttl(),
        data,
    })
}

pub fn encode_response(q: &Query, a: &Answer) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(q.id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(a.authoritative)
        .set_recursion_desired(q.recursion_desired)
        .set_recursion_available(false)
        .set_response_code(a.rcode.to_hickory());
    if let Ok(n) = to_name(&q.question.name) {
        m.add_query(HQuery::query(n, q.question.qtype.to_record_type()));
    }
    for r in &a.answers {
        if let Some(rec) = to_record(r) {
            m.add_answer(rec);
        }
    }
    m.to_vec().unwrap_or_default()
}

/// A FORMERR reply for input we cannot decode, when at least its id is there.
pub fn encode_formerr(bytes: &[u8]) -> Option<Vec<u8>> {
    let id = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_response_code(ResponseCode::FormErr);
    m.to_vec().ok()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    pub question: Option<Question>,
    pub answer: Answer,
}

pub fn decode_response(bytes: &[u8]) -> Result<Response, String> {
    let m = Message::from_vec(bytes).map_err(|e| format!("cannot decode: {e}"))?;
    if m.message_type() != MessageType::Response {
        return Err("this is a query, not a response".into());
    }
    let question = m.queries().first().map(|q| Question {
        name: from_name(q.name()),
        qtype: QType::from_record_type(q.query_type()),
    });
    Ok(Response {
        id: m.id(),
        question,
        answer: Answer {
            rcode: Rcode::from_hickory(m.response_code()),
            answers: m.answers().iter().filter_map(from_record).collect(),
            authoritative: m.authoritative(),
        },
    })
}

fn fq(n: &str) -> String {
    if n.is_empty() {
        ".".into()
    } else {
        format!("{n}.")
    }
}

pub fn dig_question(q: &Question) -> String {
    format!("{} IN {}", fq(&q.name), q.qtype)
}

pub fn dig_record(r: &ZoneRecord) -> String {
    let (t, d) = match &r.data {
        RecordData::A(a) => ("A", a.to_string()),
        RecordData::Mx {
            preference,
            exchange,
        } => ("MX", format!("{preference} {}", fq(exchange))),
        RecordData::Txt(t) => ("TXT", format!("\"{t}\"")),
        RecordData::Ptr(n) => ("PTR", fq(n)),
        RecordData::Cname(n) => ("CNAME", fq(n)),
        RecordData::Ns(n) => ("NS", fq(n)),
    };
    format!("{} {} IN {t} {d}", fq(&r.name), r.ttl)
}

pub fn dig_answer(q: &Question, a: &Answer) -> String {
    if a.answers.is_empty() {
        let what = if a.rcode == Rcode::NoError {
            " (no records of that type)"
        } else {
            ""
        };
        return format!("{} {}{what}", a.rcode, dig_question(q));
    }
    let recs: Vec<String> = a.answers.iter().map(dig_record).collect();
    format!("{} {}", a.rcode, recs.join("; "))
}

pub fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

pub fn dnsbl_name(ip: Ipv4Addr, zone: &str) -> String {
    let o = ip.octets();
    format!(
        "{}.{}.{}.{}.{}",
        o[3],
        o[2],
        o[1],
        o[0],
        zone.trim_end_matches('.').to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(l: &str) -> ZoneRecord {
        parse_record(l, "example.com").unwrap()
    }

    #[test]
    fn parse_each_type() {
        assert_eq!(
            rec("@ MX 10 mx.example.com.").data,
            RecordData::Mx {
                preference: 10,
                exchange: "mx.example.com".into()
            }
        );
        assert_eq!(
            rec("@ MX 10 mx").data,
            RecordData::Mx {
                preference: 10,
                exchange: "mx.example.com".into()
            }
        );
        assert_eq!(
            rec("@ MX 0 .").data,
            RecordData::Mx {
                preference: 0,
                exchange: String::new()
            }
        );
        let a = rec("mx 300 IN A 192.0.2.25");
        assert_eq!(
            (a.name.as_str(), a.ttl, &a.data),
            (
                "mx.example.com",
                300,
                &RecordData::A(Ipv4Addr::new(192, 0, 2, 25))
            )
        );
        assert_eq!(
            rec("@ TXT \"v=spf1 -all\"").data,
            RecordData::Txt("v=spf1 -all".into())
        );
        assert_eq!(
            rec("www CNAME host.example.org.").data,
            RecordData::Cname("host.example.org".into())
        );
        assert_eq!(
            rec("Other.Example.ORG. A 192.0.2.1").name,
            "other.example.org"
        );
    }

    #[test]
    fn parse_errors_point_at_the_problem() {
        let e = parse_record("mx A 192.0.2.256", "example.com").unwrap_err();
        assert_eq!(e.column, 5);
        let e = parse_record("@ MX ten mx", "example.com").unwrap_err();
        assert_eq!(e.column, 5);
        assert!(
            parse_record("@ MX 10", "example.com")
                .unwrap_err()
                .message
                .contains("preference and a mail exchanger")
        );
        let e = parse_record("@ SRV 1 2 3 x", "example.com").unwrap_err();
        assert_eq!(e.column, 2);
        assert!(e.hint.contains("supported types"));
        assert!(parse_record("", "example.com").is_err());
        assert!(parse_record("bad!name A 192.0.2.1", "example.com").is_err());
        assert!(
            parse_record("mx", "example.com")
                .unwrap_err()
                .message
                .contains("no type")
        );
    }

    fn db() -> DnsDb {
        let mut d = DnsDb::new();
        d.add_zone("example.com");
        for l in [
            "@ MX 20 b.example.com.",
            "@ MX 10 a.example.com.",
            "a A 192.0.2.1",
            "b A 192.0.2.2",
            "x.y A 192.0.2.3",
            "www CNAME a",
        ] {
            d.add(rec(l));
        }
        d
    }

    #[test]
    fn answers() {
        let d = db();
        let q = |n: &str, t| {
            d.answer(&Question {
                name: n.into(),
                qtype: t,
            })
        };
        let mx = q("Example.COM", QType::Mx);
        assert_eq!(mx.rcode, Rcode::NoError);
        assert_eq!(mx.answers.len(), 2);
        assert_eq!(q("a.example.com", QType::Mx).answers.len(), 0);
        assert_eq!(q("a.example.com", QType::Mx).rcode, Rcode::NoError);
        assert_eq!(q("nope.example.com", QType::A).rcode, Rcode::NxDomain);
        assert_eq!(
            q("y.example.com", QType::A).rcode,
            Rcode::NoError,
            "empty non-terminal"
        );
        assert_eq!(q("example.org", QType::A).rcode, Rcode::NxDomain);
        let w = q("www.example.com", QType::A);
        assert_eq!(w.answers.len(), 2);
        assert_eq!(
            w.answers[1].data,
            RecordData::A(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(q("example.com", QType::Any).answers.len(), 2);
    }

    #[test]
    fn wire_round_trip() {
        let question = Question {
            name: "example.com".into(),
            qtype: QType::Mx,
        };
        let bytes = encode_query(4242, &question);
        let q = decode_query(&bytes).unwrap();
        assert_eq!((q.id, &q.question), (4242, &question));
        let mut d = db();
        d.add(rec("null MX 0 ."));
        d.add(rec("@ TXT \"hello world\""));
        for (n, t) in [
            ("example.com", QType::Mx),
            ("null.example.com", QType::Mx),
            ("example.com", QType::Txt),
            ("nope.example.com", QType::A),
        ] {
            let qq = Query {
                id: 7,
                question: Question {
                    name: n.into(),
                    qtype: t,
                },
                recursion_desired: true,
            };
            let a = d.answer(&qq.question);
            let r = decode_response(&encode_response(&qq, &a)).unwrap();
            assert_eq!(r.id, 7);
            assert_eq!(r.answer, a, "{n} {t}");
        }
        assert!(decode_query(&encode_response(&q, &d.answer(&q.question))).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let good = encode_query(
            1,
            &Question {
                name: "example.com".into(),
                qtype: QType::A,
            },
        );
        for cut in 0..good.len() {
            let _ = decode_query(&good[..cut]);
            let _ = decode_response(&good[..cut]);
            let _ = encode_formerr(&good[..cut]);
        }
        let mut x: u32 = 12345;
        for len in 0..200 {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = decode_query(&junk);
            let _ = decode_response(&junk);
        }
        let f = encode_formerr(&[0x12, 0x34, 0xff]).unwrap();
        let r = decode_response(&f).unwrap();
        assert_eq!((r.id, r.answer.rcode), (0x1234, Rcode::FormErr));
        assert!(encode_formerr(&[1]).is_none());
    }

    #[test]
    fn text_forms() {
        let q = Question {
            name: "example.com".into(),
            qtype: QType::Mx,
        };
        assert_eq!(dig_question(&q), "example.com. IN MX");
        assert_eq!(
            dig_record(&rec("@ MX 10 mx")),
            "example.com. 3600 IN MX 10 mx.example.com."
        );
        assert_eq!(dig_record(&rec("@ MX 0 .")), "example.com. 3600 IN MX 0 .");
        assert_eq!(
            reverse_name(Ipv4Addr::new(192, 0, 2, 23)),
            "23.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            dnsbl_name(Ipv4Addr::new(192, 0, 2, 23), "bl.example.org."),
            "23.2.0.192.bl.example.org"
        );
        let a = Answer {
            rcode: Rcode::NxDomain,
            answers: vec![],
            authoritative: true,
        };
        assert_eq!(
            dig_answer(
                &Question {
                    name: "x.example".into(),
                    qtype: QType::A
                },
                &a
            ),
            "NXDOMAIN x.example. IN A"
        );
    }
}

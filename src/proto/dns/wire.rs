//! The RFC 1035 wire format, encoded and decoded with hickory-proto.

use super::names::{MAX_LABEL_LEN, normalize_name};
use super::{Answer, QType, Question, Rcode, RecordData, Soa, ZoneRecord};
use hickory_proto::op::{Edns as WireEdns, Message, MessageType, OpCode, Query as WireQuery, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, MX, NS, PTR, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

/// Longest single string inside a TXT record on the wire.
const MAX_TXT_CHUNK: usize = 255;

// The header's RCODE as hickory-proto spells it.
impl Rcode {
    fn to_wire(self) -> ResponseCode {
        match self {
            Rcode::NoError => ResponseCode::NoError,
            Rcode::FormErr => ResponseCode::FormErr,
            Rcode::ServFail => ResponseCode::ServFail,
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::NotImp => ResponseCode::NotImp,
            Rcode::Refused => ResponseCode::Refused,
            Rcode::BadVers => ResponseCode::BADVERS,
        }
    }

    /// Codes we do not model count as a server failure.
    fn from_wire(r: ResponseCode) -> Rcode {
        match r {
            ResponseCode::NoError => Rcode::NoError,
            ResponseCode::FormErr => Rcode::FormErr,
            ResponseCode::NXDomain => Rcode::NxDomain,
            ResponseCode::NotImp => Rcode::NotImp,
            ResponseCode::Refused => Rcode::Refused,
            // Code 16 is BADVERS in an answer with OPT (RFC 6891) and BADSIG
            // with TSIG (RFC 8945); hickory-proto reads it as BADSIG. The lab
            // signs nothing, so 16 is BADVERS here.
            ResponseCode::BADVERS | ResponseCode::BADSIG => Rcode::BadVers,
            _ => Rcode::ServFail,
        }
    }
}

/// Splits a text name into label bytes, undoing `\X` and `\DDD` escapes.
fn name_labels(name: &str) -> Result<Vec<Vec<u8>>, String> {
    let name = normalize_name(name);
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let mut labels = Vec::new();
    let mut label: Vec<u8> = Vec::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if label.is_empty() {
                    return Err(format!("`{name}` has an empty label"));
                }
                labels.push(std::mem::take(&mut label));
            }
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => {
                    let mut v = d.to_digit(10).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.next_if(char::is_ascii_digit) {
                            Some(d) => v = v * 10 + d.to_digit(10).unwrap_or(0),
                            None => return Err(format!("`{name}` has a bad `\\DDD` escape")),
                        }
                    }
                    label.push(u8::try_from(v).map_err(|_| format!("`{name}` has an escape above \\255"))?);
                }
                Some(e) => {
                    let mut buf = [0u8; 4];
                    label.extend_from_slice(e.encode_utf8(&mut buf).as_bytes());
                }
                None => return Err(format!("`{name}` ends in a lone backslash")),
            },
            c => {
                let mut buf = [0u8; 4];
                label.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    if label.is_empty() {
        return Err(format!("`{name}` has an empty label"));
    }
    labels.push(label);
    if let Some(l) = labels.iter().find(|l| l.len() > MAX_LABEL_LEN) {
        return Err(format!("`{name}` has a label of {} octets; at most {MAX_LABEL_LEN} are allowed", l.len()));
    }
    let wire_len: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    if wire_len > 255 {
        return Err(format!("`{name}` is {wire_len} octets long on the wire; at most 255 are allowed"));
    }
    Ok(labels)
}

fn to_name(name: &str) -> Result<Name, String> {
    let labels = name_labels(name)?;
    if labels.is_empty() {
        return Ok(Name::root());
    }
    Name::from_labels(labels).map_err(|e| e.to_string())
}

/// A wire name as text: lower-case, no final dot, odd octets escaped as dig does.
fn name_text(name: &Name) -> String {
    let mut out = String::new();
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        for &b in label {
            let b = b.to_ascii_lowercase();
            match b {
                b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'*' => out.push(char::from(b)),
                0x21..=0x7e => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
    }
    out
}

fn to_record(r: &ZoneRecord) -> Result<Record, String> {
    let rdata = match &r.data {
        RecordData::A(ip) => RData::A(A(*ip)),
        RecordData::Mx { preference, exchange } => RData::MX(MX::new(*preference, to_name(exchange)?)),
        RecordData::Txt(t) => {
            // One TXT string holds at most 255 octets: split longer text.
            let bytes = t.as_bytes();
            let chunks: Vec<&[u8]> = if bytes.is_empty() { vec![bytes] } else { bytes.chunks(MAX_TXT_CHUNK).collect() };
            RData::TXT(TXT::from_bytes(chunks))
        }
        RecordData::Ptr(n) => RData::PTR(PTR(to_name(n)?)),
        RecordData::Cname(n) => RData::CNAME(CNAME(to_name(n)?)),
        RecordData::Ns(n) => RData::NS(NS(to_name(n)?)),
        RecordData::Soa(soa) => RData::SOA(SOA::new(
            to_name(&soa.mname)?,
            to_name(&soa.rname)?,
            soa.serial,
            i32::try_from(soa.refresh).unwrap_or(i32::MAX),
            i32::try_from(soa.retry).unwrap_or(i32::MAX),
            i32::try_from(soa.expire).unwrap_or(i32::MAX),
            soa.minimum,
        )),
    };
    Ok(Record::from_rdata(to_name(&r.name)?, r.ttl, rdata))
}

/// The records we model; others (AAAA, ...) and other classes give None.
fn from_record(r: &Record) -> Option<ZoneRecord> {
    if r.dns_class() != DNSClass::IN {
        return None;
    }
    let data = match r.data() {
        RData::A(a) => RecordData::A(a.0),
        RData::MX(mx) => RecordData::Mx { preference: mx.preference(), exchange: name_text(mx.exchange()) },
        RData::TXT(t) => {
            let bytes: Vec<u8> = t.txt_data().iter().flat_map(|s| s.iter().copied()).collect();
            RecordData::Txt(String::from_utf8_lossy(&bytes).into_owned())
        }
        RData::PTR(p) => RecordData::Ptr(name_text(&p.0)),
        RData::CNAME(c) => RecordData::Cname(name_text(&c.0)),
        RData::NS(n) => RecordData::Ns(name_text(&n.0)),
        RData::SOA(soa) => RecordData::Soa(Soa {
            mname: name_text(soa.mname()),
            rname: name_text(soa.rname()),
            serial: soa.serial(),
            refresh: u32::try_from(soa.refresh()).unwrap_or(0),
            retry: u32::try_from(soa.retry()).unwrap_or(0),
            expire: u32::try_from(soa.expire()).unwrap_or(0),
            minimum: soa.minimum(),
        }),
        _ => return None,
    };
    Some(ZoneRecord { name: name_text(r.name()), ttl: r.ttl(), data })
}

fn wire_question(q: &Question) -> Result<WireQuery, String> {
    Ok(WireQuery::query(to_name(&q.name)?, RecordType::from(q.qtype.code())))
}

/// A bare 12-octet header with no sections, built by hand so it cannot fail.
fn bare_header(id: u16, flags: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&[0; 8]);
    v
}

const FLAG_QR: u16 = 0x8000;
const FLAG_RD: u16 = 0x0100;

/// A standard query with RD set, or why the question cannot be encoded.
pub fn try_encode_query(id: u16, q: &Question) -> Result<Vec<u8>, String> {
    try_encode_query_edns(id, q, None)
}

/// A standard query with RD set and, if given, an EDNS OPT record.
pub fn try_encode_query_edns(id: u16, q: &Question, edns: Option<Edns>) -> Result<Vec<u8>, String> {
    let mut m = Message::new();
    m.set_id(id).set_message_type(MessageType::Query).set_op_code(OpCode::Query).set_recursion_desired(true);
    m.add_query(wire_question(q)?);
    if let Some(e) = edns {
        m.set_edns(e.wire());
    }
    m.to_vec().map_err(|e| e.to_string())
}

/// A standard query with RD set. A name that cannot go on the wire (an
/// empty label, too long) gives a query without a question, which a server
/// answers with FORMERR.
pub fn encode_query(id: u16, q: &Question) -> Vec<u8> {
    try_encode_query(id, q).unwrap_or_else(|_| bare_header(id, FLAG_RD))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    pub question: Question,
    pub recursion_desired: bool,
    /// The query's EDNS OPT record (RFC 6891), if it had one.
    pub edns: Option<Edns>,
}

/// What an EDNS OPT record says (RFC 6891 §6.1.3; the DO bit of RFC 3225).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns {
    /// The largest UDP message the sender can take.
    pub payload: u16,
    pub version: u8,
    /// DNSSEC OK: the sender wants DNSSEC records (the lab's zones are not
    /// signed, so none come; the bit is copied back as RFC 3225 §3 says).
    pub dnssec_ok: bool,
}

/// The largest UDP answer the lab's server sends and advertises: the size
/// DNS Flag Day 2020 recommends (no IP fragmentation on common paths).
pub const EDNS_PAYLOAD: u16 = 1232;
/// The limit for a UDP answer to a query without EDNS (RFC 1035 §4.2.1).
pub const CLASSIC_UDP_PAYLOAD: usize = 512;

impl Edns {
    /// The resolver's own OPT record: EDNS version 0, our payload size.
    pub fn ours() -> Edns {
        Edns { payload: EDNS_PAYLOAD, version: 0, dnssec_ok: false }
    }

    fn wire(self) -> WireEdns {
        let mut e = WireEdns::new();
        e.set_max_payload(self.payload.max(CLASSIC_UDP_PAYLOAD as u16))
            .set_version(self.version)
            .set_dnssec_ok(self.dnssec_ok);
        e
    }
}

/// How large a UDP answer to `q` may be: 512 octets without EDNS, else the
/// smaller of what the client and the server accept (never below 512, RFC 6891 §6.2.5).
pub fn udp_limit(q: &Query) -> usize {
    match q.edns {
        None => CLASSIC_UDP_PAYLOAD,
        Some(e) => usize::from(e.payload.min(EDNS_PAYLOAD)).max(CLASSIC_UDP_PAYLOAD),
    }
}

fn decode_message(bytes: &[u8]) -> Result<Message, String> {
    Message::from_vec(bytes).map_err(|e| format!("malformed DNS message ({} octets): {e}", bytes.len()))
}

/// Decodes a standard query with exactly one question of class IN.
pub fn decode_query(bytes: &[u8]) -> Result<Query, String> {
    let m = decode_message(bytes)?;
    if m.message_type() != MessageType::Query {
        return Err("not a query: the QR bit is set".into());
    }
    if m.op_code() != OpCode::Query {
        return Err(format!("opcode {:?} is not supported, only standard queries", m.op_code()));
    }
    let q = match m.queries() {
        [] => return Err("the query has no question".into()),
        [q] => q,
        qs => return Err(format!("the query has {} questions; only one is allowed", qs.len())),
    };
    if q.query_class() != DNSClass::IN {
        return Err(format!("class {:?} is not supported, only IN", q.query_class()));
    }
    let edns = m.extensions().as_ref().map(|e| Edns {
        payload: e.max_payload(),
        version: e.version(),
        dnssec_ok: e.flags().dnssec_ok,
    });
    Ok(Query {
        id: m.id(),
        question: Question { name: name_text(q.name()), qtype: QType::from_code(q.query_type().into()) },
        recursion_desired: m.recursion_desired(),
        edns,
    })
}

/// The answer a server gives to a query whose EDNS version it does not speak:
/// BADVERS with no records (RFC 6891 §6.1.3). None for version 0 or no EDNS.
pub fn edns_refusal(q: &Query) -> Option<Answer> {
    q.edns.filter(|e| e.version > 0).map(|_| Answer::empty(Rcode::BadVers, false))
}

struct Sections {
    answers: Vec<Record>,
    authority: Vec<Record>,
    additional: Vec<Record>,
}

fn build_response(q: &Query, rcode: Rcode, aa: bool, s: Sections, truncated: bool) -> Option<Vec<u8>> {
    let mut m = Message::new();
    m.set_id(q.id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(aa)
        .set_truncated(truncated)
        .set_recursion_desired(q.recursion_desired)
        .set_recursion_available(false)
        .set_response_code(rcode.to_wire());
    m.add_query(wire_question(&q.question).ok()?);
    m.insert_answers(s.answers);
    m.insert_name_servers(s.authority);
    m.insert_additionals(s.additional);
    if let Some(e) = q.edns {
        // Our OPT record: version 0, our payload size, the DO bit copied.
        m.set_edns(Edns { payload: EDNS_PAYLOAD, version: 0, dnssec_ok: e.dnssec_ok }.wire());
    }
    m.to_vec().ok()
}

/// The response to `q`: same id and question, QR set, AA as the answer
/// says, RD copied, RA clear, the authority section (a negative answer's
/// SOA), and an OPT record when the query had one. Answers that cannot be
/// encoded turn the response into SERVFAIL rather than silently dropping
/// records; a question that cannot be encoded leaves a bare SERVFAIL header.
pub fn encode_response(q: &Query, a: &Answer) -> Vec<u8> {
    encode_limited(q, a, usize::MAX)
}

/// The response to `q` over UDP: when it is larger than the client can take
/// (`udp_limit`), the records are left out and the TC bit set, so that the
/// client asks again over TCP (RFC 1035 §4.2.1, RFC 7766 §5); an answer
/// that fits without its additional section goes without it and without TC
/// (RFC 2181 §9: TC only when required data is missing).
pub fn encode_udp_response(q: &Query, a: &Answer) -> Vec<u8> {
    encode_limited(q, a, udp_limit(q))
}

fn encode_limited(q: &Query, a: &Answer, limit: usize) -> Vec<u8> {
    let sections = |additional: bool| -> Result<Sections, String> {
        Ok(Sections {
            answers: a.answers.iter().map(to_record).collect::<Result<_, _>>()?,
            authority: a.authority.iter().map(to_record).collect::<Result<_, _>>()?,
            additional: if additional {
                a.additional.iter().map(to_record).collect::<Result<_, _>>()?
            } else {
                Vec::new()
            },
        })
    };
    let empty = || Sections { answers: Vec::new(), authority: Vec::new(), additional: Vec::new() };
    let fits = |r: Vec<u8>| (r.len() <= limit).then_some(r);
    sections(true)
        .ok()
        .and_then(|s| build_response(q, a.rcode, a.authoritative, s, false))
        .and_then(|full| {
            fits(full)
                .or_else(|| {
                    let s = sections(false).ok()?;
                    build_response(q, a.rcode, a.authoritative, s, false).and_then(fits)
                })
                .or_else(|| build_response(q, a.rcode, a.authoritative, empty(), true))
        })
        .or_else(|| build_response(q, Rcode::ServFail, false, empty(), false))
        .unwrap_or_else(|| {
            let rd = if q.recursion_desired { FLAG_RD } else { 0 };
            bare_header(q.id, FLAG_QR | rd | u16::from(Rcode::ServFail.code()))
        })
}

/// A FORMERR reply for input that cannot be decoded, when at least its id
/// (2 octets) is there. The opcode and RD bit are copied when present.
/// Input that claims to be a response gets no reply, so that two servers
/// cannot bounce errors back and forth.
pub fn encode_formerr(bytes: &[u8]) -> Option<Vec<u8>> {
    error_reply(bytes, Rcode::FormErr)
}

/// The reply to a message that `decode_query` rejects: NOTIMP for a
/// well-formed query with an opcode other than QUERY (RFC 1035 §4.1.1: the
/// server does not support that kind of query), FORMERR for anything else,
/// and, as for `encode_formerr`, nothing for a response or a stub.
pub fn encode_rejection(bytes: &[u8]) -> Option<Vec<u8>> {
    let other_opcode =
        Message::from_vec(bytes).is_ok_and(|m| m.message_type() == MessageType::Query && m.op_code() != OpCode::Query);
    error_reply(bytes, if other_opcode { Rcode::NotImp } else { Rcode::FormErr })
}

/// An error reply with the id, opcode and RD bit of `bytes` and no sections.
fn error_reply(bytes: &[u8], rcode: Rcode) -> Option<Vec<u8>> {
    let id = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
    let flags = bytes.get(2).copied().unwrap_or(0);
    if flags & 0x80 != 0 {
        return None;
    }
    let opcode = (flags >> 3) & 0x0f;
    let rd = flags & 0x01 != 0;
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::from_u8(opcode))
        .set_recursion_desired(rd)
        .set_response_code(rcode.to_wire());
    m.to_vec().ok().or_else(|| {
        let rd = if rd { FLAG_RD } else { 0 };
        Some(bare_header(id, FLAG_QR | (u16::from(opcode) << 11) | rd | u16::from(rcode.code())))
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    pub question: Option<Question>,
    pub answer: Answer,
    /// The TC bit: the answer did not fit; ask again over TCP.
    pub truncated: bool,
}

/// Decodes a response. Answer records of types we do not model are skipped;
/// RCODEs we do not model read as SERVFAIL.
pub fn decode_response(bytes: &[u8]) -> Result<Response, String> {
    let m = decode_message(bytes)?;
    if m.message_type() != MessageType::Response {
        return Err("not a response: the QR bit is clear".into());
    }
    let question = m
        .queries()
        .first()
        .map(|q| Question { name: name_text(q.name()), qtype: QType::from_code(q.query_type().into()) });
    Ok(Response {
        id: m.id(),
        question,
        answer: Answer {
            rcode: Rcode::from_wire(m.response_code()),
            answers: m.answers().iter().filter_map(from_record).collect(),
            authoritative: m.authoritative(),
            authority: m.name_servers().iter().filter_map(from_record).collect(),
            additional: m.additionals().iter().filter_map(from_record).collect(),
        },
        truncated: m.truncated(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::test_util::*;
    use crate::proto::dns::{dig_answer, dig_question, dig_record};

    fn wire_q(id: u16, name: &str, qtype: QType) -> Query {
        Query { id, question: q(name, qtype), recursion_desired: true, edns: None }
    }

    #[test]
    fn query_round_trip() {
        for (name, qtype) in [
            ("example.com", QType::Mx),
            ("mx.example.com", QType::A),
            ("23.2.0.192.in-addr.arpa", QType::Ptr),
            ("example.com", QType::Txt),
            ("example.com", QType::Any),
            ("example.com", QType::Other(65)),
            ("www.example.com", QType::Cname),
            ("example.com", QType::Ns),
            ("", QType::Ns),
        ] {
            let question = q(name, qtype);
            let bytes = encode_query(4242, &question);
            let got = decode_query(&bytes).unwrap();
            assert_eq!(got, Query { id: 4242, question, recursion_desired: true, edns: None });
        }
        // Names are lower-cased and lose the final dot on the way.
        assert_eq!(
            decode_query(&encode_query(1, &q("MX.Example.COM.", QType::A))).unwrap().question.name,
            "mx.example.com"
        );
        // The header says: query, RD, one question.
        let m = Message::from_vec(&encode_query(9, &q("example.com", QType::A))).unwrap();
        assert_eq!(m.message_type(), MessageType::Query);
        assert!(m.recursion_desired());
        assert_eq!(m.queries().len(), 1);
    }

    #[test]
    fn response_round_trip() {
        let mut d = db();
        d.add(rec("null MX 0 ."));
        let long_txt = format!("{}ü{}", "x".repeat(254), "y".repeat(600));
        d.add(ZoneRecord { name: "long.example.com".into(), ttl: 1, data: RecordData::Txt(long_txt.clone()) });
        d.add(rec("empty TXT \"\""));
        d.add(rec("quote TXT \"a \\\"b\\\" c\""));
        for (name, qtype) in [
            ("example.com", QType::Mx),
            ("null.example.com", QType::Mx),
            ("example.com", QType::Txt),
            ("long.example.com", QType::Txt),
            ("empty.example.com", QType::Txt),
            ("quote.example.com", QType::Txt),
            ("example.com", QType::Any),
            ("www.example.com", QType::A),
            ("chain1.example.com", QType::A),
            ("ext.example.com", QType::A),
            ("gone.example.com", QType::A),
            ("nope.example.com", QType::A),
            ("y.example.com", QType::A),
            ("example.org", QType::A),
        ] {
            let qq = wire_q(7, name, qtype);
            let a = d.answer(&qq.question);
            let bytes = encode_response(&qq, &a);
            let r = decode_response(&bytes).unwrap();
            assert_eq!(
                r,
                Response { id: 7, question: Some(qq.question.clone()), answer: a, truncated: false },
                "{name} {qtype}"
            );
        }
        let a = d.answer(&q("long.example.com", QType::Txt));
        assert_eq!(a.answers[0].data, RecordData::Txt(long_txt));
    }

    #[test]
    fn negative_answers_carry_the_soa_on_the_wire() {
        let d = db();
        for (name, qtype) in [("nope.example.com", QType::A), ("a.example.com", QType::Mx), ("example.com", QType::Soa)]
        {
            let qq = wire_q(3, name, qtype);
            let a = d.answer(&qq.question);
            let r = decode_response(&encode_response(&qq, &a)).unwrap();
            assert_eq!(r.answer, a, "{name}");
        }
        let qq = wire_q(3, "nope.example.com", QType::A);
        let m = Message::from_vec(&encode_response(&qq, &d.answer(&qq.question))).unwrap();
        assert_eq!((m.answers().len(), m.name_servers().len()), (0, 1));
        assert_eq!(m.name_servers()[0].record_type(), RecordType::SOA);
    }

    #[test]
    fn edns_is_echoed_and_bad_versions_refused() {
        let d = db();
        let question = q("example.com", QType::Mx);
        // A query with OPT (payload 4096, DO set), as `dig +dnssec +bufsize=4096` sends.
        let edns = Edns { payload: 4096, version: 0, dnssec_ok: true };
        let bytes = try_encode_query_edns(5, &question, Some(edns)).unwrap();
        let qq = decode_query(&bytes).unwrap();
        assert_eq!(qq.edns, Some(edns));
        assert_eq!(udp_limit(&qq), usize::from(EDNS_PAYLOAD), "the smaller of theirs and ours");
        assert_eq!(edns_refusal(&qq), None);
        let m = Message::from_vec(&encode_udp_response(&qq, &d.answer(&question))).unwrap();
        let opt = m.extensions().as_ref().expect("the answer has an OPT record");
        assert_eq!((opt.max_payload(), opt.version(), opt.flags().dnssec_ok), (EDNS_PAYLOAD, 0, true));
        assert_eq!(m.answers().len(), 2);
        // Without OPT in the query, none in the answer, and the limit is 512.
        let plain = decode_query(&encode_query(6, &question)).unwrap();
        assert_eq!((plain.edns, udp_limit(&plain)), (None, CLASSIC_UDP_PAYLOAD));
        let m = Message::from_vec(&encode_response(&plain, &d.answer(&question))).unwrap();
        assert!(m.extensions().is_none());
        // A payload below 512 counts as 512 (RFC 6891 §6.2.5).
        let small = decode_query(&try_encode_query_edns(7, &question, Some(Edns { payload: 100, ..edns })).unwrap());
        assert_eq!(udp_limit(&small.unwrap()), CLASSIC_UDP_PAYLOAD);
        // EDNS version 1: BADVERS (16, its high bits in the OPT record), with our OPT.
        let v1 =
            decode_query(&try_encode_query_edns(8, &question, Some(Edns { version: 1, ..edns })).unwrap()).unwrap();
        let refusal = edns_refusal(&v1).expect("version 1 is refused");
        let bytes = encode_response(&v1, &refusal);
        let r = decode_response(&bytes).unwrap();
        assert_eq!(r.answer.rcode, Rcode::BadVers);
        assert_eq!(Message::from_vec(&bytes).unwrap().extensions().as_ref().map(|e| e.version()), Some(0));
    }

    #[test]
    fn udp_answers_too_large_are_truncated() {
        let mut d = db();
        for i in 0..40 {
            d.add(rec(&format!("big A 192.0.2.{i}")));
        }
        let question = q("big.example.com", QType::A);
        let a = d.answer(&question);
        let plain = decode_query(&encode_query(9, &question)).unwrap();
        // 40 A records are more than 512 octets: TC set, no records, the question kept.
        let udp = encode_udp_response(&plain, &a);
        assert!(udp.len() <= CLASSIC_UDP_PAYLOAD);
        let r = decode_response(&udp).unwrap();
        assert!(r.truncated);
        assert!(r.answer.answers.is_empty());
        assert_eq!(r.question, Some(question.clone()));
        // Over TCP the whole answer goes; with EDNS 1232 it fits in UDP too.
        let r = decode_response(&encode_response(&plain, &a)).unwrap();
        assert_eq!((r.truncated, r.answer.answers.len()), (false, 40));
        let with_edns = decode_query(&try_encode_query_edns(9, &question, Some(Edns::ours())).unwrap()).unwrap();
        let r = decode_response(&encode_udp_response(&with_edns, &a)).unwrap();
        assert_eq!((r.truncated, r.answer.answers.len()), (false, 40));
    }

    #[test]
    fn response_flags() {
        let d = db();
        let mut qq = wire_q(0xbeef, "example.com", QType::Mx);
        let m = Message::from_vec(&encode_response(&qq, &d.answer(&qq.question))).unwrap();
        assert_eq!(m.message_type(), MessageType::Response);
        assert_eq!(m.id(), 0xbeef);
        assert!(m.authoritative());
        assert!(m.recursion_desired());
        assert!(!m.recursion_available());
        assert_eq!(m.response_code(), ResponseCode::NoError);
        qq.recursion_desired = false;
        qq.question.name = "example.org".into();
        let m = Message::from_vec(&encode_response(&qq, &d.answer(&qq.question))).unwrap();
        assert!(!m.authoritative());
        assert!(!m.recursion_desired());
        assert_eq!(m.response_code(), ResponseCode::Refused);
        for rcode in [Rcode::NoError, Rcode::FormErr, Rcode::ServFail, Rcode::NxDomain, Rcode::NotImp, Rcode::Refused] {
            let a = Answer { rcode, answers: Vec::new(), authoritative: false, authority: vec![], additional: vec![] };
            assert_eq!(decode_response(&encode_response(&qq, &a)).unwrap().answer.rcode, rcode);
        }
    }

    #[test]
    fn unencodable_answers_become_servfail() {
        let qq = wire_q(3, "example.com", QType::Mx);
        let bad = ZoneRecord { name: "example.com".into(), ttl: 1, data: mx(10, "a..b") };
        let a = Answer {
            rcode: Rcode::NoError,
            answers: vec![bad],
            authoritative: true,
            authority: vec![],
            additional: vec![],
        };
        let r = decode_response(&encode_response(&qq, &a)).unwrap();
        assert_eq!(
            r.answer,
            Answer {
                rcode: Rcode::ServFail,
                answers: Vec::new(),
                authoritative: false,
                authority: vec![],
                additional: vec![]
            }
        );
        assert_eq!(r.question, Some(qq.question.clone()));
        // Even the question is bad: a bare SERVFAIL header.
        let qq = wire_q(4, &"x".repeat(70), QType::A);
        let r = decode_response(&encode_response(
            &qq,
            &Answer {
                rcode: Rcode::NoError,
                answers: vec![],
                authoritative: true,
                authority: vec![],
                additional: vec![],
            },
        ))
        .unwrap();
        assert_eq!((r.id, r.question, r.answer.rcode), (4, None, Rcode::ServFail));
    }

    #[test]
    fn unencodable_question_gives_formerr_query() {
        for name in ["a..b", &"x".repeat(64), &vec!["abcdefghij"; 30].join("."), "trailing\\"] {
            assert!(try_encode_query(1, &q(name, QType::A)).is_err(), "{name}");
            let bytes = encode_query(0x1234, &q(name, QType::A));
            assert_eq!(decode_query(&bytes), Err("the query has no question".into()));
            let f = decode_response(&encode_formerr(&bytes).unwrap()).unwrap();
            assert_eq!((f.id, f.answer.rcode), (0x1234, Rcode::FormErr));
        }
    }

    #[test]
    fn odd_octets_in_names_survive_round_trip() {
        // Labels with a dot, a space or a high octet travel escaped.
        let n = Name::from_labels(vec![&b"a.b"[..], &b"c d"[..], &[0xff, b'Q'][..], &b"com"[..]]).unwrap();
        let text = name_text(&n);
        assert_eq!(text, "a\\.b.c\\032d.\\255q.com");
        assert_eq!(to_name(&text).unwrap(), n);
        let question = q(&text, QType::A);
        assert_eq!(decode_query(&encode_query(5, &question)).unwrap().question, question);
        assert_eq!(dig_question(&question), "a\\.b.c\\032d.\\255q.com. IN A");
        assert!(to_name("a\\256").is_err());
        assert!(to_name("a\\25").is_err());
    }

    #[test]
    fn decode_query_rejects() {
        let d = db();
        let qq = wire_q(1, "example.com", QType::A);
        let resp = encode_response(&qq, &d.answer(&qq.question));
        assert!(decode_query(&resp).unwrap_err().contains("not a query"));
        assert!(decode_response(&encode_query(1, &qq.question)).unwrap_err().contains("not a response"));

        let name = Name::from_ascii("example.com.").unwrap();
        let mut m = Message::new();
        m.set_id(2).set_message_type(MessageType::Query).set_op_code(OpCode::Query);
        assert!(decode_query(&m.to_vec().unwrap()).unwrap_err().contains("no question"));
        m.add_query(WireQuery::query(name.clone(), RecordType::A));
        m.add_query(WireQuery::query(name.clone(), RecordType::MX));
        assert!(decode_query(&m.to_vec().unwrap()).unwrap_err().contains("2 questions"));

        let mut m = Message::new();
        m.set_id(3).set_message_type(MessageType::Query).set_op_code(OpCode::Update);
        m.add_query(WireQuery::query(name.clone(), RecordType::A));
        assert!(decode_query(&m.to_vec().unwrap()).unwrap_err().contains("opcode"));

        let mut m = Message::new();
        let mut wq = WireQuery::query(name, RecordType::TXT);
        wq.set_query_class(DNSClass::CH);
        m.set_id(4).set_message_type(MessageType::Query).add_query(wq);
        assert!(decode_query(&m.to_vec().unwrap()).unwrap_err().contains("class"));
    }

    #[test]
    fn decode_response_skips_unmodelled_records() {
        let name = Name::from_ascii("example.com.").unwrap();
        let mut m = Message::new();
        m.set_id(11).set_message_type(MessageType::Response).set_authoritative(true);
        m.add_query(WireQuery::query(name.clone(), RecordType::ANY));
        m.add_answer(Record::from_rdata(
            name.clone(),
            60,
            RData::AAAA(hickory_proto::rr::rdata::AAAA("2001:db8::1".parse().unwrap())),
        ));
        m.add_answer(Record::from_rdata(name.clone(), 60, RData::A(A(ip("192.0.2.1")))));
        let mut ch = Record::from_rdata(name, 60, RData::A(A(ip("192.0.2.2"))));
        ch.set_dns_class(DNSClass::CH);
        m.add_answer(ch);
        m.set_response_code(ResponseCode::YXDomain);
        let r = decode_response(&m.to_vec().unwrap()).unwrap();
        assert_eq!(
            r.answer.answers,
            vec![ZoneRecord { name: "example.com".into(), ttl: 60, data: RecordData::A(ip("192.0.2.1")) }]
        );
        assert_eq!(r.question, Some(q("example.com", QType::Any)));
        assert_eq!(r.answer.rcode, Rcode::ServFail);
        assert!(r.answer.authoritative);
    }

    #[test]
    fn formerr() {
        let f = encode_formerr(&[0x12, 0x34]).unwrap();
        let r = decode_response(&f).unwrap();
        assert_eq!(
            r,
            Response {
                id: 0x1234,
                question: None,
                answer: Answer {
                    rcode: Rcode::FormErr,
                    answers: vec![],
                    authoritative: false,
                    authority: vec![],
                    additional: vec![]
                },
                truncated: false,
            }
        );
        // Opcode and RD are copied.
        let f = encode_formerr(&[0xab, 0xcd, 0x01, 0x00, 0xff]).unwrap();
        let m = Message::from_vec(&f).unwrap();
        assert_eq!((m.id(), m.op_code(), m.recursion_desired()), (0xabcd, OpCode::Query, true));
        assert_eq!(m.response_code(), ResponseCode::FormErr);
        let m = Message::from_vec(&encode_formerr(&[0, 1, 5 << 3]).unwrap()).unwrap();
        assert_eq!(m.op_code(), OpCode::Update);
        // Too short for an id, or a response: no reply.
        assert!(encode_formerr(&[]).is_none());
        assert!(encode_formerr(&[1]).is_none());
        assert!(encode_formerr(&[1, 2, 0x80]).is_none());
    }

    #[test]
    fn rejection_is_notimp_for_other_opcodes_and_formerr_for_the_rest() {
        let name = Name::from_ascii("example.com.").unwrap();
        let rcode = |bytes: &[u8]| decode_response(&encode_rejection(bytes).unwrap()).unwrap().answer.rcode;
        // A well-formed UPDATE, NOTIFY or IQUERY: NOTIMP, with id and opcode copied.
        for op in [OpCode::Update, OpCode::Notify, OpCode::from_u8(1)] {
            let mut m = Message::new();
            m.set_id(21).set_message_type(MessageType::Query).set_op_code(op);
            m.add_query(WireQuery::query(name.clone(), RecordType::SOA));
            let bytes = m.to_vec().unwrap();
            assert!(decode_query(&bytes).unwrap_err().contains("opcode"));
            let r = Message::from_vec(&encode_rejection(&bytes).unwrap()).unwrap();
            assert_eq!((r.id(), r.op_code(), r.response_code()), (21, op, ResponseCode::NotImp));
            // Cut short, the same message is malformed: FORMERR.
            assert_eq!(rcode(&bytes[..bytes.len() - 1]), Rcode::FormErr);
        }
        // Malformed queries and ones with the wrong number of questions: FORMERR.
        assert_eq!(rcode(&[0x12, 0x34]), Rcode::FormErr);
        assert_eq!(rcode(&encode_query(5, &q("a..b", QType::A))), Rcode::FormErr);
        // Responses and stubs get nothing, as with encode_formerr.
        let qq = wire_q(6, "example.com", QType::A);
        assert_eq!(encode_rejection(&encode_response(&qq, &db().answer(&qq.question))), None);
        assert_eq!(encode_rejection(&[1]), None);
    }

    /// Pseudo-random bytes from a fixed seed.
    fn junk(seed: &mut u32, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (*seed >> 16) as u8
            })
            .collect()
    }

    fn poke(bytes: &[u8]) {
        let _ = decode_query(bytes);
        let _ = decode_response(bytes);
        let _ = encode_formerr(bytes);
        let _ = encode_rejection(bytes);
        if let Ok(qq) = decode_query(bytes) {
            let a = db().answer(&qq.question);
            let _ = dig_answer(&qq.question, &a);
            assert!(decode_response(&encode_response(&qq, &a)).is_ok());
        }
        if let Ok(r) = decode_response(bytes) {
            for rec in &r.answer.answers {
                let _ = dig_record(rec);
            }
        }
    }

    #[test]
    fn truncated_messages_never_panic() {
        let d = db();
        let qq = wire_q(77, "chain1.example.com", QType::A);
        let resp = encode_response(&qq, &d.answer(&qq.question));
        let query = encode_query(77, &qq.question);
        let mut any = wire_q(78, "example.com", QType::Any);
        any.recursion_desired = false;
        let resp2 = encode_response(&any, &d.answer(&any.question));
        for msg in [&resp, &query, &resp2] {
            for cut in 0..msg.len() {
                let prefix = &msg[..cut];
                poke(prefix);
                assert!(decode_response(prefix).is_err() || cut >= 12, "cut {cut}");
            }
            poke(msg);
        }
        assert!(decode_query(&query[..query.len() - 1]).is_err());
        assert!(decode_response(&resp[..resp.len() - 1]).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12_345;
        for len in 0..600 {
            poke(&junk(&mut seed, len % 200));
        }
        for b in [0x00, 0xff, 0xc0, 0x3f] {
            for len in [1, 2, 11, 12, 13, 40, 512] {
                poke(&vec![b; len]);
            }
        }
        // A header claiming one question whose name points at itself.
        poke(&[0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
        // Huge counts with no data.
        poke(&[0, 1, 0x80, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        // Flip every bit of a good response, one at a time.
        let d = db();
        let qq = wire_q(5, "www.example.com", QType::A);
        let good = encode_response(&qq, &d.answer(&qq.question));
        for i in 0..good.len() * 8 {
            let mut b = good.clone();
            b[i / 8] ^= 1 << (i % 8);
            poke(&b);
        }
        // Random bytes after a valid header and question.
        let query = encode_query(6, &q("example.com", QType::Mx));
        for len in 0..100 {
            let mut b = query.clone();
            b.extend(junk(&mut seed, len));
            poke(&b);
        }
    }
}

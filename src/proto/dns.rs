//! A sans-IO DNS core: zone lines, an authoritative answer database, the
//! RFC 1035 wire format (through hickory-proto) and dig-like text.
//!
//! Names are kept lower-case, absolute and without the final dot
//! (`mx.example.com`); the root, the target of a null MX, is the empty
//! string. Nothing here does I/O, reads a clock or draws random numbers,
//! and no input, however malformed, makes it panic.

use hickory_proto::op::{Message, MessageType, OpCode, Query as WireQuery, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, MX, NS, PTR, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

pub const DEFAULT_TTL: u32 = 3600;

/// Longest CNAME chain that `DnsDb::answer` follows.
const MAX_CNAME_HOPS: usize = 8;
/// Limits of a name in text form (no final dot) and of one label.
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;
/// Longest single string inside a TXT record on the wire.
const MAX_TXT_CHUNK: usize = 255;

const SUPPORTED_TYPES: &str = "A, MX, TXT, PTR, CNAME and NS";

// ---------------------------------------------------------------------------
// Data model

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
    /// The query type that selects this record.
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

    /// The data part as dig prints it (after the type).
    pub fn rdata_text(&self) -> String {
        match self {
            RecordData::A(ip) => ip.to_string(),
            RecordData::Mx { preference, exchange } => format!("{preference} {}", dotted(exchange)),
            RecordData::Txt(t) => quote_txt(t),
            RecordData::Ptr(n) | RecordData::Cname(n) | RecordData::Ns(n) => dotted(n),
        }
    }

    /// The same data with every name in normal form.
    fn normalized(&self) -> RecordData {
        match self {
            RecordData::A(ip) => RecordData::A(*ip),
            RecordData::Mx { preference, exchange } => {
                RecordData::Mx { preference: *preference, exchange: normalize_name(exchange) }
            }
            RecordData::Txt(t) => RecordData::Txt(t.clone()),
            RecordData::Ptr(n) => RecordData::Ptr(normalize_name(n)),
            RecordData::Cname(n) => RecordData::Cname(normalize_name(n)),
            RecordData::Ns(n) => RecordData::Ns(normalize_name(n)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ZoneRecord {
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

impl fmt::Display for ZoneRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&dig_record(self))
    }
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

impl QType {
    /// The numeric type code (RFC 1035 §3.2.2).
    pub fn code(self) -> u16 {
        match self {
            QType::A => 1,
            QType::Ns => 2,
            QType::Cname => 5,
            QType::Ptr => 12,
            QType::Mx => 15,
            QType::Txt => 16,
            QType::Any => 255,
            QType::Other(n) => n,
        }
    }

    /// The type for a numeric code; codes we model get their own variant.
    pub fn from_code(code: u16) -> QType {
        match code {
            1 => QType::A,
            2 => QType::Ns,
            5 => QType::Cname,
            12 => QType::Ptr,
            15 => QType::Mx,
            16 => QType::Txt,
            255 => QType::Any,
            n => QType::Other(n),
        }
    }

    /// `Other(15)` becomes `Mx`, and so on.
    pub fn normalized(self) -> QType {
        QType::from_code(self.code())
    }
}

impl From<u16> for QType {
    fn from(code: u16) -> Self {
        QType::from_code(code)
    }
}

impl From<QType> for u16 {
    fn from(t: QType) -> Self {
        t.code()
    }
}

impl fmt::Display for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.normalized() {
            QType::A => f.write_str("A"),
            QType::Mx => f.write_str("MX"),
            QType::Txt => f.write_str("TXT"),
            QType::Ptr => f.write_str("PTR"),
            QType::Cname => f.write_str("CNAME"),
            QType::Ns => f.write_str("NS"),
            QType::Any => f.write_str("ANY"),
            QType::Other(n) => write!(f, "TYPE{n}"),
        }
    }
}

impl FromStr for QType {
    type Err = String;

    /// Accepts the names `Display` prints, in any case, and `TYPEnnn`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let u = s.trim().to_ascii_uppercase();
        match u.as_str() {
            "A" => Ok(QType::A),
            "MX" => Ok(QType::Mx),
            "TXT" => Ok(QType::Txt),
            "PTR" => Ok(QType::Ptr),
            "CNAME" => Ok(QType::Cname),
            "NS" => Ok(QType::Ns),
            "ANY" | "*" => Ok(QType::Any),
            _ => u
                .strip_prefix("TYPE")
                .and_then(|n| n.parse::<u16>().ok())
                .map(QType::from_code)
                .ok_or_else(|| format!("unknown query type `{s}` (known: {SUPPORTED_TYPES}, ANY or TYPEnnn)")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: QType,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&dig_question(self))
    }
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

impl Rcode {
    /// The 4-bit RCODE of the header.
    pub fn code(self) -> u8 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
        }
    }

    fn to_wire(self) -> ResponseCode {
        match self {
            Rcode::NoError => ResponseCode::NoError,
            Rcode::FormErr => ResponseCode::FormErr,
            Rcode::ServFail => ResponseCode::ServFail,
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::NotImp => ResponseCode::NotImp,
            Rcode::Refused => ResponseCode::Refused,
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
            _ => Rcode::ServFail,
        }
    }
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub rcode: Rcode,
    pub answers: Vec<ZoneRecord>,
    pub authoritative: bool,
}

// ---------------------------------------------------------------------------
// Zone lines

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub message: String,
    pub hint: String,
    /// 0-based byte offset in the line where the problem starts.
    pub column: usize,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {} ({})", self.column + 1, self.message, self.hint)
    }
}

impl std::error::Error for RecordError {}

fn rerr(message: impl Into<String>, hint: impl Into<String>, column: usize) -> RecordError {
    RecordError { message: message.into(), hint: hint.into(), column }
}

/// One whitespace-separated word of a line and where it starts.
#[derive(Clone, Copy, Debug)]
struct Word<'a> {
    at: usize,
    text: &'a str,
}

fn split_words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(Word { at: s, text: line.get(s..i).unwrap_or_default() });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word { at: s, text: line.get(s..).unwrap_or_default() });
    }
    out
}

/// Lower-case, trimmed, without one final (unescaped) dot.
fn normalize_name(name: &str) -> String {
    let n = name.trim();
    let n = match n.strip_suffix('.') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => n,
    };
    n.to_ascii_lowercase()
}

/// Is `name` equal to `origin` or below it? Everything is below the root "".
fn is_under(name: &str, origin: &str) -> bool {
    origin.is_empty() || name == origin || name.strip_suffix(origin).is_some_and(|p| p.ends_with('.'))
}

fn label_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Checks the labels of `body` (a name without its final dot); on a problem
/// gives the message, hint and byte offset inside `body`.
fn check_labels(body: &str) -> Result<(), (String, String, usize)> {
    let mut offset = 0;
    for label in body.split('.') {
        if label.is_empty() {
            return Err((
                format!("`{body}` has an empty label (two dots in a row, or a dot at the start)"),
                "separate labels with single dots, e.g. `mx.example.com.`".into(),
                offset,
            ));
        }
        if let Some((i, c)) = label.char_indices().find(|&(_, c)| !label_char_ok(c)) {
            let hint = if c == '@' {
                "`@` alone stands for the zone itself; it cannot be part of a longer name"
            } else if c == '*' {
                "wildcard names are not supported; write each name out"
            } else if !c.is_ascii() {
                "use letters, digits, `-` and `_`; write an internationalised name in its xn-- (punycode) form"
            } else {
                "use only letters, digits, `-` and `_` between the dots"
            };
            return Err((format!("`{body}` contains `{c}`, which is not allowed in a name"), hint.into(), offset + i));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err((
                format!("the label `{label}` is {} characters long; at most {MAX_LABEL_LEN} are allowed", label.len()),
                "shorten that part of the name".into(),
                offset,
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err((
                format!("the label `{label}` begins or ends with `-`"),
                "a hyphen may only stand inside a label, e.g. `mail-1`".into(),
                offset,
            ));
        }
        offset += label.len() + 1;
    }
    Ok(())
}

/// Resolves a name written in a zone line (`@`, `name.` or relative `name`)
/// against the origin, checking its syntax.
fn zone_name(w: Word<'_>, origin: &str) -> Result<String, RecordError> {
    let text = w.text;
    if text == "@" {
        return Ok(origin.to_string());
    }
    if text == "." {
        return Ok(String::new());
    }
    let (body, absolute) = match text.strip_suffix('.') {
        Some(b) => (b, true),
        None => (text, false),
    };
    check_labels(body).map_err(|(m, h, i)| rerr(m, h, w.at + i))?;
    let lower = body.to_ascii_lowercase();
    if !absolute && !origin.is_empty() && is_under(&lower, origin) {
        // `mx.example.com` in zone example.com means mx.example.com.example.com:
        // almost always a forgotten final dot.
        return Err(rerr(
            format!("`{text}` has no final dot, so it is relative to the zone and would mean `{lower}.{origin}`"),
            format!("end a full name with a dot: `{text}.`"),
            w.at,
        ));
    }
    let full = if absolute || origin.is_empty() { lower } else { format!("{lower}.{origin}") };
    if full.len() > MAX_NAME_LEN {
        return Err(rerr(
            format!("the name `{full}` is {} characters long; at most {MAX_NAME_LEN} are allowed", full.len()),
            "use a shorter name",
            w.at,
        ));
    }
    Ok(full)
}

enum TtlError {
    Syntax,
    TooLarge,
}

/// A TTL: seconds, or BIND-style units such as `1h30m` (s, m, h, d, w).
fn parse_ttl(t: &str) -> Result<u32, TtlError> {
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in t.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = num.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(u64::from(d)));
            num = Some(n.ok_or(TtlError::TooLarge)?);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(TtlError::Syntax),
        };
        let n = num.take().ok_or(TtlError::Syntax)?;
        total = n.checked_mul(unit).and_then(|v| v.checked_add(total)).ok_or(TtlError::TooLarge)?;
    }
    if let Some(n) = num {
        total = total.checked_add(n).ok_or(TtlError::TooLarge)?;
    }
    u32::try_from(total).map_err(|_| TtlError::TooLarge)
}

/// Error for a word left over after the data.
fn extra_word(w: Word<'_>, after: &str, hint: &str) -> RecordError {
    if w.text.starts_with(';') {
        rerr(
            "comments are not allowed inside a record",
            "remove the `;` and what follows; a YAML comment (`#`) goes outside the quotes",
            w.at,
        )
    } else {
        rerr(format!("unexpected `{}` after the {after}", w.text), hint, w.at)
    }
}

/// Text of a TXT record written as one or more quoted strings (joined).
fn parse_quoted(raw: &str, base: usize) -> Result<String, RecordError> {
    let mut out = String::new();
    let mut chars = raw.char_indices().peekable();
    loop {
        while chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let Some((qi, c)) = chars.next() else { break };
        if c != '"' {
            return Err(rerr(
                "unexpected text after the closing `\"`",
                "put all of the text inside the quotes, e.g. `@ TXT \"v=spf1 mx -all\"`",
                base + qi,
            ));
        }
        let mut closed = false;
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                '"' => {
                    closed = true;
                    break;
                }
                c => out.push(c),
            }
        }
        if !closed {
            return Err(rerr(
                "the text has no closing `\"`",
                "end the text with a double quote, e.g. `@ TXT \"v=spf1 mx -all\"`; write `\\\"` for a quote inside it",
                base + qi,
            ));
        }
    }
    Ok(out)
}

/// Parses one zone-file-like line: `NAME [TTL] [IN] TYPE RDATA`.
///
/// NAME is `@` for the origin, absolute when it ends in a dot, and relative
/// to the origin otherwise; names in RDATA follow the same rule. Names must
/// lie inside the origin's zone. Every error says where and how to mend it.
pub fn parse_record(line: &str, origin: &str) -> Result<ZoneRecord, RecordError> {
    let origin = normalize_name(origin);
    if !origin.is_empty()
        && let Err((m, _, _)) = check_labels(&origin)
    {
        return Err(rerr(
            format!("the zone `{origin}` is not a valid domain name: {m}"),
            "name the zone like `example.com`",
            0,
        ));
    }
    let words = split_words(line);
    let end = line.trim_end().len();
    let Some(&name_word) = words.first() else {
        return Err(rerr("the record is empty", "write it as `NAME [TTL] [IN] TYPE DATA`, e.g. `mx A 192.0.2.25`", 0));
    };
    let name = zone_name(name_word, &origin)?;
    if !is_under(&name, &origin) {
        return Err(rerr(
            format!("`{}` is outside the zone {origin}", dotted(&name)),
            format!(
                "name records inside the zone: `@`, a short name such as `mx`, or a full name ending in `.{origin}.`"
            ),
            name_word.at,
        ));
    }

    // Optional TTL and class, in either order.
    let mut i = 1;
    let mut ttl: Option<u32> = None;
    let mut class_seen = false;
    while let Some(&w) = words.get(i) {
        if w.text.starts_with(|c: char| c.is_ascii_digit()) {
            if w.text.parse::<Ipv4Addr>().is_ok() {
                return Err(rerr(
                    format!("the record has no type before `{}`", w.text),
                    format!("put the type before the data, e.g. `{} A {}`", name_word.text, w.text),
                    w.at,
                ));
            }
            if ttl.is_some() {
                return Err(rerr(format!("a second TTL `{}`", w.text), "write one TTL, right after the name", w.at));
            }
            ttl = Some(parse_ttl(w.text).map_err(|e| match e {
                TtlError::Syntax => rerr(
                    format!("`{}` is not a TTL", w.text),
                    "a TTL is a number of seconds such as 3600, or a time such as 1h, 30m or 1d",
                    w.at,
                ),
                TtlError::TooLarge => rerr(
                    format!("the TTL `{}` is too large", w.text),
                    format!("a TTL is at most {} seconds; 3600 (an hour) is usual", u32::MAX),
                    w.at,
                ),
            })?);
        } else if w.text.eq_ignore_ascii_case("IN") {
            if class_seen {
                return Err(rerr("the class `IN` is written twice", "write `IN` once, before the type", w.at));
            }
            class_seen = true;
        } else if ["CH", "CS", "HS"].iter().any(|c| w.text.eq_ignore_ascii_case(c)) {
            return Err(rerr(
                format!("class `{}` is not supported", w.text),
                "only the Internet class `IN` is supported; it may be left out",
                w.at,
            ));
        } else {
            break;
        }
        i += 1;
    }
    let ttl = ttl.unwrap_or(DEFAULT_TTL);

    let Some(&type_word) = words.get(i) else {
        return Err(rerr(
            "the record has no type",
            format!(
                "after the name write a type and its data, e.g. `mx A 192.0.2.25`; the types are {SUPPORTED_TYPES}"
            ),
            end,
        ));
    };
    let rest = words.get(i + 1..).unwrap_or_default();
    let kind = type_word.text.to_ascii_uppercase();
    let data = match kind.as_str() {
        "A" => {
            let Some(&w) = rest.first() else {
                return Err(rerr("A record needs an IPv4 address", "write it as `mx A 192.0.2.25`", end));
            };
            let ip = w.text.parse::<Ipv4Addr>().map_err(|_| {
                rerr(
                    format!("`{}` is not an IPv4 address", w.text),
                    "write four numbers from 0 to 255 separated by dots, e.g. `192.0.2.25`",
                    w.at,
                )
            })?;
            if let Some(&x) = rest.get(1) {
                return Err(extra_word(x, "address", "an A record holds one address; write one record per address"));
            }
            RecordData::A(ip)
        }
        "MX" => {
            let (Some(&p), Some(&e)) = (rest.first(), rest.get(1)) else {
                let at = match rest.first() {
                    Some(w) if !w.text.bytes().all(|b| b.is_ascii_digit()) => w.at,
                    _ => end,
                };
                return Err(rerr(
                    "MX record needs a preference and a mail exchanger",
                    "write it as `@ MX 10 mx.example.com.`",
                    at,
                ));
            };
            let pref_hint =
                "the preference is a number from 0 to 65535 (lower is tried first), e.g. `@ MX 10 mx.example.com.`";
            if !p.text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(rerr(format!("`{}` is not a preference", p.text), pref_hint, p.at));
            }
            let preference = p
                .text
                .parse::<u16>()
                .map_err(|_| rerr(format!("the preference `{}` is too large", p.text), pref_hint, p.at))?;
            let exchange = if e.text == "." {
                if preference != 0 {
                    return Err(rerr(
                        "a null MX (`.`) must have preference 0",
                        "write it as `@ MX 0 .` (RFC 7505)",
                        p.at,
                    ));
                }
                String::new()
            } else {
                zone_name(e, &origin)?
            };
            if let Some(&x) = rest.get(2) {
                return Err(extra_word(
                    x,
                    "mail exchanger",
                    "an MX record holds one preference and one name; write one record per mail exchanger",
                ));
            }
            RecordData::Mx { preference, exchange }
        }
        "TXT" => {
            let Some(&w) = rest.first() else {
                return Err(rerr("TXT record needs some text", "write it as `@ TXT \"v=spf1 mx -all\"`", end));
            };
            let raw = line.get(w.at..).unwrap_or_default().trim_end();
            if raw.starts_with('"') {
                RecordData::Txt(parse_quoted(raw, w.at)?)
            } else {
                RecordData::Txt(raw.to_string())
            }
        }
        "PTR" | "CNAME" | "NS" => {
            let example = match kind.as_str() {
                "PTR" => "`23 PTR pc1.example.com.`",
                "CNAME" => "`www CNAME web.example.com.`",
                _ => "`@ NS ns.example.com.`",
            };
            let Some(&w) = rest.first() else {
                return Err(rerr(format!("{kind} record needs a host name"), format!("write it as {example}"), end));
            };
            if w.text == "." {
                return Err(rerr("the root `.` is not a host name", format!("write it as {example}"), w.at));
            }
            let target = zone_name(w, &origin)?;
            if let Some(&x) = rest.get(1) {
                return Err(extra_word(x, "name", &format!("a {kind} record holds one name; write it as {example}")));
            }
            match kind.as_str() {
                "PTR" => RecordData::Ptr(target),
                "CNAME" => RecordData::Cname(target),
                _ => RecordData::Ns(target),
            }
        }
        _ => {
            let starts_with_type =
                ["A", "MX", "TXT", "PTR", "CNAME", "NS"].iter().any(|t| name_word.text.eq_ignore_ascii_case(t));
            let hint = if starts_with_type {
                format!(
                    "a record starts with its name (`@` for the zone itself), e.g. `@ MX 10 mx.example.com.`; the types are {SUPPORTED_TYPES}"
                )
            } else {
                format!("the supported types are {SUPPORTED_TYPES}")
            };
            return Err(rerr(format!("unknown record type `{}`", type_word.text), hint, type_word.at));
        }
    };
    Ok(ZoneRecord { name, ttl, data })
}

// ---------------------------------------------------------------------------
// The authoritative database

/// All zones a server is authoritative for, and their records.
#[derive(Clone, Debug, Default)]
pub struct DnsDb {
    /// name -> data -> ttl; a name holds each datum once.
    records: BTreeMap<String, BTreeMap<RecordData, u32>>,
    origins: BTreeSet<String>,
}

impl DnsDb {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the server authoritative for `origin` and every name below it.
    /// The root (`""` or `"."`) covers every name.
    pub fn add_zone(&mut self, origin: &str) {
        self.origins.insert(normalize_name(origin));
    }

    /// Adds a record; the same name and data twice is kept once (first TTL wins).
    pub fn add(&mut self, rec: ZoneRecord) {
        self.records.entry(normalize_name(&rec.name)).or_default().entry(rec.data.normalized()).or_insert(rec.ttl);
    }

    pub fn is_authoritative_for(&self, name: &str) -> bool {
        let n = normalize_name(name);
        self.origins.iter().any(|o| is_under(&n, o))
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
            return Answer { rcode: Rcode::Refused, answers: Vec::new(), authoritative: false };
        }
        let qtype = q.qtype.normalized();
        let mut answers = Vec::new();
        let mut rcode = Rcode::NoError;
        let mut seen = BTreeSet::new();
        let mut cur = name;
        loop {
            let Some(set) = self.records.get(&cur) else {
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
            seen.insert(cur);
            if seen.contains(&target) || seen.len() >= MAX_CNAME_HOPS || !self.is_authoritative_for(&target) {
                break;
            }
            cur = target;
        }
        Answer { rcode, answers, authoritative: true }
    }
}

// ---------------------------------------------------------------------------
// Wire format

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
    };
    Ok(Record::from_rdata(to_name(&r.name)?, r.ttl, rdata))
}

/// The records we model; others (AAAA, SOA, ...) and other classes give None.
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
    let mut m = Message::new();
    m.set_id(id).set_message_type(MessageType::Query).set_op_code(OpCode::Query).set_recursion_desired(true);
    m.add_query(wire_question(q)?);
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
    Ok(Query {
        id: m.id(),
        question: Question { name: name_text(q.name()), qtype: QType::from_code(q.query_type().into()) },
        recursion_desired: m.recursion_desired(),
    })
}

fn build_response(q: &Query, rcode: Rcode, aa: bool, answers: Vec<Record>) -> Option<Vec<u8>> {
    let mut m = Message::new();
    m.set_id(q.id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_authoritative(aa)
        .set_recursion_desired(q.recursion_desired)
        .set_recursion_available(false)
        .set_response_code(rcode.to_wire());
    m.add_query(wire_question(&q.question).ok()?);
    m.insert_answers(answers);
    m.to_vec().ok()
}

/// The response to `q`: same id and question, QR set, AA as the answer
/// says, RD copied, RA clear. Answers that cannot be encoded turn the
/// response into SERVFAIL rather than silently dropping records; a question
/// that cannot be encoded leaves a bare SERVFAIL header.
pub fn encode_response(q: &Query, a: &Answer) -> Vec<u8> {
    let records: Result<Vec<Record>, String> = a.answers.iter().map(to_record).collect();
    records
        .ok()
        .and_then(|recs| build_response(q, a.rcode, a.authoritative, recs))
        .or_else(|| build_response(q, Rcode::ServFail, false, Vec::new()))
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
        .set_response_code(ResponseCode::FormErr);
    m.to_vec().ok().or_else(|| {
        let rd = if rd { FLAG_RD } else { 0 };
        Some(bare_header(id, FLAG_QR | (u16::from(opcode) << 11) | rd | u16::from(Rcode::FormErr.code())))
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    pub question: Option<Question>,
    pub answer: Answer,
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
        },
    })
}

// ---------------------------------------------------------------------------
// dig-like text

/// A name with its final dot; the root is ".".
fn dotted(name: &str) -> String {
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

// ---------------------------------------------------------------------------
// Reverse and DNSBL names

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

    const ORIGIN: &str = "example.com";

    fn rec(line: &str) -> ZoneRecord {
        match parse_record(line, ORIGIN) {
            Ok(r) => r,
            Err(e) => panic!("{line:?}: {e}"),
        }
    }

    fn err(line: &str) -> RecordError {
        match parse_record(line, ORIGIN) {
            Ok(r) => panic!("{line:?} parsed as {r:?}"),
            Err(e) => e,
        }
    }

    /// Byte offset of `needle` in `line`, for expected columns.
    fn at(line: &str, needle: &str) -> usize {
        line.find(needle).unwrap()
    }

    fn mx(preference: u16, exchange: &str) -> RecordData {
        RecordData::Mx { preference, exchange: exchange.into() }
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn q(name: &str, qtype: QType) -> Question {
        Question { name: name.into(), qtype }
    }

    // ---- parse_record: each type and the name rules

    #[test]
    fn parses_a() {
        let r = rec("mx A 192.0.2.25");
        assert_eq!(
            r,
            ZoneRecord { name: "mx.example.com".into(), ttl: DEFAULT_TTL, data: RecordData::A(ip("192.0.2.25")) }
        );
    }

    #[test]
    fn parses_mx_relative_absolute_and_at() {
        assert_eq!(rec("@ MX 10 mx").data, mx(10, "mx.example.com"));
        assert_eq!(rec("@ MX 20 backup.example.net.").data, mx(20, "backup.example.net"));
        assert_eq!(rec("@ MX 30 @").data, mx(30, "example.com"));
        assert_eq!(rec("@ MX 65535 mx").data, mx(65535, "mx.example.com"));
        assert_eq!(rec("@ MX 10 mx").name, "example.com");
    }

    #[test]
    fn parses_null_mx() {
        let r = rec("@ MX 0 .");
        assert_eq!(r.data, mx(0, ""));
        assert_eq!(dig_record(&r), "example.com. 3600 IN MX 0 .");
    }

    #[test]
    fn parses_txt() {
        assert_eq!(rec("@ TXT \"v=spf1 mx -all\"").data, RecordData::Txt("v=spf1 mx -all".into()));
        assert_eq!(rec("@ TXT v=spf1 mx -all").data, RecordData::Txt("v=spf1 mx -all".into()));
        assert_eq!(rec("@ TXT \"v=spf1 \" \"-all\"").data, RecordData::Txt("v=spf1 -all".into()));
        assert_eq!(rec(r#"@ TXT "say \"hi\" \\ bye""#).data, RecordData::Txt(r#"say "hi" \ bye"#.into()));
        assert_eq!(rec("@ TXT \"\"").data, RecordData::Txt(String::new()));
        // Semicolons are text inside TXT.
        assert_eq!(rec("sel._domainkey TXT \"v=DKIM1; k=rsa\"").data, RecordData::Txt("v=DKIM1; k=rsa".into()));
        assert_eq!(rec("sel._domainkey TXT \"v=DKIM1; k=rsa\"").name, "sel._domainkey.example.com");
        // Text keeps its case and inner spacing; trailing space is dropped.
        assert_eq!(rec("@ TXT Hello   World  ").data, RecordData::Txt("Hello   World".into()));
    }

    #[test]
    fn parses_ptr_cname_ns() {
        let r = parse_record("23 PTR pc1.example.com.", "2.0.192.in-addr.arpa").unwrap();
        assert_eq!(r.name, "23.2.0.192.in-addr.arpa");
        assert_eq!(r.data, RecordData::Ptr("pc1.example.com".into()));
        assert_eq!(rec("www CNAME web").data, RecordData::Cname("web.example.com".into()));
        assert_eq!(rec("www CNAME web.example.org.").data, RecordData::Cname("web.example.org".into()));
        assert_eq!(rec("@ NS ns1").data, RecordData::Ns("ns1.example.com".into()));
        assert_eq!(rec("@ NS ns.example.net.").data, RecordData::Ns("ns.example.net".into()));
    }

    #[test]
    fn parses_ttl_class_case_and_spacing() {
        let r = rec("mx 300 IN A 192.0.2.25");
        assert_eq!((r.name.as_str(), r.ttl), ("mx.example.com", 300));
        assert_eq!(rec("mx IN 300 A 192.0.2.25").ttl, 300);
        assert_eq!(rec("mx in a 192.0.2.25").ttl, DEFAULT_TTL);
        assert_eq!(rec("mx 0 A 192.0.2.25").ttl, 0);
        assert_eq!(rec("mx 4294967295 A 192.0.2.25").ttl, u32::MAX);
        assert_eq!(rec("mx 1h A 192.0.2.25").ttl, 3600);
        assert_eq!(rec("mx 1h30m A 192.0.2.25").ttl, 5400);
        assert_eq!(rec("mx 1D A 192.0.2.25").ttl, 86_400);
        assert_eq!(rec("mx 1w2d3h4m5s A 192.0.2.25").ttl, 604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
        assert_eq!(rec("MX.Example.COM. mx 10 MX.EXAMPLE.COM.").data, mx(10, "mx.example.com"));
        assert_eq!(rec("MX.Example.COM. mx 10 MX.EXAMPLE.COM.").name, "mx.example.com");
        assert_eq!(rec("\t  mx\tA\t192.0.2.25\r").name, "mx.example.com");
        // Unicode whitespace (an ideographic space) separates words too.
        assert_eq!(rec("mx\u{3000}A 192.0.2.25").data, RecordData::A(ip("192.0.2.25")));
        assert_eq!(rec("_dmarc TXT \"v=DMARC1; p=none\"").name, "_dmarc.example.com");
        assert_eq!(rec("mail-1 A 192.0.2.1").name, "mail-1.example.com");
    }

    #[test]
    fn origin_forms() {
        // The origin may have a final dot and capitals.
        assert_eq!(parse_record("mx A 192.0.2.1", "Example.COM.").unwrap().name, "mx.example.com");
        // An empty origin (the root) takes names as they are.
        assert_eq!(parse_record("mx.example.org A 192.0.2.1", "").unwrap().name, "mx.example.org");
        assert_eq!(parse_record("@ MX 10 mx.example.com.", ".").unwrap().name, "");
        let e = parse_record("mx A 192.0.2.1", "bad..zone").unwrap_err();
        assert_eq!(e.column, 0);
        assert!(e.message.contains("zone"), "{e}");
    }

    // ---- parse_record: errors and their columns

    #[test]
    fn error_empty_line() {
        for line in ["", "   ", "\t"] {
            let e = err(line);
            assert_eq!(e.column, 0);
            assert!(e.message.contains("empty"), "{e}");
            assert!(e.hint.contains("TYPE"), "{e}");
        }
    }

    #[test]
    fn error_bad_owner_names() {
        let line = "bad!name A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, "!"));
        assert!(e.message.contains('!'), "{e}");

        let line = "  mx..x A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, ".x"));
        assert!(e.message.contains("empty label"), "{e}");

        let line = ".mx A 192.0.2.1";
        assert_eq!(err(line).column, 0);

        let long = "a".repeat(64);
        let line = format!("ok.{long} A 192.0.2.1");
        let e = err(&line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("64"), "{e}");

        let line = "x.-bad A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains('-'), "{e}");
        assert_eq!(err("bad- A 192.0.2.1").column, 0);

        let line = "b\u{fc}cher A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 1);
        assert!(e.hint.contains("punycode"), "{e}");

        let e = err("*.mx A 192.0.2.1");
        assert!(e.hint.contains("wildcard"), "{e}");

        let e = err("@mx A 192.0.2.1");
        assert_eq!(e.column, 0);
        assert!(e.hint.contains("`@` alone"), "{e}");
    }

    #[test]
    fn error_name_too_long() {
        // Labels are fine but the whole name passes 253 characters.
        let owner = vec!["a".repeat(60); 4].join(".");
        let line = format!("{owner} A 192.0.2.1");
        let e = err(&line);
        assert_eq!(e.column, 0);
        assert!(e.message.contains("253"), "{e}");
        // 253 exactly is fine.
        let exact = format!("{}.", vec!["b".repeat(49); 5].join(".") + ".abc");
        assert_eq!(exact.len() - 1, 253);
        assert!(parse_record(&format!("{exact} A 192.0.2.1"), "").is_ok());
    }

    #[test]
    fn error_owner_outside_zone() {
        let line = "mx.example.org. A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 0);
        assert!(e.message.contains("outside the zone example.com"), "{e}");
        assert!(err(". A 192.0.2.1").message.contains("outside"));
        // Inside, written absolutely, is fine.
        assert_eq!(rec("mx.example.com. A 192.0.2.1").name, "mx.example.com");
        assert_eq!(rec("example.com. MX 10 mx").name, "example.com");
    }

    #[test]
    fn error_forgotten_final_dot() {
        let line = "@ MX 10 mx.example.com";
        let e = err(line);
        assert_eq!(e.column, at(line, "mx."));
        assert!(e.message.contains("mx.example.com.example.com"), "{e}");
        assert!(e.hint.contains("`mx.example.com.`"), "{e}");
        let e = err("example.com A 192.0.2.1");
        assert_eq!(e.column, 0);
        assert!(e.hint.contains("`example.com.`"), "{e}");
        // A relative name merely ending like the zone is fine.
        assert_eq!(rec("www CNAME web.example.org").data, RecordData::Cname("web.example.org.example.com".into()));
    }

    #[test]
    fn error_ttl() {
        let line = "mx 3600x A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("not a TTL"), "{e}");
        let line = "mx 4294967296 A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("too large"), "{e}");
        assert!(err("mx 99999999999999999999999 A 192.0.2.1").message.contains("too large"));
        assert!(err("mx 5000000w A 192.0.2.1").message.contains("too large"));
        assert!(err("mx 1hh A 192.0.2.1").message.contains("not a TTL"));
        let line = "mx 300 600 A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, "600"));
        assert!(e.message.contains("second TTL"), "{e}");
        let line = "mx IN IN A 192.0.2.1";
        assert_eq!(err(line).column, 6);
        let line = "mx CH A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.hint.contains("IN"), "{e}");
    }

    #[test]
    fn error_missing_type() {
        let line = "mx";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains("no type"), "{e}");
        assert!(e.hint.contains("A, MX, TXT, PTR, CNAME and NS"), "{e}");
        let line = "mx 300 IN   ";
        assert_eq!(err(line).column, at(line, "IN") + 2);
        let line = "mx 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.hint.contains("`mx A 192.0.2.1`"), "{e}");
    }

    #[test]
    fn error_unknown_type() {
        let line = "@ SRV 1 2 3 x";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains("`SRV`"), "{e}");
        assert!(e.hint.contains("A, MX, TXT, PTR, CNAME and NS"), "{e}");
        let line = "mx 300 IN AAAA 2001:db8::1";
        assert_eq!(err(line).column, at(line, "AAAA"));
        // A line that forgot its name: "MX" is taken as the name.
        let line = "MX 10 mx.example.com.";
        let e = err(line);
        assert_eq!(e.column, at(line, "mx."));
        assert!(e.hint.contains("starts with its name"), "{e}");
    }

    #[test]
    fn error_a_data() {
        let line = "mx A";
        let e = err(line);
        assert_eq!(e.column, 4);
        assert!(e.message.contains("IPv4 address"), "{e}");
        for bad in ["192.0.2.256", "192.0.2", "mx.example.com.", "2001:db8::1", "192.0.2.1.5"] {
            let line = format!("mx A {bad}");
            let e = err(&line);
            assert_eq!(e.column, 5, "{line}");
            assert!(e.message.contains(bad), "{e}");
            assert!(e.hint.contains("0 to 255"), "{e}");
        }
        let line = "mx A 192.0.2.1 192.0.2.2";
        let e = err(line);
        assert_eq!(e.column, at(line, "192.0.2.2"));
        assert!(e.hint.contains("one record per address"), "{e}");
        let line = "mx A 192.0.2.1 ; the mail host";
        let e = err(line);
        assert_eq!(e.column, at(line, ";"));
        assert!(e.message.contains("comments"), "{e}");
    }

    #[test]
    fn error_mx_data() {
        let line = "@ MX";
        let e = err(line);
        assert_eq!(e.message, "MX record needs a preference and a mail exchanger");
        assert_eq!(e.hint, "write it as `@ MX 10 mx.example.com.`");
        assert_eq!(e.column, 4);
        let line = "@ MX 10";
        assert_eq!(err(line).column, 7);
        let line = "@ MX mx.example.com.";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("preference and a mail exchanger"), "{e}");
        let line = "@ MX ten mx";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("`ten` is not a preference"), "{e}");
        let line = "@ MX -1 mx";
        assert_eq!(err(line).column, 5);
        let line = "@ MX 65536 mx";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("too large"), "{e}");
        assert!(e.hint.contains("65535"), "{e}");
        let line = "@ MX 10 .";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("null MX"), "{e}");
        let line = "@ MX 10 mx backup";
        assert_eq!(err(line).column, at(line, "backup"));
        let line = "@ MX 10 bad_name!";
        assert_eq!(err(line).column, at(line, "!"));
    }

    #[test]
    fn error_txt_data() {
        let line = "@ TXT";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("needs some text"), "{e}");
        let line = "@ TXT \"v=spf1 -all";
        let e = err(line);
        assert_eq!(e.column, at(line, "\""));
        assert!(e.message.contains("closing"), "{e}");
        let line = "@ TXT \"a\" \"b";
        assert_eq!(err(line).column, at(line, "\"b"));
        let line = "@ TXT \"v=spf1\" -all";
        let e = err(line);
        assert_eq!(e.column, at(line, "-all"));
        assert!(e.hint.contains("inside the quotes"), "{e}");
        let line = "@ TXT \"ends in a backslash\\";
        assert_eq!(err(line).column, 6);
    }

    #[test]
    fn error_name_data() {
        for (line, kind) in [("23 PTR", "PTR"), ("www CNAME", "CNAME"), ("@ NS", "NS")] {
            let e = err(line);
            assert_eq!(e.column, line.len(), "{line}");
            assert_eq!(e.message, format!("{kind} record needs a host name"));
            assert!(e.hint.contains(kind), "{e}");
        }
        let line = "www CNAME .";
        let e = err(line);
        assert_eq!(e.column, 10);
        assert!(e.message.contains("root"), "{e}");
        let line = "www CNAME a b";
        assert_eq!(err(line).column, 12);
        let line = "www CNAME a..b";
        assert_eq!(err(line).column, at(line, ".b"));
        let line = "@ NS ns.example.com";
        assert!(err(line).message.contains("final dot"));
    }

    #[test]
    fn record_error_display() {
        let e = err("mx A 300.0.0.1");
        assert_eq!(
            e.to_string(),
            "column 6: `300.0.0.1` is not an IPv4 address (write four numbers from 0 to 255 separated by dots, e.g. `192.0.2.25`)"
        );
    }

    #[test]
    fn parse_never_panics() {
        let samples = [
            "@ MX 10 mx",
            "mx A 192.0.2.1",
            "@ TXT \"a\\\"b\" \"c\"",
            "23 PTR x.",
            "www 1h IN CNAME y",
            "\u{3000}é\u{1F600} MX 1 .",
        ];
        for s in samples {
            for end in 0..=s.len() {
                if let Some(prefix) = s.get(..end) {
                    let _ = parse_record(prefix, ORIGIN);
                    let _ = parse_record(prefix, "");
                    let _ = parse_record(ORIGIN, prefix);
                }
            }
        }
        let mut x: u32 = 7;
        let alphabet: Vec<char> = " \t.@\"\\;0123456789aAmMxX-_*é\u{3000}".chars().collect();
        for len in 0..300 {
            let line: String = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    alphabet[(x >> 16) as usize % alphabet.len()]
                })
                .collect();
            let _ = parse_record(&line, ORIGIN);
            let _ = parse_record(&format!("@ TXT {line}"), ORIGIN);
            let _ = parse_record(&format!("@ MX {line}"), ORIGIN);
        }
    }

    // ---- DnsDb::answer

    fn db() -> DnsDb {
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
        assert_eq!(types, vec![QType::Mx, QType::Mx, QType::Txt]);
        // ANY at an alias gives the alias only.
        assert_eq!(d.answer(&q("www.example.com", QType::Any)).answers.len(), 1);
        assert_eq!(d.answer(&q("y.example.com", QType::Any)).rcode, Rcode::NoError);
        // Other(15) is MX.
        assert_eq!(d.answer(&q("example.com", QType::Other(15))), d.answer(&q("example.com", QType::Mx)));
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

    // ---- wire format

    fn wire_q(id: u16, name: &str, qtype: QType) -> Query {
        Query { id, question: q(name, qtype), recursion_desired: true }
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
            assert_eq!(got, Query { id: 4242, question, recursion_desired: true });
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
            assert_eq!(r, Response { id: 7, question: Some(qq.question.clone()), answer: a }, "{name} {qtype}");
        }
        let a = d.answer(&q("long.example.com", QType::Txt));
        assert_eq!(a.answers[0].data, RecordData::Txt(long_txt));
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
            let a = Answer { rcode, answers: Vec::new(), authoritative: false };
            assert_eq!(decode_response(&encode_response(&qq, &a)).unwrap().answer.rcode, rcode);
        }
    }

    #[test]
    fn unencodable_answers_become_servfail() {
        let qq = wire_q(3, "example.com", QType::Mx);
        let bad = ZoneRecord { name: "example.com".into(), ttl: 1, data: mx(10, "a..b") };
        let a = Answer { rcode: Rcode::NoError, answers: vec![bad], authoritative: true };
        let r = decode_response(&encode_response(&qq, &a)).unwrap();
        assert_eq!(r.answer, Answer { rcode: Rcode::ServFail, answers: Vec::new(), authoritative: false });
        assert_eq!(r.question, Some(qq.question.clone()));
        // Even the question is bad: a bare SERVFAIL header.
        let qq = wire_q(4, &"x".repeat(70), QType::A);
        let r = decode_response(&encode_response(
            &qq,
            &Answer { rcode: Rcode::NoError, answers: vec![], authoritative: true },
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
                answer: Answer { rcode: Rcode::FormErr, answers: vec![], authoritative: false }
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

    // ---- text forms

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
        let sf = Answer { rcode: Rcode::ServFail, answers: vec![], authoritative: false };
        assert_eq!(dig_answer(&rq, &sf), "SERVFAIL example.org. IN A");
    }

    #[test]
    fn qtype_and_rcode_text() {
        let all = [
            (QType::A, "A"),
            (QType::Mx, "MX"),
            (QType::Txt, "TXT"),
            (QType::Ptr, "PTR"),
            (QType::Cname, "CNAME"),
            (QType::Ns, "NS"),
            (QType::Any, "ANY"),
            (QType::Other(65), "TYPE65"),
        ];
        for (t, s) in all {
            assert_eq!(t.to_string(), s);
            assert_eq!(s.parse::<QType>(), Ok(t));
            assert_eq!(s.to_ascii_lowercase().parse::<QType>(), Ok(t));
            assert_eq!(QType::from(u16::from(t)), t);
        }
        assert_eq!(QType::Other(15).to_string(), "MX");
        assert_eq!("TYPE15".parse::<QType>(), Ok(QType::Mx));
        assert!("AAAAA".parse::<QType>().is_err());
        assert!("TYPE99999".parse::<QType>().is_err());
        let rc = [
            (Rcode::NoError, "NOERROR"),
            (Rcode::FormErr, "FORMERR"),
            (Rcode::ServFail, "SERVFAIL"),
            (Rcode::NxDomain, "NXDOMAIN"),
            (Rcode::NotImp, "NOTIMP"),
            (Rcode::Refused, "REFUSED"),
        ];
        for (r, s) in rc {
            assert_eq!(r.to_string(), s);
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

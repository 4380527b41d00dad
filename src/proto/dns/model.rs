//! The data model: records, query types, questions, answers and RCODEs.

use super::names::normalize_name;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

pub(super) const SUPPORTED_TYPES: &str = "A, MX, TXT, PTR, CNAME and NS";

/// The start of authority of a zone (RFC 1035 §3.3.13). The lab's DNS host
/// writes one for each zone it serves (see `DnsDb::soa`); zone lines do not
/// give it. Negative answers carry it in the authority section (RFC 2308).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Soa {
    /// The primary name server of the zone.
    pub mname: String,
    /// The mailbox of the zone's administrator, its `@` written as a dot.
    pub rname: String,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    /// How long a resolver may remember that a name or type does not exist (RFC 2308 §4).
    pub minimum: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordData {
    A(Ipv4Addr),
    Mx { preference: u16, exchange: String },
    Txt(String),
    Ptr(String),
    Cname(String),
    Ns(String),
    Soa(Soa),
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
            RecordData::Soa(_) => QType::Soa,
        }
    }

    /// The same data with every name in normal form.
    pub(super) fn normalized(&self) -> RecordData {
        match self {
            RecordData::A(ip) => RecordData::A(*ip),
            RecordData::Mx { preference, exchange } => {
                RecordData::Mx { preference: *preference, exchange: normalize_name(exchange) }
            }
            RecordData::Txt(t) => RecordData::Txt(t.clone()),
            RecordData::Ptr(n) => RecordData::Ptr(normalize_name(n)),
            RecordData::Cname(n) => RecordData::Cname(normalize_name(n)),
            RecordData::Ns(n) => RecordData::Ns(normalize_name(n)),
            RecordData::Soa(soa) => RecordData::Soa(Soa {
                mname: normalize_name(&soa.mname),
                rname: normalize_name(&soa.rname),
                ..soa.clone()
            }),
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
    Soa,
    Any,
    Other(u16),
}

impl QType {
    /// The numeric type code (RFC 1035 §3.2.2).
    pub fn code(self) -> u16 {
        match self {
            QType::A => 1,
            QType::Ns => 2,
            QType::Soa => 6,
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
            6 => QType::Soa,
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
            QType::Soa => f.write_str("SOA"),
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
            "SOA" => Ok(QType::Soa),
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    /// The query's EDNS version is not one the server speaks (RFC 6891 §6.1.3; an extended code, 16).
    BadVers,
}

impl Rcode {
    /// The RCODE: 4 bits in the header, more in the EDNS OPT record (BADVERS).
    pub fn code(self) -> u8 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
            Rcode::BadVers => 16,
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
            Rcode::BadVers => "BADVERS",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub rcode: Rcode,
    pub answers: Vec<ZoneRecord>,
    pub authoritative: bool,
    /// The authority section: the zone's SOA in a negative answer (NXDOMAIN,
    /// or NOERROR with no records), as RFC 2308 §3 asks.
    pub authority: Vec<ZoneRecord>,
    /// The additional section: the addresses of the MX and NS targets of
    /// the answer that are in the server's own zones (RFC 1035 §3.3.9 and
    /// §3.3.11, "additional section processing"), as BIND and NSD give them.
    /// The lab's resolver does not use it: an MTA looks each MX host's
    /// address up itself (Postfix `smtp_addr_one()` asks for the host's A
    /// records), so no glue is ever trusted.
    pub additional: Vec<ZoneRecord>,
}

impl Answer {
    /// An answer with no records.
    pub fn empty(rcode: Rcode, authoritative: bool) -> Answer {
        Answer { rcode, answers: Vec::new(), authoritative, authority: Vec::new(), additional: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qtype_and_rcode_text() {
        let all = [
            (QType::A, "A"),
            (QType::Mx, "MX"),
            (QType::Txt, "TXT"),
            (QType::Ptr, "PTR"),
            (QType::Cname, "CNAME"),
            (QType::Ns, "NS"),
            (QType::Soa, "SOA"),
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
            (Rcode::BadVers, "BADVERS"),
        ];
        for (r, s) in rc {
            assert_eq!(r.to_string(), s);
        }
    }
}

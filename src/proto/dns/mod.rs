//! A sans-IO DNS core: zone lines, an authoritative answer database, the
//! RFC 1035 wire format (through hickory-proto) and dig-like text.
//!
//! Names are kept lower-case, absolute and without the final dot
//! (`mx.example.com`); the root, the target of a null MX, is the empty
//! string. Nothing here does I/O, reads a clock or draws random numbers,
//! and no input, however malformed, makes it panic.
//!
//! One job per file:
//! - `model.rs`: records, query types, questions, answers and RCODEs;
//! - `names.rs`: the normal form of names, their limits, reverse and DNSBL names;
//! - `zone.rs`: zone-file-like lines and their diagnostics;
//! - `db.rs`: the authoritative database and how it answers;
//! - `wire.rs`: encoding and decoding messages with hickory-proto;
//! - `dig.rs`: the text `dig` would print;
//! - `tcp.rs`: DNS over TCP, the framing and idle timeout of a connection.

mod db;
mod dig;
mod model;
mod names;
pub mod tcp;
#[cfg(test)]
mod test_util;
mod wire;
mod zone;

pub use db::DnsDb;
pub use dig::{dig_answer, dig_question, dig_record};
pub use model::{Answer, QType, Question, Rcode, RecordData, Soa, ZoneRecord};
pub use names::{dnsbl_name, reverse_name};
pub use wire::{
    CLASSIC_UDP_PAYLOAD, EDNS_PAYLOAD, Edns, Query, Response, decode_query, decode_response, edns_refusal,
    encode_formerr, encode_query, encode_rejection, encode_response, encode_udp_response, try_encode_query,
    try_encode_query_edns, udp_limit,
};
pub use zone::{RecordError, alias_targets, parse_record, zone_errors};

pub const DEFAULT_TTL: u32 = 3600;

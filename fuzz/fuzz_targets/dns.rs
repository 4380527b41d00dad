#![no_main]
//! DNS messages and zone lines from anywhere: decoding never panics, and
//! whatever decodes as a query gets an answer that encodes.
use libfuzzer_sys::fuzz_target;
use maillab::proto::dns;

fuzz_target!(|data: &[u8]| {
    let _ = dns::decode_response(data);
    let _ = dns::encode_formerr(data);
    if let Ok(q) = dns::decode_query(data) {
        let mut db = dns::DnsDb::new();
        db.add_zone("example.com");
        if let Ok(r) = dns::parse_record("@ MX 10 mx.example.com.", "example.com") {
            db.add(r);
        }
        let a = db.answer(&q.question);
        let _ = dns::decode_response(&dns::encode_response(&q, &a));
    }
    let line = String::from_utf8_lossy(data);
    let _ = dns::parse_record(&line, "example.com");
});

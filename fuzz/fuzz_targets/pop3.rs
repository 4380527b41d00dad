#![no_main]
//! Any bytes from a POP3 client, against a maildrop with two messages.
use libfuzzer_sys::fuzz_target;
use maillab::proto::pop3::{Pop3Config, Server};
use maillab::store::Store;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut store = Store::new();
    store.add_account("alice@example.com", "pw");
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s = Server::new(Pop3Config { hostname: "pop.example".into(), show_secrets: false }, "<1.2@pop.example>".into());
    let mut input = b"USER alice@example.com\r\nPASS pw\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(11) {
        s.feed(chunk);
        while s.poll(&mut store).is_some() {}
    }
    s.peer_closed();
});

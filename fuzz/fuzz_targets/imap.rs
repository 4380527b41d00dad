#![no_main]
//! Any bytes from an IMAP client (logged in, two messages), including literals.
use libfuzzer_sys::fuzz_target;
use maillab::proto::imap::{ImapConfig, Server};
use maillab::store::Store;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut store = Store::new();
    store.add_account("alice@example.com", "pw");
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    let mime = b"Subject: m\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--b--\r\n";
    store.deliver("alice@example.com", Arc::new(mime.to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s = Server::new(ImapConfig { hostname: "imap.example".into(), show_secrets: false, max_literal: 4096 });
    let mut input = b"a LOGIN alice@example.com pw\r\nb SELECT INBOX\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(13) {
        s.feed(chunk);
        while s.poll(&mut store, t).is_some() {}
    }
    s.mailbox_changed();
    while s.poll(&mut store, t).is_some() {}
    s.peer_closed();
});

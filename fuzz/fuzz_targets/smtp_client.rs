#![no_main]
//! Any bytes from a server: the reply parser and the client core never panic.
use libfuzzer_sys::fuzz_target;
use maillab::proto::smtp::address::parse_mailbox;
use maillab::proto::smtp::client::{Client, ClientAuth, Job};
use maillab::proto::smtp::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(rcpt) = parse_mailbox("alice@example.com") else { return };
    let auth = (data.len() % 2 == 0).then(|| ClientAuth { user: "u".into(), password: "p".into(), mechanism: "CRAM-MD5".into() });
    let mut c = Client::new(Job { helo: "h.example".into(), from: Path::Null, rcpts: vec![rcpt], data: b"x\r\n".to_vec(), auth });
    for chunk in data.chunks(7) {
        c.feed(chunk);
        while c.poll().is_some() {}
    }
    c.connection_lost("end of input");
    while c.poll().is_some() {}
});

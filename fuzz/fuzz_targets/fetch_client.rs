#![no_main]
//! Any bytes from a POP3 or IMAP server to the mailbox client core: it never
//! panics, its memory stays within its limits, and a closed connection always
//! ends the session.
//!
//! The first byte picks the job: bit 0 IMAP (else POP3), bit 1 APOP, bit 2
//! delete, bit 3 let the timer run out before every piece that starts with
//! NUL; the high four bits are the size of the pieces fed, minus one.
use libfuzzer_sys::fuzz_target;
use maillab::proto::fetch::{Client, Job, Limits, Protocol};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let job = Job {
        protocol: if sel & 1 == 0 { Protocol::Pop3 } else { Protocol::Imap },
        user: "alice@example.com".into(),
        password: "pw".into(),
        apop: sel & 2 != 0,
        delete: sel & 4 != 0,
        // Small limits, so that inputs of a few KB reach them.
        limits: Limits { max_line: 256, max_message: 1024, max_total: 2048, max_messages: 8, ..Limits::default() },
    };
    let mut c = Client::new(job, Duration::ZERO);
    let mut now = Duration::ZERO;
    while c.poll().is_some() {}
    for piece in rest.chunks(1 + usize::from(sel >> 4)) {
        if sel & 8 != 0
            && piece.first() == Some(&0)
            && let Some(t) = c.poll_timeout()
        {
            now = t;
            c.handle_timeout(now);
            while c.poll().is_some() {}
        }
        now += Duration::from_millis(10);
        c.feed(now, piece);
        while c.poll().is_some() {}
    }
    c.connection_lost("end of input");
    while c.poll().is_some() {}
    assert!(c.is_done(), "a closed connection ends the session");
});

use super::*;
use crate::proto::pop3::apop_digest;

const SEC: Duration = Duration::from_secs(1);

fn job(protocol: Protocol) -> Job {
    Job {
        protocol,
        user: "alice@example.com".into(),
        password: "pw".into(),
        apop: false,
        delete: false,
        starttls: StartTls::Never,
        limits: Limits::default(),
    }
}

fn pop3_job() -> Job {
    job(Protocol::Pop3)
}

fn imap_job() -> Job {
    job(Protocol::Imap)
}

/// What a session did, in order: `> line` for a command sent, `message:
/// ...` for a message, `ok: ...` / `err: ...` for the end.
fn transcript(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .map(|o| match o {
            Output::Send { bytes, line } => {
                assert_eq!(bytes, format!("{line}\r\n").as_bytes());
                format!("> {line}")
            }
            Output::Message(m) => format!("message: {m}"),
            Output::Done(Ok(n)) => format!("ok: {n}"),
            Output::Done(Err(e)) => format!("err: {e}"),
            Output::StartTls => "(TLS handshake)".into(),
        })
        .collect()
}

fn drain(c: &mut Client, outs: &mut Vec<Output>) {
    let mut n = 0;
    while let Some(o) = c.poll() {
        // The host's handshake: done as soon as the client asks.
        if o == Output::StartTls {
            c.tls_started();
        }
        outs.push(o);
        n += 1;
        assert!(n < 100_000, "poll never settles");
    }
}

/// Feed the server's bytes in these pieces (one second apart), polling
/// after each; then the server closes the connection.
fn run_pieces(job: &Job, pieces: &[&[u8]]) -> Vec<String> {
    let mut c = Client::new(job.clone(), Duration::ZERO);
    let mut outs = Vec::new();
    drain(&mut c, &mut outs);
    for (i, p) in pieces.iter().enumerate() {
        c.feed(SEC * (i as u32 + 1), p);
        drain(&mut c, &mut outs);
    }
    c.connection_lost("connection closed by the server");
    drain(&mut c, &mut outs);
    assert!(c.is_done(), "a closed connection ends the session");
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(outs.iter().filter(|o| matches!(o, Output::Done(_))).count(), 1, "{outs:?}");
    assert!(matches!(outs.last(), Some(Output::Done(_))), "{outs:?}");
    transcript(&outs)
}

/// The session for the server's whole byte stream, checked to be the same
/// for every split of that stream into two reads, and byte at a time.
fn every_split(job: &Job, server: &[u8]) -> Vec<String> {
    let whole = run_pieces(job, &[server]);
    for cut in 0..=server.len() {
        let (a, b) = server.split_at(cut);
        assert_eq!(run_pieces(job, &[a, b]), whole, "split at {cut}");
    }
    let bytes: Vec<&[u8]> = server.chunks(1).collect();
    assert_eq!(run_pieces(job, &bytes), whole, "byte at a time");
    whole
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// --- POP3 ---

const POP3_GREETING: &str = "+OK pop.example POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";

#[test]
fn pop3_user_pass_download_and_delete() {
    let server = [
        POP3_GREETING,
        "+OK send PASS\r\n",
        "+OK alice's maildrop has 2 messages (60 octets)\r\n",
        "+OK 2 60\r\n",
        "+OK\r\n1 u1\r\n2 u2\r\n.\r\n",
        "+OK 30 octets\r\nSubject: a\r\n\r\n..dot\r\nbody\r\n.\r\n",
        "+OK marked\r\n",
        "+OK 20 octets\r\nSubject: b\r\n\r\nx\r\n.\r\n",
        "+OK marked\r\n",
        "+OK bye\r\n",
    ]
    .concat();
    let j = Job { delete: true, ..pop3_job() };
    assert_eq!(
        every_split(&j, server.as_bytes()),
        lines(&[
            "> USER alice@example.com",
            "> PASS pw",
            "> STAT",
            "> UIDL",
            "> RETR 1",
            "message: Subject: a\r\n\r\n.dot\r\nbody\r\n",
            "> DELE 1",
            "> RETR 2",
            "message: Subject: b\r\n\r\nx\r\n",
            "> DELE 2",
            "> QUIT",
            "ok: downloaded 2 message(s), deleted on the server",
        ])
    );
}

#[test]
fn pop3_apop_keeps_messages_on_the_server() {
    let server =
        [POP3_GREETING, "+OK in\r\n", "+OK 1 5\r\n", "+OK\r\n1 u1\r\n.\r\n", "+OK\r\nhi\r\n.\r\n", "+OK bye\r\n"]
            .concat();
    let j = Job { apop: true, password: "tanstaaf".into(), ..pop3_job() };
    assert_eq!(
        every_split(&j, server.as_bytes()),
        lines(&[
            "> APOP alice@example.com c4c9334bac560ecc979e58001b3e22fb",
            "> STAT",
            "> UIDL",
            "> RETR 1",
            "message: hi\r\n",
            "> QUIT",
            "ok: downloaded 1 message(s), left on the server",
        ])
    );
}

#[test]
fn the_apop_digest_is_the_servers() {
    // One function for both sides (RFC 1939 §7's example).
    assert_eq!(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
}

#[test]
fn pop3_empty_maildrop_and_empty_message() {
    let server = ["+OK hi\r\n", "+OK\r\n", "+OK\r\n", "+OK 0 0\r\n", "+OK\r\n.\r\n", "+OK bye\r\n"].concat();
    assert_eq!(
        every_split(&pop3_job(), server.as_bytes()),
        lines(&[
            "> USER alice@example.com",
            "> PASS pw",
            "> STAT",
            "> UIDL",
            "> QUIT",
            "ok: downloaded 0 message(s), left on the server"
        ])
    );
    // A message with no lines at all is stored as one empty line.
    let server = ["+OK hi\r\n+OK\r\n+OK\r\n+OK 1 0\r\n+OK\r\n.\r\n+OK\r\n.\r\n+OK bye\r\n"].concat();
    let t = every_split(&pop3_job(), server.as_bytes());
    assert_eq!(t[5], "message: \r\n");
}

#[test]
fn pop3_wrong_password_is_answered_with_quit() {
    let server = [POP3_GREETING, "+OK\r\n", "-ERR [AUTH] wrong password\r\n", "+OK bye\r\n"].concat();
    assert_eq!(
        every_split(&pop3_job(), server.as_bytes()),
        lines(&["> USER alice@example.com", "> PASS pw", "> QUIT", "err: login refused: -ERR [AUTH] wrong password"])
    );
    // The reply to QUIT does not matter, nor does its absence.
    let server = [POP3_GREETING, "-ERR no\r\n"].concat();
    assert_eq!(
        every_split(&pop3_job(), server.as_bytes()),
        lines(&["> USER alice@example.com", "> QUIT", "err: login refused: -ERR no"])
    );
}

#[test]
fn pop3_apop_without_timestamp() {
    let j = Job { apop: true, ..pop3_job() };
    assert_eq!(
        every_split(&j, b"+OK no timestamp here\r\n"),
        lines(&["> QUIT", "err: the server offers no APOP timestamp"])
    );
}

#[test]
fn pop3_err_paths() {
    let bad_greeting = every_split(&pop3_job(), b"-ERR go away\r\n");
    assert_eq!(bad_greeting, lines(&["err: -ERR go away"]));
    let pre = [POP3_GREETING, "+OK\r\n", "+OK\r\n"].concat();
    let stat = [pre.as_str(), "-ERR stat\r\n"].concat();
    assert_eq!(every_split(&pop3_job(), stat.as_bytes()).last().map(String::as_str), Some("err: -ERR stat"));
    let retr = [pre.as_str(), "+OK 1 9\r\n+OK\r\n.\r\n-ERR gone\r\n"].concat();
    assert_eq!(every_split(&pop3_job(), retr.as_bytes()).last().map(String::as_str), Some("err: -ERR gone"));
    let dele = [pre.as_str(), "+OK 1 9\r\n+OK\r\n.\r\n+OK\r\nx\r\n.\r\n-ERR locked\r\n"].concat();
    let j = Job { delete: true, ..pop3_job() };
    let t = every_split(&j, dele.as_bytes());
    assert_eq!(&t[t.len() - 3..], &lines(&["message: x\r\n", "> DELE 1", "err: -ERR locked"]));
    // Without the +OK to QUIT nothing was deleted: the session failed.
    let quit = [pre.as_str(), "+OK 0 0\r\n+OK\r\n.\r\n-ERR [SYS/TEMP] cannot update\r\n"].concat();
    let t = every_split(&j, quit.as_bytes());
    assert_eq!(t.last().map(String::as_str), Some("err: -ERR [SYS/TEMP] cannot update"));
}

#[test]
fn pop3_connection_closed_mid_message() {
    let server = [POP3_GREETING, "+OK\r\n+OK\r\n+OK 1 9\r\n+OK\r\n.\r\n+OK\r\npartial line"].concat();
    assert_eq!(
        every_split(&pop3_job(), server.as_bytes()).last().map(String::as_str),
        Some("err: connection closed by the server")
    );
    // Closed during login: the refusal names the reason, after a QUIT.
    assert_eq!(
        every_split(&pop3_job(), POP3_GREETING.as_bytes()),
        lines(&["> USER alice@example.com", "> QUIT", "err: login refused: connection closed by the server"])
    );
}

#[test]
fn pop3_against_the_server_core() {
    use crate::proto::pop3::{self, Pop3Config};
    use crate::store::Store;
    use std::sync::Arc;
    let mut store = Store::new();
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    store.add_account("alice@example.com", "pw", t);
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    for apop in [false, true] {
        let mut s = pop3::Server::new(
            Pop3Config { hostname: "pop.example".into(), show_secrets: false },
            "<1.2@pop.example>".into(),
        );
        let mut c = Client::new(Job { apop, delete: apop, ..pop3_job() }, Duration::ZERO);
        let mut got = Vec::new();
        let mut result = None;
        for _ in 0..100 {
            while let Some(o) = s.poll(&mut store) {
                if let pop3::Output::Send { bytes, .. } = o {
                    c.feed(Duration::ZERO, &bytes);
                }
            }
            while let Some(o) = c.poll() {
                match o {
                    Output::Send { bytes, .. } => s.feed(&bytes),
                    Output::Message(m) => got.push(m),
                    Output::Done(r) => result = Some(r),
                    Output::StartTls => c.tls_started(),
                }
            }
            if result.is_some() {
                break;
            }
        }
        assert_eq!(got, ["Subject: a\r\n\r\n.dot\r\nbody\r\n", "Subject: b\r\n\r\nx\r\n"]);
        let kept = if apop { "deleted on the server" } else { "left on the server" };
        assert_eq!(result, Some(Ok(format!("downloaded 2 message(s), {kept}"))));
    }
    assert_eq!(store.mailbox("alice@example.com", crate::store::INBOX).map(|m| m.messages.len()), Some(0));
}

// --- IMAP ---

const IMAP_GREETING: &str = "* OK [CAPABILITY IMAP4rev1] imap.example ready\r\n";

fn imap_session(bodies: &str) -> String {
    [
        IMAP_GREETING,
        "a1 OK [CAPABILITY IMAP4rev1] LOGIN completed\r\n",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 2 EXISTS\r\n* 1 RECENT\r\n",
        "* OK [UIDVALIDITY 1] UIDs valid\r\na2 OK [READ-WRITE] SELECT completed\r\n",
        "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\na3 OK FETCH completed\r\n",
        bodies,
        "* BYE logging out\r\na5 OK LOGOUT completed\r\n",
    ]
    .concat()
}

#[test]
fn imap_login_select_fetch_with_literals() {
    let bodies = "* 1 FETCH (BODY[] {16}\r\nSubject: a\r\n\r\nhi)\r\n* 2 FETCH (FLAGS (\\Seen) BODY[] {6}\r\nx\r\n}\r\n)\r\n\
                  a4 OK FETCH completed\r\n";
    assert_eq!(
        every_split(&imap_job(), imap_session(bodies).as_bytes()),
        lines(&[
            "> a1 LOGIN \"alice@example.com\" \"pw\"",
            "> a2 SELECT INBOX",
            "> a3 FETCH 1:* (UID FLAGS)",
            "> a4 FETCH 1:* BODY[]",
            "message: Subject: a\r\n\r\nhi",
            "message: x\r\n}\r\n",
            "> a5 LOGOUT",
            "ok: 2 message(s) on the server, 1 of them unread before this session; all stay on the server",
        ])
    );
}

#[test]
fn imap_literals_in_pieces_and_empty() {
    // Two literals in one response are one message; an empty literal is none.
    let bodies = "* 1 FETCH (BODY[HEADER] {3}\r\nab\n BODY[TEXT] {2}\r\ncd)\r\n* 2 FETCH (BODY[] {0}\r\n)\r\na4 OK\r\n";
    let t = every_split(&imap_job(), imap_session(bodies).as_bytes());
    assert_eq!(t[4..6], lines(&["message: ab\ncd", "> a5 LOGOUT"]));
    assert_eq!(
        t.last().map(String::as_str),
        Some("ok: 1 message(s) on the server, 1 of them unread before this session; all stay on the server")
    );
}

#[test]
fn imap_empty_mailbox_skips_fetch() {
    let server = [IMAP_GREETING, "a1 OK\r\n* 0 EXISTS\r\na2 OK\r\na5 OK\r\n"].concat();
    assert_eq!(
        every_split(&imap_job(), server.as_bytes()),
        lines(&[
            "> a1 LOGIN \"alice@example.com\" \"pw\"",
            "> a2 SELECT INBOX",
            "> a5 LOGOUT",
            "ok: 0 message(s) on the server, 0 of them unread before this session; all stay on the server",
        ])
    );
}

#[test]
fn imap_login_refused_logs_out() {
    let server = [IMAP_GREETING, "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n* BYE\r\na9 OK\r\n"].concat();
    let j = Job { user: "a\"b".into(), password: "p\\w".into(), ..imap_job() };
    assert_eq!(
        every_split(&j, server.as_bytes()),
        lines(&[
            "> a1 LOGIN \"a\\\"b\" \"p\\\\w\"",
            "> a9 LOGOUT",
            "err: login refused: NO [AUTHENTICATIONFAILED] Authentication failed.",
        ])
    );
    // Also when the server hangs up instead of answering LOGOUT.
    let server = [IMAP_GREETING, "a1 NO go away\r\n"].concat();
    assert_eq!(
        every_split(&imap_job(), server.as_bytes()).last().map(String::as_str),
        Some("err: login refused: NO go away")
    );
}

#[test]
fn imap_err_paths() {
    assert_eq!(every_split(&imap_job(), b"* BYE too busy\r\n"), lines(&["err: unexpected greeting: * BYE too busy"]));
    let select = [IMAP_GREETING, "a1 OK\r\na2 NO no such mailbox\r\n"].concat();
    assert_eq!(
        every_split(&imap_job(), select.as_bytes()).last().map(String::as_str),
        Some("err: SELECT failed: NO no such mailbox")
    );
    // A literal cut short by the end of the connection.
    let cut = imap_session("* 1 FETCH (BODY[] {17}\r\nSubject");
    let cut = &cut[..cut.find("Subject").unwrap_or(0) + 7];
    let t = every_split(&imap_job(), cut.as_bytes());
    assert_eq!(t.last().map(String::as_str), Some("err: connection closed by the server"));
    assert!(!t.iter().any(|l| l.starts_with("message")), "{t:?}");
    // What was read stands when LOGOUT is not answered.
    let no_logout = imap_session("* 1 FETCH (BODY[] {1}\r\nx)\r\na4 OK\r\n");
    let no_logout = &no_logout[..no_logout.find("* BYE").unwrap_or(0)];
    let t = every_split(&imap_job(), no_logout.as_bytes());
    assert_eq!(
        t.last().map(String::as_str),
        Some("ok: 1 message(s) on the server, 1 of them unread before this session; all stay on the server")
    );
}

#[test]
fn imap_against_the_server_core() {
    use crate::proto::imap::{self, ImapConfig};
    use crate::store::Store;
    use std::sync::Arc;
    let mut store = Store::new();
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    store.add_account("alice@example.com", "pw", t);
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s =
        imap::Server::new(ImapConfig { hostname: "imap.example".into(), show_secrets: false, max_literal: 4096 });
    let mut c = Client::new(imap_job(), Duration::ZERO);
    let mut got = Vec::new();
    let mut result = None;
    for _ in 0..100 {
        while let Some(o) = s.poll(&mut store, t) {
            if let imap::Output::Send { bytes, .. } = o {
                c.feed(Duration::ZERO, &bytes);
            }
        }
        while let Some(o) = c.poll() {
            match o {
                Output::Send { bytes, .. } => s.feed(&bytes),
                Output::Message(m) => got.push(m),
                Output::Done(r) => result = Some(r),
                Output::StartTls => c.tls_started(),
            }
        }
        if result.is_some() {
            break;
        }
    }
    assert_eq!(got, ["Subject: a\r\n\r\n.dot\r\nbody\r\n", "Subject: b\r\n\r\nx\r\n"]);
    assert_eq!(
        result,
        Some(Ok("2 message(s) on the server, 2 of them unread before this session; all stay on the server".into()))
    );
}

#[test]
fn literal_lengths_and_quoting() {
    assert_eq!(literal_len("* 1 FETCH (BODY[] {310}"), Some(310));
    assert_eq!(literal_len("* 1 FETCH (BODY[] {31+}"), Some(31));
    assert_eq!(literal_len("* 1 FETCH (FLAGS (\\Seen))"), None);
    assert_eq!(literal_len("{99999999999999999999999}"), None);
    assert_eq!(quote("a\"b"), "\"a\\\"b\"");
}

// --- time ---

#[test]
fn the_greeting_times_out() {
    for j in [pop3_job(), imap_job()] {
        let mut c = Client::new(j, 5 * SEC);
        assert_eq!(c.poll(), None);
        assert_eq!(c.poll_timeout(), Some(65 * SEC));
        c.handle_timeout(64 * SEC);
        assert_eq!(c.poll(), None, "not yet");
        c.handle_timeout(65 * SEC);
        assert_eq!(c.poll(), Some(Output::Done(Err(TIMED_OUT.into()))));
        assert_eq!(c.poll(), None);
        assert_eq!(c.poll_timeout(), None);
    }
}

#[test]
fn every_byte_from_the_server_restarts_the_timer() {
    let mut c = Client::new(pop3_job(), Duration::ZERO);
    c.feed(50 * SEC, b"+OK he");
    assert_eq!(c.poll(), None);
    assert_eq!(c.poll_timeout(), Some(110 * SEC));
    c.handle_timeout(100 * SEC);
    c.feed(100 * SEC, b"llo\r\n");
    assert!(matches!(c.poll(), Some(Output::Send { .. })));
    assert_eq!(c.poll_timeout(), Some(160 * SEC));
    c.handle_timeout(160 * SEC);
    // A silent server during login: QUIT, whose reply is awaited another minute.
    assert_eq!(transcript(&[c.poll().unwrap_or(Output::Message("none".into()))]), lines(&["> QUIT"]));
    assert_eq!(c.poll(), None);
    assert_eq!(c.poll_timeout(), Some(220 * SEC));
    c.handle_timeout(220 * SEC);
    assert_eq!(c.poll(), Some(Output::Done(Err(format!("login refused: {TIMED_OUT}")))));
}

#[test]
fn imap_logout_timeout_keeps_the_messages() {
    let s = imap_session("* 1 FETCH (BODY[] {1}\r\nx)\r\na4 OK\r\n");
    let s = &s[..s.find("* BYE").unwrap_or(0)];
    let mut c = Client::new(imap_job(), Duration::ZERO);
    c.feed(SEC, s.as_bytes());
    let mut outs = Vec::new();
    drain(&mut c, &mut outs);
    assert_eq!(transcript(&outs).last().map(String::as_str), Some("> a5 LOGOUT"));
    assert_eq!(c.poll_timeout(), Some(61 * SEC));
    c.handle_timeout(61 * SEC);
    drain(&mut c, &mut outs);
    assert!(matches!(outs.last(), Some(Output::Done(Ok(_)))), "{outs:?}");
}

#[test]
fn a_failed_write_ends_the_session() {
    let mut c = Client::new(imap_job(), Duration::ZERO);
    c.feed(SEC, IMAP_GREETING.as_bytes());
    assert!(matches!(c.poll(), Some(Output::Send { .. })));
    c.send_failed("broken pipe");
    assert_eq!(c.poll(), Some(Output::Done(Err("broken pipe".into()))));
    // POP3: the QUIT after a refused login may fail; its reply is still awaited.
    let mut c = Client::new(pop3_job(), Duration::ZERO);
    c.feed(SEC, b"+OK\r\n-ERR no\r\n");
    let mut outs = Vec::new();
    drain(&mut c, &mut outs);
    assert_eq!(transcript(&outs), lines(&["> USER alice@example.com", "> QUIT"]));
    c.send_failed("broken pipe");
    assert_eq!(c.poll(), None);
    c.connection_lost("connection closed by the server");
    assert_eq!(c.poll(), Some(Output::Done(Err("login refused: -ERR no".into()))));
}

// --- bounds ---

fn small() -> Limits {
    Limits { max_line: 100, max_message: 1000, max_total: 1500, max_messages: 3, ..Limits::default() }
}

#[test]
fn an_endless_line_is_cut_at_the_limit() {
    for j in [Job { limits: small(), ..pop3_job() }, Job { limits: small(), ..imap_job() }] {
        let mut c = Client::new(j, Duration::ZERO);
        let mut outs = Vec::new();
        for i in 0..1000 {
            c.feed(SEC * i, &[b'x'; 64]);
            drain(&mut c, &mut outs);
            assert!(c.io.input.buf.len() <= 200, "the buffer stays small");
        }
        assert_eq!(transcript(&outs), lines(&["err: a line from the server is longer than 100 octets"]));
    }
    // A line just at the limit is fine, one more octet is not.
    let at = format!("+OK {}\r\n", "y".repeat(96));
    let t = run_pieces(&Job { limits: small(), ..pop3_job() }, &[at.as_bytes()]);
    assert_eq!(t[0], "> USER alice@example.com");
    let over = format!("+OK {}\n", "y".repeat(97));
    let t = run_pieces(&Job { limits: small(), ..pop3_job() }, &[over.as_bytes()]);
    assert_eq!(t, lines(&["err: a line from the server is longer than 100 octets"]));
}

/// A message line longer than `max_line` (SMTP servers keep such lines)
/// is read in parts, for every split of the stream: unstuffed at its start
/// only, a `.` after a long line's start is content, UTF-8 characters stay
/// whole, and the message size limit still holds.
#[test]
fn pop3_reads_a_message_line_longer_than_the_line_limit() {
    let long = format!(".{}é{}", "a".repeat(150), "b".repeat(120));
    let server = [
        POP3_GREETING,
        "+OK send PASS\r\n",
        "+OK in\r\n",
        "+OK 1 500\r\n",
        "+OK\r\n1 u1\r\n.\r\n",
        &format!("+OK\r\nSubject: long\r\n\r\n.{long}\r\n{}.\r\n.\r\n", "c".repeat(130)),
        "+OK bye\r\n",
    ]
    .concat();
    let j = Job { limits: Limits { max_line: 100, ..Limits::default() }, ..pop3_job() };
    let t = every_split(&j, server.as_bytes());
    assert_eq!(t[5], format!("message: Subject: long\r\n\r\n{long}\r\n{}.\r\n", "c".repeat(130)));
    assert_eq!(t.last().map(String::as_str), Some("ok: downloaded 1 message(s), left on the server"));
    // Parts count toward the message limit as lines do.
    let j = Job { limits: small(), ..pop3_job() };
    let big = format!("+OK\r\n{}\r\n.\r\n", "z".repeat(1200));
    let server = [POP3_GREETING, "+OK\r\n", "+OK\r\n", "+OK 1 5\r\n", "+OK\r\n.\r\n", &big].concat();
    let t = run_pieces(&j, &[server.as_bytes()]);
    assert_eq!(t.last().map(String::as_str), Some("err: a message from the server is larger than 1000 octets"));
}

#[test]
fn a_huge_literal_is_refused_before_it_comes() {
    let j = Job { limits: small(), ..imap_job() };
    let bodies = "* 1 FETCH (BODY[] {4294967295}\r\n";
    let s = imap_session(bodies);
    let s = &s[..s.find("* BYE").unwrap_or(0)];
    let t = every_split(&j, s.as_bytes());
    assert_eq!(t.last().map(String::as_str), Some("err: a message from the server is larger than 1000 octets"));
    // Literals of one response count together.
    let bodies = format!("* 1 FETCH (A {{600}}\r\n{} B {{600}}\r\n", "z".repeat(600));
    let s = imap_session(&bodies);
    let t = run_pieces(&j, &[s.as_bytes()]);
    assert_eq!(t.last().map(String::as_str), Some("err: a message from the server is larger than 1000 octets"));
    // So do the lines between literals.
    let bodies = format!("* 1 FETCH (A {{0}}\r\n{}", "{0}\r\n".repeat(40));
    let s = imap_session(&bodies);
    let t = run_pieces(&j, &[s.as_bytes()]);
    assert_eq!(t.last().map(String::as_str), Some("err: a response from the server is longer than 100 octets"));
}

#[test]
fn pop3_message_and_session_limits() {
    let j = Job { limits: small(), ..pop3_job() };
    let pre = "+OK\r\n+OK\r\n+OK\r\n+OK 9 0\r\n+OK\r\n.\r\n";
    let big = format!("{pre}+OK\r\n{}", "0123456789012345678\r\n".repeat(60));
    let t = run_pieces(&j, &[big.as_bytes()]);
    assert_eq!(t.last().map(String::as_str), Some("err: a message from the server is larger than 1000 octets"));
    // Messages of 420 octets: the total gives out at the fourth.
    let m = format!("+OK\r\n{}.\r\n", "0123456789012345678\r\n".repeat(20)).repeat(9);
    let many = Job { limits: Limits { max_messages: 10, ..small() }, ..pop3_job() };
    let t = run_pieces(&many, &[format!("{pre}{m}").as_bytes()]);
    assert_eq!(t.iter().filter(|l| l.starts_with("message")).count(), 3);
    assert_eq!(t.last().map(String::as_str), Some("err: the messages from the server add up to more than 1500 octets"));
    // Tiny messages: the count gives out.
    let m = "+OK\r\nx\r\n.\r\n".repeat(9);
    let t = run_pieces(&j, &[format!("{pre}{m}").as_bytes()]);
    assert_eq!(t.last().map(String::as_str), Some("err: the server offers more than 3 messages"));
}

// --- STLS / STARTTLS ---

/// The session for a server stream that switches to TLS after `before`
/// (which ends with the yes to STLS/STARTTLS): the same for every split of
/// either part into two reads.
fn every_split_tls(job: &Job, before: &[u8], after: &[u8]) -> Vec<String> {
    let whole = run_pieces(job, &[before, after]);
    for cut in 0..=before.len() {
        let (a, b) = before.split_at(cut);
        assert_eq!(run_pieces(job, &[a, b, after]), whole, "split at {cut} before TLS");
    }
    for cut in 0..=after.len() {
        let (a, b) = after.split_at(cut);
        assert_eq!(run_pieces(job, &[before, a, b]), whole, "split at {cut} after TLS");
    }
    whole
}

const POP3_CAPA_STLS: &str = "+OK capability list follows\r\nUSER\r\nUIDL\r\nSTLS\r\n.\r\n";

#[test]
fn pop3_uses_stls_when_offered() {
    let before = [POP3_GREETING, POP3_CAPA_STLS, "+OK Begin TLS negotiation now.\r\n"].concat();
    let after = [
        "+OK capability list follows\r\nUSER\r\nUIDL\r\n.\r\n",
        "+OK send PASS\r\n",
        "+OK in\r\n",
        "+OK 0 0\r\n",
        "+OK\r\n.\r\n",
        "+OK bye\r\n",
    ]
    .concat();
    for mode in [StartTls::IfOffered, StartTls::Required] {
        let j = Job { starttls: mode, ..pop3_job() };
        assert_eq!(
            every_split_tls(&j, before.as_bytes(), after.as_bytes()),
            lines(&[
                "> CAPA",
                "> STLS",
                "(TLS handshake)",
                "> CAPA",
                "> USER alice@example.com",
                "> PASS pw",
                "> STAT",
                "> UIDL",
                "> QUIT",
                "ok: downloaded 0 message(s), left on the server",
            ])
        );
    }
    // APOP uses the greeting's timestamp, after TLS.
    let j = Job { starttls: StartTls::IfOffered, apop: true, password: "tanstaaf".into(), ..pop3_job() };
    let t = run_pieces(&j, &[before.as_bytes(), b"+OK\r\n.\r\n+OK in\r\n"]);
    assert_eq!(t[4], "> APOP alice@example.com c4c9334bac560ecc979e58001b3e22fb");
}

#[test]
fn pop3_without_stls_goes_on_in_the_clear_unless_tls_is_required() {
    let capa = "+OK capability list follows\r\nUSER\r\n.\r\n";
    let rest = ["+OK send PASS\r\n", "+OK in\r\n", "+OK 0 0\r\n", "+OK\r\n.\r\n", "+OK bye\r\n"].concat();
    let j = Job { starttls: StartTls::IfOffered, ..pop3_job() };
    let t = every_split(&j, [POP3_GREETING, capa, &rest].concat().as_bytes());
    assert_eq!(t[..3], lines(&["> CAPA", "> USER alice@example.com", "> PASS pw"]));
    // A server that does not know CAPA, or refuses STLS: the same.
    let t = run_pieces(&j, &[POP3_GREETING.as_bytes(), b"-ERR unknown command\r\n", rest.as_bytes()]);
    assert_eq!(t[..3], lines(&["> CAPA", "> USER alice@example.com", "> PASS pw"]));
    let t = run_pieces(&j, &[POP3_GREETING.as_bytes(), POP3_CAPA_STLS.as_bytes(), b"-ERR no\r\n", rest.as_bytes()]);
    assert_eq!(t[..4], lines(&["> CAPA", "> STLS", "> USER alice@example.com", "> PASS pw"]));
    // Required: no password is sent.
    let j = Job { starttls: StartTls::Required, ..pop3_job() };
    let t = every_split(&j, [POP3_GREETING, capa, "+OK bye\r\n"].concat().as_bytes());
    assert_eq!(t, lines(&["> CAPA", "> QUIT", "err: no TLS: the server does not offer STLS"]));
    let t =
        run_pieces(&j, &[POP3_GREETING.as_bytes(), POP3_CAPA_STLS.as_bytes(), b"-ERR TLS support isn't enabled.\r\n"]);
    assert_eq!(t, lines(&["> CAPA", "> STLS", "> QUIT", "err: no TLS: STLS refused: -ERR TLS support isn't enabled."]));
}

#[test]
fn what_the_server_sends_in_the_clear_after_its_yes_is_dropped() {
    // A man in the middle appends answers behind the +OK to STLS; they
    // arrive in the clear with it and must not be read as if inside TLS.
    let j = Job { starttls: StartTls::IfOffered, ..pop3_job() };
    let injected =
        [POP3_GREETING, POP3_CAPA_STLS, "+OK Begin TLS negotiation now.\r\n+OK fake\r\n.\r\n-ERR x\r\n"].concat();
    let t = run_pieces(&j, &[injected.as_bytes(), b"+OK\r\n.\r\n+OK send PASS\r\n"]);
    assert_eq!(
        t[..6],
        lines(&["> CAPA", "> STLS", "(TLS handshake)", "> CAPA", "> USER alice@example.com", "> PASS pw"])
    );
    let j = Job { starttls: StartTls::IfOffered, ..imap_job() };
    let injected = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\ns1 OK Begin TLS negotiation now.\r\nc1 OK x\r\n";
    let t = run_pieces(&j, &[injected.as_bytes(), b"* CAPABILITY IMAP4rev1\r\nc1 OK done\r\n"]);
    assert_eq!(
        t[..4],
        lines(&["> s1 STARTTLS", "(TLS handshake)", "> c1 CAPABILITY", "> a1 LOGIN \"alice@example.com\" \"pw\""])
    );
}

#[test]
fn imap_uses_starttls_when_offered() {
    let before =
        "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example ready\r\ns1 OK Begin TLS negotiation now.\r\n";
    let after = imap_session("")
        .replace(IMAP_GREETING, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nc1 OK Pre-login capabilities listed\r\n")
        .replace("* 2 EXISTS", "* 0 EXISTS")
        .replace("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\na3 OK FETCH completed\r\n", "");
    for mode in [StartTls::IfOffered, StartTls::Required] {
        let j = Job { starttls: mode, ..imap_job() };
        let t = every_split_tls(&j, before.as_bytes(), after.as_bytes());
        assert_eq!(
            t[..5],
            lines(&[
                "> s1 STARTTLS",
                "(TLS handshake)",
                "> c1 CAPABILITY",
                "> a1 LOGIN \"alice@example.com\" \"pw\"",
                "> a2 SELECT INBOX"
            ])
        );
        assert!(t.last().is_some_and(|l| l.starts_with("ok: 0 message(s)")), "{t:?}");
    }
    // No CAPABILITY in the greeting: the client asks.
    let j = Job { starttls: StartTls::IfOffered, ..imap_job() };
    let t = run_pieces(
        &j,
        &[
            b"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\nc1 OK done\r\ns1 OK go\r\n",
            b"* CAPABILITY IMAP4rev1\r\nc1 OK\r\n",
        ],
    );
    assert_eq!(
        t[..5],
        lines(&[
            "> c1 CAPABILITY",
            "> s1 STARTTLS",
            "(TLS handshake)",
            "> c1 CAPABILITY",
            "> a1 LOGIN \"alice@example.com\" \"pw\""
        ])
    );
}

#[test]
fn imap_without_starttls() {
    // Opportunistic: in the clear. Required: LOGOUT before the password.
    let j = Job { starttls: StartTls::IfOffered, ..imap_job() };
    let t = run_pieces(&j, &[IMAP_GREETING.as_bytes()]);
    assert_eq!(t[0], "> a1 LOGIN \"alice@example.com\" \"pw\"");
    let j = Job { starttls: StartTls::Required, ..imap_job() };
    let t = every_split(&j, b"* OK [CAPABILITY IMAP4rev1] ready\r\n* BYE bye\r\na9 OK LOGOUT completed\r\n");
    assert_eq!(t, lines(&["> a9 LOGOUT", "err: no TLS: the server does not offer STARTTLS"]));
    let t = run_pieces(
        &j,
        &[b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\ns1 BAD TLS support isn't enabled.\r\na9 OK\r\n"],
    );
    assert_eq!(
        t,
        lines(&["> s1 STARTTLS", "> a9 LOGOUT", "err: no TLS: STARTTLS refused: BAD TLS support isn't enabled."])
    );
    // LOGINDISABLED and no way to TLS: the password is never sent.
    for mode in [StartTls::Never, StartTls::IfOffered] {
        let j = Job { starttls: mode, ..imap_job() };
        let t = run_pieces(&j, &[b"* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\na9 OK\r\n"]);
        if mode == StartTls::Never {
            // A client that never looks at capabilities just tries.
            assert_eq!(t[0], "> a1 LOGIN \"alice@example.com\" \"pw\"");
        } else {
            assert_eq!(t, lines(&["> a9 LOGOUT", "err: the server refuses LOGIN here (LOGINDISABLED)"]));
        }
    }
}

/// POP3 or IMAP client against the server core with the given TLS settings;
/// the commands the client sent and its result.
fn against_server(
    protocol: Protocol,
    server: crate::proto::tls::TlsMode,
    client: StartTls,
) -> (Vec<String>, Result<String, String>) {
    use crate::proto::{imap, pop3};
    use crate::store::Store;
    use std::sync::Arc;
    let mut store = Store::new();
    let t = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset();
    store.add_account("alice@example.com", "pw", t);
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\nbody\r\n".to_vec()), t);
    enum S {
        P(pop3::Server),
        I(imap::Server),
    }
    let mut s = match protocol {
        Protocol::Pop3 => S::P(
            pop3::Server::new(
                pop3::Pop3Config { hostname: "pop.example".into(), show_secrets: false },
                "<1.2@pop.example>".into(),
            )
            .tls(server),
        ),
        Protocol::Imap => S::I(
            imap::Server::new(imap::ImapConfig {
                hostname: "imap.example".into(),
                show_secrets: false,
                max_literal: 4096,
            })
            .tls(server),
        ),
    };
    let mut c = Client::new(Job { starttls: client, ..job(protocol) }, Duration::ZERO);
    let mut sent = Vec::new();
    let mut result = None;
    for _ in 0..100 {
        loop {
            let (bytes, tls) = match &mut s {
                S::P(p) => match p.poll(&mut store) {
                    None => break,
                    Some(pop3::Output::Send { bytes, .. }) => (bytes, false),
                    Some(pop3::Output::StartTls) => (Vec::new(), true),
                    Some(_) => (Vec::new(), false),
                },
                S::I(i) => match i.poll(&mut store, t) {
                    None => break,
                    Some(imap::Output::Send { bytes, .. }) => (bytes, false),
                    Some(imap::Output::StartTls) => (Vec::new(), true),
                    Some(_) => (Vec::new(), false),
                },
            };
            if tls {
                match &mut s {
                    S::P(p) => p.tls_started(),
                    S::I(i) => i.tls_started(),
                }
            }
            c.feed(Duration::ZERO, &bytes);
        }
        while let Some(o) = c.poll() {
            match o {
                Output::Send { bytes, line } => {
                    sent.push(line);
                    match &mut s {
                        S::P(p) => p.feed(&bytes),
                        S::I(i) => i.feed(&bytes),
                    }
                }
                Output::Message(_) => {}
                Output::Done(r) => result = Some(r),
                Output::StartTls => {
                    sent.push("(TLS)".into());
                    c.tls_started();
                }
            }
        }
        if result.is_some() {
            break;
        }
    }
    (sent, result.unwrap_or_else(|| Err("no result".into())))
}

#[test]
fn the_clients_tls_settings_against_the_servers() {
    use crate::proto::tls::TlsMode;
    let (sent, r) = against_server(Protocol::Pop3, TlsMode::Required, StartTls::IfOffered);
    assert_eq!(sent[..5], ["CAPA", "STLS", "(TLS)", "CAPA", "USER alice@example.com"]);
    assert_eq!(r, Ok("downloaded 1 message(s), left on the server".into()));
    let (sent, r) = against_server(Protocol::Pop3, TlsMode::Off, StartTls::IfOffered);
    assert_eq!(sent[..2], ["CAPA", "USER alice@example.com"]);
    assert!(r.is_ok(), "{r:?}");
    let (sent, r) = against_server(Protocol::Pop3, TlsMode::Off, StartTls::Required);
    assert_eq!(sent, ["CAPA", "QUIT"]);
    assert_eq!(r, Err("no TLS: the server does not offer STLS".into()));
    // A client that never asks for TLS meets Dovecot's refusal.
    let (sent, r) = against_server(Protocol::Pop3, TlsMode::Required, StartTls::Never);
    assert_eq!(sent, ["USER alice@example.com", "QUIT"]);
    assert_eq!(
        r,
        Err("login refused: -ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
            .into())
    );

    let (sent, r) = against_server(Protocol::Imap, TlsMode::Required, StartTls::Required);
    assert_eq!(sent[..4], ["s1 STARTTLS", "(TLS)", "c1 CAPABILITY", "a1 LOGIN \"alice@example.com\" \"pw\""]);
    assert!(r.is_ok(), "{r:?}");
    let (sent, r) = against_server(Protocol::Imap, TlsMode::Offered, StartTls::IfOffered);
    assert_eq!(sent[..2], ["s1 STARTTLS", "(TLS)"]);
    assert!(r.is_ok(), "{r:?}");
    let (sent, r) = against_server(Protocol::Imap, TlsMode::Off, StartTls::Required);
    assert_eq!(sent, ["a9 LOGOUT"]);
    assert_eq!(r, Err("no TLS: the server does not offer STARTTLS".into()));
    let (sent, r) = against_server(Protocol::Imap, TlsMode::Required, StartTls::Never);
    assert_eq!(sent, ["a1 LOGIN \"alice@example.com\" \"pw\"", "a9 LOGOUT"]);
    assert_eq!(
        r,
        Err("login refused: NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.".into())
    );
}

//! Unit tests of the POP3 core: every command, state and split of the input.

use super::*;
use chrono::{DateTime, FixedOffset};

const TS: &str = "<1896.697170952@dbc.mtview.ca.us>";

#[test]
fn wire_size_counts_like_the_lines_sent() {
    for d in [&b""[..], b"a", b"a\r\n", b"a\nb\n", b"a\r\nb", b"a\r", b"a\r\r\n", b"\n\n", b"x\r\ny\nz\r\n.\r\n"] {
        let by_lines: usize = lines_of(d).iter().map(|l| l.len() + 2).sum();
        assert_eq!(crate::store::crlf_size(d), by_lines, "{:?}", String::from_utf8_lossy(d));
    }
}
const ALICE: &str = "alice@example.com";
const M1: &[u8] = b"From: bob@example.com\r\nSubject: one\r\n\r\nHello Alice.\r\n";
const M2: &[u8] = b"Subject: dots\r\n\r\n.hidden\r\n.\r\nend\r\n";
const M3: &[u8] = b"Subject: three\r\n\r\nline1\r\nline2\r\nline3\r\n";

fn date() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").unwrap()
}

fn deliver(st: &mut Store, user: &str, data: &[u8]) -> u32 {
    st.deliver(user, Arc::new(data.to_vec()), date()).unwrap()
}

/// alice has three messages, bob none.
fn store() -> Store {
    let mut st = Store::new();
    st.add_account(ALICE, "secret", date());
    st.add_account("bob@example.com", "bobpw", date());
    for m in [M1, M2, M3] {
        deliver(&mut st, ALICE, m);
    }
    st
}

fn server(show_secrets: bool) -> Server {
    Server::new(Pop3Config { hostname: "pop.example.com".into(), show_secrets }, TS.into())
}

fn run(s: &mut Server, st: &mut Store, input: &[u8]) -> Vec<Output> {
    s.feed(input);
    std::iter::from_fn(|| s.poll(st)).collect()
}

/// The trace lines of every response.
fn lines(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send { lines, .. } => Some(lines.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The first line of each response: one per command.
fn firsts(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send { lines, .. } => lines.first().cloned(),
            _ => None,
        })
        .collect()
}

fn ok_err(outs: &[Output]) -> Vec<&'static str> {
    firsts(outs)
        .iter()
        .map(|l| {
            if l.starts_with("+OK") {
                "+OK"
            } else if l.starts_with("-ERR") {
                "-ERR"
            } else {
                "?"
            }
        })
        .collect()
}

fn wire(outs: &[Output]) -> Vec<u8> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn closed(outs: &[Output]) -> bool {
    outs.last() == Some(&Output::Close)
}

/// A session past the greeting.
fn session(st: &mut Store) -> Server {
    let mut s = server(false);
    let g = run(&mut s, st, b"");
    assert_eq!(lines(&g), vec![format!("+OK pop.example.com POP3 server ready {TS}")]);
    s
}

/// A session logged in as alice.
fn alice(st: &mut Store) -> Server {
    let mut s = session(st);
    let o = run(&mut s, st, b"USER alice@example.com\r\nPASS secret\r\n");
    assert_eq!(ok_err(&o), vec!["+OK", "+OK"]);
    assert_eq!(s.user(), Some(ALICE));
    s
}

fn uids(st: &Store, user: &str) -> Vec<u32> {
    st.mailbox(user, INBOX).unwrap().messages.iter().map(|m| m.uid).collect()
}

#[test]
fn apop_digest_of_rfc_1939() {
    assert_eq!(apop_digest(TS, "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
}

/// A message of exactly `size` octets.
fn sized(size: usize) -> Vec<u8> {
    let mut m = b"Subject: x\r\n\r\n".to_vec();
    m.extend(std::iter::repeat_n(b'a', size - m.len() - 2));
    m.extend_from_slice(b"\r\n");
    m
}

#[test]
fn rfc_1939_example_session() {
    let mut st = Store::new();
    st.add_account("mrose", "tanstaaf", date());
    deliver(&mut st, "mrose", &sized(120));
    deliver(&mut st, "mrose", &sized(200));
    let mut s = Server::new(Pop3Config { hostname: "dbc.mtview.ca.us".into(), show_secrets: false }, TS.into());
    let o = run(
        &mut s,
        &mut st,
        b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n",
    );
    assert_eq!(
        lines(&o),
        vec![
            "+OK dbc.mtview.ca.us POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
            "+OK mrose's maildrop has 2 messages (320 octets)",
            "+OK 2 320",
            "+OK 2 messages (320 octets)",
            "1 120",
            "2 200",
            ".",
            "+OK 120 octets",
            "(message: 3 lines, 120 octets)",
            ".",
            "+OK message 1 deleted",
            "+OK 200 octets",
            "(message: 3 lines, 200 octets)",
            ".",
            "+OK message 2 deleted",
            "+OK dbc.mtview.ca.us POP3 server signing off (maildrop empty)",
        ]
    );
    assert!(o.contains(&Output::Received("APOP mrose c4c9334bac560ecc979e58001b3e22fb".into())));
    assert!(o.contains(&Output::LoginOk { user: "mrose".into() }));
    assert!(closed(&o) && s.is_closed());
    assert!(uids(&st, "mrose").is_empty());
    // RETR 1 on the wire: the message as stored, then the dot.
    let w = wire(&o);
    let mut want = b"+OK 120 octets\r\n".to_vec();
    want.extend(sized(120));
    want.extend_from_slice(b".\r\n");
    assert!(w.windows(want.len()).any(|x| x == want.as_slice()));
}

#[test]
fn authorization_state_commands() {
    let mut st = store();
    let mut s = session(&mut st);
    let o = run(
        &mut s,
        &mut st,
        b"STAT\r\nLIST\r\nLIST 1\r\nRETR 1\r\nDELE 1\r\nNOOP\r\nRSET\r\nTOP 1 0\r\nUIDL\r\nUIDL 1\r\nXYZZY\r\n\r\n",
    );
    assert_eq!(ok_err(&o), vec!["-ERR"; 12]);
    assert_eq!(firsts(&o)[0], "-ERR STAT is not allowed before login: use USER and PASS, or APOP");
    let o = run(&mut s, &mut st, b"CAPA\r\n");
    assert_eq!(
        lines(&o),
        vec![
            "+OK capability list follows",
            "USER",
            "TOP",
            "UIDL",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "IMPLEMENTATION maillab",
            "."
        ]
    );
    // PASS needs a USER right before it.
    let o = run(
        &mut s,
        &mut st,
        b"PASS secret\r\nUSER\r\nUSER a b\r\nUSER alice@example.com\r\nNOOP\r\nPASS secret\r\nAPOP alice@example.com\r\nPASS\r\n",
    );
    assert_eq!(ok_err(&o), vec!["-ERR", "-ERR", "-ERR", "+OK", "-ERR", "-ERR", "-ERR", "-ERR"]);
    assert_eq!(s.user(), None);
    let o = run(&mut s, &mut st, b"USER alice@example.com\r\nPASS\r\n");
    assert_eq!(firsts(&o), vec!["+OK send PASS for alice@example.com", "-ERR syntax: PASS password"]);
    let o = run(&mut s, &mut st, b"QUIT\r\n");
    assert_eq!(firsts(&o), vec!["+OK pop.example.com POP3 server signing off"]);
    assert!(closed(&o) && s.is_closed());
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
    // Input after close is ignored.
    assert!(run(&mut s, &mut st, b"STAT\r\n").is_empty());
}

#[test]
fn failed_logins_and_too_many() {
    let mut st = store();
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"USER alice@example.com\r\nPASS wrong\r\nPASS secret\r\n");
    assert_eq!(
        firsts(&o),
        vec![
            "+OK send PASS for alice@example.com",
            "-ERR [AUTH] invalid user name or password",
            "-ERR give USER first"
        ]
    );
    assert!(o.contains(&Output::LoginFailed { user: ALICE.into(), reason: "wrong password".into() }));
    // An unknown user gets +OK at USER and fails at PASS, like a bad password.
    let o = run(&mut s, &mut st, b"USER zoe@example.com\r\nPASS x\r\n");
    assert_eq!(ok_err(&o), vec!["+OK", "-ERR"]);
    assert!(o.contains(&Output::LoginFailed { user: "zoe@example.com".into(), reason: "no such user".into() }));
    assert!(!s.is_closed());
    let o = run(&mut s, &mut st, b"APOP alice@example.com 00000000000000000000000000000000\r\nSTAT\r\n");
    assert_eq!(firsts(&o), vec!["-ERR [AUTH] too many failures"]);
    assert!(closed(&o) && s.is_closed());
    assert_eq!(s.user(), None);
}

#[test]
fn user_pass_and_apop_login() {
    let mut st = store();
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"user alice@example.com\r\npass secret\r\n");
    assert_eq!(
        firsts(&o),
        vec!["+OK send PASS for alice@example.com", "+OK alice@example.com's maildrop has 3 messages (126 octets)"]
    );
    assert!(o.contains(&Output::LoginOk { user: ALICE.into() }));
    // APOP, with the digest in capitals and the name in another case.
    let mut s = session(&mut st);
    let d = apop_digest(TS, "bobpw").to_ascii_uppercase();
    let o = run(&mut s, &mut st, format!("APOP Bob@Example.com {d}\r\n").as_bytes());
    assert_eq!(firsts(&o), vec!["+OK bob@example.com's maildrop has 0 messages (0 octets)"]);
    assert_eq!(s.user(), Some("bob@example.com"));
    // Without a timestamp there is no APOP.
    let mut s = Server::new(Pop3Config { hostname: "h".into(), show_secrets: false }, String::new());
    let o = run(&mut s, &mut st, format!("APOP bob@example.com {d}\r\n").as_bytes());
    assert_eq!(firsts(&o)[1], "-ERR APOP not available");
}

#[test]
fn pass_is_masked_unless_configured() {
    let mut st = store();
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"USER alice@example.com\r\npass secret\r\n");
    assert_eq!(o[0], Output::Received("USER alice@example.com".into()));
    assert!(o.contains(&Output::Received("pass ***".into())));
    assert!(!format!("{o:?}").contains("secret"));
    let o = run(&mut s, &mut st, b"PASS\tsecret\r\nPASS\r\n");
    assert_eq!(o[0], Output::Received("PASS ***".into()));
    assert!(o.contains(&Output::Received("PASS".into())));
    let mut s = server(true);
    let o = run(&mut s, &mut st, b"USER alice@example.com\r\nPASS secret\r\n");
    assert!(o.contains(&Output::Received("PASS secret".into())));
}

#[test]
fn passwords_may_contain_spaces() {
    let mut st = store();
    st.add_account("c@example.com", "two words", date());
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"USER c@example.com\r\nPASS two words\r\n");
    assert_eq!(ok_err(&o), vec!["+OK", "+OK"]);
}

#[test]
fn transaction_state_commands() {
    let mut st = store();
    let mut s = alice(&mut st);
    let o = run(
        &mut s,
        &mut st,
        b"STAT\r\nLIST\r\nLIST 2\r\nLIST 4\r\nLIST 0\r\nLIST x\r\nLIST 1 2\r\nUIDL\r\nUIDL 3\r\nUIDL 9\r\n",
    );
    assert_eq!(
        lines(&o),
        vec![
            "+OK 3 126",
            "+OK 3 messages (126 octets)",
            "1 53",
            "2 34",
            "3 39",
            ".",
            "+OK 2 34",
            "-ERR no such message",
            "-ERR no such message",
            "-ERR invalid message number",
            "-ERR syntax: LIST [msg]",
            "+OK unique-id listing follows",
            "1 0000000169CC6E10",
            "2 0000000269CC6E10",
            "3 0000000369CC6E10",
            ".",
            "+OK 3 0000000369CC6E10",
            "-ERR no such message",
        ]
    );
    let o = run(
        &mut s,
        &mut st,
        b"RETR 1\r\nRETR\r\nRETR 99999999999999999999999\r\nTOP 1 0\r\nTOP 1\r\nTOP 1 -1\r\nTOP 7 1\r\nNOOP\r\nNOOP x\r\nSTAT x\r\nCAPA\r\n",
    );
    assert_eq!(ok_err(&o), vec!["+OK", "-ERR", "-ERR", "+OK", "-ERR", "-ERR", "-ERR", "+OK", "-ERR", "-ERR", "+OK"]);
    let o = run(
        &mut s,
        &mut st,
        b"DELE 1\r\nDELE 1\r\nDELE 5\r\nDELE\r\nRETR 1\r\nTOP 1 1\r\nLIST 1\r\nUIDL 1\r\nSTAT\r\n",
    );
    assert_eq!(
        firsts(&o),
        vec![
            "+OK message 1 deleted",
            "-ERR message 1 already deleted",
            "-ERR no such message",
            "-ERR syntax: DELE msg",
            "-ERR no such message",
            "-ERR no such message",
            "-ERR no such message",
            "-ERR no such message",
            "+OK 2 73",
        ]
    );
    let o = run(
        &mut s,
        &mut st,
        b"USER alice@example.com\r\nPASS secret\r\nAPOP a b\r\nFOO\r\n\r\nRSET x\r\nRSET\r\nSTAT\r\nQUIT now\r\n",
    );
    assert_eq!(
        firsts(&o),
        vec![
            "-ERR already logged in",
            "-ERR already logged in",
            "-ERR already logged in",
            "-ERR unknown command",
            "-ERR empty command",
            "-ERR syntax: RSET takes no argument",
            "+OK maildrop has 3 messages (126 octets)",
            "+OK 3 126",
            "-ERR syntax: QUIT takes no argument",
        ]
    );
    let o = run(&mut s, &mut st, b"DELE 2\r\nQUIT\r\n");
    assert_eq!(
        firsts(&o),
        vec!["+OK message 2 deleted", "+OK pop.example.com POP3 server signing off (2 messages left)"]
    );
    assert!(closed(&o));
    assert_eq!(uids(&st, ALICE), vec![1, 3]);
}

#[test]
fn deletions_happen_only_at_quit() {
    let mut st = store();
    let mut s = alice(&mut st);
    let o = run(&mut s, &mut st, b"DELE 1\r\nDELE 3\r\nSTAT\r\nLIST\r\nUIDL\r\n");
    assert_eq!(
        lines(&o),
        vec![
            "+OK message 1 deleted",
            "+OK message 3 deleted",
            "+OK 1 34",
            "+OK 1 message (34 octets)",
            "2 34",
            ".",
            "+OK unique-id listing follows",
            "2 0000000269CC6E10",
            ".",
        ]
    );
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
    assert!(st.mailbox(ALICE, INBOX).unwrap().messages.iter().all(|m| !m.has("\\Deleted")));
    let o = run(&mut s, &mut st, b"QUIT\r\n");
    assert_eq!(firsts(&o), vec!["+OK pop.example.com POP3 server signing off (1 message left)"]);
    assert_eq!(uids(&st, ALICE), vec![2]);
}

#[test]
fn rset_undoes_deletions() {
    let mut st = store();
    let mut s = alice(&mut st);
    let o = run(&mut s, &mut st, b"DELE 1\r\nDELE 2\r\nRSET\r\nSTAT\r\nRETR 1\r\nQUIT\r\n");
    assert_eq!(ok_err(&o), vec!["+OK"; 6]);
    assert_eq!(firsts(&o)[3], "+OK 3 126");
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
}

#[test]
fn dropped_connection_deletes_nothing() {
    let mut st = store();
    let mut s = alice(&mut st);
    run(&mut s, &mut st, b"DELE 1\r\nDELE 2\r\nDELE 3\r\n");
    s.feed(b"QUI");
    s.peer_closed();
    assert!(s.is_closed());
    assert_eq!(s.poll(&mut st), None);
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
}

#[test]
fn a_client_trickling_bytes_without_a_line_end_is_cut_off() {
    use std::time::Duration;
    // Each byte comes just before the deadline: a byte that ends no
    // line does not restart the timer (Postfix's
    // smtpd_per_record_deadline), so the session ends one autologout
    // after the last complete line all the same.
    let mut st = store();
    let mut s = alice(&mut st);
    let t0 = Duration::from_secs(3);
    s.waiting(t0);
    for &b in b"LIST 1 2 3 4 5" {
        let now = s.poll_timeout().expect("open") - Duration::from_millis(1);
        s.handle_timeout(now);
        assert_eq!(run(&mut s, &mut st, &[b]), vec![]);
        s.waiting(now);
    }
    assert_eq!(s.poll_timeout(), Some(t0 + AUTOLOGOUT));
    s.handle_timeout(t0 + AUTOLOGOUT);
    assert_eq!(run(&mut s, &mut st, b""), vec![Output::Close]);
    // A complete line restarts it, however slowly it came.
    let mut s = alice(&mut st);
    s.waiting(t0);
    run(&mut s, &mut st, b"NO");
    s.waiting(t0 + Duration::from_secs(500));
    assert_eq!(s.poll_timeout(), Some(t0 + AUTOLOGOUT));
    assert_eq!(firsts(&run(&mut s, &mut st, b"OP\r\n")).len(), 1);
    s.waiting(t0 + Duration::from_secs(599));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(599) + AUTOLOGOUT));
    // And the timeout can be configured (`serve --idle-timeout`).
    s.set_idle_timeout(Duration::from_secs(2));
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(601)));
}

#[test]
fn autologout_closes_silently_and_deletes_nothing() {
    use std::time::Duration;
    let mut st = store();
    let mut s = alice(&mut st);
    run(&mut s, &mut st, b"DELE 1\r\n");
    // The host waits from 70 s on: the timer runs from there, not from the start.
    s.waiting(Duration::from_secs(70));
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(70) + AUTOLOGOUT));
    // Woken without a word from the client (the store changed): the timer goes on.
    s.waiting(Duration::from_secs(300));
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(70) + AUTOLOGOUT));
    assert_eq!(AUTOLOGOUT, Duration::from_secs(600), "RFC 1939: at least 10 minutes");
    s.handle_timeout(Duration::from_secs(669));
    assert_eq!(s.poll(&mut st), None, "not yet");
    s.handle_timeout(Duration::from_secs(670));
    // No reply (RFC 1939 §3: the server closes without a word), no UPDATE state.
    assert_eq!(run(&mut s, &mut st, b"QUIT\r\n"), vec![Output::Close]);
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
    // A late timer does nothing more.
    s.handle_timeout(Duration::from_secs(10_000));
    assert_eq!(s.poll(&mut st), None);
}

#[test]
fn a_busy_server_refuses_and_closes() {
    let mut st = store();
    let mut s = Server::refuse_busy(Pop3Config { hostname: "pop.example.com".into(), show_secrets: false });
    let o = run(&mut s, &mut st, b"USER alice@example.com\r\n");
    assert_eq!(lines(&o), vec!["-ERR [SYS/TEMP] too many connections"]);
    assert_eq!(wire(&o), b"-ERR [SYS/TEMP] too many connections\r\n");
    assert!(closed(&o));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn nothing_is_said_after_the_peer_closed() {
    let mut st = store();
    let mut s = alice(&mut st);
    s.feed(b"STAT\r\nLIST\r\n");
    assert!(matches!(s.poll(&mut st), Some(Output::Received(_))));
    s.peer_closed();
    assert_eq!(s.poll(&mut st), None);
}

fn seen(st: &Store) -> Vec<bool> {
    st.mailbox(ALICE, INBOX).map(|mb| mb.messages.iter().map(|m| m.has("\\Seen")).collect()).unwrap_or_default()
}

#[test]
fn retr_marks_seen_when_the_session_ends_top_does_not() {
    // QUIT ends it: RETR 2 is seen, TOP 1 and the untouched 3 are not.
    let mut st = store();
    let mut s = alice(&mut st);
    run(&mut s, &mut st, b"TOP 1 0\r\nRETR 2\r\n");
    assert_eq!(seen(&st), vec![false, false, false], "not before the session ends");
    run(&mut s, &mut st, b"QUIT\r\n");
    assert_eq!(seen(&st), vec![false, true, false]);
    // A dropped connection ends it too (Dovecot marks them at any end).
    let mut st = store();
    let mut s = alice(&mut st);
    run(&mut s, &mut st, b"RETR 3\r\n");
    s.peer_closed();
    s.end(&mut st);
    assert_eq!(seen(&st), vec![false, false, true]);
    // Retrieved and deleted: gone at QUIT, and the store's version moved for IDLE.
    let mut st = store();
    let mut s = alice(&mut st);
    let before = st.version();
    run(&mut s, &mut st, b"RETR 1\r\nDELE 1\r\nQUIT\r\n");
    assert_eq!(uids(&st, ALICE), vec![2, 3]);
    assert_ne!(st.version(), before);
}

#[test]
fn a_pop3_login_takes_recent_away() {
    let mut st = store();
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().recent.len(), 3, "new mail is \\Recent");
    // A failed login leaves it.
    let mut s = session(&mut st);
    run(&mut s, &mut st, b"USER alice@example.com\r\nPASS wrong\r\n");
    assert_eq!(st.mailbox(ALICE, INBOX).unwrap().recent.len(), 3);
    let _s = alice(&mut st);
    assert!(st.mailbox(ALICE, INBOX).unwrap().recent.is_empty());
}

#[test]
fn other_clients_deleted_marks_are_not_expunged() {
    let mut st = store();
    // An IMAP client marked message 3 \Deleted (in its own spelling) but has not expunged.
    st.mailbox_mut(ALICE, INBOX).unwrap().messages[2].flags.insert("\\deleted".into());
    let mut s = alice(&mut st);
    run(&mut s, &mut st, b"DELE 1\r\nQUIT\r\n");
    assert_eq!(uids(&st, ALICE), vec![2, 3]);
    let mb = st.mailbox(ALICE, INBOX).unwrap();
    assert!(!mb.messages[0].has("\\Deleted"));
    assert!(mb.messages[1].flags.contains("\\deleted"));
}

#[test]
fn maildrop_is_fixed_at_login_and_uids_are_stable() {
    let mut st = store();
    let mut s = alice(&mut st);
    let new_uid = deliver(&mut st, ALICE, b"Subject: late\r\n\r\nx\r\n");
    let o = run(&mut s, &mut st, b"STAT\r\nRETR 4\r\nUIDL 3\r\nDELE 2\r\nQUIT\r\n");
    assert_eq!(
        firsts(&o),
        vec![
            "+OK 3 126",
            "-ERR no such message",
            "+OK 3 0000000369CC6E10",
            "+OK message 2 deleted",
            "+OK pop.example.com POP3 server signing off (3 messages left)"
        ]
    );
    assert_eq!(uids(&st, ALICE), vec![1, 3, new_uid]);
    // The next session sees the new message; message 3 keeps its unique-id.
    let mut s = alice(&mut st);
    let o = run(&mut s, &mut st, b"UIDL\r\n");
    assert_eq!(
        lines(&o),
        vec!["+OK unique-id listing follows", "1 0000000169CC6E10", "2 0000000369CC6E10", "3 0000000469CC6E10", "."]
    );
}

#[test]
fn message_removed_by_another_client_can_still_be_read() {
    let mut st = store();
    let mut s = alice(&mut st);
    st.mailbox_mut(ALICE, INBOX).unwrap().messages[0].flags.insert("\\Deleted".into());
    st.expunge(ALICE, INBOX);
    let o = run(&mut s, &mut st, b"RETR 1\r\nDELE 1\r\nQUIT\r\n");
    assert_eq!(ok_err(&o), vec!["+OK"; 3]);
    assert_eq!(uids(&st, ALICE), vec![2, 3]);
}

#[test]
fn retr_is_dot_stuffed() {
    let mut st = store();
    let mut s = alice(&mut st);
    let o = run(&mut s, &mut st, b"RETR 2\r\n");
    assert_eq!(wire(&o), b"+OK 34 octets\r\nSubject: dots\r\n\r\n..hidden\r\n..\r\nend\r\n.\r\n");
    assert_eq!(lines(&o), vec!["+OK 34 octets", "(message: 5 lines, 34 octets)", "."]);
}

#[test]
fn bare_lf_and_unterminated_messages_go_out_with_crlf() {
    let mut st = Store::new();
    st.add_account("u", "p", date());
    deliver(&mut st, "u", b"Subject: lf\n\n.x\nlast");
    deliver(&mut st, "u", b"");
    let mut s = session(&mut st);
    run(&mut s, &mut st, b"USER u\nPASS p\n");
    let o = run(&mut s, &mut st, b"LIST\nRETR 1\nRETR 2\nTOP 2 5\n");
    assert_eq!(
        String::from_utf8(wire(&o)).unwrap(),
        "+OK 2 messages (25 octets)\r\n1 25\r\n2 0\r\n.\r\n\
         +OK 25 octets\r\nSubject: lf\r\n\r\n..x\r\nlast\r\n.\r\n\
         +OK 0 octets\r\n.\r\n\
         +OK top of message follows\r\n.\r\n"
    );
}

#[test]
fn top_sends_header_and_n_body_lines() {
    let mut st = store();
    st.add_account("h@example.com", "p", date());
    deliver(&mut st, "h@example.com", b"Subject: header only\r\nX: y\r\n");
    let mut s = alice(&mut st);
    let top = |s: &mut Server, st: &mut Store, cmd: &[u8]| -> Vec<u8> {
        let w = wire(&run(s, st, cmd));
        w.strip_prefix(b"+OK top of message follows\r\n".as_slice()).unwrap().to_vec()
    };
    assert_eq!(top(&mut s, &mut st, b"TOP 3 0\r\n"), b"Subject: three\r\n\r\n.\r\n");
    assert_eq!(top(&mut s, &mut st, b"TOP 3 2\r\n"), b"Subject: three\r\n\r\nline1\r\nline2\r\n.\r\n");
    let all = b"Subject: three\r\n\r\nline1\r\nline2\r\nline3\r\n.\r\n";
    assert_eq!(top(&mut s, &mut st, b"TOP 3 10\r\n"), all);
    assert_eq!(top(&mut s, &mut st, b"TOP 3 99999999999999999999999999\r\n"), all);
    assert_eq!(top(&mut s, &mut st, b"TOP 2 1\r\n"), b"Subject: dots\r\n\r\n..hidden\r\n.\r\n");
    let o = run(&mut s, &mut st, b"TOP 3 1\r\n");
    assert_eq!(lines(&o)[1], "(top of message: 3 lines, 25 octets)");
    let mut s = session(&mut st);
    run(&mut s, &mut st, b"USER h@example.com\r\nPASS p\r\n");
    assert_eq!(top(&mut s, &mut st, b"TOP 1 3\r\n"), b"Subject: header only\r\nX: y\r\n.\r\n");
}

#[test]
fn long_lines_are_refused_and_memory_stays_bounded() {
    let mut st = store();
    let mut s = session(&mut st);
    let mut long = vec![b'N'; 600];
    long.extend_from_slice(b"\r\nCAPA\r\n");
    let o = run(&mut s, &mut st, &long);
    assert_eq!(firsts(&o), vec!["-ERR line too long", "+OK capability list follows"]);
    for _ in 0..100 {
        assert!(run(&mut s, &mut st, &[b'x'; 100]).is_empty());
        assert!(s.input.len() <= MAX_COMMAND_LINE + 100);
    }
    let o = run(&mut s, &mut st, b"\r\nQUIT\r\n");
    assert_eq!(ok_err(&o), vec!["-ERR", "+OK"]);
    // 510 octets and CRLF is the longest line taken.
    let mut s = session(&mut st);
    let mut l = b"NOOP ".to_vec();
    l.resize(510, b'x');
    l.extend_from_slice(b"\r\n");
    assert_eq!(
        firsts(&run(&mut s, &mut st, &l)),
        vec!["-ERR NOOP is not allowed before login: use USER and PASS, or APOP"]
    );
    l.insert(0, b' ');
    assert_eq!(firsts(&run(&mut s, &mut st, &l)), vec!["-ERR line too long"]);
}

#[test]
fn non_utf8_and_control_bytes_are_harmless() {
    let mut st = store();
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"USER \xff\x01x\r\nPASS \x00\r\nSTAT\xfe\r\n");
    assert_eq!(
        firsts(&o),
        vec!["+OK send PASS for \u{fffd}?x", "-ERR [AUTH] invalid user name or password", "-ERR unknown command"]
    );
    let w = wire(&o);
    assert!(w.windows(2).all(|p| p[0] != b'\r' || p[1] == b'\n'));
}

fn tls_server(mode: TlsMode) -> Server {
    server(false).tls(mode)
}

/// Run `input`; whenever the core asks for TLS, pretend the handshake worked.
fn run_tls(s: &mut Server, st: &mut Store, input: &[u8]) -> Vec<Output> {
    s.feed(input);
    let mut v = Vec::new();
    while let Some(o) = s.poll(st) {
        if o == Output::StartTls {
            s.tls_started();
        }
        v.push(o);
    }
    v
}

#[test]
fn stls_is_offered_until_tls_is_up() {
    let mut st = store();
    let mut s = tls_server(TlsMode::Offered);
    let o = run_tls(&mut s, &mut st, b"CAPA\r\nSTLS\r\n");
    let l = lines(&o);
    assert!(l.contains(&"STLS".to_string()) && l.contains(&"USER".to_string()), "{l:?}");
    assert_eq!(firsts(&o).last().map(String::as_str), Some("+OK Begin TLS negotiation now."));
    assert!(o.contains(&Output::StartTls));
    assert!(s.is_encrypted());
    // After TLS: CAPA again has no STLS, a second STLS is refused, login works.
    let o = run_tls(&mut s, &mut st, b"CAPA\r\nSTLS\r\nUSER alice@example.com\r\nPASS secret\r\nSTLS\r\n");
    assert!(!lines(&o).contains(&"STLS".to_string()));
    assert_eq!(
        firsts(&o)[1..],
        [
            "-ERR TLS is already active.",
            "+OK send PASS for alice@example.com",
            "+OK alice@example.com's maildrop has 3 messages (126 octets)",
            "-ERR STLS is only allowed before login",
        ]
    );
    // Without TLS on the host: not offered, refused in Dovecot's words.
    let mut s = session(&mut st);
    let o = run(&mut s, &mut st, b"CAPA\r\nSTLS\r\n");
    assert!(!lines(&o).contains(&"STLS".to_string()));
    assert_eq!(firsts(&o)[1], "-ERR TLS support isn't enabled.");
    assert!(!o.contains(&Output::StartTls));
}

#[test]
fn nothing_pipelined_after_stls_survives_into_tls() {
    // The injection: a client (or a man in the middle) sends commands in
    // the clear right behind STLS; none of them may run inside TLS.
    let mut st = store();
    let mut s = tls_server(TlsMode::Offered);
    run(&mut s, &mut st, b"");
    s.feed(b"STLS\r\nUSER alice@example.com\r\nPASS secret\r\nDELE 1\r\n");
    let mut o = Vec::new();
    while let Some(x) = s.poll(&mut st) {
        o.push(x);
    }
    assert_eq!(firsts(&o), vec!["+OK Begin TLS negotiation now."]);
    assert_eq!(o.last(), Some(&Output::StartTls));
    // More cleartext before the handshake is done: still nothing.
    assert!(run(&mut s, &mut st, b"QUIT\r\n").is_empty());
    s.tls_started();
    assert!(run(&mut s, &mut st, b"").is_empty(), "the injected lines are gone");
    let o = run(&mut s, &mut st, b"PASS secret\r\nSTAT\r\n");
    assert_eq!(
        firsts(&o),
        vec!["-ERR give USER first", "-ERR STAT is not allowed before login: use USER and PASS, or APOP"]
    );
    assert_eq!(uids(&st, ALICE), vec![1, 2, 3]);
}

#[test]
fn a_host_that_requires_tls_refuses_logins_in_the_clear() {
    let mut st = store();
    let mut s = tls_server(TlsMode::Required);
    run(&mut s, &mut st, b"");
    let digest = apop_digest(TS, "secret");
    let o = run(
        &mut s,
        &mut st,
        format!("CAPA\r\nUSER alice@example.com\r\nPASS secret\r\nAPOP alice@example.com {digest}\r\n").as_bytes(),
    );
    let l = lines(&o);
    assert!(!l.contains(&"USER".to_string()) && l.contains(&"STLS".to_string()), "{l:?}");
    assert_eq!(
        firsts(&o)[1..],
        [
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
            "-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.",
        ]
    );
    assert!(!o.iter().any(|x| matches!(x, Output::LoginOk { .. } | Output::LoginFailed { .. })));
    // The host logs Dovecot's "tried to use disallowed plaintext auth" at the end.
    assert!(s.plaintext_refused());
    let o = run_tls(&mut s, &mut st, b"STLS\r\n");
    assert!(o.contains(&Output::StartTls));
    let o = run_tls(&mut s, &mut st, b"CAPA\r\nAPOP alice@example.com ");
    assert!(lines(&o).contains(&"USER".to_string()));
    let o = run_tls(&mut s, &mut st, format!("{digest}\r\nQUIT\r\n").as_bytes());
    assert_eq!(ok_err(&o), vec!["+OK", "+OK"]);
    // Implicit TLS (995): TLS is up before the greeting.
    let mut s = tls_server(TlsMode::Required);
    s.tls_started();
    let o = run(&mut s, &mut st, b"CAPA\r\nUSER bob@example.com\r\nPASS bobpw\r\n");
    assert!(!lines(&o).contains(&"STLS".to_string()));
    assert_eq!(ok_err(&o), vec!["+OK", "+OK", "+OK", "+OK"]);
}

const TLS_SESSION: &[u8] = b"CAPA\r\nUSER alice@example.com\r\nSTLS\r\nUSER evil\r\nPASS x\r\n";

#[test]
fn every_split_around_stls_gives_the_same_output() {
    // Both reads arrive in the clear, before the handshake: whatever
    // follows STLS is dropped however the bytes were cut.
    let play = |cut: usize| {
        let mut st = store();
        let mut s = tls_server(TlsMode::Required);
        let mut got = run(&mut s, &mut st, &TLS_SESSION[..cut]);
        got.extend(run(&mut s, &mut st, &TLS_SESSION[cut..]));
        assert_eq!(got.last(), Some(&Output::StartTls), "split at {cut}");
        s.tls_started();
        got.extend(run(&mut s, &mut st, b"USER alice@example.com\r\nPASS secret\r\nQUIT\r\n"));
        got
    };
    let want = play(TLS_SESSION.len());
    assert_eq!(ok_err(&want), vec!["+OK", "+OK", "-ERR", "+OK", "+OK", "+OK", "+OK"]);
    assert!(closed(&want));
    for cut in 0..=TLS_SESSION.len() {
        assert_eq!(play(cut), want, "split at {cut}");
    }
}

const SESSION: &[u8] = b"CAPA\r\nUSER alice@example.com\r\nPASS secret\r\nSTAT\nLIST\r\nRETR 2\r\nTOP 3 1\r\nDELE 1\r\nDELE 1\r\nUIDL\r\nNOOP\r\nQUIT\r\n";

#[test]
fn every_split_gives_the_same_output() {
    let mut st0 = store();
    let mut s0 = session(&mut st0);
    let want = run(&mut s0, &mut st0, SESSION);
    assert!(closed(&want));
    for cut in 0..=SESSION.len() {
        let mut st = store();
        let mut s = session(&mut st);
        let mut got = run(&mut s, &mut st, &SESSION[..cut]);
        got.extend(run(&mut s, &mut st, &SESSION[cut..]));
        assert_eq!(got, want, "split at {cut}");
        assert_eq!(uids(&st, ALICE), vec![2, 3]);
    }
}

#[test]
fn pipelined_commands_fed_before_the_greeting() {
    let mut st = store();
    let mut s = server(false);
    s.feed(SESSION);
    let o: Vec<Output> = std::iter::from_fn(|| s.poll(&mut st)).collect();
    assert!(firsts(&o)[0].starts_with("+OK pop.example.com POP3 server ready"));
    assert_eq!(firsts(&o).len(), 13);
    assert!(closed(&o));
}

/// Random words and bytes in random reads: no panic, every response well formed.
#[test]
fn random_input_never_panics() {
    let words: [&[u8]; 24] = [
        b"USER",
        b"PASS",
        b"APOP",
        b"STAT",
        b"LIST",
        b"RETR",
        b"DELE",
        b"NOOP",
        b"RSET",
        b"TOP",
        b"UIDL",
        b"QUIT",
        b"CAPA",
        b" ",
        b"  ",
        b"\r\n",
        b"\n",
        b"\r",
        b"0",
        b"1",
        b"3",
        b"-1",
        b"alice@example.com",
        b"secret",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..400 {
        let mut st = store();
        let mut s = if round % 2 == 0 { session(&mut st) } else { alice(&mut st) };
        let mut input = Vec::new();
        for _ in 0..next(80) {
            match next(10) {
                0 => input.push(next(256) as u8),
                1 => input.extend(std::iter::repeat_n(b'A', next(700))),
                _ => input.extend_from_slice(words[next(words.len())]),
            }
        }
        let mut pos = 0;
        while pos < input.len() {
            let end = (pos + 1 + next(40)).min(input.len());
            for o in run(&mut s, &mut st, &input[pos..end]) {
                if let Output::Send { bytes, lines } = o {
                    assert!(bytes.ends_with(b"\r\n"));
                    assert!(lines[0].starts_with("+OK") || lines[0].starts_with("-ERR"));
                }
            }
            pos = end;
        }
        if next(2) == 0 {
            s.peer_closed();
        } else {
            run(&mut s, &mut st, b"\r\nQUIT\r\n");
        }
        assert!(s.is_closed());
    }
}

#[test]
fn unique_ids_are_dovecots_default_format() {
    // pop3_uidl_format = %08Xu%08Xv: the UID, then the UIDVALIDITY.
    assert_eq!(super::unique_id(1, 1_775_005_200), "0000000169CC6E10");
    assert_eq!(super::unique_id(0x2a, 1), "0000002A00000001");
    assert_eq!(super::unique_id(u32::MAX, u32::MAX), "FFFFFFFFFFFFFFFF");
}

#[test]
fn a_maildrop_made_again_later_gives_new_unique_ids() {
    // The same first message in a store made a second later (the lab
    // started again) must not have the unique-id a client kept (RFC 1939 §7).
    let uidl = |created: DateTime<FixedOffset>| {
        let mut st = Store::new();
        st.add_account(ALICE, "secret", created);
        deliver(&mut st, ALICE, M1);
        let mut s = server(false);
        run(&mut s, &mut st, b"USER alice@example.com\r\nPASS secret\r\n");
        lines(&run(&mut s, &mut st, b"UIDL 1\r\n"))
    };
    assert_eq!(uidl(date()), vec!["+OK 1 0000000169CC6E10"]);
    assert_eq!(uidl(date() + chrono::Duration::seconds(1)), vec!["+OK 1 0000000169CC6E11"]);
}

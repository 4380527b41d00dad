//! Password guessing against a mailstore is slowed down (issue #9): the
//! reply to a failed POP3 or IMAP login is held back, 2 s and then twice as
//! long for each recent failure from the same client address, up to 15 s.
//! A good login is answered at once and forgets the address's failures;
//! other addresses are not affected; ten quiet minutes forget them too.

use maillab::lab::run;
use maillab::scenario::load_str;
use maillab::trace::Event;
use maillab::trace::{Field, Kind};

/// `guesser` tries passwords for Alice's mailbox; `laptop` is Alice, who
/// mistypes hers once.
const SCENARIO: &str = r#"
version: 1
name: brute-force
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: guesser, role: mua, address: 198.51.100.66 }
  - { name: laptop, role: mua, address: 192.0.2.31 }
  - name: mail
    role: mailstore
    address: 192.0.2.25
    hostname: mail.example.com
    domains: [example.com]
users:
  - { address: alice@example.com, password: wonderland }
steps:
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess1 }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess2 }
  - imap: { from_host: guesser, server: mail, user: alice@example.com, password: guess3 }
  - pop3: { from_host: laptop, server: mail, user: alice@example.com, password: wonderlnad }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess4, apop: true }
  - imap: { from_host: guesser, server: mail, user: alice@example.com, password: guess5 }
  - pop3: { from_host: laptop, server: mail, user: alice@example.com, delete: false }
  - imap: { from_host: guesser, server: mail, user: alice@example.com }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess6 }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess7 }
  - wait: 10m
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess8 }
"#;

fn events() -> Vec<Event> {
    events_of(SCENARIO)
}

fn events_of(yaml: &str) -> Vec<Event> {
    let sc = load_str(yaml, "brute-force.yaml").unwrap_or_else(|d| panic!("{d}"));
    run(&sc).expect("runs").events
}

/// The server's session number of a step's connection.
fn session_of(events: &[Event], step: usize) -> u64 {
    events
        .iter()
        .find(|e| e.kind == Kind::TcpConnect && e.field_u64(Field::Step) == Some(step as u64))
        .and_then(|e| e.session)
        .unwrap_or_else(|| panic!("step {step} made no connection"))
}

/// The login command of a step and the server's answer to it.
fn login_and_reply(events: &[Event], step: usize) -> (&Event, &Event) {
    let s = session_of(events, step);
    let mine: Vec<&Event> = events.iter().filter(|e| e.host == "mail" && e.session == Some(s)).collect();
    let is_login = |e: &&Event| {
        let l = e.line.as_deref().unwrap_or("");
        (e.kind == Kind::Pop3Cmd && (l.starts_with("PASS") || l.starts_with("APOP")))
            || (e.kind == Kind::ImapCmd && l.contains(" LOGIN "))
            || (e.kind == Kind::SmtpCmd && l.starts_with("AUTH"))
    };
    let i = mine.iter().position(is_login).unwrap_or_else(|| panic!("step {step}: no login command"));
    let reply =
        mine[i..].iter().find(|e| e.kind.is_reply()).unwrap_or_else(|| panic!("step {step}: no answer to the login"));
    (mine[i], reply)
}

/// How long the server took to answer a step's login, in virtual milliseconds.
fn answer_ms(events: &[Event], step: usize) -> i64 {
    let (cmd, reply) = login_and_reply(events, step);
    (reply.t - cmd.t).num_milliseconds()
}

fn refused(events: &[Event], step: usize) -> bool {
    let l = login_and_reply(events, step).1.line.clone().unwrap_or_default();
    l.starts_with("-ERR") || l.contains(" NO ") || l.starts_with("535")
}

/// The `auth.delay` lines of a step's session.
fn delay_lines(events: &[Event], step: usize) -> Vec<String> {
    let s = session_of(events, step);
    events.iter().filter(|e| e.kind == Kind::AuthDelay && e.session == Some(s)).filter_map(|e| e.line.clone()).collect()
}

#[test]
fn a_wrong_password_is_answered_after_two_seconds() {
    let ev = events();
    for step in [1, 4] {
        assert!(refused(&ev, step), "step {step} should fail");
    }
    assert_eq!(answer_ms(&ev, 1), 2000);
    assert_eq!(delay_lines(&ev, 1), vec!["1st failed login from 198.51.100.66 in the last 10m: reply held back 2s"]);
    // The Dovecot-style log line is written when the answer goes out.
    let (_, reply) = login_and_reply(&ev, 1);
    let log = ev
        .iter()
        .find(|e| e.kind == Kind::Log && e.line.as_deref().is_some_and(|l| l.contains("pop3-login: Disconnected")))
        .expect("the failure is logged");
    assert!(log.line.as_deref().is_some_and(|l| l.contains("rip=198.51.100.66")), "{log:?}");
    assert_eq!(log.t, reply.t);
    // The client sees it too: its step ends over two seconds after it started.
    let start = ev.iter().find(|e| e.kind == Kind::Step && e.field_u64(Field::Step) == Some(1)).expect("step 1 starts");
    let fetch =
        ev.iter().find(|e| e.kind == Kind::MuaFetch && e.field_u64(Field::Step) == Some(1)).expect("step 1 ends");
    assert!(fetch.line.as_deref().is_some_and(|l| l.contains("login refused: -ERR [AUTH]")), "{fetch:?}");
    assert!((fetch.t - start.t).num_milliseconds() > 2000, "{start:?} {fetch:?}");
}

#[test]
fn repeated_failures_from_one_address_grow_the_delay() {
    let ev = events();
    // POP3 (USER/PASS and APOP) and IMAP failures count together, per address.
    let guesser: Vec<i64> = [1, 2, 3, 5, 6].into_iter().map(|s| answer_ms(&ev, s)).collect();
    assert_eq!(guesser, vec![2000, 4000, 8000, 15000, 15000]);
    assert_eq!(delay_lines(&ev, 3), vec!["3rd failed login from 198.51.100.66 in the last 10m: reply held back 8s"]);
    assert_eq!(delay_lines(&ev, 6), vec!["5th failed login from 198.51.100.66 in the last 10m: reply held back 15s"]);
    let e =
        ev.iter().find(|e| e.kind == Kind::AuthDelay && e.field_u64(Field::Failures) == Some(4)).expect("4th failure");
    assert_eq!(e.field_u64(Field::DelayMs), Some(15000));
    assert_eq!(e.field_str(Field::Ip), Some("198.51.100.66"));
    assert_eq!(e.peer.as_deref(), Some("guesser"));
}

#[test]
fn a_correct_login_is_not_delayed_and_resets_the_count() {
    let ev = events();
    // Right after failures from the same address (one from the laptop,
    // five from the guesser), the right password is answered at once.
    for step in [7, 8] {
        assert!(!refused(&ev, step), "step {step} should log in");
        assert_eq!(answer_ms(&ev, step), 0, "step {step}");
        assert!(delay_lines(&ev, step).is_empty(), "step {step}");
    }
    // ... and the next failures start again from 2 s.
    assert_eq!(answer_ms(&ev, 9), 2000);
    assert_eq!(answer_ms(&ev, 10), 4000);
}

#[test]
fn another_address_is_not_affected() {
    let ev = events();
    // The laptop fails after the guesser's third failure: its own first.
    assert_eq!(answer_ms(&ev, 4), 2000);
    assert_eq!(delay_lines(&ev, 4), vec!["1st failed login from 192.0.2.31 in the last 10m: reply held back 2s"]);
}

#[test]
fn ten_quiet_minutes_forget_the_failures() {
    let ev = events();
    assert_eq!(answer_ms(&ev, 12), 2000);
    assert_eq!(delay_lines(&ev, 12), vec!["1st failed login from 198.51.100.66 in the last 10m: reply held back 2s"]);
}

/// Issue #19: SMTP AUTH shares the table. `guesser` alternates between
/// SMTP AUTH on the submission port, POP3 and IMAP: every failure counts
/// towards the next delay, whichever protocol it came through.
const SMTP_SCENARIO: &str = r#"
version: 1
name: smtp-guessing
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: guesser, role: mua, address: 198.51.100.66 }
  - name: mail
    role: mailstore
    address: 192.0.2.25
    hostname: mail.example.com
    domains: [example.com]
    auth: offered
    submission: true
users:
  - { address: alice@example.com, password: wonderland }
  - { address: bob@example.com, password: builder }
steps:
  - send: { from_host: guesser, via: mail, port: 587, from: alice@example.com, to: [bob@example.com], subject: g1, body: x, auth: { user: alice@example.com, password: guess1 } }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess2 }
  - send: { from_host: guesser, via: mail, port: 587, from: alice@example.com, to: [bob@example.com], subject: g3, body: x, auth: { user: alice@example.com, password: guess3 } }
  - imap: { from_host: guesser, server: mail, user: alice@example.com, password: guess4 }
  - send: { from_host: guesser, via: mail, port: 587, from: alice@example.com, to: [bob@example.com], subject: ok, body: x, auth: { user: alice@example.com, password: wonderland } }
  - pop3: { from_host: guesser, server: mail, user: alice@example.com, password: guess5 }
"#;

#[test]
fn smtp_auth_failures_are_held_back_and_count_with_pop3_and_imap() {
    let ev = events_of(SMTP_SCENARIO);
    for step in [1, 2, 3, 4, 6] {
        assert!(refused(&ev, step), "step {step} should fail");
    }
    assert!(!refused(&ev, 5), "the right password is accepted");
    let ms: Vec<i64> = (1..=6).map(|s| answer_ms(&ev, s)).collect();
    // Virtual time: 2 s, 4 s, 8 s, 15 s across the three protocols; the
    // right password at once, and it forgets the failures.
    assert_eq!(ms, vec![2000, 4000, 8000, 15000, 0, 2000]);
    assert_eq!(delay_lines(&ev, 3), vec!["3rd failed login from 198.51.100.66 in the last 10m: reply held back 8s"]);
    let (_, reply) = login_and_reply(&ev, 1);
    assert_eq!(reply.line.as_deref(), Some("535 5.7.0 authentication failed"));
}

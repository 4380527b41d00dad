//! The connection loops on a running mailstore host (SMTP, POP3, IMAP on
//! the one session driver): sessions over the cap are refused by the
//! cores and traced; silent clients are dropped when the cores' timers say so;
//! an IMAP client in IDLE hears of every change other sessions make.

use maillab::host::listen::{MAX_PER_CLIENT, MAX_SESSIONS};
use maillab::net::{Net, Stream};
use maillab::proto::ports::{IMAP as IMAP_PORT, POP3 as POP3_PORT, SMTP as SMTP_PORT};
use maillab::trace::{Kind, Trace};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const SCENARIO: &str = r#"
version: 1
name: wire
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: pc, role: mua, address: 192.0.2.31 }
  - { name: mail, role: mailstore, address: 192.0.2.25, hostname: mail.example.com, domains: [example.com], max_message_size: 5000 }
users:
  - { address: alice@example.com, password: wonderland }
steps: []
"#;
const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);
const MAIL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 25);

async fn start() -> (Net, Trace) {
    crate::common::start_sim(SCENARIO, "wire.yaml", PC).await
}

/// Everything the server sends until it closes.
async fn all(s: &mut Stream) -> String {
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v).await;
    String::from_utf8_lossy(&v).into_owned()
}

async fn first_line(s: &mut Stream) -> String {
    let mut v = Vec::new();
    let mut b = [0u8; 1];
    while s.read(&mut b).await.is_ok_and(|n| n == 1) {
        v.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&v).into_owned()
}

#[tokio::test(start_paused = true)]
async fn over_the_caps_the_cores_refuse_and_the_trace_says_so() {
    for (port, kind, per_client, busy) in [
        (
            SMTP_PORT,
            Kind::SmtpReply,
            "421 4.7.0 mail.example.com Error: too many connections from 192.0.2.31",
            "421 4.7.0 mail.example.com Error: too many connections",
        ),
        (POP3_PORT, Kind::Pop3Reply, "-ERR [SYS/TEMP] too many connections", "-ERR [SYS/TEMP] too many connections"),
        (IMAP_PORT, Kind::ImapReply, "* BYE too many connections", "* BYE too many connections"),
    ] {
        let (net, trace) = start().await;
        let mut open = Vec::new();
        // One address may hold MAX_PER_CLIENT sessions …
        for _ in 0..MAX_PER_CLIENT {
            let mut c = net.connect(PC, SocketAddrV4::new(MAIL, port)).await.expect("connected");
            assert!(!first_line(&mut c.stream).await.contains("too many"));
            open.push(c);
        }
        let mut c = net.connect(PC, SocketAddrV4::new(MAIL, port)).await.expect("connected");
        assert_eq!(all(&mut c.stream).await, format!("{per_client}\r\n"));
        let ev = trace.events().into_iter().filter(|e| e.session == Some(c.session)).collect::<Vec<_>>();
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(
            (ev[0].kind, ev[0].line.as_deref(), ev[0].peer.as_deref()),
            (
                Kind::TcpRefuse,
                Some("too many connections from 192.0.2.31: 50 at once, the limit per client address; refused"),
                Some("pc")
            )
        );
        assert_eq!((ev[1].kind, ev[1].line.as_deref(), ev[1].peer.as_deref()), (kind, Some(per_client), Some("pc")));
        // … and the service MAX_SESSIONS from everyone.
        for i in 0..MAX_SESSIONS - MAX_PER_CLIENT {
            let from = Ipv4Addr::new(198, 51, 100, 1 + (i % 40) as u8);
            let mut c = net.connect(from, SocketAddrV4::new(MAIL, port)).await.expect("connected");
            assert!(!first_line(&mut c.stream).await.contains("too many"));
            open.push(c);
        }
        let mut c = net.connect(Ipv4Addr::new(203, 0, 113, 9), SocketAddrV4::new(MAIL, port)).await.expect("connected");
        assert_eq!(all(&mut c.stream).await, format!("{busy}\r\n"));
        let ev = trace.events().into_iter().filter(|e| e.session == Some(c.session)).collect::<Vec<_>>();
        assert_eq!(ev[0].field_u64(maillab::trace::Field::Count), Some(MAX_SESSIONS as u64), "{ev:?}");
        assert_eq!(ev[1].line.as_deref(), Some(busy));
    }
}

#[tokio::test(start_paused = true)]
async fn silent_clients_are_dropped_by_the_cores_timers() {
    let (net, trace) = start().await;
    for (port, after, last) in [
        (SMTP_PORT, 300, Some("421 4.4.1 mail.example.com Lost input channel from [192.0.2.31]")),
        (POP3_PORT, 600, None),
        (IMAP_PORT, 1800, Some("* BYE Disconnected for inactivity.")),
    ] {
        let mut c = net.connect(PC, SocketAddrV4::new(MAIL, port)).await.expect("connected");
        let greeting = first_line(&mut c.stream).await;
        let t0 = Instant::now();
        let rest = all(&mut c.stream).await;
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_secs(after) && waited < Duration::from_secs(after + 1),
            "{port}: {waited:?} after {greeting:?}"
        );
        assert_eq!(rest, last.map(|l| format!("{l}\r\n")).unwrap_or_default());
        let kinds: Vec<Kind> = trace
            .events()
            .into_iter()
            .filter(|e| e.session == Some(c.session) && e.host == "mail")
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds.first(), Some(&Kind::TcpAccept));
        assert_eq!(kinds.last(), Some(&Kind::TcpClose));
    }
}

async fn say(s: &mut Stream, line: &str) {
    s.write_all(format!("{line}\r\n").as_bytes()).await.expect("written");
}

/// Lines from the server (CRLF removed) up to the first that starts with `until`.
async fn lines_until(s: &mut Stream, until: &str) -> Vec<String> {
    let mut v = Vec::new();
    loop {
        let l = first_line(s).await;
        assert!(!l.is_empty(), "closed before {until:?}: {v:?}");
        let l = l.trim_end().to_string();
        let done = l.starts_with(until);
        v.push(l);
        if done {
            return v;
        }
    }
}

/// A command and its answer, which must be OK.
async fn ok(s: &mut Stream, tag: &str, line: &str) -> Vec<String> {
    say(s, &format!("{tag} {line}")).await;
    let v = lines_until(s, &format!("{tag} ")).await;
    assert!(v.last().is_some_and(|l| l.starts_with(&format!("{tag} OK"))), "{line}: {v:?}");
    v
}

async fn imap_login(net: &Net) -> Stream {
    let mut s = net.connect(PC, SocketAddrV4::new(MAIL, IMAP_PORT)).await.expect("connected").stream;
    first_line(&mut s).await;
    ok(&mut s, "l", "LOGIN alice@example.com wonderland").await;
    ok(&mut s, "s", "SELECT INBOX").await;
    s
}

#[tokio::test(start_paused = true)]
async fn an_idling_imap_client_hears_what_other_imap_and_pop3_sessions_change() {
    let (net, _trace) = start().await;
    let mut a = imap_login(&net).await;
    let mut b = imap_login(&net).await;
    say(&mut a, "i IDLE").await;
    assert_eq!(first_line(&mut a).await, "+ idling\r\n");
    // B appends: A hears of the new message at once (B, which appended, holds its \Recent).
    ok(&mut b, "b1", "APPEND INBOX {20+}\r\nSubject: one\r\n\r\nhi\r\n").await;
    assert_eq!(lines_until(&mut a, "* 0 RECENT").await, ["* 1 EXISTS", "* 0 RECENT"]);
    // B flags it.
    ok(&mut b, "b2", "STORE 1 +FLAGS (\\Flagged)").await;
    assert_eq!(first_line(&mut a).await, "* 1 FETCH (FLAGS (\\Flagged))\r\n");
    ok(&mut b, "b3", "APPEND INBOX {20+}\r\nSubject: two\r\n\r\nhi\r\n").await;
    assert_eq!(lines_until(&mut a, "* 0 RECENT").await, ["* 2 EXISTS", "* 0 RECENT"]);
    // A POP3 client deletes the first message and quits.
    let mut p = net.connect(PC, SocketAddrV4::new(MAIL, POP3_PORT)).await.expect("connected").stream;
    first_line(&mut p).await;
    for l in ["USER alice@example.com", "PASS wonderland", "DELE 1", "QUIT"] {
        say(&mut p, l).await;
        assert!(first_line(&mut p).await.starts_with("+OK"), "{l}");
    }
    assert_eq!(first_line(&mut a).await, "* 1 EXPUNGE\r\n");
    assert_eq!(ok(&mut b, "b4", "NOOP").await, ["* 1 EXPUNGE", "b4 OK NOOP completed"]);
    // B expunges the other one.
    ok(&mut b, "b5", "STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(first_line(&mut a).await, "* 1 FETCH (FLAGS (\\Deleted))\r\n");
    let l = ok(&mut b, "b6", "EXPUNGE").await;
    assert_eq!(l, ["* 1 EXPUNGE", "b6 OK EXPUNGE completed"]);
    assert_eq!(first_line(&mut a).await, "* 1 EXPUNGE\r\n");
    say(&mut a, "DONE").await;
    assert_eq!(first_line(&mut a).await, "i OK IDLE terminated\r\n");
    assert_eq!(ok(&mut a, "n", "NOOP").await, ["n OK NOOP completed"]);
}

/// The autologout timers run from the client's last command: another
/// session's APPENDs every few minutes wake an idling IMAP client (which
/// hears of them) and a silent POP3 client, but keep neither.
#[tokio::test(start_paused = true)]
async fn idle_timers_count_from_the_clients_last_command_not_from_mailbox_news() {
    let (net, trace) = start().await;
    let mut a = imap_login(&net).await;
    say(&mut a, "i IDLE").await;
    assert_eq!(first_line(&mut a).await, "+ idling\r\n");
    let a_quiet = Instant::now();
    let mut p = net.connect(PC, SocketAddrV4::new(MAIL, POP3_PORT)).await.expect("connected").stream;
    first_line(&mut p).await;
    for l in ["USER alice@example.com", "PASS wonderland"] {
        say(&mut p, l).await;
        assert!(first_line(&mut p).await.starts_with("+OK"), "{l}");
    }
    let p_quiet = Instant::now();
    let mut b = imap_login(&net).await;
    let appends = async {
        for n in 0..8 {
            tokio::time::sleep(Duration::from_secs(290)).await;
            ok(&mut b, &format!("b{n}"), "APPEND INBOX {20+}\r\nSubject: more\r\n\r\nhi\r\n").await;
        }
    };
    let idler = async {
        let mut news = 0;
        loop {
            let l = first_line(&mut a).await;
            if l.starts_with("* BYE") {
                assert_eq!(l, "* BYE Disconnected for inactivity.\r\n");
                assert_eq!(all(&mut a).await, "", "closed after the BYE");
                return (news, a_quiet.elapsed());
            }
            assert!(!l.is_empty(), "closed without BYE");
            news += usize::from(l.contains("EXISTS"));
        }
    };
    let pop = async {
        let rest = all(&mut p).await;
        (rest, p_quiet.elapsed())
    };
    let ((news, a_after), (rest, p_after), ()) = tokio::join!(idler, pop, appends);
    assert_eq!(news, 6, "the APPENDs before the autologout were announced");
    assert!(a_after >= Duration::from_secs(1800) && a_after < Duration::from_secs(1801), "{a_after:?}");
    assert_eq!(rest, "", "POP3 closes without a word");
    assert!(p_after >= Duration::from_secs(600) && p_after < Duration::from_secs(601), "{p_after:?}");
    assert!(
        trace
            .events()
            .iter()
            .any(|e| e.kind == Kind::ImapReply && e.line.as_deref() == Some("* BYE Disconnected for inactivity."))
    );
}

/// The literal limit of IMAP is the host's `max_message_size` (5000 here).
#[tokio::test(start_paused = true)]
async fn the_imap_literal_limit_is_the_message_size_limit() {
    let (net, _trace) = start().await;
    let mut a = imap_login(&net).await;
    say(&mut a, "t1 APPEND INBOX {5001}").await;
    assert_eq!(first_line(&mut a).await, "t1 BAD [TOOBIG] Literal of 5001 octets is too big (limit 5000 octets)\r\n");
    say(&mut a, "t2 APPEND INBOX {5000}").await;
    assert_eq!(first_line(&mut a).await, "+ Ready for literal data\r\n");
    let mut msg = b"Subject: big\r\n\r\n".to_vec();
    msg.resize(5000, b'x');
    a.write_all(&msg).await.expect("written");
    say(&mut a, "").await;
    let l = lines_until(&mut a, "t2 ").await;
    assert!(l.last().is_some_and(|l| l.starts_with("t2 OK [APPENDUID")), "{l:?}");
}

//! The connection loops on a running mailstore host (SMTP, POP3, IMAP on
//! the one session driver): sessions over the cap are refused by the
//! cores and traced; silent clients are dropped when the cores' timers say so.

use maillab::host::env::{Activity, Clock, Env, Streams};
use maillab::host::listen::{MAX_PER_CLIENT, MAX_SESSIONS};
use maillab::net::sim::SimNet;
use maillab::net::{Net, Stream};
use maillab::proto::ports::{IMAP as IMAP_PORT, POP3 as POP3_PORT, SMTP as SMTP_PORT};
use maillab::trace::{Kind, Trace};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

const SCENARIO: &str = r#"
version: 1
name: wire
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: pc, role: mua, address: 192.0.2.31 }
  - { name: mail, role: mailstore, address: 192.0.2.25, hostname: mail.example.com, domains: [example.com] }
users:
  - { address: alice@example.com, password: wonderland }
steps: []
"#;
const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);
const MAIL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 25);

async fn start() -> (Net, Trace) {
    let sc = maillab::scenario::load_str(SCENARIO, "wire.yaml").expect("a scenario");
    let trace = Trace::new();
    let start = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
    let net = Net::Sim(SimNet::new(Duration::from_millis(5)));
    let env = Env {
        net: net.clone(),
        trace: trace.clone(),
        clock: Clock::new(start),
        rng: Streams::new(1),
        activity: Activity::default(),
        names: Arc::new([(PC, "pc".to_string())].into_iter().collect()),
        limits: maillab::host::listen::Limits::default(),
    };
    maillab::lab::start_hosts(&sc, &env).await.expect("started");
    (net, trace)
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
        (SMTP_PORT, 300, Some("421 4.4.2 mail.example.com Error: timeout exceeded")),
        (POP3_PORT, 600, None),
        (IMAP_PORT, 1800, None),
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

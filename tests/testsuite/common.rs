//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the shipped scenarios (files of scenarios/ without .yaml), sorted.
pub fn scenario_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Load and run a shipped scenario.
pub fn run(name: &str) -> (maillab::scenario::Scenario, maillab::lab::RunResult) {
    let sc =
        maillab::scenario::load_file(&scenario_path(name)).unwrap_or_else(|d| panic!("{name} does not load:\n{d}"));
    let r = maillab::lab::run(&sc).expect("the runtime starts");
    (sc, r)
}

/// Load and run a scenario written in a test; every expectation must pass
/// (`what` names the run in the failure message).
pub fn run_passing(yaml: &str, what: &str) -> maillab::lab::RunResult {
    let sc = maillab::scenario::load_str(yaml, &format!("{what}.yaml")).unwrap_or_else(|d| panic!("{d}"));
    let r = maillab::lab::run(&sc).expect("the runtime starts");
    let failed: Vec<String> = r
        .events
        .iter()
        .filter(|e| e.kind == maillab::trace::Kind::ExpectFail)
        .map(|e| e.line.clone().unwrap_or_default())
        .collect();
    assert!(failed.is_empty(), "{what}: {}", failed.join("\n"));
    r
}

pub fn scenario_path(name: &str) -> PathBuf {
    root().join("scenarios").join(format!("{name}.yaml"))
}

/// The hosts' environment of [`start_sim`]: a simulated network of 5 ms
/// links, seed 1, 2026-04-01 10:00 JST, `pc` named `pc`.
fn sim_env(pc: std::net::Ipv4Addr) -> maillab::host::env::Env {
    use maillab::host::env::{Activity, Clock, Env, Streams};
    let start = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
    Env {
        net: maillab::net::Net::Sim(maillab::net::sim::SimNet::new(std::time::Duration::from_millis(5))),
        trace: maillab::trace::Trace::new(),
        clock: Clock::new(start),
        rng: Streams::new(1),
        activity: Activity::default(),
        names: std::sync::Arc::new([(pc, "pc".into())].into_iter().collect()),
        limits: maillab::host::listen::Limits::default(),
    }
}

/// Start a scenario's hosts on the simulated network (5 ms links, seed 1,
/// 2026-04-01 10:00 JST), with `pc` named `pc` for a test that speaks
/// from that address itself; the network and the trace.
pub async fn start_sim(yaml: &str, file: &str, pc: std::net::Ipv4Addr) -> (maillab::net::Net, maillab::trace::Trace) {
    let sc = maillab::scenario::load_str(yaml, file).expect("a scenario");
    let env = sim_env(pc);
    maillab::lab::start_hosts(&sc, &env).await.expect("started");
    (env.net, env.trace)
}

/// The client's side of a TLS handshake over `s` (a connection from `pc`
/// that has just had `220` to STARTTLS) with the host named `hostname` of
/// a network [`start_sim`] started: the certificate is checked against
/// that run's lab CA. The stream inside TLS.
pub async fn tls_client(s: maillab::net::Stream, pc: std::net::Ipv4Addr, hostname: &str) -> maillab::net::Stream {
    let ctx = maillab::host::env::HostCtx { env: sim_env(pc), name: "pc".into(), ip: pc, hostname: "pc".into() };
    let cfg = maillab::host::tls::client_config(&ctx).expect("a TLS client");
    let name = maillab::host::tls::server_name(hostname).expect("a server name");
    let tls = tokio_rustls::TlsConnector::from(cfg).connect(name, s).await.expect("a TLS handshake");
    Box::new(tls)
}

/// Says each line, from `from`, to `to`'s SMTP port (after the greeting);
/// their replies. The lines of a message after `354` have none of their
/// own: the reply after its `.` is the one listed.
pub async fn smtp_talk(
    net: &maillab::net::Net,
    from: std::net::Ipv4Addr,
    to: std::net::Ipv4Addr,
    lines: &[&str],
) -> Vec<String> {
    let addr = std::net::SocketAddrV4::new(to, maillab::proto::ports::SMTP);
    let mut s = net.connect(from, addr).await.expect("connected").stream;
    assert!(smtp_reply(&mut s).await.starts_with("220"));
    smtp_say(&mut s, lines).await
}

/// Says each line on `s`; their replies (none for a message's lines after `354`).
pub async fn smtp_say(s: &mut maillab::net::Stream, lines: &[&str]) -> Vec<String> {
    use tokio::io::AsyncWriteExt;
    let mut out = Vec::new();
    for l in lines {
        s.write_all(format!("{l}\r\n").as_bytes()).await.expect("written");
        if out.last().is_some_and(|r: &String| r.starts_with("354")) && *l != "." {
            continue;
        }
        out.push(smtp_reply(s).await);
    }
    out
}

/// One SMTP reply read from `s`, all its lines (CRLF removed, joined with `|`).
pub async fn smtp_reply(s: &mut maillab::net::Stream) -> String {
    use tokio::io::AsyncReadExt;
    let mut lines = Vec::new();
    loop {
        let mut v = Vec::new();
        let mut b = [0u8; 1];
        while s.read(&mut b).await.is_ok_and(|n| n == 1) {
            v.push(b[0]);
            if b[0] == b'\n' {
                break;
            }
        }
        let l = String::from_utf8_lossy(&v).trim_end().to_string();
        let last = l.len() < 4 || l.as_bytes()[3] != b'-';
        lines.push(l);
        if last {
            return lines.join("|");
        }
    }
}

/// The start of a scenario (everything up to `steps:`) that many
/// end-to-end tests share: taro's PC, his relay `mail` of `flavour`
/// (relaying for 192.0.2.0/24), a DNS server with example.com's MX, and
/// that MX (`mx`, alice's mailbox), named `name`.
pub fn relay_and_mx(name: &str, flavour: &str) -> String {
    format!(
        r#"
version: 1
name: {name}
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: mail
    role: mailstore
    flavour: {flavour}
    address: 192.0.2.25
    hostname: mail.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: {{ networks: [192.0.2.0/24] }}
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]
  - name: mx
    role: mx
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
"#
    )
}

/// The steps and expectation that end a [`relay_and_mx`] scenario when a
/// test only needs one message through: taro sends alice a message through
/// his relay, and it is delivered.
pub const SEND_TARO_TO_ALICE: &str = r#"steps:
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to: [alice@example.com]
expect:
  - delivered: { to: alice@example.com, count: 1 }
"#;

/// A scenario named `name` with taro's PC and two mail stores as they
/// ship, a sendmail (`sm`, example.com, alice) and a Postfix (`pf`,
/// example.net, bob), and no steps: for tests that talk to both flavours.
pub fn two_stores(name: &str) -> String {
    format!(
        r#"
version: 1
name: {name}
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.31 }}
  - {{ name: sm, role: mailstore, flavour: sendmail, address: 192.0.2.25, hostname: sm.example.com, domains: [example.com] }}
  - {{ name: pf, role: mailstore, flavour: postfix, address: 192.0.2.26, hostname: pf.example.net, domains: [example.net] }}
users:
  - {{ address: alice@example.com, password: a }}
  - {{ address: bob@example.net, password: b }}
steps: []
"#
    )
}

/// The lines of the events of `kind` that `host` recorded.
pub fn lines_of(r: &maillab::lab::RunResult, kind: maillab::trace::Kind, host: &str) -> Vec<String> {
    r.events.iter().filter(|e| e.kind == kind && &*e.host == host).filter_map(|e| e.line.clone()).collect()
}

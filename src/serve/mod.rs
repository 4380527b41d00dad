//! `maillab serve`: the scenario's hosts on real sockets, in real time.
//!
//! The hosts are the same code as in a simulation; only the network
//! ([`RealNet`]) and the clock differ. Every host gets its own loopback
//! address, so a student can point telnet, Python's smtplib or a mail client
//! at "the department relay" or "the mail store" and meet the same policies.

pub mod autoconfig;
pub mod liveout;

use crate::host::env::{Activity, Clock, Env, Streams};
use crate::host::listen::Gate;
use crate::lab::start_hosts;
use crate::lesson::Lang;
use crate::net::Net;
use crate::net::real::{PortMap, RealNet, loopback_plan};
use crate::net::shards::Shards;
use crate::proto::ports;
use crate::scenario::{Role, Scenario};
use crate::trace::{Field, Kind};
use crate::trace::{Trace, render};
use autoconfig::Provider;
use chrono::{DateTime, FixedOffset};
use liveout::{LiveOut, TRACE_QUEUE};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct ServeOptions {
    pub ports: PortMap,
    /// Hosts to listen on an address of their own choosing instead of loopback.
    pub listen: Vec<(String, Ipv4Addr)>,
    pub ready_file: Option<PathBuf>,
    pub json: bool,
    pub color: bool,
    /// Someone else watching the hosts (the browser lab of `serve --web`).
    pub observer: Option<Observer>,
    /// Every service's session limits (in total and per client address).
    pub limits: crate::host::listen::Limits,
    /// The language of the endpoint table, the client settings and the shutdown summary.
    pub lang: Lang,
    /// Threads that run sessions, the first being the one `serve` runs on
    /// (see [`crate::net::shards`]); 0 counts as 1.
    pub threads: usize,
}

/// A hook for a viewer above this layer: every event as it is recorded
/// (it must not block: it runs while the trace is locked), and the hosts' state on
/// request, answered on the hosts' runtime.
pub struct Observer {
    pub on_event: Box<dyn FnMut(&crate::trace::Event) + Send>,
    pub snapshots: tokio::sync::mpsc::Receiver<SnapshotRequest>,
}

/// A request for the served hosts' state (without their maillog: the trace is not kept).
pub enum SnapshotRequest {
    Hosts(tokio::sync::oneshot::Sender<Vec<crate::lab::snapshot::HostSnapshot>>),
    Message { host: String, which: crate::lab::MessageRef, reply: tokio::sync::oneshot::Sender<Option<Vec<u8>>> },
}

#[derive(Serialize, Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    /// The host's full name: its greeting's and its certificate's.
    pub hostname: String,
    pub role: String,
    pub scenario_address: String,
    pub address: String,
    pub service: String,
    pub port: u16,
    /// The service offers TLS: STARTTLS (smtp, submission, imap), STLS
    /// (pop3), or TLS from the first octet (submissions, pop3s, imaps).
    pub tls: bool,
}

/// What a user types into a mail client's manual setup screen: the first
/// IMAP server and the first SMTP server of the autoconfig file that the
/// same `serve` answers with ([`autoconfig::Provider`]), so the two never
/// disagree; on a host with TLS they are protected ones.
#[derive(Serialize, Clone, Debug)]
pub struct ClientSettings {
    pub user: String,
    pub incoming_protocol: String,
    pub incoming_server: String,
    pub incoming_port: u16,
    /// "none", "STARTTLS" or "SSL/TLS" ([`autoconfig::Socket::security`]).
    pub incoming_security: String,
    pub outgoing_server: String,
    pub outgoing_port: u16,
    pub outgoing_security: String,
    /// Of the outgoing server: [`AUTH_PASSWORD`] or [`AUTH_NONE`].
    pub authentication: String,
    pub user_name: String,
    /// The other IMAP and SMTP servers of the autoconfig file, in its order
    /// (port 25 left out when the user can submit on 587 or 465).
    pub also: Vec<OtherServer>,
}

/// One more server a client could use instead ([`ClientSettings::also`]).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct OtherServer {
    pub protocol: String,
    pub port: u16,
    pub security: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct Ready {
    pub scenario: String,
    pub endpoints: Vec<Endpoint>,
    pub clients: Vec<ClientSettings>,
    /// The lab CA's certificate (PEM), when a host has TLS: clients trust it.
    pub ca_file: Option<String>,
}

/// Which services each host offers, on which real address and port
/// (`real(scenario address, scenario port)`: the port it listens on).
pub fn endpoints(
    sc: &Scenario,
    plan: &BTreeMap<Ipv4Addr, Ipv4Addr>,
    real: impl Fn(Ipv4Addr, u16) -> u16,
) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for h in sc.hosts.iter().filter(|h| h.external.is_none()) {
        let mut services = Vec::new();
        let tls = h.mta.as_ref().is_some_and(|m| m.tls != crate::proto::tls::TlsMode::Off);
        if h.role.is_mta() {
            services.push(("smtp", ports::SMTP));
            if h.mta.as_ref().is_some_and(|m| m.submission) {
                services.push(("submission", ports::SUBMISSION));
                if tls {
                    services.push(("submissions", ports::SUBMISSIONS));
                }
            }
        }
        if h.role == Role::Mailstore {
            services.push(("pop3", ports::POP3));
            services.push(("imap", ports::IMAP));
            if tls {
                services.push(("pop3s", ports::POP3S));
                services.push(("imaps", ports::IMAPS));
            }
        }
        if h.role == Role::Dns {
            services.push(("dns", ports::DNS));
        }
        if h.role == Role::Mailstore {
            services.push(("http", ports::HTTP));
        }
        for (service, port) in services {
            out.push(Endpoint {
                host: h.name.clone(),
                hostname: h.hostname.clone(),
                tls: tls && !matches!(service, "dns" | "http"),
                role: h.role.name().to_string(),
                scenario_address: h.address.to_string(),
                address: plan.get(&h.address).copied().unwrap_or(h.address).to_string(),
                service: service.into(),
                port: real(h.address, port),
            });
        }
    }
    out
}

/// `ClientSettings::authentication`: the outgoing server takes a password.
pub const AUTH_PASSWORD: &str = "normal password";
/// `ClientSettings::authentication`: the outgoing server wants no password.
pub const AUTH_NONE: &str = "none (the server relays by address)";
pub use autoconfig::SECURITY_NONE;

/// Every served mailstore's autoconfig: one [`Provider`] per domain, with
/// the addresses and ports it listens on (`real(scenario address, scenario
/// port)`). Both the autoconfig service and [`client_settings`] read these.
pub fn providers(
    sc: &Scenario,
    plan: &BTreeMap<Ipv4Addr, Ipv4Addr>,
    real: impl Fn(Ipv4Addr, u16) -> u16,
) -> Vec<Provider> {
    let mut out = Vec::new();
    for h in sc.hosts.iter().filter(|h| h.role == Role::Mailstore && h.external.is_none()) {
        let Some(m) = &h.mta else { continue };
        let ip = plan.get(&h.address).copied().unwrap_or(h.address).to_string();
        let port = |p: u16| real(h.address, p);
        for d in &m.domains {
            out.push(Provider::of(&autoconfig::Offer {
                store: &h.name,
                domain: d,
                host: &ip,
                port: &port,
                tls: m.tls != crate::proto::tls::TlsMode::Off,
                submission: m.submission,
                smtp_auth: m.auth != crate::scenario::AuthMode::Off,
            }));
        }
    }
    out
}

/// The settings a user types into a mail client's manual setup screen: for
/// each user with a password on a mailstore, the first IMAP and the first
/// SMTP server of the autoconfig of the user's domain (RFC 8314's order:
/// on a host with TLS the protected ports, implicit TLS first).
pub fn client_settings(sc: &Scenario, providers: &[Provider]) -> Vec<ClientSettings> {
    let mut out = Vec::new();
    for u in &sc.users {
        let store = &sc.hosts[u.host];
        if store.role != Role::Mailstore || u.password.is_none() {
            continue;
        }
        let domain = u.address.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
        let mine = || providers.iter().filter(|p| p.store == store.name);
        let Some(p) = mine().find(|p| p.domain.eq_ignore_ascii_case(&domain)).or_else(|| mine().next()) else {
            continue;
        };
        let imap: Vec<_> = p.incoming.iter().filter(|s| s.kind == "imap").collect();
        let (Some(inc), Some(outg)) = (imap.first(), p.outgoing.first()) else { continue };
        // Port 25 is for mail between MTAs: a client that can submit (587,
        // 465) is not pointed at it (RFC 6409 §1), though the autoconfig
        // file lists it last.
        let relay_port = outg.scenario_port != ports::SMTP;
        let other = |s: &autoconfig::Server| OtherServer {
            protocol: s.kind.to_ascii_uppercase(),
            port: s.port,
            security: s.socket.security().into(),
        };
        out.push(ClientSettings {
            user: u.address.clone(),
            incoming_protocol: "IMAP".into(),
            incoming_server: inc.host.clone(),
            incoming_port: inc.port,
            incoming_security: inc.socket.security().into(),
            outgoing_server: outg.host.clone(),
            outgoing_port: outg.port,
            outgoing_security: outg.socket.security().into(),
            authentication: if outg.auth == "client-IP-address" { AUTH_NONE } else { AUTH_PASSWORD }.into(),
            user_name: u.address.clone(),
            also: imap[1..]
                .iter()
                .copied()
                .chain(&p.outgoing[1..])
                .filter(|s| !(relay_port && s.scenario_port == ports::SMTP))
                .map(other)
                .collect(),
        });
    }
    out
}

/// Write the lab CA's certificate when a host has TLS: `NAME-ca.pem` in
/// [`own_dir`]; its path. An error names the path and what to do.
fn write_ca(sc: &Scenario, env: &Env, lang: Lang) -> std::io::Result<Option<String>> {
    if !sc.hosts.iter().any(|h| h.mta.as_ref().is_some_and(|m| m.tls != crate::proto::tls::TlsMode::Off)) {
        return Ok(None);
    }
    let ctx = crate::host::env::HostCtx {
        env: env.clone(),
        name: "(serve)".into(),
        ip: Ipv4Addr::LOCALHOST,
        hostname: "localhost".into(),
    };
    let ca = crate::host::tls::LabCa::of(&ctx).map_err(|e| std::io::Error::other(e.to_string()))?;
    let dir = own_dir(std::env::temp_dir());
    let path = dir.join(ca_file_name(&sc.name));
    let written = make_own_dir(&dir).and_then(|()| std::fs::write(&path, &ca.pem));
    match written {
        Ok(()) => Ok(Some(path.display().to_string())),
        Err(e) => {
            let (p, d) = (path.display(), dir.display());
            let text = match lang {
                Lang::En => format!(
                    "cannot write the lab CA's certificate to {p}: {e}\n  hint: {d} must be a folder of yours (serve makes it, readable by you alone); if another user's is in the way, or the temp folder cannot be written, set TMPDIR to a folder of yours, e.g. TMPDIR=$HOME/tmp maillab serve …"
                ),
                Lang::Ja => format!(
                    "実験室の CA の証明書を {p} に書き込めません: {e}\n  ヒント: {d} はあなたのフォルダでなければなりません（serve があなただけが読めるように作ります）。ほかのユーザーのものがあってじゃまなときや、一時フォルダに書き込めないときは、TMPDIR にあなたのフォルダを指定してください（例: TMPDIR=$HOME/tmp maillab serve …）"
                ),
            };
            Err(std::io::Error::new(e.kind(), text))
        }
    }
}

/// The folder, inside `temp` (the temp folder: `$TMPDIR`, else `/tmp`),
/// for the files serve writes for the user's clients: `maillab-UID`, one
/// per user as tmux's `tmux-UID`, so that users of one machine neither
/// share a file nor find it taken by someone else.
fn own_dir(temp: PathBuf) -> PathBuf {
    // SAFETY: getuid(2) takes no argument, touches no memory and cannot fail.
    let uid = unsafe { libc::getuid() };
    temp.join(format!("maillab-{uid}"))
}

/// Make `dir` for this user alone (mode 0700), or check that it is one:
/// a folder (not a link to one) owned by this user. A file written in it
/// then cannot be a link another user planted, nor read by them.
fn make_own_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let m = std::fs::symlink_metadata(dir)?;
    // SAFETY: as in `own_dir`.
    let uid = unsafe { libc::getuid() };
    if !m.is_dir() || m.uid() != uid {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            crate::base::diag::tr(
                format!("{} is not a folder of yours (user id {uid}): another user's, or a link", dir.display()),
                format!(
                    "{} はあなた（ユーザー ID {uid}）のフォルダではありません（ほかのユーザーのものか、リンクです）",
                    dir.display()
                ),
            ),
        ));
    }
    if m.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// `NAME-ca.pem` for a scenario's name, with anything but letters, digits,
/// `-`, `_` and `.` made `_` (a name is free text: no `/` leads elsewhere).
fn ca_file_name(scenario: &str) -> String {
    let name: String =
        scenario.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    format!("{}-ca.pem", name.trim_start_matches('.'))
}

fn now() -> DateTime<FixedOffset> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    DateTime::from_timestamp(secs as i64, 0).unwrap_or_default().fixed_offset()
}

/// Serve Thunderbird autoconfig (`providers`, see [`providers`]) from every mailstore host's address.
async fn start_autoconfig(sc: &Scenario, providers: Vec<Provider>, env: &Env) -> std::io::Result<()> {
    let providers = Arc::new(providers);
    for h in sc.hosts.iter().filter(|h| h.role == Role::Mailstore && h.external.is_none()) {
        let addr = std::net::SocketAddrV4::new(h.address, ports::HTTP);
        let mut l = env.net.listen(addr).await?;
        let (providers, trace, clock, name) = (providers.clone(), env.trace.clone(), env.clock.clone(), h.name.clone());
        let ctx = crate::host::env::HostCtx {
            env: env.clone(),
            name: h.name.as_str().into(),
            ip: h.address,
            hostname: h.hostname.clone(),
        };
        let gate = Gate::new(env.limits.clone());
        tokio::spawn(async move {
            while let Ok(conn) = crate::host::listen::accept(&ctx, &mut l, "http on port 80").await {
                // Over a limit: traced and closed unanswered.
                let pass = match gate.enter(*conn.peer.ip()) {
                    Ok(p) => p,
                    Err(why) => {
                        let n = why.note();
                        let mut e =
                            ctx.ev(n.kind).session(conn.session).peer(ctx.peer_name(*conn.peer.ip())).line(n.line);
                        e.fields = n.fields;
                        ctx.emit(e);
                        continue;
                    }
                };
                let (providers, trace, clock, name) = (providers.clone(), trace.clone(), clock.clone(), name.clone());
                tokio::spawn(async move {
                    http_once(conn, &providers, &trace, &clock, &name).await;
                    drop(pass);
                });
            }
        });
    }
    Ok(())
}

/// How long a client has to send its whole request, and to take the answer.
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn http_once(conn: crate::net::Conn, providers: &[Provider], trace: &Trace, clock: &Clock, host: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let crate::net::Conn { mut stream, peer, session, .. } = conn;
    let mut req = Vec::new();
    let mut buf = [0u8; 2048];
    // One deadline for the whole request, however slowly it trickles in.
    let deadline = tokio::time::Instant::now() + HTTP_TIMEOUT;
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 8192 {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => req.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let (code, resp) = autoconfig::respond(&req, providers);
    let first = String::from_utf8_lossy(&req).lines().next().unwrap_or("").to_string();
    trace.push(
        crate::trace::ev(clock.now(), host, Kind::HttpRequest)
            .session(session)
            .peer(peer.ip().to_string())
            .line(format!("{first} -> {code}"))
            .field(Field::Code, code),
    );
    let _ = tokio::time::timeout(HTTP_TIMEOUT, async {
        let _ = stream.write_all(&resp).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// What `maillab serve` prints once every host listens: the endpoint table,
/// each user's mail client settings, how to trust the lab CA, the autoconfig address.
pub fn table(r: &Ready, lang: Lang) -> String {
    match lang {
        Lang::En => table_en(r),
        Lang::Ja => table_ja(r),
    }
}

fn table_en(r: &Ready) -> String {
    let mut s = String::new();
    s.push_str(&format!("maillab serve: scenario {}\n\n", r.scenario));
    s.push_str(&format!(
        "{:<12} {:<10} {:<16} {:<11} {:<16} {}\n",
        "HOST", "ROLE", "SCENARIO ADDR", "SERVICE", "LISTENS ON", "PORT"
    ));
    for e in &r.endpoints {
        s.push_str(&format!(
            "{:<12} {:<10} {:<16} {:<11} {:<16} {}\n",
            e.host, e.role, e.scenario_address, e.service, e.address, e.port
        ));
    }
    for c in &r.clients {
        // A client that does not authenticate sends no user name: with "No
        // authentication" a client such as Thunderbird has none to fill in.
        let out_user =
            if c.authentication == AUTH_NONE { String::new() } else { format!("  user name: {}", c.user_name) };
        s.push_str(&format!(
            "\nMail client settings for {}:\n  Incoming server: {} {}  port {}  connection security: {}  authentication: normal password  user name: {}\n  Outgoing server (SMTP): {}  port {}  connection security: {}  authentication: {}{out_user}\n",
            c.user,
            c.incoming_protocol,
            c.incoming_server,
            c.incoming_port,
            c.incoming_security,
            c.user_name,
            c.outgoing_server,
            c.outgoing_port,
            c.outgoing_security,
            c.authentication,
        ));
        if !c.also.is_empty() {
            let also: Vec<String> =
                c.also.iter().map(|o| format!("{} port {} {}", o.protocol, o.port, o.security)).collect();
            s.push_str(&format!("  Also offered (the autoconfig file lists them too): {}\n", also.join(", ")));
        }
    }
    if let Some(ca) = &r.ca_file {
        let (more, name, address) = tls_targets(r, ca);
        s.push_str(&format!(
            "\nTLS: the servers' certificates come from the lab CA in {ca}. Trust it to connect:\n  \
             Thunderbird: Settings > Privacy & Security > Certificates > Manage Certificates > Authorities > Import\n  \
             curl --cacert {ca} ...\n{more}  \
             Python (smtplib, imaplib, poplib): ssl.create_default_context(cafile=\"{ca}\")\n\
             A certificate names its host twice: by its host name (e.g. {name}) and by the address it listens on (e.g. {address}). Connect to the address shown above, or to the name once it leads there (/etc/hosts, curl --resolve NAME:PORT:ADDRESS); openssl s_client checks a name only when told (-verify_hostname NAME or -verify_ip ADDRESS).\n"
        ));
    }
    if let Some(h) = r.endpoints.iter().find(|e| e.service == "http") {
        s.push_str(&format!(
            "\nAutoconfig for mail clients: http://{}:{}/mail/config-v1.1.xml?emailaddress=USER@DOMAIN\n",
            h.address, h.port
        ));
    }
    s.push_str("\nThe trace follows. Ctrl-C stops every host.\n");
    s
}

/// The columns a terminal gives `s`: two for a full-width character.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| if matches!(c, '\u{1100}'..='\u{115f}' | '\u{2e80}'..='\u{a4cf}' | '\u{ac00}'..='\u{d7a3}' | '\u{f900}'..='\u{faff}' | '\u{fe30}'..='\u{fe4f}' | '\u{ff00}'..='\u{ff60}' | '\u{ffe0}'..='\u{ffe6}') { 2 } else { 1 })
        .sum()
}

/// `s` padded with spaces to `w` terminal columns.
fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(columns(s))))
}

/// The table in Japanese: headings and settings as a Japanese mail client
/// (Thunderbird) names them; host names, roles and services as in the scenario.
fn table_ja(r: &Ready) -> String {
    const W: [usize; 5] = [12, 10, 18, 11, 16];
    let row = |cells: [&str; 6]| {
        let mut l: String = cells[..5].iter().zip(W).map(|(c, w)| pad(c, w) + " ").collect();
        l.push_str(cells[5]);
        l + "\n"
    };
    let mut s = format!("maillab serve: シナリオ {}\n\n", r.scenario);
    s.push_str(&row(["ホスト", "役割", "シナリオのアドレス", "サービス", "待ち受けアドレス", "ポート"]));
    for e in &r.endpoints {
        let port = e.port.to_string();
        s.push_str(&row([&e.host, &e.role, &e.scenario_address, &e.service, &e.address, &port]));
    }
    let security = |v: &str| if v == SECURITY_NONE { "なし".to_string() } else { v.to_string() };
    for c in &r.clients {
        let auth = match c.authentication.as_str() {
            AUTH_PASSWORD => "通常のパスワード認証",
            AUTH_NONE => "認証なし（サーバは接続元のアドレスを見て中継します）",
            other => other,
        };
        let out_user =
            if c.authentication == AUTH_NONE { String::new() } else { format!("  ユーザー名: {}", c.user_name) };
        s.push_str(&format!(
            "\n{} のメールクライアントの設定:\n  受信サーバー: {} {}  ポート番号 {}  接続の保護: {}  認証方式: 通常のパスワード認証  ユーザー名: {}\n  送信サーバー (SMTP): {}  ポート番号 {}  接続の保護: {}  認証方式: {auth}{out_user}\n",
            c.user,
            c.incoming_protocol,
            c.incoming_server,
            c.incoming_port,
            security(&c.incoming_security),
            c.user_name,
            c.outgoing_server,
            c.outgoing_port,
            security(&c.outgoing_security),
        ));
        if !c.also.is_empty() {
            let also: Vec<String> = c
                .also
                .iter()
                .map(|o| format!("{} ポート番号 {} {}", o.protocol, o.port, security(&o.security)))
                .collect();
            s.push_str(&format!("  ほかに使えるサーバー（自動設定ファイルにも載っています）: {}\n", also.join("、")));
        }
    }
    if let Some(ca) = &r.ca_file {
        let (more, name, address) = tls_targets(r, ca);
        s.push_str(&format!(
            "\nTLS: サーバの証明書は、{ca} にある実験室の CA（認証局）が発行したものです。接続するには、この CA を信頼させます:\n  \
             Thunderbird: 設定 > プライバシーとセキュリティ > 証明書 > 証明書を管理 > 認証局証明書 > インポート\n  \
             curl --cacert {ca} ...\n{more}  \
             Python（smtplib、imaplib、poplib）: ssl.create_default_context(cafile=\"{ca}\")\n\
             証明書にはホストが二通りに書かれています。ホスト名（例: {name}）と、待ち受けアドレス（例: {address}）です。上に示したアドレスに接続するか、名前がそのアドレスに届くようにしてから名前で接続してください（/etc/hosts、curl --resolve NAME:PORT:ADDRESS）。openssl s_client は、指定したときだけ名前を確かめます（-verify_hostname NAME か -verify_ip ADDRESS）。\n"
        ));
    }
    if let Some(h) = r.endpoints.iter().find(|e| e.service == "http") {
        s.push_str(&format!(
            "\nメールクライアントの自動設定 (autoconfig): http://{}:{}/mail/config-v1.1.xml?emailaddress=USER@DOMAIN\n",
            h.address, h.port
        ));
    }
    s.push_str("\n以下はトレースです。Ctrl-C ですべてのホストを止めます。\n");
    s
}

/// The `openssl s_client` lines of the TLS instructions: a submission or
/// SMTP service that offers STARTTLS, then POP3 STLS and IMAP STARTTLS on a
/// mailstore that offers them (address, port and the name the certificate
/// carries); and that name and address, for the example of the text.
fn tls_targets<'a>(r: &'a Ready, ca: &str) -> (String, &'a str, &'a str) {
    let starttls = |svc: &str| r.endpoints.iter().find(|e| e.service == svc && e.tls);
    let smtp = starttls("submission").or_else(|| starttls("smtp"));
    let mut lines = String::new();
    for (e, proto) in [(smtp, "smtp"), (starttls("pop3"), "pop3"), (starttls("imap"), "imap")] {
        if let Some(e) = e {
            lines.push_str(&format!(
                "  openssl s_client -starttls {proto} -CAfile {ca} -connect {}:{} -verify_hostname {}\n",
                e.address, e.port, e.hostname
            ));
        }
    }
    (
        lines,
        smtp.map_or("mail.example.ac.jp", |e| e.hostname.as_str()),
        smtp.map_or("127.0.2.25", |e| e.address.as_str()),
    )
}

/// The shutdown summary's line for a host that still holds mail.
fn still_queued(lang: Lang, host: &str, n: usize) -> String {
    match lang {
        Lang::En => format!("{host}: {n} recipient(s) still queued"),
        Lang::Ja => format!("{host}: 宛先 {n} 件がまだキューに残っています"),
    }
}

/// The shutdown summary's line for a host whose mailboxes hold messages.
fn still_stored(lang: Lang, host: &str, n: usize) -> String {
    match lang {
        Lang::En => format!("{host}: {n} message(s) in mailboxes"),
        Lang::Ja => format!("{host}: メールボックスにメッセージ {n} 通"),
    }
}

/// The shutdown summary's last line: what stopped serve, and what goes
/// with the process (the lab keeps mail in memory only).
fn stopped(lang: Lang, signal: &str, queued: usize, stored: usize) -> String {
    match (lang, queued + stored) {
        (Lang::En, 0) => format!("maillab serve: stopped on {signal}; no mail was left in queues or mailboxes"),
        (Lang::En, _) => format!(
            "maillab serve: stopped on {signal}; mail lives in memory only, so {queued} queued recipient(s) and {stored} message(s) in mailboxes are discarded"
        ),
        (Lang::Ja, 0) => {
            format!("maillab serve: {signal} で停止しました。キューにもメールボックスにもメールは残っていませんでした")
        }
        (Lang::Ja, _) => format!(
            "maillab serve: {signal} で停止しました。メールはメモリの中にしかないので、キューの宛先 {queued} 件とメールボックスのメッセージ {stored} 通は破棄されます"
        ),
    }
}

/// The signals that stop serve, as Ctrl-C does: SIGINT (Ctrl-C), SIGTERM
/// (`kill`, systemd, `timeout`) and SIGHUP (the terminal closed) — the
/// last not when it was ignored at the start (`nohup`), so that a server
/// started to outlive its terminal still does. Made before serve says it
/// is ready, so that no signal sent after that is missed.
struct StopSignals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: if ignored(libc::SIGHUP) { None } else { Some(signal(SignalKind::hangup())?) },
        })
    }

    /// The name of the first of them to come (SIGINT first when several did).
    async fn recv(mut self) -> &'static str {
        let hup = async {
            match &mut self.hup {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
            _ = hup => "SIGHUP",
        }
    }
}

/// Connections from a real address are taken as coming from the scenario
/// host that address stands for, an external host's too (so that mail from
/// another student's lab is its host's). An external host at 127.0.0.1
/// therefore takes over every client of this machine that connects from
/// 127.0.0.1, the user's own mail programs included: say so, and how to
/// avoid it.
fn external_warnings(sc: &Scenario, lang: Lang) -> Vec<String> {
    sc.hosts
        .iter()
        .filter_map(|h| h.external.map(|x| (&h.name, x)))
        .filter(|(_, x)| *x.ip() == Ipv4Addr::LOCALHOST)
        .map(|(name, x)| match lang {
            Lang::En => format!(
                "warning: host {name} is played by the real server at {x}: every connection from 127.0.0.1, your own mail programs' too, is taken as coming from {name} (give that server another loopback address such as 127.51.100.30, as labs/join-a.yaml does)"
            ),
            Lang::Ja => format!(
                "警告: ホスト {name} は {x} の実際のサーバが受け持ちます。127.0.0.1 からの接続は、自分のメールソフトからのものも含めて、すべて {name} からの接続とみなされます（そのサーバには labs/join-a.yaml のように 127.51.100.30 などの別のループバックアドレスを使ってください）"
            ),
        })
        .collect()
}

/// Whether `sig` is ignored (SIG_IGN), as `nohup` leaves SIGHUP.
fn ignored(sig: libc::c_int) -> bool {
    // SAFETY: sigaction(2) with a null new action only reads the current
    // one into `old`, a zeroed `sigaction` that lives through the call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

pub fn serve(sc: &Scenario, opt: ServeOptions) -> std::io::Result<()> {
    // Real sockets: sessions run on `threads` threads, this one and more (see
    // `net::shards`). (A simulation, `Lab`, keeps its deterministic
    // current-thread runtime; the host code is the same.)
    // Each runtime hands its thread's trace lines to the writer as it parks.
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().on_thread_park(liveout::flush_thread).build()?;
    rt.block_on(async move {
        let shards = Arc::new(Shards::start(opt.threads.saturating_sub(1), liveout::flush_thread)?);
        let addrs: Vec<Ipv4Addr> = sc.hosts.iter().filter(|h| h.external.is_none()).map(|h| h.address).collect();
        let mut plan = loopback_plan(&addrs);
        let lang = opt.lang;
        for (host, ip) in &opt.listen {
            if let Some(h) = sc.hosts.iter().find(|h| &h.name == host) {
                plan.insert(h.address, *ip);
                if !ip.is_loopback() {
                    eprintln!("{}", match lang {
                        Lang::En => format!("warning: host {host} listens on {ip}, outside loopback: anyone who can reach that address can use it (an open lab server on a campus network is a risk)"),
                        Lang::Ja => format!("警告: ホスト {host} はループバックの外の {ip} で待ち受けます。そのアドレスに届く人はだれでも使えます（学内ネットワークに開いた実験用サーバは危険です）"),
                    });
                }
            }
        }
        let external: BTreeMap<Ipv4Addr, std::net::SocketAddrV4> =
            sc.hosts.iter().filter_map(|h| h.external.map(|x| (h.address, x))).collect();
        for w in external_warnings(sc, lang) {
            eprintln!("{w}");
        }
        let net = RealNet::new(plan.clone(), external, opt.ports.clone(), Some(shards.clone()));
        let real = net.clone();
        let (json, color) = (opt.json, opt.color);
        let (on_event, snapshots) = match opt.observer {
            Some(o) => (Some(std::sync::Mutex::new(o.on_event)), Some(o.snapshots)),
            None => (None, None),
        };
        let out = LiveOut::start(TRACE_QUEUE, Box::new(std::io::stdout()), lang)?;
        let lines = out.sender();
        let one_thread = opt.threads <= 1;
        let trace = Trace::live(Box::new(move |e| {
            if let Some(f) = &on_event {
                (crate::base::sync::lock(f))(e);
            }
            // Rendered here, on the session's own thread; written by the writer
            // thread. On one thread, into its batch (see `liveout`: with several,
            // batches would not keep the lines of different threads in order).
            let render = |s: &mut String| {
                if json {
                    s.push_str(&crate::trace::json::to_string(e));
                } else {
                    render::push_text_line(e, 10, color, lang == Lang::Ja, s);
                }
            };
            if one_thread {
                lines.batch(render);
            } else {
                let mut s = String::with_capacity(128);
                render(&mut s);
                lines.send(s);
            }
        }));
        let names: BTreeMap<_, _> = sc.hosts.iter().map(|h| (h.address, crate::trace::Name::from(&h.name))).collect();
        let env = Env {
            net: Net::Real(net),
            trace: trace.clone(),
            clock: Clock::new(now()),
            rng: Streams::new(sc.seed),
            activity: Activity::default(),
            names: Arc::new(names),
            limits: opt.limits,
        };
        let started = start_hosts(sc, &env).await.map_err(|e| {
            let hint = match lang {
                Lang::En => "hint: another program (or another maillab serve) uses that port; choose others with --port smtp=2526 etc. (0: the system chooses)",
                Lang::Ja => "ヒント: ほかのプログラム（または別の maillab serve）がそのポートを使っています。--port smtp=2526 などで別のポートを選んでください（0 ならシステムが選びます）",
            };
            std::io::Error::new(e.kind(), format!("{e}\n  {hint}"))
        })?;
        let started = Arc::new(started);
        if let Some(mut rx) = snapshots {
            let (hosts, sc, env) = (started.clone(), Arc::new(sc.clone()), env.clone());
            tokio::spawn(async move {
                while let Some(req) = rx.recv().await {
                    match req {
                        SnapshotRequest::Hosts(reply) => {
                            let _ = reply.send(hosts.snapshot(&sc, &env.net, &env.clock, &[]));
                        }
                        SnapshotRequest::Message { host, which, reply } => {
                            let _ = reply.send(hosts.message(&sc, &host, &which));
                        }
                    }
                }
            });
        }
        // Only now are the ports known that the OS chose (a service given port 0).
        let providers = providers(sc, &plan, |a, p| real.bound_port(a, p));
        let clients = client_settings(sc, &providers);
        start_autoconfig(sc, providers, &env).await?;
        let eps = endpoints(sc, &plan, |a, p| real.bound_port(a, p));
        let ca_file = write_ca(sc, &env, lang)?;
        let signals = StopSignals::new()?;
        let ready = Ready { scenario: sc.name.clone(), clients, endpoints: eps, ca_file };
        if !json {
            print!("{}", table(&ready, lang));
        }
        if let Some(p) = &opt.ready_file {
            std::fs::write(p, serde_json::to_string_pretty(&ready).unwrap_or_default())?;
        }
        let signal = signals.recv().await;
        // The sessions still open on the other threads end here, as they do
        // when a server stops (those on this one when its runtime is dropped).
        shards.stop();
        // Written whether or not stderr is still there (after SIGHUP the
        // terminal may be gone).
        let mut summary = String::new();
        let stored: BTreeMap<usize, usize> = started.stored().into_iter().collect();
        let (mut queued_total, mut stored_total) = (0, 0);
        for (i, queued) in started.queued() {
            let n: usize = queued.iter().map(|(_, n)| n).sum();
            if n > 0 {
                summary.push_str(&still_queued(lang, &sc.hosts[i].name, n));
                summary.push('\n');
            }
            queued_total += n;
        }
        for (i, n) in &stored {
            if *n > 0 {
                summary.push_str(&still_stored(lang, &sc.hosts[*i].name, *n));
                summary.push('\n');
            }
            stored_total += n;
        }
        out.finish();
        summary.push_str(&stopped(lang, signal, queued_total, stored_total));
        summary.push('\n');
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(summary.as_bytes());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An external host at 127.0.0.1 is warned about (every local client
    /// would be taken for it); one at another loopback address is not.
    #[test]
    fn an_external_host_at_127_0_0_1_is_warned_about() {
        let lab =
            crate::base::shipped::read(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/labs/join-a.yaml")))
                .expect("join-a is shipped");
        let load = |src: &str| match crate::scenario::load_str(src, "join-a.yaml") {
            Ok(sc) => sc,
            Err(d) => panic!("{d}"),
        };
        assert!(external_warnings(&load(&lab), Lang::En).is_empty());
        let local = load(&lab.replace("127.51.100.30:2525", "127.0.0.1:2525"));
        let w = external_warnings(&local, Lang::En);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("every connection from 127.0.0.1, your own mail programs' too"), "{w:?}");
        assert!(external_warnings(&local, Lang::Ja)[0].contains("自分のメールソフトからのものも含めて"));
    }

    fn ready() -> Ready {
        let ep = |host: &str, role: &str, sa: &str, a: &str, service: &str, port: u16| Endpoint {
            host: host.into(),
            hostname: format!("{host}.example.ac.jp"),
            // mail has TLS (imaps), mail-net none.
            tls: host == "mail" && service != "http",
            role: role.into(),
            scenario_address: sa.into(),
            address: a.into(),
            service: service.into(),
            port,
        };
        let client = |user: &str, server: &str, auth: &str| ClientSettings {
            user: user.into(),
            incoming_protocol: "IMAP".into(),
            incoming_server: server.into(),
            incoming_port: 1143,
            outgoing_server: server.into(),
            outgoing_port: 2525,
            incoming_security: SECURITY_NONE.into(),
            outgoing_security: SECURITY_NONE.into(),
            authentication: auth.into(),
            user_name: user.into(),
            also: vec![],
        };
        Ready {
            scenario: "serve-lab".into(),
            endpoints: vec![
                ep("mail", "mailstore", "192.0.2.25", "127.0.2.25", "smtp", 2525),
                ep("mail", "mailstore", "192.0.2.25", "127.0.2.25", "imap", 1143),
                ep("mail", "mailstore", "192.0.2.25", "127.0.2.25", "imaps", 9993),
                ep("mail", "mailstore", "192.0.2.25", "127.0.2.25", "http", 8080),
                ep("mail-net", "mailstore", "198.51.100.30", "127.51.100.30", "smtp", 2525),
            ],
            clients: vec![
                client("taro@example.ac.jp", "127.0.2.25", AUTH_PASSWORD),
                client("friend@example.net", "127.51.100.30", AUTH_NONE),
            ],
            ca_file: Some("/tmp/maillab-serve-lab-ca.pem".into()),
        }
    }

    #[test]
    fn the_japanese_banner_says_all_the_english_one_says() {
        let ja = table(&ready(), Lang::Ja);
        let want = "maillab serve: シナリオ serve-lab

ホスト       役割       シナリオのアドレス サービス    待ち受けアドレス ポート
mail         mailstore  192.0.2.25         smtp        127.0.2.25       2525
mail         mailstore  192.0.2.25         imap        127.0.2.25       1143
mail         mailstore  192.0.2.25         imaps       127.0.2.25       9993
mail         mailstore  192.0.2.25         http        127.0.2.25       8080
mail-net     mailstore  198.51.100.30      smtp        127.51.100.30    2525

taro@example.ac.jp のメールクライアントの設定:
  受信サーバー: IMAP 127.0.2.25  ポート番号 1143  接続の保護: なし  認証方式: 通常のパスワード認証  ユーザー名: taro@example.ac.jp
  送信サーバー (SMTP): 127.0.2.25  ポート番号 2525  接続の保護: なし  認証方式: 通常のパスワード認証  ユーザー名: taro@example.ac.jp

friend@example.net のメールクライアントの設定:
  受信サーバー: IMAP 127.51.100.30  ポート番号 1143  接続の保護: なし  認証方式: 通常のパスワード認証  ユーザー名: friend@example.net
  送信サーバー (SMTP): 127.51.100.30  ポート番号 2525  接続の保護: なし  認証方式: 認証なし（サーバは接続元のアドレスを見て中継します）
";
        assert!(ja.starts_with(want), "{ja}");
        for line in [
            "TLS: サーバの証明書は、/tmp/maillab-serve-lab-ca.pem にある実験室の CA（認証局）が発行したものです。",
            "  Thunderbird: 設定 > プライバシーとセキュリティ > 証明書 > 証明書を管理 > 認証局証明書 > インポート\n",
            "  openssl s_client -starttls smtp -CAfile /tmp/maillab-serve-lab-ca.pem -connect 127.0.2.25:2525 -verify_hostname mail.example.ac.jp\n",
            "  openssl s_client -starttls imap -CAfile /tmp/maillab-serve-lab-ca.pem -connect 127.0.2.25:1143 -verify_hostname mail.example.ac.jp\n",
            "\nメールクライアントの自動設定 (autoconfig): http://127.0.2.25:8080/mail/config-v1.1.xml?emailaddress=USER@DOMAIN\n",
            "\n以下はトレースです。Ctrl-C ですべてのホストを止めます。\n",
        ] {
            assert!(ja.contains(line), "no {line:?} in\n{ja}");
        }
        // The same facts as the English banner: every number and address in one is in the other.
        let en = table(&ready(), Lang::En);
        let facts = |s: &str| -> std::collections::BTreeSet<String> {
            s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '@' || c == '/'))
                .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(facts(&ja), facts(&en));
        assert_eq!(still_queued(Lang::Ja, "mail", 2), "mail: 宛先 2 件がまだキューに残っています");
        assert_eq!(
            stopped(Lang::Ja, "SIGTERM", 2, 3),
            "maillab serve: SIGTERM で停止しました。メールはメモリの中にしかないので、キューの宛先 2 件とメールボックスのメッセージ 3 通は破棄されます"
        );
        assert_eq!(still_stored(Lang::Ja, "mail", 3), "mail: メールボックスにメッセージ 3 通");
    }

    /// openssl is pointed at a host that offers STARTTLS, not at the first
    /// SMTP service listed (a host without TLS answered "wrong version number").
    #[test]
    fn the_openssl_line_names_a_host_with_tls() {
        let mut r = ready();
        r.endpoints.rotate_right(1); // mail-net (no TLS) first
        for lang in [Lang::En, Lang::Ja] {
            let t = table(&r, lang);
            assert!(t.contains("-starttls smtp -CAfile /tmp/maillab-serve-lab-ca.pem -connect 127.0.2.25:2525 -verify_hostname mail.example.ac.jp\n"), "{t}");
            assert!(!t.contains("-connect 127.51.100.30"), "{t}");
            assert!(t.contains("(e.g. mail.example.ac.jp)") || t.contains("（例: mail.example.ac.jp）"), "{t}");
        }
    }

    /// A scenario's client settings and autoconfig, with real port = scenario port + 1000.
    fn settings_of(yaml: &str) -> (Vec<ClientSettings>, Vec<Provider>) {
        let sc = crate::scenario::load_str(yaml, "t.yaml").expect("a good scenario");
        let plan = loopback_plan(&sc.hosts.iter().map(|h| h.address).collect::<Vec<_>>());
        let providers = providers(&sc, &plan, |_, p| p + 1000);
        (client_settings(&sc, &providers), providers)
    }

    const TLS_HOST: &str = "version: 1
name: t
hosts:
  - { name: mail, role: mailstore, address: 192.0.2.25, hostname: mail.example.ac.jp, domains: [example.ac.jp], submission: true, tls: offered }
users:
  - { address: taro@example.ac.jp, password: s3cret }
";

    /// A user trial: on a host with TLS, serve printed IMAP 1143 and SMTP
    /// 2525 with no connection security, while its own autoconfig listed
    /// 9993 SSL first. The printed settings are now the autoconfig's first
    /// IMAP and SMTP servers: implicit TLS (RFC 8314 §3), STARTTLS after.
    #[test]
    fn a_tls_host_gets_protected_client_settings_from_its_autoconfig() {
        let (clients, providers) = settings_of(TLS_HOST);
        let [c] = clients.as_slice() else { panic!("{clients:?}") };
        assert_eq!((c.incoming_port, c.incoming_security.as_str()), (1993, "SSL/TLS"));
        assert_eq!((c.outgoing_port, c.outgoing_security.as_str()), (1465, "SSL/TLS"));
        assert_eq!(c.authentication, AUTH_PASSWORD);
        let also: Vec<_> = c.also.iter().map(|o| (o.protocol.as_str(), o.port, o.security.as_str())).collect();
        assert_eq!(also, [("IMAP", 1143, "STARTTLS"), ("SMTP", 1587, "STARTTLS")]);
        // One source: the autoconfig file's first servers are the printed ones.
        let xml = autoconfig::client_config(&providers[0]);
        let first = |tag: &str| xml.split(tag).nth(1).unwrap_or_default().to_string();
        assert!(first("<incomingServer type=\"imap\">").contains("<port>1993</port>"), "{xml}");
        assert!(first("<outgoingServer type=\"smtp\">").contains("<port>1465</port>"), "{xml}");
        let r = Ready { scenario: "t".into(), endpoints: vec![], clients, ca_file: None };
        let en = table(&r, Lang::En);
        assert!(en.contains("Incoming server: IMAP 127.0.2.25  port 1993  connection security: SSL/TLS  authentication: normal password"), "{en}");
        assert!(en.contains("Outgoing server (SMTP): 127.0.2.25  port 1465  connection security: SSL/TLS  authentication: normal password"), "{en}");
        assert!(en.contains("  Also offered (the autoconfig file lists them too): IMAP port 1143 STARTTLS, SMTP port 1587 STARTTLS\n"), "{en}");
        let ja = table(&r, Lang::Ja);
        assert!(
            ja.contains(
                "受信サーバー: IMAP 127.0.2.25  ポート番号 1993  接続の保護: SSL/TLS  認証方式: 通常のパスワード認証"
            ),
            "{ja}"
        );
        assert!(
            ja.contains(
                "送信サーバー (SMTP): 127.0.2.25  ポート番号 1465  接続の保護: SSL/TLS  認証方式: 通常のパスワード認証"
            ),
            "{ja}"
        );
        assert!(ja.contains("  ほかに使えるサーバー（自動設定ファイルにも載っています）: IMAP ポート番号 1143 STARTTLS、SMTP ポート番号 1587 STARTTLS\n"), "{ja}");
        assert!(!en.contains("security: none") && !ja.contains("保護: なし"), "{en}{ja}");
    }

    /// Without TLS the plain ports; a host with submission is used on 587
    /// (RFC 6409), port 25 being for mail between MTAs; without AUTH on
    /// port 25 the server relays by address.
    #[test]
    fn a_host_without_tls_gets_the_plain_ports() {
        let (clients, _) = settings_of(&TLS_HOST.replace(", tls: offered", ""));
        let c = &clients[0];
        assert_eq!((c.incoming_port, c.incoming_security.as_str()), (1143, SECURITY_NONE));
        assert_eq!(
            (c.outgoing_port, c.outgoing_security.as_str(), c.authentication.as_str()),
            (1587, SECURITY_NONE, AUTH_PASSWORD)
        );
        let (clients, _) = settings_of(&TLS_HOST.replace(", submission: true, tls: offered", ""));
        let c = &clients[0];
        assert_eq!((c.outgoing_port, c.authentication.as_str()), (1025, AUTH_NONE));
        assert!(c.also.is_empty(), "{:?}", c.also);
    }
}

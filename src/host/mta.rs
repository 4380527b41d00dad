//! The MTA host: one implementation for the relay, hub and MX roles.
//!
//! Inbound, it runs the SMTP server core with a policy that knows the
//! host's local domains and users and its relay rules. Accepted mail goes
//! into the queue ([`super::queue`]), which delivers to local mailboxes,
//! forwards to the smarthost or to the destination's MX, retries what
//! cannot go now and returns what can never go.

use super::maillog::{Maillog, Program, postfix_qid, sendmail_qid};
use super::queue::{self, QueueEntry};
use super::resolver::Resolver;
use super::session::{Core, Io, Lost, Note, Session};
use crate::env::{ActivityGuard, HostCtx, Purpose, rfc5322};
use crate::net::Conn;
use crate::proto::smtp::server::{Envelope, Output, Peer, Policy, Server, ServerConfig};
use crate::proto::smtp::{Flavour, Mailbox, Reply};
use crate::scenario::{AuthMode, MtaConfig};
use crate::store::Store;
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::watch;
use tokio::time::Instant;

pub const SMTP_PORT: u16 = 25;
/// More Received: fields than this means a loop (sendmail's MaxHopCount).
pub const MAX_HOPS: usize = 25;
/// Sessions served at once; more get 421 and are closed.
pub const MAX_SESSIONS: usize = 100;

/// Where non-local mail goes when there is a smarthost.
#[derive(Clone, Debug)]
pub struct NextHop {
    pub label: String,
    pub hostname: String,
    pub addr: SocketAddrV4,
}

pub struct Mta {
    pub ctx: HostCtx,
    pub cfg: MtaConfig,
    /// Local mailboxes (accounts of the users whose domain this host serves).
    pub store: Arc<Mutex<Store>>,
    /// Bumped on every local delivery, so IMAP sessions can report new mail.
    pub store_version: watch::Sender<u64>,
    /// SMTP AUTH accounts: user -> password.
    pub auth_users: BTreeMap<String, String>,
    /// POP-before-SMTP: client address -> until when it may relay.
    pub popauth: Mutex<BTreeMap<Ipv4Addr, Instant>>,
    pub resolver: Option<Resolver>,
    pub smarthost: Option<NextHop>,
    pub log: Maillog,
    pub state: Mutex<MtaState>,
    pub wake: Notify,
    pub retry: queue::RetryPolicy,
    /// Mailing lists (a list host only).
    pub lists: Vec<super::list::HostedList>,
    /// `cfg.domains` as a set: an MX may serve thousands of domains.
    local_domains: std::collections::BTreeSet<String>,
}

#[derive(Default)]
pub struct MtaState {
    pub queue: BTreeMap<u64, QueueEntry>,
    pub next_entry: u64,
    pub next_pid: u32,
    pub qid_seq: u32,
}

impl Mta {
    pub fn new(
        ctx: HostCtx,
        cfg: MtaConfig,
        store: Store,
        auth_users: BTreeMap<String, String>,
        resolver: Option<Resolver>,
        smarthost: Option<NextHop>,
    ) -> Arc<Self> {
        let base = 1000 + ctx.rng(Purpose::Pid).below(30000) as u32;
        let log = Maillog { ctx: ctx.clone(), flavour: cfg.flavour, daemon_pid: base };
        let lists =
            cfg.lists.iter().map(|l| super::list::HostedList::new(crate::listserv::List::new(l.clone()))).collect();
        let local_domains = cfg.domains.iter().cloned().collect();
        Arc::new(Mta {
            lists,
            local_domains,
            retry: queue::RetryPolicy::configured(cfg.flavour, &cfg.queue),
            ctx,
            cfg,
            store: Arc::new(Mutex::new(store)),
            store_version: watch::channel(0).0,
            auth_users,
            popauth: Mutex::new(BTreeMap::new()),
            resolver,
            smarthost,
            log,
            state: Mutex::new(MtaState { next_pid: base + 10, ..Default::default() }),
            wake: Notify::new(),
        })
    }

    pub fn with_state<R>(&self, f: impl FnOnce(&mut MtaState) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub fn new_pid(&self) -> u32 {
        self.with_state(|s| {
            s.next_pid += 1;
            s.next_pid
        })
    }

    pub fn new_qid(&self, pid: u32) -> String {
        match self.cfg.flavour {
            Flavour::Sendmail => {
                let seq = self.with_state(|s| {
                    s.qid_seq += 1;
                    s.qid_seq
                });
                sendmail_qid(self.ctx.now(), seq, pid)
            }
            Flavour::Postfix => {
                let rng = self.ctx.rng(Purpose::QueueId);
                postfix_qid(u64::from(rng.u16()) << 24 | rng.below(1 << 24))
            }
        }
    }

    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        match self.store.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    pub fn has_local_user(&self, key: &str) -> bool {
        self.with_store(|s| s.has_user(key))
    }

    /// POP-before-SMTP: a login from `ip` lets it relay for the configured window.
    pub fn popauth_add(self: &Arc<Self>, ip: Ipv4Addr, user: &str, how: &str) {
        let Some(window) = self.cfg.pop_before_smtp else { return };
        let until = Instant::now() + window;
        if let Ok(mut g) = self.popauth.lock() {
            g.insert(ip, until);
        }
        let wall = self.ctx.now() + chrono::Duration::from_std(window).unwrap_or_default();
        self.ctx.emit(
            self.ctx
                .ev(Kind::PopauthAdd)
                .peer(self.ctx.peer_name(ip))
                .line(format!("{ip} may relay until {} ({how} login by {user})", wall.format("%H:%M:%S")))
                .field(Field::Ip, ip.to_string()),
        );
        let me = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(until).await;
            let expired = me
                .popauth
                .lock()
                .map(|mut g| {
                    if g.get(&ip).is_some_and(|t| *t <= Instant::now()) {
                        g.remove(&ip);
                        true
                    } else {
                        false
                    }
                })
                .unwrap_or(false);
            if expired {
                me.ctx.emit(
                    me.ctx
                        .ev(Kind::PopauthExpire)
                        .peer(me.ctx.peer_name(ip))
                        .line(format!("{ip} may no longer relay: its POP-before-SMTP window has passed"))
                        .field(Field::Ip, ip.to_string()),
                );
            }
        });
    }

    fn popauth_allows(&self, ip: Ipv4Addr) -> bool {
        self.popauth.lock().map(|g| g.get(&ip).is_some_and(|t| *t > Instant::now())).unwrap_or(false)
    }

    pub fn is_local_domain(&self, d: &str) -> bool {
        self.local_domains.contains(d)
    }

    /// May this client relay to this recipient? (Local recipients never ask.)
    fn relay_allowed(&self, ip: Ipv4Addr, ptr: Option<&str>, rcpt: &Mailbox) -> bool {
        let by_net = self.cfg.relay_networks.iter().any(|c| c.contains(ip));
        let by_domain =
            ptr.is_some_and(|n| self.cfg.relay_client_domains.iter().any(|d| n == d || n.ends_with(&format!(".{d}"))));
        let to_domain =
            self.cfg.relay_to_domains.iter().any(|d| rcpt.domain == *d || rcpt.domain.ends_with(&format!(".{d}")));
        by_net || by_domain || to_domain
    }

    /// Open the SMTP port; the returned listener goes to [`Mta::serve`].
    pub async fn bind(&self) -> std::io::Result<crate::net::Listener> {
        self.ctx.env.net.listen(SocketAddrV4::new(self.ctx.ip, SMTP_PORT)).await
    }

    /// Run the queue and accept connections forever.
    pub async fn serve(self: Arc<Self>, mut l: crate::net::Listener) -> std::io::Result<()> {
        let q = self.clone();
        tokio::spawn(async move { q.run_queue().await });
        let d = self.clone();
        tokio::spawn(async move { d.run_digests().await });
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SESSIONS));
        loop {
            let conn = l.accept().await?;
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                // Too many at once: say so and hang up, as Postfix's anvil limit does.
                self.refuse_busy(conn).await;
                continue;
            };
            let guard = self.ctx.env.activity.begin();
            let me = self.clone();
            tokio::spawn(async move {
                me.session(conn, guard).await;
                drop(permit);
            });
        }
    }

    async fn session(self: Arc<Self>, conn: Conn, _busy: ActivityGuard) {
        let Conn { stream, peer, session, .. } = conn;
        let ip = *peer.ip();
        let label = self.ctx.peer_name(ip);
        self.ctx.emit(
            self.ctx
                .ev(Kind::TcpAccept)
                .session(session)
                .peer(&label)
                .line(format!("connection from {label} [{ip}]:{}", peer.port())),
        );
        let ptr = match &self.resolver {
            Some(r) => r.ptr(ip).await,
            None => None,
        };
        let pid = self.new_pid();
        let pol = SessionPolicy {
            mta: &self,
            ip,
            ptr: ptr.clone(),
            pid,
            qid: None,
            counts: BTreeMap::new(),
            last_verb: String::new(),
            auth_mech: String::new(),
        };
        if self.cfg.flavour == Flavour::Postfix {
            self.log.log(Program::Smtpd, pid, &format!("connect from {}", pol.postfix_client()));
        }
        let server = Server::new(self.server_config(), Peer { ip, name: ptr });
        let mut core = SmtpSession { server, pol, timed_out: false };
        Session::new(&self.ctx, stream, session, &label).run(&mut core).await;
        let pol = core.pol;
        if self.cfg.flavour == Flavour::Postfix {
            self.log.log(Program::Smtpd, pid, &format!("disconnect from {}{}", pol.postfix_client(), pol.count_text()));
        }
        self.ctx.emit(self.ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
    }

    /// A connection over the session limit: the core's 421, traced, then
    /// close (no session of its own: no `tcp.accept`, no process id).
    async fn refuse_busy(&self, conn: Conn) {
        let ip = *conn.peer.ip();
        let cfg = self.server_config();
        let mut core = SmtpRefusal(Server::refuse_busy(cfg, Peer { ip, name: None }));
        Session::new(&self.ctx, conn.stream, conn.session, self.ctx.peer_name(ip)).run(&mut core).await;
    }

    fn server_config(&self) -> ServerConfig {
        ServerConfig {
            hostname: self.ctx.hostname.clone(),
            flavour: self.cfg.flavour,
            max_message_size: self.cfg.max_message_size,
            max_recipients: 100,
            auth: self.cfg.auth != crate::scenario::AuthMode::Off,
            show_secrets: self.cfg.show_secrets,
        }
    }

    /// Queue an accepted message and wake the queue runner.
    pub fn enqueue(&self, e: QueueEntry) {
        let rcpts: Vec<String> = e.rcpts.iter().map(|r| format!("<{r}>")).collect();
        self.ctx.emit(
            self.ctx
                .ev(Kind::QueueAdd)
                .line(format!("{}: from={} to={}", e.qid, e.from, rcpts.join(",")))
                .field(Field::Qid, e.qid.clone())
                .field(Field::Rcpts, e.rcpts.len()),
        );
        self.with_state(|s| {
            s.next_entry += 1;
            let k = s.next_entry;
            s.queue.insert(k, e);
        });
        self.wake.notify_one();
    }
}

/// The SMTP server core and the session's policy, as the session driver
/// runs them: commands, message sizes and replies go to the trace, and
/// replies are counted for Postfix's disconnect line.
struct SmtpSession<'a> {
    server: Server,
    pol: SessionPolicy<'a>,
    /// The idle timer fired: its 421 answers no command and is not counted.
    timed_out: bool,
}

/// The trace lines of a reply, one per line on the wire.
fn reply_notes(r: &Reply) -> Vec<Note> {
    r.wire_lines().into_iter().map(|l| Note::new(Kind::SmtpReply, l).field(Field::Code, r.code)).collect()
}

impl Core for SmtpSession<'_> {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.server.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        Some(match self.server.poll(&mut self.pol)? {
            Output::Command(l) => {
                self.pol.last_verb = l.split(' ').next().unwrap_or("").to_ascii_lowercase();
                Io::Trace(Note::new(Kind::SmtpCmd, l))
            }
            Output::Data { octets, lines } => Io::Trace(
                Note::new(Kind::SmtpData, format!("(message content: {lines} lines, {octets} octets)"))
                    .field(Field::Octets, octets),
            ),
            Output::Reply(r) => {
                if !self.timed_out {
                    self.pol.count(&r);
                }
                Io::Send { notes: reply_notes(&r), bytes: r.to_bytes() }
            }
            Output::Close => Io::Close,
        })
    }
    fn waiting(&mut self, now: Duration) {
        self.server.waiting(now);
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.server.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.server.handle_timeout(now);
        self.timed_out = self.server.poll_timeout().is_none();
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.server.peer_closed();
    }
}

/// A server core that only refuses ([`Server::refuse_busy`]); its policy is never asked.
struct SmtpRefusal(Server);

impl Core for SmtpRefusal {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.0.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        Some(match self.0.poll(&mut Refuse)? {
            Output::Reply(r) => Io::Send { notes: reply_notes(&r), bytes: r.to_bytes() },
            Output::Command(l) => Io::Trace(Note::new(Kind::SmtpCmd, l)),
            Output::Data { .. } => return None,
            Output::Close => Io::Close,
        })
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.0.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.0.handle_timeout(now);
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.0.peer_closed();
    }
}

/// The policy of a refusing server: refuses everything (and is never asked).
struct Refuse;

impl Policy for Refuse {
    fn greeting(&mut self) -> Reply {
        Reply::new(554, "5.3.2 Service not available")
    }
    fn mail(&mut self, _env: &Envelope) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn rcpt(&mut self, _env: &Envelope, _rcpt: &Mailbox) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn message(&mut self, _env: &Envelope, _data: Vec<u8>) -> Reply {
        Reply::new(554, "5.3.2 Service not available")
    }
}

/// The mail system's decisions for one SMTP session.
struct SessionPolicy<'a> {
    mta: &'a Mta,
    ip: Ipv4Addr,
    ptr: Option<String>,
    pid: u32,
    qid: Option<String>,
    /// Postfix's disconnect summary: verb -> (ok, total).
    counts: BTreeMap<String, (u32, u32)>,
    last_verb: String,
    auth_mech: String,
}

impl SessionPolicy<'_> {
    fn flavour(&self) -> Flavour {
        self.mta.cfg.flavour
    }
    /// sendmail's `relay=` value: `name [ip]` or `[ip]`.
    fn sendmail_relay(&self) -> String {
        match &self.ptr {
            Some(n) => format!("{n} [{}]", self.ip),
            None => format!("[{}]", self.ip),
        }
    }
    /// Postfix's client form: `name[ip]` or `unknown[ip]`.
    fn postfix_client(&self) -> String {
        format!("{}[{}]", self.ptr.as_deref().unwrap_or("unknown"), self.ip)
    }
    fn count(&mut self, r: &Reply) {
        let v = std::mem::take(&mut self.last_verb);
        if v.is_empty() || r.code == 354 {
            self.last_verb = v;
            return;
        }
        let e = self.counts.entry(v).or_insert((0, 0));
        e.1 += 1;
        if r.is_positive() {
            e.0 += 1;
        }
    }
    fn count_text(&self) -> String {
        let mut out = String::new();
        let (mut ok, mut all) = (0, 0);
        for verb in ["ehlo", "helo", "mail", "rcpt", "data", "rset", "noop", "vrfy", "quit"] {
            if let Some((o, t)) = self.counts.get(verb) {
                ok += o;
                all += t;
                if o == t {
                    out.push_str(&format!(" {verb}={o}"));
                } else {
                    out.push_str(&format!(" {verb}={o}/{t}"));
                }
            }
        }
        let other: u32 = self
            .counts
            .iter()
            .filter(|(k, _)| {
                !["ehlo", "helo", "mail", "rcpt", "data", "rset", "noop", "vrfy", "quit"].contains(&k.as_str())
            })
            .map(|(_, v)| v.1)
            .sum();
        if other > 0 {
            out.push_str(&format!(" unknown=0/{other}"));
            all += other;
        }
        if all == ok { format!("{out} commands={ok}") } else { format!("{out} commands={ok}/{all}") }
    }
    fn reject_log(&self, env: &Envelope, rcpt: &Mailbox, r: &Reply) {
        let to = format!("<{rcpt}>");
        match self.flavour() {
            Flavour::Sendmail => {
                let qid = self.qid.clone().unwrap_or_else(|| "NOQUEUE".into());
                let is_relay = r.enhanced() == Some("5.7.1");
                let msg = if is_relay {
                    format!(
                        "{qid}: ruleset=check_rcpt, arg1={to}, relay={}, reject={}",
                        self.sendmail_relay(),
                        r.one_line()
                    )
                } else {
                    format!("{qid}: {to}... User unknown")
                };
                self.mta.log.log(Program::Smtpd, self.pid, &msg);
            }
            Flavour::Postfix => {
                let proto = if env.esmtp { "ESMTP" } else { "SMTP" };
                let msg = format!(
                    "NOQUEUE: reject: RCPT from {}: {}; from={} to={to} proto={proto} helo=<{}>",
                    self.postfix_client(),
                    r.one_line(),
                    env.from,
                    env.helo
                );
                self.mta.log.log(Program::Smtpd, self.pid, &msg);
            }
        }
    }
}

impl Policy for SessionPolicy<'_> {
    fn greeting(&mut self) -> Reply {
        self.flavour().greeting(&self.mta.ctx.hostname, &rfc5322(self.mta.ctx.now()))
    }

    fn mail(&mut self, env: &Envelope) -> Reply {
        if self.mta.cfg.auth == AuthMode::Required && env.auth.is_none() {
            let r = Reply::new(530, "5.7.0 Authentication required");
            let msg = match self.flavour() {
                Flavour::Sendmail => {
                    format!("NOQUEUE: {}: MAIL FROM: {}, relay={}", env.from, r.one_line(), self.sendmail_relay())
                }
                Flavour::Postfix => format!(
                    "NOQUEUE: reject: MAIL from {}: {}; from={} proto=ESMTP helo=<{}>",
                    self.postfix_client(),
                    r.one_line(),
                    env.from,
                    env.helo
                ),
            };
            self.mta.log.log(Program::Smtpd, self.pid, &msg);
            return r;
        }
        // sendmail names the transaction at MAIL; Postfix only once a recipient is accepted.
        if self.flavour() == Flavour::Sendmail {
            self.qid = Some(self.mta.new_qid(self.pid));
        } else {
            self.qid = None;
        }
        self.flavour().mail_ok(&env.from.to_string())
    }

    fn rcpt(&mut self, env: &Envelope, rcpt: &Mailbox) -> Reply {
        let to = format!("<{rcpt}>");
        let st = self.flavour();
        let r = if self.mta.is_local_domain(&rcpt.domain) {
            let alias = self.mta.cfg.aliases.contains_key(&rcpt.local.to_ascii_lowercase());
            let list = self.mta.list_for(rcpt).is_some();
            if alias || list || self.mta.has_local_user(&rcpt.key()) { st.rcpt_ok(&to) } else { st.user_unknown(&to) }
        } else if env.auth.is_some()
            || self.mta.popauth_allows(self.ip)
            || self.mta.relay_allowed(self.ip, self.ptr.as_deref(), rcpt)
        {
            st.rcpt_ok(&to)
        } else if st == Flavour::Sendmail && self.mta.cfg.auth != AuthMode::Off {
            Reply::new(550, format!("5.7.1 {to}... Relaying denied. Proper authentication required."))
        } else {
            st.relay_denied(&to)
        };
        if r.is_positive() {
            if st == Flavour::Postfix && self.qid.is_none() {
                let qid = self.mta.new_qid(self.pid);
                let sasl = env
                    .auth
                    .as_ref()
                    .map(|u| format!(", sasl_method={}, sasl_username={u}", self.auth_mech))
                    .unwrap_or_default();
                self.mta.log.log(Program::Smtpd, self.pid, &format!("{qid}: client={}{sasl}", self.postfix_client()));
                self.qid = Some(qid);
            }
        } else {
            self.reject_log(env, rcpt, &r);
        }
        r
    }

    fn password(&mut self, user: &str) -> Option<String> {
        self.mta.auth_users.get(user).cloned()
    }

    fn challenge(&mut self) -> String {
        format!("<{}.{}@{}>", self.pid, self.mta.ctx.now().timestamp(), self.mta.ctx.hostname)
    }

    fn auth_done(&mut self, user: &str, mech: &str, ok: bool) {
        self.auth_mech = mech.to_string();
        let msg = match (self.flavour(), ok) {
            (Flavour::Sendmail, true) => {
                format!("AUTH=server, relay={}, authid={user}, mech={mech}, bits=0", self.sendmail_relay())
            }
            (Flavour::Sendmail, false) => format!(
                "AUTH failure ({mech}): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user={user}, relay={}",
                self.sendmail_relay()
            ),
            (Flavour::Postfix, true) => return,
            (Flavour::Postfix, false) => format!(
                "warning: {}: SASL {mech} authentication failed: authentication failure, sasl_username={user}",
                self.postfix_client()
            ),
        };
        let qid = if self.flavour() == Flavour::Sendmail { "NOQUEUE: " } else { "" };
        self.mta.log.log(Program::Smtpd, self.pid, &format!("{qid}{msg}"));
    }

    fn message(&mut self, env: &Envelope, data: Vec<u8>) -> Reply {
        let st = self.flavour();
        let qid = self.qid.take().unwrap_or_else(|| self.mta.new_qid(self.pid));
        let hs = crate::message::headers(&data);
        let hops = crate::message::values(&hs, "Received").len();
        if hops >= MAX_HOPS {
            let r = Reply::new(
                554,
                format!(
                    "5.4.6 Too many hops {} (25 max): from {} via {}, to {}",
                    hops + 1,
                    env.from,
                    self.mta.ctx.hostname,
                    env.rcpts.first().map(|m| m.to_string()).unwrap_or_default()
                ),
            );
            self.mta.log.log(Program::Smtpd, self.pid, &format!("{qid}: {}", r.one_line()));
            return r;
        }
        let now = self.mta.ctx.now();
        let proto = match (env.esmtp, env.auth.is_some()) {
            (true, true) => "ESMTPA",
            (true, false) => "ESMTP",
            (false, _) => "SMTP",
        };
        let from_part = match (st, &self.ptr) {
            (Flavour::Sendmail, Some(n)) => format!("{} ({n} [{}])", env.helo, self.ip),
            (Flavour::Sendmail, None) => format!("{} ([{}])", env.helo, self.ip),
            (Flavour::Postfix, p) => format!("{} ({} [{}])", env.helo, p.as_deref().unwrap_or("unknown"), self.ip),
        };
        let authed = match (st, &env.auth) {
            (Flavour::Postfix, Some(u)) => format!("\r\n\t(Authenticated sender: {u})"),
            _ => String::new(),
        };
        let mut received = format!(
            "Received: from {from_part}{authed}\r\n\tby {} ({}) with {proto} id {qid}",
            self.mta.ctx.hostname,
            st.software()
        );
        if let [one] = env.rcpts.as_slice() {
            received.push_str(&format!("\r\n\tfor <{one}>"));
        }
        received.push_str(&format!("; {}\r\n", rfc5322(now)));
        let mut full = Vec::with_capacity(received.len() + data.len());
        full.extend_from_slice(received.as_bytes());
        full.extend_from_slice(&data);
        let msgid =
            crate::message::first(&hs, "Message-ID").unwrap_or("").trim_matches(|c| c == '<' || c == '>').to_string();
        let size = full.len();
        match st {
            Flavour::Sendmail => {
                self.mta.log.log(
                    Program::Smtpd,
                    self.pid,
                    &format!(
                        "{qid}: from={}, size={size}, class=0, nrcpts={}, msgid=<{msgid}>, proto={proto}, daemon=MTA, relay={}",
                        env.from,
                        env.rcpts.len(),
                        self.sendmail_relay()
                    ),
                );
            }
            Flavour::Postfix => {
                self.mta.log.log(Program::Cleanup, 0, &format!("{qid}: message-id=<{msgid}>"));
                self.mta.log.log(
                    Program::Qmgr,
                    0,
                    &format!("{qid}: from={}, size={size}, nrcpt={} (queue active)", env.from, env.rcpts.len()),
                );
            }
        }
        let entry =
            QueueEntry::new(&self.mta.ctx, qid.clone(), env.from.clone(), env.rcpts.clone(), full, msgid, self.pid);
        self.mta.enqueue(entry);
        st.queued(&qid)
    }
}

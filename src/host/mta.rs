//! The MTA host: one implementation for the relay, hub and MX roles.
//!
//! Inbound, it runs the SMTP server core with a policy that knows the
//! host's local domains and users and its relay rules. Accepted mail goes
//! into the queue ([`super::queue`]), which delivers to local mailboxes,
//! forwards to the smarthost or to the destination's MX, retries what
//! cannot go now and returns what can never go.

use super::listen::{Gate, Refused};
use super::maillog::{Maillog, Program};
use super::resolver::{ResolveError, Resolver};
use super::session::{Core, Io, Lost, Note, Session};
use super::spool::{HostedList, NextHop, QueueEntry, RetryPolicy};
use crate::base::sync::lock;
use crate::base::time::rfc5322;
use crate::host::env::{ActivityGuard, HostCtx, Purpose};
use crate::net::Conn;
use crate::proto::dns::{self, QType, Rcode, RecordData};
use crate::proto::ports;
use crate::proto::smtp::persona::{AccessCheck, Arrival, Source};
use crate::proto::smtp::received::{Via, received};
use crate::proto::smtp::server::{Envelope, Output, Peer, Policy, Server, ServerConfig};
use crate::proto::smtp::{Mailbox, Persona, Reply};
use crate::proto::tls::TlsMode;
use crate::scenario::access::{self, Action};
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

/// More Received: fields than this means a loop (sendmail's MaxHopCount).
pub const MAX_HOPS: usize = 25;
/// Sessions served at once by default; more get 421 and are closed (see [`super::listen`]).
pub use super::listen::MAX_SESSIONS;

pub struct Mta {
    pub ctx: HostCtx,
    /// The settings, as the last reload (a `configure` step) left them: see
    /// [`Mta::cfg`] and [`Mta::reload`].
    cfg: Mutex<Arc<MtaConfig>>,
    /// Local mailboxes (accounts of the users whose domain this host serves).
    pub store: Arc<Mutex<Store>>,
    /// Bumped on every change to the store (see [`Mta::with_store`]), so
    /// IMAP sessions can report it.
    pub store_version: watch::Sender<u64>,
    /// SMTP AUTH accounts by their names in lower case (a user name is
    /// found in any case): (the name as the scenario writes it, password).
    /// A `configure` step may change the passwords.
    auth_users: Mutex<BTreeMap<String, (String, String)>>,
    /// Accounts locked by a `configure` step (`login: false`): SMTP AUTH refuses them.
    locked: Mutex<std::collections::BTreeSet<String>>,
    /// POP-before-SMTP: client address -> until when it may relay.
    pub popauth: Mutex<BTreeMap<Ipv4Addr, Instant>>,
    pub resolver: Option<Resolver>,
    pub smarthost: Option<NextHop>,
    pub log: Maillog,
    pub state: Mutex<MtaState>,
    pub wake: Notify,
    pub retry: RetryPolicy,
    /// Mailing lists (a list host only).
    pub lists: Vec<HostedList>,
    /// `cfg.domains` as a set: an MX may serve thousands of domains.
    local_domains: std::collections::BTreeSet<String>,
    /// The server side of TLS (certificate from the lab CA), when `tls` is on.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Recent failed logins per client address: SMTP AUTH, POP3 and IMAP
    /// share them (see [`super::penalty`]).
    pub penalties: Arc<super::penalty::Penalties>,
}

#[derive(Default)]
pub struct MtaState {
    pub queue: BTreeMap<u64, QueueEntry>,
    /// Octets of the queued messages (with `disk_space`, see [`Mta::free_octets`]).
    pub queued_octets: u64,
    pub next_entry: u64,
    pub next_pid: u32,
    pub qid_seq: u32,
}

/// The local part every mail domain must accept (RFC 5321 §4.5.1).
pub const POSTMASTER: &str = "postmaster";

impl Mta {
    pub fn new(
        ctx: HostCtx,
        mut cfg: MtaConfig,
        mut store: Store,
        auth_users: BTreeMap<String, String>,
        resolver: Option<Resolver>,
        smarthost: Option<NextHop>,
    ) -> Arc<Self> {
        let base = 1000 + ctx.rng(Purpose::Pid).below(30000) as u32;
        let log = Maillog { ctx: ctx.clone(), flavour: cfg.flavour, daemon_pid: base };
        let lists = cfg.lists.iter().map(|l| HostedList::new(crate::listserv::List::new(l.clone()))).collect();
        // The host's own name is a local destination too, as Postfix's
        // default `mydestination = $myhostname, …` and sendmail's class w
        // make it: that is where the bare `RCPT TO:<postmaster>` goes.
        let own = ctx.hostname.to_ascii_lowercase();
        let mut local_domains: std::collections::BTreeSet<String> = cfg.domains.iter().cloned().collect();
        local_domains.insert(own.clone());
        // postmaster@ every local domain must be accepted (RFC 5321 §4.5.1).
        // Unless the scenario routes it (an alias or a user `postmaster@…`),
        // it goes to a system mailbox on this host, as /etc/aliases sends
        // `postmaster` to root.
        if !cfg.aliases.contains_key(POSTMASTER) {
            let mailbox = format!("{POSTMASTER}@{own}");
            // A scenario's user `Postmaster@…` is that mailbox, in any case.
            let mailbox = match store.resolve_user(&mailbox) {
                Some(u) => u.to_string(),
                None => {
                    store.add_system_account(&mailbox, ctx.now());
                    mailbox
                }
            };
            cfg.aliases.insert(POSTMASTER.to_string(), vec![mailbox]);
        }
        let tls = match cfg.tls {
            TlsMode::Off => None,
            _ => match super::tls::server_config(&ctx) {
                Ok(c) => Some(c),
                Err(e) => {
                    // STARTTLS is then not offered (the 454 case of RFC 3207).
                    ctx.emit(ctx.ev(Kind::HostError).line(e.to_string()));
                    None
                }
            },
        };
        Arc::new(Mta {
            tls,
            penalties: Arc::default(),
            lists,
            local_domains,
            retry: RetryPolicy::configured(cfg.flavour, &cfg.queue),
            ctx,
            cfg: Mutex::new(Arc::new(cfg)),
            store: Arc::new(Mutex::new(store)),
            store_version: watch::channel(0).0,
            auth_users: Mutex::new(
                auth_users.into_iter().map(|(name, pw)| (name.to_ascii_lowercase(), (name, pw))).collect(),
            ),
            locked: Mutex::new(Default::default()),
            popauth: Mutex::new(BTreeMap::new()),
            resolver,
            smarthost,
            log,
            state: Mutex::new(MtaState { next_pid: base + 10, ..Default::default() }),
            wake: Notify::new(),
        })
    }

    pub fn with_state<R>(&self, f: impl FnOnce(&mut MtaState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub fn new_pid(&self) -> u32 {
        self.with_state(|s| {
            s.next_pid += 1;
            s.next_pid
        })
    }

    pub fn new_qid(&self, pid: u32) -> String {
        let mut seq = || {
            self.with_state(|s| {
                s.qid_seq += 1;
                s.qid_seq
            })
        };
        let mut random = || {
            let rng = self.ctx.rng(Purpose::QueueId);
            u64::from(rng.u16()) << 24 | rng.below(1 << 24)
        };
        self.persona().queue_id(self.ctx.now(), pid, &mut seq, &mut random)
    }

    /// The words of this host's MTA flavour.
    pub fn persona(&self) -> &'static dyn Persona {
        self.log.flavour.persona()
    }

    /// The host's settings now. An SMTP session takes them once, when it
    /// starts, and keeps them to its end: a reload changes what the next
    /// session sees, as a real daemon's reload does.
    pub fn cfg(&self) -> Arc<MtaConfig> {
        lock(&self.cfg).clone()
    }

    /// A `configure` step: the settings a reload may change (relay rules,
    /// access database, DNSBLs, AUTH, size limit, HELO required) are taken from `new`;
    /// the maillog gets the flavour's reload lines (Postfix's master
    /// re-reads main.cf; sendmail re-executes itself on SIGHUP).
    pub fn reload(&self, new: &MtaConfig) {
        let next = self.cfg().reloaded(new);
        for hosted in &self.lists {
            if let Some(l) = next.lists.iter().find(|l| l.name == hosted.cfg.name && l.domain == hosted.cfg.domain) {
                hosted.with(|list| list.reconfigure(l.clone()));
            }
        }
        *lock(&self.cfg) = Arc::new(next);
        let interval = self.retry.first;
        self.log.log_lines(self.log.daemon_pid, self.persona().log_reload(interval));
    }

    /// Accounts changed by a `configure` step: a new password, or the login
    /// locked or opened, for SMTP AUTH and for the mailboxes this host keeps
    /// (POP3 and IMAP). A session logged in already stays logged in.
    pub fn change_users(&self, changes: &[crate::scenario::UserChange]) {
        for c in changes {
            {
                let mut auth = lock(&self.auth_users);
                if let Some(p) = &c.password {
                    auth.insert(c.address.to_ascii_lowercase(), (c.address.clone(), p.clone()));
                }
            }
            self.with_store(|s| s.change_account(&c.address, c.password.as_deref(), c.login));
            match c.login {
                Some(false) => {
                    lock(&self.locked).insert(c.address.clone());
                }
                Some(true) => {
                    lock(&self.locked).remove(&c.address);
                }
                None => {}
            }
        }
    }

    /// Work on the mail store. When `f` changed something a session could
    /// see (the store's version moved: a delivery, an APPEND, a flag, an
    /// expunge, by any session of any protocol), every POP3 and IMAP
    /// session of the host is woken (`store_version`), so an IMAP client in
    /// IDLE hears of it at once.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (r, changed) = {
            let mut store = lock(&self.store);
            let before = store.version();
            let r = f(&mut store);
            (r, store.version() != before)
        };
        if changed {
            self.store_version.send_modify(|v| *v = v.wrapping_add(1));
        }
        r
    }

    /// Octets of `disk_space` left for new mail: the setting less what the
    /// queue and the mailboxes hold; None without a limit.
    pub fn free_octets(&self) -> Option<u64> {
        let space = self.cfg().disk_space;
        if space == 0 {
            return None;
        }
        let queued = self.with_state(|s| s.queued_octets);
        let stored = lock(&self.store).octets();
        Some(space.saturating_sub(queued.saturating_add(stored)))
    }

    pub fn has_local_user(&self, key: &str) -> bool {
        self.with_store(|s| s.resolve_user(key).is_some())
    }

    /// POP-before-SMTP: a login from `ip` lets it relay for the configured window.
    pub fn popauth_add(self: &Arc<Self>, ip: Ipv4Addr, user: &str, how: &str) {
        let Some(window) = self.cfg().pop_before_smtp else { return };
        let until = Instant::now() + window;
        // A window still open is only extended: its timer task follows the new end.
        let timer_running = lock(&self.popauth).insert(ip, until).is_some();
        let wall = self.ctx.now() + chrono::Duration::from_std(window).unwrap_or_default();
        self.ctx.emit(
            self.ctx
                .ev(Kind::PopauthAdd)
                .peer(self.ctx.peer_name(ip))
                .line(format!("{ip} may relay until {} ({how} login by {user})", wall.format("%H:%M:%S")))
                .field(Field::Ip, ip.to_string()),
        );
        if timer_running {
            // One task per address, not one per login: a busy client logging
            // in every second would otherwise pile up a window's worth of them.
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut until = until;
            loop {
                tokio::time::sleep_until(until).await;
                let next = {
                    let mut g = lock(&me.popauth);
                    match g.get(&ip).copied() {
                        Some(t) if t <= Instant::now() => {
                            g.remove(&ip);
                            None
                        }
                        // Extended by a later login: wait for the new end.
                        Some(t) => Some(t),
                        None => return,
                    }
                };
                match next {
                    Some(t) => until = t,
                    None => break,
                }
            }
            me.ctx.emit(
                me.ctx
                    .ev(Kind::PopauthExpire)
                    .peer(me.ctx.peer_name(ip))
                    .line(format!("{ip} may no longer relay: its POP-before-SMTP window has passed"))
                    .field(Field::Ip, ip.to_string()),
            );
        });
    }

    fn popauth_allows(&self, ip: Ipv4Addr) -> bool {
        lock(&self.popauth).get(&ip).is_some_and(|t| *t > Instant::now())
    }

    /// Is mail for `d` delivered here? One of the host's domains or its own
    /// name, or an address literal of one of its addresses (see
    /// [`Mta::is_own_literal`]).
    pub fn is_local_domain(&self, d: &str) -> bool {
        self.local_domains.contains(d) || self.is_own_literal(d)
    }

    /// Is `d` an address literal of this host: its address or the loopback
    /// address, `[192.0.2.25]`, `[127.0.0.1]`? Postfix delivers
    /// `user@[ip]` locally when the address is one of `inet_interfaces`
    /// (default `all`) or `proxy_interfaces` (resolve_local.c; postconf(5):
    /// "The parameter also controls delivery of mail to user@[ip.address]");
    /// sendmail puts `[ip]` of every interface into class `$=w`
    /// (conf.c `load_if_names()`), and its canonify rules turn a literal in
    /// `$=w` into the host's name (proto.m4: "self-literal"). The lab's hosts
    /// have IPv4 addresses only, so no IPv6 literal is ever one of theirs.
    pub fn is_own_literal(&self, d: &str) -> bool {
        match crate::proto::smtp::address::literal_ip(d) {
            // Under `serve`, also the real address the host listens on
            // (Postfix: every interface's address, resolve_local.c).
            Some(std::net::IpAddr::V4(ip)) => {
                ip == self.ctx.ip || ip == Ipv4Addr::LOCALHOST || self.ctx.env.net.real_ip_of(self.ctx.ip) == Some(ip)
            }
            _ => false,
        }
    }

    /// The address local delivery knows recipient `r` by. For one at this
    /// host's own address literal (`taro@[192.0.2.25]`) the local part is
    /// what counts, as for Postfix's local(8) and sendmail's local mailer,
    /// which look a user up by the local part alone: a user written with the
    /// literal itself, else the first of the host's domains (in the order of
    /// `domains:`, then its host name) where that local part is a user or a
    /// list. Any other recipient, or a local part found nowhere, is itself.
    pub fn local_address<'a>(&self, r: &'a Mailbox) -> std::borrow::Cow<'a, Mailbox> {
        use std::borrow::Cow;
        if !r.domain.starts_with('[') || !self.is_own_literal(&r.domain) || self.has_local_user(&r.key()) {
            return Cow::Borrowed(r);
        }
        let cfg = self.cfg();
        let own = self.ctx.hostname.to_ascii_lowercase();
        cfg.domains
            .iter()
            .chain(std::iter::once(&own))
            .map(|d| Mailbox { local: r.local.clone(), domain: d.clone() })
            .find(|m| self.has_local_user(&m.key()) || self.list_for(m).is_some())
            .map_or(Cow::Borrowed(r), Cow::Owned)
    }

    /// Forward-confirmed reverse DNS, done at every connection as both
    /// real MTAs do: does the PTR name `name` have an A record leading back
    /// to `ip`? Returns (forged, trusted). A name that leads elsewhere, does
    /// not exist, or whose look-up fails even for now is not kept:
    /// Postfix's smtpd_peer.c (smtpd_peer_sockaddr_to_hostname) logs
    /// "hostname %s does not resolve to address %s[: reason]" and calls the
    /// client `unknown` (name_status TEMP or FORGED); sendmail's daemon.c
    /// (getauthinfo) sets may_be_forged whenever sm_gethostbyname() gives
    /// nothing, a temporary failure included.
    async fn confirm_name(&self, ip: Ipv4Addr, name: &str, program: Program, pid: u32) -> (bool, bool) {
        let Some(r) = &self.resolver else { return (false, false) };
        let why = match r.a(name).await {
            Ok(ips) if ips.contains(&ip) => return (false, true),
            Ok(ips) if ips.is_empty() => Some("No address associated with hostname"),
            Ok(_) => None,
            Err(ResolveError::Permanent(..)) => Some("Name or service not known"),
            // getaddrinfo's EAI_AGAIN, as glibc's gai_strerror() words it.
            Err(ResolveError::Temporary(_)) => Some("Temporary failure in name resolution"),
        };
        if let Some(l) = self.persona().log_forged(name, ip, why) {
            self.log.log(program, pid, &l);
        }
        (true, false)
    }

    /// Look the client up in the host's DNSBLs (RFC 5782), in order: the
    /// first zone that has an A record for `d.c.b.a.zone` lists it (its
    /// TXT record, when the flavour asks, is the reason). A list that does
    /// not answer or fails lists nobody: the flavour logs it (Postfix) or
    /// passes silently (sendmail's dnsbl without its third argument).
    async fn dnsbl_lookup(&self, zones: &[String], ip: Ipv4Addr, program: Program, pid: u32) -> Option<Listing> {
        let r = self.resolver.as_ref()?;
        let p = self.persona();
        for zone in zones {
            let q = dns::dnsbl_name(ip, zone);
            let failed = match r.query(&q, QType::A).await {
                Ok(a) if a.rcode == Rcode::NoError => {
                    if a.answers.iter().any(|x| matches!(x.data, RecordData::A(_))) {
                        let reason = if p.dnsbl_asks_reason() { dnsbl_reason(r, &q).await } else { None };
                        return Some(Listing { zone: zone.clone(), reason });
                    }
                    None
                }
                Ok(a) if a.rcode == Rcode::NxDomain => None,
                Ok(a) => Some(a.rcode == Rcode::ServFail),
                Err(_) => Some(true),
            };
            if let Some(temporary) = failed
                && let Some(l) = p.log_dnsbl_error(&q, temporary)
            {
                self.log.log(program, pid, &l);
            }
        }
        None
    }

    /// Open the SMTP port, and the submission port when the host offers
    /// submission; the listeners go to [`Mta::serve`].
    pub async fn bind(&self) -> std::io::Result<Vec<(Service, crate::net::Listener)>> {
        let mut out = Vec::new();
        for service in self.services() {
            let l = self.ctx.env.net.listen(SocketAddrV4::new(self.ctx.ip, service.port())).await?;
            out.push((service, l));
        }
        Ok(out)
    }

    /// The SMTP services this host runs: port 25 always, 587 with
    /// `submission`, and 465 when it has TLS too.
    pub fn services(&self) -> Vec<Service> {
        let mut v = vec![Service::Smtp];
        if self.cfg().submission {
            v.push(Service::Submission);
            if self.tls.is_some() {
                v.push(Service::Submissions);
            }
        }
        v
    }

    /// Run the queue and accept connections on every listener forever.
    pub async fn serve(self: Arc<Self>, listeners: Vec<(Service, crate::net::Listener)>) -> std::io::Result<()> {
        let q = self.clone();
        tokio::spawn(async move { q.run_queue().await });
        let d = self.clone();
        tokio::spawn(async move { d.run_digests().await });
        // One limit for all the host's SMTP services, as one smtpd process limit.
        let slots = Gate::new(self.ctx.env.limits.clone());
        let mut first = None;
        for (service, l) in listeners {
            if first.is_none() {
                first = Some((service, l));
                continue;
            }
            let me = self.clone();
            let slots = slots.clone();
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = me.accept_loop(service, l, slots).await {
                    ctx.emit(
                        ctx.ev(Kind::HostError).line(format!("SMTP service on port {} stopped: {e}", service.port())),
                    );
                }
            });
        }
        match first {
            Some((service, l)) => self.accept_loop(service, l, slots).await,
            None => std::future::pending().await,
        }
    }

    async fn accept_loop(
        self: &Arc<Self>,
        service: Service,
        mut l: crate::net::Listener,
        slots: Arc<Gate>,
    ) -> std::io::Result<()> {
        let what = format!("{} on port {}", service.name(), service.port());
        loop {
            let conn = super::listen::accept(&self.ctx, &mut l, &what).await?;
            let permit = match slots.enter(*conn.peer.ip()) {
                Ok(p) => p,
                Err(why) => {
                    // Too many: say so and hang up, as Postfix's anvil limit does.
                    self.refuse(conn, why).await;
                    continue;
                }
            };
            let guard = self.ctx.env.activity.begin();
            let me = self.clone();
            self.ctx.env.net.spawn_session(async move {
                me.session(conn, guard, service).await;
                drop(permit);
            });
        }
    }

    async fn session(self: Arc<Self>, conn: Conn, _busy: ActivityGuard, service: Service) {
        let Conn { stream, peer, session, .. } = conn;
        let ip = *peer.ip();
        let label = self.ctx.peer_name(ip);
        let on = match service {
            Service::Smtp => String::new(),
            s => format!(" on port {} ({})", s.port(), s.name()),
        };
        self.ctx.emit(self.ctx.ev(Kind::TcpAccept).session(session).peer(&label).line(accept_line(
            &label,
            ip,
            peer.port(),
            &on,
        )));
        // The settings of this session, whatever a reload does meanwhile.
        let cfg = self.cfg();
        let ptr = match &self.resolver {
            Some(r) => r.ptr(ip).await,
            None => None,
        };
        let pid = self.new_pid();
        let p = self.persona();
        let (forged, name_trusted) = match &ptr {
            Some(n) => self.confirm_name(ip, n, service.program(), pid).await,
            None => (false, false),
        };
        // The access database's Connect: entry (by address, or by a
        // forward-confirmed name). Port 25 only, like the DNSBLs.
        let client_access = if service == Service::Smtp {
            let name = ptr.as_deref().filter(|_| name_trusted);
            access::client(&cfg.access, ip, name).map(|e| e.action.clone())
        } else {
            None
        };
        // sendmail's check_relay runs before the greeting: an access REJECT
        // or a DNSBL listing makes a client that is greeted, then refused
        // every command but HELO, EHLO, NOOP, RSET and QUIT. The lists guard
        // port 25 only: submission is for users who log in.
        let mut refusal = None;
        let mut discard = false;
        let peer0 = Peer { ip, name: ptr.clone(), forged };
        if service == Service::Smtp && p.dnsbl_at_connect() {
            match &client_access {
                Some(a @ (Action::Reject | Action::Error { .. })) => {
                    let r = p.access_reply(AccessCheck::Client, &peer0, "", custom(a));
                    let line = p.log_access(AccessCheck::Client, &peer0, None, None, "", Some(&r));
                    self.log.log(service.program(), pid, &line);
                    refusal = Some(r);
                }
                Some(Action::Discard) => {
                    discard = true;
                    let line = p.log_access(AccessCheck::Client, &peer0, None, None, "", None);
                    self.log.log(service.program(), pid, &line);
                }
                _ => {}
            }
            let trusted = matches!(client_access, Some(Action::Ok | Action::Relay));
            if refusal.is_none()
                && !trusted
                && let Some(l) = self.dnsbl_lookup(&cfg.dnsbl, ip, service.program(), pid).await
            {
                let r = p.dnsbl_reject(ip, &l.zone, l.reason.as_deref());
                if let Some(line) = p.log_connect_reject(&peer0, &r) {
                    self.log.log(service.program(), pid, &line);
                }
                refusal = Some(r);
            }
        }
        let pol = SessionPolicy {
            refusal,
            client_access,
            sender_access: None,
            discard,
            dnsbl: Dnsbl::NotAsked,
            mta: &self,
            cfg: cfg.clone(),
            service,
            ip,
            ptr: ptr.clone(),
            forged,
            name_trusted,
            pid,
            qid: None,
            counts: BTreeMap::new(),
            last_verb: String::new(),
            auth_mech: String::new(),
            auth_failed: false,
            auth_wanted: false,
            checked: None,
            no_helo: None,
        };
        if let Some(l) = self.persona().log_connect(&pol.peer()) {
            self.log.log(service.program(), pid, &l);
        }
        let mut server = Server::new(self.server_config(&cfg, service), Peer { ip, name: ptr, forged });
        if let Some(t) = self.ctx.env.limits.idle_timeout {
            server.set_idle_timeout(t);
        }
        let mut core = SmtpSession { server, pol, timed_out: false, held: None };
        let tls = self.tls.clone().map(super::session::Tls::Server);
        let mut s = Session::new(&self.ctx, stream, session, &label).tls(tls);
        if service != Service::Submissions || s.handshake_first(&mut core).await {
            while let Some(ask) = s.next(&mut core).await {
                match ask {
                    // Postfix asks its DNSBLs at the first RCPT (smtpd_delay_reject).
                    Ask::Dnsbl => {
                        let l = self.dnsbl_lookup(&cfg.dnsbl, ip, service.program(), pid).await;
                        core.pol.dnsbl = Dnsbl::Done(l);
                    }
                    // SPF, DKIM and DMARC ask the DNS; the message waits in the core.
                    Ask::MailAuth => {
                        let checked = match core.server.pending_message() {
                            Some((env, data)) => {
                                let from = match &env.from {
                                    crate::proto::smtp::address::Path::Mailbox(m) => m.to_string(),
                                    crate::proto::smtp::address::Path::Null => String::new(),
                                };
                                let c = super::mailauth::Client {
                                    session,
                                    peer: &label,
                                    ip,
                                    helo: env.helo.as_deref().unwrap_or(""),
                                    mail_from: &from,
                                };
                                Some(super::mailauth::check(&self.ctx, self.resolver.as_ref(), &c, data).await)
                            }
                            None => None,
                        };
                        core.pol.checked = checked;
                    }
                    // The 535 waits in the core: it goes out when the delay is over.
                    Ask::AuthFailed => {
                        let delay = self.penalties.failed(&self.ctx, session, &label, ip);
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        let pol = core.pol;
        if let Some(l) = self.persona().log_disconnect(&pol.peer(), &pol.counts) {
            self.log.log(service.program(), pid, &l);
        }
        self.ctx.emit(self.ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
    }

    /// A connection over a session limit: `tcp.refuse`, the core's 421,
    /// traced, then close (no session of its own: no `tcp.accept`, no
    /// process id).
    async fn refuse(&self, conn: Conn, why: Refused) {
        let ip = *conn.peer.ip();
        let cfg = self.server_config(&self.cfg(), Service::Smtp);
        let peer = Peer { ip, name: None, forged: false };
        let server = match why {
            Refused::Busy(_) => Server::refuse_busy(cfg, peer),
            Refused::Client(..) => Server::refuse_client(cfg, peer),
        };
        let mut core = SmtpRefusal(Some(why.note()), server);
        Session::new(&self.ctx, conn.stream, conn.session, self.ctx.peer_name(ip)).run(&mut core).await;
    }

    fn server_config(&self, cfg: &MtaConfig, service: Service) -> ServerConfig {
        ServerConfig {
            hostname: self.ctx.hostname.clone(),
            flavour: cfg.flavour,
            max_message_size: cfg.max_message_size,
            max_recipients: 100,
            // Submission always offers AUTH (RFC 6409 §4.3 wants it authenticated).
            auth: cfg.auth != crate::scenario::AuthMode::Off || service != Service::Smtp,
            // On 465 TLS is up before the first word: no STARTTLS there.
            show_secrets: cfg.show_secrets,
            tls: if self.tls.is_some() && service != Service::Submissions { cfg.tls } else { TlsMode::Off },
            dsn: cfg.offer_dsn,
            helo_required: cfg.helo_required,
        }
    }

    /// Queue an accepted message and wake the queue runner.
    pub fn enqueue(&self, e: QueueEntry) {
        // `QID: from=<a> to=<b>,<c>`, written into one string (every message is queued).
        let mut line = String::with_capacity(64 + 40 * e.rcpts.len());
        line.push_str(&e.qid);
        line.push_str(": from=");
        e.from.push_bracketed(&mut line);
        line.push_str(" to=");
        for (i, r) in e.rcpts.iter().enumerate() {
            line.push_str(if i == 0 { "<" } else { ",<" });
            r.addr.push_to(&mut line);
            line.push('>');
        }
        self.ctx.emit(
            self.ctx.ev(Kind::QueueAdd).line(line).field(Field::Qid, e.qid.clone()).field(Field::Rcpts, e.rcpts.len()),
        );
        self.with_state(|s| {
            s.next_entry += 1;
            let k = s.next_entry;
            s.queued_octets = s.queued_octets.saturating_add(e.data.len() as u64);
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
    /// The answer to a failed AUTH, held back while the host waits.
    held: Option<Reply>,
}

/// The trace's line for a connection taken: `connection from {label} [{ip}]:{port}{on}`.
fn accept_line(label: &str, ip: std::net::Ipv4Addr, port: u16, on: &str) -> String {
    use crate::base::decimal::{push_ipv4, push_u64};
    let mut l = String::with_capacity(40 + label.len() + on.len());
    l.push_str("connection from ");
    l.push_str(label);
    l.push_str(" [");
    push_ipv4(&mut l, ip);
    l.push_str("]:");
    push_u64(&mut l, u64::from(port));
    l.push_str(on);
    l
}

/// The trace's line for a message's content: `(message content: N lines, M octets)`.
fn data_line(lines: usize, octets: usize) -> String {
    use crate::base::decimal::push_u64;
    let mut l = String::with_capacity(56);
    l.push_str("(message content: ");
    push_u64(&mut l, lines as u64);
    l.push_str(" lines, ");
    push_u64(&mut l, octets as u64);
    l.push_str(" octets)");
    l
}

/// A reply to send: its lines on the wire, and one traced note per line
/// (each line is made once, for both).
fn reply_io<A>(r: &Reply) -> Io<A> {
    let mut bytes = Vec::with_capacity(r.lines.iter().map(|l| l.len() + 6).sum());
    let mut notes = Vec::with_capacity(r.lines.len());
    for i in 0..r.lines.len() {
        let l = r.wire_line(i);
        bytes.extend_from_slice(l.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        notes.push(Note::new(Kind::SmtpReply, l).field(Field::Code, r.code));
    }
    Io::Send { bytes, notes }
}

/// What the SMTP session asks of its host between commands.
enum Ask {
    /// Look the client up in the DNSBLs (before the RCPT just traced is answered).
    Dnsbl,
    /// Check SPF, DKIM and DMARC of the message just received (before its DATA is answered).
    MailAuth,
    /// An AUTH failed: its answer is held back while the host waits.
    AuthFailed,
}

impl Core for SmtpSession<'_> {
    type Action = Ask;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.server.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        if matches!(self.pol.dnsbl, Dnsbl::Wanted) {
            self.pol.dnsbl = Dnsbl::Asking;
            return Some(Io::Host(Ask::Dnsbl));
        }
        if let Some(r) = self.held.take() {
            return Some(reply_io(&r));
        }
        // A client that logged in is one of ours: its mail is not checked.
        if std::mem::take(&mut self.pol.auth_wanted)
            && self.server.pending_message().is_some_and(|(env, _)| env.auth.is_none())
        {
            return Some(Io::Host(Ask::MailAuth));
        }
        Some(match self.server.poll(&mut self.pol)? {
            Output::Command(l) => {
                // The lines answering AUTH's 334 challenges belong to AUTH.
                if self.pol.last_verb != "auth" {
                    // Into the same String each time (no allocation a command).
                    let verb = &mut self.pol.last_verb;
                    verb.clear();
                    verb.push_str(l.split(' ').next().unwrap_or(""));
                    verb.make_ascii_lowercase();
                    if self.pol.last_verb == "rcpt" && self.pol.dnsbl_due() {
                        self.pol.dnsbl = Dnsbl::Wanted;
                    }
                }
                Io::Trace(Note::new(Kind::SmtpCmd, l))
            }
            Output::Data { octets, lines } => {
                self.pol.auth_wanted = self.pol.checks_auth();
                Io::Trace(Note::new(Kind::SmtpData, data_line(lines, octets)).field(Field::Octets, octets))
            }
            Output::Reply(r) => {
                if !self.timed_out {
                    self.pol.count(&r);
                }
                if std::mem::take(&mut self.pol.auth_failed) {
                    // A failed AUTH's answer waits for the host's penalty.
                    self.held = Some(r);
                    return Some(Io::Host(Ask::AuthFailed));
                }
                reply_io(&r)
            }
            Output::Close => Io::Close,
            Output::StartTls => Io::StartTls,
        })
    }
    fn tls_started(&mut self, info: &crate::proto::tls::TlsInfo) {
        self.server.tls_started(info.clone());
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

/// A server core that only refuses ([`Server::refuse_busy`]), after the
/// `tcp.refuse` line; its policy is never asked.
struct SmtpRefusal(Option<Note>, Server);

impl Core for SmtpRefusal {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.1.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        if let Some(n) = self.0.take() {
            return Some(Io::Trace(n));
        }
        Some(match self.1.poll(&mut Refuse)? {
            Output::Reply(r) => reply_io(&r),
            Output::Command(l) => Io::Trace(Note::new(Kind::SmtpCmd, l)),
            Output::Data { .. } | Output::StartTls => return None,
            Output::Close => Io::Close,
        })
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.1.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.1.handle_timeout(now);
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.1.peer_closed();
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
    fn rcpt(&mut self, _env: &Envelope, _rcpt: &Mailbox, _as_sent: &str) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn message(&mut self, _env: &Envelope, _data: &[u8]) -> Reply {
        Reply::new(554, "5.3.2 Service not available")
    }
}

/// Which of the MTA's SMTP services a connection came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Port 25: mail from other MTAs (RFC 5321), relay rules as configured.
    Smtp,
    /// Port 587: message submission (RFC 6409): AUTH before MAIL, and relay
    /// for authenticated users only (the client's network counts for nothing).
    Submission,
    /// Port 465: the same over implicit TLS (RFC 8314): the TLS handshake
    /// comes first, before the greeting.
    Submissions,
}

impl Service {
    pub fn port(self) -> u16 {
        match self {
            Service::Smtp => ports::SMTP,
            Service::Submission => ports::SUBMISSION,
            Service::Submissions => ports::SUBMISSIONS,
        }
    }
    /// The IANA service name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Submission => "submission",
            Service::Submissions => "submissions",
        }
    }
    /// The program whose maillog lines a session of this service writes.
    fn program(self) -> Program {
        match self {
            Service::Smtp => Program::Smtpd,
            Service::Submission | Service::Submissions => Program::SubmissionSmtpd,
        }
    }
    /// Does this service take mail only from users who logged in?
    fn requires_auth(self) -> bool {
        self != Service::Smtp
    }
}

/// A client's listing in a DNSBL.
#[derive(Clone, Debug)]
pub struct Listing {
    pub zone: String,
    /// The list's TXT record, when the flavour asked for it.
    pub reason: Option<String>,
}

/// The TXT record at a listed name: the list's reason, on one line, at most
/// 500 characters (Postfix's RBL_TXT_LIMIT).
async fn dnsbl_reason(r: &Resolver, name: &str) -> Option<String> {
    let a = r.query(name, QType::Txt).await.ok()?;
    let texts: Vec<&str> = a
        .answers
        .iter()
        .filter_map(|x| match &x.data {
            RecordData::Txt(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    if texts.is_empty() {
        return None;
    }
    let one: String = texts.join(" ").chars().map(|c| if c.is_control() { ' ' } else { c }).take(500).collect();
    Some(one)
}

/// The (status, code, text) of an `ERROR:` entry.
fn custom(a: &Action) -> Option<(&str, u16, &str)> {
    match a {
        Action::Error { status, code, text } => Some((status.as_str(), *code, text.as_str())),
        _ => None,
    }
}

fn refuses(a: &Option<Action>) -> bool {
    matches!(a, Some(Action::Reject | Action::Error { .. }))
}

/// Where a Postfix session's DNSBL look-up stands (it is made once, at the first RCPT).
enum Dnsbl {
    NotAsked,
    /// An RCPT arrived: ask the host before answering it.
    Wanted,
    Asking,
    Done(Option<Listing>),
}

/// The mail system's decisions for one SMTP session.
struct SessionPolicy<'a> {
    /// sendmail's refusal of a client its check_relay rejected (a DNSBL listing).
    refusal: Option<Reply>,
    /// The access database's entry for the client (port 25).
    client_access: Option<Action>,
    /// The entry for this transaction's sender, for Postfix to use at RCPT.
    sender_access: Option<Action>,
    /// A DISCARD matched: accept the message and throw it away.
    discard: bool,
    dnsbl: Dnsbl,
    mta: &'a Mta,
    /// The host's settings when the session started.
    cfg: Arc<MtaConfig>,
    service: Service,
    ip: Ipv4Addr,
    ptr: Option<String>,
    /// The PTR name does not lead back to the address.
    forged: bool,
    /// The PTR name was confirmed forwards: rules by client domain may use it.
    name_trusted: bool,
    pid: u32,
    qid: Option<String>,
    /// Postfix's disconnect summary: verb -> (ok, total).
    counts: BTreeMap<String, (u32, u32)>,
    last_verb: String,
    auth_mech: String,
    /// An AUTH just failed: its answer is held back (see [`super::penalty`]).
    auth_failed: bool,
    /// A message just arrived that `check_auth` must check before it is answered.
    auth_wanted: bool,
    /// What checking it found (see [`super::mailauth`]).
    checked: Option<super::mailauth::Checked>,
    /// The header field the flavour adds to this transaction's message
    /// because the client gave MAIL without HELO (see [`Persona::no_helo_warning`]).
    no_helo: Option<String>,
}

impl SessionPolicy<'_> {
    fn persona(&self) -> &'static dyn Persona {
        self.mta.persona()
    }
    fn peer(&self) -> Peer {
        Peer { ip: self.ip, name: self.ptr.clone(), forged: self.forged }
    }
    /// Should a Postfix session ask its DNSBLs now? Its restrictions are
    /// modelled as `smtpd_client_restrictions = permit_mynetworks,
    /// permit_sasl_authenticated, reject_rbl_client ZONE …`, evaluated at RCPT
    /// (the look-up is made at the first RCPT even for a client that logged
    /// in; its answer is not used for it).
    fn dnsbl_due(&self) -> bool {
        matches!(self.dnsbl, Dnsbl::NotAsked)
            && self.service == Service::Smtp
            && !self.cfg.dnsbl.is_empty()
            && !self.persona().dnsbl_at_connect()
            && !matches!(self.client_access, Some(Action::Ok | Action::Relay))
            && !self.cfg.in_relay_networks(self.ip)
    }
    /// Are this session's messages checked with SPF, DKIM and DMARC? Mail
    /// arriving on port 25 from a client that is not one of ours (not
    /// logged in, not in the relay networks) on a host with `check_auth`.
    fn checks_auth(&self) -> bool {
        self.cfg.check_auth && self.service == Service::Smtp && !self.cfg.in_relay_networks(self.ip)
    }
    /// Is the message from one of this host's own users, which it signs?
    fn ours(&self, env: &Envelope) -> bool {
        env.auth.is_some() || self.cfg.in_relay_networks(self.ip) || self.mta.popauth_allows(self.ip)
    }
    fn count(&mut self, r: &Reply) {
        if self.last_verb.is_empty() || r.code == 354 || r.code == 334 {
            return;
        }
        // The verb's own String stays for the next command (a copy only for a new key).
        let e = match self.counts.get_mut(self.last_verb.as_str()) {
            Some(e) => e,
            None => self.counts.entry(self.last_verb.clone()).or_insert((0, 0)),
        };
        e.1 += 1;
        if r.is_positive() {
            e.0 += 1;
        }
        self.last_verb.clear();
    }
}

impl Policy for SessionPolicy<'_> {
    fn greeting(&mut self) -> Reply {
        self.persona().greeting(&self.mta.ctx.hostname, &rfc5322(self.mta.ctx.now()))
    }

    fn mail(&mut self, env: &Envelope) -> Reply {
        let p = self.persona();
        if (self.cfg.auth == AuthMode::Required || self.service.requires_auth()) && env.auth.is_none() {
            let r = p.auth_required();
            self.mta.log.log(self.service.program(), self.pid, &p.log_mail_reject(&self.peer(), env, &r));
            return r;
        }
        self.qid = if p.names_transaction_at_mail() { Some(self.mta.new_qid(self.pid)) } else { None };
        // A client that gave no HELO: the flavour's warning, logged now
        // and added to this transaction's message (sendmail's
        // X-Authentication-Warning; Postfix says nothing).
        self.no_helo = None;
        if env.helo.is_none()
            && let Some((field, line)) = p.no_helo_warning(&self.mta.ctx.hostname, &self.peer(), self.qid.as_deref())
        {
            self.mta.log.log(self.service.program(), self.pid, &line);
            self.no_helo = Some(field);
        }
        // Replies quote the address as the client wrote it (the lab's form is `env.from`).
        let from = p.quoted_path(&env.from_as_sent);
        let entry = match &env.from {
            crate::proto::smtp::address::Path::Mailbox(m) if self.service == Service::Smtp => {
                access::address(&self.cfg.access, access::Tag::From, &m.local, &m.domain).map(|e| e.action.clone())
            }
            _ => None,
        };
        if p.dnsbl_at_connect() {
            // sendmail's check_mail, at MAIL.
            match &entry {
                Some(a @ (Action::Reject | Action::Error { .. })) => {
                    let r = p.access_reply(AccessCheck::Sender, &self.peer(), &from, custom(a));
                    let l = p.log_access(AccessCheck::Sender, &self.peer(), self.qid.as_deref(), None, &from, Some(&r));
                    self.mta.log.log(self.service.program(), self.pid, &l);
                    return r;
                }
                Some(Action::Discard) if !self.discard => {
                    self.discard = true;
                    let l = p.log_access(AccessCheck::Sender, &self.peer(), self.qid.as_deref(), None, &from, None);
                    self.mta.log.log(self.service.program(), self.pid, &l);
                }
                _ => {}
            }
        } else {
            // Postfix: smtpd_sender_restrictions, evaluated at RCPT.
            self.sender_access = entry;
        }
        // The queue's disk (`disk_space`): checked last, as smtpd and sendmail do.
        if let Some(free) = self.mta.free_octets()
            && p.storage_short(free, self.cfg.max_message_size, env.declared_size.unwrap_or(0))
        {
            let sasl = env.auth.as_deref().map(|u| (self.auth_mech.as_str(), u));
            let lines = p.log_insufficient_storage(self.service.program(), &self.peer(), env, sasl, free);
            self.mta.log.log_lines(self.pid, lines);
            return p.insufficient_storage();
        }
        p.mail_ok(&from)
    }

    fn rcpt(&mut self, env: &Envelope, rcpt: &Mailbox, as_sent: &str) -> Reply {
        let p = self.persona();
        // Replies and these log lines quote the address as the client wrote
        // it; the checks read the lab's form, `rcpt`.
        let to = p.quoted_path(as_sent);
        let listed = match &self.dnsbl {
            Dnsbl::Done(Some(l)) if env.auth.is_none() && !self.cfg.in_relay_networks(self.ip) => Some(l),
            _ => None,
        };
        let to_access = if self.service == Service::Smtp {
            access::address(&self.cfg.access, access::Tag::To, &rcpt.local, &rcpt.domain).map(|e| e.action.clone())
        } else {
            None
        };
        let postfix_order = !p.dnsbl_at_connect();
        let outside = env.auth.is_none() && !self.cfg.in_relay_networks(self.ip);
        // Written out only where a refusal or a log line needs it (not for every accepted recipient).
        let from = || p.quoted_path(&env.from_as_sent);
        let access_relay = matches!(to_access, Some(Action::Relay))
            || matches!(self.client_access, Some(Action::Relay))
            || (postfix_order && matches!(self.client_access, Some(Action::Ok)));
        // Postfix's order: client (check_client_access, reject_rbl_client),
        // sender (check_sender_access), then recipient and relay rules.
        let mut by_access = None;
        let r = if postfix_order && outside && refuses(&self.client_access) {
            by_access = Some((AccessCheck::Client, String::new()));
            let a = self.client_access.as_ref().and_then(custom);
            p.access_reply(AccessCheck::Client, &self.peer(), "", a)
        } else if let Some(l) = listed {
            p.dnsbl_reject(self.ip, &l.zone, l.reason.as_deref())
        } else if postfix_order && refuses(&self.sender_access) {
            let from = from();
            let a = self.sender_access.as_ref().and_then(custom);
            let r = p.access_reply(AccessCheck::Sender, &self.peer(), &from, a);
            by_access = Some((AccessCheck::Sender, from));
            r
        } else if refuses(&to_access) {
            by_access = Some((AccessCheck::Recipient, to.clone()));
            p.access_reply(AccessCheck::Recipient, &self.peer(), &to, to_access.as_ref().and_then(custom))
        } else if self.mta.is_local_domain(&rcpt.domain) {
            // At the host's own address literal, the local part finds its user or list.
            let local = self.mta.local_address(rcpt);
            let alias = self.cfg.aliases.contains_key(&rcpt.local.to_ascii_lowercase());
            let list = self.mta.list_for(&local).is_some();
            if alias || list || self.mta.has_local_user(&local.key()) { p.rcpt_ok(&to) } else { p.user_unknown(&to) }
        } else if env.auth.is_some()
            || (!self.service.requires_auth()
                && (access_relay
                    || self.mta.popauth_allows(self.ip)
                    || self.cfg.relay_allowed(self.ip, self.ptr.as_deref().filter(|_| self.name_trusted), rcpt)))
        {
            p.rcpt_ok(&to)
        } else {
            let forged = if self.forged { p.relay_denied_forged(&to, self.ip) } else { None };
            forged.unwrap_or_else(|| p.relay_denied(&to, self.cfg.auth != AuthMode::Off))
        };
        if r.is_positive() {
            if self.qid.is_none() {
                let qid = self.mta.new_qid(self.pid);
                let sasl = env.auth.as_deref().map(|u| (self.auth_mech.as_str(), u));
                if let Some(l) = p.log_client(&qid, &self.peer(), sasl, env.params.auth.as_deref()) {
                    self.mta.log.log(self.service.program(), self.pid, &l);
                }
                self.qid = Some(qid);
            }
            // DISCARD: the recipient is accepted, the message will be thrown away.
            let discard = [
                (AccessCheck::Client, &self.client_access),
                (AccessCheck::Sender, &self.sender_access),
                (AccessCheck::Recipient, &to_access),
            ]
            .into_iter()
            .find(|(what, a)| matches!(a, Some(Action::Discard)) && (postfix_order || *what == AccessCheck::Recipient))
            .map(|(what, _)| what);
            if let Some(what) = discard
                && !self.discard
            {
                self.discard = true;
                let subject = match what {
                    AccessCheck::Client => String::new(),
                    AccessCheck::Sender => from(),
                    _ => to.clone(),
                };
                let l = p.log_access(what, &self.peer(), self.qid.as_deref(), Some((env, &to)), &subject, None);
                self.mta.log.log(self.service.program(), self.pid, &l);
            }
        } else {
            let peer = self.peer();
            let l = match &by_access {
                Some((what, subject)) => {
                    p.log_access(*what, &peer, self.qid.as_deref(), Some((env, &to)), subject, Some(&r))
                }
                None => p.log_rcpt_reject(&peer, self.qid.as_deref(), env, &to, &r),
            };
            self.mta.log.log(self.service.program(), self.pid, &l);
        }
        r
    }

    fn password(&mut self, user: &str) -> Option<(String, String)> {
        // A user name is an address, found in any case as the POP3 and
        // IMAP logins find it (Dovecot's SASL lower-cases it: `%Lu`).
        let (name, pw) = lock(&self.mta.auth_users).get(&user.to_ascii_lowercase()).cloned()?;
        if lock(&self.mta.locked).contains(&name) {
            return None;
        }
        Some((name, pw))
    }

    fn challenge(&mut self) -> String {
        format!("<{}.{}@{}>", self.pid, self.mta.ctx.now().timestamp(), self.mta.ctx.hostname)
    }

    fn session_refusal(&mut self) -> Option<Reply> {
        self.refusal.clone()
    }

    fn auth_done(&mut self, user: &str, mech: &str, ok: bool) {
        self.auth_mech = mech.to_string();
        if ok {
            self.mta.penalties.succeeded(self.ip);
        } else {
            self.auth_failed = true;
        }
        if let Some(l) = self.persona().log_auth(&self.peer(), user, mech, ok) {
            self.mta.log.log(self.service.program(), self.pid, &l);
        }
    }

    fn message(&mut self, env: &Envelope, data: &[u8]) -> Reply {
        let p = self.persona();
        let qid = self.qid.take().unwrap_or_else(|| self.mta.new_qid(self.pid));
        if self.discard {
            // Accepted and thrown away; a client's DISCARD lasts the session.
            self.discard = matches!(self.client_access, Some(Action::Discard));
            return p.queued(&qid);
        }
        let (hops, mut msgid) = crate::base::message::hops_and_id(data);
        if hops >= MAX_HOPS {
            let to = env.rcpts.first().map(|m| m.to_string()).unwrap_or_default();
            let r = p.too_many_hops(hops, MAX_HOPS, &env.from.bracketed(), &self.mta.ctx.hostname, &to);
            self.mta.log.log(self.service.program(), self.pid, &p.log_hops(&qid, &r));
            return r;
        }
        let peer = self.peer();
        // SPF, DKIM and DMARC (checked before this call, see Ask::MailAuth).
        let checked = self.checked.take();
        if let Some(domain) = checked.as_ref().and_then(|c| c.reject.as_deref()) {
            let r = p.dmarc_reject(domain);
            self.mta.log.log(Program::Cleanup, self.pid, &p.log_milter_reject(&qid, &peer, env, &r));
            return r;
        }
        let signature = match &self.cfg.dkim {
            Some(d) if self.ours(env) => super::mailauth::sign(&self.mta.ctx, d, &qid, data),
            _ => None,
        };
        let received =
            received(p, &self.mta.ctx.hostname, &qid, &Via::Smtp { env, peer: &peer }, &rfc5322(self.mta.ctx.now()));
        // A message without Date: or Message-ID: gets them as the flavour
        // adds them (sendmail's default headers, Postfix's cleanup).
        let head = crate::base::message::header_section_of(data);
        let has = |name: &str| crate::base::message::has_field(head, name);
        let own_client = peer.ip == self.mta.ctx.ip || peer.ip.is_loopback();
        let now = self.mta.ctx.now();
        let (added, on_top) =
            p.missing_headers(!has("Date"), !has("Message-ID"), own_client, now, &qid, &self.mta.ctx.hostname);
        if msgid.is_empty()
            && let Some(id) = added.iter().find_map(|f| f.strip_prefix("Message-Id: <"))
        {
            msgid = id.trim_end().trim_end_matches('>').to_string();
        }
        let added = added.concat();
        let junk = checked.as_ref().is_some_and(|c| c.quarantine);
        let results = checked.map(|c| c.header).unwrap_or_default();
        let signature = signature.unwrap_or_default();
        // sendmail's X-Authentication-Warning: addheader() puts it at MAIL
        // at the end of the envelope's header list, which holds the cf's
        // headers (Received:, and the H?D?/H?M? defaults it adds when the
        // message lacks them); the message's own fields come after it when
        // DATA is read (headers.c, envelope.c clearenvelope()).
        let warning = self.no_helo.take().unwrap_or_default();
        let mut full = Vec::with_capacity(
            signature.len() + received.len() + results.len() + added.len() + warning.len() + data.len(),
        );
        full.extend_from_slice(signature.as_bytes());
        full.extend_from_slice(received.as_bytes());
        full.extend_from_slice(results.as_bytes());
        if on_top {
            full.extend_from_slice(added.as_bytes());
            full.extend_from_slice(warning.as_bytes());
            full.extend_from_slice(data);
        } else {
            full.extend_from_slice(warning.as_bytes());
            full.extend_from_slice(head);
            full.extend_from_slice(added.as_bytes());
            full.extend_from_slice(&data[head.len()..]);
        }
        // A message bigger than what is left of the disk is not taken (the
        // queue file cannot be written): refused whole, nothing half-kept.
        // The lab counts the queue's copy and one per local recipient's
        // mailbox (where a real local delivery would later fail and defer).
        if let Some(free) = self.mta.free_octets() {
            let local = env.rcpts.iter().filter(|r| self.mta.is_local_domain(&r.addr.domain)).count() as u64;
            if (full.len() as u64).saturating_mul(local.saturating_add(1)) > free {
                self.mta.log.log_lines(self.pid, p.log_out_of_space(&qid));
                return p.out_of_space();
            }
        }
        let arrival = Arrival {
            qid: &qid,
            from: &p.arrival_from(env),
            size: full.len(),
            nrcpts: env.rcpts.len(),
            msgid: &msgid,
            source: Source::Smtp { peer: &peer, protocol: env.protocol() },
        };
        self.mta.log.log_lines(self.pid, p.log_arrival(&arrival));
        let entry =
            QueueEntry::new(&self.mta.ctx, qid.clone(), env.from.clone(), env.rcpts.clone(), full, msgid, self.pid)
                .with_params(env.params.clone())
                .with_junk(junk)
                .with_origin(crate::proto::smtp::persona::Origin::Smtp(peer.clone()));
        self.mta.enqueue(entry);
        match env.chunked {
            Some(octets) => p.queued_chunks(&qid, octets),
            None => p.queued(&qid),
        }
    }
}

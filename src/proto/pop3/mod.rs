//! The POP3 server side as a sans-IO state machine (RFC 1939, CAPA and
//! response codes from RFC 2449, `[AUTH]` from RFC 3206, STLS from RFC 2595).
//!
//! Bytes go in with [`Server::feed`]; [`Server::poll`] hands back one output
//! at a time: a command line for the trace, bytes to write, a login result,
//! or the order to close. The session works on the user's INBOX in a
//! [`Store`]: the list of messages is fixed at login (RFC 1939 §8), DELE only
//! marks, and the marked messages leave the store at QUIT (the UPDATE state).
//! A dropped connection removes nothing (RFC 1939 §6).
//!
//! A message sent whole with RETR gets the IMAP flag `\Seen` when the
//! session ends, with QUIT or without (what Dovecot does by default,
//! `pop3_no_flag_updates = no`: its `client_update_mails` at the end of
//! every session); TOP leaves it unseen. So an IMAP client on another
//! device sees the mail a POP3 client downloaded as read.
//!
//! STLS (RFC 2595 §4) is offered in CAPA when the host has TLS
//! ([`Server::tls`]) and the session is not encrypted yet. After its `+OK`
//! the core hands out [`Output::StartTls`] and reads nothing more: whatever
//! the client pipelined in the clear behind STLS is thrown away (a command
//! injected there must not run inside TLS; CVE-2011-0411 was that bug in
//! Postfix's SMTP), and [`Server::tls_started`] starts the session afresh.
//! When the host requires TLS, USER, PASS and APOP are refused before it
//! in Dovecot's words (`ssl = required`), and CAPA leaves out `USER`.
//!
//! Mailbox locking (`[IN-USE]`) is not done here: two sessions for one user
//! each see their own snapshot, and each removes only what it deleted.

use crate::proto::tls::TlsMode;
use crate::store::{INBOX, Store};
use md5::{Digest, Md5};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Longest command line, CRLF included.
pub const MAX_COMMAND_LINE: usize = 512;
/// Failed logins before the server hangs up.
pub const MAX_AUTH_FAILURES: u32 = 3;
/// The autologout timer: how long a silent client is kept (RFC 1939 §3
/// asks for at least 10 minutes).
pub const AUTOLOGOUT: Duration = Duration::from_secs(600);

/// What the server announces to CAPA (RFC 2449 §6, RFC 3206 §6); `STLS`
/// comes after them when TLS can start, and `USER` is left out while TLS is
/// required and not up.
pub const CAPABILITIES: [&str; 7] =
    ["USER", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION maillab"];

/// Dovecot's answer to STLS (`src/login-common/client-common.c`).
pub const STLS_READY: &str = "+OK Begin TLS negotiation now.";
/// Dovecot's answer to USER or PASS while TLS is required
/// (`AUTH_PLAINTEXT_DISABLED_MSG`, with POP3's `[AUTH]` code).
pub const PLAINTEXT_DISALLOWED: &str =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
/// Dovecot's answer to any other login (APOP) while TLS is required.
pub const AUTH_NEEDS_TLS: &str = "-ERR [AUTH] Authentication not allowed until SSL/TLS is enabled.";

#[derive(Clone, Debug)]
pub struct Pop3Config {
    pub hostname: String,
    /// Show PASS arguments in the trace; if false they read `***`.
    /// (An APOP digest is not a secret and is always shown.)
    pub show_secrets: bool,
}

/// Everything the host must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A command line as received, CRLF removed, for the trace (PASS
    /// argument masked unless `show_secrets`).
    Received(String),
    /// Write `bytes`; `lines` are the response for the trace, with a
    /// multi-line message body summarized as one line before the ".".
    Send {
        bytes: Vec<u8>,
        lines: Vec<String>,
    },
    LoginOk {
        user: String,
    },
    LoginFailed {
        user: String,
        reason: String,
    },
    /// Close the connection (after writing everything before it).
    Close,
    /// Start TLS now (after writing everything before it); the host calls
    /// [`Server::tls_started`] when the handshake is done, or ends the session.
    StartTls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    Authorization,
    Transaction,
    Closed,
}

/// One message of the maildrop as it was at login.
#[derive(Clone, Debug)]
struct Entry {
    uid: u32,
    data: Arc<Vec<u8>>,
    /// Octets with every line ended by CRLF, before dot-stuffing.
    size: usize,
    deleted: bool,
    /// Sent whole with RETR: `\Seen` when the session ends.
    retrieved: bool,
}

pub struct Server {
    cfg: Pop3Config,
    timestamp: String,
    state: State,
    input: Vec<u8>,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    /// Name from a USER command that PASS may follow.
    pending_user: Option<String>,
    user: Option<String>,
    failures: u32,
    uid_validity: u32,
    maildrop: Vec<Entry>,
    out: VecDeque<Output>,
    /// Since when the server waits for the client (see [`Server::waiting`]).
    waiting_since: Duration,
    /// A complete line came from the client since the timer last started.
    heard: bool,
    /// How long the server waits for the next complete line ([`AUTOLOGOUT`] unless configured).
    idle_timeout: Duration,
    /// USER or PASS was refused because TLS is required and not up.
    plaintext_refused: bool,
    /// STLS: off, offered, or required before any login.
    tls_mode: TlsMode,
    /// TLS is up.
    tls: bool,
    /// STLS was answered: nothing is read until TLS is up.
    tls_pending: bool,
}

/// The unique-id UIDL gives a message (RFC 1939 §7): Dovecot's default
/// `pop3_uidl_format = %08Xu%08Xv`, the message's IMAP UID and then its
/// mailbox's UIDVALIDITY, each as 8 upper-case hex digits (the default in
/// src/lib-storage/mail-storage-settings.c; %u and %v as
/// doc/example-config/conf.d/20-pop3.conf explains them). RFC 1939 wants a
/// unique-id never given to another message of the maildrop, even across
/// sessions: UIDs never come back within one UIDVALIDITY, and the
/// UIDVALIDITY is the time the mailbox was created (see [`crate::store`]),
/// so a lab started again does not give a new message an old one's id.
pub fn unique_id(uid: u32, uid_validity: u32) -> String {
    format!("{uid:08X}{uid_validity:08X}")
}

/// Lowercase hex MD5 of `timestamp` followed by `secret` (RFC 1939 §7).
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    /// `timestamp` is the APOP banner timestamp, e.g. `<1896.697170952@dbc.mtview.ca.us>`.
    pub fn new(cfg: Pop3Config, timestamp: String) -> Self {
        Server {
            cfg,
            timestamp,
            state: State::Start,
            input: Vec::new(),
            discarding: false,
            pending_user: None,
            user: None,
            failures: 0,
            uid_validity: 0,
            maildrop: Vec::new(),
            out: VecDeque::new(),
            waiting_since: Duration::ZERO,
            heard: true,
            idle_timeout: AUTOLOGOUT,
            plaintext_refused: false,
            tls_mode: TlsMode::Off,
            tls: false,
            tls_pending: false,
        }
    }

    /// How the host offers TLS: STLS is offered unless `Off` (the host must
    /// then be able to start TLS when asked, see [`Output::StartTls`]).
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls_mode = mode;
        self
    }

    /// TLS is up (after [`Output::StartTls`], or from the start on port
    /// 995): nothing the client sent before counts (RFC 2595 §4: the client
    /// asks CAPA again, the server forgets a USER).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.tls_pending = false;
        self.pending_user = None;
        self.input.clear();
        self.discarding = false;
    }

    /// Is the session encrypted?
    pub fn is_encrypted(&self) -> bool {
        self.tls
    }

    /// Was a USER or PASS refused because TLS is required and was not up?
    /// (Dovecot then logs `Aborted login (tried to use disallowed
    /// plaintext auth)` when the session ends without a login.)
    pub fn plaintext_refused(&self) -> bool {
        self.plaintext_refused
    }

    /// TLS is required and not up yet.
    fn must_stls(&self) -> bool {
        self.tls_mode == TlsMode::Required && !self.tls
    }

    /// A server over its session limit: its only output is a negative
    /// greeting (RFC 2449's `[SYS/TEMP]`), then the order to close.
    pub fn refuse_busy(cfg: Pop3Config) -> Self {
        let mut s = Server::new(cfg, String::new());
        s.send("-ERR [SYS/TEMP] too many connections");
        s.close();
        s
    }

    /// The host has written everything asked of it and waits for the
    /// client from `now` on (time since the connection opened). The
    /// autologout timer counts from the client's last complete command
    /// line: it starts again only if one came since it last started (the
    /// host also wakes its sessions when the mail store changes, and that
    /// must not keep a silent client; bytes that end no line must not keep
    /// a trickling one, as Postfix's `smtpd_per_record_deadline`).
    pub fn waiting(&mut self, now: Duration) {
        if std::mem::take(&mut self.heard) {
            self.waiting_since = now;
        }
    }

    /// Wait this long for each complete line instead of [`AUTOLOGOUT`]
    /// (`serve --idle-timeout`).
    pub fn set_idle_timeout(&mut self, d: Duration) {
        self.idle_timeout = d;
    }

    /// When the autologout timer expires, unless the client sends
    /// something first; `None` once the session is over.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (self.state != State::Closed).then(|| self.waiting_since.saturating_add(self.idle_timeout))
    }

    /// The time is `now`: past the deadline, the server closes the
    /// connection without a word and without entering the UPDATE state, so
    /// nothing marked is deleted (RFC 1939 §3).
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.peer_closed();
            self.out.push_back(Output::Close);
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if self.state != State::Closed && !bytes.is_empty() {
            self.input.extend_from_slice(bytes);
        }
    }

    /// The connection dropped: no UPDATE state, so nothing is deleted, and
    /// nothing more is said.
    pub fn peer_closed(&mut self) {
        self.state = State::Closed;
        self.input.clear();
        self.out.clear();
        for e in &mut self.maildrop {
            e.deleted = false;
        }
    }

    /// The session is over (QUIT, a dropped connection, the autologout):
    /// the messages it sent whole with RETR get `\Seen` in the store, as
    /// Dovecot marks them (see the module's documentation). Each message
    /// once; the host calls this when the connection ends.
    pub fn end(&mut self, store: &mut Store) {
        let Some(user) = self.user.as_deref() else { return };
        let seen: BTreeSet<u32> = self
            .maildrop
            .iter_mut()
            .filter(|e| e.retrieved)
            .map(|e| {
                e.retrieved = false;
                e.uid
            })
            .collect();
        if seen.is_empty() {
            return;
        }
        let mut changed = false;
        if let Some(mb) = store.mailbox_mut(user, INBOX) {
            for m in mb.messages.iter_mut().filter(|m| seen.contains(&m.uid)) {
                if !m.has("\\Seen") {
                    m.flags.insert("\\Seen".into());
                    changed = true;
                }
            }
        }
        if changed {
            store.touch();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The logged-in user (the store's account key), once login succeeded.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Next thing to do, or `None` when more input is needed.
    pub fn poll(&mut self, store: &mut Store) -> Option<Output> {
        loop {
            if let Some(o) = self.out.pop_front() {
                return Some(o);
            }
            match self.state {
                State::Closed => return None,
                State::Start => {
                    self.state = State::Authorization;
                    let g = format!("+OK {} POP3 server ready {}", self.cfg.hostname, self.timestamp);
                    self.send(g);
                }
                // After STLS's +OK nothing is read in the clear.
                State::Authorization | State::Transaction if self.tls_pending => return None,
                State::Authorization | State::Transaction => match self.take_line()? {
                    Line::TooLong => self.send("-ERR line too long"),
                    Line::Text(l) => {
                        self.out.push_back(Output::Received(self.masked(&l)));
                        self.command(&l, store);
                    }
                },
            }
        }
    }

    fn take_line(&mut self) -> Option<Line> {
        let Some(pos) = memchr::memchr(b'\n', &self.input) else {
            // Keep memory bounded for a line with no end.
            if self.input.len() > MAX_COMMAND_LINE {
                self.input.clear();
                self.discarding = true;
            }
            return None;
        };
        let mut l: Vec<u8> = self.input.drain(..=pos).collect();
        self.heard = true;
        if std::mem::take(&mut self.discarding) || l.len() > MAX_COMMAND_LINE {
            return Some(Line::TooLong);
        }
        l.pop();
        if l.last() == Some(&b'\r') {
            l.pop();
        }
        Some(Line::Text(String::from_utf8_lossy(&l).into_owned()))
    }

    /// The line for the trace: anything after PASS hidden unless configured.
    fn masked(&self, line: &str) -> String {
        match line.get(..4) {
            Some(verb) if !self.cfg.show_secrets && line.len() > 4 && verb.eq_ignore_ascii_case("PASS") => {
                format!("{verb} ***")
            }
            _ => line.to_string(),
        }
    }

    fn send(&mut self, line: impl Into<String>) {
        let line = line.into();
        let mut bytes = line.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.out.push_back(Output::Send { bytes, lines: vec![line] });
    }

    /// A multi-line response whose lines are all shown in the trace.
    fn send_list(&mut self, first: String, items: Vec<String>) {
        let mut bytes = Vec::new();
        let mut lines = Vec::with_capacity(items.len() + 2);
        lines.push(first);
        lines.extend(items);
        for l in &lines {
            bytes.extend_from_slice(l.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b".\r\n");
        lines.push(".".into());
        self.out.push_back(Output::Send { bytes, lines });
    }

    /// A multi-line response carrying message text, summarized in the trace.
    fn send_text(&mut self, first: String, what: &str, text: &[&[u8]]) {
        let mut bytes = first.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        let mut octets = 0;
        for l in text {
            if l.first() == Some(&b'.') {
                bytes.push(b'.');
            }
            bytes.extend_from_slice(l);
            bytes.extend_from_slice(b"\r\n");
            octets += l.len() + 2;
        }
        bytes.extend_from_slice(b".\r\n");
        let summary = format!("({what}: {} lines, {octets} octets)", text.len());
        self.out.push_back(Output::Send { bytes, lines: vec![first, summary, ".".into()] });
    }

    fn close(&mut self) {
        self.out.push_back(Output::Close);
        self.state = State::Closed;
        self.input.clear();
    }

    fn command(&mut self, line: &str, store: &mut Store) {
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let verb = verb.to_ascii_uppercase();
        let args: Vec<&str> = rest.split_ascii_whitespace().collect();
        // PASS must come straight after USER (RFC 1939 §7).
        let pending = self.pending_user.take();
        if self.state == State::Authorization {
            self.authorization(&verb, rest, &args, pending, store);
        } else {
            self.transaction(&verb, &args, store);
        }
    }

    fn authorization(&mut self, verb: &str, rest: &str, args: &[&str], pending: Option<String>, store: &mut Store) {
        match verb {
            // Dovecot refuses a plaintext login before TLS at USER already.
            "USER" | "PASS" if self.must_stls() => {
                self.plaintext_refused = true;
                self.send(PLAINTEXT_DISALLOWED)
            }
            "APOP" if self.must_stls() => self.send(AUTH_NEEDS_TLS),
            "STLS" => self.stls(args),
            "USER" => {
                let [name] = args else {
                    return self.send("-ERR syntax: USER name");
                };
                // The same answer for every name, so names cannot be probed.
                self.pending_user = Some((*name).to_string());
                self.send(format!("+OK send PASS for {}", printable(name)));
            }
            "PASS" => {
                let Some(name) = pending else {
                    return self.send("-ERR give USER first");
                };
                if rest.is_empty() {
                    return self.send("-ERR syntax: PASS password");
                }
                // Spaces belong to the password (RFC 1939 §7).
                match find_user(store, &name) {
                    None => self.login_failed(name, "no such user"),
                    Some(u) if store.check_password(&u, rest) == Some(true) => self.login(u, store),
                    Some(u) => self.login_failed(u, "wrong password"),
                }
            }
            "APOP" => {
                let [name, digest] = args else {
                    return self.send("-ERR syntax: APOP name digest");
                };
                if self.timestamp.is_empty() {
                    return self.send("-ERR APOP not available");
                }
                let name = (*name).to_string();
                match find_user(store, &name) {
                    None => self.login_failed(name, "no such user"),
                    Some(u) => {
                        // An account that cannot log in has no password to digest.
                        let want = store.password(&u).map(|p| apop_digest(&self.timestamp, p));
                        if want.is_some_and(|w| digest.eq_ignore_ascii_case(&w)) {
                            self.login(u, store);
                        } else {
                            self.login_failed(u, "wrong APOP digest");
                        }
                    }
                }
            }
            "CAPA" => self.capa(args),
            "QUIT" => {
                if !args.is_empty() {
                    return self.send("-ERR syntax: QUIT takes no argument");
                }
                self.send(format!("+OK {} POP3 server signing off", self.cfg.hostname));
                self.close();
            }
            "STAT" | "LIST" | "RETR" | "DELE" | "NOOP" | "RSET" | "TOP" | "UIDL" => {
                self.send(format!("-ERR {verb} is not allowed before login: use USER and PASS, or APOP"));
            }
            "" => self.send("-ERR empty command"),
            _ => self.send("-ERR unknown command"),
        }
    }

    /// The maildrop is this session's from now on. Like Dovecot's POP3
    /// (`MAILBOX_FLAG_DROP_RECENT` unless `pop3_no_flag_updates`, in
    /// pop3-client.c), opening it takes \Recent away from its messages, as
    /// an IMAP SELECT does: an IMAP client that looks later counts them as
    /// old.
    fn login(&mut self, user: String, store: &mut Store) {
        self.maildrop.clear();
        if let Some(mb) = store.mailbox_mut(&user, INBOX) {
            mb.recent.clear();
            self.uid_validity = mb.uid_validity;
            for m in &mb.messages {
                self.maildrop.push(Entry {
                    uid: m.uid,
                    size: m.wire_size,
                    data: m.data.clone(),
                    deleted: false,
                    retrieved: false,
                });
            }
        }
        self.state = State::Transaction;
        self.out.push_back(Output::LoginOk { user: user.clone() });
        let (n, octets) = self.totals();
        self.send(format!("+OK {user}'s maildrop has {} ({octets} octets)", messages(n)));
        self.user = Some(user);
    }

    fn login_failed(&mut self, user: String, reason: &str) {
        self.failures += 1;
        self.out.push_back(Output::LoginFailed { user: printable(&user), reason: reason.into() });
        if self.failures >= MAX_AUTH_FAILURES {
            self.send("-ERR [AUTH] too many failures");
            self.close();
        } else {
            self.send("-ERR [AUTH] invalid user name or password");
        }
    }

    fn capa(&mut self, args: &[&str]) {
        if !args.is_empty() {
            return self.send("-ERR syntax: CAPA takes no argument");
        }
        let must = self.must_stls();
        let mut items: Vec<String> =
            CAPABILITIES.iter().filter(|c| !(must && **c == "USER")).map(|c| c.to_string()).collect();
        if self.tls_mode != TlsMode::Off && !self.tls && self.state == State::Authorization {
            items.push("STLS".into());
        }
        self.send_list("+OK capability list follows".into(), items);
    }

    /// STLS (RFC 2595 §4), in the AUTHORIZATION state; Dovecot's wording.
    fn stls(&mut self, args: &[&str]) {
        if !args.is_empty() {
            return self.send("-ERR syntax: STLS takes no argument");
        }
        if self.tls_mode == TlsMode::Off {
            return self.send("-ERR TLS support isn't enabled.");
        }
        if self.tls {
            return self.send("-ERR TLS is already active.");
        }
        self.send(STLS_READY);
        self.out.push_back(Output::StartTls);
        // What the client pipelined in the clear after STLS is dropped
        // (RFC 2595 §4; the STARTTLS command-injection attack).
        self.input.clear();
        self.discarding = false;
        self.tls_pending = true;
    }

    fn transaction(&mut self, verb: &str, args: &[&str], store: &mut Store) {
        match verb {
            "STAT" => {
                if !args.is_empty() {
                    return self.send("-ERR syntax: STAT takes no argument");
                }
                let (n, octets) = self.totals();
                self.send(format!("+OK {n} {octets}"));
            }
            "LIST" => match args {
                [] => {
                    let (n, octets) = self.totals();
                    let items = self.live().map(|(i, e)| format!("{i} {}", e.size)).collect();
                    self.send_list(format!("+OK {} ({octets} octets)", messages(n)), items);
                }
                [m] => match self.message(m) {
                    Ok(i) => {
                        let size = self.maildrop.get(i - 1).map_or(0, |e| e.size);
                        self.send(format!("+OK {i} {size}"));
                    }
                    Err(e) => self.send(e),
                },
                _ => self.send("-ERR syntax: LIST [msg]"),
            },
            "UIDL" => match args {
                [] => {
                    let items =
                        self.live().map(|(i, e)| format!("{i} {}", unique_id(e.uid, self.uid_validity))).collect();
                    self.send_list("+OK unique-id listing follows".into(), items);
                }
                [m] => match self.message(m) {
                    Ok(i) => {
                        let uid = self.maildrop.get(i - 1).map_or(0, |e| e.uid);
                        self.send(format!("+OK {i} {}", unique_id(uid, self.uid_validity)));
                    }
                    Err(e) => self.send(e),
                },
                _ => self.send("-ERR syntax: UIDL [msg]"),
            },
            "RETR" => {
                let [m] = args else {
                    return self.send("-ERR syntax: RETR msg");
                };
                match self.message(m) {
                    Ok(i) => {
                        let Some(e) = self.maildrop.get(i - 1) else {
                            return self.send("-ERR no such message");
                        };
                        let data = e.data.clone();
                        let first = format!("+OK {} octets", e.size);
                        if let Some(e) = self.maildrop.get_mut(i - 1) {
                            e.retrieved = true;
                        }
                        self.send_text(first, "message", &lines_of(&data));
                    }
                    Err(e) => self.send(e),
                }
            }
            "TOP" => {
                let [m, n] = args else {
                    return self.send("-ERR syntax: TOP msg n");
                };
                let Some(body_lines) = number(n) else {
                    return self.send("-ERR syntax: TOP msg n (n is a number of lines)");
                };
                match self.message(m) {
                    Ok(i) => {
                        let Some(e) = self.maildrop.get(i - 1) else {
                            return self.send("-ERR no such message");
                        };
                        let data = e.data.clone();
                        let all = lines_of(&data);
                        // The header, the empty line after it, then n body lines.
                        let head = all.iter().position(|l| l.is_empty()).map_or(all.len(), |p| p + 1);
                        let end = head.saturating_add(body_lines).min(all.len());
                        let text = all.get(..end).unwrap_or(&all);
                        self.send_text("+OK top of message follows".into(), "top of message", text);
                    }
                    Err(e) => self.send(e),
                }
            }
            "DELE" => {
                let [m] = args else {
                    return self.send("-ERR syntax: DELE msg");
                };
                if let Some(i) = number(m)
                    && self.maildrop.get(i.wrapping_sub(1)).is_some_and(|e| e.deleted)
                {
                    return self.send(format!("-ERR message {i} already deleted"));
                }
                match self.message(m) {
                    Ok(i) => {
                        if let Some(e) = self.maildrop.get_mut(i - 1) {
                            e.deleted = true;
                        }
                        self.send(format!("+OK message {i} deleted"));
                    }
                    Err(e) => self.send(e),
                }
            }
            "NOOP" => {
                if !args.is_empty() {
                    return self.send("-ERR syntax: NOOP takes no argument");
                }
                self.send("+OK");
            }
            "RSET" => {
                if !args.is_empty() {
                    return self.send("-ERR syntax: RSET takes no argument");
                }
                for e in &mut self.maildrop {
                    e.deleted = false;
                }
                let (n, octets) = self.totals();
                self.send(format!("+OK maildrop has {} ({octets} octets)", messages(n)));
            }
            "QUIT" => {
                if !args.is_empty() {
                    return self.send("-ERR syntax: QUIT takes no argument");
                }
                let left = self.update(store);
                let left = if left == 0 { "maildrop empty".to_string() } else { format!("{} left", messages(left)) };
                self.send(format!("+OK {} POP3 server signing off ({left})", self.cfg.hostname));
                self.close();
            }
            "CAPA" => self.capa(args),
            "USER" | "PASS" | "APOP" => self.send("-ERR already logged in"),
            "STLS" => self.send("-ERR STLS is only allowed before login"),
            "" => self.send("-ERR empty command"),
            _ => self.send("-ERR unknown command"),
        }
    }

    /// Messages not marked deleted, with their numbers.
    fn live(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.maildrop.iter().enumerate().filter(|(_, e)| !e.deleted).map(|(i, e)| (i + 1, e))
    }

    fn totals(&self) -> (usize, usize) {
        self.live().fold((0, 0), |(n, octets), (_, e)| (n + 1, octets + e.size))
    }

    /// A message number (from 1) that names a message not marked deleted.
    fn message(&self, arg: &str) -> Result<usize, String> {
        let Some(i) = number(arg) else {
            return Err("-ERR invalid message number".into());
        };
        match self.maildrop.get(i.wrapping_sub(1)) {
            Some(e) if !e.deleted => Ok(i),
            _ => Err("-ERR no such message".into()),
        }
    }

    /// The UPDATE state: remove the messages this session deleted; returns
    /// how many messages the INBOX keeps.
    fn update(&mut self, store: &mut Store) -> usize {
        self.end(store);
        let Some(user) = self.user.clone() else {
            return 0;
        };
        let doomed: BTreeSet<u32> = self.maildrop.iter().filter(|e| e.deleted).map(|e| e.uid).collect();
        let Some(mb) = store.mailbox_mut(&user, INBOX) else {
            return 0;
        };
        if doomed.is_empty() {
            return mb.messages.len();
        }
        // Another client's \Deleted marks are hidden during the expunge and
        // put back afterwards, so only this session's deletions go.
        let mut hidden: Vec<(u32, Vec<String>)> = Vec::new();
        for m in &mut mb.messages {
            if doomed.contains(&m.uid) {
                m.flags.insert("\\Deleted".into());
            } else if m.has("\\Deleted") {
                let marks: Vec<String> =
                    m.flags.iter().filter(|f| f.eq_ignore_ascii_case("\\Deleted")).cloned().collect();
                for f in &marks {
                    m.flags.remove(f);
                }
                hidden.push((m.uid, marks));
            }
        }
        store.expunge(&user, INBOX);
        let Some(mb) = store.mailbox_mut(&user, INBOX) else {
            return 0;
        };
        for (uid, marks) in hidden {
            if let Some(m) = mb.messages.iter_mut().find(|m| m.uid == uid) {
                m.flags.extend(marks);
            }
        }
        mb.messages.len()
    }
}

enum Line {
    Text(String),
    TooLong,
}

/// A decimal number of digits only; too large values saturate.
fn number(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(usize::MAX))
}

fn messages(n: usize) -> String {
    if n == 1 { "1 message".into() } else { format!("{n} messages") }
}

/// Client text made safe to echo: control characters become `?`, and it is cut short.
fn printable(s: &str) -> String {
    s.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// The account a login name refers to: an exact key, else one that differs only in case.
fn find_user(store: &Store, name: &str) -> Option<String> {
    store.resolve_user(name).map(str::to_string)
}

/// Message text split into lines without their ends (CRLF or bare LF).
fn lines_of(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
    if data.is_empty() || data.ends_with(b"\n") {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests;

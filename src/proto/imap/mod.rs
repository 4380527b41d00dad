//! The IMAP4rev1 server side (RFC 3501) as a sans-IO state machine, with
//! IDLE (RFC 2177), LITERAL+ (RFC 7888), AUTHENTICATE PLAIN (RFC 4616),
//! NAMESPACE (RFC 2342), UIDPLUS (RFC 4315), MOVE (RFC 6851), UNSELECT
//! (RFC 3691), ID (RFC 2971), ENABLE (RFC 5161) and SPECIAL-USE (RFC 6154).
//!
//! Bytes go in with [`Server::feed`]; [`Server::poll`] hands back one output
//! at a time: a client line for the trace, bytes to write, a login result,
//! or the order to close. The session works on a [`Store`] passed to each
//! `poll`, shared with other sessions and with delivery, so nothing about
//! the mailbox is cached between calls except what the client has been told:
//! the UIDs behind its sequence numbers and the flags last reported. Each
//! command compares that view with the store and reports the difference
//! (`EXISTS`, `RECENT`, `FETCH (FLAGS ..)`, and `EXPUNGE` where RFC 3501
//! §7.4.1 allows it).
//!
//! STARTTLS (RFC 3501 §6.2.1) is offered when the host has TLS
//! ([`Server::tls`]) and the session is not encrypted yet; after its tagged
//! OK the core hands out [`Output::StartTls`] and reads nothing more, so a
//! command pipelined in the clear behind STARTTLS never runs inside TLS,
//! and [`Server::tls_started`] has the client start afresh (it must ask
//! CAPABILITY again). When the host requires TLS the capabilities say
//! `LOGINDISABLED` and leave out `AUTH=PLAIN` until TLS is up (RFC 3501
//! §6.2.3), and LOGIN and AUTHENTICATE are refused with Dovecot's words.
//!
//! Commands are read as lines; a line ending in `{n}` announces a literal of
//! n octets that belongs to the same command (`{n+}` without waiting for a
//! `+` continuation). Memory stays bounded: lines are cut at [`MAX_LINE`],
//! literals at `max_literal`, and a refused LITERAL+ literal is skipped
//! without being stored.

mod ext;
mod mailbox;
mod mime;
mod parse;
mod resp;
mod search;
mod selected;
#[cfg(test)]
mod tests;

use crate::proto::tls::TlsMode;
use crate::store::{Mailbox, SYSTEM_FLAGS, Store};
use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use parse::{PResult, Parser, literal_marker};
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// What CAPABILITY and the greeting announce (on a host without TLS, and
/// after login).
pub const CAPABILITIES: &str =
    "IMAP4rev1 AUTH=PLAIN IDLE LITERAL+ NAMESPACE UIDPLUS MOVE UNSELECT ID ENABLE SPECIAL-USE";
/// Dovecot's tagged answer to STARTTLS (`src/login-common/client-common.c`).
pub const STARTTLS_READY: &str = "OK Begin TLS negotiation now.";
/// Dovecot's untagged warning when LOGIN sent a password in the clear to a
/// host that requires TLS (`client_check_plaintext_auth`).
pub const PLAINTEXT_ALERT: &str = "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.";
/// Dovecot's tagged refusal of LOGIN then (`AUTH_PLAINTEXT_DISABLED_MSG`).
pub const PLAINTEXT_DISALLOWED: &str =
    "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
/// Dovecot's tagged refusal of AUTHENTICATE before TLS (`ssl = required`).
pub const AUTH_NEEDS_TLS: &str = "NO [PRIVACYREQUIRED] Authentication not allowed until SSL/TLS is enabled.";
/// Longest line (without a literal) the server reads, in octets.
pub const MAX_LINE: usize = 64 * 1024;
/// After this many BAD replies the server gives up on the client.
pub const MAX_ERRORS: u32 = 20;
/// Failed logins (LOGIN or AUTHENTICATE) before the server hangs up, as the
/// POP3 server does.
pub const MAX_AUTH_FAILURES: u32 = 3;
/// The autologout timer: how long a silent client is kept (RFC 3501 §5.4
/// asks for at least 30 minutes).
pub const AUTOLOGOUT: Duration = Duration::from_secs(1800);

#[derive(Clone, Debug)]
pub struct ImapConfig {
    pub hostname: String,
    /// Show passwords in LOGIN/AUTHENTICATE trace lines; if false they read `***`.
    pub show_secrets: bool,
    /// Largest literal accepted from the client (an APPENDed message), in octets.
    pub max_literal: usize,
}

/// Everything the host must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A line as the client sent it, CRLF removed, for the trace (password
    /// masked unless `show_secrets`; the line after a literal starts with a
    /// summary such as `(literal: 310 octets)` instead of its content).
    Received(String),
    /// Write `bytes`; `lines` are the same response for the trace, with a
    /// literal's content shown as a line `(n octets)`.
    Send {
        bytes: Vec<u8>,
        lines: Vec<String>,
    },
    /// A successful LOGIN/AUTHENTICATE.
    LoginOk {
        user: String,
    },
    LoginFailed {
        user: String,
    },
    /// Close the connection after writing everything before it.
    Close,
    /// Start TLS now (after writing everything before it); the host calls
    /// [`Server::tls_started`] when the handshake is done, or ends the session.
    StartTls,
}

/// A message as the client knows it.
#[derive(Clone, Debug)]
struct Known {
    uid: u32,
    /// Flags as last reported to the client.
    flags: BTreeSet<String>,
    /// This session holds the message's \Recent.
    recent: bool,
}

/// The selected mailbox as the client sees it.
#[derive(Clone, Debug)]
struct Selected {
    name: String,
    read_only: bool,
    validity: u32,
    /// Sequence number i+1 is `msgs[i]`; expunged messages stay until reported.
    msgs: Vec<Known>,
    /// Messages with this UID or higher have not been announced yet.
    next_uid: u32,
}

/// A command waiting for more lines from the client.
#[derive(Clone, Debug)]
enum Pending {
    Idle(String),
    AuthPlain(String),
}

/// How a command ended.
#[derive(Clone, Debug)]
enum Done {
    Ok(String),
    No(String),
    Bad(String),
    /// Not yet: the command goes on with a continuation (IDLE, AUTHENTICATE).
    Later,
}

enum Line {
    Text(Vec<u8>),
    /// The line was longer than [`MAX_LINE`]: its start and end were kept.
    TooLong {
        head: Vec<u8>,
        tail: Vec<u8>,
        len: usize,
    },
}

/// An over-long line being thrown away as it arrives.
struct Discard {
    head: Vec<u8>,
    tail: Vec<u8>,
    len: usize,
}

const HEAD_KEEP: usize = 64;
const TAIL_KEEP: usize = 32;

pub struct Server {
    cfg: ImapConfig,
    input: Vec<u8>,
    /// Octets at the start of `input` known to hold no line feed.
    scanned: usize,
    discard: Option<Discard>,
    /// The command being assembled: lines joined by CRLF, literals inline.
    cmd: Vec<u8>,
    /// Literal octets still to be read into `cmd`.
    literal: usize,
    /// Literal octets still to be thrown away (a refused LITERAL+ literal).
    skip: usize,
    /// The rest of the current command is thrown away.
    skipping: bool,
    /// Summary of the literal just read, shown before the next line's text.
    note: Option<String>,
    /// The LOGIN password starts the next line (the user name was a literal).
    mask_next: bool,
    pending: Option<Pending>,
    user: Option<String>,
    sel: Option<Selected>,
    errors: u32,
    /// Failed logins in this session.
    auth_failures: u32,
    closed: bool,
    /// The host said the store changed (looked at while idling).
    changed: bool,
    out: VecDeque<Output>,
    /// Since when the server waits for the client (see [`Server::waiting`]).
    waiting_since: Duration,
    /// A complete line (or a line within a literal, or a literal's end)
    /// came from the client since the timer last started: the next
    /// [`Server::waiting`] starts it again (news pushed to an idling client
    /// does not, nor bytes that end no line).
    heard: bool,
    /// How long the server waits for the next complete line ([`AUTOLOGOUT`] unless configured).
    idle_timeout: Duration,
    /// A LOGIN was refused under LOGINDISABLED (TLS required and not up).
    plaintext_refused: bool,
    /// The greeting has been queued (it depends on TLS, so it waits for the first poll).
    greeted: bool,
    /// STARTTLS: off, offered, or required before any login.
    tls_mode: TlsMode,
    /// TLS is up.
    tls: bool,
    /// STARTTLS was answered: nothing is read until TLS is up.
    tls_pending: bool,
}

impl Server {
    /// A new session; the first `poll` returns the greeting.
    pub fn new(cfg: ImapConfig) -> Self {
        let out = VecDeque::new();
        Server {
            cfg,
            input: Vec::new(),
            scanned: 0,
            discard: None,
            cmd: Vec::new(),
            literal: 0,
            skip: 0,
            skipping: false,
            note: None,
            mask_next: false,
            pending: None,
            user: None,
            sel: None,
            errors: 0,
            auth_failures: 0,
            closed: false,
            changed: false,
            out,
            waiting_since: Duration::ZERO,
            heard: true,
            idle_timeout: AUTOLOGOUT,
            plaintext_refused: false,
            greeted: false,
            tls_mode: TlsMode::Off,
            tls: false,
            tls_pending: false,
        }
    }

    /// How the host offers TLS: STARTTLS is offered unless `Off` (the host
    /// must then be able to start TLS when asked, see [`Output::StartTls`]).
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls_mode = mode;
        self
    }

    /// TLS is up (after [`Output::StartTls`], or from the start on port
    /// 993): what the client sent before is forgotten (RFC 3501 §6.2.1).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.tls_pending = false;
        self.input.clear();
        self.scanned = 0;
        self.discard = None;
        self.cmd.clear();
        self.literal = 0;
        self.skip = 0;
        self.skipping = false;
        self.note = None;
        self.mask_next = false;
    }

    /// Is the session encrypted?
    pub fn is_encrypted(&self) -> bool {
        self.tls
    }

    /// Was a LOGIN refused under LOGINDISABLED? (Dovecot then logs
    /// `Aborted login (tried to use disallowed plaintext auth)` when the
    /// session ends without a login.)
    pub fn plaintext_refused(&self) -> bool {
        self.plaintext_refused
    }

    /// TLS is required and not up yet.
    fn must_starttls(&self) -> bool {
        self.tls_mode == TlsMode::Required && !self.tls
    }

    /// What CAPABILITY says now: STARTTLS while it can be used, and while
    /// TLS is required and not up LOGINDISABLED instead of AUTH=PLAIN (as
    /// Dovecot hides its plaintext mechanisms); after login no AUTH=, as
    /// in Dovecot's post-login list (AUTHENTICATE is over by then).
    pub fn capabilities(&self) -> String {
        let mut c = String::from("IMAP4rev1");
        if self.tls_mode != TlsMode::Off && !self.tls && self.user.is_none() {
            c.push_str(" STARTTLS");
        }
        if self.must_starttls() {
            c.push_str(" LOGINDISABLED");
        }
        let rest = CAPABILITIES.strip_prefix("IMAP4rev1").unwrap_or(CAPABILITIES);
        if self.must_starttls() || self.user.is_some() {
            c.push_str(&rest.replace(" AUTH=PLAIN", ""));
        } else {
            c.push_str(rest);
        }
        c
    }

    /// A server over its session limit: its only output is `* BYE`
    /// instead of a greeting (RFC 3501 §7.1.5), then the order to close.
    pub fn refuse_busy(cfg: ImapConfig) -> Self {
        let mut s = Server::new(cfg);
        s.greeted = true;
        s.out.push_back(resp::line("* BYE too many connections"));
        s.out.push_back(Output::Close);
        s.closed = true;
        s
    }

    /// The host has written everything asked of it and waits for the
    /// client from `now` on (time since the connection opened). The
    /// autologout timer counts from the client's last complete line: it
    /// starts again only if one came since it last started, not after mail
    /// news the server pushed on its own, nor for bytes that end no line
    /// (a trickling client, as Postfix's `smtpd_per_record_deadline`).
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
        (!self.closed).then(|| self.waiting_since.saturating_add(self.idle_timeout))
    }

    /// The time is `now`: past the deadline, the server says `* BYE` (the
    /// autologout of RFC 3501 §7.1.5, in Dovecot's words) and closes the
    /// connection.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.peer_closed();
            self.send("* BYE Disconnected for inactivity.");
            self.out.push_back(Output::Close);
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.closed && !bytes.is_empty() {
            self.input.extend_from_slice(bytes);
        }
    }

    /// The store changed (mail arrived, or another session or protocol
    /// changed flags or messages; the host knows from [`Store::version`]):
    /// an idling session reports it at once; otherwise it is reported with
    /// the next command.
    pub fn mailbox_changed(&mut self) {
        self.changed = true;
    }

    /// The client went away.
    pub fn peer_closed(&mut self) {
        self.closed = true;
        self.input.clear();
        self.cmd.clear();
        self.pending = None;
        self.out.clear();
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The logged-in user (the store's account key).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Next thing to do, or `None` when more input is needed.
    pub fn poll(&mut self, store: &mut Store, now: DateTime<FixedOffset>) -> Option<Output> {
        if !std::mem::replace(&mut self.greeted, true) && !self.closed {
            let greeting =
                format!("* OK [CAPABILITY {}] {} IMAP4rev1 maillab ready", self.capabilities(), self.cfg.hostname);
            self.out.push_front(resp::line(greeting));
        }
        loop {
            if let Some(o) = self.out.pop_front() {
                return Some(o);
            }
            // After STARTTLS's OK nothing is read in the clear.
            if self.closed || self.tls_pending {
                return None;
            }
            if self.skip > 0 {
                let n = self.skip.min(self.input.len());
                if n == 0 {
                    return None;
                }
                if n == self.skip || self.input[..n].contains(&b'\n') {
                    self.heard = true;
                }
                self.input.drain(..n);
                self.scanned = 0;
                self.skip -= n;
                continue;
            }
            if self.literal > 0 {
                let n = self.literal.min(self.input.len());
                if n == 0 {
                    return None;
                }
                // A literal is read per line too: a line within it, or its end.
                if n == self.literal || self.input[..n].contains(&b'\n') {
                    self.heard = true;
                }
                self.cmd.extend(self.input.drain(..n));
                self.scanned = 0;
                self.literal -= n;
                continue;
            }
            if matches!(self.pending, Some(Pending::Idle(_))) && std::mem::take(&mut self.changed) {
                self.sync(store, true);
                continue;
            }
            let line = self.take_line()?;
            match self.pending.take() {
                Some(Pending::Idle(tag)) => self.idle_line(&tag, line, store),
                Some(Pending::AuthPlain(tag)) => self.auth_line(&tag, line, store),
                None => self.command_line(line, store, now),
            }
        }
    }

    fn take_line(&mut self) -> Option<Line> {
        let from = self.scanned.min(self.input.len());
        let found = self.input.get(from..).and_then(|rest| memchr::memchr(b'\n', rest));
        self.scanned = 0;
        let Some(pos) = found.map(|p| from + p) else {
            self.scanned = self.input.len();
            if self.input.len() > MAX_LINE || self.discard.is_some() {
                let d = self.discard.get_or_insert(Discard { head: Vec::new(), tail: Vec::new(), len: 0 });
                if d.len == 0 {
                    d.head = self.input.iter().take(HEAD_KEEP).copied().collect();
                }
                d.len += self.input.len();
                d.tail.append(&mut self.input);
                let cut = d.tail.len().saturating_sub(TAIL_KEEP);
                d.tail.drain(..cut);
                self.scanned = 0;
            }
            return None;
        };
        let mut l: Vec<u8> = self.input.drain(..=pos).collect();
        self.heard = true;
        l.pop();
        if l.last() == Some(&b'\r') {
            l.pop();
        }
        if let Some(mut d) = self.discard.take() {
            d.len += l.len();
            d.tail.extend_from_slice(&l);
            let cut = d.tail.len().saturating_sub(TAIL_KEEP);
            d.tail.drain(..cut);
            return Some(Line::TooLong { head: d.head, tail: d.tail, len: d.len });
        }
        if l.len() > MAX_LINE {
            let head = l.iter().take(HEAD_KEEP).copied().collect();
            let tail = l.get(l.len().saturating_sub(TAIL_KEEP)..).unwrap_or_default().to_vec();
            return Some(Line::TooLong { head, tail, len: l.len() });
        }
        Some(Line::Text(l))
    }

    /// The largest command (all its lines and literals) kept in memory.
    fn max_command(&self) -> usize {
        self.cfg.max_literal.saturating_add(MAX_LINE)
    }

    /// Throw away `n` literal octets and the rest of the command.
    fn start_skip(&mut self, n: usize) {
        self.skip = n;
        self.skipping = true;
        self.note = Some(format!("(literal: {n} octets, discarded)"));
    }

    fn command_line(&mut self, line: Line, store: &mut Store, now: DateTime<FixedOffset>) {
        let l = match line {
            Line::TooLong { head, tail, len } => {
                let tag = if self.cmd.is_empty() { tag_of(&head) } else { tag_of(&self.cmd) };
                let was_skipping = std::mem::take(&mut self.skipping);
                let head = String::from_utf8_lossy(&head).into_owned();
                let shown = if std::mem::take(&mut self.mask_next) && !self.cfg.show_secrets {
                    "***".to_string()
                } else if self.cmd.is_empty() {
                    mask_command(&head, self.cfg.show_secrets).0
                } else {
                    head
                };
                self.cmd.clear();
                self.note = None;
                self.received(format!("{shown}... ({len} octets, too long)"));
                if let Some((n, true)) = literal_marker(&tail) {
                    self.start_skip(n);
                }
                if !was_skipping {
                    self.bad(&tag, &format!("Line too long (limit {MAX_LINE} octets)"));
                }
                return;
            }
            Line::Text(l) => l,
        };
        if self.skipping {
            let text = self.fragment_text(&l, false);
            self.received(text);
            match literal_marker(&l) {
                Some((n, true)) => self.start_skip(n),
                _ => self.skipping = false,
            }
            return;
        }
        let first = self.cmd.is_empty();
        if first && l.iter().all(u8::is_ascii_whitespace) {
            // Blank lines (a telnet user pressing Enter) are ignored.
            return;
        }
        let text = self.fragment_text(&l, first);
        self.received(text);
        let marker = literal_marker(&l);
        if self.cmd.len() + l.len() > self.max_command() {
            let tag = tag_of(if first { &l } else { &self.cmd });
            self.cmd.clear();
            self.mask_next = false;
            if let Some((n, true)) = marker {
                self.start_skip(n);
            }
            return self.bad(&tag, "Command too long");
        }
        self.cmd.extend_from_slice(&l);
        let Some((n, plus)) = marker else {
            let cmd = std::mem::take(&mut self.cmd);
            self.mask_next = false;
            return self.execute(&cmd, store, now);
        };
        self.cmd.extend_from_slice(b"\r\n");
        // A synchronizing literal can be refused before the client sends it
        // (RFC 3501 §7.5): first for the command itself, then for its size.
        let refusal = if plus { None } else { first.then(|| self.precheck(&l, store)).flatten() };
        if let Some((tag, done)) = refusal {
            self.cmd.clear();
            self.mask_next = false;
            self.complete_now(&tag, done);
        } else if n > self.cfg.max_literal || self.cmd.len().saturating_add(n) > self.max_command() {
            let tag = tag_of(&self.cmd);
            self.cmd.clear();
            self.mask_next = false;
            if plus {
                self.start_skip(n);
            }
            let limit = self.cfg.max_literal;
            self.bad(&tag, &format!("[TOOBIG] Literal of {n} octets is too big (limit {limit} octets)"));
        } else {
            if !plus {
                self.send("+ Ready for literal data");
            }
            self.literal = n;
            self.note = Some(format!("(literal: {n} octets)"));
        }
    }

    /// The trace text of a command line: literal summary first, secrets masked.
    fn fragment_text(&mut self, l: &[u8], first: bool) -> String {
        let note = self.note.take();
        let text = String::from_utf8_lossy(l).into_owned();
        let text = if first {
            let (t, next) = mask_command(&text, self.cfg.show_secrets);
            self.mask_next = next;
            t
        } else if std::mem::take(&mut self.mask_next) && !self.cfg.show_secrets {
            mask_rest(&text)
        } else {
            text
        };
        match note {
            Some(n) => format!("{n}{text}"),
            None => text,
        }
    }

    fn received(&mut self, s: String) {
        self.out.push_back(Output::Received(s));
    }

    fn send(&mut self, s: impl Into<String>) {
        self.out.push_back(resp::line(s));
    }

    /// A tagged BAD; too many of them end the session.
    fn bad(&mut self, tag: &str, text: &str) {
        self.send(format!("{tag} BAD {text}"));
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            self.send("* BYE Too many invalid commands");
            self.out.push_back(Output::Close);
            self.closed = true;
        }
    }

    /// The tagged completion, after the mailbox updates the client is owed.
    fn complete(&mut self, tag: &str, done: Done, store: &mut Store, allow_expunge: bool) {
        if matches!(done, Done::Ok(_) | Done::No(_)) && !self.sync(store, allow_expunge) {
            return;
        }
        self.complete_now(tag, done);
    }

    fn complete_now(&mut self, tag: &str, done: Done) {
        match done {
            Done::Ok(t) => self.send(format!("{tag} OK {t}")),
            Done::No(t) => self.send(format!("{tag} NO {t}")),
            Done::Bad(t) => self.bad(tag, &t),
            Done::Later => {}
        }
        if self.auth_failures >= MAX_AUTH_FAILURES && !self.closed {
            self.send("* BYE Too many authentication failures");
            self.out.push_back(Output::Close);
            self.closed = true;
        }
    }

    /// May `name` run in the current state? (`Err` is the reply if not.)
    fn allowed(&self, name: &str) -> Result<(), Done> {
        let need = match name {
            "CAPABILITY" | "NOOP" | "LOGOUT" | "ID" => 0,
            "LOGIN" | "AUTHENTICATE" => 1,
            "SELECT" | "EXAMINE" | "CREATE" | "DELETE" | "RENAME" | "SUBSCRIBE" | "UNSUBSCRIBE" | "LIST" | "LSUB"
            | "STATUS" | "APPEND" | "IDLE" | "NAMESPACE" | "ENABLE" => 2,
            "CHECK" | "CLOSE" | "EXPUNGE" | "SEARCH" | "FETCH" | "STORE" | "COPY" | "MOVE" | "UNSELECT" | "UID" => 3,
            // RFC 3501 §6.2.1: only in the not authenticated state.
            "STARTTLS" if self.user.is_some() => {
                return Err(Done::Bad("STARTTLS is only allowed before login".into()));
            }
            "STARTTLS" => 0,
            _ => return Err(Done::Bad(format!("Unknown command {}", shown(name)))),
        };
        match need {
            1 if self.user.is_some() => Err(Done::No("Already logged in".into())),
            2 | 3 if self.user.is_none() => Err(Done::No("Not logged in: use LOGIN or AUTHENTICATE first".into())),
            3 if self.sel.is_none() => Err(Done::No("No mailbox selected: use SELECT or EXAMINE first".into())),
            _ => Ok(()),
        }
    }

    /// Before asking for a synchronizing literal: would the command be
    /// refused anyway? (Unknown, wrong state, APPEND to a missing mailbox.)
    fn precheck(&self, first_line: &[u8], store: &Store) -> Option<(String, Done)> {
        let mut p = Parser::new(first_line);
        let Some(tag) = p.tag().ok().filter(|_| matches!(p.peek(), None | Some(b' '))) else {
            return Some(("*".into(), Done::Bad("Missing or invalid tag".into())));
        };
        let name = match p.sp().and_then(|_| p.atom()) {
            Ok(n) => n.to_ascii_uppercase(),
            Err(_) => return Some((tag, Done::Bad("Missing command".into()))),
        };
        if let Err(d) = self.allowed(&name) {
            return Some((tag, d));
        }
        if name == "APPEND"
            && p.sp().is_ok()
            && p.peek() != Some(b'{')
            && let Ok(mailbox) = p.astring_text()
            && store.mailbox(self.user.as_deref().unwrap_or_default(), &mailbox).is_none()
        {
            return Some((tag, Done::No(format!("[TRYCREATE] Mailbox doesn't exist: {}", shown(&mailbox)))));
        }
        None
    }

    fn execute(&mut self, cmd: &[u8], store: &mut Store, now: DateTime<FixedOffset>) {
        let mut p = Parser::new(cmd);
        let Some(tag) = p.tag().ok().filter(|_| matches!(p.peek(), None | Some(b' '))) else {
            return self.bad("*", "Missing or invalid tag");
        };
        let name = match p.sp().and_then(|_| p.atom()) {
            Ok(n) => n.to_ascii_uppercase(),
            Err(_) => return self.bad(&tag, "Missing command"),
        };
        if let Err(done) = self.allowed(&name) {
            return self.complete_now(&tag, done);
        }
        // FETCH, STORE and SEARCH must not report expunges (RFC 3501 §7.4.1).
        let mut allow_expunge = true;
        let result: PResult<Done> = match name.as_str() {
            "CAPABILITY" => p.end().map(|_| {
                self.send(format!("* CAPABILITY {}", self.capabilities()));
                Done::Ok("CAPABILITY completed".into())
            }),
            "NOOP" => p.end().map(|_| Done::Ok("NOOP completed".into())),
            "CHECK" => p.end().map(|_| Done::Ok("CHECK completed".into())),
            "LOGOUT" => match p.end() {
                Ok(()) => {
                    self.send(format!("* BYE {} IMAP4rev1 server logging out", self.cfg.hostname));
                    self.send(format!("{tag} OK LOGOUT completed"));
                    self.out.push_back(Output::Close);
                    self.closed = true;
                    return;
                }
                Err(e) => Err(e),
            },
            "LOGIN" => self.cmd_login(&mut p, store),
            "STARTTLS" => match p.end() {
                Ok(()) => return self.starttls(&tag),
                Err(e) => Err(e),
            },
            "AUTHENTICATE" => self.cmd_authenticate(&tag, &mut p, store),
            "IDLE" => p.end().map(|_| {
                self.pending = Some(Pending::Idle(tag.clone()));
                self.changed = true;
                self.send("+ idling");
                Done::Later
            }),
            "SELECT" => self.cmd_select(&mut p, store, false),
            "EXAMINE" => self.cmd_select(&mut p, store, true),
            "CREATE" => self.cmd_create(&mut p, store, now),
            "DELETE" => self.cmd_delete(&mut p, store),
            "RENAME" => self.cmd_rename(&mut p, store, now),
            "SUBSCRIBE" => self.cmd_subscribe(&mut p, store, true),
            "UNSUBSCRIBE" => self.cmd_subscribe(&mut p, store, false),
            "LIST" => self.cmd_list(&mut p, store, false),
            "LSUB" => self.cmd_list(&mut p, store, true),
            "STATUS" => self.cmd_status(&mut p, store),
            "APPEND" => self.cmd_append(&mut p, store, now),
            "CLOSE" => self.cmd_close(&mut p, store),
            "EXPUNGE" => self.cmd_expunge(&mut p, store),
            "SEARCH" | "FETCH" | "STORE" => {
                allow_expunge = false;
                self.selected_cmd(&name, &mut p, store, false)
            }
            "COPY" => self.selected_cmd(&name, &mut p, store, false),
            "MOVE" => self.cmd_move(&mut p, store, false),
            "NAMESPACE" => self.cmd_namespace(&mut p),
            "ID" => self.cmd_id(&mut p),
            "ENABLE" => self.cmd_enable(&mut p),
            "UNSELECT" => self.cmd_unselect(&mut p),
            "UID" => match p.sp().and_then(|_| p.atom()) {
                Ok(sub) => {
                    let sub = sub.to_ascii_uppercase();
                    match sub.as_str() {
                        "SEARCH" | "FETCH" | "STORE" | "COPY" => self.selected_cmd(&sub, &mut p, store, true),
                        "MOVE" => self.cmd_move(&mut p, store, true),
                        "EXPUNGE" => self.cmd_uid_expunge(&mut p, store),
                        _ => Ok(Done::Bad(format!("Unknown UID command {}", shown(&sub)))),
                    }
                }
                Err(_) => Err("UID needs a command: FETCH, STORE, SEARCH, COPY, MOVE or EXPUNGE".into()),
            },
            _ => Ok(Done::Bad(format!("Unknown command {}", shown(&name)))),
        };
        let done = result.unwrap_or_else(Done::Bad);
        self.complete(&tag, done, store, allow_expunge);
    }

    fn cmd_login(&mut self, p: &mut Parser, store: &Store) -> PResult<Done> {
        p.sp()?;
        let user = p.astring_text()?;
        p.sp()?;
        let pass = p.astring_text()?;
        p.end()?;
        if self.must_starttls() {
            // The password has crossed the network in the clear already.
            self.plaintext_refused = true;
            self.send(PLAINTEXT_ALERT);
            return Ok(Done::No(PLAINTEXT_DISALLOWED.trim_start_matches("NO ").into()));
        }
        Ok(self.try_login(user, &pass, store))
    }

    /// STARTTLS (RFC 3501 §6.2.1), in Dovecot's words.
    fn starttls(&mut self, tag: &str) {
        if self.tls_mode == TlsMode::Off {
            return self.bad(tag, "TLS support isn't enabled.");
        }
        if self.tls {
            return self.bad(tag, "TLS is already active.");
        }
        self.send(format!("{tag} {STARTTLS_READY}"));
        self.out.push_back(Output::StartTls);
        // What the client pipelined in the clear after STARTTLS is dropped
        // (the STARTTLS command-injection attack, CVE-2011-0411's kind).
        self.input.clear();
        self.scanned = 0;
        self.discard = None;
        self.tls_pending = true;
    }

    fn try_login(&mut self, user: String, pass: &str, store: &Store) -> Done {
        // Login names are mail addresses: let Alice@Example.COM find alice@example.com.
        let user = match store.resolve_user(&user) {
            Some(u) if u != user => u.to_string(),
            _ => user,
        };
        if store.check_password(&user, pass) == Some(true) {
            self.out.push_back(Output::LoginOk { user: user.clone() });
            self.user = Some(user);
            Done::Ok(format!("[CAPABILITY {}] Logged in", self.capabilities()))
        } else {
            self.login_failed(user);
            Done::No("[AUTHENTICATIONFAILED] Authentication failed".into())
        }
    }

    /// Report a failed login; the tagged NO that follows it ends the session
    /// once there have been [`MAX_AUTH_FAILURES`].
    fn login_failed(&mut self, user: String) {
        self.auth_failures += 1;
        self.out.push_back(Output::LoginFailed { user });
    }

    fn cmd_authenticate(&mut self, tag: &str, p: &mut Parser, store: &Store) -> PResult<Done> {
        p.sp()?;
        let mech = p.atom()?;
        let initial = if p.at_end() {
            None
        } else {
            p.sp()?;
            Some(p.atom()?)
        };
        p.end()?;
        if self.must_starttls() {
            return Ok(Done::No(AUTH_NEEDS_TLS.trim_start_matches("NO ").into()));
        }
        if !mech.eq_ignore_ascii_case("PLAIN") {
            return Ok(Done::No(format!("Unsupported authentication mechanism {}", shown(&mech))));
        }
        match initial {
            Some(r) => Ok(self.auth_plain(&r, store)),
            None => {
                self.pending = Some(Pending::AuthPlain(tag.to_string()));
                self.send("+ ");
                Ok(Done::Later)
            }
        }
    }

    /// Check a PLAIN response: base64 of `authzid NUL authcid NUL password`.
    fn auth_plain(&mut self, response: &str, store: &Store) -> Done {
        let response = response.trim();
        if response == "*" {
            return Done::Bad("Authentication cancelled".into());
        }
        let raw = if response == "=" {
            Vec::new()
        } else {
            match base64::engine::general_purpose::STANDARD.decode(response) {
                Ok(r) => r,
                Err(_) => return Done::Bad("Invalid base64 data".into()),
            }
        };
        let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
        let [authz, user, pass] = parts.as_slice() else {
            self.login_failed(String::new());
            return Done::No("[AUTHENTICATIONFAILED] PLAIN wants authzid NUL user NUL password".into());
        };
        let user = String::from_utf8_lossy(user).into_owned();
        if !authz.is_empty() && *authz != user.as_bytes() {
            self.login_failed(user);
            return Done::No("[AUTHORIZATIONFAILED] Cannot act as another user".into());
        }
        self.try_login(user, &String::from_utf8_lossy(pass), store)
    }

    fn auth_line(&mut self, tag: &str, line: Line, store: &mut Store) {
        let Line::Text(l) = line else {
            self.received("(line too long)".into());
            return self.bad(tag, "Line too long");
        };
        let text = String::from_utf8_lossy(&l).into_owned();
        let shown = if text.trim() == "*" {
            "*".to_string()
        } else if self.cfg.show_secrets {
            format!("{text}{}", decoded_note(&text))
        } else {
            "***".to_string()
        };
        self.received(shown);
        let done = self.auth_plain(&text, store);
        self.complete(tag, done, store, true);
    }

    fn idle_line(&mut self, tag: &str, line: Line, store: &mut Store) {
        match line {
            Line::Text(l) if String::from_utf8_lossy(&l).trim().eq_ignore_ascii_case("DONE") => {
                self.received("DONE".into());
                self.complete(tag, Done::Ok("IDLE terminated".into()), store, true);
            }
            Line::Text(l) => {
                self.received(String::from_utf8_lossy(&l).into_owned());
                self.bad(tag, "Expected DONE to end IDLE");
            }
            Line::TooLong { len, .. } => {
                self.received(format!("({len} octets, too long)"));
                self.bad(tag, "Expected DONE to end IDLE");
            }
        }
    }

    /// Report what changed in the selected mailbox since the client last
    /// heard: expunges (when allowed), flag changes, new messages. Returns
    /// false if the mailbox is gone and the session was ended.
    fn sync(&mut self, store: &mut Store, allow_expunge: bool) -> bool {
        let (Some(user), Some(sel)) = (self.user.as_deref(), self.sel.as_mut()) else {
            return true;
        };
        let mb = match store.mailbox_mut(user, &sel.name) {
            Some(mb) if mb.uid_validity == sel.validity => mb,
            _ => {
                self.send("* BYE The selected mailbox was deleted or renamed by another session");
                self.out.push_back(Output::Close);
                self.closed = true;
                return false;
            }
        };
        let mut lines = Vec::new();
        if allow_expunge {
            let mut i = 0;
            while i < sel.msgs.len() {
                if sel.msgs.get(i).is_some_and(|k| find_pos(mb, k.uid).is_none()) {
                    sel.msgs.remove(i);
                    lines.push(format!("* {} EXPUNGE", i + 1));
                } else {
                    i += 1;
                }
            }
        }
        for (i, k) in sel.msgs.iter_mut().enumerate() {
            if let Some(m) = find_pos(mb, k.uid).and_then(|p| mb.messages.get(p))
                && m.flags != k.flags
            {
                k.flags = m.flags.clone();
                lines.push(format!("* {} FETCH (FLAGS {})", i + 1, flag_list(&k.flags, k.recent)));
            }
        }
        let before = sel.msgs.len();
        let Mailbox { messages, recent, uid_next, .. } = mb;
        let mut next = sel.next_uid.max(*uid_next);
        for m in messages.iter().filter(|m| m.uid >= sel.next_uid) {
            let r = if sel.read_only { recent.contains(&m.uid) } else { recent.remove(&m.uid) };
            sel.msgs.push(Known { uid: m.uid, flags: m.flags.clone(), recent: r });
            next = next.max(m.uid.saturating_add(1));
        }
        sel.next_uid = next;
        if sel.msgs.len() != before {
            lines.push(format!("* {} EXISTS", sel.msgs.len()));
            lines.push(format!("* {} RECENT", sel.msgs.iter().filter(|k| k.recent).count()));
        }
        for l in lines {
            self.send(l);
        }
        true
    }
}

/// The tag at the start of a command (followed by a space), or `*`.
fn tag_of(cmd: &[u8]) -> String {
    let mut p = Parser::new(cmd);
    match p.tag() {
        Ok(t) if p.peek() == Some(b' ') => t,
        _ => "*".into(),
    }
}

/// A save that does not fit the account's quota, in Dovecot's words.
fn over_quota() -> Done {
    Done::No(format!("[OVERQUOTA] {}", crate::store::QUOTA_EXCEEDED))
}

/// A save that does not fit on the host's disk (`disk_space`): Dovecot's
/// `MAIL_ERROR_NOSPACE`, whose response code is `OVERQUOTA` too
/// (imap-commands-util.c) and whose text is `MAIL_ERRSTR_NO_SPACE`.
fn no_space() -> Done {
    Done::No("[OVERQUOTA] Not enough disk space".into())
}

/// A client word for an error text: printable and short.
fn shown(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// Where in the store a UID is (messages are kept in UID order).
fn find_pos(mb: &Mailbox, uid: u32) -> Option<usize> {
    match mb.messages.binary_search_by_key(&uid, |m| m.uid) {
        Ok(i) => Some(i),
        Err(_) => mb.messages.iter().position(|m| m.uid == uid),
    }
}

/// `(\Seen \Recent)`
fn flag_list(flags: &BTreeSet<String>, recent: bool) -> String {
    let mut v: Vec<&str> = flags.iter().map(String::as_str).collect();
    if recent {
        v.push("\\Recent");
    }
    format!("({})", v.join(" "))
}

/// Flags from a client, checked: system flags in their usual spelling,
/// keywords as given, no `\Recent` (only the server sets it).
fn check_flags(flags: Vec<String>) -> PResult<BTreeSet<String>> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for f in flags {
        let f = if f.starts_with('\\') {
            match SYSTEM_FLAGS.iter().find(|s| s.eq_ignore_ascii_case(&f)) {
                Some(s) => s.to_string(),
                None if f.eq_ignore_ascii_case("\\Recent") => return Err("\\Recent cannot be set by a client".into()),
                None => return Err(format!("Unknown system flag {}", shown(&f))),
            }
        } else {
            f
        };
        if !out.iter().any(|x| x.eq_ignore_ascii_case(&f)) {
            out.insert(f);
        }
    }
    Ok(out)
}

/// The first word of `s` and what follows it, leading spaces skipped.
fn word(s: &str) -> (&str, &str) {
    // At any white space, not only at the spaces IMAP's grammar has: a line
    // with a tab is refused, but its secret must not show in the trace.
    let s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    s.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((s, ""))
}

/// Mask the password of LOGIN and the initial response of AUTHENTICATE.
/// The second value says the password comes on the next line.
fn mask_command(line: &str, show: bool) -> (String, bool) {
    let (tag, rest) = word(line);
    let (verb, rest) = word(rest);
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if verb.eq_ignore_ascii_case("LOGIN") && !rest.is_empty() {
        let (user, after) = rest.split_at_checked(astring_len(rest)).unwrap_or((rest, ""));
        let after = after.trim();
        if after.is_empty() {
            let literal_user = user.starts_with('{') && literal_marker(user.as_bytes()).is_some();
            return (line.to_string(), literal_user && !show);
        }
        if show {
            return (line.to_string(), false);
        }
        let pass = if after.starts_with('{') && literal_marker(after.as_bytes()).is_some() { after } else { "***" };
        return (format!("{tag} {verb} {user} {pass}"), false);
    }
    if verb.eq_ignore_ascii_case("AUTHENTICATE") {
        let (mech, initial) = word(rest);
        if !initial.trim().is_empty() {
            return if show {
                (format!("{line}{}", decoded_note(initial)), false)
            } else {
                (format!("{tag} {verb} {mech} ***"), false)
            };
        }
    }
    (line.to_string(), false)
}

/// The rest of a LOGIN after a literal user name: the password, masked.
fn mask_rest(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || (t.starts_with('{') && literal_marker(t.as_bytes()).is_some()) {
        text.to_string()
    } else {
        " ***".to_string()
    }
}

/// Octets of the astring at the start of `s` (quoted, literal marker or atom).
fn astring_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(b'"') => {
            let mut i = 1;
            while i < b.len() {
                match b.get(i) {
                    Some(b'\\') => i += 2,
                    Some(b'"') => return i + 1,
                    _ => i += 1,
                }
            }
            s.len()
        }
        Some(b'{') => b.iter().position(|&c| c == b'}').map_or(s.len(), |p| p + 1),
        // An atom ends at white space (a tab too, for the mask: see `word`).
        _ => b.iter().position(|c| c.is_ascii_whitespace()).unwrap_or(s.len()),
    }
}

/// `   (base64 of "...")`: what a base64 credential says, for lessons that show it.
fn decoded_note(b64: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
        Ok(raw) => {
            let shown: String =
                String::from_utf8_lossy(&raw).chars().map(|c| if c == '\0' { '␀' } else { c }).collect();
            format!("   (base64 of \"{shown}\")")
        }
        Err(_) => String::new(),
    }
}

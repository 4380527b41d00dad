//! The SMTP server side as a sans-IO state machine (RFC 5321).
//!
//! Bytes go in with [`Server::feed`]; [`Server::poll`] hands back, one at a
//! time, what happened: a command line that arrived, a reply to write, the end
//! of a message, or the order to close. Decisions that belong to the mail
//! system (may this sender relay? does this user exist? queue the message)
//! are asked of a [`Policy`] passed to `poll`, so this file knows SMTP and
//! nothing about hosts, sockets or clocks.

use super::address::{AddressError, Mailbox, Path, parse_forward_path, parse_path, split_path};
use super::envelope::xtext_decode;
pub use super::envelope::{Envelope, MailParams, Notify, Peer, Protocol, Rcpt, RcptParams, Ret};
use super::persona::{DsnFault, DsnParam, Flavour, Persona};
use super::reply::Reply;
use crate::proto::tls::{TlsInfo, TlsMode};
use std::collections::VecDeque;
use std::time::Duration;

/// Longest command line, CRLF included. RFC 5321 §4.5.3.1.4 sets 512 and
/// lets extensions raise it, and this server offers several that do (SIZE,
/// AUTH=, DSN's ORCPT= of up to 500 characters): like Postfix
/// (`line_length_limit = 2048`) and sendmail (`MAXLINE`, 2048) it reads
/// commands of up to 2048 octets.
pub const MAX_COMMAND_LINE: usize = 2048;
/// RFC 5321's longest text line in DATA, CRLF included (§4.5.3.1.6): a
/// longer one is kept all the same (see `Server::step_data`), read in
/// pieces of about this size.
pub const MAX_TEXT_LINE: usize = 1000;
/// After this many bad commands the server gives up on the client.
pub const MAX_ERRORS: u32 = super::persona::HARD_ERROR_LIMIT;
/// RCPTs past the recipient limit answered 452 before they count as errors
/// (Postfix's `smtpd_recipient_overshoot_limit`).
const RCPT_OVERSHOOT_LIMIT: u32 = 1000;
/// A message buffer bigger than this is given back once its message is
/// done; smaller ones are kept for the session's next message.
const KEEP_BUFFER: usize = 64 * 1024;
/// How long the server waits for the client's next complete line: a
/// command, or a line of the message (RFC 5321 §4.5.3.2.7: at least 5
/// minutes; Postfix's `smtpd_timeout` is 300s). The timer restarts only
/// when a whole line (or a whole BDAT chunk, or a line within one) has
/// come or the server has answered, as Postfix's
/// `smtpd_per_record_deadline` has it: a client that trickles a byte
/// at a time without ending a line is cut off all the same (slowloris).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub hostname: String,
    pub flavour: Flavour,
    /// Largest message accepted, in octets; advertised with SIZE.
    pub max_message_size: u64,
    /// Most recipients in one transaction (RFC 5321 asks for at least 100).
    pub max_recipients: usize,
    /// Offer SMTP AUTH (RFC 4954) with PLAIN, LOGIN and CRAM-MD5.
    pub auth: bool,
    /// Show credentials in the trace instead of masking them.
    pub show_secrets: bool,
    /// STARTTLS (RFC 3207): off, offered, or required before anything else.
    pub tls: TlsMode,
    /// Offer DSN (RFC 3461); false: the keyword is left out of EHLO and
    /// the parameters are refused with the flavour's "DSN disabled" reply.
    pub dsn: bool,
    /// Refuse MAIL before HELO/EHLO with the flavour's 503 (Postfix's
    /// `smtpd_helo_required = yes`, which refuses AUTH too; sendmail's
    /// `PrivacyOptions=needmailhelo`). Both ship with it off: RFC 5321
    /// §4.1.1.1 says a client MUST say HELO or EHLO first, but neither
    /// server insists.
    pub helo_required: bool,
}

/// What the mail system decides; each method returns the reply to send.
pub trait Policy {
    /// The greeting; a 554 here refuses the whole session (RFC 5321 §3.1).
    fn greeting(&mut self) -> Reply;
    /// MAIL FROM was well formed; accept (2xx) or refuse.
    fn mail(&mut self, env: &Envelope) -> Reply;
    /// RCPT TO was well formed; accept (2xx) or refuse. `as_sent` is the
    /// path as the client wrote it (`<Taro@[192.0.2.025]>`, or without
    /// angle brackets: `taro@example.ac.jp`), which replies
    /// quote ([`Persona::quoted_path`]); `rcpt` is the lab's form of it.
    fn rcpt(&mut self, env: &Envelope, rcpt: &Mailbox, as_sent: &str) -> Reply;
    /// The whole message arrived (dot-unstuffed, CRLF line ends). The
    /// reply to the final dot: 250 means the system is now responsible.
    fn message(&mut self, env: &Envelope, data: &[u8]) -> Reply;
    /// The account a user name reaches (its name as the host keeps it) and
    /// its password, to check AUTH; `None` if there is no such user.
    fn password(&mut self, _user: &str) -> Option<(String, String)> {
        None
    }
    /// A fresh CRAM-MD5 challenge such as `<12345.1712000000@mail.example>`.
    fn challenge(&mut self) -> String {
        "<0.0@localhost>".into()
    }
    /// AUTH finished, well or badly (for logs and policy).
    fn auth_done(&mut self, _user: &str, _mechanism: &str, _ok: bool) {}
    /// A session refused as a whole but kept open, as sendmail does when its
    /// check_relay ruleset rejects the client (srvrsmtp.c's "nullserver"):
    /// every command but HELO, EHLO, NOOP, RSET and QUIT gets this reply.
    fn session_refusal(&mut self) -> Option<Reply> {
        None
    }
}

/// Where an AUTH exchange stands while it waits for the client's next line.
#[derive(Clone, Debug)]
enum AuthStep {
    Plain,
    LoginUser,
    LoginPass(String),
    Cram(String),
}

/// Everything the host must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A command line arrived (CRLF removed), for the trace.
    Command(String),
    /// The message content arrived: its size, for the trace.
    Data { octets: usize, lines: usize },
    /// Write these bytes to the client.
    Reply(Reply),
    /// Close the connection (after writing everything before it).
    Close,
    /// Start TLS now (after writing everything before it); the host answers
    /// with [`Server::tls_started`] or ends the session.
    StartTls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    /// The greeting was 554: only QUIT is honoured (RFC 5321 §3.1).
    Refused,
    Command,
    Data,
    /// Reading the octets of a BDAT chunk (RFC 3030): no lines, no dots.
    Chunk,
    Closed,
}

/// Where a transaction stands with BDAT (Postfix's `bdat_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bdat {
    /// No BDAT yet in this transaction.
    None,
    /// Chunks are being collected.
    Ok,
    /// A chunk failed: later chunks are read and thrown away until BDAT LAST or RSET.
    Error,
}

/// The BDAT chunk being read.
#[derive(Clone, Debug)]
struct Chunk {
    /// Octets still to come.
    remaining: u64,
    /// The chunk's size as announced, for the reply.
    size: u64,
    last: bool,
    /// The reply decided before the octets came: they are read and thrown away.
    refusal: Option<Reply>,
}

pub struct Server {
    cfg: ServerConfig,
    peer: Peer,
    state: State,
    input: Vec<u8>,
    /// Octets of `input` already read (a cursor, so a long DATA section is not shifted line by line).
    start: usize,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    /// The name the client gave with HELO or EHLO, as the flavour keeps it
    /// (Postfix's `helo_name`, sendmail's `$s`).
    helo: Option<String>,
    /// The session's protocol as the flavour keeps it between commands
    /// (see [`Persona::protocol_fixed_by_commands`]).
    proto: Protocol,
    tx: Option<Envelope>,
    data: Vec<u8>,
    data_lines: usize,
    data_too_big: bool,
    /// The start of a line longer than [`MAX_TEXT_LINE`] is in `data`; its
    /// rest is to come (see [`Server::step_data`]).
    data_mid_line: bool,
    /// The previous DATA line ended in CRLF (or DATA just started).
    data_at_crlf: bool,
    errors: u32,
    /// Unknown commands so far, where only they count ([`Persona::counts_every_error`]).
    bad_commands: u32,
    /// RCPTs past the recipient limit in this transaction.
    rcpt_overshoot: u32,
    /// A RCPT of a transaction that declared SMTPUTF8 is being answered
    /// (the transaction is out of `tx` meanwhile).
    utf8_replies: bool,
    out: VecDeque<Output>,
    /// A finished message waiting for the policy, asked only after the
    /// `Data` output has been handed out (so the trace shows it first).
    pending: Option<Envelope>,
    /// The content of the `pending` message. The two buffers swap when a
    /// message ends, so both keep their capacity from message to message.
    pending_data: Vec<u8>,
    authed: Option<String>,
    auth_step: Option<AuthStep>,
    /// A line handed out for the trace and not yet acted on.
    pending_line: Option<String>,
    /// Since when the server waits for the client (see [`Server::waiting`]).
    waiting_since: Duration,
    /// A complete line (record) came or a reply went out since the timer
    /// last started: the next [`Server::waiting`] starts it again.
    progress: bool,
    /// How long the server waits for a complete line ([`IDLE_TIMEOUT`] unless configured).
    idle_timeout: Duration,
    /// The session's TLS, once the handshake after STARTTLS is done.
    tls: Option<TlsInfo>,
    /// STARTTLS was answered with 220: nothing is read until TLS is up.
    tls_pending: bool,
    /// BDAT in this transaction.
    bdat: Bdat,
    /// The chunk whose octets are being read.
    chunk: Option<Chunk>,
}

impl Server {
    pub fn new(cfg: ServerConfig, peer: Peer) -> Self {
        Server {
            cfg,
            peer,
            state: State::Start,
            input: Vec::new(),
            start: 0,
            discarding: false,
            helo: None,
            proto: Protocol::default(),
            tx: None,
            data: Vec::new(),
            data_lines: 0,
            data_too_big: false,
            data_mid_line: false,
            data_at_crlf: true,
            errors: 0,
            bad_commands: 0,
            rcpt_overshoot: 0,
            utf8_replies: false,
            out: VecDeque::new(),
            pending: None,
            pending_data: Vec::new(),
            authed: None,
            auth_step: None,
            pending_line: None,
            waiting_since: Duration::ZERO,
            progress: true,
            idle_timeout: IDLE_TIMEOUT,
            tls: None,
            tls_pending: false,
            bdat: Bdat::None,
            chunk: None,
        }
    }

    /// TLS is up (after [`Output::StartTls`], or from the start on an
    /// implicit-TLS port). RFC 3207 §4.2: the client says EHLO again, and
    /// nothing it said before counts: the transaction and a login are
    /// gone, and so is the HELO name unless the flavour keeps it
    /// ([`Persona::keeps_helo_through_starttls`]). Neither flavour changes
    /// its protocol here (only the `A` of a login that is gone goes).
    pub fn tls_started(&mut self, info: TlsInfo) {
        self.tls = Some(info);
        self.tls_pending = false;
        self.progress = true;
        if !self.persona().keeps_helo_through_starttls() {
            self.helo = None;
        }
        self.proto.auth = false;
        self.reset_transaction();
        self.authed = None;
        self.auth_step = None;
        self.clear_input();
    }

    /// The protocol of a transaction that starts now, as the flavour
    /// counts it (see [`Persona::protocol_fixed_by_commands`]).
    fn transaction_protocol(&self) -> Protocol {
        let p = self.proto;
        if self.persona().protocol_fixed_by_commands() {
            return p;
        }
        Protocol { esmtp: p.esmtp, tls: p.esmtp && self.tls.is_some(), auth: p.esmtp && self.authed.is_some() }
    }

    /// The session's TLS, if any.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// A server over its session limit: its only output is a 421 (the
    /// wording of Postfix's anvil limit), then the order to close.
    pub fn refuse_busy(cfg: ServerConfig, peer: Peer) -> Self {
        let r = cfg.flavour.persona().too_many_connections(&cfg.hostname);
        Server::refusing(cfg, peer, r)
    }

    /// A server refusing a client address that has too many sessions
    /// already: `421 4.7.0 … too many connections from ADDRESS`, then close.
    pub fn refuse_client(cfg: ServerConfig, peer: Peer) -> Self {
        let r = cfg.flavour.persona().too_many_connections_from(&cfg.hostname, peer.ip);
        Server::refusing(cfg, peer, r)
    }

    fn refusing(cfg: ServerConfig, peer: Peer, r: Reply) -> Self {
        let mut s = Server::new(cfg, peer);
        s.out.push_back(Output::Reply(r));
        s.out.push_back(Output::Close);
        s.state = State::Closed;
        s
    }

    /// Wait this long for each complete line instead of [`IDLE_TIMEOUT`]
    /// (`serve --idle-timeout`).
    pub fn set_idle_timeout(&mut self, d: Duration) {
        self.idle_timeout = d;
    }

    /// The host has written everything asked of it and waits for the
    /// client from `now` on (time since the connection opened): the idle
    /// timer starts again if a complete line came or a reply went out
    /// since it last started — not for bytes that end no line.
    pub fn waiting(&mut self, now: Duration) {
        if std::mem::take(&mut self.progress) {
            self.waiting_since = now;
        }
    }

    /// When the server gives up on a silent or trickling client (RFC 5321
    /// §4.5.3.2.7), unless a complete line comes first; `None` once the
    /// session is over.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (self.state != State::Closed).then(|| self.waiting_since.saturating_add(self.idle_timeout))
    }

    /// The time is `now`: past the deadline, the server says 421 and closes.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            // In DATA: the sender of the message cut short.
            let from = (self.state == State::Data).then(|| self.tx.as_ref().map(|e| e.from.to_string())).flatten();
            let r = self.persona().idle_timeout(&self.cfg.hostname, &self.peer, from.as_deref());
            self.out.push_back(Output::Reply(r));
            self.out.push_back(Output::Close);
            self.state = State::Closed;
            self.reset_transaction();
            self.pending = None;
            self.pending_data = Vec::new();
            self.pending_line = None;
            self.auth_step = None;
        }
    }

    /// Forget the transaction: envelope, collected content, BDAT state.
    fn reset_transaction(&mut self) {
        self.tx = None;
        self.rcpt_overshoot = 0;
        self.clear_data();
        self.bdat = Bdat::None;
        self.chunk = None;
        self.data_too_big = false;
    }

    /// Does the flavour offer this EHLO keyword?
    /// STARTTLS is offered until TLS is up.
    fn offers_starttls(&self) -> bool {
        self.cfg.tls != TlsMode::Off && self.tls.is_none()
    }

    /// AUTH is offered, but only inside TLS when TLS is required (Postfix's
    /// `smtpd_tls_auth_only`).
    fn offers_auth(&self) -> bool {
        self.cfg.auth && !self.must_starttls()
    }

    fn offers(&self, keyword: &str) -> bool {
        if keyword.eq_ignore_ascii_case("DSN") && !self.cfg.dsn {
            return false;
        }
        self.persona()
            .extensions(self.cfg.max_message_size)
            .iter()
            .any(|l| l.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case(keyword)))
    }

    /// The flavour's wording for every reply this core sends.
    fn persona(&self) -> &'static dyn Persona {
        self.cfg.flavour.persona()
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if self.state != State::Closed {
            self.input.extend_from_slice(bytes);
        }
    }

    /// The peer went away: whatever transaction was open is dropped, and
    /// nothing more is said (a message whose end came but was not yet
    /// answered is not taken: its sender cannot hear the reply).
    pub fn peer_closed(&mut self) {
        self.state = State::Closed;
        self.reset_transaction();
        self.out.clear();
        self.pending = None;
        self.pending_data = Vec::new();
        self.pending_line = None;
        self.clear_input();
    }

    /// The octets the session holds in its message buffers (their
    /// capacity): what a test checks is given back.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.data.capacity() + self.pending_data.capacity()
    }

    /// The octets of input read and not yet taken.
    #[cfg(test)]
    pub(crate) fn unread(&self) -> usize {
        self.input.len() - self.start
    }

    /// The message just received, before [`Policy::message`] is asked about
    /// it (the host may look things up first, between [`Output::Data`] and
    /// the next `poll`).
    pub fn pending_message(&self) -> Option<(&Envelope, &[u8])> {
        self.pending.as_ref().map(|e| (e, self.pending_data.as_slice()))
    }

    /// Next thing to do, or `None` when more input is needed.
    pub fn poll(&mut self, policy: &mut dyn Policy) -> Option<Output> {
        loop {
            if let Some(o) = self.out.pop_front() {
                if matches!(o, Output::Reply(_)) {
                    self.progress = true;
                }
                return Some(o);
            }
            if let Some(l) = self.pending_line.take() {
                match self.auth_step.take() {
                    Some(step) => self.auth_line(step, &l, policy),
                    None => self.command(&l, policy),
                }
                continue;
            }
            if let Some(env) = self.pending.take() {
                let r = policy.message(&env, &self.pending_data);
                self.pending_data.clear();
                if self.pending_data.capacity() > KEEP_BUFFER {
                    self.pending_data = Vec::new();
                }
                self.reply(r);
                continue;
            }
            match self.state {
                State::Closed => return None,
                State::Start => {
                    let g = policy.greeting();
                    self.state = if g.code == 220 { State::Command } else { State::Refused };
                    self.out.push_back(Output::Reply(g));
                }
                State::Data => {
                    if !self.step_data() {
                        return None;
                    }
                }
                State::Chunk => {
                    if !self.step_chunk() {
                        return None;
                    }
                }
                State::Command | State::Refused => {
                    if self.tls_pending {
                        return None;
                    }
                    let line = self.take_line(MAX_COMMAND_LINE)?;
                    match line {
                        Line::TooLong => {
                            self.error(self.persona().line_too_long());
                        }
                        Line::Text(l) => {
                            // Hand out the line first, act on it at the next poll,
                            // so the trace shows the command before its effects.
                            let shown =
                                if self.auth_step.is_some() { self.mask_response(&l) } else { self.mask_command(&l) };
                            self.out.push_back(Output::Command(shown));
                            self.pending_line = Some(l);
                        }
                    }
                }
            }
        }
    }

    /// Mark `n` more octets of input as read; drop what was read once it is worth it.
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start >= self.input.len() {
            self.input.clear();
            self.start = 0;
        } else if self.start > 65536 && self.start * 2 > self.input.len() {
            self.input.drain(..self.start);
            self.start = 0;
        }
    }

    fn clear_input(&mut self) {
        self.input.clear();
        self.start = 0;
    }

    fn take_line(&mut self, limit: usize) -> Option<Line> {
        let Some(pos) = memchr::memchr(b'\n', &self.input[self.start..]) else {
            if self.input.len() - self.start > limit {
                self.clear_input();
                self.discarding = true;
            }
            return None;
        };
        let (from, len) = (self.start, pos + 1);
        self.progress = true;
        if std::mem::take(&mut self.discarding) || len > limit {
            self.consume(len);
            return Some(Line::TooLong);
        }
        let raw = &self.input[from..from + pos];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        // One copy: the line as it came when it is UTF-8 (nearly always).
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t.to_string(),
            Err(_) => String::from_utf8_lossy(raw).into_owned(),
        };
        self.consume(len);
        Some(Line::Text(text))
    }

    /// A reply to a command. What it quotes of the client's input (an
    /// address, a verb, a mechanism) goes back as printable US-ASCII only
    /// (RFC 5321 4.2: reply text is printable US-ASCII and tabs, with no
    /// SMTPUTF8 in use): a NUL, a control or an 8-bit octet becomes `?`,
    /// as Postfix's `printable()` makes it.
    fn reply(&mut self, mut r: Reply) {
        let printable = |b: u8| b == b'\t' || (0x20..=0x7e).contains(&b);
        // In a transaction that declared SMTPUTF8 (RFC 6531), UTF-8 may be
        // quoted back as it came.
        let utf8 = self.utf8_replies || self.tx.as_ref().is_some_and(|e| e.params.smtputf8);
        let keep = |c: char| if c.is_ascii() { printable(c as u8) } else { utf8 && !c.is_control() };
        for l in &mut r.lines {
            if !l.bytes().all(printable) {
                *l = l.chars().map(|c| if keep(c) { c } else { '?' }).collect();
            }
        }
        self.out.push_back(Output::Reply(r));
    }

    fn error(&mut self, r: Reply) {
        if !self.persona().counts_every_error() {
            return self.reply(r);
        }
        self.errors += 1;
        self.reply(r);
        if self.errors >= MAX_ERRORS {
            let r = self.persona().too_many_errors(&self.cfg.hostname);
            self.reply(r);
            self.out.push_back(Output::Close);
            self.state = State::Closed;
        }
    }

    /// An unknown (or empty) command. Where only these count (sendmail:
    /// `if (++n_badcmds > MAXBADCOMMANDS)`), the one past the limit gets
    /// the closing 421 instead of its own reply.
    fn bad_command(&mut self, r: Reply) {
        let st = self.persona();
        if st.counts_every_error() {
            return self.error(r);
        }
        self.bad_commands += 1;
        if self.bad_commands > st.bad_command_limit() {
            let r = st.too_many_errors(&self.cfg.hostname);
            self.reply(r);
            self.out.push_back(Output::Close);
            self.state = State::Closed;
        } else {
            self.reply(r);
        }
    }

    fn command(&mut self, line: &str, policy: &mut dyn Policy) {
        // The verb ends at any white space, as sendmail's and Postfix's
        // tokenisers end it (a tab after AUTH is AUTH's separator too).
        let (verb, arg) = match line.find([' ', '\t']) {
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => (line, ""),
        };
        // Clients mostly write verbs in capitals already: no copy then.
        let verb: std::borrow::Cow<str> =
            if verb.bytes().any(|b| b.is_ascii_lowercase()) { verb.to_ascii_uppercase().into() } else { verb.into() };
        let st = self.persona();
        if self.state == State::Refused {
            if verb == "QUIT" {
                let r = st.quit(&self.cfg.hostname);
                self.reply(r);
                self.out.push_back(Output::Close);
                self.state = State::Closed;
            } else {
                // Refused from the start: every command but QUIT is a bad one
                // (sendmail's nullserver counts them toward MAXBADCOMMANDS).
                self.bad_command(st.bad_sequence());
            }
            return;
        }
        if !matches!(&*verb, "HELO" | "EHLO" | "NOOP" | "RSET" | "QUIT")
            && let Some(r) = policy.session_refusal()
        {
            return self.bad_command(r);
        }
        match &*verb {
            "HELO" | "EHLO" => {
                let esmtp = verb == "EHLO";
                // The flavour's check of the name (several words: Postfix
                // joins them, sendmail refuses them).
                let name = match st.helo_name(&verb, arg) {
                    Ok(name) => name,
                    Err(r) => return self.error(r),
                };
                // EHLO mid-session resets the transaction (RFC 5321 §4.1.4).
                self.reset_transaction();
                self.helo = Some(name);
                self.proto = if st.protocol_fixed_by_commands() {
                    // sendmail: EHLO works its protocol out now, HELO is SMTP.
                    let (tls, auth) = (self.tls.is_some(), self.authed.is_some());
                    Protocol { esmtp, tls: esmtp && tls, auth: esmtp && auth }
                } else {
                    // Postfix: EHLO makes it ESMTP, and HELO does not make it SMTP again.
                    Protocol { esmtp: esmtp || self.proto.esmtp, ..Protocol::default() }
                };
                let greet = st.helo_greet(&self.cfg.hostname, &self.peer);
                if esmtp {
                    let mut lines = vec![greet];
                    let dsn = self.cfg.dsn;
                    lines.extend(st.extensions(self.cfg.max_message_size).into_iter().filter(|k| dsn || k != "DSN"));
                    // STARTTLS and AUTH go before ENHANCEDSTATUSCODES (Postfix's
                    // order in smtpd.c ehlo_cmd()), or before the last keyword
                    // when that one comes first (sendmail's HELP stays last).
                    let slot = |lines: &[String]| match lines.iter().position(|l| l == "ENHANCEDSTATUSCODES") {
                        Some(i) if i > 1 => i,
                        _ => lines.len().saturating_sub(1).max(1),
                    };
                    let mut at = slot(&lines);
                    if self.offers_starttls() {
                        lines.insert(at, "STARTTLS".into());
                        at += 1;
                    }
                    if self.offers_auth() {
                        lines.insert(at, format!("AUTH {}", super::auth::MECHANISMS));
                    }
                    self.reply(Reply::multi(250, lines));
                } else {
                    self.reply(Reply::new(250, greet));
                }
            }
            "MAIL" | "RCPT" | "DATA" if self.must_starttls() => self.error(st.must_starttls()),
            "MAIL" => {
                // Without HELO/EHLO the session is plain SMTP (Postfix's
                // `state->protocol` starts as SMTP; sendmail's `$r` is SMTP),
                // unless a login made it ESMTP where the flavour counts so.
                if self.helo.is_none() && self.cfg.helo_required {
                    return self.error(st.need_helo());
                }
                if self.tx.is_some() {
                    return self.error(st.nested_mail());
                }
                if self.bdat != Bdat::None {
                    return self.error(st.after_bdat("MAIL"));
                }
                let Some(rest) = strip_prefix_ci(arg, "FROM:") else {
                    return self.error(st.mail_syntax(keyword_as_written(arg)));
                };
                let (path, params) = match parse_path(rest) {
                    Ok(p) => p,
                    Err(AddressError::NoPath) => return self.error(st.mail_syntax(keyword_as_written(arg))),
                    Err(e) => return self.error(st.bad_path(false, path_as_written(rest), &e)),
                };
                // The path as written (the parameters are the rest of `rest`).
                let from_as_sent = rest.strip_suffix(params).unwrap_or(rest).trim_start().to_string();
                // Both flavours take the parameters of the extensions they
                // offer whether the client said EHLO, HELO or nothing
                // (Postfix's mail_cmd(), sendmail's mail_esmtp_args()
                // check no protocol): a client that knows them may use them.
                let mut declared_size = None;
                let mut mail_params = MailParams::default();
                let mut auth_earlier: Option<&str> = None;
                for p in params.split_whitespace() {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    match k.to_ascii_uppercase().as_str() {
                        "SMTPUTF8" if v.is_empty() && !p.contains('=') && self.offers("SMTPUTF8") => {
                            mail_params.smtputf8 = true;
                        }
                        "SIZE" => match v.parse::<u64>() {
                            Ok(n) => declared_size = Some(n),
                            Err(_) => {
                                return self.error(st.bad_size_parameter());
                            }
                        },
                        "BODY" if matches!(v.to_ascii_uppercase().as_str(), "7BIT" | "8BITMIME") => {}
                        "RET" | "ENVID" if self.offers("DSN") => {
                            if let Err(r) = self.dsn_mail_param(p, &mut mail_params) {
                                return self.error(r);
                            }
                        }
                        // A server that offers AUTH MUST take the parameter,
                        // logged in or not (RFC 4954 §5).
                        "AUTH" if self.cfg.auth => {
                            let value = p.split_once('=').map(|(_, v)| v);
                            if let Err(r) = st.auth_param(value, auth_earlier) {
                                return self.error(r);
                            }
                            auth_earlier = value;
                            // As sent (xtext, not decoded): what Postfix logs.
                            if let Some(v) = value.filter(|v| *v != "<>") {
                                mail_params.auth = Some(v.to_string());
                            }
                        }
                        "RET" | "ENVID" if !self.cfg.dsn => {
                            let param = if k.eq_ignore_ascii_case("RET") { DsnParam::Ret } else { DsnParam::Envid };
                            return self.error(st.dsn_disabled(param));
                        }
                        _ => {
                            return self.error(st.unsupported_option(p));
                        }
                    }
                }
                // Postfix with `strict_smtputf8 = yes` (smtpd.c mail_cmd()).
                if path.needs_smtputf8() && !mail_params.smtputf8 {
                    return self.error(st.needs_smtputf8());
                }
                if let Some(n) = declared_size
                    && self.cfg.max_message_size > 0
                    && n > self.cfg.max_message_size
                {
                    return self.reply(st.too_big(self.cfg.max_message_size));
                }
                let env = Envelope {
                    helo: self.helo.clone(),
                    proto: self.transaction_protocol(),
                    from: path,
                    from_as_sent,
                    rcpts: Vec::new(),
                    declared_size,
                    auth: self.authed.clone(),
                    tls: self.tls.clone(),
                    chunked: None,
                    params: mail_params,
                };
                let r = policy.mail(&env);
                if r.is_positive() {
                    self.tx = Some(env);
                }
                self.reply(r);
            }
            "RCPT" => match self.tx.take() {
                None => self.error(st.need_mail()),
                // Out of `self` while the command is checked (no copy of the
                // recipients so far per RCPT), and back afterwards.
                Some(mut env) => {
                    // (Its SMTPUTF8 still decides how replies quote.)
                    self.utf8_replies = env.params.smtputf8;
                    self.rcpt_command(arg, &mut env, policy);
                    self.utf8_replies = false;
                    self.tx = Some(env);
                }
            },
            "DATA" => {
                if !arg.is_empty() {
                    return self.error(st.takes_no_argument("DATA"));
                }
                if self.bdat != Bdat::None {
                    return self.error(st.after_bdat("DATA"));
                }
                match &self.tx {
                    None => self.error(st.data_needs_mail()),
                    Some(tx) if tx.rcpts.is_empty() => self.error(st.need_rcpt()),
                    Some(_) => {
                        self.state = State::Data;
                        self.data.clear();
                        self.data_lines = 0;
                        self.data_too_big = false;
                        self.data_mid_line = false;
                        self.data_at_crlf = true;
                        self.reply(st.data_go());
                    }
                }
            }
            "RSET" => {
                if !arg.is_empty() {
                    return self.error(st.takes_no_argument("RSET"));
                }
                self.reset_transaction();
                self.reply(st.rset());
            }
            "BDAT" if self.offers("CHUNKING") => self.bdat_command(arg),
            "NOOP" => self.reply(st.noop()),
            "QUIT" => {
                let r = st.quit(&self.cfg.hostname);
                self.reply(r);
                self.out.push_back(Output::Close);
                self.state = State::Closed;
            }
            "VRFY" => {
                if arg.is_empty() {
                    return self.error(st.vrfy_syntax());
                }
                self.reply(st.vrfy(arg));
            }
            "EXPN" => self.reply(st.expn()),
            "HELP" => {
                // What this session could use now, as EHLO would list it.
                let mut extra = Vec::new();
                if self.offers_starttls() {
                    extra.push("STARTTLS");
                }
                if self.offers_auth() {
                    extra.push("AUTH");
                }
                if self.offers("CHUNKING") {
                    extra.push("BDAT");
                }
                self.reply(st.help(&extra))
            }
            "AUTH" if self.must_starttls() => self.error(st.must_starttls()),
            "AUTH" => self.auth_command(arg, policy),
            "STARTTLS" if self.cfg.tls == TlsMode::Off => self.error(st.not_implemented("STARTTLS")),
            "STARTTLS" => {
                if !arg.is_empty() {
                    return self.error(st.starttls_syntax());
                }
                if self.tls.is_some() {
                    return self.error(st.tls_already_active());
                }
                self.reply(st.starttls_ready());
                self.out.push_back(Output::StartTls);
                // Anything the client sent after STARTTLS in the clear is
                // dropped (RFC 3207 §4.2; the command-injection attack).
                self.clear_input();
                self.tls_pending = true;
            }
            "" => self.bad_command(st.empty_command()),
            // Quoted back as the trace shows it: masked, should it be AUTH.
            _ => self.bad_command(st.unknown(&self.mask_command(line))),
        }
    }

    /// `RET=` or `ENVID=` on MAIL (RFC 3461 §4.3, §4.4), checked in the
    /// order of sendmail's mail_esmtp_args(); the refusal is the flavour's.
    fn dsn_mail_param(&self, option: &str, params: &mut MailParams) -> Result<(), Reply> {
        let st = self.persona();
        let fail = |param, fault| st.dsn_param_error(param, fault, option);
        let Some((k, v)) = option.split_once('=') else {
            let param = if option.eq_ignore_ascii_case("RET") { DsnParam::Ret } else { DsnParam::Envid };
            return fail(param, DsnFault::NoValue).map_or(Ok(()), Err);
        };
        if k.eq_ignore_ascii_case("RET") {
            if params.ret.is_some() {
                return fail(DsnParam::Ret, DsnFault::Duplicate).map_or(Ok(()), Err);
            }
            params.ret = Some(match v.to_ascii_uppercase().as_str() {
                "FULL" => Ret::Full,
                "HDRS" => Ret::Hdrs,
                _ => return fail(DsnParam::Ret, DsnFault::Bad(v)).map_or(Ok(()), Err),
            });
        } else {
            // Postfix also wants the decoded value printable (smtpd.c: allprint()).
            let decoded = xtext_decode(v).filter(|d| !d.is_empty() && d.chars().all(|c| !c.is_control()));
            let Some(decoded) = decoded else {
                return fail(DsnParam::Envid, DsnFault::Bad(v)).map_or(Ok(()), Err);
            };
            if params.envid.is_some() {
                return fail(DsnParam::Envid, DsnFault::Duplicate).map_or(Ok(()), Err);
            }
            params.envid = Some(decoded);
        }
        Ok(())
    }

    /// RCPT TO within the transaction `env` (taken out of `self.tx` by the caller).
    fn rcpt_command(&mut self, arg: &str, env: &mut Envelope, policy: &mut dyn Policy) {
        let st = self.persona();
        if self.bdat != Bdat::None {
            return self.error(st.after_bdat("RCPT"));
        }
        let Some(rest) = strip_prefix_ci(arg, "TO:") else {
            return self.error(st.rcpt_syntax(keyword_as_written(arg)));
        };
        let (mailbox, params) = match parse_forward_path(rest, &self.cfg.hostname) {
            Ok((Path::Mailbox(m), params)) => (m, params),
            Ok((Path::Null, _)) => {
                return self.error(st.bad_path(true, path_as_written(rest), &AddressError::NullRecipient));
            }
            Err(AddressError::NoPath) => return self.error(st.rcpt_syntax(keyword_as_written(arg))),
            Err(e) => return self.error(st.bad_path(true, path_as_written(rest), &e)),
        };
        let mut rcpt_params = RcptParams::default();
        for p in params.split_whitespace() {
            let k = p.split_once('=').map_or(p, |(k, _)| k);
            match k.to_ascii_uppercase().as_str() {
                "NOTIFY" | "ORCPT" if self.offers("DSN") => {
                    if let Err(r) = self.dsn_rcpt_param(p, &mut rcpt_params) {
                        return self.error(r);
                    }
                }
                "NOTIFY" | "ORCPT" if !self.cfg.dsn => {
                    let param = if k.eq_ignore_ascii_case("NOTIFY") { DsnParam::Notify } else { DsnParam::Orcpt };
                    return self.error(st.dsn_disabled(param));
                }
                _ => return self.error(st.unsupported_option(p)),
            }
        }
        if mailbox.needs_smtputf8() && !env.params.smtputf8 {
            return self.error(st.needs_smtputf8());
        }
        if env.rcpts.len() >= self.cfg.max_recipients {
            // Postfix counts an error only past smtpd_recipient_overshoot_limit
            // (1000) of these in one transaction.
            self.rcpt_overshoot += 1;
            let r = st.too_many_recipients();
            return if self.rcpt_overshoot > RCPT_OVERSHOOT_LIMIT { self.refused(r) } else { self.reply(r) };
        }
        // The path as written (the parameters are the rest of `rest`).
        let as_sent = rest.strip_suffix(params).unwrap_or(rest).trim_start();
        let r = policy.rcpt(env, &mailbox, as_sent);
        // A recipient given twice is accepted twice and kept once, so it
        // gets one copy; Postfix's cleanup and sendmail's recipient list
        // drop such duplicates without a log line. What a duplicate is
        // is the flavour's: sendmail keeps the first and its DSN request,
        // Postfix keeps both when their NOTIFY or ORCPT differ
        // (`persona::Duplicates`). The same address in other letters is left to
        // the queue, which says so in the trace.
        let new = Rcpt { addr: mailbox, dsn: rcpt_params };
        let dups = st.duplicates();
        let key = dups.key(&new, None);
        if r.is_positive() && !env.rcpts.iter().any(|k| k.addr == new.addr && dups.key(k, None) == key) {
            env.rcpts.push(new);
        }
        if r.is_positive() { self.reply(r) } else { self.refused(r) }
    }

    /// A refused recipient: one more error where the flavour counts it so
    /// (Postfix: any command whose action fails, toward
    /// `smtpd_hard_error_limit`), else just the reply.
    fn refused(&mut self, r: Reply) {
        if self.persona().refusal_counts_as_error() { self.error(r) } else { self.reply(r) }
    }

    /// `NOTIFY=` or `ORCPT=` on RCPT (RFC 3461 §4.1, §4.2), checked in the
    /// order of sendmail's rcpt_esmtp_args(); the refusal is the flavour's.
    fn dsn_rcpt_param(&self, option: &str, params: &mut RcptParams) -> Result<(), Reply> {
        let st = self.persona();
        let fail = |param, fault| st.dsn_param_error(param, fault, option);
        let Some((k, v)) = option.split_once('=') else {
            let param = if option.eq_ignore_ascii_case("NOTIFY") { DsnParam::Notify } else { DsnParam::Orcpt };
            return fail(param, DsnFault::NoValue).map_or(Ok(()), Err);
        };
        if k.eq_ignore_ascii_case("NOTIFY") {
            if params.notify.is_some()
                && let Some(r) = fail(DsnParam::Notify, DsnFault::Duplicate)
            {
                return Err(r);
            }
            match parse_notify(v) {
                Ok(n) => params.notify = Some(n),
                Err(word) => return fail(DsnParam::Notify, DsnFault::Bad(word)).map_or(Ok(()), Err),
            }
        } else {
            let parsed = v.split_once(';').and_then(|(t, a)| {
                let type_ok = !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                type_ok.then_some(())?;
                xtext_decode(a).filter(|a| !a.is_empty()).map(|a| (t.to_ascii_lowercase(), a))
            });
            let Some(orcpt) = parsed else {
                return fail(DsnParam::Orcpt, DsnFault::Bad(v)).map_or(Ok(()), Err);
            };
            if params.orcpt.is_some() {
                return fail(DsnParam::Orcpt, DsnFault::Duplicate).map_or(Ok(()), Err);
            }
            params.orcpt = Some(orcpt);
        }
        Ok(())
    }

    /// `BDAT size [LAST]` (RFC 3030), as Postfix's smtpd.c bdat_cmd() takes
    /// it: a malformed command ends the session (what follows would be raw
    /// content); every refusal still reads the chunk's octets, so client and
    /// server stay in step; after a failed chunk later ones are thrown away
    /// until BDAT LAST or RSET.
    fn bdat_command(&mut self, arg: &str) {
        let st = self.persona();
        let words: Vec<&str> = arg.split_whitespace().collect();
        let size = match words.first() {
            Some(w) if w.bytes().all(|b| b.is_ascii_digit()) => w.parse::<u64>().ok(),
            _ => None,
        };
        let last = match words.get(1) {
            None => Some(false),
            Some(w) if w.eq_ignore_ascii_case("LAST") && words.len() == 2 => Some(true),
            Some(_) => None,
        };
        let (Some(size), Some(last)) = (size, last) else {
            self.reply(st.bdat_syntax());
            self.out.push_back(Output::Close);
            self.state = State::Closed;
            return;
        };
        let refusal = if self.must_starttls() {
            Some(st.must_starttls())
        } else if size == 0 && !last {
            Some(st.bdat_null())
        } else if self.bdat == Bdat::Error {
            Some(st.bdat_discarded(size))
        } else if self.bdat == Bdat::None && self.tx.is_none() {
            Some(st.data_needs_mail())
        } else if self.bdat == Bdat::None && self.tx.as_ref().is_some_and(|t| t.rcpts.is_empty()) {
            Some(st.need_rcpt())
        } else if self.cfg.max_message_size > 0
            && (self.data.len() as u64).saturating_add(size) > self.cfg.max_message_size
        {
            Some(st.bdat_too_big())
        } else {
            None
        };
        if refusal.is_none() && self.bdat == Bdat::None {
            self.data.clear();
            self.data_lines = 0;
            self.data_too_big = false;
            self.bdat = Bdat::Ok;
        }
        self.chunk = Some(Chunk { remaining: size, size, last, refusal });
        self.state = State::Chunk;
    }

    /// Read the octets of a BDAT chunk; returns false when more input is needed.
    fn step_chunk(&mut self) -> bool {
        let Some(c) = self.chunk.as_mut() else {
            self.state = State::Command;
            return true;
        };
        if c.remaining > 0 {
            let avail = self.input.len() - self.start;
            if avail == 0 {
                return false;
            }
            let n = usize::try_from(c.remaining).map_or(avail, |r| r.min(avail));
            c.remaining -= n as u64;
            // A line of the content within the chunk is a record too.
            if self.input[self.start..self.start + n].contains(&b'\n') {
                self.progress = true;
            }
            let keep = c.refusal.is_none() && !self.data_too_big;
            if keep {
                let from = self.start;
                for i in from..from + n {
                    let b = self.input[i];
                    // A bare LF is stored as CRLF, as for DATA (Postfix's
                    // BDAT reader splits the chunks into lines as well).
                    if b == b'\n' && self.data.last() != Some(&b'\r') {
                        self.data.push(b'\r');
                    }
                    self.data.push(b);
                }
                if self.cfg.max_message_size > 0 && self.data.len() as u64 > self.cfg.max_message_size {
                    self.data_too_big = true;
                    self.data.clear();
                }
            }
            self.consume(n);
            if self.chunk.as_ref().is_some_and(|c| c.remaining > 0) {
                return false;
            }
        }
        if let Some(c) = self.chunk.take() {
            self.state = State::Command;
            self.progress = true;
            self.end_chunk(c);
        }
        true
    }

    /// A whole chunk was read: answer it.
    fn end_chunk(&mut self, c: Chunk) {
        let st = self.persona();
        if let Some(r) = c.refusal {
            self.reply(r);
            if c.last {
                self.reset_transaction();
            } else {
                self.bdat = Bdat::Error;
            }
            return;
        }
        if self.data_too_big {
            // The content outgrew the limit (bare LFs made CRLFs): the
            // transaction ends, later chunks are thrown away.
            self.reply(st.too_big_data(self.cfg.max_message_size));
            self.reset_transaction();
            if !c.last {
                self.bdat = Bdat::Error;
            }
            return;
        }
        if !c.last {
            return self.reply(st.bdat_ok(c.size));
        }
        if !self.data.is_empty() && !self.data.ends_with(b"\r\n") {
            self.data.extend_from_slice(b"\r\n");
        }
        let lines = memchr::memchr_iter(b'\n', &self.data).count();
        let octets = self.data.len();
        let tx = self.tx.take();
        // Only content the policy will see moves on; the rest goes now.
        if tx.is_some() {
            self.take_data();
        }
        self.reset_transaction();
        self.out.push_back(Output::Data { octets, lines });
        match tx {
            Some(mut env) => {
                env.chunked = Some(octets);
                self.pending = Some(env);
            }
            None => self.reply(st.need_mail()),
        }
    }

    /// TLS is required and not yet up.
    fn must_starttls(&self) -> bool {
        self.cfg.tls == TlsMode::Required && self.tls.is_none()
    }

    /// The trace form of a command: AUTH's initial response is masked.
    fn mask_command(&self, line: &str) -> String {
        // Only AUTH carries a secret: any other command is shown as it came.
        let auth = line
            .as_bytes()
            .get(..5)
            .is_some_and(|v| v[..4].eq_ignore_ascii_case(b"AUTH") && v[4].is_ascii_whitespace());
        if !auth {
            return line.to_string();
        }
        // Words split at any white space, as `command` and `auth_command`
        // split them (a tab logs in as a space does).
        let mut words = line[5..].split_whitespace();
        match (words.next(), words.next()) {
            (Some(mech), Some(response)) => {
                if self.cfg.show_secrets {
                    format!("{line}{}", decoded_note(response))
                } else {
                    format!("{} {mech} ****", &line[..4])
                }
            }
            _ => line.to_string(),
        }
    }

    /// The trace form of a line answering an AUTH challenge.
    fn mask_response(&self, line: &str) -> String {
        if line.trim() == "*" {
            "*".into()
        } else if self.cfg.show_secrets {
            format!("{line}{}", decoded_note(line))
        } else {
            "****".into()
        }
    }

    fn auth_command(&mut self, arg: &str, policy: &mut dyn Policy) {
        let st = self.persona();
        // Both flavours take AUTH before HELO by default; Postfix's
        // smtpd_helo_required refuses it too, before it asks whether AUTH
        // is on at all (smtpd_sasl_proto.c smtpd_sasl_auth_cmd()).
        if self.helo.is_none() && self.cfg.helo_required && st.helo_required_covers_auth() {
            return self.error(st.need_helo());
        }
        if !self.cfg.auth {
            return self.error(st.auth_not_available());
        }
        if self.authed.is_some() {
            return self.error(st.already_authenticated());
        }
        if self.tx.is_some() {
            return self.error(st.auth_in_transaction());
        }
        let mut words = arg.split_whitespace();
        let word = words.next().unwrap_or("");
        let mech = word.to_ascii_uppercase();
        let initial = words.next();
        match (mech.as_str(), initial) {
            ("PLAIN", Some(r)) => self.auth_line(AuthStep::Plain, r, policy),
            ("PLAIN", None) => {
                self.auth_step = Some(AuthStep::Plain);
                self.reply(Reply::new(334, ""));
            }
            ("LOGIN", Some(r)) => self.auth_line(AuthStep::LoginUser, r, policy),
            ("LOGIN", None) => {
                self.auth_step = Some(AuthStep::LoginUser);
                self.reply(Reply::new(334, super::auth::b64(b"Username:")));
            }
            ("CRAM-MD5", None) => {
                let c = policy.challenge();
                self.reply(Reply::new(334, super::auth::b64(c.as_bytes())));
                self.auth_step = Some(AuthStep::Cram(c));
            }
            ("CRAM-MD5", Some(_)) => self.error(st.auth_initial_response_refused("CRAM-MD5")),
            ("", _) => self.error(st.auth_syntax()),
            _ => self.error(st.auth_mechanism_unknown(word)),
        }
    }

    fn auth_line(&mut self, step: AuthStep, line: &str, policy: &mut dyn Policy) {
        use super::auth::{hex, hmac_md5, parse_plain, unb64};
        if line.trim() == "*" {
            return self.error(self.persona().auth_aborted());
        }
        // `=` is a response of no octets (RFC 4954 §4).
        let decoded = if line.trim() == "=" { Ok(Vec::new()) } else { unb64(line) };
        let Ok(raw) = decoded else {
            return self.error(self.persona().auth_undecodable());
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        // Logged in, the user is the account the name reached (as Dovecot's
        // SASL hands Postfix the name lower-cased); refused, the name as sent.
        let check = |policy: &mut dyn Policy, u: String, right: &dyn Fn(&str) -> bool| match policy.password(&u) {
            Some((account, p)) if right(&p) => (account, true),
            _ => (u, false),
        };
        let ((user, ok), mech) = match step {
            AuthStep::Plain => match parse_plain(&raw) {
                Ok((u, p)) => (check(policy, u, &|want| want == p), "PLAIN"),
                Err(_) => return self.error(self.persona().auth_invalid_data()),
            },
            AuthStep::LoginUser => {
                self.auth_step = Some(AuthStep::LoginPass(text));
                return self.reply(Reply::new(334, super::auth::b64(b"Password:")));
            }
            AuthStep::LoginPass(u) => (check(policy, u, &|want| want == text), "LOGIN"),
            AuthStep::Cram(challenge) => {
                let (u, digest) = text.rsplit_once(' ').unwrap_or((&text, ""));
                let right = |p: &str| hex(&hmac_md5(p.as_bytes(), challenge.as_bytes())).eq_ignore_ascii_case(digest);
                (check(policy, u.to_string(), &right), "CRAM-MD5")
            }
        };
        policy.auth_done(&user, mech, ok);
        if ok {
            self.authed = Some(user);
            // sendmail works its protocol out again at `235` (srvrsmtp.c:
            // `protocol = GET_PROTOCOL()`), after HELO or none too.
            if self.persona().protocol_fixed_by_commands() {
                self.proto = Protocol { esmtp: true, tls: self.tls.is_some(), auth: true };
            }
            self.reply(self.persona().auth_ok());
        } else {
            self.error(self.persona().auth_failed());
        }
    }

    /// Consume DATA lines; returns false when more input is needed.
    fn step_data(&mut self) -> bool {
        let Some(pos) = memchr::memchr(b'\n', &self.input[self.start..]) else {
            // A line longer than RFC 5321's 1000 octets is content all the
            // same: Postfix reads it in records of `line_length_limit` and
            // joins them again, sendmail stores it as it came, and RFC 5321
            // §4.5.3.1 asks servers not to impose the limit where they can.
            // Its start goes into the message now, so memory stays bounded
            // however long the line; a CR at the end waits, as it may begin
            // the line's CRLF.
            let pending = self.input.len() - self.start;
            if pending > MAX_TEXT_LINE {
                let take = if self.input.last() == Some(&b'\r') { pending - 1 } else { pending };
                let from = self.start;
                // The dot of a stuffed line goes (RFC 5321 §4.5.2) at its start only.
                let skip = usize::from(!self.data_mid_line && self.input[from] == b'.');
                self.push_content(from + skip, from + take, false);
                self.consume(take);
                self.data_mid_line = true;
                // A record of at least MAX_TEXT_LINE octets came: the idle
                // timer starts again, as for a line (Postfix's records are
                // at most `line_length_limit` octets long).
                self.progress = true;
            }
            return false;
        };
        let (from, len) = (self.start, pos + 1);
        self.progress = true;
        // (No line is skipped here: only an over-long command is discarded,
        // and a command that was never read cannot start a DATA section.)
        let raw = &self.input[from..from + len];
        let crlf = raw.ends_with(b"\r\n");
        let body_len = raw.len() - if crlf { 2 } else { 1 };
        let mid = std::mem::take(&mut self.data_mid_line);
        // Only <CRLF>.<CRLF> ends the data (RFC 5321 §4.1.1.4): a "." line
        // reached through a bare LF, or ended by one, is content.
        if !mid && &raw[..body_len] == b"." && crlf && self.data_at_crlf {
            self.consume(len);
            self.finish_data();
            return true;
        }
        self.data_at_crlf = crlf;
        let skip = usize::from(!mid && raw.first() == Some(&b'.'));
        self.data_lines += 1;
        // Bare LF is stored as CRLF, as Postfix's "normalize" mode does.
        self.push_content(from + skip, from + body_len, true);
        self.consume(len);
        true
    }

    /// `input[from..to]` onto the message, and CRLF if `line_end`, unless
    /// the message has grown past the size limit.
    fn push_content(&mut self, from: usize, to: usize, line_end: bool) {
        let add = to.saturating_sub(from) + if line_end { 2 } else { 0 };
        if self.cfg.max_message_size > 0 && (self.data.len() + add) as u64 > self.cfg.max_message_size {
            self.data_too_big = true;
        }
        if !self.data_too_big {
            self.data.extend_from_slice(self.input.get(from..to).unwrap_or_default());
            if line_end {
                self.data.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Forget the collected content; a buffer grown big is given back.
    fn clear_data(&mut self) {
        self.data.clear();
        if self.data.capacity() > KEEP_BUFFER {
            self.data = Vec::new();
        }
    }

    /// Move the collected content to `pending_data` (for the policy), and
    /// leave `data` empty with the other buffer's capacity.
    fn take_data(&mut self) {
        self.pending_data.clear();
        std::mem::swap(&mut self.data, &mut self.pending_data);
    }

    fn finish_data(&mut self) {
        self.state = State::Command;
        let octets = self.data.len();
        let tx = self.tx.take();
        self.out.push_back(Output::Data { octets, lines: self.data_lines });
        let st = self.persona();
        if self.data_too_big {
            self.reply(st.too_big_data(self.cfg.max_message_size));
        } else {
            match tx {
                Some(env) => {
                    self.take_data();
                    self.pending = Some(env);
                }
                None => self.reply(st.need_mail()),
            }
        }
        // A refused message's content is not kept (nor a big buffer for it).
        if self.pending.is_none() {
            self.clear_data();
        }
    }
}

enum Line {
    Text(String),
    TooLong,
}

/// A NOTIFY value (RFC 3461 §4.1): `NEVER` alone, or a comma list of
/// SUCCESS, FAILURE and DELAY; `Err` holds the first word that is neither.
fn parse_notify(v: &str) -> Result<Notify, &str> {
    if v.eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::NEVER);
    }
    let mut n = Notify::NEVER;
    for w in v.split(',') {
        match w.to_ascii_uppercase().as_str() {
            "SUCCESS" => n.success = true,
            "FAILURE" => n.failure = true,
            "DELAY" => n.delay = true,
            _ => return Err(w),
        }
    }
    Ok(n)
}

/// The word of a `MAIL` or `RCPT` argument where `FROM` or `TO` belongs,
/// as written: up to a colon or white space (sendmail's skipword() quotes it).
fn keyword_as_written(arg: &str) -> &str {
    arg.find([':', ' ', '\t']).map_or(arg, |i| &arg[..i])
}

/// The path of a refused `MAIL FROM:`/`RCPT TO:` argument as the client
/// wrote it (see [`split_path`]), or all of it when no path can be told
/// apart (a `<` without `>`: the servers read to the end of the line).
fn path_as_written(rest: &str) -> &str {
    split_path(rest).map_or(rest.trim_start(), |(path, _)| path)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// `  (base64 of "...")`: what a base64 credential says, for lessons that show it.
fn decoded_note(b64: &str) -> String {
    match super::auth::unb64(b64) {
        Ok(raw) => {
            let shown: String =
                String::from_utf8_lossy(&raw).chars().map(|c| if c == '\0' { '␀' } else { c }).collect();
            format!("   (base64 of \"{shown}\")")
        }
        Err(_) => String::new(),
    }
}

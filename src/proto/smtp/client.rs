//! The SMTP client side as a sans-IO state machine (RFC 5321 §3, §4.5.2).
//!
//! It sends one message to one server: greeting, EHLO (falling back to
//! HELO), MAIL, one RCPT per recipient, DATA with dot-stuffing (or, when
//! asked and offered, one `BDAT n LAST` chunk), QUIT. Feed it
//! the server's bytes with [`Client::feed`]; [`Client::poll`] returns bytes to
//! write and, at the end, the [`Outcome`] for every recipient.

use super::address::Path;
use super::envelope::{MailParams, Rcpt, xtext_encode};
use super::reply::{Reply, ReplyParser};
use std::collections::VecDeque;
use std::time::Duration;

/// How long the client waits for any one reply (RFC 5321 §4.5.3.2 allows
/// 2 to 10 minutes depending on the command; 5 is a fair middle).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(300);
/// What an unsettled recipient is told when no reply came in time.
pub const TIMED_OUT: &str = "Timed out waiting for a reply";

#[derive(Clone, Debug)]
pub struct Job {
    pub helo: String,
    pub from: Path,
    /// The recipients, each with its DSN request (NOTIFY, ORCPT).
    pub rcpts: Vec<Rcpt>,
    /// The message, lines ending in CRLF, not yet dot-stuffed.
    pub data: Vec<u8>,
    /// Authenticate (RFC 4954) after EHLO.
    pub auth: Option<ClientAuth>,
    /// Use STARTTLS (RFC 3207) when the server offers it (opportunistic TLS).
    pub starttls: bool,
    /// Send the content with `BDAT n LAST` (RFC 3030) when the server
    /// offers CHUNKING; otherwise (or when not offered) with DATA.
    pub chunking: bool,
    /// The message needs SMTPUTF8 (RFC 6531: a UTF-8 address): MAIL says
    /// SMTPUTF8, and a server that does not offer it gets nothing.
    pub smtputf8: bool,
    /// The DSN parameters of MAIL (RFC 3461: RET and ENVID; a recipient's
    /// NOTIFY and ORCPT are in its [`Rcpt`]); sent only when the server
    /// offers DSN (`smtputf8` of it is not read: the field above says it).
    pub dsn: MailParams,
}

#[derive(Clone, Debug)]
pub struct ClientAuth {
    pub user: String,
    pub password: String,
    /// PLAIN, LOGIN or CRAM-MD5.
    pub mechanism: String,
}

/// What became of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RcptResult {
    /// The server took responsibility (250 after the final dot).
    Accepted(Reply),
    /// The server refused, for good (5xx) or for now (4xx).
    Refused { reply: Reply, stage: Stage },
}

impl RcptResult {
    pub fn reply(&self) -> &Reply {
        match self {
            RcptResult::Accepted(r) | RcptResult::Refused { reply: r, .. } => r,
        }
    }
}

/// Which command the reply answered, as bounces and logs say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Greeting,
    Helo,
    Auth,
    Mail,
    Rcpt,
    Data,
    EndOfData,
    Connection,
    /// The message needs SMTPUTF8 and the server does not offer it: nothing was sent.
    Smtputf8,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Greeting => "initial greeting",
            Stage::Helo => "EHLO",
            Stage::Auth => "AUTH",
            Stage::Mail => "MAIL FROM",
            Stage::Rcpt => "RCPT TO",
            Stage::Data => "DATA",
            Stage::EndOfData => "end of DATA",
            Stage::Connection => "connection",
            Stage::Smtputf8 => "EHLO",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub results: Vec<(Rcpt, RcptResult)>,
    /// The server offered DSN (RFC 3461), so NOTIFY went on with the message.
    pub dsn_offered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOutput {
    /// Write these bytes. `line` is the command for the trace (None for message content).
    Send { bytes: Vec<u8>, line: Option<String> },
    /// A reply arrived, for the trace.
    Received(Reply),
    /// All is settled; close the connection.
    Done(Outcome),
    /// The server said 220 to STARTTLS: start TLS now, then call
    /// [`Client::tls_started`].
    StartTls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Greeting,
    Ehlo,
    Helo,
    /// STARTTLS sent, waiting for 220.
    StartTls,
    /// 220 came: the handshake runs.
    Handshake,
    /// Waiting for 334 or 235; how many challenges were answered.
    Auth(u8),
    Mail,
    Rcpt(usize),
    Data,
    EndOfData,
    Quit,
    Done,
}

pub struct Client {
    job: Job,
    state: State,
    parser: ReplyParser,
    out: VecDeque<ClientOutput>,
    size_ok: bool,
    eightbit_ok: bool,
    chunking_ok: bool,
    /// The server offers DSN (RFC 3461).
    dsn_ok: bool,
    results: Vec<Option<RcptResult>>,
    /// Since when the client waits for the server (see [`Client::waiting`]).
    waiting_since: Duration,
    /// TLS is up.
    tls: bool,
}

impl Client {
    pub fn new(job: Job) -> Self {
        let n = job.rcpts.len();
        Client {
            job,
            state: State::Greeting,
            parser: ReplyParser::default(),
            out: VecDeque::new(),
            size_ok: false,
            eightbit_ok: false,
            chunking_ok: false,
            dsn_ok: false,
            results: vec![None; n],
            waiting_since: Duration::ZERO,
            tls: false,
        }
    }

    /// The TLS handshake after STARTTLS finished: say EHLO again (RFC 3207 §4.2).
    pub fn tls_started(&mut self) {
        if self.state == State::Handshake {
            self.tls = true;
            self.parser = ReplyParser::default();
            self.send_line(format!("EHLO {}", self.job.helo));
            self.state = State::Ehlo;
        }
    }

    /// The host has written everything asked of it and waits for the
    /// server's reply from `now` on (time since the connection opened).
    pub fn waiting(&mut self, now: Duration) {
        self.waiting_since = now;
    }

    /// When the client gives up waiting for a reply; `None` once done.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (self.state != State::Done).then(|| self.waiting_since.saturating_add(REPLY_TIMEOUT))
    }

    /// The time is `now`: past the deadline, every unsettled recipient
    /// fails for now (421 4.4.2) and the client is done.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.connection_lost(TIMED_OUT);
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.parser.feed(bytes);
    }

    /// The connection broke: every unsettled recipient is a temporary failure.
    pub fn connection_lost(&mut self, why: &str) {
        if self.state == State::Done {
            return;
        }
        let r = Reply::new(421, format!("4.4.2 {why}"));
        self.settle_all(&r, Stage::Connection);
        self.finish();
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub fn poll(&mut self) -> Option<ClientOutput> {
        loop {
            if let Some(o) = self.out.pop_front() {
                return Some(o);
            }
            if self.state == State::Done {
                return None;
            }
            match self.parser.next_reply() {
                Ok(Some(r)) => {
                    self.out.push_back(ClientOutput::Received(r.clone()));
                    self.on_reply(r);
                }
                Ok(None) => return None,
                Err(bad) => {
                    let r = Reply::new(421, format!("4.5.0 Malformed reply from server: {}", bad.0));
                    self.settle_all(&r, Stage::Connection);
                    self.send_line("QUIT".into());
                    self.state = State::Quit;
                }
            }
        }
    }

    fn send_line(&mut self, line: String) {
        let mut bytes = line.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.out.push_back(ClientOutput::Send { bytes, line: Some(line) });
    }

    fn settle_all(&mut self, r: &Reply, stage: Stage) {
        for slot in self.results.iter_mut().filter(|s| s.is_none()) {
            *slot = Some(RcptResult::Refused { reply: r.clone(), stage });
        }
    }

    fn finish(&mut self) {
        self.state = State::Done;
        let results = self
            .job
            .rcpts
            .iter()
            .cloned()
            .zip(self.results.iter().cloned())
            .map(|(m, r)| {
                let r = r.unwrap_or(RcptResult::Refused {
                    reply: Reply::new(451, "4.3.0 No result"),
                    stage: Stage::Connection,
                });
                (m, r)
            })
            .collect();
        self.out.push_back(ClientOutput::Done(Outcome { results, dsn_offered: self.dsn_ok }));
    }

    fn give_up(&mut self, r: &Reply, stage: Stage) {
        self.settle_all(r, stage);
        if r.code == 421 {
            // The server is closing anyway (RFC 5321 §3.8).
            self.finish();
        } else {
            self.send_line("QUIT".into());
            self.state = State::Quit;
        }
    }

    /// RFC 6531 §3.2: a message that needs SMTPUTF8 is not sent to a
    /// server without it; every recipient fails (5.6.7) and the client quits.
    fn smtputf8_missing(&mut self) {
        let r = Reply::new(553, "5.6.7 The server does not offer SMTPUTF8");
        self.settle_all(&r, Stage::Smtputf8);
        self.send_line("QUIT".into());
        self.state = State::Quit;
    }

    fn auth_or_mail(&mut self) {
        match &self.job.auth {
            Some(a) if a.mechanism == "PLAIN" => {
                let line = format!("AUTH PLAIN {}", super::auth::plain_response(&a.user, &a.password));
                self.send_line(line);
                self.state = State::Auth(2);
            }
            Some(a) => {
                let line = format!("AUTH {}", a.mechanism);
                self.send_line(line);
                self.state = State::Auth(0);
            }
            None => self.mail_cmd(),
        }
    }

    fn mail_cmd(&mut self) {
        let mut cmd = format!("MAIL FROM:{}", self.job.from);
        if self.size_ok {
            cmd.push_str(&format!(" SIZE={}", self.job.data.len()));
        }
        if self.eightbit_ok && self.job.data.iter().any(|b| *b >= 0x80) {
            cmd.push_str(" BODY=8BITMIME");
        }
        if self.job.smtputf8 {
            cmd.push_str(" SMTPUTF8");
        }
        if self.dsn_ok {
            if let Some(r) = self.job.dsn.ret {
                cmd.push_str(&format!(" RET={}", r.as_str()));
            }
            if let Some(id) = &self.job.dsn.envid {
                cmd.push_str(&format!(" ENVID={}", xtext_encode(id)));
            }
        }
        self.send_line(cmd);
        self.state = State::Mail;
    }

    fn on_reply(&mut self, r: Reply) {
        match self.state {
            State::Greeting => {
                if r.code == 220 {
                    self.send_line(format!("EHLO {}", self.job.helo));
                    self.state = State::Ehlo;
                } else {
                    self.give_up(&r, Stage::Greeting);
                }
            }
            State::Ehlo => {
                if r.code == 250 {
                    let has = |kw: &str| {
                        r.lines.iter().skip(1).any(|l| l.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case(kw)))
                    };
                    self.size_ok = has("SIZE");
                    self.eightbit_ok = has("8BITMIME");
                    self.chunking_ok = has("CHUNKING");
                    self.dsn_ok = has("DSN");
                    if self.job.smtputf8 && !has("SMTPUTF8") {
                        return self.smtputf8_missing();
                    }
                    if self.job.starttls && !self.tls && has("STARTTLS") {
                        self.send_line("STARTTLS".into());
                        self.state = State::StartTls;
                    } else {
                        self.auth_or_mail();
                    }
                } else if r.is_permanent() && r.code != 421 {
                    // An old server without ESMTP (RFC 5321 §3.2).
                    self.send_line(format!("HELO {}", self.job.helo));
                    self.state = State::Helo;
                } else {
                    self.give_up(&r, Stage::Helo);
                }
            }
            State::StartTls => {
                if r.code == 220 {
                    self.out.push_back(ClientOutput::StartTls);
                    self.state = State::Handshake;
                } else if r.code == 421 {
                    self.give_up(&r, Stage::Helo);
                } else {
                    // Opportunistic: without TLS, go on in the clear.
                    self.auth_or_mail();
                }
            }
            State::Handshake => {}
            State::Helo => {
                if r.code == 250 && self.job.smtputf8 {
                    self.smtputf8_missing();
                } else if r.code == 250 {
                    self.auth_or_mail();
                } else {
                    self.give_up(&r, Stage::Helo);
                }
            }
            State::Auth(n) => match (r.code, &self.job.auth) {
                (235, _) => self.mail_cmd(),
                (334, Some(a)) if n < 2 => {
                    use super::auth::{b64, cram_response, unb64};
                    let challenge = unb64(r.lines.first().map(String::as_str).unwrap_or("")).unwrap_or_default();
                    let answer = match a.mechanism.as_str() {
                        "CRAM-MD5" => cram_response(&a.user, &a.password, &String::from_utf8_lossy(&challenge)),
                        "LOGIN" if n == 0 => b64(a.user.as_bytes()),
                        "LOGIN" => b64(a.password.as_bytes()),
                        _ => super::auth::plain_response(&a.user, &a.password),
                    };
                    self.send_line(answer);
                    self.state = State::Auth(n + 1);
                }
                _ => self.give_up(&r, Stage::Auth),
            },
            State::Mail => {
                if r.is_positive() {
                    self.next_rcpt(0);
                } else {
                    self.give_up(&r, Stage::Mail);
                }
            }
            State::Rcpt(i) => {
                if !r.is_positive() {
                    if r.code == 421 {
                        return self.give_up(&r, Stage::Rcpt);
                    }
                    if let Some(slot) = self.results.get_mut(i) {
                        *slot = Some(RcptResult::Refused { reply: r, stage: Stage::Rcpt });
                    }
                }
                self.next_rcpt(i + 1);
            }
            State::Data => {
                if r.code == 354 {
                    let mut bytes = stuff(&self.job.data);
                    bytes.extend_from_slice(b".\r\n");
                    self.out.push_back(ClientOutput::Send { bytes, line: None });
                    self.state = State::EndOfData;
                } else {
                    self.give_up(&r, Stage::Data);
                }
            }
            State::EndOfData => {
                if r.code == 250 {
                    for slot in self.results.iter_mut().filter(|s| s.is_none()) {
                        *slot = Some(RcptResult::Accepted(r.clone()));
                    }
                    self.send_line("QUIT".into());
                    self.state = State::Quit;
                } else {
                    self.give_up(&r, Stage::EndOfData);
                }
            }
            State::Quit => self.finish(),
            State::Done => {}
        }
    }

    fn next_rcpt(&mut self, i: usize) {
        if let Some(m) = self.job.rcpts.get(i) {
            let mut line = format!("RCPT TO:<{}>", m.addr);
            if self.dsn_ok {
                let p = &m.dsn;
                if let Some(n) = p.notify {
                    line.push_str(&format!(" NOTIFY={}", n.value()));
                }
                if let Some((t, a)) = &p.orcpt {
                    line.push_str(&format!(" ORCPT={t};{}", xtext_encode(a)));
                }
            }
            self.send_line(line);
            self.state = State::Rcpt(i);
        } else if self.results.iter().all(|r| r.is_some()) {
            // Every recipient was refused: no DATA (RFC 5321 §3.3).
            self.send_line("QUIT".into());
            self.state = State::Quit;
        } else if self.job.chunking && self.chunking_ok {
            // The whole content as one last chunk: exact octets, no dot-stuffing.
            let mut content = self.job.data.clone();
            if !content.is_empty() && !content.ends_with(b"\r\n") {
                content.extend_from_slice(b"\r\n");
            }
            let line = format!("BDAT {} LAST", content.len());
            let mut bytes = format!("{line}\r\n").into_bytes();
            bytes.extend_from_slice(&content);
            self.out.push_back(ClientOutput::Send { bytes, line: Some(line) });
            self.state = State::EndOfData;
        } else {
            self.send_line("DATA".into());
            self.state = State::Data;
        }
    }
}

/// Dot-stuffing (RFC 5321 §4.5.2); also makes sure the data ends in CRLF.
pub fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut at_line_start = true;
    for &b in data {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

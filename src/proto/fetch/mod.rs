//! The client side of reading a mailbox, as a sans-IO state machine: what a
//! MUA's "get mail" button does over POP3 (RFC 1939, USER/PASS or APOP) or
//! IMAP (RFC 3501, LOGIN, SELECT, FETCH with literals).
//!
//! [`Client::feed`] takes the server's bytes and the time they arrived;
//! [`Client::poll`] hands back one [`Output`] at a time: bytes to write, a
//! message brought home, and at the end the result (then close the
//! connection). The client owns its timer: [`Client::poll_timeout`] says
//! when it gives up waiting for the server, [`Client::handle_timeout`] is
//! called when that time has come. Time is a [`Duration`] since the
//! connection opened, passed in; the core never reads a clock.
//!
//! Memory stays bounded whatever the server sends: lines are cut at
//! [`Limits::max_line`], a message (POP3 RETR or an IMAP literal) at
//! [`Limits::max_message`], everything brought home at
//! [`Limits::max_total`] octets and [`Limits::max_messages`] messages. Going
//! over a limit ends the session with an error that says which limit.
//!
//! With [`Job::starttls`] the client upgrades the connection to TLS inside
//! the session ([`StartTls`]): it hands out [`Output::StartTls`], the host
//! runs the handshake and calls [`Client::tls_started`], and the script
//! goes on (anything the server sent in the clear after its yes is dropped).
//!
//! The scripts themselves are in [`pop3`] and [`imap`]; this file holds what
//! they share: the job, the outputs, the input buffer and the timer.

mod imap;
mod pop3;
#[cfg(test)]
mod tests;

pub use imap::{literal_len, quote};

use std::collections::VecDeque;
use std::time::Duration;

/// Which protocol reads the mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Pop3,
    Imap,
}

/// Bounds on what the client accepts from a server, and how long it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest line from the server (an IMAP response line with the text
    /// around its literals counted together), CRLF not counted.
    pub max_line: usize,
    /// Largest message: a POP3 RETR body, or the literals of one IMAP response.
    pub max_message: usize,
    /// Octets of all messages of one session together.
    pub max_total: usize,
    /// Messages one session brings home.
    pub max_messages: usize,
    /// How long the client waits for the server before giving up.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_message: 64 * 1024 * 1024,
            max_total: 256 * 1024 * 1024,
            max_messages: 100_000,
            timeout: Duration::from_secs(60),
        }
    }
}

/// One "get mail": who logs in, and what to do with the messages.
#[derive(Clone, Debug)]
pub struct Job {
    pub protocol: Protocol,
    pub user: String,
    pub password: String,
    /// POP3: log in with APOP (needs a timestamp in the greeting) instead of USER/PASS.
    pub apop: bool,
    /// POP3: delete each message after downloading it (IMAP leaves them on the server).
    pub delete: bool,
    /// Whether to start TLS with STLS / STARTTLS.
    pub starttls: StartTls,
    pub limits: Limits,
}

/// When the client starts TLS inside the session: POP3 `STLS` (RFC 2595
/// §4), IMAP `STARTTLS` (RFC 3501 §6.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartTls {
    /// Never (a server without TLS, or TLS from the first byte on 995/993).
    #[default]
    Never,
    /// When the server offers it (opportunistic, as most mail clients do);
    /// otherwise the session goes on in the clear.
    IfOffered,
    /// Always: a server that does not offer it is left before any password is sent.
    Required,
}

/// Everything the host must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Write `bytes`; `line` is the command without its CRLF.
    Send { bytes: Vec<u8>, line: String },
    /// A message brought home (kept by the MUA only if the session succeeds).
    Message(String),
    /// The session is over: close the connection. `Ok` holds a note on what
    /// was done for the trace, `Err` why it failed.
    Done(Result<String, String>),
    /// The server said yes to STLS/STARTTLS: run the TLS handshake, then
    /// call [`Client::tls_started`].
    StartTls,
}

/// What the timer reports.
pub const TIMED_OUT: &str = "timed out waiting for the server";

/// The result of trying to read something from the input.
enum Read<T> {
    Ready(T),
    /// Not yet: more bytes must come.
    Pending,
    /// It will never come (the connection is gone or the stream is broken).
    Failed(String),
}

/// Received bytes not yet used, and whether more can come.
struct Input {
    buf: Vec<u8>,
    /// Why no more bytes will be used: the connection closed, or the stream
    /// went over a limit and can no longer be read in step.
    gone: Option<String>,
    max_line: usize,
}

impl Input {
    /// The next line, CRLF (or bare LF) removed, invalid UTF-8 replaced.
    fn line(&mut self) -> Read<String> {
        match self.buf.iter().position(|b| *b == b'\n') {
            Some(p) if p <= self.max_line + 1 => {
                let l = self.take_line(p);
                if l.len() > self.max_line {
                    return Read::Failed(self.broken(self.too_long()));
                }
                Read::Ready(String::from_utf8_lossy(&l).into_owned())
            }
            Some(_) => Read::Failed(self.broken(self.too_long())),
            // One octet of slack for the CR of a line that is just at the limit.
            None if self.buf.len() > self.max_line + 1 => Read::Failed(self.broken(self.too_long())),
            None => self.pending(),
        }
    }

    /// In a message body, where a line may be longer than `max_line` (SMTP
    /// servers keep such lines, as Postfix and sendmail do): the next line
    /// as [`Input::line`] gives it, with `true`; or, once a line without
    /// its end has run past `max_line`, the part that has come, with
    /// `false`, cut before a CR (it may begin the CRLF) and between UTF-8
    /// characters. The message's own size limit still holds.
    fn body_piece(&mut self) -> Read<(String, bool)> {
        if let Some(p) = self.buf.iter().position(|b| *b == b'\n') {
            let l = self.take_line(p);
            return Read::Ready((String::from_utf8_lossy(&l).into_owned(), true));
        }
        if self.buf.len() <= self.max_line + 1 {
            return self.pending();
        }
        let mut k = self.buf.len();
        if self.buf.last() == Some(&b'\r') {
            k -= 1;
        }
        let k = char_cut(&self.buf[..k]);
        if k == 0 {
            return self.pending();
        }
        let piece: Vec<u8> = self.buf.drain(..k).collect();
        Read::Ready((String::from_utf8_lossy(&piece).into_owned(), false))
    }

    /// The buffered line whose LF is at `p`, taken out without its CRLF (or LF).
    fn take_line(&mut self, p: usize) -> Vec<u8> {
        let mut l: Vec<u8> = self.buf.drain(..=p).collect();
        l.pop();
        if l.last() == Some(&b'\r') {
            l.pop();
        }
        l
    }

    /// Up to `n` octets, at least one.
    fn some_bytes(&mut self, n: usize) -> Read<Vec<u8>> {
        if self.buf.is_empty() {
            return self.pending();
        }
        let k = n.min(self.buf.len());
        Read::Ready(self.buf.drain(..k).collect())
    }

    fn pending<T>(&self) -> Read<T> {
        match &self.gone {
            Some(why) => Read::Failed(why.clone()),
            None => Read::Pending,
        }
    }

    fn too_long(&self) -> String {
        format!("a line from the server is longer than {} octets", self.max_line)
    }

    /// The stream can no longer be followed: drop what is buffered, ignore
    /// what comes, fail every later read with `why`.
    fn broken(&mut self, why: String) -> String {
        self.buf = Vec::new();
        self.gone = Some(why.clone());
        why
    }
}

/// Where `b` can be cut without splitting a UTF-8 character at its end:
/// before a last character whose octets have not all come.
fn char_cut(b: &[u8]) -> usize {
    let n = b.len();
    for back in 1..=n.min(4) {
        let i = n - back;
        let c = b[i];
        if c & 0xC0 != 0x80 {
            let need = match c {
                0xF0..=0xF7 => 4,
                0xE0..=0xEF => 3,
                0xC0..=0xDF => 2,
                _ => 1,
            };
            return if back < need { i } else { n };
        }
    }
    n
}

/// What the protocol scripts write to.
struct Io {
    input: Input,
    out: VecDeque<Output>,
    limits: Limits,
    messages: usize,
    octets: usize,
    done: bool,
}

impl Io {
    fn send(&mut self, line: String) {
        let mut bytes = line.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.out.push_back(Output::Send { bytes, line });
    }

    fn finish(&mut self, r: Result<String, String>) {
        if !self.done {
            self.done = true;
            self.out.push_back(Output::Done(r));
        }
    }

    /// Would a message of `size` octets still be within the per-message limit?
    fn check_size(&self, size: usize) -> Result<(), String> {
        if size > self.limits.max_message {
            return Err(format!("a message from the server is larger than {} octets", self.limits.max_message));
        }
        Ok(())
    }

    /// Hand a message to the host, within the session's limits.
    fn message(&mut self, m: String) -> Result<(), String> {
        if self.messages >= self.limits.max_messages {
            return Err(format!("the server offers more than {} messages", self.limits.max_messages));
        }
        let total = self.octets.saturating_add(m.len());
        if total > self.limits.max_total {
            return Err(format!("the messages from the server add up to more than {} octets", self.limits.max_total));
        }
        self.messages += 1;
        self.octets = total;
        self.out.push_back(Output::Message(m));
        Ok(())
    }
}

enum Script {
    Pop3(pop3::Pop3),
    Imap(imap::Imap),
}

pub struct Client {
    io: Io,
    script: Script,
    /// When the server last sent something (or the timer last fired).
    last: Duration,
}

impl Client {
    /// A client for `job` on a connection opened at `now`.
    pub fn new(job: Job, now: Duration) -> Self {
        let limits = job.limits;
        let script = match job.protocol {
            Protocol::Pop3 => Script::Pop3(pop3::Pop3::new(job)),
            Protocol::Imap => Script::Imap(imap::Imap::new(job)),
        };
        Client {
            io: Io {
                input: Input { buf: Vec::new(), gone: None, max_line: limits.max_line },
                out: VecDeque::new(),
                limits,
                messages: 0,
                octets: 0,
                done: false,
            },
            script,
            last: now,
        }
    }

    /// Bytes from the server, received at `now`.
    pub fn feed(&mut self, now: Duration, bytes: &[u8]) {
        if self.io.done || self.io.input.gone.is_some() {
            return;
        }
        self.last = now;
        self.io.input.buf.extend_from_slice(bytes);
    }

    /// The TLS handshake asked for by [`Output::StartTls`] is done: the
    /// script asks for the capabilities again and logs in.
    pub fn tls_started(&mut self) {
        if self.io.done {
            return;
        }
        match &mut self.script {
            Script::Pop3(s) => s.tls_started(&mut self.io),
            Script::Imap(s) => s.tls_started(&mut self.io),
        }
    }

    /// No more bytes will come: the server closed the connection, or reading failed.
    pub fn connection_lost(&mut self, why: &str) {
        if self.io.input.gone.is_none() {
            self.io.input.gone = Some(why.to_string());
        }
    }

    /// Writing the last [`Output::Send`] failed.
    pub fn send_failed(&mut self, why: &str) {
        if self.io.done {
            return;
        }
        match &mut self.script {
            Script::Pop3(s) => s.send_failed(&mut self.io, why.to_string()),
            Script::Imap(s) => s.fail(&mut self.io, why.to_string()),
        }
    }

    /// When the client gives up waiting, unless the server sends something
    /// first; `None` once the session is over.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (!self.io.done).then(|| self.last.saturating_add(self.io.limits.timeout))
    }

    /// The time is `now`: if the deadline has passed, the wait in progress fails.
    pub fn handle_timeout(&mut self, now: Duration) {
        match self.poll_timeout() {
            Some(deadline) if now >= deadline => {
                self.last = now;
                match &mut self.script {
                    Script::Pop3(s) => s.fail(&mut self.io, TIMED_OUT.to_string()),
                    Script::Imap(s) => s.fail(&mut self.io, TIMED_OUT.to_string()),
                }
            }
            _ => {}
        }
    }

    pub fn is_done(&self) -> bool {
        self.io.done
    }

    /// The next thing to do. Input is worked through only when everything
    /// before it has been taken, so a failed write ([`Client::send_failed`])
    /// is reported at the point of the script where the command was sent.
    pub fn poll(&mut self) -> Option<Output> {
        loop {
            if let Some(o) = self.io.out.pop_front() {
                return Some(o);
            }
            if self.io.done {
                return None;
            }
            let progressed = match &mut self.script {
                Script::Pop3(s) => s.step(&mut self.io),
                Script::Imap(s) => s.step(&mut self.io),
            };
            if !progressed {
                return None;
            }
        }
    }
}

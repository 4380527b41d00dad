//! The IMAP script (RFC 3501): greeting, LOGIN, SELECT INBOX, and if the
//! mailbox is not empty FETCH of the flags (to count the unread messages)
//! and of every body (which sets `\Seen` on the server), LOGOUT. The
//! messages stay on the server.
//!
//! Responses are read as lines; a line ending in `{n}` announces a literal
//! of n octets, after which the same response goes on with another line.
//! A refused login is answered with LOGOUT; the LOGOUT at the end may fail
//! without spoiling what was read.
//!
//! When the job asks for STARTTLS (RFC 3501 §6.2.1) the client reads the
//! capabilities from the greeting (or asks CAPABILITY), sends STARTTLS if
//! they list it and, after the OK, hands out [`super::Output::StartTls`];
//! once TLS is up it asks CAPABILITY again and logs in. It never sends
//! LOGIN to a server that says `LOGINDISABLED` (§6.2.3), and when TLS is
//! required it leaves a server without STARTTLS with LOGOUT.

use super::{Io, Job, Read, StartTls};

/// Which command the tagged completion answers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cmd {
    Capability,
    StartTls,
    Login,
    Select,
    Flags,
    Bodies,
    Logout,
    /// LOGOUT after a refused login (the error to report kept).
    LoginLogout(String),
}

impl Cmd {
    fn tag(&self) -> &'static str {
        match self {
            Cmd::Capability => "c1",
            Cmd::StartTls => "s1",
            Cmd::Login => "a1",
            Cmd::Select => "a2",
            Cmd::Flags => "a3",
            Cmd::Bodies => "a4",
            Cmd::Logout => "a5",
            Cmd::LoginLogout(_) => "a9",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Greeting,
    Command(Cmd),
    /// STARTTLS answered OK: nothing is read until TLS is up.
    TlsWait,
    Done,
}

/// An untagged response being read: its lines joined, its literals joined.
struct Resp {
    line: String,
    literal: Vec<u8>,
    /// Octets of the current literal still to come.
    remaining: usize,
}

pub(super) struct Imap {
    job: Job,
    state: State,
    resp: Option<Resp>,
    /// From `* n EXISTS` in the answer to SELECT.
    exists: Option<usize>,
    unseen: usize,
    messages: usize,
    /// The server's capabilities, upper case (from the greeting or CAPABILITY).
    caps: Vec<String>,
    /// TLS is up.
    tls: bool,
}

/// The length of the literal a response line announces at its end: `{n}`
/// (or `{n+}`).
pub fn literal_len(line: &str) -> Option<usize> {
    let body = line.strip_suffix('}')?;
    let open = body.rfind('{')?;
    body.get(open + 1..)?.trim_end_matches('+').parse().ok()
}

/// An IMAP quoted string (RFC 3501 §4.3).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The capability list of a greeting `* OK [CAPABILITY ...] text`.
fn greeting_caps(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("* OK [CAPABILITY ")?;
    rest.get(..rest.find(']')?)
}

fn exists(line: &str) -> Option<usize> {
    line.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok()
}

impl Imap {
    pub(super) fn new(job: Job) -> Self {
        Imap {
            job,
            state: State::Greeting,
            resp: None,
            exists: None,
            unseen: 0,
            messages: 0,
            caps: Vec::new(),
            tls: false,
        }
    }

    /// The TLS handshake after STARTTLS is done: forget the capabilities
    /// (they came over an unprotected channel) and ask again.
    pub(super) fn tls_started(&mut self, io: &mut Io) {
        if self.state != State::TlsWait {
            return;
        }
        // Anything the server sent in the clear behind its OK is not trusted.
        io.input.buf.clear();
        self.tls = true;
        self.caps.clear();
        self.command(io, Cmd::Capability, "CAPABILITY");
    }

    fn has(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c == cap)
    }

    fn set_caps(&mut self, list: &str) {
        self.caps = list.split_ascii_whitespace().map(str::to_ascii_uppercase).collect();
    }

    /// The capabilities are known: STARTTLS if wanted and offered, else log in.
    fn after_caps(&mut self, io: &mut Io) {
        if !self.tls && self.job.starttls != StartTls::Never {
            if self.has("STARTTLS") {
                return self.command(io, Cmd::StartTls, "STARTTLS");
            }
            if self.job.starttls == StartTls::Required {
                let e = "no TLS: the server does not offer STARTTLS".to_string();
                return self.command(io, Cmd::LoginLogout(e), "LOGOUT");
            }
        }
        if self.has("LOGINDISABLED") {
            let e = "the server refuses LOGIN here (LOGINDISABLED)".to_string();
            return self.command(io, Cmd::LoginLogout(e), "LOGOUT");
        }
        self.login(io);
    }

    fn login(&mut self, io: &mut Io) {
        let login = format!("LOGIN {} {}", quote(&self.job.user), quote(&self.job.password));
        self.command(io, Cmd::Login, &login);
    }

    fn command(&mut self, io: &mut Io, cmd: Cmd, text: &str) {
        io.send(format!("{} {text}", cmd.tag()));
        self.resp = None;
        self.state = State::Command(cmd);
    }

    fn finish(&mut self, io: &mut Io, r: Result<String, String>) {
        self.state = State::Done;
        self.resp = None;
        io.finish(r);
    }

    fn note(&self) -> String {
        format!(
            "{} message(s) on the server, {} of them unread before this session; all stay on the server",
            self.messages, self.unseen
        )
    }

    /// Work through one line or piece of a literal; false if it has not come yet.
    pub(super) fn step(&mut self, io: &mut Io) -> bool {
        match &self.state {
            State::Done | State::TlsWait => false,
            State::Greeting => match io.input.line() {
                Read::Ready(l) if l.starts_with("* OK") => {
                    if self.job.starttls == StartTls::Never {
                        self.login(io);
                    } else if let Some(list) = greeting_caps(&l) {
                        self.set_caps(list);
                        self.after_caps(io);
                    } else {
                        self.command(io, Cmd::Capability, "CAPABILITY");
                    }
                    true
                }
                Read::Ready(l) => {
                    self.finish(io, Err(format!("unexpected greeting: {l}")));
                    true
                }
                Read::Failed(e) => {
                    self.fail(io, e);
                    true
                }
                Read::Pending => false,
            },
            State::Command(_) => self.response(io),
        }
    }

    fn response(&mut self, io: &mut Io) -> bool {
        if let Some(r) = self.resp.as_mut().filter(|r| r.remaining > 0) {
            match io.input.some_bytes(r.remaining) {
                Read::Ready(b) => {
                    r.remaining -= b.len();
                    r.literal.extend_from_slice(&b);
                }
                Read::Failed(e) => self.fail(io, e),
                Read::Pending => return false,
            }
            return true;
        }
        let l = match io.input.line() {
            Read::Ready(l) => l,
            Read::Failed(e) => {
                self.fail(io, e);
                return true;
            }
            Read::Pending => return false,
        };
        let resp = match self.resp.take() {
            // The line after a literal goes on with the same response.
            Some(mut r) => {
                r.line.push_str(&l);
                r
            }
            None => {
                let State::Command(cmd) = &self.state else { return true };
                if let Some(rest) = l.strip_prefix(cmd.tag()).and_then(|r| r.strip_prefix(' ')) {
                    let rest = rest.to_string();
                    self.completed(io, rest);
                    return true;
                }
                Resp { line: l, literal: Vec::new(), remaining: 0 }
            }
        };
        if resp.line.len() > io.limits.max_line {
            let e = io.input.broken(format!("a response from the server is longer than {} octets", io.limits.max_line));
            self.fail(io, e);
            return true;
        }
        match literal_len(&resp.line) {
            Some(n) => {
                if let Err(e) = io.check_size(resp.literal.len().saturating_add(n)) {
                    let e = io.input.broken(e);
                    self.fail(io, e);
                    return true;
                }
                self.resp = Some(Resp { remaining: n, ..resp });
            }
            None => self.untagged(io, resp),
        }
        true
    }

    /// A whole untagged response.
    fn untagged(&mut self, io: &mut Io, r: Resp) {
        match &self.state {
            State::Command(Cmd::Capability) => {
                if let Some(list) = r.line.strip_prefix("* CAPABILITY ") {
                    self.set_caps(list);
                }
            }
            State::Command(Cmd::Select) if self.exists.is_none() => self.exists = exists(&r.line),
            State::Command(Cmd::Flags) if r.line.contains("FETCH") && !r.line.contains("\\Seen") => self.unseen += 1,
            State::Command(Cmd::Bodies) if !r.literal.is_empty() => {
                match io.message(String::from_utf8_lossy(&r.literal).into_owned()) {
                    Ok(()) => self.messages += 1,
                    Err(e) => self.finish(io, Err(e)),
                }
            }
            _ => {}
        }
    }

    /// The tagged completion of the command in progress; `rest` is what follows the tag.
    fn completed(&mut self, io: &mut Io, rest: String) {
        let State::Command(cmd) = std::mem::replace(&mut self.state, State::Done) else { return };
        match cmd {
            Cmd::Capability if self.tls => self.login(io),
            Cmd::Capability => self.after_caps(io),
            Cmd::StartTls if rest.starts_with("OK") => {
                io.out.push_back(super::Output::StartTls);
                self.state = State::TlsWait;
            }
            Cmd::StartTls if self.job.starttls == StartTls::Required => {
                self.command(io, Cmd::LoginLogout(format!("no TLS: STARTTLS refused: {rest}")), "LOGOUT");
            }
            // Opportunistic: go on in the clear.
            Cmd::StartTls => {
                self.caps.retain(|c| c != "STARTTLS");
                self.tls = false;
                if self.has("LOGINDISABLED") {
                    let e = "the server refuses LOGIN here (LOGINDISABLED)".to_string();
                    return self.command(io, Cmd::LoginLogout(e), "LOGOUT");
                }
                self.login(io);
            }
            Cmd::Login if rest.starts_with("OK") => self.command(io, Cmd::Select, "SELECT INBOX"),
            Cmd::Login => self.command(io, Cmd::LoginLogout(format!("login refused: {rest}")), "LOGOUT"),
            Cmd::Select if !rest.starts_with("OK") => self.finish(io, Err(format!("SELECT failed: {rest}"))),
            Cmd::Select if self.exists.unwrap_or(0) > 0 => self.command(io, Cmd::Flags, "FETCH 1:* (UID FLAGS)"),
            Cmd::Select => self.command(io, Cmd::Logout, "LOGOUT"),
            // Reading the bodies sets \Seen on the server, for every device to see.
            Cmd::Flags => self.command(io, Cmd::Bodies, "FETCH 1:* BODY[]"),
            Cmd::Bodies => self.command(io, Cmd::Logout, "LOGOUT"),
            Cmd::Logout => {
                let note = self.note();
                self.finish(io, Ok(note));
            }
            Cmd::LoginLogout(e) => self.finish(io, Err(e)),
        }
    }

    /// The wait in progress (or the write before it) failed.
    pub(super) fn fail(&mut self, io: &mut Io, why: String) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Done => {}
            // What was read stands; only the goodbye went wrong.
            State::Command(Cmd::Logout) => {
                let note = self.note();
                self.finish(io, Ok(note));
            }
            State::Command(Cmd::LoginLogout(e)) => self.finish(io, Err(e)),
            _ => self.finish(io, Err(why)),
        }
    }
}

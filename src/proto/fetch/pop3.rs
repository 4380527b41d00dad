//! The POP3 script (RFC 1939): greeting, USER/PASS or APOP, STAT, UIDL,
//! then RETR (and DELE if asked) for every message, QUIT.
//!
//! When the job asks for STLS (RFC 2595 §4), CAPA comes first; if the
//! server lists `STLS` the client sends it and, after `+OK`, hands out
//! [`super::Output::StartTls`]; once TLS is up it asks CAPA again (the old
//! answer came over an unprotected channel) and logs in. A server that does
//! not offer STLS is read in the clear, or, when TLS is required, left with
//! QUIT before any password is sent.
//!
//! A refused login is answered with QUIT (its reply awaited, whatever it
//! is); any other failure ends the session at once. The messages count only
//! if QUIT is acknowledged: until then the server has deleted nothing.

use super::{Io, Job, Read, StartTls};
use crate::proto::pop3::apop_digest;

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Greeting,
    /// CAPA sent (`list` once its +OK came; `stls` if STLS was listed).
    Capa {
        list: bool,
        stls: bool,
    },
    /// STLS sent.
    Stls,
    /// STLS answered +OK: nothing is read until TLS is up.
    TlsWait,
    /// No TLS where it was required: QUIT sent, its reply awaited.
    NoTlsQuit(String),
    /// USER sent.
    User,
    /// PASS or APOP sent.
    Login,
    /// Login refused (the reason kept); QUIT sent, its reply awaited.
    LoginQuit(String),
    Stat,
    /// A multi-line answer: to UIDL, or to RETR of the next message.
    /// `body` once the +OK status line was read.
    Uidl {
        body: bool,
    },
    Retr {
        body: bool,
    },
    Dele,
    Quit,
    Done,
}

pub(super) struct Pop3 {
    job: Job,
    state: State,
    /// Messages in the maildrop, from STAT.
    count: usize,
    /// Messages downloaded so far.
    got: usize,
    /// The message being downloaded, lines unstuffed and ended by CRLF.
    message: String,
    /// The greeting (its APOP timestamp is used after CAPA and STLS).
    greeting: String,
    /// TLS is up.
    tls: bool,
    /// The start of a long line of the message is in `message`, its rest to come.
    mid_line: bool,
}

fn ok(line: &str) -> bool {
    line.starts_with("+OK")
}

/// The `<...>` timestamp of an APOP greeting (RFC 1939 §7).
fn timestamp(greeting: &str) -> Option<&str> {
    let a = greeting.find('<')?;
    let b = greeting.get(a..)?.find('>')?;
    greeting.get(a..=a + b)
}

impl Pop3 {
    pub(super) fn new(job: Job) -> Self {
        Pop3 {
            job,
            state: State::Greeting,
            count: 0,
            got: 0,
            message: String::new(),
            greeting: String::new(),
            tls: false,
            mid_line: false,
        }
    }

    /// The TLS handshake after STLS is done: forget what came before it and
    /// ask CAPA again.
    pub(super) fn tls_started(&mut self, io: &mut Io) {
        if self.state != State::TlsWait {
            return;
        }
        // Anything the server sent in the clear behind its +OK is not trusted.
        io.input.buf.clear();
        self.tls = true;
        io.send("CAPA".into());
        self.state = State::Capa { list: false, stls: false };
    }

    /// Log in: APOP with the greeting's timestamp, or USER.
    fn login(&mut self, io: &mut Io) {
        if self.job.apop {
            let Some(ts) = timestamp(&self.greeting).map(str::to_string) else {
                io.send("QUIT".into());
                return self.finish(io, Err("the server offers no APOP timestamp".into()));
            };
            io.send(format!("APOP {} {}", self.job.user, apop_digest(&ts, &self.job.password)));
            self.state = State::Login;
        } else {
            io.send(format!("USER {}", self.job.user));
            self.state = State::User;
        }
    }

    /// TLS cannot start: go on in the clear, or leave if it was required.
    fn no_tls(&mut self, io: &mut Io, why: String) {
        if self.job.starttls == StartTls::Required {
            io.send("QUIT".into());
            self.state = State::NoTlsQuit(why);
        } else {
            self.login(io);
        }
    }

    /// Work through one line of input; false if it has not come yet.
    pub(super) fn step(&mut self, io: &mut Io) -> bool {
        if matches!(self.state, State::Done | State::TlsWait) {
            return false;
        }
        // A message's lines may be longer than any other line (see `Input::body_piece`).
        if matches!(self.state, State::Retr { body: true }) {
            match io.input.body_piece() {
                Read::Ready((l, true)) => self.line(io, l),
                Read::Ready((part, false)) => self.part_of_line(io, &part),
                Read::Failed(e) => self.fail(io, e),
                Read::Pending => return false,
            }
            return true;
        }
        match io.input.line() {
            Read::Ready(l) => self.line(io, l),
            Read::Failed(e) => self.fail(io, e),
            Read::Pending => return false,
        }
        true
    }

    /// The start, or a further part, of a long line of the message being
    /// downloaded: content, to be ended by the line's rest.
    fn part_of_line(&mut self, io: &mut Io, part: &str) {
        let text = if self.mid_line { part } else { part.strip_prefix('.').unwrap_or(part) };
        if let Err(e) = io.check_size(self.message.len().saturating_add(text.len())) {
            return self.finish(io, Err(e));
        }
        self.message.push_str(text);
        self.mid_line = true;
    }

    fn finish(&mut self, io: &mut Io, r: Result<String, String>) {
        self.state = State::Done;
        self.message = String::new();
        io.finish(r);
    }

    fn login_refused(&mut self, io: &mut Io, why: String) {
        io.send("QUIT".into());
        self.state = State::LoginQuit(why);
    }

    fn next_retr(&mut self, io: &mut Io) {
        if self.got < self.count {
            io.send(format!("RETR {}", self.got + 1));
            self.state = State::Retr { body: false };
        } else {
            io.send("QUIT".into());
            self.state = State::Quit;
        }
    }

    fn line(&mut self, io: &mut Io, l: String) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Greeting if ok(&l) => {
                self.greeting = l;
                if self.job.starttls == StartTls::Never {
                    return self.login(io);
                }
                io.send("CAPA".into());
                self.state = State::Capa { list: false, stls: false };
            }
            State::Capa { list: false, .. } if ok(&l) => self.state = State::Capa { list: true, stls: false },
            State::Capa { list: false, .. } if self.tls => self.login(io),
            State::Capa { list: false, .. } => self.no_tls(io, format!("the server answers CAPA with: {l}")),
            State::Capa { list: true, .. } if self.tls && l == "." => self.login(io),
            State::Capa { list: true, stls: true } if l == "." => {
                io.send("STLS".into());
                self.state = State::Stls;
            }
            State::Capa { list: true, stls: false } if l == "." => {
                self.no_tls(io, "the server does not offer STLS".into());
            }
            State::Capa { list: true, stls } => {
                let stls = stls || l.trim().eq_ignore_ascii_case("STLS");
                self.state = State::Capa { list: true, stls };
            }
            State::Stls if ok(&l) => {
                io.out.push_back(super::Output::StartTls);
                self.state = State::TlsWait;
            }
            State::Stls => self.no_tls(io, format!("STLS refused: {l}")),
            State::NoTlsQuit(why) => self.finish(io, Err(format!("no TLS: {why}"))),
            State::User if ok(&l) => {
                io.send(format!("PASS {}", self.job.password));
                self.state = State::Login;
            }
            State::User | State::Login if !ok(&l) => self.login_refused(io, l),
            State::Login => {
                io.send("STAT".into());
                self.state = State::Stat;
            }
            State::LoginQuit(why) => self.finish(io, Err(format!("login refused: {why}"))),
            State::Stat if ok(&l) => {
                self.count = l.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
                io.send("UIDL".into());
                self.state = State::Uidl { body: false };
            }
            State::Uidl { body: false } if ok(&l) => self.state = State::Uidl { body: true },
            State::Uidl { body: true } if l == "." => self.next_retr(io),
            // The unique ids are not kept: every message is downloaded.
            State::Uidl { body: true } => self.state = State::Uidl { body: true },
            State::Retr { body: false } if ok(&l) => self.state = State::Retr { body: true },
            State::Retr { body: true } if l == "." && !self.mid_line => {
                self.got += 1;
                let mut m = std::mem::take(&mut self.message);
                if m.is_empty() {
                    // As a MUA stores it: every message ends in CRLF.
                    m.push_str("\r\n");
                }
                if let Err(e) = io.message(m) {
                    return self.finish(io, Err(e));
                }
                if self.job.delete {
                    io.send(format!("DELE {}", self.got));
                    self.state = State::Dele;
                } else {
                    self.next_retr(io);
                }
            }
            State::Retr { body: true } => {
                let mid = std::mem::take(&mut self.mid_line);
                let text = if mid { &l } else { l.strip_prefix('.').unwrap_or(&l) };
                if let Err(e) = io.check_size(self.message.len().saturating_add(text.len() + 2)) {
                    return self.finish(io, Err(e));
                }
                self.message.push_str(text);
                self.message.push_str("\r\n");
                self.state = State::Retr { body: true };
            }
            State::Dele if ok(&l) => self.next_retr(io),
            State::Quit if ok(&l) => {
                let kept = if self.job.delete { "deleted on the server" } else { "left on the server" };
                self.finish(io, Ok(format!("downloaded {} message(s), {kept}", self.got)));
            }
            State::Done => {}
            // An -ERR (or anything else) where +OK was due.
            _ => self.finish(io, Err(l)),
        }
    }

    /// The wait in progress failed: the connection is gone, the server took
    /// too long, or its input broke a limit.
    pub(super) fn fail(&mut self, io: &mut Io, why: String) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::User | State::Login => self.login_refused(io, why),
            State::LoginQuit(refused) => self.finish(io, Err(format!("login refused: {refused}"))),
            State::NoTlsQuit(no) => self.finish(io, Err(format!("no TLS: {no}"))),
            State::Done => {}
            _ => self.finish(io, Err(why)),
        }
    }

    /// Writing the last command failed. After a refused login the QUIT is a
    /// courtesy, and its reply is awaited all the same.
    pub(super) fn send_failed(&mut self, io: &mut Io, why: String) {
        match self.state {
            State::LoginQuit(_) | State::NoTlsQuit(_) | State::Done => {}
            _ => self.finish(io, Err(why)),
        }
    }
}

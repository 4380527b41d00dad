//! The one session driver: runs a protocol core over a connection, server
//! side or client side.
//!
//! A core (one of `proto/`, behind a small adapter in the host that owns
//! it) is asked what to do with [`Core::poll`]: bytes to write and the lines
//! they stand for in the trace, a line to trace, the order to close, or an
//! action only its host knows how to carry out. When it has nothing more to
//! say, the driver tells it that it now waits ([`Core::waiting`]), asks for
//! its deadline ([`Core::poll_timeout`]) and reads until bytes come
//! ([`Core::feed`]), the deadline passes ([`Core::handle_timeout`]), the
//! connection goes ([`Core::peer_closed`]), or the host's signal fires
//! ([`Core::signalled`]). Every timeout is the core's: the driver has none.
//!
//! Time is tokio's clock (virtual in a simulation), handed to the core as a
//! [`Duration`] since the driver started, which is what the cores take.
//!
//! The driver lives in `host/`, not `net/`, because it traces: events carry
//! the host's name and clock, the connection's session number and the
//! peer's name, all from [`HostCtx`].
//!
//! TLS is a swap of [`Session::stream`] here: a core that has sent
//! `220 2.0.0 Ready to start TLS` (or `+OK Begin TLS`), or a client core that
//! read it, returns [`Io::StartTls`]; the driver runs the handshake over the
//! same stream (with the [`Tls`] side the host gave it), replaces the boxed
//! stream with the TLS stream wrapped around it, traces `tls.handshake`, and
//! tells the core ([`Core::tls_started`]), which goes on reading and writing
//! plaintext as before. Every later line is traced with `tls: true`. One code
//! path for simulated and real connections: both are a [`Stream`].

use crate::host::env::HostCtx;
use crate::host::tls::{TlsInfo, info as tls_info};
use crate::net::Stream;
use crate::trace::{Field, Fields, Kind, Name, Value};
use chrono::{DateTime, FixedOffset};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

/// One line for the trace: its kind, text and fields. The driver adds the
/// time, host, session and peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub kind: Kind,
    pub line: String,
    /// Kept as the event keeps them, so that they move into it whole.
    pub fields: Fields,
}

impl Note {
    pub fn new(kind: Kind, line: impl Into<String>) -> Self {
        Note { kind, line: line.into(), fields: Fields::default() }
    }
    pub fn field(mut self, k: Field, v: impl Into<serde_json::Value>) -> Self {
        self.fields.insert(k, Value::Json(v.into()));
        self
    }
}

/// What a core asks of the driver.
#[derive(Debug)]
pub enum Io<A> {
    /// Trace `notes`, then write `bytes`.
    Send { bytes: Vec<u8>, notes: Vec<Note> },
    /// Trace a line (a command that arrived, a message's size).
    Trace(Note),
    /// Close the connection (everything before it has been written).
    Close,
    /// Something only the host can do (log a login, hold back a reply):
    /// [`Session::next`] returns it.
    Host(A),
    /// Start TLS on this connection now (everything before it has been
    /// written; nothing read after the command that led here may be kept).
    StartTls,
}

/// This end's part in a TLS handshake.
#[derive(Clone)]
pub enum Tls {
    /// The server, with its certificate.
    Server(std::sync::Arc<rustls::ServerConfig>),
    /// The client, checking the server's certificate against this name
    /// (the configuration is made when TLS starts: most sessions never do);
    /// an IP address instead of a name checks the certificate's chain only
    /// ([`crate::host::tls::client_config_by_address`]).
    Client(String),
}

/// How the connection went away.
#[derive(Debug)]
pub enum Lost {
    /// The peer closed it (read returned end of file).
    Closed,
    /// Reading failed.
    Read(std::io::Error),
    /// Writing failed.
    Write(std::io::Error),
    /// The TLS handshake failed (or this end has no TLS to offer).
    Tls(String),
}

/// A protocol core as the driver sees it. Times are [`Duration`]s since
/// the driver started.
pub trait Core {
    /// What [`Io::Host`] carries.
    type Action;
    /// Bytes from the peer, received at `now`.
    fn feed(&mut self, now: Duration, bytes: &[u8]);
    /// The next thing to do, or `None` when the core waits for input. After
    /// [`Core::peer_closed`], a server core has nothing more to say; a
    /// client core still hands out its result.
    fn poll(&mut self, now: Duration) -> Option<Io<Self::Action>>;
    /// Everything asked has been done; the driver waits for the peer from
    /// `now` on (a timer that runs while the core waits starts here).
    fn waiting(&mut self, _now: Duration) {}
    /// When the core gives up waiting, unless something comes first.
    fn poll_timeout(&self) -> Option<Duration>;
    /// The deadline has come (the core checks it against `now`).
    fn handle_timeout(&mut self, now: Duration);
    /// The connection is gone; nothing more will be read or written.
    fn peer_closed(&mut self, how: Lost);
    /// The host's signal fired (see [`Session::signal`]).
    fn signalled(&mut self) {}
    /// How long one write may take before the peer counts as gone (a peer
    /// that never reads must not hold a session for ever). RFC 5321
    /// §4.5.3.2 gives SMTP 3 to 10 minutes per block; 5 is the default.
    fn write_timeout(&self) -> Duration {
        WRITE_TIMEOUT
    }
    /// TLS is up (after [`Io::StartTls`]); what follows is encrypted.
    fn tls_started(&mut self, _info: &TlsInfo) {}
}

/// Gathered output beyond this is written at once (a large FETCH streams
/// out instead of being held whole).
const FLUSH_AT: usize = 64 * 1024;

/// At most this much is read from the peer at once (and fed to the core).
const READ_BUF: usize = 8 * 1024;

/// The default [`Core::write_timeout`].
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(300);

/// The driver of one connection.
pub struct Session {
    ctx: HostCtx,
    /// The byte stream. (Replaced by a TLS stream around it when TLS comes.)
    stream: Stream,
    session: u64,
    peer: Name,
    start: Instant,
    buf: Vec<u8>,
    /// Bytes the core has sent that are not written yet: replies are gathered
    /// here and written together when the core has nothing more to say (or
    /// before the host acts, TLS starts, or the connection closes), so a
    /// response of many lines is one write, not one per line.
    out: Vec<u8>,
    /// A host signal that wakes the core ([`Core::signalled`]), e.g. new mail.
    signal: Option<watch::Receiver<u64>>,
    /// The connection is gone: nothing more is written or read.
    lost: bool,
    done: bool,
    /// This end's TLS, for [`Io::StartTls`] and implicit TLS.
    tls: Option<Tls>,
    /// TLS is up: later lines are traced with `tls: true`.
    encrypted: bool,
    /// The timer of the core's deadline, set lazily: a deadline that moved
    /// later (each line a client sends moves the idle deadline) leaves it
    /// where it is, and when it goes off early it is set again; only an
    /// earlier deadline moves it at once. (Setting a timer for every wait
    /// was a timer-wheel insertion and removal for every line.)
    timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Session {
    /// Drive `stream`, traced as connection `session` with the peer `peer`;
    /// the core's time starts now.
    pub fn new(ctx: &HostCtx, stream: Stream, session: u64, peer: impl Into<Name>) -> Self {
        // The session's events carry copies of the host's and the peer's
        // names made for this session (at most two small allocations): with several
        // session threads (`serve --threads`), sessions on different cores
        // would otherwise change the reference counts of the same two names
        // for every event, taking the counts' cache line from core to core.
        let mut ctx = ctx.clone();
        ctx.name = Name::from(ctx.name.as_str());
        Session {
            ctx,
            stream,
            session,
            peer: peer.into().own(),
            start: Instant::now(),
            // Read into its spare room (`read_buf`): nothing to zero first.
            buf: Vec::with_capacity(READ_BUF),
            out: Vec::new(),
            signal: None,
            lost: false,
            done: false,
            tls: None,
            encrypted: false,
            timer: None,
        }
    }

    /// The TLS this end can start (see [`Io::StartTls`]).
    pub fn tls(mut self, tls: Option<Tls>) -> Self {
        self.tls = tls;
        self
    }

    /// Is the connection encrypted by now?
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// Wake the core with [`Core::signalled`] whenever `rx` changes.
    pub fn signal(mut self, rx: watch::Receiver<u64>) -> Self {
        self.signal = Some(rx);
        self
    }

    /// The core's clock: time since the driver started.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn emit(&self, n: Note) {
        self.emit_at(self.ctx.now(), n);
    }

    /// Trace `n` as of `t` (the lines of one reply share one clock reading).
    fn emit_at(&self, t: DateTime<FixedOffset>, n: Note) {
        let mut e = self.ctx.ev_at(t, n.kind);
        e.session = Some(self.session);
        e.peer = Some(self.peer.clone());
        e.line = Some(n.line);
        e.fields = n.fields;
        if self.encrypted && n.kind.fields().contains(&Field::Tls) {
            e.fields.insert(Field::Tls, Value::Json(true.into()));
        }
        self.ctx.emit(e);
    }

    /// Run the TLS handshake over the stream and swap the stream for the TLS
    /// one. `Err` says why not (traced as `tls.error` by the caller).
    pub async fn start_tls(&mut self, limit: Duration) -> Result<TlsInfo, String> {
        let Some(tls) = self.tls.clone() else {
            return Err("this end has no TLS configured".into());
        };
        // The placeholder for the moment the stream is moved into the handshake.
        let gone: Stream = Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()));
        let plain = std::mem::replace(&mut self.stream, gone);
        let shake = async {
            match tls {
                Tls::Server(cfg) => {
                    let s = tokio_rustls::TlsAcceptor::from(cfg).accept(plain).await.map_err(|e| e.to_string())?;
                    let info = tls_info(s.get_ref().1, &self.ctx.hostname);
                    Ok::<_, String>((Box::new(s) as Stream, info))
                }
                Tls::Client(subject) => {
                    // A server known by its address only (an address literal's next hop).
                    let by_address = subject.parse::<std::net::IpAddr>().is_ok();
                    let cfg = if by_address {
                        crate::host::tls::client_config_by_address(&self.ctx)
                    } else {
                        crate::host::tls::client_config(&self.ctx)
                    };
                    let cfg = cfg.map_err(|e| e.to_string())?;
                    let name = crate::host::tls::server_name(&subject).map_err(|e| e.to_string())?;
                    let s =
                        tokio_rustls::TlsConnector::from(cfg).connect(name, plain).await.map_err(|e| e.to_string())?;
                    let info = tls_info(s.get_ref().1, &subject);
                    Ok((Box::new(s) as Stream, info))
                }
            }
        };
        let (stream, info) = match tokio::time::timeout(limit, shake).await {
            Ok(r) => r?,
            Err(_) => return Err("the TLS handshake timed out".into()),
        };
        self.stream = stream;
        self.encrypted = true;
        Ok(info)
    }

    /// Implicit TLS (RFC 8314: ports 465, 993, 995): the handshake before
    /// the core says or reads anything. `false` when it failed (traced as
    /// `tls.error`; the stream is shut down and the core told).
    pub async fn handshake_first<C: Core>(&mut self, core: &mut C) -> bool {
        match self.start_tls(core.write_timeout()).await {
            Ok(info) => {
                self.trace_tls(&info);
                core.tls_started(&info);
                true
            }
            Err(e) => {
                self.emit(Note::new(Kind::TlsError, format!("TLS handshake failed: {e}")));
                self.lost = true;
                core.peer_closed(Lost::Tls(e));
                self.finish().await;
                false
            }
        }
    }

    /// The handshake's trace line (the server's end records it).
    fn trace_tls(&self, info: &TlsInfo) {
        if matches!(self.tls, Some(Tls::Server(_))) {
            self.emit(
                Note::new(
                    Kind::TlsHandshake,
                    format!(
                        "TLS established: {} with cipher {}, certificate CN={}",
                        info.version, info.cipher, info.subject
                    ),
                )
                .field(Field::TlsVersion, info.version.clone())
                .field(Field::Cipher, info.cipher.clone())
                .field(Field::Subject, info.subject.clone()),
            );
        }
    }

    /// Drive `core` until it asks the host for something (`Some`) or the
    /// session is over (`None`, the stream shut down).
    pub async fn next<C: Core>(&mut self, core: &mut C) -> Option<C::Action> {
        // The reading the core was last woken with, if nothing awaited since.
        let mut woken_at = None;
        while !self.done {
            // The time, read again after anything that awaits (polls in a row
            // take no time worth a clock read each, nor do the polls that
            // follow a wake-up: the core was woken with this reading).
            let mut now = woken_at.take().unwrap_or_else(|| self.now());
            while let Some(io) = core.poll(now) {
                match io {
                    Io::Host(a) => {
                        // The host may take its time: what was said goes out first.
                        self.flush(core).await;
                        return Some(a);
                    }
                    Io::Close => {
                        self.stream.closing();
                        self.flush(core).await;
                        self.finish().await;
                        return None;
                    }
                    // Once the connection is gone, a client core may still
                    // send; nothing reaches the peer or the trace.
                    Io::Send { .. } | Io::Trace(_) | Io::StartTls if self.lost => {}
                    Io::StartTls => {
                        self.flush(core).await;
                        if self.lost {
                            continue;
                        }
                        match self.start_tls(core.write_timeout()).await {
                            Ok(info) => {
                                self.trace_tls(&info);
                                core.tls_started(&info);
                            }
                            Err(e) => {
                                self.emit(Note::new(Kind::TlsError, format!("TLS handshake failed: {e}")));
                                self.lost = true;
                                core.peer_closed(Lost::Tls(e));
                            }
                        }
                        now = self.now();
                    }
                    Io::Trace(n) => self.emit(n),
                    Io::Send { bytes, notes } => {
                        // One clock reading for all the lines of a reply.
                        let t = self.ctx.now();
                        for n in notes {
                            self.emit_at(t, n);
                        }
                        if self.out.is_empty() {
                            self.out = bytes;
                        } else {
                            self.out.extend_from_slice(&bytes);
                        }
                        if self.out.len() >= FLUSH_AT {
                            self.flush(core).await;
                            now = self.now();
                        }
                    }
                }
            }
            self.flush(core).await;
            if self.lost {
                self.finish().await;
                return None;
            }
            core.waiting(self.now());
            let deadline = core.poll_timeout().map(|d| self.start + d);
            if let Some(d) = deadline {
                match &mut self.timer {
                    Some(t) if t.deadline() <= d => {}
                    Some(t) => t.as_mut().reset(d),
                    None => self.timer = Some(Box::pin(tokio::time::sleep_until(d))),
                }
            }
            let woke = loop {
                let Session { stream, buf, signal, timer, .. } = self;
                let woke = tokio::select! {
                    biased;
                    r = stream.read_buf(buf) => Woke::Read(r),
                    _ = fire(timer) => Woke::Timer,
                    c = changed(signal) => Woke::Signal(c),
                };
                if let Woke::Timer = woke {
                    match deadline {
                        // Set for a deadline that has since moved on: set again.
                        Some(d) if Instant::now() < d => {
                            if let Some(t) = &mut self.timer {
                                t.as_mut().reset(d);
                            }
                            continue;
                        }
                        // The core has no deadline now.
                        None => {
                            self.timer = None;
                            continue;
                        }
                        Some(_) => self.timer = None,
                    }
                }
                break woke;
            };
            match woke {
                Woke::Read(Ok(0)) => {
                    self.lost = true;
                    core.peer_closed(Lost::Closed);
                }
                Woke::Read(Ok(_)) => {
                    let now = self.now();
                    core.feed(now, &self.buf);
                    self.buf.clear();
                    woken_at = Some(now);
                }
                Woke::Read(Err(e)) => {
                    self.lost = true;
                    core.peer_closed(Lost::Read(e));
                }
                Woke::Timer => {
                    let now = self.now();
                    core.handle_timeout(now);
                    woken_at = Some(now);
                }
                Woke::Signal(true) => core.signalled(),
                // The sender is gone: no more signals.
                Woke::Signal(false) => self.signal = None,
            }
        }
        None
    }

    /// Write what the core has sent so far, in one write (within the core's
    /// write timeout); a failure tells the core the peer is gone.
    async fn flush<C: Core>(&mut self, core: &mut C) {
        if self.out.is_empty() {
            return;
        }
        if self.lost {
            self.out.clear();
            return;
        }
        let limit = core.write_timeout();
        let written = match tokio::time::timeout(limit, self.stream.write_all(&self.out)).await {
            Ok(r) => r,
            Err(_) => {
                Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the peer did not read what was sent in time"))
            }
        };
        self.out.clear();
        if self.out.capacity() > FLUSH_AT * 2 {
            self.out = Vec::new();
        }
        if let Err(e) = written {
            self.lost = true;
            core.peer_closed(Lost::Write(e));
        }
    }

    /// Drive a core that never asks its host for anything to its end.
    pub async fn run<C: Core>(&mut self, core: &mut C) {
        while self.next(core).await.is_some() {}
    }

    async fn finish(&mut self) {
        if !self.done {
            self.done = true;
            // A peer that reads nothing cannot hold the close up for long either.
            let _ = tokio::time::timeout(WRITE_TIMEOUT, self.stream.shutdown()).await;
        }
    }
}

enum Woke {
    Read(std::io::Result<usize>),
    Timer,
    Signal(bool),
}

async fn fire(timer: &mut Option<std::pin::Pin<Box<tokio::time::Sleep>>>) {
    match timer {
        Some(t) => t.as_mut().await,
        None => std::future::pending().await,
    }
}

async fn changed(signal: &mut Option<watch::Receiver<u64>>) -> bool {
    match signal {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::env::{Activity, Clock, Env, Streams};
    use crate::net::Net;
    use crate::net::sim::SimNet;
    use crate::trace::Trace;
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    const IDLE: Duration = Duration::from_secs(30);

    fn ctx() -> (HostCtx, Trace) {
        let trace = Trace::new();
        let start = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
        let env = Env {
            net: Net::Sim(SimNet::new(Duration::from_millis(5))),
            trace: trace.clone(),
            clock: Clock::new(start),
            rng: Streams::new(1),
            activity: Activity::default(),
            names: Arc::new(Default::default()),
            limits: crate::host::listen::Limits::default(),
        };
        (HostCtx { env, name: "mx".into(), ip: Ipv4Addr::new(192, 0, 2, 1), hostname: "mx.example".into() }, trace)
    }

    /// A line echo server: greets, echoes each line, says bye after `IDLE`
    /// of silence, asks its host about every line that starts with `?`.
    #[derive(Default)]
    struct Echo {
        input: Vec<u8>,
        out: std::collections::VecDeque<Io<String>>,
        greeted: bool,
        since: Duration,
        closed: bool,
        lost: Vec<String>,
        signals: usize,
        fed_at: Vec<Duration>,
    }

    impl Echo {
        fn say(&mut self, l: &str) {
            self.out.push_back(Io::Send {
                bytes: format!("{l}\r\n").into_bytes(),
                notes: vec![Note::new(Kind::SmtpReply, l).field(Field::Code, 250)],
            });
        }
    }

    impl Core for Echo {
        type Action = String;
        fn feed(&mut self, now: Duration, bytes: &[u8]) {
            self.fed_at.push(now);
            self.input.extend_from_slice(bytes);
        }
        fn poll(&mut self, _now: Duration) -> Option<Io<String>> {
            if !self.greeted {
                self.greeted = true;
                self.say("hello");
            }
            if let Some(o) = self.out.pop_front() {
                return Some(o);
            }
            if self.closed {
                return None;
            }
            let p = self.input.iter().position(|b| *b == b'\n')?;
            let line: Vec<u8> = self.input.drain(..=p).collect();
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            self.out.push_back(Io::Trace(Note::new(Kind::SmtpCmd, line.clone())));
            if let Some(q) = line.strip_prefix('?') {
                self.out.push_back(Io::Host(q.to_string()));
            } else if line == "quit" {
                self.say("bye");
                self.out.push_back(Io::Close);
                self.closed = true;
            } else {
                self.say(&line);
            }
            self.poll(_now)
        }
        fn waiting(&mut self, now: Duration) {
            self.since = now;
        }
        fn poll_timeout(&self) -> Option<Duration> {
            (!self.closed).then(|| self.since + IDLE)
        }
        fn handle_timeout(&mut self, now: Duration) {
            if self.poll_timeout().is_some_and(|d| now >= d) {
                self.say("timeout");
                self.out.push_back(Io::Close);
                self.closed = true;
            }
        }
        fn peer_closed(&mut self, how: Lost) {
            self.lost.push(format!("{how:?}"));
            self.closed = true;
            self.out.clear();
        }
        fn signalled(&mut self) {
            self.signals += 1;
        }
    }

    fn lines(trace: &Trace) -> Vec<String> {
        trace
            .events()
            .into_iter()
            .map(|e| {
                assert_eq!((e.session, e.peer.as_deref()), (Some(7), Some("pc")));
                format!("{} {}", e.kind.name(), e.line.unwrap_or_default())
            })
            .collect()
    }

    async fn read_all(s: &mut tokio::io::DuplexStream) -> String {
        let mut v = Vec::new();
        let _ = s.read_to_end(&mut v).await;
        String::from_utf8_lossy(&v).into_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn traces_writes_and_closes_when_the_core_says_so() {
        let (ctx, trace) = ctx();
        let (mine, mut peer) = tokio::io::duplex(1024);
        let mut core = Echo::default();
        let mut s = Session::new(&ctx, Box::new(mine), 7, "pc");
        peer.write_all(b"one\r\n?what\r\ntwo\r\n").await.expect("written");
        assert_eq!(s.next(&mut core).await.as_deref(), Some("what"));
        peer.write_all(b"quit\r\n").await.expect("written");
        assert_eq!(s.next(&mut core).await, None);
        assert_eq!(s.next(&mut core).await, None, "over is over");
        assert_eq!(read_all(&mut peer).await, "hello\r\none\r\ntwo\r\nbye\r\n");
        assert_eq!(
            lines(&trace),
            [
                "smtp.reply hello",
                "smtp.cmd one",
                "smtp.reply one",
                "smtp.cmd ?what",
                "smtp.cmd two",
                "smtp.reply two",
                "smtp.cmd quit",
                "smtp.reply bye"
            ]
        );
        assert!(core.lost.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_core_deadline_counts_from_when_the_driver_waits() {
        let (ctx, trace) = ctx();
        let (mine, mut peer) = tokio::io::duplex(1024);
        let t0 = Instant::now();
        let task = tokio::spawn(async move {
            let mut core = Echo::default();
            let mut s = Session::new(&ctx, Box::new(mine), 7, "pc");
            while s.next(&mut core).await.is_some() {
                // The host takes 10 s over its part: not the peer's idle time.
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            core
        });
        tokio::time::sleep(Duration::from_secs(20)).await;
        peer.write_all(b"?x\r\n").await.expect("written");
        assert_eq!(read_all(&mut peer).await, "hello\r\ntimeout\r\n");
        let core = task.await.expect("the session ends");
        // 20 s to the line, 10 s for the host, then 30 s of silence.
        assert_eq!(t0.elapsed(), Duration::from_secs(60));
        assert_eq!(core.fed_at, vec![Duration::from_secs(20)]);
        assert_eq!(lines(&trace).last().map(String::as_str), Some("smtp.reply timeout"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_goes_away_ends_the_session() {
        let (ctx, trace) = ctx();
        let (mine, mut peer) = tokio::io::duplex(1024);
        let mut core = Echo::default();
        let mut s = Session::new(&ctx, Box::new(mine), 7, "pc");
        peer.write_all(b"one\r\n").await.expect("written");
        peer.shutdown().await.expect("shut");
        assert_eq!(s.next(&mut core).await, None);
        assert_eq!(core.lost, vec!["Closed"]);
        assert_eq!(lines(&trace), ["smtp.reply hello", "smtp.cmd one", "smtp.reply one"]);
        // Writing to a peer that is gone: the core hears of it, nothing more is traced.
        let (ctx, trace) = super::tests::ctx();
        let (mine, peer) = tokio::io::duplex(1024);
        drop(peer);
        let mut core = Echo::default();
        let mut s = Session::new(&ctx, Box::new(mine), 7, "pc");
        assert_eq!(s.next(&mut core).await, None);
        assert_eq!(core.lost.len(), 1);
        assert!(core.lost[0].starts_with("Write("), "{:?}", core.lost);
        assert_eq!(lines(&trace), ["smtp.reply hello"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_never_reads_is_dropped_after_the_write_timeout() {
        let (ctx, _trace) = ctx();
        // A pipe that holds 16 octets: the echo of a long line cannot be written.
        let (mine, mut peer) = tokio::io::duplex(16);
        let t0 = Instant::now();
        let task = tokio::spawn(async move {
            let mut core = Echo::default();
            let mut s = Session::new(&ctx, Box::new(mine), 7, "pc");
            while s.next(&mut core).await.is_some() {}
            core
        });
        let mut line = vec![b'x'; 4000];
        line.extend_from_slice(b"\r\n");
        for chunk in line.chunks(16) {
            peer.write_all(chunk).await.expect("written");
        }
        // The peer reads nothing more and keeps the connection open.
        let core = tokio::time::timeout(WRITE_TIMEOUT * 3, task)
            .await
            .expect("the session ends in time")
            .expect("the session ends");
        assert_eq!(core.lost.len(), 1, "{:?}", core.lost);
        assert!(core.lost[0].contains("TimedOut"), "{:?}", core.lost);
        assert!(t0.elapsed() >= WRITE_TIMEOUT && t0.elapsed() < WRITE_TIMEOUT * 2, "{:?}", t0.elapsed());
        drop(peer);
    }

    #[tokio::test(start_paused = true)]
    async fn the_host_signal_reaches_the_core() {
        let (ctx, _trace) = ctx();
        let (mine, mut peer) = tokio::io::duplex(1024);
        let (tx, rx) = watch::channel(0u64);
        let mut core = Echo::default();
        let mut s = Session::new(&ctx, Box::new(mine), 7, "pc").signal(rx);
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send_replace(1);
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send_replace(2);
            drop(tx);
            tokio::time::sleep(Duration::from_secs(1)).await;
            peer.write_all(b"quit\r\n").await.expect("written");
            read_all(&mut peer).await
        });
        assert_eq!(s.next(&mut core).await, None);
        assert_eq!(core.signals, 2);
        assert_eq!(writer.await.expect("ran"), "hello\r\nbye\r\n");
    }
}

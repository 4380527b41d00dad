//! DNS over TCP, sans-IO (RFC 1035 §4.2.2, RFC 7766): every message is
//! preceded by its length in two octets (so at most 65,535 octets), a
//! client may send one query after another on the same connection, and
//! the server answers each and closes a connection left idle.
//!
//! [`TcpServer`] frames: octets go in ([`TcpServer::feed`]), whole queries
//! come out ([`Output::Query`]) for the host to answer, and the answers go
//! back in ([`TcpServer::answer`]) to come out framed ([`Output::Send`]).
//! The idle timeout is the core's: a message (length and body) must arrive
//! whole within it from the moment the server starts waiting for it
//! ([`TcpServer::waiting`]); time is passed in as a [`Duration`].

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// The longest message the two-octet length can announce.
pub const MAX_MESSAGE: usize = u16::MAX as usize;

/// What the server core asks of its host.
#[derive(Debug, PartialEq)]
pub enum Output {
    /// A whole query (without its length): the host answers it with
    /// [`TcpServer::answer`] before polling again, or leaves it unanswered.
    Query(Vec<u8>),
    /// Octets to write: an answer with its length.
    Send(Vec<u8>),
    /// A message was cut short; the connection is over (report it, close).
    Incomplete(Incomplete),
    /// Close the connection.
    Close,
}

/// A message cut short: how much of which part had come, and why no more.
#[derive(Clone, Debug, PartialEq)]
pub struct Incomplete {
    pub got: usize,
    pub want: usize,
    /// The length prefix (`false`) or the message itself (`true`).
    pub body: bool,
    /// `Some(timeout)` when time ran out, `None` when the client closed.
    pub timed_out: Option<Duration>,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.body { "of a message" } else { "of its length" };
        let why = match self.timed_out {
            Some(t) => format!("not sent within {} s", t.as_secs()),
            None => "the client closed the connection".to_string(),
        };
        write!(f, "incomplete TCP message: {} of {} octets {what} ({why}); connection closed", self.got, self.want)
    }
}

/// The server side of one DNS-over-TCP connection.
#[derive(Debug)]
pub struct TcpServer {
    idle: Duration,
    /// Octets received; those before `pos` have been handed out.
    input: Vec<u8>,
    pos: usize,
    out: VecDeque<Output>,
    /// When the server started waiting for the message now coming.
    since: Option<Duration>,
    /// The peer has gone (read side); the cut message is reported at the next poll.
    gone: bool,
    /// Nothing more is read or said.
    done: bool,
}

impl TcpServer {
    /// A server that closes a connection when a message takes longer than
    /// `idle` to arrive whole.
    pub fn new(idle: Duration) -> Self {
        TcpServer { idle, input: Vec::new(), pos: 0, out: VecDeque::new(), since: None, gone: false, done: false }
    }

    /// Octets from the client. (A driver reads only once every whole
    /// message has been handed out, so the buffer stays bounded by one
    /// message and one read.)
    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.done && !self.gone {
            self.input.drain(..self.pos);
            self.pos = 0;
            self.input.extend_from_slice(bytes);
        }
    }

    /// The answer to the last [`Output::Query`], without its length. One
    /// too long for the length prefix closes the connection unanswered.
    pub fn answer(&mut self, r: &[u8]) {
        if self.done || self.gone {
            return;
        }
        let Ok(n) = u16::try_from(r.len()) else {
            self.done = true;
            self.out.push_back(Output::Close);
            return;
        };
        let mut framed = Vec::with_capacity(r.len() + 2);
        framed.extend_from_slice(&n.to_be_bytes());
        framed.extend_from_slice(r);
        self.out.push_back(Output::Send(framed));
    }

    /// The next thing to do, or `None` while waiting for more octets.
    pub fn poll(&mut self, now: Duration) -> Option<Output> {
        if let Some(o) = self.out.pop_front() {
            return Some(o);
        }
        if self.done {
            return None;
        }
        if self.gone {
            self.done = true;
            let late = self.since.is_some_and(|s| now >= s + self.idle);
            return self.cut(late.then_some(self.idle)).map(Output::Incomplete);
        }
        let rest = self.input.get(self.pos..)?;
        let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
        let q = rest.get(2..2 + len)?.to_vec();
        self.pos += 2 + len;
        self.since = None;
        Some(Output::Query(q))
    }

    /// What came of the message now coming, if anything did.
    fn cut(&self, timed_out: Option<Duration>) -> Option<Incomplete> {
        match self.input.get(self.pos..).unwrap_or_default() {
            [] => None,
            [_] => Some(Incomplete { got: 1, want: 2, body: false, timed_out }),
            [hi, lo, body @ ..] => Some(Incomplete {
                got: body.len(),
                want: usize::from(u16::from_be_bytes([*hi, *lo])),
                body: true,
                timed_out,
            }),
        }
    }

    /// Everything asked has been done; the server waits from `now` on. The
    /// idle timer starts here unless a message is already under way.
    pub fn waiting(&mut self, now: Duration) {
        if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// When the server gives up waiting, if it waits.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.done || self.gone {
            return None;
        }
        self.since.map(|s| s + self.idle)
    }

    /// Time has come: a message not whole by its deadline ends the
    /// connection (silence between messages is no error).
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.poll_timeout().is_some_and(|d| now >= d) {
            self.done = true;
            if let Some(c) = self.cut(Some(self.idle)) {
                self.out.push_back(Output::Incomplete(c));
            }
            self.out.push_back(Output::Close);
        }
    }

    /// The client closed (or reading failed): a message under way is
    /// reported at the next poll.
    pub fn peer_closed(&mut self) {
        self.gone = true;
    }

    /// Writing failed: the connection is over, nothing to report.
    pub fn stop(&mut self) {
        self.done = true;
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(10);

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = u16::try_from(body.len()).expect("short").to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    /// Polls until the core waits, answering each query with its reverse;
    /// gives what came out.
    fn drain(s: &mut TcpServer, now: Duration) -> Vec<Output> {
        let mut got = Vec::new();
        while let Some(o) = s.poll(now) {
            if let Output::Query(q) = &o {
                let r: Vec<u8> = q.iter().rev().copied().collect();
                s.answer(&r);
            }
            got.push(o);
            assert!(got.len() < 1000, "poll never settles");
        }
        s.waiting(now);
        got
    }

    fn two_queries() -> (Vec<u8>, Vec<Output>) {
        let mut input = framed(b"abc");
        input.extend(framed(b""));
        input.extend(framed(b"hello"));
        let want = vec![
            Output::Query(b"abc".to_vec()),
            Output::Send(framed(b"cba")),
            Output::Query(Vec::new()),
            Output::Send(framed(b"")),
            Output::Query(b"hello".to_vec()),
            Output::Send(framed(b"olleh")),
        ];
        (input, want)
    }

    #[test]
    fn every_split_into_two_reads_gives_the_same_answers() {
        let (input, want) = two_queries();
        for cut in 0..=input.len() {
            let mut s = TcpServer::new(IDLE);
            s.waiting(Duration::ZERO);
            let mut got = Vec::new();
            for part in [&input[..cut], &input[cut..]] {
                s.feed(part);
                got.extend(drain(&mut s, Duration::from_secs(1)));
            }
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(s.pos, s.input.len());
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_answers() {
        let (input, want) = two_queries();
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        let mut got = Vec::new();
        for b in &input {
            s.feed(&[*b]);
            got.extend(drain(&mut s, Duration::from_secs(1)));
        }
        assert_eq!(got, want);
    }

    #[test]
    fn silence_between_messages_closes_without_a_report() {
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::from_secs(3));
        assert_eq!(s.poll_timeout(), Some(Duration::from_secs(13)));
        s.handle_timeout(Duration::from_secs(12));
        assert_eq!(s.poll(Duration::from_secs(12)), None, "not yet");
        s.handle_timeout(Duration::from_secs(13));
        assert_eq!(s.poll(Duration::from_secs(13)), Some(Output::Close));
        assert_eq!((s.poll(Duration::from_secs(13)), s.poll_timeout()), (None, None));
    }

    #[test]
    fn the_timer_runs_from_the_wait_for_each_message() {
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&framed(b"q")[..2]);
        assert!(drain(&mut s, Duration::from_secs(9)).is_empty());
        // Still the first message's deadline, however much comes.
        assert_eq!(s.poll_timeout(), Some(IDLE));
        s.feed(b"q");
        assert_eq!(drain(&mut s, Duration::from_secs(9)).len(), 2);
        // The next message has its own 10 s from when the server waits.
        assert_eq!(s.poll_timeout(), Some(Duration::from_secs(19)));
    }

    #[test]
    fn a_message_cut_short_by_time_is_reported() {
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&[0, 40, 1, 2, 3, 4, 5]);
        assert!(drain(&mut s, Duration::from_secs(1)).is_empty());
        s.handle_timeout(IDLE);
        let c = Incomplete { got: 5, want: 40, body: true, timed_out: Some(IDLE) };
        assert_eq!(drain(&mut s, IDLE), [Output::Incomplete(c.clone()), Output::Close]);
        assert_eq!(
            c.to_string(),
            "incomplete TCP message: 5 of 40 octets of a message (not sent within 10 s); connection closed"
        );
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&[0]);
        s.handle_timeout(IDLE);
        let Some(Output::Incomplete(c)) = s.poll(IDLE) else { panic!("a report") };
        assert_eq!(
            c.to_string(),
            "incomplete TCP message: 1 of 2 octets of its length (not sent within 10 s); connection closed"
        );
    }

    #[test]
    fn a_client_that_closes_mid_message_is_reported() {
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&[0, 40, 1]);
        assert!(drain(&mut s, Duration::from_secs(1)).is_empty());
        s.peer_closed();
        assert_eq!(s.poll_timeout(), None);
        let Some(Output::Incomplete(c)) = s.poll(Duration::from_secs(1)) else { panic!("a report") };
        assert!(c.to_string().contains("1 of 40 octets of a message (the client closed the connection)"));
        assert_eq!(s.poll(Duration::from_secs(1)), None);
        // Closing between messages is no error.
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&framed(b"x"));
        drain(&mut s, Duration::ZERO);
        s.peer_closed();
        assert_eq!(s.poll(Duration::ZERO), None);
    }

    #[test]
    fn an_answer_too_long_to_frame_closes() {
        let mut s = TcpServer::new(IDLE);
        s.feed(&framed(b"q"));
        assert_eq!(s.poll(Duration::ZERO), Some(Output::Query(b"q".to_vec())));
        s.answer(&vec![0; MAX_MESSAGE + 1]);
        s.feed(&framed(b"r"));
        assert_eq!(s.poll(Duration::ZERO), Some(Output::Close));
        assert_eq!(s.poll(Duration::ZERO), None);
        // The longest that fits goes out.
        let mut s = TcpServer::new(IDLE);
        s.answer(&vec![0; MAX_MESSAGE]);
        assert!(matches!(s.poll(Duration::ZERO), Some(Output::Send(b)) if b.len() == MAX_MESSAGE + 2));
    }

    #[test]
    fn a_failed_write_ends_it_silently() {
        let mut s = TcpServer::new(IDLE);
        s.waiting(Duration::ZERO);
        s.feed(&[0, 9, 1]);
        s.stop();
        s.peer_closed();
        assert_eq!(s.poll(Duration::ZERO), None);
    }
}

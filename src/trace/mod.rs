//! The trace: the one record of a run. Hosts append [`Event`]s; every view
//! (text log, JSON lines, maillog, expectations) is rendered from it.

pub mod field;
pub mod ja;
pub mod json;
pub mod kind;
pub mod name;
pub mod pcap;
pub mod render;
pub mod seq;

pub use field::Field;
pub use kind::{Category, Kind, Side};
pub use name::Name;

use crate::base::sync::lock;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The host name used for events of the scenario itself (steps, faults, expectations).
pub const SCENARIO_HOST: &str = "scenario";

/// One observable step.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Event {
    /// Virtual (or, when serving, real) wall-clock time.
    #[serde(serialize_with = "ser_time")]
    pub t: DateTime<FixedOffset>,
    pub host: Name,
    /// What happened; serialised dotted: `smtp.cmd`, `smtp.reply`, `dns.query`, `log`, `deliver`, …
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Further structured facts (mailbox, queue id, the delivered message, …).
    #[serde(flatten)]
    pub fields: Fields,
}

/// An event's named facts, kept sorted by name. A small vector rather than
/// a BTreeMap: events have a handful of fields, and a large trace holds
/// hundreds of thousands of events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Vec<(Field, Value)>);

impl Fields {
    // `Field`'s order is its names' order (a test in field.rs keeps it so).
    pub fn get(&self, k: Field) -> Option<&Value> {
        self.0.binary_search_by(|(n, _)| n.cmp(&k)).ok().map(|i| &self.0[i].1)
    }
    pub fn insert(&mut self, k: Field, v: Value) {
        match self.0.binary_search_by(|(n, _)| n.cmp(&k)) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (k, v)),
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (Field, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k.name(), v)?;
        }
        m.end()
    }
}

/// A field's value: JSON, or a text shared with the place that keeps it
/// (a delivered message and its copy in the mailbox), so that recording it
/// copies nothing. Both serialise alike: a shared text is a JSON string.
#[derive(Clone, Debug)]
pub enum Value {
    Json(serde_json::Value),
    Shared(SharedText),
}

/// Equal when they serialise alike: a shared text equals a JSON string of the same text.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Json(a), Value::Json(b)) => a == b,
            _ => self.as_str().is_some() && self.as_str() == other.as_str(),
        }
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Json(v) => v.as_str(),
            Value::Shared(t) => Some(t.as_str()),
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Json(v) => v.as_u64(),
            Value::Shared(_) => None,
        }
    }
    /// The value as JSON (a shared text copied into a string).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Json(v) => v.clone(),
            Value::Shared(t) => serde_json::Value::String(t.as_str().to_string()),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::Json(v)
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Json(v) => v.serialize(s),
            Value::Shared(t) => s.serialize_str(t.as_str()),
        }
    }
}

/// Octets that are known to be UTF-8, shared (an `Arc`) with whoever else
/// holds them. Made only by [`SharedText::new`], which checks them once.
#[derive(Clone, Debug)]
pub struct SharedText(Arc<Vec<u8>>);

impl SharedText {
    /// The octets as a shared text, or `None` when they are not UTF-8.
    pub fn new(octets: Arc<Vec<u8>>) -> Option<SharedText> {
        std::str::from_utf8(&octets).is_ok().then_some(SharedText(octets))
    }
    pub fn as_str(&self) -> &str {
        // Checked in `new`; the octets cannot change (shared, never mutated).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl PartialEq for SharedText {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

fn ser_time<S: serde::Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
}

impl Event {
    /// The event's line for a reader of `ja`anese or English: for a
    /// Japanese reader, maillab's own narration in Japanese and a step's note
    /// in Japanese where the scenario gives one ([`ja::line`]); what the
    /// hosts said (protocol lines, DNS, maillog) stays as they said it. The
    /// trace itself keeps the English line; borrowed when nothing is translated.
    pub fn line_in(&self, ja: bool) -> std::borrow::Cow<'_, str> {
        if ja && let Some(l) = ja::line(self) {
            return std::borrow::Cow::Owned(l);
        }
        std::borrow::Cow::Borrowed(self.line.as_deref().unwrap_or(""))
    }
    pub fn field_str(&self, k: Field) -> Option<&str> {
        self.fields.get(k).and_then(|v| v.as_str())
    }
    pub fn field_u64(&self, k: Field) -> Option<u64> {
        self.fields.get(k).and_then(|v| v.as_u64())
    }
    /// Is this event a failure? The one rule every renderer and grader uses:
    /// refused or timed-out connections and look-ups, 4xx/5xx SMTP replies,
    /// POP3 `-ERR`, IMAP `NO`/`BAD`, DNS answers other than NOERROR, bounces,
    /// stopped hosts, a run cut off at its limit and failed expectations.
    pub fn is_failure(&self) -> bool {
        let line = self.line.as_deref().unwrap_or("");
        match self.kind {
            Kind::SmtpReply => self.field_u64(Field::Code).is_some_and(|c| c >= 400),
            Kind::Pop3Reply => line.starts_with("-ERR"),
            Kind::ImapReply => line.split_whitespace().nth(1).is_some_and(|w| w == "NO" || w == "BAD"),
            Kind::DnsAnswer => !line.starts_with("NOERROR"),
            Kind::HttpRequest => self.field_u64(Field::Code).is_some_and(|c| c >= 400),
            Kind::TcpError
            | Kind::DnsTimeout
            | Kind::DnsError
            | Kind::Bounce
            | Kind::BounceDiscard
            | Kind::HostError
            | Kind::RunLimit
            | Kind::ExpectFail => true,
            _ => false,
        }
    }
}

/// What a live trace hands every event to. It is called without any lock held,
/// from whichever thread recorded the event (`serve` runs sessions on several threads),
/// so it must be cheap and must not block.
pub type Sink = Box<dyn Fn(&Event) + Send + Sync>;

/// What a streaming trace hands every event to, by value, in the order
/// the events are recorded (under the trace's lock: a simulated run). It
/// is dropped when the run ends ([`Trace::end_stream`]), so a sink that
/// writes on another thread can hand over what it still holds.
pub type StreamSink = Box<dyn FnMut(Event) + Send>;

/// What a streaming trace keeps of an event before handing it to its sink:
/// a copy of the event, a smaller one, or nothing. Called under the
/// trace's lock, in the order the events are recorded.
pub type Keep = Box<dyn FnMut(&Event) -> Option<Event> + Send>;

/// Shared recorder of events. Cheap to clone; all clones append to one list.
#[derive(Clone, Default)]
pub struct Trace {
    inner: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The events kept (none in a live trace).
    events: Mutex<Vec<Event>>,
    /// Called for each event as it is recorded (the live view of `serve`).
    /// A live trace passes events to its sink and does not keep them.
    sink: Option<Sink>,
    /// Events recorded so far (kept or not).
    count: AtomicUsize,
    /// Told of every event, for whoever waits for the run to reach a point.
    progress: Option<Arc<tokio::sync::Notify>>,
    /// Streaming: every event goes to its sink, and only what `keep` returns is kept.
    stream: Option<Mutex<Stream>>,
}

struct Stream {
    /// `None` once the stream has ended.
    sink: Option<StreamSink>,
    keep: Keep,
    /// The time of the last event recorded (kept or not).
    last_t: Option<DateTime<FixedOffset>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }
    /// A trace that hands every event to `sink` and keeps none (for long `serve` runs).
    pub fn live(sink: Sink) -> Self {
        Trace { inner: Arc::new(Shared { sink: Some(sink), ..Default::default() }) }
    }
    /// A trace that wakes `progress` (one permit) whenever an event is recorded.
    pub fn with_progress(progress: Arc<tokio::sync::Notify>) -> Self {
        Trace { inner: Arc::new(Shared { progress: Some(progress), ..Default::default() }) }
    }
    /// A trace that hands every event to `sink`, in order, and keeps only
    /// what `keep` returns (a run whose whole trace nothing reads afterwards:
    /// `maillab run --format json` prints each event as it happens).
    pub fn streaming(progress: Arc<tokio::sync::Notify>, sink: StreamSink, keep: Keep) -> Self {
        let stream = Stream { sink: Some(sink), keep, last_t: None };
        Trace {
            inner: Arc::new(Shared {
                progress: Some(progress),
                stream: Some(Mutex::new(stream)),
                ..Default::default()
            }),
        }
    }
    /// The end of a streamed run: the sink is dropped (events recorded
    /// afterwards are only kept, as `keep` says). Nothing for other traces.
    pub fn end_stream(&self) {
        let sink = self.inner.stream.as_ref().and_then(|st| lock(st).sink.take());
        // Dropped outside the lock: a sink may wait for its writer here.
        drop(sink);
    }
    /// The time of the last event recorded, kept or not (`None` before the first).
    pub fn last_time(&self) -> Option<DateTime<FixedOffset>> {
        match &self.inner.stream {
            Some(st) => lock(st).last_t,
            None => lock(&self.inner.events).last().map(|e| e.t),
        }
    }
    /// How many events have been recorded.
    pub fn len(&self) -> usize {
        self.inner.count.load(Ordering::SeqCst)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn push(&self, ev: Event) {
        debug_assert!(
            ev.fields.iter().all(|(f, _)| ev.kind.fields().contains(&f)),
            "{} event with a field its kind does not declare: {:?}",
            ev.kind,
            ev.fields
        );
        tracing::debug!(target: "maillab::trace", host = %ev.host, kind = %ev.kind, session = ?ev.session, line = ?ev.line);
        match (&self.inner.sink, &self.inner.stream) {
            // Live: no lock, nothing kept (sessions on several threads do not wait for each other here).
            (Some(s), _) => {
                s(&ev);
                self.inner.count.fetch_add(1, Ordering::SeqCst);
            }
            // Streaming: one thread (a simulated run); `keep` decides what
            // stays, then the sink gets the event, in order, under the lock.
            (None, Some(st)) => {
                let mut g = lock(&self.inner.events);
                let mut st = lock(st);
                st.last_t = Some(ev.t);
                if let Some(kept) = (st.keep)(&ev) {
                    g.push(kept);
                }
                if let Some(sink) = &mut st.sink {
                    sink(ev);
                }
                self.inner.count.fetch_add(1, Ordering::SeqCst);
            }
            (None, None) => {
                let mut g = lock(&self.inner.events);
                g.push(ev);
                // Counted under the lock, so that `len` never runs ahead of the events.
                self.inner.count.fetch_add(1, Ordering::SeqCst);
            }
        }
        if let Some(p) = &self.inner.progress {
            p.notify_one();
        }
    }
    /// A copy of the events so far.
    pub fn events(&self) -> Vec<Event> {
        self.with_events(|e| e.to_vec())
    }
    /// Look at the events so far without copying them.
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        f(&lock(&self.inner.events))
    }
    /// Move the events out (the end of a run: no copy of a large trace).
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.inner.events))
    }
}

/// Builder used by hosts: `ev(t, host, kind).session(s).line(l)`.
pub fn ev(t: DateTime<FixedOffset>, host: &str, kind: Kind) -> Event {
    ev_named(t, Name::from(host), kind)
}

/// An event of the host whose (shared) name is `host`.
pub fn ev_named(t: DateTime<FixedOffset>, host: Name, kind: Kind) -> Event {
    Event { t, host, kind, session: None, peer: None, line: None, fields: Fields::default() }
}

impl Event {
    pub fn session(mut self, s: u64) -> Self {
        self.session = Some(s);
        self
    }
    pub fn peer(mut self, p: impl Into<Name>) -> Self {
        self.peer = Some(p.into());
        self
    }
    pub fn line(mut self, l: impl Into<String>) -> Self {
        self.line = Some(l.into());
        self
    }
    pub fn field(mut self, k: Field, v: impl Into<serde_json::Value>) -> Self {
        self.fields.insert(k, Value::Json(v.into()));
        self
    }
    /// A text field that shares `octets` with where they are kept (a
    /// delivered message and its stored copy) instead of copying them;
    /// octets that are not UTF-8 are copied, each bad sequence replaced by
    /// U+FFFD, as a JSON string.
    pub fn shared_text(mut self, k: Field, octets: &Arc<Vec<u8>>) -> Self {
        let v = match SharedText::new(octets.clone()) {
            Some(t) => Value::Shared(t),
            None => Value::Json(String::from_utf8_lossy(octets).into_owned().into()),
        };
        self.fields.insert(k, v);
        self
    }
}

//! The event index: every event of a run as a compact row (what the page's
//! list, picture and filters need), the filters of `/api/events`, paging,
//! and navigation (next/previous event, command, step or failure; a jump to
//! a time). Built once from a finished run; in live mode it grows.
//!
//! A *position* is "after M events": 0 is the start, `total` the end, and
//! event M-1 is the current one at position M.

use crate::trace::{Category, Event, Field, Kind, Side};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One event, compact.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Row {
    pub i: usize,
    pub t: String,
    pub ms: i64,
    pub host: String,
    pub peer: Option<String>,
    pub session: Option<u64>,
    pub kind: &'static str,
    pub cat: &'static str,
    pub side: &'static str,
    pub line: String,
    /// The line for a reader of Japanese, where it differs (a step's note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_ja: Option<String>,
    pub fail: bool,
    /// The last scenario step started at or before this event (0 before the first).
    pub step: usize,
}

/// A connection: who opened it, who accepted it, what was spoken, and
/// the events where it opened and closed.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SessionInfo {
    pub session: u64,
    pub client: Option<String>,
    pub server: Option<String>,
    pub proto: &'static str,
    #[serde(skip)]
    pub opened: usize,
    #[serde(skip)]
    pub closed: Option<usize>,
}

/// The filters of `/api/events` and `/api/nav`. Empty sets match everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub cats: BTreeSet<Category>,
    pub hosts: BTreeSet<String>,
    pub session: Option<u64>,
    /// Lower-case text to find in the line, kind or host.
    pub q: Option<String>,
    pub fail: bool,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// What `/api/nav` moves by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Event,
    Command,
    Step,
    Failure,
}

pub struct Index {
    pub start: DateTime<FixedOffset>,
    pub rows: Vec<Row>,
    kinds: Vec<Kind>,
    times: Vec<DateTime<FixedOffset>>,
    lower: Vec<String>,
    pub sessions: BTreeMap<u64, SessionInfo>,
    step: usize,
    /// Scenario host addresses to names (a peer given as an address is shown as its host).
    names: BTreeMap<String, String>,
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Server => "server",
        Side::Client => "client",
        Side::Host | Side::Network => "host",
        Side::Scenario => "scenario",
    }
}

fn proto_of(k: Kind) -> Option<&'static str> {
    match k.category() {
        Category::Smtp => Some("smtp"),
        Category::Pop3 if matches!(k, Kind::Pop3Cmd | Kind::Pop3Reply) => Some("pop3"),
        Category::Imap => Some("imap"),
        _ if k == Kind::HttpRequest => Some("http"),
        _ => None,
    }
}

impl Index {
    /// An empty index; `names` maps scenario addresses to host names.
    pub fn new(start: DateTime<FixedOffset>, names: BTreeMap<String, String>) -> Index {
        Index {
            start,
            rows: Vec::new(),
            kinds: Vec::new(),
            times: Vec::new(),
            lower: Vec::new(),
            sessions: BTreeMap::new(),
            step: 0,
            names,
        }
    }

    pub fn build(start: DateTime<FixedOffset>, names: BTreeMap<String, String>, events: &[Event]) -> Index {
        let mut ix = Index::new(start, names);
        ix.extend(events);
        ix
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Add events at the end (live mode; `build` uses it too).
    pub fn extend(&mut self, events: &[Event]) {
        for e in events {
            self.push(e);
        }
    }

    pub fn push(&mut self, e: &Event) {
        let i = self.rows.len();
        if e.kind == Kind::Step
            && let Some(s) = e.field_u64(Field::Step)
        {
            self.step = s as usize;
        }
        let peer = e.peer.as_ref().map(|p| self.names.get(p.as_str()).cloned().unwrap_or_else(|| p.to_string()));
        if let Some(s) = e.session {
            let info = self.sessions.entry(s).or_insert(SessionInfo {
                session: s,
                client: None,
                server: None,
                proto: "tcp",
                opened: i,
                closed: None,
            });
            match e.kind {
                Kind::TcpConnect => {
                    info.client.get_or_insert_with(|| e.host.to_string());
                    if let Some(p) = &peer {
                        info.server.get_or_insert_with(|| p.clone());
                    }
                }
                Kind::TcpAccept => {
                    info.server = Some(e.host.to_string());
                    if let Some(p) = &peer {
                        info.client.get_or_insert_with(|| p.clone());
                    }
                }
                Kind::TcpClose | Kind::TcpError => info.closed = Some(i),
                k => {
                    if info.proto == "tcp"
                        && let Some(p) = proto_of(k)
                    {
                        info.proto = p;
                    }
                    if k.side() == Side::Server {
                        info.server.get_or_insert_with(|| e.host.to_string());
                        if let Some(p) = &peer {
                            info.client.get_or_insert_with(|| p.clone());
                        }
                    }
                }
            }
        }
        let line = e.line.clone().unwrap_or_default();
        let line_ja = match e.line_in(true) {
            std::borrow::Cow::Owned(ja) => Some(ja),
            std::borrow::Cow::Borrowed(_) => None,
        };
        // Found by either language's words.
        let mut lower = format!("{} {} {}", line, e.kind.name(), e.host);
        if let Some(ja) = &line_ja {
            lower.push(' ');
            lower.push_str(ja);
        }
        self.lower.push(lower.to_lowercase());
        self.kinds.push(e.kind);
        self.times.push(e.t);
        self.rows.push(Row {
            i,
            t: e.t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            ms: (e.t - self.start).num_milliseconds(),
            host: e.host.to_string(),
            peer,
            session: e.session,
            kind: e.kind.name(),
            cat: e.kind.category().name(),
            side: side_name(e.kind.side()),
            line_ja,
            line,
            fail: e.is_failure(),
            step: self.step,
        });
    }

    pub fn matches(&self, i: usize, f: &Filter) -> bool {
        let (Some(r), Some(k)) = (self.rows.get(i), self.kinds.get(i)) else { return false };
        (f.cats.is_empty() || f.cats.contains(&k.category()))
            && (f.hosts.is_empty() || f.hosts.contains(&r.host) || r.peer.as_ref().is_some_and(|p| f.hosts.contains(p)))
            && f.session.is_none_or(|s| r.session == Some(s))
            && (!f.fail || r.fail)
            && f.q.as_ref().is_none_or(|q| self.lower.get(i).is_some_and(|l| l.contains(q.as_str())))
    }

    /// A page of the filtered rows: (matching rows, offset, rows), starting at
    /// `offset` in the filtered list, or (with `around`) on the page holding the
    /// first match at index ≥ `around`.
    pub fn page(&self, f: &Filter, offset: usize, around: Option<usize>, limit: usize) -> (usize, usize, Vec<&Row>) {
        if f.is_empty() {
            let total = self.rows.len();
            let offset = match around {
                Some(a) => (a.min(total.saturating_sub(1)) / limit.max(1)) * limit.max(1),
                None => offset.min(total),
            };
            let end = (offset + limit).min(total);
            return (total, offset, self.rows[offset..end].iter().collect());
        }
        let hits: Vec<usize> = (0..self.rows.len()).filter(|&i| self.matches(i, f)).collect();
        let total = hits.len();
        let offset = match around {
            Some(a) => {
                let k = hits.partition_point(|&i| i < a).min(total.saturating_sub(1));
                (k / limit.max(1)) * limit.max(1)
            }
            None => offset.min(total),
        };
        let end = (offset + limit).min(total);
        (total, offset, hits[offset..end].iter().filter_map(|&i| self.rows.get(i)).collect())
    }

    fn is_target(&self, i: usize, by: By, f: &Filter) -> bool {
        let Some(k) = self.kinds.get(i) else { return false };
        let kind_ok = match by {
            By::Event => true,
            By::Command => k.is_command() || *k == Kind::DnsQuery,
            By::Step => *k == Kind::Step,
            By::Failure => self.rows[i].fail,
        };
        kind_ok && self.matches(i, f)
    }

    /// The position to move to from `at`: just after the next (or previous)
    /// target event. Stays at the end (or the start) when there is none.
    pub fn nav(&self, at: usize, by: By, forward: bool, f: &Filter) -> usize {
        let n = self.rows.len();
        let at = at.min(n);
        if forward {
            (at..n).find(|&i| self.is_target(i, by, f)).map(|i| i + 1).unwrap_or(n)
        } else {
            // The current event is at-1; look before it.
            (0..at.saturating_sub(1)).rev().find(|&i| self.is_target(i, by, f)).map(|i| i + 1).unwrap_or(0)
        }
    }

    /// The position just after the last event at or before `t`.
    pub fn position_at(&self, t: DateTime<FixedOffset>) -> usize {
        self.times.partition_point(|x| *x <= t)
    }

    /// The `step` events: (step number, index).
    pub fn steps(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut last = 0;
        for (i, r) in self.rows.iter().enumerate() {
            if self.kinds[i] == Kind::Step && r.step != last {
                out.push((r.step, i));
                last = r.step;
            }
        }
        out
    }

    /// Connections open at position `at` (opened before it, not closed before it).
    pub fn open_at(&self, at: usize) -> Vec<&SessionInfo> {
        self.sessions.values().filter(|s| s.opened < at && s.closed.is_none_or(|c| c >= at)).collect()
    }

    /// A connection's rows up to position `at`.
    pub fn session_rows(&self, s: u64, at: usize) -> Vec<&Row> {
        self.rows.iter().take(at).filter(|r| r.session == Some(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::ev;

    fn t0() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").unwrap_or_default()
    }

    fn sample() -> Vec<Event> {
        let t = |ms: i64| t0() + chrono::Duration::milliseconds(ms);
        vec![
            ev(t(0), "scenario", Kind::RunStart).line("start"),
            ev(t(0), "scenario", Kind::Step).line("step 1").field(Field::Step, 1),
            ev(t(10), "pc", Kind::TcpConnect).session(1).peer("192.0.2.10").line("connect"),
            ev(t(15), "dept", Kind::TcpAccept).session(1).peer("pc").line("connection from pc"),
            ev(t(20), "ns", Kind::DnsQuery).peer("dept").line("x IN PTR"),
            ev(t(20), "ns", Kind::DnsAnswer).peer("dept").line("NXDOMAIN x"),
            ev(t(25), "dept", Kind::SmtpReply).session(1).peer("pc").line("220 hi").field(Field::Code, 220),
            ev(t(35), "dept", Kind::SmtpCmd).session(1).peer("pc").line("EHLO pc"),
            ev(t(35), "dept", Kind::SmtpReply).session(1).peer("pc").line("550 no").field(Field::Code, 550),
            ev(t(40), "dept", Kind::TcpClose).session(1).peer("pc").line("closed"),
            ev(t(60_000), "scenario", Kind::Step)
                .line("step 2 — the relay refuses")
                .field(Field::Step, 2)
                .field(Field::Note, "the relay refuses")
                .field(Field::NoteJa, "中継を断る"),
            ev(t(60_010), "dept", Kind::Log).line("Apr  1 10:01:00 dept sendmail[1]: hello"),
        ]
    }

    fn index() -> Index {
        let names = BTreeMap::from([("192.0.2.10".to_string(), "dept".to_string())]);
        Index::build(t0(), names, &sample())
    }

    /// A step's line for a reader of Japanese rides along, and either
    /// language's words find it.
    #[test]
    fn a_steps_japanese_note_rides_along() {
        let ix = index();
        assert_eq!(ix.rows[10].line_ja.as_deref(), Some("step 2 — 中継を断る"));
        assert_eq!(ix.rows[1].line_ja, None);
        let f = Filter { q: Some("中継".into()), ..Filter::default() };
        assert_eq!(ix.page(&f, 0, None, 100).0, 1);
    }

    #[test]
    fn rows_carry_category_side_step_and_failure() {
        let ix = index();
        assert_eq!(ix.len(), 12);
        let r = &ix.rows[2];
        assert_eq!((r.cat, r.side, r.step, r.peer.as_deref()), ("tcp", "client", 1, Some("dept")));
        assert!(ix.rows[5].fail, "NXDOMAIN is a failure");
        assert!(ix.rows[8].fail);
        assert!(!ix.rows[7].fail);
        assert_eq!(ix.rows[11].step, 2);
        assert_eq!(ix.rows[11].ms, 60_010);
        assert_eq!(ix.steps(), vec![(1, 1), (2, 10)]);
    }

    #[test]
    fn filters_combine() {
        let ix = index();
        let f = Filter { cats: BTreeSet::from([Category::Smtp]), ..Default::default() };
        let (total, off, rows) = ix.page(&f, 0, None, 2);
        assert_eq!((total, off), (3, 0));
        assert_eq!(rows.iter().map(|r| r.i).collect::<Vec<_>>(), vec![6, 7]);
        let f = Filter { fail: true, ..Default::default() };
        assert_eq!(ix.page(&f, 0, None, 100).2.iter().map(|r| r.i).collect::<Vec<_>>(), vec![5, 8]);
        let f = Filter { hosts: BTreeSet::from(["pc".to_string()]), ..Default::default() };
        assert_eq!(ix.page(&f, 0, None, 100).0, 6, "as host or as peer");
        let f = Filter { session: Some(1), q: Some("ehlo".into()), ..Default::default() };
        assert_eq!(ix.page(&f, 0, None, 100).2.iter().map(|r| r.i).collect::<Vec<_>>(), vec![7]);
        let f = Filter { q: Some("smtp.reply".into()), ..Default::default() };
        assert_eq!(ix.page(&f, 0, None, 100).0, 2, "the kind is searched too");
    }

    #[test]
    fn paging_and_around() {
        let ix = index();
        let f = Filter::default();
        let (total, off, rows) = ix.page(&f, 10, None, 5);
        assert_eq!((total, off, rows.len()), (12, 10, 2));
        let (_, off, rows) = ix.page(&f, 0, Some(7), 5);
        assert_eq!(off, 5);
        assert!(rows.iter().any(|r| r.i == 7));
        let f = Filter { cats: BTreeSet::from([Category::Smtp]), ..Default::default() };
        let (_, off, rows) = ix.page(&f, 0, Some(8), 2);
        assert_eq!(off, 2);
        assert_eq!(rows[0].i, 8);
        let (total, off, rows) = ix.page(&f, 99, None, 2);
        assert_eq!((total, off, rows.len()), (3, 3, 0));
    }

    #[test]
    fn navigation_moves_by_event_command_step_failure() {
        let ix = index();
        let none = Filter::default();
        assert_eq!(ix.nav(0, By::Event, true, &none), 1);
        assert_eq!(ix.nav(5, By::Event, false, &none), 4);
        assert_eq!(ix.nav(0, By::Event, false, &none), 0);
        assert_eq!(ix.nav(12, By::Event, true, &none), 12);
        // Commands: the DNS query (4) and EHLO (7).
        assert_eq!(ix.nav(0, By::Command, true, &none), 5);
        assert_eq!(ix.nav(5, By::Command, true, &none), 8);
        assert_eq!(ix.nav(8, By::Command, false, &none), 5);
        assert_eq!(ix.nav(5, By::Command, false, &none), 0);
        assert_eq!(ix.nav(0, By::Step, true, &none), 2);
        assert_eq!(ix.nav(2, By::Step, true, &none), 11);
        assert_eq!(ix.nav(11, By::Step, false, &none), 2);
        assert_eq!(ix.nav(0, By::Failure, true, &none), 6);
        assert_eq!(ix.nav(6, By::Failure, true, &none), 9);
        let smtp = Filter { cats: BTreeSet::from([Category::Smtp]), ..Default::default() };
        assert_eq!(ix.nav(0, By::Command, true, &smtp), 8);
    }

    #[test]
    fn sessions_open_and_close() {
        let ix = index();
        let s = &ix.sessions[&1];
        assert_eq!((s.client.as_deref(), s.server.as_deref(), s.proto), (Some("pc"), Some("dept"), "smtp"));
        assert!(ix.open_at(2).is_empty());
        assert_eq!(ix.open_at(3).len(), 1);
        assert_eq!(ix.open_at(9).len(), 1);
        assert!(ix.open_at(10).is_empty(), "the close is event 9, done at position 10");
        assert_eq!(ix.session_rows(1, 8).len(), 4);
    }

    #[test]
    fn time_positions() {
        let ix = index();
        assert_eq!(ix.position_at(t0()), 2);
        assert_eq!(ix.position_at(t0() + chrono::Duration::milliseconds(20)), 6);
        assert_eq!(ix.position_at(t0() - chrono::Duration::seconds(1)), 0);
        assert_eq!(ix.position_at(t0() + chrono::Duration::hours(1)), 12);
    }
}

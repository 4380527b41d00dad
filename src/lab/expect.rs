//! Checking a scenario's expectations against the trace of its run.

use crate::base::message;
use crate::scenario::{ExpectKind, Scenario};
use crate::trace::Event;
use crate::trace::{Field, Kind};
use std::collections::BTreeSet;

const SMTP_VERBS: [&str; 13] =
    ["HELO", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS"];

/// One expectation's result, worded in English and in Japanese. The
/// expectation's event carries both (`Lab::finish`: the line, and
/// [`Field::LineJa`]), and every view reads its language from there
/// ([`Event::line_in`]).
pub struct Outcome {
    pub ok: bool,
    pub text: String,
    pub text_ja: String,
    pub line: u64,
}

pub fn check(sc: &Scenario, events: &[Event]) -> Vec<Outcome> {
    sc.expect
        .iter()
        .map(|e| {
            let (ok, t) = one(sc, events, &e.kind);
            Outcome { ok, text: t.en, text_ja: t.ja, line: e.line }
        })
        .collect()
}

/// What a scenario's expectations read of a trace, so that a run whose
/// trace is streamed keeps only those events (see [`crate::trace::Trace::streaming`]).
/// A superset is fine; a miss would change an outcome (a test checks every
/// shipped scenario against its whole trace).
pub struct Needs {
    /// Events of a kind, on one host or (`None`) on any.
    kinds: Vec<(Kind, Option<String>)>,
    mailboxes: BTreeSet<String>,
    steps: BTreeSet<u64>,
    /// Sessions opened by a step whose replies are expected.
    sessions: BTreeSet<u64>,
}

impl Needs {
    pub fn of(sc: &Scenario) -> Needs {
        let mut n =
            Needs { kinds: Vec::new(), mailboxes: BTreeSet::new(), steps: BTreeSet::new(), sessions: BTreeSet::new() };
        let name = |h: &usize| sc.hosts.get(*h).map(|h| h.name.clone());
        for e in &sc.expect {
            match &e.kind {
                ExpectKind::Trace { kind, host, .. } => {
                    n.kinds.push((*kind, host.as_ref().and_then(name)));
                }
                ExpectKind::Log { host, .. } => {
                    n.kinds.push((Kind::Log, name(host)));
                }
                ExpectKind::Fetched { .. } => {
                    n.kinds.push((Kind::MuaFetch, None));
                }
                ExpectKind::Reply { step, .. } => {
                    n.steps.insert(*step as u64);
                }
                ExpectKind::Delivered { to, .. }
                | ExpectKind::Header { to, .. }
                | ExpectKind::ReceivedChain { to, .. } => {
                    n.mailboxes.insert(to.clone());
                }
            }
        }
        n
    }

    /// Does an expectation read this event? Called on every event in order
    /// (it follows the sessions the expected steps open).
    pub fn wants(&mut self, e: &Event) -> bool {
        if self.kinds.iter().any(|(k, h)| *k == e.kind && h.as_ref().is_none_or(|h| *h == e.host)) {
            return true;
        }
        if e.kind == Kind::Deliver
            && e.field_str(Field::Mailbox).is_some_and(|m| self.mailboxes.iter().any(|x| same_mailbox(x, m)))
        {
            return true;
        }
        if !self.steps.is_empty() {
            if e.kind == Kind::TcpConnect
                && let (Some(s), Some(step)) = (e.session, e.field_u64(Field::Step))
                && self.steps.contains(&step)
            {
                self.sessions.insert(s);
                return true;
            }
            return e.session.is_some_and(|s| self.sessions.contains(&s));
        }
        false
    }
}

/// One mailbox: a local part is matched without regard to case, as the
/// MTAs deliver (see `Store::resolve_user`), and a scenario cannot have two
/// users that differ only in case.
fn same_mailbox(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The messages delivered to a mailbox, in order.
pub fn delivered<'a>(events: &'a [Event], mailbox: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox).is_some_and(|m| same_mailbox(m, mailbox)))
        .filter_map(|e| e.field_str(Field::Message))
        .collect()
}

/// Replies of the SMTP sessions a step opened, each with the command it answered.
pub fn step_replies(events: &[Event], step: usize) -> Vec<(String, u16, String)> {
    let sessions: BTreeSet<u64> = events
        .iter()
        .filter(|e| e.kind == Kind::TcpConnect && e.field_u64(Field::Step) == Some(step as u64))
        .filter_map(|e| e.session)
        .collect();
    let mut out = Vec::new();
    let mut last_cmd = std::collections::BTreeMap::new();
    for e in events.iter().filter(|e| e.session.is_some_and(|s| sessions.contains(&s))) {
        let s = e.session.unwrap_or(0);
        match e.kind {
            Kind::SmtpCmd => {
                let verb = e.line.as_deref().unwrap_or("").split(' ').next().unwrap_or("").to_ascii_uppercase();
                // Lines answering an AUTH challenge are not commands: keep the verb before them.
                if SMTP_VERBS.contains(&verb.as_str()) {
                    last_cmd.insert(s, verb);
                }
            }
            Kind::SmtpReply => {
                let line = e.line.clone().unwrap_or_default();
                // One entry per reply: skip continuation lines ("250-...").
                if line.as_bytes().get(3) == Some(&b'-') {
                    continue;
                }
                let cmd = last_cmd.get(&s).cloned().unwrap_or_else(|| "CONNECT".into());
                let code = e.field_u64(Field::Code).unwrap_or(0) as u16;
                out.push((cmd, code, line));
            }
            _ => {}
        }
    }
    out
}

/// A text in English and in Japanese.
struct Two {
    en: String,
    ja: String,
}

fn two(en: String, ja: String) -> Two {
    Two { en, ja }
}

fn one(sc: &Scenario, events: &[Event], k: &ExpectKind) -> (bool, Two) {
    match k {
        ExpectKind::Trace { kind, host, pattern, absent } => {
            let name = host.map(|h| sc.hosts[h].name.as_str());
            let what = two(
                format!("`{kind}` event{}", name.map(|n| format!(" on {n}")).unwrap_or_default()),
                format!("{}`{kind}` イベント", name.map(|n| format!("{n} の ")).unwrap_or_default()),
            );
            find_line(events, *kind, name, pattern, *absent, &what)
        }
        ExpectKind::Fetched { step, count } => {
            let got = events
                .iter()
                .find(|e| e.kind == Kind::MuaFetch && e.field_u64(Field::Step) == Some(*step as u64))
                .and_then(|e| e.field_u64(Field::Count));
            match got {
                Some(n) => (
                    n == *count as u64,
                    two(
                        format!("step {step}: {count} message(s) read — read {n}"),
                        format!("ステップ {step}: {count} 通を読む — 読んだのは {n} 通"),
                    ),
                ),
                None => (
                    false,
                    two(
                        format!("step {step}: {count} message(s) read — the step did not run"),
                        format!("ステップ {step}: {count} 通を読む — ステップが実行されなかった"),
                    ),
                ),
            }
        }
        ExpectKind::Reply { step, code, command } => {
            let replies = step_replies(events, *step);
            let relevant: Vec<&(String, u16, String)> =
                replies.iter().filter(|(c, _, _)| command.as_ref().is_none_or(|want| c == want)).collect();
            let what = match command {
                Some(c) => {
                    two(format!("step {step}: a {code} reply to {c}"), format!("ステップ {step}: {c} への {code} 応答"))
                }
                None => two(format!("step {step}: a {code} reply"), format!("ステップ {step}: {code} 応答")),
            };
            match relevant.iter().find(|(_, c, _)| c == code) {
                Some((_, _, line)) => {
                    (true, two(format!("{} — got `{line}`", what.en), format!("{} — 受け取った応答 `{line}`", what.ja)))
                }
                None => {
                    let seen = if relevant.is_empty() {
                        // No reply to that command: say where the session went
                        // instead (a refused RCPT leaves no DATA to answer).
                        let refusal = replies.iter().rev().find(|(_, code, _)| *code >= 400);
                        let result = events
                            .iter()
                            .find(|e| e.kind == Kind::MuaResult && e.field_u64(Field::Step) == Some(*step as u64))
                            .and_then(|e| e.line.as_deref());
                        match (command, refusal, result) {
                            (Some(c), Some((last_cmd, _, line)), _) => two(
                                format!("no reply to {c}; the step's last refusal was `{line}` to {last_cmd}"),
                                format!("{c} への応答なし。このステップの最後の拒否は {last_cmd} への `{line}`"),
                            ),
                            (Some(c), None, Some(r)) => two(
                                format!("no reply to {c}; the client's result: {r}"),
                                format!("{c} への応答なし。クライアントの結果: {r}"),
                            ),
                            _ => two("no reply at all".into(), "応答なし".into()),
                        }
                    } else {
                        let en: Vec<String> = relevant.iter().map(|(c, code, _)| format!("{code} to {c}")).collect();
                        let ja: Vec<String> = relevant.iter().map(|(c, code, _)| format!("{c} への {code}")).collect();
                        two(en.join(", "), ja.join("、"))
                    };
                    (
                        false,
                        two(
                            format!("{} — expected {code}, saw {}", what.en, seen.en),
                            format!("{} — 期待は {code}、実際は {}", what.ja, seen.ja),
                        ),
                    )
                }
            }
        }
        ExpectKind::Delivered { to, count, subject, contains } => {
            let msgs = delivered(events, to);
            let matching: Vec<&&str> = msgs
                .iter()
                .filter(|m| contains.as_ref().is_none_or(|c| m.contains(c.as_str())))
                .filter(|m| {
                    subject.as_ref().is_none_or(|want| {
                        let hs = message::headers(m.as_bytes());
                        mail_subject(&hs).is_some_and(|s| s.contains(want.as_str()))
                    })
                })
                .collect();
            let mut about = subject.as_ref().map(|s| format!(" with subject containing \"{s}\"")).unwrap_or_default();
            if let Some(c) = contains {
                about.push_str(&format!(" containing {c:?}"));
            }
            let mut about_ja: Vec<String> = subject.iter().map(|s| format!("件名に「{s}」を含む")).collect();
            about_ja.extend(contains.iter().map(|c| format!("{c:?} を含む")));
            let about_ja = about_ja.join("、");
            let found = matching.len();
            match count {
                Some(n) => (
                    found == *n,
                    two(
                        format!("{n} message(s){about} delivered to {to} — found {found}"),
                        format!("{to} に配送された{about_ja}メッセージ {n} 通 — 見つかったのは {found} 通"),
                    ),
                ),
                None => (
                    !matching.is_empty(),
                    two(
                        format!("a message{about} delivered to {to} — found {found}"),
                        format!("{to} に配送された{about_ja}メッセージ — 見つかったのは {found} 通"),
                    ),
                ),
            }
        }
        ExpectKind::Header { to, name, message: n, count, contains } => {
            let msgs = delivered(events, to);
            let Some(m) = msgs.get(n - 1) else {
                let k = msgs.len();
                return (
                    false,
                    two(
                        format!("header {name} in message {n} to {to} — only {k} message(s) were delivered"),
                        format!("{to} 宛ての {n} 通目のヘッダ {name} — 配送されたのは {k} 通だけ"),
                    ),
                );
            };
            let hs = message::headers(m.as_bytes());
            let vals = message::values(&hs, name);
            let mut ok = true;
            let (mut en, mut ja) = (Vec::new(), Vec::new());
            if let Some(c) = count {
                ok &= vals.len() == *c;
                let k = vals.len();
                en.push(format!("{c} field(s), found {k}"));
                ja.push(format!("フィールド {c} 個（見つかったのは {k} 個）"));
            }
            if let Some(s) = contains {
                let hit = vals.iter().any(|v| v.contains(s.as_str()));
                ok &= hit;
                en.push(format!("one containing \"{s}\": {}", if hit { "yes" } else { "no" }));
                ja.push(format!("「{s}」を含むもの: {}", if hit { "あり" } else { "なし" }));
            }
            if count.is_none() && contains.is_none() {
                ok = !vals.is_empty();
                en.push(format!("present: {}", if ok { "yes" } else { "no" }));
                ja.push(format!("あるか: {}", if ok { "ある" } else { "ない" }));
            }
            (
                ok,
                two(
                    format!("{name}: in message {n} to {to} — {}", en.join("; ")),
                    format!("{to} 宛ての {n} 通目の {name} — {}", ja.join("、")),
                ),
            )
        }
        ExpectKind::ReceivedChain { to, hops, message: n } => {
            let msgs = delivered(events, to);
            let Some(m) = msgs.get(n - 1) else {
                let k = msgs.len();
                return (
                    false,
                    two(
                        format!("Received: chain of message {n} to {to} — only {k} message(s) were delivered"),
                        format!("{to} 宛ての {n} 通目の Received: の連なり — 配送されたのは {k} 通だけ"),
                    ),
                );
            };
            let hs = message::headers(m.as_bytes());
            let seen: Vec<String> = message::values(&hs, "Received")
                .iter()
                .map(|v| message::received_by(v).unwrap_or_else(|| "?".into()))
                .collect();
            let want: Vec<String> = hops.iter().map(|&i| sc.hosts[i].hostname.clone()).collect();
            let ok = seen == want;
            let want = want.join(" ← ");
            let seen = if seen.is_empty() {
                two("(none)".into(), "（なし）".into())
            } else {
                two(seen.join(" ← "), seen.join(" ← "))
            };
            (
                ok,
                two(
                    format!(
                        "Received: chain of message {n} to {to}, newest first — expected by {want}, found by {}",
                        seen.en
                    ),
                    format!(
                        "{to} 宛ての {n} 通目の Received: の連なり（新しい順） — 期待は {want}、実際は {}",
                        seen.ja
                    ),
                ),
            )
        }
        ExpectKind::Log { host, pattern, absent } => {
            let name = sc.hosts[*host].name.as_str();
            let what = two(format!("log line of {name}"), format!("{name} のログ行"));
            find_line(events, Kind::Log, Some(name), pattern, *absent, &what)
        }
    }
}

/// Is there an event of `kind` (on `host`) whose line matches `pattern`?
fn find_line(events: &[Event], kind: Kind, host: Option<&str>, pattern: &str, absent: bool, what: &Two) -> (bool, Two) {
    let (w, wj) = (&what.en, &what.ja);
    let Ok(re) = regex::Regex::new(pattern) else {
        return (false, two(format!("a {w}: bad pattern {pattern}"), format!("{wj}: パターン {pattern} が正しくない")));
    };
    let hit = events
        .iter()
        .filter(|e| e.kind == kind && host.is_none_or(|n| e.host == n))
        .find_map(|e| e.line.as_deref().filter(|l| re.is_match(l)));
    let p = pattern;
    match (hit, absent) {
        (Some(l), false) => (true, two(format!("a {w} matching /{p}/ — `{l}`"), format!("/{p}/ に合う {wj} — `{l}`"))),
        (None, false) => (false, two(format!("a {w} matching /{p}/ — none"), format!("/{p}/ に合う {wj} — なし"))),
        (None, true) => (true, two(format!("no {w} matching /{p}/"), format!("/{p}/ に合う {wj} はない"))),
        (Some(l), true) => (
            false,
            two(
                format!("no {w} matching /{p}/ — but found `{l}`"),
                format!("/{p}/ に合う {wj} はない — ところが `{l}` があった"),
            ),
        ),
    }
}

/// The Subject, decoded if it is an RFC 2047 encoded-word.
fn mail_subject(hs: &[(String, String)]) -> Option<String> {
    let raw = message::first(hs, "Subject")?;
    let full = format!("Subject: {raw}\r\n\r\n");
    mail_parser::MessageParser::new()
        .parse_headers(full.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .or_else(|| Some(raw.to_string()))
}

//! Checking a scenario's expectations against the trace of its run.

use crate::base::message;
use crate::scenario::{ExpectKind, Scenario};
use crate::trace::Event;
use crate::trace::{Field, Kind};
use std::collections::BTreeSet;

const SMTP_VERBS: [&str; 13] =
    ["HELO", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS"];

pub struct Outcome {
    pub ok: bool,
    pub text: String,
    pub line: u64,
}

pub fn check(sc: &Scenario, events: &[Event]) -> Vec<Outcome> {
    sc.expect
        .iter()
        .map(|e| {
            let (ok, text) = one(sc, events, &e.kind);
            Outcome { ok, text, line: e.line }
        })
        .collect()
}

/// The messages delivered to a mailbox, in order.
pub fn delivered<'a>(events: &'a [Event], mailbox: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox) == Some(mailbox))
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

fn one(sc: &Scenario, events: &[Event], k: &ExpectKind) -> (bool, String) {
    match k {
        ExpectKind::Trace { kind, host, pattern, absent } => {
            let name = host.map(|h| sc.hosts[h].name.as_str());
            let what = format!("`{kind}` event{}", name.map(|n| format!(" on {n}")).unwrap_or_default());
            find_line(events, *kind, name, pattern, *absent, &what)
        }
        ExpectKind::Fetched { step, count } => {
            let got = events
                .iter()
                .find(|e| e.kind == Kind::MuaFetch && e.field_u64(Field::Step) == Some(*step as u64))
                .and_then(|e| e.field_u64(Field::Count));
            match got {
                Some(n) => (n == *count as u64, format!("step {step}: {count} message(s) read — read {n}")),
                None => (false, format!("step {step}: {count} message(s) read — the step did not run")),
            }
        }
        ExpectKind::Reply { step, code, command } => {
            let replies = step_replies(events, *step);
            let relevant: Vec<&(String, u16, String)> =
                replies.iter().filter(|(c, _, _)| command.as_ref().is_none_or(|want| c == want)).collect();
            let what = match command {
                Some(c) => format!("step {step}: a {code} reply to {c}"),
                None => format!("step {step}: a {code} reply"),
            };
            match relevant.iter().find(|(_, c, _)| c == code) {
                Some((_, _, line)) => (true, format!("{what} — got `{line}`")),
                None => {
                    let seen: Vec<String> = relevant.iter().map(|(c, code, _)| format!("{code} to {c}")).collect();
                    let seen = if seen.is_empty() { "no reply at all".to_string() } else { seen.join(", ") };
                    (false, format!("{what} — expected {code}, saw {seen}"))
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
            match count {
                Some(n) => (
                    matching.len() == *n,
                    format!("{n} message(s){about} delivered to {to} — found {}", matching.len()),
                ),
                None => {
                    (!matching.is_empty(), format!("a message{about} delivered to {to} — found {}", matching.len()))
                }
            }
        }
        ExpectKind::Header { to, name, message: n, count, contains } => {
            let msgs = delivered(events, to);
            let Some(m) = msgs.get(n - 1) else {
                return (
                    false,
                    format!("header {name} in message {n} to {to} — only {} message(s) were delivered", msgs.len()),
                );
            };
            let hs = message::headers(m.as_bytes());
            let vals = message::values(&hs, name);
            let mut ok = true;
            let mut parts = Vec::new();
            if let Some(c) = count {
                ok &= vals.len() == *c;
                parts.push(format!("{c} field(s), found {}", vals.len()));
            }
            if let Some(s) = contains {
                let hit = vals.iter().any(|v| v.contains(s.as_str()));
                ok &= hit;
                parts.push(format!("one containing \"{s}\": {}", if hit { "yes" } else { "no" }));
            }
            if count.is_none() && contains.is_none() {
                ok = !vals.is_empty();
                parts.push(format!("present: {}", if ok { "yes" } else { "no" }));
            }
            (ok, format!("{name}: in message {n} to {to} — {}", parts.join("; ")))
        }
        ExpectKind::ReceivedChain { to, hops, message: n } => {
            let msgs = delivered(events, to);
            let Some(m) = msgs.get(n - 1) else {
                return (
                    false,
                    format!("Received: chain of message {n} to {to} — only {} message(s) were delivered", msgs.len()),
                );
            };
            let hs = message::headers(m.as_bytes());
            let seen: Vec<String> = message::values(&hs, "Received")
                .iter()
                .map(|v| message::received_by(v).unwrap_or_else(|| "?".into()))
                .collect();
            let want: Vec<String> = hops.iter().map(|&i| sc.hosts[i].hostname.clone()).collect();
            (
                seen == want,
                format!(
                    "Received: chain of message {n} to {to}, newest first — expected by {}, found by {}",
                    want.join(" ← "),
                    if seen.is_empty() { "(none)".into() } else { seen.join(" ← ") }
                ),
            )
        }
        ExpectKind::Log { host, pattern, absent } => {
            let name = sc.hosts[*host].name.as_str();
            find_line(events, Kind::Log, Some(name), pattern, *absent, &format!("log line of {name}"))
        }
    }
}

/// Is there an event of `kind` (on `host`) whose line matches `pattern`?
fn find_line(
    events: &[Event],
    kind: Kind,
    host: Option<&str>,
    pattern: &str,
    absent: bool,
    what: &str,
) -> (bool, String) {
    let Ok(re) = regex::Regex::new(pattern) else {
        return (false, format!("a {what}: bad pattern {pattern}"));
    };
    let hit = events
        .iter()
        .filter(|e| e.kind == kind && host.is_none_or(|n| e.host == n))
        .find_map(|e| e.line.as_deref().filter(|l| re.is_match(l)));
    match (hit, absent) {
        (Some(l), false) => (true, format!("a {what} matching /{pattern}/ — `{l}`")),
        (None, false) => (false, format!("a {what} matching /{pattern}/ — none")),
        (None, true) => (true, format!("no {what} matching /{pattern}/")),
        (Some(l), true) => (false, format!("no {what} matching /{pattern}/ — but found `{l}`")),
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

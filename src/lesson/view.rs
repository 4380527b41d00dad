//! What a section shows of the trace in the terminal: the events its
//! `show:` lets through (hosts, sessions, kinds, a step's connection), with
//! a multi-line SMTP reply (EHLO's capability lines) and a reverse look-up
//! (a PTR query and its answer) folded into one line each, and a simple
//! built-in pager for long excerpts.

use super::Lang;
use crate::trace::render::text_line;
use crate::trace::{Category, Event, Field, Kind};
use std::collections::BTreeSet;
use std::io::{self, BufRead, Write};

/// A section's `show:` (checked). The default shows everything, folded.
#[derive(Clone, Debug)]
pub struct Show {
    pub hosts: Vec<String>,
    pub sessions: Vec<u64>,
    /// Empty: every kind.
    pub kinds: Vec<Kind>,
    pub step_connection: Option<usize>,
    pub fold: bool,
}

impl Default for Show {
    fn default() -> Show {
        Show { hosts: Vec::new(), sessions: Vec::new(), kinds: Vec::new(), step_connection: None, fold: true }
    }
}

/// The kinds a `kinds:` entry names: a kind, a category, or a prefix such as
/// `list.*`; None if it names none.
pub fn kinds_named(s: &str) -> Option<Vec<Kind>> {
    if let Some(k) = Kind::from_name(s) {
        return Some(vec![k]);
    }
    if let Some(c) = Category::from_name(s) {
        return Some(Kind::ALL.iter().copied().filter(|k| k.category() == c).collect());
    }
    let prefix = s.strip_suffix('*')?;
    let ks: Vec<Kind> = Kind::ALL.iter().copied().filter(|k| k.name().starts_with(prefix)).collect();
    (!prefix.is_empty() && !ks.is_empty()).then_some(ks)
}

impl Show {
    /// Does this section narrow the trace at all?
    pub fn narrows(&self) -> bool {
        !self.hosts.is_empty() || !self.sessions.is_empty() || !self.kinds.is_empty() || self.step_connection.is_some()
    }

    /// The connections a step opened, read from the whole run.
    fn step_sessions(&self, all: &[&Event]) -> BTreeSet<u64> {
        match self.step_connection {
            Some(k) => all
                .iter()
                .filter(|e| e.field_u64(Field::Step) == Some(k as u64) && e.kind != Kind::Step)
                .filter_map(|e| e.session)
                .collect(),
            None => BTreeSet::new(),
        }
    }

    fn keeps(&self, e: &Event, step_sessions: &BTreeSet<u64>) -> bool {
        if e.kind == Kind::Step {
            return true;
        }
        let host_ok =
            self.hosts.is_empty() || self.hosts.iter().any(|h| &e.host == h || e.peer.as_ref().is_some_and(|p| p == h));
        let session_ok = self.sessions.is_empty() || e.session.is_some_and(|s| self.sessions.contains(&s));
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&e.kind);
        let step_ok = self.step_connection.is_none() || e.session.is_some_and(|s| step_sessions.contains(&s));
        host_ok && session_ok && kind_ok && step_ok
    }

    /// The events of `part` this section shows (`all` is the whole run, for
    /// `step_connection`).
    pub fn select<'a>(&self, part: &[&'a Event], all: &[&Event]) -> Vec<&'a Event> {
        let ss = self.step_sessions(all);
        part.iter().copied().filter(|e| self.keeps(e, &ss)).collect()
    }
}

/// An SMTP reply line's code and whether more lines follow (`250-…`).
fn reply_head(line: &str) -> Option<(&str, bool)> {
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match line.as_bytes().get(3) {
        Some(b'-') => Some((code, true)),
        Some(b' ') | None => Some((code, false)),
        _ => None,
    }
}

/// A PTR look-up's question (`23.2.0.192.in-addr.arpa. IN PTR`).
fn is_ptr_query(e: &Event) -> bool {
    e.kind == Kind::DnsQuery && e.line.as_deref().is_some_and(|l| l.trim_end().ends_with(" IN PTR"))
}

/// The trace lines of these events, folded if `fold`.
pub fn lines(events: &[&Event], fold: bool, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        if fold
            && e.kind == Kind::SmtpReply
            && let Some((_, true)) = e.line.as_deref().and_then(reply_head)
        {
            // The rest of this reply: the same session's next reply lines, up to its last.
            let mut rest = Vec::new();
            for (j, f) in events.iter().enumerate().skip(i + 1) {
                if f.kind != Kind::SmtpReply || f.session != e.session || f.host != e.host {
                    continue;
                }
                let l = f.line.as_deref().unwrap_or("");
                let Some((_, more)) = reply_head(l) else { break };
                skip.insert(j);
                rest.push(l.get(4..).unwrap_or("").to_string());
                if !more {
                    break;
                }
            }
            if !rest.is_empty() {
                let mut first = (*e).clone();
                let note = match lang {
                    Lang::En => format!("  (+{} more lines: {})", rest.len(), rest.join(", ")),
                    Lang::Ja => format!("  (ほか {} 行: {})", rest.len(), rest.join(", ")),
                };
                first.line = Some(format!("{}{note}", e.line.as_deref().unwrap_or("")));
                out.push(text_line(&first, 10, false, lang == Lang::Ja));
                continue;
            }
        }
        if fold && is_ptr_query(e) {
            let answer = events.iter().enumerate().skip(i + 1).find(|(_, f)| {
                f.kind == Kind::DnsAnswer
                    && f.host == e.host
                    && f.peer == e.peer
                    && f.field_u64(Field::Id) == e.field_u64(Field::Id)
            });
            if let Some((j, a)) = answer {
                skip.insert(j);
                let al = a.line.as_deref().unwrap_or("");
                let names: Vec<&str> = al
                    .split_once("IN PTR: ")
                    .map(|(_, recs)| recs.split(", ").filter_map(|r| r.split_whitespace().last()).collect())
                    .unwrap_or_default();
                let result = if names.is_empty() {
                    al.split_whitespace().next().unwrap_or("?").to_string()
                } else {
                    names.join(", ")
                };
                let mut q = (*e).clone();
                q.line = Some(format!("{} → {result}", e.line.as_deref().unwrap_or("").trim_end()));
                out.push(text_line(&q, 10, false, lang == Lang::Ja));
                continue;
            }
        }
        out.push(text_line(e, 10, false, lang == Lang::Ja));
    }
    out
}

/// How a long excerpt is shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct View {
    /// Lines per page, None: everything at once (no terminal, or --no-pager).
    pub page: Option<usize>,
}

fn t(lang: Lang, en: &str, ja: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ja => ja.to_string(),
    }
}

/// Print lines a page at a time: after each page "-- more --", Enter goes
/// on, q skips the rest. Returns false if the input ended.
pub fn page(
    lines: &[String],
    view: View,
    lang: Lang,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let size = match view.page {
        Some(n) if lines.len() > n + 2 => n.max(1),
        _ => {
            for l in lines {
                writeln!(out, "{l}")?;
            }
            return Ok(true);
        }
    };
    let mut chunks = lines.chunks(size).peekable();
    let mut shown = 0;
    while let Some(chunk) = chunks.next() {
        for l in chunk {
            writeln!(out, "{l}")?;
        }
        shown += chunk.len();
        if chunks.peek().is_none() {
            break;
        }
        write!(
            out,
            "{}",
            match lang {
                Lang::En => format!("-- more ({shown}/{}; Enter: next page, q: skip the rest) -- ", lines.len()),
                Lang::Ja => format!("-- 続く ({shown}/{}、Enter: 次のページ、q: 残りを飛ばす) -- ", lines.len()),
            }
        )?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(false);
        }
        if line.trim().eq_ignore_ascii_case("q") {
            writeln!(
                out,
                "{}",
                match lang {
                    Lang::En => format!("({} lines skipped; :t shows them again)", lines.len() - shown),
                    Lang::Ja => format!("({} 行を飛ばしました。:t でもう一度表示します)", lines.len() - shown),
                }
            )?;
            break;
        }
    }
    Ok(true)
}

/// What the runner does with a line typed at a prompt that is not an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `:t` — the section's trace again.
    Section,
    /// `:all` — the whole trace so far, unfiltered.
    All,
    /// `:h` or `:?` — what the keys do.
    Help,
    /// Any other line that starts with a colon: a mistyped key, not an
    /// answer (it uses up no attempt).
    Unknown,
}

/// The key typed, if the line is one: folded as answers are, so that `：ｈ`
/// typed with the input method on is `:h`.
pub fn command(line: &str) -> Option<Command> {
    let line = super::answer::fold(line);
    match line.as_str() {
        ":t" | ":trace" => Some(Command::Section),
        ":all" | ":a" => Some(Command::All),
        ":h" | ":help" | ":?" => Some(Command::Help),
        l if l.starts_with(':') => Some(Command::Unknown),
        _ => None,
    }
}

/// The help for the keys, naming the browser lab for the picture.
pub fn help(lang: Lang, stem: &str) -> String {
    match lang {
        Lang::En => format!(
            "  :t    this section's trace again\n  :all  the whole trace so far (nothing left out)\n  :h    this help\n  The run as a picture, step by step: maillab web --lesson {stem}"
        ),
        Lang::Ja => format!(
            "  :t    このセクションのトレースをもう一度\n  :all  ここまでのトレース全体 (省略なし)\n  :h    このヘルプ\n  実行を図で1ステップずつ見るには: maillab web --lesson {stem}"
        ),
    }
    .to_string()
}

pub(super) fn hint_line(lang: Lang) -> String {
    t(
        lang,
        "(:t shows this trace again, :all the whole trace so far, :h help)",
        "(:t でこのトレースをもう一度、:all でここまでの全体、:h でヘルプ)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Kind;

    fn lesson_events(name: &str) -> Vec<Event> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        let sc = crate::scenario::load_file(&path).expect("shipped");
        crate::lab::run_with(&sc, crate::lab::RunOptions { wire: false }).expect("runs").events
    }

    #[test]
    fn ehlo_capabilities_and_ptr_lookups_fold_into_one_line_each() {
        let events = lesson_events("relay-chain");
        let all: Vec<&Event> = events.iter().collect();
        let plain = lines(&all, false, Lang::En);
        let folded = lines(&all, true, Lang::En);
        assert!(plain.iter().any(|l| l.contains("S: 250-PIPELINING")));
        assert!(!folded.iter().any(|l| l.contains("S: 250-PIPELINING")), "capability lines are folded");
        let ehlo = folded.iter().find(|l| l.contains("pleased to meet you")).expect("the EHLO reply");
        assert!(
            ehlo.contains("(+6 more lines: ENHANCEDSTATUSCODES, PIPELINING, 8BITMIME, SIZE 10240000, DSN, HELP)"),
            "{ehlo}"
        );
        let ptr = folded.iter().find(|l| l.contains("23.2.0.192.in-addr.arpa. IN PTR")).expect("the PTR look-up");
        assert!(ptr.ends_with("IN PTR → pc1.cs.example.ac.jp."), "{ptr}");
        assert!(!folded.iter().any(|l| l.contains("DNS answer") && l.contains("IN PTR")), "the answer is folded in");
        assert!(folded.iter().any(|l| l.contains("DNS answer") && l.contains("IN MX")), "other look-ups are not");
        assert!(folded.len() < plain.len());
        let ja = lines(&all, true, Lang::Ja);
        assert!(ja.iter().any(|l| l.contains("(ほか 6 行: ENHANCEDSTATUSCODES")));
    }

    #[test]
    fn show_narrows_by_host_session_kind_and_step() {
        let events = lesson_events("relay-chain");
        let all: Vec<&Event> = events.iter().collect();
        let by_host = Show { hosts: vec!["pc1".into()], ..Default::default() }.select(&all, &all);
        assert!(by_host.iter().all(|e| e.kind == Kind::Step || e.host == "pc1" || e.peer.as_deref() == Some("pc1")));
        assert!(by_host.iter().any(|e| e.host == "dept" && e.kind == Kind::SmtpCmd), "both ends of pc1's session");
        let session = Show { sessions: vec![2], ..Default::default() }.select(&all, &all);
        assert!(session.iter().all(|e| e.kind == Kind::Step || e.session == Some(2)));
        let kinds = kinds_named("smtp").expect("a category");
        let smtp = Show { kinds, ..Default::default() }.select(&all, &all);
        assert!(smtp.iter().all(|e| e.kind == Kind::Step || e.kind.category() == Category::Smtp));
        assert_eq!(
            kinds_named("queue.*").map(|k| k.contains(&Kind::from_name("queue.add").expect("kind"))),
            Some(true)
        );
        assert!(kinds_named("nosuch.*").is_none() && kinds_named("*").is_none() && kinds_named("smtp.cmdx").is_none());
        let step = Show { step_connection: Some(1), ..Default::default() }.select(&all, &all);
        let sessions: BTreeSet<u64> = step.iter().filter_map(|e| e.session).collect();
        assert_eq!(sessions, BTreeSet::from([1]), "step 1 opened session 1 only");
    }

    #[test]
    fn the_pager_stops_after_a_page_and_q_skips_the_rest() {
        let lines: Vec<String> = (1..=25).map(|i| format!("line {i}")).collect();
        let mut out = Vec::new();
        let mut input = io::Cursor::new(b"\nq\n".to_vec());
        assert!(page(&lines, View { page: Some(10) }, Lang::En, &mut input, &mut out).expect("writes"));
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("line 20\n-- more (20/25") && !text.contains("line 21"), "{text}");
        assert!(text.contains("(5 lines skipped; :t shows them again)"), "{text}");
        let mut out = Vec::new();
        let mut none = io::Cursor::new(Vec::new());
        assert!(page(&lines, View { page: None }, Lang::Ja, &mut none, &mut out).expect("writes"));
        assert_eq!(String::from_utf8(out).expect("utf-8").lines().count(), 25, "no pager: everything");
        assert_eq!(command(" :t \n"), Some(Command::Section));
        assert_eq!(command("：Ｈ"), Some(Command::Help));
        assert_eq!(command("：ａｌｌ"), Some(Command::All));
        assert_eq!(command(":xyz"), Some(Command::Unknown));
        assert_eq!(command("587"), None);
        assert_eq!(command("250"), None);
    }
}

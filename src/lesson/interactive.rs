//! `maillab lesson run`: a lesson in the terminal. Text, then the part of the
//! trace it talks about, then its questions, with feedback at once: a hint
//! and another try after a wrong answer, the answer and why after the last
//! try (see [`super::attempt`], which the browser lab uses too). Answers are
//! saved after each one, so a student can stop and resume.

pub use super::attempt::Progress;
use super::attempt::{self, Outcome};
use super::view::{self, Command, View};
use super::{Context, Kind, Lang, Lesson};
use crate::trace::render::printable;
use crate::trace::{Event, Field, Kind as EventKind};
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;

/// Where a student's progress in a lesson is kept:
/// `$MAILLAB_HOME/progress/<user>/<lesson>.json` (MAILLAB_HOME defaults to ~/.local/share/maillab).
/// An exam keeps its own, `<lesson>.exam.json`: practice answers are
/// never carried into a submission.
pub fn progress_path(lesson: &str, exam: bool) -> PathBuf {
    let home = std::env::var_os("MAILLAB_HOME").map(PathBuf::from).unwrap_or_else(|| {
        let h = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        h.join(".local/share/maillab")
    });
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty() && u.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or_else(|| "student".into());
    home.join("progress").join(user).join(format!("{lesson}{}.json", if exam { ".exam" } else { "" }))
}

/// Read a progress file (either format); a missing or unreadable one is empty progress.
pub fn load_progress(path: &std::path::Path) -> Progress {
    std::fs::read_to_string(path).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

pub fn save_progress(path: &std::path::Path, p: &Progress) -> io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(p).unwrap_or_default())
}

fn t(lang: Lang, en: &str, ja: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ja => ja.to_string(),
    }
}

/// Run the lesson. Returns the report, or None if the input ended before the
/// last question (the progress so far is saved).
pub fn run(
    l: &Lesson,
    lang: Lang,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    progress: &mut Progress,
    save: &mut dyn FnMut(&Progress) -> io::Result<()>,
) -> io::Result<Option<super::Report>> {
    let ctx = Context::run(l)?;
    run_with(l, &ctx, lang, false, View::default(), input, out, progress, save)
}

/// A section's excerpt: the trace lines it shows, then the header sections
/// of the messages delivered in it (as `maillab run` prints them).
fn excerpt(s: &super::Section, part: &[&Event], all: &[&Event], lang: Lang) -> Vec<String> {
    let shown = s.show.select(part, all);
    let mut lines = view::lines(&shown, s.show.fold, lang);
    for e in shown.iter().filter(|e| e.kind == EventKind::Deliver) {
        lines.push(String::new());
        lines.push(format!(
            "{} {} ({})",
            t(lang, "[delivered message]", "[配達されたメール]"),
            printable(e.field_str(Field::Mailbox).unwrap_or("?")),
            e.host
        ));
        for l in e.field_str(Field::Message).unwrap_or("").split("\r\n").take_while(|l| !l.is_empty()) {
            lines.push(format!("  {}", printable(l)));
        }
    }
    lines
}

/// What `:t` and `:all` show: the current section's excerpt and the trace so far.
struct Seen<'a> {
    excerpt: Vec<String>,
    so_far: &'a [&'a Event],
}

/// Answer a key typed at a prompt. Returns false if the input ended.
fn command(
    c: Command,
    seen: &Seen,
    stem: &str,
    lang: Lang,
    view: View,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<bool> {
    match c {
        Command::Section if seen.excerpt.is_empty() => {
            writeln!(out, "{}", t(lang, "(no trace shown yet)", "(まだトレースは表示されていません)"))?;
            Ok(true)
        }
        Command::Section => {
            writeln!(out, "\n{}", t(lang, "[trace]", "[トレース]"))?;
            view::page(&seen.excerpt, view, lang, input, out)
        }
        Command::All => {
            writeln!(out, "\n{}", t(lang, "[the whole trace so far]", "[ここまでのトレース全体]"))?;
            view::page(&view::lines(seen.so_far, false, lang), view, lang, input, out)
        }
        Command::Help => {
            writeln!(out, "{}", view::help(lang, stem))?;
            Ok(true)
        }
        Command::Unknown => {
            let (en, ja) = (
                "(not a key maillab knows; it was not taken as an answer)",
                "(maillab の知らないキーです。答えとしては数えていません)",
            );
            writeln!(out, "{}\n{}", t(lang, en, ja), view::help(lang, stem))?;
            Ok(true)
        }
    }
}

/// [`run`] on a run already made (a student's variant). In exam mode
/// answers are recorded once each, with no feedback and no score.
#[allow(clippy::too_many_arguments)]
pub fn run_with(
    l: &Lesson,
    ctx: &Context,
    lang: Lang,
    exam: bool,
    view: View,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    progress: &mut Progress,
    save: &mut dyn FnMut(&Progress) -> io::Result<()>,
) -> io::Result<Option<super::Report>> {
    let events: Vec<&Event> = ctx.events.iter().filter(|e| e.kind != EventKind::Wire).collect();
    let stem = l.file.file_stem().and_then(|s| s.to_str()).unwrap_or(&l.name).to_string();
    let mut seen = Seen { excerpt: Vec::new(), so_far: &events[..0] };
    let step_at: BTreeMap<u64, usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Step)
        .filter_map(|(i, e)| e.field_u64(Field::Step).map(|s| (s, i)))
        .collect();
    let end = events.iter().position(|e| e.kind == EventKind::Summary).unwrap_or(events.len());
    let mut shown = 0;
    let stopped = |out: &mut dyn Write| {
        writeln!(
            out,
            "\n{}",
            t(
                lang,
                "Stopped. Your answers are saved; run the lesson again to go on.",
                "中断しました。回答は保存されています。もう一度実行すると続きから始まります。"
            )
        )
    };
    writeln!(out, "\n=== {} ===", lang.pick(&l.title))?;
    let summary = lang.pick(&l.summary);
    if !summary.is_empty() {
        writeln!(out, "{summary}")?;
    }
    let total = l.sections.len();
    for (i, s) in l.sections.iter().enumerate() {
        writeln!(out, "\n--- {}/{} ---\n{}", i + 1, total, lang.pick(&s.text))?;
        if let Some(k) = s.run_to_step {
            let cut = step_at.get(&(k as u64 + 1)).copied().unwrap_or(end).max(shown);
            let header = if s.show.narrows() {
                t(
                    lang,
                    "[trace: the part this section is about; :all shows everything]",
                    "[トレース: このセクションに関係する部分。全体は :all]",
                )
            } else {
                t(lang, "[trace]", "[トレース]")
            };
            writeln!(out, "\n{header}")?;
            seen.excerpt = excerpt(s, &events[shown..cut], &events, lang);
            seen.so_far = &events[..cut];
            if !view::page(&seen.excerpt, view, lang, input, out)? {
                stopped(out)?;
                return Ok(None);
            }
            writeln!(out, "{}", view::hint_line(lang))?;
            shown = cut;
        }
        if let Some(look) = &s.look_at {
            writeln!(out, "\n{} {}", t(lang, "Look at:", "注目:"), lang.pick(look))?;
        }
        if s.checkpoints.is_empty() && i + 1 < total {
            loop {
                write!(out, "\n{}", t(lang, "[Enter] to go on > ", "[Enter] で次へ > "))?;
                out.flush()?;
                let mut line = String::new();
                if input.read_line(&mut line)? == 0 {
                    writeln!(out)?;
                    return Ok(None);
                }
                match view::command(&line) {
                    Some(c) => {
                        if !command(c, &seen, &stem, lang, view, input, out)? {
                            return Ok(None);
                        }
                    }
                    None => break,
                }
            }
        }
        for cp in &s.checkpoints {
            writeln!(out, "\nQ ({}): {}", cp.id, lang.pick(&cp.question))?;
            if let Kind::Choice { options, .. } = &cp.kind {
                for (n, o) in options.iter().enumerate() {
                    writeln!(out, "  {}) {}", n + 1, lang.pick(o))?;
                }
            }
            let rec = progress.lang(lang).record(&cp.id);
            if exam && rec.done {
                writeln!(out, "{} {}", t(lang, "(answered before:)", "(前回の回答:)"), rec.answers.join(" → "))?;
                continue;
            }
            if rec.done {
                let before = rec.answers.join(" → ");
                // Graded again: an old progress file did not say.
                rec.correct =
                    rec.answers.last().is_some_and(|a| super::check(cp, a, ctx) == super::answer::Verdict::Right);
                let mark = if rec.correct { "✓" } else { "✗" };
                writeln!(out, "{} {before} {mark}", t(lang, "(answered before:)", "(前回の回答:)"))?;
                continue;
            }
            // Half answered when the lesson stopped: say so, and how many tries are left.
            if !rec.answers.is_empty() {
                let left = l.attempts.saturating_sub(rec.attempts());
                let before = rec.answers.join(" → ");
                match lang {
                    Lang::En => writeln!(
                        out,
                        "(answered before: {before} ✗; {left} more {} left)",
                        if left == 1 { "try" } else { "tries" }
                    )?,
                    Lang::Ja => writeln!(out, "(前回の回答: {before} ✗。あと {left} 回答えられます)")?,
                }
            }
            loop {
                write!(out, "> ")?;
                out.flush()?;
                let mut line = String::new();
                if input.read_line(&mut line)? == 0 {
                    stopped(out)?;
                    return Ok(None);
                }
                if let Some(c) = view::command(&line) {
                    if !command(c, &seen, &stem, lang, view, input, out)? {
                        stopped(out)?;
                        return Ok(None);
                    }
                    continue;
                }
                let rec = progress.lang(lang).record(&cp.id);
                if exam {
                    match super::check(cp, &line, ctx) {
                        super::answer::Verdict::Invalid(en, ja) => {
                            writeln!(out, "  {}", t(lang, en, ja))?;
                            continue;
                        }
                        _ => {
                            *rec =
                                attempt::Record { answers: vec![line.trim().to_string()], correct: false, done: true };
                            save(progress)?;
                            writeln!(out, "  {}", t(lang, "Answer recorded.", "回答を記録しました。"))?;
                            break;
                        }
                    }
                }
                let outcome = attempt::answer(l, cp, rec, &line, ctx, lang);
                if !matches!(outcome, Outcome::Invalid { .. } | Outcome::Done) {
                    save(progress)?;
                }
                match outcome {
                    Outcome::Invalid { message } => {
                        writeln!(out, "  {message}")?;
                    }
                    Outcome::Wrong { hint, tries_left } => {
                        writeln!(
                            out,
                            "✗ {}",
                            match lang {
                                Lang::En => format!(
                                    "Not quite. {tries_left} more {} left.",
                                    if tries_left == 1 { "try" } else { "tries" }
                                ),
                                Lang::Ja => format!("不正解です。あと {tries_left} 回答えられます。"),
                            }
                        )?;
                        if let Some(h) = hint {
                            writeln!(out, "  {} {}", t(lang, "Hint:", "ヒント:"), h.replace('\n', "\n  "))?;
                        }
                    }
                    Outcome::Correct { explain } => {
                        writeln!(out, "✓ {}", t(lang, "Correct.", "正解です。"))?;
                        if let Some(e) = explain {
                            writeln!(out, "  {}", e.replace('\n', "\n  "))?;
                        }
                        break;
                    }
                    Outcome::Revealed { expected, explain } => {
                        writeln!(out, "✗ {} {expected}", t(lang, "Not quite. The answer is", "残念。正解は"))?;
                        if let Some(e) = explain {
                            writeln!(out, "  {}", e.replace('\n', "\n  "))?;
                        }
                        break;
                    }
                    Outcome::Done => break,
                }
            }
        }
    }
    let r = attempt::grade(l, progress.lang(lang), ctx, lang);
    if exam {
        writeln!(out, "\n{}", t(lang, "Every question is answered.", "すべての問題に回答しました。"))?;
        return Ok(Some(r));
    }
    writeln!(
        out,
        "\n{} {}/{} ({}%) — {}",
        t(lang, "Score:", "得点:"),
        r.score,
        r.max,
        r.percent,
        if r.passed { t(lang, "passed", "合格") } else { t(lang, "not passed yet", "不合格") }
    )?;
    writeln!(
        out,
        "{}",
        match lang {
            Lang::En => format!("The whole run as a picture, step by step: maillab web --lesson {stem}"),
            Lang::Ja => format!("実行の全体を図で、1ステップずつ見るには: maillab web --lesson {stem}"),
        }
    )?;
    if let Some((name, next)) = next_lesson(l) {
        writeln!(out, "{} {name} — {}", t(lang, "Next lesson:", "次のレッスン:"), lang.pick(&next.title))?;
    }
    Ok(Some(r))
}

/// The lesson after this one in its folder (by file name), if any.
pub fn next_lesson(l: &Lesson) -> Option<(String, Lesson)> {
    let dir = l.file.parent()?;
    let me = l.file.file_name()?.to_os_string();
    super::list(dir)
        .into_iter()
        .filter(|(p, _)| p.file_name().is_some_and(|n| n > me.as_os_str()))
        .find_map(|(p, r)| r.ok().map(|x| (p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string(), x)))
}

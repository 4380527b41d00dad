//! The text of an exam copy: a lesson's YAML with its keys and its comments
//! taken out, edited at the places the YAML parser gives (granit-parser,
//! the parser serde-saphyr reads lessons with), so every way YAML allows
//! to write a checkpoint is handled alike: block or flow (`choice: {
//! options: […], answer: 2 }`), on one line or several, plain, quoted or
//! block scalars (`answer: |`), and every spelling of a key the loader
//! takes for the same field: quoted or escaped (`"\x61nswer"`), explicit
//! (`? accept` with `: […]` below), tagged (`!!str hint:`, read as the
//! loader reads it: a `!!binary` key is its decoded text) or carrying an
//! anchor (`&k explain:`).
//!
//! - `answer:` of a `short`, `number` or `choice` question becomes a
//!   placeholder ([`placeholder`]); `accept:` (under `short`), and
//!   `explain:` and `hint:` of every checkpoint are left out (an exam shows
//!   neither: no answer is judged while the student takes it).
//! - Every comment is left out, wherever it stands: a comment is for the
//!   author (nothing maillab shows comes from one) and may note an answer
//!   (`# 正解は 3 の MX`), and which comment names an answer no program can
//!   tell.
//! - What cannot be withheld in place is refused ([`problems`], also run
//!   when a lesson is loaded, so `maillab check` reports it): an answer
//!   written through a YAML alias (`*name`: the answer stands at the
//!   anchor, elsewhere), one carrying an anchor or holding one (`&name`:
//!   other places repeat it, and would repeat nothing once it is cut), a
//!   merge key (`<<`) in the lesson, a section, a checkpoint or its
//!   question (the keys it brings stand elsewhere), and a key written as an
//!   alias or with `${…}` on the way to an answer (it may become
//!   `answer`).
//! - A second YAML document is refused: the loader reads none, and nothing
//!   in it would be withheld.
//!
//! The copy is read again and checked before it is handed out
//! ([`check_copy`]): no key and no comment, both as this module walks the
//! YAML and as the lesson loader's own reader (serde-saphyr) reads it.

use crate::base::diag::{Diagnostic, Diagnostics, tr};
use crate::base::yaml_tree::{Node, NodeKind, colon_after, offset, skip_space_and_comments, tree};
use granit_parser::{Event, Options, Parser};

/// What a withheld short answer reads in the exam copy.
pub const WITHHELD: &str = "(withheld)";

/// The placeholder that stands for the `answer:` of a question of `kind`.
pub fn placeholder(kind: &str) -> String {
    match kind {
        "short" => format!("\"{WITHHELD}\""),
        "number" => "0".into(),
        _ => "1".into(),
    }
}

/// Every section mapping of a lesson: `sections[*]`.
fn sections(root: &Node) -> impl Iterator<Item = &Node> {
    root.get("sections").map(Node::items).unwrap_or_default().iter()
}

/// Every checkpoint mapping of a lesson: `sections[*].checkpoints[*]`.
fn checkpoints(root: &Node) -> impl Iterator<Item = &Node> {
    sections(root)
        .filter_map(|s| s.get("checkpoints"))
        .flat_map(Node::items)
        .filter(|c| matches!(c.kind, NodeKind::Map(..)))
}

/// The question kinds that carry a key.
const KINDS: [&str; 3] = ["short", "number", "choice"];

/// The keys of a checkpoint, or of its kind's mapping, left out of an exam copy.
fn dropped(key: &str, in_kind: bool) -> bool {
    if in_kind { key == "accept" } else { key == "explain" || key == "hint" }
}

/// What [`problems`] reports: where, and what.
struct Problem {
    line: u64,
    column: u64,
    message: String,
    hint: String,
}

impl Problem {
    fn at(n: &Node, message: String, hint: String) -> Problem {
        Problem { line: n.line, column: n.column, message, hint }
    }
}

/// A value that stands elsewhere (an alias) or is repeated elsewhere (an
/// anchor on it or on anything in it), where its text is cut or replaced.
fn alias_problem(key: &Node, value: &Node, what: &str) -> Option<Problem> {
    if let NodeKind::Alias = value.kind {
        return Some(Problem::at(
            value,
            tr(
                format!(
                    "exam-copy cannot withhold this `{what}`: it is a YAML alias (`*name`), so the text stands at its anchor elsewhere in the file"
                ),
                format!(
                    "この `{what}` は exam-copy で伏せられません: YAML のエイリアス (`*名前`) なので、中身はファイルの別の場所 (アンカー) にあります"
                ),
            ),
            tr(
                format!("write the `{what}` out in place, without `*`"),
                format!("`{what}` はその場所に `*` を使わずに書いてください"),
            ),
        ));
    }
    // The key of a cut entry goes too, and with it an anchor on it.
    let on_key = if dropped(what, false) || dropped(what, true) { key.first_anchored() } else { None };
    let n = on_key.or_else(|| value.first_anchored())?;
    Some(Problem::at(
        n,
        tr(
            format!(
                "exam-copy cannot withhold this `{what}`: it carries a YAML anchor (`&name`), so other places may repeat it"
            ),
            format!(
                "この `{what}` は exam-copy で伏せられません: YAML のアンカー (`&名前`) が付いているので、ほかの場所で繰り返されているかもしれません"
            ),
        ),
        tr(
            format!("remove the anchor and write the `{what}` out wherever it is needed"),
            format!("アンカーを外し、`{what}` は必要な場所ごとに書いてください"),
        ),
    ))
}

/// Keys of a mapping on the way to an answer (the lesson, a section, a
/// checkpoint, a question's kind) that exam-copy cannot read as the loader
/// will: a merge key, an alias, a `${…}` that a student's variant fills in.
fn key_problems(map: &Node, out: &mut Vec<Problem>) {
    for (k, _) in map.entries() {
        let (message, hint) = match (&k.kind, k.text()) {
            (NodeKind::Alias, _) => (
                tr(
                    "exam-copy cannot withhold what follows a key written as a YAML alias (`*name`): it may stand for `answer` or a key that leads to one",
                    "YAML のエイリアス (`*名前`) で書いたキーのあとは exam-copy で伏せられません: それが `answer` や、答えに至るキーを表しているかもしれません",
                ),
                tr(
                    "write the key out (answer:, accept:, explain:, …)",
                    "キーは文字で書いてください（answer:、accept:、explain: など）",
                ),
            ),
            (_, Some("<<")) => (
                tr(
                    "exam-copy cannot withhold answers brought in by a YAML merge key (`<<`): the keys it brings stand elsewhere",
                    "YAML のマージキー (`<<`) で持ち込んだ答えは exam-copy で伏せられません: そのキーの中身は別の場所にあります",
                ),
                tr("write the keys out in place, without `<<`", "キーは `<<` を使わずにその場所に書き出してください"),
            ),
            (_, Some(t)) if t.contains("${") => (
                tr(
                    format!(
                        "exam-copy cannot withhold what follows the key `{t}`: a student's variant puts a value in its place, which may make it `answer` or a key that leads to one"
                    ),
                    format!(
                        "キー `{t}` のあとは exam-copy で伏せられません: 学生ごとの版がそこに値を入れるので、`answer` や答えに至るキーになるかもしれません"
                    ),
                ),
                tr(
                    "write keys out; `${…}` belongs in values (texts, options, answers)",
                    "キーは文字で書いてください。`${…}` は値 (文、選択肢、答え) の中で使います",
                ),
            ),
            // A mapping or a list as a key: the loader refuses it itself.
            _ => continue,
        };
        out.push(Problem::at(k, message, hint));
    }
}

/// Forms of a lesson whose keys an exam copy could not withhold in place.
fn find_problems(root: &Node) -> Vec<Problem> {
    let mut out = Vec::new();
    key_problems(root, &mut out);
    for s in sections(root) {
        key_problems(s, &mut out);
    }
    for cp in checkpoints(root) {
        key_problems(cp, &mut out);
        for (k, v) in cp.entries() {
            let Some(key) = k.text() else { continue };
            if dropped(key, false) {
                out.extend(alias_problem(k, v, key));
            } else if KINDS.contains(&key) {
                // The kind's mapping itself standing elsewhere, or repeated.
                if matches!(v.kind, NodeKind::Alias) || v.anchored {
                    out.extend(alias_problem(k, v, key));
                    continue;
                }
                key_problems(v, &mut out);
                for (k2, v2) in v.entries() {
                    if let Some(key2 @ ("answer" | "accept")) = k2.text() {
                        out.extend(alias_problem(k2, v2, key2));
                    }
                }
            }
        }
    }
    out
}

/// The forms of a lesson source whose keys `exam-copy` could not withhold
/// (see the module's notes), as diagnostics of `file`. The lesson loader
/// reports them, so `maillab check` does.
pub fn problems(src: &str, file: &str) -> Vec<Diagnostic> {
    let Ok(Some(root)) = tree(src) else { return Vec::new() };
    find_problems(&root)
        .into_iter()
        .map(|p| Diagnostic {
            file: file.to_string(),
            line: p.line,
            column: p.column,
            message: p.message,
            hint: Some(p.hint),
        })
        .collect()
}

/// Is `b` a space or a tab?
fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The bytes of a key's value to replace, its properties (a tag) or a
/// block scalar's `|`/`>` included: from the first thing after the key's
/// `:`. A value with nothing in it (`answer:`) is the empty place right
/// after the `:`.
fn value_range(src: &str, k: &Node, v: &Node) -> (usize, usize) {
    match colon_after(src, k) {
        Some(colon) if v.is_empty_scalar() => (colon + 1, colon + 1),
        Some(colon) => (skip_space_and_comments(src, colon + 1).min(v.props), v.end),
        None => (v.props, v.end),
    }
}

/// Where a mapping entry begins: at its key's properties (`!!str`, `&k`),
/// or at the `?` that makes the key explicit, on the key's line or alone on
/// a line above it (with blank and comment lines between).
fn entry_start(src: &str, k: &Node) -> usize {
    let b = src.as_bytes();
    let mut j = k.props;
    while j > 0 && blank(b[j - 1]) {
        j -= 1;
    }
    if j > 0 && b[j - 1] == b'?' && (j == 1 || b[j - 2].is_ascii_whitespace() || matches!(b[j - 2], b'{' | b',' | b'['))
    {
        return j - 1;
    }
    if j == 0 || b[j - 1] != b'\n' {
        return k.props;
    }
    let mut line_end = j - 1;
    loop {
        let line_start = src.get(..line_end).and_then(|t| t.rfind('\n')).map_or(0, |n| n + 1);
        let line = src.get(line_start..line_end).unwrap_or_default();
        let t = line.trim_start_matches([' ', '\t']);
        let rest = t.trim_end();
        if rest.is_empty() || rest.starts_with('#') {
            if line_start == 0 {
                return k.props;
            }
            line_end = line_start - 1;
            continue;
        }
        let after = rest.strip_prefix('?').map(|r| r.trim_start_matches([' ', '\t']));
        if after.is_some_and(|r| r.is_empty() || r.starts_with('#')) {
            return line_start + (line.len() - t.len());
        }
        return k.props;
    }
}

/// The bytes to cut for a mapping entry left out.
fn entry_cut(src: &str, k: &Node, v: &Node, flow: bool) -> (usize, usize) {
    let b = src.as_bytes();
    // An empty value (`? hint` alone) may be placed where the next token
    // is: the entry ends at its key, or at the `:` after it.
    let value_end = if v.is_empty_scalar() { colon_after(src, k).map_or(k.end, |c| c + 1) } else { v.end };
    let (mut s, mut e) = (entry_start(src, k), value_end.max(k.end));
    if flow {
        // The entry and the comma after it, or before it when it is the last.
        let mut after = e;
        while b.get(after).is_some_and(|c| c.is_ascii_whitespace()) {
            after += 1;
        }
        if b.get(after) == Some(&b',') {
            e = after + 1;
            while b.get(e).is_some_and(|&c| blank(c)) {
                e += 1;
            }
        } else {
            let mut before = s;
            while before > 0 && b.get(before - 1).is_some_and(|c| c.is_ascii_whitespace()) {
                before -= 1;
            }
            if before > 0 && b.get(before - 1) == Some(&b',') {
                s = before - 1;
            }
        }
        return (s, e);
    }
    // Block: the whole lines, when the key starts its line (else, after a
    // `- `, from the key on: the item's mapping goes on below).
    let line_start = src.get(..s).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let line_end = src.get(e..).and_then(|t| t.find('\n')).map_or(src.len(), |i| e + i);
    if src.get(line_start..s).is_some_and(|t| t.bytes().all(blank)) {
        s = line_start;
        e = (line_end + 1).min(src.len());
    } else {
        e = line_end;
    }
    (s, e)
}

/// Apply cuts (start, end, replacement); they do not overlap.
fn apply(src: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len());
    let mut at = 0;
    for (s, e, with) in edits {
        if s < at {
            continue;
        }
        out.push_str(src.get(at..s).unwrap_or_default());
        out.push_str(&with);
        at = e.max(s);
    }
    out.push_str(src.get(at..).unwrap_or_default());
    out
}

/// The edits that take a lesson's keys out.
fn key_edits(src: &str, root: &Node) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
    for cp in checkpoints(root) {
        for (k, v) in cp.entries() {
            let Some(key) = k.text() else { continue };
            if dropped(key, false) {
                let (s, e) = entry_cut(src, k, v, cp.is_flow_map());
                edits.push((s, e, String::new()));
            } else if KINDS.contains(&key) {
                for (k2, v2) in v.entries() {
                    match k2.text() {
                        Some("answer") => {
                            let (s, e) = value_range(src, k2, v2);
                            let space = if s == e { " " } else { "" };
                            edits.push((s, e, format!("{space}{}", placeholder(key))));
                        }
                        Some(k) if dropped(k, true) => {
                            let (s, e) = entry_cut(src, k2, v2, v.is_flow_map());
                            edits.push((s, e, String::new()));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    edits
}

/// The comments of a YAML text: (where its `#` is, where its line ends).
/// A `#` is a comment's when it starts a line or follows white space and
/// lies outside every scalar, alias, anchor and tag.
fn comments(src: &str) -> Result<Vec<(usize, usize)>, String> {
    let mut o = Options::default();
    o.emit_anchor_events = true;
    let mut covered = Vec::new();
    for ev in Parser::new_from_str_with_options(src, o) {
        let (ev, sp) = ev.map_err(|e| e.to_string())?;
        if matches!(ev, Event::Scalar(..) | Event::Alias(_) | Event::Anchor(..)) {
            covered.push((offset(&sp.start)?, offset(&sp.end)?));
        }
        if let Some(t) = sp.tag_span() {
            covered.push((offset(&t.start)?, offset(&t.end)?));
        }
    }
    // Asked only at a `#` that follows white space: few in a lesson.
    let inside = |i: usize| covered.iter().any(|&(s, e)| s <= i && i < e);
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let line_end = src.get(i..).and_then(|t| t.find('\n')).map_or(b.len(), |n| i + n);
        let mut j = i;
        while j < line_end {
            if b[j] == b'#' && (j == i || blank(b[j - 1])) && !inside(j) {
                out.push((j, line_end));
                break;
            }
            j += 1;
        }
        i = line_end + 1;
    }
    Ok(out)
}

/// The edits that take every comment out: a line that holds only a
/// comment goes whole, a comment after content goes with the blanks before it.
fn comment_edits(src: &str) -> Result<Vec<(usize, usize, String)>, String> {
    let b = src.as_bytes();
    Ok(comments(src)?
        .into_iter()
        .map(|(hash, line_end)| {
            let line_start = src.get(..hash).and_then(|t| t.rfind('\n')).map_or(0, |n| n + 1);
            if b[line_start..hash].iter().all(|&c| blank(c)) {
                (line_start, (line_end + 1).min(b.len()), String::new())
            } else {
                let mut s = hash;
                while s > line_start && blank(b[s - 1]) {
                    s -= 1;
                }
                (s, line_end, String::new())
            }
        })
        .collect())
}

/// A diagnostic for the whole file.
fn whole(file: &str, message: String, hint: String) -> Diagnostics {
    Diagnostics(vec![Diagnostic::whole_file(file, message, Some(hint))])
}

/// The lesson source without its keys and comments (no header line).
pub fn strip(src: &str, file: &str) -> Result<String, Diagnostics> {
    // A byte-order mark is no part of the first line (a comment there
    // starts after it); the copy is written without one.
    let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
    let unreadable = |e: String| {
        whole(
            file,
            tr(
                format!("exam-copy cannot read the lesson as YAML: {e}"),
                format!("exam-copy がレッスンを YAML として読めません: {e}"),
            ),
            tr(
                "run `maillab check` on it and mend what it reports",
                "`maillab check` をかけて、報告された問題を直してください",
            ),
        )
    };
    let Some(root) = tree(src).map_err(unreadable)? else { return Ok(String::new()) };
    let found = problems(src, file);
    if !found.is_empty() {
        return Err(Diagnostics(found));
    }
    let keyless = apply(src, key_edits(src, &root));
    let copy = apply(&keyless, comment_edits(&keyless).map_err(|e| copy_failed(file, e))?);
    check_copy(&copy, file)?;
    Ok(copy)
}

/// exam-copy's own edit went wrong (`what`): nothing is written.
fn copy_failed(file: &str, what: String) -> Diagnostics {
    whole(
        file,
        tr(
            format!("exam-copy could not take the keys out of this lesson ({what}); nothing was written"),
            format!("exam-copy はこのレッスンから答えを取り除けませんでした ({what})。何も書き出していません"),
        ),
        tr(
            "write that checkpoint's keys the plain way (`answer: …` on a line of its own, as the book shows) and try again",
            "そのチェックポイントのキーは本にある素直な形 (`answer: …` を 1 行に) で書き、もう一度試してください",
        ),
    )
}

/// A checkpoint as the lesson loader reads it, with only what carries a
/// key: the loader's reader (serde-saphyr, with the loader's options)
/// decides which key is which, so a spelling this module's walk missed
/// is still seen here.
#[derive(serde::Deserialize)]
struct ViewLesson {
    #[serde(default)]
    sections: Vec<ViewSection>,
}

#[derive(serde::Deserialize)]
struct ViewSection {
    #[serde(default)]
    checkpoints: Vec<ViewCheckpoint>,
}

#[derive(serde::Deserialize)]
struct ViewCheckpoint {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    explain: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    hint: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    short: Option<ViewShort>,
    #[serde(default)]
    number: Option<ViewAnswer<f64>>,
    #[serde(default)]
    choice: Option<ViewAnswer<u64>>,
}

#[derive(serde::Deserialize)]
struct ViewShort {
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    accept: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct ViewAnswer<T> {
    #[serde(default)]
    answer: Option<T>,
}

/// What of a key the loader still reads in `copy`, if anything.
fn left_for_the_loader(copy: &str) -> Result<(), String> {
    let view: ViewLesson = serde_saphyr::from_str_with_options(copy, crate::scenario::load::yaml_options())
        .map_err(|e| format!("the copy does not read as a lesson: {}", e.without_snippet()))?;
    for cp in view.sections.iter().flat_map(|s| &s.checkpoints) {
        let id = cp.id.as_deref().unwrap_or("?");
        let short = cp.short.as_ref();
        let left = [
            ("explain", cp.explain.is_some()),
            ("hint", cp.hint.is_some()),
            ("accept", short.is_some_and(|s| s.accept.is_some())),
            ("short", short.and_then(|s| s.answer.as_deref()).is_some_and(|a| a != WITHHELD)),
            ("number", cp.number.as_ref().and_then(|n| n.answer).is_some_and(|a| a != 0.0)),
            ("choice", cp.choice.as_ref().and_then(|c| c.answer).is_some_and(|a| a != 1)),
        ];
        if let Some((what, _)) = left.iter().find(|(_, l)| *l) {
            return Err(format!("`{what}` of `{id}`, as the lesson loader reads it"));
        }
    }
    Ok(())
}

/// The exam copy holds no key and no comment: read again, every answer is
/// a placeholder, and no `accept:`, `explain:` or `hint:` or comment is
/// left, both as this module walks the YAML and as the loader reads it.
fn check_copy(copy: &str, file: &str) -> Result<(), Diagnostics> {
    let failed = |what: String| copy_failed(file, what);
    let root = match tree(copy) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(()),
        Err(e) => return Err(failed(e)),
    };
    for cp in checkpoints(&root) {
        let id = cp.get("id").and_then(Node::text).unwrap_or("?");
        for (k, v) in cp.entries() {
            let Some(key) = k.text() else { continue };
            if dropped(key, false) {
                return Err(failed(format!("`{key}` of `{id}`")));
            }
            if KINDS.contains(&key) {
                for (k2, v2) in v.entries() {
                    let left = match k2.text() {
                        Some("answer") => {
                            v2.text().is_none_or(|t| format!("\"{t}\"") != placeholder(key) && t != placeholder(key))
                        }
                        Some(k) => dropped(k, true),
                        None => false,
                    };
                    if left {
                        return Err(failed(format!("`{key}` of `{id}`")));
                    }
                }
            }
        }
    }
    left_for_the_loader(copy).map_err(failed)?;
    if let Ok(c) = comments(copy)
        && let Some(&(s, _)) = c.first()
    {
        let line = copy.get(..s).map_or(0, |t| t.matches('\n').count()) + 1;
        return Err(failed(format!("a comment on line {line}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

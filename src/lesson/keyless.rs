//! The text of an exam copy: a lesson's YAML with its keys and its comments
//! taken out, edited at the places the YAML parser gives (granit-parser,
//! the parser serde-saphyr reads lessons with), so every way YAML allows
//! to write a checkpoint is handled alike: block or flow (`choice: {
//! options: […], answer: 2 }`), on one line or several, plain, quoted or
//! block scalars (`answer: |`).
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
//!   anchor, elsewhere), one carrying an anchor (`&name`: other places
//!   repeat it), a merge key (`<<`) in a checkpoint.
//!
//! The copy is read again and checked before it is handed out
//! ([`check_copy`]): no key, no comment.

use crate::base::diag::{Diagnostic, Diagnostics, tr};
use granit_parser::{Event, Options, Parser, ScalarStyle};

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

/// One node of the document and where it stands (byte offsets; `end` is
/// where its content ends, trailing blank lines of a block scalar not included).
#[derive(Debug)]
struct Node {
    start: usize,
    end: usize,
    line: u64,
    column: u64,
    anchored: bool,
    kind: NodeKind,
}

#[derive(Debug)]
enum NodeKind {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>, bool),
    Alias,
}

impl Node {
    fn text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(e, _) => e,
            _ => &[],
        }
    }

    fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(i) => i,
            _ => &[],
        }
    }

    fn is_flow_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_, true))
    }

    /// The value of `key` in this mapping.
    fn get(&self, key: &str) -> Option<&Node> {
        self.entries().iter().find(|(k, _)| k.text() == Some(key)).map(|(_, v)| v)
    }
}

type Events<'a> = Parser<'a, granit_parser::StrInput<'a>>;

fn offset(m: &granit_parser::Marker) -> Result<usize, String> {
    m.byte_offset().ok_or_else(|| "no byte offset".to_string())
}

fn next<'a>(it: &mut Events<'a>) -> Result<(Event<'a>, granit_parser::Span), String> {
    match it.next() {
        Some(Ok(e)) => Ok(e),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("the document ends early".into()),
    }
}

/// The node that starts with `ev`.
fn node<'a>(src: &str, it: &mut Events<'a>, ev: Event<'a>, span: granit_parser::Span) -> Result<Node, String> {
    let start = offset(&span.start)?;
    let (line, column) = (span.start.line() as u64, span.start.col() as u64 + 1);
    let mk = |end: usize, anchored: bool, kind: NodeKind| Node { start, end, line, column, anchored, kind };
    match ev {
        Event::Scalar(value, style, anchor, _) => {
            let mut end = offset(&span.end)?;
            if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                // A block scalar's span runs on over the blank lines after it.
                let b = src.as_bytes();
                while end > start && b.get(end - 1).is_some_and(|c| c.is_ascii_whitespace()) {
                    end -= 1;
                }
            }
            Ok(mk(end, anchor != 0, NodeKind::Scalar(value.into_owned())))
        }
        Event::Alias(_) => Ok(mk(offset(&span.end)?, false, NodeKind::Alias)),
        Event::SequenceStart(_, anchor, _) => {
            let mut items = Vec::new();
            loop {
                let (ev, sp) = next(it)?;
                if let Event::SequenceEnd = ev {
                    // A flow sequence ends at its `]`, a block one where its last item does.
                    let close = offset(&sp.start)?;
                    let end = if src.as_bytes().get(close) == Some(&b']') {
                        offset(&sp.end)?
                    } else {
                        items.last().map_or(start, |n: &Node| n.end)
                    };
                    return Ok(mk(end, anchor != 0, NodeKind::Seq(items)));
                }
                items.push(node(src, it, ev, sp)?);
            }
        }
        Event::MappingStart(style, anchor, _) => {
            let flow = style == granit_parser::StructureStyle::Flow;
            let mut entries = Vec::new();
            loop {
                let (ev, sp) = next(it)?;
                if let Event::MappingEnd = ev {
                    let last = entries.last().map_or(start, |(_, v): &(Node, Node)| v.end);
                    let end = if flow { offset(&sp.end)? } else { last };
                    return Ok(mk(end, anchor != 0, NodeKind::Map(entries, flow)));
                }
                let k = node(src, it, ev, sp)?;
                let (ev, sp) = next(it)?;
                let v = node(src, it, ev, sp)?;
                entries.push((k, v));
            }
        }
        other => Err(format!("unexpected {other:?}")),
    }
}

/// The document's root node (None for an empty document).
fn tree(src: &str) -> Result<Option<Node>, String> {
    let mut it: Events = Parser::new_from_str(src);
    loop {
        let (ev, sp) = next(&mut it)?;
        match ev {
            Event::StreamEnd => return Ok(None),
            Event::StreamStart | Event::DocumentStart(..) => {}
            ev => return node(src, &mut it, ev, sp).map(Some),
        }
    }
}

/// Every checkpoint mapping of a lesson: `sections[*].checkpoints[*]`.
fn checkpoints(root: &Node) -> impl Iterator<Item = &Node> {
    root.get("sections")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
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

fn alias_problem(n: &Node, what: &str) -> Option<Problem> {
    let (message, hint) = match &n.kind {
        NodeKind::Alias => (
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
        ),
        _ if n.anchored => (
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
        ),
        _ => return None,
    };
    Some(Problem { line: n.line, column: n.column, message, hint })
}

/// Forms of a lesson whose keys an exam copy could not withhold in place.
fn find_problems(root: &Node) -> Vec<Problem> {
    let mut out = Vec::new();
    let merge = |k: &Node| Problem {
        line: k.line,
        column: k.column,
        message: tr(
            "exam-copy cannot withhold the answers of a checkpoint with a YAML merge key (`<<`): the keys it brings stand elsewhere",
            "YAML のマージキー (`<<`) のあるチェックポイントの答えは exam-copy で伏せられません: そのキーの中身は別の場所にあります",
        ),
        hint: tr("write the checkpoint's keys out in place", "チェックポイントのキーはその場所に書き出してください"),
    };
    // A key that is no plain text (an alias, `*ans : SECRET`, standing for
    // `answer`, `short` or `explain`) could be anything the loader reads.
    let alias_key = |k: &Node| Problem {
        line: k.line,
        column: k.column,
        message: tr(
            "exam-copy cannot withhold what follows a key written as a YAML alias (`*name`) in a checkpoint: it may stand for `answer`",
            "チェックポイントの中で YAML のエイリアス (`*名前`) で書いたキーのあとは exam-copy で伏せられません: それが `answer` を表しているかもしれません",
        ),
        hint: tr(
            "write the key out (answer:, accept:, explain:, …)",
            "キーは文字で書いてください（answer:、accept:、explain: など）",
        ),
    };
    for cp in checkpoints(root) {
        for (k, v) in cp.entries() {
            let Some(key) = k.text() else {
                out.push(alias_key(k));
                continue;
            };
            if key == "<<" {
                out.push(merge(k));
            } else if dropped(key, false) {
                out.extend(alias_problem(v, key));
            } else if KINDS.contains(&key) {
                if let Some(p) = alias_problem(v, key) {
                    out.push(p);
                    continue;
                }
                for (k2, v2) in v.entries() {
                    match k2.text() {
                        None => out.push(alias_key(k2)),
                        Some("<<") => out.push(merge(k2)),
                        Some(key2 @ ("answer" | "accept")) => out.extend(alias_problem(v2, key2)),
                        _ => {}
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

/// The first byte at or after `i` that is neither white space nor part of a comment.
fn skip_space_and_comments(src: &str, mut i: usize) -> usize {
    let b = src.as_bytes();
    while let Some(&c) = b.get(i) {
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' && (i == 0 || b.get(i - 1).is_some_and(|p| p.is_ascii_whitespace())) {
            while b.get(i).is_some_and(|&c| c != b'\n') {
                i += 1;
            }
        } else {
            break;
        }
    }
    i
}

/// Where a key's value begins, its properties (a tag) or a block scalar's
/// `|`/`>` included: the first thing after the key's `:`.
fn value_start(src: &str, k: &Node, v: &Node) -> usize {
    let colon = skip_space_and_comments(src, k.end);
    if src.as_bytes().get(colon) != Some(&b':') {
        return v.start;
    }
    skip_space_and_comments(src, colon + 1).min(v.start)
}

/// The bytes to cut for a mapping entry left out.
fn entry_cut(src: &str, k: &Node, v: &Node, flow: bool) -> (usize, usize) {
    let b = src.as_bytes();
    let (mut s, mut e) = (k.start, v.end.max(k.end));
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
                        Some("answer") => edits.push((value_start(src, k2, v2), v2.end, placeholder(key))),
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
    let copy = apply(&keyless, comment_edits(&keyless).map_err(unreadable)?);
    check_copy(&copy, file)?;
    Ok(copy)
}

/// The exam copy holds no key and no comment: read again, every answer is
/// a placeholder, and no `accept:`, `explain:` or `hint:` or comment is left.
fn check_copy(copy: &str, file: &str) -> Result<(), Diagnostics> {
    let failed = |what: String| {
        whole(
            file,
            tr(
                format!("exam-copy could not take the keys out of this lesson ({what}); nothing was written"),
                format!("exam-copy はこのレッスンから答えを取り除けませんでした ({what})。何も書き出していません"),
            ),
            tr(
                "write each checkpoint as a block (`short:` on a line of its own, `answer:` below it), as the book shows, and try again",
                "チェックポイントは本にあるようにブロックの形で書き (`short:` を 1 行に、その下に `answer:`)、もう一度試してください",
            ),
        )
    };
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
    if let Ok(c) = comments(copy)
        && let Some(&(s, _)) = c.first()
    {
        let line = copy.get(..s).map_or(0, |t| t.matches('\n').count()) + 1;
        return Err(failed(format!("a comment on line {line}")));
    }
    Ok(())
}

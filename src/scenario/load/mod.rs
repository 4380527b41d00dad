//! Read a scenario file and check it, collecting every problem with its position.
//!
//! This file holds the entry points, the YAML reader's options and error
//! mapping, and the `Checker` with the helpers every part uses. The checks
//! themselves are one file per part of a scenario: `top` (version, name,
//! start, network, links, and the order of everything), `hosts` (names,
//! addresses, which settings fit which role, external servers), `mta` (an
//! MTA's flavour, relay rules, routes, queue, AUTH, aliases), `zones` (a dns
//! host's zones), `lists` (a list host's lists), `users` (users and the
//! passwords steps log in with), `steps` (actions and faults), `send` (send
//! and reply steps), `expect` (expectations). `isolate` reads the items of
//! a file the reader refused one by one, so that `check` reports each
//! item's first problem, not only the file's.

mod configure;
mod expect;
mod hosts;
pub mod isolate;
mod lists;
mod mta;
mod semantic;
mod send;
mod steps;
mod top;
mod users;
mod zones;

use super::raw::{RawHost, RawScenario, S};
use super::*;
use crate::base::diag::{Diagnostic, Diagnostics, nearest, tr};
use crate::base::pattern::{PatternError, Written};
use crate::proto::smtp::address::{check_domain, parse_mailbox};
use std::collections::BTreeMap;

pub const DEFAULT_START: &str = "2026-04-01T10:00:00+09:00";
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(5);
pub const DEFAULT_RUN_LIMIT: Duration = Duration::from_secs(10 * 86400);
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 10_240_000;
/// What an MTA host's queue and mailboxes may hold together (`disk_space`):
/// 1 GiB, as much as one account's IMAP quota.
pub const DEFAULT_DISK_SPACE: u64 = 1 << 30;
pub use semantic::{MAX_DURATION, MAX_STEPS_TIME};

/// The commands a `reply:` expectation (and a lesson's `reply_code`) can
/// name; CONNECT stands for the greeting.
pub const SMTP_COMMANDS: &[&str] = &["CONNECT", "EHLO", "HELO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT", "RSET"];

/// The roles that run an MTA: what a smarthost, a `via` or a hop must be.
const MTA_ROLES: &[Role] = &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List];

/// The key just above line `line` (1-based) when it stands at the same
/// indentation and has no value (`allow_relay:` then ` networks: ...` at
/// its level): the mistake of a key that was meant to be indented under it.
fn empty_key_above(src: &str, line: u64) -> Option<String> {
    let lines: Vec<&str> = src.lines().collect();
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let here = lines.get(at)?;
    // A line that starts a list item starts something new (the next host), not the key above's value.
    if here.trim_start().starts_with('-') {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let above = lines[..at].iter().rev().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let key = above.trim_start_matches([' ', '-']).split(" #").next()?.trim_end().strip_suffix(':')?;
    (indent(above) == indent(here) && !key.is_empty() && !key.contains([' ', ':'])).then(|| key.to_string())
}

/// A file's text, or why it cannot be had: unreadable (with the system's reason), or not
/// UTF-8 text (with the position of the first byte that is not, and whether it looks binary).
/// `what` is `scenario`, `lesson` or `answers`, for the hint.
pub fn read_source(path: &std::path::Path, what: &str) -> Result<String, Diagnostics> {
    let file = path.display().to_string();
    let one = |d: Diagnostic| Diagnostics(vec![d]);
    let bytes = crate::base::shipped::read_bytes(path).map_err(|e| {
        let hint = match what {
            "lesson" => tr(
                "check the path; `maillab lesson list` shows the lessons in lessons/",
                "パスを確かめてください。`maillab lesson list` で lessons/ のレッスンが一覧できます",
            ),
            "answers" => tr(
                "check the path of the answers file (lines `CHECKPOINT: ANSWER`, like a lesson's NAME.answers.yaml)",
                "解答ファイルのパスを確かめてください（`チェックポイント: 答え` の行を並べたファイル。レッスンの NAME.answers.yaml と同じ形です）",
            ),
            _ => tr(
                "check the path; scenarios ship in the scenarios/ folder",
                "パスを確かめてください。シナリオは scenarios/ フォルダにあります",
            ),
        };
        one(Diagnostic::whole_file(
            &file,
            tr(format!("cannot read the file: {e}"), format!("ファイルを読めません: {e}")),
            Some(hint),
        ))
    })?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = String::from_utf8_lossy(&bytes[..at]);
            let line = before.matches('\n').count() as u64 + 1;
            let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u64 + 1;
            let byte = bytes.get(at).copied().unwrap_or(0);
            let binary = bytes.iter().take(8192).any(|b| *b == 0);
            let (message, hint) = if binary {
                (
                    tr(
                        format!("this is a binary file, not a YAML {what} (byte 0x{byte:02x} is not text)"),
                        format!(
                            "これはバイナリファイルで、YAML の{}ではありません (バイト 0x{byte:02x} は文字ではありません)",
                            ja_what(what)
                        ),
                    ),
                    tr(
                        "give the path of a .yaml text file; `maillab new scenario` writes a starting one",
                        ".yaml のテキストファイルのパスを指定してください。`maillab new scenario` でひな形を作れます",
                    ),
                )
            } else {
                (
                    tr(
                        format!("the file is not UTF-8 text: byte 0x{byte:02x} here is not UTF-8"),
                        format!(
                            "ファイルが UTF-8 のテキストではありません: ここのバイト 0x{byte:02x} は UTF-8 ではありません"
                        ),
                    ),
                    tr(
                        "save the file as UTF-8 (an editor's \"encoding\" setting; Shift_JIS or EUC-JP files must be converted)",
                        "ファイルを UTF-8 で保存し直してください (エディタの「文字コード」設定。Shift_JIS や EUC-JP のファイルは変換が必要です)",
                    ),
                )
            };
            Err(one(Diagnostic { file, line, column, message, hint: Some(hint) }))
        }
    }
}

fn ja_what(what: &str) -> &'static str {
    match what {
        "lesson" => "レッスン",
        "answers" => "解答ファイル",
        _ => "シナリオ",
    }
}

/// The most YAML events that aliases (`*name`) may repeat in one file.
pub const MAX_ALIAS_REPLAY: usize = 100_000;

/// `n` with a comma between groups of three digits, as messages write it.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A regular expression that does not compile, reported at the character
/// of its mistake: `at` is the string value it is written in (`src` the text
/// that was read), `before` the characters of that value before the pattern
/// (1 for a lesson's `/…/`), `shown` the pattern as the message quotes it.
pub fn bad_pattern(file: &str, src: &str, at: &S<String>, before: usize, shown: &str, e: &PatternError) -> Diagnostic {
    let (column, written) = char_column(src, at, before + e.at);
    Diagnostic {
        file: file.to_string(),
        line: at.referenced.line(),
        column,
        message: e.message(shown),
        hint: Some(e.hint(written)),
    }
}

/// The column of the byte offset `at_byte` of a string value in its source
/// line (a zone record's word), quotes and escapes counted as they are written.
fn value_column(src: &str, at: &S<String>, at_byte: usize) -> u64 {
    let n = at.value.get(..at_byte).map_or(0, |v| v.chars().count());
    char_column(src, at, n).0
}

/// The column of character `n` of a string value written on one line
/// (plain, or in single or double quotes, whose escapes are one character
/// each), and how it is written; the value's own column when the source
/// does not line up with it (a value over several lines, a block scalar).
fn char_column(src: &str, at: &S<String>, n: usize) -> (u64, Written) {
    let column = at.referenced.column();
    let line = usize::try_from(at.referenced.line()).ok().and_then(|l| src.lines().nth(l.checked_sub(1)?));
    let Some(line) = line else { return (column, Written::AsIs) };
    let from = usize::try_from(column.max(1) - 1).unwrap_or(usize::MAX);
    let source: Vec<char> = line.chars().skip(from).collect();
    let want: Vec<char> = at.value.chars().take(n + 1).collect();
    let (quote, written) = match source.first() {
        Some('"') => (Some('"'), Written::DoubleQuoted),
        Some('\'') => (Some('\''), Written::AsIs),
        _ => (None, Written::AsIs),
    };
    // Walk the source, one value character at a time, up to character `n`.
    let mut i = usize::from(quote.is_some());
    for (k, &c) in want.iter().enumerate() {
        if k == n {
            return (column + i as u64, written);
        }
        let width = match (quote, source.get(i)) {
            (Some('"'), Some('\\')) => match source.get(i + 1) {
                Some('x') => 4,
                Some('u') => 6,
                Some('U') => 10,
                Some(_) => 2,
                None => break,
            },
            (Some('\''), Some('\'')) if source.get(i + 1) == Some(&'\'') => 2,
            (_, Some(&s)) if s == c && Some(s) != quote => 1,
            _ => break,
        };
        i += width;
    }
    if want.len() == n {
        // The mistake is at the end of the pattern.
        return (column + i as u64, written);
    }
    (column, written)
}

/// The reader's safety limits, raised for big generated labs (a list of
/// 100,000 members) while still stopping runaway input. Aliases may repeat at
/// most [`MAX_ALIAS_REPLAY`] events in all (the reader's default is a million,
/// which a "billion laughs" file reaches in a second of work).
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 5_000_000;
    budget.max_events = 20_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    options
}

/// Turn a serde-saphyr error into a diagnostic with a hint. `src` is the text that was read
/// (for errors the reader places badly: a tab, a second document, an empty file).
pub fn yaml_error(file: &str, src: &str, e: &serde_saphyr::Error, what: &str) -> Diagnostic {
    yaml_error_at(file, src, e, what, 0)
}

/// [`yaml_error`] for an error the reader found in a part of `src` read on
/// its own ([`isolate`]), whose first line is line `lines_before + 1` of `src`.
pub fn yaml_error_at(file: &str, src: &str, e: &serde_saphyr::Error, what: &str, lines_before: u64) -> Diagnostic {
    let (mut line, mut column) = e.location().map(|l| (l.line() + lines_before, l.column())).unwrap_or((0, 0));
    let raw = e.without_snippet().to_string();
    // The reader ends its message with "at line L column C"; positions inside it stay.
    let message = match raw.rfind(" at line ") {
        Some(i)
            if raw[i..].split_whitespace().nth(2).is_some_and(|n| n.trim_end_matches(',').parse::<u64>().is_ok())
                && !raw[i..].contains(')') =>
        {
            raw[..i].to_string()
        }
        _ => raw,
    };
    let d = |line: u64, column: u64, message: String, hint: String| Diagnostic {
        file: file.to_string(),
        line,
        column,
        message,
        hint: Some(hint),
    };
    let blank = src.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if blank {
        return d(
            0,
            0,
            tr(
                format!("the file is empty: there is no {what} in it"),
                format!("ファイルが空です: {}が書かれていません", ja_what(what)),
            ),
            match what {
                "scenario" => tr(
                    "a scenario starts with `version: 1`, `name:` and `hosts:`; `maillab new scenario` writes a starting file",
                    "シナリオは `version: 1`、`name:`、`hosts:` で始まります。`maillab new scenario` でひな形を作れます",
                ),
                "lesson" => {
                    tr("`maillab new lesson` writes a starting file", "`maillab new lesson` でひな形を作れます")
                }
                _ => tr(
                    "write one `checkpoint-id: answer` per line",
                    "1 行に 1 つ `チェックポイントID: 答え` を書いてください",
                ),
            },
        );
    }
    if message.contains("found a tab") || message.contains("tab character") || message.contains("tabs") {
        // Point at the tab itself: the reader may name the line before it.
        let from = usize::try_from(line.max(1) - 1).unwrap_or(0);
        if let Some((i, l)) = src.lines().enumerate().skip(from).find(|(_, l)| l.contains('\t')) {
            line = i as u64 + 1;
            column = l.chars().position(|c| c == '\t').unwrap_or(0) as u64 + 1;
        }
        return d(
            line,
            column,
            tr(
                "a tab character: YAML indents with spaces only",
                "タブ文字があります: YAML の字下げには空白 (スペース) しか使えません",
            ),
            tr(
                "use spaces instead of the tab (set the editor to insert spaces for Tab)",
                "タブを空白に置き換えてください (エディタで Tab キーが空白を入れるように設定できます)",
            ),
        );
    }
    if message.starts_with("multiple YAML documents") {
        let upto = usize::try_from(line.max(1)).unwrap_or(1);
        if let Some(i) = src.lines().take(upto).enumerate().filter(|(_, l)| l.starts_with("---")).map(|(i, _)| i).last()
        {
            (line, column) = (i as u64 + 1, 1);
        }
        return d(
            line,
            column,
            tr(
                format!("a second YAML document starts here: a {what} file holds one"),
                format!(
                    "ここから 2 つ目の YAML 文書が始まっています: {}のファイルには 1 つだけ書きます",
                    ja_what(what)
                ),
            ),
            tr(
                "a line `---` separates documents: remove it, or put what follows into a file of its own",
                "`---` の行は文書の区切りです。その行を消すか、続きを別のファイルに分けてください",
            ),
        );
    }
    if message.starts_with("alias replay") || message.starts_with("alias expansion") {
        let limit = thousands(MAX_ALIAS_REPLAY);
        return d(
            line,
            column,
            tr(
                format!(
                    "aliases (`*name`) repeat more than maillab reads: at most {limit} values in all, so that a few lines cannot expand into millions of values"
                ),
                format!(
                    "エイリアス (`*名前`) による繰り返しが多すぎます: 数行が何百万もの値に膨らまないよう、繰り返せるのは全体で {limit} 個の値までです"
                ),
            ),
            tr(
                "write the values out instead of repeating them with aliases, or split the file",
                "エイリアスで繰り返さずに値を書き出すか、ファイルを分けてください",
            ),
        );
    }
    if let Some(rest) = message.strip_prefix("budget breached: ") {
        let kind = rest.split([' ', '{']).next().unwrap_or("");
        let (en, ja) = match kind {
            "AliasAnchorRatio" | "Aliases" => (
                "too many aliases (`*name`) for the anchors (`&name`) they repeat: maillab reads at most 10 aliases per anchor once a file has 100 aliases, so that a few lines cannot expand into millions of values".to_string(),
                "アンカー (`&名前`) に対してエイリアス (`*名前`) が多すぎます: 数行が何百万もの値に膨らまないよう、エイリアスが 100 個を超えたファイルではアンカー 1 つにつきエイリアス 10 個までしか読みません".to_string(),
            ),
            "Anchors" => ("too many anchors (`&name`): at most 50,000".into(), "アンカー (`&名前`) が多すぎます: 50,000 個までです".into()),
            "Depth" | "PropertyExpansionDepth" | "InclusionDepth" => (
                "the values nest too deeply".into(),
                "値の入れ子が深すぎます".into(),
            ),
            "Nodes" => (
                "the file has more values than maillab reads: at most 5 million YAML nodes".into(),
                "ファイルの値が多すぎます: YAML のノードは 500 万個までです".into(),
            ),
            "Events" => (
                "the file is larger than maillab reads: at most 20 million YAML events".into(),
                "ファイルが大きすぎます: YAML のイベントは 2,000 万個までです".into(),
            ),
            "Documents" => ("the file holds too many YAML documents".into(), "YAML 文書が多すぎます".into()),
            _ => (
                format!("the file is larger or more repetitive than maillab reads ({kind})"),
                format!("ファイルが大きすぎるか、繰り返しが多すぎます ({kind})"),
            ),
        };
        return d(
            line,
            column,
            tr(en, ja),
            tr(
                "write the values out instead of repeating them with aliases, or split the file",
                "エイリアスで繰り返さずに値を書き出すか、ファイルを分けてください",
            ),
        );
    }
    if message.contains("did not match any variant of untagged enum Answer") {
        return d(
            line,
            column,
            tr(
                "an answer is one value (a word, a sentence or a number), not a list or a map",
                "答えは 1 つの値 (語、文、数) です。リストやマップは書けません",
            ),
            tr(
                "write `checkpoint-id: answer` on one line; quote an answer that starts with `[`, `{`, `&` or `*`",
                "`チェックポイントID: 答え` を 1 行に書いてください。`[`、`{`、`&`、`*` で始まる答えは引用符で囲みます",
            ),
        );
    }
    if let Some(i) = message.find(super::raw::BAD_CHOICE) {
        // The word as written (`yes`, `n`), where the reader points at it.
        let word: String = usize::try_from(line.max(1) - 1)
            .ok()
            .and_then(|n| src.lines().nth(n))
            .map(|l| {
                l.chars()
                    .skip(usize::try_from(column.max(1) - 1).unwrap_or(0))
                    .take_while(|c| !matches!(c, ',' | ']' | '}' | ' ' | '#'))
                    .collect()
            })
            .unwrap_or_default();
        let kind = &message[i + super::raw::BAD_CHOICE.len()..];
        if kind == "bool" && !word.is_empty() {
            return d(
                line,
                column,
                tr(
                    format!(
                        "YAML reads `{word}` as true or false (as it reads `yes`, `no`, `on`, `off`, `y` and `n`), and a choice is a number or a word"
                    ),
                    format!(
                        "YAML は `{word}` を true か false と読みます (`yes`、`no`、`on`、`off`、`y`、`n` も同じです)。選択肢は数か語です"
                    ),
                ),
                tr(
                    format!("put it in quotes: \"{word}\""),
                    format!("語として使うなら \"{word}\" のように引用符で囲んでください"),
                ),
            );
        }
        let (en, ja, hint_en, hint_ja) = match kind {
            "bool" => (
                "YAML reads this value as true or false (as it reads `yes`, `no`, `on`, `off`, `y` and `n`), and a choice is a number or a word",
                "YAML はこの値を true か false と読みます (`yes`、`no`、`on`、`off`、`y`、`n` も同じです)。選択肢は数か語です",
                "put the word in quotes, such as \"yes\" or \"n\"",
                "語として使うなら \"yes\" や \"n\" のように引用符で囲んでください",
            ),
            "empty" => (
                "a choice of a variant is empty",
                "版の選択肢が空です",
                "write a number, a word or a map after `- ` (or between the commas), or remove the empty item",
                "`- ` の後 (またはカンマの間) に数、語、マップのどれかを書くか、空の項目を消してください",
            ),
            "list" => (
                "a choice of a variant is a number, a word or a map, not a list",
                "版の選択肢は数、語、マップのどれかです。リストは書けません",
                "to set several values with one choice, write a map: `- { host: mx1, minutes: 20 }`",
                "1 つの選択肢で複数の値を決めるなら、`- { host: mx1, minutes: 20 }` のようにマップで書いてください",
            ),
            _ => (
                "a value in a choice's map is a number or a word, not a list or a map",
                "選択肢のマップの値は数か語です。リストやマップは書けません",
                "write one number or word after each key: `- { host: mx1, minutes: 20 }`",
                "各キーの後に数か語を 1 つ書いてください: `- { host: mx1, minutes: 20 }`",
            ),
        };
        return d(line, column, tr(en, ja), tr(hint_en, hint_ja));
    }
    if message.contains("did not match any variant of untagged enum") {
        // Another value of several forms (none is left in the files' types; a
        // Rust type name must not reach the instructor if one comes back).
        return d(
            line,
            column,
            tr("this value has none of the forms allowed here", "この値は、ここで書ける形のどれにも当たりません"),
            tr(
                "compare it with the format in the book (`book/src/`); a word that YAML reads as a number, true or false (`yes`, `no`, `on`, `off`) must be quoted",
                "本 (`book/src/`) の書式と見比べてください。YAML が数や true、false と読む語 (`yes`、`no`、`on`、`off`) は引用符で囲みます",
            ),
        );
    }
    if let Some(i) = message.find(super::raw::PLAIN_TEXT) {
        let v = &message[i + super::raw::PLAIN_TEXT.len()..];
        let (line, column, message, hint) = Spot::new(src, line, column).plain_text(line, column, v);
        return d(line, column, message, hint);
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail
            .trim_start_matches([',', ' '])
            .trim_start_matches("expected one of ")
            .trim_start_matches("expected ")
            .split([',', ' '])
            .map(|w| w.trim_matches('`'))
            .filter(|w| !w.is_empty() && *w != "or")
            .collect();
        let keys = expected.join(", ");
        let hint = match nearest(key, expected.iter().copied()) {
            Some(k) => tr(
                format!("did you mean `{k}`? (the keys here are: {keys})"),
                format!("`{k}` の書き間違いではありませんか? (ここで使えるキー: {keys})"),
            ),
            None if let Some(above) = empty_key_above(src, line) => tr(
                format!(
                    "`{above}:` just above has no value: if `{key}` belongs to it, indent it (and the lines that go with it) further than `{above}`; the keys here are: {keys}"
                ),
                format!(
                    "すぐ上の `{above}:` に値がありません。`{key}` がその中身なら、`{above}` より深く字下げしてください（一緒に書いた行も）。ここで使えるキー: {keys}"
                ),
            ),
            None if keys.is_empty() => tr(
                format!(
                    "remove the key or correct its spelling; the {what} format is described in the book (`book/src/`)"
                ),
                format!("キーを消すか綴りを直してください。{}の書式は本 (`book/src/`) にあります", ja_what(what)),
            ),
            None => tr(
                format!("remove the key or correct its spelling; the keys here are: {keys}"),
                format!("キーを消すか綴りを直してください。ここで使えるキー: {keys}"),
            ),
        };
        return d(line, column, tr(format!("unknown key `{key}`"), format!("`{key}` というキーはありません")), hint);
    }
    if let Some((line, column, message, hint)) = plain_words(src, e.without_snippet(), line, column) {
        return d(line, column, message, hint);
    }
    let hint = if message.starts_with("unknown variant") {
        tr("use one of the values listed", "挙げられた値のどれかを使ってください")
    } else if matches!(
        e.without_snippet(),
        serde_saphyr::Error::SerdeInvalidType { .. }
            | serde_saphyr::Error::SerdeInvalidValue { .. }
            | serde_saphyr::Error::SerdeInvalidLength { .. }
    ) {
        tr(
            "this value has the wrong type: check quoting, and whether a list or a single value is wanted",
            "値の型が違います: 引用符と、リストか単独の値かを確かめてください",
        )
    } else {
        syntax_hint()
    };
    d(line, column, message, hint)
}

fn syntax_hint() -> String {
    tr(
        "check the YAML syntax near here: indentation, a missing `:` or an unclosed bracket or quote",
        "この近くの YAML の書き方を確かめてください: 字下げ、`:` の抜け、閉じていない括弧や引用符",
    )
}

/// The reader's errors that instructors meet most, in plain words: (line,
/// column, message, hint), or None for the others.
fn plain_words(src: &str, e: &serde_saphyr::Error, line: u64, column: u64) -> Option<(u64, u64, String, String)> {
    use serde_saphyr::Error as E;
    let at = Spot::new(src, line, column);
    match e {
        E::SerdeMissingField { field, .. } => {
            let (line, column) = at.mapping_start().unwrap_or((line, column));
            Some((
                line,
                column,
                tr(format!("a required key `{field}` is missing"), format!("必須のキー `{field}` がありません")),
                tr(
                    format!("add `{field}: …` to the mapping that starts here, beside its other keys"),
                    format!("ここから始まるキーの並びに `{field}: …` を書き足してください"),
                ),
            ))
        }
        E::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().map(str::to_string).or_else(|| at.key_here())?;
            let message = match at.earlier_key(&key) {
                Some(first) => tr(
                    format!("`{key}` is given twice (first at line {first})"),
                    format!("`{key}` が 2 回書かれています (1 回目は {first} 行目)"),
                ),
                None => tr(format!("`{key}` is given twice"), format!("`{key}` が 2 回書かれています")),
            };
            Some((
                line,
                column,
                message,
                tr(
                    "a key may appear once in a mapping: remove one of them, or put their values together",
                    "キーは 1 つの並びに 1 回しか書けません。どちらかを消すか、値を 1 つにまとめてください",
                ),
            ))
        }
        E::NullIntoString { .. } => Some(at.missing_value(
            line,
            column,
            tr("a text", "文字列"),
            tr(
                "write the text after the colon; an empty text is written \"\"",
                "コロンの後に文字列を書いてください。空の文字列は \"\" と書きます",
            ),
        )),
        E::InvalidScalar { ty, .. } => {
            let (what, hint) = scalar_kind(ty)?;
            if let Some(found) = at.unclosed_on_line() {
                return Some(found);
            }
            if let Some(found) = at.continued() {
                return Some(found);
            }
            if at.value().is_empty() {
                return Some(at.missing_value(line, column, what, hint));
            }
            let v = at.value();
            Some((line, column, tr(format!("`{v}` is not {what}"), format!("`{v}` は {what}ではありません")), hint))
        }
        E::Unexpected { expected, .. } => {
            let (en, ja, hint_en, hint_ja) = match *expected {
                "mapping start" => (
                    "a mapping (`key: value` lines) is expected here",
                    "ここにはキーと値の並び (`キー: 値` の行) が来るはずです",
                    "write `key: value`, with a space after the colon, one key a line (or `{ key: value, … }` on one line)",
                    "`キー: 値` の形で 1 行に 1 つ書いてください (コロンの後に空白が要ります。1 行なら `{ キー: 値, … }`)",
                ),
                "sequence start" => (
                    "a list is expected here",
                    "ここにはリストが来るはずです",
                    "write the items on the lines below, each after `- `, or on one line in brackets: `[a, b]`",
                    "項目を次の行から `- ` に続けて書くか、1 行に角括弧で `[a, b]` と書いてください",
                ),
                "string scalar" | "scalar" => (
                    "a single text is expected here",
                    "ここには 1 つの文字列が来るはずです",
                    "write one value; a text that starts with `[`, `{`, `&`, `*` or `-` must be quoted",
                    "値を 1 つ書いてください。`[`、`{`、`&`、`*`、`-` で始まる文字列は引用符で囲みます",
                ),
                _ => return None,
            };
            if let Some(found) = at.continued() {
                return Some(found);
            }
            if at.value().is_empty() {
                let what = match *expected {
                    "mapping start" => tr("a mapping (`key: value` lines)", "キーと値の並び (`キー: 値` の行)"),
                    "sequence start" => tr("a list", "リスト"),
                    _ => tr("a text", "文字列"),
                };
                return Some(at.missing_value(line, column, what, tr(hint_en, hint_ja)));
            }
            let found = at.found();
            Some((
                line,
                column,
                tr(format!("{en}, not {}", found.0), format!("{ja} ({})", found.1)),
                tr(hint_en, hint_ja),
            ))
        }
        E::UnknownAnchor { .. } => {
            let name = at.value();
            let name = name.trim_start_matches('*');
            Some((
                line,
                column,
                tr(
                    format!("`*{name}` repeats a value marked `&{name}`, but there is no such mark before it"),
                    format!("`*{name}` は `&{name}` の印を付けた値の繰り返しですが、その前にその印がありません"),
                ),
                tr(
                    format!(
                        "in YAML `&{name}` marks a value and a later `*{name}` repeats it; mark the value first, or quote a text that starts with `*`: \"*{name}\""
                    ),
                    format!(
                        "YAML では `&{name}` で値に印を付け、後の `*{name}` でその値を繰り返します。先に印を付けるか、`*` で始まる文字列なら \"*{name}\" のように引用符で囲んでください"
                    ),
                ),
            ))
        }
        E::SerdeInvalidLength { len, expected, .. } => {
            // serde's words for a fixed-size array (`range: [1, 5]`).
            let n: usize = expected.strip_prefix("an array of length ")?.parse().ok()?;
            Some((
                line,
                column,
                tr(
                    format!("this list has {len} items, and {n} are expected here"),
                    format!("このリストには項目が {len} 個ありますが、ここには {n} 個書きます"),
                ),
                tr(
                    format!("write exactly {n} items, such as `[10, 40]`"),
                    format!("`[10, 40]` のように、ちょうど {n} 個の項目を書いてください"),
                ),
            ))
        }
        E::ExternalMessage { msg, .. } => at.syntax(msg),
        _ => None,
    }
}

/// What a scalar type holds, in words, and how to write it: None for a type
/// the files do not use.
fn scalar_kind(ty: &str) -> Option<(String, String)> {
    let whole = |max: u64| {
        let max = thousands(max as usize);
        (
            tr(format!("a whole number from 0 to {max}"), format!("0 から {max} までの整数")),
            tr(
                format!(
                    "write a whole number from 0 to {max} in digits, without a sign, a decimal point, words or quotes"
                ),
                format!("0 から {max} までの整数を数字で書いてください (符号、小数点、語、引用符は付けません)"),
            ),
        )
    };
    Some(match ty {
        "u8" => whole(u8::MAX.into()),
        "u16" => whole(u16::MAX.into()),
        "u32" => whole(u32::MAX.into()),
        "u64" | "usize" => whole(u64::MAX),
        "i64" | "i32" => (
            tr("a whole number", "整数"),
            tr(
                "write a whole number in digits, such as 10 or -5, without a decimal point, words or quotes",
                "10 や -5 のような整数を数字で書いてください (小数点、語、引用符は付けません)",
            ),
        ),
        "floating point" | "f64" | "f32" => (
            tr("a number", "数"),
            tr(
                "write a number such as 3 or 0.5, without words or quotes",
                "3 や 0.5 のような数を書いてください (語や引用符は付けません)",
            ),
        ),
        "boolean" | "bool" => {
            (tr("true or false", "true か false"), tr("write true or false", "true か false と書いてください"))
        }
        _ => return None,
    })
}

/// A position in the source text, and what can be read around it.
struct Spot<'a> {
    lines: Vec<&'a str>,
    /// Line and column, from 1 (0: unknown).
    line: u64,
    column: u64,
}

impl<'a> Spot<'a> {
    fn new(src: &'a str, line: u64, column: u64) -> Self {
        Spot { lines: src.lines().collect(), line, column }
    }

    /// A backslash in double quotes that starts no escape: at that
    /// backslash, with how to write it (a regular expression's `\(`, the
    /// usual case, wants it doubled there or single quotes).
    fn bad_escape(&self) -> (u64, u64, String, String) {
        let (column, escape) = self.unknown_escape().unwrap_or((self.column, "\\".into()));
        (
            self.line,
            column,
            tr(
                format!(
                    "`{escape}` is no escape of a text in double quotes, where a backslash starts one such as `\\n` or `\\\\`"
                ),
                format!(
                    "`{escape}` は二重引用符の中のエスケープではありません。二重引用符の中のバックスラッシュは `\\n` や `\\\\` のようなエスケープの始まりです"
                ),
            ),
            tr(
                format!(
                    "write the backslash twice (`\\{escape}`), or put the text in single quotes ('…'), where a backslash is just a backslash (as a regular expression's `\\(` wants)"
                ),
                format!(
                    "バックスラッシュを 2 つ重ねる (`\\{escape}`) か、文字列を単一引用符 ('…') で囲んでください。単一引用符の中ではバックスラッシュはそのまま書けます (正規表現の `\\(` など)"
                ),
            ),
        )
    }

    /// The first backslash from here on (in a double-quoted text on this
    /// line) that starts no escape YAML knows: its column and the two
    /// characters (`\(`).
    fn unknown_escape(&self) -> Option<(u64, String)> {
        let (_, rest) = self.split()?;
        let mut chars = rest.chars().enumerate().skip_while(|&(_, c)| c != '"').skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return None,
                '\\' => {
                    let (_, next) = chars.next()?;
                    if !"0abt\tnvfre \"/\\N_LPxuU".contains(next) {
                        return Some((self.column + i as u64, format!("\\{next}")));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// A `key: value` line indented further than the `key: value` line
    /// above it (`    address: …` then `     hostname: …`): YAML reads it as
    /// the rest of the value above, and its scanner points at the colon.
    /// At the key instead, with the column it should start at.
    fn indented_under_a_value(&self) -> Option<(u64, u64, String, String)> {
        let at = usize::try_from(self.line).ok()?.checked_sub(1)?;
        let here = self.lines.get(at)?;
        let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
        let above = self.lines[..at].iter().rev().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
        let (key, value) = above.trim_start_matches(' ').trim_start_matches("- ").split_once(": ")?;
        let col = above.len() - above.trim_start_matches(' ').trim_start_matches("- ").len();
        if indent(here) <= col || value.trim().is_empty() || value.trim_start().starts_with('#') || key.contains(' ') {
            return None;
        }
        let (have, want) = (indent(here) + 1, col + 1);
        Some((
            self.line,
            have as u64,
            tr(
                format!(
                    "this key starts in column {have}, further right than `{key}:` above it (column {want}), whose value is on its line: YAML reads this line as the rest of that value"
                ),
                format!(
                    "このキーは {have} 列目から始まり、すぐ上の `{key}:`（{want} 列目、値が同じ行にあります）より右にあります。YAML はこの行をその値の続きとして読みます"
                ),
            ),
            tr(
                format!("start it in column {want}, like `{key}`"),
                format!("`{key}` と同じ {want} 列目から書き始めてください"),
            ),
        ))
    }

    fn text(&self) -> Option<&'a str> {
        self.lines.get(usize::try_from(self.line).ok()?.checked_sub(1)?).copied()
    }

    /// The line before and from the column (in characters).
    fn split(&self) -> Option<(&'a str, &'a str)> {
        let text = self.text()?;
        let col = usize::try_from(self.column.max(1) - 1).ok()?;
        let at = text.char_indices().nth(col).map(|(i, _)| i).unwrap_or(text.len());
        Some(text.split_at(at))
    }

    /// The key whose value starts here (`seed` in `seed: -1`, `step` in
    /// `{ step: x }`): the text before the position, up to a colon.
    fn key_before(&self) -> Option<String> {
        let (before, rest) = self.split()?;
        // The position of an empty value may be its key's colon.
        let before = if rest.starts_with(':') { before } else { before.trim_end().strip_suffix(':')? };
        let key = before.rsplit(['{', ',']).next()?.trim().trim_start_matches("- ").trim();
        let key = key.trim_matches(['"', '\'']);
        (!key.is_empty()).then(|| key.to_string())
    }

    /// The key that starts here (a duplicate's).
    fn key_here(&self) -> Option<String> {
        let (_, rest) = self.split()?;
        let key = rest.split(':').next()?.trim().trim_matches(['"', '\'']);
        (!key.is_empty()).then(|| key.to_string())
    }

    /// The value written here, as far as one line shows it: a quoted text
    /// whole, a plain one up to a comment (and, in brackets, up to `,`).
    fn value(&self) -> String {
        let Some((before, rest)) = self.split() else { return String::new() };
        let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
        if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let end = rest[1..].find(q).map(|i| i + 2).unwrap_or(rest.len());
            return rest[..end].to_string();
        }
        let flow = before.contains(['{', '[']);
        let mut end = rest.find(" #").unwrap_or(rest.len());
        if rest.starts_with('#') {
            end = 0;
        }
        if flow && let Some(i) = rest[..end].find([',', '}', ']']) {
            end = i;
        }
        rest[..end].trim().to_string()
    }

    /// What stands here, in words (English, Japanese).
    fn found(&self) -> (String, String) {
        let v = self.value();
        if v.is_empty() {
            ("nothing".into(), "値がありません".into())
        } else if v.starts_with('{') {
            ("a mapping `{ … }`".into(), "`{ … }` の並びがあります".into())
        } else if v.starts_with('[') {
            ("a list `[ … ]`".into(), "`[ … ]` のリストがあります".into())
        } else if v.starts_with("- ") || v == "-" {
            ("a list (`- …`)".into(), "リスト (`- …`) があります".into())
        } else if let Some((k, _)) = v.split_once(": ") {
            (format!("a mapping (`{k}: …`)"), format!("キーと値の並び (`{k}: …`) があります"))
        } else {
            (format!("`{v}`"), format!("`{v}` があります"))
        }
    }

    /// The key of the list this is an item of: `options` for `"25"` in
    /// `options: ["25", "587"]`, or for `25` in a `- 25` line under `options:`.
    fn list_of(&self) -> Option<String> {
        let (before, _) = self.split()?;
        // In brackets on this line: the innermost open one.
        let mut open = Vec::new();
        let mut quote = None;
        for (i, c) in before.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[' | '{') => open.push((i, c)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
        if let Some(&(i, c)) = open.last() {
            if c != '[' {
                return None;
            }
            let key = before[..i].trim_end().strip_suffix(':')?;
            let key = key.rsplit(['{', ',']).next()?.trim().trim_start_matches("- ").trim().trim_matches(['"', '\'']);
            return (!key.is_empty()).then(|| key.to_string());
        }
        // A `- ` item: the key on the nearest line above that is not a sibling item.
        if !before.trim_end().ends_with('-') || before.trim_start_matches([' ', '-']).trim() != "" {
            return None;
        }
        let indent = Spot::indent(before);
        let upto = usize::try_from(self.line).ok()?.checked_sub(1)?;
        for i in (0..upto).rev() {
            let t = self.lines[i];
            let body = t.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let at = Spot::indent(t);
            if at > indent || (at == indent && body.starts_with('-')) {
                continue;
            }
            let key = body.trim_start_matches("- ").trim_end().strip_suffix(':')?.trim().trim_matches(['"', '\'']);
            return (!key.is_empty()).then(|| key.to_string());
        }
        None
    }

    /// A plain value (`v`, empty for none) where a text with its languages is expected.
    fn plain_text(&self, line: u64, column: u64, v: &str) -> (u64, u64, String, String) {
        let example = if v.is_empty() {
            "{ en: \"…\", ja: \"…\" }".to_string()
        } else {
            format!("{{ en: {v:?}, ja: \"…\" }}")
        };
        let either = tr("either language may be left out", "どちらかの言語は省けます");
        if let Some(list) = self.list_of() {
            let (what, what_ja) = if v.is_empty() {
                ("an empty item".to_string(), "空の項目があります".to_string())
            } else {
                (format!("a plain `{v}`"), format!("`{v}` だけでは書けません"))
            };
            return (
                line,
                column,
                tr(
                    format!("each item of `{list}` is a text with its languages (`en:`, `ja:`), not {what}"),
                    format!("`{list}` の各項目は言語ごとの文 (`en:`、`ja:`) で書きます ({what_ja})"),
                ),
                tr(
                    format!("write each item as `- {example}` ({either})"),
                    format!("各項目を `- {example}` のように書いてください ({either})"),
                ),
            );
        }
        if let Some(found) = self.continued() {
            return found;
        }
        let hint = match self.key_before() {
            Some(k) => tr(
                format!("write `{k}: {example}`, or `en:` and `ja:` on lines indented under `{k}:` ({either})"),
                format!(
                    "`{k}: {example}` と書くか、`{k}:` の下の字下げした行に `en:` と `ja:` を書いてください ({either})"
                ),
            ),
            None => {
                tr(format!("write `{example}` ({either})"), format!("`{example}` のように書いてください ({either})"))
            }
        };
        if v.is_empty() {
            return self.missing_value(line, column, tr("a text with its languages", "言語ごとの文"), hint);
        }
        let message = match self.key_before() {
            Some(k) => tr(
                format!("`{k}` is a text with its languages (`en:`, `ja:`), not a plain `{v}`"),
                format!("`{k}` は言語ごとの文 (`en:`、`ja:`) で書きます (`{v}` だけでは書けません)"),
            ),
            None => tr(
                format!("a text with its languages (`en:`, `ja:`) is expected here, not a plain `{v}`"),
                format!("ここには言語ごとの文 (`en:`、`ja:`) が来るはずです (`{v}` だけでは書けません)"),
            ),
        };
        (line, column, message, hint)
    }

    /// A value that is missing: `key:` with nothing after it.
    fn missing_value(&self, line: u64, column: u64, what: String, hint: String) -> (u64, u64, String, String) {
        let message = match self.key_before() {
            Some(k) => tr(
                format!("`{k}` has no value: {what} is expected after it"),
                format!("`{k}` に値がありません: {what}を書きます"),
            ),
            None => tr(
                format!("a value is missing here: {what} is expected"),
                format!("ここに値がありません: {what}を書きます"),
            ),
        };
        (line, column, message, hint)
    }

    /// The leading spaces of a line.
    fn indent(text: &str) -> usize {
        text.len() - text.trim_start_matches(' ').len()
    }

    /// A value on a key's line with lines indented under the key below it
    /// (`users: x` over `  - address: …`, or `version: 1` over a key
    /// indented by mistake): YAML reads those lines as the rest of the value.
    fn continued(&self) -> Option<(u64, u64, String, String)> {
        let text = self.text()?;
        let (_, rest) = self.split()?;
        let rest = rest.trim();
        if rest.is_empty() || rest.ends_with([':', '|', '>']) || rest.starts_with(['"', '\'', '[', '{', '#']) {
            return None;
        }
        let key = self.key_before()?;
        let key_col = text.find(&key)?;
        let start = usize::try_from(self.line).ok()?;
        let (i, next) = self
            .lines
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
        if Spot::indent(next) <= key_col {
            return None;
        }
        let (n, v) = (i + 1, self.value());
        Some((
            self.line,
            self.column,
            tr(
                format!(
                    "`{key}` has a value on its line (`{v}`) and a line indented under it (line {n}): YAML reads that line as the rest of the value"
                ),
                format!(
                    "`{key}` には同じ行の値 (`{v}`) と、その下に深く字下げした行 ({n} 行目) があります: YAML はその行を値の続きとして読みます"
                ),
            ),
            tr(
                format!(
                    "a key has either a value on its line or indented lines below it: remove `{v}`, or move line {n} back to the column of `{key}`"
                ),
                format!(
                    "キーの値は同じ行に書くか、下の行に字下げして書くかのどちらかです。`{v}` を消すか、{n} 行目を `{key}` と同じ列まで戻してください"
                ),
            ),
        ))
    }

    /// The first key of the mapping whose key is here (where a missing
    /// key is to be added): the `{` of a mapping on one line, or the first
    /// of the keys at this column above, up to the `- ` of a list item.
    fn mapping_start(&self) -> Option<(u64, u64)> {
        let (before, _) = self.split()?;
        let mut open = Vec::new();
        let mut quote = None;
        for (i, c) in before.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '{') => open.push(i),
                (None, '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
        if let Some(i) = open.last() {
            return Some((self.line, *i as u64 + 1));
        }
        let col = usize::try_from(self.column).ok()?.checked_sub(1)?;
        let mut first = (self.line, self.column);
        let upto = usize::try_from(self.line).ok()?.checked_sub(1)?;
        for i in (0..upto).rev() {
            let t = self.lines[i];
            let body = t.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if t.starts_with("---") {
                break;
            }
            let indent = Spot::indent(t);
            // Where the key of this line starts, after any `- `.
            let mut k = indent;
            while t[k..].starts_with("- ") {
                k += 2;
                k += Spot::indent(&t[k..]);
            }
            if k == col {
                first = (i as u64 + 1, self.column);
                if k > indent {
                    break;
                }
            } else if indent < col {
                break;
            }
        }
        Some(first)
    }

    /// The line of the same key earlier in the same mapping (a duplicate's first).
    fn earlier_key(&self, key: &str) -> Option<u64> {
        let (before, _) = self.split()?;
        let is_key = |s: &str| {
            let s = s.trim_start().trim_start_matches("- ").trim_start();
            [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| s.strip_prefix(k.as_str()).is_some_and(|r| r.trim_start().starts_with(':')))
        };
        // On one line, in braces.
        if before.contains('{') && before.rsplit('{').next()?.split(',').any(is_key) {
            return Some(self.line);
        }
        let (start, _) = self.mapping_start()?;
        let col = usize::try_from(self.column).ok()?.checked_sub(1)?;
        (start..self.line).find(|&n| {
            let t = self.lines[n as usize - 1];
            t.char_indices()
                .nth(col)
                .is_some_and(|(i, _)| is_key(&t[i..]) && t[..i].trim_start_matches([' ', '-']).is_empty())
        })
    }

    /// A syntax error of the reader, in plain words where it is a common one.
    fn syntax(&self, msg: &str) -> Option<(u64, u64, String, String)> {
        if msg.starts_with("invalid trailing content after") && msg.contains("quoted scalar") {
            return self.after_quote();
        }
        if msg.contains("found unknown escape character") {
            return Some(self.bad_escape());
        }
        // A `[` or `{` left open: the reader stops later, often at the next line's `key:`.
        if [
            "illegal placement of ':' indicator",
            "while parsing a flow",
            "EOF while parsing a flow",
            "EOF while parsing an implicit flow",
            "invalid indentation in flow construct",
        ]
        .iter()
        .any(|m| msg.contains(m))
            && let Some(found) = self.unclosed_flow()
        {
            return Some(found);
        }
        if (msg.contains("did not find expected '-' indicator") || msg.contains("did not find expected key"))
            && let Some(found) = self.out_of_step()
        {
            return Some(found);
        }
        if msg.starts_with("unclosed bracket") {
            let c = if msg.contains('[') { '[' } else { '{' };
            let (close, what, what_ja) =
                if c == '[' { (']', "list", "リスト") } else { ('}', "mapping", "キーと値の並び") };
            return Some((
                self.line,
                self.column,
                tr(
                    format!("this `{c}` starts a {what} that is never closed with `{close}`: the file ends first"),
                    format!("この `{c}` で始まる{what_ja}が `{close}` で閉じられないまま、ファイルが終わっています"),
                ),
                tr(format!("end the {what} with `{close}`"), format!("{what_ja}の終わりに `{close}` を書いてください")),
            ));
        }
        if let Some(c) = msg.strip_prefix("unexpected character: `").and_then(|r| r.chars().next()) {
            return Some((
                self.line,
                self.column,
                tr(
                    format!(
                        "a value without quotes cannot start with `{c}`: YAML keeps the marks @ and ` (and % at the start of a line) for itself"
                    ),
                    format!(
                        "引用符のない値は `{c}` で始められません: @ と ` (行頭では % も) は YAML が別の意味に取っておく記号です"
                    ),
                ),
                tr(
                    format!("put the value in quotes: \"{c}…\""),
                    format!("値を \"{c}…\" のように引用符で囲んでください"),
                ),
            ));
        }
        if msg.contains("did not find expected <document start>")
            && let Some(n) = self.lines.iter().position(|l| l.starts_with('%'))
        {
            // Point at the directive, not at the first line of content after it.
            return Some((
                n as u64 + 1,
                1,
                tr(
                    "a line that starts with `%` is a YAML directive, and YAML then wants a line `---` before the content",
                    "`%` で始まる行は YAML の指示で、その後には内容の前に `---` の行が要ります",
                ),
                tr(
                    "remove the `%` line (maillab needs no directives), or put a value that starts with `%` in quotes",
                    "`%` の行を消すか (maillab に指示は要りません)、`%` で始まる値なら引用符で囲んでください",
                ),
            ));
        }
        let (en, ja, hint_en, hint_ja) = if msg.contains("while scanning an anchor or alias") {
            (
                "`&` or `*` at the start of a value marks or repeats a value (an anchor or an alias), and a name must follow it at once",
                "値の先頭の `&` と `*` は値に印を付けたり繰り返したりする記号 (アンカー、エイリアス) で、すぐ後に名前が要ります",
                "put a text that starts with `&` or `*` in quotes: \"& more\"",
                "`&` や `*` で始まる文字列は \"& more\" のように引用符で囲んでください",
            )
        } else if msg.contains("did not find expected hexadecimal number") {
            (
                "an escape `\\x`, `\\u` or `\\U` in double quotes needs 2, 4 or 8 hexadecimal digits after it",
                "二重引用符の中の `\\x`、`\\u`、`\\U` の後には 16 進数の数字が 2 桁、4 桁、8 桁要ります",
                "write the digits in full, write a backslash itself as `\\\\`, or use single quotes, where `\\` is plain text",
                "数字をすべて書くか、バックスラッシュそのものは `\\\\` と書くか、`\\` がただの文字になる一重引用符を使ってください",
            )
        } else if msg.contains("wrongly indented line in block scalar") {
            (
                "a line of this text block (`|` or `>`) is indented less than the block's first line",
                "この文章のブロック (`|` や `>`) の行が、ブロックの最初の行より浅く字下げされています",
                "indent every line of the block at least as far as its first line",
                "ブロックのどの行も、最初の行と同じかそれより深く字下げしてください",
            )
        } else if msg.contains("did not find expected <document start>") {
            (
                "a line that starts with `%` is a YAML directive, and YAML then wants a line `---` before the content",
                "`%` で始まる行は YAML の指示で、その後には内容の前に `---` の行が要ります",
                "remove the `%` line (maillab needs no directives), or put a value that starts with `%` in quotes",
                "`%` の行を消すか (maillab に指示は要りません)、`%` で始まる値なら引用符で囲んでください",
            )
        } else if msg.starts_with("unclosed quote") || msg.contains("while scanning a quoted scalar") {
            (
                "this quote is never closed",
                "この引用符が閉じられていません",
                "end the quoted text with the same quote mark it starts with",
                "引用した文字列を、始めと同じ引用符で閉じてください",
            )
        } else if msg.starts_with("simple key expected") || msg.contains("could not find expected ':'") {
            (
                "a key without `:` (or a line that does not belong here)",
                "`:` のないキーがあります (またはここに来るはずのない行です)",
                "write `key: value` with a colon and a space, and indent the line as the keys beside it",
                "`キー: 値` のようにコロンと空白を書き、隣のキーと同じ深さに字下げしてください",
            )
        } else if msg.contains("did not find expected '-' indicator") {
            (
                "this line does not fit the list it is in",
                "この行は、それを含むリストに合いません",
                "check the indentation: the items of one list start with `- ` in the same column, and a key of an item lines up with the item's first key",
                "字下げを確かめてください: 1 つのリストの項目は同じ列の `- ` で始まり、項目の中のキーはその項目の最初のキーと同じ列から始まります",
            )
        } else if let Some(found) =
            msg.contains("mapping values are not allowed").then(|| self.indented_under_a_value()).flatten()
        {
            return Some(found);
        } else if msg.contains("did not find expected key") || msg.contains("mapping values are not allowed") {
            (
                "this line does not fit the mapping it is in",
                "この行は、それを含むキーと値の並びに合いません",
                "check the indentation (the keys of one mapping start in the same column) and that every key is followed by `: `",
                "字下げ (同じ並びのキーは同じ列から始まります) と、どのキーにも `: ` が続くことを確かめてください",
            )
        } else if msg.contains("flow sequence") && self.text().is_some_and(|l| l.contains("@[")) {
            // `to: [user@[192.0.2.25]]`: in a `[ ]` list, the `[` of an
            // address literal opens a list of its own (a flow indicator).
            let message = tr(
                "an address literal in a [ ] list without quotes: its `[` starts a list of its own",
                "[ ] のリストの中に引用符なしのアドレスリテラルがあります: その `[` が別のリストを始めてしまいます",
            );
            let hint = tr(
                "put the address in quotes, [\"user@[192.0.2.25]\"], or each address on a `- ` line of its own",
                "アドレスを [\"user@[192.0.2.25]\"] のように引用符で囲むか、アドレスを 1 つずつ `- ` の行に書いてください",
            );
            return Some((self.line, self.column, message, hint));
        } else {
            return Some((self.line, self.column, msg.to_string(), syntax_hint()));
        };
        Some((self.line, self.column, tr(en, ja), tr(hint_en, hint_ja)))
    }

    /// A key indented less than the keys before it but more than the mapping
    /// around them (`   domains:` under keys at four spaces): no mapping starts
    /// in its column, so YAML cannot tell where it belongs. The line and the
    /// column its siblings start at.
    fn out_of_step(&self) -> Option<(u64, u64, String, String)> {
        let text = self.text()?;
        let body = text.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            return None;
        }
        let col = Spot::indent(text);
        let upto = usize::try_from(self.line).ok()?.checked_sub(1)?;
        // The smallest key column above that is deeper than this line, up to the line it belongs under.
        let mut siblings: Option<usize> = None;
        for i in (0..upto).rev() {
            let t = self.lines[i];
            let b = t.trim_start_matches(' ');
            if b.is_empty() || b.starts_with('#') {
                continue;
            }
            let indent = Spot::indent(t);
            let mut k = indent;
            while t[k..].starts_with("- ") {
                k += 2;
                k += Spot::indent(&t[k..]);
            }
            if indent == col || k == col || t.starts_with("---") {
                return None;
            }
            if indent < col {
                break;
            }
            siblings = Some(siblings.map_or(k, |s| s.min(k)));
        }
        let s = siblings? as u64 + 1;
        let here = col as u64 + 1;
        let key = body.trim_start_matches("- ").split(':').next().unwrap_or("").trim();
        let key = if key.is_empty() || key.starts_with(['[', '{', '"', '\'']) {
            tr("this line", "この行")
        } else {
            format!("`{key}:`")
        };
        Some((
            self.line,
            here,
            tr(
                format!(
                    "this line starts in column {here}, out of step with the keys before it: they start in column {s}"
                ),
                format!(
                    "この行は {here} 列目から始まっていて、前のキーとそろっていません: それらのキーは {s} 列目から始まります"
                ),
            ),
            tr(
                format!(
                    "indent {key} to column {s}, like the keys beside it (or back to the column of an outer key, if it belongs there); the keys of one mapping start in the same column"
                ),
                format!(
                    "{key} を隣のキーと同じ {s} 列目まで字下げしてください (外側の並びのキーなら、その列まで戻します)。同じ並びのキーは同じ列から始まります"
                ),
            ),
        ))
    }

    /// A `[` or `{` before this position that is never closed: where it
    /// opens, when that is on an earlier line (on the same line the reader's
    /// position is already near it).
    fn unclosed_flow(&self) -> Option<(u64, u64, String, String)> {
        self.open_flow(false)
    }

    /// A value the reader refuses inside a `[` or `{` that its line leaves
    /// open while the next line starts a new key or item (`count: 1` at the
    /// end of a `{ … ` line): the value ran on into that line.
    fn unclosed_on_line(&self) -> Option<(u64, u64, String, String)> {
        let n = usize::try_from(self.line).ok()?;
        let indent = Spot::indent(self.text()?);
        let next = self.lines.iter().skip(n).find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
        (Spot::indent(next) <= indent).then(|| self.open_flow(true))?
    }

    /// The innermost `[` or `{` left open before this position (through the
    /// whole of this line with `whole_line`), and the words for it.
    fn open_flow(&self, whole_line: bool) -> Option<(u64, u64, String, String)> {
        let upto = usize::try_from(self.line).ok()?;
        let mut open: Vec<(usize, usize, char)> = Vec::new();
        // Lines of a block scalar (`key: |`) deeper than its key are text.
        let mut block: Option<usize> = None;
        for (n, t) in self.lines.iter().enumerate().take(upto) {
            let indent = Spot::indent(t);
            if let Some(b) = block {
                if t.trim().is_empty() || indent > b {
                    continue;
                }
                block = None;
            }
            let chars: Vec<char> = t.chars().collect();
            let end = if n + 1 == upto && !whole_line {
                usize::try_from(self.column).unwrap_or(0).saturating_sub(1).min(chars.len())
            } else {
                chars.len()
            };
            let mut quote: Option<char> = None;
            let mut j = 0;
            while j < end {
                let c = chars[j];
                match (quote, c) {
                    (Some('"'), '\\') => j += 1,
                    (Some('\''), '\'') if chars.get(j + 1) == Some(&'\'') => j += 1,
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '#') if j == 0 || chars[j - 1] == ' ' => break,
                    (None, '"' | '\'') => {
                        let before: String = chars[..j].iter().collect();
                        let before = before.trim_end();
                        if !open.is_empty() || before.is_empty() || before.ends_with([':', '-', ',', '[', '{']) {
                            quote = Some(c);
                        }
                    }
                    (None, '[' | '{') => {
                        let before: String = chars[..j].iter().collect();
                        let before = before.trim_end();
                        if !open.is_empty() || before.is_empty() || before.ends_with(':') || before.ends_with('-') {
                            open.push((n, j, c));
                        }
                    }
                    (None, ']' | '}') if !open.is_empty() => {
                        open.pop();
                    }
                    _ => {}
                }
                j += 1;
            }
            if open.is_empty() && quote.is_none() {
                let v = t.split(" #").next().unwrap_or(t).trim_end();
                if v.ends_with(": |") || v.ends_with(": >") || v.contains(": |") || v.contains(": >") {
                    let after = v.rsplit(": ").next().unwrap_or("");
                    if after.starts_with(['|', '>']) && after.len() <= 3 {
                        block = Some(indent);
                    }
                }
            }
        }
        let &(n, j, c) = open.last()?;
        if n + 1 >= upto && !whole_line {
            return None;
        }
        let (line, column) = (n as u64 + 1, j as u64 + 1);
        let into = if whole_line {
            let next = self.lines.iter().enumerate().skip(upto);
            next.filter(|(_, l)| !l.trim().is_empty()).map(|(i, _)| i as u64 + 1).next().unwrap_or(self.line)
        } else {
            self.line
        };
        let (what, what_ja, close, items, items_ja) = if c == '[' {
            ("list", "リスト", ']', "its items on lines of their own after `- `", "項目を 1 行に 1 つ `- ` に続けて")
        } else {
            ("mapping", "キーと値の並び", '}', "its keys on lines of their own", "キーを 1 行に 1 つ")
        };
        Some((
            line,
            column,
            tr(
                format!(
                    "this `{c}` starts a {what} that is never closed with `{close}`: YAML reads on into line {into}"
                ),
                format!(
                    "この `{c}` で始まる{what_ja}が `{close}` で閉じられていません: YAML は {into} 行目まで続きとして読みます"
                ),
            ),
            tr(
                format!("end the {what} with `{close}` on this line, or write {items}, without brackets"),
                format!("この行の{what_ja}の終わりに `{close}` を書くか、括弧を使わずに{items_ja}書いてください"),
            ),
        ))
    }

    /// Text right after a closing quote: a quote opened lines earlier and
    /// closed by the next quote mark (say so at the opening one), or text
    /// after a quoted value on one line.
    fn after_quote(&self) -> Option<(u64, u64, String, String)> {
        let (before, _) = self.split()?;
        let trimmed = before.trim_end();
        let q = trimmed.chars().last().filter(|c| *c == '"' || *c == '\'')?;
        // Back from the closing quote to the opening one, over earlier lines too.
        let upto = usize::try_from(self.line).ok()? - 1;
        let mut text: Vec<(usize, &str)> = self.lines[..upto].iter().copied().enumerate().collect();
        text.push((upto, &trimmed[..trimmed.len() - 1]));
        for (n, t) in text.iter().rev() {
            let chars: Vec<(usize, char)> = t.char_indices().collect();
            let mut j = chars.len();
            while j > 0 {
                j -= 1;
                let (_, c) = chars[j];
                if c != q {
                    continue;
                }
                // An escaped quote (\" in double quotes, '' in single ones) is text.
                if q == '"' && j > 0 && chars[j - 1].1 == '\\' {
                    continue;
                }
                if q == '\'' && j > 0 && chars[j - 1].1 == '\'' {
                    j -= 1;
                    continue;
                }
                let line = *n as u64 + 1;
                let column = j as u64 + 1;
                if line == self.line {
                    let whole: String = self.text()?.chars().skip(j).collect();
                    let whole = whole.split(" #").next().unwrap_or(&whole).trim_end();
                    return Some((
                        self.line,
                        self.column,
                        tr(
                            format!("text after the closing quote: `{whole}`"),
                            format!("閉じる引用符の後に文字があります: `{whole}`"),
                        ),
                        tr(
                            "quote the whole value, or leave the quotes out; a quote inside a quoted text is written \\\" (or '' in single quotes)",
                            "値全体を引用符で囲むか、引用符を外してください。引用符の中の引用符は \\\" (一重引用符の中では '') と書きます",
                        ),
                    ));
                }
                return Some((
                    line,
                    column,
                    tr(
                        format!(
                            "this quote is not closed on its line: YAML reads on to the next {q}, at line {}",
                            self.line
                        ),
                        format!(
                            "この引用符はこの行で閉じられていません: YAML は次の {q} ({} 行目) まで読み進めます",
                            self.line
                        ),
                    ),
                    tr(
                        format!("close the quote at the end of this value with {q}"),
                        format!("この値の終わりを {q} で閉じてください"),
                    ),
                ));
            }
        }
        None
    }
}

/// Load a scenario source whose `${...}` values are already in place.
pub fn load_plain(src: &str, file: &str) -> Result<Scenario, Diagnostics> {
    let raw: RawScenario = match serde_saphyr::from_str_with_options(src, yaml_options()) {
        Ok(r) => r,
        // Every host's, user's, step's and expectation's first problem, not only the file's.
        Err(e) => return Err(Diagnostics(isolate::scenario(file, src, yaml_error(file, src, &e, "scenario")))),
    };
    let mut c = Checker {
        file: file.to_string(),
        src: src.to_string(),
        diags: Vec::new(),
        warns: Vec::new(),
        passwords: BTreeMap::new(),
        configured: BTreeMap::new(),
    };
    let sc = c.scenario(raw);
    if c.diags.is_empty()
        && let Some(mut sc) = sc
    {
        let mut w = Diagnostics(c.warns);
        w.sort();
        sc.warnings = w.0;
        return Ok(sc);
    }
    let mut d = Diagnostics(c.diags);
    d.sort();
    Err(d)
}

struct Checker {
    file: String,
    /// The text read, for positions of things serde keeps none for.
    src: String,
    diags: Vec<Diagnostic>,
    /// Problems that do not stop the file from loading.
    warns: Vec<Diagnostic>,
    /// Users' addresses as written and passwords, by address in lower case
    /// (see `users::passwords`), for steps that log in.
    passwords: BTreeMap<String, (String, Option<String>)>,
    /// Each MTA host as the `configure` steps checked so far left it.
    configured: BTreeMap<usize, RawHost>,
}

impl Checker {
    fn err<T>(&mut self, at: &S<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::at(&self.file, at, message, hint));
    }

    fn warn<T>(&mut self, at: &S<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.warns.push(Diagnostic::at(&self.file, at, message, hint));
    }

    /// A value that becomes one line of a message (a subject, a header
    /// field's value, an address): false, after a diagnostic naming what it
    /// holds, when it has a line break or another control character (a tab
    /// is allowed). `what` is (English, Japanese), e.g. ("a subject", "件名").
    fn one_line(&mut self, s: &S<String>, what: (&str, &str)) -> bool {
        let Some(c) = s.value.chars().find(|c| c.is_ascii_control() && *c != '\t') else { return true };
        let (en, ja) = match c {
            '\n' => ("a line break (LF, `\\n`)".to_string(), "改行 (LF、`\\n`)".to_string()),
            '\r' => ("a carriage return (CR, `\\r`)".to_string(), "復帰 (CR、`\\r`)".to_string()),
            '\0' => ("a NUL character (`\\0`)".to_string(), "NUL 文字 (`\\0`)".to_string()),
            c => (format!("the control character U+{:04X}", u32::from(c)), format!("制御文字 U+{:04X}", u32::from(c))),
        };
        let (what_en, what_ja) = what;
        self.err(
            s,
            tr(format!("{what_en} is one line; this one holds {en}"), format!("{what_ja}は 1 行です: {ja} が入っています")),
            tr(
                "a line break would end the header field and start another one (header injection): write it on one line, without `\\r`, `\\n` or other control characters (a tab is allowed); in YAML, `|` keeps line breaks and `\\n` in double quotes is one",
                "改行があるとヘッダフィールドがそこで終わり、別のフィールドが始まってしまいます (ヘッダインジェクション)。`\\r`、`\\n` などの制御文字を入れずに 1 行で書いてください (タブは使えます)。YAML では `|` は改行を残し、二重引用符の中の `\\n` は改行になります",
            ),
        );
        false
    }

    fn duration(&mut self, s: &S<String>) -> Option<Duration> {
        match parse_duration(&s.value) {
            Ok(d) if d > MAX_DURATION => {
                self.err(
                    s,
                    tr(
                        format!("`{}` is longer than maillab allows: at most 365 days", s.value),
                        format!("`{}` は長すぎます: 最長 365 日です", s.value),
                    ),
                    tr(
                        "a lab needs minutes to days of virtual time; write e.g. 5d or 30d",
                        "実験に要る仮想時間は数分から数日です。例えば 5d や 30d と書いてください",
                    ),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    s,
                    e,
                    tr(
                        "write a number and a unit: 20ms, 30s, 5m, 2h, 5d (or 1h30m)",
                        "数と単位を書いてください: 20ms, 30s, 5m, 2h, 5d (1h30m のような組み合わせも可)",
                    ),
                );
                None
            }
        }
    }

    fn mailbox(&mut self, s: &S<String>) -> bool {
        match parse_mailbox(&s.value) {
            Ok(_) => true,
            Err(e) => {
                self.err(
                    s,
                    tr(
                        format!("malformed mail address: {}", e.en()),
                        format!("メールアドレスの形が正しくありません: {}", e.ja()),
                    ),
                    address_hint(&e),
                );
                false
            }
        }
    }

    fn domain(&mut self, s: &S<String>) -> Option<String> {
        match check_domain(&s.value) {
            Ok(()) => Some(s.value.to_ascii_lowercase()),
            Err(e) => {
                self.err(
                    s,
                    tr(
                        format!("malformed domain name: {}", e.en()),
                        format!("ドメイン名の形が正しくありません: {}", e.ja()),
                    ),
                    tr("write it as example.com", "example.com のように書いてください"),
                );
                None
            }
        }
    }

    fn host_ref(
        &mut self,
        names: &BTreeMap<String, usize>,
        hosts: &[RawHost],
        s: &S<String>,
        want: &[Role],
        what: &str,
    ) -> Option<usize> {
        let Some(&i) = names.get(&s.value) else {
            let known: Vec<&str> = names.keys().map(String::as_str).collect();
            let (message, hint) = crate::base::diag::unknown_host(&s.value, &known);
            self.err(s, message, hint);
            return None;
        };
        let role = role_of(&hosts[i]);
        if let Some(r) = role
            && !want.contains(&r)
        {
            let wanted: Vec<&str> = want.iter().map(|r| r.name()).collect();
            self.err(
                s,
                tr(
                    format!(
                        "{what} must be a host with role {}, but `{}` is a {}",
                        wanted.join(" or "),
                        s.value,
                        r.name()
                    ),
                    format!(
                        "{} は役割が {} のホストでなければなりませんが、`{}` は {} です",
                        ja_role_what(what),
                        wanted.join(" か "),
                        s.value,
                        r.name()
                    ),
                ),
                tr(
                    "name another host, or change that host's role",
                    "別のホストを書くか、そのホストの役割を変えてください",
                ),
            );
            return None;
        }
        Some(i)
    }
}

/// How to mend a malformed address: write it as a name-based address, or,
/// when the mistake is in an address literal, write the literal right.
pub(super) fn address_hint(e: &crate::proto::smtp::address::AddressError) -> String {
    if e.is_literal() {
        tr(
            "write an address literal as user@[192.0.2.25] (four numbers from 0 to 255) or user@[IPv6:2001:db8::1]; in a [ ] list, put it in quotes",
            "アドレスリテラルは user@[192.0.2.25] (0 から 255 までの数を 4 つ) か user@[IPv6:2001:db8::1] のように書いてください。[ ] のリストの中では引用符で囲みます",
        )
    } else {
        tr("write it as user@example.com", "user@example.com のように書いてください")
    }
}

/// An address as the model keeps it (the key of the parsed mailbox), or as written when it does not parse.
fn norm(addr: &str) -> String {
    parse_mailbox(addr).map(|m| m.key()).unwrap_or_else(|_| addr.to_string())
}

/// The Japanese for the `what` of [`Checker::host_ref`].
fn ja_role_what(what: &str) -> &str {
    match what {
        "a hop of a Received: chain" => "Received: チェーンの中継 (hop)",
        "a link end" => "リンクの端",
        "a log's host" => "ログのホスト",
        "a smarthost" => "smarthost",
        "the POP3/IMAP server" => "POP3/IMAP サーバー",
        "the host a `configure` step changes" => "`configure` ステップが変えるホスト",
        "the reading host (from_host)" => "メールを読むホスト (from_host)",
        "the replying host (from_host)" => "返信するホスト (from_host)",
        "the resolver" => "リゾルバ (resolver)",
        "the sending host (from_host)" => "送信するホスト (from_host)",
        "the server a message is sent via" => "メッセージを送る先のサーバー",
        "the server the reply is sent via" => "返信を送る先のサーバー",
        "the trace event's host" => "トレースのイベントのホスト",
        "this step's host" => "このステップのホスト",
        other => other,
    }
}

fn role_of(h: &RawHost) -> Option<Role> {
    Role::ALL.iter().find(|(n, _)| *n == h.role.value).map(|(_, r)| *r)
}

pub fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let (a, b) = s.split_once('/').unwrap_or((s, "32"));
    let net = a.parse::<Ipv4Addr>().map_err(|_| {
        tr(
            format!("`{s}` is not a network: `{a}` is not an IPv4 address"),
            format!("`{s}` はネットワークではありません: `{a}` は IPv4 アドレスではありません"),
        )
    })?;
    let bits = b.parse::<u8>().ok().filter(|b| *b <= 32).ok_or_else(|| {
        tr(format!("`{s}`: the prefix length must be 0 to 32"), format!("`{s}`: プレフィックス長は 0 から 32 です"))
    })?;
    Ok(Cidr { net, bits })
}

#[cfg(test)]
mod tests;

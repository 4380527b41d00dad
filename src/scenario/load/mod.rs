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
//! and reply steps), `expect` (expectations).

mod configure;
mod expect;
mod hosts;
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

/// The roles that run an MTA: what a smarthost, a `via` or a hop must be.
const MTA_ROLES: &[Role] = &[Role::Relay, Role::Hub, Role::Mx, Role::Mailstore, Role::List];

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
    let (mut line, mut column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
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
    let hint = if message.starts_with("missing field") {
        tr("add the missing key here", "足りないキーをここに書き足してください")
    } else if message.starts_with("unknown variant") {
        tr("use one of the values listed", "挙げられた値のどれかを使ってください")
    } else if message.starts_with("invalid") || message.starts_with("expected") {
        tr(
            "this value has the wrong type: check quoting, and whether a list or a single value is wanted",
            "値の型が違います: 引用符と、リストか単独の値かを確かめてください",
        )
    } else {
        tr(
            "check the YAML syntax near here: indentation, a missing `:` or an unclosed bracket or quote",
            "この近くの YAML の書き方を確かめてください: 字下げ、`:` の抜け、閉じていない括弧や引用符",
        )
    };
    d(line, column, message, hint)
}

/// Load a scenario source whose `${...}` values are already in place.
pub fn load_plain(src: &str, file: &str) -> Result<Scenario, Diagnostics> {
    let raw: RawScenario = match serde_saphyr::from_str_with_options(src, yaml_options()) {
        Ok(r) => r,
        Err(e) => return Err(Diagnostics(vec![yaml_error(file, src, &e, "scenario")])),
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
    /// Users' passwords by address, for steps that log in.
    passwords: BTreeMap<String, Option<String>>,
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
                self.err(s, format!("malformed mail address: {e}"), "write it as user@example.com");
                false
            }
        }
    }

    fn domain(&mut self, s: &S<String>) -> Option<String> {
        match check_domain(&s.value) {
            Ok(()) => Some(s.value.to_ascii_lowercase()),
            Err(e) => {
                self.err(s, format!("malformed domain name: {e}"), "write it as example.com");
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
                format!("{what} must be a host with role {}, but `{}` is a {}", wanted.join(" or "), s.value, r.name()),
                "name another host, or change that host's role",
            );
            return None;
        }
        Some(i)
    }
}

/// An address as the model keeps it (the key of the parsed mailbox), or as written when it does not parse.
fn norm(addr: &str) -> String {
    parse_mailbox(addr).map(|m| m.key()).unwrap_or_else(|_| addr.to_string())
}

fn role_of(h: &RawHost) -> Option<Role> {
    Role::ALL.iter().find(|(n, _)| *n == h.role.value).map(|(_, r)| *r)
}

pub fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let (a, b) = s.split_once('/').unwrap_or((s, "32"));
    let net = a.parse::<Ipv4Addr>().map_err(|_| format!("`{s}` is not a network: `{a}` is not an IPv4 address"))?;
    let bits =
        b.parse::<u8>().ok().filter(|b| *b <= 32).ok_or_else(|| format!("`{s}`: the prefix length must be 0 to 32"))?;
    Ok(Cidr { net, bits })
}

#[cfg(test)]
mod tests;

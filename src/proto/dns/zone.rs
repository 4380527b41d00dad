//! Zone-file-like lines (`NAME [TTL] [IN] TYPE RDATA`) and the diagnostics
//! that say where a line is wrong and how to mend it, in the diagnostics'
//! language ([`tr`]): only a scenario's `zones:` are read with them.

use super::dig::dotted;
use super::model::SUPPORTED_TYPES;
use super::names::{MAX_LABEL_LEN, MAX_NAME_LEN, is_under, normalize_name};
use super::{DEFAULT_TTL, RecordData, ZoneRecord};
use crate::base::diag::tr;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

/// Where a record line is wrong; the message and hint are in the diagnostics' language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub message: String,
    pub hint: String,
    /// 0-based byte offset in the line where the problem starts.
    pub column: usize,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {} ({})", self.column + 1, self.message, self.hint)
    }
}

impl std::error::Error for RecordError {}

fn rerr(message: impl Into<String>, hint: impl Into<String>, column: usize) -> RecordError {
    RecordError { message: message.into(), hint: hint.into(), column }
}

/// One whitespace-separated word of a line and where it starts.
#[derive(Clone, Copy, Debug)]
struct Word<'a> {
    at: usize,
    text: &'a str,
}

fn split_words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(Word { at: s, text: line.get(s..i).unwrap_or_default() });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word { at: s, text: line.get(s..).unwrap_or_default() });
    }
    out
}

/// [`SUPPORTED_TYPES`] in Japanese (a test keeps the two lists one).
const SUPPORTED_TYPES_JA: &str = "A、MX、TXT、PTR、CNAME、NS";

fn label_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Checks the labels of `body` (a name without its final dot); on a problem
/// gives the message, hint and byte offset inside `body`.
fn check_labels(body: &str) -> Result<(), (String, String, usize)> {
    let mut offset = 0;
    for label in body.split('.') {
        if label.is_empty() {
            return Err((
                tr(
                    format!("`{body}` has an empty label (two dots in a row, or a dot at the start)"),
                    format!("`{body}` に空のラベルがあります (ドットが 2 つ続いているか、先頭にドットがあります)"),
                ),
                tr(
                    "separate labels with single dots, e.g. `mx.example.com.`",
                    "ラベルはドット 1 つで区切ってください (例: `mx.example.com.`)",
                ),
                offset,
            ));
        }
        if let Some((i, c)) = label.char_indices().find(|&(_, c)| !label_char_ok(c)) {
            let hint = if c == '@' {
                tr(
                    "`@` alone stands for the zone itself; it cannot be part of a longer name",
                    "`@` は単独でゾーンそのものを表します。長い名前の一部には使えません",
                )
            } else if c == '*' {
                tr(
                    "wildcard names are not supported; write each name out",
                    "ワイルドカードの名前は使えません。名前を 1 つずつ書いてください",
                )
            } else if !c.is_ascii() {
                tr(
                    "use letters, digits, `-` and `_`; write an internationalised name in its xn-- (punycode) form",
                    "英字・数字・`-`・`_` を使ってください。国際化ドメイン名は xn-- で始まる形 (Punycode) で書きます",
                )
            } else {
                tr(
                    "use only letters, digits, `-` and `_` between the dots",
                    "ドットの間には英字・数字・`-`・`_` だけを使ってください",
                )
            };
            let message = tr(
                format!("`{body}` contains `{c}`, which is not allowed in a name"),
                format!("`{body}` に、名前には使えない `{c}` があります"),
            );
            return Err((message, hint, offset + i));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err((
                tr(
                    format!(
                        "the label `{label}` is {} characters long; at most {MAX_LABEL_LEN} are allowed",
                        label.len()
                    ),
                    format!("ラベル `{label}` は {} 文字あります。最長 {MAX_LABEL_LEN} 文字です", label.len()),
                ),
                tr("shorten that part of the name", "名前のその部分を短くしてください"),
                offset,
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err((
                tr(
                    format!("the label `{label}` begins or ends with `-`"),
                    format!("ラベル `{label}` が `-` で始まるか終わっています"),
                ),
                tr(
                    "a hyphen may only stand inside a label, e.g. `mail-1`",
                    "ハイフンはラベルの途中にだけ置けます (例: `mail-1`)",
                ),
                offset,
            ));
        }
        offset += label.len() + 1;
    }
    Ok(())
}

/// Resolves a name written in a zone line (`@`, `name.` or relative `name`)
/// against the origin, checking its syntax.
fn zone_name(w: Word<'_>, origin: &str) -> Result<String, RecordError> {
    let text = w.text;
    if text == "@" {
        return Ok(origin.to_string());
    }
    if text == "." {
        return Ok(String::new());
    }
    let (body, absolute) = match text.strip_suffix('.') {
        Some(b) => (b, true),
        None => (text, false),
    };
    check_labels(body).map_err(|(m, h, i)| rerr(m, h, w.at + i))?;
    let lower = body.to_ascii_lowercase();
    if !absolute && !origin.is_empty() && is_under(&lower, origin) {
        // `mx.example.com` in zone example.com means mx.example.com.example.com:
        // almost always a forgotten final dot.
        return Err(rerr(
            tr(
                format!("`{text}` has no final dot, so it is relative to the zone and would mean `{lower}.{origin}`"),
                format!("`{text}` は最後にドットがないのでゾーンからの相対名になり、`{lower}.{origin}` を指します"),
            ),
            tr(
                format!("end a full name with a dot: `{text}.`"),
                format!("完全な名前はドットで終えてください: `{text}.`"),
            ),
            w.at,
        ));
    }
    let full = if absolute || origin.is_empty() { lower } else { format!("{lower}.{origin}") };
    if full.len() > MAX_NAME_LEN {
        return Err(rerr(
            tr(
                format!("the name `{full}` is {} characters long; at most {MAX_NAME_LEN} are allowed", full.len()),
                format!("名前 `{full}` は {} 文字あります。最長 {MAX_NAME_LEN} 文字です", full.len()),
            ),
            tr("use a shorter name", "もっと短い名前にしてください"),
            w.at,
        ));
    }
    Ok(full)
}

enum TtlError {
    Syntax,
    TooLarge,
}

/// A TTL: seconds, or BIND-style units such as `1h30m` (s, m, h, d, w).
fn parse_ttl(t: &str) -> Result<u32, TtlError> {
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in t.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = num.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(u64::from(d)));
            num = Some(n.ok_or(TtlError::TooLarge)?);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(TtlError::Syntax),
        };
        let n = num.take().ok_or(TtlError::Syntax)?;
        total = n.checked_mul(unit).and_then(|v| v.checked_add(total)).ok_or(TtlError::TooLarge)?;
    }
    if let Some(n) = num {
        total = total.checked_add(n).ok_or(TtlError::TooLarge)?;
    }
    u32::try_from(total).map_err(|_| TtlError::TooLarge)
}

/// Error for a word left over after the data; `after` names the data and
/// `hint` says what the record holds, each as (English, Japanese).
fn extra_word(w: Word<'_>, after: (&str, &str), hint: (String, String)) -> RecordError {
    if w.text.starts_with(';') {
        rerr(
            tr("comments are not allowed inside a record", "レコードの中にはコメントを書けません"),
            tr(
                "remove the `;` and what follows; a YAML comment (`#`) goes outside the quotes",
                "`;` とその後ろを消してください。YAML のコメント (`#`) は引用符の外に書きます",
            ),
            w.at,
        )
    } else {
        rerr(
            tr(
                format!("unexpected `{}` after the {}", w.text, after.0),
                format!("{}の後に余計な `{}` があります", after.1, w.text),
            ),
            tr(hint.0, hint.1),
            w.at,
        )
    }
}

/// Text of a TXT record written as one or more quoted strings (joined).
fn parse_quoted(raw: &str, base: usize) -> Result<String, RecordError> {
    let mut out = String::new();
    let mut chars = raw.char_indices().peekable();
    loop {
        while chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let Some((qi, c)) = chars.next() else { break };
        if c != '"' {
            return Err(rerr(
                tr("unexpected text after the closing `\"`", "閉じる `\"` の後に余計な文字があります"),
                tr(
                    "put all of the text inside the quotes, e.g. `@ TXT \"v=spf1 mx -all\"`",
                    "テキストはすべて引用符の中に入れてください (例: `@ TXT \"v=spf1 mx -all\"`)",
                ),
                base + qi,
            ));
        }
        let mut closed = false;
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                '"' => {
                    closed = true;
                    break;
                }
                c => out.push(c),
            }
        }
        if !closed {
            return Err(rerr(
                tr("the text has no closing `\"`", "テキストを閉じる `\"` がありません"),
                tr(
                    "end the text with a double quote, e.g. `@ TXT \"v=spf1 mx -all\"`; write `\\\"` for a quote inside it",
                    "テキストは二重引用符で閉じてください (例: `@ TXT \"v=spf1 mx -all\"`)。中の引用符は `\\\"` と書きます",
                ),
                base + qi,
            ));
        }
    }
    Ok(out)
}

/// An IPv4 address where a record of `kind` (MX, CNAME, NS, PTR) needs a
/// host name. The digits would pass as labels and the record would name
/// `198.51.100.25.example.com`; but MX, CNAME, NS and PTR data are domain
/// names (RFC 1035 §3.3), and for MX RFC 5321 §5.1 says the data MUST be a
/// domain name whose look-up returns the address.
fn address_for_name(w: Word<'_>, kind: &str) -> Option<RecordError> {
    let ip = w.text.strip_suffix('.').unwrap_or(w.text).parse::<Ipv4Addr>().ok()?;
    let (message, hint) = if kind == "MX" {
        (
            tr(
                format!("an MX names a host, not an address: `{ip}` is an IPv4 address"),
                format!("MX に書くのはホスト名で、アドレスではありません: `{ip}` は IPv4 アドレスです"),
            ),
            tr(
                format!(
                    "give the mail host a name with an A record and point the MX at the name: `mail A {ip}` and `@ MX 10 mail` (RFC 5321 §5.1)"
                ),
                format!(
                    "メールサーバに名前を付けて A レコードを書き、MX にはその名前を書いてください: `mail A {ip}` と `@ MX 10 mail` (RFC 5321 §5.1)"
                ),
            ),
        )
    } else {
        (
            tr(
                format!("a {kind} record names a host, not an address: `{ip}` is an IPv4 address"),
                format!("{kind} レコードに書くのはホスト名で、アドレスではありません: `{ip}` は IPv4 アドレスです"),
            ),
            tr(
                format!("write the name of the host; an address belongs in an A record, e.g. `host A {ip}`"),
                format!("ホストの名前を書いてください。アドレスは A レコードに書きます (例: `host A {ip}`)"),
            ),
        )
    };
    Some(rerr(message, hint, w.at))
}

/// Parses one zone-file-like line: `NAME [TTL] [IN] TYPE RDATA`.
///
/// NAME is `@` for the origin, absolute when it ends in a dot, and relative
/// to the origin otherwise; names in RDATA follow the same rule. Names must
/// lie inside the origin's zone. Every error says where and how to mend it.
pub fn parse_record(line: &str, origin: &str) -> Result<ZoneRecord, RecordError> {
    let origin = normalize_name(origin);
    if !origin.is_empty()
        && let Err((m, _, _)) = check_labels(&origin)
    {
        return Err(rerr(
            tr(
                format!("the zone `{origin}` is not a valid domain name: {m}"),
                format!("ゾーン `{origin}` は正しいドメイン名ではありません: {m}"),
            ),
            tr("name the zone like `example.com`", "ゾーンは `example.com` のように名付けてください"),
            0,
        ));
    }
    let words = split_words(line);
    let end = line.trim_end().len();
    let Some(&name_word) = words.first() else {
        return Err(rerr(
            tr("the record is empty", "レコードが空です"),
            tr(
                "write it as `NAME [TTL] [IN] TYPE DATA`, e.g. `mx A 192.0.2.25`",
                "`NAME [TTL] [IN] TYPE DATA` (名前、TTL、クラス、型、データ) の形で書いてください (例: `mx A 192.0.2.25`)",
            ),
            0,
        ));
    };
    let name = zone_name(name_word, &origin)?;
    if !is_under(&name, &origin) {
        return Err(rerr(
            tr(
                format!("`{}` is outside the zone {origin}", dotted(&name)),
                format!("`{}` はゾーン {origin} の外にあります", dotted(&name)),
            ),
            tr(
                format!(
                    "name records inside the zone: `@`, a short name such as `mx`, or a full name ending in `.{origin}.`"
                ),
                format!(
                    "レコードにはゾーンの中の名前を付けてください: `@`、`mx` のような短い名前、または `.{origin}.` で終わる完全な名前"
                ),
            ),
            name_word.at,
        ));
    }

    // Optional TTL and class, in either order.
    let mut i = 1;
    let mut ttl: Option<u32> = None;
    let mut class_seen = false;
    while let Some(&w) = words.get(i) {
        if w.text.starts_with(|c: char| c.is_ascii_digit()) {
            if w.text.parse::<Ipv4Addr>().is_ok() {
                return Err(rerr(
                    tr(
                        format!("the record has no type before `{}`", w.text),
                        format!("`{}` の前にレコードの型がありません", w.text),
                    ),
                    tr(
                        format!("put the type before the data, e.g. `{} A {}`", name_word.text, w.text),
                        format!("データの前に型を書いてください (例: `{} A {}`)", name_word.text, w.text),
                    ),
                    w.at,
                ));
            }
            if ttl.is_some() {
                return Err(rerr(
                    tr(format!("a second TTL `{}`", w.text), format!("2 つ目の TTL `{}` があります", w.text)),
                    tr("write one TTL, right after the name", "TTL は名前のすぐ後に 1 つだけ書いてください"),
                    w.at,
                ));
            }
            ttl = Some(parse_ttl(w.text).map_err(|e| match e {
                TtlError::Syntax => rerr(
                    tr(format!("`{}` is not a TTL", w.text), format!("`{}` は TTL ではありません", w.text)),
                    tr(
                        "a TTL is a number of seconds such as 3600, or a time such as 1h, 30m or 1d",
                        "TTL は 3600 のような秒数か、1h、30m、1d のような時間です",
                    ),
                    w.at,
                ),
                TtlError::TooLarge => rerr(
                    tr(format!("the TTL `{}` is too large", w.text), format!("TTL `{}` が大きすぎます", w.text)),
                    tr(
                        format!("a TTL is at most {} seconds; 3600 (an hour) is usual", u32::MAX),
                        format!("TTL は最大 {} 秒です。ふつうは 3600 (1 時間) です", u32::MAX),
                    ),
                    w.at,
                ),
            })?);
        } else if w.text.eq_ignore_ascii_case("IN") {
            if class_seen {
                return Err(rerr(
                    tr("the class `IN` is written twice", "クラス `IN` が 2 回書かれています"),
                    tr("write `IN` once, before the type", "`IN` は型の前に 1 回だけ書いてください"),
                    w.at,
                ));
            }
            class_seen = true;
        } else if ["CH", "CS", "HS"].iter().any(|c| w.text.eq_ignore_ascii_case(c)) {
            return Err(rerr(
                tr(format!("class `{}` is not supported", w.text), format!("クラス `{}` は使えません", w.text)),
                tr(
                    "only the Internet class `IN` is supported; it may be left out",
                    "使えるのはインターネットのクラス `IN` だけです。省略してもかまいません",
                ),
                w.at,
            ));
        } else {
            break;
        }
        i += 1;
    }
    let ttl = ttl.unwrap_or(DEFAULT_TTL);

    let Some(&type_word) = words.get(i) else {
        return Err(rerr(
            tr("the record has no type", "レコードに型がありません"),
            tr(
                format!(
                    "after the name write a type and its data, e.g. `mx A 192.0.2.25`; the types are {SUPPORTED_TYPES}"
                ),
                format!(
                    "名前の後に型とそのデータを書いてください (例: `mx A 192.0.2.25`)。型は {SUPPORTED_TYPES_JA} です"
                ),
            ),
            end,
        ));
    };
    let rest = words.get(i + 1..).unwrap_or_default();
    let kind = type_word.text.to_ascii_uppercase();
    let data = match kind.as_str() {
        "A" => {
            let Some(&w) = rest.first() else {
                return Err(rerr(
                    tr("A record needs an IPv4 address", "A レコードには IPv4 アドレスが必要です"),
                    tr("write it as `mx A 192.0.2.25`", "`mx A 192.0.2.25` のように書いてください"),
                    end,
                ));
            };
            let ip = w.text.parse::<Ipv4Addr>().map_err(|_| {
                rerr(
                    tr(
                        format!("`{}` is not an IPv4 address", w.text),
                        format!("`{}` は IPv4 アドレスではありません", w.text),
                    ),
                    tr(
                        "write four numbers from 0 to 255 separated by dots, e.g. `192.0.2.25`",
                        "0 から 255 までの数 4 つをドットで区切って書いてください (例: `192.0.2.25`)",
                    ),
                    w.at,
                )
            })?;
            if let Some(&x) = rest.get(1) {
                return Err(extra_word(
                    x,
                    ("address", "アドレス"),
                    (
                        "an A record holds one address; write one record per address".into(),
                        "A レコードに書けるアドレスは 1 つです。アドレスごとにレコードを 1 つ書いてください".into(),
                    ),
                ));
            }
            RecordData::A(ip)
        }
        "MX" => {
            let (Some(&p), Some(&e)) = (rest.first(), rest.get(1)) else {
                let at = match rest.first() {
                    Some(w) if !w.text.bytes().all(|b| b.is_ascii_digit()) => w.at,
                    _ => end,
                };
                return Err(rerr(
                    tr(
                        "MX record needs a preference and a mail exchanger",
                        "MX レコードには優先度とメールサーバの名前が必要です",
                    ),
                    tr("write it as `@ MX 10 mx.example.com.`", "`@ MX 10 mx.example.com.` のように書いてください"),
                    at,
                ));
            };
            let pref_hint = || {
                tr(
                    "the preference is a number from 0 to 65535 (lower is tried first), e.g. `@ MX 10 mx.example.com.`",
                    "優先度は 0 から 65535 までの数です (小さいほうが先に試されます)。例: `@ MX 10 mx.example.com.`",
                )
            };
            if !p.text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(rerr(
                    tr(format!("`{}` is not a preference", p.text), format!("`{}` は優先度ではありません", p.text)),
                    pref_hint(),
                    p.at,
                ));
            }
            let preference = p.text.parse::<u16>().map_err(|_| {
                rerr(
                    tr(
                        format!("the preference `{}` is too large", p.text),
                        format!("優先度 `{}` が大きすぎます", p.text),
                    ),
                    pref_hint(),
                    p.at,
                )
            })?;
            if let Some(err) = address_for_name(e, "MX") {
                return Err(err);
            }
            let exchange = if e.text == "." {
                if preference != 0 {
                    return Err(rerr(
                        tr("a null MX (`.`) must have preference 0", "null MX (`.`) の優先度は 0 でなければなりません"),
                        tr("write it as `@ MX 0 .` (RFC 7505)", "`@ MX 0 .` と書いてください (RFC 7505)"),
                        p.at,
                    ));
                }
                String::new()
            } else {
                zone_name(e, &origin)?
            };
            if let Some(&x) = rest.get(2) {
                return Err(extra_word(
                    x,
                    ("mail exchanger", "メールサーバの名前"),
                    (
                        "an MX record holds one preference and one name; write one record per mail exchanger".into(),
                        "MX レコードに書けるのは優先度 1 つと名前 1 つです。メールサーバごとにレコードを 1 つ書いてください"
                            .into(),
                    ),
                ));
            }
            RecordData::Mx { preference, exchange }
        }
        "TXT" => {
            let Some(&w) = rest.first() else {
                return Err(rerr(
                    tr("TXT record needs some text", "TXT レコードにはテキストが必要です"),
                    tr("write it as `@ TXT \"v=spf1 mx -all\"`", "`@ TXT \"v=spf1 mx -all\"` のように書いてください"),
                    end,
                ));
            };
            let raw = line.get(w.at..).unwrap_or_default().trim_end();
            if raw.starts_with('"') {
                RecordData::Txt(parse_quoted(raw, w.at)?)
            } else {
                RecordData::Txt(raw.to_string())
            }
        }
        "PTR" | "CNAME" | "NS" => {
            let example = match kind.as_str() {
                "PTR" => "`23 PTR pc1.example.com.`",
                "CNAME" => "`www CNAME web.example.com.`",
                _ => "`@ NS ns.example.com.`",
            };
            let write_it = || tr(format!("write it as {example}"), format!("{example} のように書いてください"));
            let Some(&w) = rest.first() else {
                return Err(rerr(
                    tr(format!("{kind} record needs a host name"), format!("{kind} レコードにはホスト名が必要です")),
                    write_it(),
                    end,
                ));
            };
            if w.text == "." {
                return Err(rerr(
                    tr("the root `.` is not a host name", "ルート `.` はホスト名ではありません"),
                    write_it(),
                    w.at,
                ));
            }
            if let Some(err) = address_for_name(w, &kind) {
                return Err(err);
            }
            let target = zone_name(w, &origin)?;
            if let Some(&x) = rest.get(1) {
                return Err(extra_word(
                    x,
                    ("name", "名前"),
                    (
                        format!("a {kind} record holds one name; write it as {example}"),
                        format!("{kind} レコードに書ける名前は 1 つです。{example} のように書いてください"),
                    ),
                ));
            }
            match kind.as_str() {
                "PTR" => RecordData::Ptr(target),
                "CNAME" => RecordData::Cname(target),
                _ => RecordData::Ns(target),
            }
        }
        "SOA" => {
            return Err(rerr(
                tr(
                    "a zone's SOA record is not written in the scenario",
                    "ゾーンの SOA レコードはシナリオには書きません",
                ),
                tr(
                    "the DNS host writes the SOA of each zone it serves itself (primary server, `hostmaster.` mailbox, a negative-answer TTL of 300 s); delete this line",
                    "受け持つ各ゾーンの SOA は DNS ホストが自分で書きます (プライマリサーバ、`hostmaster.` のメールボックス、否定応答の TTL 300 秒)。この行は消してください",
                ),
                type_word.at,
            ));
        }
        _ => {
            let starts_with_type =
                ["A", "MX", "TXT", "PTR", "CNAME", "NS"].iter().any(|t| name_word.text.eq_ignore_ascii_case(t));
            let hint = if starts_with_type {
                tr(
                    format!(
                        "a record starts with its name (`@` for the zone itself), e.g. `@ MX 10 mx.example.com.`; the types are {SUPPORTED_TYPES}"
                    ),
                    format!(
                        "レコードは名前で始まります (ゾーンそのものは `@`)。例: `@ MX 10 mx.example.com.`。型は {SUPPORTED_TYPES_JA} です"
                    ),
                )
            } else {
                tr(
                    format!("the supported types are {SUPPORTED_TYPES}"),
                    format!("使える型は {SUPPORTED_TYPES_JA} です"),
                )
            };
            return Err(rerr(
                tr(
                    format!("unknown record type `{}`", type_word.text),
                    format!("`{}` というレコードの型はありません", type_word.text),
                ),
                hint,
                type_word.at,
            ));
        }
    };
    Ok(ZoneRecord { name, ttl, data })
}

/// What no single line of a zone shows, found over all its records (in
/// the order of `lines`: each line's text and what it parsed to): a name
/// with a CNAME may hold no other data (RFC 1034 §3.6.2, RFC 2181 §10.1),
/// not even a second CNAME, and so the zone's own name, which holds its SOA
/// and NS records, cannot be an alias. The resolver would follow the alias
/// and a server answer from the other records, so the run would quietly use
/// one of the two. Each problem is given with the index of the CNAME line it
/// is reported at; the column is that of the word `CNAME`.
pub fn zone_errors(origin: &str, lines: &[(&str, &ZoneRecord)]) -> Vec<(usize, RecordError)> {
    let origin = normalize_name(origin);
    let column = |line: &str| {
        split_words(line).iter().skip(1).find(|w| w.text.eq_ignore_ascii_case("CNAME")).map_or(0, |w| w.at)
    };
    let mut out = Vec::new();
    for (i, (line, rec)) in lines.iter().enumerate() {
        if !matches!(rec.data, RecordData::Cname(_)) {
            continue;
        }
        let name = normalize_name(&rec.name);
        let shown = dotted(&name);
        if name == origin {
            out.push((
                i,
                rerr(
                    tr(
                        format!("`{shown}` is the zone itself, which cannot be an alias (CNAME): it holds the zone's SOA and NS records"),
                        format!("`{shown}` はゾーンそのものなので別名 (CNAME) にはできません: ゾーンの SOA と NS レコードがあります"),
                    ),
                    tr(
                        "give the zone's name the records themselves (e.g. `@ MX 10 mail` and `mail A 192.0.2.25`), and put a CNAME only on a name of its own, such as `www` (RFC 1034 §3.6.2, RFC 2181 §10.1)",
                        "ゾーンの名前にはレコードそのものを書き (例: `@ MX 10 mail` と `mail A 192.0.2.25`)、CNAME は `www` のような別の名前にだけ付けてください (RFC 1034 §3.6.2、RFC 2181 §10.1)",
                    ),
                    column(line),
                ),
            ));
            continue;
        }
        let others: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|&(j, (_, r))| {
                j != i && normalize_name(&r.name) == name && r.data.normalized() != rec.data.normalized()
            })
            .map(|(_, (l, _))| l.trim())
            .collect();
        let Some(first) = others.first() else { continue };
        let more = others.len() - 1;
        let (also_en, also_ja) = if more == 0 {
            (format!("`{first}`"), format!("`{first}`"))
        } else {
            (format!("`{first}` and {more} more"), format!("`{first}` ほか {more} 件"))
        };
        out.push((
            i,
            rerr(
                tr(
                    format!("`{shown}` is an alias (CNAME) and has other records too ({also_en}); a name with a CNAME may have no other data"),
                    format!("`{shown}` は別名 (CNAME) なのに、ほかのレコードもあります ({also_ja})。CNAME のある名前にはほかのデータを置けません"),
                ),
                tr(
                    "keep either the CNAME or the other records: remove the CNAME, or move the records to the name it points to (RFC 1034 §3.6.2, RFC 2181 §10.1)",
                    "CNAME かほかのレコードか、どちらかだけにしてください: CNAME を消すか、レコードを CNAME の指す先の名前に移します (RFC 1034 §3.6.2、RFC 2181 §10.1)",
                ),
                column(line),
            ),
        ));
    }
    out
}

/// MX and NS records that name an alias: a name with a CNAME among `lines`
/// (every zone the lab's DNS serves). RFC 2181 §10.3: the name in an NS
/// record, or in an MX record, "must not be an alias", since the answer's
/// additional section carries no address for an alias and every resolver
/// must ask again; RFC 5321 §5.1 puts an MX whose name leads to a CNAME
/// outside SMTP. The lab's resolver follows the alias (its server answers
/// the A question with the CNAME and the address behind it), as Postfix's
/// `dns_lookup()` and sendmail's `getmxrr()` and host look-up do without a
/// word in the log, so this is a warning, not an error. Each is given with
/// the index of its line and the column of the name.
pub fn alias_targets(lines: &[(&str, &ZoneRecord)]) -> Vec<(usize, RecordError)> {
    let aliases: BTreeMap<String, String> = lines
        .iter()
        .filter_map(|(_, r)| match &r.data {
            RecordData::Cname(t) => Some((normalize_name(&r.name), normalize_name(t))),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for (i, (line, rec)) in lines.iter().enumerate() {
        let (kind, name) = match &rec.data {
            RecordData::Mx { exchange, .. } => ("MX", exchange),
            RecordData::Ns(n) => ("NS", n),
            _ => continue,
        };
        let Some(target) = aliases.get(&normalize_name(name)) else { continue };
        let (name, target) = (dotted(&normalize_name(name)), dotted(target));
        let column = split_words(line).last().map_or(0, |w| w.at);
        let e = if kind == "MX" {
            rerr(
                tr(
                    format!(
                        "the MX names `{name}`, which is an alias (a CNAME for `{target}`): an MX must name the mail host by its own name (RFC 2181 §10.3; RFC 5321 §5.1 leaves an MX that leads to a CNAME outside SMTP)"
                    ),
                    format!(
                        "MX が指す `{name}` は別名 (`{target}` の CNAME) です: MX にはメールホストの本当の名前を書きます (RFC 2181 §10.3。RFC 5321 §5.1 も CNAME に行き着く MX を SMTP の範囲外としています)"
                    ),
                ),
                tr(
                    format!(
                        "write `{target}` in the MX instead. The lab's MTAs follow the alias and deliver, as Postfix and sendmail do without a word in their logs, but an MX answer carries no address for an alias, so every sender has to ask again"
                    ),
                    format!(
                        "MX には `{target}` を書いてください。この実験室の MTA は、Postfix や sendmail と同じく別名をたどって配送し、ログにも何も書きません。しかし MX の応答には別名のアドレスが付かないので、送る側はみな問い合わせをやり直すことになります"
                    ),
                ),
                column,
            )
        } else {
            rerr(
                tr(
                    format!(
                        "the NS names `{name}`, which is an alias (a CNAME for `{target}`): a name server must be named by its own name (RFC 2181 §10.3)"
                    ),
                    format!(
                        "NS が指す `{name}` は別名 (`{target}` の CNAME) です: ネームサーバにはその本当の名前を書きます (RFC 2181 §10.3)"
                    ),
                ),
                tr(
                    format!(
                        "write `{target}` in the NS instead: an NS answer carries no address for an alias, so every resolver has to ask again"
                    ),
                    format!(
                        "NS には `{target}` を書いてください。NS の応答には別名のアドレスが付かないので、リゾルバはみな問い合わせをやり直すことになります"
                    ),
                ),
                column,
            )
        };
        out.push((i, e));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::dig_record;
    use crate::proto::dns::test_util::*;

    #[test]
    fn the_japanese_list_of_types_is_the_english_one() {
        let en: Vec<&str> = SUPPORTED_TYPES.split([',', ' ']).filter(|w| !w.is_empty() && *w != "and").collect();
        let ja: Vec<&str> = SUPPORTED_TYPES_JA.split('、').collect();
        assert_eq!(en, ja);
    }

    fn err(line: &str) -> RecordError {
        match parse_record(line, ORIGIN) {
            Ok(r) => panic!("{line:?} parsed as {r:?}"),
            Err(e) => e,
        }
    }

    /// Byte offset of `needle` in `line`, for expected columns.
    fn at(line: &str, needle: &str) -> usize {
        line.find(needle).unwrap()
    }

    // ---- parse_record: each type and the name rules

    #[test]
    fn parses_a() {
        let r = rec("mx A 192.0.2.25");
        assert_eq!(
            r,
            ZoneRecord { name: "mx.example.com".into(), ttl: DEFAULT_TTL, data: RecordData::A(ip("192.0.2.25")) }
        );
    }

    #[test]
    fn parses_mx_relative_absolute_and_at() {
        assert_eq!(rec("@ MX 10 mx").data, mx(10, "mx.example.com"));
        assert_eq!(rec("@ MX 20 backup.example.net.").data, mx(20, "backup.example.net"));
        assert_eq!(rec("@ MX 30 @").data, mx(30, "example.com"));
        assert_eq!(rec("@ MX 65535 mx").data, mx(65535, "mx.example.com"));
        assert_eq!(rec("@ MX 10 mx").name, "example.com");
    }

    #[test]
    fn parses_null_mx() {
        let r = rec("@ MX 0 .");
        assert_eq!(r.data, mx(0, ""));
        assert_eq!(dig_record(&r), "example.com. 3600 IN MX 0 .");
    }

    #[test]
    fn parses_txt() {
        assert_eq!(rec("@ TXT \"v=spf1 mx -all\"").data, RecordData::Txt("v=spf1 mx -all".into()));
        assert_eq!(rec("@ TXT v=spf1 mx -all").data, RecordData::Txt("v=spf1 mx -all".into()));
        assert_eq!(rec("@ TXT \"v=spf1 \" \"-all\"").data, RecordData::Txt("v=spf1 -all".into()));
        assert_eq!(rec(r#"@ TXT "say \"hi\" \\ bye""#).data, RecordData::Txt(r#"say "hi" \ bye"#.into()));
        assert_eq!(rec("@ TXT \"\"").data, RecordData::Txt(String::new()));
        // Semicolons are text inside TXT.
        assert_eq!(rec("sel._domainkey TXT \"v=DKIM1; k=rsa\"").data, RecordData::Txt("v=DKIM1; k=rsa".into()));
        assert_eq!(rec("sel._domainkey TXT \"v=DKIM1; k=rsa\"").name, "sel._domainkey.example.com");
        // Text keeps its case and inner spacing; trailing space is dropped.
        assert_eq!(rec("@ TXT Hello   World  ").data, RecordData::Txt("Hello   World".into()));
    }

    #[test]
    fn parses_ptr_cname_ns() {
        let r = parse_record("23 PTR pc1.example.com.", "2.0.192.in-addr.arpa").unwrap();
        assert_eq!(r.name, "23.2.0.192.in-addr.arpa");
        assert_eq!(r.data, RecordData::Ptr("pc1.example.com".into()));
        assert_eq!(rec("www CNAME web").data, RecordData::Cname("web.example.com".into()));
        assert_eq!(rec("www CNAME web.example.org.").data, RecordData::Cname("web.example.org".into()));
        assert_eq!(rec("@ NS ns1").data, RecordData::Ns("ns1.example.com".into()));
        assert_eq!(rec("@ NS ns.example.net.").data, RecordData::Ns("ns.example.net".into()));
    }

    #[test]
    fn parses_ttl_class_case_and_spacing() {
        let r = rec("mx 300 IN A 192.0.2.25");
        assert_eq!((r.name.as_str(), r.ttl), ("mx.example.com", 300));
        assert_eq!(rec("mx IN 300 A 192.0.2.25").ttl, 300);
        assert_eq!(rec("mx in a 192.0.2.25").ttl, DEFAULT_TTL);
        assert_eq!(rec("mx 0 A 192.0.2.25").ttl, 0);
        assert_eq!(rec("mx 4294967295 A 192.0.2.25").ttl, u32::MAX);
        assert_eq!(rec("mx 1h A 192.0.2.25").ttl, 3600);
        assert_eq!(rec("mx 1h30m A 192.0.2.25").ttl, 5400);
        assert_eq!(rec("mx 1D A 192.0.2.25").ttl, 86_400);
        assert_eq!(rec("mx 1w2d3h4m5s A 192.0.2.25").ttl, 604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
        assert_eq!(rec("MX.Example.COM. mx 10 MX.EXAMPLE.COM.").data, mx(10, "mx.example.com"));
        assert_eq!(rec("MX.Example.COM. mx 10 MX.EXAMPLE.COM.").name, "mx.example.com");
        assert_eq!(rec("\t  mx\tA\t192.0.2.25\r").name, "mx.example.com");
        // Unicode whitespace (an ideographic space) separates words too.
        assert_eq!(rec("mx\u{3000}A 192.0.2.25").data, RecordData::A(ip("192.0.2.25")));
        assert_eq!(rec("_dmarc TXT \"v=DMARC1; p=none\"").name, "_dmarc.example.com");
        assert_eq!(rec("mail-1 A 192.0.2.1").name, "mail-1.example.com");
    }

    #[test]
    fn origin_forms() {
        // The origin may have a final dot and capitals.
        assert_eq!(parse_record("mx A 192.0.2.1", "Example.COM.").unwrap().name, "mx.example.com");
        // An empty origin (the root) takes names as they are.
        assert_eq!(parse_record("mx.example.org A 192.0.2.1", "").unwrap().name, "mx.example.org");
        assert_eq!(parse_record("@ MX 10 mx.example.com.", ".").unwrap().name, "");
        let e = parse_record("mx A 192.0.2.1", "bad..zone").unwrap_err();
        assert_eq!(e.column, 0);
        assert!(e.message.contains("zone"), "{e}");
    }

    // ---- parse_record: errors and their columns

    #[test]
    fn error_empty_line() {
        for line in ["", "   ", "\t"] {
            let e = err(line);
            assert_eq!(e.column, 0);
            assert!(e.message.contains("empty"), "{e}");
            assert!(e.hint.contains("TYPE"), "{e}");
        }
    }

    #[test]
    fn error_bad_owner_names() {
        let line = "bad!name A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, "!"));
        assert!(e.message.contains('!'), "{e}");

        let line = "  mx..x A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, ".x"));
        assert!(e.message.contains("empty label"), "{e}");

        let line = ".mx A 192.0.2.1";
        assert_eq!(err(line).column, 0);

        let long = "a".repeat(64);
        let line = format!("ok.{long} A 192.0.2.1");
        let e = err(&line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("64"), "{e}");

        let line = "x.-bad A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains('-'), "{e}");
        assert_eq!(err("bad- A 192.0.2.1").column, 0);

        let line = "b\u{fc}cher A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 1);
        assert!(e.hint.contains("punycode"), "{e}");

        let e = err("*.mx A 192.0.2.1");
        assert!(e.hint.contains("wildcard"), "{e}");

        let e = err("@mx A 192.0.2.1");
        assert_eq!(e.column, 0);
        assert!(e.hint.contains("`@` alone"), "{e}");
    }

    #[test]
    fn error_name_too_long() {
        // Labels are fine but the whole name passes 253 characters.
        let owner = vec!["a".repeat(60); 4].join(".");
        let line = format!("{owner} A 192.0.2.1");
        let e = err(&line);
        assert_eq!(e.column, 0);
        assert!(e.message.contains("253"), "{e}");
        // 253 exactly is fine.
        let exact = format!("{}.", vec!["b".repeat(49); 5].join(".") + ".abc");
        assert_eq!(exact.len() - 1, 253);
        assert!(parse_record(&format!("{exact} A 192.0.2.1"), "").is_ok());
    }

    #[test]
    fn error_owner_outside_zone() {
        let line = "mx.example.org. A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 0);
        assert!(e.message.contains("outside the zone example.com"), "{e}");
        assert!(err(". A 192.0.2.1").message.contains("outside"));
        // Inside, written absolutely, is fine.
        assert_eq!(rec("mx.example.com. A 192.0.2.1").name, "mx.example.com");
        assert_eq!(rec("example.com. MX 10 mx").name, "example.com");
    }

    #[test]
    fn error_forgotten_final_dot() {
        let line = "@ MX 10 mx.example.com";
        let e = err(line);
        assert_eq!(e.column, at(line, "mx."));
        assert!(e.message.contains("mx.example.com.example.com"), "{e}");
        assert!(e.hint.contains("`mx.example.com.`"), "{e}");
        let e = err("example.com A 192.0.2.1");
        assert_eq!(e.column, 0);
        assert!(e.hint.contains("`example.com.`"), "{e}");
        // A relative name merely ending like the zone is fine.
        assert_eq!(rec("www CNAME web.example.org").data, RecordData::Cname("web.example.org.example.com".into()));
    }

    #[test]
    fn error_ttl() {
        let line = "mx 3600x A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("not a TTL"), "{e}");
        let line = "mx 4294967296 A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.message.contains("too large"), "{e}");
        assert!(err("mx 99999999999999999999999 A 192.0.2.1").message.contains("too large"));
        assert!(err("mx 5000000w A 192.0.2.1").message.contains("too large"));
        assert!(err("mx 1hh A 192.0.2.1").message.contains("not a TTL"));
        let line = "mx 300 600 A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, at(line, "600"));
        assert!(e.message.contains("second TTL"), "{e}");
        let line = "mx IN IN A 192.0.2.1";
        assert_eq!(err(line).column, 6);
        let line = "mx CH A 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.hint.contains("IN"), "{e}");
    }

    #[test]
    fn error_missing_type() {
        let line = "mx";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains("no type"), "{e}");
        assert!(e.hint.contains("A, MX, TXT, PTR, CNAME and NS"), "{e}");
        let line = "mx 300 IN   ";
        assert_eq!(err(line).column, at(line, "IN") + 2);
        let line = "mx 192.0.2.1";
        let e = err(line);
        assert_eq!(e.column, 3);
        assert!(e.hint.contains("`mx A 192.0.2.1`"), "{e}");
    }

    #[test]
    fn error_unknown_type() {
        let line = "@ SRV 1 2 3 x";
        let e = err(line);
        assert_eq!(e.column, 2);
        assert!(e.message.contains("`SRV`"), "{e}");
        assert!(e.hint.contains("A, MX, TXT, PTR, CNAME and NS"), "{e}");
        let line = "mx 300 IN AAAA 2001:db8::1";
        assert_eq!(err(line).column, at(line, "AAAA"));
        // A line that forgot its name: "MX" is taken as the name.
        let line = "MX 10 mx.example.com.";
        let e = err(line);
        assert_eq!(e.column, at(line, "mx."));
        assert!(e.hint.contains("starts with its name"), "{e}");
    }

    #[test]
    fn error_a_data() {
        let line = "mx A";
        let e = err(line);
        assert_eq!(e.column, 4);
        assert!(e.message.contains("IPv4 address"), "{e}");
        for bad in ["192.0.2.256", "192.0.2", "mx.example.com.", "2001:db8::1", "192.0.2.1.5"] {
            let line = format!("mx A {bad}");
            let e = err(&line);
            assert_eq!(e.column, 5, "{line}");
            assert!(e.message.contains(bad), "{e}");
            assert!(e.hint.contains("0 to 255"), "{e}");
        }
        let line = "mx A 192.0.2.1 192.0.2.2";
        let e = err(line);
        assert_eq!(e.column, at(line, "192.0.2.2"));
        assert!(e.hint.contains("one record per address"), "{e}");
        let line = "mx A 192.0.2.1 ; the mail host";
        let e = err(line);
        assert_eq!(e.column, at(line, ";"));
        assert!(e.message.contains("comments"), "{e}");
    }

    #[test]
    fn error_mx_data() {
        let line = "@ MX";
        let e = err(line);
        assert_eq!(e.message, "MX record needs a preference and a mail exchanger");
        assert_eq!(e.hint, "write it as `@ MX 10 mx.example.com.`");
        assert_eq!(e.column, 4);
        let line = "@ MX 10";
        assert_eq!(err(line).column, 7);
        let line = "@ MX mx.example.com.";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("preference and a mail exchanger"), "{e}");
        let line = "@ MX ten mx";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("`ten` is not a preference"), "{e}");
        let line = "@ MX -1 mx";
        assert_eq!(err(line).column, 5);
        let line = "@ MX 65536 mx";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("too large"), "{e}");
        assert!(e.hint.contains("65535"), "{e}");
        let line = "@ MX 10 .";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("null MX"), "{e}");
        let line = "@ MX 10 mx backup";
        assert_eq!(err(line).column, at(line, "backup"));
        let line = "@ MX 10 bad_name!";
        assert_eq!(err(line).column, at(line, "!"));
    }

    #[test]
    fn error_txt_data() {
        let line = "@ TXT";
        let e = err(line);
        assert_eq!(e.column, 5);
        assert!(e.message.contains("needs some text"), "{e}");
        let line = "@ TXT \"v=spf1 -all";
        let e = err(line);
        assert_eq!(e.column, at(line, "\""));
        assert!(e.message.contains("closing"), "{e}");
        let line = "@ TXT \"a\" \"b";
        assert_eq!(err(line).column, at(line, "\"b"));
        let line = "@ TXT \"v=spf1\" -all";
        let e = err(line);
        assert_eq!(e.column, at(line, "-all"));
        assert!(e.hint.contains("inside the quotes"), "{e}");
        let line = "@ TXT \"ends in a backslash\\";
        assert_eq!(err(line).column, 6);
    }

    #[test]
    fn error_name_data() {
        for (line, kind) in [("23 PTR", "PTR"), ("www CNAME", "CNAME"), ("@ NS", "NS")] {
            let e = err(line);
            assert_eq!(e.column, line.len(), "{line}");
            assert_eq!(e.message, format!("{kind} record needs a host name"));
            assert!(e.hint.contains(kind), "{e}");
        }
        let line = "www CNAME .";
        let e = err(line);
        assert_eq!(e.column, 10);
        assert!(e.message.contains("root"), "{e}");
        let line = "www CNAME a b";
        assert_eq!(err(line).column, 12);
        let line = "www CNAME a..b";
        assert_eq!(err(line).column, at(line, ".b"));
        let line = "@ NS ns.example.com";
        assert!(err(line).message.contains("final dot"));
    }

    #[test]
    fn record_error_display() {
        let e = err("mx A 300.0.0.1");
        assert_eq!(
            e.to_string(),
            "column 6: `300.0.0.1` is not an IPv4 address (write four numbers from 0 to 255 separated by dots, e.g. `192.0.2.25`)"
        );
    }

    #[test]
    fn parse_never_panics() {
        let samples = [
            "@ MX 10 mx",
            "mx A 192.0.2.1",
            "@ TXT \"a\\\"b\" \"c\"",
            "23 PTR x.",
            "www 1h IN CNAME y",
            "\u{3000}é\u{1F600} MX 1 .",
        ];
        for s in samples {
            for end in 0..=s.len() {
                if let Some(prefix) = s.get(..end) {
                    let _ = parse_record(prefix, ORIGIN);
                    let _ = parse_record(prefix, "");
                    let _ = parse_record(ORIGIN, prefix);
                }
            }
        }
        let mut x: u32 = 7;
        let alphabet: Vec<char> = " \t.@\"\\;0123456789aAmMxX-_*é\u{3000}".chars().collect();
        for len in 0..300 {
            let line: String = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    alphabet[(x >> 16) as usize % alphabet.len()]
                })
                .collect();
            let _ = parse_record(&line, ORIGIN);
            let _ = parse_record(&format!("@ TXT {line}"), ORIGIN);
            let _ = parse_record(&format!("@ MX {line}"), ORIGIN);
        }
    }

    /// A user trial: `mx CNAME …` beside `mx A …`, and `@ CNAME …` beside
    /// the apex MX, passed `check`, and the run quietly used one of the two.
    #[test]
    fn a_cname_stands_alone_and_never_at_the_apex() {
        let zone = |lines: &[&str]| {
            let recs: Vec<ZoneRecord> = lines.iter().map(|l| rec(l)).collect();
            let pairs: Vec<(&str, &ZoneRecord)> = lines.iter().copied().zip(recs.iter()).collect();
            zone_errors(ORIGIN, &pairs)
        };
        let lines = ["@ MX 10 mx", "mx A 192.0.2.25", "mx CNAME mail.example.com."];
        let errs = zone(&lines);
        let [(i, e)] = errs.as_slice() else { panic!("{errs:?}") };
        assert_eq!((*i, e.column), (2, at(lines[2], "CNAME")));
        assert!(
            e.message.contains("`mx.example.com.` is an alias (CNAME) and has other records too (`mx A 192.0.2.25`)"),
            "{e}"
        );
        assert!(e.hint.contains("RFC 1034 §3.6.2, RFC 2181 §10.1"), "{e}");
        let lines = ["@ MX 10 mx", "mx A 192.0.2.25", "@ 60 IN CNAME other.example.net."];
        let errs = zone(&lines);
        let [(i, e)] = errs.as_slice() else { panic!("{errs:?}") };
        assert_eq!((*i, e.column), (2, at(lines[2], "CNAME")));
        assert!(e.message.contains("`example.com.` is the zone itself"), "{e}");
        // Even alone: the apex holds the SOA and NS.
        assert_eq!(zone(&["@ CNAME other.example.net."]).len(), 1);
        // Two different CNAMEs of one name are two aliases at once.
        assert_eq!(zone(&["www CNAME a", "www CNAME b"]).len(), 2);
        // Fine: a CNAME alone, written twice alike, and other names beside it.
        assert!(zone(&["www CNAME a", "www 60 CNAME a.example.com.", "a A 192.0.2.1", "@ MX 10 a"]).is_empty());
        assert!(zone(&["Mx A 192.0.2.1", "mail CNAME mx"]).is_empty());
        let errs = zone(&["WWW CNAME a", "www TXT hello", "www.example.com. MX 10 a"]);
        assert!(errs[0].1.message.contains("(`www TXT hello` and 1 more)"), "{:?}", errs);
    }

    /// A user trial: `@ MX 10 198.51.100.25` only got the warning that
    /// `198.51.100.25.example.com` has no address.
    #[test]
    fn an_mx_names_a_host_not_an_address() {
        for line in ["@ MX 10 198.51.100.25", "@ MX 10 198.51.100.25."] {
            let e = err(line);
            assert_eq!(e.column, at(line, "198"), "{line}");
            assert_eq!(e.message, "an MX names a host, not an address: `198.51.100.25` is an IPv4 address");
            assert!(e.hint.contains("`mail A 198.51.100.25` and `@ MX 10 mail` (RFC 5321 §5.1)"), "{e}");
        }
        for line in ["www CNAME 192.0.2.1", "@ NS 192.0.2.53"] {
            let e = err(line);
            assert_eq!(e.column, at(line, "192"), "{line}");
            assert!(e.message.contains("names a host, not an address"), "{e}");
        }
        // Digits in a name are fine.
        assert_eq!(rec("@ MX 10 mx1").data, mx(10, "mx1.example.com"));
        assert_eq!(rec("@ MX 10 10.example.net.").data, mx(10, "10.example.net"));
    }

    /// An MX or NS that names an alias is found at the name, with the name
    /// to write instead (RFC 2181 §10.3); the alias may be written in any case.
    #[test]
    fn an_mx_or_ns_that_names_an_alias_is_found() {
        let found = |lines: &[&str]| {
            let recs: Vec<ZoneRecord> = lines.iter().map(|l| rec(l)).collect();
            let pairs: Vec<(&str, &ZoneRecord)> = lines.iter().copied().zip(recs.iter()).collect();
            alias_targets(&pairs)
        };
        let lines = ["@ MX 10 mail", "@ NS ns1.example.com.", "mail CNAME mx", "NS1 CNAME dns", "mx A 192.0.2.25"];
        let got = found(&lines);
        let [(0, mx), (1, ns)] = got.as_slice() else { panic!("{got:?}") };
        assert_eq!(mx.column, at(lines[0], "mail"));
        assert!(
            mx.message
                .starts_with("the MX names `mail.example.com.`, which is an alias (a CNAME for `mx.example.com.`)"),
            "{mx}"
        );
        assert!(mx.message.contains("RFC 2181 §10.3; RFC 5321 §5.1"), "{mx}");
        assert!(mx.hint.starts_with("write `mx.example.com.` in the MX instead"), "{mx}");
        assert_eq!(ns.column, at(lines[1], "ns1"));
        assert!(
            ns.message
                .starts_with("the NS names `ns1.example.com.`, which is an alias (a CNAME for `dns.example.com.`)")
        );
        // A host's own name, a null MX, and a CNAME nothing names are fine.
        assert!(
            found(&["@ MX 10 mx", "mx A 192.0.2.25", "www CNAME mx", "@ NS dns", "other.example.com. MX 0 ."])
                .is_empty()
        );
    }
}

//! A regular expression a person wrote (a `log` or `trace` expectation's
//! `matches:`, a lesson's `/…/` under `accept:`): compiled as the regex crate
//! compiles it, and when it cannot be, what is wrong, where in the pattern,
//! and how to mend it, in the diagnostics' language ([`tr`]).
//!
//! The regex crate's own message is English and several lines (the pattern,
//! a caret, `error: …`). Its parser, regex-syntax (the same version, already
//! in the build through regex), names the mistake and its place, and the
//! words here are chosen by that; a mistake not worded here keeps the
//! crate's one-line reason, quoted.

use crate::base::diag::tr;
use regex_syntax::ast::ErrorKind as Ast;
use regex_syntax::hir::ErrorKind as Hir;

/// How a pattern is written in its YAML file, which decides how a hint
/// writes a backslash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Plain or in single quotes: a backslash is written as it is (`\(`).
    AsIs,
    /// In double quotes, where YAML reads `\\` as one backslash (`\\(`).
    DoubleQuoted,
}

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    mistake: Mistake,
    /// Characters into the pattern where the mistake is (0: the whole pattern).
    pub at: usize,
    /// The part of the pattern the mistake is about (an escape, an operator).
    text: String,
    /// The regex crate's reason, one line of English.
    detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mistake {
    GroupUnclosed,
    GroupUnopened,
    ClassUnclosed,
    ClassRangeBackwards,
    ClassRangeEnd,
    ClassEscape,
    UnknownEscape,
    EscapeAtEnd,
    Hex,
    Flags,
    GroupName,
    Nesting(u32),
    CountBackwards,
    CountMissing,
    CountUnclosed,
    NothingToRepeat,
    Backreference,
    LookAround,
    UnicodeClass,
    TooBig,
    Other,
}

/// `pattern` compiled, or what is wrong with it.
pub fn compile(pattern: &str) -> Result<regex::Regex, PatternError> {
    compile_in(pattern, pattern)
}

/// `pattern` checked on its own, then `full` compiled: the pattern inside
/// what the caller puts around it (`(?i)^(?:PATTERN)$`), so that a pattern
/// which would close the caller's group (`a)|(b`) is the mistake it is and
/// not quietly a pattern that matches anything.
pub fn compile_in(pattern: &str, full: &str) -> Result<regex::Regex, PatternError> {
    if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
        return Err(syntax_error(pattern, &e));
    }
    regex::Regex::new(full).map_err(|e| {
        let mistake = match e {
            regex::Error::CompiledTooBig(_) => Mistake::TooBig,
            _ => Mistake::Other,
        };
        let detail = e.to_string();
        let detail = detail.lines().rev().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or(&detail);
        PatternError { mistake, at: 0, text: String::new(), detail: detail.trim().to_string() }
    })
}

fn syntax_error(pattern: &str, e: &regex_syntax::Error) -> PatternError {
    let (mistake, span, detail) = match e {
        regex_syntax::Error::Parse(a) => (ast_mistake(a.kind()), Some(*a.span()), a.kind().to_string()),
        regex_syntax::Error::Translate(h) => (hir_mistake(h.kind()), Some(*h.span()), h.kind().to_string()),
        e => (Mistake::Other, None, e.to_string()),
    };
    let (from, to) = span.map_or((0, 0), |s| (s.start.offset, s.end.offset));
    let rest = pattern.get(from..).unwrap_or_default();
    // An empty span (a `*` with nothing to repeat) is about the character there.
    let text = match pattern.get(from..to) {
        Some(t) if !t.is_empty() => t,
        _ => rest.get(..rest.chars().next().map_or(0, char::len_utf8)).unwrap_or_default(),
    };
    PatternError { mistake, at: pattern.get(..from).map_or(0, |p| p.chars().count()), text: text.to_string(), detail }
}

fn ast_mistake(k: &Ast) -> Mistake {
    match k {
        Ast::GroupUnclosed => Mistake::GroupUnclosed,
        Ast::GroupUnopened => Mistake::GroupUnopened,
        Ast::ClassUnclosed => Mistake::ClassUnclosed,
        Ast::ClassRangeInvalid => Mistake::ClassRangeBackwards,
        Ast::ClassRangeLiteral => Mistake::ClassRangeEnd,
        Ast::ClassEscapeInvalid => Mistake::ClassEscape,
        Ast::EscapeUnrecognized => Mistake::UnknownEscape,
        Ast::EscapeUnexpectedEof => Mistake::EscapeAtEnd,
        Ast::EscapeHexEmpty | Ast::EscapeHexInvalid | Ast::EscapeHexInvalidDigit => Mistake::Hex,
        Ast::FlagDanglingNegation
        | Ast::FlagDuplicate { .. }
        | Ast::FlagRepeatedNegation { .. }
        | Ast::FlagUnexpectedEof
        | Ast::FlagUnrecognized => Mistake::Flags,
        Ast::GroupNameDuplicate { .. } | Ast::GroupNameEmpty | Ast::GroupNameInvalid | Ast::GroupNameUnexpectedEof => {
            Mistake::GroupName
        }
        Ast::NestLimitExceeded(n) => Mistake::Nesting(*n),
        Ast::RepetitionCountInvalid => Mistake::CountBackwards,
        Ast::RepetitionCountDecimalEmpty => Mistake::CountMissing,
        Ast::RepetitionCountUnclosed => Mistake::CountUnclosed,
        Ast::RepetitionMissing => Mistake::NothingToRepeat,
        Ast::UnsupportedBackreference => Mistake::Backreference,
        Ast::UnsupportedLookAround => Mistake::LookAround,
        Ast::UnicodeClassInvalid => Mistake::UnicodeClass,
        _ => Mistake::Other,
    }
}

/// A text in English and in Japanese.
fn two(en: impl Into<String>, ja: impl Into<String>) -> (String, String) {
    (en.into(), ja.into())
}

fn hir_mistake(k: &Hir) -> Mistake {
    match k {
        Hir::UnicodePropertyNotFound | Hir::UnicodePropertyValueNotFound => Mistake::UnicodeClass,
        _ => Mistake::Other,
    }
}

impl PatternError {
    /// The diagnostic's message about the pattern as written (`shown`: with
    /// its slashes, for a lesson's `/…/`).
    pub fn message(&self, shown: &str) -> String {
        let reason = self.reason();
        tr(
            format!("`{shown}` is not a valid regular expression: {reason}"),
            format!("`{shown}` は正規表現として読めません: {reason}"),
        )
    }

    /// What is wrong, in the diagnostics' language.
    pub fn reason(&self) -> String {
        let (en, ja) = self.reason_in_both();
        tr(en, ja)
    }

    /// What is wrong, in English and in Japanese.
    fn reason_in_both(&self) -> (String, String) {
        let t = &self.text;
        match self.mistake {
            Mistake::GroupUnclosed => {
                two("the group opened by this `(` is never closed", "この `(` で始まるグループが閉じられていません")
            }
            Mistake::GroupUnopened => two("this `)` closes no group", "この `)` に対応する `(` がありません"),
            Mistake::ClassUnclosed => two(
                "the character class opened by this `[` is never closed",
                "この `[` で始まる文字クラスが閉じられていません",
            ),
            Mistake::ClassRangeBackwards => two(
                format!("the range `{t}` runs backwards: its first character comes after its last"),
                format!("範囲 `{t}` が逆向きです: 始めの文字が終わりの文字より後ろにあります"),
            ),
            Mistake::ClassRangeEnd => two(
                "a range in `[…]` runs between two single characters, and this end is not one",
                "`[…]` の範囲は 1 文字から 1 文字までですが、この端は 1 文字ではありません",
            ),
            Mistake::ClassEscape => {
                two(format!("`{t}` cannot stand inside `[…]`"), format!("`{t}` は `[…]` の中では使えません"))
            }
            Mistake::UnknownEscape => {
                two(format!("`{t}` is no escape sequence"), format!("`{t}` というエスケープはありません"))
            }
            Mistake::EscapeAtEnd => two(
                "the pattern ends in a backslash that escapes nothing",
                "パターンがバックスラッシュで終わっていて、何もエスケープしていません",
            ),
            Mistake::Hex => two(
                format!("`{t}` is not a character code in hexadecimal"),
                format!("`{t}` は 16 進数の文字コードになっていません"),
            ),
            Mistake::Flags => two(
                format!("the flags `{t}` here are not written right"),
                format!("ここのフラグ `{t}` の書き方が正しくありません"),
            ),
            Mistake::GroupName => {
                two("the name of this group is not written right", "このグループの名前の書き方が正しくありません")
            }
            Mistake::Nesting(n) => two(
                format!("brackets nest more than {n} deep here"),
                format!("ここで括弧の入れ子が {n} 段を超えています"),
            ),
            Mistake::CountBackwards => two(
                format!("the count `{t}` runs backwards: its first number is larger than its second"),
                format!("回数 `{t}` が逆です: 1 つ目の数が 2 つ目より大きくなっています"),
            ),
            Mistake::CountMissing => two(
                "this `{` starts a count of repetitions, but no number follows",
                "この `{` は繰り返しの回数の始まりですが、数が続いていません",
            ),
            Mistake::CountUnclosed => {
                two("the count opened by this `{` is never closed", "この `{` で始まる回数の指定が閉じられていません")
            }
            Mistake::NothingToRepeat => two(
                format!("`{t}` repeats what comes before it, and nothing does"),
                format!("`{t}` は直前のものを繰り返す記号ですが、その前に繰り返すものがありません"),
            ),
            Mistake::Backreference => two(
                format!("back-references such as `{t}` are not supported"),
                format!("`{t}` のような後方参照は使えません"),
            ),
            Mistake::LookAround => two(
                "look-ahead and look-behind (`(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`) are not supported",
                "先読みと後読み (`(?=…)`、`(?!…)`、`(?<=…)`、`(?<!…)`) は使えません",
            ),
            Mistake::UnicodeClass => {
                two(format!("`{t}` names no Unicode class"), format!("`{t}` という Unicode のクラスはありません"))
            }
            Mistake::TooBig => {
                two("the pattern grows too large once compiled", "パターンをコンパイルすると大きくなりすぎます")
            }
            Mistake::Other => {
                two(self.detail.clone(), format!("書き方が正しくありません (regex: \"{}\")", self.detail))
            }
        }
    }

    /// How to mend it, in the diagnostics' language, with backslashes as the
    /// pattern's place in the file wants them written.
    pub fn hint(&self, written: Written) -> String {
        let (en, ja) = self.hint_in_both(written);
        tr(en, ja)
    }

    /// How to mend it, in English and in Japanese.
    fn hint_in_both(&self, written: Written) -> (String, String) {
        let b = match written {
            Written::AsIs => "\\",
            Written::DoubleQuoted => "\\\\",
        };
        let t = &self.text;
        let (en, ja) = match self.mistake {
            Mistake::GroupUnclosed => two(
                format!("close it with `)`, or write `{b}(` for a bracket itself"),
                format!("`)` で閉じるか、括弧そのものなら `{b}(` と書いてください"),
            ),
            Mistake::GroupUnopened => two(
                format!("remove it, or write `{b})` for a bracket itself"),
                format!("消すか、括弧そのものなら `{b})` と書いてください"),
            ),
            Mistake::ClassUnclosed => two(
                format!("close it with `]`, or write `{b}[` for a bracket itself"),
                format!("`]` で閉じるか、角括弧そのものなら `{b}[` と書いてください"),
            ),
            Mistake::ClassRangeBackwards => two(
                "write the smaller character first, as in `[a-z]` or `[0-9]`; a `-` of its own goes first or last, as in `[-+]`",
                "小さい文字を先に書いてください (例: `[a-z]`、`[0-9]`)。`-` そのものは `[-+]` のように最初か最後に置きます",
            ),
            Mistake::ClassRangeEnd => two(
                format!("a `-` of its own goes first or last, as in `[{b}w.-]`"),
                format!("`-` そのものは `[{b}w.-]` のように最初か最後に置いてください"),
            ),
            Mistake::ClassEscape => two("write it outside the brackets", "角括弧の外に書いてください"),
            Mistake::UnknownEscape => two(
                format!(
                    "write the character without the backslash, or an escape there is: `{b}.` `{b}(` `{b}[` for the characters themselves, `{b}d` a digit, `{b}s` a space"
                ),
                format!(
                    "バックスラッシュを外して文字だけを書くか、使えるエスケープにしてください: 文字そのものは `{b}.` `{b}(` `{b}[`、数字は `{b}d`、空白は `{b}s`"
                ),
            ),
            Mistake::EscapeAtEnd => two(
                format!("write `{b}{b}` for a backslash itself"),
                format!("バックスラッシュそのものは `{b}{b}` と書いてください"),
            ),
            Mistake::Hex => two(
                format!("write two hexadecimal digits, as in `{b}x41`, or a code in braces, as in `{b}x{{3042}}`"),
                format!(
                    "16 進数 2 桁 (例: `{b}x41`) か、波括弧に入れた文字コード (例: `{b}x{{3042}}`) を書いてください"
                ),
            ),
            Mistake::Flags => two(
                "write flags as `(?i)` or `(?i:…)`, with `-` before those to turn off (`(?-i)`); the flags are i, m, s, x, U, u and R; a group without flags is `(?:…)`",
                "フラグは `(?i)` か `(?i:…)` の形で書き、外すフラグの前には `-` を付けます (`(?-i)`)。フラグは i、m、s、x、U、u、R です。フラグのないグループは `(?:…)` です",
            ),
            Mistake::GroupName => two(
                "write `(?<name>…)` or `(?P<name>…)`: a name of letters, digits and `_` that does not start with a digit, each name once",
                "`(?<名前>…)` か `(?P<名前>…)` と書いてください。名前は英字・数字・`_` で、数字で始めず、同じ名前は 1 回だけ使えます",
            ),
            Mistake::Nesting(_) => {
                two("write the pattern with fewer brackets inside brackets", "括弧の入れ子を浅くしてください")
            }
            Mistake::CountBackwards => {
                two("write the smaller number first, as in `{2,5}`", "小さい数を先に書いてください (例: `{2,5}`)")
            }
            Mistake::CountMissing | Mistake::CountUnclosed => two(
                format!("write a count such as `{{3}}` or `{{2,5}}`, or `{b}{{` for a brace itself"),
                format!("`{{3}}` や `{{2,5}}` のように回数を書くか、波括弧そのものなら `{b}{{` と書いてください"),
            ),
            Mistake::NothingToRepeat => {
                let op = t.chars().next().unwrap_or('*');
                two(
                    format!("write `{b}{op}` for the character itself; any text at all is `.*`"),
                    format!("記号そのものなら `{b}{op}` と書いてください。どんな文字列にも合うのは `.*` です"),
                )
            }
            Mistake::Backreference => two(
                "the lab's patterns (Rust's regex crate) have no back-references: write the text again instead",
                "この実験室のパターン (Rust の regex クレート) には後方参照がありません。同じ文字列をもう一度書いてください",
            ),
            Mistake::LookAround => two(
                "the lab's patterns (Rust's regex crate) have no look-around: match the text itself",
                "この実験室のパターン (Rust の regex クレート) には先読みも後読みもありません。文字列そのものに合うパターンにしてください",
            ),
            Mistake::UnicodeClass => two(
                format!(
                    "write a class such as `{b}p{{Hiragana}}`, `{b}p{{Katakana}}`, `{b}p{{Han}}` or `{b}p{{L}}` (any letter)"
                ),
                format!(
                    "`{b}p{{Hiragana}}`、`{b}p{{Katakana}}`、`{b}p{{Han}}`、`{b}p{{L}}` (文字すべて) のように書いてください"
                ),
            ),
            Mistake::TooBig => two(
                "use smaller counts in `{…}`, or `+` and `*`",
                "`{…}` の回数を小さくするか、`+` や `*` を使ってください",
            ),
            Mistake::Other => two(
                format!("write `{b}` before a special character such as . ( [ for the character itself"),
                format!(". ( [ などの特殊文字そのものは、前に `{b}` を付けて書いてください"),
            ),
        };
        if written == Written::DoubleQuoted && en.contains("\\\\") {
            return (
                en + " (inside double quotes YAML reads `\\\\` as one backslash; in single quotes, write one)",
                ja + " (二重引用符の中では YAML は `\\\\` を 1 つのバックスラッシュと読みます。単一引用符なら 1 つで書けます)",
            );
        }
        (en, ja)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(p: &str) -> PatternError {
        match compile(p) {
            Ok(_) => panic!("{p} compiled"),
            Err(e) => e,
        }
    }

    /// Each mistake a student makes is named where it is, in English and in Japanese.
    #[test]
    fn mistakes_are_named_where_they_are() {
        for (p, at, en, ja) in [
            ("(e)?smtp(s", 8, "the group opened by this `(` is never closed", "この `(` で始まるグループ"),
            ("relay)", 5, "this `)` closes no group", "この `)` に対応する `(` がありません"),
            ("[a-z", 0, "the character class opened by this `[`", "この `[` で始まる文字クラス"),
            ("[z-a]", 1, "the range `z-a` runs backwards", "範囲 `z-a` が逆向きです"),
            ("x\\qy", 1, "`\\q` is no escape sequence", "`\\q` というエスケープはありません"),
            ("abc\\", 3, "ends in a backslash", "バックスラッシュで終わって"),
            ("*.example", 0, "`*` repeats what comes before it", "`*` は直前のものを繰り返す記号"),
            ("a{5,2}", 1, "the count `{5,2}` runs backwards", "回数 `{5,2}` が逆です"),
            ("a{x}", 2, "no number follows", "数が続いていません"),
            ("(a)\\1", 3, "back-references such as `\\1`", "`\\1` のような後方参照は使えません"),
            ("foo(?!bar)", 3, "look-ahead and look-behind", "先読みと後読み"),
            (
                "\\p{Hiragna}",
                0,
                "`\\p{Hiragna}` names no Unicode class",
                "`\\p{Hiragna}` という Unicode のクラスはありません",
            ),
            ("(?y)a", 2, "the flags `y` here", "ここのフラグ `y`"),
            ("a{1000}{1000}", 0, "too large once compiled", "大きくなりすぎます"),
            ("日本語(", 3, "never closed", "閉じられていません"),
        ] {
            let e = err(p);
            assert_eq!(e.at, at, "{p}: {e:?}");
            let ((reason, reason_ja), (hint, hint_ja)) = (e.reason_in_both(), e.hint_in_both(Written::AsIs));
            assert!(reason.contains(en), "{p}: {reason}");
            assert!(reason_ja.contains(ja), "{p}: {reason_ja}");
            assert!(!hint.is_empty() && hint_ja.chars().any(|c| c > '\u{3000}'), "{p}: {hint} / {hint_ja}");
        }
    }

    /// A pattern that would close the group it is put in is refused, not
    /// left to match anything (`(?i)^(?:a)|(.*)$`).
    #[test]
    fn a_pattern_cannot_break_out_of_its_group() {
        let p = "a)|(.*";
        assert!(regex::Regex::new(&format!("(?i)^(?:{p})$")).is_ok(), "the wrapped pattern compiles");
        let e = compile_in(p, &format!("(?i)^(?:{p})$")).map(|_| ()).expect_err("refused");
        assert_eq!((e.mistake, e.at), (Mistake::GroupUnopened, 1));
        assert!(compile_in("relay(ing)?", "(?i)^(?:relay(ing)?)$").is_ok());
    }

    /// In double quotes a hint writes each backslash twice, and says why.
    #[test]
    fn a_hint_writes_backslashes_as_the_file_needs_them() {
        let e = err("smtp(s");
        let ((plain, _), (quoted, quoted_ja)) = (e.hint_in_both(Written::AsIs), e.hint_in_both(Written::DoubleQuoted));
        assert_eq!(plain, "close it with `)`, or write `\\(` for a bracket itself");
        assert!(
            quoted.starts_with("close it with `)`, or write `\\\\(` for a bracket itself (inside double quotes"),
            "{quoted}"
        );
        assert!(
            quoted_ja.starts_with("`)` で閉じるか、括弧そのものなら `\\\\(` と書いてください (二重引用符の中では"),
            "{quoted_ja}"
        );
    }
}

//! Diagnostics for files a person wrote: `FILE:LINE:COLUMN: message` plus a hint.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// The language diagnostics are written in (`--lang`, or the locale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

static LANG: AtomicU8 = AtomicU8::new(0);

/// Choose the language of the diagnostics this process writes (the command line does, once).
pub fn set_lang(l: Lang) {
    LANG.store(if l == Lang::Ja { 1 } else { 0 }, Ordering::Relaxed);
}

/// The language diagnostics are written in (English unless [`set_lang`] chose Japanese).
pub fn lang() -> Lang {
    if LANG.load(Ordering::Relaxed) == 1 { Lang::Ja } else { Lang::En }
}

/// The English or the Japanese text, in the diagnostics' language.
pub fn tr(en: impl Into<String>, ja: impl Into<String>) -> String {
    match lang() {
        Lang::En => en.into(),
        Lang::Ja => ja.into(),
    }
}

/// `n` with an English noun, in the singular for one: `1 step`, `2 steps`, `0 steps`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message and hint for a host name that is not in `known`: "there is
/// no host named …", with a "did you mean" when one is near.
pub fn unknown_host(name: &str, known: &[&str]) -> (String, String) {
    let hint = match nearest(name, known.iter().copied()) {
        Some(k) => tr(
            format!("did you mean `{k}`? (hosts are: {})", known.join(", ")),
            format!("`{k}` の書き間違いではありませんか? (ホスト: {})", known.join(", ")),
        ),
        None => tr(format!("hosts are: {}", known.join(", ")), format!("ホスト: {}", known.join(", "))),
    };
    (tr(format!("there is no host named `{name}`"), format!("`{name}` という名前のホストはありません")), hint)
}

/// `otherwise` (a hint already in the reader's language), led by "did you
/// mean `K`?" when one of `known` is near `word`.
pub fn did_you_mean(word: &str, known: &[&str], otherwise: String) -> String {
    match nearest(word, known.iter().copied()) {
        Some(k) => {
            tr(format!("did you mean `{k}`? {otherwise}"), format!("`{k}` の書き間違いではありませんか? {otherwise}"))
        }
        None => otherwise,
    }
}

/// The closest of `known` to `word` (edit distance at most a third of its length, and at least 1),
/// for "did you mean" hints.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (edit_distance(&word.to_ascii_lowercase(), &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edit distance over characters: insertions, deletions, substitutions and
/// swaps of two neighbours (`relya` is one edit from `relay`), each 1 (the
/// optimal string alignment distance).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for a swap), the last, and the one being filled.
    let mut back: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (last[j] + 1).min(row[j - 1] + 1).min(last[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(back[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut back, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last[b.len()]
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem at a value's position in the file; an empty hint is left out.
    pub fn at<T>(
        file: &str,
        at: &serde_saphyr::Spanned<T>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let hint: String = hint.into();
        Diagnostic {
            file: file.to_string(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            message: message.into(),
            hint: (!hint.is_empty()).then_some(hint),
        }
    }

    /// A problem with the file as a whole (it cannot be read, say).
    pub fn whole_file(file: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic { file: file.to_string(), line: 0, column: 0, message: message.into(), hint }
    }
}

impl Diagnostic {
    fn write(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {label}{}", self.file, self.line, self.column, self.message)?;
        } else {
            write!(f, "{}: {label}{}", self.file, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  {}: {h}", tr("hint", "ヒント"))?;
        }
        Ok(())
    }

    /// Shown as a warning: `FILE:LINE:COLUMN: warning: message` (the file still loads).
    pub fn as_warning(&self) -> Warning<'_> {
        Warning(self)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "")
    }
}

/// A diagnostic shown as a warning.
pub struct Warning<'a>(&'a Diagnostic);

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, &tr("warning: ", "警告: "))
    }
}

/// Every problem found in one file, in file order.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| (d.line, d.column));
        self.0.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The most characters of a source line a snippet shows.
pub const SNIPPET_WIDTH: usize = 160;

/// Show the offending source line with a caret under the column. A line
/// longer than [`SNIPPET_WIDTH`] characters is cut to that many around the
/// column, with `…` where text is left out.
pub fn snippet(source: &str, d: &Diagnostic) -> Option<String> {
    if d.line == 0 {
        return None;
    }
    let text = source.lines().nth(usize::try_from(d.line - 1).ok()?)?;
    let col = usize::try_from(d.column.max(1) - 1).ok()?;
    let chars: Vec<char> = text.chars().collect();
    let (from, to) = if chars.len() <= SNIPPET_WIDTH {
        (0, chars.len())
    } else {
        let from = col.saturating_sub(SNIPPET_WIDTH / 2).min(chars.len() - SNIPPET_WIDTH);
        (from, from + SNIPPET_WIDTH)
    };
    let mut shown: String = chars[from..to].iter().collect();
    let mut pad: String =
        chars[from..col.clamp(from, to)].iter().map(|c| if *c == '\t' { '\t' } else { ' ' }).collect();
    if from > 0 {
        shown.insert(0, '…');
        pad.insert(0, ' ');
    }
    if to < chars.len() {
        shown.push('…');
    }
    Some(format!("{:>5} | {shown}\n      | {pad}^", d.line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(edit_distance("relya", "relay"), 1);
        assert_eq!(edit_distance("relay-chian", "relay-chain"), 1);
        assert_eq!(edit_distance("pcc", "pc"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("abc", "ca"), 3);
        assert_eq!(nearest("relya", ["mua", "relay", "hub", "mx"]), Some("relay"));
    }

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1u32, "step", "steps"), "1 step");
        assert_eq!(count(0u32, "step", "steps"), "0 steps");
        assert_eq!(count(2u64, "submission", "submissions"), "2 submissions");
    }

    fn at(line: u64, column: u64) -> Diagnostic {
        Diagnostic { file: "f".into(), line, column, message: String::new(), hint: None }
    }

    /// A long line is cut around the column, the caret still under it.
    #[test]
    fn a_long_line_is_shown_in_part() {
        let long = format!("name: {}X{}\n", "a".repeat(10_000), "b".repeat(10_000));
        let s = snippet(&long, &at(1, 10_007)).expect("a snippet");
        let (text, caret) = s.split_once('\n').expect("two lines");
        assert_eq!(text.chars().count(), "    1 | ".len() + 1 + SNIPPET_WIDTH + 1, "{text}");
        assert!(text.starts_with("    1 | …a") && text.ends_with("b…"), "{text}");
        assert_eq!(caret.chars().count(), text.chars().position(|c| c == 'X').expect("X shown") + 1);
        // At the start and at the end of a long line, one side is cut.
        let s = snippet(&long, &at(1, 1)).expect("a snippet");
        assert!(s.starts_with("    1 | name: a") && s.contains("a…\n      | ^"), "{s}");
        let s = snippet(&long, &at(1, 20_007)).expect("a snippet");
        assert!(s.starts_with("    1 | …b") && s.lines().next().is_some_and(|l| l.ends_with('b')), "{s}");
        // A short line is shown whole.
        assert_eq!(snippet("a: b\n", &at(1, 4)).as_deref(), Some("    1 | a: b\n      |    ^"));
    }
}

//! RFC 2047 encoded-words (`=?UTF-8?B?…?=`, `=?ISO-2022-JP?B?…?=`) for
//! header text that is not ASCII, and the charsets a mail client writes.
//!
//! One implementation for the MUA's header fields (unstructured text such as
//! `Subject:`, and display names in `From:`/`To:`, folded to lines of at most
//! 76 columns), the list server's subjects (split into several words on folded
//! lines) and the IMAP server's ENVELOPE (one word, charset written in lower
//! case as many servers do). The charset conversion is `encoding_rs` (the
//! WHATWG encoders); ISO-2022-JP text ends every encoded word, and every line,
//! in ASCII (RFC 1468).

use base64::Engine as _;

/// The charsets the lab's mail clients write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Charset {
    /// UTF-8: bodies as 8bit, header text as `=?UTF-8?B?…?=`.
    #[default]
    Utf8,
    /// ISO-2022-JP (RFC 1468), the charset Japanese mail long used: 7-bit
    /// bodies with escape sequences, header text as `=?ISO-2022-JP?B?…?=`.
    Iso2022Jp,
}

impl Charset {
    /// The label as a mail client writes it (`UTF-8`, `ISO-2022-JP`).
    pub fn label(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Iso2022Jp => "ISO-2022-JP",
        }
    }

    /// The charset a label names (any case), if it is one of these.
    pub fn from_label(label: &str) -> Option<Charset> {
        let l = label.trim().trim_matches('"');
        // RFC 2231 §5: a language may follow the charset of an encoded word (`ISO-2022-JP*ja`).
        let l = l.split('*').next().unwrap_or(l);
        if l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8") {
            Some(Charset::Utf8)
        } else if l.eq_ignore_ascii_case("iso-2022-jp") {
            Some(Charset::Iso2022Jp)
        } else {
            None
        }
    }

    /// `s` in this charset, or the first character it cannot write.
    pub fn encode(self, s: &str) -> Result<Vec<u8>, char> {
        match self {
            Charset::Utf8 => Ok(s.as_bytes().to_vec()),
            Charset::Iso2022Jp => {
                let (bytes, _, errors) = encoding_rs::ISO_2022_JP.encode(s);
                if !errors {
                    return Ok(bytes.into_owned());
                }
                let mut buf = [0u8; 4];
                let bad = s.chars().find(|c| encoding_rs::ISO_2022_JP.encode(c.encode_utf8(&mut buf)).2);
                Err(bad.unwrap_or('\u{fffd}'))
            }
        }
    }

    /// The first character of `s` this charset cannot write, if any.
    pub fn unwritable(self, s: &str) -> Option<char> {
        self.encode(s).err()
    }

    /// Body text in this charset, line by line with CRLF line ends (each
    /// ISO-2022-JP line back in ASCII before its CRLF, RFC 1468), and the
    /// Content-Transfer-Encoding it needs. `None` when a character cannot be
    /// written in this charset.
    pub fn body(self, text: &str) -> Option<(String, &'static str)> {
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.lines() {
            let bytes = self.encode(line).ok()?;
            out.push_str(&String::from_utf8(bytes).ok()?);
            out.push_str("\r\n");
        }
        let cte = if out.is_ascii() { "7bit" } else { "8bit" };
        Some((out, cte))
    }
}

/// How to write the encoded-words.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// The charset label as written (`UTF-8` or `utf-8`; the text is always UTF-8).
    pub charset: &'static str,
    /// The encoding letter as written (`B` or `b`; the encoding is always base64).
    pub b: &'static str,
    /// `Some(n)`: at most `n` octets of text per word, words joined by a folded
    /// line (`CRLF SP`), split between characters so each word decodes alone.
    /// `None`: one word however long.
    pub chunk: Option<usize>,
}

/// One word, `UTF-8` label.
pub const ONE_WORD: Style = Style { charset: "UTF-8", b: "B", chunk: None };
/// 36 octets per word (48 characters of base64, 60 with the frame), well under
/// the 75 RFC 2047 §2 allows: the list server's subjects.
pub const FOLDED: Style = Style { charset: "UTF-8", b: "B", chunk: Some(36) };
/// One word, `utf-8` and `b` in lower case: IMAP ENVELOPE names.
pub const ENVELOPE: Style = Style { charset: "utf-8", b: "b", chunk: None };

/// `s` as it is when ASCII, else as encoded-words in `style`.
pub fn encode(s: &str, style: Style) -> String {
    if s.is_ascii() { s.to_string() } else { encode_always(s, style) }
}

/// `s` as encoded-words in `style`, ASCII or not.
pub fn encode_always(s: &str, style: Style) -> String {
    let word = |t: &str| {
        format!("=?{}?{}?{}?=", style.charset, style.b, base64::engine::general_purpose::STANDARD.encode(t.as_bytes()))
    };
    let Some(chunk) = style.chunk else { return word(s) };
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if i + c.len_utf8() - start > chunk && end > start {
            words.push(word(&s[start..end]));
            start = end;
        }
        end = i + c.len_utf8();
    }
    if end > start {
        words.push(word(&s[start..end]));
    }
    words.join("\r\n ")
}

/// A name as one encoded-word in `cs` with the label and `b` in lower case,
/// as IMAP servers write ENVELOPE names (`=?iso-2022-jp?b?…?=`); ASCII as it
/// is, and UTF-8 when `cs` cannot write the text.
pub fn envelope_word(s: &str, cs: Charset) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    match cs.encode(s) {
        Ok(bytes) if cs != Charset::Utf8 => format!(
            "=?{}?b?{}?=",
            cs.label().to_ascii_lowercase(),
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
        _ => encode(s, ENVELOPE),
    }
}

/// The longest an encoded-word may be (RFC 2047 §2).
pub const MAX_WORD: usize = 75;
/// The longest a header line holding an encoded-word may be (RFC 2047 §2).
pub const MAX_LINE: usize = 76;

/// One encoded-word for `s` in `cs` (`None` when `cs` cannot write it).
pub fn word(s: &str, cs: Charset) -> Option<String> {
    let bytes = cs.encode(s).ok()?;
    Some(format!("=?{}?B?{}?=", cs.label(), base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The length of the encoded-word for `s` (`None` when `cs` cannot write it).
fn word_len(s: &str, cs: Charset) -> Option<usize> {
    let n = match cs {
        Charset::Utf8 => s.len(),
        Charset::Iso2022Jp => cs.encode(s).ok()?.len(),
    };
    Some(cs.label().len() + 7 + n.div_ceil(3) * 4)
}

/// A piece of a header value: white space before it, and the text.
enum Tok {
    /// Written as it is.
    Plain(String),
    /// Written as one or more encoded-words.
    Encode(String),
}

/// Does this word need an encoded-word: not ASCII, or something a reader would
/// take for an encoded-word?
fn needs_encoding(w: &str) -> bool {
    !w.is_ascii() || (w.contains("=?") && w.contains("?="))
}

/// Unstructured text (`Subject:` and the like) as pieces: ASCII words stay as
/// they are; each run of words that need encoding, with the white space
/// between them, becomes one text to encode (white space between adjacent
/// encoded-words is dropped by a reader, RFC 2047 §6.2, so it goes inside).
fn unstructured(text: &str) -> Vec<(String, Tok)> {
    let mut words: Vec<(String, &str)> = Vec::new();
    let mut sep = String::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        words.push((std::mem::take(&mut sep), &rest[..end]));
        rest = &rest[end..];
        let ws = rest.len() - rest.trim_start().len();
        sep.push_str(&rest[..ws].replace(['\r', '\n'], " "));
        rest = &rest[ws..];
    }
    let mut out: Vec<(String, Tok)> = Vec::new();
    for (sep, w) in words {
        let enc = needs_encoding(w);
        if enc && let Some((_, Tok::Encode(t))) = out.last_mut() {
            t.push_str(&sep);
            t.push_str(w);
            continue;
        }
        let tok = if enc { Tok::Encode(w.to_string()) } else { Tok::Plain(w.to_string()) };
        out.push((if out.is_empty() { " ".into() } else { sep }, tok));
    }
    out
}

/// Fold pieces after `Name:` into lines of at most [`MAX_LINE`] columns
/// (one piece longer than that keeps a line of its own), encoded runs split
/// into words of at most [`MAX_WORD`] characters that each decode alone.
fn fold(name: &str, pieces: Vec<(String, Tok)>, cs: Charset) -> Option<String> {
    let mut out = format!("{name}:");
    let mut col = out.len();
    let mut line_start = true;
    for (sep, tok) in pieces {
        let sep = if sep.is_empty() { " ".to_string() } else { sep };
        match tok {
            Tok::Plain(t) => {
                if !line_start && col + sep.len() + t.len() > MAX_LINE {
                    out.push_str("\r\n");
                    col = 0;
                }
                out.push_str(&sep);
                out.push_str(&t);
                col += sep.len() + t.len();
                line_start = false;
            }
            Tok::Encode(text) => {
                let mut rest = text.as_str();
                let mut sep = sep;
                while !rest.is_empty() {
                    let room = MAX_LINE.saturating_sub(col + sep.len()).min(MAX_WORD);
                    let mut fit = 0;
                    for (i, c) in rest.char_indices() {
                        let end = i + c.len_utf8();
                        if word_len(&rest[..end], cs)? > room {
                            break;
                        }
                        fit = end;
                    }
                    // Fold rather than write a scrap of a word at the end of a line.
                    if !line_start && (fit == 0 || (fit < rest.len() && room < 40)) {
                        out.push_str("\r\n");
                        col = 0;
                        line_start = true;
                        continue;
                    }
                    if fit == 0 {
                        // One character too long for any word: cannot happen with these charsets.
                        fit = rest.chars().next().map(char::len_utf8).unwrap_or(rest.len());
                    }
                    let w = word(&rest[..fit], cs)?;
                    out.push_str(&sep);
                    out.push_str(&w);
                    col += sep.len() + w.len();
                    line_start = false;
                    rest = &rest[fit..];
                    sep = " ".into();
                }
            }
        }
    }
    Some(out)
}

/// A whole header field of unstructured text (`Subject: …`, no line end):
/// as it is when ASCII, else with RFC 2047 encoded-words in `cs`, folded.
/// `None` when `cs` cannot write the text.
pub fn unstructured_field(name: &str, text: &str, cs: Charset) -> Option<String> {
    if !needs_encoding(text) {
        return Some(format!("{name}: {text}"));
    }
    fold(name, unstructured(text), cs)
}

/// A mailbox as written in `From:`/`To:`: `Name <addr>` or `addr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub addr: String,
}

impl Mailbox {
    /// Read `Display Name <user@example>` or `user@example` (the name may be
    /// quoted). `None` when angle brackets do not pair.
    pub fn parse(s: &str) -> Option<Mailbox> {
        let s = s.trim();
        match s.rfind('<') {
            Some(open) => {
                let inner = s[open + 1..].strip_suffix('>')?;
                if inner.contains(['<', '>']) {
                    return None;
                }
                let name = s[..open].trim();
                let name = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name).trim();
                let name = (!name.is_empty()).then(|| name.replace("\\\"", "\"").replace("\\\\", "\\"));
                Some(Mailbox { name, addr: inner.trim().to_string() })
            }
            None if s.contains('>') => None,
            None => Some(Mailbox { name: None, addr: s.to_string() }),
        }
    }
}

/// A display name that needs quoting as a phrase (RFC 5322 §3.2.3 specials).
fn needs_quotes(name: &str) -> bool {
    name.chars().any(|c| "()<>[]:;@\\,.\"".contains(c))
}

/// An address field (`From:`, `To:`, no line end): each mailbox as
/// `Name <addr>`, a name that is not ASCII as encoded-words in `cs`, an ASCII
/// name with specials quoted; folded between mailboxes and words. `None`
/// when `cs` cannot write a name.
pub fn address_field(name: &str, mailboxes: &[Mailbox], cs: Charset) -> Option<String> {
    let mut pieces: Vec<(String, Tok)> = Vec::new();
    for (i, m) in mailboxes.iter().enumerate() {
        let comma = if i + 1 < mailboxes.len() { "," } else { "" };
        match m.name.as_deref() {
            Some(n) if needs_encoding(n) => {
                pieces.push((" ".into(), Tok::Encode(n.to_string())));
                pieces.push((" ".into(), Tok::Plain(format!("<{}>{comma}", m.addr))));
            }
            Some(n) if needs_quotes(n) => {
                let q = n.replace('\\', "\\\\").replace('"', "\\\"");
                pieces.push((" ".into(), Tok::Plain(format!("\"{q}\""))));
                pieces.push((" ".into(), Tok::Plain(format!("<{}>{comma}", m.addr))));
            }
            Some(n) => {
                for w in n.split_whitespace() {
                    pieces.push((" ".into(), Tok::Plain(w.to_string())));
                }
                pieces.push((" ".into(), Tok::Plain(format!("<{}>{comma}", m.addr))));
            }
            None => pieces.push((" ".into(), Tok::Plain(format!("{}{comma}", m.addr)))),
        }
    }
    if mailboxes.iter().all(|m| m.name.as_deref().is_none_or(|n| !needs_encoding(n))) {
        // Nothing to encode: one line, as before.
        let text: Vec<String> = pieces
            .into_iter()
            .map(|(_, t)| match t {
                Tok::Plain(s) | Tok::Encode(s) => s,
            })
            .collect();
        return Some(format!("{name}: {}", text.join(" ")));
    }
    fold(name, pieces, cs)
}

/// The charset of the first encoded-word in a raw header value, if it has one
/// this module writes.
pub fn charset_of(raw: &str) -> Option<Charset> {
    let mut rest = raw;
    while let Some(i) = rest.find("=?") {
        let after = &rest[i + 2..];
        // `=?charset?E?`: compared as bytes, since the byte after the
        // charset's `?` may begin a multi-byte character in a peer's header.
        if let Some(q) = after.find('?')
            && after.len() > q + 3
            && after.as_bytes()[q + 2] == b'?'
        {
            return Charset::from_label(&after[..q]);
        }
        rest = after;
    }
    None
}

/// Does this raw header value hold an encoded-word?
pub fn has_encoded_words(raw: &str) -> bool {
    charset_of(raw).is_some() || raw.contains("=?") && raw.contains("?=")
}

/// A raw header value (folded or not) with its encoded-words decoded, as a
/// reader shows it (mail-parser, with encoding_rs for the charsets).
pub fn decode(raw: &str) -> String {
    let synthetic = format!("Subject: {}\r\n\r\n", raw.trim());
    mail_parser::MessageParser::new()
        .parse_headers(synthetic.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| crate::base::message::unfold(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_of_takes_any_text() {
        // Found by fuzzing: a multi-byte character right after `=?x?`.
        assert_eq!(charset_of("=?x?é?="), None);
        assert_eq!(charset_of("=?x?\u{3042}?a"), None);
        assert_eq!(charset_of("=?UTF-8?B?aGk=?="), Some(Charset::Utf8));
        assert_eq!(charset_of("=?iso-2022-jp?B?GyRC?="), Some(Charset::Iso2022Jp));
        assert_eq!(charset_of("=?UTF-8?"), None);
    }

    #[test]
    fn ascii_passes() {
        assert_eq!(encode("hello", FOLDED), "hello");
        assert_eq!(encode_always("hi", ONE_WORD), "=?UTF-8?B?aGk=?=");
        assert_eq!(
            unstructured_field("Subject", "Meeting at 10", Charset::Iso2022Jp).unwrap(),
            "Subject: Meeting at 10"
        );
    }

    #[test]
    fn styles() {
        assert_eq!(encode("é", ONE_WORD), "=?UTF-8?B?w6k=?=");
        assert_eq!(encode("é", ENVELOPE), "=?utf-8?b?w6k=?=");
        let long = "日本語".repeat(10);
        let folded = encode(&long, FOLDED);
        assert_eq!(folded.split("\r\n ").count(), 3);
        assert!(folded.split("\r\n ").all(|w| w.len() <= 75));
    }

    /// Every line at most 76 columns, every encoded-word at most 75, each
    /// ISO-2022-JP word back in ASCII at its end, and the value decodes to the text.
    fn well_formed(field: &str, text: &str, cs: Charset) {
        for line in field.split("\r\n") {
            assert!(line.len() <= MAX_LINE, "line of {} columns: {line:?}", line.len());
            for w in line.split(' ').filter(|w| w.starts_with("=?")) {
                assert!(w.len() <= MAX_WORD, "word of {}: {w}", w.len());
                let b64 = w.trim_end_matches("?=").rsplit('?').next().unwrap();
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
                if cs == Charset::Iso2022Jp {
                    assert!(bytes.is_ascii());
                    let esc = bytes.iter().rposition(|&b| b == 0x1b);
                    if let Some(e) = esc {
                        assert_eq!(&bytes[e..e + 3], b"\x1b(B", "word ends outside ASCII: {w}");
                    }
                } else {
                    assert!(std::str::from_utf8(&bytes).is_ok(), "a word cut inside a character");
                }
            }
        }
        let (_, value) = field.split_once(':').unwrap();
        assert_eq!(decode(value), text, "{field}");
    }

    #[test]
    fn iso_2022_jp_subject_round_trips() {
        let f = unstructured_field("Subject", "会議のお知らせ", Charset::Iso2022Jp).unwrap();
        assert_eq!(f, "Subject: =?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=");
        well_formed(&f, "会議のお知らせ", Charset::Iso2022Jp);
        let f = unstructured_field("Subject", "会議のお知らせ", Charset::Utf8).unwrap();
        assert_eq!(f, "Subject: =?UTF-8?B?5Lya6K2w44Gu44GK55+l44KJ44Gb?=");
        well_formed(&f, "会議のお知らせ", Charset::Utf8);
    }

    #[test]
    fn long_subjects_fold_into_short_words() {
        for cs in [Charset::Iso2022Jp, Charset::Utf8] {
            for n in 1..40 {
                let text = "日本語のメール".repeat(n).chars().take(n * 3).collect::<String>();
                let f = unstructured_field("Subject", &text, cs).unwrap();
                well_formed(&f, &text, cs);
            }
        }
        let text = "第12回 計算機ネットワーク演習の課題提出について（締切は4月15日、遅れた場合は必ず連絡すること）";
        let f = unstructured_field("Subject", text, Charset::Iso2022Jp).unwrap();
        assert!(f.lines().count() >= 3, "{f}");
        well_formed(&f, text, Charset::Iso2022Jp);
    }

    #[test]
    fn mixed_ascii_and_japanese() {
        let text = "Re: [lab] 課題 No.3 について  (再送)";
        for cs in [Charset::Iso2022Jp, Charset::Utf8] {
            let f = unstructured_field("Subject", text, cs).unwrap();
            assert!(f.starts_with("Subject: Re: [lab] =?"), "{f}");
            assert!(crate::base::message::unfold(&f).contains("?= No.3 =?"), "ASCII words stay readable: {f}");
            well_formed(&f, text, cs);
        }
        // Text that looks like an encoded-word is encoded, so that it reads back as written.
        let text = "=?x?B?y?= 日本";
        well_formed(&unstructured_field("Subject", text, Charset::Utf8).unwrap(), text, Charset::Utf8);
    }

    #[test]
    fn what_iso_2022_jp_cannot_write() {
        assert_eq!(Charset::Iso2022Jp.unwritable("絵文字😀です"), Some('😀'));
        assert_eq!(Charset::Iso2022Jp.unwritable("한국어"), Some('한'));
        assert_eq!(Charset::Iso2022Jp.unwritable("日本語 and ASCII"), None);
        assert_eq!(unstructured_field("Subject", "😀", Charset::Iso2022Jp), None);
        assert_eq!(Charset::Utf8.unwritable("😀"), None);
    }

    #[test]
    fn bodies_end_each_line_in_ascii() {
        let (b, cte) = Charset::Iso2022Jp.body("こんにちは\nHello\n日本語").unwrap();
        assert_eq!(cte, "7bit");
        assert_eq!(b, "\x1b$B$3$s$K$A$O\x1b(B\r\nHello\r\n\x1b$BF|K\\8l\x1b(B\r\n");
        let (b, cte) = Charset::Utf8.body("日本語").unwrap();
        assert_eq!((b.as_str(), cte), ("日本語\r\n", "8bit"));
        assert_eq!(Charset::Utf8.body("ascii").unwrap().1, "7bit");
        assert!(Charset::Iso2022Jp.body("😀").is_none());
    }

    #[test]
    fn display_names() {
        let m = |s: &str| Mailbox::parse(s).unwrap();
        assert_eq!(m("山田 太郎 <taro@example.jp>").name.as_deref(), Some("山田 太郎"));
        assert_eq!(m("\"Yamada, Taro\" <taro@example.jp>").name.as_deref(), Some("Yamada, Taro"));
        assert_eq!(m("taro@example.jp"), Mailbox { name: None, addr: "taro@example.jp".into() });
        assert_eq!(Mailbox::parse("a <b"), None);
        assert_eq!(Mailbox::parse("a b>"), None);
        let f = address_field("From", &[m("山田 太郎 <taro@example.jp>")], Charset::Iso2022Jp).unwrap();
        assert_eq!(f, "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>");
        let hdr = format!("{f}\r\n\r\n");
        let p = mail_parser::MessageParser::new().parse_headers(hdr.as_bytes()).unwrap();
        let a = p.from().unwrap().first().unwrap();
        assert_eq!((a.name(), a.address()), (Some("山田 太郎"), Some("taro@example.jp")));
        let to = [m("Yamada, Taro <t@x.example>"), m("b@x.example"), m("Hanako Sato <h@x.example>")];
        assert_eq!(
            address_field("To", &to, Charset::Utf8).unwrap(),
            "To: \"Yamada, Taro\" <t@x.example>, b@x.example, Hanako Sato <h@x.example>"
        );
        let many: Vec<Mailbox> =
            (0..6).map(|i| Mailbox { name: Some(format!("学生{i}号さん")), addr: format!("s{i}@x.example") }).collect();
        let f = address_field("To", &many, Charset::Iso2022Jp).unwrap();
        assert!(f.split("\r\n").all(|l| l.len() <= MAX_LINE), "{f}");
        let hdr = format!("{f}\r\n\r\n");
        let p = mail_parser::MessageParser::new().parse_headers(hdr.as_bytes()).unwrap();
        let names: Vec<_> = p.to().unwrap().iter().map(|a| a.name().unwrap_or("").to_string()).collect();
        assert_eq!(names, (0..6).map(|i| format!("学生{i}号さん")).collect::<Vec<_>>());
    }

    #[test]
    fn charset_of_raw_values() {
        assert_eq!(charset_of("[ml:00001] =?iso-2022-jp?B?GyRCJCIbKEI=?="), Some(Charset::Iso2022Jp));
        assert_eq!(charset_of("=?UTF-8?B?w6k=?="), Some(Charset::Utf8));
        assert_eq!(charset_of("=?ISO-8859-1?Q?a?="), None);
        assert_eq!(charset_of("plain"), None);
        assert_eq!(charset_of("=?"), None);
    }
}

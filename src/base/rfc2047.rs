//! RFC 2047 encoded-words (`=?UTF-8?B?…?=`) for header text that is not ASCII.
//!
//! One implementation for the MUA's Subject:, the list server's subjects
//! (split into several words on folded lines) and the IMAP server's ENVELOPE
//! (one word, charset written in lower case as many servers do).

use base64::Engine as _;

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

/// One word, `UTF-8` label: the MUA's header fields.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_passes() {
        assert_eq!(encode("hello", FOLDED), "hello");
        assert_eq!(encode_always("hi", ONE_WORD), "=?UTF-8?B?aGk=?=");
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
}

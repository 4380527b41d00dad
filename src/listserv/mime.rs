//! Message surgery for the list server, with mail-parser doing the MIME
//! parsing: header fields kept and replaced, attachments removed, bodies
//! read as text.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// The header section and the body of a message (split at the first empty line).
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    let crlf = data.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p + 2, p + 4));
    let lf = data.windows(2).position(|w| w == b"\n\n").map(|p| (p + 1, p + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) if b.0 < a.0 => (&data[..b.0], &data[b.1..]),
        (Some(a), _) => (&data[..a.0], &data[a.1..]),
        (None, Some(b)) => (&data[..b.0], &data[b.1..]),
        (None, None) => (data, &[]),
    }
}

/// Header fields as written, each with its folded continuation lines and no final line end.
pub fn fields(header: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(header);
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.push_str("\r\n");
            last.push_str(line);
            continue;
        }
        out.push(line.to_string());
    }
    out
}

pub fn field_name(f: &str) -> &str {
    f.split_once(':').map(|(n, _)| n.trim()).unwrap_or("")
}

/// The address in the From: field (else the envelope sender), lower-cased domain kept as written.
pub fn from_address(data: &[u8]) -> Option<String> {
    let m = MessageParser::new().parse_headers(data)?;
    let a = m.from()?.first()?.address()?;
    Some(a.trim().to_string())
}

pub fn subject(data: &[u8]) -> String {
    MessageParser::new().parse_headers(data).and_then(|m| m.subject().map(str::to_string)).unwrap_or_default()
}

/// The first text body, decoded (HTML turned to text when there is no plain part).
pub fn body_text(data: &[u8]) -> String {
    MessageParser::new().parse(data).and_then(|m| m.body_text(0).map(|t| t.into_owned())).unwrap_or_default()
}

/// A part that the list removed (or would remove) before distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub name: String,
    pub content_type: String,
    pub octets: usize,
}

impl std::fmt::Display for Removed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, {} octets)", self.name, self.content_type, self.octets)
    }
}

fn ctype_of(p: &mail_parser::MessagePart) -> String {
    match p.content_type() {
        Some(ct) => match ct.subtype() {
            Some(s) => format!("{}/{}", ct.ctype(), s).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".into(),
    }
}

/// Every part that is not the message's first plain-text body: attachments,
/// inline images, HTML versions. Empty for a plain one-part text message.
pub fn extra_parts(data: &[u8]) -> Vec<Removed> {
    let Some(m) = MessageParser::new().parse(data) else { return Vec::new() };
    let keep = m.text_body.first().copied();
    let mut out = Vec::new();
    for (i, p) in m.parts.iter().enumerate() {
        if matches!(p.body, PartType::Multipart(_)) || Some(i as u32) == keep {
            continue;
        }
        let ct = ctype_of(p);
        // A message whose only body is HTML keeps no text part; its HTML is converted, not listed.
        let name = p
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| if ct == "text/html" { "(HTML version)".into() } else { "(no name)".into() });
        out.push(Removed { name, content_type: ct, octets: p.contents().len() });
    }
    out
}

/// Remove everything but the text: the result is a one-part text/plain
/// message with a note listing what was taken out. `None` when there was
/// nothing to remove.
pub fn strip_attachments(data: &[u8], note_intro: &str) -> Option<(Vec<u8>, Vec<Removed>)> {
    strip_attachments_with(data, note_intro, |r| r.to_string())
}

/// [`strip_attachments`], with each removed part described by `item` (for a note in another language).
pub fn strip_attachments_with(
    data: &[u8],
    note_intro: &str,
    item: impl Fn(&Removed) -> String,
) -> Option<(Vec<u8>, Vec<Removed>)> {
    let removed = extra_parts(data);
    if removed.is_empty() {
        return None;
    }
    let text = body_text(data);
    let (header, _) = split(data);
    let mut out = String::new();
    for f in fields(header) {
        let n = field_name(&f).to_ascii_lowercase();
        if n == "content-type" || n == "content-transfer-encoding" || n == "mime-version" {
            continue;
        }
        out.push_str(&f);
        out.push_str("\r\n");
    }
    let mut body = String::new();
    for l in text.lines() {
        body.push_str(l);
        body.push_str("\r\n");
    }
    body.push_str("\r\n");
    body.push_str(note_intro);
    body.push_str("\r\n");
    for r in &removed {
        body.push_str(&format!("  - {}\r\n", item(r)));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str("Content-Type: text/plain; charset=UTF-8\r\n");
    out.push_str(&format!("Content-Transfer-Encoding: {}\r\n\r\n", if body.is_ascii() { "7bit" } else { "8bit" }));
    out.push_str(&body);
    Some((out.into_bytes(), removed))
}

/// RFC 2047 encoded-words for a header text that is not plain ASCII (ASCII text
/// is returned as it is), folded into several words when long.
pub fn encode_word(s: &str) -> String {
    crate::base::rfc2047::encode(s, crate::base::rfc2047::FOLDED)
}

/// CRLF line ends for a body written with `\n`.
pub fn crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for l in s.lines() {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_PDF: &str = "From: Yamada <yamada@hogehoge.example>\r\n\
To: ohanashi@mailing-list.jp\r\n\
Subject: minutes\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\
\r\n\
--XX\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
The minutes are attached.\r\n\
--XX\r\n\
Content-Type: application/pdf; name=\"minutes.pdf\"\r\n\
Content-Disposition: attachment; filename=\"minutes.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n\
--XX--\r\n";

    #[test]
    fn strips_an_attachment_and_says_so() {
        let (out, removed) = strip_attachments(WITH_PDF.as_bytes(), "Removed by the list:").unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].name, "minutes.pdf");
        assert_eq!(removed[0].content_type, "application/pdf");
        assert!(removed[0].octets > 30);
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("Subject: minutes\r\n"));
        assert!(s.contains("Content-Type: text/plain; charset=UTF-8\r\n"));
        assert!(!s.contains("multipart"));
        assert!(!s.contains("JVBERi0"));
        assert!(s.contains("The minutes are attached.\r\n"));
        assert!(s.contains("  - minutes.pdf (application/pdf,"));
        // The result parses as one text part with nothing left to strip.
        assert!(extra_parts(s.as_bytes()).is_empty());
    }

    #[test]
    fn plain_text_is_left_alone() {
        let m = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
        assert!(strip_attachments(m, "x").is_none());
    }

    #[test]
    fn html_alternative_counts_as_extra() {
        let m = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n";
        let x = extra_parts(m.as_bytes());
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].content_type, "text/html");
        let (out, _) = strip_attachments(m.as_bytes(), "note").unwrap();
        assert!(String::from_utf8(out).unwrap().contains("hi\r\n"));
    }

    #[test]
    fn long_text_is_split_into_short_encoded_words() {
        assert_eq!(encode_word("Command results"), "Command results");
        let text = "承認待ちの参加の申し込み (ohanashi ML) と、とても長い件名がつづきます";
        let enc = encode_word(text);
        let words: Vec<&str> = enc.split("\r\n ").collect();
        assert!(words.len() > 1, "{enc}");
        assert!(words.iter().all(|w| w.starts_with("=?UTF-8?B?") && w.ends_with("?=") && w.len() <= 75), "{enc}");
        let mail = format!("From: a@example.org\r\nSubject: {enc}\r\n\r\nx\r\n");
        assert_eq!(subject(mail.as_bytes()), text);
    }

    #[test]
    fn folded_fields_stay_whole() {
        let h = b"Received: from a\r\n\tby b; x\r\nSubject: s\r\n";
        let f = fields(h);
        assert_eq!(f, vec!["Received: from a\r\n\tby b; x".to_string(), "Subject: s".into()]);
        assert_eq!(field_name(&f[0]), "Received");
    }

    #[test]
    fn from_and_body() {
        assert_eq!(from_address(WITH_PDF.as_bytes()).as_deref(), Some("yamada@hogehoge.example"));
        assert_eq!(body_text(WITH_PDF.as_bytes()).trim(), "The minutes are attached.");
        let (h, b) = split(b"A: 1\r\n\r\nbody");
        assert_eq!((h, b), (&b"A: 1\r\n"[..], &b"body"[..]));
    }
}

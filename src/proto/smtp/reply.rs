//! SMTP replies (RFC 5321 §4.2): a three-digit code and one or more text lines.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Text of each line, without the code. Never empty.
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply { code, lines: vec![text.into()] }
    }
    pub fn multi(code: u16, lines: Vec<String>) -> Self {
        let lines = if lines.is_empty() { vec![String::new()] } else { lines };
        Reply { code, lines }
    }
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }
    /// The lines as they go on the wire, each without CRLF.
    pub fn wire_lines(&self) -> Vec<String> {
        (0..self.lines.len()).map(|i| self.wire_line(i)).collect()
    }
    /// Line `i` of [`Reply::wire_lines`] (an empty string past the last).
    pub fn wire_line(&self, i: usize) -> String {
        let Some(t) = self.lines.get(i) else { return String::new() };
        let last = i + 1 == self.lines.len();
        let mut l = String::with_capacity(4 + t.len());
        crate::base::decimal::push_u64(&mut l, u64::from(self.code));
        // The separator even before an empty text, as Postfix's `"%d %s"`
        // writes it: an empty AUTH challenge is `334 ` (RFC 4954 §4).
        l.push(if last { ' ' } else { '-' });
        l.push_str(t);
        l
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in self.wire_lines() {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }
    /// One-line form for logs and DSNs: `550 5.1.1 <x@y>... User unknown`.
    pub fn one_line(&self) -> String {
        format!("{} {}", self.code, self.lines.join(" "))
    }
    /// The enhanced status code (RFC 3463) at the start of the text, if any.
    pub fn enhanced(&self) -> Option<&str> {
        let first = self.lines.first()?.split(' ').next()?;
        let parts: Vec<&str> = first.split('.').collect();
        let ok = parts.len() == 3
            && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
            && matches!(parts[0], "2" | "4" | "5");
        ok.then_some(first)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.wire_lines().join("\n"))
    }
}

/// Incremental reply parser for the client side.
#[derive(Debug, Default)]
pub struct ReplyParser {
    buf: Vec<u8>,
    pending: Vec<String>,
    pending_code: Option<u16>,
}

/// A reply line that does not follow RFC 5321's reply syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadReply(pub String);

pub const MAX_REPLY_LINE: usize = 4096;

impl ReplyParser {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    /// The next complete reply, if one has arrived.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, BadReply> {
        loop {
            let Some(pos) = memchr::memchr(b'\n', &self.buf) else {
                if self.buf.len() > MAX_REPLY_LINE {
                    // Drop the bytes reported, or every later call reports them again.
                    self.buf.clear();
                    return Err(BadReply("reply line too long".into()));
                }
                return Ok(None);
            };
            let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            let b = line.as_bytes();
            if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
                return Err(BadReply(line));
            }
            let code: u16 = line[..3].parse().map_err(|_| BadReply(line.clone()))?;
            if let Some(pc) = self.pending_code
                && pc != code
            {
                return Err(BadReply(line));
            }
            let (more, text) = match b.get(3) {
                None => (false, String::new()),
                Some(b' ') => (false, line[4..].to_string()),
                Some(b'-') => (true, line[4..].to_string()),
                Some(_) => return Err(BadReply(line)),
            };
            self.pending.push(text);
            if more {
                self.pending_code = Some(code);
                continue;
            }
            self.pending_code = None;
            return Ok(Some(Reply::multi(code, std::mem::take(&mut self.pending))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_multiline() {
        let r = Reply::multi(250, vec!["mx.example".into(), "PIPELINING".into(), "SIZE 100".into()]);
        assert_eq!(String::from_utf8(r.to_bytes()).unwrap(), "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
        assert_eq!(Reply::new(550, "5.1.1 nope").enhanced(), Some("5.1.1"));
        assert_eq!(Reply::new(250, "OK").enhanced(), None);
    }

    #[test]
    fn wire_lines_as_formatted() {
        // The old rendering, `format!`, is the oracle for the hand-written one.
        for code in [0u16, 7, 99, 100, 220, 354, 999, 1000, 65535] {
            for lines in [vec![""], vec!["x"], vec!["", ""], vec!["a", ""], vec!["a b", "c"]] {
                let r = Reply::multi(code, lines.iter().map(|s| s.to_string()).collect());
                let n = r.lines.len();
                let want: Vec<String> = r
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(i, t)| if i + 1 == n { format!("{code} {t}") } else { format!("{code}-{t}") })
                    .collect();
                assert_eq!(r.wire_lines(), want, "{code} {lines:?}");
            }
        }
    }

    #[test]
    fn parser_split_at_every_byte() {
        let wire = b"220 hi there\r\n250-a\r\n250-b\r\n250 c\r\n354\r\n";
        for cut in 0..wire.len() {
            let mut p = ReplyParser::default();
            let mut got = Vec::new();
            p.feed(&wire[..cut]);
            while let Some(r) = p.next_reply().unwrap() {
                got.push(r);
            }
            p.feed(&wire[cut..]);
            while let Some(r) = p.next_reply().unwrap() {
                got.push(r);
            }
            assert_eq!(got.len(), 3, "cut at {cut}");
            assert_eq!(got[1].lines, vec!["a", "b", "c"]);
            assert_eq!(got[2].code, 354);
        }
    }

    #[test]
    fn parser_rejects_garbage() {
        let mut p = ReplyParser::default();
        p.feed(b"hello\r\n");
        assert!(p.next_reply().is_err());
        let mut p = ReplyParser::default();
        p.feed(b"250-a\r\n251 b\r\n");
        assert!(p.next_reply().is_err());
    }

    #[test]
    fn overlong_line_is_reported_once() {
        let mut p = ReplyParser::default();
        p.feed(&[b'2'; MAX_REPLY_LINE + 1]);
        assert!(p.next_reply().is_err());
        assert_eq!(p.next_reply(), Ok(None));
    }
}

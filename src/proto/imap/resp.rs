//! Building server responses: the bytes for the wire and the same lines for
//! the trace, where a literal's content is shown only by its size.

use super::Output;

#[derive(Default)]
pub(super) struct W {
    bytes: Vec<u8>,
    lines: Vec<String>,
    cur: String,
}

/// Longest string sent quoted; anything longer goes as a literal.
const MAX_QUOTED: usize = 1000;

impl W {
    pub fn new() -> Self {
        W::default()
    }

    pub fn text(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.cur.push_str(s);
    }

    /// `{n}` CRLF and the octets; in the trace a line `(n octets)`.
    pub fn literal(&mut self, data: &[u8]) {
        self.text(&format!("{{{}}}", data.len()));
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes.extend_from_slice(data);
        self.lines.push(std::mem::take(&mut self.cur));
        self.lines.push(format!("({} octets)", data.len()));
    }

    /// A quoted string when it can be one (7-bit text, short), else a literal.
    pub fn string(&mut self, s: &[u8]) {
        if s.len() <= MAX_QUOTED && s.iter().all(|&c| (b' '..=b'~').contains(&c) || c == b'\t') {
            let mut q = String::with_capacity(s.len() + 2);
            q.push('"');
            for &c in s {
                if c == b'"' || c == b'\\' {
                    q.push('\\');
                }
                q.push(char::from(c));
            }
            q.push('"');
            self.text(&q);
        } else {
            self.literal(s);
        }
    }

    pub fn nstring(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.string(s),
            None => self.text("NIL"),
        }
    }

    pub fn finish(mut self) -> Output {
        self.bytes.extend_from_slice(b"\r\n");
        if !self.cur.is_empty() || self.lines.is_empty() {
            self.lines.push(self.cur);
        }
        Output::Send { bytes: self.bytes, lines: self.lines }
    }
}

/// A one-line response. Control characters (from a client's literal, say)
/// are replaced so that a response can never be split into two.
pub(super) fn line(s: impl Into<String>) -> Output {
    let s: String = s.into().chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    let mut bytes = s.clone().into_bytes();
    bytes.extend_from_slice(b"\r\n");
    Output::Send { bytes, lines: vec![s] }
}

/// A string for the middle of a text line (mailbox names in LIST/STATUS):
/// quoted, with anything unquotable replaced so the line stays one line.
pub(super) fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            c if c.is_control() => q.push('?'),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_literals() {
        let mut w = W::new();
        w.text("* 1 FETCH (X ");
        w.string(b"a\"b\\c");
        w.text(" Y ");
        w.string(b"line\r\nbreak");
        w.text(" Z ");
        w.nstring(None);
        w.text(")");
        let Output::Send { bytes, lines } = w.finish() else { panic!() };
        assert_eq!(bytes, b"* 1 FETCH (X \"a\\\"b\\\\c\" Y {11}\r\nline\r\nbreak Z NIL)\r\n");
        assert_eq!(lines, vec!["* 1 FETCH (X \"a\\\"b\\\\c\" Y {11}", "(11 octets)", " Z NIL)"]);
        assert_eq!(quote("In\"box"), "\"In\\\"box\"");
    }
}

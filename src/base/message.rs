//! Reading a message's header section (RFC 5322), with mail-parser.

/// The header fields in order, names as written, values unfolded and trimmed.
pub fn headers(data: &[u8]) -> Vec<(String, String)> {
    let Some(m) = mail_parser::MessageParser::new().parse_headers(data) else {
        return Vec::new();
    };
    m.headers_raw().map(|(n, v)| (n.to_string(), unfold(v))).collect()
}

/// Join folded lines (CRLF followed by white space) into one line.
pub fn unfold(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, part) in v.split('\n').enumerate() {
        let part = part.trim_end_matches('\r');
        if i > 0 {
            out.push(' ');
            out.push_str(part.trim_start());
        } else {
            out.push_str(part);
        }
    }
    out.trim().to_string()
}

/// Values of every field called `name` (case-insensitive), top to bottom.
pub fn values<'a>(hs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    hs.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
}

pub fn first<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    values(hs, name).into_iter().next()
}

/// The message identifier of the Message-ID: field without its angle
/// brackets (RFC 5322 §3.6.4), or empty when there is none.
pub fn message_id(hs: &[(String, String)]) -> String {
    first(hs, "Message-ID").unwrap_or("").trim_matches(|c| c == '<' || c == '>').to_string()
}

/// The host named in a Received: field's `by` clause.
pub fn received_by(v: &str) -> Option<String> {
    let mut words = v.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("by") {
            return words.next().map(|h| h.trim_end_matches(';').to_ascii_lowercase());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_unfolded_in_order() {
        let m = b"Received: from a (a [192.0.2.1])\r\n\tby b.example (8.18.1/8.18.1) with ESMTP id X\r\n\tfor <u@b.example>; Wed, 1 Apr 2026 10:00:00 +0900\r\nSubject: hi\r\nReceived: from c by d.example; x\r\n\r\nbody\r\n";
        let hs = headers(m);
        assert_eq!(hs.len(), 3);
        let rs = values(&hs, "received");
        assert_eq!(rs.len(), 2);
        assert!(rs[0].contains("by b.example (8.18.1/8.18.1)"));
        assert_eq!(received_by(rs[0]).as_deref(), Some("b.example"));
        assert_eq!(received_by(rs[1]).as_deref(), Some("d.example"));
        assert_eq!(first(&hs, "SUBJECT"), Some("hi"));
    }
}

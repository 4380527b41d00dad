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

/// The first value of the field `name` (case-insensitive), unfolded and
/// trimmed like [`headers`], found by a plain scan of the header section
/// (no full parse: a snapshot of thousands of stored messages reads two
/// fields of each).
pub fn first_quick(data: &[u8], name: &str) -> Option<String> {
    let head = match data.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => &data[..p + 2],
        None => match data.windows(2).position(|w| w == b"\n\n") {
            Some(p) => &data[..p + 1],
            None => data,
        },
    };
    let text = String::from_utf8_lossy(head);
    let mut found: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(v) = found.as_mut() {
                v.push('\n');
                v.push_str(line);
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            found = Some(v.to_string());
        }
    }
    found.map(|v| unfold(&v))
}

/// How many `Received:` fields the header section has (the hops a message
/// has made) and its message identifier as [`message_id`] gives it, by one
/// plain scan: an MTA reads these two of every message it accepts, and a
/// full parse of the header section (with a copy of every field) cost 38,000
/// instructions a message, 3.6 % of `serve`'s CPU kernel included (perf).
pub fn hops_and_id(data: &[u8]) -> (usize, String) {
    let mut hops = 0;
    // Borrowed from `data` unless continuation lines join it.
    let mut id: Option<std::borrow::Cow<[u8]>> = None;
    // The field whose continuation lines (starting with white space) follow.
    let mut in_id = false;
    // Lines found by memchr (the header section is read for every message accepted).
    let mut start = 0;
    while start <= data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let line = &data[start..end];
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if in_id && let Some(v) = id.as_mut() {
                let v = v.to_mut();
                v.push(b'\n');
                v.extend_from_slice(line);
            }
            continue;
        }
        in_id = false;
        let Some(colon) = memchr::memchr(b':', line) else { continue };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"Received") {
            hops += 1;
        } else if name.eq_ignore_ascii_case(b"Message-ID") && id.is_none() {
            id = Some(std::borrow::Cow::Borrowed(&line[colon + 1..]));
            in_id = true;
        }
    }
    let Some(id) = id else { return (hops, String::new()) };
    let text = String::from_utf8_lossy(&id);
    let unfolded;
    let id = if id.contains(&b'\n') {
        unfolded = unfold(&text);
        unfolded.as_str()
    } else {
        // One line: what `unfold` would make of it, without its copies.
        text.trim()
    };
    (hops, id.trim_matches(|c| c == '<' || c == '>').to_string())
}

/// The header section of `data`: its lines up to (not with) the empty
/// line that ends it, or all of `data` when there is none.
pub fn header_section_of(data: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p + 1);
        let line = &data[start..end];
        if line == b"\r\n" || line == b"\n" {
            return &data[..start];
        }
        start = end;
    }
    data
}

/// Does header section `head` have a field called `name` (any case)?
pub fn has_field(head: &[u8], name: &str) -> bool {
    head.split(|&b| b == b'\n').any(|line| {
        line.len() > name.len() && line[name.len()] == b':' && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
    })
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
    fn the_quick_scan_agrees_with_the_parser() {
        let m = b"Received: from a\r\n\tby b; x\r\nfrom: Taro <t@x.example>\r\nSubject: a long\r\n  subject\r\n\r\nSubject: body\r\n";
        let hs = headers(m);
        for name in ["From", "Subject", "Received", "X-None"] {
            assert_eq!(first_quick(m, name).as_deref(), first(&hs, name), "{name}");
        }
        assert_eq!(first_quick(b"Subject: no body", "subject").as_deref(), Some("no body"));
        assert_eq!(first_quick(b"", "From"), None);
    }

    #[test]
    fn hops_and_id_agree_with_the_parser() {
        // Every combination of some awkward fields, in every order of three.
        let parts: [&[u8]; 11] = [
            b"Received: from a\r\n\tby b; x\r\n",
            b"received:from c by d; y\r\n",
            b"Message-ID: <1@x.example>\r\n",
            b"Message-Id:\r\n <2@y.example>\r\n",
            b"MESSAGE-ID: 3@z.example\n",
            b"X-Received: no\r\n",
            b"Subject: Received: not a hop\r\n",
            b"Subject: folded\r\n Message-ID: <4@w.example>\r\n",
            b"From: a@b.example\n",
            b"Received : spaced\r\n",
            b"not a field\r\n",
        ];
        let ends: [&[u8]; 4] = [b"\r\nReceived: in the body\r\n", b"\nMessage-ID: <body>\n", b"", b"\r\n"];
        for a in &parts {
            for b in &parts {
                for c in &parts {
                    for end in &ends {
                        let m = [*a, *b, *c, *end].concat();
                        let hs = headers(&m);
                        let want = (values(&hs, "Received").len(), message_id(&hs));
                        assert_eq!(hops_and_id(&m), want, "{:?}", String::from_utf8_lossy(&m));
                    }
                }
            }
        }
        assert_eq!(hops_and_id(b""), (0, String::new()));
    }

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

//! The MIME structure of a stored message, as IMAP numbers it (RFC 3501
//! §6.4.5): byte ranges of each part's header and body, so that
//! BODYSTRUCTURE sizes and `BODY[1.2]` contents agree octet for octet.
//!
//! The part tree is cut along the boundaries here; header fields
//! (Content-Type parameters, addresses, RFC 2047 words) are read with
//! mail-parser. ENVELOPE and BODYSTRUCTURE are written from that tree.

use super::resp::W;
use crate::base::rfc2047::Charset;
use mail_parser::{Address, HeaderName, HeaderValue, MessageParser};
use std::ops::Range;

/// Deeper nesting than this is treated as an opaque leaf.
const MAX_DEPTH: usize = 24;

/// One MIME entity: its header (blank line included) and its body.
#[derive(Debug)]
pub(super) struct Entity {
    pub hdr: Range<usize>,
    pub body: Range<usize>,
    pub mime: Mime,
    pub kind: Kind,
}

#[derive(Debug)]
pub(super) enum Kind {
    Leaf,
    Multi(Vec<Entity>),
    /// message/rfc822: the encapsulated message.
    Message(Box<Entity>),
}

/// The MIME header fields BODYSTRUCTURE reports. Types are lower case.
#[derive(Debug, Default)]
pub(super) struct Mime {
    pub typ: String,
    pub sub: String,
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    pub encoding: Option<String>,
    pub md5: Option<String>,
    pub disposition: Option<(String, Vec<(String, String)>)>,
    pub language: Vec<String>,
    pub location: Option<String>,
}

/// Parse a whole message.
pub(super) fn parse(data: &[u8]) -> Entity {
    entity(data, 0..data.len(), false, 0)
}

fn entity(data: &[u8], r: Range<usize>, digest_child: bool, depth: usize) -> Entity {
    let body_start = split_header(data, r.clone());
    let hdr = r.start..body_start;
    let body = body_start..r.end;
    let mut mime = read_mime(data.get(hdr.clone()).unwrap_or_default(), digest_child);
    let kind = if depth >= MAX_DEPTH {
        Kind::Leaf
    } else if mime.typ == "multipart" {
        let boundary = param(&mime.params, "boundary").unwrap_or_default().to_string();
        let parts = if boundary.is_empty() { Vec::new() } else { split_multipart(data, body.clone(), &boundary) };
        if parts.is_empty() {
            // No usable boundary: read it as plain text, as RFC 2046 §5.1.7 advises for unknown types.
            mime.typ = "text".into();
            mime.sub = "plain".into();
            Kind::Leaf
        } else {
            let digest = mime.sub == "digest";
            Kind::Multi(parts.into_iter().map(|p| entity(data, p, digest, depth + 1)).collect())
        }
    } else if mime.typ == "message"
        && mime.sub == "rfc822"
        && mime.encoding.as_deref().is_none_or(|e| ["7bit", "8bit", "binary"].iter().any(|x| x.eq_ignore_ascii_case(e)))
    {
        Kind::Message(Box::new(entity(data, body.clone(), false, depth + 1)))
    } else {
        Kind::Leaf
    };
    Entity { hdr, body, mime, kind }
}

/// Where the body starts: after the first empty line, or at the end when
/// there is none. A part that starts with an empty line has no header.
pub(super) fn split_header(data: &[u8], r: Range<usize>) -> usize {
    let d = data.get(r.clone()).unwrap_or_default();
    if d.starts_with(b"\r\n") {
        return r.start + 2;
    }
    if d.starts_with(b"\n") {
        return r.start + 1;
    }
    let mut i = 0;
    while let Some(p) = d.get(i..).and_then(|s| s.iter().position(|&c| c == b'\n')) {
        let next = i + p + 1;
        let rest = d.get(next..).unwrap_or_default();
        if rest.starts_with(b"\r\n") {
            return r.start + next + 2;
        }
        if rest.starts_with(b"\n") {
            return r.start + next + 1;
        }
        i = next;
    }
    r.end
}

/// The body parts between `--boundary` lines (RFC 2046 §5.1.1). The line
/// break before a delimiter belongs to the delimiter; preamble and epilogue
/// are dropped. A missing close delimiter ends the last part at the end.
fn split_multipart(data: &[u8], body: Range<usize>, boundary: &str) -> Vec<Range<usize>> {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary.as_bytes());
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut ls = body.start;
    while ls < body.end {
        let le = data.get(ls..body.end).and_then(|s| s.iter().position(|&c| c == b'\n')).map_or(body.end, |p| ls + p);
        let next = if le < body.end { le + 1 } else { body.end };
        let mut line = data.get(ls..le).unwrap_or_default();
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if let Some(rest) = line.strip_prefix(delim.as_slice()) {
            let (close, rest) = match rest.strip_prefix(b"--") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if rest.iter().all(|&c| c == b' ' || c == b'\t') {
                if let Some(st) = start {
                    let mut end = ls;
                    if end > st && data.get(end - 1) == Some(&b'\n') {
                        end -= 1;
                        if end > st && data.get(end - 1) == Some(&b'\r') {
                            end -= 1;
                        }
                    }
                    parts.push(st..end);
                }
                if close {
                    return parts;
                }
                start = Some(next);
            }
        }
        ls = next;
    }
    if let Some(st) = start {
        parts.push(st..body.end);
    }
    parts
}

fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn read_mime(hdr: &[u8], digest_child: bool) -> Mime {
    let mut m = Mime::default();
    let parsed = MessageParser::new().parse_headers(hdr);
    let headers = parsed.as_ref().and_then(|p| p.parts.first()).map(|p| p.headers.as_slice()).unwrap_or_default();
    let ct = headers
        .iter()
        .find(|h| h.name == HeaderName::ContentType)
        .and_then(|h| h.value.as_content_type())
        .filter(|ct| !ct.c_type.is_empty());
    match ct {
        Some(ct) => {
            m.typ = ct.c_type.to_ascii_lowercase();
            m.sub = ct.c_subtype.as_deref().unwrap_or_default().to_ascii_lowercase();
            if m.sub.is_empty() {
                // A type with no subtype is not valid MIME: use the default.
                m.typ = "text".into();
                m.sub = "plain".into();
            }
            m.params = attributes(ct.attributes());
        }
        None if digest_child => {
            m.typ = "message".into();
            m.sub = "rfc822".into();
        }
        None => {
            m.typ = "text".into();
            m.sub = "plain".into();
        }
    }
    if m.typ == "text" && param(&m.params, "charset").is_none() {
        m.params.insert(0, ("charset".into(), "us-ascii".into()));
    }
    m.disposition = headers
        .iter()
        .find(|h| h.name == HeaderName::ContentDisposition)
        .and_then(|h| h.value.as_content_type())
        .filter(|d| !d.c_type.is_empty())
        .map(|d| (d.c_type.to_string(), attributes(d.attributes())));
    m.id = raw_field(hdr, "Content-ID");
    m.description = raw_field(hdr, "Content-Description");
    m.encoding = raw_field(hdr, "Content-Transfer-Encoding")
        .and_then(|e| e.split(|c: char| c.is_whitespace() || c == '(' || c == ';').next().map(str::to_string))
        .filter(|e| !e.is_empty());
    m.md5 = raw_field(hdr, "Content-MD5");
    m.location = raw_field(hdr, "Content-Location");
    m.language = raw_field(hdr, "Content-Language")
        .map(|l| l.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    m
}

fn attributes(a: Option<&[mail_parser::Attribute<'_>]>) -> Vec<(String, String)> {
    a.unwrap_or_default().iter().map(|a| (a.name.to_string(), a.value.to_string())).collect()
}

/// The fields of a header block: (name, the whole field with its line breaks).
/// A line without a colon counts as a field named by the whole line.
pub(super) fn fields(hdr: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out: Vec<(&[u8], &[u8])> = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < hdr.len() {
        let le = hdr.get(i..).and_then(|s| s.iter().position(|&c| c == b'\n')).map_or(hdr.len(), |p| i + p + 1);
        let line = hdr.get(i..le).unwrap_or_default();
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            if let Some(s) = start {
                out.push(field_at(hdr, s, i));
            }
            start = Some(i);
        } else if start.is_none() {
            start = Some(i);
        }
        i = le;
    }
    if let Some(s) = start {
        out.push(field_at(hdr, s, i));
    }
    out
}

fn field_at(hdr: &[u8], s: usize, e: usize) -> (&[u8], &[u8]) {
    let whole = hdr.get(s..e).unwrap_or_default();
    let name = match whole.iter().position(|&c| c == b':') {
        Some(p) => whole.get(..p).unwrap_or_default().trim_ascii_end(),
        None => whole.trim_ascii_end(),
    };
    (name, whole)
}

/// The value of a field with line breaks removed and blanks trimmed.
pub(super) fn unfold_value(field: &[u8]) -> String {
    let v = match field.iter().position(|&c| c == b':') {
        Some(p) => field.get(p + 1..).unwrap_or_default(),
        None => b"",
    };
    let v: Vec<u8> = v.iter().copied().filter(|&c| c != b'\r' && c != b'\n').collect();
    String::from_utf8_lossy(&v).trim().to_string()
}

/// Values of every field called `name`, unfolded.
pub(super) fn raw_values(hdr: &[u8], name: &str) -> Vec<String> {
    fields(hdr)
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, f)| unfold_value(f))
        .collect()
}

fn raw_field(hdr: &[u8], name: &str) -> Option<String> {
    raw_values(hdr, name).into_iter().next()
}

/// `HEADER.FIELDS` / `HEADER.FIELDS.NOT`: the chosen fields and the blank line.
pub(super) fn filter_fields(hdr: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, whole) in fields(hdr) {
        let listed = names.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if listed != not {
            out.extend_from_slice(whole);
            if !whole.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// What comes after the part number in a section specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum SectionText {
    Whole,
    Header,
    Fields(Vec<String>),
    FieldsNot(Vec<String>),
    Text,
    Mime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Section {
    pub path: Vec<u32>,
    pub text: SectionText,
}

impl Section {
    /// The section as the response names it, e.g. `1.HEADER.FIELDS (FROM TO)`.
    pub fn spec(&self) -> String {
        let mut s: Vec<String> = self.path.iter().map(u32::to_string).collect();
        let list = |names: &[String]| {
            let quoted: Vec<String> = names
                .iter()
                .map(|n| {
                    let n = n.to_ascii_uppercase();
                    if !n.is_empty() && n.bytes().all(super::parse::is_astring_char) {
                        n
                    } else {
                        super::resp::quote(&n)
                    }
                })
                .collect();
            quoted.join(" ")
        };
        match &self.text {
            SectionText::Whole => {}
            SectionText::Header => s.push("HEADER".into()),
            SectionText::Fields(n) => s.push(format!("HEADER.FIELDS ({})", list(n))),
            SectionText::FieldsNot(n) => s.push(format!("HEADER.FIELDS.NOT ({})", list(n))),
            SectionText::Text => s.push("TEXT".into()),
            SectionText::Mime => s.push("MIME".into()),
        }
        s.join(".")
    }
}

/// Part `path` of the message (RFC 3501 §6.4.5): a non-multipart message
/// has only part 1, its own body; parts of message/rfc822 are numbered
/// inside the encapsulated message.
pub(super) fn find<'e>(root: &'e Entity, path: &[u32]) -> Option<&'e Entity> {
    let mut cur = root;
    let mut message_like = true;
    for &n in path {
        let idx = usize::try_from(n.checked_sub(1)?).ok()?;
        if !message_like && let Kind::Message(inner) = &cur.kind {
            cur = inner;
            message_like = true;
        }
        match &cur.kind {
            Kind::Multi(parts) => cur = parts.get(idx)?,
            _ if message_like && idx == 0 => {}
            _ => return None,
        }
        message_like = false;
    }
    Some(cur)
}

/// A section of the message itself (no part number): `[]`, `[HEADER]`,
/// `[TEXT]`, `[HEADER.FIELDS …]`, given where its header ends
/// ([`split_header`] of the whole message, which is where the parsed root's
/// body starts). Needs no MIME parse: a FETCH of `BODY.PEEK[HEADER]` over a
/// large mailbox reads each message's header and nothing more.
pub(super) fn top_section_bytes(data: &[u8], hdr_end: usize, text: &SectionText) -> Option<Vec<u8>> {
    let hdr = data.get(..hdr_end);
    match text {
        SectionText::Whole => Some(data.to_vec()),
        SectionText::Header => hdr.map(<[u8]>::to_vec),
        SectionText::Text => data.get(hdr_end..).map(<[u8]>::to_vec),
        SectionText::Fields(n) => Some(filter_fields(hdr?, n, false)),
        SectionText::FieldsNot(n) => Some(filter_fields(hdr?, n, true)),
        SectionText::Mime => None,
    }
}

/// The octets of a section; `None` when the message has no such part.
pub(super) fn section_bytes(data: &[u8], root: &Entity, sec: &Section) -> Option<Vec<u8>> {
    let get = |r: &Range<usize>| data.get(r.clone()).map(<[u8]>::to_vec);
    if sec.path.is_empty() {
        return top_section_bytes(data, root.body.start, &sec.text);
    }
    let e = find(root, &sec.path)?;
    match &sec.text {
        SectionText::Whole => get(&e.body),
        SectionText::Mime => get(&e.hdr),
        text => {
            let Kind::Message(inner) = &e.kind else {
                return None;
            };
            match text {
                SectionText::Header => get(&inner.hdr),
                SectionText::Text => get(&inner.body),
                SectionText::Fields(n) => Some(filter_fields(data.get(inner.hdr.clone())?, n, false)),
                SectionText::FieldsNot(n) => Some(filter_fields(data.get(inner.hdr.clone())?, n, true)),
                SectionText::Whole | SectionText::Mime => None,
            }
        }
    }
}

fn count_lines(b: &[u8]) -> usize {
    let n = b.iter().filter(|&&c| c == b'\n').count();
    if b.last().is_some_and(|&c| c != b'\n') { n + 1 } else { n }
}

fn upper_string(w: &mut W, s: &str) {
    w.string(s.to_ascii_uppercase().as_bytes());
}

fn params(w: &mut W, p: &[(String, String)]) {
    if p.is_empty() {
        return w.text("NIL");
    }
    w.text("(");
    for (i, (k, v)) in p.iter().enumerate() {
        if i > 0 {
            w.text(" ");
        }
        upper_string(w, k);
        w.text(" ");
        w.string(v.as_bytes());
    }
    w.text(")");
}

fn opt(w: &mut W, s: &Option<String>) {
    w.nstring(s.as_deref().map(str::as_bytes));
}

/// The extension fields shared by both kinds of body: disposition, language, location.
fn ext_tail(w: &mut W, m: &Mime) {
    w.text(" ");
    match &m.disposition {
        Some((t, p)) => {
            w.text("(");
            upper_string(w, t);
            w.text(" ");
            params(w, p);
            w.text(")");
        }
        None => w.text("NIL"),
    }
    w.text(" ");
    match m.language.as_slice() {
        [] => w.text("NIL"),
        [one] => w.string(one.as_bytes()),
        many => {
            w.text("(");
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    w.text(" ");
                }
                w.string(l.as_bytes());
            }
            w.text(")");
        }
    }
    w.text(" ");
    opt(w, &m.location);
}

/// BODY (`ext` false) or BODYSTRUCTURE (`ext` true) of an entity (RFC 3501 §7.4.2).
pub(super) fn body_structure(w: &mut W, data: &[u8], e: &Entity, ext: bool) {
    let m = &e.mime;
    w.text("(");
    if let Kind::Multi(parts) = &e.kind {
        for p in parts {
            body_structure(w, data, p, ext);
        }
        w.text(" ");
        upper_string(w, &m.sub);
        if ext {
            w.text(" ");
            params(w, &m.params);
            ext_tail(w, m);
        }
        w.text(")");
        return;
    }
    let body = data.get(e.body.clone()).unwrap_or_default();
    upper_string(w, &m.typ);
    w.text(" ");
    upper_string(w, &m.sub);
    w.text(" ");
    params(w, &m.params);
    w.text(" ");
    opt(w, &m.id);
    w.text(" ");
    opt(w, &m.description);
    w.text(" ");
    upper_string(w, m.encoding.as_deref().unwrap_or("7bit"));
    w.text(&format!(" {}", body.len()));
    if let Kind::Message(inner) = &e.kind {
        w.text(" ");
        envelope(w, data.get(inner.hdr.clone()).unwrap_or_default());
        w.text(" ");
        body_structure(w, data, inner, ext);
        w.text(&format!(" {}", count_lines(body)));
    } else if m.typ == "text" {
        w.text(&format!(" {}", count_lines(body)));
    }
    if ext {
        w.text(" ");
        opt(w, &m.md5);
        ext_tail(w, m);
    }
    w.text(")");
}

/// ENVELOPE (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to,
/// cc, bcc, in-reply-to, message-id. Sender and Reply-To default to From.
pub(super) fn envelope(w: &mut W, hdr: &[u8]) {
    let parsed = MessageParser::new().parse_headers(hdr);
    let headers = parsed.as_ref().and_then(|p| p.parts.first()).map(|p| p.headers.as_slice()).unwrap_or_default();
    let addrs = |name: HeaderName<'static>| -> Option<&Address<'_>> {
        headers.iter().find(|h| h.name == name).and_then(|h| match &h.value {
            HeaderValue::Address(a) => Some(a),
            _ => None,
        })
    };
    let raw = |name: &str| raw_field(hdr, name);
    w.text("(");
    opt(w, &raw("Date"));
    w.text(" ");
    opt(w, &raw("Subject"));
    let from = addrs(HeaderName::From);
    for (i, name) in
        [HeaderName::From, HeaderName::Sender, HeaderName::ReplyTo, HeaderName::To, HeaderName::Cc, HeaderName::Bcc]
            .into_iter()
            .enumerate()
    {
        w.text(" ");
        // Names go back in the charset the sender's client wrote them in.
        let field = name.as_str().to_string();
        let a = addrs(name).filter(|a| !address_list_is_empty(a));
        let field = if a.is_none() && (i == 1 || i == 2) { "From" } else { field.as_str() };
        let cs = raw(field).as_deref().and_then(crate::base::rfc2047::charset_of).unwrap_or_default();
        let a = if i == 1 || i == 2 { a.or(from) } else { a };
        address_list(w, a, cs);
    }
    w.text(" ");
    opt(w, &raw("In-Reply-To"));
    w.text(" ");
    opt(w, &raw("Message-ID"));
    w.text(")");
}

fn address_list_is_empty(a: &Address<'_>) -> bool {
    match a {
        Address::List(l) => l.iter().all(|x| x.address.is_none()),
        Address::Group(g) => g.iter().all(|g| g.name.is_none() && g.addresses.iter().all(|x| x.address.is_none())),
    }
}

fn address_list(w: &mut W, a: Option<&Address<'_>>, cs: Charset) {
    let Some(a) = a.filter(|a| !address_list_is_empty(a)) else {
        return w.text("NIL");
    };
    w.text("(");
    match a {
        Address::List(l) => l.iter().for_each(|x| address(w, x, cs)),
        Address::Group(groups) => {
            for g in groups {
                match &g.name {
                    // Addresses outside any group come as a group without a name.
                    None => g.addresses.iter().for_each(|x| address(w, x, cs)),
                    Some(name) => {
                        w.text("(NIL NIL ");
                        w.string(encode_word(name, cs).as_bytes());
                        w.text(" NIL)");
                        g.addresses.iter().for_each(|x| address(w, x, cs));
                        w.text("(NIL NIL NIL NIL)");
                    }
                }
            }
        }
    }
    w.text(")");
}

fn address(w: &mut W, a: &mail_parser::Addr<'_>, cs: Charset) {
    let Some(addr) = a.address.as_deref() else {
        return;
    };
    let (mailbox, host) = match addr.rsplit_once('@') {
        Some((m, h)) => (m, h),
        None => (addr, "MISSING_DOMAIN"),
    };
    w.text("(");
    match a.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => w.string(encode_word(n, cs).as_bytes()),
        None => w.text("NIL"),
    }
    w.text(" NIL ");
    w.string(mailbox.as_bytes());
    w.text(" ");
    w.string(host.as_bytes());
    w.text(")");
}

/// Non-ASCII text as one RFC 2047 encoded word, as clients expect in ENVELOPE,
/// in the charset of the field it came from.
fn encode_word(s: &str, cs: Charset) -> String {
    crate::base::rfc2047::envelope_word(s, cs)
}

/// Header text with RFC 2047 words decoded (for SEARCH).
pub(super) fn decode_text(raw: &str) -> String {
    let synthetic = format!("Subject: {raw}\r\n\r\n");
    MessageParser::new()
        .parse_headers(synthetic.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| raw.to_string())
}

/// Decoded text of every text part (for SEARCH BODY/TEXT).
pub(super) fn decoded_texts(data: &[u8]) -> Vec<String> {
    let Some(m) = MessageParser::new().parse(data) else {
        return Vec::new();
    };
    m.parts
        .iter()
        .filter_map(|p| match &p.body {
            mail_parser::PartType::Text(t) | mail_parser::PartType::Html(t) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

/// The Date: header's calendar day, as written (SENTBEFORE/SENTON/SENTSINCE).
pub(super) fn sent_date(hdr: &[u8]) -> Option<chrono::NaiveDate> {
    let parsed = MessageParser::new().parse_headers(hdr)?;
    let d = parsed.date()?;
    chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut W)) -> String {
        let mut w = W::new();
        f(&mut w);
        match w.finish() {
            super::super::Output::Send { bytes, .. } => String::from_utf8_lossy(&bytes).trim_end().to_string(),
            _ => String::new(),
        }
    }

    #[test]
    fn japanese_mail_keeps_its_charset_in_envelope_and_bodystructure() {
        use crate::base::rfc2047::{Charset, Mailbox, address_field, unstructured_field};
        let cs = Charset::Iso2022Jp;
        let from = Mailbox::parse("山田 太郎 <taro@example.jp>").unwrap();
        let to = Mailbox::parse("花子 <hanako@example.jp>").unwrap();
        let (body, cte) = cs.body("こんにちは").unwrap();
        let m = format!(
            "{}\r\n{}\r\n{}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\
             Content-Transfer-Encoding: {cte}\r\n\r\n{body}",
            address_field("From", &[from], cs).unwrap(),
            address_field("To", &[to], Charset::Utf8).unwrap(),
            unstructured_field("Subject", "会議", cs).unwrap(),
        );
        let (hdr, _) = m.split_at(split_header(m.as_bytes(), 0..m.len()));
        let env = written(|w| envelope(w, hdr.as_bytes()));
        assert_eq!(
            env,
            "(NIL \"=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\" \
             ((\"=?iso-2022-jp?b?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=\" NIL \"taro\" \"example.jp\")) \
             ((\"=?iso-2022-jp?b?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=\" NIL \"taro\" \"example.jp\")) \
             ((\"=?iso-2022-jp?b?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=\" NIL \"taro\" \"example.jp\")) \
             ((\"=?utf-8?b?6Iqx5a2Q?=\" NIL \"hanako\" \"example.jp\")) NIL NIL NIL NIL)"
        );
        let root = parse(m.as_bytes());
        let bs = written(|w| body_structure(w, m.as_bytes(), &root, true));
        assert!(bs.starts_with("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"ISO-2022-JP\") NIL NIL \"7BIT\" 18 1"), "{bs}");
    }

    fn text(data: &[u8], path: &[u32], t: SectionText) -> Option<String> {
        let root = parse(data);
        section_bytes(data, &root, &Section { path: path.to_vec(), text: t })
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn top_level_sections_need_no_parse() {
        let msgs: [&[u8]; 5] = [NESTED, b"A: 1\r\nB: 2\r\n\r\nbody\r\n", b"A: 1", b"", b"\r\nbody only"];
        let texts = [
            SectionText::Whole,
            SectionText::Header,
            SectionText::Text,
            SectionText::Mime,
            SectionText::Fields(vec!["content-type".into(), "a".into()]),
            SectionText::FieldsNot(vec!["content-type".into()]),
        ];
        for d in msgs {
            let root = parse(d);
            let end = split_header(d, 0..d.len());
            assert_eq!(end, root.body.start);
            assert_eq!(root.hdr, 0..end);
            for t in &texts {
                let sec = Section { path: vec![], text: t.clone() };
                assert_eq!(top_section_bytes(d, end, t), section_bytes(d, &root, &sec), "{t:?}");
            }
        }
    }

    #[test]
    fn header_split() {
        let d = b"A: 1\r\nB: 2\r\n\r\nbody\r\n";
        assert_eq!(split_header(d, 0..d.len()), 14);
        assert_eq!(split_header(b"\r\nbody", 0..6), 2);
        assert_eq!(split_header(b"A: 1\nB: 2\n\nx", 0..12), 11);
        assert_eq!(split_header(b"A: 1", 0..4), 4);
        assert_eq!(split_header(b"", 0..0), 0);
    }

    #[test]
    fn field_list() {
        let h = b"Subject: a\r\n b\r\nFrom: x\r\nbroken\r\n\r\n";
        let f = fields(h);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].0, b"Subject");
        assert_eq!(unfold_value(f[0].1), "a b");
        assert_eq!(filter_fields(h, &["from".into()], false), b"From: x\r\n\r\n");
        assert_eq!(filter_fields(h, &["from".into()], true), b"Subject: a\r\n b\r\nbroken\r\n\r\n");
    }

    const NESTED: &[u8] = b"Content-Type: multipart/mixed; boundary=outer\r\n\r\npreamble\r\n--outer\r\n\r\nplain part\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=\"in\"\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nalt one\r\n--in\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--in--\r\n\r\n--outer--\r\nepilogue\r\n";

    #[test]
    fn nested_sections() {
        assert_eq!(text(NESTED, &[1], SectionText::Whole).unwrap(), "plain part");
        assert_eq!(text(NESTED, &[1], SectionText::Mime).unwrap(), "\r\n");
        assert_eq!(text(NESTED, &[2], SectionText::Header).unwrap().lines().next(), Some("Subject: inner"));
        assert_eq!(text(NESTED, &[2, 1], SectionText::Whole).unwrap(), "alt one");
        assert_eq!(text(NESTED, &[2, 2], SectionText::Whole).unwrap(), "<p>two</p>");
        assert_eq!(text(NESTED, &[2, 2], SectionText::Mime).unwrap(), "Content-Type: text/html\r\n\r\n");
        assert!(text(NESTED, &[2, 3], SectionText::Whole).is_none());
        assert!(text(NESTED, &[3], SectionText::Whole).is_none());
        assert!(text(NESTED, &[1], SectionText::Header).is_none());
        assert!(text(NESTED, &[0], SectionText::Whole).is_none());
        // A single-part message has part 1 only: its body.
        let simple = b"Subject: s\r\n\r\nhello\r\n";
        assert_eq!(text(simple, &[1], SectionText::Whole).unwrap(), "hello\r\n");
        assert!(text(simple, &[1, 1], SectionText::Whole).is_none());
        assert!(text(simple, &[2], SectionText::Whole).is_none());
    }

    #[test]
    fn broken_multiparts_do_not_panic() {
        let cases: [&[u8]; 6] = [
            b"Content-Type: multipart/mixed\r\n\r\nno boundary",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\nno delimiter at all",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nunterminated",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n--x--",
            b"Content-Type: message/rfc822\r\n\r\n",
            b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n\r\ny\r\n--d--\r\n",
        ];
        for c in cases {
            let root = parse(c);
            let mut w = W::new();
            body_structure(&mut w, c, &root, true);
            let _ = w.finish();
            for p in [&[1u32][..], &[1, 1], &[2], &[1, 2, 3]] {
                for t in [SectionText::Whole, SectionText::Mime, SectionText::Header, SectionText::Text] {
                    let _ = section_bytes(c, &root, &Section { path: p.to_vec(), text: t });
                }
            }
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut m = Vec::new();
        for _ in 0..1000 {
            m.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        m.extend_from_slice(b"end\r\n");
        let root = parse(&m);
        let mut w = W::new();
        body_structure(&mut w, &m, &root, true);
        let _ = w.finish();
    }
}

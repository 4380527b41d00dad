//! SEARCH keys (RFC 3501 §6.4.4): parsing and matching one message.

use super::mime;
use super::parse::{PResult, Parser, SeqSet, in_ranges};
use crate::store::Message;
use chrono::NaiveDate;
use std::cell::OnceCell;

/// How deep NOT/OR/parentheses may nest (keeps the stack bounded).
const MAX_NESTING: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Key {
    All,
    And(Vec<Key>),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    Seq(SeqSet),
    Uid(SeqSet),
    /// A flag is set (`\Seen`, a keyword, ...).
    Flag(String),
    Unflag(String),
    New,
    Old,
    Recent,
    /// Header field contains the string (`FROM`, `SUBJECT`, `HEADER X-Foo`, ...).
    Header(String, String),
    Body(String),
    Text(String),
    Larger(u64),
    Smaller(u64),
    Before(NaiveDate),
    On(NaiveDate),
    Since(NaiveDate),
    SentBefore(NaiveDate),
    SentOn(NaiveDate),
    SentSince(NaiveDate),
}

/// `key *(SP key)` up to the end of the command.
pub(super) fn parse_keys(p: &mut Parser) -> PResult<Key> {
    let mut keys = vec![key(p, 0)?];
    while !p.at_end() {
        p.sp()?;
        if p.at_end() {
            break;
        }
        keys.push(key(p, 0)?);
    }
    Ok(if keys.len() == 1 { keys.remove(0) } else { Key::And(keys) })
}

fn key(p: &mut Parser, depth: usize) -> PResult<Key> {
    if depth > MAX_NESTING {
        return Err("Search keys nest too deeply".into());
    }
    match p.peek() {
        Some(b'(') => {
            p.expect(b'(')?;
            let mut keys = vec![key(p, depth + 1)?];
            while !p.eat(b')') {
                p.sp()?;
                if p.eat(b')') {
                    break;
                }
                keys.push(key(p, depth + 1)?);
            }
            return Ok(Key::And(keys));
        }
        Some(c) if c.is_ascii_digit() || c == b'*' => return Ok(Key::Seq(p.seq_set()?)),
        _ => {}
    }
    let name = p.atom().map_err(|_| "Expected a search key".to_string())?.to_ascii_uppercase();
    let flag = |f: &str| Ok(Key::Flag(f.into()));
    let unflag = |f: &str| Ok(Key::Unflag(f.into()));
    match name.as_str() {
        "ALL" => Ok(Key::All),
        "ANSWERED" => flag("\\Answered"),
        "DELETED" => flag("\\Deleted"),
        "DRAFT" => flag("\\Draft"),
        "FLAGGED" => flag("\\Flagged"),
        "SEEN" => flag("\\Seen"),
        "UNANSWERED" => unflag("\\Answered"),
        "UNDELETED" => unflag("\\Deleted"),
        "UNDRAFT" => unflag("\\Draft"),
        "UNFLAGGED" => unflag("\\Flagged"),
        "UNSEEN" => unflag("\\Seen"),
        "NEW" => Ok(Key::New),
        "OLD" => Ok(Key::Old),
        "RECENT" => Ok(Key::Recent),
        "KEYWORD" | "UNKEYWORD" => {
            p.sp()?;
            let k = p.atom()?;
            Ok(if name == "KEYWORD" { Key::Flag(k) } else { Key::Unflag(k) })
        }
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => {
            p.sp()?;
            let field = match name.as_str() {
                "FROM" => "From",
                "TO" => "To",
                "CC" => "Cc",
                "BCC" => "Bcc",
                _ => "Subject",
            };
            Ok(Key::Header(field.into(), p.astring_text()?))
        }
        "HEADER" => {
            p.sp()?;
            let f = p.astring_text()?;
            p.sp()?;
            Ok(Key::Header(f, p.astring_text()?))
        }
        "BODY" => {
            p.sp()?;
            Ok(Key::Body(p.astring_text()?))
        }
        "TEXT" => {
            p.sp()?;
            Ok(Key::Text(p.astring_text()?))
        }
        "LARGER" | "SMALLER" => {
            p.sp()?;
            let n = p.number64()?;
            Ok(if name == "LARGER" { Key::Larger(n) } else { Key::Smaller(n) })
        }
        "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE" => {
            p.sp()?;
            let d = p.date()?;
            Ok(match name.as_str() {
                "BEFORE" => Key::Before(d),
                "ON" => Key::On(d),
                "SINCE" => Key::Since(d),
                "SENTBEFORE" => Key::SentBefore(d),
                "SENTON" => Key::SentOn(d),
                _ => Key::SentSince(d),
            })
        }
        "UID" => {
            p.sp()?;
            Ok(Key::Uid(p.seq_set()?))
        }
        "NOT" => {
            p.sp()?;
            Ok(Key::Not(Box::new(key(p, depth + 1)?)))
        }
        "OR" => {
            p.sp()?;
            let a = key(p, depth + 1)?;
            p.sp()?;
            let b = key(p, depth + 1)?;
            Ok(Key::Or(Box::new(a), Box::new(b)))
        }
        other => Err(format!("Unknown search key {other}")),
    }
}

/// One message as SEARCH sees it; parsed parts are computed on first use.
pub(super) struct Candidate<'m> {
    pub seq: u32,
    pub uid: u32,
    pub msg: &'m Message,
    pub recent: bool,
    /// Highest sequence number and UID, for `*`.
    pub max_seq: u32,
    pub max_uid: u32,
    hdr_end: OnceCell<usize>,
    /// Lower-cased header, body and decoded text parts, made on first use.
    lower_header: OnceCell<String>,
    lower_body: OnceCell<String>,
    lower_texts: OnceCell<Vec<String>>,
}

impl<'m> Candidate<'m> {
    pub fn new(seq: u32, uid: u32, msg: &'m Message, recent: bool, max_seq: u32, max_uid: u32) -> Self {
        Candidate {
            seq,
            uid,
            msg,
            recent,
            max_seq,
            max_uid,
            hdr_end: OnceCell::new(),
            lower_header: OnceCell::new(),
            lower_body: OnceCell::new(),
            lower_texts: OnceCell::new(),
        }
    }

    fn data(&self) -> &'m [u8] {
        self.msg.data.as_slice()
    }

    fn header(&self) -> &'m [u8] {
        let d = self.data();
        let end = *self.hdr_end.get_or_init(|| mime::split_header(d, 0..d.len()));
        d.get(..end).unwrap_or_default()
    }

    fn body(&self) -> &'m [u8] {
        let h = self.header().len();
        self.data().get(h..).unwrap_or_default()
    }

    fn header_has(&self, field: &str, needle: &str) -> bool {
        mime::raw_values(self.header(), field)
            .iter()
            .any(|v| needle.is_empty() || contains_ci(v, needle) || contains_ci(&mime::decode_text(v), needle))
    }

    fn body_has(&self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        self.lower_body.get_or_init(|| String::from_utf8_lossy(self.body()).to_lowercase()).contains(&needle)
            || self
                .lower_texts
                .get_or_init(|| mime::decoded_texts(self.data()).iter().map(|t| t.to_lowercase()).collect())
                .iter()
                .any(|t| t.contains(&needle))
    }

    fn header_text_has(&self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        self.lower_header.get_or_init(|| String::from_utf8_lossy(self.header()).to_lowercase()).contains(&needle)
    }

    pub fn matches(&self, k: &Key) -> bool {
        let date = || self.msg.internal_date.date_naive();
        let sent = || mime::sent_date(self.header());
        match k {
            Key::All => true,
            Key::And(keys) => keys.iter().all(|k| self.matches(k)),
            Key::Not(k) => !self.matches(k),
            Key::Or(a, b) => self.matches(a) || self.matches(b),
            Key::Seq(s) => in_ranges(&s.ranges(self.max_seq), self.seq),
            Key::Uid(s) => in_ranges(&s.ranges(self.max_uid), self.uid),
            Key::Flag(f) => self.msg.has(f),
            Key::Unflag(f) => !self.msg.has(f),
            Key::New => self.recent && !self.msg.has("\\Seen"),
            Key::Old => !self.recent,
            Key::Recent => self.recent,
            Key::Header(f, s) => self.header_has(f, s),
            Key::Body(s) => self.body_has(s),
            Key::Text(s) => self.header_text_has(s) || self.body_has(s),
            Key::Larger(n) => self.msg.size() as u64 > *n,
            Key::Smaller(n) => (self.msg.size() as u64) < *n,
            Key::Before(d) => date() < *d,
            Key::On(d) => date() == *d,
            Key::Since(d) => date() >= *d,
            Key::SentBefore(d) => sent().is_some_and(|s| s < *d),
            Key::SentOn(d) => sent().is_some_and(|s| s == *d),
            Key::SentSince(d) => sent().is_some_and(|s| s >= *d),
        }
    }
}

/// Case-insensitive substring test (RFC 3501: SEARCH strings ignore case).
fn contains_ci(hay: &str, needle: &str) -> bool {
    needle.is_empty() || hay.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> PResult<Key> {
        parse_keys(&mut Parser::new(s.as_bytes()))
    }

    #[test]
    fn parsing() {
        assert_eq!(keys("ALL").unwrap(), Key::All);
        assert_eq!(
            keys("OR SEEN (FLAGGED NOT DELETED)").unwrap(),
            Key::Or(
                Box::new(Key::Flag("\\Seen".into())),
                Box::new(Key::And(vec![
                    Key::Flag("\\Flagged".into()),
                    Key::Not(Box::new(Key::Flag("\\Deleted".into())))
                ]))
            )
        );
        assert!(matches!(keys("1:3 UID 5:*").unwrap(), Key::And(v) if v.len() == 2));
        assert!(matches!(keys("HEADER X-Spam \"\"").unwrap(), Key::Header(f, s) if f == "X-Spam" && s.is_empty()));
        assert!(keys("FROM").is_err());
        assert!(keys("BOGUS").is_err());
        assert!(keys("(SEEN").is_err());
        assert!(keys("SINCE 31-Feb-2020").is_err());
        assert!(keys(&format!("{}ALL", "NOT ".repeat(100))).is_err());
        assert!(keys(&"(".repeat(100)).is_err());
    }
}

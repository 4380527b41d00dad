//! An event as one line of JSON, written by hand. The text is exactly what
//! serde_json writes for the derived `Serialize` of [`Event`] (tests compare
//! the two on every character that needs escaping, here, and on every event
//! of every shipped scenario, in tests/testsuite/cli.rs); written here because a large run prints hundreds of
//! thousands of events, most of their octets in strings with nothing to
//! escape, which this skips eight octets at a time.

use super::{Event, Value};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// `e` as a JSON object, appended to `out` (no newline).
pub fn write_event(e: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"t\":");
    time(out, e.t);
    out.extend_from_slice(b",\"host\":");
    string(out, &e.host);
    out.extend_from_slice(b",\"kind\":");
    string(out, e.kind.name());
    if let Some(n) = e.session {
        out.extend_from_slice(b",\"session\":");
        number(out, n);
    }
    if let Some(p) = &e.peer {
        out.extend_from_slice(b",\"peer\":");
        string(out, p);
    }
    if let Some(l) = &e.line {
        out.extend_from_slice(b",\"line\":");
        string(out, l);
    }
    for (k, v) in e.fields.iter() {
        out.push(b',');
        string(out, k.name());
        out.push(b':');
        match v {
            Value::Shared(t) => string(out, t.as_str()),
            Value::Json(serde_json::Value::String(s)) => string(out, s),
            // Numbers, booleans, arrays: few and short. Writing into a Vec
            // cannot fail, and a `serde_json::Value` always serialises.
            Value::Json(v) => {
                let _ = serde_json::to_writer(&mut *out, v);
            }
        }
    }
    out.push(b'}');
}

/// `e` as a JSON object in a string.
pub fn to_string(e: &Event) -> String {
    let mut out = Vec::with_capacity(256);
    write_event(e, &mut out);
    // Only `&str`s and ASCII were written.
    String::from_utf8(out).unwrap_or_default()
}

/// The time as chrono's `to_rfc3339_opts(Millis, false)` writes it,
/// quoted: `"2024-05-01T10:00:00.123+09:00"`.
fn time(out: &mut Vec<u8>, t: DateTime<FixedOffset>) {
    let off = t.offset().local_minus_utc();
    // The local date and time worked out once (each accessor of a
    // `DateTime<FixedOffset>` would add the offset again).
    let local = t.naive_utc().checked_add_offset(*t.offset());
    // What the fast path cannot write the same way (years of other than
    // four digits, offsets with seconds, a leap second) goes to chrono.
    let Some(n) = local.filter(|n| (0..=9999).contains(&n.year()) && off % 60 == 0 && n.nanosecond() < 1_000_000_000)
    else {
        string(out, &t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false));
        return;
    };
    let two = |out: &mut Vec<u8>, n: u32| out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
    out.push(b'"');
    let y = n.year() as u32;
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, n.month());
    out.push(b'-');
    two(out, n.day());
    out.push(b'T');
    two(out, n.hour());
    out.push(b':');
    two(out, n.minute());
    out.push(b':');
    two(out, n.second());
    out.push(b'.');
    let ms = n.nanosecond() / 1_000_000;
    out.push(b'0' + (ms / 100) as u8);
    two(out, ms % 100);
    out.push(if off < 0 { b'-' } else { b'+' });
    let m = off.unsigned_abs() / 60;
    two(out, m / 60);
    out.push(b':');
    two(out, m % 60);
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// How serde_json escapes each octet: 0 for none, `u` for `\u00XX`, else
/// the letter after the backslash.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Does any octet of a block need escaping (below 0x20, `"`, `\`)? Written
/// without an early exit so that the compiler compares the whole block at
/// once (vector instructions on every x86-64).
fn block_needs_escape(block: &[u8; BLOCK]) -> bool {
    let mut any = false;
    for &c in block {
        any |= (c < 0x20) | (c == b'"') | (c == b'\\');
    }
    any
}

const BLOCK: usize = 16;

/// `s` as a JSON string, escaped as serde_json does.
pub fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    // `b[start..i]` is written as it is when an escape (or the end) comes.
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        // Whole blocks with nothing to escape are skipped; then the octets
        // up to the next escape, within one block, one by one.
        while let Some(block) = b.get(i..i + BLOCK).and_then(|x| <&[u8; BLOCK]>::try_from(x).ok()) {
            if block_needs_escape(block) {
                break;
            }
            i += BLOCK;
        }
        // A tail shorter than a block (most strings of an event are: names,
        // kinds, fields) is checked in one block too, padded with spaces.
        let rest = b.len() - i;
        if rest < BLOCK {
            let mut block = [b' '; BLOCK];
            block[..rest].copy_from_slice(&b[i..]);
            if !block_needs_escape(&block) {
                break;
            }
        }
        let end = (i + BLOCK).min(b.len());
        while i < end && ESCAPE[b[i] as usize] == 0 {
            i += 1;
        }
        if i == end {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        let c = b[i];
        if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
            // Mail is made of CRLF lines: the pair in one step.
            out.extend_from_slice(b"\\r\\n");
            i += 2;
        } else {
            let esc = ESCAPE[c as usize];
            if esc == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 0xf) as usize]]);
            } else {
                out.extend_from_slice(&[b'\\', esc]);
            }
            i += 1;
        }
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Field, Kind, ev};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn both(e: &Event) -> (String, String) {
        let mut mine = Vec::new();
        write_event(e, &mut mine);
        (String::from_utf8(mine).expect("UTF-8"), serde_json::to_string(e).expect("serialises"))
    }

    #[test]
    fn every_octet_is_escaped_as_serde_json_does() {
        // Each character alone and inside runs longer than a word, at every
        // offset from the start of a word.
        for c in (0u32..0x80).chain([0xa0, 0x7ff, 0x3042, 0xfffd, 0x1f600]) {
            let Some(c) = char::from_u32(c) else { continue };
            for pad in 0..9 {
                let s = format!("{}{c}{}", "a".repeat(pad), "b".repeat(17 - pad));
                let mut mine = Vec::new();
                string(&mut mine, &s);
                assert_eq!(String::from_utf8(mine).expect("UTF-8"), serde_json::to_string(&s).expect("str"), "{c:?}");
            }
        }
        // Every string of up to five pieces from a set that has escapes
        // (CRLF pairs, lone CRs and LFs, quotes, controls) and runs shorter
        // and longer than a block, so that escapes fall at every offset.
        let pieces = ["\r\n", "\r", "\n", "\"", "\\", "\u{1}", "a", "0123456789abcde", "日本語テキストです", "x\ty"];
        let mut all = vec![String::new()];
        for _ in 0..5 {
            all = all.iter().flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}"))).collect();
            for s in &all {
                let mut mine = Vec::new();
                string(&mut mine, s);
                assert_eq!(String::from_utf8(mine).expect("UTF-8"), serde_json::to_string(s).expect("str"), "{s:?}");
            }
        }
        let mixed = "\"quoted\"\r\n\\path\\\ttab\u{1}\u{1f}\u{7f}日本語\r\n.\r\n";
        let mut mine = Vec::new();
        string(&mut mine, mixed);
        assert_eq!(String::from_utf8(mine).expect("UTF-8"), serde_json::to_string(mixed).expect("str"));
    }

    #[test]
    fn events_are_written_as_serde_json_writes_them() {
        let jst = FixedOffset::east_opt(9 * 3600).expect("offset");
        let west = FixedOffset::west_opt(5 * 3600 + 30 * 60).expect("offset");
        let odd = FixedOffset::east_opt(3600 + 7).expect("offset");
        let times = [
            jst.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().expect("time"),
            west.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).single().expect("time")
                + chrono::Duration::milliseconds(987),
            FixedOffset::east_opt(0).expect("utc").with_ymd_and_hms(2030, 1, 2, 3, 4, 5).single().expect("time"),
            odd.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("time"),
            jst.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).single().expect("time"),
        ];
        let msg = Arc::new(b"Subject: hi\r\n\r\n\"body\"\r\n".to_vec());
        for t in times {
            let plain = ev(t, "mx", Kind::Log);
            let full = ev(t, "mx\"1", Kind::Deliver)
                .session(1_234_567)
                .peer("relay\\x")
                .line("a\tline\r\n")
                .field(Field::Mailbox, "alice")
                .field(Field::Qid, "4A1B2C")
                .shared_text(Field::Message, &msg);
            let numbers = ev(t, "mx", Kind::QueueAdd)
                .session(0)
                .field(Field::Rcpts, serde_json::json!(["a@x", "b\"@y"]))
                .field(Field::Octets, 1024u64)
                .field(Field::Tls, true)
                .field(Field::DelayMs, serde_json::json!(-3));
            let not_utf8 = ev(t, "mx", Kind::Deliver).shared_text(Field::Message, &Arc::new(vec![b'a', 0xff, b'b']));
            for e in [plain, full, numbers, not_utf8] {
                let (mine, theirs) = both(&e);
                assert_eq!(mine, theirs);
            }
        }
    }
}

//! Lexing of IMAP command arguments (RFC 3501 §4, §9): atoms, quoted
//! strings, literals, sequence sets, flags and dates.
//!
//! The parser works on a whole command as assembled by the server: text
//! lines joined by CRLF, each literal's octets right after its `{n}` line.
//! Every method returns `Err(text)` for the tagged BAD instead of panicking.

use chrono::{DateTime, FixedOffset, NaiveDate};

pub(super) type PResult<T> = Result<T, String>;

/// atom-specials (RFC 3501 §9) are excluded; 8-bit octets are let through
/// so that telnet users can type non-ASCII mailbox names.
pub(super) fn is_atom_char(c: u8) -> bool {
    c > b' ' && c != 0x7f && !b"(){%*\"\\]".contains(&c)
}

pub(super) fn is_astring_char(c: u8) -> bool {
    is_atom_char(c) || c == b']'
}

fn is_tag_char(c: u8) -> bool {
    is_astring_char(c) && c != b'+'
}

fn is_list_char(c: u8) -> bool {
    is_atom_char(c) || b"%*]".contains(&c)
}

/// A `{n}` or `{n+}` at the end of a line: the octet count (saturating) and
/// whether it is non-synchronizing (LITERAL+, RFC 7888).
pub(super) fn literal_marker(line: &[u8]) -> Option<(usize, bool)> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&c| c == b'{')?;
    let inner = body.get(open + 1..)?;
    let (digits, plus) = match inner.strip_suffix(b"+") {
        Some(d) => (d, true),
        None => (inner, false),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0usize, |n, &d| n.saturating_mul(10).saturating_add(usize::from(d - b'0')));
    Some((n, plus))
}

/// One element of a sequence set: a number or `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SeqNum {
    Num(u32),
    Star,
}

/// `1:*`, `2,4:6`, `*` (RFC 3501 §9 sequence-set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SeqSet(pub Vec<(SeqNum, SeqNum)>);

impl SeqSet {
    /// Sorted, merged closed ranges, with `*` standing for `max`.
    pub fn ranges(&self, max: u32) -> Vec<(u32, u32)> {
        let val = |n: SeqNum| match n {
            SeqNum::Num(v) => v,
            SeqNum::Star => max,
        };
        let mut r: Vec<(u32, u32)> = self
            .0
            .iter()
            .map(|&(a, b)| {
                let (a, b) = (val(a), val(b));
                (a.min(b), a.max(b))
            })
            .collect();
        r.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(r.len());
        for (a, b) in r {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// Largest explicit number, to check sequence numbers against EXISTS.
    pub fn max_explicit(&self) -> u32 {
        self.0
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .filter_map(|n| match n {
                SeqNum::Num(v) => Some(v),
                SeqNum::Star => None,
            })
            .max()
            .unwrap_or(0)
    }

    pub fn has_star(&self) -> bool {
        self.0.iter().any(|&(a, b)| a == SeqNum::Star || b == SeqNum::Star)
    }
}

/// Is `n` inside one of the sorted, merged `ranges`?
pub(super) fn in_ranges(ranges: &[(u32, u32)], n: u32) -> bool {
    let i = ranges.partition_point(|&(_, hi)| hi < n);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= n)
}

pub(super) struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Parser { b, i: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, c: u8) -> PResult<()> {
        if self.eat(c) { Ok(()) } else { Err(format!("Expected '{}' {}", char::from(c), self.here())) }
    }

    /// Where parsing stopped, for error texts.
    fn here(&self) -> String {
        match self.peek() {
            None => "at end of command".into(),
            Some(_) => {
                let rest = self.b.get(self.i..).unwrap_or_default();
                let shown: String = String::from_utf8_lossy(rest.get(..20).unwrap_or(rest))
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                format!("at \"{shown}\"")
            }
        }
    }

    /// One or more spaces (clients should send one; telnet users may type two).
    pub fn sp(&mut self) -> PResult<()> {
        if !self.eat(b' ') {
            return Err(format!("Expected a space {}", self.here()));
        }
        while self.eat(b' ') {}
        Ok(())
    }

    /// Only spaces or tabs are left.
    pub fn at_end(&self) -> bool {
        self.b.get(self.i..).unwrap_or_default().iter().all(|&c| c == b' ' || c == b'\t')
    }

    pub fn end(&self) -> PResult<()> {
        if self.at_end() { Ok(()) } else { Err(format!("Unexpected extra arguments {}", self.here())) }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        self.b.get(start..self.i).unwrap_or_default()
    }

    pub fn tag(&mut self) -> PResult<String> {
        let t = self.take_while(is_tag_char);
        if t.is_empty() {
            return Err("Missing or invalid tag".into());
        }
        Ok(String::from_utf8_lossy(t).into_owned())
    }

    pub fn atom(&mut self) -> PResult<String> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return Err(format!("Expected an atom {}", self.here()));
        }
        Ok(String::from_utf8_lossy(a).into_owned())
    }

    /// Letters, digits and dots only: FETCH attribute and section names.
    pub fn word(&mut self) -> String {
        let w = self.take_while(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'+');
        String::from_utf8_lossy(w).to_ascii_uppercase()
    }

    /// The next atom equals `w` (case-insensitive) and is followed by a
    /// space, `(`/`)`, or the end.
    pub fn peek_word(&self, w: &str) -> bool {
        let rest = self.b.get(self.i..).unwrap_or_default();
        rest.len() >= w.len()
            && rest.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w.as_bytes()))
            && rest.get(w.len()).is_none_or(|&c| !is_atom_char(c))
    }

    pub fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    return Err(format!("Expected a string {}", self.here()));
                }
                Ok(a.to_vec())
            }
        }
    }

    pub fn astring_text(&mut self) -> PResult<String> {
        Ok(String::from_utf8_lossy(&self.astring()?).into_owned())
    }

    /// Mailbox pattern for LIST/LSUB: atoms may contain `%`, `*` and `]`.
    pub fn list_mailbox(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    return Err(format!("Expected a mailbox pattern {}", self.here()));
                }
                Ok(a.to_vec())
            }
        }
    }

    pub fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            // RFC 3516 literal8 `~{n}` is the same as a literal for us.
            Some(b'~') if self.b.get(self.i + 1) == Some(&b'{') => {
                self.i += 1;
                self.literal()
            }
            _ => Err(format!("Expected a quoted string or literal {}", self.here())),
        }
    }

    fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return Err("Unterminated quoted string".into()),
                // RFC 9051's CHAR starts at %x01.
                Some(0) => return Err("NUL in a quoted string".into()),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c);
                            self.i += 1;
                        }
                        // Not a quoted-special: keep the backslash (lenient).
                        _ => out.push(b'\\'),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn literal(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'{')?;
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() || digits.len() > 19 {
            return Err("Bad literal length".into());
        }
        let n: usize = String::from_utf8_lossy(digits).parse().map_err(|_| "Bad literal length".to_string())?;
        self.eat(b'+');
        self.expect(b'}')?;
        if !(self.eat(b'\r') && self.eat(b'\n')) {
            return Err("A literal must end its line".into());
        }
        let data = self.b.get(self.i..self.i.saturating_add(n)).ok_or("Literal shorter than announced")?;
        self.i += n;
        Ok(data.to_vec())
    }

    pub fn number(&mut self) -> PResult<u32> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() {
            return Err(format!("Expected a number {}", self.here()));
        }
        String::from_utf8_lossy(d).parse().map_err(|_| "Number out of range".to_string())
    }

    pub fn number64(&mut self) -> PResult<u64> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() {
            return Err(format!("Expected a number {}", self.here()));
        }
        String::from_utf8_lossy(d).parse().map_err(|_| "Number out of range".to_string())
    }

    pub fn nz_number(&mut self) -> PResult<u32> {
        match self.number()? {
            0 => Err("Zero is not a valid message number".into()),
            n => Ok(n),
        }
    }

    fn seq_num(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') { Ok(SeqNum::Star) } else { self.nz_number().map(SeqNum::Num) }
    }

    pub fn seq_set(&mut self) -> PResult<SeqSet> {
        let mut set = Vec::new();
        loop {
            let a = self.seq_num().map_err(|e| format!("Invalid sequence set: {e}"))?;
            let b = if self.eat(b':') { self.seq_num().map_err(|e| format!("Invalid sequence set: {e}"))? } else { a };
            set.push((a, b));
            if !self.eat(b',') {
                return Ok(SeqSet(set));
            }
        }
    }

    /// A flag as written: `\Seen`, `\*` (PERMANENTFLAGS only) or a keyword atom.
    pub fn flag(&mut self) -> PResult<String> {
        if self.eat(b'\\') {
            let a = self.take_while(is_atom_char);
            if a.is_empty() {
                return Err("Expected a flag name after '\\'".into());
            }
            Ok(format!("\\{}", String::from_utf8_lossy(a)))
        } else {
            self.atom().map_err(|_| format!("Expected a flag {}", self.here()))
        }
    }

    /// `(flag flag ...)`, possibly empty.
    pub fn flag_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(')?;
        let mut flags = Vec::new();
        while self.eat(b' ') {}
        while !self.eat(b')') {
            if !flags.is_empty() {
                self.sp()?;
                if self.eat(b')') {
                    break;
                }
            }
            flags.push(self.flag()?);
        }
        Ok(flags)
    }

    /// A flag list with or without parentheses (STORE allows both).
    pub fn flags_loose(&mut self) -> PResult<Vec<String>> {
        if self.peek() == Some(b'(') {
            return self.flag_list();
        }
        let mut flags = vec![self.flag()?];
        while !self.at_end() {
            self.sp()?;
            flags.push(self.flag()?);
        }
        Ok(flags)
    }

    /// SEARCH date: `1-Feb-1994`, optionally quoted.
    pub fn date(&mut self) -> PResult<NaiveDate> {
        let quoted = self.eat(b'"');
        let text = self.take_while(|c| c.is_ascii_alphanumeric() || c == b'-');
        if quoted {
            self.expect(b'"')?;
        }
        parse_date(&String::from_utf8_lossy(text)).ok_or_else(|| "Invalid date, expected e.g. 1-Feb-2024".into())
    }
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut it = s.split('-');
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || d.is_empty() || d.len() > 2 || y.len() != 4 {
        return None;
    }
    let month = month_number(m)?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, month, d.parse().ok()?)
}

pub(super) fn parse_date_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok()
}

fn month_number(m: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    MONTHS.iter().position(|x| x.eq_ignore_ascii_case(m)).map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_literals() {
        let mut p = Parser::new(b"a]b \"x \\\"y\\\\\" {3}\r\nabc ~{1+}\r\nz");
        assert_eq!(p.astring().unwrap(), b"a]b");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"x \"y\\");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"abc");
        p.sp().unwrap();
        assert_eq!(p.string().unwrap(), b"z");
        assert!(p.at_end());
        assert!(Parser::new(b"{5}\r\nab").string().is_err());
        assert!(Parser::new(b"\"open").string().is_err());
        assert!(Parser::new(b"{99999999999999999999}\r\n").string().is_err());
    }

    #[test]
    fn literal_markers() {
        assert_eq!(literal_marker(b"A1 LOGIN {5}"), Some((5, false)));
        assert_eq!(literal_marker(b"A1 APPEND x {10+}"), Some((10, true)));
        assert_eq!(literal_marker(b"x {}"), None);
        assert_eq!(literal_marker(b"x {+}"), None);
        assert_eq!(literal_marker(b"x {99999999999999999999999}"), Some((usize::MAX, false)));
        assert_eq!(literal_marker(b"}"), None);
    }

    #[test]
    fn sequence_sets() {
        let s = Parser::new(b"2,4:6,9:*").seq_set().unwrap();
        assert_eq!(s.ranges(12), vec![(2, 2), (4, 6), (9, 12)]);
        assert_eq!(s.max_explicit(), 9);
        assert!(s.has_star());
        let s = Parser::new(b"5:3,1,2").seq_set().unwrap();
        assert_eq!(s.ranges(9), vec![(1, 5)]);
        assert!(in_ranges(&s.ranges(9), 3));
        assert!(!in_ranges(&s.ranges(9), 6));
        assert!(Parser::new(b"0").seq_set().is_err());
        assert!(Parser::new(b"1:").seq_set().is_err());
        assert!(Parser::new(b"99999999999").seq_set().is_err());
    }

    #[test]
    fn flags_and_dates() {
        assert_eq!(Parser::new(b"(\\Seen  $Junk)").flag_list().unwrap(), vec!["\\Seen", "$Junk"]);
        assert_eq!(Parser::new(b"()").flag_list().unwrap(), Vec::<String>::new());
        assert!(Parser::new(b"(\\Seen").flag_list().is_err());
        assert_eq!(Parser::new(b"\\Deleted \\Seen").flags_loose().unwrap(), vec!["\\Deleted", "\\Seen"]);
        assert_eq!(Parser::new(b"1-Feb-1994").date().unwrap(), NaiveDate::from_ymd_opt(1994, 2, 1).unwrap());
        assert_eq!(Parser::new(b"\"01-feb-1994\"").date().unwrap(), NaiveDate::from_ymd_opt(1994, 2, 1).unwrap());
        assert!(Parser::new(b"31-Feb-1994").date().is_err());
        assert!(parse_date_time(" 7-Jul-1996 02:44:25 -0700").is_some());
        assert!(parse_date_time("7-Jul-1996 02:44").is_none());
    }
}

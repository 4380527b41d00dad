//! Views of a trace: the human text log and JSON lines.

use super::Event;
use super::SCENARIO_HOST;
use super::{Field, Kind};
use chrono::{DateTime, FixedOffset};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
    /// For a reader of Japanese: a step's note in Japanese where the
    /// scenario gives one ([`Event::line_in`]).
    pub ja: bool,
    /// Print the header section of every delivered message at the end.
    pub messages: bool,
}

const RESET: &str = "\x1b[0m";

fn paint(on: bool, code: &str, s: &str) -> String {
    if on { format!("\x1b[{code}m{s}{RESET}") } else { s.to_string() }
}

fn reply_colour(code: u64) -> &'static str {
    match code {
        200..=399 => "32",
        400..=499 => "33",
        _ => "31",
    }
}

/// The text trace: one line per event (not `wire` ones), the host columns
/// as wide as the longest host or peer name (6 to 14), then, with
/// `messages`, the header section of every delivered message.
pub fn text(events: &[Event], opt: TextOptions) -> String {
    let mut st = TextStream::new(opt);
    for e in events {
        st.push(e);
    }
    st.finish(false)
}

/// The header section of every delivered message, after a heading (empty
/// when nothing was delivered); in Japanese with `ja`.
pub fn delivered(events: &[Event], color: bool, ja: bool) -> String {
    let mut out = String::new();
    for (i, e) in events.iter().filter(|e| e.kind == Kind::Deliver).enumerate() {
        let mailbox = e.field_str(Field::Mailbox).unwrap_or("?");
        let msg = e.field_str(Field::Message).unwrap_or("");
        delivered_one(&mut out, i == 0, (e.t, &e.host, mailbox, msg), color, ja);
    }
    out
}

/// One delivered message of [`delivered`] (after the heading when `first`):
/// when, where, which mailbox and the message.
fn delivered_one(out: &mut String, first: bool, d: (DateTime<FixedOffset>, &str, &str, &str), color: bool, ja: bool) {
    let (t, host, mailbox, msg) = d;
    if first {
        let heading = if ja {
            "配送されたメッセージ（ヘッダ部。Received: フィールドを下から上へ読むと経路がわかります）:"
        } else {
            "Delivered messages (header section; Received: fields read bottom-up give the path):"
        };
        let _ = writeln!(out, "\n{}", paint(color, "1", heading));
    }
    let mailbox = printable(mailbox);
    if ja {
        let _ = writeln!(out, "\n== {} · {host} のメールボックス {mailbox} ==", clock(t));
    } else {
        let _ = writeln!(out, "\n== {} · mailbox {mailbox} on {host} ==", clock(t));
    }
    for (l, decoded) in header_lines(msg) {
        let l = printable(&l).into_owned();
        if decoded {
            let l = match (ja, l.strip_prefix("↳ decoded: ")) {
                (true, Some(text)) => format!("↳ デコードすると: {text}"),
                _ => l,
            };
            let _ = writeln!(out, "  {}", paint(color, "2", &l));
        } else {
            let _ = writeln!(out, "  {l}");
        }
    }
}

/// The lines of a message's header section, each field that holds RFC 2047
/// encoded-words followed by its decoded text (`↳ decoded: …`, flagged
/// `true`): what crossed the network and what a mail client shows.
pub fn header_lines(msg: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut field = String::new();
    let flush = |field: &mut String, out: &mut Vec<(String, bool)>| {
        if let Some((_, v)) = field.split_once(':')
            && crate::base::rfc2047::has_encoded_words(v)
        {
            out.push((format!("↳ decoded: {}", crate::base::rfc2047::decode(v)), true));
        }
        field.clear();
    };
    for l in msg.split("\r\n") {
        if l.is_empty() {
            break;
        }
        if !l.starts_with([' ', '\t']) {
            flush(&mut field, &mut out);
        }
        field.push_str(l);
        field.push_str("\r\n");
        out.push((l.to_string(), false));
    }
    flush(&mut field, &mut out);
    out
}

/// One event as one line (multi-line content stays on one line).
pub fn text_line(e: &Event, w: usize, color: bool, ja: bool) -> String {
    let mut s = String::with_capacity(64 + 2 * w + e.line.as_deref().map_or(0, str::len));
    line_into(e, color, ja, Some(w), &mut s);
    s
}

/// [`text_line`], written onto the end of `s`.
pub fn push_text_line(e: &Event, w: usize, color: bool, ja: bool, s: &mut String) {
    line_into(e, color, ja, Some(w), s);
}

/// Where the two host columns are in an event's text line written without
/// their padding (the width is known only at the end of a run, from its
/// longest host name): octet offsets from the start of the line.
#[derive(Clone, Copy)]
struct Cut {
    /// The left column's name (padded on its left).
    left: (u32, u32),
    /// The right column's name (padded on its right).
    right: (u32, u32),
}

impl Cut {
    /// `line` with its host columns padded to `w` characters, onto the end of `out`.
    fn write(self, line: &str, w: usize, out: &mut String) {
        let ((l0, l1), (r0, r1)) = (self.left, self.right);
        let (l0, l1, r0, r1) = (l0 as usize, l1 as usize, r0 as usize, r1 as usize);
        let part = |a: usize, b: usize| line.get(a..b).unwrap_or("");
        out.push_str(part(0, l0));
        pad_to(out, w, part(l0, l1));
        out.push_str(part(l0, r1));
        pad_to(out, w, part(r0, r1));
        out.push_str(line.get(r1..).unwrap_or(""));
    }
}

/// An event's text line without the padding of its host columns, onto the
/// end of `s`; returns where the columns are in it.
fn unpadded_line(e: &Event, color: bool, ja: bool, s: &mut String) -> Cut {
    line_into(e, color, ja, None, s)
}

/// An event's text line onto the end of `s`: with `pad`, its host columns
/// padded to that many characters (the line is then complete); without, left
/// unpadded, the returned [`Cut`] saying where they are.
fn line_into(e: &Event, color: bool, ja: bool, pad: Option<usize>, s: &mut String) -> Cut {
    // Written into one string (this runs once per event of `serve`'s live trace and of a text run).
    let base = s.len();
    // Offsets in one line (u32: a large run keeps hundreds of thousands of these).
    let at = |s: &String| u32::try_from(s.len() - base).unwrap_or(u32::MAX);
    let line = e.line_in(ja);
    let line = line.as_ref();
    let peer = e.peer.as_deref().unwrap_or("?");
    write_clock(s, e.t);
    s.push(' ');
    match e.session {
        Some(n) => {
            let digits = n.checked_ilog10().unwrap_or(0) as usize + 1;
            for _ in digits + 1..4 {
                s.push(' ');
            }
            s.push('#');
            crate::base::decimal::push_u64(s, n);
        }
        None => s.push_str("    "),
    }
    s.push(' ');
    let (arrow, peer_first) = match e.kind {
        Kind::SmtpCmd | Kind::SmtpData | Kind::Pop3Cmd | Kind::ImapCmd | Kind::DnsQuery => ("→", true),
        Kind::Pop3Reply | Kind::ImapReply | Kind::SmtpReply | Kind::DnsAnswer => ("←", true),
        Kind::TcpConnect | Kind::TcpError => ("→", false),
        Kind::TcpAccept | Kind::TcpClose => ("·", true),
        _ => (" ", false),
    };
    // The two host columns, padded later (as `{:>w$}` and `{:<w$}` would: by characters).
    let (left, right) = match (e.kind, peer_first) {
        (Kind::TcpConnect | Kind::TcpError, _) => (e.host.as_str(), peer),
        (_, true) => (peer, e.host.as_str()),
        (Kind::Step, _) => (SCENARIO_HOST, ""),
        _ => (e.host.as_str(), ""),
    };
    let sep =
        if matches!((e.kind, peer_first), (Kind::TcpConnect | Kind::TcpError, _) | (_, true)) { arrow } else { " " };
    // Padded as [`Cut::write`] pads: the left name to the right, the right name to the left.
    if let Some(w) = pad {
        pad_to(s, w, left);
    }
    let left_start = at(s);
    s.push_str(left);
    let left_end = at(s);
    s.push(' ');
    s.push_str(sep);
    s.push(' ');
    let right_start = at(s);
    s.push_str(right);
    let cut = Cut { left: (left_start, left_end), right: (right_start, at(s)) };
    if let Some(w) = pad {
        pad_to(s, w, right);
    }
    s.push_str("  ");
    let (code, prefix) = match e.kind {
        Kind::SmtpCmd | Kind::SmtpData | Kind::Pop3Cmd | Kind::ImapCmd => ("36", "C: "),
        Kind::Pop3Reply | Kind::ImapReply => (if e.is_failure() { "31" } else { "32" }, "S: "),
        Kind::SmtpReply => (reply_colour(e.field_u64(Field::Code).unwrap_or(0)), "S: "),
        Kind::DnsQuery => ("35", "DNS query   "),
        Kind::DnsAnswer => ("35", "DNS answer  "),
        Kind::TcpConnect | Kind::TcpError | Kind::TcpAccept | Kind::TcpClose => ("2", ""),
        Kind::Log => ("33", "maillog  "),
        Kind::ExpectPass => ("32", "PASS  "),
        Kind::ExpectFail => ("31;1", "FAIL  "),
        Kind::Step => ("1", "▶ "),
        Kind::Deliver => ("32", "delivered  "),
        Kind::Bounce => ("31", "bounce  "),
        k => {
            s.push_str(k.name());
            s.push_str("  ");
            push_printable(s, line);
            return cut;
        }
    };
    if color {
        let _ = write!(s, "\x1b[{code}m{prefix}");
        push_printable(s, line);
        s.push_str(RESET);
    } else {
        s.push_str(prefix);
        push_printable(s, line);
    }
    cut
}

/// Does `text` hold a character a terminal would act on rather than show:
/// a C0 control other than tab (ESC starts escape sequences, CR returns to
/// the start of the line), DEL, or a C1 control (U+0080-U+009F; U+009B is
/// a one-character CSI)?
fn has_controls(text: &str) -> bool {
    // C1 controls are 0xC2 0x80-0x9F in UTF-8: look for the lead octet only.
    text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f || b == 0xc2) && text.chars().any(is_control)
}

fn is_control(c: char) -> bool {
    (c.is_control() && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// `text` onto `s` with every control character shown, not obeyed: what a
/// peer sent (a command, a HELO name, a header) reaches the terminal of
/// whoever watches the trace, and `ESC ] 0 ; … BEL` would set its title,
/// `ESC [ 2 J` clear its screen. They are written as `cat -v` writes them
/// (`^[`, `^M`, `^?`, `M-^[` for a C1 control), the way a student would
/// see them in a capture; JSON escapes them by itself.
fn push_printable(s: &mut String, text: &str) {
    if !has_controls(text) {
        s.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\u{7f}' => s.push_str("^?"),
            c if c < ' ' && c != '\t' => {
                s.push('^');
                s.push(char::from(c as u8 ^ 0x40));
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                s.push_str("M-^");
                s.push(char::from((c as u32 - 0x80) as u8 ^ 0x40));
            }
            c => s.push(c),
        }
    }
}

/// [`push_printable`] into a new string (the same text when there is nothing to show).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if has_controls(text) {
        let mut s = String::with_capacity(text.len() + 8);
        push_printable(&mut s, text);
        std::borrow::Cow::Owned(s)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The size of one chunk of [`TextStream`]'s kept text.
const CHUNK: usize = 1 << 20;

/// What [`TextStream`] keeps of a `deliver` event: time, host (an index
/// into its host names), mailbox and the message.
type Kept = (DateTime<FixedOffset>, usize, Box<str>, Option<super::Value>);

/// The text trace of a run rendered as its events come (`maillab run`
/// without `--format json`), keeping the lines' text rather than the
/// events: the same text [`text`] makes of the whole trace, in much less
/// memory. The delivered messages are kept as the events share them with
/// the mailboxes (nothing copied).
pub struct TextStream {
    color: bool,
    ja: bool,
    messages: bool,
    /// The longest host or peer name so far, in octets.
    widest: usize,
    /// Every line so far, unpadded, one after another, in chunks of about
    /// [`CHUNK`] octets (one string holding a large run's whole text would be
    /// copied whenever it grew, the old and the new copy held at once).
    chunks: Vec<String>,
    /// [`CHUNK`]; smaller in tests.
    chunk: usize,
    /// Each line's chunk, where it starts there, and its columns.
    rows: Vec<(u32, u32, Cut)>,
    /// What the list of delivered messages reads of each `deliver` event:
    /// time, host (an index into `hosts`), mailbox and the message (shared
    /// with the mailbox, not copied).
    delivered: Vec<Kept>,
    hosts: Vec<String>,
}

impl TextStream {
    pub fn new(opt: TextOptions) -> TextStream {
        TextStream {
            color: opt.color,
            ja: opt.ja,
            messages: opt.messages,
            widest: 0,
            chunks: Vec::new(),
            chunk: CHUNK,
            rows: Vec::new(),
            delivered: Vec::new(),
            hosts: Vec::new(),
        }
    }

    pub fn push(&mut self, e: &Event) {
        if e.kind == Kind::Wire {
            return;
        }
        self.widest = self.widest.max(e.host.len().max(e.peer.as_deref().map(str::len).unwrap_or(0)));
        if self.chunks.last().is_none_or(|c| c.len() >= self.chunk) {
            self.chunks.push(String::with_capacity(self.chunk + self.chunk / 8));
        }
        let n = self.chunks.len() - 1;
        let Some(chunk) = self.chunks.last_mut() else { return };
        let start = chunk.len();
        let cut = unpadded_line(e, self.color, self.ja, chunk);
        // A line starts before the chunk's first `self.chunk` octets end.
        self.rows.push((n as u32, u32::try_from(start).unwrap_or(u32::MAX), cut));
        if self.messages && e.kind == Kind::Deliver {
            let host = match self.hosts.iter().position(|h| *h == e.host) {
                Some(i) => i,
                None => {
                    self.hosts.push(e.host.to_string());
                    self.hosts.len() - 1
                }
            };
            let mailbox = e.field_str(Field::Mailbox).unwrap_or("?").into();
            self.delivered.push((e.t, host, mailbox, e.fields.get(Field::Message).cloned()));
        }
    }

    /// Write the whole text to `out`, as [`text`] makes it; the delivered
    /// messages' heading in Japanese with `ja`.
    pub fn finish_into(self, ja: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let w = if self.rows.is_empty() { 8 } else { self.widest }.clamp(6, 14);
        let mut buf = String::with_capacity(1 << 16);
        for (i, &(chunk, start, cut)) in self.rows.iter().enumerate() {
            let text = self.chunks.get(chunk as usize).map_or("", String::as_str);
            let end = match self.rows.get(i + 1) {
                Some(&(next, end, _)) if next == chunk => end as usize,
                _ => text.len(),
            };
            cut.write(text.get(start as usize..end).unwrap_or(""), w, &mut buf);
            buf.push('\n');
            if buf.len() >= 1 << 16 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        for (i, (t, host, mailbox, msg)) in self.delivered.iter().enumerate() {
            let host = self.hosts.get(*host).map_or("?", String::as_str);
            let msg = msg.as_ref().and_then(super::Value::as_str).unwrap_or("");
            delivered_one(&mut buf, i == 0, (*t, host, mailbox, msg), self.color, ja);
            if buf.len() >= 1 << 16 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        out.write_all(buf.as_bytes())
    }

    /// [`TextStream::finish_into`] a string.
    pub fn finish(self, ja: bool) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail; only `&str`s were written.
        let _ = self.finish_into(ja, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Spaces that pad `text` to `w` characters.
fn pad_to(s: &mut String, w: usize, text: &str) {
    const SPACES: &str = "                                ";
    let n = if text.is_ascii() { text.len() } else { text.chars().count() };
    let mut k = w.saturating_sub(n);
    while k > 0 {
        let m = k.min(SPACES.len());
        s.push_str(&SPACES[..m]);
        k -= m;
    }
}

/// The previous, straightforward rendering: the reference [`text_line`] is tested against.
#[cfg(test)]
fn text_line_reference(e: &Event, w: usize, color: bool) -> String {
    let t = clock(e.t);
    let sess = e.session.map(|s| format!("#{s}")).unwrap_or_default();
    let line = e.line.as_deref().unwrap_or("");
    let peer = e.peer.as_deref().unwrap_or("?");
    let (who, body) = match e.kind {
        Kind::SmtpCmd | Kind::SmtpData | Kind::Pop3Cmd | Kind::ImapCmd => {
            (format!("{peer:>w$} → {:<w$}", e.host), paint(color, "36", &format!("C: {line}")))
        }
        Kind::Pop3Reply | Kind::ImapReply => {
            let c = if e.is_failure() { "31" } else { "32" };
            (format!("{peer:>w$} ← {:<w$}", e.host), paint(color, c, &format!("S: {line}")))
        }
        Kind::SmtpReply => {
            let c = reply_colour(e.field_u64(Field::Code).unwrap_or(0));
            (format!("{peer:>w$} ← {:<w$}", e.host), paint(color, c, &format!("S: {line}")))
        }
        Kind::DnsQuery => (format!("{peer:>w$} → {:<w$}", e.host), paint(color, "35", &format!("DNS query   {line}"))),
        Kind::DnsAnswer => (format!("{peer:>w$} ← {:<w$}", e.host), paint(color, "35", &format!("DNS answer  {line}"))),
        Kind::TcpConnect | Kind::TcpError => (format!("{:>w$} → {peer:<w$}", e.host), paint(color, "2", line)),
        Kind::TcpAccept | Kind::TcpClose => (format!("{peer:>w$} · {:<w$}", e.host), paint(color, "2", line)),
        Kind::Log => (format!("{:>w$}   {:<w$}", e.host, ""), paint(color, "33", &format!("maillog  {line}"))),
        Kind::ExpectPass => (format!("{:>w$}   {:<w$}", e.host, ""), paint(color, "32", &format!("PASS  {line}"))),
        Kind::ExpectFail => (format!("{:>w$}   {:<w$}", e.host, ""), paint(color, "31;1", &format!("FAIL  {line}"))),
        Kind::Step => (format!("{:>w$}   {:<w$}", SCENARIO_HOST, ""), paint(color, "1", &format!("▶ {line}"))),
        Kind::Deliver => (format!("{:>w$}   {:<w$}", e.host, ""), paint(color, "32", &format!("delivered  {line}"))),
        Kind::Bounce => (format!("{:>w$}   {:<w$}", e.host, ""), paint(color, "31", &format!("bounce  {line}"))),
        k => (format!("{:>w$}   {:<w$}", e.host, ""), format!("{k}  {line}")),
    };
    format!("{t} {sess:>4} {who}  {body}")
}

/// `10:00:00.123`: the time of day with milliseconds (by hand: chrono's
/// `format` parses its pattern on every call, and the live trace of `serve`
/// formats one per event).
pub fn clock(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    let mut s = String::with_capacity(12);
    write_clock(&mut s, t);
    s
}

/// [`clock`], written onto the end of `s`.
fn write_clock(s: &mut String, t: chrono::DateTime<chrono::FixedOffset>) {
    // By hand, twelve ASCII octets: this runs for every event
    // of `serve`'s live trace. The local second of the day is the UTC time
    // of day moved by the offset: no date is worked out (each of chrono's
    // local accessors, and a time stamp, would work out a date first).
    let utc = t.naive_utc().time();
    let (secs, nanos) = (chrono::Timelike::num_seconds_from_midnight(&utc), chrono::Timelike::nanosecond(&utc));
    let offset = t.offset().local_minus_utc();
    // Offsets are whole seconds: the UTC fraction is the local one (a leap second's is 1000 ms or more).
    let ms = nanos / 1_000_000;
    // Many events share a millisecond: the text of the last one is kept (per thread) and copied.
    let key = (u64::from(secs) << 43) | (u64::from(ms) << 32) | u64::from(offset as u32);
    LAST_CLOCK.with_borrow_mut(|(last, text)| {
        if *last != key {
            let day = (i64::from(secs) + i64::from(offset)).rem_euclid(86_400) as u32;
            let ms = ms % 1000;
            let d = |n: u32| char::from(b'0' + (n % 10) as u8);
            let (h, m, sec) = (day / 3600, day / 60 % 60, day % 60);
            text.clear();
            text.extend([d(h / 10), d(h), ':', d(m / 10), d(m), ':', d(sec / 10), d(sec), '.']);
            text.extend([d(ms / 100), d(ms / 10), d(ms)]);
            *last = key;
        }
        s.push_str(text);
    });
}

thread_local! {
    /// The key (UTC second of the day, millisecond, offset) and text of the last clock written.
    static LAST_CLOCK: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// JSON lines written straight to `w` (a large trace is never held twice).
pub fn write_json_lines(events: &[Event], mut w: impl std::io::Write) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for e in events {
        push_json_line(e, &mut buf);
        if buf.len() >= 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    w.flush()
}

/// One event as a JSON line (nothing for a `wire` event, which only the pcap shows).
pub fn write_json_line(e: &Event, mut w: impl std::io::Write) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(256);
    push_json_line(e, &mut buf);
    w.write_all(&buf)
}

/// [`write_json_line`], appended to `out`.
pub fn push_json_line(e: &Event, out: &mut Vec<u8>) {
    if e.kind == Kind::Wire {
        return;
    }
    super::json::write_event(e, out);
    out.push(b'\n');
}

/// One JSON object per line. `wire` events (raw segments, for `--pcap`) are left out.
pub fn json_lines(events: &[Event]) -> String {
    let mut out = Vec::new();
    for e in events {
        push_json_line(e, &mut out);
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step's note is shown in the reader's language where the scenario
    /// gives both; the line (and JSON) keep the English one.
    #[test]
    fn a_steps_note_follows_the_readers_language() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
        let e = Event {
            t,
            host: crate::trace::SCENARIO_HOST.into(),
            session: None,
            peer: None,
            kind: Kind::Step,
            line: Some("step 1: pc1 sends — the MUA submits".into()),
            fields: Default::default(),
        }
        .field(Field::Step, 1)
        .field(Field::Note, "the MUA submits")
        .field(Field::NoteJa, "MUA が送信を依頼する");
        assert!(text_line(&e, 8, false, false).ends_with("▶ step 1: pc1 sends — the MUA submits"));
        assert!(text_line(&e, 8, false, true).ends_with("▶ step 1: pc1 sends — MUA が送信を依頼する"));
        let mut st = TextStream::new(TextOptions { color: false, messages: false, ja: true });
        st.push(&e);
        assert!(st.finish(true).contains("— MUA が送信を依頼する"));
        // Without a Japanese note, the line as it is.
        let mut plain = e.clone();
        plain.fields = Default::default();
        assert!(text_line(&plain, 8, false, true).ends_with("— the MUA submits"));
    }

    /// What a peer sent reaches the terminal shown, not obeyed (user trial
    /// h20: a client's `ESC ] 0 ; … BEL ESC [ 2 J` as an SMTP command set the
    /// instructor's window title and cleared the screen): in every text line,
    /// coloured or not, and in the delivered messages' headers.
    #[test]
    fn control_characters_from_a_peer_are_shown_not_obeyed() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a date");
        let e = Event {
            t,
            host: "mail".into(),
            session: Some(1),
            peer: Some("pc".into()),
            kind: Kind::SmtpCmd,
            line: Some("\x1b]0;PWNED\x07\x1b[2J\r\0x\ty\u{7f}\u{9b}31m é 日本".into()),
            fields: Default::default(),
        };
        for color in [false, true] {
            let l = text_line(&e, 4, color, false);
            assert!(l.contains("C: ^[]0;PWNED^G^[[2J^M^@x\ty^?M-^[31m é 日本"), "{l:?}");
            // The only escape left is maillab's own colour.
            assert_eq!(l.matches('\x1b').count(), if color { 2 } else { 0 }, "{l:?}");
        }
        let mut st = TextStream::new(TextOptions { color: false, messages: false, ja: false });
        st.push(&e);
        assert!(!st.finish(false).contains('\x1b'));
        let mut d = String::new();
        delivered_one(
            &mut d,
            true,
            (t, "mx", "INBOX\x1b[2J", "Subject: \x1b]0;x\x07hi\r\n\tmore\r\n\r\nbody"),
            false,
            false,
        );
        assert!(d.contains("mailbox INBOX^[[2J on mx") && d.contains("  Subject: ^[]0;x^Ghi\n  \tmore\n"), "{d:?}");
        assert!(!d.contains('\x1b') && !d.contains('\x07'), "{d:?}");
        // Ordinary text is written as it is.
        assert_eq!(
            printable("250 2.0.0 Ok: queued as 4D97B068D5 — 日本語"),
            "250 2.0.0 Ok: queued as 4D97B068D5 — 日本語"
        );
    }

    #[test]
    fn text_line_is_the_reference_rendering() {
        let times = ["2026-04-01T10:00:07.089+09:00", "1999-12-31T23:59:59.999-03:30", "2026-04-01T00:00:00+00:00"]
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).expect("a date"));
        let mut n = 0;
        for (i, &kind) in Kind::ALL.iter().enumerate() {
            let t = times[i % times.len()];
            for session in
                [None, Some(0), Some(1), Some(9), Some(10), Some(99), Some(100), Some(999), Some(1000), Some(123456)]
                    .into_iter()
                    .chain([Some(u64::MAX)])
            {
                for (line, code) in [("250 2.0.0 Ok", 250u64), ("a NO [AUTHENTICATIONFAILED] x", 535), ("", 421)] {
                    for peer in [None, Some("pc"), Some("a-very-long-peer-name"), Some("サーバ")] {
                        let mut e = crate::trace::ev(t, "mail", kind);
                        e.session = session;
                        e.peer = peer.map(crate::trace::Name::from);
                        if !line.is_empty() {
                            e.line = Some(line.into());
                        }
                        if kind.fields().contains(&Field::Code) {
                            e = e.field(Field::Code, code);
                        }
                        for w in [6, 10, 14] {
                            for color in [false, true] {
                                assert_eq!(text_line(&e, w, color, false), text_line_reference(&e, w, color), "{e:?}");
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn the_kept_text_is_the_same_in_chunks_of_any_size() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:07.089+09:00").expect("a date");
        let msg = std::sync::Arc::new(b"Subject: hi\r\n\r\nbody\r\n".to_vec());
        let events: Vec<Event> = (0..40u64)
            .map(|i| {
                let kind = Kind::ALL[i as usize % Kind::ALL.len()];
                let mut e = crate::trace::ev(t, if i % 3 == 0 { "mx" } else { "a-long-host" }, kind)
                    .line("x".repeat(i as usize * 7 % 90));
                e.session = (i % 2 == 0).then_some(i);
                e.peer = (i % 4 != 0).then(|| crate::trace::Name::from("pc"));
                if kind == Kind::Deliver {
                    e = e.field(Field::Mailbox, "alice").shared_text(Field::Message, &msg);
                }
                e
            })
            .collect();
        let whole = |chunk: usize| {
            let mut st = TextStream::new(TextOptions { color: false, messages: true, ja: false });
            st.chunk = chunk;
            for e in &events {
                st.push(e);
            }
            assert!(chunk > 4000 || st.chunks.len() > 1, "{chunk}: {} chunks", st.chunks.len());
            st.finish(false)
        };
        let one = whole(CHUNK);
        for chunk in [1, 2, 7, 64, 100, 1000] {
            assert_eq!(whole(chunk), one, "chunks of {chunk}");
        }
        assert!(one.lines().count() > 40);
    }

    #[test]
    fn the_clock_is_written_as_chrono_writes_it() {
        for s in [
            "2026-04-01T10:00:07.089+09:00",
            "2026-12-31T23:59:59.999-05:00",
            "2027-01-01T00:00:00.000Z",
            "1969-12-31T23:59:58.250+00:00",
            "1901-06-30T05:04:03.002-09:30",
        ] {
            let t = chrono::DateTime::parse_from_rfc3339(s).expect("a date");
            for extra in [0, 1, 9, 10, 99, 100, 999, 61_001, 3_599_999, 86_399_999] {
                let t = t + chrono::Duration::milliseconds(extra);
                assert_eq!(clock(t), t.format("%H:%M:%S%.3f").to_string());
                // Again (the kept text), and the same instant at another offset (not the kept text).
                assert_eq!(clock(t), t.format("%H:%M:%S%.3f").to_string());
                let there = t.with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("an offset"));
                assert_eq!(clock(there), there.format("%H:%M:%S%.3f").to_string());
                let later = t + chrono::Duration::microseconds(1);
                assert_eq!(clock(later), later.format("%H:%M:%S%.3f").to_string());
            }
        }
    }
}
